/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a helper program (qemu-img, mke2fs, crun) and waiting for it,
 * with its output kept for a one-line error message; starting a program
 * that runs on its own (vnld, vnl-switchd, qemu, vnl-logcap) with its
 * output in a log.
 *
 * Errors: spawn_run() returns the exit status (>= 0, 128 + signal when
 * killed) or a negative errno when the program could not be started;
 * spawn_detached() the pid or a negative errno, with a message in err.
 * Thread-safety: none needed (no shared state); fork()s the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * Run argv (argv[0] looked up in PATH) with stdin from in_fd (/dev/null when
 * < 0).  stdout goes to out_fd, or else into out, or else nowhere; stderr
 * goes into out, or else to out_fd, or else nowhere.  out (when not NULL) is
 * NUL-terminated, truncated to outlen and stripped of trailing newlines.
 * Returns once the program has exited; waits through wait.h, so a daemon's
 * loop keeps running meanwhile.
 */
int spawn_run(char *const argv[], int in_fd, int out_fd, char *out, size_t outlen);

/* The last line of a program's output (points into out). */
const char *spawn_last_line(const char *out);

/* How spawn_detached() starts a program (fds: set them, 0 is a valid one). */
struct spawn_opts {
	const char *path;   /* the program file, NULL: argv[0] (looked up in PATH) */
	const char *log;    /* stdout and stderr appended here (O_APPEND; created), NULL: log_fd */
	mode_t log_mode;    /* the log's mode when created */
	int log_fd;         /* stdout and stderr when log is NULL: the write end of a
			     * vnl-logcap pipe (logcap.h); the caller keeps its copy */
	int in_fd;          /* stdin, -1: /dev/null */
	int keep_fd;        /* handed to the program as its fd 3, -1: none */
	bool orphan;        /* not our child (below) */
};

/*
 * Start argv (the program: o->path, else argv[0]) detached from
 * the caller: a new session (no controlling terminal: the caller's ^C does
 * not reach it), default signal dispositions and an empty signal mask (vnld
 * blocks signals for its signalfd), stdin and the log as in `o`, every
 * other fd closed.
 *
 * Returns its pid, or a negative errno with err set (the log cannot be
 * opened, no fork).  The exec itself may still fail: the program then
 * writes "CALLER: cannot run PROG: REASON" to the log and exits 127.
 *
 * !o->orphan: one fork, the program is the caller's child: the caller reaps
 * it (waitpid, a pidfd) and gets its exit status.  Never blocks: the pid is
 * known as soon as this returns (vnld's loop records the switch's pid at
 * once, docs/vnld.md).  o->orphan: a double fork, so the program is not
 * the caller's child (nothing to reap) and survives the caller's death;
 * waits for the intermediate process, which exits at once.
 */
pid_t spawn_detached(char *const argv[], const struct spawn_opts *o, struct vnl_err *err);

/*
 * spawn_detached() as an orphan, the log created 0600: a capped log writer
 * (logcap.h).  Returns the pid or a negative errno.
 */
int spawn_daemon_io(char *const argv[], int in_fd, const char *log, int keep_fd);

/* Start time of a pid (field 22 of /proc/PID/stat), 0 if it is gone or a
 * zombie: with the pid, it tells a reused pid apart. */
unsigned long long proc_start_time(pid_t pid);
