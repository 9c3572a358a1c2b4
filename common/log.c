/* SPDX-License-Identifier: GPL-2.0-only */
/* The programs' logger (log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

LOG_SUBSYS("log");

#define SUBSYS_NAME_MAX 16   /* bytes of a subsystem name in the table, NUL included */

/* Thread-safety: written by main() before threads start, read after. */
static struct {
	char prefix[LOG_PREFIX_MAX];
	int fd;                      /* where lines go */
	bool stamps;                 /* a UTC time stamp in front of each line */
	enum log_level max;          /* threshold of subsystems not in `levels` */
	struct {
		char name[SUBSYS_NAME_MAX];
		enum log_level max;
	} levels[LOG_SUBSYS_LEVELS]; /* thresholds of their own (log_parse_levels) */
	unsigned n_levels;
	int64_t (*now_ms)(void);     /* the rate limits' clock; NULL: mono_ms() */
} lg = { .prefix = "vnetlab", .fd = 2, .max = LOG_LEVEL_INFO };

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_level_from_name(const char *s)
{
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void log_set_max_level(enum log_level max)
{
	lg.max = max;
}

void log_set_output(int fd, bool stamps)
{
	lg.fd = fd;
	lg.stamps = stamps;
}

void log_set_clock(int64_t (*now_ms)(void))
{
	lg.now_ms = now_ms;
}

bool log_enabled(const char *subsys, enum log_level level)
{
	for (unsigned i = 0; i < lg.n_levels; i++)
		if (strcmp(lg.levels[i].name, subsys) == 0)
			return level <= lg.levels[i].max;
	return level <= lg.max;
}

int log_parse_levels(const char *spec)
{
	char buf[512], *save = NULL, *item;
	__typeof__(lg.levels) levels;
	unsigned n = 0;
	int max = -1, l;

	if (spec == NULL || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", spec);
	/* Checked whole before any of it applies. */
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		l = log_level_from_name(eq ? eq + 1 : item);
		if (l < 0)
			return -EINVAL;
		if (eq == NULL) {
			max = l;
			continue;
		}
		*eq = '\0';
		if (eq == item || strlen(item) >= SUBSYS_NAME_MAX || n == LOG_SUBSYS_LEVELS)
			return -EINVAL;
		snprintf(levels[n].name, sizeof(levels[n].name), "%s", item);
		levels[n++].max = (enum log_level)l;
	}
	if (max < 0 && n == 0)
		return -EINVAL;
	if (max >= 0)
		lg.max = (enum log_level)max;
	memcpy(lg.levels, levels, sizeof(levels[0]) * n);
	lg.n_levels = n;
	return 0;
}

void log_set_prefix(const char *prefix)
{
	snprintf(lg.prefix, sizeof(lg.prefix), "%s", prefix);
}

void log_open(const char *prefix)
{
	const char *env = getenv("VNL_LOG_LEVEL");
	struct stat st;

	log_set_prefix(prefix);
	lg.fd = 2;
	lg.stamps = fstat(2, &st) == 0 && S_ISREG(st.st_mode);
	lg.max = LOG_LEVEL_INFO;
	lg.n_levels = 0;
	if (env && *env && log_parse_levels(env) < 0)
		log_warning("VNL_LOG_LEVEL='%s' is not a level spec (e.g. debug, warning,guest=debug), ignoring",
			    env);
}

/* "2026-12-05T00:31:02.114Z " into out (at least 32 bytes); its length. */
static size_t stamp(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	return n + (size_t)snprintf(out + n, len - n, ".%03ldZ ", ts.tv_nsec / 1000000);
}

/* Compose one line (cut at LOG_LINE_MAX, one line whatever the message
 * holds) and write it in one write(2); errno is left as it was. */
static void emit(const char *subsys, enum log_level level, int r, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	const size_t end = sizeof(line) - 1;  /* text ends here: the last byte is the newline */
	size_t n = 0, body;
	int saved = errno, w;

	if (lg.stamps)
		n = stamp(line, sizeof(line));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s %s: ", lg.prefix, level_names[level], subsys);
	body = n;
	errno = r ? abs(r) : saved;  /* %m: the error of the _errno variant, else the caller's */
	w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (w > 0)
		n += (size_t)w;
	if (r && n < end)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s", strerror(abs(r)));
	if (n > end) {
		/* Cut, not in the middle of a UTF-8 sequence, and say so. */
		n = end;
		while (n > body + 3 && ((unsigned char)line[n - 3] & 0xc0) == 0x80)
			n--;
		memcpy(line + n - 3, "...", 3);
	}
	for (size_t i = body; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[n++] = '\n';
	for (size_t done = 0; done < n;) {
		ssize_t k = write(lg.fd, line + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	errno = saved;
}

void log_write_(const char *subsys, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(subsys, level, 0, fmt, ap);
	va_end(ap);
}

int log_errno_(const char *subsys, enum log_level level, int r, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(subsys, level))
		return r;
	va_start(ap, fmt);
	emit(subsys, level, r, fmt, ap);
	va_end(ap);
	return r;
}

bool log_rl_(struct ratelimit *rl, const char *subsys, enum log_level level, const char *fmt, ...)
{
	unsigned missed = 0;
	va_list ap;

	if (!log_enabled(subsys, level) || !ratelimit_ok(rl, lg.now_ms ? lg.now_ms() : mono_ms(), &missed))
		return false;
	if (missed)
		log_write_(subsys, level, "%u similar messages suppressed", missed);
	va_start(ap, fmt);
	emit(subsys, level, 0, fmt, ap);
	va_end(ap);
	return true;
}
