/* SPDX-License-Identifier: GPL-2.0-only */
/* The blocking JSON-lines client (jsonl_client.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "jsonl_client.h"
#include "unixsock.h"
#include "wait.h"

/* A deadline from a timeout (< 0: none), and the time left of it for
 * wait_fd (-1: forever, else at least 0). */
static long long deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
}

static int left_of(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - mono_ms();
	return left <= 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

/* "5 s" or "1500 ms": a timeout as messages say it. */
static const char *span(int ms, char *buf, size_t len)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, len, "%d s", ms / 1000);
	else
		snprintf(buf, len, "%d ms", ms);
	return buf;
}

static int timed_out(const struct jsonl_client *c, const char *what, int timeout_ms, struct vnl_err *err)
{
	char b[32];

	return vnl_errf(err, -ETIMEDOUT, "%s did not %s within %s", c->peer, what, span(timeout_ms, b, sizeof(b)));
}

/* Wait until the socket is ready for events, or the deadline (-ETIMEDOUT). */
static int wait_io(struct jsonl_client *c, short events, long long deadline, int timeout_ms, struct vnl_err *err)
{
	int r = wait_fd(c->fd, events, left_of(deadline));

	if (r == 0)
		return timed_out(c, "answer", timeout_ms, err);
	return r < 0 ? vnl_errno(err, r, "waiting for %s", c->peer) : 0;
}

void jsonl_client_adopt(struct jsonl_client *c, int fd, const char *peer)
{
	*c = (struct jsonl_client){ .fd = fd < 0 ? -1 : fd, .line_max = JSONL_CLIENT_LINE_MAX };
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
}

int jsonl_client_open(struct jsonl_client *c, const char *path, const char *peer, int timeout_ms,
		      struct vnl_err *err)
{
	long long deadline = deadline_of(timeout_ms);
	int fd;

	jsonl_client_adopt(c, -1, peer);
	/* Non-blocking: a hung server's full backlog gives EAGAIN at once, and
	 * the retries count against the deadline. */
	while ((fd = unix_connect(path, SOCK_NONBLOCK)) == -EAGAIN) {
		if (left_of(deadline) == 0)
			return timed_out(c, "accept", timeout_ms, err);
		wait_ms(10);
	}
	if (fd < 0)
		return vnl_errno(err, fd, "cannot reach %s", c->peer);
	c->fd = fd;
	return 0;
}

void jsonl_client_close(struct jsonl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* Write len bytes of p before the deadline. */
static int send_all(struct jsonl_client *c, const char *p, size_t len, long long deadline, int timeout_ms,
		    struct vnl_err *err)
{
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return vnl_errno(err, errno, "sending to %s", c->peer);
		if ((r = wait_io(c, POLLOUT, deadline, timeout_ms, err)) < 0)
			return r;
	}
	return 0;
}

/* The first bytes of a line with fd as SCM_RIGHTS, in one sendmsg (the
 * server takes an fd only with the start of a line, jsonl.h). Bytes sent or
 * a negative errno. */
static ssize_t send_fd(struct jsonl_client *c, const char *p, size_t len, int fd, long long deadline,
		       int timeout_ms, struct vnl_err *err)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;
	int r;

	memset(ctl.b, 0, sizeof(ctl.b));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while ((n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return vnl_errno(err, errno, "sending to %s", c->peer);
		if ((r = wait_io(c, POLLOUT, deadline, timeout_ms, err)) < 0)
			return r;
	}
	return n;
}

/* text and its newline in one write: the server sees the line whole; with
 * fd >= 0 the fd rides with its first bytes. */
static int send_line(struct jsonl_client *c, const char *text, int fd, long long deadline, int timeout_ms,
		     struct vnl_err *err)
{
	size_t len = strlen(text), done = 0;
	char *line = malloc(len + 1);
	ssize_t n;
	int r;

	if (line == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	if (c->trace)
		c->trace(true, text, len);
	memcpy(line, text, len);
	line[len] = '\n';
	if (fd >= 0) {
		n = send_fd(c, line, len + 1, fd, deadline, timeout_ms, err);
		if (n < 0) {
			free(line);
			return (int)n;
		}
		done = (size_t)n;
	}
	r = send_all(c, line + done, len + 1 - done, deadline, timeout_ms, err);
	free(line);
	return r;
}

int jsonl_client_send_line(struct jsonl_client *c, const char *text, int timeout_ms, struct vnl_err *err)
{
	return send_line(c, text, -1, deadline_of(timeout_ms), timeout_ms, err);
}

int jsonl_client_send(struct jsonl_client *c, struct json_object *req, int timeout_ms, struct vnl_err *err)
{
	return send_line(c, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			 -1, deadline_of(timeout_ms), timeout_ms, err);
}

static int too_long(const struct jsonl_client *c, struct vnl_err *err)
{
	return vnl_errf(err, -EPROTO, "%s's reply is longer than %zu bytes", c->peer, c->line_max);
}

/* Read what the socket has into buf, waiting until the deadline; buf grows
 * (the caller checks the cap before each call). */
static int fill(struct jsonl_client *c, long long deadline, int timeout_ms, struct vnl_err *err)
{
	ssize_t n;
	int r;

	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *b;

		b = realloc(c->buf, cap);
		if (b == NULL)
			return vnl_errf(err, -ENOMEM, "out of memory");
		c->buf = b;
		c->cap = cap;
	}
	for (;;) {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return vnl_errf(err, -ECONNRESET, c->len ? "%s closed the connection mid-line"
								 : "%s closed the connection", c->peer);
		if (errno != EAGAIN && errno != EINTR)
			return vnl_errno(err, errno, "reading from %s", c->peer);
		if ((r = wait_io(c, POLLIN, deadline, timeout_ms, err)) < 0)
			return r;
	}
}

/* recv with the deadline of a whole call (timeout_ms for messages). */
static int recv_until(struct jsonl_client *c, long long deadline, int timeout_ms, struct json_object **out,
		      struct vnl_err *err)
{
	struct json_tokener *tok;
	size_t used, scanned = 0;
	char *nl;
	int r;

	*out = NULL;
	while ((nl = c->buf ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL) == NULL) {
		scanned = c->len;
		if (c->len > c->line_max)
			return too_long(c, err);
		if ((r = fill(c, deadline, timeout_ms, err)) < 0)
			return r;
	}
	used = (size_t)(nl - c->buf) + 1;
	if (used - 1 > c->line_max)
		return too_long(c, err);
	if (c->trace)
		c->trace(false, c->buf, used - 1);
	tok = json_tokener_new();
	*out = tok ? json_tokener_parse_ex(tok, c->buf, (int)(used - 1)) : NULL;
	/* The whole line, and nothing but one value. */
	if (*out && (json_tokener_get_error(tok) != json_tokener_success ||
		     json_tokener_get_parse_end(tok) != used - 1)) {
		json_object_put(*out);
		*out = NULL;
	}
	json_tokener_free(tok);
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return vnl_errf(err, -EPROTO, "%s sent a line that is not a JSON object", c->peer);
	}
	return 0;
}

int jsonl_client_recv(struct jsonl_client *c, int timeout_ms, struct json_object **out, struct vnl_err *err)
{
	return recv_until(c, deadline_of(timeout_ms), timeout_ms, out, err);
}

/* Send a line, receive the reply. A server that answers before it has read
 * the whole line (one over its limit) and closes makes the rest of the send
 * fail: its reply, already sent, is still read and returned. */
static int exchange(struct jsonl_client *c, const char *line, int fd, long long deadline, int timeout_ms,
		    struct json_object **out, struct vnl_err *err)
{
	struct vnl_err send_err = { 0, "" };
	int r = send_line(c, line, fd, deadline, timeout_ms, &send_err), rr;

	*out = NULL;
	if (r == 0 || r == -EPIPE || r == -ECONNRESET) {
		rr = recv_until(c, deadline, timeout_ms, out, err);
		if (rr == 0 || r == 0)
			return rr;
	}
	/* No reply: the send's failure says why. */
	if (err)
		*err = send_err;
	return r;
}

int jsonl_client_exchange(struct jsonl_client *c, const char *line, int timeout_ms, struct json_object **out,
			  struct vnl_err *err)
{
	return exchange(c, line, -1, deadline_of(timeout_ms), timeout_ms, out, err);
}

int jsonl_client_call(struct jsonl_client *c, struct json_object *req, int timeout_ms,
		      struct json_object **reply, struct vnl_err *err)
{
	return jsonl_client_call_fd(c, req, -1, timeout_ms, reply, err);
}

int jsonl_client_call_fd(struct jsonl_client *c, struct json_object *req, int fd, int timeout_ms,
			 struct json_object **reply, struct vnl_err *err)
{
	long long deadline = deadline_of(timeout_ms);
	struct json_object *o, *ok, *e;
	int r;

	*reply = NULL;
	r = exchange(c, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		     fd, deadline, timeout_ms, &o, err);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(o, "ok", &ok) && json_object_get_boolean(ok)) {
		*reply = o;
		return 0;
	}
	if (json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_string))
		r = vnl_errf(err, -EREMOTEIO, "%s", json_object_get_string(e));
	else
		r = vnl_errf(err, -EPROTO, "%s refused without saying why", c->peer);
	json_object_put(o);
	return r;
}
