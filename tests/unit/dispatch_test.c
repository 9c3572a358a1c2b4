/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/dispatch.c, the request dispatcher of vnld and vnl-switchd: lookup
 * by exact name, the wording of every refusal (clients and integration
 * tests compare it), unknown arguments refused before the handler runs,
 * the connection handed through, and the reply shapes. TAP.
 * The connection is a real one of common/jsonl.c (cmd_call asks it whether
 * an fd came with the request).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dispatch.h"
#include "evloop.h"
#include "jsonl.h"
#include "tap.h"
#include "unixsock.h"

static int calls;
static struct jsonl_conn *seen_conn;

static int cmd_echo(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	struct json_object *v;

	calls++;
	seen_conn = c;
	if (!json_object_object_get_ex(req, "name", &v))
		return vnl_errf(err, -EINVAL, "missing argument 'name'");
	json_object_object_add(reply, "name", json_object_get(v));
	return 0;
}

static int cmd_silent(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	(void)req, (void)reply, (void)c, (void)err;
	calls++;
	return -ENOENT; /* no message: the reply says strerror */
}

static const char *const name_arg[] = { "name", NULL };
static const char *const no_args[] = { NULL };
static const struct cmd rows[] = {
	{ "echo", cmd_echo, name_arg, 1, "say name back" },
	{ "echo-more", cmd_silent, no_args, 0, "fail quietly" },
	{ "any", cmd_echo, NULL, 0, "checks its own arguments" },
};
static const struct cmd_table hinted = CMD_TABLE(rows, " (try help)");
static const struct cmd_table plain = CMD_TABLE(rows, "");

/* The refusal of a lookup, or "" when the line was found. */
static const char *refusal(const struct cmd_table *t, const char *line)
{
	static struct vnl_err err;
	struct json_object *req = (struct json_object *)1;
	const struct cmd *c;

	vnl_err_clear(&err);
	c = req_lookup(t, line, strlen(line), &req, &err);
	if (c != NULL) {
		json_object_put(req);
		return "";
	}
	return req == NULL && err.code == -EINVAL ? err.msg : "(bad error state)";
}

/* The reply line a server would send for line. */
static const char *serve(const char *line, struct jsonl_conn *conn)
{
	static char out[512];
	struct vnl_err err = { 0, "" };
	struct json_object *req, *reply;
	const struct cmd *c = req_lookup(&plain, line, strlen(line), &req, &err);
	int r;

	if (c == NULL)
		reply = jsonl_error(err.msg);
	else {
		reply = json_object_new_object();
		r = cmd_call(c, req, reply, conn, &err);
		json_object_put(req);
		reply = cmd_reply(r, reply, &err);
	}
	snprintf(out, sizeof(out), "%s", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return out;
}

static struct jsonl_conn *grabbed;

static struct json_object *grab(struct jsonl_conn *c, const char *line, size_t len, void *arg)
{
	(void)line, (void)len, (void)arg;
	grabbed = c;
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/vnl-dispatch-XXXXXX", path[128];
	struct evloop *loop = evloop_new();
	struct jsonl_server *srv;
	struct jsonl_conn *conn;
	char longname[200];
	long long deadline;
	const char *s;
	int fd;

	/* A live connection of a jsonl server, without an fd pending. */
	ok(mkdtemp(dir) != NULL, "temp folder");
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	srv = jsonl_listen(loop, path, 0600, grab, NULL);
	fd = unix_connect(path, 0);
	ok(srv != NULL && fd >= 0 && write(fd, "{}\n", 3) == 3, "a connection to a jsonl server");
	deadline = mono_ms() + 5000;
	while (grabbed == NULL && mono_ms() < deadline)
		evloop_run_until(loop, -1, 0, mono_ms() + 10);
	conn = grabbed;
	if (conn == NULL) {
		printf("Bail out! the server saw no request\n");
		return 1;
	}

	s = refusal(&hinted, "{\"cmd\":");
	ok(strncmp(s, "malformed JSON", 14) == 0, "malformed line: jsonl_parse's words (%s)", s);
	s = refusal(&hinted, "[1]");
	ok(strcmp(s, "a request must be a JSON object") == 0, "not an object: %s", s);
	s = refusal(&hinted, "{}");
	ok(strcmp(s, "a request needs a string member 'cmd' (try help)") == 0, "no cmd: %s", s);
	s = refusal(&plain, "{\"cmd\":7}");
	ok(strcmp(s, "a request needs a string member 'cmd'") == 0, "cmd not a string, no hint: %s", s);
	s = refusal(&hinted, "{\"cmd\":\"ech\"}");
	ok(strcmp(s, "unknown command 'ech' (try help)") == 0, "no prefix matching: %s", s);
	s = refusal(&plain, "{\"cmd\":\"ECHO\"}");
	ok(strcmp(s, "unknown command 'ECHO'") == 0, "exact case: %s", s);
	snprintf(longname, sizeof(longname), "{\"cmd\":\"%0100d\"}", 0);
	s = refusal(&plain, longname);
	ok(strlen(s) == strlen("unknown command ''") + 64, "a long name is cut at 64 bytes (%zu)", strlen(s));
	ok(strcmp(refusal(&plain, "{\"cmd\":\"echo-more\"}"), "") == 0, "a name that extends another is its own row");

	calls = 0;
	s = serve("{\"cmd\":\"echo\",\"name\":\"a\",\"nmae\":1}", conn);
	ok(strcmp(s, "{\"ok\":false,\"error\":\"unknown argument 'nmae' for echo\"}") == 0 && calls == 0,
	   "unknown argument refused before the handler: %s", s);
	s = serve("{\"cmd\":\"echo\",\"name\":\"a\"}", conn);
	ok(strcmp(s, "{\"ok\":true,\"name\":\"a\"}") == 0 && calls == 1 && seen_conn == conn,
	   "handler ran with the connection, ok first: %s", s);
	s = serve("{\"cmd\":\"any\",\"name\":\"b\",\"extra\":true}", NULL);
	ok(strcmp(s, "{\"ok\":true,\"name\":\"b\"}") == 0, "no argument list: the handler checks them: %s", s);
	s = serve("{\"cmd\":\"echo\"}", NULL);
	ok(strcmp(s, "{\"ok\":false,\"error\":\"missing argument 'name'\"}") == 0, "handler's message: %s", s);
	s = serve("{\"cmd\":\"echo-more\"}", NULL);
	ok(strcmp(s, "{\"ok\":false,\"error\":\"No such file or directory\"}") == 0,
	   "no message: strerror of the code: %s", s);
	{
		struct vnl_err err = { 0, "" };
		struct json_object *req;
		const struct cmd *c = req_lookup(&plain, "{\"cmd\":\"echo\"}", 14, &req, &err);

		ok(c == &rows[0] && c->flags == 1 && req != NULL, "the row is returned with its flags");
		json_object_put(req);
	}

	{
		struct json_object *h = cmd_table_help(&hinted), *v;

		ok(json_object_object_length(h) == 3 && json_object_object_get_ex(h, "echo", &v) &&
		   strcmp(json_object_get_string(v), "say name back") == 0, "help lists every row with its line");
		json_object_put(h);
	}
	close(fd);
	jsonl_close(srv);
	evloop_free(loop);
	rmdir(dir);
	return tap_done();
}
