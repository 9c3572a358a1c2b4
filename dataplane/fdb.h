/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MAC table (forwarding database) of all LANs: (LAN, MAC) -> (port,
 * remote). The remote is the index (0..FDB_REMOTE_MAX) of the VXLAN tunnel
 * endpoint behind a vxlan port that the MAC was seen through, so remote
 * MACs live in the same table with the same bounds and aging as local ones;
 * it is 0 for every other port. A MAC moving from one remote to another of
 * the same port is a move, like one between ports.
 *
 * A fixed array of 64-byte buckets of four entries, sized at creation so that
 * the table is at most half full when it holds max_entries; a key lives in its
 * hash bucket or the next one. It never grows: once max_entries MACs are
 * known (or both buckets of a key are full), fdb_learn() returns FDB_FULL and
 * the caller floods frames to that MAC.
 *
 * Thread-safety: lookups are lock-free and may run on any thread at any time.
 * Workers learn (insert and refresh) concurrently: a new entry is claimed with
 * a compare-and-swap of its key to FDB_KEY_BUSY, filled, then published with a
 * release store of the real key, so a reader never sees a half-written entry.
 * Aging and flushing run on the control thread and remove entries with a
 * compare-and-swap of the key back to 0. A reader may race a removal and use
 * an entry one last time; callers check that the port still belongs to the
 * LAN, so such a frame can go to a stale port of the same LAN, never across.
 * Two workers that see a new MAC at the same instant may both insert it; the
 * duplicate is harmless (lookups return the first) and ages out.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp.h"

#define FDB_BUCKET_ENTRIES 4
#define FDB_REMOTE_MAX UINT16_MAX /* the val's top 16 bits */
#define FDB_VAL_WHERE 0xffff00000000ffffULL /* the bits of a val that say where: port and remote */
#define FDB_KEY_BUSY 1ULL /* never a valid key: valid keys have the LAN in bits 48..63, LAN+1 > 0 */

struct fdb_entry {
	_Atomic uint64_t key; /* (LAN + 1) << 48 | MAC; 0 = free */
	_Atomic uint64_t val; /* port | last-seen second << 16 | remote << 48 */
};

struct fdb_bucket {
	struct fdb_entry e[FDB_BUCKET_ENTRIES];
} __attribute__((aligned(64)));

struct fdb {
	uint32_t max_entries;   /* learning stops at this many entries */
	uint32_t mask;          /* buckets - 1 */
	unsigned shift;         /* 64 - log2(buckets): the hash is the product's top bits */
	_Atomic uint32_t count; /* entries in use */
	struct fdb_bucket *buckets;
};

enum fdb_learn_result {
	FDB_HIT,       /* known, same port and remote, refreshed this second already */
	FDB_REFRESHED, /* known, same port and remote, last-seen time updated */
	FDB_LEARNED,   /* new entry */
	FDB_MOVED,     /* known on another port or remote of the LAN: now on this one */
	FDB_FULL,      /* not learned: table full */
};

/* NULL and errno set on failure (EINVAL, ENOMEM). */
struct fdb *fdb_create(uint32_t max_entries);
void fdb_destroy(struct fdb *fdb);

/* MAC bytes as a 48-bit integer (host order of the 6 bytes; opaque). */
static inline uint64_t fdb_mac(const uint8_t *mac)
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return v;
}

/* Same value from a MAC followed by at least 2 more readable bytes (inside a
 * frame): one 8-byte load instead of a 6-byte copy through the stack, which
 * stalls on store-to-load forwarding. Little-endian hosts only, like DPDK's
 * x86 build. */
static inline uint64_t fdb_mac_in_frame(const uint8_t *mac)
{
	uint64_t v;

	memcpy(&v, mac, 8);
	return v & 0xffffffffffffULL;
}

static inline void fdb_mac_bytes(uint64_t mac, uint8_t out[6])
{
	memcpy(out, &mac, 6);
}

static inline uint64_t fdb_key(uint16_t lan, uint64_t mac)
{
	return ((uint64_t)(uint16_t)(lan + 1) << 48) | mac;
}

static inline uint16_t fdb_key_lan(uint64_t key)
{
	return (uint16_t)((key >> 48) - 1);
}

static inline uint64_t fdb_key_mac(uint64_t key)
{
	return key & 0xffffffffffffULL;
}

static inline uint64_t fdb_val(uint16_t port, uint32_t now, uint16_t remote)
{
	return (uint64_t)port | (uint64_t)now << 16 | (uint64_t)remote << 48;
}

static inline uint16_t fdb_val_port(uint64_t val)
{
	return (uint16_t)val;
}

static inline uint32_t fdb_val_seen(uint64_t val)
{
	return (uint32_t)(val >> 16);
}

static inline uint16_t fdb_val_remote(uint64_t val)
{
	return (uint16_t)(val >> 48);
}

static inline uint32_t fdb_bucket_of(const struct fdb *fdb, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> fdb->shift);
}

static inline struct fdb_entry *fdb_find(const struct fdb *fdb, uint64_t key)
{
	uint32_t b = fdb_bucket_of(fdb, key);

	for (int probe = 0; probe < 2; probe++, b = (b + 1) & fdb->mask) {
		struct fdb_entry *e = fdb->buckets[b].e;

		for (int i = 0; i < FDB_BUCKET_ENTRIES; i++)
			if (atomic_load_explicit(&e[i].key, memory_order_acquire) == key)
				return &e[i];
	}
	return NULL;
}

/* The port that owns MAC in LAN, or VNL_PORT_NONE. */
static inline uint16_t fdb_lookup(const struct fdb *fdb, uint16_t lan, uint64_t mac)
{
	const struct fdb_entry *e = fdb_find(fdb, fdb_key(lan, mac));

	if (e == NULL)
		return VNL_PORT_NONE;
	return fdb_val_port(atomic_load_explicit(&e->val, memory_order_relaxed));
}

/* The same, and the remote behind the port in *remote (0 when unknown). */
static inline uint16_t fdb_lookup_remote(const struct fdb *fdb, uint16_t lan, uint64_t mac, uint16_t *remote)
{
	const struct fdb_entry *e = fdb_find(fdb, fdb_key(lan, mac));
	uint64_t val;

	if (e == NULL) {
		*remote = 0;
		return VNL_PORT_NONE;
	}
	val = atomic_load_explicit(&e->val, memory_order_relaxed);
	*remote = fdb_val_remote(val);
	return fdb_val_port(val);
}

/* Slow part of learning: insert a new entry. */
enum fdb_learn_result fdb_insert(struct fdb *fdb, uint64_t key, uint64_t val);

/* Record that MAC was seen in LAN on port (through remote: 0 for a port
 * without remotes) at second now. One compare of the whole val decides a
 * hit, as before remotes existed: plain ports pay nothing for them. */
static inline enum fdb_learn_result fdb_learn(struct fdb *fdb, uint16_t lan, uint64_t mac,
					      uint16_t port, uint16_t remote, uint32_t now)
{
	uint64_t key = fdb_key(lan, mac);
	struct fdb_entry *e = fdb_find(fdb, key);
	uint64_t old, val = fdb_val(port, now, remote);

	if (e == NULL)
		return fdb_insert(fdb, key, val);
	old = atomic_load_explicit(&e->val, memory_order_relaxed);
	if (likely(old == val))
		return FDB_HIT;
	atomic_store_explicit(&e->val, val, memory_order_relaxed);
	return ((old ^ val) & FDB_VAL_WHERE) == 0 ? FDB_REFRESHED : FDB_MOVED;
}

/* Callback of fdb_age(): one entry of this LAN was removed. */
typedef void (*fdb_aged_cb)(uint16_t lan, void *arg);

/* Remove entries not seen for more than aging seconds. Returns how many. */
unsigned fdb_age(struct fdb *fdb, uint32_t now, uint32_t aging, fdb_aged_cb cb, void *arg);

/* Remove entries of a LAN and/or a port (VNL_*_NONE = any). Returns how many. */
unsigned fdb_flush(struct fdb *fdb, uint16_t lan, uint16_t port);

/* Remove the entries learned on port through remote (a remote taken out of
 * a vxlan port, whose index may be given to another). Returns how many. */
unsigned fdb_flush_remote(struct fdb *fdb, uint16_t port, uint16_t remote);

/* Visit every entry; stops early when cb returns non-zero. */
typedef int (*fdb_walk_cb)(uint16_t lan, uint64_t mac, uint16_t port, uint32_t seen, void *arg);
void fdb_walk(const struct fdb *fdb, fdb_walk_cb cb, void *arg);

/* One entry, as fdb_walk_entries() reports it. */
struct fdb_rec {
	uint16_t lan;
	uint64_t mac;      /* as fdb_mac() */
	uint16_t port;
	uint16_t remote;   /* 0 for ports without remotes */
	uint32_t seen;     /* last-seen second */
};

/* fdb_walk() with the remote: every entry as a record. (show-fdb moves to
 * it with the vxlan port kind, and fdb_walk() then goes.) */
typedef int (*fdb_rec_cb)(const struct fdb_rec *r, void *arg);
void fdb_walk_entries(const struct fdb *fdb, fdb_rec_cb cb, void *arg);

static inline uint32_t fdb_count(const struct fdb *fdb)
{
	return atomic_load_explicit(&((struct fdb *)fdb)->count, memory_order_relaxed);
}
