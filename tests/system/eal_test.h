/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DPDK's EAL for tests that run switch code without hugepages: --no-huge,
 * no shared config, no PCI, a file prefix of their own (vnl-TAG-PID), the
 * lcores given (EAL --lcores syntax), mem_mb of memory.
 */
#pragma once

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

/* 0, or -1 after printing the TAP skip line (the EAL does not start here). */
static inline int eal_test_init(const char *argv0, const char *tag, const char *mem_mb, const char *lcores)
{
	static char prefix[32];
	char *eal[] = { (char *)argv0, "--no-huge", "-m", (char *)mem_mb, "--no-shconf", "--file-prefix", prefix,
			"--no-pci", "--log-level=3", "--lcores", (char *)lcores, NULL };

	snprintf(prefix, sizeof(prefix), "vnl-%s-%d", tag, (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("1..0 # SKIP DPDK's EAL does not start here: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}
