/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl's side of vnld's socket (docs/vnld.md, "vnld's socket protocol"):
 * connections to /run/vnetlab/LAB/vnld.sock, one request line and one reply
 * line with a deadline, the event stream, and the lab's vnld life cycle as
 * the CLI sees it (start it on demand, wait for it to be gone).
 *
 * Errors: 0 or a negative errno, with a one-line message in `err` that the
 * verb prints as it is. The codes callers tell apart:
 *   -ENOTCONN   the lab's vnld does not answer ("lab 'x' is not running ...")
 *   -EREMOTEIO  vnld refused the request; err->msg is vnld's text verbatim
 *   -ETIMEDOUT  no reply before the deadline
 * Nothing here prints or exits.
 *
 * Thread-safety: none (vnl is single-threaded).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

/* Deadlines of one request, seconds. */
#define VNL_TIMEOUT 30          /* most requests */
#define VNL_TIMEOUT_LONG 600    /* deploy, destroy, stop: the whole lab may change */
#define VNL_START_WAIT 30       /* a started vnld has this long to answer */
#define VNL_STOP_WAIT 60        /* a stopping vnld has this long to exit */

/* One connection to a lab's vnld, with its input buffer. */
struct vnl_conn {
	int fd;          /* connected socket, -1 when closed */
	char *buf;       /* bytes read and not yet returned as lines */
	size_t len, cap; /* used and allocated bytes of buf */
};

/* Connect to the lab's vnld; -ENOTCONN when nothing answers there. */
int vnl_conn_open(struct vnl_conn *c, const char *lab, struct vnl_err *err);
/* Close and free; accepts a closed or zeroed connection. */
void vnl_conn_close(struct vnl_conn *c);
/* Send one request object as a line (MSG_NOSIGNAL). */
int vnl_conn_send(struct vnl_conn *c, struct json_object *req, struct vnl_err *err);
/*
 * Read the next line and parse it; timeout_s < 0 waits forever. *out is a
 * new object. -ECONNRESET at end of stream (err says vnld closed it),
 * -ETIMEDOUT, -EPROTO when the line is not a JSON object.
 */
int vnl_conn_recv(struct vnl_conn *c, int timeout_s, struct json_object **out,
		  struct vnl_err *err);

/* A new request {"cmd": cmd}; the caller adds arguments and puts it. */
struct json_object *vnl_req(const char *cmd);

/*
 * Connect, send req (not consumed), read the reply within timeout_s and
 * check it: *reply is the reply object of an {"ok":true} answer (the caller
 * puts it), else NULL and an error as described above.
 */
int vnl_call(const char *lab, struct json_object *req, int timeout_s, struct json_object **reply,
	     struct vnl_err *err);

/* Is a listener on the lab's vnld socket right now (a live vnld, busy or
 * not, or one that is being killed)? */
bool vnl_lab_running(const char *lab);
/*
 * Is the lab's vnld alive: it answers `version` (waited for up to
 * VNL_START_WAIT s). A listener that resets instead (a vnld being killed)
 * is waited for until it is gone. Returns 1 alive, 0 not running, or a
 * negative errno (err set): no answer in time, or a vnld that does not go.
 */
int vnl_lab_alive(const char *lab, struct vnl_err *err);
/* Does the lab have run or state folders (vnld gone, leftovers possibly)? */
bool vnl_lab_has_folders(const char *lab);
/* The pid recorded in the lab's vnld.pid, or 0. */
int vnl_lab_pid(const char *lab);

/*
 * Make sure the lab's vnld answers: start it when it does not (detached,
 * output appended to /run/vnetlab/LAB/vnld.log; the binary next to vnl,
 * else /usr/local/bin/vnld) and wait up to VNL_START_WAIT seconds. Returns 1
 * when it was started, 0 when it was running. If the new vnld exits before
 * answering, the message ends with the tail of its log.
 */
int vnl_lab_ensure(const char *lab, struct vnl_err *err);

/*
 * Remove a lab whose vnld is not running: runs `vnld --lab LAB --cleanup` in
 * the foreground (its messages on our stderr). It needs no switch, so it
 * works even where vnld could not start.
 */
int vnl_lab_cleanup(const char *lab, struct vnl_err *err);

/*
 * Wait until the lab's vnld is gone: its socket does not answer and its
 * pid file is absent or unlocked. -ETIMEDOUT after timeout_s seconds.
 */
int vnl_lab_wait_gone(const char *lab, int timeout_s, struct vnl_err *err);
