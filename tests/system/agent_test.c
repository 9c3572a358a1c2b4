/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the real vnl-agent, driven over a socketpair (--fd) with the
 * real codec, runs commands with the right exit codes (0, 3, 126, 127,
 * 128+signal) and streams, passes stdin through with flow control both
 * ways, gives PTY sessions a terminal that follows RESIZE, moves 5 MB
 * files both ways unchanged (sha256) with their mode, leaves no file
 * behind a short, long or aborted PUT, refuses GET of a folder, lists and
 * makes folders, reports INFO as JSON, runs 16 sessions at once, holds a
 * `cat /dev/zero` at exactly its credit while other channels stay prompt
 * and its RSS stays small, survives garbage, bad versions, oversize
 * lengths and bad payloads (closing only the channel concerned), ends the
 * channels of a replaced or silent peer, exits at end of file, and in
 * --daemon mode refuses a second instance.
 * Operations: fork the agent with one end of a socketpair; a small
 * host-side client (output queue, decoder, per-channel state) in this
 * file; files in a temp folder removed at the end.
 * No root needed; about 15 s, most of it the peer-lost timeout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentproto.h"
#include "../unit/tap.h"
#include "unixsock.h"
#include "wait.h"

/* ok() whose condition is evaluated before the message's arguments. */
#define OK(cond, ...)                                                                                                 \
	do {                                                                                                         \
		int c_ = (cond);                                                                                     \
		ok(c_, __VA_ARGS__);                                                                                 \
	} while (0)

#define MAXCH 1024
#define OUT_KEEP (8u << 20) /* output bytes kept per stream */

struct ch {
	bool opened, closed;
	uint8_t op;
	int32_t code;
	char msg[AP_MAX_MSG];
	uint32_t pid, mode;
	uint64_t fsize;
	uint8_t *out[AP_NSTREAMS];
	size_t len[AP_NSTREAMS];     /* kept bytes */
	uint64_t total[AP_NSTREAMS]; /* all bytes received */
	bool eof[AP_NSTREAMS];
	bool no_window;              /* do not grant credit (flood test) */
	uint32_t unacked[AP_NSTREAMS];
	uint64_t credit;             /* what the agent lets us send on STDIN */
};

static struct ch chs[MAXCH];
static const char *agent_bin;
static pid_t agent;
static int sock = -1;
static bool agent_eof;
static struct ap_decoder dec;
static uint8_t *q;           /* our output queue [qoff, qlen) */
static size_t qoff, qlen, qcap;
static uint64_t hello_nonce = ~0ull; /* last HELLO from the agent */
static char hello_who[AP_MAX_MSG];
static int hellos;
static char tmp[64];

static uint64_t ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the host-side client ---- */

static void qflush(void)
{
	ssize_t n;

	while (qoff < qlen) {
		n = write(sock, q + qoff, qlen - qoff);
		if (n <= 0)
			return;
		qoff += (size_t)n;
	}
	qoff = qlen = 0;
}

static void qraw(const void *p, size_t n)
{
	if (qoff > 0 && qoff == qlen)
		qoff = qlen = 0;
	if (qlen + n > qcap) {
		qcap = (qlen + n) * 2;
		q = realloc(q, qcap);
		if (q == NULL)
			abort();
	}
	memcpy(q + qlen, p, n);
	qlen += n;
	qflush();
}

static uint8_t fbuf[AP_HDR_LEN + AP_MAX_PAYLOAD];

#define SEND(call)                                                                                                    \
	do {                                                                                                         \
		int n_ = (call);                                                                                     \
		if (n_ > 0)                                                                                          \
			qraw(fbuf, (size_t)n_);                                                                      \
		else                                                                                                 \
			printf("# encode failed: %d (%s)\n", n_, #call);                                             \
	} while (0)

static void keep(struct ch *c, int s, const uint8_t *p, uint32_t n)
{
	c->total[s] += n;
	if (c->len[s] + n > OUT_KEEP)
		return;
	c->out[s] = realloc(c->out[s], c->len[s] + n + 1);
	memcpy(c->out[s] + c->len[s], p, n);
	c->len[s] += n;
	c->out[s][c->len[s]] = 0;
}

static void on_frame(const struct ap_hdr *h, const uint8_t *p)
{
	struct ch *c = h->chan < MAXCH ? &chs[h->chan] : NULL;
	const uint8_t *d;
	const char *s;
	uint32_t v, n;
	uint64_t nonce;
	uint8_t st;

	switch (h->type) {
	case AP_HELLO:
		if (ap_parse_hello(p, h->len, &v, &nonce, &s) == 0) {
			hello_nonce = nonce;
			snprintf(hello_who, sizeof(hello_who), "%s", s);
			hellos++;
		}
		return;
	case AP_PING:
		if (ap_parse_u64(p, h->len, &nonce) == 0)
			SEND(ap_put_ping(fbuf, sizeof(fbuf), AP_PONG, nonce));
		return;
	case AP_PONG:
		return;
	}
	if (c == NULL)
		return;
	switch (h->type) {
	case AP_OPENED:
		if (ap_parse_opened(p, h->len, c->op, &c->pid, &c->mode, &c->fsize) == 0)
			c->opened = true;
		else
			printf("# chan %u: bad OPENED\n", h->chan);
		break;
	case AP_DATA:
		if (ap_parse_data(p, h->len, &st, &d, &n) < 0)
			break;
		keep(c, st, d, n);
		c->unacked[st] += n;
		if (!c->no_window && c->unacked[st] >= AP_WINDOW_INIT / 4) {
			SEND(ap_put_window(fbuf, sizeof(fbuf), h->chan, st, c->unacked[st]));
			c->unacked[st] = 0;
		}
		break;
	case AP_EOF:
		if (ap_parse_stream(p, h->len, &st) == 0)
			c->eof[st] = true;
		break;
	case AP_WINDOW:
		if (ap_parse_window(p, h->len, &st, &v) == 0)
			c->credit += v;
		break;
	case AP_CLOSE:
		if (ap_parse_close(p, h->len, &c->code, &s) == 0) {
			c->closed = true;
			snprintf(c->msg, sizeof(c->msg), "%s", s);
		}
		break;
	}
}

/* Wait up to timeout_ms for input (and queue room); handle what came. */
static void pump(int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN | (qlen > qoff ? POLLOUT : 0) };
	const uint8_t *pl;
	struct ap_hdr h;
	size_t room;
	uint8_t *sp;
	ssize_t n;

	if (agent_eof || poll(&p, 1, timeout_ms) <= 0)
		return;
	if (p.revents & POLLOUT)
		qflush();
	if (!(p.revents & (POLLIN | POLLHUP)))
		return;
	sp = ap_decoder_space(&dec, &room);
	n = read(sock, sp, room);
	if (n <= 0) {
		agent_eof = n == 0 || errno != EAGAIN;
		return;
	}
	ap_decoder_commit(&dec, (size_t)n);
	while (ap_decoder_next(&dec, &h, &pl) == 1)
		on_frame(&h, pl);
}

/* Pump until *flag or timeout; returns *flag. */
static bool wait_for(const bool *flag, int timeout_ms)
{
	uint64_t end = ms() + (uint64_t)timeout_ms;

	while (!*flag && !agent_eof && ms() < end)
		pump(20);
	return *flag;
}

static void pump_for(int t)
{
	uint64_t end = ms() + (uint64_t)t;

	while (ms() < end)
		pump((int)(end - ms()));
}

static void ch_reset(uint32_t id, uint8_t op)
{
	struct ch *c = &chs[id];
	int s;

	for (s = 0; s < AP_NSTREAMS; s++)
		free(c->out[s]);
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->credit = AP_WINDOW_INIT;
}

static void open_exec_env(uint32_t id, uint8_t flags, uint16_t rows, uint16_t cols, const char *const *argv,
			  unsigned argc, const char *const *env, unsigned envc)
{
	struct ap_open o = { .op = AP_OP_EXEC, .flags = flags, .rows = rows, .cols = cols, .target = "t",
			     .argc = argc, .argv = argv, .envc = envc, .env = env };

	ch_reset(id, AP_OP_EXEC);
	SEND(ap_put_open(fbuf, sizeof(fbuf), id, &o));
}

static void open_sh(uint32_t id, uint8_t flags, const char *cmd)
{
	const char *argv[] = { "sh", "-c", cmd };

	open_exec_env(id, flags, 0, 0, argv, 3, NULL, 0);
}

static void open_file(uint32_t id, uint8_t op, const char *path, uint32_t mode, uint64_t size)
{
	struct ap_open o = { .op = op, .target = "t", .path = path, .mode = mode, .size = size };

	ch_reset(id, op);
	SEND(ap_put_open(fbuf, sizeof(fbuf), id, &o));
}

/* Send n bytes of STDIN within the agent's credit. */
static void send_stdin(uint32_t id, const uint8_t *p, size_t n)
{
	struct ch *c = &chs[id];
	uint64_t end = ms() + 20000;
	size_t k;

	while (n > 0 && !c->closed && !agent_eof && ms() < end) {
		k = n < AP_MAX_DATA ? n : AP_MAX_DATA;
		if (k > c->credit)
			k = (size_t)c->credit;
		if (k == 0 || qlen - qoff > (1u << 20)) {
			pump(20);
			continue;
		}
		SEND(ap_put_data(fbuf, sizeof(fbuf), id, AP_STDIN, p, k));
		c->credit -= k;
		p += k;
		n -= k;
		pump(0);
	}
}

static void send_eof(uint32_t id)
{
	SEND(ap_put_eof(fbuf, sizeof(fbuf), id, AP_STDIN));
}

/* Run sh -c cmd; its code (or -1000 on timeout); stdout in chs[id]. */
static int run(uint32_t id, const char *cmd, int timeout_ms)
{
	open_sh(id, 0, cmd);
	send_eof(id);
	return wait_for(&chs[id].closed, timeout_ms) ? chs[id].code : -1000;
}

static bool out_is(uint32_t id, const char *want)
{
	return chs[id].out[1] && !strcmp((char *)chs[id].out[1], want);
}

static bool out_has(uint32_t id, const char *want)
{
	return chs[id].out[1] && strstr((char *)chs[id].out[1], want);
}

/* ---- helpers ---- */

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static bool alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* Gone within timeout (the agent reaps its children). */
static bool gone(pid_t pid, int timeout_ms)
{
	uint64_t end = ms() + (uint64_t)timeout_ms;

	while (alive(pid) && ms() < end)
		pump(20);
	return !alive(pid);
}

static bool agent_alive(void)
{
	return waitpid(agent, NULL, WNOHANG) == 0;
}

static int sha256_file(const char *path, char out[65])
{
	char cmd[256];
	FILE *p;
	int ok_ = 0;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%64s", out) == 1)
		ok_ = 1;
	if (p)
		pclose(p);
	return ok_;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	int r = f && fwrite(p, 1, n, f) == n;

	if (f)
		fclose(f);
	return r;
}

static int count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.' || (e->d_name[1] && (e->d_name[1] != '.' || e->d_name[2]));
	if (d)
		closedir(d);
	return n;
}

static void cleanup(void)
{
	char cmd[128];

	if (agent > 0)
		kill(agent, SIGKILL);
	if (tmp[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
	}
}

static void start_agent(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	agent = fork();
	if (agent == 0) {
		dup2(sv[1], 3);
		execl(agent_bin, "vnl-agent", "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	sock = sv[0];
	fcntl(sock, F_SETFL, O_NONBLOCK);
}

/* ---- the tests ---- */

static void test_hello_first(void)
{
	uint64_t end = ms() + 3000;

	while (!hellos && ms() < end)
		pump(50);
	OK(hellos == 1 && hello_nonce == 0 && !strncmp(hello_who, "vnl-agent ", 10),
	   "unsolicited HELLO at start, nonce 0, '%s'", hello_who);
}

static void test_exec_codes(void)
{
	const char *missing[] = { "no-such-command-vnl" }, *abs_missing[] = { "/no/such/file" };
	const char *noexec[1];
	char path[128];

	OK(run(1, "true", 5000) == 0 && chs[1].opened && chs[1].pid > 0, "exec true: OPENED with pid, exit 0");
	OK(run(2, "echo out; echo err >&2; exit 3", 5000) == 3 && out_is(2, "out\n") && chs[2].out[2] &&
		   !strcmp((char *)chs[2].out[2], "err\n") && chs[2].eof[1] && chs[2].eof[2],
	   "exit 3, stdout and stderr apart, EOF on both before CLOSE");
	open_exec_env(3, 0, 0, 0, missing, 1, NULL, 0);
	OK(wait_for(&chs[3].closed, 5000) && chs[3].code == 127 && chs[3].out[2] && strstr((char *)chs[3].out[2], "No such file"),
	   "command not in PATH: 127, the reason on stderr");
	open_exec_env(4, 0, 0, 0, abs_missing, 1, NULL, 0);
	OK(wait_for(&chs[4].closed, 5000) && chs[4].code == 127, "absolute path missing: 127");
	snprintf(path, sizeof(path), "%s/noexec", tmp);
	write_file(path, "#!/bin/sh\n", 10);
	chmod(path, 0644);
	noexec[0] = path;
	open_exec_env(5, 0, 0, 0, noexec, 1, NULL, 0);
	OK(wait_for(&chs[5].closed, 5000) && chs[5].code == 126, "not executable: 126");
	OK(run(6, "kill -TERM $$", 5000) == 128 + SIGTERM, "killed by SIGTERM: 143");
	open_sh(7, 0, "sleep 30");
	wait_for(&chs[7].opened, 5000);
	SEND(ap_put_signal(fbuf, sizeof(fbuf), 7, SIGKILL));
	OK(wait_for(&chs[7].closed, 5000) && chs[7].code == 128 + SIGKILL, "SIGNAL 9 to the group: 137");
	open_sh(8, 0, "sleep 30 & sleep 30; echo done");
	wait_for(&chs[8].opened, 5000);
	pump_for(200);
	SEND(ap_put_signal(fbuf, sizeof(fbuf), 8, SIGTERM));
	OK(wait_for(&chs[8].closed, 5000) && chs[8].code == 128 + SIGTERM, "SIGNAL reaches the whole process group");
	{
		const char *argv[] = { "sh", "-c", "echo $HOME:$PATH:$FOO:$TERM; pwd" }, *env[] = { "FOO=bar", "HOME=/tmp" };

		open_exec_env(9, 0, 0, 0, argv, 3, env, 2);
		send_eof(9);
		OK(wait_for(&chs[9].closed, 5000) &&
			   out_is(9, "/tmp:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:bar:\n/tmp\n"),
		   "environment: PATH default, env added and replacing HOME, no TERM without pty, cwd HOME");
	}
}

static void test_stdin(void)
{
	static uint8_t big[1u << 20];
	size_t i;

	open_sh(10, 0, "cat");
	send_stdin(10, (const uint8_t *)"hello\n", 6);
	send_eof(10);
	OK(wait_for(&chs[10].closed, 5000) && chs[10].code == 0 && out_is(10, "hello\n"), "stdin passes through cat, EOF ends it");
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761u >> 24);
	open_sh(11, 0, "cat");
	send_stdin(11, big, sizeof(big));
	send_eof(11);
	OK(wait_for(&chs[11].closed, 20000) && chs[11].len[1] == sizeof(big) && !memcmp(chs[11].out[1], big, sizeof(big)),
	   "1 MiB through cat with credit both ways, unchanged (%zu bytes)", chs[11].len[1]);
	open_sh(12, 0, "head -c 10; echo; sleep 0.2");
	send_stdin(12, big, sizeof(big)); /* head exits: the rest is discarded, still credited */
	send_eof(12);
	OK(wait_for(&chs[12].closed, 20000) && chs[12].code == 0 && chs[12].len[1] == 11,
	   "input to a command that closed its stdin is discarded, no stall");
}

static void test_pty(void)
{
	const char *a1[] = { "sh", "-c", "test -t 0 && test -t 1 && echo istty; stty size; echo $TERM" };
	const char *a2[] = { "sh", "-c", "read x; stty size" };
	const char *a3[] = { "sh", "-c", "echo $TERM" }, *e3[] = { "TERM=vt100" };
	const char *a4[] = { "cat" };

	open_exec_env(20, AP_OPEN_PTY, 30, 100, a1, 3, NULL, 0);
	OK(wait_for(&chs[20].closed, 5000) && chs[20].code == 0 && out_has(20, "istty") && out_has(20, "30 100") &&
		   out_has(20, "xterm"),
	   "pty: stdin/stdout are a tty, size from OPEN, TERM=xterm");
	open_exec_env(21, AP_OPEN_PTY, 24, 80, a2, 3, NULL, 0);
	wait_for(&chs[21].opened, 5000);
	pump_for(200);
	SEND(ap_put_resize(fbuf, sizeof(fbuf), 21, 40, 120));
	send_stdin(21, (const uint8_t *)"go\n", 3);
	OK(wait_for(&chs[21].closed, 5000) && out_has(21, "40 120"), "pty: RESIZE seen by stty size");
	open_exec_env(22, AP_OPEN_PTY, 0, 0, a3, 3, e3, 1);
	OK(wait_for(&chs[22].closed, 5000) && out_has(22, "vt100") && !out_has(22, "xterm"), "pty: TERM from env wins");
	open_exec_env(23, AP_OPEN_PTY, 0, 0, a4, 1, NULL, 0);
	send_stdin(23, (const uint8_t *)"line\n", 5);
	send_eof(23);
	OK(wait_for(&chs[23].closed, 5000) && chs[23].code == 0 && out_has(23, "line"), "pty: EOF types ^D, cat ends");
}

static void test_files(void)
{
	static uint8_t data[5u << 20];
	char src[128], dst[128], got[128], h1[65] = "", h2[65] = "", h3[65] = "", p[256];
	struct stat st;
	size_t i;
	int n0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)((i * 7919u) ^ (i >> 13));
	snprintf(src, sizeof(src), "%s/src", tmp);
	snprintf(dst, sizeof(dst), "%s/dst", tmp);
	snprintf(got, sizeof(got), "%s/got", tmp);
	write_file(src, data, sizeof(data));

	open_file(30, AP_OP_PUT, dst, 0640, sizeof(data));
	wait_for(&chs[30].opened, 5000);
	send_stdin(30, data, sizeof(data));
	send_eof(30);
	OK(wait_for(&chs[30].closed, 30000) && chs[30].code == 0, "PUT of 5 MB: CLOSE 0 (%d %s)", chs[30].code, chs[30].msg);
	OK(stat(dst, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_size == (off_t)sizeof(data), "PUT: size and mode 0640 kept");
	OK(sha256_file(src, h1) && sha256_file(dst, h2) && !strcmp(h1, h2), "PUT: sha256 equal (%.16s)", h2);

	open_file(31, AP_OP_GET, dst, 0, 0);
	OK(wait_for(&chs[31].closed, 30000) && chs[31].code == 0 && chs[31].opened && chs[31].mode == 0640 &&
		   chs[31].fsize == sizeof(data) && chs[31].eof[1],
	   "GET: OPENED with mode 0640 and size, EOF, CLOSE 0");
	write_file(got, chs[31].out[1], chs[31].len[1]);
	OK(chs[31].len[1] == sizeof(data) && sha256_file(got, h3) && !strcmp(h1, h3), "GET: sha256 equal");

	n0 = count_entries(tmp);
	snprintf(p, sizeof(p), "%s/short", tmp);
	open_file(32, AP_OP_PUT, p, 0644, 1000);
	send_stdin(32, data, 500);
	send_eof(32);
	OK(wait_for(&chs[32].closed, 5000) && chs[32].code < 0 && stat(p, &st) < 0 && count_entries(tmp) == n0,
	   "short PUT: error (%s), no file, no temporary left", chs[32].msg);
	open_file(33, AP_OP_PUT, p, 0644, 10);
	send_stdin(33, data, 20);
	OK(wait_for(&chs[33].closed, 5000) && chs[33].code == -EFBIG && stat(p, &st) < 0 && count_entries(tmp) == n0,
	   "long PUT: -EFBIG, no file, no temporary left");
	open_file(34, AP_OP_PUT, p, 0644, 1000);
	send_stdin(34, data, 500);
	wait_for(&chs[34].opened, 5000);
	pump_for(100);
	SEND(ap_put_close(fbuf, sizeof(fbuf), 34, 0, NULL));
	OK(wait_for(&chs[34].closed, 5000) && chs[34].code < 0 && stat(p, &st) < 0 && count_entries(tmp) == n0,
	   "aborted PUT: CLOSE answered, no file, no temporary left");
	open_file(35, AP_OP_PUT, tmp, 0644, 1);
	OK(wait_for(&chs[35].closed, 5000) && chs[35].code == -EISDIR, "PUT onto a folder refused");
	snprintf(p, sizeof(p), "%s/nofolder/x", tmp);
	open_file(36, AP_OP_PUT, p, 0644, 1);
	OK(wait_for(&chs[36].closed, 5000) && chs[36].code == -ENOENT, "PUT into a missing folder: -ENOENT (%s)", chs[36].msg);

	open_file(37, AP_OP_GET, tmp, 0, 0);
	OK(wait_for(&chs[37].closed, 5000) && chs[37].code == -EISDIR && !chs[37].opened, "GET of a folder refused: -EISDIR");
	snprintf(p, sizeof(p), "%s/missing", tmp);
	open_file(38, AP_OP_GET, p, 0, 0);
	OK(wait_for(&chs[38].closed, 5000) && chs[38].code == -ENOENT && strstr(chs[38].msg, "No such file"),
	   "GET of a missing file: -ENOENT, '%s'", chs[38].msg);
	open_file(39, AP_OP_GET, "/dev/null", 0, 0);
	OK(wait_for(&chs[39].closed, 5000) && chs[39].code == -EINVAL, "GET of a device refused");
}

static void test_list_mkdir(void)
{
	char d[128], p[192];
	struct stat st;
	const uint8_t *r, *end;
	int seen = 0, good = 1;

	snprintf(d, sizeof(d), "%s/listme", tmp);
	mkdir(d, 0755);
	snprintf(p, sizeof(p), "%s/a", d);
	write_file(p, "12345", 5);
	chmod(p, 0600);
	snprintf(p, sizeof(p), "%s/sub", d);
	mkdir(p, 0711);
	snprintf(p, sizeof(p), "%s/l", d);
	if (symlink("a", p) < 0)
		printf("# symlink: %s\n", strerror(errno));
	open_file(40, AP_OP_LIST, d, 0, 0);
	OK(wait_for(&chs[40].closed, 5000) && chs[40].code == 0, "LIST: CLOSE 0");
	r = chs[40].out[1];
	end = r + chs[40].len[1];
	while (r && r + 13 < end) {
		const char *name = (const char *)r + 13;
		uint32_t mode = (uint32_t)r[1] | (uint32_t)r[2] << 8 | (uint32_t)r[3] << 16 | (uint32_t)r[4] << 24;
		uint64_t size = 0;
		int k;

		for (k = 7; k >= 0; k--)
			size = size << 8 | r[5 + k];
		if (!strcmp(name, "a"))
			seen |= 1, good &= r[0] == 'f' && mode == 0600 && size == 5;
		else if (!strcmp(name, "sub"))
			seen |= 2, good &= r[0] == 'd' && mode == 0711;
		else if (!strcmp(name, "l"))
			seen |= 4, good &= r[0] == 'l';
		else
			good = 0;
		r += 13 + strlen(name) + 1;
	}
	OK(seen == 7 && good && r == end, "LIST: records f a 0600 5, d sub 0711, l l (and nothing else)");
	open_file(41, AP_OP_LIST, "/no/such/dir", 0, 0);
	OK(wait_for(&chs[41].closed, 5000) && chs[41].code == -ENOENT, "LIST of a missing folder: -ENOENT");

	snprintf(p, sizeof(p), "%s/newdir", tmp);
	open_file(42, AP_OP_MKDIR, p, 0750, 0);
	OK(wait_for(&chs[42].closed, 5000) && chs[42].code == 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
		   (st.st_mode & 07777) == 0750,
	   "MKDIR: folder with mode 0750 (umask not applied)");
	open_file(43, AP_OP_MKDIR, p, 0750, 0);
	OK(wait_for(&chs[43].closed, 5000) && chs[43].code == 0, "MKDIR of an existing folder: 0");
	snprintf(p, sizeof(p), "%s/src", tmp);
	open_file(44, AP_OP_MKDIR, p, 0750, 0);
	OK(wait_for(&chs[44].closed, 5000) && chs[44].code == -EEXIST, "MKDIR over a file: -EEXIST");
}

static void test_info(void)
{
	struct json_object *j = NULL, *v, *ifs, *lo = NULL;
	struct utsname u;
	size_t i;
	bool lo_ok = false;

	uname(&u);
	open_file(45, AP_OP_INFO, NULL, 0, 0);
	OK(wait_for(&chs[45].closed, 5000) && chs[45].code == 0 && chs[45].out[1] &&
		   (j = json_tokener_parse((char *)chs[45].out[1])) != NULL,
	   "INFO: JSON that parses");
	OK(j && json_object_object_get_ex(j, "hostname", &v) && !strcmp(json_object_get_string(v), u.nodename) &&
		   json_object_object_get_ex(j, "kernel", &v) && !strcmp(json_object_get_string(v), u.release) &&
		   json_object_object_get_ex(j, "uptime", &v) && json_object_is_type(v, json_type_int) &&
		   json_object_get_int64(v) > 0 && json_object_object_get_ex(j, "agent", &v) &&
		   !strcmp(json_object_get_string(v), VNL_VERSION),
	   "INFO: hostname, kernel, uptime, agent version");
	if (j && json_object_object_get_ex(j, "interfaces", &ifs) && json_object_is_type(ifs, json_type_array))
		for (i = 0; i < json_object_array_length(ifs); i++) {
			struct json_object *f = json_object_array_get_idx(ifs, i), *n;

			if (json_object_object_get_ex(f, "name", &n) && !strcmp(json_object_get_string(n), "lo"))
				lo = f;
		}
	if (lo && json_object_object_get_ex(lo, "up", &v) && json_object_get_boolean(v) &&
	    json_object_object_get_ex(lo, "mac", &v) && !strcmp(json_object_get_string(v), "00:00:00:00:00:00") &&
	    json_object_object_get_ex(lo, "addrs", &v))
		for (i = 0; i < json_object_array_length(v); i++)
			lo_ok |= !strcmp(json_object_get_string(json_object_array_get_idx(v, i)), "127.0.0.1/8");
	OK(lo_ok, "INFO: interface lo, up, its mac and 127.0.0.1/8");
	json_object_put(j);
}

static void test_concurrent(void)
{
	char cmd[64], want[16];
	uint64_t t0 = ms(), end;
	int i, done = 0, good = 0;

	for (i = 0; i < 16; i++) {
		snprintf(cmd, sizeof(cmd), "sleep 0.5; echo %d", i);
		open_sh(100 + i, 0, cmd);
		send_eof(100 + i);
	}
	end = ms() + 10000;
	while (done < 16 && ms() < end) {
		pump(20);
		for (i = 0, done = 0; i < 16; i++)
			done += chs[100 + i].closed;
	}
	for (i = 0; i < 16; i++) {
		snprintf(want, sizeof(want), "%d\n", i);
		good += chs[100 + i].code == 0 && out_is(100 + i, want);
	}
	OK(done == 16 && good == 16 && ms() - t0 < 4000, "16 concurrent sessions, each its own output, in %llu ms",
	   (unsigned long long)(ms() - t0));
}

static void test_flood(void)
{
	long rss0 = rss_kb(agent), rss1, rss2;
	uint64_t t0;
	pid_t cat;
	int r;

	open_sh(200, 0, "exec cat /dev/zero");
	chs[200].no_window = true;
	wait_for(&chs[200].opened, 5000);
	cat = (pid_t)chs[200].pid;
	pump_for(800);
	t0 = ms();
	r = run(201, "echo ok", 5000);
	OK(r == 0 && out_is(201, "ok\n") && ms() - t0 < 1500, "another channel runs promptly during the flood (%llu ms)",
	   (unsigned long long)(ms() - t0));
	pump_for(500);
	OK(chs[200].total[1] == AP_WINDOW_INIT, "flood without credit: exactly one window sent (%llu bytes)",
	   (unsigned long long)chs[200].total[1]);
	rss1 = rss_kb(agent);
	/* now a flood the host does take: credit granted as it comes */
	open_sh(202, 0, "exec cat /dev/zero");
	wait_for(&chs[202].opened, 5000);
	pump_for(1000);
	rss2 = rss_kb(agent);
	OK(chs[202].total[1] > 4 * AP_WINDOW_INIT, "flood with credit flows (%llu MB in 1 s)",
	   (unsigned long long)(chs[202].total[1] >> 20));
	OK(rss0 > 0 && rss1 < 16384 && rss2 < 16384 && rss2 - rss0 < 8192,
	   "agent RSS stays bounded: %ld kB before, %ld kB held flood, %ld kB flowing flood", rss0, rss1, rss2);
	SEND(ap_put_close(fbuf, sizeof(fbuf), 200, 0, NULL));
	SEND(ap_put_close(fbuf, sizeof(fbuf), 202, 0, NULL));
	OK(wait_for(&chs[200].closed, 5000) && wait_for(&chs[202].closed, 5000) && chs[200].code < 0,
	   "host CLOSE aborts both floods, answered (%d '%s')", chs[200].code, chs[200].msg);
	OK(gone(cat, 3000), "the held cat is killed");
}

static void raw_frame(uint8_t version, uint8_t type, uint32_t chan, uint32_t len, const void *p, size_t n)
{
	uint8_t h[AP_HDR_LEN] = { 0x56, 0x4c, version, type };

	memcpy(h + 4, &chan, 4); /* little-endian host */
	memcpy(h + 8, &len, 4);
	qraw(h, sizeof(h));
	if (n)
		qraw(p, n);
}

static void test_malformed(void)
{
	static uint8_t junk[1000], big[300000];
	struct ap_open o = { .op = AP_OP_EXEC, .target = "t", .argc = 1, .argv = (const char *[]){ "true" } };
	uint8_t bad_open[11 + 3] = { AP_OP_EXEC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 't', 0, 'l', 's' };
	uint8_t bad_op[12] = { 99 };
	size_t i;
	int n;

	open_sh(300, 0, "cat"); /* a session that must survive all of it */
	send_stdin(300, (const uint8_t *)"before\n", 7);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 13 + 7) == 0x56 ? 0x55 : (uint8_t)(i * 13 + 7);
	qraw(junk, sizeof(junk));
	n = ap_put_open(fbuf, sizeof(fbuf), 301, &o);
	fbuf[2] = 2; /* version 2: the whole frame is skipped */
	qraw(fbuf, (size_t)n);
	raw_frame(1, AP_DATA, 300, AP_MAX_PAYLOAD + 1, "\x01x", 2); /* oversize len */
	raw_frame(1, AP_PING, 300, 8, "12345678", 8);                 /* link frame on a channel */
	raw_frame(1, 77, 0, 0, NULL, 0);                               /* unknown type */
	raw_frame(1, AP_OPEN, 302, sizeof(bad_open), bad_open, sizeof(bad_open)); /* argv without NUL */
	ch_reset(302, AP_OP_EXEC);
	raw_frame(1, AP_OPEN, 303, sizeof(bad_op), bad_op, sizeof(bad_op));
	ch_reset(303, AP_OP_EXEC);
	raw_frame(1, AP_HELLO, 0, 17, "\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0x", 17); /* who without NUL */
	pump_for(300);
	OK(agent_alive() && chs[302].closed && chs[302].code == -EPROTO && chs[303].closed && chs[303].code == -EPROTO,
	   "malformed OPENs answered with CLOSE -EPROTO");
	OK(!chs[301].opened && !chs[301].closed, "a frame of version 2 is ignored whole");
	OK(run(304, "echo alive", 5000) == 0 && out_is(304, "alive\n"), "after garbage, bad version, oversize len: new sessions work");
	send_stdin(300, (const uint8_t *)"after\n", 6);
	pump_for(300);
	OK(!chs[300].closed && out_is(300, "before\nafter\n"), "a session open through it all still works");

	open_sh(305, 0, "cat");
	raw_frame(1, AP_DATA, 305, 2, "\x07x", 2); /* stream 7 */
	open_sh(306, 0, "cat");
	raw_frame(1, AP_WINDOW, 306, 5, "\x01\0\0\0\0", 5); /* increment 0 */
	open_sh(307, 0, "sleep 5");
	raw_frame(1, AP_SIGNAL, 307, 1, "\0", 1); /* signal 0 */
	open_sh(308, 0, "sleep 5");                 /* its stdin is never read */
	for (i = 0; i < sizeof(big); i += AP_MAX_DATA) /* 300 kB against a 256 kB credit */
		SEND(ap_put_data(fbuf, sizeof(fbuf), 308, AP_STDIN, big + i,
				 sizeof(big) - i < AP_MAX_DATA ? sizeof(big) - i : AP_MAX_DATA));
	open_sh(309, 0, "true");
	raw_frame(1, AP_OPENED, 309, 0, NULL, 0); /* a frame only the agent sends */
	open_file(310, AP_OP_INFO, NULL, 0, 0);
	raw_frame(1, AP_DATA, 310, 2, "\0x", 2); /* input to an op without input */
	for (i = 305; i <= 310; i++)
		wait_for(&chs[i].closed, 3000);
	OK(chs[305].code == -EPROTO && chs[306].code == -EPROTO && chs[307].code == -EPROTO,
	   "bad stream, zero WINDOW, signal 0: that channel closed with -EPROTO");
	OK(chs[308].code == -EPROTO && strstr(chs[308].msg, "credit"), "DATA beyond the credit: -EPROTO ('%s')", chs[308].msg);
	OK(chs[309].code == -EPROTO && (chs[310].code == -EPROTO || chs[310].code == 0), "OPENED from the host, DATA to INFO: refused");
	send_stdin(300, (const uint8_t *)"still\n", 6);
	send_eof(300);
	OK(wait_for(&chs[300].closed, 5000) && chs[300].code == 0 && out_is(300, "before\nafter\nstill\n") && agent_alive(),
	   "the agent and the other channel outlive every bad frame");
}

static void test_peers(void)
{
	uint64_t end;
	pid_t p1, p2;

	hellos = 0;
	SEND(ap_put_hello(fbuf, sizeof(fbuf), 42, "vnld test"));
	end = ms() + 3000;
	while (!hellos && ms() < end)
		pump(20);
	OK(hellos == 1 && hello_nonce == 42, "HELLO answered with the same nonce");
	open_sh(400, 0, "sleep 30");
	wait_for(&chs[400].opened, 5000);
	p1 = (pid_t)chs[400].pid;
	SEND(ap_put_hello(fbuf, sizeof(fbuf), 42, "vnld test"));
	pump_for(300);
	OK(alive(p1) && !chs[400].closed, "HELLO with the same nonce keeps the channels");
	SEND(ap_put_hello(fbuf, sizeof(fbuf), 43, "vnld new"));
	OK(gone(p1, 3000) && !chs[400].closed && hello_nonce == 43, "HELLO with a new nonce ends the old peer's channels, silently");

	open_sh(401, 0, "sleep 30");
	wait_for(&chs[401].opened, 5000);
	p2 = (pid_t)chs[401].pid;
	usleep((AP_DEAD_MS + 700) * 1000); /* silence: no PONG, nothing */
	OK(!alive(p2) || gone(p2, 1500), "after AP_DEAD_MS of silence the channels are ended");
	pump_for(200);
	OK(run(402, "echo back", 5000) == 0 && out_is(402, "back\n"), "channels work again afterwards");
}

static void test_exit(void)
{
	uint64_t end = ms() + 3000;
	int st = -1;
	pid_t p;

	open_sh(500, 0, "sleep 30");
	wait_for(&chs[500].opened, 5000);
	p = (pid_t)chs[500].pid;
	close(sock);
	while (ms() < end && waitpid(agent, &st, WNOHANG) == 0)
		usleep(20000);
	OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "end of file on --fd: the agent exits 0");
	agent = 0;
	end = ms() + 3000;
	while (alive(p) && ms() < end)
		usleep(20000);
	OK(!alive(p), "its sessions are killed");
}

static void test_daemon(void)
{
	char cmd[1024], out[512] = "", pidf[128], logf[128], path[108];
	int ls, c, st;
	size_t n;
	FILE *f;
	long pid = 0;
	uint64_t end;

	snprintf(path, sizeof(path), "%s/agent.sock", tmp);
	snprintf(pidf, sizeof(pidf), "%s/agent.pid", tmp);
	snprintf(logf, sizeof(logf), "%s/agent.log", tmp);
	ls = unix_listen(path, 0600);
	if (ls < 0) {
		OK(0, "daemon: listening socket: %s", strerror(-ls));
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s --daemon --connect %s --pid-file %s --log %s", agent_bin, path, pidf, logf);
	st = system(cmd);
	OK(st == 0, "--daemon returns 0 at once");
	/* The listener does not block: the daemon has 3 s to connect. */
	c = wait_fd(ls, POLLIN, 3000) > 0 ? accept4(ls, NULL, NULL, SOCK_CLOEXEC) : -1;
	sock = c;
	fcntl(sock, F_SETFL, O_NONBLOCK);
	agent_eof = false;
	ap_decoder_reset(&dec);
	hellos = 0;
	end = ms() + 3000;
	while (c >= 0 && !hellos && ms() < end)
		pump(20);
	f = fopen(pidf, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	OK(hellos == 1 && pid > 0 && alive((pid_t)pid), "the daemon connected, said HELLO, its pid %ld in the pid file", pid);
	snprintf(cmd, sizeof(cmd), "%s --daemon --connect %s --pid-file %s --log %s 2>&1; echo rc=$?", agent_bin, path,
		 pidf, logf);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = 0;
	if (f)
		pclose(f);
	for (n = 0; out[n]; n++)
		if (out[n] == '\n')
			out[n] = ' ';
	OK(strstr(out, "already running") && strstr(out, "rc=0"), "a second daemon says one runs and exits 0: %s", out);
	OK(run(600, "echo d", 5000) == 0 && out_is(600, "d\n"), "the daemon runs commands");
	close(sock);
	end = ms() + 3000;
	while (pid > 0 && alive((pid_t)pid) && ms() < end)
		usleep(20000);
	OK(pid > 0 && !alive((pid_t)pid) && access(pidf, F_OK) < 0, "the daemon exits at end of file, pid file removed");
	f = fopen(logf, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = 0;
	if (f)
		fclose(f);
	OK(strstr(out, "vnl-agent: info:") != NULL, "the daemon logged to its log file");
	close(ls);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(void)
{
	static char bin[512];
	const char *bd = getenv("VNL_BUILD_DIR");

	snprintf(bin, sizeof(bin), "%s/vnl-agent", bd ? bd : ".");
	agent_bin = bin;
	if (access(agent_bin, X_OK) < 0) {
		printf("1..0 # SKIP %s not built\n", agent_bin);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmp, sizeof(tmp), "/tmp/vnl-agent-test.XXXXXX");
	if (!mkdtemp(tmp) || ap_decoder_init(&dec) < 0) {
		printf("Bail out! temp folder: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	start_agent();

	test_hello_first();
	test_exec_codes();
	test_stdin();
	test_pty();
	test_files();
	test_list_mkdir();
	test_info();
	test_concurrent();
	test_flood();
	test_malformed();
	test_peers();
	test_exit();
	test_daemon();
	return tap_done();
}
