/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vxlan ports: one per stretched LAN on this host. A vxlan port has a VNI,
 * a list of remotes (tunnel endpoints, one address family), a local address
 * and UDP port, and an underlay (underlay.h) it sends and receives through.
 * It has no rx() (its frames arrive through the underlay's, demultiplexed:
 * snap_port.demux) and is in no worker's poll list; its tx() encapsulates
 * into the underlay's umem (port_vxlan_tx.c, head-end replication for
 * floods).
 *
 * port-add {name, kind:"vxlan", vni:1..16777215, remote:["IP",...] (0..32),
 *           iface:"IFACE", local:"IP" (default: the route's prefsrc to the
 *           first remote), dstport:1..65535 (4789), netns:"/run/netns/X"}
 *
 * Who fills what: port_vxlan.c (the kind: open/close/show, validation,
 * underlay and key/VNI registration, the first remote table with every
 * remote `resolving`); neigh.c (routes and neighbours: states, next-hop
 * MACs and templates, republishing the table on every change); and
 * port_vxlan_tx.c (tx, per-remote tx counters).
 *
 * Remote indexes are stable (0..VX_REMOTES_MAX-1, `used` bitmap): the FDB
 * stores them (fdb.h remote bits), the underlay stamps them in m->hash.usr,
 * they index the per-remote counters. A remote that stays keeps its index
 * across vxlan-set; a removed one's index is freed only after a table
 * without it is published, its FDB entries flushed and its counters zeroed.
 * Frames an impairment of the port holds back (delay, `out`) keep the index
 * they were stamped with and are learned under it when they leave: so a new
 * remote never takes an index freed by the same vxlan-set (unless all 32
 * are needed), and one freed by an earlier call loses, when given out, the
 * FDB entries such frames made under it since. Left: frames still held
 * back across two vxlan-set calls (a delay longer than the time between
 * them) are learned under the new remote.
 *
 * Thread-safety: the control thread owns everything here but the counters;
 * workers read `remotes` (one acquire load per burst, vx_remotes_get) and
 * the immutable fields (vni, family, dstport, local, ul). A table, once
 * published, is never written: the control thread builds a new one,
 * publishes it with vx_remotes_publish (release store, snapshot_wait_readers,
 * free of the old). Counters: st[w] is written by worker w only (rx by the
 * underlay's polling worker, tx by whichever worker sends), summed by the
 * control thread (vx_remote_stats_read).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>

#include "dp.h"
#include "port.h"
#include "vxlan.h"

#define VX_REMOTES_MAX 32
#define VX_INDEX_NONE 0xff

struct underlay;

/* A remote's state, as neigh.c finds it (port_vxlan.c starts every remote
 * in VX_RESOLVING). Only VX_RESOLVED remotes get frames; frames to the
 * others are counted drop_vx_no_neigh (port and remote). */
enum vx_remote_state {
	VX_RESOLVING,     /* route found, neighbour asked for (NTF_USE), no MAC yet */
	VX_RESOLVED,      /* next hop's MAC known: tmpl is valid */
	VX_FAILED,        /* the kernel's neighbour entry is FAILED */
	VX_NO_ROUTE,      /* no route to the remote */
	VX_WRONG_IFACE,   /* the route leaves by another interface than the underlay's */
	VX_STATES
};

/* "resolving", "resolved", "failed", "no-route", "wrong-interface" (show). */
extern const char *const vx_remote_state_names[VX_STATES];

struct vx_remote {
	uint8_t addr[16];         /* the remote's address, network order (IPv4: first 4 bytes) */
	uint8_t index;            /* stable, 0..VX_REMOTES_MAX-1 */
	uint8_t state;            /* enum vx_remote_state */
	uint8_t mac[6];           /* next hop's MAC (VX_RESOLVED) */
	uint8_t via[16];          /* next hop: the route's gateway, else addr (VX_RESOLVED, VX_RESOLVING) */
	struct vx_hdr_tmpl tmpl;  /* outer headers (VX_RESOLVED only) */
};

/* A vxlan port's remotes: immutable once published. */
struct vx_remotes {
	uint8_t n;                          /* remotes in r[] */
	uint8_t nb_resolved;                /* of them VX_RESOLVED ... */
	uint8_t resolved[VX_REMOTES_MAX];   /* ... at these positions of r[]: the flood list */
	uint8_t pos[VX_REMOTES_MAX];        /* index -> position in r[]; VX_INDEX_NONE: unused */
	struct vx_remote r[VX_REMOTES_MAX];
};

/* Per-remote counters, per worker (single writer; summed on read). */
#define VX_REMOTE_COUNTERS(X)                                                  \
	X(tx_packets, "frames sent to the remote")                            \
	X(tx_bytes, "bytes sent to the remote (outer frames)")                \
	X(rx_packets, "frames received from the remote")                      \
	X(rx_bytes, "bytes received from the remote (inner frames)")          \
	X(drop_no_neigh, "copies not sent: the remote is not resolved")       \
	X(drop_tx_full, "copies not sent: the underlay's tx ring or umem full")

#define VNL_ENUM_VXR(n, d) VXR_##n,
enum vx_remote_counter { VX_REMOTE_COUNTERS(VNL_ENUM_VXR) VXR_MAX };
#undef VNL_ENUM_VXR

extern const char *const vx_remote_counter_names[VXR_MAX];

struct vx_remote_stats {
	uint64_t v[VXR_MAX];
	uint64_t last_rx;         /* TSC of the last frame received from the remote; 0: none */
} __attribute__((aligned(64)));

struct vx_port {
	struct port *port;        /* the vxlan port */
	struct underlay *ul;      /* a reference (underlay_get) */
	uint32_t vni;
	int family;               /* AF_INET or AF_INET6: local and every remote */
	uint16_t dstport;         /* UDP destination port (host order) */
	uint8_t local[16];        /* source address (network order) */
	bool local_given;         /* from port-add (else the route's prefsrc at port-add) */
	uint32_t used;            /* bitmap of remote indexes in use (control thread) */
	struct vx_remotes *_Atomic remotes; /* see Thread-safety */
	void *neigh;              /* neigh.c's per-port state, NULL until it sets it */
	struct vx_remote_stats st[VNL_MAX_WORKERS][VX_REMOTES_MAX];
	uint64_t zero[VX_REMOTES_MAX][VXR_MAX]; /* clear-counters base (control thread) */
	uint64_t zero_last_rx[VX_REMOTES_MAX];  /* last_rx at the clear: not shown unless later */
};

extern const struct port_ops port_vxlan_ops;

/* tx() of vxlan ports (port.h contract), in port_vxlan_tx.c. */
uint16_t vxlan_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps);

/* The worker index of the calling lcore (set for every worker lcore before
 * the first vxlan port opens): the row of st[] it writes. */
extern uint8_t vx_lcore_worker[RTE_MAX_LCORE];

static inline unsigned vx_worker(void)
{
	return vx_lcore_worker[rte_lcore_id()];
}

/* Worker: the port's current remote table (load once per burst). */
static inline const struct vx_remotes *vx_remotes_get(const struct vx_port *vx)
{
	return atomic_load_explicit(&vx->remotes, memory_order_acquire);
}

/* The remote at index idx in t, or NULL. */
static inline const struct vx_remote *vx_remote_at(const struct vx_remotes *t, unsigned idx)
{
	return idx < VX_REMOTES_MAX && t->pos[idx] != VX_INDEX_NONE ? &t->r[t->pos[idx]] : NULL;
}

/* Overhead of the outer headers for the port's family (50 or 70). */
static inline unsigned vx_overhead(int family)
{
	return family == AF_INET6 ? VX_OVERHEAD6 : VX_OVERHEAD4;
}

/* ---- control thread ---- */

/* Make next the port's remote table: fills next's resolved[], nb_resolved
 * and pos[] from r[0..n) (the caller fills r[]), release-stores it, waits
 * for every worker to let go of the old one, frees the old one (NULL ok).
 * next is malloc'ed and owned by the port from now on. */
void vx_remotes_publish(struct vx_port *vx, struct vx_remotes *next);

/* A copy of the current table to edit and publish (NULL: out of memory). */
struct vx_remotes *vx_remotes_copy(const struct vx_port *vx);

/* port-add's and vxlan-set's "remote" of req (absent or null: none): at
 * most VX_REMOTES_MAX unique unicast addresses (not multicast, link-local,
 * loopback or unspecified) into out (16 bytes each, network order), *n of
 * them. *family: the family they must have, or 0 (then set from the first).
 * local (NULL: none) must not be among them. 0 or -EINVAL + err (one line). */
int vx_parse_remotes(struct json_object *req, int *family, const uint8_t *local, uint8_t out[VX_REMOTES_MAX][16],
		     unsigned *n, struct vnl_err *err);

/* Sum of remote index idx's counters over workers, minus its clear base;
 * *last_rx: the latest TSC since the clear (0: none). */
void vx_remote_stats_read(const struct vx_port *vx, unsigned idx, uint64_t out[VXR_MAX], uint64_t *last_rx);
/* Store the current sums of idx as its clear base: clear-counters, and a
 * removed remote (after a table without it is published), whose index may
 * be reused (workers write st[], so the control thread never zeroes it). */
void vx_remote_stats_zero(struct vx_port *vx, unsigned idx);

