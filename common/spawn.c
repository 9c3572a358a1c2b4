/* SPDX-License-Identifier: GPL-2.0-only */
/* Running helper programs (spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "spawn.h"
#include "wait.h"

/* A child starts with default signals and none blocked: vnld blocks
 * SIGTERM and SIGINT for its signalfd, and a qemu that inherited that mask
 * would never hear the SIGTERM that stops it. */
static void child_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int spawn_run(char *const argv[], int in_fd, int out_fd, char *out, size_t outlen)
{
	int p[2] = { -1, -1 }, st, nul;
	size_t got = 0;
	pid_t pid;

	if (out && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		if (out)
			close(p[0]), close(p[1]);
		return -e;
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		dup2(in_fd >= 0 ? in_fd : nul, 0);
		dup2(out_fd >= 0 ? out_fd : (out ? p[1] : nul), 1);
		dup2(out ? p[1] : (out_fd >= 0 ? out_fd : nul), 2);
		/* Nothing of ours leaks into long-lived children (qemu -daemonize). */
		close_range(3, ~0u, 0);
		child_signals();
		execvp(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		ssize_t n;

		close(p[1]);
		/* Read only when wait_fd says so: in vnld the wait runs its loop. */
		while (wait_fd(p[0], POLLIN, -1) > 0 && ((n = read(p[0], out + got, outlen - 1 - got)) > 0 ||
							   (n < 0 && errno == EINTR)))
			if (n > 0 && (got += (size_t)n) == outlen - 1)
				break;
		/* Drain what does not fit so the child never blocks on us. */
		for (char sink[512]; wait_fd(p[0], POLLIN, -1) > 0 && read(p[0], sink, sizeof(sink)) > 0;)
			;
		close(p[0]);
		out[got] = '\0';
		while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == '\r'))
			out[--got] = '\0';
	}
	wait_pid(pid, -1);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *spawn_last_line(const char *out)
{
	const char *nl = strrchr(out, '\n');

	return nl ? nl + 1 : out;
}

/* In the child, after setsid(): stdio and fds of a detached program, then
 * the exec.  Never returns. */
static void detached_exec(const char *path, char *const argv[], int in_fd, int log_fd, int keep_fd, int nul)
{
	/* Every source above 9 first, so no dup2() below overwrites another. */
	nul = fcntl(nul, F_DUPFD_CLOEXEC, 10);
	log_fd = fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
	in_fd = in_fd >= 0 ? fcntl(in_fd, F_DUPFD_CLOEXEC, 10) : -1;
	keep_fd = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD_CLOEXEC, 10) : -1;
	dup2(in_fd >= 0 ? in_fd : nul, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	if (keep_fd >= 0)
		dup2(keep_fd, 3);
	close_range(keep_fd >= 0 ? 4 : 3, ~0u, 0);
	child_signals();
	if (path)
		execv(path, argv);
	else
		execvp(argv[0], argv);
	dprintf(2, "%s: cannot run %s: %s\n", program_invocation_short_name, path ? path : argv[0], strerror(errno));
	_exit(127);
}

pid_t spawn_detached(char *const argv[], const struct spawn_opts *o, struct vnl_err *err)
{
	int log, nul, p[2] = { -1, -1 }, st, e;
	pid_t pid, mid;

	log = o->log ? open(o->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, o->log_mode)
		     : fcntl(o->log_fd, F_DUPFD_CLOEXEC, 0);
	if (log < 0)
		return o->log ? vnl_errno(err, errno, "cannot open %s", o->log)
			      : vnl_errno(err, errno, "the log's fd %d", o->log_fd);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || (o->orphan && pipe2(p, O_CLOEXEC) < 0)) {
		e = errno;
		close(log);
		if (nul >= 0)
			close(nul);
		return vnl_errno(err, e, "%s", nul < 0 ? "cannot open /dev/null" : "pipe");
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		if (o->orphan && (pid = fork()) != 0)
			/* The middle process only passes the pid on (-1: no fork). */
			_exit(write(p[1], &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
		detached_exec(o->path, argv, o->in_fd, log, o->keep_fd, nul);
	}
	e = errno;
	close(log);
	close(nul);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return vnl_errno(err, e, "fork");
	}
	if (!o->orphan)
		return pid;
	mid = pid;
	if (read(p[0], &pid, sizeof(pid)) != sizeof(pid) || pid < 0)
		pid = vnl_errf(err, -ECHILD, "fork: the intermediate process of %s failed", argv[0]);
	close(p[0]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	return pid;
}

int spawn_daemon_io(char *const argv[], int in_fd, const char *log, int keep_fd)
{
	struct spawn_opts o = { .log = log, .log_mode = 0600, .in_fd = in_fd, .keep_fd = keep_fd, .orphan = true };

	return spawn_detached(argv, &o, NULL);
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL) {
		/* After "pid (comm)": field 3 is the state; start time is field 22. */
		p += 2;
		if (*p == 'Z' || *p == 'X') { /* exited, not reaped yet (adopted: not our child) */
			fclose(f);
			return 0;
		}
		for (int field = 3; field < 22 && p != NULL; field++) {
			p = strchr(p, ' ');
			if (p != NULL)
				p++;
		}
		if (p != NULL)
			t = strtoull(p, NULL, 10);
	}
	fclose(f);
	return t;
}
