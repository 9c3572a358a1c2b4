/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VXLAN underlay (underlay.h): open and close in its netns, the
 * steering program, the keys and their reserved sockets, the VNI table, rx
 * with decap, show.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <rte_cycles.h>

#include "dp_log.h"
#include "netns.h"
#include "nl.h"
#include "port_vxlan.h"
#include "registry.h"
#include "snapshot.h"
#include "underlay.h"
#include "vx_gro.h"

/* The steering program, built by meson and embedded (bin2c.py). */
extern const unsigned char vxlan_steer_obj[];
extern const size_t vxlan_steer_obj_len;

static struct underlay *underlays;

/* ---- opening, inside the underlay's netns (netns_call) ---- */

struct ul_call {
	struct underlay *ul;
	struct vnl_err *err;
	int family;                /* underlay_has_addr */
	const uint8_t *addr;
};

/* Rx queues of the interface (ETHTOOL_GCHANNELS; none: one); *combined:
 * whether they are combined channels (NICs) or rx ones (veth). */
static unsigned ul_rx_queues(int fd, const char *iface, bool *combined)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = (void *)&ch;
	*combined = false;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || ch.rx_count + ch.combined_count == 0)
		return 1;
	*combined = ch.combined_count > 0;
	return ch.rx_count + ch.combined_count;
}

/* Index, MAC, MTU, link state and queue count of ul->iface. */
static int ul_read_iface(struct underlay *ul, struct vnl_err *err)
{
	struct ifreq ifr = { 0 };
	bool combined;
	int fd, r = 0;

	ul->ifindex = if_nametoindex(ul->iface);
	if (ul->ifindex == 0)
		return vnl_errf(err, -ENODEV, "no interface named '%s'%s%s", ul->iface,
				ul->netns[0] ? " in " : "", ul->netns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vnl_errno(err, errno, "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ul->iface);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		r = vnl_errno(err, errno, "cannot read the MAC of '%s'", ul->iface);
		goto out;
	}
	memcpy(ul->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		r = vnl_errno(err, errno, "cannot read the MTU of '%s'", ul->iface);
		goto out;
	}
	ul->mtu = (unsigned)ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING))
		atomic_store(&ul->port->up, true);
	ul->nb_queues = ul_rx_queues(fd, ul->iface, &combined);
	if (ul->nb_queues > UL_QUEUES_MAX)
		r = vnl_errf(err, -EINVAL, "interface '%s' has %u rx queues, an underlay takes at most %d: "
			     "ethtool -L %s %s %d", ul->iface, ul->nb_queues, UL_QUEUES_MAX, ul->iface,
			     combined ? "combined" : "rx", UL_QUEUES_MAX);
out:
	close(fd);
	return r;
}

/* Remove copies of our program a switch that did not stop left on the
 * interface (by name: never another program). */
static void ul_detach_stale(struct underlay *ul)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ul->ifindex);
	unsigned removed = 0;

	if (mp == NULL || libxdp_get_error(mp) != 0)
		return;
	if (xdp_multiprog__is_legacy(mp)) {
		struct xdp_program *prog = xdp_multiprog__main_prog(mp);

		if (prog != NULL && strcmp(xdp_program__name(prog), VXS_PROG_NAME) == 0)
			removed += xdp_multiprog__detach(mp) == 0;
	} else {
		for (struct xdp_program *prog = xdp_multiprog__next_prog(NULL, mp); prog != NULL;
		     prog = xdp_multiprog__next_prog(prog, mp))
			if (strcmp(xdp_program__name(prog), VXS_PROG_NAME) == 0)
				removed += xdp_program__detach(prog, (int)ul->ifindex,
							       xdp_multiprog__attach_mode(mp), 0) == 0;
	}
	xdp_multiprog__close(mp);
	if (removed)
		LOG(NOTICE, port, "%s: removed %u stale %s program(s) (left by a switch that did not stop cleanly)",
		    ul->name, removed, VXS_PROG_NAME);
}

/* Load the embedded program and attach it, driver mode first. */
static int ul_attach_prog(struct underlay *ul, struct vnl_err *err)
{
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = VXS_PROG_NAME);
	struct bpf_object *obj;
	int r;

	obj = bpf_object__open_mem(vxlan_steer_obj, vxlan_steer_obj_len, &opts);
	if (obj == NULL || libbpf_get_error(obj) != 0)
		return vnl_errf(err, -EINVAL, "cannot open the embedded steering program");
	ul->prog = xdp_program__from_bpf_obj(obj, "xdp");
	if (ul->prog == NULL || libxdp_get_error(ul->prog) != 0) {
		ul->prog = NULL;
		bpf_object__close(obj);
		return vnl_errf(err, -EINVAL, "cannot read the embedded steering program");
	}
	ul->obj = obj;
	ul->prog_native = true;
	r = xdp_program__attach(ul->prog, (int)ul->ifindex, XDP_MODE_NATIVE, 0);
	if (r < 0) {
		ul->prog_native = false;
		r = xdp_program__attach(ul->prog, (int)ul->ifindex, XDP_MODE_SKB, 0);
	}
	if (r < 0)
		return vnl_errf(err, -EOPNOTSUPP, "cannot attach the steering XDP program to '%s': %s", ul->iface,
				strerror(-r));
	ul->prog_attached = true;
	ul->map_keys = bpf_object__find_map_fd_by_name(obj, VXS_MAP_KEYS);
	ul->map_xsks = bpf_object__find_map_fd_by_name(obj, VXS_MAP_XSKS);
	ul->map_stats = bpf_object__find_map_fd_by_name(obj, VXS_MAP_STATS);
	if (ul->map_keys < 0 || ul->map_xsks < 0 || ul->map_stats < 0)
		return vnl_errf(err, -EINVAL, "the steering program has no map %s, %s or %s", VXS_MAP_KEYS,
				VXS_MAP_XSKS, VXS_MAP_STATS);
	return 0;
}

/* The sockets first, one per rx queue (they fail without touching programs
 * when another process's socket holds a queue), then our program, then the
 * map. On failure the caller's ul_release closes what was opened. */
static int ul_open_in_ns(void *arg)
{
	struct ul_call *c = arg;
	struct underlay *ul = c->ul;
	int r;

	r = ul_read_iface(ul, c->err);
	for (unsigned q = 0; r == 0 && q < ul->nb_queues; q++) {
		r = xsk_open(&ul->xsk[q], ul->iface, ul->ifindex, q, XSK_PROG_NONE, c->err);
		if (r < 0 && ul->nb_queues > 1)
			vnl_err_wrap(c->err, "rx queue %u", q);
	}
	if (r < 0)
		return r;
	ul_detach_stale(ul);
	r = ul_attach_prog(ul, c->err);
	for (unsigned q = 0; r == 0 && q < ul->nb_queues; q++) {
		r = xsk_socket__update_xskmap(ul->xsk[q].sock, ul->map_xsks);
		if (r < 0)
			return vnl_errf(c->err, r, "cannot put the AF_XDP socket of '%s' queue %u in the steering map: %s",
					ul->iface, q, strerror(-r));
	}
	return r;
}

/* Detach our program (netlink: inside the netns). */
static int ul_detach_in_ns(void *arg)
{
	struct underlay *ul = ((struct ul_call *)arg)->ul;

	if (ul->prog_attached)
		xdp_program__detach(ul->prog, (int)ul->ifindex, ul->prog_native ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
	ul->prog_attached = false;
	return 0;
}

/* Everything the underlay holds on the host: program, sockets, keys. Idempotent. */
static void ul_release(struct underlay *ul)
{
	struct ul_call c = { .ul = ul };

	for (unsigned i = 0; i < ul->nb_keys; i++) {
		if (ul->keys[i].fd >= 0)
			close(ul->keys[i].fd);
		ul->keys[i].fd = -1;
	}
	if (ul->prog_attached && netns_call(ul->netns_fd, ul_detach_in_ns, &c, NULL) < 0)
		LOG(WARNING, port, "%s: cannot enter its netns to detach the steering program, ignoring", ul->name);
	for (unsigned i = 0; i < UL_QUEUES_MAX; i++)
		xsk_close(&ul->xsk[i]);
	if (ul->prog != NULL)
		xdp_program__close(ul->prog);
	ul->prog = NULL;
	if (ul->obj != NULL)
		bpf_object__close(ul->obj);
	ul->obj = NULL;
	ul->map_keys = ul->map_xsks = ul->map_stats = -1;
}

static void ul_free(struct underlay *ul)
{
	for (struct underlay **pp = &underlays; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ul) {
			*pp = ul->next;
			break;
		}
	free(atomic_load(&ul->vnis));
	free(ul->spare);
	if (ul->netns_fd >= 0)
		close(ul->netns_fd);
	free(ul);
}

/* Delete the underlay's port from the registry: publishes, then closes it
 * (ul_release; ul_free when no vxlan port holds it any more, so the name
 * is passed as a copy). */
static void ul_port_del(struct underlay *ul)
{
	char name[VNL_NAME_MAX];

	snprintf(name, sizeof(name), "%s", ul->name);
	reg_port_del(name, NULL);
}

/* ---- the underlay port (kind "underlay", name "@...") ---- */

static int underlay_port_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	(void)p, (void)req;
	return vnl_errf(err, -EINVAL, "underlay ports are made by vxlan ports");
}

/* Once no worker polls it: release the host side. The object lives on
 * while vxlan ports hold references (reg_fini closes ports in slot order). */
static void underlay_port_close(struct port *p)
{
	struct underlay *ul = p->priv;

	ul_release(ul);
	ul->port = NULL;
	if (ul->refs == 0)
		ul_free(ul);
}

/* The remote of vx whose address (of family) is src: its index, or -1. */
static inline int ul_remote_find(const struct vx_remotes *t, int family, const uint8_t *src)
{
	size_t alen = family == AF_INET6 ? 16 : 4;

	for (unsigned i = 0; i < t->n; i++)
		if (memcmp(t->r[i].addr, src, alen) == 0)
			return t->r[i].index;
	return -1;
}

/* Counters of port slot d in the array ps (this worker's counters of the
 * underlay) is part of: worker.c passes &w->stats->port[p->slot]. */
static inline struct port_stats *ul_stats_of(struct port_stats *ps, const struct port *p, uint16_t d)
{
	return ps - p->slot + d;
}

/* Decapsulate what waits on socket x, at most n frames, into pkts: the
 * frames for the worker (underlay_rx's contract), their count returned. */
static inline uint16_t ul_rx_queue(struct port *p, struct xsk *x, struct rte_mbuf **pkts, uint16_t n,
				   struct port_stats *ps, uint16_t *read)
{
	struct underlay *ul = p->priv;
	const struct ul_vni_table *t;
	const struct vx_port *last_vx = NULL;
	const uint8_t *last_src = NULL;
	int last_idx = -1;
	uint32_t idx, got;
	uint16_t nb = 0;
	bool tcp = false; /* a frame may be a TCP segment: vx_gro */
	uint64_t t0;
	unsigned w;

	got = xsk_rx_peek(x, n, &idx);
	if (got == 0)
		return 0;
	*read = (uint16_t)(*read + got);
	t0 = rte_rdtsc();
	if (unlikely(rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, pkts, got) != 0)) {
		ps->v[PC_drop_rx_nombuf] += got;
		xsk_rx_done(x, idx, got);
		return 0;
	}
	t = atomic_load_explicit(&ul->vnis, memory_order_acquire);
	w = vx_worker();
	for (uint32_t i = 0; i < got; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct vx_remotes *rt;
		struct vx_remote_stats *rs;
		const struct ul_vni *e;
		struct vx_pkt pk;
		const uint8_t *f;
		uint32_t len;
		int ri;

		f = xsk_rx_frame(x, idx + i, &len);
		switch (vx_parse(f, len, &pk)) {
		case VX_OK:
			break;
		case VX_FLAGS:
			ps->v[PC_drop_vx_flags]++;
			goto drop;
		case VX_IP_CSUM:
			ps->v[PC_drop_vx_csum]++;
			goto drop;
		default:
			ps->v[PC_drop_vx_short]++;
			goto drop;
		}
		/* PACKET_HOST only, as the kernel's ip_rcv: a unicast to another
		 * MAC is seen in promiscuous mode (a bridge, tcpdump); a broadcast
		 * or multicast MAC never carries VXLAN to our unicast local address
		 * (checked with the VNI below). ul->mac follows the link (neigh.c,
		 * control thread): a frame racing a MAC change may be dropped. */
		if (unlikely(memcmp(f, ul->mac, 6) != 0)) {
			ps->v[PC_drop_vx_not_host]++;
			goto drop;
		}
		if (unlikely(pk.family == AF_INET6 && !vx_udp6_ok(f, &pk))) {
			ps->v[PC_drop_vx_csum]++;
			goto drop;
		}
		e = t != NULL ? ul_vni_find(t, pk.vni) : NULL;
		if (unlikely(e == NULL || e->vx->family != pk.family || e->vx->dstport != pk.dport ||
			     memcmp(e->vx->local, pk.dst, pk.family == AF_INET6 ? 16 : 4) != 0)) {
			ps->v[PC_drop_vx_vni]++;
			goto drop;
		}
		/* One-entry cache: a burst usually comes from one remote. */
		if (e->vx != last_vx || memcmp(last_src, pk.src, pk.family == AF_INET6 ? 16 : 4) != 0) {
			rt = vx_remotes_get(e->vx);
			last_idx = rt != NULL ? ul_remote_find(rt, pk.family, pk.src) : -1;
			last_vx = e->vx;
			last_src = pk.src;
		}
		ri = last_idx;
		if (unlikely(ri < 0)) {
			ul_stats_of(ps, p, e->slot)->v[PC_drop_vx_remote]++;
			goto drop;
		}
		if (unlikely(xsk_copy_in(vnl_pktmbuf_pool, m, f + pk.inner_off, pk.inner_len) != 0)) {
			ps->v[PC_drop_rx_nombuf]++;
			goto drop;
		}
		m->port = e->slot;
		m->hash.usr = (uint32_t)ri;
		rs = &e->vx->st[w][ri];
		rs->v[VXR_rx_packets]++;
		rs->v[VXR_rx_bytes] += pk.inner_len;
		rs->last_rx = t0;
		tcp |= vx_gro_hint(f + pk.inner_off, pk.inner_len);
		/* nb <= i: pkts[i] is read before a later frame overwrites it */
		pkts[nb++] = m;
		continue;
drop:
		rte_pktmbuf_free(m);
	}
	xsk_rx_done(x, idx, got);
	ps->v[PC_vx_decap_cycles] += rte_rdtsc() - t0;
	/* One branch per burst when no frame is TCP (64 B UDP rates). */
	if (unlikely(tcp) && nb > 1)
		nb = vx_gro(pkts, nb, ps);
	return nb;
}

static uint16_t underlay_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct underlay *ul = p->priv;
	unsigned q = ul->rx_next;
	uint16_t nb = 0, read = 0;

	/* Round robin: each queue once at most, until n frames were read
	 * (not delivered: decap drops and GRO merges free slots, which must
	 * not let one call read 8 bursts); the first queue moves on by one
	 * per call, so a flooded queue cannot keep another one's share. nb
	 * <= read: the next queue's frames fit in pkts[nb..nb + n - read). */
	for (unsigned k = 0; k < ul->nb_queues && read < n; k++) {
		nb += ul_rx_queue(p, &ul->xsk[q], pkts + nb, (uint16_t)(n - read), ps, &read);
		q = q + 1 == ul->nb_queues ? 0 : q + 1;
	}
	if (ul->nb_queues > 1)
		ul->rx_next = ul->rx_next + 1 == ul->nb_queues ? 0 : ul->rx_next + 1;
	if (nb == 0)  /* idle: send what a kick left in the tx ring (the device was busy) */
		xsk_tx_idle_kick(&ul->xsk[UL_TXQ]);
	return nb;
}

#define UL_KERNEL_RX_MAX 64 /* datagrams read per reserved socket per tick */

/* Control tick: what the kernel delivered to the reserved sockets (fragments
 * the program passed, reassembled) is read and counted (rx_via_kernel); the
 * tx ring is kicked if descriptors wait there (with no worker polling). */
static void underlay_port_tick(struct port *p)
{
	struct underlay *ul = p->priv;
	char buf[64];

	if (ul->xsk[UL_TXQ].fd >= 0)
		xsk_tx_idle_kick(&ul->xsk[UL_TXQ]);
	/* Bounded: a sender refilling the socket from softirq must not keep the
	 * control thread here (what is left waits for the next tick, or is
	 * dropped by the kernel when the 4 KiB buffer is full). */
	for (unsigned i = 0; i < ul->nb_keys; i++)
		for (unsigned k = 0; k < UL_KERNEL_RX_MAX && ul->keys[i].fd >= 0 &&
				     recv(ul->keys[i].fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0; k++)
			ul->rx_via_kernel++;
}

/* Never a tx destination (in no LAN): takes nothing. */
static uint16_t underlay_port_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	(void)p, (void)pkts, (void)n, (void)ps;
	return 0;
}

static const char *ul_addr_str(int family, const uint8_t *addr, char *buf, size_t size)
{
	return inet_ntop(family, addr, buf, (socklen_t)size) ? buf : "?";
}

/* Per AF_XDP socket: its queue, the frames the kernel put on its rx ring
 * (the ring's producer index: 32 bits, wraps) and the kernel's drop counts
 * (XDP_STATISTICS). Read here, on the control thread: the worker counts
 * nothing per queue. */
static struct json_object *ul_sockets_show(const struct underlay *ul)
{
	struct json_object *a = json_object_new_array();

	for (unsigned q = 0; q < ul->nb_queues && q < UL_QUEUES_MAX; q++) {
		const struct xsk *x = &ul->xsk[q];
		struct xdp_statistics st = { 0 };
		socklen_t len = sizeof(st);
		struct json_object *s;

		if (x->fd < 0)
			continue;
		s = json_object_new_object();
		json_object_object_add(s, "queue", json_object_new_int((int)q));
		json_object_object_add(s, "rx_frames",
				       json_object_new_int64(__atomic_load_n(x->rx.producer, __ATOMIC_ACQUIRE)));
		if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
			json_object_object_add(s, "rx_dropped", json_object_new_int64((int64_t)st.rx_dropped));
			json_object_object_add(s, "rx_ring_full", json_object_new_int64((int64_t)st.rx_ring_full));
			json_object_object_add(s, "rx_fill_ring_empty",
					       json_object_new_int64((int64_t)st.rx_fill_ring_empty_descs));
		}
		json_object_array_add(a, s);
	}
	return a;
}

static void underlay_port_show(const struct port *p, struct json_object *o)
{
	const struct underlay *ul = p->priv;
	const struct ul_vni_table *t = atomic_load(&ul->vnis);
	struct json_object *keys = json_object_new_array(), *vnis = json_object_new_array(), *xdp;
	int ncpu = libbpf_num_possible_cpus();
	char buf[INET6_ADDRSTRLEN + 8], mac[18];

	json_object_object_add(o, "iface", json_object_new_string(ul->iface));
	json_object_object_add(o, "netns", ul->netns[0] ? json_object_new_string(ul->netns) : NULL);
	json_object_object_add(o, "ifindex", json_object_new_int((int)ul->ifindex));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ul->mac[0], ul->mac[1], ul->mac[2], ul->mac[3],
		 ul->mac[4], ul->mac[5]);
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "mtu", json_object_new_int((int)ul->mtu));
	json_object_object_add(o, "queues", json_object_new_int((int)ul->nb_queues));
	json_object_object_add(o, "sockets", ul_sockets_show(ul));
	xdp = json_object_new_object();
	json_object_object_add(xdp, "mode", json_object_new_string(ul->prog_native ? "driver" : "generic"));
	json_object_object_add(xdp, "program", json_object_new_string(VXS_PROG_NAME));
	json_object_object_add(xdp, "id", json_object_new_int64(ul->prog ? xdp_program__id(ul->prog) : 0));
	if (ul->map_stats >= 0 && ncpu > 0) {
		uint64_t v[ncpu], sum[VXS_STATS] = { 0 };

		for (uint32_t k = 0; k < VXS_STATS; k++)
			if (bpf_map_lookup_elem(ul->map_stats, &k, v) == 0)
				for (int c = 0; c < ncpu; c++)
					sum[k] += v[c];
		json_object_object_add(xdp, "steered", json_object_new_int64((int64_t)sum[VXS_STEERED]));
		json_object_object_add(xdp, "frag_passed", json_object_new_int64((int64_t)sum[VXS_FRAG_PASSED]));
	}
	json_object_object_add(o, "xdp", xdp);
	for (unsigned i = 0; i < ul->nb_keys; i++) {
		char a[INET6_ADDRSTRLEN];

		ul_addr_str(ul->keys[i].family, ul->keys[i].k.addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), ul->keys[i].family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
			 ntohs(ul->keys[i].k.port));
		json_object_array_add(keys, json_object_new_string(buf));
	}
	json_object_object_add(o, "keys", keys);
	for (unsigned i = 0; t != NULL && i < UL_VNI_BUCKETS; i++) {
		struct json_object *v;

		if (t->e[i].vx == NULL)
			continue;
		v = json_object_new_object();
		json_object_object_add(v, "vni", json_object_new_int64(t->e[i].vni));
		json_object_object_add(v, "port", json_object_new_string(t->e[i].vx->port->name));
		json_object_array_add(vnis, v);
	}
	json_object_object_add(o, "vnis", vnis);
	json_object_object_add(o, "rx_via_kernel", json_object_new_int64((int64_t)ul->rx_via_kernel));
	json_object_object_add(o, "neigh_rescans", json_object_new_int64((int64_t)ul->neigh_rescans));
}

const struct port_ops port_underlay_ops = {
	.kind = "underlay",
	.open = underlay_port_open,
	.close = underlay_port_close,
	.rx = underlay_rx,
	.tx = underlay_port_tx,
	.show = underlay_port_show,
	.tick = underlay_port_tick,
};

/* ---- control thread API ---- */

/* The namespace's identity: fd of the path (kept in *fd), or our own (-1). */
static int ul_netns_id(const char *netns, int *fd, struct stat *st, struct vnl_err *err)
{
	*fd = -1;
	if (netns == NULL)
		return stat("/proc/self/ns/net", st) < 0 ? vnl_errno(err, errno, "cannot read our netns") : 0;
	*fd = open(netns, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return vnl_errno(err, errno, "cannot open netns '%s'", netns);
	if (fstat(*fd, st) < 0) {
		int r = vnl_errno(err, errno, "cannot read netns '%s'", netns);

		close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

/* "@IFACE", or "@NETNS:IFACE" with NETNS the path's last part. */
static int ul_name(struct underlay *ul, const char *netns, struct vnl_err *err)
{
	const char *base = netns ? strrchr(netns, '/') : NULL;
	int n;

	base = base ? base + 1 : netns;
	n = netns ? snprintf(ul->name, sizeof(ul->name), "@%s:%s", base, ul->iface)
		  : snprintf(ul->name, sizeof(ul->name), "@%s", ul->iface);
	if (n < 0 || (size_t)n >= sizeof(ul->name))
		return vnl_errf(err, -EINVAL, "underlay name '@%s%s%s' is longer than %d characters", netns ? base : "",
				netns ? ":" : "", ul->iface, VNL_NAME_MAX - 1);
	if (reg_port_find(ul->name) != NULL)
		return vnl_errf(err, -EEXIST, "port '%s' exists already (another netns of that name?)", ul->name);
	return 0;
}

/* 1 when st (ul_netns_id) is the switch's own netns. */
static bool ul_ns_is_own(const struct stat *st)
{
	struct stat own;

	return stat("/proc/self/ns/net", &own) == 0 && own.st_dev == st->st_dev && own.st_ino == st->st_ino;
}

static int ul_open(struct underlay *ul, const char *netns, uint16_t busy, struct vnl_err *err)
{
	struct ul_call c = { .ul = ul, .err = err };
	struct port *p;
	int r;

	r = ul_name(ul, netns, err);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", ul->name);
	/* registry.c's one-user-per-interface check: an underlay in our own
	 * netns holds IFACE as an afxdp port would; one elsewhere holds
	 * "NETNS:IFACE" (ul->name without the '@'). */
	snprintf(p->attach, sizeof(p->attach), "%s",
		 ul_ns_is_own(&(struct stat){ .st_dev = ul->ns_dev, .st_ino = ul->ns_ino }) ? ul->iface : ul->name + 1);
	p->kind = "underlay";
	p->backend = "af_xdp";
	p->ops = &port_underlay_ops;
	p->priv = ul;
	p->demux = true;
	r = reg_port_insert(p, busy, err);
	if (r < 0) {
		free(p);
		return r;
	}
	ul->port = p;
	r = netns_call(ul->netns_fd, ul_open_in_ns, &c, err);
	if (r < 0) {
		vnl_err_wrap(err, "underlay %s", ul->name);
		ul_port_del(ul);
		return r;
	}
	LOG(INFO, port, "underlay %s: ifindex %u, mtu %u, %u rx queue(s), steering program in %s mode", ul->name,
	    ul->ifindex, ul->mtu, ul->nb_queues, ul->prog_native ? "driver" : "generic");
	return 0;
}

/* The afxdp port on iface (always in our own netns), or NULL. */
static const struct port *ul_afxdp_on(const char *iface)
{
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		const struct port *q = reg.ports[i];

		if (q != NULL && strcmp(q->kind, "afxdp") == 0 && strcmp(q->attach, iface) == 0)
			return q;
	}
	return NULL;
}

int underlay_get(const char *netns, const char *iface, uint16_t busy, struct underlay **out,
		 struct vnl_err *err)
{
	struct underlay *ul;
	struct stat st;
	int fd, r;

	if (netns != NULL && strlen(netns) >= UL_NETNS_MAX)
		return vnl_errf(err, -EINVAL, "netns path is longer than %d characters", UL_NETNS_MAX - 1);
	r = nl_ifname_check(iface, err);
	if (r < 0)
		return r;
	r = ul_netns_id(netns, &fd, &st, err);
	if (r < 0)
		return r;
	if (ul_ns_is_own(&st)) {
		const struct port *q = ul_afxdp_on(iface);

		if (q != NULL) {
			if (fd >= 0)
				close(fd);
			return vnl_errf(err, -EBUSY, "interface '%s' is used by afxdp port '%s'", iface, q->name);
		}
	}
	for (ul = underlays; ul != NULL; ul = ul->next) {
		if (ul->ns_dev == st.st_dev && ul->ns_ino == st.st_ino && strcmp(ul->iface, iface) == 0 &&
		    ul->port != NULL) {
			if (fd >= 0)
				close(fd);
			ul->refs++;
			*out = ul;
			return 0;
		}
	}
	ul = calloc(1, sizeof(*ul));
	if (ul == NULL) {
		if (fd >= 0)
			close(fd);
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	snprintf(ul->netns, sizeof(ul->netns), "%s", netns ? netns : "");
	snprintf(ul->iface, sizeof(ul->iface), "%s", iface);
	ul->netns_fd = fd;
	ul->ns_dev = st.st_dev;
	ul->ns_ino = st.st_ino;
	ul->map_keys = ul->map_xsks = ul->map_stats = -1;
	for (unsigned i = 0; i < UL_QUEUES_MAX; i++)
		ul->xsk[i].fd = -1;
	rte_spinlock_init(&ul->txl);
	ul->refs = 1;
	ul->next = underlays;
	underlays = ul;
	r = ul_open(ul, netns, busy, err);
	if (r < 0) {
		ul->refs = 0;
		if (ul->port == NULL)
			ul_free(ul); /* else the port's close freed it */
		return r;
	}
	*out = ul;
	return 0;
}

void underlay_put(struct underlay *ul)
{
	if (--ul->refs > 0)
		return;
	if (ul->port != NULL)
		ul_port_del(ul);
	else
		ul_free(ul);
}

static int ul_has_addr_in_ns(void *arg)
{
	struct ul_call *c = arg;
	size_t alen = c->family == AF_INET6 ? 16 : 4;
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa) < 0)
		return vnl_errno(c->err, errno, "cannot list the addresses of '%s'", c->ul->iface);
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		const void *a;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != c->family || strcmp(i->ifa_name, c->ul->iface) != 0)
			continue;
		a = c->family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr
					  : (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		found = memcmp(a, c->addr, alen) == 0;
	}
	freeifaddrs(ifa);
	return found;
}

int underlay_has_addr(struct underlay *ul, int family, const uint8_t addr[16], struct vnl_err *err)
{
	struct ul_call c = { .ul = ul, .err = err, .family = family, .addr = addr };

	return netns_call(ul->netns_fd, ul_has_addr_in_ns, &c, err);
}

static void ul_key_make(struct vxs_key *k, int family, const uint8_t local[16], uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = family == AF_INET6 ? VXS_FAM_IPV6 : VXS_FAM_IPV4;
	k->port = htons(port);
	memcpy(k->addr, local, family == AF_INET6 ? 16 : 4);
}

static struct ul_key *ul_key_find(struct underlay *ul, const struct vxs_key *k)
{
	for (unsigned i = 0; i < ul->nb_keys; i++)
		if (memcmp(&ul->keys[i].k, k, sizeof(*k)) == 0)
			return &ul->keys[i];
	return NULL;
}

/* The kernel socket that reserves (local, port): bound, non-blocking, small. */
static int ul_reserve(struct underlay *ul, int family, const uint8_t local[16], uint16_t port, struct vnl_err *err)
{
	struct sockaddr_storage ss = { 0 };
	char a[INET6_ADDRSTRLEN];
	int fd, one = 1, rcvbuf = 4096;
	socklen_t len;

	fd = netns_socket(ul->netns_fd, family, SOCK_DGRAM | SOCK_NONBLOCK, 0, err);
	if (fd < 0)
		return fd;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, local, 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, local, 4);
		len = sizeof(*s4);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		ul_addr_str(family, local, a, sizeof(a));
		if (e == EADDRINUSE)
			return vnl_errf(err, -EADDRINUSE, "UDP port %u on %s is in use on the host (a kernel vxlan device?)",
					port, a);
		if (e == EADDRNOTAVAIL)
			return vnl_errf(err, -EADDRNOTAVAIL, "%s is not a usable address of the host (IPv6: tentative?)", a);
		return vnl_errno(err, e, "cannot reserve UDP port %u on %s", port, a);
	}
	return fd;
}

int underlay_key_add(struct underlay *ul, int family, const uint8_t local[16], uint16_t port,
		     struct vnl_err *err)
{
	struct ul_key *k;
	struct vxs_key key;
	uint32_t one = 1;
	int fd, r;

	ul_key_make(&key, family, local, port);
	k = ul_key_find(ul, &key);
	if (k != NULL) {
		k->refs++;
		return 0;
	}
	if (ul->nb_keys == VXS_KEYS_MAX)
		return vnl_errf(err, -ENOSPC, "underlay %s steers %d (address, port) pairs already", ul->name,
				VXS_KEYS_MAX);
	fd = ul_reserve(ul, family, local, port, err);
	if (fd < 0)
		return fd;
	r = bpf_map_update_elem(ul->map_keys, &key, &one, BPF_ANY);
	if (r < 0) {
		close(fd);
		return vnl_errf(err, r, "cannot add a key to the steering map of %s: %s", ul->name, strerror(-r));
	}
	k = &ul->keys[ul->nb_keys++];
	k->k = key;
	k->family = family;
	k->refs = 1;
	k->fd = fd;
	return 0;
}

void underlay_key_del(struct underlay *ul, int family, const uint8_t local[16], uint16_t port)
{
	struct vxs_key key;
	struct ul_key *k;

	ul_key_make(&key, family, local, port);
	k = ul_key_find(ul, &key);
	if (k == NULL || --k->refs > 0)
		return;
	if (ul->map_keys >= 0)
		bpf_map_delete_elem(ul->map_keys, &key);
	if (k->fd >= 0)
		close(k->fd);
	*k = ul->keys[--ul->nb_keys];
}

/* Publish t as the VNI table; once no worker sees the old one it becomes
 * the spare (or is freed). */
static void ul_vnis_publish(struct underlay *ul, struct ul_vni_table *t)
{
	struct ul_vni_table *old = atomic_exchange_explicit(&ul->vnis, t, memory_order_acq_rel);

	if (old == NULL)
		return;
	snapshot_wait_readers();
	if (ul->spare == NULL)
		ul->spare = old;
	else
		free(old);
}

/* Insert into t (not full). */
static void ul_vni_insert(struct ul_vni_table *t, uint32_t vni, uint16_t slot, struct vx_port *vx)
{
	unsigned i = ul_vni_hash(vni);

	while (t->e[i].vx != NULL)
		i = (i + 1) % UL_VNI_BUCKETS;
	t->e[i] = (struct ul_vni){ .vni = vni, .slot = slot, .vx = vx };
	t->n++;
}

int underlay_vni_add(struct underlay *ul, uint32_t vni, uint16_t slot, struct vx_port *vx,
		     struct vnl_err *err)
{
	const struct ul_vni_table *cur = atomic_load(&ul->vnis);
	const struct ul_vni *e = cur ? ul_vni_find(cur, vni) : NULL;
	struct ul_vni_table *t;

	if (e != NULL)
		return vnl_errf(err, -EEXIST, "VNI %u is used by port '%s' on %s", vni, e->vx->port->name, ul->name);
	if (cur != NULL && cur->n >= UL_VNIS_MAX)
		return vnl_errf(err, -ENOSPC, "underlay %s carries %d VNIs already", ul->name, UL_VNIS_MAX);
	if (ul->spare == NULL)
		ul->spare = malloc(sizeof(*ul->spare));
	t = malloc(sizeof(*t));
	if (t == NULL || ul->spare == NULL) {
		free(t);
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	if (cur != NULL)
		memcpy(t, cur, sizeof(*t));
	else
		memset(t, 0, sizeof(*t));
	ul_vni_insert(t, vni, slot, vx);
	ul_vnis_publish(ul, t);
	return 0;
}

void underlay_vni_del(struct underlay *ul, uint32_t vni)
{
	const struct ul_vni_table *cur = atomic_load(&ul->vnis);
	struct ul_vni_table *t = ul->spare;

	if (cur == NULL || ul_vni_find(cur, vni) == NULL)
		return;
	/* Rebuilt rather than patched (open addressing), in the spare that
	 * underlay_vni_add made sure of: never fails. */
	ul->spare = NULL;
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < UL_VNI_BUCKETS; i++)
		if (cur->e[i].vx != NULL && cur->e[i].vni != vni)
			ul_vni_insert(t, cur->e[i].vni, cur->e[i].slot, cur->e[i].vx);
	ul_vnis_publish(ul, t);
}

