/* SPDX-License-Identifier: GPL-2.0-only */
/* The caller's terminal and signal pipes of interactive sessions (term.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

/* Signals that would kill the process while the terminal is raw. */
static const int fatal_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE };
#define NFATAL (sizeof(fatal_sigs) / sizeof(fatal_sigs[0]))

/* The raw terminal of the process (term_raw() to term_restore()). */
static struct {
	volatile sig_atomic_t raw;      /* fd is raw: saved restores it */
	int fd;
	struct termios saved, rawmode;
	bool hooked[NFATAL];            /* fatal_sigs[i] goes through on_fatal() */
} tm;

static int sig_wfd = -1;  /* the open sig_pipe's write end, for on_signal() */

static void restore_mode(int how)
{
	if (tm.raw) {
		tcsetattr(tm.fd, how, &tm.saved);
		tm.raw = 0;
	}
}

static void unhook(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (size_t i = 0; i < NFATAL; i++)
		if (tm.hooked[i]) {
			sigaction(fatal_sigs[i], &dfl, NULL);
			tm.hooked[i] = false;
		}
}

/* Die of sig as we would have, with the terminal given back first (TCSANOW:
 * output the user can no longer read must not hold us). */
static void on_fatal(int sig)
{
	int e = errno;

	restore_mode(TCSANOW);
	unhook();
	raise(sig);  /* blocked until this handler returns, then default: fatal */
	errno = e;
}

int term_raw(int fd)
{
	struct sigaction sa = { .sa_handler = on_fatal }, old;

	if (tm.raw)
		return -EBUSY;
	if (!isatty(fd) || tcgetattr(fd, &tm.saved) < 0)
		return 0;
	tm.fd = fd;
	tm.rawmode = tm.saved;
	cfmakeraw(&tm.rawmode);
	/* Hooks first: a signal between the two steps still finds them. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFATAL; i++) {
		if (sigaction(fatal_sigs[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		tm.hooked[i] = sigaction(fatal_sigs[i], &sa, NULL) == 0;
	}
	tm.raw = 1;
	if (tcsetattr(fd, TCSADRAIN, &tm.rawmode) < 0) {
		int e = errno;

		tm.raw = 0;
		unhook();
		return -e;
	}
	return 1;
}

void term_restore(void)
{
	restore_mode(TCSADRAIN);
	unhook();
}

void term_stop(void)
{
	bool was_raw = tm.raw;

	restore_mode(TCSADRAIN);
	kill(getpid(), SIGSTOP);
	if (was_raw)
		tm.raw = tcsetattr(tm.fd, TCSADRAIN, &tm.rawmode) == 0;
}

int term_size(int fd, struct winsize *ws)
{
	return ioctl(fd, TIOCGWINSZ, ws) < 0 ? -errno : 0;
}

int term_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	if (sig_wfd >= 0 && write(sig_wfd, &c, 1) < 0) {
		/* full pipe: enough of this signal is already queued */
	}
	errno = e;
}

int sig_pipe_open(struct sig_pipe *p, const int *list, int n)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int fds[2];

	p->n = 0;
	p->fd = p->wfd = -1;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	p->fd = fds[0];
	p->wfd = fds[1];
	sig_wfd = p->wfd;
	sigemptyset(&sa.sa_mask);  /* no SA_RESTART: a blocked write returns EINTR */
	for (int i = 0; i < n && p->n < SIG_PIPE_MAX; i++) {
		p->signo[p->n] = list[i];
		if (sigaction(list[i], &sa, &p->old[p->n]) == 0)
			p->n++;
	}
	return 0;
}

int sig_pipe_read(struct sig_pipe *p)
{
	unsigned char c;

	return read(p->fd, &c, 1) == 1 ? c : 0;
}

void sig_pipe_close(struct sig_pipe *p)
{
	for (int i = 0; i < p->n; i++)
		sigaction(p->signo[i], &p->old[i], NULL);
	p->n = 0;
	sig_wfd = -1;
	if (p->fd >= 0)
		close(p->fd);
	if (p->wfd >= 0)
		close(p->wfd);
	p->fd = p->wfd = -1;
}
