/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-init: the init (pid 1) of container nodes whose image has no tini
 * (endpoints/cnt.c bind-mounts it at /.vnl-init). Linked statically: it
 * runs in any image, even one without a C library.
 *
 *   vnl-init                 keep the container up, reap orphans
 *   vnl-init CMD [ARG...]    the same, with CMD started once as a child
 *
 * Contract: it never exits on its own: the node stays up when CMD ends (a
 * lab node is stopped by vnl, not by its command). Every child that exits
 * is reaped (pid 1 inherits all orphans). SIGTERM, SIGINT and SIGHUP are
 * passed to CMD's process group, then vnl-init exits 128 + signal; crun's
 * SIGKILL after a timeout handles what does not stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t set;
	pid_t child = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (argc > 1) {
		child = fork();
		if (child == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			setpgid(0, 0);
			execvp(argv[1], argv + 1);
			fprintf(stderr, "vnl-init: %s: %s\n", argv[1], strerror(errno));
			_exit(127);
		}
		if (child < 0)
			fprintf(stderr, "vnl-init: fork: %s\n", strerror(errno));
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			int st;
			pid_t pid;

			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				if (pid == child)
					child = 0;
			continue;
		}
		if (child > 0)
			kill(-child, sig);
		return 128 + sig;
	}
}
