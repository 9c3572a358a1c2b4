/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The client side of the JSON-lines protocol that vnld and vnl-switchd
 * serve (jsonl.h): a unix stream connection on which one request goes out
 * as one line and replies (or a subscribed event stream) come back one line
 * each. Used by vnl (to vnld), vnld's switch supervisor (lab_switch.c, to
 * vnl-switchd) and vnl-swctl.
 *
 * Waiting: every wait is a wait_fd() of common/wait.h with a deadline, so
 * the CLI blocks while vnld keeps serving its other clients from its own
 * loop (wait.h's hook). The socket may be blocking or not: reads and writes
 * never block (MSG_DONTWAIT).
 *
 * Errors: 0 or a negative errno, with a one-line message in err that names
 * the server by the `peer` text given at open ("vnld", "vnl-switchd at
 * PATH"). The codes callers tell apart:
 *   -ETIMEDOUT   no connection, or no whole reply, before the deadline
 *   -ECONNRESET  the server closed the connection ("<peer> closed the
 *                connection", "... mid-line" when a line was cut)
 *   -EPROTO      a line that is not a JSON object, or longer than line_max
 *   -EREMOTEIO   (jsonl_client_call) the server refused: err->msg is its
 *                "error" text verbatim
 *   other        the errno of connect/send/recv ("cannot reach <peer>: ...")
 * Nothing here prints.
 *
 * Thread-safety: a client belongs to one thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

/* The longest reply line accepted by default (a big show or save). */
#define JSONL_CLIENT_LINE_MAX (64u << 20)

struct jsonl_client {
	int fd;            /* connected socket, -1 when closed */
	char peer[160];    /* the server as messages name it */
	size_t line_max;   /* a longer line is -EPROTO; JSONL_CLIENT_LINE_MAX after open */
	char *buf;         /* bytes read and not yet returned as lines */
	size_t len, cap;   /* used and allocated bytes of buf */
	/* NULL, or called with every line sent (out) and received, without
	 * its newline: the caller's debug output (vnl -v). */
	void (*trace)(bool out, const char *line, size_t len);
};

/*
 * Connect to the socket at path. A server whose backlog is full is retried
 * until timeout_ms (< 0: no limit) passes (-ETIMEDOUT "<peer> did not
 * accept within ..."); any other failure is the connect's errno ("cannot
 * reach <peer>: ..."). c is closed (fd -1) on failure.
 */
int jsonl_client_open(struct jsonl_client *c, const char *path, const char *peer, int timeout_ms,
		      struct vnl_err *err);

/* Take over a socket connected by the caller (unix_connect_lab). */
void jsonl_client_adopt(struct jsonl_client *c, int fd, const char *peer);

/* Close and free; accepts a closed or zeroed client. */
void jsonl_client_close(struct jsonl_client *c);

/* Send text (no newline in it) and a newline, within timeout_ms (< 0: no
 * limit). A peer gone is -EPIPE or -ECONNRESET; no SIGPIPE. */
int jsonl_client_send_line(struct jsonl_client *c, const char *text, int timeout_ms,
			   struct vnl_err *err);

/* Send req as one line (plain, slashes unescaped). As send_line. */
int jsonl_client_send(struct jsonl_client *c, struct json_object *req, int timeout_ms,
		      struct vnl_err *err);

/*
 * Receive the next line as a JSON object within timeout_ms (< 0: no limit).
 * *out is a new object (the caller puts it), NULL on failure.
 */
int jsonl_client_recv(struct jsonl_client *c, int timeout_ms, struct json_object **out,
		      struct vnl_err *err);

/*
 * Send text (a line without its newline) and receive the reply line as an
 * object, both within timeout_ms, whatever the reply says. A server that
 * answers a line before it has read all of it (one over its length limit)
 * and closes makes the rest of the send fail: its reply is still returned.
 */
int jsonl_client_exchange(struct jsonl_client *c, const char *text, int timeout_ms, struct json_object **out,
			  struct vnl_err *err);

/*
 * One request and its reply (jsonl_client_exchange), both within timeout_ms (req is not consumed):
 * 0 with *reply the reply of an {"ok":true} answer (the caller puts it), or
 * *reply NULL and an error: -EREMOTEIO with the server's text when it said
 * {"ok":false,"error":...}, -EPROTO when it refused without a text, or one
 * of send's or recv's.
 */
int jsonl_client_call(struct jsonl_client *c, struct json_object *req, int timeout_ms,
		      struct json_object **reply, struct vnl_err *err);

/*
 * jsonl_client_call with fd (>= 0) passed as SCM_RIGHTS with the request
 * line, for a command that takes one (dispatch.h CMD_FD). The caller keeps
 * its fd (the server gets a copy) and closes it. fd < 0: jsonl_client_call.
 */
int jsonl_client_call_fd(struct jsonl_client *c, struct json_object *req, int fd, int timeout_ms,
			 struct json_object **reply, struct vnl_err *err);
