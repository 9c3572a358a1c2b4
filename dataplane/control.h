/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a unix stream socket served by the main lcore on
 * common/evloop + common/jsonl. Clients send JSON lines; each line is handed
 * to commands_handle() and its reply written back, in order. A
 * once-a-second timer runs MAC aging. SIGTERM and SIGINT end the loop.
 */
#pragma once

#include <json-c/json.h>

#include "dp.h"

/* Listen on path (mode 0600), replacing a stale socket left by a crash.
 * 0 or -errno with err filled. */
int control_open(const char *path, struct vnl_err *err);
/* Serve until SIGTERM/SIGINT. 0, or -errno on an internal failure. */
int control_run(void);
/* Close every client and the socket, remove its file, and free the loop
 * (every watch still on it with it). Last of the shutdown (main.c): the
 * captures (capture_fini) and the ports (reg_fini) end before, as they
 * take their watches off the loop. */
void control_close(void);

struct evloop;

/* The control thread's event loop, from control_open() to control_close()
 * (NULL outside): modules of the control side watch their fds there
 * (neigh.c's netlink event sockets). Control thread only. */
struct evloop *control_loop(void);

struct jsonl_conn;

/* commands.c: answer one request line that came on connection c (NULL: not
 * from a socket, the fuzz target). Never NULL. */
struct json_object *commands_handle(struct jsonl_conn *c, const char *line, size_t len);
/* commands.c: periodic work (MAC aging). */
void commands_tick(void);
