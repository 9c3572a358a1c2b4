/* SPDX-License-Identifier: GPL-2.0-only */
/* pcapng blocks and the resumable writer (pcapng_write.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pcapng_write.h"

/* Option codes (pcapng draft, sections 4.1, 4.2, 4.3, 4.6). */
enum {
	OPT_ENDOFOPT = 0,
	OPT_COMMENT = 1,
	SHB_HARDWARE = 2,
	SHB_OS = 3,
	SHB_USERAPPL = 4,
	IF_NAME = 2,
	IF_DESCRIPTION = 3,
	IF_MACADDR = 6,
	IF_TSRESOL = 9,
	IF_FILTER = 11,
	EPB_FLAGS = 2,
	ISB_STARTTIME = 2,
	ISB_ENDTIME = 3,
	ISB_IFRECV = 4,
	ISB_IFDROP = 5,
	ISB_FILTERACCEPT = 6,
};

#define PAD4(n) (((n) + 3u) & ~(size_t)3)

void pcapng_buf_free(struct pcapng_buf *b)
{
	free(b->p);
	*b = (struct pcapng_buf){ 0 };
}

/* Room for n more bytes, zeroed (padding needs no writing); NULL once an
 * allocation failed (b->err: the builders check it once, at the end). */
static uint8_t *grow(struct pcapng_buf *b, size_t n)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;

		p = realloc(b->p, cap);
		if (p == NULL) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	p = b->p + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static void put(struct pcapng_buf *b, const void *v, size_t n)
{
	uint8_t *p = grow(b, n);

	if (p != NULL)
		memcpy(p, v, n);
}

static void put32(struct pcapng_buf *b, uint32_t v)
{
	put(b, &v, 4);
}

/* A 64-bit time or counter as the spec lays out timestamps: high then low
 * 32-bit word, each in host order. */
static void put_ts(struct pcapng_buf *b, uint64_t v)
{
	uint32_t w[2] = { (uint32_t)(v >> 32), (uint32_t)v };

	put(b, w, 8);
}

/* An option: code, length, value padded to 4. */
static void opt(struct pcapng_buf *b, uint16_t code, const void *v, size_t len)
{
	uint16_t h[2] = { code, (uint16_t)len };
	uint8_t *p;

	if (len > UINT16_MAX - 3) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	p = grow(b, 4 + PAD4(len));
	if (p == NULL)
		return;
	memcpy(p, h, 4);
	memcpy(p + 4, v, len);
}

static void opt_str(struct pcapng_buf *b, uint16_t code, const char *s)
{
	if (s != NULL)
		opt(b, code, s, strlen(s));
}

static void opt_u64(struct pcapng_buf *b, uint16_t code, uint64_t v)
{
	opt(b, code, &v, 8);
}

static void opt_ts(struct pcapng_buf *b, uint16_t code, uint64_t v)
{
	uint32_t w[2] = { (uint32_t)(v >> 32), (uint32_t)v };

	opt(b, code, w, 8);
}

/* Open a block of type at b->len: returns its offset (the length is filled
 * by block_end). */
static size_t block_begin(struct pcapng_buf *b, uint32_t type)
{
	size_t at = b->len;
	uint32_t h[2] = { type, 0 };

	put(b, h, 8);
	return at;
}

/* Close the block opened at `at`: opt_endofopt when options were added
 * after opts_at, then the trailing length; both lengths set. A block that
 * failed on the way (b->err) is taken out whole; b->err is cleared. */
static int block_end(struct pcapng_buf *b, size_t at, size_t opts_at)
{
	uint32_t len;
	int r;

	if (b->len > opts_at)
		put32(b, OPT_ENDOFOPT); /* code 0, length 0 */
	put32(b, 0);
	if (b->err) {
		r = b->err;
		b->err = 0;
		b->len = at; /* nothing of a failed block stays */
		return r;
	}
	len = (uint32_t)(b->len - at);
	memcpy(b->p + at + 4, &len, 4);
	memcpy(b->p + b->len - 4, &len, 4);
	return 0;
}

int pcapng_shb(struct pcapng_buf *b, const char *hardware, const char *os, const char *appl,
	       const char *comment)
{
	uint16_t version[2] = { 1, 0 };
	int64_t section_len = -1;
	size_t at, opts;

	at = block_begin(b, PCAPNG_SHB);
	put32(b, PCAPNG_BYTE_ORDER_MAGIC);
	put(b, version, 4);
	put(b, &section_len, 8);
	opts = b->len;
	opt_str(b, OPT_COMMENT, comment);
	opt_str(b, SHB_HARDWARE, hardware);
	opt_str(b, SHB_OS, os);
	opt_str(b, SHB_USERAPPL, appl);
	return block_end(b, at, opts);
}

int pcapng_idb(struct pcapng_buf *b, uint32_t snaplen, const char *name, const char *descr,
	       const char *filter, const uint8_t *mac)
{
	uint16_t link[2] = { PCAPNG_LINKTYPE_ETHERNET, 0 };
	uint8_t tsresol = 9;
	size_t at, opts;

	at = block_begin(b, PCAPNG_IDB);
	put(b, link, 4);
	put32(b, snaplen);
	opts = b->len;
	opt_str(b, IF_NAME, name);
	opt_str(b, IF_DESCRIPTION, descr);
	if (mac != NULL)
		opt(b, IF_MACADDR, mac, 6);
	opt(b, IF_TSRESOL, &tsresol, 1);
	if (filter != NULL) {
		/* if_filter: a type byte (0: libpcap filter string), then the text. */
		size_t n = strlen(filter);
		uint8_t *v = malloc(n + 1);

		if (v == NULL) {
			b->err = b->err ? b->err : -ENOMEM;
		} else {
			v[0] = 0;
			memcpy(v + 1, filter, n);
			opt(b, IF_FILTER, v, n + 1);
			free(v);
		}
	}
	return block_end(b, at, opts);
}

int pcapng_isb(struct pcapng_buf *b, uint32_t ifid, uint64_t ts_ns, const struct pcapng_isb_counts *c)
{
	size_t at, opts;

	at = block_begin(b, PCAPNG_ISB);
	put32(b, ifid);
	put_ts(b, ts_ns);
	opts = b->len;
	opt_ts(b, ISB_STARTTIME, c->start_ns);
	opt_ts(b, ISB_ENDTIME, c->end_ns);
	opt_u64(b, ISB_IFRECV, c->ifrecv);
	opt_u64(b, ISB_IFDROP, c->ifdrop);
	opt_u64(b, ISB_FILTERACCEPT, c->filteraccept);
	return block_end(b, at, opts);
}

int pcapng_epb(struct pcapng_buf *b, uint32_t ifid, uint64_t ts_ns, const void *data, uint32_t caplen,
	       uint32_t origlen, uint32_t flags)
{
	uint32_t h[3] = { ifid, caplen, origlen };
	size_t at, opts;
	uint8_t *p;

	at = block_begin(b, PCAPNG_EPB);
	put32(b, h[0]);
	put_ts(b, ts_ns);
	put(b, &h[1], 8);
	p = grow(b, PAD4(caplen));
	if (p != NULL)
		memcpy(p, data, caplen);
	opts = b->len;
	if (flags)
		opt(b, EPB_FLAGS, &flags, 4);
	return block_end(b, at, opts);
}

int pcapng_writer_init(struct pcapng_writer *w, int fd, unsigned cap, void (*done)(void *tag, void *arg),
		       void *arg)
{
	unsigned c = 1;

	while (c < cap)
		c <<= 1;
	*w = (struct pcapng_writer){ .fd = fd, .done = done, .arg = arg, .cap = c };
	w->q = calloc(c, sizeof(*w->q));
	return w->q == NULL ? -ENOMEM : 0;
}

/* The piece head has gone out: hand its tag back. */
static void pop(struct pcapng_writer *w)
{
	struct pcapng_piece *pc = &w->q[w->head];

	if (pc->tag != NULL && w->done != NULL)
		w->done(pc->tag, w->arg);
	w->head = (w->head + 1) & (w->cap - 1);
	w->n--;
	w->off = 0;
}

void pcapng_writer_fini(struct pcapng_writer *w)
{
	while (w->n)
		pop(w);
	free(w->q);
	w->q = NULL;
	w->cap = 0;
}

unsigned pcapng_writer_room(const struct pcapng_writer *w)
{
	return w->cap - w->n;
}

int pcapng_writer_add(struct pcapng_writer *w, const void *p, size_t len, void *tag)
{
	if (w->n == w->cap)
		return -ENOSPC;
	w->q[(w->head + w->n) & (w->cap - 1)] = (struct pcapng_piece){ p, len, tag };
	w->n++;
	return 0;
}

int pcapng_writer_flush(struct pcapng_writer *w)
{
	struct iovec iov[64 < IOV_MAX ? 64 : IOV_MAX];

	while (w->n) {
		unsigned k = 0;
		ssize_t got;

		while (k < w->n && k < sizeof(iov) / sizeof(iov[0])) {
			const struct pcapng_piece *pc = &w->q[(w->head + k) & (w->cap - 1)];
			size_t skip = k == 0 ? w->off : 0;

			iov[k].iov_base = (uint8_t *)pc->p + skip;
			iov[k].iov_len = pc->len - skip;
			k++;
		}
		got = writev(w->fd, iov, (int)k);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		w->bytes += (uint64_t)got;
		/* Hand back every piece written whole; keep the offset in the next. */
		while (w->n && (size_t)got >= w->q[w->head].len - w->off) {
			got -= (ssize_t)(w->q[w->head].len - w->off);
			pop(w);
		}
		w->off += (size_t)got;
	}
	return 0;
}
