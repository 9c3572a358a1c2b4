/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-web: the lab in a browser (docs/plans/web.md). One lws context, one
 * thread: the HTTP server of the static UI, one WebSocket per tab (a
 * `struct sess`), and the file descriptors a tab's work needs (a `struct
 * chan`: a connection to a lab's vnld, a terminal's pty, a `vnl` child's
 * output), adopted into lws's loop as raw files.
 *
 * The page speaks vnld's protocol: vnl-web forwards request objects to
 * /run/vnetlab/LAB/vnld.sock as they are and returns the reply lines as
 * they are; it adds the lab list, the event stream of one lab per tab and
 * terminals (a `vnl` process on a pty: the shell runs inside the node).
 *
 * Errors: 0 or a negative errno; what the page asked for and could not
 * get is answered to the page (an `{"ok":false,"error":...}` reply), never
 * logged. Thread-safety: everything runs on lws's service thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <libwebsockets.h>

#include "outq.h"

/* Bytes a channel or a tab may hold at once (outq caps): a reply line of
 * vnld (a whole lab's show), a page's message. */
#define CHAN_IN_MAX (16u << 20)
#define CHAN_OUT_MAX (1u << 20)
#define SESS_RX_MAX (1u << 20)

/*
 * What one tab may hold at once. Beyond SESS_QUEUE_MAX bytes queued for
 * the page, vnl-web stops reading the tab and its channels until the page
 * has caught up (half of it); a tab whose queue would pass SESS_QUEUE_HARD
 * (only replies already under way can take it there) is closed. Requests
 * in flight, terminals and `vnl start` children beyond their caps are
 * answered with an error.
 */
#define SESS_QUEUE_MAX (4u << 20)
#define SESS_QUEUE_HARD (32u << 20)
#define SESS_REQ_MAX 64
#define SESS_TERM_MAX 8
#define SESS_PROC_MAX 1
/* Captures of a tab, running or waiting for their download, and the size
 * at which vnl-web stops one (docs/plans/web.md, "Capture"). */
#define SESS_CAP_MAX 2
#define CAP_FILE_MAX (64ll << 20) /* the default of --capture-max */
#define CAP_FILTER_MAX 512        /* bytes of a capture filter's text */

/* Drop the first n pending bytes of q (outq.h's buffer used as a byte
 * queue that is read here, not sent). */
static inline void outq_eat(struct outq *q, size_t n)
{
	q->off += n;
	if (q->off >= q->len)
		q->off = q->len = 0;
}

enum chan_type {
	CHAN_REQ,   /* one vnld request: write the line, read one reply line, close */
	CHAN_WATCH, /* vnld's event stream: every line is an event for the page */
	CHAN_TERM,  /* a terminal: a vnl child on a pty, bytes both ways */
	CHAN_PROC,  /* a vnl child (vnl start): its output kept, its status replied */
	CHAN_CAP,   /* a `vnl capture -w FILE` child: its output kept, capture-end at its end */
};

struct sess;

/* One adopted file descriptor working for a tab. Owned by its lws wsi: it
 * is freed when the wsi closes (chan_close() asks for that). */
struct chan {
	enum chan_type type;
	struct sess *sess;   /* the tab it answers, NULL once the tab is gone */
	struct lws *wsi;     /* the adopted fd's wsi */
	int fd;              /* the vnld socket, pty master or pipe */
	long id;             /* the page's request, terminal or capture id */
	pid_t pid;           /* CHAN_TERM, CHAN_PROC: the vnl child (0: reaped) */
	char lab[64];        /* the lab it talks to */
	struct outq out;     /* bytes still to write to fd (cap CHAN_OUT_MAX) */
	struct outq in;      /* bytes read from fd, not yet passed on (lines, output) */
	struct chan *next;   /* in sess->chans */
};

/* One queued frame for the page (LWS_PRE bytes of room before data). */
struct frame {
	struct frame *next;
	size_t len;
	bool binary;
	unsigned char data[];
};

/* One WebSocket: a browser tab. lws owns the memory (per-session data). */
struct sess {
	struct lws *wsi;
	struct chan *chans;        /* its channels, newest first */
	struct frame *head, *tail; /* frames to send, in order */
	size_t queued;             /* bytes in those frames */
	struct outq rx;            /* a message being reassembled from fragments */
	bool paused;               /* the tab and its channels are not read (queue full) */
	bool closing;              /* past SESS_QUEUE_HARD: closed on the next turn */
};

/* Settings of this run (main.c). */
struct web_conf {
	const char *root;   /* the UI folder (index.html, node_modules/) */
	char vnl[4096];     /* the vnl binary terminals and `start` run */
	char token[40];     /* the access token, hex */
	long long cap_max;  /* a capture file's size limit, bytes (--capture-max) */
};
extern struct web_conf web_conf;

/* Queue a frame for the page (text or binary): 0 or -ENOMEM. */
int sess_send(struct sess *s, const void *data, size_t len, bool binary);
/* Queue a text frame built from a printf format. */
int sess_sendf(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A reply the page waits for, made here: {"ok":false,"error":msg}. */
void sess_reply_error(struct sess *s, long id, const char *msg);
/* lws callback of the "vnl" WebSocket protocol (session.c). */
int sess_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/*
 * Adopt fd into the loop as a channel of s (chan.c). The channel owns fd
 * from here on, also on failure (closed then): returns the channel or NULL.
 */
struct chan *chan_adopt(struct sess *s, enum chan_type type, int fd, long id, const char *lab);
/* Queue bytes to write to the channel's fd: 0, -ENOBUFS or -ENOMEM. */
int chan_write(struct chan *c, const void *data, size_t len);
/* Close the channel soon (its wsi closes on the next service turn); its
 * child's process group gets SIGHUP. Detaches it from its session at once. */
void chan_close(struct chan *c);
/* lws callback of the raw channels (chan.c). */
int chan_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Channels of s of this type. */
unsigned chan_count(const struct sess *s, enum chan_type type);
/* Read (on) or stop reading (off) every channel of s. */
void chan_flow(struct sess *s, bool on);
/*
 * A child of a channel whose fd has ended (or that never got one): reaped
 * without blocking the loop (a timer polls it; its process group gets
 * SIGKILL after ~1 s), then its status goes to s (CHAN_TERM: term-exit,
 * CHAN_PROC: the reply of request id, last its last line of output;
 * CHAN_CAP: cap_ended()), unless s is NULL or has ended
 * (chan_forget_sess()) by then. ctx runs the timer.
 */
void chan_child_end(struct lws_context *ctx, pid_t pid, struct sess *s, enum chan_type type, long id,
		    const char *last);
/* s has ended: its children's statuses go nowhere. */
void chan_forget_sess(struct sess *s);

/*
 * Start `vnl ARGV...` (web_conf.vnl) with stdin, stdout and stderr on a
 * new pty (rows x cols) when pty, else stdin /dev/null and output on a
 * pipe. *fd is the pty master or the pipe's read end (non-blocking).
 * Returns the pid or a negative errno (proc.c).
 */
pid_t proc_spawn(char *const argv[], bool pty, int rows, int cols, int *fd);
/*
 * The same with the child's files limited to fsize_max bytes (RLIMIT_FSIZE,
 * SIGXFSZ ignored: a write past it fails with EFBIG); 0: no limit. Every
 * child gets SIGTERM when vnl-web dies (PR_SET_PDEATHSIG): a vnl-web
 * killed leaves no capture running and no terminal open.
 */
pid_t proc_spawn_limited(char *const argv[], bool pty, int rows, int cols, long long fsize_max, int *fd);
/* Set a pty's window size: 0 or -errno. */
int proc_resize(int fd, int rows, int cols);

/*
 * May this WebSocket upgrade go on (access.c)? Its Origin must be
 * http://HOST for the Host it came to, and it must give
 * ?token=web_conf.token, whatever the peer (the loopback too: vnl-web
 * runs as root and a terminal is a root shell). 0 yes, else -EACCES and
 * why in why[len].
 */
int access_check(struct lws *wsi, char *why, size_t len);
/* Is given the secret want? In constant time in their bytes (a token). */
bool token_eq(const char *given, const char *want);

/*
 * Captures (capture.c). cap_start(): `vnl --lab LAB capture TARGET -w
 * FILE [-f FILTER]` into vnl-web's private folder, TARGET checked to be
 * NODE:N or a LAN name, FILTER (NULL: none) printable ASCII of at most
 * CAP_FILTER_MAX bytes (vnl compiles it; its error ends the capture); the
 * reply gives the tab's {"cap":N}. cap_stop(): SIGINT to it (the file is
 * ended whole). cap_ended(): its child reaped (st its wait status, last its
 * last line of output): to s a {"t":"capture-end"} with the once-only
 * download URL, or the error; the file removed when s is NULL or it failed.
 * cap_forget_sess(): s has ended, its files not downloaded go.
 * cap_cleanup(): vnl-web ends (children killed and reaped, files and
 * folder removed). cap_sweep(): at start, the folders of vnl-webs that
 * died without their cleanup (killed) go.
 */
void cap_start(struct sess *s, long id, const char *lab, const char *target, const char *filter);
void cap_stop(struct sess *s, long id, long cap);
void cap_ended(pid_t pid, struct sess *s, int st, const char *last);
void cap_forget_sess(struct sess *s);
void cap_cleanup(void);
void cap_sweep(void);
/* lws callback of the /dl/TOKEN downloads (protocol "dl"). */
int cap_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
