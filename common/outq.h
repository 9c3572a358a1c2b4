/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An output queue of bytes for one non-blocking stream socket: frames are
 * appended whole, and written out as the socket takes them.  Used by vnld's
 * agent links and session clients (endpoints/vm_guest.c, vm_relay.c).
 *
 * Bounded: an append that would take the queue beyond its `cap` is refused
 * (-ENOBUFS) and nothing is queued, so a peer that does not read cannot
 * make vnld grow.  Errors: 0 / negative errno.  Thread-safety: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"

struct outq {
	uint8_t *buf;   /* malloc'ed; bytes [off, len) are still to write */
	size_t off, len, size;
	size_t cap;     /* most bytes queued at once (set before use) */
	struct ev_watch *w; /* the socket's watch (EPOLLIN), or NULL: outq_flush
			     * adds EPOLLOUT to it exactly while bytes wait */
	bool wout;      /* w watches EPOLLOUT now */
};

/* Queue n bytes. -ENOBUFS beyond cap, -ENOMEM. */
int outq_put(struct outq *q, const void *data, size_t n);
/* Write what the socket takes: 0 (maybe some left: q->w then also waits
 * for EPOLLOUT, to call this again), or -errno (EPIPE...). */
int outq_flush(struct outq *q, int fd);
/* Bytes waiting. */
static inline size_t outq_pending(const struct outq *q)
{
	return q->len - q->off;
}
/* Free the buffer; the queue is empty and reusable. NULL-safe. */
void outq_fini(struct outq *q);
