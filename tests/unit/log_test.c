/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/log.c writes what log.h promises: one line per message
 * "PREFIX LEVEL SUBSYS: MESSAGE" (stamped on a regular file), filtered by
 * the default and per-subsystem thresholds, never longer than LOG_LINE_MAX;
 * the _errno variants append strerror and return their argument; the rate
 * limited ones let LOG_RATELIMIT_BURST lines through per window, then say
 * how many they suppressed when they resume.
 * Operations: the logger writes into a memfd that the test reads back; a
 * fake clock drives the rate limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

LOG_SUBSYS("test");

static int out = -1;
static int64_t now = 1000;

static int64_t fake_clock(void)
{
	return now;
}

/* What was logged since the last call, NUL-terminated (static buffer). */
static const char *logged(void)
{
	static char buf[1 << 16];
	ssize_t n = pread(out, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0)
		abort();
	return buf;
}

static unsigned count_lines(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* log_open() with stderr on the memfd (a regular file, as vnld's is on
 * vnld.log), which it writes to with stamps. */
static void open_on_memfd(const char *prefix)
{
	int saved = dup(2);

	dup2(out, 2);
	log_open(prefix);
	dup2(saved, 2);
	close(saved);
	log_set_output(out, true);
}

/* The same, then unstamped lines, to compare whole. */
static void open_on_file(const char *prefix)
{
	open_on_memfd(prefix);
	log_set_output(out, false);
}

/* One call site of a _ratelimited variant, so one static limiter. */
static bool junk(const char *what, int i)
{
	return log_warning_ratelimited("%s %d", what, i);
}

static void test_format(void)
{
	const char *s;
	int e;

	open_on_file("vnld[t1]");
	log_info("hello %d", 1);
	ok(strcmp(logged(), "vnld[t1] info test: hello 1\n") == 0, "info: 'PREFIX LEVEL SUBSYS: MESSAGE'");
	log_error("e");
	log_warning("w");
	ok(strcmp(logged(), "vnld[t1] error test: e\nvnld[t1] warning test: w\n") == 0,
	   "error and warning lines name their level");
	log_info("two\nlines\tand\033[31m escapes");
	ok(strcmp(logged(), "vnld[t1] info test: two lines and [31m escapes\n") == 0,
	   "control characters in a message become spaces: one line");
	errno = EAGAIN;
	log_info("x");
	e = errno;
	logged();
	ok(e == EAGAIN, "logging leaves errno as it was");

	log_set_output(out, true);
	log_info("stamped");
	s = logged();
	ok(strlen(s) == 25 + strlen("vnld[t1] info test: stamped\n") && s[4] == '-' && s[10] == 'T' &&
		   s[23] == 'Z' && strcmp(s + 25, "vnld[t1] info test: stamped\n") == 0,
	   "a stamp in front when asked: '%.25s'", s);
	open_on_memfd("vnl");
	log_info("on a file");
	s = logged();
	ok(s[4] == '-' && strstr(s, "Z vnl info test: on a file\n") != NULL,
	   "log_open: stamped when stderr is a regular file");
	open_on_file("vnl");
}

static void test_levels(void)
{
	int calls = 0;

	open_on_file("p");
	log_debug("hidden %d", ++calls);
	ok(logged()[0] == '\0' && calls == 0, "debug is filtered by default, its arguments not evaluated");
	log_set_max_level(LOG_LEVEL_DEBUG);
	log_debug("shown");
	ok(strcmp(logged(), "p debug test: shown\n") == 0, "debug is shown at threshold debug");
	log_set_max_level(LOG_LEVEL_WARNING);
	log_info("hidden");
	log_warning("kept");
	ok(strcmp(logged(), "p warning test: kept\n") == 0, "threshold warning drops info");

	ok(log_parse_levels("error,test=debug") == 0, "spec 'error,test=debug' accepted");
	log_debug("d");
	ok(strcmp(logged(), "p debug test: d\n") == 0 && !log_enabled("other", LOG_LEVEL_WARNING) &&
		   log_enabled("other", LOG_LEVEL_ERROR),
	   "... a subsystem's own threshold beats the default, others follow the default");
	ok(log_parse_levels("info,test=verbose") == -EINVAL && log_parse_levels("=debug") == -EINVAL &&
		   log_parse_levels("x=") == -EINVAL && log_parse_levels("") == -EINVAL &&
		   log_parse_levels("a_name_of_16_byt=debug") == -EINVAL &&
		   log_parse_levels("a,b") == -EINVAL,
	   "bad specs are refused");
	ok(!log_enabled("other", LOG_LEVEL_WARNING) && log_enabled("test", LOG_LEVEL_DEBUG),
	   "... and change nothing");
	ok(log_level_from_name("warning") == LOG_LEVEL_WARNING && log_level_from_name("warn") == -1,
	   "level names are exact");

	setenv("VNL_LOG_LEVEL", "warning,test=debug", 1);
	open_on_file("p");
	ok(log_enabled("test", LOG_LEVEL_DEBUG) && !log_enabled("lab", LOG_LEVEL_INFO),
	   "log_open applies $VNL_LOG_LEVEL");
	setenv("VNL_LOG_LEVEL", "loud", 1);
	open_on_file("p");
	ok(strstr(logged(), "p warning log: VNL_LOG_LEVEL='loud' is not a level spec") != NULL &&
		   log_enabled("lab", LOG_LEVEL_INFO) && !log_enabled("lab", LOG_LEVEL_DEBUG),
	   "a bad $VNL_LOG_LEVEL is reported and ignored (threshold info)");
	unsetenv("VNL_LOG_LEVEL");
	open_on_file("p");
}

static void test_errno(void)
{
	int r;

	r = log_error_errno(-ENOENT, "opening %s", "x.yaml");
	ok(r == -ENOENT && strcmp(logged(), "p error test: opening x.yaml: No such file or directory\n") == 0,
	   "log_error_errno appends strerror and returns its argument");
	r = log_warning_errno(EPERM, "as a positive errno");
	ok(r == EPERM && strstr(logged(), "as a positive errno: Operation not permitted\n") != NULL,
	   "... a positive errno too, returned as given");
	r = log_debug_errno(-EIO, "filtered");
	ok(r == -EIO && logged()[0] == '\0', "a filtered _errno variant still returns its argument");
	r = log_info_errno(0, "no error");
	ok(r == 0 && strcmp(logged(), "p info test: no error\n") == 0, "r = 0: nothing appended");
	errno = 0;
	log_info_errno(-EACCES, "%%m says %m");
	ok(strstr(logged(), "%m says Permission denied: Permission denied\n") != NULL && errno == 0,
	   "%%m formats the variant's error; errno is left alone");
}

static void test_ratelimit(void)
{
	struct ratelimit a = RATELIMIT_INIT(LOG_RATELIMIT_MS, LOG_RATELIMIT_BURST);
	struct ratelimit b = RATELIMIT_INIT(LOG_RATELIMIT_MS, LOG_RATELIMIT_BURST);
	unsigned written = 0;
	const char *s;

	log_set_clock(fake_clock);
	for (int i = 0; i < 20; i++, now++)
		written += junk("junk", i);
	s = logged();
	ok(written == LOG_RATELIMIT_BURST && count_lines(s, "\n") == LOG_RATELIMIT_BURST &&
		   strstr(s, "junk 4\n") && !strstr(s, "junk 5"),
	   "20 lines at one call site in 20 ms: the first %d written (%u)", LOG_RATELIMIT_BURST, written);
	now += LOG_RATELIMIT_MS - 100;
	ok(!junk("still junk", 0) && logged()[0] == '\0', "still suppressed before the window ends");
	now += 100;
	ok(junk("junk again", 0) &&
		   strcmp(logged(), "p warning test: 16 similar messages suppressed\n"
				    "p warning test: junk again 0\n") == 0,
	   "the next window: 'N similar messages suppressed', then the line");
	now++;
	ok(junk("once more", 1) && strcmp(logged(), "p warning test: once more 1\n") == 0,
	   "... and the count restarts");

	for (int i = 0; i < 7; i++)
		log_info_rl(&a, "a %d", i);
	ok(log_info_rl(&b, "b") && count_lines(logged(), "\n") == LOG_RATELIMIT_BURST + 1,
	   "limiters of the caller are apart: a noisy one does not silence another");
	log_set_max_level(LOG_LEVEL_WARNING);
	ok(!log_info_rl(&b, "filtered") && b.n == 1, "a filtered line does not count against the limit");
	log_set_max_level(LOG_LEVEL_INFO);
	now += LOG_RATELIMIT_MS;
	ok(log_info_rl(&a, "a resumes") && strstr(logged(), "p info test: 2 similar messages suppressed\n"),
	   "a caller's limiter reports its own count");
	log_set_clock(NULL);
}

static void test_cap(void)
{
	char big[3 * LOG_LINE_MAX];
	const char *s;
	size_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	s = logged();
	n = strlen(s);
	ok(n == LOG_LINE_MAX && strcmp(s + n - 4, "...\n") == 0 && count_lines(s, "\n") == 1,
	   "a %zu-byte message: one line of LOG_LINE_MAX (%d) bytes ending in '...' (%zu)", sizeof(big) - 1,
	   LOG_LINE_MAX, n);
	log_error_errno(-ENOENT, "%s", big);
	s = logged();
	ok(strlen(s) == LOG_LINE_MAX && strcmp(s + LOG_LINE_MAX - 4, "...\n") == 0,
	   "... an _errno one too");
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2); /* é */
	big[sizeof(big) - 1] = '\0';
	for (int odd = 0; odd < 2; odd++) {
		log_info("%s%s", odd ? "x" : "", big);
		s = logged();
		n = strlen(s);
		ok(n <= LOG_LINE_MAX && n > LOG_LINE_MAX - 3 && (unsigned char)s[n - 5] == 0xa9 &&
			   strcmp(s + n - 4, "...\n") == 0,
		   "a cut does not split a UTF-8 character (%zu bytes)", n);
	}
	log_set_output(out, true);
	log_info("%s", big);
	ok(strlen(logged()) <= LOG_LINE_MAX, "the cap holds with a stamp");
	log_set_output(out, false);
}

int main(void)
{
	out = memfd_create("log_test", 0);
	if (out < 0) {
		perror("memfd_create");
		return 1;
	}
	unsetenv("VNL_LOG_LEVEL");
	test_format();
	test_levels();
	test_errno();
	test_ratelimit();
	test_cap();
	return tap_done();
}
