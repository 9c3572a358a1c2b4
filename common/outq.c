/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded output queue of a non-blocking socket (outq.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "outq.h"

int outq_put(struct outq *q, const void *data, size_t n)
{
	if (outq_pending(q) + n > q->cap)
		return -ENOBUFS;
	if (q->off > 0 && q->len + n > q->size) {
		/* Slide the unwritten bytes to the front before growing. */
		memmove(q->buf, q->buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
	if (q->len + n > q->size) {
		size_t size = q->size ? q->size : 4096;
		uint8_t *b;

		while (size < q->len + n)
			size *= 2;
		b = realloc(q->buf, size);
		if (b == NULL)
			return -ENOMEM;
		q->buf = b;
		q->size = size;
	}
	memcpy(q->buf + q->len, data, n);
	q->len += n;
	return 0;
}

/* EPOLLOUT on q->w exactly while bytes wait. */
static void watch(struct outq *q)
{
	bool want = outq_pending(q) > 0;

	if (q->w && want != q->wout && ev_fd_mod(q->w, EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		q->wout = want;
}

int outq_flush(struct outq *q, int fd)
{
	while (q->off < q->len) {
		ssize_t n = send(fd, q->buf + q->off, q->len - q->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			watch(q);
			return 0;
		}
		q->off += (size_t)n;
	}
	q->off = q->len = 0;
	watch(q);
	/* Give back a buffer a burst made big. */
	if (q->size > 1024 * 1024) {
		free(q->buf);
		q->buf = NULL;
		q->size = 0;
	}
	return 0;
}

void outq_fini(struct outq *q)
{
	if (q == NULL)
		return;
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->size = 0;
	q->w = NULL;
	q->wout = false;
}
