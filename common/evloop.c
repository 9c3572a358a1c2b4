/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "evloop.h"

struct ev_watch {
	struct evloop *loop;
	int fd;
	bool timer;          /* fd is our timerfd: close it on delete */
	bool dead;           /* deleted; freed after the current dispatch */
	ev_fd_cb fd_cb;
	ev_timer_cb timer_cb;
	void *arg;
	struct ev_watch *next;
};

struct evloop {
	int epfd;
	bool stop;
	struct ev_watch *watches; /* all live and dead-not-yet-freed watches */
	unsigned dispatching;     /* >0 while callbacks run: frees are deferred */
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
	if (!w->loop->dispatching)
		reap(w->loop);
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

int evloop_run(struct evloop *l)
{
	l->stop = false;
	while (!l->stop) {
		struct epoll_event ev[64];
		int n = epoll_wait(l->epfd, ev, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		l->dispatching++;
		for (int i = 0; i < n; i++) {
			struct ev_watch *w = ev[i].data.ptr;

			/* A callback earlier in this batch may have deleted it. */
			if (w->dead)
				continue;
			if (w->timer) {
				uint64_t ticks;

				if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
					w->timer_cb(w, w->arg);
			} else {
				w->fd_cb(w, w->fd, ev[i].events, w->arg);
			}
		}
		l->dispatching--;
		reap(l);
	}
	return 0;
}
