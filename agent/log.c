/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Messages: one line each, "vnl-agent: LEVEL: text", to stderr in the
 * foreground or to the log file in daemon mode (with a timestamp there).
 * Peer-triggered messages go through a rate limit (alog_rl).
 */
#include <stdio.h>
#include <time.h>

#include "agent.h"

static FILE *log_to;     /* NULL: stderr */
static bool log_debug;

void log_setup(FILE *to, bool debug)
{
	log_to = to;
	log_debug = debug;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	FILE *f = log_to ? log_to : stderr;
	char stamp[32] = "";
	struct tm tm;
	time_t t;

	if (level == LOG_D && !log_debug)
		return;
	if (log_to) {
		t = time(NULL);
		if (localtime_r(&t, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	}
	fprintf(f, "%svnl-agent: %s: ", stamp, names[level & 3]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void alog(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void alog_rl(struct ratelimit *rl, int level, const char *fmt, ...)
{
	uint64_t now = now_ms();
	va_list ap;

	if (now - rl->start >= rl->interval_ms) {
		rl->start = now;
		rl->n = 0;
	}
	if (rl->n++ >= rl->burst) {
		rl->suppressed++;
		return;
	}
	if (rl->suppressed) {
		alog(level, "(%u similar messages suppressed)", rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
