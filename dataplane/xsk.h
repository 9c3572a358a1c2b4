/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One AF_XDP socket in copy mode, as an object the port kinds that send and
 * receive on a host interface share (afxdp today; the VXLAN underlay next).
 * It owns its umem (our own memory: veth and copy mode in general copy
 * between the kernel's buffers and the umem), the four rings and the free
 * tx frames; it knows nothing of ports, mbuf pools or XDP policy (which
 * program runs on the interface and who removes stale ones is the caller's
 * decision).
 *
 * The umem holds XSK_FRAMES frames of XSK_FRAME_SIZE bytes: the first half
 * circulate between the fill and rx rings (the rx side), the second half
 * between a free stack, the tx ring and the completion ring (the tx side).
 *
 * Thread-safety: xsk_open()/xsk_close() on the control thread, with no
 * worker using the socket. The rx side (xsk_rx_*) belongs to one thread,
 * the tx side (xsk_tx_*) to one thread at a time (the caller serialises:
 * port.h's tx lock); the two sides touch disjoint state and may run
 * concurrently.
 */
#pragma once

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <xdp/xsk.h>

#include "err.h"

/* Umem frames of 4 KiB (a page: the largest copy mode takes on veth); a
 * frame received there is at most 4096 minus XDP_PACKET_HEADROOM (256) long,
 * so it fits in XSK_MAX_SEGS buffers of the pool. */
#define XSK_FRAME_SIZE 4096
#define XSK_MAX_SEGS 2
#define XSK_FRAMES 2048
#define XSK_RING 1024 /* = XSK_FRAMES / 2 */
#define XSK_BUSY_WAIT_MS 300 /* see xsk_open(): a queue released a moment ago */

/* Which XDP program steers the interface's frames into the socket. */
enum xsk_prog {
	XSK_PROG_DEFAULT, /* libxdp's default program: every frame of the queue */
	XSK_PROG_NONE,    /* none loaded: the caller's program redirects into its XSKMAP */
};

struct xsk {
	char iface[IF_NAMESIZE];   /* the interface, for messages and show */
	unsigned ifindex;          /* its index */
	unsigned queue;            /* the rx queue the socket is bound to */
	uint32_t frame_size;       /* XSK_FRAME_SIZE */
	bool native;               /* driver-mode XDP (else generic) */
	void *area;                /* the umem, area_size bytes, NULL when closed */
	size_t area_size;
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	int fd;                    /* the socket's fd, for wakeups; -1 when closed */
	/* rx side */
	struct xsk_ring_prod fq;
	struct xsk_ring_cons rx;
	/* tx side */
	struct xsk_ring_prod tx;
	struct xsk_ring_cons cq;
	uint32_t nb_free;                 /* free tx frames on the stack */
	uint64_t free_frames[XSK_RING];   /* their umem offsets */
};

/* Send libbpf's and libxdp's messages to our log at debug level (their
 * fallbacks are expected; show says what was attached). Idempotent. */
void xsk_lib_log(void);

/*
 * Open the socket on (ifindex, queue) of `iface` in copy mode with
 * XDP_USE_NEED_WAKEUP: driver-mode XDP first, then generic. A queue another
 * socket released a moment ago is retried for XSK_BUSY_WAIT_MS. 0, or
 * -EBUSY (another AF_XDP socket holds the queue), -EOPNOTSUPP (no socket in
 * either mode), -ENOMEM, with err filled; on failure x is closed (and may be
 * passed to xsk_close() again).
 */
int xsk_open(struct xsk *x, const char *iface, unsigned ifindex, unsigned queue, enum xsk_prog prog,
	     struct vnl_err *err);

/* Release the socket, the umem and its memory. Accepts a zeroed, failed or
 * closed x. */
void xsk_close(struct xsk *x);

/* --- rx side --- */

/* Frames waiting (at most n), the first at ring index *idx; with none, wake
 * the kernel up if it asked to be (so it refills from the fill ring). */
static inline uint32_t xsk_rx_peek(struct xsk *x, uint32_t n, uint32_t *idx)
{
	uint32_t got = xsk_ring_cons__peek(&x->rx, n, idx);

	if (got == 0 && xsk_ring_prod__needs_wakeup(&x->fq))
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	return got;
}

/* The data and length of the received frame at ring index idx. */
static inline const uint8_t *xsk_rx_frame(const struct xsk *x, uint32_t idx, uint32_t *len)
{
	const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx);

	*len = d->len;
	return xsk_umem__get_data(x->area, xsk_umem__add_offset_to_addr(d->addr));
}

/* Give the got frames from idx (xsk_rx_peek) back to the kernel's fill ring
 * and release them: their data must not be read after this. */
static inline void xsk_rx_done(struct xsk *x, uint32_t idx, uint32_t got)
{
	uint32_t idx_fq;

	/* The fill ring has room for every frame we hold. */
	while (xsk_ring_prod__reserve(&x->fq, got, &idx_fq) != got)
		;
	for (uint32_t i = 0; i < got; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx_fq + i) =
			xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&x->rx, idx + i)->addr);
	xsk_ring_prod__submit(&x->fq, got);
	xsk_ring_cons__release(&x->rx, got);
}

/* The chained case of xsk_copy_in(). */
int xsk_copy_in_chain(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *src, uint32_t len);

/* Copy a frame of len bytes (at most XSK_FRAME_SIZE) into the fresh mbuf m,
 * chaining buffers from pool for what does not fit (2 KiB each: a frame
 * above that is a chain of 2). 0, or -ENOBUFS (no buffer) with m as it was. */
static inline int xsk_copy_in(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *src,
			      uint32_t len)
{
	if (likely(len <= rte_pktmbuf_tailroom(m))) {
		rte_memcpy(rte_pktmbuf_mtod(m, void *), src, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		return 0;
	}
	return xsk_copy_in_chain(pool, m, src, len);
}

/* --- tx side --- */

/* Move what the kernel has sent (the completion ring) back to the free stack. */
static inline void xsk_tx_reclaim(struct xsk *x)
{
	uint32_t idx, done = xsk_ring_cons__peek(&x->cq, XSK_RING, &idx);

	for (uint32_t i = 0; i < done; i++)
		x->free_frames[x->nb_free++] = *xsk_ring_cons__comp_addr(&x->cq, idx + i);
	if (done)
		xsk_ring_cons__release(&x->cq, done);
}

/* Reserve tx descriptors for k = min(n, free frames, free ring entries)
 * frames, the first at *idx: k (0 when either is exhausted). A burst larger
 * than what fits gets what fits. */
static inline uint32_t xsk_tx_reserve(struct xsk *x, uint32_t n, uint32_t *idx)
{
	uint32_t k = n < x->nb_free ? n : x->nb_free;
	uint32_t room = xsk_prod_nb_free(&x->tx, k);

	if (room < k)
		k = room;
	if (k == 0 || xsk_ring_prod__reserve(&x->tx, k, idx) != k)
		return 0;
	return k;
}

/* Give the reserved descriptor idx a free frame of len bytes (at most
 * frame_size) and return where to write them. */
static inline uint8_t *xsk_tx_frame(struct xsk *x, uint32_t idx, uint32_t len)
{
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx);

	d->addr = x->free_frames[--x->nb_free];
	d->len = len;
	return xsk_umem__get_data(x->area, d->addr);
}

/* Queue the k frames reserved and written. */
static inline void xsk_tx_submit(struct xsk *x, uint32_t k)
{
	xsk_ring_prod__submit(&x->tx, k);
}

/* Descriptors submitted to the tx ring that the kernel has not taken yet
 * (any thread may ask: two loads). */
static inline uint32_t xsk_tx_pending(const struct xsk *x)
{
	return __atomic_load_n(x->tx.producer, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
}

/* The kernel's TX_BATCH_SIZE: copy mode (__xsk_generic_xmit) sends at most
 * this many descriptors per sendto() and returns EAGAIN for the rest. */
#define XSK_KICK_BATCH 32

/*
 * Copy mode transmits from sendto(): call after submitting. Kicks until the
 * kernel has taken every submitted descriptor, or a call takes none (the
 * device is busy: xsk_tx_idle_kick() or the next burst's kick retries).
 * Bounded: XSK_RING / XSK_KICK_BATCH + 2 calls. Any thread may kick (the
 * kernel serialises sendto on the socket; nothing here writes the ring).
 * Returns the number of sendto calls made.
 */
static inline unsigned xsk_tx_kick(struct xsk *x)
{
	uint32_t left = xsk_tx_pending(x);
	unsigned i;

	for (i = 0; left && i < XSK_RING / XSK_KICK_BATCH + 2; i++) {
		uint32_t before = left;

		if (!xsk_ring_prod__needs_wakeup(&x->tx))
			return i;  /* the driver sends by itself */
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY &&
		    errno != ENOBUFS)
			return i + 1;  /* ENETDOWN, ENXIO...: nothing a retry fixes */
		left = xsk_tx_pending(x);
		if (left == before)
			return i + 1;
	}
	return i;
}

/* For an idle poll or a tick: kick when descriptors wait in the tx ring (a
 * kick that met a busy device), so nothing strands without further traffic.
 * One predictable branch when the ring is empty. */
static inline void xsk_tx_idle_kick(struct xsk *x)
{
	if (unlikely(xsk_tx_pending(x) != 0))
		xsk_tx_kick(x);
}
