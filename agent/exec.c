/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Op EXEC: run argv in a new session (so its own process group, pgid ==
 * pid), with stdin/stdout/stderr on three pipes, or all three on a new
 * pseudo-terminal (AP_OPEN_PTY: stdout carries both outputs).
 *
 * Environment: PATH (EXEC_PATH), HOME=/root, TERM=xterm on a PTY, then the
 * OPEN's env strings, each replacing a default of the same name.  argv[0]
 * without a '/' is looked up in that PATH.  cwd: HOME if it exists, else /.
 * Exit codes as agentproto.h says: the status, 128+signal, 127 not found,
 * 126 found but not executable (the child prints why on its stderr).
 *
 * Streams.  Output is read only when the host's credit and the link allow
 * (chan_read_fd), so a command that writes without end is held back by its
 * own pipe.  Input from the host is written to the child's non-blocking
 * stdin as it can take it; the rest waits in a buffer that the credit bounds
 * to one window.  Host EOF closes the stdin pipe once the buffer is written
 * (PTY: writes the terminal's VEOF character instead).  A child that closed
 * its stdin makes further input be discarded (and still credited).
 *
 * End.  The CLOSE (exit code) goes once the child is reaped and both output
 * streams reached EOF (EOF frames sent).  After the reap, a pipe that is
 * empty counts as ended (a background process may keep it open forever);
 * a PTY, whose output reaches the master asynchronously, is given
 * EXEC_PTY_LINGER_MS of quiet (or its EIO) first.
 *
 * Abort (host CLOSE, peer gone): SIGHUP + SIGTERM (+ SIGCONT) to the process
 * group at once, SIGKILL to the group after EXEC_KILL_GRACE_MS; the group
 * is tracked in `orphans` after its channel is gone.  A pgid cannot be
 * reused while any process of the group lives, so signalling it later is
 * safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define EXEC_HOME "/root"
#define TAG_STDIN 100 /* poll tag of the stdin descriptor (stdout/stderr: their stream) */
#define MAX_ORPHANS 256

struct exec {
	struct chan *c;
	struct exec *next;             /* list of running execs (pid lookup on reap) */
	pid_t pid;                     /* the child, leader of its process group */
	bool reaped;
	int code;                      /* exit code, once reaped */
	bool pty;
	int master;                    /* PTY master (-1 without PTY) */
	int in_fd;                     /* child's stdin: pipe or master; -1 when closed */
	int out_fd[AP_NSTREAMS];       /* [STDOUT], [STDERR] sources; -1 at their end */
	bool rd[AP_NSTREAMS];          /* source reported readable (or must be drained) */
	bool eof_sent[AP_NSTREAMS];
	bool stdin_broken;             /* the child closed its stdin: discard */
	bool veof_pending;             /* PTY: VEOF to write once the buffer is out */
	uint64_t quiet_since;          /* PTY: last output, after the reap */
	uint8_t *ibuf;                 /* stdin bytes not written yet: [ioff, ilen) */
	size_t ioff, ilen, icap;
};

static struct exec *execs;

static struct {
	pid_t pgid;
	uint64_t kill_at;
} orphans[MAX_ORPHANS];
static unsigned norphans;

/* ---- the child ---- */

/* "K=V" in envp (n entries): replace an entry named K or append. */
static unsigned env_set(const char **envp, unsigned n, const char *kv)
{
	size_t k = strcspn(kv, "=");
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strncmp(envp[i], kv, k) && envp[i][k] == '=') {
			envp[i] = kv;
			return n;
		}
	envp[n++] = kv;
	return n;
}

static const char *env_get(const char *const *envp, const char *name)
{
	size_t k = strlen(name);

	for (; *envp; envp++)
		if (!strncmp(*envp, name, k) && (*envp)[k] == '=')
			return *envp + k + 1;
	return NULL;
}

/* execve argv[0] (through PATH without a '/'); returns the errno to report. */
static int exec_search(char *const argv[], char *const envp[])
{
	const char *path = env_get((const char *const *)envp, "PATH"), *d, *end;
	char buf[PATH_MAX];
	bool eacces = false;
	int err = ENOENT;
	size_t dl;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return errno;
	}
	for (d = path ? path : EXEC_PATH;; d = end + 1) {
		end = strchrnul(d, ':');
		dl = (size_t)(end - d);
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dl, d, dl ? "/" : "", argv[0]) < (int)sizeof(buf)) {
			execve(buf, argv, envp);
			if (errno == EACCES)
				eacces = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		if (!*end)
			break;
	}
	return eacces && err == ENOENT ? EACCES : err;
}

__attribute__((noreturn)) static void child(char *const argv[], char *const envp[], int in, int out, int err,
					    int tty)
{
	const char *home = env_get((const char *const *)envp, "HOME");
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	setsid();
	if (tty >= 0) {
		ioctl(tty, TIOCSCTTY, 0);
		in = out = err = tty;
	}
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	/* The originals are close-on-exec; 0..2 are not after dup2. */
	if (!home || chdir(home) < 0)
		if (chdir("/") < 0)
			_exit(126);
	umask(022);
	e = exec_search(argv, envp);
	dprintf(2, "vnl-agent: %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

/* ---- the channel ---- */

/*
 * Signal the process group of a child.  Between fork and the child's
 * setsid() the group does not exist yet (ESRCH): the child alone is the
 * target then, and a signal it has blocked stays pending until it unblocks.
 */
static int kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) == 0)
		return 0;
	return errno == ESRCH ? kill(pid, sig) : -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static int exec_open(struct chan *c, const struct ap_open *o)
{
	const char *argv[AP_MAX_ARGS + 1], *envp[AP_MAX_ARGS + 4];
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, master = -1, slave = -1, r;
	struct winsize ws = { .ws_row = o->rows ? o->rows : 24, .ws_col = o->cols ? o->cols : 80 };
	struct exec *e;
	unsigned i, n = 0;
	pid_t pid;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return chan_msg(c, -ENOMEM, "out of memory");
	memcpy(argv, o->argv, o->argc * sizeof(argv[0]));
	argv[o->argc] = NULL;
	n = env_set(envp, n, "PATH=" EXEC_PATH);
	n = env_set(envp, n, "HOME=" EXEC_HOME);
	if (o->flags & AP_OPEN_PTY)
		n = env_set(envp, n, "TERM=xterm");
	for (i = 0; i < o->envc; i++)
		n = env_set(envp, n, o->env[i]);
	envp[n] = NULL;

	if (o->flags & AP_OPEN_PTY) {
		if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
			r = chan_msg(c, -errno, "openpty: %s", strerror(errno));
			goto fail;
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
	} else if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		r = chan_msg(c, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = chan_msg(c, -errno, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child((char *const *)argv, (char *const *)envp, pin[0], pout[1], perr[1], slave);
	close_fd(&slave);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	e->c = c;
	e->pid = pid;
	e->pty = master >= 0;
	e->master = master;
	e->in_fd = e->pty ? master : pin[1];
	e->out_fd[AP_STDOUT] = e->pty ? master : pout[0];
	e->out_fd[AP_STDERR] = e->pty ? -1 : perr[0];
	e->out_fd[AP_STDIN] = -1;
	e->eof_sent[AP_STDIN] = true;
	set_nonblock(e->in_fd);
	if (!e->pty)
		set_nonblock(e->out_fd[AP_STDOUT]), set_nonblock(e->out_fd[AP_STDERR]);
	e->next = execs;
	execs = e;
	c->op = e;
	alog(LOG_D, "channel %u: exec %s%s as pid %d", c->id, argv[0], e->pty ? " on a pty" : "", pid);
	chan_opened(c, (uint32_t)pid, 0, 0);
	return 0;
fail:
	close_fd(&master);
	close_fd(&slave);
	for (i = 0; i < 2; i++) {
		close_fd(&pin[i]);
		close_fd(&pout[i]);
		close_fd(&perr[i]);
	}
	free(e);
	return r;
}

/* Host EOF reached the child: close its stdin (PTY: type VEOF). */
static void stdin_end(struct exec *e)
{
	struct termios t;
	uint8_t veof = 4; /* ^D */

	if (e->pty) {
		if (!e->veof_pending)
			return;
		if (tcgetattr(e->master, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
			veof = t.c_cc[VEOF];
		if (write(e->master, &veof, 1) == 1 || errno != EAGAIN)
			e->veof_pending = false;
		return;
	}
	close_fd(&e->in_fd);
}

/* Write buffered stdin bytes while the child takes them. */
static void write_stdin(struct chan *c, struct exec *e)
{
	ssize_t n;

	while (e->ioff < e->ilen && e->in_fd >= 0) {
		n = write(e->in_fd, e->ibuf + e->ioff, e->ilen - e->ioff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) { /* EPIPE: the child closed its stdin; the rest is discarded */
			e->stdin_broken = true;
			n = (ssize_t)(e->ilen - e->ioff);
			if (!e->pty)
				close_fd(&e->in_fd);
		}
		e->ioff += (size_t)n;
		chan_passed(c, (uint32_t)n);
	}
	free(e->ibuf); /* empty: give the memory back */
	e->ibuf = NULL;
	e->ioff = e->ilen = e->icap = 0;
	if (c->in_eof && e->in_fd >= 0)
		stdin_end(e);
}

static int exec_input(struct chan *c, const uint8_t *p, uint32_t n)
{
	struct exec *e = c->op;
	size_t need;
	ssize_t w = 0;

	if (e->stdin_broken || e->in_fd < 0) {
		chan_passed(c, n);
		return 0;
	}
	if (e->ioff == e->ilen) { /* nothing queued: straight to the child */
		w = write(e->in_fd, p, n);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			e->stdin_broken = true;
			chan_passed(c, n);
			return 0;
		}
		if (w < 0)
			w = 0;
		chan_passed(c, (uint32_t)w);
		if ((uint32_t)w == n)
			return 0;
	}
	if (e->ioff > 0) {
		memmove(e->ibuf, e->ibuf + e->ioff, e->ilen - e->ioff);
		e->ilen -= e->ioff;
		e->ioff = 0;
	}
	need = e->ilen + (n - (size_t)w);
	if (need > e->icap) { /* at most AP_WINDOW_INIT: the credit bounds it */
		size_t cap = e->icap ? e->icap : 16384;
		uint8_t *b;

		while (cap < need)
			cap *= 2;
		b = realloc(e->ibuf, cap);
		if (b == NULL)
			return chan_msg(c, -ENOMEM, "out of memory for stdin");
		e->ibuf = b;
		e->icap = cap;
	}
	memcpy(e->ibuf + e->ilen, p + w, n - (size_t)w);
	e->ilen += n - (size_t)w;
	return 0;
}

static int exec_input_eof(struct chan *c)
{
	struct exec *e = c->op;

	e->veof_pending = e->pty;
	if (e->ioff == e->ilen && e->in_fd >= 0)
		stdin_end(e);
	return 0;
}

static int exec_resize(struct chan *c, uint16_t rows, uint16_t cols)
{
	struct exec *e = c->op;
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (e->pty && ioctl(e->master, TIOCSWINSZ, &ws) < 0)
		alog(LOG_D, "channel %u: TIOCSWINSZ: %s, ignoring", c->id, strerror(errno));
	return 0;
}

static int exec_signal(struct chan *c, int signo)
{
	struct exec *e = c->op;

	if (kill_group(e->pid, signo) < 0 && errno != ESRCH)
		return chan_msg(c, -errno, "kill %d: %s", signo, strerror(errno));
	return 0;
}

static void exec_poll(struct chan *c, struct pollset *ps)
{
	struct exec *e = c->op;
	int s;

	for (s = AP_STDOUT; s <= AP_STDERR; s++)
		if (e->out_fd[s] >= 0 && !e->rd[s] && c->credit[s] > 0 && link_room())
			ps_add(ps, e->out_fd[s], POLLIN, chan_ready, c, s);
	if (e->in_fd >= 0 && (e->ioff < e->ilen || e->veof_pending))
		ps_add(ps, e->in_fd, POLLOUT, chan_ready, c, TAG_STDIN);
}

static void exec_ready(struct chan *c, int tag, short revents)
{
	struct exec *e = c->op;

	if (tag == TAG_STDIN) {
		write_stdin(c, e);
		if (e->ioff == e->ilen && e->veof_pending)
			stdin_end(e);
	} else if (revents & (POLLIN | POLLHUP | POLLERR)) {
		e->rd[tag] = true;
	}
}

/* End of one output stream: no more reads (the PTY master stays open for stdin). */
static void out_end(struct exec *e, int s)
{
	if (e->pty)
		e->out_fd[s] = -1;
	else
		close_fd(&e->out_fd[s]);
}

/* After the reap, a source with nothing to read: ended, or (PTY) not yet. */
static void drained(struct chan *c, struct exec *e, int s)
{
	uint64_t now = now_ms();

	if (!e->pty || now - e->quiet_since >= EXEC_PTY_LINGER_MS)
		out_end(e, s);
	else
		c->wake_at = e->quiet_since + EXEC_PTY_LINGER_MS;
}

static bool exec_pump(struct chan *c)
{
	struct exec *e = c->op;
	bool busy = false;
	ssize_t r;
	int s;

	if (c->wake_at && now_ms() >= c->wake_at) { /* PTY linger over: look again */
		c->wake_at = 0;
		e->rd[AP_STDOUT] = busy = true;
	}
	for (s = AP_STDOUT; s <= AP_STDERR; s++) {
		if (e->out_fd[s] >= 0 && e->rd[s]) {
			r = chan_read_fd(c, (uint8_t)s, e->out_fd[s]);
			if (r > 0) {
				busy = true;
				e->quiet_since = now_ms();
			} else if (r == 0 || r == -EIO) { /* EIO: the PTY's slave closed by all */
				out_end(e, s);
			} else if (r == -EAGAIN) {
				e->rd[s] = false;
				if (e->reaped)
					drained(c, e, s);
			} else if (r != -ENOBUFS) { /* ENOBUFS: wait for credit or link room */
				alog(LOG_W, "channel %u: read: %s", c->id, strerror((int)-r));
				out_end(e, s);
			}
		}
		if (e->out_fd[s] < 0 && !e->eof_sent[s] && chan_send_eof(c, (uint8_t)s) == 0)
			e->eof_sent[s] = busy = true;
	}
	if (e->reaped && e->eof_sent[AP_STDOUT] && e->eof_sent[AP_STDERR])
		chan_finish(c, e->code, NULL);
	return busy;
}

static bool group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

static void orphan_add(pid_t pgid)
{
	kill_group(pgid, SIGHUP);
	kill_group(pgid, SIGTERM);
	kill_group(pgid, SIGCONT);
	if (norphans == MAX_ORPHANS) {
		kill(-pgid, SIGKILL);
		return;
	}
	orphans[norphans].pgid = pgid;
	orphans[norphans++].kill_at = now_ms() + EXEC_KILL_GRACE_MS;
}

static void exec_release(struct chan *c, bool abort)
{
	struct exec *e = c->op, **pp;

	if (e == NULL)
		return;
	if (abort && (!e->reaped || group_alive(e->pid)))
		orphan_add(e->pid);
	for (pp = &execs; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	if (!e->pty) {
		close_fd(&e->in_fd);
		close_fd(&e->out_fd[AP_STDOUT]);
		close_fd(&e->out_fd[AP_STDERR]);
	}
	close_fd(&e->master);
	free(e->ibuf);
	free(e);
	c->op = NULL;
}

const struct chan_ops exec_ops = {
	.name = "exec",
	.open = exec_open,
	.input = exec_input,
	.input_eof = exec_input_eof,
	.resize = exec_resize,
	.signal = exec_signal,
	.poll = exec_poll,
	.ready = exec_ready,
	.pump = exec_pump,
	.release = exec_release,
};

/* ---- reaping and killing ---- */

void exec_reap(void)
{
	struct exec *e;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (e = execs; e && e->pid != pid; e = e->next)
			;
		if (e == NULL || e->reaped)
			continue; /* an aborted one: its group is in orphans */
		e->reaped = true;
		e->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		e->quiet_since = now_ms();
		e->rd[AP_STDOUT] = e->rd[AP_STDERR] = true; /* drain what it left */
		alog(LOG_D, "channel %u: pid %d exited with %d", e->c->id, pid, e->code);
	}
}

int exec_tick(uint64_t now)
{
	uint64_t next = UINT64_MAX;
	unsigned i = 0;

	while (i < norphans) {
		if (now >= orphans[i].kill_at || !group_alive(orphans[i].pgid)) {
			if (group_alive(orphans[i].pgid)) {
				alog(LOG_D, "process group %d outlived its grace: SIGKILL", orphans[i].pgid);
				kill(-orphans[i].pgid, SIGKILL);
			}
			orphans[i] = orphans[--norphans];
			continue;
		}
		if (orphans[i].kill_at < next)
			next = orphans[i].kill_at;
		i++;
	}
	return next == UINT64_MAX ? 60000 : (int)(next - now);
}

void exec_kill_all(void)
{
	struct exec *e;
	unsigned i;

	for (e = execs; e; e = e->next)
		kill_group(e->pid, SIGKILL);
	for (i = 0; i < norphans; i++)
		kill(-orphans[i].pgid, SIGKILL);
	norphans = 0;
}
