/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The caller's terminal during an interactive session (`vnl exec -t` and
 * `vnl console` on cnt nodes, `vnl exec -t`, `vnl shell` and `vnl console`
 * on VMs): raw mode and its restore, the window size, and signals such as
 * SIGWINCH turned into bytes on a pipe that a poll() loop watches.
 *
 * One raw terminal per process: term_raw() keeps the saved mode in static
 * state so that term_restore() works from anywhere, a signal handler
 * included, and a process killed by a signal while raw does not leave the
 * user's shell unusable.  Likewise one sig_pipe per process at a time (its
 * handler writes to the open one).
 *
 * Errors: 0 (or the documented non-negative value) / negative errno.
 * Thread-safety: for single-threaded programs (vnl); the static state is
 * shared with this file's own signal handlers only.
 */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>

/*
 * Put terminal `fd` in raw mode (cfmakeraw(): no echo, no line editing, no
 * signals from keys: every byte goes to the session), saving its mode.
 * Returns 1 when raw, 0 when fd is not a terminal or its mode cannot be read
 * (nothing changed), -EBUSY when a terminal is raw already, or -errno.
 *
 * Until term_restore(), each of SIGHUP, SIGINT, SIGQUIT, SIGTERM and
 * SIGPIPE whose disposition was the default (it would kill the process)
 * first restores the terminal, then kills the process the same way.
 * Signals the caller already handles or ignores are left alone: install
 * session handlers before term_raw() and they stay in charge.
 */
int term_raw(int fd);

/*
 * Back to the mode saved by term_raw() and the fatal-signal dispositions
 * it replaced.  Idempotent (nothing to do when not raw) and
 * async-signal-safe.
 */
void term_restore(void);

/*
 * What SIGTSTP means to a raw session: the terminal's mode restored while
 * the process is stopped (SIGSTOP to itself), raw again once it continues.
 * Not raw: the process just stops.
 */
void term_stop(void);

/* The window size of terminal fd: 0, or -errno (-ENOTTY: not a terminal).
 * A terminal may report 0 rows or columns (unknown): callers decide. */
int term_size(int fd, struct winsize *ws);

/* All of buf to a blocking fd, through EINTR: 0, or -errno (0 bytes
 * written counts as -EIO). */
int term_write(int fd, const void *buf, size_t len);

#define SIG_PIPE_MAX 8  /* signals one sig_pipe handles */

/*
 * Signals as bytes (the signal number) on a pipe, for a poll() loop: no
 * signal is lost between a check and a wait, and the loop stays the only
 * place that acts.  A full pipe drops further bytes (enough are queued).
 */
struct sig_pipe {
	int fd;                                 /* read end (non-blocking), poll it for POLLIN */
	int wfd;                                /* write end, the handler's */
	int n;                                  /* signals handled */
	int signo[SIG_PIPE_MAX];                /* which */
	struct sigaction old[SIG_PIPE_MAX];     /* their dispositions before, restored by close */
};

/*
 * Handle the n (<= SIG_PIPE_MAX) signals of `list` through a new pipe.
 * The handlers have no SA_RESTART: a blocking call they interrupt returns
 * EINTR.  0, or -errno (no pipe; nothing installed).
 */
int sig_pipe_open(struct sig_pipe *p, const int *list, int n);

/* The next signal received, or 0 when none is pending. */
int sig_pipe_read(struct sig_pipe *p);

/* Previous dispositions back, pipe closed. */
void sig_pipe_close(struct sig_pipe *p);
