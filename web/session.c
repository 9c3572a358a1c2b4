/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One browser tab's WebSocket (web.h; messages in docs/plans/web.md):
 * its frames out, and what each message from the page starts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "err.h"
#include "paths.h"
#include "topology.h"
#include "unixsock.h"
#include "web.h"

#define TERM_MAX 255 /* terminal ids fit the one-byte tag of output frames */

/* Stop or start reading the tab and its channels (web.h, SESS_QUEUE_MAX). */
static void sess_flow(struct sess *s, bool on)
{
	if (s->paused != on)
		return;
	s->paused = !on;
	lws_rx_flow_control(s->wsi, on);
	chan_flow(s, on);
}

int sess_send(struct sess *s, const void *data, size_t len, bool binary)
{
	struct frame *f;

	if (s->closing)
		return -ENOBUFS;
	if (s->queued + len > SESS_QUEUE_HARD) {
		/* A page that reads nothing: it is closed, not kept in memory. */
		s->closing = true;
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return -ENOBUFS;
	}
	if ((f = malloc(sizeof(*f) + LWS_PRE + len)) == NULL)
		return -ENOMEM;
	f->next = NULL;
	f->len = len;
	f->binary = binary;
	memcpy(f->data + LWS_PRE, data, len);
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	s->queued += len;
	if (s->queued > SESS_QUEUE_MAX)
		sess_flow(s, false);
	lws_callback_on_writable(s->wsi);
	return 0;
}

int sess_sendf(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r = sess_send(s, text, (size_t)n, false);
	free(text);
	return r;
}

void sess_reply_error(struct sess *s, long id, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	sess_sendf(s, "{\"t\":\"reply\",\"id\":%ld,\"reply\":%s}", id,
		   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static long jint(struct json_object *o, const char *key, long def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? (long)json_object_get_int64(v)
		       : def;
}

/* The lab named by the message, checked as vnl checks --lab; NULL after
 * replying the error. */
static const char *lab_of(struct sess *s, struct json_object *m, long id)
{
	const char *lab = jstr(m, "lab");
	struct vnl_err err;

	if (lab == NULL) {
		sess_reply_error(s, id, "no lab given");
		return NULL;
	}
	if (topo_check_name(lab, "lab", 0, 0, &err) < 0) {
		sess_reply_error(s, id, err.msg);
		return NULL;
	}
	return lab;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
		      json_object_get_string(*(struct json_object *const *)b));
}

/* {"t":"labs"}: the folders of VNL_RUN_ROOT where a vnld socket is. */
static void send_labs(struct sess *s)
{
	struct json_object *o = json_object_new_object(), *labs = json_object_new_array();
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(VNL_RUN_ROOT);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || topo_check_name(e->d_name, "lab", 0, 0, NULL) < 0 ||
		    vnl_path(path, sizeof(path), VNL_RUN_ROOT, e->d_name, "vnld.sock") < 0)
			continue;
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			json_object_array_add(labs, json_object_new_string(e->d_name));
	}
	if (d)
		closedir(d);
	json_object_array_sort(labs, by_name);
	json_object_object_add(o, "t", json_object_new_string("labs"));
	json_object_object_add(o, "labs", labs);
	sess_sendf(s, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* A connection to the lab's vnld as a channel that first writes `line`. */
static struct chan *vnld_chan(struct sess *s, enum chan_type type, long id, const char *lab,
			      struct json_object *line)
{
	struct vnl_err err;
	const char *text;
	struct chan *c;
	int fd = unix_connect_lab(lab, "vnld.sock", &err);

	if (fd < 0) {
		if (type == CHAN_REQ)
			sess_reply_error(s, id, err.msg);
		else
			sess_sendf(s, "{\"t\":\"event\",\"lab\":\"%s\",\"event\":{\"event\":\"closed\"}}", lab);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if ((c = chan_adopt(s, type, fd, id, lab)) == NULL) {
		sess_reply_error(s, id, "vnl-web: cannot add a connection");
		return NULL;
	}
	text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	chan_write(c, text, strlen(text));
	chan_write(c, "\n", 1);
	return c;
}

static void do_req(struct sess *s, struct json_object *m)
{
	long id = jint(m, "id", 0);
	const char *lab = lab_of(s, m, id), *cmd;
	struct json_object *req;

	if (lab == NULL)
		return;
	if (!json_object_object_get_ex(m, "req", &req) || !json_object_is_type(req, json_type_object) ||
	    (cmd = jstr(req, "cmd")) == NULL)
		return sess_reply_error(s, id, "no request object with a cmd");
	if (!strcmp(cmd, "events"))
		return sess_reply_error(s, id, "events: use a watch message");
	if (chan_count(s, CHAN_REQ) >= SESS_REQ_MAX)
		return sess_reply_error(s, id, "vnl-web: too many requests in flight in this tab (64): wait for their replies");
	vnld_chan(s, CHAN_REQ, id, lab, req);
}

static void do_watch(struct sess *s, struct json_object *m)
{
	const char *lab = lab_of(s, m, 0);
	struct json_object *req;

	for (struct chan *c = s->chans, *next; c; c = next) {
		next = c->next;
		if (c->type == CHAN_WATCH)
			chan_close(c);
	}
	if (lab == NULL)
		return;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("events"));
	vnld_chan(s, CHAN_WATCH, 0, lab, req);
	json_object_put(req);
}

/* `vnl --lab L start`, its status the reply. */
static void do_start(struct sess *s, struct json_object *m)
{
	long id = jint(m, "id", 0);
	const char *lab = lab_of(s, m, id);
	char *argv[] = { "vnl", "--lab", (char *)lab, "start", NULL };
	struct chan *c;
	int fd;
	pid_t pid;

	if (lab == NULL)
		return;
	if (chan_count(s, CHAN_PROC) >= SESS_PROC_MAX)
		return sess_reply_error(s, id, "vnl-web: a start is already running in this tab");
	if ((pid = proc_spawn(argv, false, 0, 0, &fd)) < 0)
		return sess_reply_error(s, id, "vnl-web: cannot start vnl");
	if ((c = chan_adopt(s, CHAN_PROC, fd, id, lab)) == NULL) {
		chan_child_end(lws_get_context(s->wsi), pid, NULL, CHAN_PROC, id, NULL);
		return sess_reply_error(s, id, "vnl-web: cannot add a channel");
	}
	c->pid = pid;
}

static struct chan *term_find(struct sess *s, long id)
{
	for (struct chan *c = s->chans; c; c = c->next)
		if (c->type == CHAN_TERM && c->id == id)
			return c;
	return NULL;
}

/*
 * A terminal on a node: the kind's own interactive way in, run by vnl on a
 * pty. A vm: `vnl shell` (its agent's login shell); ns and cnt: `vnl exec
 * -t NODE -- sh` (a shell inside the node's namespaces).
 */
static void do_term(struct sess *s, struct json_object *m)
{
	long id = jint(m, "id", 0), term = jint(m, "term", -1);
	const char *lab = lab_of(s, m, id), *node = jstr(m, "node"), *kind = jstr(m, "kind");
	char *vm_argv[] = { "vnl", "--lab", (char *)lab, "shell", (char *)node, NULL };
	char *sh_argv[] = { "vnl", "--lab", (char *)lab, "exec", "-t", (char *)node, "--", "sh", "-i", NULL };
	struct vnl_err err;
	struct chan *c;
	int fd;
	pid_t pid;

	if (lab == NULL)
		return;
	if (term < 0 || term > TERM_MAX || term_find(s, term))
		return sess_reply_error(s, id, "term must be a free terminal number 0..255");
	if (chan_count(s, CHAN_TERM) >= SESS_TERM_MAX)
		return sess_reply_error(s, id, "vnl-web: 8 terminals are open in this tab: close one first");
	if (node == NULL || topo_check_name(node, "node", 0, 0, &err) < 0)
		return sess_reply_error(s, id, node ? err.msg : "no node given");
	pid = proc_spawn(kind && !strcmp(kind, "vm") ? vm_argv : sh_argv, true, (int)jint(m, "rows", 24),
			 (int)jint(m, "cols", 80), &fd);
	if (pid < 0)
		return sess_reply_error(s, id, "vnl-web: cannot open a terminal");
	if ((c = chan_adopt(s, CHAN_TERM, fd, term, lab)) == NULL) {
		chan_child_end(lws_get_context(s->wsi), pid, NULL, CHAN_TERM, term, NULL);
		return sess_reply_error(s, id, "vnl-web: cannot add a channel");
	}
	c->pid = pid;
	sess_sendf(s, "{\"t\":\"reply\",\"id\":%ld,\"reply\":{\"ok\":true}}", id);
}

static void do_term_op(struct sess *s, struct json_object *m, const char *t)
{
	struct chan *c = term_find(s, jint(m, "term", -1));
	const char *data;

	if (c == NULL)
		return;
	if (!strcmp(t, "in") && (data = jstr(m, "data")))
		chan_write(c, data, strlen(data));
	else if (!strcmp(t, "resize"))
		proc_resize(c->fd, (int)jint(m, "rows", 0), (int)jint(m, "cols", 0));
	else if (!strcmp(t, "term-close"))
		chan_close(c);
}

/* A capture of a NIC or a LAN, its file for a download (capture.c). */
static void do_capture(struct sess *s, struct json_object *m)
{
	long id = jint(m, "id", 0);
	const char *lab = lab_of(s, m, id);

	if (lab)
		cap_start(s, id, lab, jstr(m, "target"), jstr(m, "filter"));
}

static void on_message(struct sess *s, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *m = json_tokener_parse_ex(tok, text, (int)len);
	const char *t = m ? jstr(m, "t") : NULL;

	json_tokener_free(tok);
	if (t == NULL)
		sess_sendf(s, "{\"t\":\"error\",\"error\":\"a message is a JSON object with a member t\"}");
	else if (!strcmp(t, "labs"))
		send_labs(s);
	else if (!strcmp(t, "req"))
		do_req(s, m);
	else if (!strcmp(t, "watch"))
		do_watch(s, m);
	else if (!strcmp(t, "start"))
		do_start(s, m);
	else if (!strcmp(t, "term"))
		do_term(s, m);
	else if (!strcmp(t, "capture"))
		do_capture(s, m);
	else if (!strcmp(t, "capture-stop"))
		cap_stop(s, jint(m, "id", 0), jint(m, "cap", -1));
	else if (!strcmp(t, "in") || !strcmp(t, "resize") || !strcmp(t, "term-close"))
		do_term_op(s, m, t);
	else
		sess_sendf(s, "{\"t\":\"error\",\"error\":\"unknown message type\"}");
	json_object_put(m);
}

/* One frame per WRITEABLE (lws's rule); the tab and its channels are read
 * again once half the queue has drained. */
static int send_one(struct sess *s)
{
	struct frame *f = s->head;
	int n;

	if (f == NULL)
		return 0;
	n = lws_write(s->wsi, f->data + LWS_PRE, f->len, f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if (n < (int)f->len)
		return -1;
	s->head = f->next;
	if (s->head == NULL)
		s->tail = NULL;
	s->queued -= f->len;
	free(f);
	if (s->queued <= SESS_QUEUE_MAX / 2)
		sess_flow(s, true);
	if (s->head)
		lws_callback_on_writable(s->wsi);
	return 0;
}

static void sess_end(struct sess *s)
{
	while (s->chans)
		chan_close(s->chans);
	chan_forget_sess(s);
	cap_forget_sess(s);
	for (struct frame *f = s->head, *next; f; f = next) {
		next = f->next;
		free(f);
	}
	s->head = s->tail = NULL;
	outq_fini(&s->rx);
}

int sess_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct sess *s = user;
	char why[256];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (access_check(wsi, why, sizeof(why)) < 0) {
			lwsl_user("refused a WebSocket: %s\n", why);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		memset(s, 0, sizeof(*s));
		s->wsi = wsi;
		s->rx.cap = SESS_RX_MAX;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (s->closing)
			return -1;
		if (lws_frame_is_binary(wsi))
			return 0;
		if (outq_put(&s->rx, in, len) < 0)
			return -1; /* a message beyond SESS_RX_MAX: not the page's */
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			on_message(s, (const char *)s->rx.buf, s->rx.len);
			outq_eat(&s->rx, s->rx.len);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return send_one(s);
	case LWS_CALLBACK_CLOSED:
		sess_end(s);
		return 0;
	default:
		return 0;
	}
}
