/* SPDX-License-Identifier: GPL-2.0-only */
/* Capped log files (logcap.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "logcap.h"
#include "spawn.h"
#include "wait.h"

size_t logcap_max(void)
{
	const char *e = getenv("VNL_LOG_MAX");
	unsigned long v;
	char *end;

	if (e && *e && (v = strtoul(e, &end, 10)) >= 4096 && !*end)
		return v;
	return LOGCAP_MAX;
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	return fd < 0 ? -errno : fd;
}

/*
 * PATH over PATH.1, a new PATH open in *fd.  The new file is made as
 * PATH.new and swapped with PATH in one step (RENAME_EXCHANGE), so PATH
 * never goes missing for a reader; where the file system cannot swap,
 * plain renames leave a short gap.
 */
static int rotate(const char *path, int *fd)
{
	char old[4096 + 4], fresh[4096 + 4];
	int nfd;

	if ((size_t)snprintf(old, sizeof(old), "%s.1", path) >= sizeof(old) ||
	    (size_t)snprintf(fresh, sizeof(fresh), "%s.new", path) >= sizeof(fresh))
		return -ENAMETOOLONG;
	unlink(fresh);
	nfd = open_log(fresh);
	if (nfd < 0)
		return nfd;
	if (renameat2(AT_FDCWD, fresh, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		if (rename(fresh, old) < 0)
			unlink(fresh);
	} else if (rename(path, old) < 0 && errno != ENOENT) {
		int r = -errno;

		close(nfd);
		unlink(fresh);
		return r;
	} else if (rename(fresh, path) < 0) {
		int r = -errno;

		close(nfd);
		unlink(fresh);
		return r;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = nfd;
	return 0;
}

int logcap_open(struct logcap *l, const char *path, size_t max)
{
	struct stat st;
	int r;

	l->fd = -1;
	l->size = 0;
	l->max = max ? max : logcap_max();
	if ((size_t)snprintf(l->path, sizeof(l->path), "%s", path) >= sizeof(l->path))
		return -ENAMETOOLONG;
	l->fd = open_log(path);
	if (l->fd < 0)
		return l->fd;
	if (fstat(l->fd, &st) == 0)
		l->size = st.st_size;
	if ((size_t)l->size > l->max) {
		if ((r = rotate(l->path, &l->fd)) < 0)
			return r;
		l->size = 0;
	}
	return 0;
}

int logcap_write(struct logcap *l, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int r;

	if (len > l->max) {
		p += len - l->max;
		len = l->max;
	}
	if (l->size > 0 && (size_t)l->size + len > l->max) {
		if ((r = rotate(l->path, &l->fd)) < 0)
			return r;
		l->size = 0;
	}
	while (len) {
		n = write(l->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		l->size += n;
	}
	return 0;
}

void logcap_close(struct logcap *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int logcap_rotate_fd(int fd, const char *path, size_t max)
{
	struct stat a, b;
	int nfd = -1, r;

	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return 0;
	if ((size_t)a.st_size <= (max ? max : logcap_max()))
		return 0;
	if ((r = rotate(path, &nfd)) < 0)
		return r;
	r = dup2(nfd, fd) < 0 ? -errno : 1;
	close(nfd);
	return r;
}

int logcap_spawn(const char *path, struct logcap_proc *w)
{
	char bin[4096];
	char *argv[] = { bin, (char *)path, NULL };
	int p[2], r;

	exe_sibling("vnl-logcap", bin, sizeof(bin));
	if (access(bin, X_OK) < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	r = spawn_daemon_io(argv, p[0], "/dev/null", -1);
	close(p[0]);
	if (r < 0) {
		close(p[1]);
		return r;
	}
	if (w != NULL) {
		w->start = proc_start_time(r);
		w->pid = w->start ? r : 0; /* 0: it ended already */
	}
	return p[1];
}

int logcap_record(const char *file, const struct logcap_proc *w)
{
	char tmp[4096 + 8];
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return -errno;
	if (dprintf(fd, "%d %llu\n", (int)w->pid, w->start) < 0)
		r = -EIO;
	close(fd);
	if (r == 0 && rename(tmp, file) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int logcap_recorded(const char *file, struct logcap_proc *w)
{
	FILE *f = fopen(file, "re");
	int pid = 0, r = 0;

	w->pid = 0;
	w->start = 0;
	if (f == NULL)
		return -errno;
	if (fscanf(f, "%d %llu", &pid, &w->start) != 2 || pid <= 0)
		r = -EINVAL;
	fclose(f);
	w->pid = r == 0 ? pid : 0;
	return r;
}

/* True when /proc/PID is `.../vnl-logcap PATH`: its comm first (stat
 * takes no lock of the process's memory), then its command line (which
 * does, and can block behind a process stuck in a page fault: read only
 * for the few vnl-logcap processes). */
static bool writes(const char *pid, const char *path)
{
	char f[64], cmd[4096 + 64];
	const char *base;
	ssize_t n;
	int fd;

	snprintf(f, sizeof(f), "/proc/%.20s/stat", pid);
	if ((fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, cmd, 64);
	close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	if ((base = strchr(cmd, '(')) == NULL || strncmp(base, "(vnl-logcap) ", 13))
		return false;
	snprintf(f, sizeof(f), "/proc/%.20s/cmdline", pid);
	if ((fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return false; /* gone, or a zombie */
	cmd[n] = '\0';
	base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	return !strcmp(base, "vnl-logcap") && (ssize_t)strlen(cmd) + 1 < n && !strcmp(cmd + strlen(cmd) + 1, path);
}

pid_t logcap_writer(const char *path)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	pid_t pid = 0;

	while (d && pid == 0 && (de = readdir(d)) != NULL)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && writes(de->d_name, path))
			pid = (pid_t)atoi(de->d_name);
	if (d)
		closedir(d);
	return pid;
}

/* Until pid (start time start, 0: any) is gone or deadline (mono_ms)
 * passes: 0 gone, -ETIMEDOUT.  *fd: its pidfd, opened here; while
 * pidfd_open fails for another reason than ESRCH (EMFILE), pid is polled
 * every 50 ms (kill 0, and the start time when it can be read). */
static int wait_gone(pid_t pid, unsigned long long start, long long deadline, int *fd)
{
	for (;;) {
		long long left = deadline - mono_ms();
		unsigned long long t;

		if (*fd < 0 && (*fd = wait_pidfd(pid)) == -ESRCH)
			return 0;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 0;
		if (start && (t = proc_start_time(pid)) != 0 && t != start)
			return 0; /* the pid is another process's now */
		if (left <= 0)
			return -ETIMEDOUT;
		if (*fd >= 0) {
			if (wait_fd(*fd, POLLIN, (int)left) > 0)
				return 0;
		} else {
			wait_ms(left < 50 ? (int)left : 50); /* poll, never spin */
		}
	}
}

/* Signal the recorded writer: through its pidfd, else by pid once its
 * start time says it is still that process (unreadable: not signalled). */
static void stop(const struct logcap_proc *w, int sig, const int *fd)
{
	if (*fd >= 0)
		syscall(SYS_pidfd_send_signal, *fd, sig, NULL, 0);
	else if (proc_start_time(w->pid) == w->start)
		kill(w->pid, sig);
}

int logcap_wait(const char *path, struct logcap_proc *w, int ms)
{
	long long deadline = mono_ms() + ms;
	int fd = -1, r = 0;
	pid_t pid;

	if (w == NULL) {
		/* Nothing recorded: find it (and any other) by its command line. */
		while (r == 0 && (pid = logcap_writer(path)) > 0) {
			r = wait_gone(pid, 0, deadline, &fd);
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		return r;
	}
	if (w->pid <= 0 || w->start == 0)
		goto gone;
	if ((r = wait_gone(w->pid, w->start, deadline, &fd)) == -ETIMEDOUT) {
		/* It outlived its pipe's writers (a stray holds the pipe, or its
		 * disk stalls): stop it, so the next writer is the only one. */
		stop(w, SIGTERM, &fd);
		if (wait_gone(w->pid, w->start, mono_ms() + LOGCAP_KILL_MS, &fd) < 0) {
			stop(w, SIGKILL, &fd);
			wait_gone(w->pid, w->start, mono_ms() + LOGCAP_KILL_MS, &fd);
		}
	}
	if (fd >= 0)
		close(fd);
gone:
	w->pid = 0;
	w->start = 0;
	return r;
}
