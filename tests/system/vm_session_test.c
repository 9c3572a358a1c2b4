/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the client side of agent sessions (endpoints/vm_session.c)
 * against the real vnl-agent: exit statuses pass through (0, 3, 127,
 * 128+9), stdin reaches the command unchanged and stdout/stderr stay apart,
 * -t gives the command a tty without one on our side, signals to vnl reach
 * the command, a broken stdout pipe ends the session as 141, a big output
 * read slowly keeps the client's memory within a few windows, cp keeps
 * content and mode both ways and never leaves a partial or temporary file,
 * cp -r copies a tree both ways (symlinks and fifos skipped and counted),
 * INFO returns JSON, and one link carries every one of these sessions in
 * turn.
 * Operations: vnl-agent --fd 3 on one end of a socketpair (the agent needs
 * no HELLO and ignores the OPEN's target, so no vnld is involved); the
 * test's temp folder plays both the host and the "node" file system.  An
 * exec that needs its own stdio runs vms_exec() in a forked child, which
 * sends its result back through a pipe.  No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "node_kind.h"
#include "vm_session.h"
#include "../unit/tap.h"

#define NODE "vm1"
#define BIG_OUT 50000000L

static char tmp[64];      /* the test's temp folder, "" once removed */
static int link_fd = -1;  /* our end of the link to the agent */
static pid_t agent_pid;
static struct vnl_err err;

/* What a forked vms_exec() reports. */
struct res {
	int r, status;
	long hwm_kb;      /* growth of the child's peak RSS during the call */
	char msg[256];
};

static void cleanup(void)
{
	char cmd[128];

	if (agent_pid > 0) {
		kill(agent_pid, SIGKILL);
		waitpid(agent_pid, NULL, 0);
		agent_pid = 0;
	}
	if (tmp[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
		tmp[0] = '\0';
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* tmp + "/" + name, in one of a few rotating buffers. */
static const char *T(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

static long hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* s with control characters (newlines) as spaces, for one-line TAP output; in place. */
static char *flat(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	return s;
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void sha256(const char *path, char out[65])
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum < '%s'", path);
	out[0] = '\0';
	if ((p = popen(cmd, "r"))) {
		if (!fgets(out, 65, p))
			out[0] = '\0';
		pclose(p);
	}
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries of folder dir whose name contains ".vnl-" (our temp files). */
static int temp_files(const char *dir)
{
	return sh("ls -a '%s' 2>/dev/null | grep -q '\\.vnl-'", dir) == 0;
}

static int start_agent(const char *bin)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(stdout);
	agent_pid = fork();
	if (agent_pid == 0) {
		if (chdir(tmp) < 0 || dup2(sv[1], 3) < 0)
			_exit(126);
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		execl(bin, "vnl-agent", "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	link_fd = sv[0];
	return agent_pid > 0 ? 0 : -1;
}

/*
 * Start vms_exec(argv) (NULL: vms_shell) in a child with fds in/out/errfd as its 0/1/2 (-1:
 * keep ours) and without `other` (the test's end of a pipe, or -1); *rpipe
 * gets the pipe its struct res comes on.
 */
static pid_t spawn_exec(char *const argv[], int flags, int in, int out, int errfd, int other, int *rpipe)
{
	struct res res = { 0 };
	int p[2];
	long before;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (other >= 0)
			close(other);
		if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
		    (errfd >= 0 && dup2(errfd, 2) < 0))
			_exit(1);
		before = hwm_kb();
		if (argv)
			res.r = vms_exec(link_fd, NODE, argv, flags, 0, &res.status, &err);
		else
			res.r = vms_shell(link_fd, NODE, 0, &res.status, &err);
		res.hwm_kb = hwm_kb() - before;
		snprintf(res.msg, sizeof(res.msg), "%s", err.msg);
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	*rpipe = p[0];
	return pid;
}

static struct res collect(pid_t pid, int rpipe)
{
	struct res res = { .r = -9999 };

	if (read(rpipe, &res, sizeof(res)) != sizeof(res))
		snprintf(res.msg, sizeof(res.msg), "the exec child died");
	close(rpipe);
	waitpid(pid, NULL, 0);
	return res;
}

/* vms_exec(argv) with stdin from path `in` (NULL: /dev/null), stdout and
 * stderr into files `out`/`errp` (NULL: /dev/null). */
static struct res run(char *const argv[], int flags, const char *in, const char *out, const char *errp)
{
	int fi = open(in ? in : "/dev/null", O_RDONLY);
	int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int fe = open(errp ? errp : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rp;
	pid_t pid = spawn_exec(argv, flags, fi, fo, fe, -1, &rp);

	close(fi);
	close(fo);
	close(fe);
	return collect(pid, rp);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_connect(void)
{
	char lab[32];
	int r;

	snprintf(lab, sizeof(lab), "vtnolab%d", (int)getpid());
	vnl_err_clear(&err);
	r = vms_connect(lab, &err);
	ok(r == -ENOTCONN && strstr(err.msg, "is not running"), "connect to a lab without vnld: %d '%s'", r,
	   err.msg);
}

static void test_status(void)
{
	char *t[] = { "true", NULL }, *e3[] = { "sh", "-c", "exit 3", NULL };
	char *nf[] = { "vms-no-such-command", NULL }, *k9[] = { "sh", "-c", "kill -9 $$", NULL };
	char buf[512];
	struct res r;

	r = run(t, 0, NULL, NULL, NULL);
	ok(r.r == 0 && r.status == 0, "exec true: r=%d status %d %s", r.r, r.status, r.msg);
	r = run(e3, 0, NULL, NULL, NULL);
	ok(r.r == 0 && r.status == 3, "exec exit 3: r=%d status %d %s", r.r, r.status, r.msg);
	r = run(nf, 0, NULL, NULL, T("nf.err"));
	read_file(T("nf.err"), buf, sizeof(buf));
	ok(r.r == 0 && r.status == 127, "exec of a missing command: status %d (r=%d %s)", r.status, r.r, r.msg);
	ok(strstr(buf, "vms-no-such-command") != NULL, "  and its stderr names it: '%.60s'", flat(buf));
	r = run(k9, 0, NULL, NULL, NULL);
	ok(r.r == 0 && r.status == 128 + 9, "exec killed by SIGKILL: status %d (r=%d %s)", r.status, r.r, r.msg);
}

static void test_streams(void)
{
	char *oe[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char *cat[] = { "cat", NULL }, *sum[] = { "sha256sum", NULL };
	char out[256], eb[256], h1[65], h2[65];
	struct res r;
	int p[2], rp;
	pid_t pid, feeder;
	int fo, st;

	r = run(oe, 0, NULL, T("oe.out"), T("oe.err"));
	read_file(T("oe.out"), out, sizeof(out));
	read_file(T("oe.err"), eb, sizeof(eb));
	st = r.r == 0 && r.status == 0 && !strcmp(out, "out\n") && !strcmp(eb, "err\n");
	ok(st, "stdout and stderr apart: '%s' / '%s'", flat(out), flat(eb));

	sh("head -c 3000000 /dev/urandom > '%s'", T("in.bin"));
	sha256(T("in.bin"), h1);
	/* stdin through a pipe fed by another process */
	if (pipe(p) < 0)
		return;
	feeder = fork();
	if (feeder == 0) {
		close(p[0]);
		dup2(p[1], 1);
		execlp("cat", "cat", T("in.bin"), (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	fo = open(T("cat.out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid = spawn_exec(cat, 0, p[0], fo, -1, -1, &rp);
	close(p[0]);
	close(fo);
	r = collect(pid, rp);
	waitpid(feeder, NULL, 0);
	sha256(T("cat.out"), h2);
	ok(r.r == 0 && r.status == 0 && h1[0] && !strcmp(h1, h2), "3 MB through stdin and back out (cat): %.12s %.12s",
	   h1, h2);
	r = run(sum, 0, T("in.bin"), T("sum.out"), NULL);
	read_file(T("sum.out"), out, sizeof(out));
	ok(r.r == 0 && r.status == 0 && !strncmp(out, h1, 64), "remote sha256sum of stdin matches: %.12s", flat(out));
}

static void test_tty(void)
{
	char *t[] = { "sh", "-c", "test -t 0 && test -t 1 && tty", NULL };
	char out[256];
	struct res r;

	r = run(t, NODE_EXEC_TTY, NULL, T("tty.out"), NULL);
	read_file(T("tty.out"), out, sizeof(out));
	ok(r.r == 0 && r.status == 0 && !strncmp(out, "/dev/", 5), "-t without a terminal: a tty '%.20s' (r=%d %d %s)",
	   flat(out), r.r, r.status, r.msg);
	r = run(t, 0, NULL, T("tty.out"), NULL);
	ok(r.r == 0 && r.status == 1, "without -t: no tty (status %d)", r.status);
}

/* A pty pair with the given size: *slave for the exec child, the master returned. */
static int pty_pair(int rows, int cols, int *slave)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || (*slave = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0)
		return -1;
	ioctl(*slave, TIOCSWINSZ, &ws);
	return m;
}

/* Whatever the master has to read now, appended to out. */
static void pty_drain(int m, char *out, size_t size)
{
	size_t have = strlen(out);
	ssize_t n;

	fcntl(m, F_SETFL, O_NONBLOCK);
	while (have + 1 < size && (n = read(m, out + have, size - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
}

static int same_mode(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_lflag == b->c_lflag &&
	       a->c_cflag == b->c_cflag;
}

/* -t on a real terminal: raw while it runs, restored after, size and resize passed on. */
static void test_terminal(void)
{
	char *sz[] = { "sh", "-c", "stty size; sleep 1; stty size", NULL }, *sl[] = { "sleep", "10", NULL };
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	struct termios before, during, after;
	char out[512] = "";
	int m, sl_fd = -1, rp;
	struct res r;
	pid_t pid;

	if ((m = pty_pair(33, 101, &sl_fd)) < 0 || tcgetattr(sl_fd, &before) < 0) {
		ok(0, "a pty for the terminal tests: %s", strerror(errno));
		return;
	}
	pid = spawn_exec(sz, NODE_EXEC_TTY, sl_fd, sl_fd, sl_fd, m, &rp);
	usleep(400 * 1000);
	tcgetattr(sl_fd, &during);
	ioctl(sl_fd, TIOCSWINSZ, &ws);
	kill(pid, SIGWINCH);  /* not our controlling terminal: no SIGWINCH of its own */
	r = collect(pid, rp);
	tcgetattr(sl_fd, &after);
	pty_drain(m, out, sizeof(out));
	ok(r.r == 0 && r.status == 0 && strstr(out, "33 101") && strstr(out, "40 120"),
	   "-t on a terminal: its size, then the new one after SIGWINCH: '%s' (%s)", flat(out), r.msg);
	ok(!(during.c_lflag & (ICANON | ECHO | ISIG)), "  the terminal is raw while the command runs");
	ok(same_mode(&before, &after), "  and restored afterwards");

	pid = spawn_exec(sl, NODE_EXEC_TTY, sl_fd, sl_fd, sl_fd, m, &rp);
	usleep(400 * 1000);
	kill(pid, SIGTERM);
	r = collect(pid, rp);
	tcgetattr(sl_fd, &after);
	ok(r.r == 0 && r.status == 128 + SIGTERM && same_mode(&before, &after),
	   "-t ended by SIGTERM: status %d, terminal restored (%s)", r.status, r.msg);
	close(sl_fd);
	close(m);
}

/* vms_shell with a script on stdin (no terminal: a PTY all the same). */
static void test_shell(void)
{
	struct res r;

	sh("printf 'test -t 0 || exit 9\\nexit 7\\n' > '%s'", T("shell.in"));
	r = run(NULL, 0, T("shell.in"), T("shell.out"), NULL);
	ok(r.r == 0 && r.status == 7, "shell: a login shell on a tty runs its input: status %d (%s)", r.status,
	   r.msg);
}

/* The link goes away under a running exec. */
static void test_link_lost(const char *bin)
{
	char *sl[] = { "sleep", "3", NULL };
	int keep_fd = link_fd, rp;
	pid_t keep_pid = agent_pid, pid;
	struct res r;

	if (start_agent(bin) < 0)
		return;
	pid = spawn_exec(sl, 0, -1, -1, -1, -1, &rp);
	usleep(300 * 1000);
	kill(agent_pid, SIGKILL);
	waitpid(agent_pid, NULL, 0);
	r = collect(pid, rp);
	ok(r.r == -ECONNRESET && strstr(r.msg, "exec on " NODE ": the session link closed"),
	   "link lost under an exec: %d %s", r.r, r.msg);
	close(link_fd);
	link_fd = keep_fd;
	agent_pid = keep_pid;
}

static void test_signals(void)
{
	char *sl[] = { "sleep", "10", NULL };
	static const int sigs[] = { SIGINT, SIGTERM };
	struct res r;
	double t0;
	int i, rp;
	pid_t pid;

	for (i = 0; i < 2; i++) {
		t0 = now_s();
		pid = spawn_exec(sl, 0, -1, -1, -1, -1, &rp);
		usleep(500 * 1000);
		kill(pid, sigs[i]);
		r = collect(pid, rp);
		ok(r.r == 0 && r.status == 128 + sigs[i] && now_s() - t0 < 5,
		   "%s to vnl reaches the command: status %d in %.1f s (%s)", strsignal(sigs[i]), r.status,
		   now_s() - t0, r.msg);
	}
}

static void test_big_output(void)
{
	char *big[] = { "head", "-c", "50000000", "/dev/zero", NULL };
	static char buf[65536];
	struct res r;
	long total = 0, nonzero = 0;
	ssize_t n, i;
	int p[2], rp;
	double t0;
	pid_t pid;

	if (pipe(p) < 0)
		return;
	t0 = now_s();
	pid = spawn_exec(big, 0, -1, p[1], -1, p[0], &rp);
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		total += n;
		for (i = 0; i < n; i++)
			nonzero += buf[i] != 0;
		usleep(1000);  /* a slow reader: the agent is faster */
	}
	close(p[0]);
	r = collect(pid, rp);
	ok(r.r == 0 && r.status == 0 && total == BIG_OUT && nonzero == 0,
	   "50 MB of output through a slow pipe: %ld bytes in %.1f s (r=%d %d %s)", total, now_s() - t0, r.r,
	   r.status, r.msg);
	ok(r.hwm_kb >= 0 && r.hwm_kb < 4096, "  the client's peak memory grew by %ld KiB (< 4 MiB: a few windows)",
	   r.hwm_kb);

	/* `| head`: the reader goes away */
	if (pipe(p) < 0)
		return;
	t0 = now_s();
	pid = spawn_exec(big, 0, -1, p[1], -1, p[0], &rp);
	close(p[1]);
	n = read(p[0], buf, 10000);
	close(p[0]);
	r = collect(pid, rp);
	ok(r.r == 0 && r.status == 128 + SIGPIPE && now_s() - t0 < 5,
	   "stdout closed by the reader: status %d in %.1f s (%s)", r.status, now_s() - t0, r.msg);
}

static void test_info(void)
{
	char *json = NULL;
	int r;

	r = vms_info(link_fd, NODE, &json, &err);
	ok(r == 0 && json && json[0] == '{' && strstr(json, "\"hostname\""), "info: %.60s (%s)", json ? json : "-",
	   err.msg);
	free(json);
}

static void test_copy(void)
{
	char h1[65], h2[65], keep[64];
	int r;

	mkdir(T("node"), 0755);
	mkdir(T("back"), 0755);
	sh("head -c 10000000 /dev/urandom > '%s' && chmod 640 '%s'", T("big.bin"), T("big.bin"));
	sha256(T("big.bin"), h1);

	r = vms_copy(link_fd, NODE, T("big.bin"), T("node/big.bin"), 1, 0, &err);
	sha256(T("node/big.bin"), h2);
	ok(r == 0 && !strcmp(h1, h2), "cp 10 MB to the node: same content (%s)", err.msg);
	ok(mode_of(T("node/big.bin")) == 0640, "  mode kept: %o", mode_of(T("node/big.bin")));
	r = vms_copy(link_fd, NODE, T("node/big.bin"), T("back/big.bin"), 0, 0, &err);
	sha256(T("back/big.bin"), h2);
	ok(r == 0 && !strcmp(h1, h2), "cp 10 MB from the node: same content (%s)", err.msg);
	ok(mode_of(T("back/big.bin")) == 0640, "  mode kept: %o", mode_of(T("back/big.bin")));
	ok(!temp_files(T("back")) && !temp_files(T("node")), "  no temporary file left");

	r = vms_copy(link_fd, NODE, T("missing"), T("node/missing"), 1, 0, &err);
	ok(r < 0 && strstr(err.msg, "copy to " NODE ":") && !exists(T("node/missing")),
	   "cp of a missing host file: error, no dst: %s", err.msg);
	r = vms_copy(link_fd, NODE, T("big.bin"), T("nodir/big.bin"), 1, 0, &err);
	ok(r < 0 && !exists(T("nodir")), "cp to a missing node folder: error, nothing made: %s", err.msg);
	r = vms_copy(link_fd, NODE, T("node/missing"), T("back/missing"), 0, 0, &err);
	ok(r < 0 && strstr(err.msg, "copy from " NODE ":") && !exists(T("back/missing")) && !temp_files(T("back")),
	   "cp of a missing node file: error, no dst, no temp: %s", err.msg);
	sh("echo keep > '%s'", T("back/kept"));
	r = vms_copy(link_fd, NODE, T("node/missing"), T("back/kept"), 0, 0, &err);
	read_file(T("back/kept"), keep, sizeof(keep));
	ok(r < 0 && !strcmp(keep, "keep\n"), "a failed cp from the node leaves the old dst untouched");
	r = vms_copy(link_fd, NODE, T("node/big.bin"), T("nodir/big.bin"), 0, 0, &err);
	ok(r < 0 && !exists(T("nodir")), "cp into a missing host folder: error: %s", err.msg);
	r = vms_copy(link_fd, NODE, T("node"), T("back/x"), 0, 0, &err);
	ok(r < 0 && !exists(T("back/x")) && !temp_files(T("back")), "cp of a node folder without -r: error: %s",
	   err.msg);
}

static void test_copy_tree(void)
{
	int r;

	sh("cd '%s' && mkdir -p tree/sub/deeper tree/empty && echo A > tree/a && chmod 600 tree/a &&"
	   " echo B > tree/sub/b && printf 'c\\n' > tree/sub/deeper/c && chmod 755 tree/sub/deeper/c &&"
	   " chmod 750 tree/sub && ln -s a tree/link && mkfifo tree/fifo", tmp);
	r = vms_copy(link_fd, NODE, T("tree"), T("node/rtree"), 1, 1, &err);
	ok(r == 2 && err.code == 0 && strstr(err.msg, "and 1 more") && (strstr(err.msg, "/link") || strstr(err.msg, "/fifo")), "cp -r to the node: 2 skipped (link, fifo): %d %s",
	   r, err.msg);
	ok(sh("diff -r --no-dereference -x link -x fifo '%s' '%s' >/dev/null", T("tree"), T("node/rtree")) == 0 &&
	   !exists(T("node/rtree/link")) && !exists(T("node/rtree/fifo")),
	   "  same tree without them");
	ok(mode_of(T("node/rtree/a")) == 0600 && mode_of(T("node/rtree/sub/deeper/c")) == 0755 &&
	   mode_of(T("node/rtree/sub")) == 0750, "  modes kept: %o %o %o", mode_of(T("node/rtree/a")),
	   mode_of(T("node/rtree/sub/deeper/c")), mode_of(T("node/rtree/sub")));
	r = vms_copy(link_fd, NODE, T("node/rtree"), T("node/rtree2"), 1, 1, &err);
	ok(r == 0, "cp -r of a tree without special files: none skipped: %d %s", r, err.msg);

	symlink("a", T("node/rtree/nlink"));
	r = vms_copy(link_fd, NODE, T("node/rtree"), T("gtree"), 0, 1, &err);
	ok(r == 1 && err.code == 0 && strstr(err.msg, NODE ":") && strstr(err.msg, "/nlink"), "cp -r from the node: 1 skipped (symlink): %d %s", r, err.msg);
	ok(sh("diff -r --no-dereference -x nlink '%s' '%s' >/dev/null", T("node/rtree"), T("gtree")) == 0 &&
	   !exists(T("gtree/nlink")), "  same tree");
	ok(mode_of(T("gtree/a")) == 0600 && mode_of(T("gtree/sub/deeper/c")) == 0755 && mode_of(T("gtree/sub")) == 0750,
	   "  modes kept: %o %o %o", mode_of(T("gtree/a")), mode_of(T("gtree/sub/deeper/c")), mode_of(T("gtree/sub")));
	r = vms_copy(link_fd, NODE, T("node/rtree/a"), T("gfile"), 0, 1, &err);
	ok(r == 0 && mode_of(T("gfile")) == 0600, "cp -r of a node file copies the file (%s)", err.msg);
	r = vms_copy(link_fd, NODE, T("tree/a"), T("node/pfile"), 1, 1, &err);
	ok(r == 0 && mode_of(T("node/pfile")) == 0600, "cp -r of a host file copies the file (%s)", err.msg);
}

/* What a hostile guest can send to cp -r and cp: a tree too deep, listings
 * too big to hold, a setuid world-writable file, a symlink at dst. */
static void test_copy_hostile(void)
{
	char path[8192], keep[64];
	mode_t old = umask(022);
	int r, i, n;

	/* 100 levels: node/deep/d/d/... */
	n = snprintf(path, sizeof(path), "%s", T("node/deep"));
	for (i = 0; i < 100; i++)
		n += snprintf(path + n, sizeof(path) - n, "/d");
	sh("mkdir -p '%s' && echo bottom > '%s/f'", path, path);
	r = vms_copy(link_fd, NODE, T("node/deep"), T("gdeep"), 0, 1, &err);
	ok(r == -ELOOP && strstr(err.msg, "deeper than 64 levels"), "cp -r of a 100-level tree from the node: "
	   "refused at the limit: %d %s", r, err.msg);
	ok(sh("test $(find '%s' -type d | wc -l) -le 64", T("gdeep")) == 0, "  at most 64 levels were made");

	/* two nested folders of ~9 MiB listings each (long names): 18 MiB held */
	sh("mkdir -p '%s' && cd '%s' && for d in . sub; do mkdir -p $d; (cd $d && seq -f "
	   "'%%0240.0f' 1 36000 | xargs touch); done", T("node/wide"), T("node/wide"));
	r = vms_copy(link_fd, NODE, T("node/wide"), T("gwide"), 0, 1, &err);
	ok(r == -E2BIG && strstr(err.msg, "exceed 16 MiB"), "cp -r of nested 9 MiB listings: refused at 16 MiB "
	   "held: %d %s", r, err.msg);
	sh("rm -rf '%s' '%s'", T("node/wide"), T("gwide"));

	/* a setuid, sticky, world-writable file and folder */
	sh("mkdir -p '%s/sd' && echo s > '%s/su' && chmod 7777 '%s/su' && chmod 3777 '%s/sd'", T("node/modes"),
	   T("node/modes"), T("node/modes"), T("node/modes"));
	r = vms_copy(link_fd, NODE, T("node/modes/su"), T("back/su"), 0, 0, &err);
	ok(r == 0 && mode_of(T("back/su")) == 0755, "cp of a mode 7777 file: 0755 under umask 022, got %o (%s)",
	   mode_of(T("back/su")), err.msg);
	r = vms_copy(link_fd, NODE, T("node/modes"), T("gmodes"), 0, 1, &err);
	ok(r == 0 && mode_of(T("gmodes/su")) == 0755 && (mode_of(T("gmodes/sd")) & 07022) == 0,
	   "cp -r: modes masked too: file %o, folder %o (%s)", mode_of(T("gmodes/su")), mode_of(T("gmodes/sd")),
	   err.msg);

	/* dst is a symlink (to a file outside): replaced, not written through */
	sh("echo keep > '%s' && ln -sf '%s' '%s'", T("outside"), T("outside"), T("back/victim"));
	r = vms_copy(link_fd, NODE, T("node/modes/su"), T("back/victim"), 0, 0, &err);
	read_file(T("outside"), keep, sizeof(keep));
	ok(r == 0 && !strcmp(keep, "keep\n") && sh("test -f '%s' && ! test -L '%s'", T("back/victim"),
	   T("back/victim")) == 0, "cp onto a symlink: the link is replaced, its target untouched (%s)", err.msg);
	/* a symlink inside the destination tree is not followed */
	sh("mkdir -p '%s' && ln -s '%s' '%s'", T("gmodes2"), T("back"), T("gmodes2/sd"));
	r = vms_copy(link_fd, NODE, T("node/modes"), T("gmodes2"), 0, 1, &err);
	ok(r == -EEXIST && !exists(T("back/sd")) && strstr(err.msg, "not a folder"),
	   "cp -r into a tree whose sub-folder is a symlink: refused, nothing written through it: %s", err.msg);
	umask(old);
}

int main(void)
{
	char bin[512];
	const char *bd = getenv("VNL_BUILD_DIR");
	char *t[] = { "true", NULL };
	struct res r;
	int st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(bin, sizeof(bin), "%s/vnl-agent", bd ? bd : ".");
	if (access(bin, X_OK) < 0) {
		printf("1..0 # SKIP no vnl-agent at %s\n", bin);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/vt-vms-XXXXXX");
	if (!mkdtemp(tmp)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (start_agent(bin) < 0) {
		printf("Bail out! cannot start %s\n", bin);
		return 1;
	}
	test_connect();
	test_status();
	test_streams();
	test_tty();
	test_signals();
	test_big_output();
	test_terminal();
	test_shell();
	test_info();
	test_copy();
	test_copy_tree();
	test_copy_hostile();
	test_link_lost(bin);
	r = run(t, 0, NULL, NULL, NULL);
	ok(r.r == 0 && r.status == 0, "the link still works after every session above (%s)", r.msg);

	close(link_fd);
	for (st = 0; st < 30 && waitpid(agent_pid, NULL, WNOHANG) == 0; st++)
		usleep(100 * 1000);
	ok(st < 30, "the agent exits when the link closes");
	if (st < 30)
		agent_pid = 0;
	return tap_done();
}
