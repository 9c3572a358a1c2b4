/* SPDX-License-Identifier: GPL-2.0-only */
/* vnl children of vnl-web: terminals on a pty, `vnl start` on a pipe (web.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "web.h"

int proc_resize(int fd, int rows, int cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

	if (rows < 1 || cols < 1 || rows > 1000 || cols > 1000)
		return -EINVAL;
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* In the child: the pty slave (or the pipe) as stdio, then exec vnl. */
static void child(char *const argv[], const char *slave, int out, pid_t parent, long long fsize_max)
{
	struct rlimit fs = { .rlim_cur = (rlim_t)fsize_max, .rlim_max = (rlim_t)fsize_max };
	int in = -1;

	/* vnl-web killed: nothing of a tab runs on (a capture would fill /tmp). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	if (fsize_max > 0 && (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &fs) < 0))
		_exit(127);
	setsid();
	if (slave) {
		in = open(slave, O_RDWR);
		if (in < 0 || ioctl(in, TIOCSCTTY, 0) < 0)
			_exit(127);
		out = in;
	} else {
		in = open("/dev/null", O_RDONLY);
	}
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	closefrom(3);
	/* lws ignores SIGPIPE; the node's shell should not. */
	signal(SIGPIPE, SIG_DFL);
	setenv("TERM", "xterm-256color", 1);
	execv(web_conf.vnl, argv);
	dprintf(2, "vnl-web: cannot run %s: %s\n", web_conf.vnl, strerror(errno));
	_exit(127);
}

pid_t proc_spawn(char *const argv[], bool pty, int rows, int cols, int *fd)
{
	return proc_spawn_limited(argv, pty, rows, cols, 0, fd);
}

pid_t proc_spawn_limited(char *const argv[], bool pty, int rows, int cols, long long fsize_max, int *fd)
{
	char slave[64] = "";
	int p[2] = { -1, -1 }, m = -1;
	pid_t pid, self = getpid();

	if (pty) {
		m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, slave, sizeof(slave))) {
			int r = -errno;

			if (m >= 0)
				close(m);
			return r;
		}
		proc_resize(m, rows, cols);
	} else if (pipe2(p, O_CLOEXEC) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid == 0)
		child(argv, pty ? slave : NULL, p[1], self, fsize_max);
	if (pid < 0) {
		int r = -errno;

		close(pty ? m : p[0]);
		if (!pty)
			close(p[1]);
		return r;
	}
	if (!pty) {
		close(p[1]);
		m = p[0];
	}
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	*fd = m;
	return pid;
}
