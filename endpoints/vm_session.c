/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agent sessions, client side (vm_session.h).  One engine runs every
 * channel: a single-threaded poll() loop over the link, one source (vnl's
 * stdin, a PUT's file), up to two sinks (stdout/stderr, a GET's file, or
 * memory for LIST and INFO) and a self-pipe for signals.  All control
 * (WINDOW, SIGNAL, RESIZE, EOF, CLOSE, PONG) is kept as pending state and
 * turned into frames by sess_control() when the output queue has room, so
 * nothing is lost when the link is slow and nothing grows without bound.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "agentproto.h"
#include "node_kind.h"
#include "vm_session.h"
#include "term.h"
#include "unixsock.h"

#define FRAME_MAX (AP_HDR_LEN + AP_MAX_PAYLOAD)
#define OUTQ_SIZE (2 * FRAME_MAX + 4096)  /* two DATA frames + control frames */
#define OPEN_GRACE_MS 15000               /* beyond wait_ms, for OPENED */
#define ABORT_WAIT_MS AP_DEAD_MS          /* for the answer to our CLOSE */
#define LIST_MAX (16u << 20)              /* LIST text we accept */
#define CP_DEPTH_MAX 64                   /* folder levels of a cp -r from the node */
#define CP_HELD_MAX (16u << 20)           /* LIST text held at once by a cp -r from the node */
#define INFO_MAX (1u << 20)               /* INFO text we accept */
#define SHELL_CMD "if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi"

/* Where one agent output stream goes. */
struct sink {
	bool used;          /* the op produces this stream; DATA on others is an error */
	int fd;             /* destination, or -1: memory (buf grows up to max) */
	bool whole;         /* fd is a regular file: write everything at once */
	uint8_t *buf;       /* fd: AP_WINDOW_INIT bytes, lazily; memory: the text */
	size_t off, len;    /* fd: pending bytes at buf + off; memory: off = 0 */
	size_t cap, max;    /* allocated, and (memory) the limit */
	uint32_t credit;    /* bytes the agent may still send on this stream */
	uint32_t unacked;   /* bytes passed on since the last WINDOW */
	uint64_t total;     /* bytes received, ever */
};

/* The caller's terminal for NODE_EXEC_TTY (its mode: common/term.h). */
struct tty {
	int size_fd;            /* terminal the size comes from (0 or 1), -1: none */
	uint16_t rows, cols;
};

/* One channel on one link, start to end. */
struct sess {
	int fd;                     /* the link */
	uint32_t chan;
	uint8_t op;                 /* enum ap_op */
	struct ap_decoder dec;
	bool link_dead;             /* EOF on the link after the agent's CLOSE */

	uint8_t out[OUTQ_SIZE];     /* whole frames for the link; starts at a frame */
	size_t out_off, out_len;    /* sent, queued */

	int src_fd;                 /* STDIN source, -1: none */
	bool src_file;              /* a PUT's file: read errors fail the copy */
	bool src_eof, eof_sent;
	uint64_t credit;            /* our STDIN credit */
	uint64_t sent;              /* STDIN bytes sent */
	uint64_t src_size;          /* PUT: the size announced */

	struct sink sink[AP_NSTREAMS];

	bool opened, closed_in, close_pending, close_sent;
	int32_t code;               /* the agent's CLOSE */
	char msg[AP_MAX_MSG];
	uint32_t pid, mode;         /* OPENED */
	uint64_t fsize;
	long long deadline;         /* ms, 0: none */

	int fail;                   /* our own reason to abort, 0: none */
	int fail_status;            /* exec: status to report instead of fail, -1 none */
	char fail_msg[256];

	struct sig_pipe *sigs;      /* the signal handlers' pipe, NULL: none */
	uint64_t sig_fwd;           /* signals forwarded as SIGNAL (1 << signo) */
	bool sig_status;            /* other signals: status 128+sig (exec) or -EINTR */
	uint64_t sig_pending;       /* signals to send */
	bool pong_pending, resize_pending;
	uint64_t pong_seq;
	struct tty *tty;            /* exec -t, else NULL */

	uint8_t scratch[AP_MAX_DATA];
};

static uint32_t next_chan;  /* per-process channel ids, never 0 */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- the channel engine ---- */

static struct sess *sess_new(int fd, uint8_t op)
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

static void sess_free(struct sess *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < AP_NSTREAMS; i++)
		free(s->sink[i].buf);
	ap_decoder_fini(&s->dec);
	free(s);
}

static void sink_fd(struct sess *s, int stream, int fd)
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

	while (at < s->out_len && at + (flen = AP_HDR_LEN + get32(s->out + at + 8)) <= s->out_off)
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
	flen = AP_HDR_LEN + (size_t)get32(d->buf + 8);
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

/* ---- terminal and signals ---- */

/* The handlers of one session and what they replaced. */
struct sigs {
	struct sig_pipe pipe;
	struct sigaction old_pipe;  /* SIGPIPE's */
};

/* Handle `list` (n <= SIG_PIPE_MAX signals) through a pipe, ignore SIGPIPE. */
static int sigs_install(struct sigs *g, const int *list, int n)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int r;

	if ((r = sig_pipe_open(&g->pipe, list, n)) < 0)
		return r;
	sigaction(SIGPIPE, &ign, &g->old_pipe);
	return 0;
}

static void sigs_restore(struct sigs *g)
{
	sigaction(SIGPIPE, &g->old_pipe, NULL);
	sig_pipe_close(&g->pipe);
}

static void tty_size(struct tty *t)
{
	struct winsize ws;

	if (t->size_fd >= 0 && term_size(t->size_fd, &ws) == 0 && ws.ws_row && ws.ws_col) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
	} else {
		t->rows = 24;
		t->cols = 80;
	}
}

/* The size of stdin's terminal, else stdout's, else 24x80. */
static void tty_init(struct tty *t)
{
	*t = (struct tty){ .size_fd = isatty(0) ? 0 : isatty(1) ? 1 : -1 };
	tty_size(t);
}

static void sess_signals(struct sess *s)
{
	int sig;

	while ((sig = sig_pipe_read(s->sigs)) > 0) {
		if (sig == SIGWINCH && s->tty) {
			tty_size(s->tty);
			s->resize_pending = true;
		} else if (sig == SIGTSTP && s->tty) {
			/* Stop as SIGTSTP would have, with the terminal given back meanwhile. */
			term_stop();
			tty_size(s->tty);
			s->resize_pending = true;
		} else if (!s->opened) {
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

/*
 * Run the channel whose OPEN is queued until the agent's CLOSE has come and
 * every byte received is written, or our abort is answered (or timed out).
 * 0 when the session ended (s->code, s->msg: the agent's verdict; s->fail:
 * ours), or -errno with s->fail_msg when the link broke.
 */
static int sess_run(struct sess *s)
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

/* Queue the OPEN.  0 or the codec's -errno. */
static int sess_open(struct sess *s, const struct ap_open *o)
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
 * (CLOSE code < 0) or our own failure as "<msg>".  r: sess_run()'s result.
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

/* ---- connect, exec, shell ---- */

int vms_connect(const char *lab, struct vnl_err *err)
{
	return unix_connect_lab(lab, "agent.sock", err);
}

int vms_exec(int fd, const char *node, char *const argv[], int flags, unsigned wait_ms, int *status,
	     struct vnl_err *err)
{
	static const int sig_list[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP };
	struct ap_open o = { .op = AP_OP_EXEC, .wait_ms = wait_ms, .target = node };
	char term[256];
	const char *env[1];
	struct sess *s;
	struct sigs g;
	struct tty t;
	int r;

	vnl_err_clear(err);
	while (argv[o.argc])
		o.argc++;
	if (o.argc == 0)
		return vnl_errf(err, -EINVAL, "exec on %s: empty command", node);
	o.argv = (const char *const *)argv;
	if (!(s = sess_new(fd, AP_OP_EXEC)))
		return vnl_errf(err, -ENOMEM, "exec on %s: out of memory", node);
	if (flags & NODE_EXEC_TTY) {
		tty_init(&t);
		s->tty = &t;
		o.flags = AP_OPEN_PTY;
		o.rows = t.rows;
		o.cols = t.cols;
		if (getenv("TERM") && getenv("TERM")[0]) {
			snprintf(term, sizeof(term), "TERM=%s", getenv("TERM"));
			env[0] = term;
			o.env = env;
			o.envc = 1;
		}
	}
	if ((r = sess_open(s, &o)) < 0) {
		sess_free(s);
		return vnl_errf(err, r, "exec on %s: %s", node,
				r == -EMSGSIZE ? "command line too long" : "invalid command (an empty argument?)");
	}
	s->src_fd = 0;
	sink_fd(s, AP_STDOUT, 1);
	sink_fd(s, AP_STDERR, 2);
	s->sig_fwd = 1ull << SIGINT | 1ull << SIGQUIT;
	if (!s->tty)
		s->sig_fwd |= 1ull << SIGTERM | 1ull << SIGHUP;
	s->sig_status = true;
	/* SIGWINCH and SIGTSTP only matter with a PTY (5 and 6 of the list). */
	if ((r = sigs_install(&g, sig_list, s->tty ? 6 : 4)) < 0) {
		sess_free(s);
		return vnl_errno(err, r, "exec on %s: pipe", node);
	}
	s->sigs = &g.pipe;
	if (s->tty)
		term_raw(0);
	r = sess_run(s);
	if (s->tty)
		term_restore();
	sigs_restore(&g);
	if (s->fail_status >= 0) {  /* broken pipe, or -t ended by a signal */
		*status = s->fail_status;
		r = 0;
	} else if (r < 0 || s->fail) {
		r = vnl_errf(err, r < 0 ? r : s->fail, "exec on %s: %s", node, s->fail_msg);
	} else if (s->code < 0) {
		r = vnl_errf(err, s->code, "exec on %s: %s", node, s->msg[0] ? s->msg : strerror(-s->code));
	} else {
		*status = s->code;
	}
	sess_free(s);
	return r;
}

int vms_shell(int fd, const char *node, unsigned wait_ms, int *status, struct vnl_err *err)
{
	char *const argv[] = { "/bin/sh", "-c", SHELL_CMD, NULL };

	return vms_exec(fd, node, argv, NODE_EXEC_TTY, wait_ms, status, err);
}

/* ---- simple ops: one channel, output into memory ---- */

/* Signals that abort a copy or an INFO (-EINTR), so that temp files go. */
static const int abort_sigs[] = { SIGINT, SIGTERM, SIGHUP };

/*
 * Run one non-exec op: src_fd (-1: none) feeds STDIN with src_size bytes;
 * STDOUT goes to out_fd, or when max > 0 to memory (sink buf, NUL room
 * kept, up to max bytes).  sigs: the caller's signal pipe (abort_sigs).
 * *sp gets the finished session (caller frees; NULL on early failure) for
 * OPENED's fields and the memory sink.
 */
static int simple_op(int fd, const struct ap_open *o, int src_fd, uint64_t src_size, int out_fd, size_t max,
		     struct sig_pipe *sigs, struct sess **sp, struct vnl_err *err)
{
	struct sess *s;
	int r;

	*sp = NULL;
	if (!(s = sess_new(fd, o->op)))
		return vnl_errf(err, -ENOMEM, "out of memory");
	if ((r = sess_open(s, o)) < 0) {
		sess_free(s);
		return vnl_errf(err, r, "%s: %s", o->path ? o->path : "OPEN",
				r == -EMSGSIZE || r == -EINVAL ? "path too long or not absolute" : strerror(-r));
	}
	if (src_fd >= 0) {
		s->src_fd = src_fd;
		s->src_file = true;
		s->src_size = src_size;
	}
	if (out_fd >= 0)
		sink_fd(s, AP_STDOUT, out_fd);
	else if (max)
		sink_mem(s, AP_STDOUT, max);
	s->sigs = sigs;
	r = sess_run(s);
	*sp = s;
	return sess_result(s, r, err);
}

int vms_info(int fd, const char *node, char **json, struct vnl_err *err)
{
	struct ap_open o = { .op = AP_OP_INFO, .target = node };
	struct sess *s;
	struct sigs g;
	int r;

	vnl_err_clear(err);
	*json = NULL;
	if ((r = sigs_install(&g, abort_sigs, 3)) < 0)
		return vnl_errno(err, r, "info on %s: pipe", node);
	r = simple_op(fd, &o, -1, 0, -1, INFO_MAX, &g.pipe, &s, err);
	sigs_restore(&g);
	if (r == 0) {
		if (s->sink[AP_STDOUT].buf == NULL) {
			r = vnl_errf(err, -EPROTO, "the agent sent no INFO");
		} else {
			s->sink[AP_STDOUT].buf[s->sink[AP_STDOUT].len] = '\0';
			*json = (char *)s->sink[AP_STDOUT].buf;
			s->sink[AP_STDOUT].buf = NULL;
		}
	}
	sess_free(s);
	if (r < 0)
		return vnl_err_wrap(err, "info on %s", node), r;
	return 0;
}

/* ---- copy ---- */

/* One vms_copy() call: where errors and skipped entries are told. */
struct cp {
	int fd;
	struct sig_pipe *sigs;  /* the signal pipe of the whole copy */
	const char *node;
	struct vnl_err *err;
	int skipped;
	char first_skipped[PATH_MAX];
	mode_t umask;       /* the process's: modes from the node are masked by it */
	size_t held;        /* LIST text held by the folders being walked (CP_HELD_MAX) */
};

/* "a" + "/" + "b", malloc'ed, NULL on ENOMEM. */
static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s%s%s", a, a[0] && a[strlen(a) - 1] == '/' ? "" : "/", b) < 0)
		return NULL;
	return p;
}

static void cp_skip(struct cp *c, const char *side, const char *path)
{
	if (c->skipped++ == 0)
		snprintf(c->first_skipped, sizeof(c->first_skipped), "%s%s", side, path);
}

/* PUT host file src (opened, st) to node path dst. */
static int put_file(struct cp *c, const char *src, const char *dst)
{
	struct ap_open o = { .op = AP_OP_PUT, .target = c->node, .path = dst };
	struct sess *s;
	struct stat st;
	int sfd, r;

	sfd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (sfd < 0)
		return vnl_errno(c->err, errno, "open %s", src);
	if (fstat(sfd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? vnl_errf(c->err, -EISDIR, "%s is a folder (copy it recursively)", src)
					: vnl_errf(c->err, -EINVAL, "%s is not a regular file", src);
		close(sfd);
		return r;
	}
	o.mode = st.st_mode & 07777;
	o.size = (uint64_t)st.st_size;
	r = simple_op(c->fd, &o, sfd, o.size, -1, 0, c->sigs, &s, c->err);
	sess_free(s);
	close(sfd);
	return r;
}

/* The base name of path (after its last '/'), for temp names. */
static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* GET node file src into host path dst: temp file, check, rename. */
static int get_file(struct cp *c, const char *src, const char *dst)
{
	struct ap_open o = { .op = AP_OP_GET, .target = c->node, .path = src };
	char tmp[PATH_MAX];
	const char *base = base_name(dst);
	struct sess *s = NULL;
	int tfd, r;

	if (!base[0])
		return vnl_errf(c->err, -EINVAL, "%s: a file name is needed", dst);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.vnl-XXXXXX", (int)(base - dst), dst, base) >= sizeof(tmp))
		return vnl_errf(c->err, -ENAMETOOLONG, "%s: name too long", dst);
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0)
		return vnl_errno(c->err, errno, "create %s", dst);
	r = simple_op(c->fd, &o, -1, 0, tfd, 0, c->sigs, &s, c->err);
	if (r == 0 && s->sink[AP_STDOUT].total != s->fsize)
		r = vnl_errf(c->err, -EIO, "%s: %llu bytes arrived, %llu announced", src,
			     (unsigned long long)s->sink[AP_STDOUT].total, (unsigned long long)s->fsize);
	/* No set-id or sticky bit from a guest, nothing the umask would not give. */
	if (r == 0 && fchmod(tfd, s->mode & 0777 & ~c->umask) < 0)
		r = vnl_errno(c->err, errno, "chmod %s", tmp);
	if (close(tfd) < 0 && r == 0)
		r = vnl_errno(c->err, errno, "write %s", dst);
	if (r == 0 && rename(tmp, dst) < 0)
		r = vnl_errno(c->err, errno, "rename to %s", dst);
	if (r < 0)
		unlink(tmp);
	sess_free(s);
	return r;
}

static int node_mkdir(struct cp *c, const char *path, mode_t mode)
{
	struct ap_open o = { .op = AP_OP_MKDIR, .target = c->node, .path = path, .mode = mode & 07777 };
	struct sess *s;
	int r;

	r = simple_op(c->fd, &o, -1, 0, -1, 0, c->sigs, &s, c->err);
	sess_free(s);
	return r;
}

/* Host folder src (mode) to node folder dst, recursively. */
static int put_tree(struct cp *c, const char *src, const char *dst, mode_t mode)
{
	struct dirent *d;
	char *hs, *nd;
	struct stat st;
	DIR *dir;
	int r;

	if ((r = node_mkdir(c, dst, mode)) < 0)
		return r;
	if (!(dir = opendir(src)))
		return vnl_errno(c->err, errno, "open folder %s", src);
	while (r == 0 && (errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		hs = path_join(src, d->d_name);
		nd = path_join(dst, d->d_name);
		if (!hs || !nd)
			r = vnl_errf(c->err, -ENOMEM, "out of memory");
		else if (lstat(hs, &st) < 0)
			r = vnl_errno(c->err, errno, "stat %s", hs);
		else if (S_ISDIR(st.st_mode))
			r = put_tree(c, hs, nd, st.st_mode);
		else if (S_ISREG(st.st_mode))
			r = put_file(c, hs, nd);
		else
			cp_skip(c, "", hs);
		free(hs);
		free(nd);
	}
	if (r == 0 && errno)
		r = vnl_errno(c->err, errno, "read folder %s", src);
	closedir(dir);
	return r;
}

/* LIST node folder path: the records in *text (caller frees), *len bytes. */
static int node_list(struct cp *c, const char *path, uint8_t **text, size_t *len)
{
	struct ap_open o = { .op = AP_OP_LIST, .target = c->node, .path = path };
	struct sess *s;
	int r;

	*text = NULL;
	*len = 0;
	r = simple_op(c->fd, &o, -1, 0, -1, LIST_MAX, c->sigs, &s, c->err);
	if (r == 0) {
		*text = s->sink[AP_STDOUT].buf;
		*len = s->sink[AP_STDOUT].len;
		s->sink[AP_STDOUT].buf = NULL;
	}
	sess_free(s);
	return r;
}

/* mkdir (mode under the umask), or reuse a folder; below the top (depth > 0)
 * a symlink is never followed, so the copy cannot leave dst. */
static int host_mkdir(struct cp *c, const char *path, mode_t mode, unsigned depth)
{
	struct stat st;

	if (mkdir(path, (mode & 0777) | 0700) == 0)
		return 0;
	if (errno == EEXIST && (depth ? lstat(path, &st) : stat(path, &st)) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		return vnl_errf(c->err, -EEXIST, "mkdir %s: exists and is not a folder", path);
	return vnl_errno(c->err, errno, "mkdir %s", path);
}

/*
 * Node folder src (already LISTed: text, counted in c->held) to host folder
 * dst, recursively, at `depth` below the top.  The guest decides the tree:
 * depth, the listings held along the path and the host path length are
 * bounded (CP_DEPTH_MAX, CP_HELD_MAX, PATH_MAX), each refused with an error
 * naming its limit.
 */
static int get_tree(struct cp *c, const char *src, const char *dst, mode_t mode, uint8_t *text, size_t len,
		    unsigned depth)
{
	size_t at = 0, nl;
	uint8_t *sub;
	size_t sublen;
	char *ns, *hd;
	uint32_t emode;
	uint8_t type;
	int r;

	if ((r = host_mkdir(c, dst, mode, depth)) < 0)
		return r;
	while (r == 0 && at < len) {
		/* u8 type, u32 mode, u64 size, name NUL */
		if (len - at < 14 || !memchr(text + at + 13, 0, len - at - 13))
			return vnl_errf(c->err, -EPROTO, "%s: malformed LIST record", src);
		type = text[at];
		emode = get32(text + at + 1);
		ns = path_join(src, (char *)text + at + 13);
		hd = path_join(dst, (char *)text + at + 13);
		nl = strlen((char *)text + at + 13);
		if (!ns || !hd || nl == 0 || strchr((char *)text + at + 13, '/') ||
		    !strcmp((char *)text + at + 13, ".") || !strcmp((char *)text + at + 13, "..")) {
			r = !ns || !hd ? vnl_errf(c->err, -ENOMEM, "out of memory")
				       : vnl_errf(c->err, -EPROTO, "%s: bad name in LIST record", src);
		} else if (nl > NAME_MAX || strlen(hd) >= PATH_MAX) {
			r = vnl_errf(c->err, -ENAMETOOLONG, "a name longer than %d or a path longer than %d bytes "
				     "(cp -r's limits) at %.200s", NAME_MAX, PATH_MAX - 1, ns);
		} else if (type == 'd' && depth + 1 >= CP_DEPTH_MAX) {
			r = vnl_errf(c->err, -ELOOP, "the tree is deeper than %d levels (cp -r's limit) at %s",
				     CP_DEPTH_MAX, ns);
		} else if (type == 'd') {
			if ((r = node_list(c, ns, &sub, &sublen)) == 0 && c->held + sublen > CP_HELD_MAX)
				r = vnl_errf(c->err, -E2BIG, "the folder listings along the path exceed %u MiB "
					     "(cp -r's limit) at %s", CP_HELD_MAX >> 20, ns);
			if (r == 0) {
				c->held += sublen;
				r = get_tree(c, ns, hd, emode, sub, sublen, depth + 1);
				c->held -= sublen;
			}
			free(sub);
		} else if (type == 'f') {
			r = get_file(c, ns, hd);
		} else {
			cp_skip(c, ":", ns);
		}
		free(ns);
		free(hd);
		at += 13 + nl + 1;
	}
	return r;
}

int vms_copy(int fd, const char *node, const char *src, const char *dst, int to_node, int recursive,
	     struct vnl_err *err)
{
	struct cp c = { .fd = fd, .node = node, .err = err };
	struct stat st;
	struct sigs g;
	uint8_t *text;
	size_t len;
	int r;

	vnl_err_clear(err);
	c.umask = umask(0);
	umask(c.umask);
	if ((r = sigs_install(&g, abort_sigs, 3)) < 0)
		return vnl_errno(err, r, "copy: pipe");
	c.sigs = &g.pipe;
	if (to_node) {
		if (recursive && stat(src, &st) == 0 && S_ISDIR(st.st_mode))
			r = put_tree(&c, src, dst, st.st_mode);
		else
			r = put_file(&c, src, dst);
	} else if (recursive) {
		r = node_list(&c, src, &text, &len);
		if (r == -ENOTDIR) {
			vnl_err_clear(err);
			r = get_file(&c, src, dst);
		} else if (r == 0) {
			c.held = len;
			r = get_tree(&c, src, dst, 0755, text, len, 0);
		}
		free(text);
	} else {
		r = get_file(&c, src, dst);
	}
	sigs_restore(&g);
	if (r < 0)
		return vnl_err_wrap(err, "copy %s %s:%s", to_node ? "to" : "from", node, to_node ? dst : src), r;
	if (c.skipped && err) {  /* for the caller's warning: the message, with code 0 */
		if (c.skipped > 1)
			vnl_errf(err, -EIO, "%s%s and %d more", c.first_skipped[0] == ':' ? node : "",
				 c.first_skipped, c.skipped - 1);
		else
			vnl_errf(err, -EIO, "%s%s", c.first_skipped[0] == ':' ? node : "", c.first_skipped);
		err->code = 0;
	}
	return c.skipped;
}
