/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the JSON-lines server answers requests in order however they
 * are split, refuses overlong lines, replaces a stale socket but not a live
 * one, sets the socket mode, pushes published events to subscribers, and
 * drops a subscriber that stops reading instead of growing without bound,
 * also when it overflows inside its own handler (freed under it before);
 * holds deferred requests (JSONL_DEFER) in order until jsonl_resume; and
 * serves other clients while a handler waits in a nested loop. File
 * descriptors (SCM_RIGHTS) reach a CMD_FD handler with their line, are
 * closed when not taken, refused by rows without CMD_FD, go to their own
 * line when a client pipelines lines before it (one read brings them all),
 * and a misplaced fd (its line begun in bytes read before, or two at once)
 * closes the connection.
 * Operations: a real unix socket in a temp folder, the server on the main
 * thread's evloop, clients in a second thread with blocking sockets.
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dispatch.h"
#include "evloop.h"
#include "jsonl.h"
#include "tap.h"
#include "unixsock.h"

static char path[108];
static struct evloop *loop;
static struct jsonl_server *srv;
static atomic_int client_done;
static atomic_int publish_count; /* events the timer should publish */
static bool busy;                /* {"tx":..} requests are deferred while set */
static long wait_cpu_ms;         /* CPU time of the last {"wait":..} */

static void publish_ticks(int n)
{
	for (int i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "event", json_object_new_string("tick"));
		json_object_object_add(e, "pad", json_object_new_string(
			"................................................................"
			"................................................................"));
		jsonl_publish(srv, e);
		json_object_put(e);
	}
}

/* "take": writes "hello" into the fd that came with the request. */
static int cmd_take(struct json_object *req, struct json_object *reply, struct jsonl_conn *c, struct vnl_err *err)
{
	int fd = jsonl_conn_take_fd(c);

	(void)req, (void)err;
	json_object_object_add(reply, "had_fd", json_object_new_boolean(fd >= 0));
	if (fd >= 0) {
		if (write(fd, "hello", 5) != 5)
			json_object_object_add(reply, "write_failed", json_object_new_boolean(true));
		close(fd);
	}
	return 0;
}

/* "keep" (CMD_FD, leaves the fd) and "plain" (no CMD_FD). */
static int cmd_nothing(struct json_object *req, struct json_object *reply, struct jsonl_conn *c, struct vnl_err *err)
{
	(void)req, (void)reply, (void)c, (void)err;
	return 0;
}

/* "nap": the server busy 200 ms, so that what a client sends meanwhile
 * waits in the socket and comes in one read. */
static int cmd_nap(struct json_object *req, struct json_object *reply, struct jsonl_conn *c, struct vnl_err *err)
{
	(void)req, (void)reply, (void)c, (void)err;
	usleep(200000);
	return 0;
}

static const char *const no_args[] = { NULL };
static const struct cmd rows[] = {
	{ "keep", cmd_nothing, no_args, CMD_FD, "" },
	{ "nap", cmd_nap, no_args, 0, "" },
	{ "plain", cmd_nothing, no_args, 0, "" },
	{ "take", cmd_take, no_args, CMD_FD, "" },
};
static const struct cmd_table table = CMD_TABLE(rows, "");

static struct json_object *handler(struct jsonl_conn *c, const char *line, size_t len, void *arg)
{
	char buf[128];
	const char *why;
	struct json_object *req = jsonl_parse(line, len, buf, sizeof(buf), &why), *reply, *v;

	(void)arg;
	if (req == NULL)
		return jsonl_error(why);
	if (json_object_object_get_ex(req, "cmd", NULL)) {
		struct vnl_err err = { 0, "" };
		const struct cmd *cmd;
		int r;

		json_object_put(req);
		cmd = req_lookup(&table, line, len, &req, &err);
		if (cmd == NULL)
			return jsonl_error(err.msg);
		reply = json_object_new_object();
		r = cmd_call(cmd, req, reply, c, &err);
		json_object_put(req);
		return cmd_reply(r, reply, &err);
	}
	if (json_object_object_get_ex(req, "tx", &v) && busy) {
		json_object_put(req);
		return JSONL_DEFER;
	}
	if (json_object_object_get_ex(req, "busy", &v)) {
		busy = json_object_get_boolean(v);
		if (!busy)
			jsonl_resume(srv);
	}
	if (json_object_object_get_ex(req, "wait", &v)) {
		struct rusage r0, r1;

		getrusage(RUSAGE_SELF, &r0);
		evloop_run_until(loop, -1, 0, mono_ms() + json_object_get_int(v));
		getrusage(RUSAGE_SELF, &r1);
		wait_cpu_ms = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000 +
			      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1000;
	}
	reply = json_object_new_object();
	if (json_object_object_get_ex(req, "cpu", &v))
		json_object_object_add(reply, "cpu_ms", json_object_new_int64(wait_cpu_ms));
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	if (json_object_object_get_ex(req, "sub", &v))
		jsonl_subscribe(c);
	if (json_object_object_get_ex(req, "n", &v))
		json_object_object_add(reply, "n", json_object_get(v));
	if (json_object_object_get_ex(req, "pub", &v)) {
		/* Events to ourselves, from inside our own handler. */
		jsonl_subscribe(c);
		publish_ticks(json_object_get_int(v));
	}
	json_object_put(req);
	return reply;
}

static void tick(struct ev_watch *w, void *arg)
{
	(void)w, (void)arg;
	while (atomic_load(&publish_count) > 0) {
		publish_ticks(1);
		atomic_fetch_sub(&publish_count, 1);
	}
	if (atomic_load(&client_done))
		evloop_stop(loop);
}

static int dial(void)
{
	int fd = unix_connect(path, 0);

	return fd < 0 ? -1 : fd;
}

/* Read one line (blocking); returns its length or -1 at EOF. */
static int readline(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		if (read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

static bool wr(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

/* Send s with nfd copies of fd (SCM_RIGHTS) in one sendmsg. */
static bool send_fds(int sock, const char *s, int fd, int nfd)
{
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)s, strlen(s) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = CMSG_SPACE(nfd * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fds[2] = { fd, fd };

	memset(ctl.b, 0, sizeof(ctl.b));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfd * sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)strlen(s);
}

/* Whether the read end p[0] of a pipe whose write end we closed reaches
 * EOF within 2 s (every copy of the write end closed) after want. */
static bool pipe_eof(int rd, const char *want)
{
	struct pollfd pf = { .fd = rd, .events = POLLIN };
	char b[16] = "";
	ssize_t n = 0, k;

	while (poll(&pf, 1, 2000) == 1 && (k = read(rd, b + n, sizeof(b) - 1 - (size_t)n)) > 0)
		n += k;
	b[n] = '\0';
	return poll(&pf, 1, 0) == 1 && read(rd, b + n, 1) == 0 && strcmp(b, want) == 0;
}

static void fd_cases(void)
{
	char line[512];
	int fd, p[2];

	fd = dial();
	ok(pipe(p) == 0 && send_fds(fd, "{\"cmd\":\"take\"}\n", p[1], 1) && close(p[1]) == 0,
	   "request sent with a pipe's write end");
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"had_fd\":true") && !strstr(line, "write_failed"),
	   "the CMD_FD handler took it: %s", line);
	ok(pipe_eof(p[0], "hello"), "it wrote into it and closed it");
	close(p[0]);
	ok(wr(fd, "{\"cmd\":\"take\"}\n") && readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"had_fd\":false"),
	   "the next request has no fd");
	ok(pipe(p) == 0 && send_fds(fd, "{\"cmd\":\"keep\"}\n", p[1], 1) && close(p[1]) == 0 &&
	   readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"ok\":true"), "an fd the handler leaves");
	ok(pipe_eof(p[0], ""), "is closed after its line");
	close(p[0]);
	ok(pipe(p) == 0 && send_fds(fd, "{\"cmd\":\"plain\"}\n", p[1], 1) && close(p[1]) == 0 &&
	   readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"error\":\"plain takes no file descriptor\""),
	   "a row without CMD_FD refuses: %s", line);
	ok(pipe_eof(p[0], ""), "and the fd is closed");
	close(p[0]);
	ok(wr(fd, "{\"cmd\":\"plain\"}\n") && readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"ok\":true"),
	   "the connection goes on");
	close(fd);

	/* Pipelined: lines sent ahead of the fd's line, read with it in one
	 * read (the server naps meanwhile): the fd goes to its own line. */
	fd = dial();
	ok(wr(fd, "{\"cmd\":\"nap\"}\n") && wr(fd, "{\"cmd\":\"plain\"}\n") && wr(fd, "{\"cmd\":\"plain\"}\n") &&
	   pipe(p) == 0 && send_fds(fd, "{\"cmd\":\"take\"}\n", p[1], 1) && close(p[1]) == 0 &&
	   wr(fd, "{\"cmd\":\"take\"}\n"), "nap, plain, plain, take with an fd, take: sent back to back");
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"ok\":true"), "nap answered");
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"ok\":true") && readline(fd, line, sizeof(line)) > 0 &&
	   strstr(line, "\"ok\":true"), "the plain lines sent before the fd do not get it: %s", line);
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"had_fd\":true"), "the fd's line has it: %s", line);
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"had_fd\":false"), "the line after it has none");
	ok(pipe_eof(p[0], "hello"), "and the fd was written and closed");
	close(p[0]), close(fd);

	/* An fd whose line began in bytes the server had read (it answered
	 * the line before them): the connection closes. */
	fd = dial();
	ok(wr(fd, "{\"cmd\":\"plain\"}\n{\"cmd\":") && readline(fd, line, sizeof(line)) > 0 && pipe(p) == 0 &&
	   send_fds(fd, "\"take\"}\n", p[1], 1) && close(p[1]) == 0, "an fd sent after the start of a line");
	ok(readline(fd, line, sizeof(line)) < 0, "the connection is closed without a reply");
	ok(pipe_eof(p[0], ""), "and the fd with it");
	close(p[0]), close(fd);

	/* Two fds at once (the server has room for one: MSG_CTRUNC). */
	fd = dial();
	ok(pipe(p) == 0 && send_fds(fd, "{\"cmd\":\"take\"}\n", p[1], 2) && close(p[1]) == 0, "two fds in one message");
	ok(readline(fd, line, sizeof(line)) < 0, "the connection is closed without a reply");
	ok(pipe_eof(p[0], ""), "and both fds with it");
	close(p[0]), close(fd);
}

static void *client(void *arg)
{
	char line[512];
	int fd, ok1, ok2, ok3;

	(void)arg;
	/* In order, three requests in one write, one split over two writes. */
	fd = dial();
	ok(fd >= 0, "client connects");
	ok(write(fd, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":", 29) == 29 && write(fd, "4}\n", 3) == 3, "requests written");
	ok1 = readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":1") != NULL;
	ok2 = readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":2") != NULL;
	ok3 = readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":3") != NULL;
	ok(ok1 && ok2 && ok3, "three replies in order");
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":4") != NULL, "a request split over two writes");
	ok(write(fd, "{\"n\":5,}\n", 9) == 9 && readline(fd, line, sizeof(line)) > 0 &&
	   strstr(line, "\"ok\":false") != NULL && strstr(line, "malformed JSON") != NULL, "strict JSON: trailing comma refused");
	close(fd);

	/* Requests then EOF (shutdown of our side): every reply still arrives. */
	fd = dial();
	ok(write(fd, "{\"n\":7}\n{\"n\":8}\n", 16) == 16 && shutdown(fd, SHUT_WR) == 0, "requests, then EOF");
	ok1 = readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":7") != NULL;
	ok2 = readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"n\":8") != NULL;
	ok(ok1 && ok2 && readline(fd, line, sizeof(line)) < 0, "both replies, then the server closes");
	close(fd);

	/* An overlong line: error, then the server closes. */
	fd = dial();
	{
		size_t big = JSONL_LINE_MAX + 100;
		char *junk = malloc(big);

		memset(junk, 'x', big);
		ok(write(fd, junk, big) == (ssize_t)big, "overlong line written");
		free(junk);
	}
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "longer than") != NULL, "overlong line refused");
	ok(readline(fd, line, sizeof(line)) < 0, "and the connection closed");
	close(fd);

	/* Events reach a subscriber. */
	fd = dial();
	ok(write(fd, "{\"sub\":true}\n", 13) == 13 && readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"ok\":true"),
	   "subscribed");
	atomic_store(&publish_count, 2);
	ok(readline(fd, line, sizeof(line)) > 0 && strstr(line, "\"event\":\"tick\"") != NULL &&
	   readline(fd, line, sizeof(line)) > 0 && strstr(line, "tick") != NULL, "two published events received");
	close(fd);

	/* A subscriber that never reads is dropped once 4 MiB are pending. */
	fd = dial();
	{
		int rcv = 4096;
		ssize_t n, total = 0;
		char buf[65536];

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		ok(write(fd, "{\"sub\":true}\n", 13) == 13 && readline(fd, line, sizeof(line)) > 0 &&
		   strstr(line, "\"ok\":true") != NULL, "second subscriber");
		atomic_store(&publish_count, 60000); /* ~10 MB of events */
		while (atomic_load(&publish_count) > 0)
			usleep(1000);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		ok(n == 0 && total < 2 * JSONL_OUT_MAX, "slow subscriber disconnected after %zd bytes (bounded)", total);
	}
	close(fd);

	/* A subscriber that overflows inside its own handler, and keeps
	 * sending: dropped, not freed under the handler (ASan saw the use
	 * after free here). */
	fd = dial();
	{
		int rcv = 4096;
		ssize_t n, total = 0;
		char buf[65536];

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		ok(wr(fd, "{\"pub\":40000}\n{\"pub\":40000}\n{\"n\":9}\n"), "self-publishing requests sent");
		usleep(500000); /* not reading while the server publishes */
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		ok(n == 0 && total < 2 * JSONL_OUT_MAX, "self-overflowing subscriber disconnected after %zd bytes", total);
	}
	close(fd);

	/* While a handler waits (nested loop), another client is served. */
	{
		int a = dial(), b = dial();
		int64_t t0 = mono_ms(), tb, ta;

		ok(wr(a, "{\"wait\":400,\"n\":30}\n{\"n\":31}\n"), "a waiting request sent");
		usleep(50000);
		ok(wr(b, "{\"n\":32}\n") && readline(b, line, sizeof(line)) > 0 && strstr(line, "\"n\":32"),
		   "another client answered");
		tb = mono_ms() - t0;
		ok1 = readline(a, line, sizeof(line)) > 0 && strstr(line, "\"n\":30") != NULL;
		ta = mono_ms() - t0;
		ok2 = readline(a, line, sizeof(line)) > 0 && strstr(line, "\"n\":31") != NULL;
		ok(tb < 300 && ta >= 400, "during the wait (%lld ms), not after it (%lld ms)", (long long)tb, (long long)ta);
		ok(ok1 && ok2, "the waiting client's replies in order, after its wait");
		close(a), close(b);
	}

	/* A client that hangs up while its handler waits: the wait does not
	 * spin on the hang-up (its watch is out of the epoll set). */
	{
		int a = dial(), b = dial();

		ok(wr(a, "{\"wait\":400}\n"), "a waiting request, then hang up");
		usleep(50000);
		close(a);
		usleep(500000);
		ok(wr(b, "{\"cpu\":1}\n") && readline(b, line, sizeof(line)) > 0, "asked for the wait's CPU time");
		ok(strstr(line, "\"cpu_ms\":") && atol(strstr(line, "\"cpu_ms\":") + 9) < 100,
		   "the wait used little CPU: %s", line);
		close(b);
	}

	/* Deferred requests: held while busy, then served in order. */
	{
		int a = dial(), b = dial(), c = dial();
		struct pollfd p = { .fd = b, .events = POLLIN };

		ok(wr(a, "{\"busy\":true}\n") && readline(a, line, sizeof(line)) > 0, "busy");
		ok(wr(b, "{\"tx\":1,\"n\":40}\n{\"n\":41}\n"), "a change sent while busy");
		usleep(20000);
		ok(wr(c, "{\"tx\":1,\"n\":42}\n"), "a second one from another client");
		ok(poll(&p, 1, 200) == 0, "not answered while busy");
		ok(wr(c, "{\"n\":43}\n"), "more from that client");
		ok(wr(a, "{\"n\":44}\n") && readline(a, line, sizeof(line)) > 0 && strstr(line, "\"n\":44"),
		   "a request that changes nothing is answered at once");
		ok(wr(a, "{\"busy\":false}\n") && readline(a, line, sizeof(line)) > 0, "not busy");
		ok1 = readline(b, line, sizeof(line)) > 0 && strstr(line, "\"n\":40") != NULL;
		ok2 = readline(b, line, sizeof(line)) > 0 && strstr(line, "\"n\":41") != NULL;
		ok3 = readline(c, line, sizeof(line)) > 0 && strstr(line, "\"n\":42") != NULL;
		ok(ok1 && ok2 && ok3 && readline(c, line, sizeof(line)) > 0 && strstr(line, "\"n\":43"),
		   "held requests answered in order after resume");
		close(a), close(b), close(c);
	}
	/* A resumed request that waits: what its client sends meanwhile waits
	 * for it (not read under it), replies in order. */
	{
		int a = dial(), b = dial();

		ok(wr(a, "{\"busy\":true}\n") && readline(a, line, sizeof(line)) > 0, "busy again");
		ok(wr(b, "{\"tx\":1,\"wait\":300,\"n\":50}\n"), "a change that will wait, held");
		usleep(50000);
		ok(wr(a, "{\"busy\":false}\n") && readline(a, line, sizeof(line)) > 0, "not busy: it resumes and waits");
		usleep(100000);
		ok(wr(b, "{\"n\":51}\n"), "more from its client during the wait");
		ok1 = readline(b, line, sizeof(line)) > 0 && strstr(line, "\"n\":50") != NULL;
		ok2 = readline(b, line, sizeof(line)) > 0 && strstr(line, "\"n\":51") != NULL;
		ok(ok1 && ok2, "replies in order: the waiting one first");
		close(a), close(b);
	}
	fd_cases();
	atomic_store(&client_done, 1);
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/vnl-jsonl-XXXXXX";
	struct stat st;
	pthread_t t;
	int fd;

	ok(mkdtemp(dir) != NULL, "temp folder");
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	loop = evloop_new();

	/* A stale socket file: its listener gone. */
	fd = unix_listen(path, 0600);
	ok(fd >= 0, "stale socket file made");
	close(fd);
	srv = jsonl_listen(loop, path, 0660, handler, NULL);
	ok(srv != NULL, "listen replaces a stale socket");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660, "socket mode 0660");
	ok(jsonl_listen(loop, path, 0660, handler, NULL) == NULL && errno == EADDRINUSE, "a live socket is not taken");

	ev_timer_add(loop, 2, tick, NULL);
	pthread_create(&t, NULL, client, NULL);
	ok(evloop_run(loop) == 0, "loop ran until the client was done");
	pthread_join(t, NULL);
	jsonl_close(srv);
	ok(access(path, F_OK) != 0, "socket removed on close");
	evloop_free(loop);
	rmdir(dir);
	return tap_done();
}
