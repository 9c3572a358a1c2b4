/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The worker side of impairments: each frame's fate (impair_model.h, in
 * netem's order) and the time-ordered queue that holds delayed frames.
 *
 * The queue is a FIFO on a monotonic key: the due time itself without jitter
 * or with a rate (netem's max() keeps it monotonic), else the earliest time
 * the frame could be due, t + delay - jmax. With jitter and no rate a frame
 * moves, once its key has passed, into a timing wheel of IMP_WHEEL_SLOTS
 * slots of 2^tick_shift ticks that spans more than 2 jmax, and leaves when
 * its slot has passed: O(1) per frame, never early, at most one tick late.
 */
#include <string.h>

#include <rte_ring.h>

#include "impair.h"
#include "offload.h"

static inline void ent_push(struct imp_state *st, struct rte_mbuf *m, uint64_t key, uint64_t due)
{
	struct imp_ent *e = &st->fifo[st->tail++ & st->mask];

	e->m = m;
	e->key = key;
	e->due = due;
}

/* Frames held by the direction, the limit's measure. */
static inline uint32_t held(const struct imp_state *st)
{
	return (st->tail - st->head) + st->wheel_n;
}

/* Steps 3-6 of the plan's 2.6 for one wire frame m (the caller segmented
 * it when the state says so): loss, corrupt, limit, then queued or (reorder)
 * written to now[*k]. may_dup: the duplicate draw is made (not for a
 * duplicate itself). */
static void imp_one(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf *m, uint64_t t,
		    struct rte_mbuf **now, uint16_t *k, bool may_dup)
{
	const struct imp_params *p = &st->p;
	uint64_t *v = c->ps->v;
	unsigned base = st->dir == IMP_OUT ? PC_imp_out_delayed : PC_imp_in_delayed;
	struct rte_mbuf *dup = NULL;
	uint64_t key, due;
	uint32_t bit;

	switch (imp_copies(p, &st->m, may_dup)) {
	case 0:
		v[base + (PC_imp_out_lost - PC_imp_out_delayed)]++;
		rte_pktmbuf_free(m);
		return;
	case 2:
		/* The twin shares the data; it is made before the original is corrupted. */
		v[base + (PC_imp_out_duplicated - PC_imp_out_delayed)]++;
		rte_pktmbuf_refcnt_update(m, 1);
		dup = m;
		break;
	}
	if (unlikely(imp_corrupt(p, &st->m, rte_pktmbuf_data_len(m), &bit))) {
		/* Never write into data another frame or port shares. */
		if (RTE_MBUF_CLONED(m) || rte_mbuf_refcnt_read(m) > 1) {
			struct rte_mbuf *mc = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

			rte_pktmbuf_free(m);
			m = mc;
		}
		if (m == NULL) {
			v[base + (PC_imp_out_queue_full - PC_imp_out_delayed)]++;
			goto twin;
		}
		rte_pktmbuf_mtod(m, uint8_t *)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		v[base + (PC_imp_out_corrupted - PC_imp_out_delayed)]++;
	}
	/* limit (netem's, before the reorder decision) and the worker's share. */
	if (unlikely(held(st) >= p->limit || imp_budget_held(c->budget) + m->nb_segs > c->budget->max)) {
		v[base + (p->tpb ? PC_imp_out_rate_dropped - PC_imp_out_delayed :
				   PC_imp_out_queue_full - PC_imp_out_delayed)]++;
		rte_pktmbuf_free(m);
		goto twin;
	}
	if (unlikely(imp_reorder_now(p, &st->m))) {
		v[base + (PC_imp_out_reordered - PC_imp_out_delayed)]++;
		now[(*k)++] = m;
		goto twin;
	}
	due = imp_due(p, &st->m, t, rte_pktmbuf_pkt_len(m), imp_jitter(p, &st->m, st->normal));
	if (st->wheel)
		key = t + p->delay > st->jmax ? t + p->delay - st->jmax : 0;
	else
		key = due;
	/* Frames handed over by other workers may carry a slightly older t. */
	if (key < st->last_key)
		key = st->last_key;
	st->last_key = key;
	ent_push(st, m, key, due);
	c->budget->used += m->nb_segs;
	v[base]++;
twin:
	if (dup != NULL)
		imp_one(st, c, dup, t, now, k, false);
}

/* One arriving frame: segmented first when the state acts per wire frame
 * (2.8 of the plan), then each wire frame in turn. */
static void imp_frame(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf *m, uint64_t t,
		      struct rte_mbuf **now, uint16_t *k)
{
	int r;

	if (likely(!st->segment || !(m->ol_flags & VNL_TX_OL_ANY))) {
		imp_one(st, c, m, t, now, k, true);
		return;
	}
	r = ol_fixup(m, 0, c->gso_out, VNL_GSO_SEGS_MAX, c->ps);
	rte_pktmbuf_free(m);
	for (int j = 0; j < r; j++)
		imp_one(st, c, c->gso_out[j], t, now, k, true);
}

/* Room one more frame may need in now[]: its segments, each duplicated. */
#define IMP_NOW_PER_FRAME (2 * VNL_GSO_SEGS_MAX)

uint16_t imp_input(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf **pkts, uint16_t n,
		   uint64_t t, struct rte_mbuf **now, uint16_t *taken)
{
	uint16_t k = 0, i = 0;

	while (i < n && k + IMP_NOW_PER_FRAME <= IMP_NOW_MAX)
		imp_frame(st, c, pkts[i++], t, now, &k);
	*taken = i;
	atomic_store_explicit(&st->queued, held(st), memory_order_relaxed);
	return k;
}

uint16_t imp_drain_handoff(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf **now, uint16_t *taken)
{
	struct imp_handoff h;
	uint16_t k = 0, n = 0;

	*taken = 0;
	if (st->handoff == NULL)
		return 0;
	/* One at a time: each has its own time, and now[] must keep room. */
	while (n < VNL_BURST && k + IMP_NOW_PER_FRAME <= IMP_NOW_MAX &&
	       rte_ring_sc_dequeue_elem(st->handoff, &h, sizeof(h)) == 0) {
		imp_frame(st, c, h.m, h.tsc, now, &k);
		n++;
	}
	if (n)
		atomic_store_explicit(&st->queued, held(st), memory_order_relaxed);
	*taken = n;
	return k;
}

/* ---- the wheel ---- */

static inline void wheel_put(struct imp_state *st, uint64_t tick, struct rte_mbuf *m)
{
	uint32_t s = (uint32_t)(tick & (IMP_WHEEL_SLOTS - 1)), e = st->wfree;

	st->wfree = st->wnext[e - 1];
	st->wm[e - 1] = m;
	st->wnext[e - 1] = 0;
	if (st->wtail[s])
		st->wnext[st->wtail[s] - 1] = e;
	else
		st->whead[s] = e;
	st->wtail[s] = e;
	st->wbits[s / 64] |= 1ull << (s % 64);
	st->wheel_n++;
}

/* The tick of the first non-empty slot at or after cur_tick (wheel_n > 0). */
static uint64_t wheel_first(const struct imp_state *st)
{
	uint32_t s0 = (uint32_t)(st->cur_tick & (IMP_WHEEL_SLOTS - 1));

	for (uint32_t d = 0; d < IMP_WHEEL_SLOTS;) {
		uint32_t s = (s0 + d) & (IMP_WHEEL_SLOTS - 1);
		uint64_t w = st->wbits[s / 64] >> (s % 64);

		if (w)
			return st->cur_tick + d + (uint32_t)__builtin_ctzll(w);
		d += 64 - s % 64;
	}
	return st->cur_tick; /* not reached while wheel_n > 0 */
}

/* Release the wheel's slots before now_tick into out; true when it caught
 * up (cur_tick == now_tick), false when out is full. */
static bool wheel_run(struct imp_state *st, uint64_t now_tick, struct rte_mbuf **out, uint16_t *k, uint16_t max)
{
	while (st->wheel_n) {
		uint64_t tick = wheel_first(st);
		uint32_t s = (uint32_t)(tick & (IMP_WHEEL_SLOTS - 1));

		if (tick >= now_tick)
			break;
		st->cur_tick = tick;
		while (st->whead[s]) {
			uint32_t e = st->whead[s];

			if (*k == max)
				return false;
			out[(*k)++] = st->wm[e - 1];
			st->whead[s] = st->wnext[e - 1];
			st->wnext[e - 1] = st->wfree;
			st->wfree = e;
			st->wheel_n--;
		}
		st->wtail[s] = 0;
		st->wbits[s / 64] &= ~(1ull << (s % 64));
	}
	st->cur_tick = now_tick;
	return true;
}

uint16_t imp_release(struct imp_state *st, struct imp_budget *b, uint64_t now, struct rte_mbuf **out, uint16_t max)
{
	uint16_t k = 0;

	if (!st->wheel) {
		while (k < max && st->head != st->tail && st->fifo[st->head & st->mask].key <= now)
			out[k++] = st->fifo[st->head++ & st->mask].m;
	} else {
		uint64_t now_tick = now >> st->tick_shift;

		if (wheel_run(st, now_tick, out, &k, max)) {
			while (st->head != st->tail && st->fifo[st->head & st->mask].key <= now) {
				struct imp_ent *e = &st->fifo[st->head & st->mask];

				if (e->due <= now) {
					if (k == max)
						break;
					out[k++] = e->m;
				} else {
					wheel_put(st, e->due >> st->tick_shift, e->m);
				}
				st->head++;
			}
		}
	}
	for (uint16_t i = 0; i < k; i++)
		b->used -= out[i]->nb_segs;
	if (k)
		atomic_store_explicit(&st->queued, held(st), memory_order_relaxed);
	return k;
}

uint64_t imp_next_due(const struct imp_state *st)
{
	uint64_t next = UINT64_MAX;

	if (st->head != st->tail)
		next = st->fifo[st->head & st->mask].key;
	if (st->wheel_n) {
		uint64_t w = (wheel_first(st) + 1) << st->tick_shift;

		next = w < next ? w : next;
	}
	return next;
}

void imp_check_empty(struct imp_state *st)
{
	if (!atomic_load_explicit(&st->drain, memory_order_acquire) || held(st) != 0 ||
	    (st->handoff != NULL && rte_ring_count(st->handoff) != 0))
		return;
	atomic_store_explicit(&st->empty, true, memory_order_release);
}

uint32_t imp_flush(struct imp_state *st)
{
	struct imp_budget b = { .used = 0 };
	struct rte_mbuf *m[VNL_BURST];
	struct imp_handoff h;
	uint16_t n;

	/* Everything is due at the end of time. */
	while ((n = imp_release(st, &b, UINT64_MAX, m, VNL_BURST)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	while (st->handoff != NULL && rte_ring_sc_dequeue_elem(st->handoff, &h, sizeof(h)) == 0)
		rte_pktmbuf_free(h.m);
	return 0u - b.used;
}
