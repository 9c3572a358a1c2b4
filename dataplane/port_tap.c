/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tap ports: the switch end of a persistent tap `iface` that lives inside a
 * node's netns (made by the node's kind, or by `ip tuntap add ... vnet_hdr`).
 * port-add attaches (opens an fd: the device gets carrier), port-del closes
 * it (NO-CARRIER, the device stays). See common/tuntap.h.
 *
 * One frame per syscall, each preceded by a 10-byte struct virtio_net_hdr:
 * rx readv()s [hdr, stash mbufs...] up to a burst of reads per poll until
 * EAGAIN, tx writev()s [hdr, segments...] (a frame the kernel refuses with
 * EINVAL is skipped and counted drop_tx_refused). Frames longer than one
 * mbuf arrive as a chain and leave from one.
 *
 * Offloads (offload.h): unless port-add "offload": false, the fd is set to
 * TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4, so the node's stack hands us partial
 * checksums and TCP/IPv4 frames up to 64 KiB whole (read room 65557 bytes,
 * 33 buffers); ol_from_vnet() turns the header into the switch's state (a
 * header the frame contradicts: drop, counted drop_offload_bad), and tx
 * writes ol_to_vnet()'s header, so tx_ol is CSUM|TSO4 (the kernel takes any
 * GSO/NEEDS_CSUM write). With "offload": false: TUNSETOFFLOAD 0 (the kernel
 * segments and checksums before our reads), tx_ol 0, read room the longest
 * frame of any LAN (vnl_max_frame).
 * TSO6 stays off both ways (no TCP/IPv6 segmenter for other egress kinds).
 *
 * Rx buffers: fd_io.h's per-lcore stash. The worker calls rx only when
 * the fd is readable (rx_fd, worker.h): an idle tap costs no syscall.
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
#include <unistd.h>

#include <rte_ip.h>

#include "dp_log.h"
#include "fd_io.h"
#include "offload.h"
#include "port.h"
#include "tuntap.h"

struct tap_priv {
	char netns[96];           /* netns path as given ("" = the switch's own) */
	char iface[IF_NAMESIZE];  /* the tap's name inside netns */
	int fd;                   /* attached /dev/net/tun fd, non-blocking */
	bool ol_requested;        /* port-add "offload" (default true): TUNSETOFFLOAD csum,tso4 */
	uint16_t seg_room;        /* bytes one stash mbuf takes */
	uint16_t segs;            /* stash mbufs given to each read */
};

/* The form check of offload.h's state on what the kernel hands us, made on
 * one frame per poll (the first partial TCP/IPv4 checksum): its field holds
 * rte_ipv4_phdr_cksum(ip, 0). Counts rx_phdr_other (never drops). */
static inline void tap_phdr_check(const struct rte_mbuf *m, struct port_stats *ps)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	const uint16_t *field = rte_pktmbuf_mtod_offset(m, const uint16_t *,
							m->l2_len + m->l3_len + TCP_CSUM_OFF);

	ps->v[PC_rx_phdr_other] += *field != rte_ipv4_phdr_cksum(ip, 0);
}

/* What the port takes both ways: the same states rx asks the kernel for
 * (TUNSETOFFLOAD) and tx hands it (a tap takes any GSO/NEEDS_CSUM write). */
static uint8_t tap_caps(const struct tap_priv *t)
{
	return t->ol_requested ? PORT_OL_CSUM | PORT_OL_TSO4 : 0;
}

static int tap_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	const char *netns, *iface;
	struct tap_priv *t;
	uint32_t max_rx;
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
	/* With TSO a read may hold a whole 64 KiB frame. */
	max_rx = t->ol_requested ? VNL_GSO_MAX_FRAME : vnl_max_frame;
	t->seg_room = fd_io_room(vnl_pktmbuf_pool);
	t->segs = fd_io_segs(max_rx, t->seg_room);
	if (t->segs > FD_IO_SEGS_MAX) {
		r = vnl_errf(err, -EINVAL, "frames of %u bytes need more than %d buffers", max_rx,
			     FD_IO_SEGS_MAX);
		goto fail;
	}
	t->fd = tap_attach_at(netns, iface, t->ol_requested ? TAP_OL_CSUM | TAP_OL_TSO4 : 0, err);
	if (t->fd < 0) {
		r = t->fd;
		goto fail;
	}
	p->backend = "tap";
	port_set_up(p, tap_caps(t));
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

/* At most n reads per poll, whether their frames are kept or dropped: a
 * node flooding refused frames cannot hold the worker on one port. */
static uint16_t tap_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct tap_priv *t = p->priv;
	struct fd_io_stash *st = fd_io_stash();
	struct rte_mbuf *seg[FD_IO_SEGS_MAX];
	struct iovec iov[1 + FD_IO_SEGS_MAX];
	struct virtio_net_hdr h;
	uint16_t got = 0;
	bool checked = false;

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	for (uint16_t reads = 0; reads < n; reads++) {
		struct rte_mbuf *m;
		ssize_t r;

		if (unlikely(!fd_io_fill(st, vnl_pktmbuf_pool, t->segs, RTE_MAX(t->segs * 2, 64))))
			break; /* frames wait in the kernel until mbufs are back */
		fd_io_lend(st, seg, iov + 1, t->segs, t->seg_room);
		r = readv(t->fd, iov, 1 + t->segs);
		if (r < (ssize_t)sizeof(h)) {
			fd_io_unlend(st, seg, t->segs);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				atomic_store_explicit(&p->up, false, memory_order_relaxed);
			break;
		}
		m = fd_io_take(st, seg, t->segs, t->seg_room, (uint32_t)(r - (ssize_t)sizeof(h)));
		if (unlikely(h.flags != 0 || h.gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
			if (!ol_rx_done(m, ol_from_vnet(m, &h), ps))
				continue;
			if (!checked && (m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_L4_MASK)) ==
						(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM)) {
				tap_phdr_check(m, ps);
				checked = true;
			}
		}
		pkts[got++] = m;
	}
	if (got && unlikely(!atomic_load_explicit(&p->up, memory_order_relaxed)))
		atomic_store_explicit(&p->up, true, memory_order_relaxed);
	return got;
}

static uint16_t tap_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	static const struct virtio_net_hdr plain;
	struct tap_priv *t = p->priv;
	struct iovec iov[1 + FD_IO_SEGS_MAX];
	struct rte_mbuf *refused[VNL_BURST];
	struct virtio_net_hdr h;
	uint16_t i, sent = 0, nr = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int k;

		iov[0].iov_base = (void *)&plain;
		iov[0].iov_len = sizeof(plain);
		if (unlikely(m->ol_flags & VNL_TX_OL_ANY)) {
			ol_to_vnet(m, &h);
			iov[0].iov_base = &h;
		}
		k = fd_io_tx_iov(m, iov + 1, FD_IO_SEGS_MAX);
		if (unlikely(k < 0))
			break; /* a chain longer than any frame we make */
		if (unlikely(writev(t->fd, iov, 1 + k) < 0)) {
			if (errno == EINVAL && nr < RTE_DIM(refused)) { /* this frame: the next may pass */
				refused[nr++] = m;
				continue;
			}
			if (errno == EIO || errno == EBADFD)
				atomic_store_explicit(&p->up, false, memory_order_relaxed);
			break; /* EAGAIN: the rest count as drop_tx_full */
		}
		pkts[sent++] = m;
	}
	if (unlikely(nr)) { /* port.h: sent, then refused, then the rest */
		memcpy(&pkts[sent], refused, nr * sizeof(refused[0]));
		ps->v[PC_drop_tx_refused] += nr;
	}
	if (i && unlikely(!atomic_load_explicit(&p->up, memory_order_relaxed)))
		atomic_store_explicit(&p->up, true, memory_order_relaxed);
	return sent;
}

static int tap_rx_fd(const struct port *p)
{
	return ((const struct tap_priv *)p->priv)->fd;
}

static void tap_show(const struct port *p, struct json_object *o)
{
	const struct tap_priv *t = p->priv;
	uint64_t v[PC_MAX];

	json_object_object_add(o, "netns", json_object_new_string(t->netns));
	json_object_object_add(o, "iface", json_object_new_string(t->iface));
	port_show_offload(p, tap_caps(t), o);
	json_object_object_add(o, "offload_requested", json_object_new_boolean(t->ol_requested));
	stats_port_read(p, v);
	/* Also counters.rx_phdr_other; kept here for the tests that read it. */
	json_object_object_add(o, "phdr_other", json_object_new_int64((int64_t)v[PC_rx_phdr_other]));
	json_object_object_add(o, "status", json_object_new_string("tap fd, vnet_hdr 10 bytes"));
}

const struct port_ops port_tap_ops = {
	.kind = "tap",
	.open = tap_open,
	.close = tap_close,
	.rx = tap_rx,
	.tx = tap_tx,
	.show = tap_show,
	.rx_fd = tap_rx_fd,
};
