/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The switch's control loop: the JSON-lines server of common/jsonl.c on an
 * evloop, a signalfd for SIGTERM/SIGINT, and a once-a-second tick for MAC
 * aging. Requests go to commands_handle().
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "capture.h"
#include "control.h"
#include "evloop.h"
#include "fsutil.h"
#include "jsonl.h"
#include "dp_log.h"

static struct evloop *loop;
static struct jsonl_server *srv;
static int signal_fd = -1;

static struct json_object *on_request(struct jsonl_conn *c, const char *line, size_t len, void *arg)
{
	(void)arg;
	return commands_handle(c, line, len);
}

struct evloop *control_loop(void)
{
	return loop;
}

int control_open(const char *path, struct vnl_err *err)
{
	char dir[108];
	int r;

	if (strlen(path) >= sizeof(dir))
		return vnl_errf(err, -EINVAL, "socket path '%s' is too long", path);
	strcpy(dir, path);
	r = mkdir_p(dirname(dir), 0755);
	if (r < 0)
		return vnl_errno(err, r, "cannot create the folder of '%s'", path);
	loop = evloop_new();
	if (loop == NULL)
		return vnl_errno(err, errno, "cannot create the event loop");
	/* A stale socket left by a crashed switch is replaced; a live one is not. */
	srv = jsonl_listen(loop, path, 0600, on_request, NULL);
	if (srv == NULL) {
		r = errno == EADDRINUSE ? vnl_errf(err, -EADDRINUSE, "another vnl-switchd serves '%s'", path)
					: vnl_errno(err, errno, "cannot listen on '%s'", path);
		evloop_free(loop);
		loop = NULL;
		return r;
	}
	capture_init(loop);
	return 0;
}

static void on_signal(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)w, (void)events, (void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		LOG(NOTICE, ctl, "signal %u received, stopping", si.ssi_signo);
		evloop_stop(loop);
	}
}

static void on_tick(struct ev_watch *w, void *arg)
{
	(void)w, (void)arg;
	commands_tick();
}

int control_run(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0 || ev_fd_add(loop, signal_fd, EPOLLIN, on_signal, NULL) == NULL ||
	    ev_timer_add(loop, 1000, on_tick, NULL) == NULL)
		return -errno;
	return evloop_run(loop);
}

void control_close(void)
{
	jsonl_close(srv);
	srv = NULL;
	evloop_free(loop);
	loop = NULL;
	if (signal_fd >= 0)
		close(signal_fd);
	signal_fd = -1;
}
