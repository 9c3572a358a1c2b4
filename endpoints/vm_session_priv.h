/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The session engine of vm_session.h, shared by its three files:
 *   vm_session.c  the engine: one channel on the link, start to end
 *                 (frames, flow control, the poll() loop), connect, info
 *   vm_exec.c     exec and shell: vnl's stdio, its terminal (common/term.h)
 *                 and the signals forwarded to the command
 *   vm_copy.c     cp and cp -r: files and trees, both directions
 *
 * One channel is one `struct sess`: made by vms_sess_new(), its OPEN queued
 * by vms_sess_open(), its source and sinks set by the op, run to the end by
 * vms_sess_run(), read (code, msg, OPENED's fields, memory sinks), freed.
 * The op owns the fds it hands in (the engine never closes them) and the
 * signal pipe (vms_sigs_*), which must outlive the run.
 *
 * Errors: as vm_session.h (0 / negative errno); the engine's own failures
 * are in s->fail / s->fail_msg, the agent's in s->code / s->msg.
 * Thread-safety: one thread (vnl); the channel counter is process-wide.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "agentproto.h"
#include "err.h"
#include "term.h"

#define FRAME_MAX (AP_HDR_LEN + AP_MAX_PAYLOAD)
#define OUTQ_SIZE (2 * FRAME_MAX + 4096)  /* two DATA frames + control frames */

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

/* The caller's terminal for NODE_EXEC_TTY (vm_exec.c; its mode: term.h). */
struct vms_tty {
	int size_fd;            /* terminal the size comes from (0 or 1), -1: none */
	uint16_t rows, cols;    /* what the next RESIZE sends */
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
	/* The op's own handling of a signal, before the engine's: true when it
	 * took it (exec -t: SIGWINCH, SIGTSTP).  NULL: none. */
	bool (*on_signal)(struct sess *s, int sig);
	uint64_t sig_fwd;           /* signals forwarded as SIGNAL (1 << signo) */
	bool sig_status;            /* other signals: status 128+sig (exec) or -EINTR */
	uint64_t sig_pending;       /* signals to send */
	bool pong_pending, resize_pending;
	uint64_t pong_seq;
	struct vms_tty *tty;        /* exec -t, else NULL: RESIZE sends its size */

	uint8_t scratch[AP_MAX_DATA];
};

/* Little-endian u32 at p (frame lengths, LIST records). */
static inline uint32_t vms_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A channel on link fd for op, with the next channel id; NULL: no memory. */
struct sess *vms_sess_new(int fd, uint8_t op);

/* Free s and its buffers (not its fds); NULL accepted. */
void vms_sess_free(struct sess *s);

/* Output `stream` goes to fd (a regular file is written whole, others
 * PIPE_BUF at a time). */
void vms_sink_fd(struct sess *s, int stream, int fd);

/* Queue the OPEN and arm its deadline (wait_ms + the grace).  0 or the
 * codec's -errno (-EMSGSIZE: too long, -EINVAL: malformed). */
int vms_sess_open(struct sess *s, const struct ap_open *o);

/*
 * Run the channel whose OPEN is queued until the agent's CLOSE has come and
 * every byte received is written, or our abort is answered (or timed out).
 * 0 when the session ended (s->code, s->msg: the agent's verdict; s->fail:
 * ours), or -errno with s->fail_msg when the link broke.
 */
int vms_sess_run(struct sess *s);

/*
 * Run one non-exec op: src_fd (-1: none) feeds STDIN with src_size bytes;
 * STDOUT goes to out_fd, or when max > 0 to memory (sink buf, NUL room
 * kept, up to max bytes).  sigs: the caller's signal pipe (vms_sigs_abort).
 * *sp gets the finished session (caller frees; NULL on early failure) for
 * OPENED's fields and the memory sink.  0, or the agent's or our failure
 * in err as "<msg>".
 */
int vms_simple_op(int fd, const struct ap_open *o, int src_fd, uint64_t src_size, int out_fd, size_t max,
		  struct sig_pipe *sigs, struct sess **sp, struct vnl_err *err);

/* The signal handlers of one call and what they replaced. */
struct vms_sigs {
	struct sig_pipe pipe;       /* hand &pipe to the sessions */
	struct sigaction old_pipe;  /* SIGPIPE's, ignored meanwhile */
};

/* Handle `list` (n <= SIG_PIPE_MAX signals) through a pipe, ignore
 * SIGPIPE.  0 or -errno (no pipe). */
int vms_sigs_install(struct vms_sigs *g, const int *list, int n);

/* vms_sigs_install() of the signals that abort a copy or an INFO with
 * -EINTR (SIGINT, SIGTERM, SIGHUP), so that temporary files go. */
int vms_sigs_abort(struct vms_sigs *g);

/* The previous dispositions back, the pipe closed. */
void vms_sigs_restore(struct vms_sigs *g);
