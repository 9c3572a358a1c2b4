/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small callback event loop over epoll, for single-threaded daemons (vnld):
 * file descriptors with a callback each, and periodic timers. Modelled on the
 * habit of redis' ae.c: the loop is tiny, the work is in callbacks.
 *
 * Thread-safety: none; one loop per thread, every call from that thread.
 * Callbacks may add and remove watches (their own included) and stop the loop.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct evloop;
struct ev_watch;

/* events: EPOLLIN/EPOLLOUT/... as reported by epoll. */
typedef void (*ev_fd_cb)(struct ev_watch *w, int fd, uint32_t events, void *arg);
typedef void (*ev_timer_cb)(struct ev_watch *w, void *arg);

/* NULL and errno set on failure. */
struct evloop *evloop_new(void);
/* Removes every watch (without closing their fds). NULL is fine. */
void evloop_free(struct evloop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT). NULL and errno on failure. */
struct ev_watch *ev_fd_add(struct evloop *l, int fd, uint32_t events, ev_fd_cb cb, void *arg);
/* Change what fd is watched for. 0 or -errno. */
int ev_fd_mod(struct ev_watch *w, uint32_t events);
/* Call cb every period_ms, first after period_ms. NULL and errno on failure. */
struct ev_watch *ev_timer_add(struct evloop *l, unsigned period_ms, ev_timer_cb cb, void *arg);
/* Stop watching; safe inside any callback, also for w itself. NULL is fine. */
void ev_del(struct ev_watch *w);

/* Run until evloop_stop(). 0, or -errno if epoll itself fails. */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);
