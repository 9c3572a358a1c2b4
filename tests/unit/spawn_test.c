/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: spawn_detached() (common/spawn.h) starts a real program the
 * way vnl starts vnld and vnld starts the switch: our child or an orphan,
 * in a new session, stdin /dev/null (or the fd given), stdout and stderr
 * appended to the log, fd 3 handed on when asked, no other fd of ours
 * inherited, default signals; errors (log, exec) as documented.  Also
 * common/paths.h's vnl_path and vnl_lab_dir.
 * Operations: /bin/sh scripts that describe their own process into the
 * log; files in a mkdtemp folder, removed at the end. TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"
#include "spawn.h"
#include "tap.h"

static char dir[64], logf[128];

static char *slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Wait (up to 5 s) until the log holds `mark`. */
static int log_has(const char *mark)
{
	for (int i = 0; i < 500; i++) {
		if (strstr(slurp(logf), mark))
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(void)
{
	struct vnl_err err;
	char script[1024], fdpath[64], buf[64], line[64];
	int leak, p[2], st = 0, fd;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/tmp/vnl-spawn-test.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	snprintf(logf, sizeof(logf), "%s/prog.log", dir);
	fd = open(logf, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0 && write(fd, "before\n", 7) == 7)
		close(fd);

	/* Our child: what it sees of itself. */
	leak = open("/dev/null", O_RDONLY);  /* not close-on-exec: must not reach the program */
	snprintf(script, sizeof(script),
		 "echo out; echo err >&2; read x && echo read:$x || echo stdin-empty;"
		 "echo stdin:$(readlink /proc/self/fd/0);"
		 "[ -e /proc/self/fd/%d ] && echo leaked || echo no-leak;"
		 "set -- $(cut -d' ' -f6 /proc/$$/stat); [ \"$1\" = $$ ] && echo own-session;"
		 "echo done; exit 7", leak);
	{
		char *argv[] = { "sh", "-c", script, NULL };
		struct spawn_opts o = { .log = logf, .log_mode = 0600, .in_fd = -1, .keep_fd = -1 };

		pid = spawn_detached(argv, &o, &err);
	}
	ok(pid > 0, "child: a pid (%d) %s", (int)pid, pid < 0 ? err.msg : "");
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	   "child: ours to reap, with its exit status 7 (0x%x)", st);
	const char *l = slurp(logf);
	ok(strncmp(l, "before\nout\nerr\n", 15) == 0, "the log is appended to, stdout and stderr both");
	ok(strstr(l, "stdin-empty") && strstr(l, "stdin:/dev/null"), "stdin is /dev/null");
	ok(strstr(l, "no-leak") != NULL, "an fd of ours without close-on-exec is not inherited");
	ok(strstr(l, "own-session") != NULL, "a new session (setsid)");
	close(leak);

	/* vnld blocks signals for its signalfd: the program must not inherit
	 * that (a shell may reset its mask: grep reads its own). */
	{
		char *argv[] = { "grep", "SigBlk", "/proc/self/status", NULL };
		struct spawn_opts o = { .log = logf, .log_mode = 0600, .in_fd = -1, .keep_fd = -1 };
		sigset_t blk;

		sigemptyset(&blk);
		sigaddset(&blk, SIGTERM);
		sigprocmask(SIG_BLOCK, &blk, NULL);
		pid = spawn_detached(argv, &o, &err);
		sigprocmask(SIG_UNBLOCK, &blk, NULL);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && log_has("SigBlk:\t0000000000000000\n"),
		   "no signal blocked, even when the caller blocks SIGTERM");
	}

	/* Orphan, stdin from a pipe, fd 3 handed on. */
	if (pipe(p) < 0)
		return 1;
	if (write(p[1], "hello\n", 6) != 6)
		return 1;
	close(p[1]);
	snprintf(script, sizeof(script), "read x; echo orphan-read:$x; echo via-fd3 >&3; echo orphan-ppid:$PPID");
	{
		char *argv[] = { "sh", "-c", script, NULL };
		int q[2];

		if (pipe(q) < 0)
			return 1;
		struct spawn_opts o = { .log = logf, .log_mode = 0600, .in_fd = p[0], .keep_fd = q[1], .orphan = true };
		pid = spawn_detached(argv, &o, &err);
		close(q[1]);
		close(p[0]);
		ok(pid > 0, "orphan: a pid (%d)", (int)pid);
		ok(waitpid(pid, &st, WNOHANG) < 0 && errno == ECHILD, "orphan: not our child");
		ssize_t n = read(q[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		ok(strcmp(buf, "via-fd3\n") == 0, "orphan: keep_fd is its fd 3 ('%.*s')", (int)strcspn(buf, "\n"), buf);
		close(q[0]);
	}
	ok(log_has("orphan-read:hello"), "orphan: stdin from in_fd");
	snprintf(line, sizeof(line), "orphan-ppid:%d\n", (int)getpid());
	ok(log_has("orphan-ppid:") && !strstr(slurp(logf), line), "orphan: its parent is not us");

	/* The program path apart from argv[0]. */
	{
		char *argv[] = { "named-differently", "-c", "echo argv0:$0", NULL };
		struct spawn_opts o = { .path = "/bin/sh", .log = logf, .log_mode = 0600, .in_fd = -1, .keep_fd = -1 };

		pid = spawn_detached(argv, &o, &err);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && log_has("argv0:named-differently"),
		   "path runs /bin/sh with argv[0] as given");
	}

	/* Failures. */
	{
		char *argv[] = { "/nonexistent/prog", NULL };
		struct spawn_opts o = { .log = logf, .log_mode = 0600, .in_fd = -1, .keep_fd = -1 };

		pid = spawn_detached(argv, &o, &err);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 127,
		   "exec failure: the program exits 127 (0x%x)", st);
		ok(log_has("cannot run /nonexistent/prog: No such file or directory"), "  and says why in the log");
		o.log = dir;  /* a folder: cannot be opened for writing */
		pid = spawn_detached(argv, &o, &err);
		ok(pid == -EISDIR && err.code == -EISDIR && strstr(err.msg, dir), "an unopenable log: -EISDIR, '%s'",
		   err.msg);
	}
	fd = open(logf, O_RDONLY);
	{
		struct stat sb;

		ok(fd >= 0 && fstat(fd, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the log keeps its mode");
	}
	close(fd);

	/* paths.h */
	ok(vnl_lab_dir(line, sizeof(line), VNL_RUN_ROOT, "lab1") == 0 && !strcmp(line, "/run/vnetlab/lab1"),
	   "vnl_lab_dir: %s", line);
	ok(vnl_path(line, sizeof(line), VNL_STATE_ROOT, "lab1", "vm/%s/disk", "n1") == 0 &&
	   !strcmp(line, "/var/lib/vnetlab/lab1/vm/n1/disk"), "vnl_path: %s", line);
	ok(vnl_path(fdpath, 20, VNL_RUN_ROOT, "lab1", "vnld.sock") == -ENAMETOOLONG, "vnl_path: too long");
	ok(vnl_lab_dir(fdpath, 10, VNL_RUN_ROOT, "lab1") == -ENAMETOOLONG, "vnl_lab_dir: too long");

	unlink(logf);
	rmdir(dir);
	return tap_done();
}
