/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * afxdp ports: an AF_XDP socket on queue 0 of a host interface (normally the
 * host end of a veth pair), with libxdp's default redirect program. veth only
 * does copy mode, so the umem is our own memory and frames are copied between
 * umem and mbufs (one copy each way in the switch, one in the kernel).
 *
 * The umem holds XSK_FRAMES frames: the first half circulate between the fill
 * and rx rings (rx side, touched only by rx()), the second half between a free
 * stack, the tx ring and the completion ring (tx side, touched only by tx()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <rte_memcpy.h>

#include "dp_log.h"
#include "port.h"

/* Umem frames of 4 KiB (a page: the largest copy mode takes on veth); a
 * frame received there is at most 4096 minus XDP_PACKET_HEADROOM (256) long,
 * so it fits in XSK_MAX_SEGS buffers of the pool. */
#define XSK_FRAME_SIZE 4096
#define XSK_MAX_SEGS 2
#define XSK_FRAMES 2048
#define XSK_RING 1024 /* = XSK_FRAMES / 2 */
#define XSK_BUSY_WAIT_MS 300 /* see xsk_open: a queue released a moment ago */

struct xsk_priv {
	char iface[IF_NAMESIZE];
	unsigned ifindex;
	uint32_t frame_size;
	bool native;             /* driver-mode XDP (else generic) */
	void *area;
	size_t area_size;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd;
	/* rx side */
	struct xsk_ring_prod fq;
	struct xsk_ring_cons rx;
	/* tx side */
	struct xsk_ring_prod tx;
	struct xsk_ring_cons cq;
	uint32_t nb_free;
	uint64_t free_frames[XSK_RING];
};

/* libbpf and libxdp print through us, at debug level: their fallbacks are
 * expected (e.g. no multi-program dispatcher) and the port status says what
 * was attached. */
static int xsk_libprint(const char *fmt, va_list ap)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	LOG(DEBUG, port, "xdp: %s", buf);
	return 0;
}

static int xsk_bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return xsk_libprint(fmt, ap);
}

static int xsk_xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return xsk_libprint(fmt, ap);
}

/* A program left attached by a crashed switch would make the socket fail.
 * Decision: an interface handed to the switch as a port belongs to it (the
 * registry refuses a second port on the same interface), so any XDP program
 * found on it at port-add is stale and removed. */
static void xsk_detach_stale(unsigned ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);

	if (mp != NULL && libxdp_get_error(mp) == 0) {
		xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
	bpf_xdp_detach((int)ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach((int)ifindex, XDP_FLAGS_SKB_MODE, NULL);
}

static int xsk_create(struct xsk_priv *x, uint32_t xdp_flags)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING,
		.comp_size = XSK_RING,
		.frame_size = x->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = XSK_RING,
		.tx_size = XSK_RING,
		.libxdp_flags = 0,
		.xdp_flags = xdp_flags,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	uint32_t idx;
	int r;

	r = xsk_umem__create(&x->umem, x->area, x->area_size, &x->fq, &x->cq, &ucfg);
	if (r < 0)
		return r;
	r = xsk_socket__create(&x->xsk, x->iface, 0, x->umem, &x->rx, &x->tx, &scfg);
	if (r < 0) {
		xsk_umem__delete(x->umem);
		x->umem = NULL;
		return r;
	}
	x->fd = xsk_socket__fd(x->xsk);
	/* Hand the rx half of the umem to the kernel. */
	if (xsk_ring_prod__reserve(&x->fq, XSK_RING, &idx) != XSK_RING)
		return -ENOSPC;
	for (uint32_t i = 0; i < XSK_RING; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (uint64_t)i * x->frame_size;
	xsk_ring_prod__submit(&x->fq, XSK_RING);
	x->nb_free = XSK_RING;
	for (uint32_t i = 0; i < XSK_RING; i++)
		x->free_frames[i] = (uint64_t)(XSK_RING + i) * x->frame_size;
	return 0;
}

static int xsk_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	struct xsk_priv *x;
	bool try_native = true;
	const char *iface;
	int r;

	r = port_arg_string(req, "iface", true, &iface, err);
	if (r < 0)
		return r;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	p->priv = x;
	x->fd = -1;
	r = port_iface_up(iface, &x->ifindex, err);
	if (r < 0)
		goto fail;
	strcpy(x->iface, iface);
	x->frame_size = XSK_FRAME_SIZE;
	x->area_size = (size_t)XSK_FRAMES * x->frame_size;
	x->area = mmap(NULL, x->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		r = vnl_errf(err, -ENOMEM, "cannot allocate the AF_XDP frame area: %s", strerror(errno));
		goto fail;
	}
	libbpf_set_print(xsk_bpf_print);
	libxdp_set_print(xsk_xdp_print);
	xsk_detach_stale(x->ifindex);
	/* A socket closed a moment ago (port-del, then port-add on the same
	 * interface) keeps the queue until the kernel's deferred release of
	 * its pool has run: a busy queue is retried for XSK_BUSY_WAIT_MS.
	 * Driver mode binds the socket before it attaches the program, so a
	 * failed attempt (veth: the peer's MTU is above the XDP limit) is such
	 * a socket too: once driver mode failed for another reason than a busy
	 * queue, only generic mode is retried. */
	for (unsigned waited = 0;; waited += 10) {
		r = -EOPNOTSUPP;
		if (try_native) {
			x->native = true;
			r = xsk_create(x, XDP_FLAGS_DRV_MODE);
			if (r < 0 && r != -EBUSY)
				try_native = false;
		}
		if (r < 0) {
			x->native = false;
			r = xsk_create(x, XDP_FLAGS_SKB_MODE);
		}
		if (r != -EBUSY || waited >= XSK_BUSY_WAIT_MS)
			break;
		if (waited == 0)
			LOG(INFO, port, "%s: the queue of '%s' is busy, retrying for %d ms", p->name, iface,
			    XSK_BUSY_WAIT_MS);
		usleep(10000);
	}
	if (r == -EBUSY) {
		/* Another process's AF_XDP socket holds the queue: not ours to take. */
		r = vnl_errf(err, -EBUSY, "interface '%s' is busy: another AF_XDP socket is bound to it", iface);
		goto fail;
	}
	if (r < 0) {
		r = vnl_errf(err, -EOPNOTSUPP, "cannot open an AF_XDP socket on '%s': %s", iface, strerror(-r));
		goto fail;
	}
	p->backend = "af_xdp";
	atomic_store(&p->up, true);
	return 0;
fail:
	p->ops->close(p);
	return r;
}

static void xsk_close(struct port *p)
{
	struct xsk_priv *x = p->priv;

	if (x == NULL)
		return;
	if (x->xsk != NULL)
		xsk_socket__delete(x->xsk);
	if (x->umem != NULL)
		xsk_umem__delete(x->umem);
	if (x->area != NULL)
		munmap(x->area, x->area_size);
	free(x);
	p->priv = NULL;
}

/* Copy a frame of len bytes (at most XSK_FRAME_SIZE) into m, chaining
 * buffers from the pool for what does not fit in m (2 KiB each: a frame above
 * that is a chain of 2). 0, or -ENOBUFS (no buffer) with m as it was. */
static int xsk_copy_in(struct rte_mbuf *m, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg[XSK_MAX_SEGS - 1], *last = m;
	uint32_t room = rte_pktmbuf_tailroom(m), left, k;

	if (likely(len <= room)) {
		rte_memcpy(rte_pktmbuf_mtod(m, void *), src, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		return 0;
	}
	k = (len - room + RTE_MBUF_DEFAULT_DATAROOM - 1) / RTE_MBUF_DEFAULT_DATAROOM;
	if (k > RTE_DIM(seg) || rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, seg, k) != 0)
		return -ENOBUFS;
	rte_memcpy(rte_pktmbuf_mtod(m, void *), src, room);
	m->data_len = (uint16_t)room;
	m->pkt_len = len;
	m->nb_segs = (uint16_t)(k + 1);
	left = len - room;
	src += room;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t n = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(seg[i]));

		rte_memcpy(rte_pktmbuf_mtod(seg[i], void *), src, n);
		seg[i]->data_len = (uint16_t)n;
		last->next = seg[i];
		last = seg[i];
		src += n;
		left -= n;
	}
	return 0;
}

static uint16_t xsk_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	struct xsk_priv *x = p->priv;
	uint32_t idx_rx, idx_fq;
	uint16_t got, nb = 0;
	bool have_mbufs;

	got = (uint16_t)xsk_ring_cons__peek(&x->rx, n, &idx_rx);
	if (got == 0) {
		if (xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	have_mbufs = rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, pkts, got) == 0;
	/* The fill ring has room for every frame we hold. */
	while (xsk_ring_prod__reserve(&x->fq, got, &idx_fq) != got)
		;
	for (uint16_t i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx_rx + i);
		uint64_t addr = xsk_umem__extract_addr(d->addr);

		if (have_mbufs) {
			struct rte_mbuf *m = pkts[i];

			/* nb <= i: pkts[i] is read before a later frame overwrites it */
			if (likely(xsk_copy_in(m, xsk_umem__get_data(x->area, xsk_umem__add_offset_to_addr(d->addr)),
					       d->len) == 0)) {
				pkts[nb++] = m;
			} else {
				rte_pktmbuf_free(m);
				ps->v[PC_drop_rx_nombuf]++;
			}
		}
		*xsk_ring_prod__fill_addr(&x->fq, idx_fq + i) = addr;
	}
	xsk_ring_prod__submit(&x->fq, got);
	xsk_ring_cons__release(&x->rx, got);
	if (!have_mbufs)
		ps->v[PC_drop_rx_nombuf] += got;
	return nb;
}

/* Refuses no frame (port.h): ps stays untouched. */
static uint16_t xsk_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps __rte_unused)
{
	struct xsk_priv *x = p->priv;
	uint32_t idx, done;
	uint16_t k;

	done = xsk_ring_cons__peek(&x->cq, XSK_RING, &idx);
	for (uint32_t i = 0; i < done; i++)
		x->free_frames[x->nb_free++] = *xsk_ring_cons__comp_addr(&x->cq, idx + i);
	if (done)
		xsk_ring_cons__release(&x->cq, done);

	k = n < x->nb_free ? n : (uint16_t)x->nb_free;
	if (k > 0 && xsk_ring_prod__reserve(&x->tx, k, &idx) == k) {
		for (uint16_t i = 0; i < k; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
			const struct rte_mbuf *m = pkts[i];
			uint32_t len = rte_pktmbuf_pkt_len(m);

			if (len > x->frame_size)
				len = x->frame_size;
			d->addr = x->free_frames[--x->nb_free];
			d->len = len;
			if (m->nb_segs == 1)
				rte_memcpy(xsk_umem__get_data(x->area, d->addr), rte_pktmbuf_mtod(m, void *), len);
			else
				rte_pktmbuf_read(m, 0, len, xsk_umem__get_data(x->area, d->addr));
		}
		xsk_ring_prod__submit(&x->tx, k);
	} else {
		k = 0;
	}
	/* Copy mode transmits from the sendto() call. */
	if (xsk_ring_prod__needs_wakeup(&x->tx))
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	return k;
}

static void xsk_show(const struct port *p, struct json_object *o)
{
	const struct xsk_priv *x = p->priv;

	json_object_object_add(o, "iface", json_object_new_string(x->iface));
	json_object_object_add(o, "status", json_object_new_string(
		x->native ? "af_xdp on queue 0, driver mode, copy" : "af_xdp on queue 0, generic mode, copy"));
}

const struct port_ops port_xsk_ops = {
	.kind = "afxdp",
	.open = xsk_open,
	.close = xsk_close,
	.rx = xsk_rx,
	.tx = xsk_tx,
	.show = xsk_show,
};
