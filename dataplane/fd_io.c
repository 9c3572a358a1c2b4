/* SPDX-License-Identifier: GPL-2.0-only */
#include <rte_per_lcore.h>

#include "fd_io.h"

static RTE_DEFINE_PER_LCORE(struct fd_io_stash, fd_io_stash_of);

struct fd_io_stash *fd_io_stash(void)
{
	return &RTE_PER_LCORE(fd_io_stash_of);
}

uint16_t fd_io_room(struct rte_mempool *pool)
{
	return (uint16_t)(rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM);
}

bool fd_io_fill(struct fd_io_stash *st, struct rte_mempool *pool, uint16_t need, uint16_t want)
{
	if (st->n >= need)
		return true;
	if (rte_pktmbuf_alloc_bulk(pool, st->m + st->n, want - st->n) == 0)
		st->n = want;
	else if (rte_pktmbuf_alloc_bulk(pool, st->m + st->n, need - st->n) == 0)
		st->n = need;
	return st->n >= need;
}

struct rte_mbuf *fd_io_take(struct fd_io_stash *st, struct rte_mbuf *const *seg, uint16_t segs,
			    uint16_t room, uint32_t len)
{
	uint16_t k = len ? (uint16_t)RTE_MIN(fd_io_segs(len, room), segs) : 1;
	struct rte_mbuf *head = seg[0];
	uint32_t left = len;

	for (uint16_t j = 0; j < k; j++) {
		seg[j]->data_len = (uint16_t)RTE_MIN(left, (uint32_t)room);
		left -= seg[j]->data_len;
		if (j)
			seg[j - 1]->next = seg[j];
	}
	head->nb_segs = k;
	head->pkt_len = len;
	fd_io_unlend(st, seg + k, (uint16_t)(segs - k));
	return head;
}

void fd_io_stash_drain(struct fd_io_stash *st)
{
	rte_pktmbuf_free_bulk(st->m, st->n);
	st->n = 0;
}
