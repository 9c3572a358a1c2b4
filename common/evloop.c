/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"

struct ev_watch {
	struct evloop *loop;
	int fd;
	bool timer;          /* fd is our timerfd: close it on delete */
	bool dead;           /* deleted; freed after the outermost dispatch */
	bool running;        /* its callback is on the stack: never re-entered */
	bool muted;          /* seen ready while running: out of the epoll set until it returns */
	uint32_t events;     /* what the owner wants (restored after a mute) */
	ev_fd_cb fd_cb;
	ev_timer_cb timer_cb;
	void *arg;
	struct ev_watch *next;
};

struct evloop {
	int epfd;
	bool stop;
	struct ev_watch *watches; /* all live and dead-not-yet-freed watches */
	unsigned dispatching;     /* >0 while callbacks run (nested waits add one): frees are deferred */
};

struct evloop *evloop_new(void)
{
	struct evloop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void watch_free(struct ev_watch *w)
{
	if (w->timer)
		close(w->fd);
	free(w);
}

static void reap(struct evloop *l)
{
	struct ev_watch **pp = &l->watches;

	while (*pp != NULL) {
		struct ev_watch *w = *pp;

		if (w->dead) {
			*pp = w->next;
			watch_free(w);
		} else {
			pp = &w->next;
		}
	}
}

void evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	for (struct ev_watch *w = l->watches; w != NULL; w = w->next)
		w->dead = true;
	reap(l);
	close(l->epfd);
	free(l);
}

static struct ev_watch *watch_new(struct evloop *l, int fd, uint32_t events, void *arg)
{
	struct ev_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w == NULL)
		return NULL;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return NULL;
	}
	w->loop = l;
	w->fd = fd;
	w->events = events;
	w->arg = arg;
	w->next = l->watches;
	l->watches = w;
	return w;
}

struct ev_watch *ev_fd_add(struct evloop *l, int fd, uint32_t events, ev_fd_cb cb, void *arg)
{
	struct ev_watch *w = watch_new(l, fd, events, arg);

	if (w != NULL)
		w->fd_cb = cb;
	return w;
}

int ev_fd_mod(struct ev_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->events = events;
	if (w->muted)
		return 0; /* applied when its callback returns */
	return epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

struct ev_watch *ev_timer_add(struct evloop *l, unsigned period_ms, ev_timer_cb cb, void *arg)
{
	struct itimerspec its = {
		.it_interval = { period_ms / 1000, (long)(period_ms % 1000) * 1000000 },
		.it_value = { period_ms / 1000, (long)(period_ms % 1000) * 1000000 },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct ev_watch *w;

	if (fd < 0)
		return NULL;
	if (period_ms == 0 || timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    (w = watch_new(l, fd, EPOLLIN, arg)) == NULL) {
		int e = period_ms == 0 ? EINVAL : errno;

		close(fd);
		errno = e;
		return NULL;
	}
	w->timer = true;
	w->timer_cb = cb;
	return w;
}

void ev_del(struct ev_watch *w)
{
	if (w == NULL || w->dead)
		return;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->muted = false; /* (a muted fd is out of the set already: DEL fails, harmless) */
	if (!w->loop->dispatching)
		reap(w->loop);
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

/* Run w's callback unless it is already running further up the stack. */
static void dispatch_one(struct ev_watch *w, uint32_t events)
{
	/* A callback earlier in this batch (or a nested wait) may have deleted it. */
	if (w->dead)
		return;
	if (w->timer) {
		uint64_t ticks;

		/* A tick that comes while its callback runs is consumed and lost. */
		if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks) && !w->running) {
			w->running = true;
			w->timer_cb(w, w->arg);
			w->running = false;
		}
		return;
	}
	if (w->running) {
		/* Level-triggered: take it out of the set, or a nested wait would
		 * spin on it (0 events would still report EPOLLHUP). */
		if (!w->muted && epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL) == 0)
			w->muted = true;
		return;
	}
	w->running = true;
	w->fd_cb(w, w->fd, events, w->arg);
	w->running = false;
	if (w->muted && !w->dead) {
		struct epoll_event ev = { .events = w->events, .data.ptr = w };

		epoll_ctl(w->loop->epfd, EPOLL_CTL_ADD, w->fd, &ev);
	}
	w->muted = false;
}

void ev_fd_call(struct ev_watch *w, uint32_t events)
{
	w->loop->dispatching++;
	if (!w->running)
		dispatch_one(w, events);
	w->loop->dispatching--;
	if (!w->loop->dispatching)
		reap(w->loop);
}

/* One epoll_wait (timeout_ms, -1: forever) and its callbacks. */
static int run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(l->epfd, ev, 64, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->dispatching++;
	for (int i = 0; i < n; i++)
		dispatch_one(ev[i].data.ptr, ev[i].events);
	l->dispatching--;
	if (!l->dispatching)
		reap(l);
	return n;
}

int evloop_run(struct evloop *l)
{
	l->stop = false;
	while (!l->stop) {
		int r = run_once(l, -1);

		if (r < 0)
			return r;
	}
	return 0;
}

static void ready_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events;
	*(bool *)arg = true;
	ev_fd_mod(w, 0); /* once is enough: do not spin until the wait returns */
}

int evloop_run_until(struct evloop *l, int fd, uint32_t events, long long deadline_ms)
{
	struct ev_watch *w = NULL;
	bool ready = false;
	int r = 0;

	if (fd >= 0) {
		w = ev_fd_add(l, fd, events, ready_cb, &ready);
		if (w == NULL) {
			/* Already watched by someone (EEXIST): fall back to a plain poll. */
			struct pollfd p = { .fd = fd, .events = (short)events };
			long long left = deadline_ms < 0 ? -1 : deadline_ms - mono_ms();

			r = poll(&p, 1, left < 0 ? -1 : left > 1000000 ? 1000000 : (int)left);
			return r < 0 ? -errno : r;
		}
	}
	/* Counted as dispatching: watches deleted meanwhile stay allocated for
	 * the callbacks below us on the stack. */
	l->dispatching++;
	while (!ready) {
		long long left = deadline_ms < 0 ? -1 : deadline_ms - mono_ms();

		if (deadline_ms >= 0 && left <= 0)
			break;
		r = run_once(l, left < 0 ? -1 : left > 1000000 ? 1000000 : (int)left);
		if (r < 0)
			break;
	}
	ev_del(w);
	l->dispatching--;
	if (!l->dispatching)
		reap(l);
	return r < 0 ? r : ready ? 1 : 0;
}
