/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/jsonl_client.c, the JSON-lines client of vnl, vnld and vnl-swctl:
 * against a socketpair whose other end the test writes by hand (the
 * request it is sent is read back and checked), every outcome and its
 * code and message: a reply, a refusal with and without a text, lines that
 * are not objects, too long or cut, a closed peer, no reply in time,
 * several lines in one read; and connecting: no socket, a live listener,
 * a listener whose backlog is full; a call with an fd (SCM_RIGHTS with the
 * line's first bytes). TAP.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jsonl_client.h"
#include "tap.h"
#include "unixsock.h"

static int peer_fd;

/* A client on one end of a socketpair; the test is the server on peer_fd. */
static void pair(struct jsonl_client *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %m\n");
		exit(1);
	}
	jsonl_client_adopt(c, sv[0], "srv");
	peer_fd = sv[1];
}

static void say(const char *text)
{
	if (write(peer_fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("Bail out! write: %m\n");
		exit(1);
	}
}

/* One call with the server's answer written in advance; r, *msg, *reply. */
static int call(const char *answer, int timeout_ms, bool hang_up, struct json_object **reply, struct vnl_err *err)
{
	struct json_object *req = json_object_new_object();
	struct jsonl_client c;
	int r;

	pair(&c);
	json_object_object_add(req, "cmd", json_object_new_string("version"));
	say(answer);
	if (hang_up)
		shutdown(peer_fd, SHUT_WR);
	vnl_err_clear(err);
	r = jsonl_client_call(&c, req, timeout_ms, reply, err);
	json_object_put(req);
	jsonl_client_close(&c);
	close(peer_fd);
	return r;
}

int main(void)
{
	struct vnl_err err;
	struct json_object *o = NULL, *v;
	struct jsonl_client c;
	char buf[256], dir[] = "/tmp/vnl-jc.XXXXXX", path[128];
	int r, fds[80], nfd = 0;
	ssize_t n;

	/* The request as the server sees it: one plain line. */
	pair(&c);
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string("show"));
	json_object_object_add(o, "name", json_object_new_string("a/b"));
	r = jsonl_client_send(&c, o, 1000, &err);
	json_object_put(o);
	n = read(peer_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ok(r == 0 && strcmp(buf, "{\"cmd\":\"show\",\"name\":\"a/b\"}\n") == 0, "request sent as one plain line: %.*s", (int)strcspn(buf, "\n"), buf);
	say("{\"event\":\"a\"}\n{\"event\":\"b\"}\n{\"event\":");
	r = jsonl_client_recv(&c, 1000, &o, &err);
	ok(r == 0 && json_object_object_get_ex(o, "event", &v) && !strcmp(json_object_get_string(v), "a"), "first line");
	json_object_put(o);
	r = jsonl_client_recv(&c, 1000, &o, &err);
	ok(r == 0 && json_object_object_get_ex(o, "event", &v) && !strcmp(json_object_get_string(v), "b"),
	   "second line of the same read");
	json_object_put(o);
	say("\"c\"}\n");
	r = jsonl_client_recv(&c, 1000, &o, &err);
	ok(r == 0 && json_object_object_get_ex(o, "event", &v) && !strcmp(json_object_get_string(v), "c"),
	   "a line split over two reads");
	json_object_put(o);
	r = jsonl_client_recv(&c, 150, &o, &err);
	ok(r == -ETIMEDOUT && o == NULL && strcmp(err.msg, "srv did not answer within 150 ms") == 0, "%s", err.msg);
	close(peer_fd);
	r = jsonl_client_recv(&c, -1, &o, &err);
	ok(r == -ECONNRESET && strcmp(err.msg, "srv closed the connection") == 0, "end of stream: %s", err.msg);
	jsonl_client_close(&c);

	r = call("{\"ok\":true,\"version\":\"1\"}\n", 1000, false, &o, &err);
	ok(r == 0 && o && json_object_object_get_ex(o, "version", &v), "ok reply returned");
	json_object_put(o);
	r = call("{\"ok\":false,\"error\":\"no LAN named 'x'\"}\n", 1000, false, &o, &err);
	ok(r == -EREMOTEIO && o == NULL && strcmp(err.msg, "no LAN named 'x'") == 0, "refusal verbatim: %s", err.msg);
	r = call("{\"ok\":false}\n", 1000, false, &o, &err);
	ok(r == -EPROTO && strcmp(err.msg, "srv refused without saying why") == 0, "%s", err.msg);
	r = call("[1]\n", 1000, false, &o, &err);
	ok(r == -EPROTO && strcmp(err.msg, "srv sent a line that is not a JSON object") == 0, "array: %s", err.msg);
	r = call("{\"ok\":true} x\n", 1000, false, &o, &err);
	ok(r == -EPROTO && o == NULL, "trailing bytes after the object: %s", err.msg);
	r = call("{\"ok\":tr", 1000, true, &o, &err);
	ok(r == -ECONNRESET && strcmp(err.msg, "srv closed the connection mid-line") == 0, "%s", err.msg);
	r = call("", 5000, true, &o, &err);
	ok(r == -ECONNRESET && strcmp(err.msg, "srv closed the connection") == 0, "%s", err.msg);
	r = call("", 2000, false, &o, &err);
	ok(r == -ETIMEDOUT && strcmp(err.msg, "srv did not answer within 2 s") == 0, "%s", err.msg);

	/* The line cap, with and without a newline in sight. */
	{
		char *big = malloc(60001);

		memset(big, ' ', 60000);
		big[0] = '{', big[59998] = '}', big[59999] = '\n', big[60000] = '\0';
		pair(&c);
		c.line_max = 1000;
		say(big);
		r = jsonl_client_recv(&c, 1000, &o, &err);
		ok(r == -EPROTO && strcmp(err.msg, "srv's reply is longer than 1000 bytes") == 0, "cap: %s", err.msg);
		jsonl_client_close(&c);
		close(peer_fd);
		pair(&c);
		c.line_max = 1000;
		big[5000] = '\0';
		say(big); /* no newline yet: refused at once, not at the deadline */
		r = jsonl_client_recv(&c, 60000, &o, &err);
		ok(r == -EPROTO, "cap before the line ends: %s", err.msg);
		jsonl_client_close(&c);
		close(peer_fd);
		pair(&c);
		big[5000] = ' ';
		say(big); /* within the default cap */
		r = jsonl_client_recv(&c, 1000, &o, &err);
		ok(r == 0 && json_object_object_length(o) == 0, "a 60 kB line under the default cap");
		json_object_put(o);
		jsonl_client_close(&c);
		close(peer_fd);
		free(big);
	}

	/* A server that answers an over-long line early and hangs up. */
	pair(&c);
	say("{\"ok\":false,\"error\":\"line too long\"}\n");
	close(peer_fd);
	r = jsonl_client_exchange(&c, "{\"cmd\":\"version\"}", 1000, &o, &err);
	ok(r == 0 && json_object_object_get_ex(o, "error", &v) && !strcmp(json_object_get_string(v), "line too long"),
	   "send cut by the server's hang-up: its reply is still read");
	json_object_put(o);
	jsonl_client_close(&c);
	pair(&c);
	close(peer_fd);
	r = jsonl_client_exchange(&c, "{\"cmd\":\"version\"}", 1000, &o, &err);
	ok(r == -EPIPE && o == NULL && strcmp(err.msg, "sending to srv: Broken pipe") == 0, "no reply: %s", err.msg);
	jsonl_client_close(&c);

	/* A call with an fd: the server receives the line and the fd together. */
	{
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		char line[256];
		struct iovec iov = { line, sizeof(line) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *cm;
		int p[2], got = -1;

		pair(&c);
		ok(pipe(p) == 0, "a pipe");
		say("{\"ok\":true}\n");
		o = json_object_new_object();
		json_object_object_add(o, "cmd", json_object_new_string("capture"));
		r = jsonl_client_call_fd(&c, o, p[1], 1000, &v, &err);
		json_object_put(o);
		json_object_put(v);
		close(p[1]);
		n = recvmsg(peer_fd, &mh, 0);
		line[n > 0 ? n : 0] = '\0';
		cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
		ok(r == 0 && strcmp(line, "{\"cmd\":\"capture\"}\n") == 0 && got >= 0, "line and fd in one message: %s", line);
		ok(got >= 0 && write(got, "x", 1) == 1 && close(got) == 0 && read(p[0], buf, 2) == 1 && read(p[0], buf, 1) == 0,
		   "the fd received is the pipe's write end");
		close(p[0]);
		jsonl_client_close(&c);
		close(peer_fd);
	}

	/* Connecting. */
	ok(mkdtemp(dir) != NULL, "temp folder");
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	r = jsonl_client_open(&c, path, "srv at s.sock", 500, &err);
	ok(r == -ENOENT && c.fd == -1 && strcmp(err.msg, "cannot reach srv at s.sock: No such file or directory") == 0,
	   "no socket: %s", err.msg);
	fds[nfd++] = unix_listen(path, 0600);
	r = jsonl_client_open(&c, path, "srv", 500, &err);
	ok(fds[0] >= 0 && r == 0 && c.fd >= 0, "a listener takes the connection");
	jsonl_client_close(&c);
	/* Nobody accepts: fill the backlog until connecting would block. */
	while (nfd < 80 && (fds[nfd] = unix_connect(path, SOCK_NONBLOCK)) >= 0)
		nfd++;
	r = jsonl_client_open(&c, path, "srv", 120, &err);
	ok(r == -ETIMEDOUT && strcmp(err.msg, "srv did not accept within 120 ms") == 0, "full backlog: %s", err.msg);
	while (nfd > 0)
		close(fds[--nfd]);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
