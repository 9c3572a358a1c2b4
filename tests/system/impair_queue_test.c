/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the impairments' queue (dataplane/impair_queue.c) with states
 * made by the control side (impair.c, from impair-set's JSON): frames leave
 * no earlier than their due time and on time (delay exact, jitter within
 * its bounds and reordering, rate spacing = wire bytes / rate within 1 %),
 * and every frame is counted once: delayed, lost, duplicated, reordered,
 * corrupted (a frame another holder shares is copied first), dropped by the
 * limit (22 of a burst of 32 with limit 10) or by the worker's mbuf share;
 * the handoff ring feeds the owner; a replaced state drains then is freed
 * by the tick; a deleted port's queued frames are freed; no mbuf is left.
 *
 * Operations: DPDK's EAL without hugepages, no worker lcores: the test is
 * the owner and passes the TSC values itself. TAP; "1..0 # SKIP" when the
 * EAL cannot start here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "../unit/tap.h"
#include "eal_test.h"
#include "impair.h"
#include "offload.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"

struct rte_mempool *vnl_pktmbuf_pool;
uint16_t vnl_max_frame = 1518;

static int absent_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	(void)p, (void)req;
	return vnl_errf(err, -EOPNOTSUPP, "not in this test");
}

const struct port_ops port_vhost_ops = { "vhost", absent_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
const struct port_ops port_xsk_ops = { "afxdp", absent_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
const struct port_ops port_packet_ops = { "afxdp", absent_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
const struct port_ops port_tap_ops = { "tap", absent_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
const struct port_ops port_vxlan_ops = { "vxlan", absent_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

static struct port port = { .name = "q0", .slot = 6, .rx_via = 6 };
static struct port_stats ps;
static struct rte_mbuf *gso_out[VNL_GSO_SEGS_MAX];
static uint64_t hz;

/* A frame of len bytes whose bytes 14..17 hold its number. */
static struct rte_mbuf *frame(uint32_t id, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vnl_pktmbuf_pool);
	uint8_t *f;

	if (m == NULL || (f = (uint8_t *)rte_pktmbuf_append(m, len)) == NULL) {
		printf("Bail out! no mbuf\n");
		exit(1);
	}
	memset(f, 0xa5, len);
	memcpy(f + 14, &id, sizeof(id));
	return m;
}

static uint32_t id_of(const struct rte_mbuf *m)
{
	uint32_t id;

	memcpy(&id, rte_pktmbuf_mtod_offset(m, const uint8_t *, 14), sizeof(id));
	return id;
}

/* impair-set on the test port from a JSON text. */
static struct imp_state *set(uint8_t dir, const char *json)
{
	struct json_object *req = json_tokener_parse(json), *reply = json_object_new_object();
	struct vnl_err err = { 0, "" };
	int r = impair_set(&port, dir, req, reply, &err);

	json_object_put(req);
	json_object_put(reply);
	if (r < 0) {
		printf("# impair-set %s: %s\n", json, err.msg);
		return NULL;
	}
	return impair_active(port.slot, dir);
}

static int set_err(const char *json, const char *want)
{
	struct json_object *req = json_tokener_parse(json), *reply = json_object_new_object();
	struct vnl_err err = { 0, "" };
	int r = impair_set(&port, IMP_OUT, req, reply, &err);

	json_object_put(req);
	json_object_put(reply);
	if (r >= 0 || strstr(err.msg, want) == NULL)
		printf("# %s: %d '%s'\n", json, r, err.msg);
	return r < 0 && strstr(err.msg, want) != NULL;
}

static struct imp_ctx ctx(void)
{
	return (struct imp_ctx){ .ps = &ps, .budget = impair_budget(0), .gso_out = gso_out };
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The IQR of the n latencies lat[] (sorted in place), in ms. */
static double iqr_ms(uint64_t *lat, unsigned n)
{
	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	return (double)(lat[3 * n / 4] - lat[n / 4]) * 1000.0 / (double)hz;
}

/* Feed n frames of len (ids from id0) at t; the frames sent at once are freed and counted. */
static unsigned feed(struct imp_state *st, uint32_t id0, unsigned n, uint16_t len, uint64_t t)
{
	struct rte_mbuf *in[VNL_BURST], *now[IMP_NOW_MAX];
	struct imp_ctx c = ctx();
	unsigned sent_now = 0;

	for (unsigned i = 0; i < n; i += VNL_BURST) {
		uint16_t k = (uint16_t)(n - i < VNL_BURST ? n - i : VNL_BURST), j;

		for (uint16_t q = 0; q < k; q++)
			in[q] = frame(id0 + i + q, len);
		for (uint16_t taken, off = 0; off < k; off += taken) {
			j = imp_input(st, &c, in + off, (uint16_t)(k - off), t, now, &taken);
			sent_now += j;
			rte_pktmbuf_free_bulk(now, j);
		}
	}
	return sent_now;
}

static uint64_t pc(enum port_counter c)
{
	return ps.v[c];
}

/* Release everything from t0 to t1 in steps of step ticks; each frame's
 * release time into when[id] (ids < max), order into ids[]. Returns the count. */
static unsigned drain(struct imp_state *st, uint64_t t0, uint64_t t1, uint64_t step, uint64_t *when, uint32_t *ids,
		      unsigned max)
{
	struct rte_mbuf *m[VNL_BURST];
	unsigned got = 0;

	for (uint64_t t = t0; t <= t1; t += step) {
		uint16_t n;

		while ((n = imp_release(st, impair_budget(0), t, m, VNL_BURST)) > 0) {
			for (uint16_t i = 0; i < n; i++) {
				uint32_t id = id_of(m[i]);

				if (id < max && when != NULL)
					when[id] = t;
				if (ids != NULL && got < max)
					ids[got] = id;
				got++;
			}
			rte_pktmbuf_free_bulk(m, n);
		}
	}
	return got;
}

static void test_delay(void)
{
	struct imp_state *st = set(IMP_OUT, "{\"delay_ns\":2000000,\"seed\":1}");
	uint64_t t0 = 1000000000, d = 2000000 * hz / 1000000000, when[200];
	uint32_t ids[200];
	unsigned got;
	bool order = true;

	if (!ok(st != NULL, "delay 2 ms set"))
		return;
	feed(st, 0, 200, 60, t0);
	ok(imp_next_due(st) == t0 + d, "next due = arrival + delay");
	ok(drain(st, t0, t0 + d - 1, d - 1, NULL, NULL, 0) == 0, "nothing leaves before the delay");
	got = drain(st, t0 + d, t0 + d, 1, when, ids, 200);
	for (unsigned i = 0; i < got; i++)
		order &= ids[i] == i;
	ok(got == 200 && order && pc(PC_imp_out_delayed) == 200, "all 200 leave at the due time, in order (%u)", got);
	ok(imp_next_due(st) == UINT64_MAX && imp_budget_held(impair_budget(0)) == 0, "queue empty, budget back to 0");
}

static void test_jitter(void)
{
	struct imp_state *st = set(IMP_OUT, "{\"delay_ns\":2000000,\"jitter_ns\":1000000,\"limit\":5000,\"seed\":2}");
	const uint64_t t0 = 2000000000, us = hz / 1000000;
	static uint64_t when[2000];
	static uint32_t ids[2000];
	unsigned got, inversions = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	double iqr;
	bool in = true;

	if (!ok(st != NULL && st->wheel, "jitter 1 ms uniform: a wheel"))
		return;
	for (unsigned i = 0; i < 2000; i++)
		feed(st, i, 1, 60, t0 + i * us);
	got = drain(st, t0, t0 + 5000 * us, us, when, ids, 2000);
	for (unsigned i = 0; i < 2000; i++) {
		uint64_t lat = when[i] - (t0 + i * us);

		in &= lat + us >= 1000 * us && lat <= 3000 * us + (2ull << st->tick_shift);
		lo = lat < lo ? lat : lo;
		hi = lat > hi ? lat : hi;
	}
	for (unsigned i = 1; i < got; i++)
		inversions += ids[i] < ids[i - 1];
	for (unsigned i = 0; i < 2000; i++)
		when[i] -= t0 + i * us;
	iqr = iqr_ms(when, 2000);
	ok(got == 2000 && in, "2000 frames out (%u), each after 1 to 3 ms (+ a tick of %llu cycles): %.3f..%.3f ms", got,
	   (unsigned long long)1 << st->tick_shift, (double)lo / (double)(1000 * us), (double)hi / (double)(1000 * us));
	ok(inversions > 100, "jitter reorders (%u inversions)", inversions);
	ok(fabs(iqr - 1.0) < 0.1, "uniform +-1 ms: IQR %.3f ms (1)", iqr);

	st = set(IMP_OUT, "{\"delay_ns\":2000000,\"jitter_ns\":500000,\"dist\":\"normal\",\"seed\":3}");
	if (st == NULL)
		return;
	for (unsigned i = 0; i < 1000; i++)
		feed(st, i, 1, 60, t0 + i * us);
	got = drain(st, t0, t0 + 6000 * us, us, when, NULL, 2000);
	in = true;
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t lat = when[i] - (t0 + i * us);

		in &= lat + us >= 2000 * us - st->jmax && lat <= 2000 * us + st->jmax + (2ull << st->tick_shift);
	}
	ok(got == 1000 && in, "normal 0.5 ms: 1000 frames within 2 ms +- 3.67 sigma");
	for (unsigned i = 0; i < 1000; i++)
		when[i] -= t0 + i * us;
	iqr = iqr_ms(when, 1000);
	ok(fabs(iqr / (1.349 * 0.5) - 1) < 0.1, "normal sigma 0.5 ms: IQR %.3f ms (0.674)", iqr);
}

/* The wheel against its own model: 100000 frames at random gaps, released
 * at random moments (the worker's wake-ups, up to 600 us apart, sometimes
 * 10 ms): each leaves no earlier than its due time and no later than the
 * first release call a tick after it. */
static void test_wheel_stress(void)
{
	struct imp_state *st = set(IMP_OUT, "{\"delay_ns\":2000000,\"jitter_ns\":2000000,\"limit\":65535,\"seed\":21}");
	struct imp_model ref;
	struct rte_mbuf *m[VNL_BURST];
	static uint64_t due[100000];
	uint64_t t = 9000000000, us = hz / 1000000, last_call = 0, worst = 0, tick;
	unsigned sent = 0, got = 0, early = 0, late = 0;

	if (st == NULL)
		return;
	tick = 1ull << st->tick_shift;
	imp_model_init(&ref, 21, port.slot, IMP_OUT);
	srand(7);
	while (got < 100000) {
		uint16_t n;

		if (sent < 100000 && rand() % 2) {
			due[sent] = t + st->p.delay + (uint64_t)imp_jitter(&st->p, &ref, st->normal);
			feed(st, sent++, 1, 60, t);
			t += (uint64_t)(rand() % 20) * us;
			continue;
		}
		t += rand() % 100 == 0 ? 10000 * us : (uint64_t)(rand() % 600) * us;
		while ((n = imp_release(st, impair_budget(0), t, m, VNL_BURST)) > 0) {
			for (uint16_t i = 0; i < n; i++) {
				uint32_t id = id_of(m[i]);

				early += t < due[id];
				/* Due by the previous call's tick: it should have left then. */
				if (t > due[id] && last_call >= due[id] + tick) {
					late++;
					worst = t - due[id] > worst ? t - due[id] : worst;
				}
				got++;
			}
			rte_pktmbuf_free_bulk(m, n);
		}
		last_call = t;
		if (sent == 100000 && got < 100000 && imp_next_due(st) == UINT64_MAX)
			break;
	}
	ok(got == 100000 && early == 0 && late == 0, "wheel stress: %u of 100000 out, %u early, %u late (worst %.3f ms)",
	   got, early, late, (double)worst / (double)(1000 * us));
}

static void test_loss_dup_reorder_corrupt(void)
{
	struct imp_state *st;
	unsigned now, got;

	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"delay_ns\":1000,\"loss_ppm\":100000,\"seed\":4}");
	if (st == NULL)
		return;
	got = 0;
	for (int r = 0; r < 10; r++) {
		feed(st, 0, 1000, 60, 3000000000);
		got += drain(st, 3000000000, 3000000000 + hz, hz, NULL, NULL, 0);
	}
	ok(pc(PC_imp_out_lost) + got == 10000 && pc(PC_imp_out_lost) > 900 && pc(PC_imp_out_lost) < 1100,
	   "loss 10 %%: %lu lost + %u delivered = 10000", (unsigned long)pc(PC_imp_out_lost), got);

	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"delay_ns\":1000,\"dup_ppm\":1000000,\"seed\":5}");
	feed(st, 0, 100, 60, 3000000000);
	got = drain(st, 3000000000, 3000000000 + hz, hz, NULL, NULL, 0);
	ok(got == 200 && pc(PC_imp_out_duplicated) == 100, "duplicate 100 %%: 200 frames out of 100 (%u)", got);

	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"delay_ns\":10000000,\"reorder_ppm\":250000,\"seed\":6}");
	now = got = 0;
	for (int r = 0; r < 10; r++) {
		now += feed(st, 0, 1000, 60, 3000000000);
		got += drain(st, 3000000000, 3000000000 + hz, hz, NULL, NULL, 0);
	}
	ok(now == pc(PC_imp_out_reordered) && now + got == 10000 && now > 2300 && now < 2700,
	   "reorder 25 %%: %u sent at once, %u delayed", now, got);

	/* corrupt 100 %: the queued frame differs by one bit; a shared frame is copied first. */
	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"delay_ns\":1000,\"corrupt_ppm\":1000000,\"seed\":7}");
	{
		struct rte_mbuf *m = frame(1, 100), *in[1] = { m }, *now_[IMP_NOW_MAX], *out[4];
		uint16_t taken;
		struct imp_ctx c = ctx();
		uint8_t ref[100];
		unsigned diff = 0, orig_diff = 0;
		uint16_t n;

		memcpy(ref, rte_pktmbuf_mtod(m, uint8_t *), 100);
		rte_pktmbuf_refcnt_update(m, 1); /* a flood's other holder */
		imp_input(st, &c, in, 1, 3000000000, now_, &taken);
		n = imp_release(st, impair_budget(0), 3000000000 + hz, out, 4);
		for (int i = 0; n == 1 && i < 100; i++) {
			diff += (unsigned)__builtin_popcount(rte_pktmbuf_mtod(out[0], uint8_t *)[i] ^ ref[i]);
			orig_diff += rte_pktmbuf_mtod(m, uint8_t *)[i] != ref[i];
		}
		ok(n == 1 && out[0] != m && diff == 1 && orig_diff == 0 && pc(PC_imp_out_corrupted) == 1,
		   "corrupt: one bit of a copy flipped, the shared original untouched");
		rte_pktmbuf_free_bulk(out, n);
		rte_pktmbuf_free(m);
	}
}

static void test_rate_limit(void)
{
	struct imp_state *st;
	const uint64_t t0 = 4000000000;
	static uint64_t when[1000];
	double want, got;

	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"rate_bps\":100000000,\"seed\":8}");
	if (st == NULL)
		return;
	feed(st, 0, 1000, 1000, t0);
	drain(st, t0, t0 + hz / 5, hz / 100000, when, NULL, 1000);
	want = 1000.0 * 8 / 1e8 * (double)hz; /* ticks per 1000-byte frame at 100 Mbit/s */
	got = (double)(when[999] - when[0]) / 999;
	ok(fabs(got / want - 1) < 0.01, "rate 100 Mbit/s: frames spaced %.0f ticks, expected %.0f", got, want);
	ok(pc(PC_imp_out_rate_dropped) == 0, "limit 1000: nothing dropped");

	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"delay_ns\":1000000,\"limit\":10,\"seed\":9}");
	feed(st, 0, 32, 60, t0);
	ok(pc(PC_imp_out_queue_full) == 22 && pc(PC_imp_out_delayed) == 10, "limit 10, burst of 32: 22 dropped (%lu)",
	   (unsigned long)pc(PC_imp_out_queue_full));
	drain(st, t0, t0 + hz, hz, NULL, NULL, 0);
	memset(&ps, 0, sizeof(ps));
	st = set(IMP_OUT, "{\"rate_bps\":1000000,\"limit\":10,\"seed\":9}");
	feed(st, 0, 32, 60, t0);
	ok(pc(PC_imp_out_rate_dropped) == 22, "limit 10 with a rate: rate_dropped 22 (%lu)",
	   (unsigned long)pc(PC_imp_out_rate_dropped));
	drain(st, t0, t0 + hz, hz / 1000, NULL, NULL, 0);
}

static void test_budget(void)
{
	struct imp_budget *b = impair_budget(0);
	struct imp_state *st;
	uint32_t max = b->max;

	memset(&ps, 0, sizeof(ps));
	b->max = 50;
	st = set(IMP_OUT, "{\"delay_ns\":1000000,\"seed\":10}");
	feed(st, 0, 64, 60, 5000000000);
	ok(pc(PC_imp_out_queue_full) == 14 && imp_budget_held(b) == 50, "worker share 50 mbufs: 14 of 64 dropped");
	drain(st, 5000000000, 5000000000 + hz, hz, NULL, NULL, 0);
	b->max = max;
}

static void test_handoff_retire(void)
{
	struct imp_state *st = set(IMP_IN, "{\"delay_ns\":1000,\"seed\":11}"), *old;
	struct rte_mbuf *now[IMP_NOW_MAX];
	struct imp_handoff h[3];
	struct imp_ctx c = ctx();
	unsigned got;
	uint16_t taken;

	memset(&ps, 0, sizeof(ps));
	if (!ok(st != NULL && st->handoff != NULL, "in, two workers: a handoff ring"))
		return;
	for (int i = 0; i < 3; i++)
		h[i] = (struct imp_handoff){ frame((uint32_t)i, 60), 6000000000 };
	ok(rte_ring_mp_enqueue_bulk_elem(st->handoff, h, sizeof(h[0]), 3, NULL) == 3, "another worker hands 3 over");
	ok(imp_drain_handoff(st, &c, now, &taken) == 0 && taken == 3 && pc(PC_imp_in_delayed) == 3, "the owner queues them (imp_in_delayed 3)");

	/* Replace: the old state drains its frames, then the tick frees it. */
	old = st;
	st = set(IMP_IN, "{\"delay_ns\":5000,\"seed\":12}");
	ok(st != old && atomic_load(&old->drain) && old->retired, "impair-set again: the old state retired, draining");
	imp_check_empty(old);
	ok(!atomic_load(&old->empty), "not empty while it holds frames");
	got = drain(old, 6000000000, 6000000000 + hz, hz, NULL, NULL, 0);
	imp_check_empty(old);
	ok(got == 3 && atomic_load(&old->empty), "its 3 frames leave, then it is empty");
	impair_tick(); /* frees it (ASan runs would see a leak or a use after free) */

	/* A deleted port: its queued frames go. */
	feed(st, 0, 40, 60, 7000000000);
	ok(rte_mempool_in_use_count(vnl_pktmbuf_pool) == 40, "40 frames held");
	impair_port_gone(port.slot);
	ok(impair_active(port.slot, IMP_IN) == NULL && impair_active(port.slot, IMP_OUT) == NULL &&
	   rte_mempool_in_use_count(vnl_pktmbuf_pool) == 0 && imp_budget_held(impair_budget(port.slot % 2)) == 0,
	   "port gone: states and frames freed, budget back to 0");
}

static void test_errors(void)
{
	ok(set_err("{\"reorder_ppm\":1000}", "reorder needs a delay"), "reorder without delay refused");
	ok(set_err("{\"jitter_ns\":1000}", "jitter needs a delay, as in netem"), "jitter without delay refused (as vnld)");
	ok(set_err("{\"loss_ppm\":1000001}", "'loss_ppm' must be in 0..1000000"), "101 %% refused");
	ok(set_err("{\"rate_bps\":5}", "rate_bps"), "5 bit/s refused");
	ok(set_err("{\"delay_ns\":100,\"gap\":3}", "gap needs reorder"), "gap without reorder refused");
	ok(set_err("{\"gemodel\":[0]}", "p > 0"), "gemodel p 0 refused");
	ok(set_err("{\"loss_ppm\":1,\"gemodel\":[5]}", "not both"), "loss and gemodel refused");
	ok(set_err("{\"dist\":\"pareto\"}", "'dist'"), "unknown distribution refused");
	ok(set_err("{\"limit\":0}", "'limit'"), "limit 0 refused");
}

int main(int argc, char **argv)
{
	(void)argc;
	if (eal_test_init(argv[0], "iq", "256", "0@0") < 0)
		return 0;
	hz = rte_get_tsc_hz();
	vnl_pktmbuf_pool = rte_pktmbuf_pool_create("t_mbufs", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (vnl_pktmbuf_pool == NULL || snapshot_init(1) < 0 || ol_init(vnl_pktmbuf_pool, SOCKET_ID_ANY) < 0 ||
	    reg_init(1, vnl_max_frame, 300, 4096) < 0 || impair_init(2, 8000) < 0) {
		printf("Bail out! set-up: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	/* Slot 6 with two workers: worker 0 owns it, the budget the test passes. */
	test_delay();
	test_jitter();
	test_wheel_stress();
	test_loss_dup_reorder_corrupt();
	test_rate_limit();
	test_budget();
	test_handoff_retire();
	test_errors();
	impair_fini();
	ok(rte_mempool_in_use_count(vnl_pktmbuf_pool) == 0, "every mbuf back in the pool");
	reg_fini();
	ol_fini();
	snapshot_fini();
	rte_mempool_free(vnl_pktmbuf_pool);
	rte_eal_cleanup();
	return tap_done();
}
