/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the impairment model (dataplane/impair_model.h) decides as
 * netem does, with the figures the settings promise. Over 1e6 draws:
 * Bernoulli loss within 0.05 point; Gilbert-Elliott's stationary loss within
 * 0.2 point of (1-k)r/(p+r) + (1-h)p/(p+r) and its mean loss burst within
 * 2 % of 1/r; duplicate within 0.05 point, a frame drawn for both duplicate
 * and loss going on once. The normal table symmetric, IQR 1.349 +- 0.5 %,
 * largest value 3.67; uniform jitter within its bounds with mean 0. The token
 * bucket: 1e5 frames of random sizes leave at the rate within 0.1 %, burst B
 * lets B bytes leave at once, due times never go back. Reorder with gap: the
 * exact sequence of netem's rule; same seed, same decisions.
 */
#include <stdlib.h>
#include <string.h>

#include "impair_model.h"
#include "tap.h"

#define N 1000000

static double frac(unsigned long k, unsigned long n)
{
	return 100.0 * (double)k / (double)n;
}

/* Points of tolerance for a fraction p over N draws: 0.05 (the target for
 * the 1 % figures), or 4 standard deviations where that is more. */
static double tol(double p)
{
	double sd4 = 400 * sqrt(p * (1 - p) / N);

	return sd4 > 0.05 ? sd4 : 0.05;
}

static void test_bernoulli(void)
{
	static const uint32_t ppm[] = { 1000, 10000, 100000, 500000 };

	for (unsigned i = 0; i < sizeof(ppm) / sizeof(ppm[0]); i++) {
		struct imp_params p = { .loss = imp_thr(ppm[i]) };
		struct imp_model m;
		unsigned long lost = 0;

		imp_model_init(&m, 42, 3, 0);
		for (int k = 0; k < N; k++)
			lost += imp_lost(&p, &m);
		ok(fabs(frac(lost, N) - ppm[i] / 1e4) < tol(ppm[i] / 1e6), "loss %.1f %%: %.3f %% lost", ppm[i] / 1e4,
		   frac(lost, N));
	}
	{
		struct imp_params p = { .loss = imp_thr(1000000) };
		struct imp_model m;
		unsigned long lost = 0;

		imp_model_init(&m, 1, 0, 0);
		for (int k = 0; k < 1000; k++)
			lost += imp_lost(&p, &m);
		ok(lost == 1000, "loss 100 %%: every frame lost");
	}
}

/* Gilbert-Elliott with p, r, 1-h, 1-k in ppm. */
static void test_ge(uint32_t pp, uint32_t rp, uint32_t hp, uint32_t kp)
{
	struct imp_params p = { .ge = true, .ge_p = imp_thr(pp), .ge_r = imp_thr(rp), .ge_1h = imp_thr(hp), .ge_1k = imp_thr(kp) };
	double P = pp / 1e6, R = rp / 1e6, H1 = hp / 1e6, K1 = kp / 1e6;
	double want = 100 * (K1 * R / (P + R) + H1 * P / (P + R));
	unsigned long lost = 0, bursts = 0, run = 0;
	struct imp_model m;

	imp_model_init(&m, 7, 1, 1);
	for (int k = 0; k < N; k++) {
		if (imp_lost(&p, &m)) {
			lost++;
			run++;
		} else if (run) {
			bursts++;
			run = 0;
		}
	}
	ok(fabs(frac(lost, N) - want) < 0.2, "gemodel %g%% %g%% %g%% %g%%: %.3f %% lost, expected %.3f %%",
	   P * 100, R * 100, H1 * 100, K1 * 100, frac(lost, N), want);
	if (hp == 1000000 && kp == 0) {
		double mean = (double)lost / (double)bursts;

		ok(fabs(mean * R - 1) < 0.02, "gemodel %g%% %g%%: mean loss burst %.3f frames, expected %.3f", P * 100,
		   R * 100, mean, 1 / R);
	}
}

static void test_duplicate(void)
{
	struct imp_params p = { .dup = imp_thr(50000) };
	struct imp_params pl = { .dup = imp_thr(1000000), .loss = imp_thr(1000000) };
	struct imp_model m;
	unsigned long two = 0, other = 0;

	imp_model_init(&m, 9, 0, 0);
	for (int k = 0; k < N; k++) {
		unsigned c = imp_copies(&p, &m, true);

		two += c == 2;
		other += c != 1 && c != 2;
	}
	ok(fabs(frac(two, N) - 5) < 0.05 && other == 0, "duplicate 5 %%: %.3f %% doubled", frac(two, N));
	two = 0;
	for (int k = 0; k < 1000; k++)
		two += imp_copies(&p, &m, false) == 2;
	ok(two == 0, "a duplicate is never duplicated again");
	ok(imp_copies(&pl, &m, true) == 1, "drawn for duplicate and loss: goes on once");
	ok(imp_copies(&pl, &m, false) == 0, "a duplicate drawn for loss is lost");
}

static void test_normal(void)
{
	static int32_t t[IMP_NORMAL_N];
	bool sym = true, sorted = true;
	double iqr, top;

	imp_normal_table(t);
	for (unsigned i = 0; i < IMP_NORMAL_N; i++) {
		sym &= t[i] == -t[IMP_NORMAL_N - 1 - i];
		sorted &= i == 0 || t[i] >= t[i - 1];
	}
	ok(sym && sorted, "normal table symmetric and sorted");
	iqr = (t[3 * IMP_NORMAL_N / 4] - t[IMP_NORMAL_N / 4 - 1]) / (double)(1 << IMP_NORMAL_SHIFT);
	ok(fabs(iqr / 1.349 - 1) < 0.005, "normal IQR %.4f (1.349)", iqr);
	top = t[IMP_NORMAL_N - 1] / (double)(1 << IMP_NORMAL_SHIFT);
	ok(fabs(top - 3.67) < 0.01, "normal table max %.3f (3.67)", top);

	{
		struct imp_params p = { .jitter = 1000000, .dist = IMP_DIST_NORMAL };
		struct imp_model m;
		double sum = 0, sq = 0;
		bool in = true;

		imp_model_init(&m, 5, 0, 0);
		for (int k = 0; k < N; k++) {
			int64_t j = imp_jitter(&p, &m, t);

			in &= (uint64_t)llabs(j) <= imp_jitter_max(&p, t);
			sum += (double)j;
			sq += (double)j * (double)j;
		}
		ok(in, "normal jitter within imp_jitter_max (%llu)", (unsigned long long)imp_jitter_max(&p, t));
		ok(fabs(sqrt(sq / N) / 1e6 - 1) < 0.01 && fabs(sum / N) < 5000, "normal jitter: sigma %.4f, mean %.0f",
		   sqrt(sq / N) / 1e6, sum / N);
	}
}

static void test_uniform(void)
{
	struct imp_params p = { .jitter = 2000, .delay = 1000 };
	struct imp_model m;
	int64_t lo = 0, hi = 0;
	double sum = 0;
	bool clamp = true;

	imp_model_init(&m, 11, 0, 0);
	for (int k = 0; k < N; k++) {
		int64_t j = imp_jitter(&p, &m, NULL);

		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
		sum += (double)j;
		clamp &= imp_due(&p, &m, 5000, 100, j) >= 5000;
	}
	ok(lo >= -2000 && lo < -1990 && hi < 2000 && hi > 1990, "uniform jitter in [-2000, 2000): %lld..%lld",
	   (long long)lo, (long long)hi);
	ok(fabs(sum / N) < 5, "uniform jitter mean %.2f", sum / N);
	ok(clamp, "delay + jitter never before the arrival");
}

static void test_rate(void)
{
	const uint64_t hz = 2500000000ull, rate = 100000000ull; /* 2.5 GHz clock, 100 Mbit/s */
	struct imp_params p = { .tpb = imp_tpb(hz, rate), .overhead = 24, .delay = 1000 };
	struct imp_model m;
	uint64_t bytes = 0, due = 0, last = 0;
	bool mono = true;
	double want, err;

	imp_model_init(&m, 3, 0, 0);
	srand(1);
	for (int k = 0; k < 100000; k++) {
		uint32_t len = 60 + (uint32_t)(rand() % 1455);

		due = imp_due(&p, &m, 0, len, 0); /* all at once: a backlog */
		mono &= due >= last;
		last = due;
		bytes += len + 24;
	}
	want = (double)bytes * 8 * (double)hz / (double)rate;
	err = ((double)due - 1000 - want) / want;
	ok(fabs(err) < 0.001 && mono, "rate: 1e5 frames leave at %.5f of the rate, in order", 1 + err);

	/* Frames arriving slower than the rate leave after the delay alone. */
	imp_model_init(&m, 3, 0, 0);
	due = imp_due(&p, &m, 0, 1000, 0);
	ok(due == 1000 + imp_wire_ticks(p.tpb, 1024), "burst 0: the first frame waits its wire time");
	due = imp_due(&p, &m, 10000000, 1000, 0);
	ok(due == 10001000 + imp_wire_ticks(p.tpb, 1024), "idle link: netem's t + delay + wire time");

	/* burst 15000 bytes: ten 1476-byte frames (1500 with overhead) go at
	 * once, the eleventh waits. */
	p.burst = imp_wire_ticks(p.tpb, 15000);
	imp_model_init(&m, 3, 0, 0);
	{
		bool at_once = true;

		for (int k = 0; k < 10; k++)
			at_once &= imp_due(&p, &m, 1000000000, 1476, 0) == 1000001000;
		due = imp_due(&p, &m, 1000000000, 1476, 0);
		ok(at_once && due == 1000001000 + imp_wire_ticks(p.tpb, 1500),
		   "burst 15000: 10 frames of 1500 wire bytes at once, the 11th one wire time later (%llu ticks)",
		   (unsigned long long)(due - 1000001000));
	}
}

/* netem's rule, written out: delayed if gap == 0 || counter < gap - 1 ||
 * reorder < draw; else sent now and counter = 0. */
static void test_reorder(void)
{
	struct imp_params p = { .reorder = imp_thr(1000000), .gap = 5, .delay = 10 };
	struct imp_params q = { .reorder = imp_thr(250000), .gap = 1, .delay = 10 };
	struct imp_model m, r;
	char seq[21] = { 0 };
	unsigned long now = 0;
	bool same = true;

	imp_model_init(&m, 1, 0, 0);
	for (int k = 0; k < 20; k++)
		seq[k] = imp_reorder_now(&p, &m) ? 'N' : 'd';
	ok(strcmp(seq, "ddddNddddNddddNddddN") == 0, "reorder 100 %% gap 5: %s", seq);

	imp_model_init(&m, 2, 0, 0);
	imp_model_init(&r, 2, 0, 0);
	for (int k = 0; k < N; k++) {
		bool got = imp_reorder_now(&q, &m);
		/* The reference: the same draw, netem's comparison. */
		uint32_t u = imp_u32(&r);

		same &= got == (u < q.reorder);
		now += got;
	}
	ok(same, "reorder gap 1: each decision is netem's");
	ok(fabs(frac(now, N) - 25) < 0.1, "reorder 25 %%: %.3f %% sent now", frac(now, N));

	p.reorder = 0;
	imp_model_init(&m, 1, 0, 0);
	now = 0;
	for (int k = 0; k < 100; k++)
		now += imp_reorder_now(&p, &m);
	ok(now == 0, "no reorder: every frame delayed");
}

static void test_corrupt_seed(void)
{
	struct imp_params p = { .corrupt = imp_thr(1000000), .loss = imp_thr(300000), .dup = imp_thr(100000) };
	struct imp_model a, b, c;
	bool in = true, same = true, differ = false;
	uint32_t bit;

	imp_model_init(&a, 77, 4, 0);
	imp_model_init(&b, 77, 4, 0);
	imp_model_init(&c, 77, 4, 1);
	for (int k = 0; k < 10000; k++) {
		uint32_t len = 60 + (uint32_t)k % 1000, b1 = 0, b2 = 0;

		in &= imp_corrupt(&p, &a, len, &b1) && b1 < len * 8;
		imp_corrupt(&p, &b, len, &b2);
		same &= b1 == b2 && imp_copies(&p, &a, true) == imp_copies(&p, &b, true);
		differ |= imp_u32(&c) != imp_u32(&a);
		imp_u32(&b);
	}
	ok(in, "corrupt 100 %%: a bit within the frame every time");
	ok(same, "same seed, slot and direction: same decisions");
	ok(differ, "another direction: another sequence");
	p.corrupt = 0;
	ok(!imp_corrupt(&p, &a, 100, &bit), "corrupt 0: never");
}

int main(void)
{
	test_bernoulli();
	test_ge(50000, 500000, 1000000, 0);
	test_ge(10000, 200000, 800000, 10000);
	test_ge(1000, 100000, 1000000, 0);
	test_duplicate();
	test_normal();
	test_uniform();
	test_rate();
	test_reorder();
	test_corrupt_seed();
	return tap_done();
}
