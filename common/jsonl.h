/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A JSON-lines server on a unix stream socket, run by an evloop: clients send
 * one JSON request per line and get one reply line per request, in order. A
 * connection can also become an event stream (jsonl_subscribe): the server
 * then pushes every jsonl_publish()ed object to it.
 *
 * Bounds: a request line longer than JSONL_LINE_MAX gets an error reply and
 * the connection is closed; a client that has JSONL_OUT_MAX bytes unsent
 * when another line is queued (it stopped reading) is disconnected, so a
 * stuck client costs at most that plus one line and never blocks the daemon.
 * One line may be larger than the bound (a big show reply).
 *
 * File descriptors: a client may send one fd (SCM_RIGHTS) with a request
 * line: one sendmsg that starts with the line's first byte (it may hold
 * the whole line or its start). The fd belongs to that line, whatever the
 * client sent before it (lines sent ahead, as a pipelining client does:
 * the kernel may hand them over in the same read, and the server places
 * the fd by the bytes that came with it: the line holding the last of
 * them). Its handler takes it with jsonl_conn_take_fd(); if it does not,
 * the fd is closed once the line is handled (a deferred line keeps it).
 * The connection is closed on: two fds in one message, a truncated control
 * message, an fd while an earlier fd's line is still unhandled (one fd in
 * flight: wait for its reply), and an fd whose line began in bytes read
 * before it. Not guaranteed: an fd sent after the start of its line (the
 * first bytes in an earlier send) is refused only when the server read
 * those bytes before it; when the kernel hands both over in one read, the
 * fd goes to that line.
 *
 * Errors: functions return NULL and set errno, or 0 / -errno.
 * Thread-safety: none; the evloop's thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "evloop.h"

#define JSONL_LINE_MAX (64 * 1024)
#define JSONL_OUT_MAX (4 * 1024 * 1024)

struct jsonl_server;
struct jsonl_conn;

/* The handler's "not now" (see jsonl_handler). */
#define JSONL_DEFER ((struct json_object *)&jsonl_defer_tag)
extern const char jsonl_defer_tag;

/*
 * One request line (NUL-terminated, without the newline). Returns the reply,
 * which the server sends and releases, or NULL to send nothing (the handler
 * replied with jsonl_send already, or turned the connection into a stream),
 * or JSONL_DEFER: not now. The connection then holds that line and all after
 * it, stops reading, and the handler gets the same line again after
 * jsonl_resume(); held connections resume in the order they were held, so
 * requests are served in order of arrival.
 * The line is not valid JSON-checked: handlers parse it (jsonl_parse helps).
 *
 * Lifetime: a connection is never freed while one of its callbacks or its
 * handler is on the stack (a handler may publish, send, or wait in a nested
 * loop); a connection that must go (closed, over JSONL_OUT_MAX) is marked and
 * freed when its outermost user returns. jsonl_send on it then gives
 * -ECONNRESET.
 */
typedef struct json_object *(*jsonl_handler)(struct jsonl_conn *c, const char *line, size_t len,
					     void *arg);

/* Listen on path with the given mode. A stale socket file (nobody answers)
 * is replaced; a live one is EADDRINUSE; the parent folder must exist. */
struct jsonl_server *jsonl_listen(struct evloop *l, const char *path, mode_t mode, jsonl_handler h,
				  void *arg);
/* Close every connection and the socket, remove the socket file. NULL is fine. */
void jsonl_close(struct jsonl_server *s);

/* Queue one object as a line on c (takes a reference of its own). 0 or -errno
 * (-ECONNRESET: the connection is closing). */
int jsonl_send(struct jsonl_conn *c, struct json_object *o);
/* Make c an event stream: jsonl_publish() reaches it from now on. */
void jsonl_subscribe(struct jsonl_conn *c);
/* Retry the held connections (JSONL_DEFER), oldest first, soon from the
 * loop (not from inside the caller). */
void jsonl_resume(struct jsonl_server *s);
/* Send o to every subscribed connection. */
void jsonl_publish(struct jsonl_server *s, struct json_object *o);
/* Per-connection data of the caller's; freed by nobody. */
void jsonl_conn_set_data(struct jsonl_conn *c, void *data);
void *jsonl_conn_data(struct jsonl_conn *c);

/* Strict RFC 8259 parse of one line into an object. NULL with *why set to a
 * message (static storage or buf) when it is not a JSON object. */
struct json_object *jsonl_parse(const char *line, size_t len, char *buf, size_t buflen, const char **why);
/* {"ok":false,"error":msg} */
struct json_object *jsonl_error(const char *msg);
/* {"ok":true, ...fields}, "ok" first for people reading replies; takes
 * fields over (puts it). */
struct json_object *jsonl_ok(struct json_object *fields);
/* The first member of req that is neither "cmd" nor in the NULL-terminated
 * allowed list, or NULL: dispatchers refuse typos instead of ignoring them. */
const char *jsonl_unknown_arg(struct json_object *req, const char *const *allowed);

/* The fd that came with the line being handled, now the caller's, or -1. */
int jsonl_conn_take_fd(struct jsonl_conn *c);
/* Whether the line being handled came with an fd (not yet taken). */
bool jsonl_conn_has_fd(const struct jsonl_conn *c);
