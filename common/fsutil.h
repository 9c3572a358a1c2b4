/* SPDX-License-Identifier: GPL-2.0-only */
/* Small file-system helpers. 0 or -errno; thread-safe (no shared state). */
#pragma once

#include <sys/types.h>

/* Create dir and any missing parents (parents 0755, dir itself mode). An
 * existing folder is fine. */
int mkdir_p(const char *dir, mode_t mode);
