/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rate limit for log lines a peer can trigger (a guest's malformed frames,
 * a client's junk): at most `burst` lines per `interval_ms` window per
 * limiter; the lines refused in a window are counted, and the first line
 * allowed after them reports the count, so the log says what it dropped.
 * The logger's _rl and _ratelimited variants (log.h) do this; a limiter is
 * either static per call site or one per source and topic (a member of the
 * guest), so one noisy guest does not silence another.  The window is
 * fixed, starting at the first line after the previous one ended, as in
 * systemd's ratelimit and OVS's VLOG_RATE_LIMIT_INIT.
 *
 * Thread-safety: none; a limiter belongs to one thread (vnld's loop).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	unsigned interval_ms;   /* window length */
	unsigned burst;         /* lines allowed per window */
	int64_t begin_ms;       /* the current window's start; 0: none yet */
	unsigned n;             /* lines allowed in the current window */
	unsigned missed;        /* lines refused since the last allowed one */
};

#define RATELIMIT_INIT(ms, b) ((struct ratelimit){ .interval_ms = (ms), .burst = (b) })

/*
 * May one more line be logged at now_ms (a monotonic clock, common/clock.h)?
 * When true, *missed (if not NULL) gets the number of lines refused before
 * this one (to report once), and the count restarts; when false the line
 * is counted as missed.
 */
bool ratelimit_ok(struct ratelimit *rl, int64_t now_ms, unsigned *missed);
