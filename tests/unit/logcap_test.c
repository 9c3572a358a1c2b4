/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the two bounds on what peers make the host hold in logs:
 * common/ratelimit.c lets `burst` lines through per window, counts the
 * rest and reports the count with the next line allowed; common/logcap.c
 * keeps a log to its cap plus one previous file, whatever is written, and
 * logcap_rotate_fd() rotates a log that is a process's own fd; the real
 * vnl-logcap (logcap_spawn) is found by its log (logcap_writer: the
 * fallback for writers nobody recorded) and logcap_wait returns once it
 * has written the rest and ended; a recorded writer (pid and start time,
 * logcap_record) still running at the deadline is stopped, also when no
 * pidfd can be had (EMFILE: then it polls, with little CPU).
 * Operations: a fake clock for the limiter; files in a temp folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "logcap.h"
#include "spawn.h"
#include "ratelimit.h"
#include "tap.h"
#include "wait.h"

static void test_ratelimit(void)
{
	struct ratelimit rl = RATELIMIT_INIT(10000, 5);
	unsigned missed = 99, allowed = 0, i;

	for (i = 0; i < 100; i++)
		allowed += ratelimit_ok(&rl, 1000 + i, &missed);
	ok(allowed == 5, "100 lines in 0.1 s: 5 allowed (%u)", allowed);
	ok(!ratelimit_ok(&rl, 10999, &missed), "still refused just before the window ends");
	i = ratelimit_ok(&rl, 11000, &missed);
	ok(i && missed == 96, "the next window's first line reports 96 missed (%u)", missed);
	ok(ratelimit_ok(&rl, 11001, &missed) && missed == 0, "and the count restarts");
	rl = RATELIMIT_INIT(10000, 5);
	ok(ratelimit_ok(&rl, 0, &missed) && missed == 0, "a clock at 0 works");
}

static off_t size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_logcap(const char *dir)
{
	char path[256], old[260], buf[1000];
	struct logcap l;
	off_t peak = 0;
	int i, fd;

	snprintf(path, sizeof(path), "%s/x.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	memset(buf, 'a', sizeof(buf));
	ok(logcap_open(&l, path, 10000) == 0, "open a log capped at 10000 bytes");
	for (i = 0; i < 1000; i++) {
		logcap_write(&l, buf, (size_t)(i % 997) + 1);
		if (size_of(path) > peak)
			peak = size_of(path);
	}
	ok(peak <= 10000, "500 KB written: x.log never passed 10000 bytes (peak %lld)", (long long)peak);
	ok(size_of(old) > 9000 && size_of(old) <= 10000, "x.log.1 holds the previous ones (%lld)",
	   (long long)size_of(old));
	logcap_write(&l, "END\n", 4);
	logcap_close(&l);
	fd = open(path, O_RDONLY);
	i = fd >= 0 ? (int)pread(fd, buf, 4, size_of(path) - 4) : -1;
	if (fd >= 0)
		close(fd);
	ok(i == 4 && !memcmp(buf, "END\n", 4), "the newest bytes are kept");

	/* Reopened past the cap (an older, bigger log): rotated at once. */
	fd = open(path, O_WRONLY | O_APPEND);
	for (i = 0; fd >= 0 && i < 20; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			break;
	if (fd >= 0)
		close(fd);
	ok(logcap_open(&l, path, 10000) == 0 && size_of(path) == 0, "a log past the cap is rotated on open");
	logcap_close(&l);

	/* A process's own stderr-like fd. */
	fd = open(path, O_WRONLY | O_APPEND);
	for (i = 0; fd >= 0 && i < 5; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			break;
	ok(logcap_rotate_fd(fd, path, 10000) == 0, "rotate_fd: under the cap, nothing to do");
	for (i = 0; fd >= 0 && i < 10; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			break;
	i = logcap_rotate_fd(fd, path, 10000);
	ok(i == 1 && size_of(path) == 0 && size_of(old) == 15000,
	   "rotate_fd: past the cap, the fd now writes a new empty file (%lld, %lld)", (long long)size_of(path),
	   (long long)size_of(old));
	ok(write(fd, "y", 1) == 1 && size_of(path) == 1, "  and writes land there");
	ok(logcap_rotate_fd(2, path, 1) == 0, "rotate_fd: an fd that is another file is left alone");
	if (fd >= 0)
		close(fd);
}

/* CPU time of this process so far, ms. */
static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* vnl-logcap, next to this test in the build folder: found by a scan
 * (nothing recorded: adoption), or waited for and stopped as recorded. */
static void test_writer(const char *dir)
{
	char path[256], rec[256], buf[64] = "";
	struct logcap_proc w = { 0 }, back;
	struct rlimit nofile;
	int fd, lfd;
	pid_t pid = 0;
	long long t0;
	long cpu;

	snprintf(path, sizeof(path), "%s/w.log", dir);
	snprintf(rec, sizeof(rec), "%s/w.pid", dir);
	ok(logcap_writer(path) == 0 && logcap_wait(path, NULL, 100) == 0, "no writer of %s yet: nothing to wait for", path);
	ok(logcap_wait(path, &w, 100) == 0, "none recorded: nothing to wait for");
	fd = logcap_spawn(path, &w);
	ok(fd >= 0 && w.pid > 0 && w.start > 0, "vnl-logcap started (%d), pid %d recorded", fd, (int)w.pid);
	if (fd < 0)
		return;
	ok(logcap_record(rec, &w) == 0 && logcap_recorded(rec, &back) == 0 && back.pid == w.pid &&
	   back.start == w.start, "its record reads back");
	/* Found once it has exec'd (its comm, then its command line, name it). */
	for (int i = 0; i < 200 && (pid = logcap_writer(path)) == 0; i++)
		usleep(10000);
	ok(pid == w.pid, "the scan finds the recorded one by its log (pid %d)", (int)pid);
	ok(write(fd, "last words\n", 11) == 11, "a line into its pipe");
	ok(logcap_wait(path, NULL, 100) == -ETIMEDOUT && logcap_writer(path) == pid,
	   "while the pipe has a writer it runs on: -ETIMEDOUT, and a writer found by the scan is left alone");
	close(fd);
	ok(logcap_wait(path, &back, 2000) == 0 && back.pid == 0 && logcap_writer(path) == 0,
	   "the last writer gone: it ends, and the wait on its pid returns");
	lfd = open(path, O_RDONLY);
	ok(lfd >= 0 && read(lfd, buf, sizeof(buf) - 1) == 11 && !strcmp(buf, "last words\n"),
	   "its rest was written before it ended");
	if (lfd >= 0)
		close(lfd);
	ok(logcap_wait(path, &w, 100) == 0 && w.pid == 0, "a record of an ended writer: nothing to wait for");

	/* A writer that outlives the wait (its pipe still open) is stopped. */
	fd = logcap_spawn(path, &w);
	back = w;
	t0 = mono_ms();
	ok(fd >= 0 && logcap_wait(path, &w, 300) == -ETIMEDOUT && w.pid == 0 && proc_start_time(back.pid) == 0,
	   "a recorded writer still running at the deadline: -ETIMEDOUT, and it is stopped (pid %d)", (int)back.pid);
	ok(mono_ms() - t0 < 300 + 2 * LOGCAP_KILL_MS + 500, "within the wait and the kill grace (%lld ms)",
	   mono_ms() - t0);
	if (fd >= 0)
		close(fd);

	/* Without pidfds (EMFILE) it polls: no busy loop. */
	fd = logcap_spawn(path, &w);
	back = w;
	getrlimit(RLIMIT_NOFILE, &nofile);
	{
		struct rlimit low = { (rlim_t)fd + 1, nofile.rlim_max };
		int spare = dup(fd); /* takes the last slot: pidfd_open gets EMFILE */

		setrlimit(RLIMIT_NOFILE, &low);
		ok(wait_pidfd(getpid()) == -EMFILE || spare < 0, "no fd left for a pidfd");
		cpu = cpu_ms();
		t0 = mono_ms();
		ok(fd >= 0 && logcap_wait(path, &w, 300) == -ETIMEDOUT, "without a pidfd: -ETIMEDOUT at the deadline");
		cpu = cpu_ms() - cpu;
		t0 = mono_ms() - t0;
		setrlimit(RLIMIT_NOFILE, &nofile);
		ok(cpu < 100 && t0 >= 300, "the wait polled instead of spinning (%ld ms of CPU over %lld ms)", cpu, t0);
		if (spare >= 0)
			close(spare);
	}
	if (fd >= 0)
		close(fd);
	ok(logcap_wait(path, &back, 2000) == 0 && proc_start_time(back.pid) == 0,
	   "with fds again: its pipe closed, it ends and the wait returns");
}

int main(void)
{
	char dir[] = "/tmp/vt-logcap-XXXXXX", cmd[64];

	test_ratelimit();
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_logcap(dir);
	test_writer(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
