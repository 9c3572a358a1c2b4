/* SPDX-License-Identifier: GPL-2.0-only */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "jsonl_client.h"
#include "lab_switch.h"
#include "log.h"
#include "logcap.h"
#include "spawn.h"
#include "wait.h"

LOG_SUBSYS("switch");

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define BUSY_RETRY_MS 100

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool lab_switch_down(const struct lab_switch *s)
{
	struct pollfd p = { .fd = s->pidfd, .events = POLLIN };

	if (s->pid <= 0)
		return true;
	if (s->pidfd >= 0)
		return poll(&p, 1, 0) > 0;
	return proc_start_time(s->pid) != s->start_time;
}

/* lab_switch_call without the down checks (start-up polls through it):
 * one request (with fd when >= 0) and its reply line, each within ms, only
 * to pid (the listener's credentials, taken at its listen()). */
static int call_json(struct lab_switch *s, struct json_object *req, int fd, int ms, struct json_object **reply,
		     struct vnl_err *err)
{
	struct ucred peer = { 0 };
	socklen_t plen = sizeof(peer);
	struct json_object *o = NULL;
	struct jsonl_client c;
	char name[160];
	int r;

	if (reply != NULL)
		*reply = NULL;
	snprintf(name, sizeof(name), "vnl-switchd at %s", s->sock);
	r = jsonl_client_open(&c, s->sock, name, ms, err);
	if (r == 0 && (getsockopt(c.fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen) < 0 || peer.pid != s->pid))
		r = vnl_errf(err, -ESTALE, "pid %d serves %s, not vnl-switchd pid %d", (int)peer.pid, s->sock,
			     (int)s->pid);
	if (r == 0 && fd >= 0)
		r = jsonl_client_call_fd(&c, req, fd, ms, &o, err);
	else if (r == 0)
		r = jsonl_client_call(&c, req, ms, &o, err);
	jsonl_client_close(&c);
	if (reply != NULL)
		*reply = o;
	else
		json_object_put(o);
	return r;
}

#define DOWN_MSG "vnl-switchd is not running (vnld restarts it)"
#define DYING_MS 300

int lab_switch_call(struct lab_switch *s, struct json_object *req, struct json_object **reply,
		    struct vnl_err *err)
{
	return lab_switch_call_fd(s, req, -1, reply, err);
}

static int call_up(struct lab_switch *s, struct json_object *req, int fd, int ms, struct json_object **reply,
		   struct vnl_err *err)
{
	int r;

	if (reply != NULL)
		*reply = NULL;
	if (lab_switch_down(s))
		return vnl_errf(err, -ENOTCONN, DOWN_MSG);
	r = call_json(s, req, fd, ms, reply, err);
	if (r != -ECONNREFUSED && r != -ENOENT)
		return r;
	/* A running switch always accepts: its socket went with it, and the
	 * kernel tells its exit a moment later (multi-threaded exit). */
	for (long long t0 = mono_ms(); mono_ms() - t0 < DYING_MS && !lab_switch_down(s);)
		wait_ms(10);
	if (lab_switch_down(s))
		r = vnl_errf(err, -ENOTCONN, DOWN_MSG);
	return r;
}

int lab_switch_call_fd(struct lab_switch *s, struct json_object *req, int fd, struct json_object **reply,
		       struct vnl_err *err)
{
	return call_up(s, req, fd, LAB_SWITCH_TIMEOUT_MS, reply, err);
}

int lab_switch_call_ms(struct lab_switch *s, struct json_object *req, int ms, struct json_object **reply,
		       struct vnl_err *err)
{
	return call_up(s, req, -1, ms, reply, err);
}

int lab_switch_cmd(struct lab_switch *s, struct vnl_err *err, const char *cmd, ...)
{
	struct json_object *req = json_object_new_object();
	const char *k;
	va_list ap;
	int r;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	va_start(ap, cmd);
	while ((k = va_arg(ap, const char *)) != NULL)
		json_object_object_add(req, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	r = lab_switch_call(s, req, NULL, err);
	json_object_put(req);
	return r;
}

static void schedule_restart(struct lab_switch *s);

static void on_exit_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct lab_switch *s = arg;
	siginfo_t si = { 0 };

	(void)fd, (void)events;
	ev_del(w);
	s->watch = NULL;
	/* Reap it if it is our child (an adopted switch is not). */
	waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG);
	close(s->pidfd);
	s->pidfd = -1;
	s->pid = 0;
	if (s->stopping)
		return;
	/* A switch that ran for a minute was healthy: restart it quickly. */
	if (mono_ms() - s->started_ms > 60000)
		s->backoff_ms = BACKOFF_MIN_MS;
	if (s->on_down != NULL)
		s->on_down(s, s->arg);
	schedule_restart(s);
}

static int watch_pid(struct lab_switch *s)
{
	if (s->pidfd < 0)
		s->pidfd = pidfd_open(s->pid);
	if (s->pidfd < 0)
		return -errno;
	s->watch = ev_fd_add(s->loop, s->pidfd, EPOLLIN, on_exit_cb, s);
	if (s->watch == NULL) {
		close(s->pidfd);
		s->pidfd = -1;
		return -errno;
	}
	return 0;
}

/* The log's last writer is gone (stopped if it lingers). */
static void log_wait(struct lab_switch *s)
{
	if (logcap_wait(s->log, s->log_recorded ? &s->logw : NULL, LOGCAP_WAIT_MS) == -ETIMEDOUT)
		log_warning("the vnl-logcap of %s was still running %d ms after its switch ended%s", s->log,
			    LOGCAP_WAIT_MS, s->log_recorded ? ": stopped" : "");
	s->log_recorded = true;
}

static int spawn(struct lab_switch *s, struct vnl_err *err)
{
	struct spawn_opts o = { .path = s->bin, .log_fd = -1, .in_fd = -1, .keep_fd = -1 };
	char *argv[64];
	int n = 0;
	pid_t pid;

	/* One writer per log: the last switch's vnl-logcap ends once it has
	 * written the rest of that switch's messages. */
	log_wait(s);
	o.log_fd = logcap_spawn(s->log, &s->logw);
	if (o.log_fd < 0)
		return vnl_errno(err, o.log_fd, "starting vnl-logcap for %s", s->log);
	/* The switch never waits on its log: with its writer stalled and the
	 * pipe's 64 KiB full, a line is lost (EAGAIN) rather than the control
	 * thread stopped, which would wedge every command. */
	(void)fcntl(o.log_fd, F_SETFL, O_NONBLOCK);

	argv[n++] = s->bin;
	argv[n++] = "--socket";
	argv[n++] = s->sock;
	for (int i = 0; s->extra_args != NULL && s->extra_args[i] != NULL && n < 62; i++)
		argv[n++] = s->extra_args[i];
	argv[n] = NULL;
	/* Our child (reaped through its pidfd), started without waiting. */
	pid = spawn_detached(argv, &o, err);
	close(o.log_fd);
	if (pid < 0)
		return vnl_err_wrap(err, "starting vnl-switchd"), pid;
	s->pid = pid;
	s->start_time = proc_start_time(pid);
	s->pidfd = wait_pidfd(pid);
	return 0;
}

/* Wait until it answers 'version' as the socket's listener, or it dies,
 * or the start time is up. It may be our child or an adopted one. */
static int wait_ready(struct lab_switch *s, struct vnl_err *err)
{
	long long deadline = mono_ms() + LAB_SWITCH_START_MS;
	struct json_object *req = json_object_new_object();
	struct vnl_err last = { 0, "" };
	int r = -ETIMEDOUT;

	json_object_object_add(req, "cmd", json_object_new_string("version"));
	while (mono_ms() < deadline) {
		struct pollfd p = { .fd = s->pidfd, .events = POLLIN };
		int status;

		if (s->pidfd >= 0 && poll(&p, 1, 0) > 0) {
			pid_t pid = s->pid;

			s->pid = 0;
			if (waitpid(pid, &status, WNOHANG) == pid)
				r = vnl_errf(err, -ECHILD, "vnl-switchd exited during start-up (status %d)%s%s; see %s",
					     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					     last.msg[0] ? ": " : "", last.msg, s->log);
			else
				r = vnl_errf(err, -ECHILD, "vnl-switchd pid %d exited during start-up", (int)pid);
			break;
		}
		if (call_json(s, req, -1, LAB_SWITCH_TIMEOUT_MS, NULL, &last) == 0) {
			r = 0;
			break;
		}
		/* 50 ms, or less if it dies meanwhile. */
		if (s->pidfd >= 0)
			wait_fd(s->pidfd, POLLIN, 50);
		else
			wait_ms(50);
	}
	json_object_put(req);
	if (r == -ETIMEDOUT)
		vnl_errf(err, r, "vnl-switchd did not answer within %d s%s%s; see %s", LAB_SWITCH_START_MS / 1000,
			 last.msg[0] ? ": " : "", last.msg, s->log);
	return r;
}

/* TERM, up to 10 s, KILL, of pid (start time `start`, 0: any); reaps it
 * when it is our child. pidfd: of pid, or -1 (opened here and closed). */
static void stop_pid(pid_t pid, unsigned long long start, int pidfd)
{
	int fd = pidfd;

	if (pid <= 0)
		return;
	if (fd < 0 && (start == 0 || proc_start_time(pid) == start))
		fd = wait_pidfd(pid);
	if (fd < 0) { /* gone already */
		waitpid(pid, NULL, WNOHANG);
		return;
	}
	kill(pid, SIGTERM);
	if (wait_fd(fd, POLLIN, 10000) == 0) {
		kill(pid, SIGKILL);
		wait_fd(fd, POLLIN, -1);
	}
	waitpid(pid, NULL, WNOHANG);
	if (fd != pidfd)
		close(fd);
}

/* Leaves s->pidfd as it found it. */
static void kill_wait(struct lab_switch *s)
{
	stop_pid(s->pid, s->start_time, s->pidfd);
	s->pid = 0;
}

/* The command line of /proc/PID names a vnl-switchd with --socket sock. */
static bool serves_sock(const char *pid, const char *sock)
{
	char path[64], args[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%.20s/cmdline", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	args[n] = '\0';
	/* argv[0] ends in vnl-switchd; then "--socket" SOCK anywhere after. */
	if (n == 0 || strstr(args, "vnl-switchd") == NULL)
		return false;
	for (char *a = args + strlen(args) + 1; a < args + n; a += strlen(a) + 1)
		if (!strcmp(a, "--socket") && a + strlen(a) + 1 < args + n && !strcmp(a + strlen(a) + 1, sock))
			return true;
	return false;
}

unsigned lab_switch_find(const char *sock, pid_t *pids, unsigned max)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	unsigned n = 0;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || !serves_sock(de->d_name, sock))
			continue;
		if (proc_start_time((pid_t)atoi(de->d_name)) == 0) /* a zombie */
			continue;
		if (n < max)
			pids[n] = (pid_t)atoi(de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

unsigned lab_switch_stop_strays(struct lab_switch *s)
{
	unsigned stopped = 0;

	/* Until a look finds none but ours (bounded: 16 per look, 8 looks). */
	for (int round = 0; round < 8; round++) {
		pid_t pids[16];
		unsigned n = lab_switch_find(s->sock, pids, 16), did = 0;

		for (unsigned i = 0; i < n && i < 16; i++) {
			char name[24];
			int fd;

			if (pids[i] == s->pid || (fd = wait_pidfd(pids[i])) < 0)
				continue;
			/* Still that process (the pidfd pins it): not a reused pid. */
			snprintf(name, sizeof(name), "%d", (int)pids[i]);
			if (serves_sock(name, s->sock)) {
				stop_pid(pids[i], 0, fd);
				did++;
			}
			close(fd);
		}
		stopped += did;
		if (did == 0)
			break;
	}
	return stopped;
}

/* Kill the switch we started (if any) and drop its pidfd: a failed start. */
static void kill_forget(struct lab_switch *s)
{
	kill_wait(s);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
}

/* Fork, record, wait until it answers. */
static int start_once(struct lab_switch *s, struct vnl_err *err)
{
	int r = spawn(s, err);

	if (r == 0 && s->on_spawn != NULL)
		s->on_spawn(s, s->arg);
	if (r == 0)
		r = wait_ready(s, err);
	if (r < 0)
		kill_forget(s);
	return r;
}

int lab_switch_start(struct lab_switch *s, struct vnl_err *err)
{
	int r;

	s->stopping = false;
	s->pidfd = -1;
	s->pid = 0;
	if (s->backoff_ms == 0)
		s->backoff_ms = BACKOFF_MIN_MS;
	/* One switch per socket: ours only (a previous vnld's may still run,
	 * or exec only now: one that took the socket from ours is stopped and
	 * ours started once more). */
	lab_switch_stop_strays(s);
	r = start_once(s, err);
	if (r == -ECHILD && lab_switch_stop_strays(s) > 0)
		r = start_once(s, err);
	if (r == 0 && (r = watch_pid(s)) < 0)
		vnl_errno(err, -r, "cannot watch vnl-switchd");
	if (r < 0) {
		kill_forget(s);
		return r;
	}
	s->started_ms = mono_ms();
	if (s->on_ready != NULL)
		s->on_ready(s, s->arg);
	return 0;
}

int lab_switch_adopt(struct lab_switch *s, pid_t pid, unsigned long long start_time, struct vnl_err *err)
{
	char name[24];
	int r;

	s->stopping = false;
	s->pidfd = -1;
	s->pid = 0;
	snprintf(name, sizeof(name), "%d", (int)pid);
	if (pid <= 0 || proc_start_time(pid) != start_time || start_time == 0)
		return vnl_errf(err, -ESRCH, "the recorded vnl-switchd (pid %d) is gone", (int)pid);
	if (!serves_sock(name, s->sock))
		return vnl_errf(err, -ESRCH, "pid %d is not a vnl-switchd of %s", (int)pid, s->sock);
	s->pid = pid;
	s->start_time = start_time;
	s->log_recorded = false; /* its vnl-logcap is found by its command line */
	s->pidfd = wait_pidfd(pid);
	r = wait_ready(s, err);
	if (r == 0 && (r = watch_pid(s)) < 0)
		vnl_errno(err, -r, "cannot watch vnl-switchd");
	if (r < 0) {
		s->pid = 0;
		if (s->pidfd >= 0)
			close(s->pidfd);
		s->pidfd = -1;
	}
	return r;
}

static void retry_cb(struct ev_watch *w, void *arg)
{
	struct lab_switch *s = arg;
	struct vnl_err err;

	ev_del(w);
	s->retry = NULL;
	if (s->stopping)
		return;
	if (s->tx_begin != NULL && !s->tx_begin(s->arg)) {
		/* A lab transaction runs: it ends soon, then we go. */
		s->retry = ev_timer_add(s->loop, BUSY_RETRY_MS, retry_cb, s);
		return;
	}
	s->restarts++;
	if (lab_switch_start(s, &err) < 0) {
		s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
		schedule_restart(s);
	}
	if (s->tx_end != NULL)
		s->tx_end(s->arg);
}

static void schedule_restart(struct lab_switch *s)
{
	if (s->retry == NULL)
		s->retry = ev_timer_add(s->loop, s->backoff_ms, retry_cb, s);
}

void lab_switch_stop(struct lab_switch *s)
{
	s->stopping = true;
	ev_del(s->retry);
	s->retry = NULL;
	ev_del(s->watch);
	s->watch = NULL;
	kill_wait(s);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	lab_switch_stop_strays(s);
	/* Nothing of the lab runs on: the log's writer ends with the switch. */
	if (s->log[0])
		log_wait(s);
}
