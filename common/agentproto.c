/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent channel protocol v1 codec (agentproto.h): header checks, the
 * resynchronising decoder, frame writers and payload parsers.  Everything
 * here works on caller buffers with explicit lengths; every read of a
 * payload byte is preceded by a length check, so any input is safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto.h"

#define MAGIC0 0x56u /* 'V', low byte of AP_MAGIC */
#define MAGIC1 0x4cu /* 'L' */
#define DEC_CAP (AP_HDR_LEN + AP_MAX_PAYLOAD)
#define OPEN_FIXED 10u   /* op, flags, rows, cols, wait_ms */
#define HELLO_FIXED 16u  /* version, flags, nonce */

/* Per type: name, payload length bounds, whether it lives on chan 0. */
static const struct {
	const char *name;
	uint32_t min, max;
	bool link;
} types[AP_TYPE_MAX] = {
	[AP_HELLO] = { "HELLO", HELLO_FIXED + 1, HELLO_FIXED + AP_MAX_MSG, true },
	[AP_PING] = { "PING", 8, 8, true },
	[AP_PONG] = { "PONG", 8, 8, true },
	[AP_OPEN] = { "OPEN", OPEN_FIXED + 1, AP_MAX_PAYLOAD, false },
	[AP_OPENED] = { "OPENED", 0, 12, false },
	[AP_DATA] = { "DATA", 2, AP_MAX_PAYLOAD, false },
	[AP_EOF] = { "EOF", 1, 1, false },
	[AP_WINDOW] = { "WINDOW", 5, 5, false },
	[AP_RESIZE] = { "RESIZE", 4, 4, false },
	[AP_SIGNAL] = { "SIGNAL", 1, 1, false },
	[AP_CLOSE] = { "CLOSE", 5, 4 + AP_MAX_MSG, false },
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | ((uint32_t)get16(p + 2) << 16);
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

const char *ap_type_name(unsigned type)
{
	return type > 0 && type < AP_TYPE_MAX ? types[type].name : "?";
}

bool ap_hdr_ok(const struct ap_hdr *h)
{
	if (h->type == 0 || h->type >= AP_TYPE_MAX)
		return false;
	if (h->len < types[h->type].min || h->len > types[h->type].max)
		return false;
	return types[h->type].link == (h->chan == 0);
}

void ap_hdr_put(uint8_t out[AP_HDR_LEN], const struct ap_hdr *h)
{
	put16(out, AP_MAGIC);
	out[2] = AP_VERSION;
	out[3] = h->type;
	put32(out + 4, h->chan);
	put32(out + 8, h->len);
}

void ap_set_chan(uint8_t *frame, uint32_t chan)
{
	put32(frame + 4, chan);
}

/* ---- decoder ---- */

int ap_decoder_init(struct ap_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->buf = malloc(DEC_CAP);
	return d->buf ? 0 : -ENOMEM;
}

void ap_decoder_fini(struct ap_decoder *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	d->buf = NULL;
	d->have = d->off = 0;
}

void ap_decoder_reset(struct ap_decoder *d)
{
	d->have = d->off = 0;
}

uint8_t *ap_decoder_space(struct ap_decoder *d, size_t *room)
{
	/* Move the unread tail down once per read, not once per frame. */
	if (d->off > 0) {
		memmove(d->buf, d->buf + d->off, d->have - d->off);
		d->have -= d->off;
		d->off = 0;
	}
	*room = DEC_CAP - d->have;
	return d->buf + d->have;
}

void ap_decoder_commit(struct ap_decoder *d, size_t n)
{
	if (n > DEC_CAP - d->have) /* a caller bug; never run past the buffer */
		n = DEC_CAP - d->have;
	d->have += n;
}

/*
 * How many of the n bytes at p can start a valid header, judging only the
 * bytes present: 0 when p[0..] is already known to be bad.
 */
static bool prefix_ok(const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] != MAGIC0)
		return false;
	if (n >= 2 && p[1] != MAGIC1)
		return false;
	if (n >= 3 && p[2] != AP_VERSION)
		return false;
	if (n >= 4 && (p[3] == 0 || p[3] >= AP_TYPE_MAX))
		return false;
	return true;
}

/* Drop the bad start of the unread bytes up to the next possible magic. */
static void resync(struct ap_decoder *d)
{
	size_t i = d->off + 1;

	while (i < d->have && !(d->buf[i] == MAGIC0 && (i + 1 == d->have || d->buf[i + 1] == MAGIC1)))
		i++;
	d->dropped += i - d->off;
	d->bad++;
	d->off = i;
}

int ap_decoder_next(struct ap_decoder *d, struct ap_hdr *h, const uint8_t **payload)
{
	for (;;) {
		const uint8_t *p = d->buf + d->off;
		size_t n = d->have - d->off;

		if (n == 0)
			return 0;
		if (!prefix_ok(p, n)) {
			resync(d);
			continue;
		}
		if (n < AP_HDR_LEN)
			return 0;
		h->type = p[3];
		h->chan = get32(p + 4);
		h->len = get32(p + 8);
		if (!ap_hdr_ok(h)) {
			resync(d);
			continue;
		}
		if (n < AP_HDR_LEN + (size_t)h->len)
			return 0;
		*payload = p + AP_HDR_LEN;
		d->last = d->off;
		d->off += AP_HDR_LEN + h->len;
		return 1;
	}
}

uint8_t *ap_decoder_frame(struct ap_decoder *d, size_t *len)
{
	*len = d->off - d->last;
	return d->buf + d->last;
}

/* ---- encoding ---- */

/* Room check + header; the payload of len bytes goes at the return value. */
static uint8_t *frame_begin(uint8_t *out, size_t size, uint8_t type, uint32_t chan, size_t len)
{
	struct ap_hdr h = { .type = type, .chan = chan, .len = (uint32_t)len };

	if (len > AP_MAX_PAYLOAD || size < AP_HDR_LEN + len)
		return NULL;
	ap_hdr_put(out, &h);
	return out + AP_HDR_LEN;
}

#define FRAME_LEN(len) ((int)(AP_HDR_LEN + (len)))

int ap_put_hello(uint8_t *out, size_t size, uint64_t nonce, const char *who)
{
	size_t wl, len;
	uint8_t *p;

	if (who == NULL)
		return -EINVAL;
	wl = strlen(who) + 1;
	if (wl > AP_MAX_MSG)
		return -EMSGSIZE;
	len = HELLO_FIXED + wl;
	if (!(p = frame_begin(out, size, AP_HELLO, 0, len)))
		return -EMSGSIZE;
	put32(p, AP_VERSION);
	put32(p + 4, 0);
	put64(p + 8, nonce);
	memcpy(p + HELLO_FIXED, who, wl);
	return FRAME_LEN(len);
}

int ap_put_ping(uint8_t *out, size_t size, unsigned type, uint64_t seq)
{
	uint8_t *p;

	if (type != AP_PING && type != AP_PONG)
		return -EINVAL;
	if (!(p = frame_begin(out, size, (uint8_t)type, 0, 8)))
		return -EMSGSIZE;
	put64(p, seq);
	return FRAME_LEN(8);
}

static bool path_ok(const char *path)
{
	return path && path[0] == '/' && strlen(path) < AP_MAX_PATH;
}

/* Payload bytes of o after the target, or -EINVAL for a bad argument. */
static long open_tail_len(const struct ap_open *o)
{
	size_t n = 0;
	unsigned i;

	switch (o->op) {
	case AP_OP_EXEC:
		if (o->argc < 1 || o->argc + o->envc > AP_MAX_ARGS || !o->argv || (o->envc && !o->env))
			return -EINVAL;
		for (i = 0; i < o->argc; i++) {
			if (!o->argv[i] || !o->argv[i][0])
				return -EINVAL;
			n += strlen(o->argv[i]) + 1;
		}
		n++; /* the "" ending argv */
		for (i = 0; i < o->envc; i++) {
			if (!o->env[i] || !strchr(o->env[i], '=') || o->env[i][0] == '=')
				return -EINVAL;
			n += strlen(o->env[i]) + 1;
		}
		return n > AP_MAX_PAYLOAD ? -EMSGSIZE : (long)n;
	case AP_OP_PUT:
	case AP_OP_MKDIR:
		if (o->mode > 07777)
			return -EINVAL;
		/* fall through */
	case AP_OP_GET:
	case AP_OP_LIST:
		if (!path_ok(o->path))
			return -EINVAL;
		n = strlen(o->path) + 1;
		return (long)(n + (o->op == AP_OP_PUT ? 12 : o->op == AP_OP_MKDIR ? 4 : 0));
	case AP_OP_INFO:
		return 0;
	default:
		return -EINVAL;
	}
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p, s, n);
	return p + n;
}

int ap_put_open(uint8_t *out, size_t size, uint32_t chan, const struct ap_open *o)
{
	size_t tl, len;
	long rest;
	uint8_t *p;
	unsigned i;

	if (chan == 0 || !o->target || (o->flags & ~AP_OPEN_PTY) || ((o->flags & AP_OPEN_PTY) && o->op != AP_OP_EXEC))
		return -EINVAL;
	rest = open_tail_len(o);
	if (rest < 0)
		return (int)rest;
	tl = strlen(o->target) + 1;
	if (tl > AP_MAX_PAYLOAD)
		return -EMSGSIZE;
	len = OPEN_FIXED + tl + (size_t)rest;
	if (!(p = frame_begin(out, size, AP_OPEN, chan, len)))
		return -EMSGSIZE;
	p[0] = o->op;
	p[1] = o->flags;
	put16(p + 2, o->rows);
	put16(p + 4, o->cols);
	put32(p + 6, o->wait_ms);
	p = put_str(p + OPEN_FIXED, o->target);
	switch (o->op) {
	case AP_OP_EXEC:
		for (i = 0; i < o->argc; i++)
			p = put_str(p, o->argv[i]);
		*p++ = 0;
		for (i = 0; i < o->envc; i++)
			p = put_str(p, o->env[i]);
		break;
	case AP_OP_PUT:
		p = put_str(p, o->path);
		put32(p, o->mode);
		put64(p + 4, o->size);
		break;
	case AP_OP_MKDIR:
		p = put_str(p, o->path);
		put32(p, o->mode);
		break;
	case AP_OP_GET:
	case AP_OP_LIST:
		put_str(p, o->path);
		break;
	}
	return FRAME_LEN(len);
}

int ap_put_opened(uint8_t *out, size_t size, uint32_t chan, uint8_t op, uint32_t pid, uint32_t mode,
		  uint64_t fsize)
{
	size_t len = op == AP_OP_EXEC ? 4 : op == AP_OP_GET ? 12 : 0;
	uint8_t *p;

	if (chan == 0 || op == 0 || op >= AP_OP_MAX)
		return -EINVAL;
	if (!(p = frame_begin(out, size, AP_OPENED, chan, len)))
		return -EMSGSIZE;
	if (op == AP_OP_EXEC) {
		put32(p, pid);
	} else if (op == AP_OP_GET) {
		put32(p, mode);
		put64(p + 4, fsize);
	}
	return FRAME_LEN(len);
}

int ap_put_data_hdr(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, size_t len)
{
	uint8_t *p;

	if (chan == 0 || stream >= AP_NSTREAMS || len == 0)
		return -EINVAL;
	if (len > AP_MAX_DATA || !(p = frame_begin(out, size, AP_DATA, chan, len + 1)))
		return -EMSGSIZE;
	p[0] = stream;
	return FRAME_LEN(len + 1);
}

int ap_put_data(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, const void *data, size_t len)
{
	int r;

	if (data == NULL)
		return -EINVAL;
	r = ap_put_data_hdr(out, size, chan, stream, len);
	if (r > 0)
		memcpy(out + AP_DATA_HDR_LEN, data, len);
	return r;
}

/* Channel frames whose payload starts with a stream byte. */
static uint8_t *stream_frame(uint8_t *out, size_t size, uint8_t type, uint32_t chan, uint8_t stream, size_t len,
			     int *r)
{
	uint8_t *p;

	*r = -EINVAL;
	if (chan == 0 || stream >= AP_NSTREAMS)
		return NULL;
	*r = -EMSGSIZE;
	if (!(p = frame_begin(out, size, type, chan, len)))
		return NULL;
	*r = FRAME_LEN(len);
	p[0] = stream;
	return p;
}

int ap_put_eof(uint8_t *out, size_t size, uint32_t chan, uint8_t stream)
{
	int r;

	stream_frame(out, size, AP_EOF, chan, stream, 1, &r);
	return r;
}

int ap_put_window(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, uint32_t incr)
{
	uint8_t *p;
	int r;

	if (incr == 0)
		return -EINVAL;
	if ((p = stream_frame(out, size, AP_WINDOW, chan, stream, 5, &r)))
		put32(p + 1, incr);
	return r;
}

int ap_put_resize(uint8_t *out, size_t size, uint32_t chan, uint16_t rows, uint16_t cols)
{
	uint8_t *p;

	if (chan == 0)
		return -EINVAL;
	if (!(p = frame_begin(out, size, AP_RESIZE, chan, 4)))
		return -EMSGSIZE;
	put16(p, rows);
	put16(p + 2, cols);
	return FRAME_LEN(4);
}

int ap_put_signal(uint8_t *out, size_t size, uint32_t chan, uint8_t signo)
{
	uint8_t *p;

	if (chan == 0 || signo < 1 || signo > 64)
		return -EINVAL;
	if (!(p = frame_begin(out, size, AP_SIGNAL, chan, 1)))
		return -EMSGSIZE;
	p[0] = signo;
	return FRAME_LEN(1);
}

int ap_put_close(uint8_t *out, size_t size, uint32_t chan, int32_t code, const char *msg)
{
	size_t ml = msg ? strnlen(msg, AP_MAX_MSG - 1) : 0;
	uint8_t *p;

	if (chan == 0)
		return -EINVAL;
	if (!(p = frame_begin(out, size, AP_CLOSE, chan, 5 + ml)))
		return -EMSGSIZE;
	put32(p, (uint32_t)code);
	if (ml)
		memcpy(p + 4, msg, ml);
	p[4 + ml] = 0;
	return FRAME_LEN(5 + ml);
}

/* ---- parsing ---- */

/*
 * A NUL-terminated string at p[*pos..len): returns it and moves *pos past
 * its NUL, or NULL when no NUL is left in the payload.
 */
static const char *take_str(const uint8_t *p, uint32_t len, uint32_t *pos)
{
	const uint8_t *nul;
	const char *s;

	if (*pos >= len)
		return NULL;
	nul = memchr(p + *pos, 0, len - *pos);
	if (nul == NULL)
		return NULL;
	s = (const char *)p + *pos;
	*pos = (uint32_t)(nul - p) + 1;
	return s;
}

int ap_parse_hello(const uint8_t *p, uint32_t len, uint32_t *version, uint64_t *nonce, const char **who)
{
	uint32_t pos = HELLO_FIXED;
	const char *w;

	if (len <= HELLO_FIXED || len > HELLO_FIXED + AP_MAX_MSG)
		return -EPROTO;
	w = take_str(p, len, &pos);
	if (w == NULL || pos != len)
		return -EPROTO;
	*version = get32(p);
	*nonce = get64(p + 8);
	*who = w;
	return 0;
}

int ap_parse_u64(const uint8_t *p, uint32_t len, uint64_t *seq)
{
	if (len != 8)
		return -EPROTO;
	*seq = get64(p);
	return 0;
}

int ap_parse_open_target(const uint8_t *p, uint32_t len, const char **target)
{
	uint32_t pos = OPEN_FIXED;
	const char *t;

	if (len <= OPEN_FIXED || len > AP_MAX_PAYLOAD || !(t = take_str(p, len, &pos)))
		return -EPROTO;
	*target = t;
	return 0;
}

/* A path string at *pos: absolute and shorter than AP_MAX_PATH. */
static const char *take_path(const uint8_t *p, uint32_t len, uint32_t *pos)
{
	uint32_t start = *pos;
	const char *s = take_str(p, len, pos);

	if (s == NULL || s[0] != '/' || *pos - start > AP_MAX_PATH)
		return NULL;
	return s;
}

/* EXEC's argv then env, up to the end of the payload. */
static int parse_exec(const uint8_t *p, uint32_t len, uint32_t pos, struct ap_open *o, const char *argv[],
		      const char *env[])
{
	const char *s;

	o->argc = o->envc = 0;
	for (;;) {
		if (!(s = take_str(p, len, &pos)))
			return -EPROTO;
		if (!s[0])
			break;
		if (o->argc >= AP_MAX_ARGS)
			return -EPROTO;
		argv[o->argc++] = s;
	}
	if (o->argc == 0)
		return -EPROTO;
	while (pos < len) {
		if (!(s = take_str(p, len, &pos)) || s[0] == '=' || !strchr(s, '='))
			return -EPROTO;
		if (o->argc + o->envc >= AP_MAX_ARGS)
			return -EPROTO;
		env[o->envc++] = s;
	}
	o->argv = argv;
	o->env = env;
	return 0;
}

int ap_parse_open(const uint8_t *p, uint32_t len, struct ap_open *o, const char *argv[AP_MAX_ARGS],
		  const char *env[AP_MAX_ARGS])
{
	uint32_t pos = OPEN_FIXED;
	struct ap_open v = { 0 };
	size_t tail;

	if (len <= OPEN_FIXED || len > AP_MAX_PAYLOAD)
		return -EPROTO;
	v.op = p[0];
	v.flags = p[1];
	v.rows = get16(p + 2);
	v.cols = get16(p + 4);
	v.wait_ms = get32(p + 6);
	if (v.op == 0 || v.op >= AP_OP_MAX || (v.flags & ~AP_OPEN_PTY) ||
	    ((v.flags & AP_OPEN_PTY) && v.op != AP_OP_EXEC))
		return -EPROTO;
	if (!(v.target = take_str(p, len, &pos)))
		return -EPROTO;
	switch (v.op) {
	case AP_OP_EXEC:
		if (parse_exec(p, len, pos, &v, argv, env) < 0)
			return -EPROTO;
		break;
	case AP_OP_INFO:
		if (pos != len)
			return -EPROTO;
		break;
	default:
		if (!(v.path = take_path(p, len, &pos)))
			return -EPROTO;
		tail = v.op == AP_OP_PUT ? 12 : v.op == AP_OP_MKDIR ? 4 : 0;
		if (len - pos != tail)
			return -EPROTO;
		if (tail) {
			v.mode = get32(p + pos);
			if (v.mode > 07777)
				return -EPROTO;
		}
		if (tail == 12)
			v.size = get64(p + pos + 4);
		break;
	}
	*o = v;
	return 0;
}

int ap_parse_opened(const uint8_t *p, uint32_t len, uint8_t op, uint32_t *pid, uint32_t *mode, uint64_t *fsize)
{
	uint32_t want = op == AP_OP_EXEC ? 4 : op == AP_OP_GET ? 12 : 0;

	if (op == 0 || op >= AP_OP_MAX || len != want)
		return -EPROTO;
	*pid = op == AP_OP_EXEC ? get32(p) : 0;
	*mode = op == AP_OP_GET ? get32(p) : 0;
	*fsize = op == AP_OP_GET ? get64(p + 4) : 0;
	return 0;
}

int ap_parse_data(const uint8_t *p, uint32_t len, uint8_t *stream, const uint8_t **data, uint32_t *n)
{
	if (len < 2 || len > AP_MAX_PAYLOAD || p[0] >= AP_NSTREAMS)
		return -EPROTO;
	*stream = p[0];
	*data = p + 1;
	*n = len - 1;
	return 0;
}

int ap_parse_stream(const uint8_t *p, uint32_t len, uint8_t *stream)
{
	if (len != 1 || p[0] >= AP_NSTREAMS)
		return -EPROTO;
	*stream = p[0];
	return 0;
}

int ap_parse_window(const uint8_t *p, uint32_t len, uint8_t *stream, uint32_t *incr)
{
	if (len != 5 || p[0] >= AP_NSTREAMS || get32(p + 1) == 0)
		return -EPROTO;
	*stream = p[0];
	*incr = get32(p + 1);
	return 0;
}

int ap_parse_resize(const uint8_t *p, uint32_t len, uint16_t *rows, uint16_t *cols)
{
	if (len != 4)
		return -EPROTO;
	*rows = get16(p);
	*cols = get16(p + 2);
	return 0;
}

int ap_parse_signal(const uint8_t *p, uint32_t len, uint8_t *signo)
{
	if (len != 1 || p[0] < 1 || p[0] > 64)
		return -EPROTO;
	*signo = p[0];
	return 0;
}

int ap_parse_close(const uint8_t *p, uint32_t len, int32_t *code, const char **msg)
{
	uint32_t pos = 4;
	const char *m;

	if (len < 5 || len > 4 + AP_MAX_MSG)
		return -EPROTO;
	m = take_str(p, len, &pos);
	if (m == NULL || pos != len)
		return -EPROTO;
	*code = (int32_t)get32(p);
	*msg = m;
	return 0;
}
