/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unix stream sockets by path, the one way every control-plane program
 * connects to and listens on its sockets (vnld's, the switch's, qemu's).
 * Errors: the fd (>= 0) or a negative errno; -ENAMETOOLONG for a path that
 * does not fit sun_path.  Thread-safety: no shared state.
 */
#pragma once

#include <sys/types.h>
#include <sys/un.h>

/* The longest socket path plus its NUL (sun_path): buffers for paths. */
#define UNIX_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/* Connect to path; flags: SOCK_NONBLOCK or 0 (SOCK_CLOEXEC always). */
int unix_connect(const char *path, int flags);

/*
 * Listen on path (non-blocking, close-on-exec), the socket file given
 * `mode`.  A socket file that no one serves (a process died) is replaced;
 * one that a live server answers on is -EADDRINUSE.
 */
int unix_listen(const char *path, mode_t mode);

struct vnl_err;

/*
 * Connect to the socket `name` (vnld.sock, agent.sock) of lab `lab`'s vnld
 * in /run/vnetlab/LAB (blocking).  -ENOTCONN "lab 'x' is not running (...)"
 * when no vnld serves it, -ENAMETOOLONG, or another errno naming the path.
 */
int unix_connect_lab(const char *lab, const char *name, struct vnl_err *err);
