/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration the workers forward with: an immutable snapshot built by
 * the control thread from the registry.
 *
 * Thread-safety: the control thread builds a new snapshot, publishes it with a
 * release store, waits until every worker has passed a quiescent point (RCU
 * QSBR: workers report one per loop iteration and go offline while they
 * sleep), then frees the old one. Workers load the current snapshot once per
 * loop iteration and never lock. This is the only place where the control and
 * data planes meet, apart from a port's own backend state (see port.h).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

struct port;
struct port_hooks;
struct imp_state;

struct snap_port {
	struct port *port; /* NULL: free slot */
	uint16_t lan;      /* LAN slot, VNL_LAN_NONE when detached */
	uint8_t hooks;     /* HOOK_* bits of hk (hooks.h); 0: a plain port */
	uint8_t demux;     /* 1: rx() demultiplexes (port.h: port.demux); the worker
	                    * bridges its frames per run of (m->port, m->hash.usr) */
	const struct port_hooks *hk; /* the port's hooks, in this snapshot's storage; NULL when hooks is 0 */
};

struct snap_lan {
	uint16_t max_frame;      /* longest frame forwarded on the wire (bytes, without FCS) */
	uint16_t nb_members;
	const uint16_t *members; /* port slots, for flooding */
};

struct snap_worker {
	uint16_t nb_rx;
	const uint16_t *rx; /* port slots this worker polls (ports with rx() only) */
	uint16_t nb_imp;    /* impairment states this worker runs (active and retired); 0: none */
	struct imp_state *const *imp; /* them (the registry's reg.imp, owned by impair.c) */
};

struct snapshot {
	uint64_t gen;           /* increases with every publication */
	bool tx_locked;         /* several workers: tx to a port takes its lock */
	uint16_t nb_workers;
	struct snap_port port[VNL_MAX_PORTS];
	struct snap_lan lan[VNL_MAX_LANS];
	struct snap_worker worker[VNL_MAX_WORKERS];
	uint16_t storage[];     /* members and rx arrays, then the port_hooks copies
	                         * (aligned) point in here */
};

#ifdef VNL_WITH_EAL
#include <rte_rcu_qsbr.h>

extern struct rte_rcu_qsbr *snapshot_qsbr;

/* Control thread: RCU state for nb_workers readers. 0 or -errno. */
int snapshot_init(unsigned nb_workers);
void snapshot_fini(void);

/* Control thread: make s current, wait for all workers to let go of the
 * previous one, free it. Never fails. */
void snapshot_publish(struct snapshot *s);

/* Any thread but a worker: return once every worker has passed a quiescent
 * point since the call. */
void snapshot_wait_readers(void);

extern struct snapshot *_Atomic snapshot_cur;

/* The current snapshot; workers call this once per loop iteration. */
static inline const struct snapshot *snapshot_current(void)
{
	return atomic_load_explicit(&snapshot_cur, memory_order_acquire);
}
#endif
