/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>

#include <rte_malloc.h>

#include "snapshot.h"

struct rte_rcu_qsbr *snapshot_qsbr;
struct snapshot *_Atomic snapshot_cur;

int snapshot_init(unsigned nb_workers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(nb_workers);

	snapshot_qsbr = rte_zmalloc("vnl_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (snapshot_qsbr == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(snapshot_qsbr, nb_workers) < 0) {
		rte_free(snapshot_qsbr);
		snapshot_qsbr = NULL;
		return -EINVAL;
	}
	return 0;
}

void snapshot_fini(void)
{
	free(atomic_exchange(&snapshot_cur, NULL));
	rte_free(snapshot_qsbr);
	snapshot_qsbr = NULL;
}

void snapshot_wait_readers(void)
{
	rte_rcu_qsbr_synchronize(snapshot_qsbr, RTE_QSBR_THRID_INVALID);
}

void snapshot_publish(struct snapshot *s)
{
	struct snapshot *old = atomic_exchange_explicit(&snapshot_cur, s, memory_order_acq_rel);

	snapshot_wait_readers();
	free(old);
}
