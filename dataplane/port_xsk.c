/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * afxdp ports: an AF_XDP socket (xsk.h) on queue 0 of a host interface
 * (normally the host end of a veth pair), with libxdp's default redirect
 * program: every frame of the queue goes to the switch. veth only does copy
 * mode, so frames are copied between umem and mbufs (one copy each way in
 * the switch, one in the kernel).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "port.h"
#include "xsk.h"

/* A program left attached by a crashed switch would make the socket fail.
 * Decision: an interface handed to the switch as a port belongs to it (the
 * registry refuses a second port on the same interface), so any XDP program
 * found on it at port-add is stale and removed. */
static void afxdp_detach_stale(unsigned ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);

	if (mp != NULL && libxdp_get_error(mp) == 0) {
		xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
	bpf_xdp_detach((int)ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach((int)ifindex, XDP_FLAGS_SKB_MODE, NULL);
}

static int afxdp_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	unsigned ifindex;
	const char *iface;
	struct xsk *x;
	int r;

	r = port_arg_string(req, "iface", true, &iface, err);
	if (r < 0)
		return r;
	r = port_iface_up(iface, &ifindex, err);
	if (r < 0)
		return r;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	xsk_lib_log();
	afxdp_detach_stale(ifindex);
	r = xsk_open(x, iface, ifindex, 0, XSK_PROG_DEFAULT, err);
	if (r < 0) {
		free(x);
		return r;
	}
	p->priv = x;
	p->backend = "af_xdp";
	atomic_store(&p->up, true);
	return 0;
}

static void afxdp_close(struct port *p)
{
	struct xsk *x = p->priv;

	if (x == NULL)
		return;
	xsk_close(x);
	free(x);
	p->priv = NULL;
}

static uint16_t afxdp_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct xsk *x = p->priv;
	uint32_t idx, got;
	uint16_t nb = 0;

	got = xsk_rx_peek(x, n, &idx);
	if (got == 0) {
		/* Idle: send what a kick left in the tx ring (the device was busy). */
		xsk_tx_idle_kick(x);
		return 0;
	}
	if (unlikely(rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, pkts, got) != 0)) {
		ps->v[PC_drop_rx_nombuf] += got;
		xsk_rx_done(x, idx, got);
		return 0;
	}
	for (uint32_t i = 0; i < got; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *data;
		uint32_t len;

		data = xsk_rx_frame(x, idx + i, &len);
		/* nb <= i: pkts[i] is read before a later frame overwrites it */
		if (likely(xsk_copy_in(vnl_pktmbuf_pool, m, data, len) == 0)) {
			pkts[nb++] = m;
		} else {
			rte_pktmbuf_free(m);
			ps->v[PC_drop_rx_nombuf]++;
		}
	}
	xsk_rx_done(x, idx, got);
	return nb;
}

/* Refuses no frame (port.h): ps stays untouched. */
static uint16_t afxdp_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps __rte_unused)
{
	struct xsk *x = p->priv;
	uint32_t idx, k;

	xsk_tx_reclaim(x);
	k = xsk_tx_reserve(x, n, &idx);
	for (uint32_t i = 0; i < k; i++) {
		const struct rte_mbuf *m = pkts[i];
		uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), x->frame_size);
		uint8_t *dst = xsk_tx_frame(x, idx + i, len);

		if (m->nb_segs == 1)
			rte_memcpy(dst, rte_pktmbuf_mtod(m, void *), len);
		else
			rte_pktmbuf_read(m, 0, len, dst);
	}
	if (k)
		xsk_tx_submit(x, k);
	xsk_tx_kick(x);
	return (uint16_t)k;
}

static void afxdp_show(const struct port *p, struct json_object *o)
{
	const struct xsk *x = p->priv;

	json_object_object_add(o, "iface", json_object_new_string(x->iface));
	json_object_object_add(o, "status", json_object_new_string(
		x->native ? "af_xdp on queue 0, driver mode, copy" : "af_xdp on queue 0, generic mode, copy"));
}

const struct port_ops port_xsk_ops = {
	.kind = "afxdp",
	.open = afxdp_open,
	.close = afxdp_close,
	.rx = afxdp_rx,
	.tx = afxdp_tx,
	.show = afxdp_show,
};
