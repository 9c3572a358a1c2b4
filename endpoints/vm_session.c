/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agent sessions, client side: the engine (vm_session_priv.h) and the
 * calls that need nothing else (connect, info).  One engine runs every
 * channel: a single-threaded poll() loop over the link, one source (vnl's
 * stdin, a PUT's file), up to two sinks (stdout/stderr, a GET's file, or
 * memory for LIST and INFO) and a signal pipe (common/term.h).  All control
 * (WINDOW, SIGNAL, RESIZE, EOF, CLOSE, PONG) is kept as pending state and
 * turned into frames by sess_control() when the output queue has room, so
 * nothing is lost when the link is slow and nothing grows without bound.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "unixsock.h"
#include "vm_session.h"
#include "vm_session_priv.h"

#define OPEN_GRACE_MS 15000               /* beyond wait_ms, for OPENED */
#define ABORT_WAIT_MS AP_DEAD_MS          /* for the answer to our CLOSE */
#define INFO_MAX (1u << 20)               /* INFO text we accept */

static uint32_t next_chan;  /* per-process channel ids, never 0 */

/* ---- the channel engine ---- */

struct sess *vms_sess_new(int fd, uint8_t op)
{
	struct sess *s = calloc(1, sizeof(*s));
	int i;

	if (s == NULL)
		return NULL;
	if (ap_decoder_init(&s->dec) < 0) {
		free(s);
		return NULL;
	}
	if (++next_chan == 0)
		next_chan = 1;
	s->fd = fd;
	s->chan = next_chan;
	s->op = op;
	s->src_fd = -1;
	s->fail_status = -1;
	s->credit = AP_WINDOW_INIT;
	for (i = 0; i < AP_NSTREAMS; i++)
		s->sink[i] = (struct sink){ .fd = -1, .credit = AP_WINDOW_INIT };
	return s;
}

void vms_sess_free(struct sess *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < AP_NSTREAMS; i++)
		free(s->sink[i].buf);
	ap_decoder_fini(&s->dec);
	free(s);
}

void vms_sink_fd(struct sess *s, int stream, int fd)
{
	struct stat st;

	s->sink[stream].used = true;
	s->sink[stream].fd = fd;
	s->sink[stream].whole = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static void sink_mem(struct sess *s, int stream, size_t max)
{
	s->sink[stream].used = true;
	s->sink[stream].max = max;
}

/* Queue the frame an ap_put_* just wrote at out + out_len: true if it fit. */
static bool q(struct sess *s, int n)
{
	if (n <= 0)
		return false;
	s->out_len += (size_t)n;
	return true;
}

#define QROOM(s) ((s)->out + (s)->out_len), (OUTQ_SIZE - (s)->out_len)

/* Stop the session for our own reason: CLOSE the channel, drop its output. */
__attribute__((format(printf, 3, 4)))
static void sess_abort(struct sess *s, int code, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (s->fail == 0) {
		s->fail = code;
		va_start(ap, fmt);
		vsnprintf(s->fail_msg, sizeof(s->fail_msg), fmt, ap);
		va_end(ap);
	}
	for (i = 0; i < AP_NSTREAMS; i++)
		if (s->sink[i].fd >= 0)
			s->sink[i].len = 0;
	if (!s->closed_in && !s->close_pending) {
		s->close_pending = true;
		s->deadline = mono_ms() + ABORT_WAIT_MS;
	}
}

/* Turn pending control state into frames, as far as the queue has room. */
static void sess_control(struct sess *s)
{
	uint32_t inc;
	int i;

	if (s->pong_pending && q(s, ap_put_ping(QROOM(s), AP_PONG, s->pong_seq)))
		s->pong_pending = false;
	if (s->closed_in || s->close_sent)
		return;
	if (s->close_pending) {
		if (q(s, ap_put_close(QROOM(s), s->chan, s->fail, s->fail_msg)))
			s->close_sent = true;
		return;
	}
	if (!s->opened)
		return;
	for (i = AP_STDOUT; i < AP_NSTREAMS; i++) {
		inc = s->sink[i].unacked;
		if (inc >= AP_WINDOW_INIT / 4 && q(s, ap_put_window(QROOM(s), s->chan, (uint8_t)i, inc))) {
			s->sink[i].unacked = 0;
			s->sink[i].credit += inc;
		}
	}
	for (i = 1; i < 64 && s->sig_pending; i++)
		if ((s->sig_pending & (1ull << i)) && q(s, ap_put_signal(QROOM(s), s->chan, (uint8_t)i)))
			s->sig_pending &= ~(1ull << i);
	if (s->resize_pending && s->tty &&
	    q(s, ap_put_resize(QROOM(s), s->chan, s->tty->rows, s->tty->cols)))
		s->resize_pending = false;
	if (s->src_eof && !s->eof_sent && q(s, ap_put_eof(QROOM(s), s->chan, AP_STDIN)))
		s->eof_sent = true;
}

/* Send what the queue holds, without blocking.  0, or -errno (link lost). */
static int outq_flush(struct sess *s)
{
	ssize_t n;

	while (s->out_off < s->out_len) {
		n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		s->out_off += (size_t)n;
	}
	s->out_off = s->out_len = 0;
	return 0;
}

/* The channel is over: forget queued frames not yet started (a partly sent
 * one is kept whole, so the link stays framed for the next call). */
static void outq_drop_unsent(struct sess *s)
{
	size_t at = 0, flen = 0;

	while (at < s->out_len && at + (flen = AP_HDR_LEN + vms_get32(s->out + at + 8)) <= s->out_off)
		at += flen;
	if (at < s->out_len && at < s->out_off)
		at += flen;
	s->out_len = at;
	if (s->out_off >= s->out_len)
		s->out_off = s->out_len = 0;
}

/* Protocol violation by the peer on our channel: a channel error. */
static void sess_proto(struct sess *s, const struct ap_hdr *h, const char *why)
{
	sess_abort(s, -EPROTO, "protocol error: %s frame %s", ap_type_name(h->type), why);
}

static void on_data(struct sess *s, const struct ap_hdr *h, const uint8_t *p)
{
	const uint8_t *data;
	struct sink *k;
	uint8_t stream;
	uint32_t n;
	size_t cap;
	uint8_t *nb;

	if (ap_parse_data(p, h->len, &stream, &data, &n) < 0 || !s->opened)
		return sess_proto(s, h, "malformed or before OPENED");
	k = &s->sink[stream];
	if (!k->used)
		return sess_proto(s, h, "on a stream this op does not produce");
	if (n > k->credit)
		return sess_proto(s, h, "beyond the credit granted");
	k->credit -= n;
	k->total += n;
	if (s->close_pending)
		return;  /* aborting: drop */
	if (k->fd < 0) {
		if (k->len + n > k->max)
			return sess_abort(s, -EMSGSIZE, "the agent sent more than %zu bytes", k->max);
		if (k->len + n + 1 > k->cap) {
			cap = k->cap ? k->cap : 4096;
			while (cap < k->len + n + 1)
				cap *= 2;
			if (!(nb = realloc(k->buf, cap)))
				return sess_abort(s, -ENOMEM, "out of memory");
			k->buf = nb;
			k->cap = cap;
		}
		memcpy(k->buf + k->len, data, n);
		k->len += n;
		k->unacked += n;  /* memory is an instant sink */
		return;
	}
	if (k->buf == NULL && !(k->buf = malloc(AP_WINDOW_INIT)))
		return sess_abort(s, -ENOMEM, "out of memory");
	/* len + n <= AP_WINDOW_INIT: the credit says so; compact when needed. */
	if (k->off + k->len + n > AP_WINDOW_INIT) {
		memmove(k->buf, k->buf + k->off, k->len);
		k->off = 0;
	}
	memcpy(k->buf + k->off + k->len, data, n);
	k->len += n;
}

/* One frame from the link. */
static void on_frame(struct sess *s, const struct ap_hdr *h, const uint8_t *p)
{
	uint8_t stream;
	uint32_t inc;
	const char *msg;

	if (h->chan == 0) {
		if (h->type == AP_PING && ap_parse_u64(p, h->len, &s->pong_seq) == 0)
			s->pong_pending = true;
		return;  /* HELLO, PONG: nothing to do for a client */
	}
	if (h->chan != s->chan || s->closed_in)
		return;  /* a late frame of an earlier channel */
	switch (h->type) {
	case AP_OPENED:
		if (s->opened || ap_parse_opened(p, h->len, s->op, &s->pid, &s->mode, &s->fsize) < 0)
			return sess_proto(s, h, "malformed or repeated");
		s->opened = true;
		if (!s->close_pending)
			s->deadline = 0;
		return;
	case AP_DATA:
		return on_data(s, h, p);
	case AP_EOF:
		if (ap_parse_stream(p, h->len, &stream) < 0)
			return sess_proto(s, h, "malformed");
		return;
	case AP_WINDOW:
		if (ap_parse_window(p, h->len, &stream, &inc) < 0 || stream != AP_STDIN)
			return sess_proto(s, h, "malformed or not for STDIN");
		s->credit += inc;
		return;
	case AP_CLOSE:
		if (ap_parse_close(p, h->len, &s->code, &msg) < 0) {
			s->code = -EPROTO;
			msg = "protocol error: malformed CLOSE";
		} else if (s->code < -4095) {
			s->code = -EPROTO; /* not an errno (and -INT32_MIN does not exist) */
		}
		snprintf(s->msg, sizeof(s->msg), "%s", msg);
		s->closed_in = true;
		s->deadline = 0;
		outq_drop_unsent(s);
		return;
	default:
		return sess_proto(s, h, "unexpected from the agent");
	}
}

/* Bytes still missing from the frame the decoder holds the start of (the
 * header first): reads never take bytes beyond the frame being decoded. */
static size_t frame_missing(const struct ap_decoder *d)
{
	size_t flen;

	if (d->have < AP_HDR_LEN)
		return AP_HDR_LEN - d->have;
	flen = AP_HDR_LEN + (size_t)vms_get32(d->buf + 8);
	return flen > d->have ? flen - d->have : 1;
}

/* Read from the link and handle whole frames.  0, or -errno (link lost). */
static int link_read(struct sess *s)
{
	const uint8_t *payload;
	struct ap_hdr h;
	size_t room, want;
	uint8_t *p;
	ssize_t n;

	p = ap_decoder_space(&s->dec, &room);  /* unread bytes now start at buf */
	want = frame_missing(&s->dec);
	n = recv(s->fd, p, want < room ? want : room, MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	ap_decoder_commit(&s->dec, (size_t)n);
	while (ap_decoder_next(&s->dec, &h, &payload) == 1)
		on_frame(s, &h, payload);
	return 0;
}

/* The source may be read: running, credit, and room for one DATA frame. */
static bool src_wanted(const struct sess *s)
{
	return s->src_fd >= 0 && s->opened && !s->src_eof && !s->closed_in && !s->close_pending &&
	       s->credit > 0 && OUTQ_SIZE - s->out_len >= FRAME_MAX + 1024;
}

static void src_read(struct sess *s)
{
	size_t want = s->credit < AP_MAX_DATA ? (size_t)s->credit : AP_MAX_DATA;
	ssize_t n;

	n = read(s->src_fd, s->scratch, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0 && s->src_file)
		return sess_abort(s, -errno, "read: %s", strerror(errno));
	if (n <= 0) {  /* exec: an unreadable stdin is an empty one */
		s->src_eof = true;
		if (s->src_file && s->sent != s->src_size)
			sess_abort(s, -EIO, "the file changed size while being copied");
		return;
	}
	if (s->src_file && s->sent + (uint64_t)n > s->src_size)
		return sess_abort(s, -EIO, "the file changed size while being copied");
	q(s, ap_put_data(QROOM(s), s->chan, AP_STDIN, s->scratch, (size_t)n));
	s->credit -= (uint64_t)n;
	s->sent += (uint64_t)n;
}

/* Write a part of a sink's bytes (PIPE_BUF at a time unless a regular file,
 * so that a write after POLLOUT does not block for long). */
static void sink_write(struct sess *s, int stream)
{
	struct sink *k = &s->sink[stream];
	size_t n = k->whole || k->len < PIPE_BUF ? k->len : PIPE_BUF;
	ssize_t w;

	w = write(k->fd, k->buf + k->off, n);
	if (w < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		if (errno == EPIPE && s->op == AP_OP_EXEC)
			s->fail_status = 128 + SIGPIPE;
		return sess_abort(s, -errno, "write to %s: %s",
				  s->op == AP_OP_EXEC ? (stream == AP_STDOUT ? "stdout" : "stderr") : "the file",
				  strerror(errno));
	}
	k->off += (size_t)w;
	k->len -= (size_t)w;
	k->unacked += (uint32_t)w;
	if (k->len == 0)
		k->off = 0;
}

/* ---- signals ---- */

int vms_sigs_install(struct vms_sigs *g, const int *list, int n)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int r;

	if ((r = sig_pipe_open(&g->pipe, list, n)) < 0)
		return r;
	sigaction(SIGPIPE, &ign, &g->old_pipe);
	return 0;
}

int vms_sigs_abort(struct vms_sigs *g)
{
	static const int list[] = { SIGINT, SIGTERM, SIGHUP };

	return vms_sigs_install(g, list, 3);
}

void vms_sigs_restore(struct vms_sigs *g)
{
	sigaction(SIGPIPE, &g->old_pipe, NULL);
	sig_pipe_close(&g->pipe);
}

/* What the signal pipe holds: the op's own handling first, then forward,
 * or abort (before OPENED always: -EINTR). */
static void sess_signals(struct sess *s)
{
	int sig;

	while ((sig = sig_pipe_read(s->sigs)) > 0) {
		if (s->on_signal && s->on_signal(s, sig))
			continue;
		if (!s->opened) {
			sess_abort(s, -EINTR, "interrupted by %s before the session started", strsignal(sig));
		} else if (s->sig_fwd & (1ull << sig)) {
			s->sig_pending |= 1ull << sig;
		} else {
			if (s->sig_status)
				s->fail_status = 128 + sig;
			sess_abort(s, -EINTR, "interrupted by %s", strsignal(sig));
		}
	}
}

/* ---- the loop ---- */

static bool sinks_pending(const struct sess *s)
{
	int i;

	for (i = AP_STDOUT; i < AP_NSTREAMS; i++)
		if (s->sink[i].fd >= 0 && s->sink[i].len > 0)
			return true;
	return false;
}

int vms_sess_run(struct sess *s)
{
	struct pollfd pfd[5];
	int n, i, r, src_i, sig_i, sink_i[AP_NSTREAMS];
	long long left;

	for (;;) {
		sess_control(s);
		if ((r = outq_flush(s)) < 0 && !s->closed_in) {
			snprintf(s->fail_msg, sizeof(s->fail_msg), "the session link failed: %s", strerror(-r));
			return r;
		}
		if (r < 0)
			s->out_off = s->out_len = 0, s->link_dead = true;
		if (s->closed_in && !sinks_pending(s) && (s->out_len == 0 || s->link_dead))
			return 0;
		n = 0;
		src_i = sig_i = -1;
		if (!s->link_dead)
			pfd[n++] = (struct pollfd){ s->fd, POLLIN | (s->out_len ? POLLOUT : 0), 0 };
		if (src_wanted(s)) {
			src_i = n;
			pfd[n++] = (struct pollfd){ s->src_fd, POLLIN, 0 };
		}
		for (i = AP_STDOUT; i < AP_NSTREAMS; i++) {
			sink_i[i] = -1;
			if (s->sink[i].fd >= 0 && s->sink[i].len > 0) {
				sink_i[i] = n;
				pfd[n++] = (struct pollfd){ s->sink[i].fd, POLLOUT, 0 };
			}
		}
		if (s->sigs) {
			sig_i = n;
			pfd[n++] = (struct pollfd){ s->sigs->fd, POLLIN, 0 };
		}
		left = s->deadline ? s->deadline - mono_ms() : -1;
		if (s->deadline && left <= 0) {
			if (s->close_pending) {  /* our CLOSE was not answered: give up */
				snprintf(s->fail_msg + strlen(s->fail_msg), sizeof(s->fail_msg) - strlen(s->fail_msg),
					 " (and the agent did not answer the abort)");
				return s->fail;
			}
			sess_abort(s, -ETIMEDOUT, "no answer from the node");
			continue;
		}
		r = poll(pfd, (nfds_t)n, left < 0 ? -1 : left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR) {
			snprintf(s->fail_msg, sizeof(s->fail_msg), "poll: %s", strerror(errno));
			return -errno;
		}
		if (r <= 0)
			continue;
		if (!s->link_dead && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = link_read(s)) < 0) {
				if (!s->closed_in) {
					snprintf(s->fail_msg, sizeof(s->fail_msg),
						 "the session link closed (%s)", r == -ECONNRESET ?
						 "vnld or the agent went away" : strerror(-r));
					return r;
				}
				s->link_dead = true;
			}
		}
		if (src_i >= 0 && pfd[src_i].revents && src_wanted(s))
			src_read(s);
		for (i = AP_STDOUT; i < AP_NSTREAMS; i++)
			if (sink_i[i] >= 0 && pfd[sink_i[i]].revents && s->sink[i].len > 0) {
				if (pfd[sink_i[i]].revents & POLLNVAL) {
					sess_abort(s, -EBADF, "write: %s", strerror(EBADF));
					continue;
				}
				sink_write(s, i);
			}
		if (sig_i >= 0 && pfd[sig_i].revents)
			sess_signals(s);
	}
}

int vms_sess_open(struct sess *s, const struct ap_open *o)
{
	int n = ap_put_open(QROOM(s), s->chan, o);

	if (n < 0)
		return n;
	s->out_len += (size_t)n;
	s->deadline = mono_ms() + o->wait_ms + OPEN_GRACE_MS;
	return 0;
}

/*
 * The outcome of a finished non-exec session into err: 0, or the agent's
 * (CLOSE code < 0) or our own failure as "<msg>".  r: vms_sess_run()'s result.
 */
static int sess_result(struct sess *s, int r, struct vnl_err *err)
{
	if (r < 0)
		return vnl_errf(err, r, "%s", s->fail_msg);
	if (s->fail)
		return vnl_errf(err, s->fail, "%s", s->fail_msg);
	if (s->code < 0)
		return vnl_errf(err, s->code, "%s", s->msg[0] ? s->msg : strerror(-s->code));
	if (s->code > 0)
		return vnl_errf(err, -EIO, "the agent ended the session with code %d", s->code);
	return 0;
}

/* ---- connect, info ---- */

int vms_connect(const char *lab, struct vnl_err *err)
{
	return unix_connect_lab(lab, "agent.sock", err);
}

int vms_simple_op(int fd, const struct ap_open *o, int src_fd, uint64_t src_size, int out_fd, size_t max,
		  struct sig_pipe *sigs, struct sess **sp, struct vnl_err *err)
{
	struct sess *s;
	int r;

	*sp = NULL;
	if (!(s = vms_sess_new(fd, o->op)))
		return vnl_errf(err, -ENOMEM, "out of memory");
	if ((r = vms_sess_open(s, o)) < 0) {
		vms_sess_free(s);
		return vnl_errf(err, r, "%s: %s", o->path ? o->path : "OPEN",
				r == -EMSGSIZE || r == -EINVAL ? "path too long or not absolute" : strerror(-r));
	}
	if (src_fd >= 0) {
		s->src_fd = src_fd;
		s->src_file = true;
		s->src_size = src_size;
	}
	if (out_fd >= 0)
		vms_sink_fd(s, AP_STDOUT, out_fd);
	else if (max)
		sink_mem(s, AP_STDOUT, max);
	s->sigs = sigs;
	r = vms_sess_run(s);
	*sp = s;
	return sess_result(s, r, err);
}

int vms_info(int fd, const char *node, char **json, struct vnl_err *err)
{
	struct ap_open o = { .op = AP_OP_INFO, .target = node };
	struct sess *s;
	struct vms_sigs g;
	int r;

	vnl_err_clear(err);
	*json = NULL;
	if ((r = vms_sigs_abort(&g)) < 0)
		return vnl_errno(err, r, "info on %s: pipe", node);
	r = vms_simple_op(fd, &o, -1, 0, -1, INFO_MAX, &g.pipe, &s, err);
	vms_sigs_restore(&g);
	if (r == 0) {
		if (s->sink[AP_STDOUT].buf == NULL) {
			r = vnl_errf(err, -EPROTO, "the agent sent no INFO");
		} else {
			s->sink[AP_STDOUT].buf[s->sink[AP_STDOUT].len] = '\0';
			*json = (char *)s->sink[AP_STDOUT].buf;
			s->sink[AP_STDOUT].buf = NULL;
		}
	}
	vms_sess_free(s);
	if (r < 0)
		return vnl_err_wrap(err, "info on %s", node), r;
	return 0;
}
