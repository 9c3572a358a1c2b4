/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Terminals of `vnl exec -t` and `vnl console` on cnt nodes (cnt_tty.h).
 *
 * Why not plain `crun exec --tty`: crun then copies the container's pty to
 * its own stdout itself and returns as soon as it has reaped the command;
 * output still unread in the pty at that moment is printed by crun's
 * flush_fd_to_err() as one of its own error log lines (red and timestamped
 * when stderr is a terminal): "\e[1;31m2026-01-01T10:00:00.1Z: /dev/pts/0".
 * A race between the command's exit (SIGCHLD) and crun's epoll loop,
 * lost about one time in ten on these hosts with `tty` as the command.
 *
 * So crun gets --console-socket: it sends the pty's master end to our unix
 * socket and only waits for the command.  We copy until a read of the
 * master fails with EIO, which the kernel returns only once the command's
 * side is closed and everything written to it has been read.  A command
 * that leaves a background process holding the terminal does not keep us:
 * once crun has exited, what comes within CNT_TTY_LINGER_MS is copied and
 * the session ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "cnt_tty.h"
#include "term.h"

#define CNT_TTY_LINGER_MS 200  /* after crun's exit, for a background holder's output */
#define CNT_TTY_ARGS_MAX 256

/* One session; everything is released by tty_end(). */
struct tty_session {
	char dir[32];           /* mkdtemp folder of the socket ("" once removed) */
	char sock[64];          /* the console socket crun connects to */
	int lfd;                /* listening on sock, -1 once closed */
	int master;             /* the pty master crun sent, -1 before */
	int pidfd;              /* crun: readable once it has exited */
	pid_t pid;              /* crun, 0 before the fork */
	int status;             /* crun's exit status once reaped, else -1 */
	int raw;                /* the caller's terminal is raw (term.h) */
	struct sig_pipe winch;  /* SIGWINCH, fd -1 before the copy */
	char in[4096];          /* the caller's input not yet written to the master */
	size_t in_len, in_off;
	int in_eof;             /* stdin is at its end */
};

static void reap(struct tty_session *s)
{
	int st;

	while (waitpid(s->pid, &st, 0) < 0)
		if (errno != EINTR) {
			s->status = 255;
			return;
		}
	s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int tty_listen(struct tty_session *s, struct vnl_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(s->dir, sizeof(s->dir), "/tmp/vnl-tty.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return vnl_errno(err, errno, "exec -t: making a folder for the console socket");
	}
	snprintf(s->sock, sizeof(s->sock), "%s/console.sock", s->dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->sock);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->lfd, 1) < 0)
		return vnl_errno(err, errno, "exec -t: console socket %s", s->sock);
	return 0;
}

static int tty_spawn(struct tty_session *s, const char *crun_root, const char *id, char *const argv[],
		     struct vnl_err *err)
{
	char *v[CNT_TTY_ARGS_MAX + 16];
	int n = 0, nul;

	v[n++] = "crun";
	v[n++] = "--root";
	v[n++] = (char *)crun_root;
	v[n++] = "exec";
	v[n++] = "--tty";
	v[n++] = "--console-socket";
	v[n++] = s->sock;
	v[n++] = (char *)id;
	for (int i = 0; argv[i]; i++) {
		if (n >= (int)(sizeof(v) / sizeof(v[0])) - 1)
			return vnl_errf(err, -E2BIG, "exec -t: too many arguments");
		v[n++] = argv[i];
	}
	v[n] = NULL;
	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		return vnl_errno(err, errno, "exec -t: fork");
	}
	if (s->pid == 0) {
		/* The caller's input is for the terminal, never for crun. */
		nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		execvp(v[0], v);
		dprintf(STDERR_FILENO, "crun: %s\n", strerror(errno));
		_exit(127);
	}
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd < 0) {
		int e = errno;

		kill(s->pid, SIGKILL);
		reap(s);
		return vnl_errno(err, e, "exec -t: pidfd_open");
	}
	return 0;
}

/* The fd in an SCM_RIGHTS message on conn, or a negative errno. */
static int recv_fd(int conn)
{
	char data[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	do
		n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&m);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* The master from crun; or crun exited without sending one (its message is
 * on stderr): then s->master stays -1 and s->status is set. */
static int tty_accept(struct tty_session *s, struct vnl_err *err)
{
	struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN }, { .fd = s->pidfd, .events = POLLIN } };
	int conn, fd;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return vnl_errno(err, errno, "exec -t: poll");
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			reap(s);
			return 0;
		}
	}
	conn = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return vnl_errno(err, errno, "exec -t: accept on %s", s->sock);
	fd = recv_fd(conn);
	close(conn);
	if (fd < 0)
		return vnl_errno(err, fd, "exec -t: receiving the terminal from crun");
	s->master = fd;
	/* Non-blocking: input is written as far as the terminal takes it. */
	fcntl(s->master, F_SETFL, fcntl(s->master, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void tty_resize(struct tty_session *s)
{
	struct winsize ws;

	if (term_size(STDIN_FILENO, &ws) == 0)
		ioctl(s->master, TIOCSWINSZ, &ws);
}

/* The caller's terminal in raw mode (the container's terminal does the line
 * editing and the signals), and its size passed on at once: the command may
 * be running already.  SIGWINCH is watched from here on, so no change of
 * size is lost. */
static int tty_raw(struct tty_session *s, struct vnl_err *err)
{
	static const int winch[] = { SIGWINCH };
	int r;

	if ((r = sig_pipe_open(&s->winch, winch, 1)) < 0)
		return vnl_errno(err, r, "exec -t: pipe");
	s->raw = term_raw(STDIN_FILENO) > 0;
	tty_resize(s);
	return 0;
}

/* 1 when the session is over (the command's side closed and read to its
 * end), else 0. */
static int from_master(struct tty_session *s)
{
	char buf[16384];
	ssize_t n = read(s->master, buf, sizeof(buf));

	if (n > 0) {
		term_write(STDOUT_FILENO, buf, (size_t)n);  /* a closed stdout only loses the output */
		return 0;
	}
	/* EIO: every slave fd is closed and nothing is left to read. */
	return n == 0 || (errno != EAGAIN && errno != EINTR);
}

static void to_master(struct tty_session *s)
{
	ssize_t n = write(s->master, s->in + s->in_off, s->in_len - s->in_off);

	if (n > 0 && (s->in_off += (size_t)n) == s->in_len)
		s->in_len = s->in_off = 0;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		s->in_len = s->in_off = 0; /* the terminal is gone: drop the input */
}

static void from_stdin(struct tty_session *s)
{
	ssize_t n = read(STDIN_FILENO, s->in, sizeof(s->in));

	if (n > 0) {
		s->in_len = (size_t)n;
		s->in_off = 0;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		s->in_eof = 1;
		/* Input from a file or a pipe ends as typed input would: ^D. */
		if (!s->raw) {
			s->in[0] = 0x04;
			s->in_len = 1;
			s->in_off = 0;
		}
	}
}

static int tty_copy(struct tty_session *s, struct vnl_err *err)
{
	long linger = -1; /* deadline once crun has exited */

	for (;;) {
		struct pollfd p[4];
		int np = 0, ii = -1, ic = -1, iw, r, wait = -1;

		p[np++] = (struct pollfd){ .fd = s->master, .events = POLLIN | (s->in_len ? POLLOUT : 0) };
		if (!s->in_eof && !s->in_len)
			p[ii = np++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (s->status < 0)
			p[ic = np++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
		p[iw = np++] = (struct pollfd){ .fd = s->winch.fd, .events = POLLIN };
		if (linger >= 0) {
			long left = linger - mono_ms();

			if (left <= 0)
				return 0;
			wait = (int)left;
		}
		r = poll(p, (nfds_t)np, wait);
		if (r < 0 && errno != EINTR)
			return vnl_errno(err, errno, "exec -t: poll");
		if (r <= 0)
			continue;
		if (p[iw].revents) {
			while (sig_pipe_read(&s->winch) > 0)
				;
			tty_resize(s);
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && from_master(s))
			return 0;
		if (s->in_len && (p[0].revents & POLLOUT))
			to_master(s);
		if (ii >= 0 && p[ii].revents)
			from_stdin(s);
		if (ic >= 0 && p[ic].revents) {
			reap(s);
			linger = mono_ms() + CNT_TTY_LINGER_MS;
		}
	}
}

static void tty_unlink(struct tty_session *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	if (s->dir[0]) {
		unlink(s->sock);
		rmdir(s->dir);
		s->dir[0] = '\0';
	}
}

int cnt_tty_exec(const char *crun_root, const char *id, char *const argv[], int *status,
		 struct vnl_err *err)
{
	struct tty_session s = { .lfd = -1, .master = -1, .pidfd = -1, .status = -1, .winch = { .fd = -1 } };
	int r;

	r = tty_listen(&s, err);
	if (r == 0)
		r = tty_spawn(&s, crun_root, id, argv, err);
	if (r == 0)
		r = tty_accept(&s, err);
	tty_unlink(&s);
	if (r == 0 && s.master >= 0 && (r = tty_raw(&s, err)) == 0)
		r = tty_copy(&s, err);
	if (s.raw)
		term_restore();
	if (s.winch.fd >= 0)
		sig_pipe_close(&s.winch);
	if (s.master >= 0)
		close(s.master);
	if (s.pid > 0 && s.status < 0)
		reap(&s);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (r < 0)
		return r;
	*status = s.status;
	return 0;
}
