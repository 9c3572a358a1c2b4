/* SPDX-License-Identifier: GPL-2.0-only */
/* Rate limit for log lines (ratelimit.h). */
#include "ratelimit.h"

bool ratelimit_ok(struct ratelimit *rl, int64_t now_ms, unsigned *missed)
{
	if (rl->begin_ms == 0 || now_ms - rl->begin_ms >= (int64_t)rl->interval_ms) {
		rl->begin_ms = now_ms ? now_ms : 1;
		rl->n = 0;
	}
	if (rl->n >= rl->burst) {
		rl->missed++;
		return false;
	}
	rl->n++;
	if (missed)
		*missed = rl->missed;
	rl->missed = 0;
	return true;
}
