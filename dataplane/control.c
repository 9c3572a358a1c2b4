/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

struct client {
	int fd;
	char *in;          /* bytes received, not yet a full line */
	size_t in_len;
	char *out;         /* replies not yet written */
	size_t out_len, out_cap;
	bool closing;      /* close once out is flushed */
	struct client *next;
};

static int listen_fd = -1, epoll_fd = -1, signal_fd = -1, timer_fd = -1;
static char sock_path[108];
static struct client *clients;

static int mkdir_parents(const char *path)
{
	char buf[sizeof(sock_path)];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

int control_open(const char *path, struct dp_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return dp_errf(err, EINVAL, "socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	r = mkdir_parents(path);
	if (r < 0)
		return dp_errf(err, r, "cannot create the folder of '%s': %s", path, strerror(-r));

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dp_errf(err, errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return dp_errf(err, EADDRINUSE, "another vnl-switchd serves '%s'", path);
	}
	if (errno == ECONNREFUSED) {
		/* Left by a switch that crashed. */
		LOG(WARNING, ctl, "removing stale socket %s", path);
		unlink(path);
	}
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = dp_errf(err, errno, "cannot listen on '%s': %s", path, strerror(errno));
		close(fd);
		return r;
	}
	chmod(path, 0600);
	listen_fd = fd;
	strcpy(sock_path, path);
	return 0;
}

static int ep_add(int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void client_free(struct client *c)
{
	struct client **pp;

	for (pp = &clients; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Write what we can; wait for EPOLLOUT for the rest. false: client gone. */
static bool client_flush(struct client *c)
{
	struct epoll_event ev = { .data.ptr = c };

	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->out_len == 0 && c->closing)
		return false;
	ev.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0);
	epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
	return true;
}

static void client_reply(struct client *c, struct json_object *reply)
{
	const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);

	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *out = realloc(c->out, cap);

		if (out == NULL) {
			c->closing = true;
			json_object_put(reply);
			return;
		}
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	json_object_put(reply);
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* false: client gone. */
static bool client_read(struct client *c)
{
	char buf[16384];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t start = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false; /* a partial line at EOF has nobody to answer */
	if (n < 0)
		return true;
	if (c->closing)
		return client_flush(c);
	{
		char *in = realloc(c->in, c->in_len + (size_t)n + 1);

		if (in == NULL)
			return false;
		c->in = in;
	}
	memcpy(c->in + c->in_len, buf, (size_t)n);
	c->in_len += (size_t)n;
	for (size_t i = 0; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		if (i - start > CONTROL_LINE_MAX) {
			client_reply(c, error_reply("request line longer than 65536 bytes"));
			c->closing = true;
			break;
		}
		c->in[i] = '\0';
		if (i > start)
			client_reply(c, commands_handle(c->in + start, i - start));
		start = i + 1;
	}
	if (!c->closing && c->in_len - start > CONTROL_LINE_MAX) {
		client_reply(c, error_reply("request line longer than 65536 bytes"));
		c->closing = true;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return client_flush(c);
}

static void client_accept(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct client *c;

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	if (ep_add(fd, EPOLLIN, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = clients;
	clients = c;
}

int control_run(void)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	static char listen_tag, signal_tag, timer_tag;
	sigset_t mask;

	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (signal_fd < 0 || timer_fd < 0 || timerfd_settime(timer_fd, 0, &its, NULL) < 0 ||
	    ep_add(listen_fd, EPOLLIN, &listen_tag) < 0 || ep_add(signal_fd, EPOLLIN, &signal_tag) < 0 ||
	    ep_add(timer_fd, EPOLLIN, &timer_tag) < 0)
		return -errno;

	for (;;) {
		struct epoll_event ev[32];
		int n = epoll_wait(epoll_fd, ev, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;

			if (tag == &listen_tag) {
				client_accept();
			} else if (tag == &signal_tag) {
				struct signalfd_siginfo si;

				if (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
					LOG(NOTICE, ctl, "signal %u received, stopping", si.ssi_signo);
					return 0;
				}
			} else if (tag == &timer_tag) {
				uint64_t ticks;

				if (read(timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
					commands_tick();
			} else {
				struct client *c = tag;
				bool alive = true;

				if (ev[i].events & EPOLLOUT)
					alive = client_flush(c);
				if (alive && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					alive = client_read(c);
				if (!alive)
					client_free(c);
			}
		}
	}
}

void control_close(void)
{
	while (clients != NULL)
		client_free(clients);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
	if (signal_fd >= 0)
		close(signal_fd);
	if (timer_fd >= 0)
		close(timer_fd);
	if (epoll_fd >= 0)
		close(epoll_fd);
	signal_fd = timer_fd = epoll_fd = -1;
}
