/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capped log files: the one policy for every log a guest (or a flood of
 * guest-triggered messages) can grow on the host.
 *
 * Policy: a log is kept as PATH, at most LOGCAP_MAX bytes, plus the one
 * before it as PATH.1 (at most LOGCAP_MAX too); when a write would take
 * PATH past the cap, PATH is renamed over PATH.1 first and a new, empty
 * PATH takes the write.  So a log holds at most 2 * LOGCAP_MAX on disk,
 * whatever the rate, and its newest bytes are always kept.
 *
 * Users (README "Logs"): vnl-logcap (endpoints/vnl_logcap.c), a detached
 * writer that owns the read end of a pipe and writes PATH with
 * logcap_write(): a container's init output (console.log), a VM's serial
 * console (console.log, qemu writes it through /dev/fdset) and qemu's own
 * stdout and stderr (qemu.log), the lab switch's stdout and stderr
 * (switchd.log, one vnl-logcap per switch process, each restart appending
 * to the same capped file: daemon/lab_switch.c); vnld
 * for its own stderr (vnld.log), with logcap_rotate_fd() from its cron,
 * so vnld.log may pass the cap by what vnld writes in one period (1 s;
 * its lines about guest data are rate limited: common/ratelimit.h).
 * hvc0.log keeps its own cut at the same size (endpoints/vm_guest.c).
 *
 * Errors: 0 / negative errno.  Thread-safety: none; one writer per log.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define LOGCAP_MAX (1024 * 1024)  /* bytes of PATH; PATH.1 holds the previous ones */

/* The cap in effect: LOGCAP_MAX, or VNL_LOG_MAX from the environment
 * (bytes, at least 4096; for tests, which cannot wait for a MiB). */
size_t logcap_max(void);

struct logcap {
	int fd;              /* PATH, O_APPEND; -1 when closed */
	off_t size;          /* bytes in PATH now */
	size_t max;          /* the cap, bytes */
	char path[4096];     /* PATH */
};

/* Open (create, 0600) PATH for appending; an existing PATH past max is
 * rotated at once.  max 0 means logcap_max(). */
int logcap_open(struct logcap *l, const char *path, size_t max);

/* Append len bytes (all of them, retrying short writes), rotating first
 * when PATH would pass the cap.  A chunk longer than the cap is cut to its
 * last max bytes. */
int logcap_write(struct logcap *l, const void *buf, size_t len);

/* Close PATH; accepts a closed logcap. */
void logcap_close(struct logcap *l);

/*
 * For a process whose stderr (or any fd) is the log: when fd is the file
 * PATH (same inode) and is larger than max (0: LOGCAP_MAX), rename PATH
 * over PATH.1 and put a new PATH on fd (dup2).  1 when rotated, 0 when
 * nothing was to do (fd is not PATH: a terminal, another file), or a
 * negative errno.
 */
int logcap_rotate_fd(int fd, const char *path, size_t max);

/* A vnl-logcap as started: its pid and start time (proc_start_time), so
 * a pid reused by another process is never taken for it.  pid 0: none. */
struct logcap_proc {
	pid_t pid;
	unsigned long long start;
};

/*
 * Start vnl-logcap (the binary next to the running one) detached, writing
 * PATH, and return the write end of its pipe (close-on-exec; the caller
 * hands it to the guest's side and closes its own copy), or a negative
 * errno: -ENOENT when vnl-logcap is not there.  vnl-logcap ends when every
 * copy of the write end is closed.  w (may be NULL) gets the writer, for
 * logcap_wait.
 */
int logcap_spawn(const char *path, struct logcap_proc *w);

/* Keep w in FILE ("PID START"; 0600, replaced whole) for a later process
 * (vnld's next VM stop), and read it back: 0, -ENOENT when FILE is not
 * there (w zeroed), another -errno. */
int logcap_record(const char *file, const struct logcap_proc *w);
int logcap_recorded(const char *file, struct logcap_proc *w);

/*
 * Wait until no vnl-logcap writes PATH any more, at most ms (through
 * wait.h: a daemon's loop keeps running).  Once every writer of its pipe
 * is gone, a vnl-logcap writes what the pipe still holds and ends: waiting
 * for that keeps one writer per log when the next one starts, gives a dead
 * writer's last words to the reader of PATH, and lets PATH's folder go
 * without a late PATH.new.
 *
 * w: the writer as recorded at logcap_spawn (pid 0: none runs); it is
 * waited for through its pidfd (polled when none can be had), and when it
 * still runs at the deadline it is stopped (SIGTERM, then SIGKILL
 * LOGCAP_KILL_MS later) so one writer per log holds (not when neither a
 * pidfd nor its start time can be read: its identity is unsure); *w is
 * zeroed.  w NULL: nothing was recorded
 * (a writer left by an older vnld): every process is looked at (comm in
 * /proc/PID/stat first, then the command line `vnl-logcap PATH`), and one
 * found is only waited for.
 *
 * 0 when none is left, -ETIMEDOUT when one outlived ms (stopped when
 * recorded: the caller logs a warning).
 */
#define LOGCAP_WAIT_MS 2000
#define LOGCAP_KILL_MS 200
int logcap_wait(const char *path, struct logcap_proc *w, int ms);

/* The pid of a vnl-logcap writing PATH (`vnl-logcap PATH` on its command
 * line), 0 when none runs: a scan of /proc (for adoption and tests). */
pid_t logcap_writer(const char *path);
