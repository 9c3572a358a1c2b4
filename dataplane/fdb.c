/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>

#include "fdb.h"

struct fdb *fdb_create(uint32_t max_entries)
{
	struct fdb *fdb;
	uint64_t buckets = 16;

	if (max_entries == 0 || max_entries > (1U << 26)) {
		errno = EINVAL;
		return NULL;
	}
	/* At most half full when max_entries are in. */
	while (buckets * FDB_BUCKET_ENTRIES < 2ULL * max_entries)
		buckets <<= 1;
	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL)
		return NULL;
	if (posix_memalign((void **)&fdb->buckets, 64, buckets * sizeof(struct fdb_bucket)) != 0) {
		free(fdb);
		errno = ENOMEM;
		return NULL;
	}
	memset(fdb->buckets, 0, buckets * sizeof(struct fdb_bucket));
	fdb->max_entries = max_entries;
	fdb->mask = (uint32_t)buckets - 1;
	fdb->shift = 64 - (unsigned)__builtin_ctzll(buckets);
	return fdb;
}

void fdb_destroy(struct fdb *fdb)
{
	if (fdb == NULL)
		return;
	free(fdb->buckets);
	free(fdb);
}

enum fdb_learn_result fdb_insert(struct fdb *fdb, uint64_t key, uint64_t val)
{
	uint32_t b = fdb_bucket_of(fdb, key);

	if (atomic_load_explicit(&fdb->count, memory_order_relaxed) >= fdb->max_entries)
		return FDB_FULL;
	for (int probe = 0; probe < 2; probe++, b = (b + 1) & fdb->mask) {
		struct fdb_entry *e = fdb->buckets[b].e;

		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++) {
			uint64_t free_key = 0;

			if (atomic_load_explicit(&e[i].key, memory_order_relaxed) != 0)
				continue;
			if (!atomic_compare_exchange_strong(&e[i].key, &free_key, FDB_KEY_BUSY))
				continue;
			atomic_store_explicit(&e[i].val, val, memory_order_relaxed);
			atomic_store_explicit(&e[i].key, key, memory_order_release);
			atomic_fetch_add_explicit(&fdb->count, 1, memory_order_relaxed);
			return FDB_LEARNED;
		}
	}
	return FDB_FULL;
}

/* Visit every live entry; fn returns true to remove it. Returns how many were
 * removed. A removal is a compare-and-swap of the key the visitor saw, so an
 * entry re-used by a worker meanwhile is left alone. */
typedef bool (*fdb_visit_fn)(uint64_t key, uint64_t val, void *arg);

static unsigned fdb_visit(const struct fdb *fdb, fdb_visit_fn fn, void *arg)
{
	unsigned removed = 0;

	for (uint32_t b = 0; b <= fdb->mask; b++) {
		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++) {
			struct fdb_entry *e = &fdb->buckets[b].e[i];
			uint64_t key = atomic_load_explicit(&e->key, memory_order_acquire);

			if (key <= FDB_KEY_BUSY)
				continue;
			if (!fn(key, atomic_load_explicit(&e->val, memory_order_relaxed), arg))
				continue;
			if (atomic_compare_exchange_strong(&e->key, &key, 0)) {
				atomic_fetch_sub_explicit(&((struct fdb *)fdb)->count, 1, memory_order_relaxed);
				removed++;
			}
		}
	}
	return removed;
}

struct age_arg {
	uint32_t now, aging;
	fdb_aged_cb cb;
	void *arg;
};

static bool age_fn(uint64_t key, uint64_t val, void *arg)
{
	struct age_arg *a = arg;

	if ((int32_t)(a->now - fdb_val_seen(val)) <= (int32_t)a->aging)
		return false;
	if (a->cb != NULL)
		a->cb(fdb_key_lan(key), a->arg);
	return true;
}

unsigned fdb_age(struct fdb *fdb, uint32_t now, uint32_t aging, fdb_aged_cb cb, void *arg)
{
	struct age_arg a = { now, aging, cb, arg };

	return fdb_visit(fdb, age_fn, &a);
}

struct flush_arg {
	uint16_t lan, port;
	bool by_remote;   /* also match the remote */
	uint16_t remote;
};

static bool flush_fn(uint64_t key, uint64_t val, void *arg)
{
	struct flush_arg *a = arg;

	return (a->lan == VNL_LAN_NONE || fdb_key_lan(key) == a->lan) &&
	       (a->port == VNL_PORT_NONE || fdb_val_port(val) == a->port) &&
	       (!a->by_remote || fdb_val_remote(val) == a->remote);
}

unsigned fdb_flush(struct fdb *fdb, uint16_t lan, uint16_t port)
{
	struct flush_arg a = { lan, port, false, 0 };

	return fdb_visit(fdb, flush_fn, &a);
}

unsigned fdb_flush_remote(struct fdb *fdb, uint16_t port, uint16_t remote)
{
	struct flush_arg a = { VNL_LAN_NONE, port, true, remote };

	return fdb_visit(fdb, flush_fn, &a);
}

struct walk_arg {
	fdb_rec_cb cb;
	void *arg;
	bool stop;
};

static bool walk_fn(uint64_t key, uint64_t val, void *arg)
{
	struct walk_arg *a = arg;
	struct fdb_rec r = {
		.lan = fdb_key_lan(key), .mac = fdb_key_mac(key),
		.port = fdb_val_port(val), .remote = fdb_val_remote(val), .seen = fdb_val_seen(val),
	};

	if (!a->stop)
		a->stop = a->cb(&r, a->arg) != 0;
	return false;
}

void fdb_walk_entries(const struct fdb *fdb, fdb_rec_cb cb, void *arg)
{
	struct walk_arg a = { cb, arg, false };

	fdb_visit(fdb, walk_fn, &a);
}

/* fdb_walk()'s callback, called from a record. */
struct walk_old_arg {
	fdb_walk_cb cb;
	void *arg;
};

static int walk_old_fn(const struct fdb_rec *r, void *arg)
{
	struct walk_old_arg *a = arg;

	return a->cb(r->lan, r->mac, r->port, r->seen, a->arg);
}

void fdb_walk(const struct fdb *fdb, fdb_walk_cb cb, void *arg)
{
	struct walk_old_arg a = { cb, arg };

	fdb_walk_entries(fdb, walk_old_fn, &a);
}
