/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-agent's internal contracts.  The agent runs in a Linux guest and
 * speaks the agent channel protocol (common/agentproto.h) on one link: the
 * virtio-serial port named AP_PORT_NAME, or a file descriptor / unix socket
 * for tests.  Files, by concern:
 *
 *   main.c   options, daemon mode and locks, the poll() loop, signals
 *   log.c    messages to stderr or the log file, rate limits
 *   port.c   finding (and if needed mknod'ing) the virtio-serial port
 *   link.c   the link: decoder, bounded output queue, HELLO/PING/PONG,
 *            host-gone / peer-lost handling
 *   chan.c   the channel table: OPEN dispatch through the op table, credit
 *            flow control, CLOSE in both directions, channel errors
 *   exec.c   op EXEC (pipes or a PTY), child reaping, killing aborted ones
 *   files.c  ops PUT, GET, LIST, MKDIR
 *   info.c   op INFO (JSON written by hand)
 *   nic.c    --nic-reset MAC: vnld's repair of a NIC that lost its features
 *
 * Thread-safety: none needed; the agent is one thread.  Children are
 * forked from it; every descriptor the agent holds is close-on-exec.
 * Memory is bounded: the link's output queue (LINK_OUT_CAP), one decoder
 * buffer, and per channel at most one window of input (AP_WINDOW_INIT) plus
 * small fixed state; output to the host is read from its source only when
 * the host's credit and the output queue allow it.
 * Errors: 0 / negative errno, as in common/.
 */
#pragma once

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agentproto.h"

#define AGENT_MAX_CHANS 256          /* open channels at once (>= 64 by contract) */
#define LINK_OUT_CAP (1024u * 1024u)  /* output queue bytes, control frames included */
#define LINK_DATA_HIGH (256u * 1024u) /* queue fill above which no DATA is produced
				       * and the link's input is not read */
#define LINK_RETRY_MS 200u            /* host-gone / no-port retry period */
#define EXEC_KILL_GRACE_MS 1000u      /* SIGHUP+SIGTERM, then SIGKILL after this */
#define EXEC_PTY_LINGER_MS 300u       /* PTY output quiet this long after exit: done */

/* ---- log.c ---- */

enum { LOG_E, LOG_W, LOG_I, LOG_D };

/* Where messages go (NULL: stderr) and whether LOG_D is printed. */
void log_setup(FILE *to, bool debug);
__attribute__((format(printf, 2, 3))) void alog(int level, const char *fmt, ...);

/*
 * Rate limit for messages that a peer can trigger at will (protocol
 * errors): at most `burst` per `interval_ms`; the count of suppressed ones
 * is reported with the next message let through.
 */
struct ratelimit {
	unsigned interval_ms, burst;
	uint64_t start;      /* start of the current interval */
	unsigned n;          /* messages in it */
	unsigned suppressed; /* since the last one printed */
};
#define RATELIMIT_INIT(ms, b) { .interval_ms = (ms), .burst = (b) }
__attribute__((format(printf, 3, 4))) void alog_rl(struct ratelimit *rl, int level, const char *fmt, ...);

/* ---- main.c ---- */

/* Monotonic milliseconds. */
uint64_t now_ms(void);

/*
 * The set of descriptors of one loop iteration, rebuilt every iteration:
 * each module adds what it waits for, with a callback and an object that
 * the callback gets back with its revents.
 */
struct pollset;
typedef void (*ps_cb)(void *obj, int tag, short revents);
void ps_add(struct pollset *ps, int fd, short events, ps_cb cb, void *obj, int tag);

/* ---- port.c ---- */

/*
 * The character device of the virtio-serial port named `name` (its
 * /sys/class/virtio-ports/vport*\/name), made with mknod from its sysfs
 * `dev` when /dev lacks it.  0 and path filled, -ENOENT when no port has
 * that name (yet), other -errno on failure.
 */
int port_find(const char *name, char *path, size_t size);

/* ---- link.c ---- */

enum link_kind {
	LINK_PORT,    /* a virtio-serial port: EOF = host gone, wait for it */
	LINK_FD,      /* a connected stream socket: EOF = exit */
};

/* 0 or -errno.  Takes ownership of fd; kind says what EOF means. */
int link_init(int fd, enum link_kind kind);
/* True once an --fd/--connect link has ended: main exits. */
bool link_done(void);
void link_poll(struct pollset *ps);
/* Timers (keepalive, peer-lost, host-back check); ms until the next one. */
int link_tick(uint64_t now);

/*
 * Queue one whole control frame (HELLO, PONG, OPENED, WINDOW, EOF, CLOSE).
 * Always accepted up to LINK_OUT_CAP; 0, or -ENOBUFS (dropped and logged:
 * the host stopped reading far beyond any sane point) or -ENOTCONN (the
 * host is gone: nothing to send to).
 */
int link_send(const uint8_t *frame, size_t n);
/*
 * Room for one DATA frame of up to `need` bytes, straight in the output
 * queue, or NULL when the queue is above LINK_DATA_HIGH or the host is
 * gone (the producer then stops reading its source).  link_commit() then
 * queues the n bytes written there (n <= need).
 */
uint8_t *link_data_space(size_t need);
void link_commit(size_t n);
/* True when link_data_space() would give room for a full DATA frame. */
bool link_room(void);

/* ---- chan.c ---- */

struct chan;

/*
 * One op (enum ap_op): the slots a channel calls.  open is required; the
 * others may be NULL (the frame is then a channel error, or nothing to do).
 * Lifecycle: open -> (input, input_eof, resize, signal, poll, ready, pump)*
 * -> release, exactly once, from chan_finish/chan_abort.  A slot returning
 * < 0 makes chan.c close the channel with that code and c->msg.
 */
struct chan_ops {
	const char *name;
	/* Start the session; send OPENED (chan_opened) on success.  Fails
	 * with -errno and a message (chan_msg) and nothing left behind. */
	int (*open)(struct chan *c, const struct ap_open *o);
	/* n bytes of STDIN (n <= the credit, checked): take them all (write
	 * or buffer, at most one window) and report what reached the sink
	 * with chan_passed(). */
	int (*input)(struct chan *c, const uint8_t *p, uint32_t n);
	int (*input_eof)(struct chan *c);
	int (*resize)(struct chan *c, uint16_t rows, uint16_t cols);
	int (*signal)(struct chan *c, int signo);
	/* Add the descriptors to wait on (with chan_ready as callback). */
	void (*poll)(struct chan *c, struct pollset *ps);
	/* A descriptor added with `tag` is ready. */
	void (*ready)(struct chan *c, int tag, short revents);
	/* Produce output while credit and the link allow; true if it did any
	 * work (the loop then polls without sleeping). */
	bool (*pump)(struct chan *c);
	/* Free everything.  abort: the session did not finish (host CLOSE,
	 * peer gone): kill the process group, remove temporary files. */
	void (*release)(struct chan *c, bool abort);
};

extern const struct chan_ops exec_ops, put_ops, get_ops, list_ops, mkdir_ops, info_ops;

struct chan {
	uint32_t id;                  /* the host's channel id */
	uint8_t opcode;               /* enum ap_op */
	const struct chan_ops *ops;
	bool dead;                    /* closed; freed at the end of the loop iteration */
	uint64_t credit[AP_NSTREAMS]; /* STDOUT/STDERR: bytes the host lets us send */
	uint32_t in_credit;           /* STDIN: bytes the host may still send */
	uint32_t in_passed;           /* STDIN bytes passed to the sink since the last WINDOW */
	bool in_eof;                  /* the host sent EOF on STDIN */
	uint64_t wake_at;             /* the op wants a pump at this time (0: none) */
	char msg[AP_MAX_MSG];         /* message of a failing slot (chan_msg) */
	void *op;                     /* the op's own state */
};

/* Dispatch one channel frame from the link (header checked). */
void chan_input(const struct ap_hdr *h, const uint8_t *p);
/* Every channel: add descriptors / pump / earliest wake_at (or UINT64_MAX). */
void chan_poll_all(struct pollset *ps);
bool chan_pump_all(void);
uint64_t chan_wake_all(void);
/* Free the channels closed during this iteration. */
void chan_sweep(void);
/* End every channel without telling the host (it is gone or replaced). */
void chan_end_all(const char *why);
unsigned chan_count(void);

/* For ops: */
int chan_opened(struct chan *c, uint32_t pid, uint32_t mode, uint64_t fsize);
/* Success (code >= 0) or failure (< 0, message printf-style): CLOSE + release. */
__attribute__((format(printf, 3, 4))) void chan_finish(struct chan *c, int code, const char *fmt, ...);
/* Fill c->msg for a failing slot; returns code (a negative errno). */
__attribute__((format(printf, 3, 4))) int chan_msg(struct chan *c, int code, const char *fmt, ...);
/* n STDIN bytes reached the sink: WINDOW back to the host per the contract. */
void chan_passed(struct chan *c, uint32_t n);
/*
 * Read from fd straight into a DATA frame on `stream`, at most the credit
 * and AP_MAX_DATA: > 0 bytes sent, 0 end of file, -ENOBUFS no credit or no
 * link room (nothing read), -EAGAIN nothing to read now, other -errno.
 */
ssize_t chan_read_fd(struct chan *c, uint8_t stream, int fd);
/* Send up to n bytes of buf as DATA: bytes sent (0: no credit/room). */
size_t chan_send_buf(struct chan *c, uint8_t stream, const void *buf, size_t n);
/* Send EOF on stream: 0 or -errno (retry later on -ENOBUFS). */
int chan_send_eof(struct chan *c, uint8_t stream);
/* Callback to give ps_add for a channel's descriptors. */
void chan_ready(void *obj, int tag, short revents);

/* ---- exec.c ---- */

/* SIGCHLD: reap every exited child, channels and aborted ones alike. */
void exec_reap(void);
/* Kill aborted process groups whose grace ran out; ms until the next. */
int exec_tick(uint64_t now);
/* At exit: SIGKILL every process group still alive. */
void exec_kill_all(void);

/* ---- info.c ---- */

/* The INFO JSON text (malloc'ed, *len bytes), NULL and errno on failure. */
char *info_json(size_t *len);

/* ---- nic.c ---- */

/*
 * `vnl-agent --nic-reset MAC`, run as a command (vnld: an EXEC of
 * /proc/self/exe), not in the loop: renegotiate the virtio-net NIC with
 * address MAC (unbind and bind its virtio device) keeping its name, up
 * state, MTU, addresses and routes.  Returns the exit status: 0 done (a
 * line on stdout), 1 failed (what, on stderr), 2 bad MAC.
 */
int nic_reset_main(const char *mac);
