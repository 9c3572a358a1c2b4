/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"
#include "unixsock.h"

struct jsonl_conn {
	struct jsonl_server *srv;
	int fd;
	struct ev_watch *w;
	char *in;           /* received, not yet a full line */
	size_t in_len;
	char *out;          /* queued, not yet written */
	size_t out_len, out_cap;
	bool closing;       /* close once out is written */
	bool eof;           /* the client sent EOF: only writing is left */
	bool subscribed;
	bool held;          /* the handler deferred in[0..]: no reading until jsonl_resume */
	bool doomed;        /* freed once the last user returns */
	bool resume;        /* conn_cb: run the held lines (jsonl_resume) */
	unsigned users;     /* callbacks of this connection on the stack */
	unsigned long long held_seq; /* order of holding: resumed oldest first */
	void *data;
	int pending_fd;     /* came with the line that starts at in[fd_at], -1: none */
	size_t fd_at;
	int line_fd;        /* the fd of the line being handled, -1: none */
	struct jsonl_conn *next;
};

struct jsonl_server {
	struct evloop *loop;
	int fd;
	struct ev_watch *w;
	char path[UNIX_PATH_SIZE];
	jsonl_handler handler;
	void *arg;
	struct jsonl_conn *conns;
	struct ev_watch *resume_w; /* pending jsonl_resume */
	unsigned long long held_seq;
};

const char jsonl_defer_tag;

struct json_object *jsonl_error(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

struct json_object *jsonl_ok(struct json_object *fields)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_foreach(fields, key, val)
		json_object_object_add(o, key, json_object_get(val));
	json_object_put(fields);
	return o;
}

const char *jsonl_unknown_arg(struct json_object *req, const char *const *allowed)
{
	json_object_object_foreach(req, key, val) {
		bool known = strcmp(key, "cmd") == 0;

		(void)val;
		for (const char *const *a = allowed; !known && *a; a++)
			known = strcmp(*a, key) == 0;
		if (!known)
			return key;
	}
	return NULL;
}

struct json_object *jsonl_parse(const char *line, size_t len, char *buf, size_t buflen, const char **why)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t end;

	if (tok == NULL) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* The NUL after the line ends a bare number. */
	o = json_tokener_parse_ex(tok, line, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(buf, buflen, "malformed JSON at byte %zu: %s", end,
			 e == json_tokener_continue || end >= len ? "the line ends before the value does"
								  : json_tokener_error_desc(e));
		*why = buf;
	} else if (end < len) {
		snprintf(buf, buflen, "malformed JSON: characters after the value at byte %zu", end);
		*why = buf;
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		*why = "a request must be a JSON object";
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Free c now, or when its last user (a callback on the stack) returns:
 * a connection is never freed under the code that handles it. */
static void conn_free(struct jsonl_conn *c)
{
	struct jsonl_conn **pp;

	if (c->users) {
		c->doomed = c->closing = true;
		ev_fd_mod(c->w, 0);
		return;
	}
	for (pp = &c->srv->conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	ev_del(c->w);
	close(c->fd);
	if (c->pending_fd >= 0)
		close(c->pending_fd);
	if (c->line_fd >= 0)
		close(c->line_fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Write what the socket takes. false: the connection is gone. */
static bool conn_flush(struct jsonl_conn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if ((c->out_len == 0 && c->closing) || c->doomed)
		return false;
	ev_fd_mod(c->w, (c->eof || c->held ? 0 : EPOLLIN) | (c->out_len ? EPOLLOUT : 0));
	return true;
}

static int conn_queue(struct jsonl_conn *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);

	if (c->closing || c->doomed)
		return -ECONNRESET;
	if (c->out_len >= JSONL_OUT_MAX) {
		/* The client stopped reading: give up on it rather than grow. */
		c->closing = true;
		c->out_len = 0;
		return -ENOBUFS;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *out = realloc(c->out, cap);

		if (out == NULL)
			return -ENOMEM;
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

int jsonl_send(struct jsonl_conn *c, struct json_object *o)
{
	int r = conn_queue(c, o);

	if (r == 0 && !conn_flush(c))
		c->closing = true; /* the read side notices and frees it */
	return r;
}

/* Handle complete lines in c->in. */
static void conn_lines(struct jsonl_conn *c)
{
	size_t start = 0;

	c->held = false;
	for (size_t i = 0; i < c->in_len && !c->closing; i++) {
		struct json_object *reply;

		if (c->in[i] != '\n')
			continue;
		if (i - start > JSONL_LINE_MAX)
			break;
		c->in[i] = '\0';
		if (c->pending_fd >= 0 && c->fd_at == start) {
			c->line_fd = c->pending_fd;
			c->pending_fd = -1;
		}
		if (i > start) {
			reply = c->srv->handler(c, c->in + start, i - start, c->srv->arg);
			if (reply == JSONL_DEFER) {
				/* Keep the line (and what follows, and its fd) for jsonl_resume. */
				c->in[i] = '\n';
				c->held = true;
				if (c->held_seq == 0) /* held again: keeps its place */
					c->held_seq = ++c->srv->held_seq;
				if (c->line_fd >= 0) {
					c->pending_fd = c->line_fd;
					c->fd_at = start;
					c->line_fd = -1;
				}
				break;
			}
			c->held_seq = 0;
			if (reply != NULL) {
				conn_queue(c, reply);
				json_object_put(reply);
			}
		}
		/* The fd went with this line: not taken, it is closed. */
		if (c->line_fd >= 0) {
			close(c->line_fd);
			c->line_fd = -1;
		}
		start = i + 1;
	}
	if (!c->closing && !c->held && c->in_len - start > JSONL_LINE_MAX) {
		struct json_object *e = jsonl_error("request line longer than 65536 bytes");

		conn_queue(c, e);
		json_object_put(e);
		c->closing = true;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	c->fd_at -= c->pending_fd >= 0 ? start : 0;
}

static void conn_release(struct jsonl_conn *c)
{
	if (--c->users == 0 && c->doomed)
		conn_free(c);
}

/*
 * recv() that also takes one SCM_RIGHTS fd into *got (-1: none). A read
 * that brings an fd ends with the bytes of the sendmsg that carried it (the
 * kernel stops a stream read after such a message; it may glue the same
 * client's earlier bytes before them). A second fd, or a truncated control
 * message, is -2: the connection is closed. Returns recv's value (-1 with
 * errno) or -2.
 */
static ssize_t conn_recv(struct jsonl_conn *c, int fd, char *buf, size_t len, int *got)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	bool bad = false;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*got = -1;
	if (n < 0)
		return n;
	/* CMSG_SPACE rounds up: two fds fit in the room for one; close all
	 * but a lone one. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			bad = true;
			continue;
		}
		for (size_t i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*got < 0 && nfd == 1) {
				*got = f;
			} else {
				close(f);
				bad = true;
			}
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		bad = true;
	if (*got >= 0 && (bad || c->closing || n <= 0)) {
		close(*got);
		*got = -1;
		bad |= !c->closing;
	}
	return bad ? -2 : n;
}

/* The fd got came with the last n bytes of in: it belongs to the line that
 * holds the last of them, which must start among them (the client sent the
 * line's first byte with the fd) while no other fd waits for its line.
 * false: a misplaced fd (closed). */
static bool fd_place(struct jsonl_conn *c, int got, size_t n)
{
	size_t at = c->in_len - 1;

	while (at > 0 && c->in[at - 1] != '\n')
		at--;
	if (at < c->in_len - n || c->pending_fd >= 0) {
		close(got);
		return false;
	}
	c->pending_fd = got;
	c->fd_at = at;
	return true;
}

static void conn_read(struct jsonl_conn *c, int fd, uint32_t events)
{
	char buf[16384];

	if ((events & EPOLLOUT) && !conn_flush(c)) {
		conn_free(c);
		return;
	}
	if (c->held) {
		/* Not reading; but a client gone for good has nobody to answer. */
		if (events & (EPOLLHUP | EPOLLERR))
			conn_free(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		int got;
		ssize_t n = conn_recv(c, fd, buf, sizeof(buf), &got);
		char *in;

		if (n == -2 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(c);
			return;
		}
		if (n == 0) {
			/* Half-closed: replies already queued still go out; a
			 * partial line at EOF has nobody to answer. */
			c->eof = c->closing = true;
			break;
		}
		if (n < 0)
			break;
		if (c->closing)
			continue; /* drain and ignore */
		in = realloc(c->in, c->in_len + (size_t)n + 1);
		if (in == NULL) {
			if (got >= 0)
				close(got);
			conn_free(c);
			return;
		}
		c->in = in;
		memcpy(c->in + c->in_len, buf, (size_t)n);
		c->in_len += (size_t)n;
		if (got >= 0 && !fd_place(c, got, (size_t)n)) {
			conn_free(c);
			return;
		}
		conn_lines(c);
		if (c->held || c->doomed)
			break; /* the rest stays in the socket */
	}
	if (!conn_flush(c))
		conn_free(c);
}

static void conn_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct jsonl_conn *c = arg;

	(void)w;
	c->users++;
	if (c->resume) {
		/* jsonl_resume: the held lines first, then what the socket kept. */
		c->resume = false;
		conn_lines(c);
		if (c->held || c->doomed) {
			if (!conn_flush(c))
				conn_free(c);
			conn_release(c);
			return;
		}
		events |= EPOLLIN;
	}
	conn_read(c, fd, events);
	conn_release(c);
}

static void accept_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct jsonl_server *s = arg;
	struct jsonl_conn *c;
	int cfd;

	(void)w, (void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	c->srv = s;
	c->fd = cfd;
	c->pending_fd = c->line_fd = -1;
	c->w = ev_fd_add(s->loop, cfd, EPOLLIN, conn_cb, c);
	if (c->w == NULL) {
		close(cfd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
}

struct jsonl_server *jsonl_listen(struct evloop *l, const char *path, mode_t mode, jsonl_handler h, void *arg)
{
	struct jsonl_server *s;
	int fd, e;

	if (strlen(path) >= sizeof(s->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = unix_listen(path, mode);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->loop = l;
	s->fd = fd;
	s->handler = h;
	s->arg = arg;
	strcpy(s->path, path);
	s->w = ev_fd_add(l, fd, EPOLLIN, accept_cb, s);
	if (s->w == NULL) {
		free(s);
		goto fail;
	}
	return s;
fail:
	e = errno;
	unlink(path);
	close(fd);
	errno = e;
	return NULL;
}

void jsonl_close(struct jsonl_server *s)
{
	struct jsonl_conn *c, *next;

	if (s == NULL)
		return;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		conn_flush(c); /* best effort: a last reply ("stop") goes out */
		c->users = 0;  /* nothing of ours runs once the server closes */
		conn_free(c);
	}
	ev_del(s->resume_w);
	ev_del(s->w);
	close(s->fd);
	unlink(s->path);
	free(s);
}

void jsonl_subscribe(struct jsonl_conn *c)
{
	c->subscribed = true;
}

void jsonl_publish(struct jsonl_server *s, struct json_object *o)
{
	struct jsonl_conn *c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->subscribed && !c->doomed && jsonl_send(c, o) < 0 && c->out_len == 0 && c->closing)
			conn_free(c); /* deferred if it is the one publishing */
	}
}

/* The oldest held connection, or NULL. */
static struct jsonl_conn *oldest_held(struct jsonl_server *s)
{
	struct jsonl_conn *best = NULL;

	for (struct jsonl_conn *c = s->conns; c != NULL; c = c->next)
		if (c->held && !c->doomed && (best == NULL || c->held_seq < best->held_seq))
			best = c;
	return best;
}

static void resume_cb(struct ev_watch *w, void *arg)
{
	struct jsonl_server *s = arg;
	struct jsonl_conn *c;

	ev_del(w);
	s->resume_w = NULL;
	/* Oldest first; stop when one is held again (the daemon got busy). */
	while ((c = oldest_held(s)) != NULL) {
		bool later, held;

		/* Through its own watch, so the loop's no-re-entry rule covers it
		 * (a nested wait in its handler must not read it again). */
		c->users++;
		c->resume = true;
		ev_fd_call(c->w, EPOLLIN);
		later = c->resume; /* its callback runs further up: retry soon */
		held = c->held;    /* deferred again: the next jsonl_resume */
		c->resume = false;
		conn_release(c);
		if (later)
			jsonl_resume(s);
		if (later || held)
			break;
	}
}

void jsonl_resume(struct jsonl_server *s)
{
	/* From the loop's top, not from inside the handler that calls us. */
	if (s->resume_w == NULL && oldest_held(s) != NULL)
		s->resume_w = ev_timer_add(s->loop, 1, resume_cb, s);
}

void jsonl_conn_set_data(struct jsonl_conn *c, void *data)
{
	c->data = data;
}

void *jsonl_conn_data(struct jsonl_conn *c)
{
	return c->data;
}

int jsonl_conn_take_fd(struct jsonl_conn *c)
{
	int fd = c->line_fd;

	c->line_fd = -1;
	return fd;
}

bool jsonl_conn_has_fd(const struct jsonl_conn *c)
{
	return c->line_fd >= 0;
}
