/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal QMP client (vm_qmp.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unixsock.h"
#include "vm_qmp.h"

static int send_line(struct qmp *q, const char *line)
{
	size_t len = strlen(line);

	/* Commands are short and rare: the socket buffer always takes them. */
	if (send(q->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		return -errno ?: -EIO;
	return 0;
}

static void on_line(struct qmp *q, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *v, *d;

	if (o == NULL)
		return;
	if (json_object_object_get_ex(o, "QMP", &v)) {
		/* The greeting: leave negotiation mode so events flow. */
		q->ready = send_line(q, "{\"execute\":\"qmp_capabilities\"}\n") == 0;
	} else if (json_object_object_get_ex(o, "event", &v) && q->event) {
		const char *detail = NULL;

		if (json_object_object_get_ex(o, "data", &d))
			detail = json_object_to_json_string(d);
		q->event(json_object_get_string(v), detail, q->arg);
	} else if (json_object_object_get_ex(o, "error", &v) && q->event) {
		q->event("error", json_object_to_json_string(v), q->arg);
	}
	json_object_put(o);
}

static void on_read(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct qmp *q = arg;
	ssize_t n;
	char *nl;

	(void)w, (void)events;
	n = read(fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		qmp_close(q);
		if (q->closed)
			q->closed(q->arg);
		return;
	}
	q->len += (size_t)n;
	q->buf[q->len] = '\0';
	while ((nl = strchr(q->buf, '\n')) != NULL) {
		*nl = '\0';
		on_line(q, q->buf);
		if (q->fd < 0)
			return; /* a callback closed us */
		q->len -= (size_t)(nl + 1 - q->buf);
		memmove(q->buf, nl + 1, q->len + 1);
	}
	if (q->len == sizeof(q->buf) - 1)
		q->len = 0; /* an absurd line: drop it */
}

int qmp_connect(struct qmp *q, struct evloop *loop, const char *path)
{
	int fd = unix_connect(path, SOCK_NONBLOCK), r;

	if (fd < 0)
		return fd;
	q->fd = fd;
	q->len = 0;
	q->ready = false;
	q->w = ev_fd_add(loop, fd, EPOLLIN, on_read, q);
	if (q->w == NULL) {
		r = -errno;
		close(fd);
		q->fd = -1;
		return r;
	}
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd < 0)
		return;
	ev_del(q->w);
	q->w = NULL;
	close(q->fd);
	q->fd = -1;
	q->ready = false;
}

int qmp_execute(struct qmp *q, const char *cmd, const char *args)
{
	char line[512];

	if (q->fd < 0 || !q->ready)
		return -ENOTCONN;
	if (args)
		snprintf(line, sizeof(line), "{\"execute\":\"%s\",\"arguments\":%s}\n", cmd, args);
	else
		snprintf(line, sizeof(line), "{\"execute\":\"%s\"}\n", cmd);
	return send_line(q, line);
}
