/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The forwarding decision for one frame of a LAN: learn the source, then
 * unicast, flood or drop. Pure: no I/O, no allocation, only the snapshot, the
 * MAC table and the counters it is given, so the unit tests run it without
 * DPDK. The worker calls it for every frame of a burst, with a cache that lives
 * for that burst only (last source MAC learned, last destination looked up).
 *
 * Frames a vxlan port received come from one of its remotes (tunnel
 * endpoints): bridge_input_remote() learns their source MACs with the
 * remote (fdb.h); bridge_input() is the same with remote 0, for every other
 * port. A frame from a remote is never sent to another remote of the same
 * port (split horizon, as Linux and Open vSwitch do): it falls out of "never
 * back to the ingress port", the ingress being the vxlan port.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "fdb.h"
#include "snapshot.h"
#include "stats.h"

#define ETHER_HDR_LEN 14

enum bridge_next {
	BRIDGE_UNICAST, /* send to *out */
	BRIDGE_FLOOD,   /* send to every other port of the LAN */
	BRIDGE_DROP,    /* counted already */
};

/* Per-burst cache in front of the MAC table. Zero it before each burst. */
struct bridge_cache {
	bool smac_valid, dmac_valid;
	uint64_t smac;  /* last source MAC learned in this burst, | its remote << 48 */
	uint64_t dmac;  /* last destination looked up ... */
	uint16_t dport; /* ... and its port */
};

struct bridge_ctx {
	const struct snapshot *snap;
	struct fdb *fdb;
	uint16_t in;            /* ingress port slot */
	uint16_t lan;           /* its LAN (not VNL_LAN_NONE) */
	uint32_t now;           /* seconds, same clock as aging */
	struct port_stats *ps;  /* ingress port counters */
	struct lan_stats *ls;   /* LAN counters */
	struct bridge_cache cache;
};

/* frame/len: the frame's first bytes (at least the Ethernet header when len
 * allows) and its length. wire_len: the length of the longest frame it puts on
 * the wire, checked against the LAN's max_frame: len for a plain frame, the
 * size of one segment for a frame the switch or the receiver segments (TSO).
 * remote: the remote of the ingress vxlan port the frame came through. */
static inline enum bridge_next bridge_input_remote(struct bridge_ctx *c, uint16_t remote,
						   const uint8_t *frame, uint32_t len, uint32_t wire_len,
						   uint16_t *out)
{
	uint64_t smac, dmac, skey;
	uint16_t d;

	if (unlikely(len < ETHER_HDR_LEN)) {
		c->ps->v[PC_drop_runt]++;
		return BRIDGE_DROP;
	}
	if (unlikely(wire_len > c->snap->lan[c->lan].max_frame)) {
		c->ps->v[PC_drop_oversize]++;
		return BRIDGE_DROP;
	}
	dmac = fdb_mac_in_frame(frame);
	smac = fdb_mac_in_frame(frame + 6);
	skey = smac | (uint64_t)remote << 48;

	/* A multicast source address is invalid: never learn it. */
	if (!(c->cache.smac_valid && c->cache.smac == skey) && !(frame[6] & 1)) {
		switch (fdb_learn(c->fdb, c->lan, smac, c->in, remote, c->now)) {
		case FDB_LEARNED:
			c->ls->v[LC_learned]++;
			c->cache.dmac_valid = false;
			break;
		case FDB_MOVED:
			c->ls->v[LC_moved]++;
			c->cache.dmac_valid = false;
			break;
		case FDB_FULL:
			c->ls->v[LC_table_full]++;
			break;
		default:
			break;
		}
		c->cache.smac = skey;
		c->cache.smac_valid = true;
	}

	if (frame[0] & 1) {
		c->ls->v[LC_flooded]++;
		return BRIDGE_FLOOD;
	}
	if (c->cache.dmac_valid && c->cache.dmac == dmac) {
		d = c->cache.dport;
	} else {
		d = fdb_lookup(c->fdb, c->lan, dmac);
		c->cache.dmac = dmac;
		c->cache.dport = d;
		c->cache.dmac_valid = true;
	}
	/* Unknown, or learned on a port that has left the LAN since. */
	if (d == VNL_PORT_NONE || c->snap->port[d].lan != c->lan || c->snap->port[d].port == NULL) {
		c->ls->v[LC_unknown_unicast]++;
		c->ls->v[LC_flooded]++;
		return BRIDGE_FLOOD;
	}
	/* Don't forward back to the ingress port. */
	if (unlikely(d == c->in)) {
		c->ps->v[PC_drop_dst_is_src]++;
		return BRIDGE_DROP;
	}
	c->ls->v[LC_forwarded]++;
	*out = d;
	return BRIDGE_UNICAST;
}

/* bridge_input_remote() for a frame of a port without remotes. */
static inline enum bridge_next bridge_input(struct bridge_ctx *c, const uint8_t *frame,
					    uint32_t len, uint32_t wire_len, uint16_t *out)
{
	return bridge_input_remote(c, 0, frame, len, wire_len, out);
}
