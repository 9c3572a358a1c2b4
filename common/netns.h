/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named network namespaces, compatible with iproute2.
 *
 * A named namespace is a file /run/netns/NAME with the namespace's nsfs
 * inode bind-mounted on it, exactly what `ip netns add NAME` makes: `ip netns
 * list`, `ip netns exec NAME ...` and `ip -n NAME ...` see ours and we see
 * theirs.  The bind mount keeps the namespace alive without any process in
 * it; netns_delete() removes the mount and the file, and the kernel frees the
 * namespace (and destroys the veth pairs with an end in it) once the last fd
 * or process referring to it is gone.
 *
 * Names: 1..NETNS_NAME_MAX characters from [A-Za-z0-9_.-], not "." or "..";
 * anything else is -EINVAL.  (iproute2 is laxer; we refuse what could escape
 * /run/netns or confuse a shell.)
 *
 * Errors: 0 or a negative errno, with a message in `err` (see err.h).
 * Needs CAP_SYS_ADMIN (mount, unshare, setns); without it the calls fail with
 * -EPERM and say which step needed it.
 *
 * Thread-safety: none of these functions changes the namespace of the
 * calling thread (namespace switches happen in a short-lived thread or in a
 * forked child).  They keep no state, so they may be called from several
 * threads at once, but creating and deleting the same name concurrently is
 * the caller's race to avoid.
 */
#pragma once

#include "err.h"

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_NAME_MAX 64

/* 0 if `name` is a valid namespace name, else -EINVAL with the rule in err. */
int netns_name_check(const char *name, struct vnl_err *err);

/*
 * Create the named namespace NAME.  Steps, any of which may fail:
 * mkdir -p /run/netns; make /run/netns a shared mount (bind-mounting it onto
 * itself first if it is not a mount point yet), so that namespaces created
 * later propagate to mount namespaces that copied it, as iproute2 does;
 * create /run/netns/NAME exclusively (-EEXIST if the name is taken); in a
 * short-lived thread, unshare(CLONE_NEWNET) and bind-mount that thread's
 * /proc/thread-self/ns/net onto the file.  On failure nothing is left behind.
 * The new namespace has only `lo`, down, as with `ip netns add`.
 */
int netns_create(const char *name, struct vnl_err *err);

/*
 * Remove the named namespace: umount2(MNT_DETACH) then unlink.  Idempotent:
 * a missing name is success.  Processes still inside and open fds keep the
 * namespace itself alive; only its name goes.
 */
int netns_delete(const char *name, struct vnl_err *err);

/* 1 if /run/netns/NAME exists and holds a namespace (an nsfs mount), else 0. */
int netns_exists(const char *name);

/*
 * Open the named namespace: returns an O_RDONLY|O_CLOEXEC fd (>= 0) the
 * caller closes, usable with setns() and as the `netns_fd` argument of nl.h,
 * or a negative errno (-ENOENT: no such namespace).
 */
int netns_open(const char *name, struct vnl_err *err);

/*
 * Create a socket inside the namespace `netns_fd` (-1: the caller's own):
 * the socket stays bound to that namespace for its whole life (interface
 * names, ioctls, netlink requests all act there).  Returns the fd (with
 * SOCK_CLOEXEC) or a negative errno.  Uses a short-lived thread, so the
 * calling thread never changes namespace.
 */
int netns_socket(int netns_fd, int domain, int type, int protocol, struct vnl_err *err);

/* The same for open(path, flags | O_CLOEXEC): e.g. /dev/net/tun, whose
 * TUNSETIFF names a tap in the namespace the fd was opened in. */
int netns_open_path(int netns_fd, const char *path, int flags, struct vnl_err *err);

/*
 * Run fn(arg) on a short-lived thread that has entered the namespace
 * `netns_fd` (setns), wait for it, and return what fn returned; with
 * netns_fd < 0, call fn(arg) directly on the calling thread.  Everything fn
 * creates there (sockets, AF_XDP sockets, netlink requests, ioctls by
 * interface name) belongs to that namespace; the calling thread never
 * changes namespace.  fn shares the process (memory, fds, locks), unlike
 * netns_run()'s child, and must not keep the thread: it returns when done.
 * A failure to start the thread or enter the namespace returns its negative
 * errno with a message in err; fn's own failures are returned as fn gave
 * them and err is left alone (fn reports through its arg).  netns_socket()
 * and netns_open_path() are netns_call() of a socket() or an open().
 */
int netns_call(int netns_fd, int (*fn)(void *arg), void *arg, struct vnl_err *err);

/*
 * Run fn(arg) in a forked child that has entered the namespace `name`
 * (setns) and return what the child returned, as an exit status (0..255);
 * or a negative errno if the namespace cannot be opened, the fork fails, or
 * the child could not enter the namespace (-errno of setns, message in err)
 * or was killed by a signal (-EINTR, message names the signal).
 * `what` names fn in messages ("'ip link show'").
 *
 * The wait is bounded: the child runs in a process group of its own, and
 * when it has not exited after timeout_ms (<= 0: NETNS_RUN_MS) the whole
 * group is killed (SIGKILL: fn and what it started, unless they left the
 * group) and reaped, and -ETIMEDOUT returns with a message naming `what`
 * and the timeout.  The wait goes through wait.h: in a daemon its loop
 * keeps running meanwhile (when no pidfd can be had, EMFILE, the child is
 * polled instead); after the kill, for NETNS_REAP_MS too, and only a child
 * still not dead then (asleep in the kernel) is waited for blocking.  (Its own group is not a terminal's foreground
 * group: fn must not read the terminal, and ^C does not reach it.)
 * The child shares nothing with the parent but copies of memory and fds;
 * only the network namespace changes (no private /sys remount like `ip netns
 * exec`), so fn should use netlink or sockets, not /sys/class/net.
 * fn runs in a child forked from a possibly multi-threaded process: it should
 * only do what is safe after fork (no locks held elsewhere, no malloc if
 * other threads may have held its lock; exec is fine).
 */
#define NETNS_RUN_MS 10000
#define NETNS_REAP_MS 1000
int netns_run(const char *name, const char *what, int (*fn)(void *arg), void *arg, int timeout_ms,
	      struct vnl_err *err);

/*
 * Move the CALLING THREAD into `netns_fd` and return an fd of the namespace
 * it left (>= 0) for netns_leave(), or a negative errno (thread unchanged).
 * For code that must run many steps inside a namespace in a dedicated
 * thread or child; prefer netns_socket()/netns_run() elsewhere.
 */
int netns_enter(int netns_fd, struct vnl_err *err);

/*
 * Return the calling thread to `saved` (from netns_enter()) and close it.
 * Fails only if setns() fails, which leaves the thread in the wrong
 * namespace: the caller must then stop using this thread for anything
 * namespace-dependent.
 */
int netns_leave(int saved, struct vnl_err *err);
