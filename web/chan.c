/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The raw channels of vnl-web (web.h): adopted fds, what their bytes mean
 * to the page (a reply, an event, terminal output, a child's status), and
 * their end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "web.h"

/* A child whose channel has ended, not reaped yet (chan_child_end()). */
struct child {
	struct child *next;
	pid_t pid;
	struct sess *sess;  /* where its status goes; NULL: nowhere */
	enum chan_type type;
	long id;
	unsigned ticks;     /* timer turns waited */
	char last[256];     /* CHAN_PROC, CHAN_CAP: its last line of output */
};

#define REAP_TICK_US (50 * LWS_US_PER_MS)
#define REAP_KILL_TICKS 20 /* SIGKILL after ~1 s */

static struct child *children;
static lws_sorted_usec_list_t reap_sul;
static struct lws_context *reap_ctx;

/* A reaped child's status to its tab. */
static void child_status(const struct child *k, int st)
{
	struct json_object *o;

	if (k->type == CHAN_CAP)
		return cap_ended(k->pid, k->sess, st, k->last);
	if (k->sess == NULL)
		return;
	if (k->type == CHAN_TERM) {
		sess_sendf(k->sess, "{\"t\":\"term-exit\",\"term\":%ld,\"status\":%d}", k->id,
			   st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(st == 0));
	if (st != 0)
		json_object_object_add(o, "error", json_object_new_string(k->last[0] ? k->last : "vnl failed"));
	sess_sendf(k->sess, "{\"t\":\"reply\",\"id\":%ld,\"reply\":%s}", k->id,
		   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Try to reap k: true when it is gone (status sent). */
static bool child_try(struct child *k)
{
	int st;
	pid_t r = waitpid(k->pid, &st, WNOHANG);

	if (r == 0)
		return false;
	child_status(k, r == k->pid ? st : -1);
	return true;
}

static void reap_tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	for (struct child **pp = &children, *k; (k = *pp);) {
		if (child_try(k)) {
			*pp = k->next;
			free(k);
			continue;
		}
		if (++k->ticks == REAP_KILL_TICKS)
			kill(-k->pid, SIGKILL);
		pp = &k->next;
	}
	if (children)
		lws_sul_schedule(reap_ctx, 0, &reap_sul, reap_tick, REAP_TICK_US);
}

void chan_child_end(struct lws_context *ctx, pid_t pid, struct sess *s, enum chan_type type, long id,
		    const char *last)
{
	struct child *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		kill(-pid, SIGKILL); /* reaped by nobody: a zombie until vnl-web ends */
		return;
	}
	k->pid = pid;
	k->sess = s;
	k->type = type;
	k->id = id;
	snprintf(k->last, sizeof(k->last), "%s", last ? last : "");
	if (child_try(k)) {
		free(k);
		return;
	}
	/* Its fd has ended: its output is gone or nobody reads it any more. */
	kill(-pid, SIGHUP);
	k->next = children;
	children = k;
	reap_ctx = ctx;
	if (!lws_dll2_is_detached(&reap_sul.list))
		return;
	lws_sul_schedule(reap_ctx, 0, &reap_sul, reap_tick, REAP_TICK_US);
}

void chan_forget_sess(struct sess *s)
{
	for (struct child *k = children; k; k = k->next)
		if (k->sess == s)
			k->sess = NULL;
}

unsigned chan_count(const struct sess *s, enum chan_type type)
{
	unsigned n = 0;

	for (const struct chan *c = s->chans; c; c = c->next)
		n += c->type == type;
	return n;
}

void chan_flow(struct sess *s, bool on)
{
	for (struct chan *c = s->chans; c; c = c->next)
		lws_rx_flow_control(c->wsi, on);
}

struct chan *chan_adopt(struct sess *s, enum chan_type type, int fd, long id, const char *lab)
{
	struct lws_vhost *vh = lws_get_vhost(s->wsi);
	lws_sock_file_fd_type u = { .filefd = fd };
	struct chan *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->type = type;
	c->sess = s;
	c->fd = fd;
	c->id = id;
	c->in.cap = CHAN_IN_MAX;
	c->out.cap = CHAN_OUT_MAX;
	snprintf(c->lab, sizeof(c->lab), "%s", lab);
	c->wsi = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, u, "vnl-chan", NULL);
	if (c->wsi == NULL) {
		close(fd);
		free(c);
		return NULL;
	}
	lws_set_opaque_user_data(c->wsi, c);
	if (s->paused)
		lws_rx_flow_control(c->wsi, 0);
	c->next = s->chans;
	s->chans = c;
	return c;
}

int chan_write(struct chan *c, const void *data, size_t len)
{
	int r = outq_put(&c->out, data, len);

	if (r == 0)
		lws_callback_on_writable(c->wsi);
	return r;
}

static void unlink_chan(struct chan *c)
{
	if (c->sess == NULL)
		return;
	for (struct chan **pp = &c->sess->chans; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->sess = NULL;
}

void chan_close(struct chan *c)
{
	unlink_chan(c);
	if (c->pid > 0)
		kill(-c->pid, SIGHUP);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* A whole line from vnld: the reply of a request, or an event. */
static void on_line(struct chan *c, const char *line, size_t n)
{
	if (c->type == CHAN_REQ) {
		sess_sendf(c->sess, "{\"t\":\"reply\",\"id\":%ld,\"reply\":%.*s}", c->id, (int)n, line);
		chan_close(c);
	} else if (c->id == 0) {
		/* The first line of a watch is vnld's {"ok":true}. */
		c->id = 1;
		sess_sendf(c->sess, "{\"t\":\"watching\",\"lab\":\"%s\",\"reply\":%.*s}", c->lab, (int)n, line);
	} else {
		sess_sendf(c->sess, "{\"t\":\"event\",\"lab\":\"%s\",\"event\":%.*s}", c->lab, (int)n, line);
	}
}

/* Bytes from the fd: lines (REQ, WATCH), output (TERM, PROC). */
static int on_bytes(struct chan *c, const char *data, size_t n)
{
	char *nl;

	if (c->type == CHAN_TERM) {
		char frame[1 + 65536];

		frame[0] = (char)c->id;
		memcpy(frame + 1, data, n);
		sess_send(c->sess, frame, n + 1, true);
		return 0;
	}
	if (outq_put(&c->in, data, n) < 0)
		return -ENOMEM;
	if (c->type == CHAN_PROC || c->type == CHAN_CAP) {
		/* Keep the tail only: the last line is the error message. */
		if (outq_pending(&c->in) > 8192)
			outq_eat(&c->in, outq_pending(&c->in) - 4096);
		return 0;
	}
	while (c->sess && (nl = (char *)memchr(c->in.buf + c->in.off, '\n', outq_pending(&c->in)))) {
		const char *line = (const char *)c->in.buf + c->in.off;
		size_t len = (size_t)(nl - line);

		on_line(c, line, len);
		outq_eat(&c->in, len + 1);
	}
	return 0;
}

/* The fd's end: tell the page what ended (a lost stream), or have the
 * child's status told once it is reaped (a terminal, a `vnl start`). A
 * child's message is its last "vnl: " line (vnl's errors; a usage error
 * ends with the synopsis), else its last line. */
static void on_end(struct chan *c)
{
	char *last = NULL, *vnl_line = NULL;

	if (c->pid > 0) {
		if ((c->type == CHAN_PROC || c->type == CHAN_CAP) && c->sess) {
			outq_put(&c->in, "", 1);
			for (char *p = c->in.buf ? strtok((char *)c->in.buf + c->in.off, "\n") : NULL; p;
			     p = strtok(NULL, "\n")) {
				last = p;
				if (!strncmp(p, "vnl: ", 5))
					vnl_line = p;
			}
		}
		if (vnl_line)
			last = vnl_line;
		chan_child_end(lws_get_context(c->wsi), c->pid, c->sess, c->type, c->id, last);
		c->pid = 0;
		return;
	}
	if (c->sess == NULL)
		return;
	if (c->type == CHAN_REQ)
		sess_sendf(c->sess, "{\"t\":\"reply\",\"id\":%ld,\"reply\":{\"ok\":false,"
			   "\"error\":\"vnld of lab '%s' closed the connection\"}}", c->id, c->lab);
	else if (c->type == CHAN_WATCH)
		sess_sendf(c->sess, "{\"t\":\"event\",\"lab\":\"%s\",\"event\":{\"event\":\"closed\"}}", c->lab);
}

int chan_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct chan *c = lws_get_opaque_user_data(wsi);
	char buf[65536];
	ssize_t n;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* A WebSocket naming this protocol: not a page's (web.h). */
		lwsl_user("refused a WebSocket: vnl-chan is not for pages\n");
		return -1;
	case LWS_CALLBACK_RAW_RX_FILE:
		if (c == NULL)
			return -1;
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		/* 0: EOF; EIO: the pty's last slave fd closed (the child is gone). */
		if (n <= 0 || c->sess == NULL)
			return -1;
		return on_bytes(c, buf, (size_t)n) < 0 ? -1 : 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (c == NULL || outq_pending(&c->out) == 0)
			return 0;
		/* write(), not outq_flush()'s send(): the fd may be a pty. */
		n = write(c->fd, c->out.buf + c->out.off, outq_pending(&c->out));
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			outq_eat(&c->out, (size_t)n);
		if (outq_pending(&c->out))
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (c == NULL)
			return 0;
		lws_set_opaque_user_data(wsi, NULL);
		on_end(c);
		unlink_chan(c);
		outq_fini(&c->in);
		outq_fini(&c->out);
		free(c);
		return 0;
	default:
		return 0;
	}
}
