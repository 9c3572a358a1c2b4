/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the workers' burst code (dataplane/worker.c with bridge.h, the
 * real registry, snapshots, RCU and counters) forwards, floods and drops
 * as docs/switchd.md says, and counts every frame under its named counter:
 * rx/tx packets, LAN forwarded/flooded/unknown_unicast/learned, and the
 * drops no_lan, runt, oversize, dst_is_src, tx_full, tx_refused, link_down,
 * rx_nombuf;
 * offload frames (offload.h) are segmented for a port without TSO, passed
 * whole to one with it, both within one flood, and never handed raw to a
 * down port without caps;
 * each worker counts what it polled, and no mbuf is left behind;
 * demultiplexing (port.h): a port whose rx() stamps frames with (port,
 * remote) has them bridged per run as received on rx-less ports (vxlan
 * ports behind an underlay): counters on those ports, MACs learned with
 * their remote, moves between remotes counted, split horizon, a capture of
 * a rx-less port, rx-less ports in no poll list;
 * captures (capture.c, capture_copy.c, the pcapng writer) on a pipe read by
 * the test: EPBs exact per interface and direction (out = the port
 * received, in = the port sent), interface ids as given, timestamps in
 * order and near the clock, a libpcap filter run through rte_bpf
 * (filtered exact), ISBs with the counts, every capture buffer freed.
 *
 * Operations: DPDK's EAL without hugepages (--no-huge --no-shconf, no PCI),
 * N workers (argument, default 1) on real lcores; ports are a test-only
 * "ring" backend standing in for the vhost kind (port_vhost.c is not
 * linked): frames injected into an rte_ring are its rx, its tx counts what
 * it is given and can refuse (full) or be down. LAN L has p0..p2 and p4
 * (down); p3 is in no LAN. The "tap" kind is a ring port that
 * demultiplexes (dm, an underlay's stand-in) and the "afxdp" kind a ring
 * port without rx() whose frames come from dm (x1..x3, vxlan ports'
 * stand-ins); LAN V has q, x1 and x2. Each step injects bursts, waits until the
 * workers took them and passed a quiescent point, and compares counters.
 * TAP; "1..0 # SKIP" when the EAL cannot start here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>


#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "../unit/tap.h"
#include "capture.h"
#include "cbpf.h"
#include "clock.h"
#include "evloop.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"
#include "offload.h"
#include "stats.h"
#include "worker.h"

struct rte_mempool *vnl_pktmbuf_pool;
uint16_t vnl_max_frame = 1518;

/* ---- the ring port ---- */

struct ring_port {
	struct rte_ring *rx;          /* frames the test injects; the worker dequeues */
	_Atomic uint64_t got;         /* frames its tx took */
	_Atomic uint8_t last_dst;     /* last byte of the last taken frame's destination */
	_Atomic uint32_t room;        /* frames tx still takes (then it is full) */
	_Atomic uint64_t nombuf;      /* rx reports these as lost for lack of mbufs */
	_Atomic uint64_t ol_seen;     /* OR of the ol_flags of the frames tx took */
	_Atomic uint64_t given_down;  /* frames tx was given while down */
	_Atomic uint64_t ol_seen_down; /* the OR of their ol_flags */
	_Atomic uint32_t refuse_len;  /* tx refuses frames of this length (0: none) */
};

static int ring_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	struct ring_port *r = calloc(1, sizeof(*r));
	char name[RTE_RING_NAMESIZE];
	const char *path;
	int rc = port_arg_string(req, "path", true, &path, err);

	if (rc < 0 || r == NULL) {
		free(r);
		return rc < 0 ? rc : vnl_errf(err, -ENOMEM, "out of memory");
	}
	snprintf(name, sizeof(name), "t_%u", p->slot);
	r->rx = rte_ring_create(name, 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r->rx == NULL) {
		free(r);
		return vnl_errf(err, -ENOMEM, "ring for %s", p->name);
	}
	r->room = UINT32_MAX;
	p->priv = r;
	p->backend = "test-ring";
	atomic_store(&p->up, true);
	return 0;
}

static void ring_close(struct port *p)
{
	struct ring_port *r = p->priv;
	void *m;

	while (rte_ring_dequeue(r->rx, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r->rx);
	free(r);
}

static uint16_t ring_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct ring_port *r = p->priv;
	uint64_t lost = atomic_exchange(&r->nombuf, 0);

	ps->v[PC_drop_rx_nombuf] += lost;
	return (uint16_t)rte_ring_dequeue_burst(r->rx, (void **)pkts, n, NULL);
}

/* Frames of refuse_len are refused as a tap refuses with EINVAL (port.h:
 * counted, put after the sent ones); room limits the others. */
static uint16_t ring_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct ring_port *r = p->priv;
	uint32_t room = atomic_load(&r->room), refuse = atomic_load(&r->refuse_len);
	struct rte_mbuf *refused[VNL_BURST];
	uint16_t nr = 0, k = 0;

	if (!atomic_load(&p->up)) {
		/* A vhost tx() looks at its vid, not at up: what it is given may reach a guest. */
		for (uint16_t i = 0; i < n; i++)
			atomic_fetch_or(&r->ol_seen_down, pkts[i]->ol_flags);
		atomic_fetch_add(&r->given_down, n);
		return 0;
	}
	if (refuse) { /* with room unlimited only */
		for (uint16_t i = 0; i < n; i++)
			if (rte_pktmbuf_pkt_len(pkts[i]) == refuse)
				refused[nr++] = pkts[i];
			else
				pkts[k++] = pkts[i];
		memcpy(&pkts[k], refused, nr * sizeof(refused[0]));
		ps->v[PC_drop_tx_refused] += nr;
		n = k;
	}
	if (n > room)
		n = (uint16_t)room;
	if (room != UINT32_MAX)
		atomic_fetch_sub(&r->room, n); /* tx never runs twice at once (port.h) */
	if (n)
		atomic_store(&r->last_dst, rte_pktmbuf_mtod(pkts[n - 1], uint8_t *)[5]);
	for (uint16_t i = 0; i < n; i++)
		atomic_fetch_or(&r->ol_seen, pkts[i]->ol_flags);
	atomic_fetch_add(&r->got, n);
	return n;
}

static void ring_show(const struct port *p, struct json_object *o)
{
	(void)p, (void)o;
}

/* The ring backend takes the place of vhost; the other kinds are absent. */
const struct port_ops port_vhost_ops = { "vhost", ring_open, ring_close, ring_rx, ring_tx, ring_show, NULL, NULL, NULL };

static int absent_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	(void)p, (void)req;
	return vnl_errf(err, -EOPNOTSUPP, "not in this test");
}

const struct port_ops port_packet_ops = { "afxdp", absent_open, ring_close, ring_rx, ring_tx, ring_show, NULL, NULL, NULL };
const struct port_ops port_vxlan_ops = { "vxlan", absent_open, ring_close, ring_rx, ring_tx, ring_show, NULL, NULL, NULL };

/* ---- an underlay and its vxlan ports, as the worker sees them ---- */

/* p0..p4 in LAN L (see the top); q, x1, x2 in LAN V; dm (the
 * demultiplexer) and x3 in no LAN. */
enum { P0, P1, P2, P3, P4, Q, DM, X1, X2, X3, NB_P };
static struct port *ports[NB_P];
static uint64_t injected;

/* The "tap" kind here: a ring port whose rx() demultiplexes (port.h): the
 * test stamps every frame it injects with (port slot, remote), as an
 * underlay's decap does. */
static int dmx_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	int r = ring_open(p, req, err);

	if (r == 0) {
		p->demux = true;
		p->backend = "test-demux-ring";
	}
	return r;
}

/* The "afxdp" kind here: a port without rx() (a vxlan port) whose frames
 * come out of dm's rx(); its tx() is a ring port's, serialised by dm's
 * lock as a vxlan port's by its underlay's. (Its ring_port's rx ring stays
 * empty.) */
static int rxless_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	int r = ring_open(p, req, err);

	if (r == 0) {
		p->rx_via = ports[DM]->slot;
		p->txl = &ports[DM]->tx_lock;
		p->backend = "test-rxless";
	}
	return r;
}

const struct port_ops port_xsk_ops = { "afxdp", rxless_open, ring_close, NULL, ring_tx, ring_show, NULL, NULL, NULL };
const struct port_ops port_tap_ops = { "tap", dmx_open, ring_close, ring_rx, ring_tx, ring_show, NULL, NULL, NULL };

/* ---- helpers ---- */

static struct ring_port *rp(int i)
{
	return ports[i]->priv;
}

/* MAC 02:00:00:00:00:xx; 0xff: broadcast. */
static void mac(uint8_t *b, uint8_t x)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(b, base, 6);
	b[5] = x;
	if (x == 0xff)
		memset(b, 0xff, 6);
}

/* Inject n frames of len bytes from src to dst into port i's rx. */
static void inject(int i, uint8_t dst, uint8_t src, uint16_t len, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
		uint8_t *f;

		if (m == NULL || (f = (uint8_t *)rte_pktmbuf_append(m, len)) == NULL) {
			printf("Bail out! cannot build a %u-byte frame\n", len);
			exit(1);
		}
		memset(f, 0, len);
		if (len >= 12) {
			mac(f, dst);
			mac(f + 6, src);
		}
		if (len >= 14)
			f[12] = 0x08;
		while (rte_ring_enqueue(rp(i)->rx, m) != 0)
			usleep(100);
		injected++;
	}
}

/* Inject n frames of lens[] bytes from src to dst into port i's rx in one
 * enqueue: the worker takes them as one burst. */
static void inject_burst(int i, uint8_t dst, uint8_t src, const uint16_t *lens, unsigned n)
{
	struct rte_mbuf *m[VNL_BURST];

	for (unsigned k = 0; k < n; k++) {
		uint8_t *f;

		m[k] = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
		if (m[k] == NULL || (f = (uint8_t *)rte_pktmbuf_append(m[k], lens[k])) == NULL) {
			printf("Bail out! cannot build a %u-byte frame\n", lens[k]);
			exit(1);
		}
		memset(f, 0, lens[k]);
		mac(f, dst);
		mac(f + 6, src);
		f[12] = 0x08;
	}
	while (rte_ring_enqueue_bulk(rp(i)->rx, (void **)m, n, NULL) == 0)
		usleep(100);
	injected += n;
}

/* A frame of a demultiplexed burst: the port slot and remote it is
 * stamped with, its source and destination MACs (as mac()). */
struct stamp {
	uint16_t slot, remote;
	uint8_t src, dst;
};

/* Inject n 60-byte frames, stamped, into dm's rx in one enqueue: the worker
 * takes them as one burst. */
static void inject_dmx(const struct stamp *st, unsigned n)
{
	struct rte_mbuf *m[VNL_BURST];

	for (unsigned k = 0; k < n; k++) {
		uint8_t *f;

		m[k] = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
		if (m[k] == NULL || (f = (uint8_t *)rte_pktmbuf_append(m[k], 60)) == NULL) {
			printf("Bail out! cannot build a frame\n");
			exit(1);
		}
		memset(f, 0, 60);
		mac(f, st[k].dst);
		mac(f + 6, st[k].src);
		f[12] = 0x08;
		m[k]->port = st[k].slot;
		m[k]->hash.usr = st[k].remote;
	}
	while (rte_ring_enqueue_bulk(rp(DM)->rx, (void **)m, n, NULL) == 0)
		usleep(100);
	injected += n;
}

/* Inject one TCP/IPv4 frame of len bytes in the offload state of a TSO
 * frame (offload.h: pseudo-header with length in the TCP checksum field),
 * as a port's rx() would hand it over. */
static void inject_tso(int i, uint8_t dst, uint8_t src, uint16_t len, uint16_t mss)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
	uint8_t *f = m ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;

	if (f == NULL) {
		printf("Bail out! cannot build a %u-byte TSO frame\n", len);
		exit(1);
	}
	memset(f, 0, len);
	mac(f, dst);
	mac(f + 6, src);
	f[12] = 0x08;
	ip = (struct rte_ipv4_hdr *)(f + 14);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t = (struct rte_tcp_hdr *)(ip + 1);
	t->data_off = 5 << 4;
	t->tcp_flags = RTE_TCP_ACK_FLAG;
	t->cksum = rte_ipv4_phdr_cksum(ip, 0);
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = mss;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	while (rte_ring_enqueue(rp(i)->rx, m) != 0)
		usleep(100);
	injected++;
}

/* Inject one frame of len bytes as a chain of full 2 KiB segments (what a
 * port hands over for a GSO frame). */
static void inject_chain(int i, uint8_t dst, uint8_t src, uint32_t len)
{
	struct rte_mbuf *head = NULL;

	while (len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
		uint16_t n = m ? (uint16_t)RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m)) : 0;
		uint8_t *f = m ? (uint8_t *)rte_pktmbuf_append(m, n) : NULL;

		if (f == NULL || (head != NULL && rte_pktmbuf_chain(head, m) < 0)) {
			printf("Bail out! cannot build a chained frame\n");
			exit(1);
		}
		memset(f, 0x5a, n);
		if (head == NULL) {
			mac(f, dst);
			mac(f + 6, src);
			head = m;
		}
		len -= n;
	}
	while (rte_ring_enqueue(rp(i)->rx, head) != 0)
		usleep(100);
	injected++;
}

/* Wait until every ring is empty and every worker has finished the bursts
 * it took (a quiescent point comes after a whole loop iteration). */
static void settle(void)
{
	for (int t = 0; t < 5000; t++) {
		int empty = 1;

		for (int i = 0; i < NB_P; i++)
			empty &= rte_ring_empty(rp(i)->rx);
		if (empty)
			break;
		usleep(1000);
	}
	snapshot_wait_readers();
}

static uint64_t pc(int i, enum port_counter c)
{
	uint64_t v[PC_MAX];

	stats_port_read(ports[i], v);
	return v[c];
}

static uint64_t lc(const struct lan *l, enum lan_counter c)
{
	uint64_t v[LC_MAX];

	stats_lan_read(l->slot, v);
	return v[c];
}

static struct port *add_port_kind(const char *name, const char *kind, struct lan *l)
{
	struct json_object *req = json_object_new_object();
	struct vnl_err err = { 0, "" };
	char path[64];
	struct port *p;
	int r;

	snprintf(path, sizeof(path), "/ring/%s", name);
	json_object_object_add(req, "path", json_object_new_string(path));
	r = reg_port_add(name, kind, req, &p, &err);
	json_object_put(req);
	if (r == 0 && l != NULL)
		r = reg_attach(name, l->name, &err);
	if (r < 0) {
		printf("Bail out! port %s: %s\n", name, err.msg);
		exit(1);
	}
	return p;
}

static struct port *add_port(const char *name, struct lan *l)
{
	return add_port_kind(name, "vhost", l);
}

/* ---- captures ---- */

/* What a capture stream held: EPBs per interface and direction, ISBs. */
struct stream {
	unsigned idbs, isbs, epbs;
	unsigned dir[4][3];           /* [interface][epb_flags direction] */
	uint64_t bytes[4];            /* captured bytes per interface */
	uint32_t caplen[8], origlen[8]; /* of the first 8 EPBs */
	uint64_t isb_recv[4], isb_drop[4], isb_accept[4];
	bool ordered, near_now, whole;
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void parse_stream(const uint8_t *d, size_t len, struct stream *st)
{
	struct timespec now;
	uint64_t last = 0, now_ns;
	size_t o = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	*st = (struct stream){ .ordered = true, .near_now = true };
	while (o + 12 <= len) {
		uint32_t type = rd32(d + o), n = rd32(d + o + 4), ifid = rd32(d + o + 8);

		if (n < 12 || n % 4 || o + n > len)
			break;
		if (type == 1)
			st->idbs++;
		if (type == 6 && ifid < 4) {
			uint64_t ts = (uint64_t)rd32(d + o + 12) << 32 | rd32(d + o + 16);
			uint32_t cap = rd32(d + o + 20), flags = 0;
			size_t p = o + 28 + ((cap + 3) & ~3u);

			while (p + 4 <= o + n - 4 && (d[p] | d[p + 1] << 8) != 0) {
				uint16_t code = (uint16_t)(d[p] | d[p + 1] << 8), l = (uint16_t)(d[p + 2] | d[p + 3] << 8);

				if (code == 2)
					flags = rd32(d + p + 4);
				p += 4 + ((l + 3u) & ~3u);
			}
			if (st->epbs < 8) {
				st->caplen[st->epbs] = cap;
				st->origlen[st->epbs] = rd32(d + o + 24);
			}
			st->epbs++;
			st->dir[ifid][flags & 3]++;
			st->bytes[ifid] += cap;
			st->ordered &= ts >= last;
			st->near_now &= ts <= now_ns && now_ns - ts < 5000000000ull;
			last = ts;
		}
		if (type == 5 && ifid < 4) {
			for (size_t p = o + 20; p + 4 <= o + n - 4 && (d[p] | d[p + 1] << 8) != 0;) {
				uint16_t code = (uint16_t)(d[p] | d[p + 1] << 8), l = (uint16_t)(d[p + 2] | d[p + 3] << 8);
				uint64_t v;

				memcpy(&v, d + p + 4, 8);
				if (code == 4)
					st->isb_recv[ifid] = v;
				if (code == 5)
					st->isb_drop[ifid] = v;
				if (code == 6)
					st->isb_accept[ifid] = v;
				p += 4 + ((l + 3u) & ~3u);
			}
			st->isbs++;
		}
		o += n;
	}
	st->whole = o == len;
}

/* capture-start on a new pipe; returns the capture id (0: refused), *rd the read end. */
static int64_t cap_start(const char *ports_json, const char *dir, const char *filter, int *rd)
{
	struct json_object *req = json_tokener_parse(ports_json), *reply = json_object_new_object(), *v;
	struct vnl_err err = { 0, "" };
	int p[2], r;
	int64_t id = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	json_object_object_add(req, "dir", json_object_new_string(dir));
	if (filter != NULL) {
		json_object_object_add(req, "bpf", cbpf_compile_json(filter, 262144, &err));
		json_object_object_add(req, "filter", json_object_new_string(filter));
	}
	r = capture_start(req, reply, p[1], &err);
	if (r < 0)
		printf("# capture-start: %s\n", err.msg);
	else if (json_object_object_get_ex(reply, "capture", &v) && json_object_object_get_ex(v, "id", &v))
		id = json_object_get_int64(v);
	json_object_put(req);
	json_object_put(reply);
	*rd = p[0];
	return id;
}

static int cap_stop(int64_t id)
{
	struct json_object *req = json_object_new_object(), *reply = json_object_new_object();
	struct vnl_err err = { 0, "" };
	int r;

	json_object_object_add(req, "id", json_object_new_int64(id));
	r = capture_stop_cmd(req, reply, &err);
	json_object_put(req);
	json_object_put(reply);
	return r;
}

/* Run the control loop (the writer) and read both pipes until EOF. */
static void pump(struct evloop *loop, int *fd, uint8_t **buf, size_t *len, int n)
{
	long long deadline = mono_ms() + 5000;
	int open = n;

	while (open && mono_ms() < deadline) {
		evloop_run_until(loop, -1, 0, mono_ms() + 2);
		for (int i = 0; i < n; i++) {
			ssize_t k;

			if (fd[i] < 0)
				continue;
			buf[i] = realloc(buf[i], len[i] + 65536);
			k = read(fd[i], buf[i] + len[i], 65536);
			if (k > 0)
				len[i] += (size_t)k;
			if (k == 0) {
				close(fd[i]);
				fd[i] = -1;
				open--;
			}
		}
	}
}

static void capture_steps(void)
{
	struct evloop *loop = evloop_new();
	uint8_t *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int fd[2] = { -1, -1 };
	struct json_object *show = json_object_new_object();
	struct stream a, b;
	int64_t ida, idb;

	capture_init(loop);
	atomic_store(&rp(P2)->room, UINT32_MAX);
	atomic_store(&rp(P1)->refuse_len, 0);
	ida = cap_start("{\"ports\":[{\"port\":\"p0\",\"name\":\"a:0\"},{\"port\":\"p1\",\"name\":\"b:0\"}]}",
			"both", NULL, &fd[0]);
	idb = cap_start("{\"ports\":[{\"port\":\"p0\",\"name\":\"a:0\"}]}", "out", "ether dst 02:00:00:00:00:0b",
			&fd[1]);
	ok(ida > 0 && idb > 0, "two captures started (%ld, %ld)", (long)ida, (long)idb);
	capture_show(show);
	ok(json_object_array_length(json_object_object_get(show, "captures")) == 2, "show-captures lists both");
	json_object_put(show);
	inject(P0, 0x0b, 0x0a, 60, 5);   /* p0 out 5, p1 in 5 */
	settle();
	inject(P1, 0x0a, 0x0b, 64, 3);   /* p1 out 3, p0 in 3 */
	settle();
	inject(P0, 0x0c, 0x0a, 1400, 2); /* p0 out 2 (to p2) */
	settle();
	ok(cap_stop(ida) == 0 && cap_stop(idb) == 0, "both stopped");
	pump(loop, fd, buf, len, 2);
	ok(fd[0] < 0 && fd[1] < 0, "both streams ended (EOF after the ISBs)");
	parse_stream(buf[0], len[0], &a);
	parse_stream(buf[1], len[1], &b);
	ok(a.whole && a.idbs == 2 && a.epbs == 18 && a.isbs == 2, "capture a: 2 IDBs, 18 EPBs, 2 ISBs (%u, %u, %u)",
	   a.idbs, a.epbs, a.isbs);
	ok(a.dir[0][2] == 7 && a.dir[0][1] == 3 && a.dir[1][1] == 5 && a.dir[1][2] == 3,
	   "a:0 outbound 7 inbound 3, b:0 inbound 5 outbound 3 (%u %u %u %u)", a.dir[0][2], a.dir[0][1], a.dir[1][1],
	   a.dir[1][2]);
	ok(a.ordered && a.near_now, "timestamps in order and within 5 s of the clock");
	ok(a.isb_recv[0] == 10 && a.isb_accept[0] == 10 && a.isb_drop[0] == 0 && a.isb_recv[1] == 8,
	   "ISBs: a:0 seen 10, accepted 10, dropped 0; b:0 seen 8");
	ok(b.whole && b.epbs == 5 && b.dir[0][2] == 5 && b.isb_recv[0] == 7 && b.isb_accept[0] == 5,
	   "filter 'ether dst 02:00:00:00:00:0b' on p0 out: 5 of 7 kept (epbs %u, seen %lu, accepted %lu)", b.epbs,
	   (unsigned long)b.isb_recv[0], (unsigned long)b.isb_accept[0]);
	ok(rte_mempool_lookup("vnl_cap1s") == NULL && rte_ring_lookup("vnl_cap1w0") == NULL,
	   "the capture's pools and rings are freed");
	free(buf[0]);
	free(buf[1]);

	/* Offload frames: out is what the port received (the TSO frame whole),
	 * in what the port was given (p2 has no TSO: 3 segments). */
	buf[0] = NULL;
	len[0] = 0;
	ida = cap_start("{\"ports\":[{\"port\":\"p0\"},{\"port\":\"p2\"}]}", "both", NULL, &fd[0]);
	inject_tso(P0, 0x0c, 0x0a, 1500, 500);
	settle();
	ok(ida > 0 && cap_stop(ida) == 0, "a capture of p0 and p2 around a TSO frame");
	fd[1] = -1;
	pump(loop, fd, buf, len, 1);
	parse_stream(buf[0], len[0], &a);
	ok(a.whole && a.epbs == 4 && a.dir[0][2] == 1 && a.dir[1][1] == 3 && a.bytes[0] == 1500 &&
	   a.bytes[1] == 3 * 54 + 1446, "TSO: p0 out one 1500-byte frame, p2 in 3 segments (%u EPBs, %lu + %lu bytes)",
	   a.epbs, (unsigned long)a.bytes[0], (unsigned long)a.bytes[1]);
	free(buf[0]);

	/* Chains beyond the large pool's 9216 bytes: whole, except that the
	 * copy's last segment keeps 24 bytes for the EPB's tail. p0 out sees
	 * them (the LAN then drops them as oversize). */
	buf[0] = NULL;
	len[0] = 0;
	ida = cap_start("{\"ports\":[{\"port\":\"p0\"}]}", "out", NULL, &fd[0]);
	inject_chain(P0, 0x0b, 0x0a, 30000);           /* last segment 2352: whole */
	inject_chain(P0, 0x0b, 0x0a, 2 * 9216);        /* last segment full: 24 less */
	inject_chain(P0, 0x0b, 0x0a, 3 * 9216 + 9200); /* 8 over the limit: 8 less */
	settle();
	ok(ida > 0 && cap_stop(ida) == 0, "a capture of chained frames");
	pump(loop, fd, buf, len, 1);
	parse_stream(buf[0], len[0], &a);
	ok(a.whole && a.epbs == 3 && a.caplen[0] == 30000 && a.origlen[0] == 30000 && a.caplen[1] == 2 * 9216 - 24 &&
	   a.origlen[1] == 2 * 9216 && a.caplen[2] == 3 * 9216 + 9192 && a.origlen[2] == 3 * 9216 + 9200,
	   "chains: caplen/len %u/%u %u/%u %u/%u", a.caplen[0], a.origlen[0], a.caplen[1], a.origlen[1], a.caplen[2],
	   a.origlen[2]);
	free(buf[0]);

	/* The in tap copies exactly the frames the port took (port.h: they
	 * are pkts[0..sent), the refused ones after them), not the refused
	 * one in the middle of the burst nor beyond the last one taken. */
	{
		static const uint16_t lens[] = { 60, 62, 61, 63, 64 };
		uint64_t refused = pc(P1, PC_drop_tx_refused);

		buf[0] = NULL;
		len[0] = 0;
		atomic_store(&rp(P1)->refuse_len, 61);
		ida = cap_start("{\"ports\":[{\"port\":\"p1\"}]}", "in", NULL, &fd[0]);
		inject_burst(P0, 0x0b, 0x0a, lens, RTE_DIM(lens));
		settle();
		ok(ida > 0 && cap_stop(ida) == 0, "an in capture of p1, which refuses 61-byte frames");
		pump(loop, fd, buf, len, 1);
		parse_stream(buf[0], len[0], &a);
		ok(pc(P1, PC_drop_tx_refused) == refused + 1 && a.whole && a.epbs == 4 && a.caplen[0] == 60 &&
		   a.caplen[1] == 62 && a.caplen[2] == 63 && a.caplen[3] == 64 && a.isb_recv[0] == 4,
		   "burst 60 62 61 63 64, 61 refused: the capture holds 60 62 63 64 (%u EPBs: %u %u %u %u, seen %lu)",
		   a.epbs, a.caplen[0], a.caplen[1], a.caplen[2], a.caplen[3], (unsigned long)a.isb_recv[0]);
		atomic_store(&rp(P1)->refuse_len, 0);
		free(buf[0]);
	}
	capture_init(NULL);
	evloop_free(loop);
}

/* ---- demultiplexing (an underlay's rx and its vxlan ports) ---- */

/* Where LAN lan's MAC 02:00:00:00:00:xx is, by fdb_walk_entries. */
struct where {
	uint16_t lan;
	unsigned n;          /* entries of the LAN */
	uint16_t port[256];  /* by the MAC's last byte; VNL_PORT_NONE: absent */
	uint16_t remote[256];
};

static int where_cb(const struct fdb_rec *r, void *arg)
{
	struct where *wh = arg;
	uint8_t b[6];

	if (r->lan != wh->lan)
		return 0;
	fdb_mac_bytes(r->mac, b);
	wh->n++;
	wh->port[b[5]] = r->port;
	wh->remote[b[5]] = r->remote;
	return 0;
}

static void fdb_where(uint16_t lan, struct where *wh)
{
	wh->lan = lan;
	wh->n = 0;
	for (unsigned i = 0; i < 256; i++)
		wh->port[i] = VNL_PORT_NONE;
	fdb_walk_entries(reg.fdb, where_cb, wh);
}

/* dm stands for an underlay, x1..x3 for its vxlan ports (x3 in no LAN),
 * q for a plain port of their LAN V. MACs: a 0x21, b 0x22, c 0x23, d 0x24
 * behind remotes, q's node 0x31. */
static void demux_steps(const struct lan *v)
{
	const uint16_t x1 = ports[X1]->slot, x2 = ports[X2]->slot, x3 = ports[X3]->slot;
	const struct snapshot *snap = snapshot_current();
	unsigned dm_polled = 0, rxless_polled = 0;
	struct where wh;

	for (unsigned w = 0; w < snap->nb_workers; w++)
		for (uint16_t i = 0; i < snap->worker[w].nb_rx; i++) {
			uint16_t in = snap->worker[w].rx[i];

			dm_polled += in == ports[DM]->slot;
			rxless_polled += in == x1 || in == x2 || in == x3;
		}
	ok(dm_polled == 1 && rxless_polled == 0 && snap->port[ports[DM]->slot].demux && !snap->port[x1].demux,
	   "poll lists: dm once, the rx-less ports never; snap_port.demux on dm only");
	ok(reg_port_worker(ports[X1]) == reg_port_worker(ports[DM]) &&
	   reg_port_worker(ports[DM]) == ports[DM]->slot % snap->nb_workers,
	   "a rx-less port's worker is its demultiplexer's (%u)", reg_port_worker(ports[X1]));

	/* One burst, four runs: (x1, 3) x3, (x1, 4) x2, (x2, 0), (x1, 3). */
	{
		const struct stamp st[] = {
			{ x1, 3, 0x21, 0xff }, { x1, 3, 0x21, 0xff }, { x1, 3, 0x21, 0xff }, { x1, 4, 0x22, 0xff },
			{ x1, 4, 0x22, 0xff }, { x2, 0, 0x23, 0xff }, { x1, 3, 0x21, 0xff },
		};

		inject_dmx(st, RTE_DIM(st));
		settle();
	}
	fdb_where(v->slot, &wh);
	ok(pc(X1, PC_rx_packets) == 6 && pc(X2, PC_rx_packets) == 1 && pc(DM, PC_rx_packets) == 0 &&
	   pc(X1, PC_rx_bytes) == 360, "runs: x1 received 6, x2 1, dm none itself (%lu, %lu, %lu)",
	   (unsigned long)pc(X1, PC_rx_packets), (unsigned long)pc(X2, PC_rx_packets),
	   (unsigned long)pc(DM, PC_rx_packets));
	ok(lc(v, LC_learned) == 3 && lc(v, LC_moved) == 0 && lc(v, LC_flooded) == 7,
	   "runs: learned 3, moved 0, flooded 7 (%lu, %lu, %lu)", (unsigned long)lc(v, LC_learned),
	   (unsigned long)lc(v, LC_moved), (unsigned long)lc(v, LC_flooded));
	ok(wh.n == 3 && wh.port[0x21] == x1 && wh.remote[0x21] == 3 && wh.port[0x22] == x1 && wh.remote[0x22] == 4 &&
	   wh.port[0x23] == x2 && wh.remote[0x23] == 0,
	   "MACs learned with their remote: a x1/3, b x1/4, c x2/0 (a %u/%u, b %u/%u, c %u/%u)", wh.port[0x21],
	   wh.remote[0x21], wh.port[0x22], wh.remote[0x22], wh.port[0x23], wh.remote[0x23]);
	ok(rp(Q)->got == 7 && rp(X2)->got == 6 && rp(X1)->got == 1,
	   "floods: q 7, x2 6 (from x1), x1 1 (from x2), never back to x1 (%lu, %lu, %lu)",
	   (unsigned long)rp(Q)->got, (unsigned long)rp(X2)->got, (unsigned long)rp(X1)->got);

	/* Unicast to a remote's MAC; from one remote to another of the same
	 * port: split horizon (the destination is the ingress port). */
	inject(Q, 0x21, 0x31, 60, 2);
	{
		const struct stamp st[] = { { x2, 0, 0x23, 0x22 }, { x1, 4, 0x22, 0x21 } };

		inject_dmx(st, RTE_DIM(st));
	}
	settle();
	ok(rp(X1)->got == 4 && lc(v, LC_forwarded) == 3 && pc(X1, PC_drop_dst_is_src) == 1,
	   "unicast to x1's MACs: x1 got 3 more, forwarded 3; b -> a (both behind x1): drop_dst_is_src 1 "
	   "(%lu, %lu, %lu)", (unsigned long)rp(X1)->got, (unsigned long)lc(v, LC_forwarded),
	   (unsigned long)pc(X1, PC_drop_dst_is_src));

	/* a moves to another remote of x1, then to x2, within one burst. */
	{
		const struct stamp st[] = { { x1, 4, 0x21, 0x31 }, { x2, 7, 0x21, 0x31 } };

		inject_dmx(st, RTE_DIM(st));
		settle();
	}
	fdb_where(v->slot, &wh);
	ok(lc(v, LC_moved) == 2 && lc(v, LC_learned) == 4 && wh.port[0x21] == x2 && wh.remote[0x21] == 7 &&
	   rp(Q)->got == 9, "a moved x1/3 -> x1/4 -> x2/7: moved 2 (%lu), now %u/%u, q got 2 more",
	   (unsigned long)lc(v, LC_moved), wh.port[0x21], wh.remote[0x21]);

	/* Stamps naming no port of the snapshot (a free slot, past the
	 * slots), and a rx-less port in no LAN. */
	{
		const struct stamp st[] = { { 1000, 0, 0x21, 0xff }, { 0xffff, 0, 0x21, 0xff }, { x3, 0, 0x24, 0xff },
					    { x3, 0, 0x24, 0xff } };

		inject_dmx(st, RTE_DIM(st));
		settle();
	}
	ok(pc(DM, PC_drop_no_lan) == 2 && pc(X3, PC_rx_packets) == 2 && pc(X3, PC_drop_no_lan) == 2 &&
	   lc(v, LC_learned) == 4, "no such port: drop_no_lan 2 on dm; x3 in no LAN: received 2, drop_no_lan 2");

	/* A capture of x1 (both directions) runs on the demultiplexed frames. */
	{
		const struct stamp st[] = { { x1, 3, 0x24, 0xff }, { x1, 3, 0x24, 0xff }, { x2, 0, 0x23, 0xff } };
		struct evloop *loop = evloop_new();
		uint8_t *buf[1] = { NULL };
		size_t len[1] = { 0 };
		int fd[1] = { -1 };
		struct stream a;
		int64_t id;

		capture_init(loop);
		id = cap_start("{\"ports\":[{\"port\":\"x1\"}]}", "both", NULL, &fd[0]);
		inject_dmx(st, RTE_DIM(st));
		settle();
		ok(id > 0 && cap_stop(id) == 0, "a capture of x1 around a demultiplexed burst");
		pump(loop, fd, buf, len, 1);
		parse_stream(buf[0], len[0], &a);
		ok(a.whole && a.epbs == 3 && a.dir[0][2] == 2 && a.dir[0][1] == 1,
		   "x1's capture: out 2 (its remote's frames), in 1 (x2's flood) (%u EPBs: out %u, in %u)", a.epbs,
		   a.dir[0][2], a.dir[0][1]);
		free(buf[0]);
		capture_init(NULL);
		evloop_free(loop);
	}

	ok(pc(X1, PC_rx_packets) == 10 && pc(X2, PC_rx_packets) == 4 && pc(Q, PC_rx_packets) == 2 &&
	   pc(DM, PC_rx_packets) == 0, "rx: x1 10, x2 4, q 2, dm 0 (%lu, %lu, %lu, %lu)",
	   (unsigned long)pc(X1, PC_rx_packets), (unsigned long)pc(X2, PC_rx_packets),
	   (unsigned long)pc(Q, PC_rx_packets), (unsigned long)pc(DM, PC_rx_packets));
	ok(pc(X1, PC_tx_packets) == 5 && pc(X2, PC_tx_packets) == 8 && pc(Q, PC_tx_packets) == 12 &&
	   rp(X1)->got == 5 && rp(X2)->got == 8 && rp(Q)->got == 12, "tx: x1 5, x2 8, q 12 (%lu, %lu, %lu)",
	   (unsigned long)pc(X1, PC_tx_packets), (unsigned long)pc(X2, PC_tx_packets),
	   (unsigned long)pc(Q, PC_tx_packets));
	ok(lc(v, LC_learned) == 5 && lc(v, LC_moved) == 2 && lc(v, LC_flooded) == 10 && lc(v, LC_forwarded) == 5 &&
	   lc(v, LC_unknown_unicast) == 0, "LAN V: learned 5, moved 2, flooded 10, forwarded 5 (%lu %lu %lu %lu)",
	   (unsigned long)lc(v, LC_learned), (unsigned long)lc(v, LC_moved), (unsigned long)lc(v, LC_flooded),
	   (unsigned long)lc(v, LC_forwarded));
}

/* The EAL's runtime folder of this process (its multi-process socket): the
 * EAL leaves it behind. */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

int main(int argc, char **argv)
{
	unsigned nw = argc > 1 ? (unsigned)atoi(argv[1]) : 1, lcores[VNL_MAX_WORKERS];
	const struct worker_params params = { .busy_poll = false, .idle_after_us = 200, .sleep_max_us = 500 };
	char lc_arg[64], prefix[32], rundir[PATH_MAX], *eal[16];
	struct vnl_err err = { 0, "" };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned cpu = cpus > 1 ? 1 : 0;
	int n = 0, r;
	struct lan *l, *v;

	if (nw < 1 || nw > 4) {
		printf("Bail out! workers: 1 to 4\n");
		return 1;
	}
	/* Worker lcores 1..nw share one CPU (the second, if there is one). */
	r = snprintf(lc_arg, sizeof(lc_arg), "0@0");
	for (unsigned w = 0; w < nw; w++) {
		lcores[w] = w + 1;
		r += snprintf(lc_arg + r, sizeof(lc_arg) - (size_t)r, ",%u@%u", w + 1, cpu);
	}
	snprintf(prefix, sizeof(prefix), "vnl-wtest-%d", (int)getpid());
	eal[n++] = argv[0];
	eal[n++] = "--no-huge";
	eal[n++] = "-m";
	eal[n++] = "128";
	eal[n++] = "--no-shconf";
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--no-pci";
	eal[n++] = "--log-level=3";
	eal[n++] = "--lcores";
	eal[n++] = lc_arg;
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0) {
		printf("1..0 # SKIP DPDK's EAL does not start here: %s\n", rte_strerror(rte_errno));
		return 0;
	}
	vnl_pktmbuf_pool = rte_pktmbuf_pool_create("t_mbufs", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (vnl_pktmbuf_pool == NULL || snapshot_init(nw) < 0 || workers_init(nw, lcores, &params) < 0 ||
	    ol_init(vnl_pktmbuf_pool, SOCKET_ID_ANY) < 0 || reg_init(nw, vnl_max_frame, 300, 4096) < 0 ||
	    reg_lan_add("L", 0, &l, &err) < 0 || reg_lan_add("V", 0, &v, &err) < 0) {
		printf("Bail out! set-up: %s\n", err.msg[0] ? err.msg : rte_strerror(rte_errno));
		return 1;
	}
	/* Slots 0..9: with two workers, p0, p2, p4, dm (6) and the rx-less
	 * ports' frames are worker 0's, p1, p3 and q (5) worker 1's. */
	ports[P0] = add_port("p0", l);
	ports[P1] = add_port("p1", l);
	ports[P2] = add_port("p2", l);
	ports[P3] = add_port("p3", NULL);
	ports[P4] = add_port("p4", l);
	atomic_store(&ports[P4]->up, false);
	ports[Q] = add_port("q", v);
	ports[DM] = add_port_kind("dm", "tap", NULL);
	ports[X1] = add_port_kind("x1", "afxdp", v);
	ports[X2] = add_port_kind("x2", "afxdp", v);
	ports[X3] = add_port_kind("x3", "afxdp", NULL);
	ok(workers_launch() == 0, "%u worker(s) launched on lcores %s", nw, lc_arg);

	inject(P3, 0xff, 0x0d, 60, 5);
	settle();
	ok(pc(P3, PC_rx_packets) == 5 && pc(P3, PC_drop_no_lan) == 5, "no LAN: 5 received, 5 drop_no_lan (%lu)",
	   (unsigned long)pc(P3, PC_drop_no_lan));

	inject(P0, 0x0b, 0x0a, 10, 2);
	inject(P0, 0x0b, 0x0a, vnl_max_frame + 1, 3);
	settle();
	ok(pc(P0, PC_drop_runt) == 2, "10-byte frames: drop_runt 2 (%lu)", (unsigned long)pc(P0, PC_drop_runt));
	ok(pc(P0, PC_drop_oversize) == 3, "%u-byte frames: drop_oversize 3 (%lu)", vnl_max_frame + 1,
	   (unsigned long)pc(P0, PC_drop_oversize));
	ok(lc(l, LC_learned) == 0 && rp(P1)->got == 0, "dropped frames taught nothing and went nowhere");

	inject(P0, 0xff, 0x0a, 60, 4);
	settle();
	ok(lc(l, LC_flooded) == 4 && lc(l, LC_learned) == 1, "broadcast: flooded 4, learned 1 (%lu, %lu)",
	   (unsigned long)lc(l, LC_flooded), (unsigned long)lc(l, LC_learned));
	ok(rp(P1)->got == 4 && rp(P2)->got == 4 && pc(P1, PC_tx_packets) == 4 && pc(P2, PC_tx_packets) == 4 &&
	   pc(P2, PC_tx_bytes) == 240, "broadcast: p1 and p2 got 4 each, tx counted");
	ok(rp(P0)->got == 0 && pc(P0, PC_tx_packets) == 0, "broadcast: not back to its source");
	ok(pc(P4, PC_drop_link_down) == 4 && pc(P4, PC_tx_packets) == 0, "broadcast: port down, drop_link_down 4 (%lu)",
	   (unsigned long)pc(P4, PC_drop_link_down));

	inject(P1, 0x0a, 0x0b, 60, 6);
	settle();
	ok(lc(l, LC_forwarded) == 6 && lc(l, LC_learned) == 2, "known unicast: forwarded 6, learned 2 (%lu, %lu)",
	   (unsigned long)lc(l, LC_forwarded), (unsigned long)lc(l, LC_learned));
	ok(rp(P0)->got == 6 && rp(P0)->last_dst == 0x0a && rp(P2)->got == 4 && pc(P4, PC_drop_link_down) == 4,
	   "known unicast: all 6 to p0 only");

	inject(P0, 0x0d, 0x0a, 60, 2);
	settle();
	ok(lc(l, LC_unknown_unicast) == 2 && lc(l, LC_flooded) == 6, "unknown unicast: 2, flooded (%lu, %lu)",
	   (unsigned long)lc(l, LC_unknown_unicast), (unsigned long)lc(l, LC_flooded));
	ok(rp(P1)->got == 6 && rp(P2)->got == 6 && pc(P4, PC_drop_link_down) == 6, "unknown unicast: to p1, p2; p4 down");

	inject(P0, 0x0a, 0x0a, 60, 3);
	settle();
	ok(pc(P0, PC_drop_dst_is_src) == 3 && rp(P0)->got == 6, "destination on the ingress port: drop_dst_is_src 3 (%lu)",
	   (unsigned long)pc(P0, PC_drop_dst_is_src));

	inject(P2, 0xff, 0x0c, 60, 1);
	settle();
	atomic_store(&rp(P2)->room, 2);
	inject(P1, 0x0c, 0x0b, 60, 7);
	settle();
	ok(lc(l, LC_forwarded) == 13 && rp(P2)->got == 8 && pc(P2, PC_tx_packets) == 8,
	   "p2 takes 2 of 7: forwarded 13, p2 got 8 (%lu)", (unsigned long)rp(P2)->got);
	ok(pc(P2, PC_drop_tx_full) == 5, "p2 full: drop_tx_full 5 (%lu)", (unsigned long)pc(P2, PC_drop_tx_full));

	atomic_store(&rp(P0)->nombuf, 9);
	for (int t = 0; t < 2000 && pc(P0, PC_drop_rx_nombuf) != 9; t++)
		usleep(1000);
	ok(pc(P0, PC_drop_rx_nombuf) == 9, "rx out of mbufs: drop_rx_nombuf 9 (%lu)",
	   (unsigned long)pc(P0, PC_drop_rx_nombuf));

	/* Offload frames (offload.h): the egress port's tx_ol decides. A
	 * 1500-byte TSO frame with MSS 500 is 3 segments (1446 payload bytes). */
	atomic_store(&rp(P2)->room, UINT32_MAX);
	inject_tso(P0, 0x0b, 0x0a, 1500, 500);
	settle();
	ok(rp(P1)->got == 7 + 3 && pc(P1, PC_tx_gso_frames) == 1 && pc(P1, PC_tx_gso_segments) == 3 &&
	   pc(P1, PC_tx_csum_sw) == 3 && !(rp(P1)->ol_seen & VNL_TX_OL_ANY),
	   "TSO frame to a port without offloads: 3 complete segments (got %lu, tx_gso_segments %lu)",
	   (unsigned long)rp(P1)->got, (unsigned long)pc(P1, PC_tx_gso_segments));
	ok(pc(P1, PC_tx_packets) == 10 && pc(P1, PC_tx_bytes) == 7 * 60 + 3 * 54 + 1446,
	   "segments counted in tx_packets and tx_bytes (%lu)", (unsigned long)pc(P1, PC_tx_bytes));
	atomic_store_explicit(&ports[P1]->tx_ol, PORT_OL_CSUM | PORT_OL_TSO4, memory_order_release);
	inject_tso(P0, 0x0b, 0x0a, 1500, 500);
	settle();
	ok(rp(P1)->got == 11 && pc(P1, PC_tx_gso_frames) == 1 && (rp(P1)->ol_seen & RTE_MBUF_F_TX_TCP_SEG),
	   "TSO frame to a TSO4 port: passed through whole (got %lu)", (unsigned long)rp(P1)->got);
	/* Flood: p1 takes TSO, p2 does not, p4 is down (no segmenting for it). */
	inject_tso(P0, 0x0e, 0x0a, 1500, 500);
	settle();
	ok(rp(P1)->got == 12 && rp(P2)->got == 8 + 3 && pc(P2, PC_tx_gso_segments) == 3 &&
	   !(rp(P2)->ol_seen & VNL_TX_OL_ANY) && pc(P4, PC_drop_link_down) == 8 && pc(P4, PC_tx_gso_frames) == 0,
	   "flooded TSO frame: p1 whole, p2 3 segments, p4 down: link_down 1 (p2 got %lu)",
	   (unsigned long)rp(P2)->got);
	ok(pc(P0, PC_drop_gso) + pc(P1, PC_drop_gso) + pc(P2, PC_drop_gso) == 0, "no drop_gso");
	/* A port read as down with caps 0 (a vhost peer connecting: caps and up
	 * not yet stored) is never handed a frame that needs the caps it lacks. */
	ok(rp(P4)->given_down == 7 && !(rp(P4)->ol_seen_down & VNL_TX_OL_ANY),
	   "down port without caps: tx() given the 7 plain frames only (%lu, ol_flags 0x%lx)",
	   (unsigned long)rp(P4)->given_down, (unsigned long)rp(P4)->ol_seen_down);

	/* A frame the peer refuses (tap: EINVAL) is skipped, the burst goes on. */
	atomic_store(&rp(P1)->refuse_len, 61);
	{
		uint64_t got = rp(P1)->got, tx = pc(P1, PC_tx_packets), full = pc(P1, PC_drop_tx_full);

		inject(P0, 0x0b, 0x0a, 60, 2);
		inject(P0, 0x0b, 0x0a, 61, 1);
		inject(P0, 0x0b, 0x0a, 60, 2);
		settle();
		ok(rp(P1)->got == got + 4 && pc(P1, PC_tx_packets) == tx + 4 && pc(P1, PC_drop_tx_refused) == 1 &&
		   pc(P1, PC_drop_tx_full) == full && pc(P1, PC_drop_link_down) == 0,
		   "refused frame: drop_tx_refused 1, the 4 others sent (got %lu, refused %lu, tx_full %lu)",
		   (unsigned long)(rp(P1)->got - got), (unsigned long)pc(P1, PC_drop_tx_refused),
		   (unsigned long)(pc(P1, PC_drop_tx_full) - full));
	}

	capture_steps();
	demux_steps(v);

	{
		uint64_t total = 0, rx = 0, v[CC_MAX];
		unsigned busy = 0;

		for (unsigned w = 0; w < nw; w++) {
			stats_core_read(w, v);
			total += v[CC_packets];
			busy += v[CC_packets] > 0 && v[CC_busy_cycles] > 0;
		}
		for (int i = 0; i < NB_P; i++)
			rx += pc(i, PC_rx_packets);
		/* dm's own drops are the frames no port received. */
		ok(total == injected && rx + pc(DM, PC_drop_no_lan) == injected,
		   "workers processed all %lu frames (%lu, rx %lu)", (unsigned long)injected, (unsigned long)total,
		   (unsigned long)rx);
		ok(busy == nw, "every worker moved frames (%u of %u)", busy, nw);
	}
	ok(rte_mempool_in_use_count(vnl_pktmbuf_pool) == 0 && rte_mempool_in_use_count(ol_indirect_pool()) == 0,
	   "no mbuf left behind (%u in use, %u indirect)", rte_mempool_in_use_count(vnl_pktmbuf_pool),
	   rte_mempool_in_use_count(ol_indirect_pool()));

	workers_fini();
	reg_fini();
	snapshot_fini();
	ol_fini();
	rte_mempool_free(vnl_pktmbuf_pool);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_dir(rundir);
	return tap_done();
}
