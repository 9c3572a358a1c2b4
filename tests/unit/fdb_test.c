/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the MAC table learns, refreshes, moves, ages, flushes, keeps LANs
 * apart, stops at its size, and stays consistent when two threads learn at once.
 * Remote MACs (learned through a remote of a vxlan port): the val layout
 * (port | seen << 16 | remote << 48), a move between remotes of one port is a
 * move, lookups return the remote, aging ignores it, flush by port + remote
 * takes exactly those entries, walks report it.
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
	ok(fdb_learn(f, 0, mac(1), 3, 0, 100) == FDB_LEARNED, "learn");
	ok(fdb_lookup(f, 0, mac(1)) == 3, "lookup after learn");
	ok(fdb_learn(f, 0, mac(1), 3, 0, 100) == FDB_HIT, "same second, same port: hit");
	ok(fdb_learn(f, 0, mac(1), 3, 0, 101) == FDB_REFRESHED, "later second: refreshed");
	ok(fdb_learn(f, 0, mac(1), 5, 0, 101) == FDB_MOVED, "other port: moved");
	ok(fdb_lookup(f, 0, mac(1)) == 5, "lookup follows the move");
	ok(fdb_count(f) == 1, "a move does not add an entry");
	ok(fdb_lookup(f, 1, mac(1)) == VNL_PORT_NONE, "another LAN does not see it");
	ok(fdb_learn(f, 1, mac(1), 7, 0, 101) == FDB_LEARNED, "same MAC in another LAN is its own entry");
	ok(fdb_lookup(f, 0, mac(1)) == 5 && fdb_lookup(f, 1, mac(1)) == 7, "both LANs keep their port");
	fdb_destroy(f);
}

static void test_aging(void)
{
	struct fdb *f = fdb_create(16);
	unsigned aged;

	fdb_learn(f, 0, mac(1), 1, 0, 100);
	fdb_learn(f, 0, mac(2), 2, 0, 150);
	aged = fdb_age(f, 400, 300, NULL, NULL);
	ok(aged == 0, "nothing older than 300 s at t=400");
	aged = fdb_age(f, 401, 300, NULL, NULL);
	ok(aged == 1 && fdb_lookup(f, 0, mac(1)) == VNL_PORT_NONE, "entry seen at 100 ages out at 401");
	ok(fdb_lookup(f, 0, mac(2)) == 2, "younger entry stays");
	fdb_learn(f, 0, mac(2), 2, 0, 440);
	ok(fdb_age(f, 500, 300, NULL, NULL) == 0 && fdb_lookup(f, 0, mac(2)) == 2, "refresh restarts the clock");
	ok(fdb_count(f) == 1, "count follows aging");
	fdb_destroy(f);
}

static void test_full(void)
{
	struct fdb *f = fdb_create(16);
	unsigned learned = 0;

	for (unsigned i = 0; i < 16; i++)
		learned += fdb_learn(f, 0, mac(i), 1, 0, 1) == FDB_LEARNED;
	ok(learned == 16, "16 of 16 learned");
	ok(fdb_learn(f, 0, mac(100), 1, 0, 1) == FDB_FULL, "17th refused: table full");
	ok(fdb_lookup(f, 0, mac(100)) == VNL_PORT_NONE, "refused MAC stays unknown");
	ok(fdb_count(f) == 16, "never grows past its size");
	ok(fdb_learn(f, 0, mac(3), 2, 0, 2) == FDB_MOVED, "known MACs still move when full");
	fdb_flush(f, VNL_LAN_NONE, 2);
	ok(fdb_learn(f, 0, mac(100), 1, 0, 2) == FDB_LEARNED, "room again after a flush");
	fdb_destroy(f);

	/* A large table: every MAC fits (two buckets per key, half full at most). */
	f = fdb_create(65536);
	learned = 0;
	for (unsigned i = 0; i < 65536; i++)
		learned += fdb_learn(f, (uint16_t)(i % 7), mac(i * 2654435761U), 1, 0, 1) == FDB_LEARNED;
	ok(learned >= 65536 * 99 / 100, "65536-entry table takes %u of 65536 random MACs", learned);
	fdb_destroy(f);

	/* Sequential MACs (as labs assign them) differ in the last bytes only. */
	f = fdb_create(4096);
	learned = 0;
	for (unsigned i = 0; i < 4096; i++) {
		uint8_t m[6] = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		learned += fdb_learn(f, 0, fdb_mac(m), 1, 0, 1) == FDB_LEARNED;
	}
	ok(learned >= 4096 * 99 / 100, "4096-entry table takes %u of 4096 sequential MACs", learned);
	fdb_destroy(f);
}

static void test_flush(void)
{
	struct fdb *f = fdb_create(64);

	for (unsigned i = 0; i < 10; i++)
		fdb_learn(f, (uint16_t)(i % 2), mac(i), (uint16_t)(i % 3), 0, 1);
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
		t->learned += fdb_learn(t->f, 0, mac(t->base + i), (uint16_t)t->base, 0, 1) == FDB_LEARNED;
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

struct walk_seen {
	unsigned n, with_remote, old;
	uint16_t remote_of_9;
	uint32_t seen_of_9;
};

static int rec_cb(const struct fdb_rec *r, void *arg)
{
	struct walk_seen *w = arg;

	w->n++;
	w->with_remote += r->remote != 0;
	if (r->mac == mac(9) && r->lan == 2) {
		w->remote_of_9 = r->remote;
		w->seen_of_9 = r->seen;
	}
	return 0;
}

static int old_cb(uint16_t lan, uint64_t m, uint16_t port, uint32_t seen, void *arg)
{
	struct walk_seen *w = arg;

	(void)lan;
	w->old += m == mac(9) && port == 4 && seen == 77;
	return 0;
}

static int stop_cb(const struct fdb_rec *r, void *arg)
{
	(void)r;
	return ++*(unsigned *)arg == 3;
}

static void test_remote(void)
{
	struct fdb *f = fdb_create(64);
	struct walk_seen w = { 0 };
	unsigned stops = 0, kept = 0;
	uint16_t remote = 99;

	ok(fdb_val(0x1234, 0x89abcdef, 0x5678) == 0x567889abcdef1234ULL, "val: port | seen << 16 | remote << 48");
	ok(fdb_val_port(0x567889abcdef1234ULL) == 0x1234 && fdb_val_seen(0x567889abcdef1234ULL) == 0x89abcdef &&
	   fdb_val_remote(0x567889abcdef1234ULL) == 0x5678, "and back");
	ok(fdb_learn(f, 2, mac(9), 4, 2, 100) == FDB_LEARNED, "learn through remote 2 of port 4");
	ok(fdb_lookup_remote(f, 2, mac(9), &remote) == 4 && remote == 2, "lookup gives port 4, remote 2");
	ok(fdb_lookup(f, 2, mac(9)) == 4, "plain lookup gives the port");
	ok(fdb_learn(f, 2, mac(9), 4, 2, 100) == FDB_HIT, "same remote, same second: hit");
	ok(fdb_learn(f, 2, mac(9), 4, 2, 101) == FDB_REFRESHED, "same remote, later: refreshed");
	ok(fdb_learn(f, 2, mac(9), 4, 3, 101) == FDB_MOVED, "another remote of the same port: moved");
	ok(fdb_lookup_remote(f, 2, mac(9), &remote) == 4 && remote == 3, "now behind remote 3");
	ok(fdb_learn(f, 2, mac(9), 5, 0, 101) == FDB_MOVED, "to a plain port: moved");
	ok(fdb_lookup_remote(f, 2, mac(9), &remote) == 5 && remote == 0, "remote 0 there");
	ok(fdb_learn(f, 2, mac(9), 4, 0, 101) == FDB_MOVED && fdb_learn(f, 2, mac(9), 4, 0, 102) == FDB_REFRESHED,
	   "remote 0 of port 4 is port 4 alone");
	ok(fdb_lookup_remote(f, 2, mac(10), &remote) == VNL_PORT_NONE && remote == 0, "unknown MAC: none, remote 0");
	ok(fdb_learn(f, 2, mac(11), 4, FDB_REMOTE_MAX, 100) == FDB_LEARNED &&
	   fdb_age(f, 400, 300, NULL, NULL) == 0 && fdb_age(f, 401, 300, NULL, NULL) == 1 &&
	   fdb_lookup(f, 2, mac(11)) == VNL_PORT_NONE, "remote 0xffff does not disturb aging (seen 100, gone at 401)");
	fdb_flush(f, VNL_LAN_NONE, VNL_PORT_NONE);

	/* Port 4: MACs 20..25 through remotes 0, 1, 2 (two each); port 5: 30, 31 with remote 1. */
	for (unsigned i = 0; i < 6; i++)
		fdb_learn(f, 0, mac(20 + i), 4, (uint16_t)(i % 3), 10);
	fdb_learn(f, 0, mac(30), 5, 1, 10);
	fdb_learn(f, 1, mac(31), 5, 1, 10);
	ok(fdb_flush_remote(f, 4, 1) == 2, "flush port 4 remote 1: its two entries");
	ok(fdb_lookup(f, 0, mac(21)) == VNL_PORT_NONE && fdb_lookup(f, 0, mac(24)) == VNL_PORT_NONE, "MACs 21, 24 gone");
	for (unsigned i = 0; i < 6; i++)
		kept += i % 3 != 1 && fdb_lookup_remote(f, 0, mac(20 + i), &remote) == 4 && remote == i % 3;
	ok(kept == 4 && fdb_lookup(f, 0, mac(30)) == 5 && fdb_lookup(f, 1, mac(31)) == 5,
	   "remotes 0 and 2 of port 4 and remote 1 of port 5 kept");
	ok(fdb_flush_remote(f, 4, 1) == 0, "again: nothing");

	fdb_learn(f, 2, mac(9), 4, 7, 77);
	fdb_walk_entries(f, rec_cb, &w);
	ok(w.n == 7 && w.with_remote == 5 && w.remote_of_9 == 7 && w.seen_of_9 == 77,
	   "walk: 7 entries, 5 with a remote, MAC 9 with remote 7 seen at 77");
	fdb_walk(f, old_cb, &w);
	ok(w.old == 1, "the port/seen walk still reports port and seen");
	fdb_walk_entries(f, stop_cb, &stops);
	ok(stops == 3, "a walk stops when the callback says so");
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
	test_remote();
	return tap_done();
}
