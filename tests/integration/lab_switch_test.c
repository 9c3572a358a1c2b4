/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: vnld's switch supervisor (daemon/lab_switch.c) against the
 * real vnl-switchd: start and wait until ready, requests and refusals with
 * the switch's own message, restart after kill -9 (on_down then on_ready
 * again, new pid), adoption of a running switch by pid and start time (and
 * refusal of a wrong start time), clean stop with the socket gone; only
 * the listener's own pid is talked to (SO_PEERCRED), and a supervisor whose
 * switch is gone says -ENOTCONN. The switch's log is capped (logcap.h):
 * its stdout and stderr are the pipe of a vnl-logcap; 400 LAN adds and
 * dels (a line each) under VNL_LOG_MAX=8192 leave sw.log within the cap
 * and sw.log.1 within it too, the newest line in sw.log; the restarted
 * switch logs into the same capped file through a new vnl-logcap, and the
 * last one ends with the stop; the writer's pid is recorded, and one still
 * running at the stop's deadline (a stray holds its pipe) is stopped.
 * Operations: a private switch in a temp folder, the evloop on this thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "lab_switch.h"
#include "logcap.h"
#include "wait.h"
#include "../unit/tap.h"

#define CAP 8192 /* VNL_LOG_MAX of this test's vnl-logcap */

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

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* True when fd of pid is the same pipe as fd2 of pid2. */
static bool same_pipe(pid_t pid, int fd, pid_t pid2, int fd2)
{
	char a[64], b[64], la[64] = "", lb[64] = "";

	snprintf(a, sizeof(a), "/proc/%d/fd/%d", (int)pid, fd);
	snprintf(b, sizeof(b), "/proc/%d/fd/%d", (int)pid2, fd2);
	if (readlink(a, la, sizeof(la) - 1) < 0 || readlink(b, lb, sizeof(lb) - 1) < 0)
		return false;
	return !strncmp(la, "pipe:", 5) && !strcmp(la, lb);
}

/* The process of pidfd has ended (a zombie counts). */
static bool ended(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* Wait up to 3 s until path has text (vnl-logcap writes a moment later). */
static bool log_has(const char *path, const char *text)
{
	static char buf[CAP + 1];

	for (int i = 0; i < 150; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0 && (buf[n] = '\0', strstr(buf, text) != NULL))
			return true;
		wait_ms(20);
	}
	return false;
}

/* 400 LAN adds and dels, a log line each: the log and the one before it
 * stay within the cap (sampled after every request), the newest line kept. */
static void flood_log(struct lab_switch *s)
{
	char log1[PATH_MAX + 4], name[16];
	long peak = 0, peak1 = 0, n;
	int fails = 0;

	snprintf(log1, sizeof(log1), "%s.1", s->log);
	for (int i = 0; i < 400; i++) {
		struct vnl_err err;

		snprintf(name, sizeof(name), "lc%d", i);
		fails += lab_switch_cmd(s, &err, "lan-add", "name", name, NULL) < 0;
		fails += lab_switch_cmd(s, &err, "lan-del", "name", name, NULL) < 0;
		if ((n = size_of(s->log)) > peak)
			peak = n;
		if ((n = size_of(log1)) > peak1)
			peak1 = n;
	}
	{
		struct vnl_err err;

		fails += lab_switch_cmd(s, &err, "lan-add", "name", "lclast", NULL) < 0;
	}
	ok(fails == 0, "800 LAN adds and dels accepted (%d failed)", fails);
	ok(log_has(s->log, "LAN lclast added"), "the newest line is in the log");
	n = size_of(s->log);
	peak = n > peak ? n : peak;
	n = size_of(log1);
	peak1 = n > peak1 ? n : peak1;
	ok(peak <= CAP && peak1 > 0 && peak1 <= CAP,
	   "~45 KB of log lines: sw.log stayed within %d (peak %ld), sw.log.1 holds the part before (peak %ld)", CAP,
	   peak, peak1);
	{
		struct stat a, b;

		ok(stat(s->log, &a) == 0 && stat(log1, &b) == 0 && (a.st_mode & 07777) == 0600 &&
		   (b.st_mode & 07777) == 0600, "sw.log and sw.log.1 are 0600, as every log (README \"Logs\")");
	}
}

int main(void)
{
	static char *const extra[] = { "--main-core", "0", "--worker-cores", "1", NULL };
	const char *build = getenv("VNL_BUILD_DIR");
	char dir[] = "/tmp/vnl-labsw-XXXXXX";
	struct lab_switch s = { 0 }, a = { 0 };
	struct vnl_err err;
	struct ev_watch *t;
	pid_t first, lc;
	int lcfd, stray;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (DPDK, hugepages)\n");
		return 77;
	}
	if (build == NULL || mkdtemp(dir) == NULL)
		return 1;
	setenv("VNL_LOG_MAX", "8192", 1); /* CAP, for the vnl-logcap of the switch's log */
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
	ok(lab_switch_cmd(&s, &err, "lan-add", "name", "blue", NULL) == -EREMOTEIO && strstr(err.msg, "exists") != NULL,
	   "refusal carries the switch's message: %s", err.msg);

	/* The log: a vnl-logcap reads the switch's stdout and stderr. */
	lc = logcap_writer(s.log);
	lcfd = lc > 0 ? wait_pidfd(lc) : -1;
	ok(lc > 0 && same_pipe(s.pid, 1, lc, 0) && same_pipe(s.pid, 2, lc, 0),
	   "the switch's stdout and stderr are the pipe of the vnl-logcap writing its log (pid %d)", (int)lc);
	ok(s.log_recorded && s.logw.pid == lc && s.logw.start == proc_start_time(lc),
	   "its pid and start time are recorded");
	ok(log_has(s.log, "LAN blue added"), "its messages reach the log");
	flood_log(&s);

	/* Adoption: a second supervisor takes over the running switch. */
	a.loop = loop;
	snprintf(a.sock, sizeof(a.sock), "%s", s.sock);
	ok(lab_switch_adopt(&a, s.pid, s.start_time + 1, &err) == -ESRCH, "wrong start time: not adopted");
	ok(lab_switch_adopt(&a, s.pid, s.start_time, &err) == 0 && !a.log_recorded,
	   "adopted by pid and start time (its log's writer unknown: looked for at its stop)");
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
	{
		pid_t lc2 = logcap_writer(s.log);

		ok(lc2 > 0 && lc2 != lc && ended(lcfd) && same_pipe(s.pid, 2, lc2, 0),
		   "the restarted switch has a new vnl-logcap (pid %d, the first one %d ended)", (int)lc2, (int)lc);
		lab_switch_cmd(&s, &err, "lan-add", "name", "lcafter", NULL);
		ok(log_has(s.log, "LAN lcafter added") && size_of(s.log) <= CAP,
		   "... writing the same capped file (%ld bytes)", size_of(s.log));
		if (lcfd >= 0)
			close(lcfd);
		lcfd = lc2 > 0 ? wait_pidfd(lc2) : -1;
	}

	/* A stray holding the log's pipe keeps the writer running past the
	 * switch: the stop stops it (one writer per log). */
	{
		char fd2[64];
		long long t0;

		snprintf(fd2, sizeof(fd2), "/proc/%d/fd/2", (int)s.pid);
		stray = open(fd2, O_WRONLY | O_CLOEXEC);
		t0 = mono_ms();
		lab_switch_stop(&s);
		t0 = mono_ms() - t0;
		ok(stray >= 0 && t0 >= LOGCAP_WAIT_MS, "with the pipe held, the stop waited %lld ms for the writer", t0);
	}
	ok(s.pid == 0 && kill(first, 0) < 0, "stopped");
	ok(access(s.sock, F_OK) != 0, "its socket is gone");
	ok(down == 1, "a requested stop is not a crash: no restart");
	ok(ended(lcfd) && s.logw.pid == 0 && logcap_writer(s.log) == 0,
	   "the log's vnl-logcap, still running at the deadline, was stopped");
	if (stray >= 0)
		close(stray);
	if (lcfd >= 0)
		close(lcfd);
	unlink(s.log);
	{
		char f[PATH_MAX + 8];

		snprintf(f, sizeof(f), "%s.1", s.log);
		unlink(f);
	}
	ok(rmdir(dir) == 0, "nothing else left in %s", dir);
	evloop_free(loop);
	return tap_done();
}
