/* SPDX-License-Identifier: GPL-2.0-only */
/* Monotonic time for timeouts and pacing (not wall-clock time). */
#pragma once

#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC; signed, so differences may be negative. */
static inline int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
