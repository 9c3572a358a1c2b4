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

enum fdb_learn_result fdb_insert(struct fdb *fdb, uint64_t key, uint16_t port, uint32_t now)
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
			atomic_store_explicit(&e[i].val, fdb_val(port, now), memory_order_relaxed);
			atomic_store_explicit(&e[i].key, key, memory_order_release);
			atomic_fetch_add_explicit(&fdb->count, 1, memory_order_relaxed);
			return FDB_LEARNED;
		}
	}
	return FDB_FULL;
}

/* Remove one entry if it still holds key. */
static bool fdb_remove(struct fdb *fdb, struct fdb_entry *e, uint64_t key)
{
	if (!atomic_compare_exchange_strong(&e->key, &key, 0))
		return false;
	atomic_fetch_sub_explicit(&fdb->count, 1, memory_order_relaxed);
	return true;
}

unsigned fdb_age(struct fdb *fdb, uint32_t now, uint32_t aging, fdb_aged_cb cb, void *arg)
{
	unsigned removed = 0;

	for (uint32_t b = 0; b <= fdb->mask; b++) {
		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++) {
			struct fdb_entry *e = &fdb->buckets[b].e[i];
			uint64_t key = atomic_load_explicit(&e->key, memory_order_acquire);
			uint32_t seen;

			if (key <= FDB_KEY_BUSY)
				continue;
			seen = (uint32_t)(atomic_load_explicit(&e->val, memory_order_relaxed) >> 16);
			if ((int32_t)(now - seen) <= (int32_t)aging)
				continue;
			if (fdb_remove(fdb, e, key)) {
				removed++;
				if (cb != NULL)
					cb(fdb_key_lan(key), arg);
			}
		}
	}
	return removed;
}

unsigned fdb_flush(struct fdb *fdb, uint16_t lan, uint16_t port)
{
	unsigned removed = 0;

	for (uint32_t b = 0; b <= fdb->mask; b++) {
		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++) {
			struct fdb_entry *e = &fdb->buckets[b].e[i];
			uint64_t key = atomic_load_explicit(&e->key, memory_order_acquire);
			uint16_t p;

			if (key <= FDB_KEY_BUSY)
				continue;
			p = (uint16_t)atomic_load_explicit(&e->val, memory_order_relaxed);
			if (lan != VNL_LAN_NONE && fdb_key_lan(key) != lan)
				continue;
			if (port != VNL_PORT_NONE && p != port)
				continue;
			removed += fdb_remove(fdb, e, key);
		}
	}
	return removed;
}

void fdb_walk(const struct fdb *fdb, fdb_walk_cb cb, void *arg)
{
	for (uint32_t b = 0; b <= fdb->mask; b++) {
		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++) {
			struct fdb_entry *e = &fdb->buckets[b].e[i];
			uint64_t key = atomic_load_explicit(&e->key, memory_order_acquire);
			uint64_t val;

			if (key <= FDB_KEY_BUSY)
				continue;
			val = atomic_load_explicit(&e->val, memory_order_relaxed);
			if (cb(fdb_key_lan(key), fdb_key_mac(key), (uint16_t)val, (uint32_t)(val >> 16), arg))
				return;
		}
	}
}
