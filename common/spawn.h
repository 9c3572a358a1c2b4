/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a helper program (qemu-img, mke2fs, crun, qemu) and waiting for
 * it, with its output kept for a one-line error message.
 *
 * Errors: the exit status (>= 0, 128 + signal when killed) or a negative
 * errno when the program could not be started.  Thread-safety: none needed
 * (no shared state); fork()s the caller.
 */
#pragma once

#include <stddef.h>

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

/*
 * Start argv as a daemon that outlives the caller: double fork, so it is
 * not the caller's child (nothing to reap) and survives the caller's death;
 * new session; stdin /dev/null; stdout and stderr appended to `log`
 * (created 0600).  Returns its pid, or a negative errno when it could not
 * be started (an exec failure shows in the log, and the process exits 127).
 */
int spawn_daemon(char *const argv[], const char *log);

/*
 * spawn_daemon() with stdin from in_fd (/dev/null when < 0) and, when
 * keep_fd >= 0, keep_fd handed to the daemon as its fd 3 (every other fd
 * closed as usual): a pipe to or from a capped log writer (logcap.h).
 */
int spawn_daemon_io(char *const argv[], int in_fd, const char *log, int keep_fd);
