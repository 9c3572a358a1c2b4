/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: nested dispatch (evloop_run_until) and the wait.h hook keep the
 * loop's promises: other watches run during a wait; a callback is never
 * re-entered (fd watch or timer), even when its fd stays ready or hangs up,
 * and that costs no CPU spin; it gets its events back afterwards; a watch
 * deleted during a nested wait is freed only after the outermost dispatch;
 * wait_fd / wait_pid / wait_ms work with poll() and through the hook.
 * Operations: pipes, socketpairs, a timerfd and a forked child in one
 * process; CPU time from getrusage.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"
#include "tap.h"
#include "wait.h"

static struct evloop *loop;
static int depth, max_depth, calls, other_calls, timer_calls, timer_depth, timer_max_depth;
static struct ev_watch *victim;

static long cpu_ms(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000 + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000;
}

static int hook(int fd, short events, long long deadline, void *arg)
{
	(void)arg;
	return evloop_run_until(loop, fd, events, deadline);
}

/* Stays readable (never drained); waits 300 ms in a nested loop the
 * first time, removes itself the second. */
static void sticky_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events, (void)arg;
	calls++;
	if (calls > 1)
		ev_del(w);
	if (++depth > max_depth)
		max_depth = depth;
	if (calls == 1) {
		ev_del(victim); /* freed later: the outer dispatch still holds it */
		wait_ms(300);
	}
	depth--;
}

static void other_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	char c;

	(void)w, (void)events, (void)arg;
	if (read(fd, &c, 1) == 1)
		other_calls++;
}

static void victim_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	(void)w, (void)fd, (void)events, (void)arg;
}

static void timer_cb(struct ev_watch *w, void *arg)
{
	(void)arg;
	timer_calls++;
	if (++timer_depth > timer_max_depth)
		timer_max_depth = timer_depth;
	if (timer_calls == 1)
		wait_ms(200); /* four periods pass while it waits */
	timer_depth--;
	if (timer_calls == 3)
		ev_del(w);
}

static void stop_cb(struct ev_watch *w, void *arg)
{
	(void)arg;
	ev_del(w);
	evloop_stop(loop);
}

int main(void)
{
	int sticky[2], other[2], vic[2], hup[2], r;
	long long t0;
	long c0;
	pid_t pid;

	/* poll() default */
	ok(pipe(other) == 0 && write(other[1], "x", 1) == 1, "a pipe");
	ok(wait_fd(other[0], POLLIN, 100) > 0, "wait_fd (poll): ready");
	ok(wait_fd(other[1], POLLIN, 50) == 0, "wait_fd (poll): times out");
	t0 = mono_ms();
	wait_ms(100);
	ok(mono_ms() - t0 >= 100, "wait_ms (poll) waits");
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(5);
	}
	ok(wait_pid(pid, 20) == -ETIMEDOUT, "wait_pid: still running");
	ok(wait_pid(pid, 2000) == 0 && waitpid(pid, &r, WNOHANG) == pid && WEXITSTATUS(r) == 5,
	   "wait_pid: exited, reaped at once after");
	ok(wait_pid(pid, 100) == 0, "wait_pid of a gone pid: 0");
	{
		char c;

		ok(read(other[0], &c, 1) == 1, "drained");
	}

	/* through a loop */
	loop = evloop_new();
	wait_set_hook(hook, NULL);
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sticky) == 0 && write(sticky[1], "s", 1) == 1, "a sticky fd");
	ok(pipe(vic) == 0 && write(vic[1], "v", 1) == 1, "a victim fd");
	ev_fd_add(loop, sticky[0], EPOLLIN, sticky_cb, NULL);
	victim = ev_fd_add(loop, vic[0], EPOLLIN, victim_cb, NULL);
	ev_fd_add(loop, other[0], EPOLLIN, other_cb, NULL);
	ev_timer_add(loop, 50, timer_cb, NULL);
	ev_timer_add(loop, 700, stop_cb, NULL);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			usleep(40000);
			if (write(other[1], "o", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	c0 = cpu_ms();
	ok(evloop_run(loop) == 0, "loop ran");
	c0 = cpu_ms() - c0;
	waitpid(pid, NULL, 0);
	ok(max_depth == 1, "the sticky callback never re-entered (depth %d)", max_depth);
	ok(calls == 2, "and it got its events back after its wait (%d calls)", calls);
	ok(other_calls == 5, "another watch ran during the wait (%d of 5)", other_calls);
	ok(timer_max_depth == 1 && timer_calls == 3, "a timer is not re-entered by its own ticks (%d calls)", timer_calls);
	ok(c0 < 150, "no spin on the ready fd during the wait: %ld ms of CPU in 700 ms", c0);

	/* A hang-up while its callback waits: muted, no spin. */
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, hup) == 0 && write(hup[1], "h", 1) == 1, "a fd that will hang up");
	calls = 0, depth = 0, max_depth = 0;
	ev_fd_add(loop, hup[0], EPOLLIN, sticky_cb, NULL);
	victim = NULL;
	close(hup[1]);
	ev_timer_add(loop, 400, stop_cb, NULL);
	c0 = cpu_ms();
	evloop_run(loop);
	c0 = cpu_ms() - c0;
	ok(max_depth == 1 && calls == 2 && c0 < 150, "a hang-up during the wait: not re-entered, %ld ms of CPU", c0);

	t0 = mono_ms();
	ok(wait_fd(-1, 0, 100) == 0 && mono_ms() - t0 >= 100, "wait_fd(-1) through the loop waits the time");
	ok(write(other[1], "z", 1) == 1 && wait_fd(vic[0], POLLIN, 100) > 0,
	   "wait_fd through the loop: ready (the deleted victim's fd)");
	wait_set_hook(NULL, NULL);
	evloop_free(loop);
	return tap_done();
}
