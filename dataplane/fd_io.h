/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frames between mbufs and file descriptors (tap fds, AF_PACKET sockets):
 * the rx buffer stash, the iovecs a read fills, the chain a read of L bytes
 * becomes, and the iovecs a chain is written from. No syscalls here: the
 * port kinds (port_tap.c, port_packet.c) issue them.
 *
 * Rx stash: buffers kept ready between polls, so an idle poll allocates
 * nothing. One stash per lcore, not per port: a port's rx runs on one
 * worker only, and 1000 idle fd ports must not each pin a frame's worth of
 * buffers. A read is only issued with room for the longest frame the port
 * may receive (a tap truncates silently); with too few buffers the frames
 * wait in the kernel. Stashed buffers are never freed while the switch runs
 * (they go with the pool at exit); fd_io_stash_drain() is for tests.
 *
 * A read lends `segs` buffers (fd_io_lend: popped from the stash, their
 * iovecs filled with the whole data room each); after it, fd_io_take()
 * chains the first max(1, ceil(L / room)) of them into one frame (data_len
 * per segment, next, nb_segs, pkt_len = L) and gives the rest back, in an
 * order that lends the same buffers again next time (LIFO, cache-warm).
 *
 * Thread-safety: a stash belongs to its lcore (fd_io_stash()); everything
 * else works on the caller's arguments only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rte_mbuf.h>

#include "dp.h"

/* Most buffers one frame may take: a 64 KiB GSO frame (65557 bytes) in
 * 2 KiB buffers is 33; one spare. Chains longer than this are not sent. */
#define FD_IO_SEGS_MAX 34
/* Capacity of a stash: an AF_PACKET recvmmsg() burst of the longest
 * --max-frame (9216 bytes: 5 buffers); a tap reads one frame at a time. */
#define FD_IO_STASH_MAX (VNL_BURST * 5)

struct fd_io_stash {
	uint16_t n;                            /* buffers held, m[0..n-1]; top is m[n-1] */
	struct rte_mbuf *m[FD_IO_STASH_MAX];   /* fresh mbufs of one pool */
};

/* The calling lcore's stash. */
struct fd_io_stash *fd_io_stash(void);

/* Bytes one buffer of pool takes (its data room minus headroom). */
uint16_t fd_io_room(struct rte_mempool *pool);

/* Buffers a frame of up to len bytes takes in buffers of room bytes. */
static inline uint16_t fd_io_segs(uint32_t len, uint16_t room)
{
	return (uint16_t)((len + room - 1) / room);
}

/* Make the stash hold at least need buffers (need <= want <= FD_IO_STASH_MAX):
 * tops it up to want, or to need when the pool cannot give want. false when
 * it still holds fewer than need (the caller reads nothing this poll). */
bool fd_io_fill(struct fd_io_stash *st, struct rte_mempool *pool, uint16_t need, uint16_t want);

/* Pop segs buffers (st->n >= segs) into seg[] and point iov[0..segs-1] at
 * their data rooms of room bytes. */
static inline void fd_io_lend(struct fd_io_stash *st, struct rte_mbuf **seg, struct iovec *iov,
			      uint16_t segs, uint16_t room)
{
	for (uint16_t j = 0; j < segs; j++) {
		struct rte_mbuf *m = st->m[--st->n];

		seg[j] = m;
		iov[j].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[j].iov_len = room;
	}
}

/* Give back all segs buffers of an unused lend. */
static inline void fd_io_unlend(struct fd_io_stash *st, struct rte_mbuf *const *seg, uint16_t segs)
{
	for (uint16_t j = segs; j > 0; j--)
		st->m[st->n++] = seg[j - 1];
}

/* After a read of len bytes into a lend of segs buffers: the frame, a chain
 * of the buffers it filled; the others go back to the stash. A truncated
 * frame (len beyond segs x room) keeps its real pkt_len, more than the
 * chain holds: the bridge drops it as oversize. */
struct rte_mbuf *fd_io_take(struct fd_io_stash *st, struct rte_mbuf *const *seg, uint16_t segs,
			    uint16_t room, uint32_t len);

/* Point iov[0..] at the segments of chain m. Returns how many iovecs, or -1
 * when m has more than max segments (nothing of it is sent). */
static inline int fd_io_tx_iov(const struct rte_mbuf *m, struct iovec *iov, unsigned max)
{
	unsigned k = 0;

	if (unlikely(m->nb_segs > max))
		return -1;
	for (; m != NULL; m = m->next, k++) {
		iov[k].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[k].iov_len = m->data_len;
	}
	return (int)k;
}

/* Free every buffer of st (tests; workers keep theirs). */
void fd_io_stash_drain(struct fd_io_stash *st);
