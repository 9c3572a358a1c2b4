/* SPDX-License-Identifier: GPL-2.0-only */
/* Waiting through poll() or a daemon's loop (wait.h). */
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "wait.h"

static wait_hook_fn hook;
static void *hook_arg;

void wait_set_hook(wait_hook_fn fn, void *arg)
{
	hook = fn;
	hook_arg = arg;
}

static int poll_until(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = deadline < 0 ? -1 : deadline - mono_ms();
		int r;

		if (deadline >= 0 && left < 0)
			return 0;
		r = poll(&p, fd >= 0 ? 1 : 0, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0 || fd >= 0 || deadline >= 0)
			return r;
	}
}

int wait_fd(int fd, short events, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

	/* A mere check never runs the daemon's loop. */
	return hook && timeout_ms != 0 ? hook(fd, events, deadline, hook_arg) : poll_until(fd, events, deadline);
}

int wait_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

int wait_pid(pid_t pid, int timeout_ms)
{
	int fd = wait_pidfd(pid), r;

	if (fd == -ESRCH)
		return 0;
	if (fd < 0)
		return fd;
	r = wait_fd(fd, POLLIN, timeout_ms);
	close(fd);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : r;
}

void wait_ms(int ms)
{
	long long deadline = mono_ms() + (ms > 0 ? ms : 0);

	while (mono_ms() < deadline)
		if (wait_fd(-1, 0, (int)(deadline - mono_ms())) < 0)
			break;
}
