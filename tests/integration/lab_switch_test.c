/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: vnld's switch supervisor (daemon/lab_switch.c) against the
 * real vnl-switchd: start and wait until ready, requests and refusals with
 * the switch's own message, restart after kill -9 (on_down then on_ready
 * again, new pid), adoption of a running switch by pid and start time (and
 * refusal of a wrong start time), clean stop with the socket gone; only
 * the listener's own pid is talked to (SO_PEERCRED), and a supervisor whose
 * switch is gone says -ENOTCONN.
 * Operations: a private switch in a temp folder, the evloop on this thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab_switch.h"
#include "../unit/tap.h"

static int ready, down;
static struct evloop *loop;

static void on_ready(struct lab_switch *s, void *arg)
{
	(void)s, (void)arg;
	ready++;
	if (ready == 2)
		evloop_stop(loop);
}

static void on_down(struct lab_switch *s, void *arg)
{
	(void)s, (void)arg;
	down++;
}

static void give_up(struct ev_watch *w, void *arg)
{
	(void)w, (void)arg;
	evloop_stop(loop);
}

int main(void)
{
	static char *const extra[] = { "--main-core", "0", "--worker-cores", "1", NULL };
	const char *build = getenv("VNL_BUILD_DIR");
	char dir[] = "/tmp/vnl-labsw-XXXXXX";
	struct lab_switch s = { 0 }, a = { 0 };
	struct vnl_err err;
	struct ev_watch *t;
	pid_t first;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (DPDK, hugepages)\n");
		return 77;
	}
	if (build == NULL || mkdtemp(dir) == NULL)
		return 1;
	loop = evloop_new();
	snprintf(s.bin, sizeof(s.bin), "%s/vnl-switchd", build);
	snprintf(s.sock, sizeof(s.sock), "%s/sw.sock", dir);
	snprintf(s.log, sizeof(s.log), "%s/sw.log", dir);
	s.extra_args = extra;
	s.loop = loop;
	s.on_ready = on_ready;
	s.on_down = on_down;

	{
		int r = lab_switch_start(&s, &err);

		ok(r == 0, "switch started%s%s", r ? ": " : "", r ? err.msg : "");
	}
	ok(ready == 1 && s.pid > 0 && s.start_time == proc_start_time(s.pid), "on_ready ran, start time recorded");
	ok(lab_switch_cmd(&s, &err, "lan-add", "name", "blue", NULL) == 0, "request accepted");
	ok(lab_switch_cmd(&s, &err, "lan-add", "name", "blue", NULL) == -EPROTO && strstr(err.msg, "exists") != NULL,
	   "refusal carries the switch's message: %s", err.msg);

	/* Adoption: a second supervisor takes over the running switch. */
	a.loop = loop;
	snprintf(a.sock, sizeof(a.sock), "%s", s.sock);
	ok(lab_switch_adopt(&a, s.pid, s.start_time + 1, &err) == -ESRCH, "wrong start time: not adopted");
	ok(lab_switch_adopt(&a, s.pid, s.start_time, &err) == 0, "adopted by pid and start time");
	ev_del(a.watch); /* hand it back: one watcher is enough */
	close(a.pidfd);

	/* A supervisor of another pid never takes the socket's answers. */
	{
		struct lab_switch o = { .pid = getppid(), .pidfd = -1 };

		snprintf(o.sock, sizeof(o.sock), "%s", s.sock);
		o.start_time = proc_start_time(o.pid);
		ok(lab_switch_cmd(&o, &err, "version", NULL) == -ESTALE, "another pid's socket refused: %s", err.msg);
		o.pid = 0;
		ok(lab_switch_cmd(&o, &err, "version", NULL) == -ENOTCONN, "no switch: -ENOTCONN (%s)", err.msg);
	}

	/* kill -9: on_down, then a new switch after the backoff. */
	first = s.pid;
	kill(first, SIGKILL);
	t = ev_timer_add(loop, 20000, give_up, NULL);
	evloop_run(loop);
	ev_del(t);
	ok(down == 1 && ready == 2, "killed switch: on_down once, restarted and ready again");
	ok(s.pid > 0 && s.pid != first && s.restarts == 1, "new pid %d (was %d)", (int)s.pid, (int)first);
	ok(lab_switch_cmd(&s, &err, "lan-add", "name", "blue", NULL) == 0,
	   "the new switch starts empty (vnld re-pushes its model in on_ready)");

	lab_switch_stop(&s);
	ok(s.pid == 0 && kill(first, 0) < 0, "stopped");
	ok(access(s.sock, F_OK) != 0, "its socket is gone");
	ok(down == 1, "a requested stop is not a crash: no restart");
	unlink(s.log);
	rmdir(dir);
	evloop_free(loop);
	return tap_done();
}
