/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The channel table: OPEN picks the op from op_table, every later frame of
 * the channel goes to its op's slots, after the checks that are the same
 * for every op (stream allowed, credit not exceeded, EOF not repeated).
 *
 * Closing.  A channel ends one of three ways, each exactly once:
 *   - the op finishes (chan_finish): CLOSE with its code; a negative code
 *     also means "abort" for release (remove the temporary file, ...);
 *   - the host aborts (CLOSE from the host) or breaks the protocol on the
 *     channel: CLOSE (-ECANCELED, or -EPROTO), release with abort;
 *   - the link ends or a new peer comes (chan_end_all): release with
 *     abort, nothing sent.
 * A closed channel is only marked dead and freed by chan_sweep() at the
 * end of the loop iteration, so poll callbacks of this iteration that
 * still point at it see `dead` and do nothing.  Frames for ids that are
 * not open are ignored (they cross our CLOSE on the wire).
 *
 * Flow control (agentproto.h): credit[] is what the host lets us send on
 * STDOUT/STDERR (chan_read_fd never reads more than it from a source);
 * in_credit is what the host may still send us on STDIN, given back with
 * WINDOW as the op passes bytes on to its sink (chan_passed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static const struct chan_ops *const op_table[AP_OP_MAX] = {
	[AP_OP_EXEC] = &exec_ops,
	[AP_OP_PUT] = &put_ops,
	[AP_OP_GET] = &get_ops,
	[AP_OP_LIST] = &list_ops,
	[AP_OP_MKDIR] = &mkdir_ops,
	[AP_OP_INFO] = &info_ops,
};

static struct chan *chans[AGENT_MAX_CHANS]; /* slots; dead ones until chan_sweep */
static struct ratelimit proto_rl = RATELIMIT_INIT(5000, 10);

static struct chan *find(uint32_t id)
{
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && !chans[i]->dead && chans[i]->id == id)
			return chans[i];
	return NULL;
}

static int send_close(uint32_t id, int code, const char *msg)
{
	uint8_t f[AP_HDR_LEN + 4 + AP_MAX_MSG];
	int n = ap_put_close(f, sizeof(f), id, code, msg);

	return n > 0 ? link_send(f, (size_t)n) : n;
}

/* The one place a channel ends. */
static void close_chan(struct chan *c, bool send, int code, const char *msg, bool abort)
{
	if (c->dead)
		return;
	c->dead = true;
	if (send)
		send_close(c->id, code, msg);
	alog(LOG_D, "channel %" PRIu32 " (%s) closed: %d %s", c->id, c->ops->name, code, msg);
	c->ops->release(c, abort);
}

void chan_finish(struct chan *c, int code, const char *fmt, ...)
{
	char msg[AP_MAX_MSG] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	close_chan(c, true, code, msg, code < 0);
}

int chan_msg(struct chan *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* A slot failed with r: close with its message (or strerror). */
static void slot_failed(struct chan *c, int r)
{
	close_chan(c, true, r, c->msg[0] ? c->msg : strerror(-r), true);
}

static void proto_error(struct chan *c, const char *what)
{
	alog_rl(&proto_rl, LOG_W, "channel %" PRIu32 ": %s, closing it", c->id, what);
	close_chan(c, true, -EPROTO, what, true);
}

void chan_end_all(const char *why)
{
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && !chans[i]->dead)
			close_chan(chans[i], false, -ECONNRESET, why, true);
}

unsigned chan_count(void)
{
	unsigned i, n = 0;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		n += chans[i] && !chans[i]->dead;
	return n;
}

void chan_sweep(void)
{
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && chans[i]->dead) {
			free(chans[i]);
			chans[i] = NULL;
		}
}

static void on_open(uint32_t id, const uint8_t *p, uint32_t len)
{
	static const char *argv[AP_MAX_ARGS], *env[AP_MAX_ARGS];
	struct chan *c;
	struct ap_open o;
	unsigned i;
	int r;

	if (ap_parse_open(p, len, &o, argv, env) < 0) {
		alog_rl(&proto_rl, LOG_W, "channel %" PRIu32 ": malformed OPEN (%" PRIu32 " bytes), refusing", id, len);
		send_close(id, -EPROTO, "malformed OPEN");
		return;
	}
	for (i = 0; i < AGENT_MAX_CHANS && chans[i]; i++)
		;
	if (i == AGENT_MAX_CHANS) {
		send_close(id, -EMFILE, "too many channels open");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		send_close(id, -ENOMEM, "out of memory");
		return;
	}
	c->id = id;
	c->opcode = o.op;
	c->ops = op_table[o.op];
	c->credit[AP_STDOUT] = c->credit[AP_STDERR] = AP_WINDOW_INIT;
	c->in_credit = AP_WINDOW_INIT;
	chans[i] = c; /* before open: it may send frames for c */
	r = c->ops->open(c, &o);
	if (r < 0) {
		alog(LOG_D, "channel %" PRIu32 ": %s refused: %s", id, c->ops->name, c->msg);
		send_close(id, r, c->msg[0] ? c->msg : strerror(-r));
		c->dead = true; /* released by open itself */
	}
}

static void on_data(struct chan *c, const uint8_t *p, uint32_t len)
{
	const uint8_t *data;
	uint8_t stream;
	uint32_t n;
	int r;

	if (ap_parse_data(p, len, &stream, &data, &n) < 0 || stream != AP_STDIN)
		return proto_error(c, "DATA on a stream the host does not send");
	if (!c->ops->input)
		return proto_error(c, "DATA for an op without input");
	if (c->in_eof)
		return proto_error(c, "DATA after EOF");
	if (n > c->in_credit)
		return proto_error(c, "DATA beyond the credit");
	c->in_credit -= n;
	r = c->ops->input(c, data, n);
	if (r < 0)
		slot_failed(c, r);
}

static void on_eof(struct chan *c, const uint8_t *p, uint32_t len)
{
	uint8_t stream;
	int r;

	if (ap_parse_stream(p, len, &stream) < 0 || stream != AP_STDIN || !c->ops->input_eof)
		return proto_error(c, "EOF on a stream the host does not send");
	if (c->in_eof)
		return proto_error(c, "EOF twice");
	c->in_eof = true;
	r = c->ops->input_eof(c);
	if (r < 0)
		slot_failed(c, r);
}

void chan_input(const struct ap_hdr *h, const uint8_t *p)
{
	struct chan *c;
	uint16_t rows, cols;
	uint8_t stream, signo;
	uint32_t incr;
	int r = 0;

	if (h->type == AP_OPEN) {
		if ((c = find(h->chan)))
			return proto_error(c, "OPEN on a channel already open");
		return on_open(h->chan, p, h->len);
	}
	c = find(h->chan);
	if (c == NULL) {
		alog(LOG_D, "%s for channel %" PRIu32 " that is not open, ignoring", ap_type_name(h->type), h->chan);
		return;
	}
	switch (h->type) {
	case AP_DATA:
		return on_data(c, p, h->len);
	case AP_EOF:
		return on_eof(c, p, h->len);
	case AP_WINDOW:
		if (ap_parse_window(p, h->len, &stream, &incr) < 0 || stream == AP_STDIN)
			return proto_error(c, "malformed WINDOW");
		c->credit[stream] += incr;
		return;
	case AP_RESIZE:
		if (ap_parse_resize(p, h->len, &rows, &cols) < 0 || !c->ops->resize)
			return proto_error(c, "RESIZE not for an exec");
		r = c->ops->resize(c, rows, cols);
		break;
	case AP_SIGNAL:
		if (ap_parse_signal(p, h->len, &signo) < 0 || !c->ops->signal)
			return proto_error(c, "SIGNAL malformed or not for an exec");
		r = c->ops->signal(c, signo);
		break;
	case AP_CLOSE:
		/* Malformed or not, the host wants the channel gone. */
		alog(LOG_D, "channel %" PRIu32 ": aborted by the host", c->id);
		close_chan(c, true, -ECANCELED, "aborted", true);
		return;
	default:
		return proto_error(c, "frame type the agent does not take");
	}
	if (r < 0)
		slot_failed(c, r);
}

int chan_opened(struct chan *c, uint32_t pid, uint32_t mode, uint64_t fsize)
{
	uint8_t f[AP_HDR_LEN + 12];
	int n = ap_put_opened(f, sizeof(f), c->id, c->opcode, pid, mode, fsize);

	return n > 0 ? link_send(f, (size_t)n) : n;
}

void chan_passed(struct chan *c, uint32_t n)
{
	uint8_t f[AP_HDR_LEN + 5];
	int len;

	c->in_passed += n;
	if (c->dead || c->in_eof || c->in_passed < AP_WINDOW_INIT / 4)
		return;
	len = ap_put_window(f, sizeof(f), c->id, AP_STDIN, c->in_passed);
	if (len > 0 && link_send(f, (size_t)len) == 0) {
		c->in_credit += c->in_passed;
		c->in_passed = 0;
	}
}

ssize_t chan_read_fd(struct chan *c, uint8_t stream, int fd)
{
	size_t want = c->credit[stream] < AP_MAX_DATA ? (size_t)c->credit[stream] : AP_MAX_DATA;
	uint8_t *sp;
	ssize_t n;

	if (want == 0 || !(sp = link_data_space(AP_DATA_HDR_LEN + want)))
		return -ENOBUFS;
	n = read(fd, sp + AP_DATA_HDR_LEN, want);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	ap_put_data_hdr(sp, AP_DATA_HDR_LEN + (size_t)n, c->id, stream, (size_t)n);
	link_commit(AP_DATA_HDR_LEN + (size_t)n);
	c->credit[stream] -= (size_t)n;
	return n;
}

size_t chan_send_buf(struct chan *c, uint8_t stream, const void *buf, size_t n)
{
	size_t k = n < AP_MAX_DATA ? n : AP_MAX_DATA;
	uint8_t *sp;

	if (k > c->credit[stream])
		k = (size_t)c->credit[stream];
	if (k == 0 || !(sp = link_data_space(AP_DATA_HDR_LEN + k)))
		return 0;
	ap_put_data(sp, AP_DATA_HDR_LEN + k, c->id, stream, buf, k);
	link_commit(AP_DATA_HDR_LEN + k);
	c->credit[stream] -= k;
	return k;
}

int chan_send_eof(struct chan *c, uint8_t stream)
{
	uint8_t f[AP_HDR_LEN + 1];
	int n = ap_put_eof(f, sizeof(f), c->id, stream);

	return n > 0 ? link_send(f, (size_t)n) : n;
}

void chan_ready(void *obj, int tag, short revents)
{
	struct chan *c = obj;

	if (!c->dead && c->ops->ready)
		c->ops->ready(c, tag, revents);
}

void chan_poll_all(struct pollset *ps)
{
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && !chans[i]->dead && chans[i]->ops->poll)
			chans[i]->ops->poll(chans[i], ps);
}

bool chan_pump_all(void)
{
	bool busy = false;
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && !chans[i]->dead && chans[i]->ops->pump)
			busy |= chans[i]->ops->pump(chans[i]);
	return busy;
}

uint64_t chan_wake_all(void)
{
	uint64_t t = UINT64_MAX;
	unsigned i;

	for (i = 0; i < AGENT_MAX_CHANS; i++)
		if (chans[i] && !chans[i]->dead && chans[i]->wake_at && chans[i]->wake_at < t)
			t = chans[i]->wake_at;
	return t;
}
