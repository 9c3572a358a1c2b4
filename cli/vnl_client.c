/* SPDX-License-Identifier: GPL-2.0-only */
/* vnl's connection to vnld and the lab's vnld life cycle (vnl_client.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "spawn.h"
#include "vnl_client.h"
#include "unixsock.h"

#define LINE_LIMIT (64u << 20)   /* a reply line longer than this is refused */

LOG_SUBSYS("client");

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int vnl_conn_open(struct vnl_conn *c, const char *lab, struct vnl_err *err)
{
	int fd;

	*c = (struct vnl_conn){ .fd = -1 };
	fd = unix_connect_lab(lab, "vnld.sock", err);
	if (fd < 0)
		return fd;
	c->fd = fd;
	return 0;
}

void vnl_conn_close(struct vnl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	*c = (struct vnl_conn){ .fd = -1 };
}

int vnl_conn_send(struct vnl_conn *c, struct json_object *req, struct vnl_err *err)
{
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s), done = 0;
	char *line = malloc(len + 1);

	log_debug("-> %s", s);
	if (line == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	memcpy(line, s, len);
	line[len++] = '\n';
	while (done < len) {
		ssize_t n = send(c->fd, line + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(line);
			return vnl_errno(err, e, "sending to vnld");
		}
		done += (size_t)n;
	}
	free(line);
	return 0;
}

/* Take the first complete line out of the buffer, NUL-terminated; NULL if none. */
static char *take_line(struct vnl_conn *c, size_t *used)
{
	char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	*used = (size_t)(nl - c->buf) + 1;
	return c->buf;
}

int vnl_conn_recv(struct vnl_conn *c, int timeout_s, struct json_object **out,
		  struct vnl_err *err)
{
	long long deadline = timeout_s < 0 ? -1 : mono_ms() + timeout_s * 1000LL;
	struct json_tokener *tok;
	size_t used = 0;
	char *line;

	*out = NULL;
	while ((line = take_line(c, &used)) == NULL) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		long long left = deadline < 0 ? -1 : deadline - mono_ms();
		ssize_t n;
		int r;

		if (deadline >= 0 && left <= 0)
			return vnl_errf(err, -ETIMEDOUT, "vnld did not answer within %d s", timeout_s);
		r = poll(&p, 1, left < 0 ? -1 : (int)(left > 1000000 ? 1000000 : left));
		if (r < 0 && errno != EINTR)
			return vnl_errno(err, errno, "waiting for vnld");
		if (r <= 0)
			continue;
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *b;

			if (cap > LINE_LIMIT)
				return vnl_errf(err, -EPROTO, "vnld's reply is longer than %u bytes", LINE_LIMIT);
			b = realloc(c->buf, cap);
			if (b == NULL)
				return vnl_errf(err, -ENOMEM, "out of memory");
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return vnl_errno(err, errno, "reading from vnld");
		if (n == 0)
			return vnl_errf(err, -ECONNRESET, c->len ? "vnld closed the connection mid-line"
							     : "vnld closed the connection");
		c->len += (size_t)n;
	}
	log_debug("<- %.*s", (int)used - 1, line);
	tok = json_tokener_new();
	*out = tok ? json_tokener_parse_ex(tok, line, (int)used - 1) : NULL;
	if (*out && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(*out);
		*out = NULL;
	}
	json_tokener_free(tok);
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return vnl_errf(err, -EPROTO, "vnld sent a line that is not a JSON object");
	}
	return 0;
}

struct json_object *vnl_req(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

int vnl_call(const char *lab, struct json_object *req, int timeout_s, struct json_object **reply,
	     struct vnl_err *err)
{
	struct vnl_conn c;
	struct json_object *o = NULL, *ok, *e;
	int r;

	*reply = NULL;
	if ((r = vnl_conn_open(&c, lab, err)) < 0)
		return r;
	if ((r = vnl_conn_send(&c, req, err)) == 0)
		r = vnl_conn_recv(&c, timeout_s, &o, err);
	vnl_conn_close(&c);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_string))
			r = vnl_errf(err, -EREMOTEIO, "%s", json_object_get_string(e));
		else
			r = vnl_errf(err, -EPROTO, "vnld refused without saying why");
		json_object_put(o);
		return r;
	}
	*reply = o;
	return 0;
}

bool vnl_lab_running(const char *lab)
{
	struct vnl_conn c;

	/* A listener on the socket is a live vnld, even when it is busy. */
	if (vnl_conn_open(&c, lab, NULL) < 0)
		return false;
	vnl_conn_close(&c);
	return true;
}

bool vnl_lab_has_folders(const char *lab)
{
	char path[PATH_MAX];
	struct stat st;

	vnl_lab_dir(path, sizeof(path), VNL_RUN_ROOT, lab);
	if (stat(path, &st) == 0)
		return true;
	vnl_lab_dir(path, sizeof(path), VNL_STATE_ROOT, lab);
	return stat(path, &st) == 0;
}

int vnl_lab_pid(const char *lab)
{
	char path[PATH_MAX], buf[32] = "";
	ssize_t n;
	int fd;

	vnl_path(path, sizeof(path), VNL_RUN_ROOT, lab, "vnld.pid");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : 0;
}


/* The last line of the log: the reason a vnld that exits at start gives
 * last (common/log.h lines; an error message has room for one). */
static void log_tail(const char *path, char *out, size_t len)
{
	char buf[1024], *last = NULL;
	ssize_t rd;
	off_t size;
	size_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	got = size > 0 ? (size_t)size : 0;
	got = got > sizeof(buf) - 1 ? sizeof(buf) - 1 : got;
	rd = pread(fd, buf, got, size - (off_t)got);
	got = rd > 0 ? (size_t)rd : 0;
	close(fd);
	buf[got] = '\0';
	for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
		last = p;
	if (last)
		snprintf(out, len, "%s", last);
}

/* vnld --lab LAB detached, its output appended to the log; our child (so
 * that vnl_lab_ensure() sees it exit). */
static pid_t spawn_vnld(const char *lab, const char *log, struct vnl_err *err)
{
	char bin[PATH_MAX], dir[PATH_MAX];
	struct spawn_opts o = { .path = bin, .log = log, .log_mode = 0644, .in_fd = -1, .keep_fd = -1 };
	char *argv[] = { "vnld", "--lab", (char *)lab, NULL };
	int r;

	vnl_lab_dir(dir, sizeof(dir), VNL_RUN_ROOT, lab);
	if ((r = mkdir_p(dir, 0755)) < 0)
		return vnl_errno(err, r, "cannot create %s", dir);
	exe_sibling("vnld", bin, sizeof(bin));
	return spawn_detached(argv, &o, err);
}

int vnl_lab_cleanup(const char *lab, struct vnl_err *err)
{
	char bin[PATH_MAX];
	int st;
	pid_t pid;

	exe_sibling("vnld", bin, sizeof(bin));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return vnl_errno(err, errno, "fork");
	if (pid == 0) {
		execl(bin, "vnld", "--lab", lab, "--cleanup", (char *)NULL);
		dprintf(2, "vnl: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vnl_errno(err, errno, "waiting for vnld --cleanup");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return vnl_errf(err, -EIO, "cleaning lab '%s' failed (vnld --cleanup said why above)", lab);
	return 0;
}

int vnl_lab_alive(const char *lab, struct vnl_err *err)
{
	struct json_object *req, *reply = NULL;
	int r;

	if (!vnl_lab_running(lab))
		return 0;
	/* A listener is not yet a live vnld: one killed a moment ago keeps
	 * its socket (and takes connections) until the kernel has closed its
	 * files. A live vnld answers `version` even mid-transaction; a dying
	 * one resets the connection, and is waited for until it is gone. */
	req = vnl_req("version");
	r = vnl_call(lab, req, VNL_START_WAIT, &reply, err);
	json_object_put(req);
	json_object_put(reply);
	if (r == 0)
		return 1;
	if (r != -ECONNRESET && r != -EPIPE && r != -ENOTCONN)
		return r;
	r = vnl_lab_wait_gone(lab, VNL_STOP_WAIT, err);
	return r < 0 ? r : 0;
}

int vnl_lab_ensure(const char *lab, struct vnl_err *err)
{
	char log[PATH_MAX], tail[512];
	long long deadline;
	struct json_object *req, *reply;
	int r, st;
	pid_t pid;

	r = vnl_lab_alive(lab, err);
	if (r != 0)
		return r < 0 ? r : 0;
	vnl_path(log, sizeof(log), VNL_RUN_ROOT, lab, "vnld.log");
	pid = spawn_vnld(lab, log, err);
	if (pid < 0)
		return pid;
	deadline = mono_ms() + VNL_START_WAIT * 1000LL;
	req = vnl_req("version");
	for (;;) {
		long long left = deadline - mono_ms();

		r = vnl_call(lab, req, left > 1000 ? (int)(left / 1000) : 1, &reply, err);
		if (r == 0) {
			json_object_put(reply);
			json_object_put(req);
			return 1;
		}
		if (r != -ENOTCONN)
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			/* Another vnl may have started the lab meanwhile: ours gave way. */
			if (vnl_lab_running(lab)) {
				json_object_put(req);
				return 0;
			}
			log_tail(log, tail, sizeof(tail));
			json_object_put(req);
			return vnl_errf(err, -ECHILD, "vnld for lab '%s' exited (%s %d) before answering%s%s",
					lab, WIFEXITED(st) ? "status" : "signal",
					WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), tail[0] ? ": " : "", tail);
		}
		if (mono_ms() >= deadline) {
			r = vnl_errf(err, -ETIMEDOUT, "vnld for lab '%s' did not answer within %d s (see %s)",
				     lab, VNL_START_WAIT, log);
			break;
		}
		sleep_ms(100);
	}
	json_object_put(req);
	return r;
}

/* Is the pid file gone or no longer locked by a vnld? */
static bool pidfile_released(const char *lab)
{
	char path[PATH_MAX];
	bool free_;
	int fd;

	vnl_path(path, sizeof(path), VNL_RUN_ROOT, lab, "vnld.pid");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	free_ = flock(fd, LOCK_SH | LOCK_NB) == 0;
	close(fd);
	return free_;
}

int vnl_lab_wait_gone(const char *lab, int timeout_s, struct vnl_err *err)
{
	long long deadline = mono_ms() + timeout_s * 1000LL;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			; /* a vnld this vnl started exits as our child */
		if (!vnl_lab_running(lab) && pidfile_released(lab))
			return 0;
		if (mono_ms() >= deadline)
			return vnl_errf(err, -ETIMEDOUT, "vnld of lab '%s' still runs after %d s", lab,
					timeout_s);
		sleep_ms(100);
	}
}
