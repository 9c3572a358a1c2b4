/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the MAC table learns, refreshes, moves, ages, flushes, keeps LANs
 * apart, stops at its size, and stays consistent when two threads learn at once.
 */
#include <pthread.h>
#include <stdlib.h>

#include "fdb.h"
#include "tap.h"

static uint64_t mac(unsigned n)
{
	return 0x020000000000ULL | n;
}

static void test_basic(void)
{
	struct fdb *f = fdb_create(16);

	ok(f != NULL, "create");
	ok(fdb_lookup(f, 0, mac(1)) == VNL_PORT_NONE, "empty table knows nothing");
	ok(fdb_learn(f, 0, mac(1), 3, 100) == FDB_LEARNED, "learn");
	ok(fdb_lookup(f, 0, mac(1)) == 3, "lookup after learn");
	ok(fdb_learn(f, 0, mac(1), 3, 100) == FDB_HIT, "same second, same port: hit");
	ok(fdb_learn(f, 0, mac(1), 3, 101) == FDB_REFRESHED, "later second: refreshed");
	ok(fdb_learn(f, 0, mac(1), 5, 101) == FDB_MOVED, "other port: moved");
	ok(fdb_lookup(f, 0, mac(1)) == 5, "lookup follows the move");
	ok(fdb_count(f) == 1, "a move does not add an entry");
	ok(fdb_lookup(f, 1, mac(1)) == VNL_PORT_NONE, "another LAN does not see it");
	ok(fdb_learn(f, 1, mac(1), 7, 101) == FDB_LEARNED, "same MAC in another LAN is its own entry");
	ok(fdb_lookup(f, 0, mac(1)) == 5 && fdb_lookup(f, 1, mac(1)) == 7, "both LANs keep their port");
	fdb_destroy(f);
}

static void test_aging(void)
{
	struct fdb *f = fdb_create(16);
	unsigned aged;

	fdb_learn(f, 0, mac(1), 1, 100);
	fdb_learn(f, 0, mac(2), 2, 150);
	aged = fdb_age(f, 400, 300, NULL, NULL);
	ok(aged == 0, "nothing older than 300 s at t=400");
	aged = fdb_age(f, 401, 300, NULL, NULL);
	ok(aged == 1 && fdb_lookup(f, 0, mac(1)) == VNL_PORT_NONE, "entry seen at 100 ages out at 401");
	ok(fdb_lookup(f, 0, mac(2)) == 2, "younger entry stays");
	fdb_learn(f, 0, mac(2), 2, 440);
	ok(fdb_age(f, 500, 300, NULL, NULL) == 0 && fdb_lookup(f, 0, mac(2)) == 2, "refresh restarts the clock");
	ok(fdb_count(f) == 1, "count follows aging");
	fdb_destroy(f);
}

static void test_full(void)
{
	struct fdb *f = fdb_create(16);
	unsigned learned = 0;

	for (unsigned i = 0; i < 16; i++)
		learned += fdb_learn(f, 0, mac(i), 1, 1) == FDB_LEARNED;
	ok(learned == 16, "16 of 16 learned");
	ok(fdb_learn(f, 0, mac(100), 1, 1) == FDB_FULL, "17th refused: table full");
	ok(fdb_lookup(f, 0, mac(100)) == VNL_PORT_NONE, "refused MAC stays unknown");
	ok(fdb_count(f) == 16, "never grows past its size");
	ok(fdb_learn(f, 0, mac(3), 2, 2) == FDB_MOVED, "known MACs still move when full");
	fdb_flush(f, VNL_LAN_NONE, 2);
	ok(fdb_learn(f, 0, mac(100), 1, 2) == FDB_LEARNED, "room again after a flush");
	fdb_destroy(f);

	/* A large table: every MAC fits (two buckets per key, half full at most). */
	f = fdb_create(65536);
	learned = 0;
	for (unsigned i = 0; i < 65536; i++)
		learned += fdb_learn(f, (uint16_t)(i % 7), mac(i * 2654435761U), 1, 1) == FDB_LEARNED;
	ok(learned >= 65536 * 99 / 100, "65536-entry table takes %u of 65536 random MACs", learned);
	fdb_destroy(f);

	/* Sequential MACs (as labs assign them) differ in the last bytes only. */
	f = fdb_create(4096);
	learned = 0;
	for (unsigned i = 0; i < 4096; i++) {
		uint8_t m[6] = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		learned += fdb_learn(f, 0, fdb_mac(m), 1, 1) == FDB_LEARNED;
	}
	ok(learned >= 4096 * 99 / 100, "4096-entry table takes %u of 4096 sequential MACs", learned);
	fdb_destroy(f);
}

static void test_flush(void)
{
	struct fdb *f = fdb_create(64);

	for (unsigned i = 0; i < 10; i++)
		fdb_learn(f, (uint16_t)(i % 2), mac(i), (uint16_t)(i % 3), 1);
	ok(fdb_flush(f, 0, VNL_PORT_NONE) == 5, "flush LAN 0 removes its 5 entries");
	ok(fdb_count(f) == 5, "LAN 1 keeps 5");
	ok(fdb_flush(f, VNL_LAN_NONE, 1) > 0, "flush by port");
	for (unsigned i = 0; i < 10; i++)
		if (i % 3 == 1)
			ok(fdb_lookup(f, (uint16_t)(i % 2), mac(i)) == VNL_PORT_NONE, "MAC %u of port 1 gone", i);
	fdb_destroy(f);
}

struct thr {
	struct fdb *f;
	unsigned base;
	unsigned learned;
};

static void *learner(void *arg)
{
	struct thr *t = arg;

	for (unsigned i = 0; i < 20000; i++)
		t->learned += fdb_learn(t->f, 0, mac(t->base + i), (uint16_t)t->base, 1) == FDB_LEARNED;
	return NULL;
}

static void test_concurrent(void)
{
	struct fdb *f = fdb_create(100000);
	struct thr a = { f, 0, 0 }, b = { f, 1000000, 0 };
	pthread_t ta, tb;
	unsigned found = 0;

	pthread_create(&ta, NULL, learner, &a);
	pthread_create(&tb, NULL, learner, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ok(a.learned + b.learned == 40000, "two threads learn 40000 distinct MACs");
	ok(fdb_count(f) == 40000, "count is exact");
	for (unsigned i = 0; i < 20000; i++)
		found += fdb_lookup(f, 0, mac(i)) == 0 && fdb_lookup(f, 0, mac(1000000 + i)) == (uint16_t)1000000;
	ok(found == 20000, "every entry maps to its own port");
	fdb_destroy(f);
}

int main(void)
{
	ok(fdb_create(0) == NULL, "size 0 refused");
	test_basic();
	test_aging();
	test_full();
	test_flush();
	test_concurrent();
	return tap_done();
}
