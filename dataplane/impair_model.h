/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The impairment model: what happens to one frame of one port direction,
 * decided in netem's order (sch_netem.c netem_enqueue): duplicate, loss,
 * corrupt, then delay/jitter/rate or reorder's send-now. Pure C, no DPDK:
 * the worker (impair_queue.c) and the unit test (impair_model_test.c) use
 * the same inline functions.
 *
 * Units: times are "ticks" (the worker uses TSC cycles, the test any unit);
 * probabilities are thresholds on a 32-bit draw, imp_thr(ppm): an event of
 * probability P happens when the draw is below P * 2^32 (100 % = 2^32:
 * always). No correlation parameters: Gilbert-Elliott is the correlated
 * loss model.
 *
 * Thread-safety: struct imp_params is immutable once built (parameters are
 * replaced as a whole); struct imp_model is written by one thread (the
 * port's owner worker).
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

enum imp_dist { IMP_DIST_UNIFORM, IMP_DIST_NORMAL };

/* Entries of the normal table (quantiles of (i + 0.5) / IMP_NORMAL_N), and
 * the fixed point of its values (z * 2^IMP_NORMAL_SHIFT). */
#define IMP_NORMAL_BITS 12
#define IMP_NORMAL_N (1u << IMP_NORMAL_BITS)
#define IMP_NORMAL_SHIFT 16

/* A direction's parameters, in ticks and thresholds. */
struct imp_params {
	uint64_t delay;          /* ticks added to every frame not reordered */
	uint64_t jitter;         /* ticks: uniform +-jitter, or normal with sigma jitter */
	uint8_t dist;            /* enum imp_dist */
	bool ge;                 /* loss is Gilbert-Elliott (ge_*), else Bernoulli (loss) */
	uint64_t loss;           /* threshold: Bernoulli loss */
	uint64_t ge_p, ge_r;     /* thresholds: good->bad, bad->good transitions */
	uint64_t ge_1h, ge_1k;   /* thresholds: loss in the bad, in the good state */
	uint64_t dup;            /* threshold: a second copy */
	uint64_t reorder;        /* threshold: send now, ahead of the queue (needs delay) */
	uint32_t gap;            /* reorder at most every gap-th frame (netem's gap; >= 1 with reorder) */
	uint64_t corrupt;        /* threshold: one bit flipped */
	uint64_t tpb;            /* ticks per wire byte, 32.32 fixed point; 0: no rate */
	uint64_t burst;          /* ticks: the token bucket's depth (burst bytes at the rate) */
	int32_t overhead;        /* bytes added to each frame's length for the rate */
	uint32_t limit;          /* frames queued at most */
};

/* A direction's mutable state. */
struct imp_model {
	uint64_t s[4];           /* xoshiro256** */
	bool ge_bad;             /* Gilbert-Elliott: in the bad state */
	uint32_t counter;        /* frames delayed since the last reorder (netem's counter) */
	uint64_t vt;             /* rate: virtual finish time of the last frame */
	uint64_t last_due;       /* rate: due time of the last frame queued */
};

static inline uint64_t imp_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed m from (seed, port slot, direction): the same three give the same
 * sequence of decisions. Clears the rest of the state. */
static inline void imp_model_init(struct imp_model *m, uint64_t seed, uint16_t slot, uint8_t dir)
{
	uint64_t x = seed ^ ((uint64_t)slot << 48) ^ ((uint64_t)dir << 40);

	*m = (struct imp_model){ 0 };
	for (int i = 0; i < 4; i++)
		m->s[i] = imp_splitmix64(&x);
}

static inline uint64_t imp_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static inline uint64_t imp_next(struct imp_model *m)
{
	uint64_t *s = m->s, r = imp_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = imp_rotl(s[3], 45);
	return r;
}

static inline uint32_t imp_u32(struct imp_model *m)
{
	return (uint32_t)(imp_next(m) >> 32);
}

/* The threshold of a probability in parts per million (0..1000000). */
static inline uint64_t imp_thr(uint32_t ppm)
{
	return ((uint64_t)ppm << 32) / 1000000u;
}

/* One draw: true with the probability of thr. No draw when thr is 0, so a
 * setting left out does not move the sequence of the others. */
static inline bool imp_draw(struct imp_model *m, uint64_t thr)
{
	return thr != 0 && imp_u32(m) < thr;
}

/* Is this frame lost? Gilbert-Elliott as netem's loss_gilb_ell: the
 * transition draw, then the loss draw with the probability of the state the
 * frame found. */
static inline bool imp_lost(const struct imp_params *p, struct imp_model *m)
{
	bool bad;

	if (!p->ge)
		return imp_draw(m, p->loss);
	bad = m->ge_bad;
	if (bad ? imp_u32(m) < p->ge_r : imp_u32(m) < p->ge_p)
		m->ge_bad = !bad;
	return imp_draw(m, bad ? p->ge_1h : p->ge_1k);
}

/* How many copies of the frame go on: 0 (lost), 1, or 2 (a duplicate).
 * netem's count: the duplicate draw, then the loss draw; a frame drawn for
 * both goes on once. may_dup is false for a duplicate itself (netem
 * re-enqueues it with duplicate off). */
static inline unsigned imp_copies(const struct imp_params *p, struct imp_model *m, bool may_dup)
{
	unsigned n = 1 + (may_dup && imp_draw(m, p->dup));

	return n - imp_lost(p, m);
}

/* Corrupt this frame? Then *bit is the bit to flip among len bytes
 * (byte *bit / 8, mask 1 << *bit % 8). */
static inline bool imp_corrupt(const struct imp_params *p, struct imp_model *m, uint32_t len, uint32_t *bit)
{
	if (len == 0 || !imp_draw(m, p->corrupt))
		return false;
	*bit = (uint32_t)(((uint64_t)imp_u32(m) * ((uint64_t)len * 8)) >> 32);
	return true;
}

/* Does this frame go now, ahead of the queue (reorder), rather than delayed?
 * netem: delayed when gap is 0, within the gap, or the draw says no. */
static inline bool imp_reorder_now(const struct imp_params *p, struct imp_model *m)
{
	if (p->reorder == 0 || m->counter + 1 < p->gap || imp_u32(m) >= p->reorder) {
		m->counter++;
		return false;
	}
	m->counter = 0;
	return true;
}

/* Fill the normal table: z quantiles of (i + 0.5) / N, by bisection on erfc
 * (control thread, once; |z| <= 3.67 for N = 4096). */
static inline void imp_normal_table(int32_t t[IMP_NORMAL_N])
{
	for (unsigned i = 0; i < IMP_NORMAL_N / 2; i++) {
		double q = (i + 0.5) / IMP_NORMAL_N, lo = 0, hi = 10;

		/* Upper tail: P(Z > z) = erfc(z / sqrt 2) / 2 = q. */
		for (int k = 0; k < 60; k++) {
			double mid = (lo + hi) / 2;

			if (erfc(mid / M_SQRT2) / 2 > q)
				lo = mid;
			else
				hi = mid;
		}
		t[IMP_NORMAL_N - 1 - i] = (int32_t)(lo * (1 << IMP_NORMAL_SHIFT) + 0.5);
		t[i] = -t[IMP_NORMAL_N - 1 - i];
	}
}

/* The largest |jitter offset| the parameters can draw (ticks): the queue's
 * horizon. One more for the rounding of negative offsets. */
static inline uint64_t imp_jitter_max(const struct imp_params *p, const int32_t *normal)
{
	if (p->dist == IMP_DIST_NORMAL)
		return (uint64_t)(((__uint128_t)p->jitter * (uint32_t)normal[IMP_NORMAL_N - 1]) >> IMP_NORMAL_SHIFT) + 1;
	return p->jitter;
}

/* A jitter offset in ticks: uniform in [-jitter, jitter), or jitter * z from
 * the normal table. */
static inline int64_t imp_jitter(const struct imp_params *p, struct imp_model *m, const int32_t *normal)
{
	uint32_t u;

	if (p->jitter == 0)
		return 0;
	u = imp_u32(m);
	if (p->dist == IMP_DIST_NORMAL)
		return (int64_t)(((__int128)(int64_t)p->jitter * normal[u >> (32 - IMP_NORMAL_BITS)]) >> IMP_NORMAL_SHIFT);
	return (int64_t)(((__uint128_t)p->jitter * 2 * u) >> 32) - (int64_t)p->jitter;
}

/* Ticks per byte at rate_bps for a clock of hz ticks per second, 32.32. */
static inline uint64_t imp_tpb(uint64_t hz, uint64_t rate_bps)
{
	__uint128_t v;

	if (rate_bps == 0)
		return 0;
	v = (((__uint128_t)hz * 8) << 32) / rate_bps;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* Ticks len bytes take at the rate (tpb 32.32). */
static inline uint64_t imp_wire_ticks(uint64_t tpb, uint64_t len)
{
	return (uint64_t)(((__uint128_t)len * tpb) >> 32);
}

static inline uint64_t imp_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* When a frame of len bytes (without FCS) arriving at t leaves, given its
 * jitter offset j (imp_jitter). Without rate: t + delay + j, at least t.
 * With rate: a token bucket on wire bytes (len + overhead): the virtual
 * finish time advances by the frame's wire time from max(itself, the
 * frame's delayed arrival minus the bucket's depth), and the frame leaves at
 * the latest of its delayed arrival, its finish time and the previous
 * frame's due time (a rate keeps the queue FIFO). With burst 0 that is
 * netem's max(t + delay, last) + wire time. */
static inline uint64_t imp_due(const struct imp_params *p, struct imp_model *m, uint64_t t, uint32_t len, int64_t j)
{
	uint64_t at = t + p->delay;
	int64_t bytes;

	if (j < 0 && (uint64_t)-j > p->delay)
		at = t;
	else
		at = (uint64_t)((int64_t)at + j);
	if (p->tpb == 0)
		return at;
	bytes = (int64_t)len + p->overhead;
	m->vt = imp_max(m->vt, at > p->burst ? at - p->burst : 0) + imp_wire_ticks(p->tpb, bytes > 0 ? (uint64_t)bytes : 0);
	m->last_due = imp_max(imp_max(at, m->vt), m->last_due);
	return m->last_due;
}
