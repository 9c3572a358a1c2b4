/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/term.h on a real pseudo-terminal: raw mode and its
 * restore (also idempotent, also when a signal kills the process while
 * raw), signals the caller handles left alone, term_stop() giving the
 * terminal back while stopped and taking it again after SIGCONT, the
 * window size, and signals arriving as bytes on a sig_pipe.
 * Operations: openpty-style pair from posix_openpt; each case that raises
 * a fatal signal or stops runs in a forked child, observed by the parent
 * through the same terminal's mode (tcgetattr on the slave). TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tap.h"
#include "term.h"

static int master = -1, slave = -1;

static int open_pty(void)
{
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		return -1;
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	return slave < 0 ? -1 : 0;
}

static int is_raw(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 && !(t.c_lflag & (ICANON | ECHO | ISIG));
}

static int is_cooked(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 && (t.c_lflag & ICANON) && (t.c_lflag & ECHO) && (t.c_lflag & ISIG);
}

static void dummy(int sig)
{
	(void)sig;
}

/* The child raises sig while raw: how it ended, and the terminal after. */
static void fatal_case(int sig)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (term_raw(slave) != 1 || !is_raw(slave))
			_exit(3);
		raise(sig);
		_exit(4);  /* not killed: the hook swallowed the signal */
	}
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == sig, "raw, then %s: the process dies of it (status 0x%x)",
	   strsignal(sig), st);
	ok(is_cooked(slave), "  and the terminal is restored");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = dummy }, now;
	struct winsize ws = { .ws_row = 33, .ws_col = 101 }, got;
	struct sig_pipe sp;
	int p[2], st = 0, r;
	pid_t pid;

	/* The checks below are about signals left at their default action: a
	 * runner started in the background (SIGINT, SIGQUIT ignored) or under
	 * nohup (SIGHUP ignored) hands them down ignored. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (open_pty() < 0) {
		printf("1..0 # SKIP no pseudo-terminal: %s\n", strerror(errno));
		return 0;
	}
	ok(is_cooked(slave), "a new pty is in canonical mode with echo and signals");

	/* raw and restore */
	r = term_raw(slave);
	ok(r == 1 && is_raw(slave), "term_raw: 1 and the terminal is raw (r=%d)", r);
	ok(term_raw(slave) == -EBUSY, "a second term_raw while raw: -EBUSY");
	sigaction(SIGTERM, NULL, &now);
	ok(now.sa_handler != SIG_DFL, "while raw, SIGTERM (default before) goes through a hook");
	term_restore();
	ok(is_cooked(slave), "term_restore: the saved mode is back");
	sigaction(SIGTERM, NULL, &now);
	ok(now.sa_handler == SIG_DFL, "  and SIGTERM's default disposition");
	term_restore();
	ok(is_cooked(slave), "term_restore again: nothing changes");

	if (pipe(p) == 0) {
		ok(term_raw(p[0]) == 0, "term_raw on a pipe: 0, nothing done");
		close(p[0]);
		close(p[1]);
	}

	/* a signal that kills while raw */
	fatal_case(SIGTERM);
	fatal_case(SIGHUP);
	fatal_case(SIGINT);

	/* the caller's own handler stays in charge */
	sigaction(SIGTERM, &sa, NULL);
	term_raw(slave);
	sigaction(SIGTERM, NULL, &now);
	ok(now.sa_handler == dummy, "a handled SIGTERM keeps its handler while raw");
	raise(SIGTERM);
	ok(is_raw(slave), "  and its delivery leaves the terminal raw (the session decides)");
	term_restore();
	sigaction(SIGTERM, NULL, &now);
	ok(now.sa_handler == dummy && is_cooked(slave), "  restore leaves that handler in place");
	signal(SIGTERM, SIG_DFL);

	/* term_stop: cooked while stopped, raw after SIGCONT */
	pid = fork();
	if (pid == 0) {
		int raw;

		term_raw(slave);
		term_stop();
		raw = is_raw(slave);
		term_restore();
		_exit(raw ? 0 : 5);
	}
	r = waitpid(pid, &st, WUNTRACED);
	ok(r == pid && WIFSTOPPED(st), "term_stop: the process stops (status 0x%x)", st);
	ok(is_cooked(slave), "  with the terminal restored meanwhile");
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "  raw again once continued (status 0x%x)", st);

	/* window size */
	ioctl(master, TIOCSWINSZ, &ws);
	r = term_size(slave, &got);
	ok(r == 0 && got.ws_row == 33 && got.ws_col == 101, "term_size: 33x101 (r=%d, %ux%u)", r, got.ws_row,
	   got.ws_col);
	if (pipe(p) == 0) {
		ok(term_size(p[0], &got) == -ENOTTY, "term_size on a pipe: -ENOTTY");
		close(p[0]);
		close(p[1]);
	}

	/* term_write */
	if (pipe(p) == 0) {
		char buf[8] = "";

		ok(term_write(p[1], "abc", 3) == 0 && read(p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3),
		   "term_write: all bytes");
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		ok(term_write(p[1], "abc", 3) == -EPIPE, "term_write to a closed pipe: -EPIPE");
		signal(SIGPIPE, SIG_DFL);
		close(p[1]);
	}

	/* sig_pipe */
	r = sig_pipe_open(&sp, (const int[]){ SIGWINCH, SIGUSR1 }, 2);
	ok(r == 0 && sp.n == 2, "sig_pipe_open: two signals handled");
	ok(sig_pipe_read(&sp) == 0, "  nothing pending at first");
	raise(SIGUSR1);
	raise(SIGWINCH);
	ok(poll(&(struct pollfd){ .fd = sp.fd, .events = POLLIN }, 1, 1000) == 1, "  the pipe is readable after raise()");
	r = sig_pipe_read(&sp);
	ok(r == SIGUSR1, "  first SIGUSR1 (%d)", r);
	r = sig_pipe_read(&sp);
	ok(r == SIGWINCH, "  then SIGWINCH (%d)", r);
	ok(sig_pipe_read(&sp) == 0, "  then nothing");
	sig_pipe_close(&sp);
	sigaction(SIGUSR1, NULL, &now);
	ok(now.sa_handler == SIG_DFL && sp.fd == -1, "sig_pipe_close: the previous disposition is back");
	return tap_done();
}
