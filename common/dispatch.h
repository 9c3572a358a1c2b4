/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request dispatcher of both JSON-lines servers (vnld and vnl-switchd):
 * a table of commands, each with its handler, the arguments it accepts and
 * one line of help. A request is one JSON object whose string member "cmd"
 * names a row; any other member must be in the row's argument list, so a
 * typo is an error rather than a silently ignored option.
 *
 * The three steps are separate because a server may act between them (vnld
 * holds a request that changes the lab while another runs, before its
 * arguments are looked at):
 *   c = req_lookup(t, line, len, &req, &err);   parse, find the row
 *   r = cmd_call(c, req, reply, conn, &err);     check arguments, run it
 *   return cmd_reply(r, reply, &err);            {"ok":true,...} or error
 *
 * Messages (clients and tests compare them):
 *   the line's parse error as jsonl_parse() words it;
 *   "a request needs a string member 'cmd'<hint>";
 *   "unknown command '<name, 64 bytes at most>'<hint>";
 *   "unknown argument '<arg>' for <cmd>";
 *   "<cmd> takes no file descriptor" (a request that came with an fd,
 *   jsonl.h, to a row without CMD_FD).
 * <hint> is the table's, e.g. " (try {\"cmd\":\"help\"})", or empty.
 *
 * Errors: 0 / negative errno with a struct vnl_err (common/err.h).
 * Thread-safety: tables are constant; the functions keep no state.
 */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

struct jsonl_conn;

/*
 * A command's handler: read req (its arguments are known to be in the
 * row's list, not yet checked for type or value), add the reply's members
 * to reply, and return 0; or return a negative errno with err filled, its
 * message sent back as is. c is the client's connection (jsonl.h: to
 * subscribe it, or send on it before the reply), NULL when the request did
 * not come from a socket (fuzz targets).
 */
typedef int (*cmd_fn)(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err);

struct cmd {
	const char *name;          /* exact keyword, compared whole */
	cmd_fn fn;                 /* the handler, see cmd_fn */
	const char *const *args;   /* accepted members besides "cmd", NULL-terminated;
	                            * NULL: the handler checks them itself (vnld's
	                            * node-add, whose arguments depend on the kind) */
	unsigned flags;            /* CMD_FD, and the server's own marks in the
	                            * low bits (vnld: changes the lab) */
	const char *help;          /* one line for a help command */
};

/* The row takes a file descriptor with its request (jsonl_conn_take_fd);
 * other rows refuse a request that came with one. */
#define CMD_FD (1u << 31)

struct cmd_table {
	const struct cmd *cmds;    /* the rows, in the order help lists them */
	size_t nb;                 /* how many */
	const char *hint;          /* appended to the two lookup messages; "" for none */
};

/* A table over a static array of rows. */
#define CMD_TABLE(rows, hint_) { (rows), sizeof(rows) / sizeof((rows)[0]), (hint_) }

/*
 * Parse one request line (NUL-terminated as common/jsonl.c hands it over)
 * and find its command. Returns the row with *req the parsed request (the
 * caller puts it), or NULL with *req NULL and err filled (-EINVAL).
 */
const struct cmd *req_lookup(const struct cmd_table *t, const char *line, size_t len,
			     struct json_object **req, struct vnl_err *err);

/* 0, or -EINVAL "unknown argument 'x' for cmd" for the first member of req
 * that cmd does not accept (always 0 when cmd->args is NULL). */
int cmd_check_args(const struct cmd *cmd, struct json_object *req, struct vnl_err *err);

/*
 * Refuse a member of req that cmd does not accept (-EINVAL, "unknown
 * argument") or an fd that came with req to a row without CMD_FD (-EINVAL),
 * else run its handler on connection c. Returns what the handler does.
 */
int cmd_call(const struct cmd *cmd, struct json_object *req, struct json_object *reply,
	     struct jsonl_conn *c, struct vnl_err *err);

/*
 * The reply line of a handled request: jsonl_ok(reply) when r >= 0, else
 * jsonl_error() with err's message (strerror(-r) when it has none) and
 * reply put. Takes reply over in both cases.
 */
struct json_object *cmd_reply(int r, struct json_object *reply, const struct vnl_err *err);

/* Every command of t with its help line, {"name": "help", ...}: the body of a
 * help command. */
struct json_object *cmd_table_help(const struct cmd_table *t);
