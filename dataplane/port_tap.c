/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tap ports: the switch end of a persistent tap `iface` that lives inside a
 * node's netns (made by the node's kind, or by `ip tuntap add ... vnet_hdr`).
 * port-add attaches (opens an fd: the device gets carrier), port-del closes
 * it (NO-CARRIER, the device stays). See common/tuntap.h.
 *
 * One frame per syscall, each preceded by a 10-byte struct virtio_net_hdr:
 * rx readv()s [hdr, stash mbufs...] up to a burst per poll until EAGAIN,
 * tx writev()s [hdr, segments...]. Frames longer than one mbuf arrive as a
 * chain and leave from one.
 *
 * Offloads: not wired yet. The fd is set to TUNSETOFFLOAD 0 (the kernel
 * completes checksums and segments before our reads) and every write carries
 * an all-zero header, so only plain frames cross. The two conversion points
 * are tap_ol_from_vnet() and tap_ol_to_vnet() below: they become calls of
 * ol_from_vnet()/ol_to_vnet() of dataplane/offload.h, and open() then sets
 * TAP_OL_CSUM|TAP_OL_TSO4 unless "offload": false.
 *
 * Rx buffers: a stash per lcore, not per port (1000 idle tap ports must not
 * pin mbufs): a read is only issued with room for the longest frame the port
 * may receive (tap truncates silently), else the frames wait in the kernel.
 *
 * Link: up after attach; EIO on write (eth<i> down inside the node) or
 * EIO/EBADFD on read (device deleted) set it down, so the worker counts
 * drop_link_down; the next good read or write sets it up again.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_per_lcore.h>

#include "dp_log.h"
#include "port.h"
#include "tuntap.h"

#define TAP_SEGS_MAX 40   /* mbufs per frame: 65553 B in 2 KiB segments is 33 */
#define TAP_STASH 64      /* per-lcore rx stash: room for one frame of TAP_SEGS_MAX and more */

struct tap_priv {
	char netns[96];           /* netns path as given ("" = the switch's own) */
	char iface[IF_NAMESIZE];  /* the tap's name inside netns */
	int fd;                   /* attached /dev/net/tun fd, non-blocking */
	unsigned ol;              /* TUNSETOFFLOAD flags in force (TAP_OL_*) */
	bool ol_requested;        /* port-add "offload" (default true) */
	uint16_t seg_room;        /* bytes one stash mbuf takes */
	uint16_t segs;            /* stash mbufs given to each read */
};

/* Rx buffers of one lcore, shared by the tap ports it polls; LIFO. */
struct tap_stash {
	uint16_t n;
	struct rte_mbuf *m[TAP_STASH];
};
static RTE_DEFINE_PER_LCORE(struct tap_stash, tap_stash);

/*
 * Hook for offload.c: turn a vnet header that asks for work (partial
 * checksum, GSO) into the switch's offload state of m. Until then such frames
 * cannot arrive (TUNSETOFFLOAD 0) and are dropped. 0 keep, <0 drop.
 */
static int tap_ol_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *h)
{
	(void)m;
	(void)h;
	return -EPROTO;
}

/* Hook for offload.c: the vnet header for a frame with offload state. Until
 * then no frame has any (tx_ol of tap ports is 0): a plain header. */
static void tap_ol_to_vnet(const struct rte_mbuf *m, struct virtio_net_hdr *h)
{
	(void)m;
	memset(h, 0, sizeof(*h));
}

static int tap_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	const char *netns, *iface;
	struct tap_priv *t;
	uint32_t room, max_rx;
	int r;

	if ((r = port_arg_string(req, "netns", false, &netns, err)) < 0 ||
	    (r = port_arg_string(req, "iface", true, &iface, err)) < 0)
		return r;
	if (netns != NULL && strlen(netns) >= sizeof(t->netns))
		return vnl_errf(err, -EINVAL, "netns path is longer than %zu characters",
				sizeof(t->netns) - 1);
	if (strlen(iface) >= IF_NAMESIZE)
		return vnl_errf(err, -EINVAL, "interface name '%s' is longer than %d characters", iface,
				IF_NAMESIZE - 1);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	p->priv = t;
	r = port_arg_bool(req, "offload", true, &t->ol_requested, err);
	if (r < 0)
		goto fail;
	snprintf(t->netns, sizeof(t->netns), "%s", netns ? netns : "");
	strcpy(t->iface, iface);
	room = rte_pktmbuf_data_room_size(vnl_pktmbuf_pool) - RTE_PKTMBUF_HEADROOM;
	max_rx = vnl_max_frame; /* 65553 once TSO4 is accepted */
	t->seg_room = (uint16_t)room;
	t->segs = (uint16_t)((max_rx + room - 1) / room);
	if (t->segs > TAP_SEGS_MAX) {
		r = vnl_errf(err, -EINVAL, "frames of %u bytes need more than %d buffers", max_rx,
			     TAP_SEGS_MAX);
		goto fail;
	}
	t->ol = 0; /* offload.c not wired yet: see the hooks above */
	t->fd = tap_attach_at(netns, iface, t->ol, err);
	if (t->fd < 0) {
		r = t->fd;
		goto fail;
	}
	if (t->ol_requested)
		snprintf(p->note, sizeof(p->note), "offloads not wired yet: plain frames only");
	p->backend = "tap";
	atomic_store(&p->up, true);
	return 0;
fail:
	free(t);
	p->priv = NULL;
	return r;
}

static void tap_close(struct port *p)
{
	struct tap_priv *t = p->priv;

	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	p->priv = NULL;
}

/* Top the stash up to full; false if it still holds fewer than need. */
static bool stash_refill(struct tap_stash *st, uint16_t need)
{
	if (rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, st->m + st->n, TAP_STASH - st->n) == 0)
		st->n = TAP_STASH;
	else if (rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, st->m + st->n, need - st->n) == 0)
		st->n = need;
	return st->n >= need;
}

/* Take the stash mbufs a read of len bytes filled (the top `segs` ones, in
 * iov order) and chain them. A truncated frame keeps its real pkt_len, more
 * than the chain holds: the bridge drops it as oversize. */
static struct rte_mbuf *stash_take(struct tap_stash *st, uint32_t len, uint16_t room, uint16_t segs)
{
	uint16_t k = len ? (uint16_t)RTE_MIN((len + room - 1) / room, segs) : 1;
	struct rte_mbuf *head = st->m[st->n - 1], *prev = NULL;
	uint32_t left = len;

	for (uint16_t j = 0; j < k; j++) {
		struct rte_mbuf *s = st->m[st->n - 1 - j];

		s->data_len = (uint16_t)RTE_MIN(left, room);
		left -= s->data_len;
		if (prev != NULL)
			prev->next = s;
		prev = s;
	}
	st->n -= k;
	head->nb_segs = k;
	head->pkt_len = len;
	return head;
}

static uint16_t tap_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	struct tap_priv *t = p->priv;
	struct tap_stash *st = &RTE_PER_LCORE(tap_stash);
	struct iovec iov[1 + TAP_SEGS_MAX];
	struct virtio_net_hdr h;
	uint16_t got = 0;

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	while (got < n) {
		struct rte_mbuf *m;
		ssize_t r;

		if (unlikely(st->n < t->segs) && !stash_refill(st, t->segs))
			break; /* frames wait in the kernel until mbufs are back */
		for (uint16_t j = 0; j < t->segs; j++) {
			iov[1 + j].iov_base = rte_pktmbuf_mtod(st->m[st->n - 1 - j], void *);
			iov[1 + j].iov_len = t->seg_room;
		}
		r = readv(t->fd, iov, 1 + t->segs);
		if (r < (ssize_t)sizeof(h)) {
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				atomic_store_explicit(&p->up, false, memory_order_relaxed);
			break;
		}
		m = stash_take(st, (uint32_t)(r - (ssize_t)sizeof(h)), t->seg_room, t->segs);
		if (unlikely(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM || h.gso_type != VIRTIO_NET_HDR_GSO_NONE) &&
		    tap_ol_from_vnet(m, &h) < 0) {
			rte_pktmbuf_free(m); /* to be counted as drop_offload_bad */
			continue;
		}
		pkts[got++] = m;
	}
	if (got && unlikely(!atomic_load_explicit(&p->up, memory_order_relaxed)))
		atomic_store_explicit(&p->up, true, memory_order_relaxed);
	return got;
}

static uint16_t tap_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	static const struct virtio_net_hdr plain;
	struct tap_priv *t = p->priv;
	struct iovec iov[1 + TAP_SEGS_MAX];
	struct virtio_net_hdr h;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *s = m;
		int k = 1;

		iov[0].iov_base = (void *)&plain;
		iov[0].iov_len = sizeof(plain);
		if (unlikely(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK))) {
			tap_ol_to_vnet(m, &h);
			iov[0].iov_base = &h;
		}
		for (; s != NULL && k <= TAP_SEGS_MAX; s = s->next, k++) {
			iov[k].iov_base = rte_pktmbuf_mtod(s, void *);
			iov[k].iov_len = s->data_len;
		}
		if (unlikely(s != NULL))
			break; /* a chain longer than any frame we make */
		if (unlikely(writev(t->fd, iov, k) < 0)) {
			if (errno == EIO || errno == EBADFD)
				atomic_store_explicit(&p->up, false, memory_order_relaxed);
			break;
		}
	}
	if (i && unlikely(!atomic_load_explicit(&p->up, memory_order_relaxed)))
		atomic_store_explicit(&p->up, true, memory_order_relaxed);
	return i;
}

static void tap_show(const struct port *p, struct json_object *o)
{
	const struct tap_priv *t = p->priv;
	char ol[32];

	snprintf(ol, sizeof(ol), "%s%s%s", t->ol & TAP_OL_CSUM ? "csum" : "",
		 t->ol & TAP_OL_TSO4 ? ",tso4" : "", t->ol & TAP_OL_TSO6 ? ",tso6" : "");
	json_object_object_add(o, "netns", json_object_new_string(t->netns));
	json_object_object_add(o, "iface", json_object_new_string(t->iface));
	json_object_object_add(o, "offload", json_object_new_string(t->ol ? ol : "none"));
	json_object_object_add(o, "offload_requested", json_object_new_boolean(t->ol_requested));
	json_object_object_add(o, "status", json_object_new_string("tap fd, vnet_hdr 10 bytes"));
}

const struct port_ops port_tap_ops = {
	.kind = "tap",
	.open = tap_open,
	.close = tap_close,
	.rx = tap_rx,
	.tx = tap_tx,
	.show = tap_show,
};
