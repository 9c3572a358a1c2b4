/* SPDX-License-Identifier: GPL-2.0-only */
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lab_switch.h"
#include "wait.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define BUSY_RETRY_MS 100

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL) {
		/* After "pid (comm)": field 3 is the state; start time is field 22. */
		p += 2;
		if (*p == 'Z' || *p == 'X') { /* exited, not reaped yet (adopted: not our child) */
			fclose(f);
			return 0;
		}
		for (int field = 3; field < 22 && p != NULL; field++) {
			p = strchr(p, ' ');
			if (p != NULL)
				p++;
		}
		if (p != NULL)
			t = strtoull(p, NULL, 10);
	}
	fclose(f);
	return t;
}

/* One request, one reply line, bounded in time. */
static int call_raw(const char *sock, const char *line, char **out, struct vnl_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = mono_ms() + LAB_SWITCH_TIMEOUT_MS;
	size_t len = 0, cap = 4096, sent = 0, total = strlen(line);
	char *buf = NULL;
	int fd, r;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return vnl_errf(err, -ENAMETOOLONG, "switch socket path '%s' too long", sock);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vnl_errno(err, errno, "socket");
	/* Non-blocking: a hung switch's full backlog gives EAGAIN, and the
	 * time counts against the same deadline. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN && mono_ms() < deadline) {
			wait_ms(10);
			continue;
		}
		r = errno == EAGAIN ? vnl_errf(err, -ETIMEDOUT, "vnl-switchd at %s did not accept within %d ms", sock,
					       LAB_SWITCH_TIMEOUT_MS)
				    : vnl_errno(err, errno, "cannot reach vnl-switchd at %s", sock);
		close(fd);
		return r;
	}
	while (sent < total || len == 0 || buf[len - 1] != '\n') {
		long long left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0 || wait_fd(fd, sent < total ? POLLOUT : POLLIN, (int)left) == 0) {
			r = vnl_errf(err, -ETIMEDOUT, "vnl-switchd at %s did not answer within %d ms", sock,
				     LAB_SWITCH_TIMEOUT_MS);
			goto out;
		}
		if (sent < total) {
			n = send(fd, line + sent, total - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				r = vnl_errno(err, errno, "sending to vnl-switchd");
				goto out;
			}
			sent += n > 0 ? (size_t)n : 0;
			continue;
		}
		if (buf == NULL || len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (nb == NULL) {
				r = vnl_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			r = vnl_errf(err, -ECONNRESET, "vnl-switchd closed the connection without answering");
			goto out;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int lab_switch_call(struct lab_switch *s, struct json_object *req, struct json_object **reply,
		    struct vnl_err *err)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_object *o, *v;
	char *line, *raw = NULL;
	int r;

	if (reply != NULL)
		*reply = NULL;
	if (asprintf(&line, "%s\n", text) < 0)
		return vnl_errf(err, -ENOMEM, "out of memory");
	r = call_raw(s->sock, line, &raw, err);
	free(line);
	if (r < 0)
		return r;
	o = json_tokener_parse(raw);
	free(raw);
	if (o == NULL || !json_object_object_get_ex(o, "ok", &v))
		r = vnl_errf(err, -EPROTO, "vnl-switchd sent a reply that is not JSON");
	else if (!json_object_get_boolean(v))
		r = vnl_errf(err, -EPROTO, "%s",
			     json_object_object_get_ex(o, "error", &v) ? json_object_get_string(v) : "refused");
	if (reply != NULL && r == 0)
		*reply = o;
	else
		json_object_put(o);
	return r;
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

static int spawn(struct lab_switch *s, struct vnl_err *err)
{
	char *argv[64];
	int n = 0, fd;
	pid_t pid;

	argv[n++] = s->bin;
	argv[n++] = "--socket";
	argv[n++] = s->sock;
	for (int i = 0; s->extra_args != NULL && s->extra_args[i] != NULL && n < 62; i++)
		argv[n++] = s->extra_args[i];
	argv[n] = NULL;
	fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return vnl_errno(err, errno, "cannot open the switch log %s", s->log);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return vnl_errno(err, errno, "fork");
	}
	if (pid == 0) {
		sigset_t none;

		/* vnld blocks signals for its signalfd: the switch needs them back. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execv(s->bin, argv);
		dprintf(2, "vnld: cannot run %s: %s\n", s->bin, strerror(errno));
		_exit(127);
	}
	close(fd);
	s->pid = pid;
	s->start_time = proc_start_time(pid);
	s->pidfd = wait_pidfd(pid);
	return 0;
}

/* Wait until it answers 'version', or it dies, or the start time is up. */
static int wait_ready(struct lab_switch *s, struct vnl_err *err)
{
	long long deadline = mono_ms() + LAB_SWITCH_START_MS;
	struct json_object *req = json_object_new_object();
	int r = -ETIMEDOUT;

	json_object_object_add(req, "cmd", json_object_new_string("version"));
	while (mono_ms() < deadline) {
		int status;

		if (s->pidfd >= 0 && wait_fd(s->pidfd, POLLIN, 0) > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			r = vnl_errf(err, -ECHILD, "vnl-switchd exited during start-up (status %d); see %s",
				     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), s->log);
			break;
		}
		if (lab_switch_call(s, req, NULL, NULL) == 0) {
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
		vnl_errf(err, r, "vnl-switchd did not answer within %d s; see %s", LAB_SWITCH_START_MS / 1000, s->log);
	return r;
}

/* TERM, up to 10 s, KILL; reaps it when it is our child (an adopted one
 * is not). Leaves s->pidfd as it found it. */
static void kill_wait(struct lab_switch *s)
{
	int pidfd = s->pidfd;

	if (s->pid <= 0)
		return;
	if (pidfd < 0 && proc_start_time(s->pid) == s->start_time)
		pidfd = wait_pidfd(s->pid);
	if (pidfd < 0) { /* gone already */
		waitpid(s->pid, NULL, WNOHANG);
		s->pid = 0;
		return;
	}
	kill(s->pid, SIGTERM);
	if (wait_fd(pidfd, POLLIN, 10000) == 0) {
		kill(s->pid, SIGKILL);
		wait_fd(pidfd, POLLIN, -1);
	}
	waitpid(s->pid, NULL, WNOHANG);
	if (pidfd != s->pidfd)
		close(pidfd);
	s->pid = 0;
}

int lab_switch_start(struct lab_switch *s, struct vnl_err *err)
{
	int r;

	s->stopping = false;
	s->pidfd = -1;
	if (s->backoff_ms == 0)
		s->backoff_ms = BACKOFF_MIN_MS;
	r = spawn(s, err);
	if (r == 0)
		r = wait_ready(s, err);
	if (r == 0 && (r = watch_pid(s)) < 0)
		vnl_errno(err, -r, "cannot watch vnl-switchd");
	if (r < 0) {
		kill_wait(s);
		if (s->pidfd >= 0)
			close(s->pidfd);
		s->pidfd = -1;
		return r;
	}
	s->started_ms = mono_ms();
	if (s->on_ready != NULL)
		s->on_ready(s, s->arg);
	return 0;
}

int lab_switch_adopt(struct lab_switch *s, pid_t pid, unsigned long long start_time, struct vnl_err *err)
{
	struct json_object *req;
	int r;

	s->stopping = false;
	s->pidfd = -1;
	if (pid <= 0 || proc_start_time(pid) != start_time || start_time == 0)
		return vnl_errf(err, -ESRCH, "the recorded vnl-switchd (pid %d) is gone", (int)pid);
	s->pid = pid;
	s->start_time = start_time;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("version"));
	r = lab_switch_call(s, req, NULL, err);
	json_object_put(req);
	if (r == 0 && (r = watch_pid(s)) < 0)
		vnl_errno(err, -r, "cannot watch vnl-switchd");
	if (r < 0)
		s->pid = 0;
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
}
