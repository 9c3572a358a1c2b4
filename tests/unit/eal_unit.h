/* SPDX-License-Identifier: GPL-2.0-only */
/* DPDK's EAL for unit tests on real mbufs: no hugepages, no PCI, no shared
 * config, one lcore, a per-process file prefix (tag-PID). 0 when it runs;
 * else what main() returns: 77 (TAP "1..0 # SKIP") when the EAL cannot start
 * on this host, 1 for arguments it refused (a bug). */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "offload.h"
#include "tap.h"

static inline int eal_unit_start(char *argv0, const char *tag)
{
	/* --no-shconf, not --in-memory: 22.11 refuses --in-memory with --no-huge. */
	char prefix[64];
	char *eal[] = { argv0, "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix", prefix,
			"-l", "0", "--log-level", "lib.eal:error", NULL };

	setvbuf(stdout, NULL, _IOLBF, 0); /* a crash keeps the lines printed so far */
	snprintf(prefix, sizeof(prefix), "%s-%d", tag, (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) >= 0)
		return 0;
	if (rte_errno == EINVAL) { /* our arguments: a bug, not the host */
		printf("Bail out! EAL arguments refused\n");
		return 1;
	}
	printf("1..0 # SKIP DPDK's EAL does not start here: %s\n", rte_strerror(rte_errno));
	return 77;
}

/* eal_unit_start(), then a pool of n mbufs in *pool and the offload pools
 * (ol_init): 0, or what main() returns. */
static inline int eal_unit_pools(char *argv0, const char *tag, unsigned n, struct rte_mempool **pool)
{
	int r = eal_unit_start(argv0, tag);

	if (r != 0)
		return r;
	*pool = rte_pktmbuf_pool_create("t_mbufs", n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (*pool == NULL || ol_init(*pool, SOCKET_ID_ANY) < 0) {
		printf("Bail out! pools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	return 0;
}

/* The end of a test on real mbufs: no mbuf of pool or of the offload pools
 * still in use (a check), everything freed; main()'s return value. */
static inline int eal_unit_end(struct rte_mempool *pool)
{
	unsigned in_use = rte_mempool_in_use_count(pool) + rte_mempool_in_use_count(ol_indirect_pool());

	ok(in_use == 0, "no mbuf left behind (%u in use)", in_use);
	ol_fini();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return tap_done();
}
