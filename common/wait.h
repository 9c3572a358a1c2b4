/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The only way code below a daemon waits: for a file descriptor, for a
 * process to exit, or for time to pass.
 *
 * By default a wait is a plain poll(): the CLI and the tests block, which is
 * what they want. A daemon whose thread must keep serving while one of its
 * operations waits installs a hook (wait_set_hook): vnld's runs its own event
 * loop until the fd is ready or the deadline passes (evloop_run_until), so a
 * lab transaction stays straight-line code while every other session of the
 * lab (guests, relay, read-only requests, events) keeps going. Callers must
 * therefore expect other callbacks of their daemon to run inside any wait_*()
 * (docs/vnld.md, "Waiting").
 *
 * Errors: as given per function, negative errno.
 * Thread-safety: the hook is process-wide; set it once at start-up, from the
 * thread that waits.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Wait until fd is ready for events (POLLIN/POLLOUT), or deadline_ms
 * (CLOCK_MONOTONIC ms, mono_ms(); < 0: no deadline) passes. fd < 0: only
 * the time passes. Returns > 0 when ready (also on POLLHUP/POLLERR), 0 at
 * the deadline, -errno when it cannot wait.
 */
typedef int (*wait_hook_fn)(int fd, short events, long long deadline_ms, void *arg);

/* Install hook (NULL: back to poll()). */
void wait_set_hook(wait_hook_fn hook, void *arg);

/* fd ready for events within timeout_ms (< 0: forever): > 0 ready, 0 timed
 * out, -errno. EINTR is retried. */
int wait_fd(int fd, short events, int timeout_ms);

/* A pidfd of pid (any process, not only a child): >= 0, or -errno (-ESRCH:
 * it is gone). Open it before signalling pid so a reused pid is never waited
 * for. */
int wait_pidfd(pid_t pid);

/* Wait until pid exits (it is not reaped: a child still needs waitpid(),
 * which then returns at once). 0 when it exited (or was already gone),
 * -ETIMEDOUT, or another -errno. */
int wait_pid(pid_t pid, int timeout_ms);

/* Let ms pass (the daemon's loop keeps running meanwhile). */
void wait_ms(int ms);
