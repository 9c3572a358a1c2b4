/* SPDX-License-Identifier: GPL-2.0-only */
/* vnl's connection to vnld and the lab's vnld life cycle (vnl_client.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

LOG_SUBSYS("client");

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* vnl -v shows every line to and from vnld. */
static void trace(bool out, const char *line, size_t len)
{
	log_debug("%s %.*s", out ? "->" : "<-", (int)len, line);
}

int vnl_connect(struct jsonl_client *c, const char *lab, struct vnl_err *err)
{
	int fd = unix_connect_lab(lab, "vnld.sock", err);

	jsonl_client_adopt(c, fd, "vnld");
	c->trace = trace;
	return fd < 0 ? fd : 0;
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
	struct jsonl_client c;
	int r;

	*reply = NULL;
	if ((r = vnl_connect(&c, lab, err)) == 0)
		r = jsonl_client_call(&c, req, timeout_s < 0 ? -1 : timeout_s * 1000, reply, err);
	jsonl_client_close(&c);
	return r;
}

bool vnl_lab_running(const char *lab)
{
	struct jsonl_client c;
	int r = vnl_connect(&c, lab, NULL);

	/* A listener on the socket is a live vnld, even when it is busy. */
	jsonl_client_close(&c);
	return r == 0;
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

/* vnld --lab LAB detached, its output appended to the log (0600, as every
 * log: README "Logs"; vnld's rotation makes the next one 0600 too); our
 * child (so that vnl_lab_ensure() sees it exit). */
static pid_t spawn_vnld(const char *lab, const char *log, struct vnl_err *err)
{
	char bin[PATH_MAX], dir[PATH_MAX];
	struct spawn_opts o = { .path = bin, .log = log, .log_mode = 0600, .in_fd = -1, .keep_fd = -1 };
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
