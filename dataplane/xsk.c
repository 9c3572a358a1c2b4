/* SPDX-License-Identifier: GPL-2.0-only */
/* One AF_XDP socket in copy mode: open, close, the chained copy. See xsk.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "dp_log.h"
#include "xsk.h"

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

void xsk_lib_log(void)
{
	libbpf_set_print(xsk_bpf_print);
	libxdp_set_print(xsk_xdp_print);
}

static int xsk_create(struct xsk *x, enum xsk_prog prog, uint32_t xdp_flags)
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
		.libxdp_flags = prog == XSK_PROG_NONE ? XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD : 0,
		.xdp_flags = xdp_flags,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	uint32_t idx;
	int r;

	r = xsk_umem__create(&x->umem, x->area, x->area_size, &x->fq, &x->cq, &ucfg);
	if (r < 0)
		return r;
	r = xsk_socket__create(&x->sock, x->iface, x->queue, x->umem, &x->rx, &x->tx, &scfg);
	if (r < 0) {
		xsk_umem__delete(x->umem);
		x->umem = NULL;
		return r;
	}
	x->fd = xsk_socket__fd(x->sock);
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

int xsk_open(struct xsk *x, const char *iface, unsigned ifindex, unsigned queue, enum xsk_prog prog,
	     struct vnl_err *err)
{
	bool try_native = true;
	int r;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	snprintf(x->iface, sizeof(x->iface), "%s", iface);
	x->ifindex = ifindex;
	x->queue = queue;
	x->frame_size = XSK_FRAME_SIZE;
	x->area_size = (size_t)XSK_FRAMES * x->frame_size;
	x->area = mmap(NULL, x->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return vnl_errf(err, -ENOMEM, "cannot allocate the AF_XDP frame area: %s", strerror(errno));
	}
	xsk_lib_log();
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
			r = xsk_create(x, prog, XDP_FLAGS_DRV_MODE);
			if (r < 0 && r != -EBUSY)
				try_native = false;
		}
		if (r < 0) {
			x->native = false;
			r = xsk_create(x, prog, XDP_FLAGS_SKB_MODE);
		}
		if (r != -EBUSY || waited >= XSK_BUSY_WAIT_MS)
			break;
		if (waited == 0)
			LOG(INFO, port, "the queue %u of '%s' is busy, retrying for %d ms", queue, iface,
			    XSK_BUSY_WAIT_MS);
		usleep(10000);
	}
	if (r == -EBUSY) {
		/* Another process's AF_XDP socket holds the queue: not ours to take. */
		r = vnl_errf(err, -EBUSY, "interface '%s' is busy: another AF_XDP socket is bound to it", iface);
	} else if (r < 0) {
		r = vnl_errf(err, -EOPNOTSUPP, "cannot open an AF_XDP socket on '%s': %s", iface, strerror(-r));
	}
	if (r < 0)
		xsk_close(x);
	return r;
}

void xsk_close(struct xsk *x)
{
	if (x->sock != NULL)
		xsk_socket__delete(x->sock);
	if (x->umem != NULL)
		xsk_umem__delete(x->umem);
	if (x->area != NULL)
		munmap(x->area, x->area_size);
	x->sock = NULL;
	x->umem = NULL;
	x->area = NULL;
	x->fd = -1;
}

int xsk_copy_in_chain(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg[XSK_MAX_SEGS - 1], *last = m;
	uint32_t room = rte_pktmbuf_tailroom(m), left, k;

	k = (len - room + RTE_MBUF_DEFAULT_DATAROOM - 1) / RTE_MBUF_DEFAULT_DATAROOM;
	if (k > RTE_DIM(seg) || rte_pktmbuf_alloc_bulk(pool, seg, k) != 0)
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
