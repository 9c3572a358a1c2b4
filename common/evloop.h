/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small callback event loop over epoll, for single-threaded daemons (vnld):
 * file descriptors with a callback each, and periodic timers. Modelled on the
 * habit of redis' ae.c: the loop is tiny, the work is in callbacks.
 *
 * Thread-safety: none; one loop per thread, every call from that thread.
 * Callbacks may add and remove watches (their own included) and stop the loop.
 *
 * Nested dispatch: a callback may wait (evloop_run_until, through wait.h)
 * while the loop keeps dispatching other watches. No callback is ever
 * re-entered: a watch seen ready while its own callback is on the stack is
 * muted (taken out of the epoll set, so level-triggered epoll does not spin,
 * not even on EPOLLHUP) and put back when that callback returns; a timer that fires
 * while its callback runs is read and skipped. Watches deleted meanwhile are
 * freed only when the outermost dispatch returns.
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
/* Run fd watch w's callback now, with events, under the same rule as the
 * loop's own dispatch: nothing happens when it is running already (further
 * up the stack). For work that belongs to w but is started elsewhere. */
void ev_fd_call(struct ev_watch *w, uint32_t events);
/* Stop watching; safe inside any callback, also for w itself. NULL is fine. */
void ev_del(struct ev_watch *w);

/* Run until evloop_stop(). 0, or -errno if epoll itself fails. */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);

/*
 * Dispatch other watches until fd is ready for events (EPOLLIN/EPOLLOUT) or
 * deadline_ms (CLOCK_MONOTONIC ms, < 0: none) passes; fd < 0 waits for the
 * time only. May be called from inside a callback (that is its purpose);
 * evloop_stop() does not end it. > 0 ready, 0 at the deadline, -errno. fd
 * must not be watched already (it then falls back to a blocking poll).
 */
int evloop_run_until(struct evloop *l, int fd, uint32_t events, long long deadline_ms);
