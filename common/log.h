/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The programs' logger: vnld's log (its stderr, which vnl points at
 * /run/vnetlab/LAB/vnld.log) and vnl's debug output (vnl -v).  Leveled,
 * per subsystem, rate limited where a peer decides how often, as in
 * systemd's log_*() and OVS's VLOG (docs/vnld.md, "Logging").
 *
 * Library code in common/, model/ and endpoints/ never logs (STYLE rule
 * 18): it returns an error (err.h) and the program logs it at the point
 * that decides, once.  The dataplane has its own logger (dataplane/dp_log.h,
 * on DPDK's rte_log).
 *
 * A line, one per message, at most LOG_LINE_MAX bytes with its newline:
 *
 *   [STAMP ]PREFIX LEVEL SUBSYS: MESSAGE
 *   2026-12-05T00:31:02.114Z vnld[lab1] warning guest: vm a1: ready -> lost
 *
 *   STAMP    UTC wall clock, only when the output is a regular file (vnld.log),
 *            not on a terminal or a pipe
 *   PREFIX   the process, set at start by log_open() and log_set_prefix()
 *            ("vnld[lab1]", "vnl")
 *   LEVEL    error, warning, info or debug
 *   SUBSYS   the source file's LOG_SUBSYS() (at most 15 bytes, checked when
 *            compiling)
 *   MESSAGE  printf-formatted; control characters (a newline in a peer's
 *            string) become spaces, so a message is always one line; a
 *            longer one is cut and ends in "..."
 *
 * Each source file that logs names its subsystem once, at file scope:
 *
 *   LOG_SUBSYS("guest");
 *
 * then, at its decision points:
 *
 *   log_info("vm %s: %s -> %s", ...);
 *   if (r < 0)
 *           return log_error_errno(r, "cannot open %s", path);
 *   if (log_warning_ratelimited("a client sent malformed frames"))
 *           ...;
 *
 * Levels: a message is written when its level is at most the threshold of
 * its subsystem (default: info).  log_set_max_level() sets the default
 * threshold (vnld -v, vnl -v: debug); log_parse_levels() takes a spec of
 * the form "LEVEL", "SUBSYS=LEVEL" or a comma-separated list of both
 * ("warning,guest=debug"); log_open() applies $VNL_LOG_LEVEL as such a spec.
 * A filtered-out message costs a look at the thresholds: the macros do not
 * even evaluate their arguments (but the _errno ones still return theirs).
 *
 * Rate limits: for messages a peer can trigger at will (a guest's
 * malformed frames, a client's junk).  The _ratelimited variants keep a
 * static limiter per call site (LOG_RATELIMIT_BURST lines per
 * LOG_RATELIMIT_MS); the _rl variants take a limiter of the caller's (one
 * per guest, so one noisy guest does not silence another).  Both return
 * whether the line was written, and the first line written after
 * suppressed ones is preceded by "N similar messages suppressed".
 *
 * Errors: the _errno variants append ": <strerror(|r|)>" (nothing when r
 * is 0) and return r unchanged, so `return log_error_errno(r, "...");`
 * reads well; errno is set to |r| while formatting, so %m works too.  No
 * function here changes errno or fails: a line that cannot be written is
 * lost.
 *
 * Thread-safety: configure in main() before any thread starts.  Lines are
 * written with one write(2) each, so lines of several threads do not mix;
 * a limiter belongs to one thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ratelimit.h"

enum log_level {
	LOG_LEVEL_ERROR,    /* an operation failed and nothing retries it */
	LOG_LEVEL_WARNING,  /* something is wrong, handled or ignored ("..., ignoring") */
	LOG_LEVEL_INFO,     /* a decision or a change of the lab (default threshold) */
	LOG_LEVEL_DEBUG,    /* traffic: requests, replies, steps */
};

#define LOG_LINE_MAX 1024            /* bytes of a line, its newline included */
#define LOG_PREFIX_MAX 64            /* bytes of the process prefix, NUL included */
#define LOG_SUBSYS_LEVELS 16         /* subsystems log_parse_levels() can set apart */
#define LOG_RATELIMIT_MS 10000       /* the _ratelimited window ... */
#define LOG_RATELIMIT_BURST 5        /* ... and the lines it lets through */

/* The source file's subsystem name, at file scope (a short word, <= 15 bytes). */
#define LOG_SUBSYS(name)                                                  \
	static const char log_subsys_[] __attribute__((unused)) = name;   \
	_Static_assert(sizeof(log_subsys_) <= 16, "LOG_SUBSYS: at most 15 bytes")

/*
 * In main(), once, first: lines go to stderr (fd 2) with PREFIX, stamped
 * when stderr is a regular file; the threshold is info, then $VNL_LOG_LEVEL
 * applies (a bad spec is reported as a warning and ignored).
 */
void log_open(const char *prefix);

/* Change the prefix (vnld, once it knows its lab); cut to LOG_PREFIX_MAX - 1. */
void log_set_prefix(const char *prefix);

/* The default threshold: subsystems without one of their own. */
void log_set_max_level(enum log_level max);

/* Is a message of this level of this subsystem written? */
bool log_enabled(const char *subsys, enum log_level level);

/*
 * Apply a level spec ("debug", "guest=debug", "warning,lab=info"): a bare
 * level sets the default threshold, SUBSYS=LEVEL the threshold of one
 * subsystem.  0, or -EINVAL (nothing applied) when an item is not a level
 * name (error, warning, info, debug), a subsystem name is empty or longer
 * than 15 bytes, or more than LOG_SUBSYS_LEVELS subsystems are named.
 */
int log_parse_levels(const char *spec);

/* The level named s (exact: "error", "warning", "info", "debug"), or -1. */
int log_level_from_name(const char *s);

/*
 * For tests: write to fd (not closed here) with or without stamps, and
 * read the rate limits' clock from now_ms (NULL: CLOCK_MONOTONIC).
 */
void log_set_output(int fd, bool stamps);
void log_set_clock(int64_t (*now_ms)(void));

/* ---- the calls; use the macros below, which pass the file's subsystem ---- */

__attribute__((format(printf, 3, 4)))
void log_write_(const char *subsys, enum log_level level, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
int log_errno_(const char *subsys, enum log_level level, int r, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
bool log_rl_(struct ratelimit *rl, const char *subsys, enum log_level level, const char *fmt, ...);

#define log_full(level, ...)                                                          \
	(log_enabled(log_subsys_, (level)) ? log_write_(log_subsys_, (level), __VA_ARGS__) \
					   : (void)0)
#define log_error(...) log_full(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_full(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_full(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Append ": strerror(|r|)" and return r. */
#define log_full_errno(level, r, ...) log_errno_(log_subsys_, (level), (r), __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_info_errno(r, ...) log_full_errno(LOG_LEVEL_INFO, (r), __VA_ARGS__)
#define log_debug_errno(r, ...) log_full_errno(LOG_LEVEL_DEBUG, (r), __VA_ARGS__)

/* Through the caller's limiter rl (struct ratelimit *, RATELIMIT_INIT);
 * true when the line was written. */
#define log_full_rl(rl, level, ...) log_rl_((rl), log_subsys_, (level), __VA_ARGS__)
#define log_error_rl(rl, ...) log_full_rl((rl), LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning_rl(rl, ...) log_full_rl((rl), LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info_rl(rl, ...) log_full_rl((rl), LOG_LEVEL_INFO, __VA_ARGS__)

/* Through a limiter of this call site (LOG_RATELIMIT_BURST per
 * LOG_RATELIMIT_MS); true when the line was written. */
#define log_full_ratelimited(level, ...)                                               \
	({                                                                             \
		static struct ratelimit log_rl_site_ = { .interval_ms = LOG_RATELIMIT_MS, \
							 .burst = LOG_RATELIMIT_BURST };  \
		log_rl_(&log_rl_site_, log_subsys_, (level), __VA_ARGS__);             \
	})
#define log_error_ratelimited(...) log_full_ratelimited(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning_ratelimited(...) log_full_ratelimited(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info_ratelimited(...) log_full_ratelimited(LOG_LEVEL_INFO, __VA_ARGS__)
