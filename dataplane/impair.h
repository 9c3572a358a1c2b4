/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Impairments: netem's delay, jitter, loss, rate, duplicate, reorder and
 * corrupt, per port direction, in the fast path (docs/switchd.md,
 * "Impairments"). `out` is what the port's node sends (switch rx), `in` what
 * it receives (switch tx).
 *
 * An imp_state is one direction's parameters (immutable) plus the queue that
 * holds its delayed frames (impair_queue.c). The port's rx worker, the
 * state's owner, runs both directions of the port; with several workers the
 * others hand `in` frames to the owner through the state's MP/SC ring.
 *
 * Lifetime (control thread, impair.c): a state is made by impair-set and
 * published in a snapshot (snap_port hooks and snap_worker imp). A change
 * or impair-clear retires it: the next snapshot stops feeding it but keeps
 * it in its owner's list; once that snapshot is published (no worker can
 * still hand it a frame) the control thread sets `drain`; the owner keeps
 * releasing its queued frames at their due times and sets `empty` when none
 * is left; the 1 s tick then publishes a snapshot without it and frees it.
 * A deleted port's states go with their frames (impair_port_gone()).
 *
 * Thread-safety: the fields under "worker" are written by the owner only;
 * `queued` is read by show; `drain` and `empty` are the two hand-overs
 * above (release/acquire).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "hooks.h"
#include "impair_model.h"
#include "stats.h"

#define IMP_LIMIT_DEFAULT 1000   /* netem's limit: frames queued per direction */
#define IMP_LIMIT_MAX 65535
#define IMP_WHEEL_SLOTS 1024     /* timing wheel for jitter (2.7 of the plan) */
#define IMP_HANDOFF_SIZE 1024    /* handoff ring elements */
/* Longest sleep of a worker that owns a handoff ring: frames handed over
 * wait at most this long, plus a wake-up, before their delay runs (more
 * than the worker's 20 us no-sleep margin, or it would never sleep). */
#define IMP_HANDOFF_POLL_US 50
/* Room for the frames one imp_input() call may let go at once (reorder,
 * with duplicates, of segments): the caller's now[]. */
#define IMP_NOW_MAX (4 * VNL_GSO_SEGS_MAX)

/* A queued frame: FIFO entry (key monotonic) and its due time. */
struct imp_ent {
	struct rte_mbuf *m;
	uint64_t key;
	uint64_t due;
};

/* A handoff ring element: the frame and the TSC it was handed over at. */
struct imp_handoff {
	struct rte_mbuf *m;
	uint64_t tsc;
};

/* Per worker: the mbufs its delay queues may hold (a share of the pool, so
 * that delays cannot starve rx). The worker writes used; the control thread
 * adds to ctl_freed what it frees of a deleted port's queues. Held =
 * used - ctl_freed, modulo 2^32. */
struct imp_budget {
	uint32_t used;
	uint32_t max;
	_Atomic uint32_t ctl_freed;
};

static inline uint32_t imp_budget_held(const struct imp_budget *b)
{
	return b->used - atomic_load_explicit(&b->ctl_freed, memory_order_relaxed);
}

/* What the worker gives the queue for one call: its counters of the port,
 * its mbuf budget, and room for segments (ol_fixup). */
struct imp_ctx {
	struct port_stats *ps;
	struct imp_budget *budget;
	struct rte_mbuf **gso_out;   /* VNL_GSO_SEGS_MAX entries */
};

struct imp_state {
	/* Immutable once published. */
	struct imp_params p;
	uint16_t port;               /* slot */
	uint8_t dir;                 /* IMP_OUT, IMP_IN */
	uint16_t owner;              /* worker running it */
	bool segment;                /* cut offload frames on entry (loss, dup, reorder, corrupt, rate) */
	bool wheel;                  /* jitter without rate: FIFO then timing wheel */
	uint8_t tick_shift;          /* wheel tick = 2^tick_shift ticks */
	uint64_t jmax;               /* largest |jitter| (ticks) */
	const int32_t *normal;       /* the normal table (impair.c) */
	struct rte_ring *handoff;    /* imp_handoff elements from other workers (IN, several workers), or NULL */
	struct json_object *show;    /* the parameters as impair-set took them (control thread) */

	/* Worker (owner). */
	struct imp_model m;
	uint32_t mask;               /* FIFO size - 1 (a power of two >= limit) */
	uint32_t head, tail;         /* FIFO: entries [head, tail) */
	uint64_t last_key;
	struct imp_ent *fifo;
	uint64_t cur_tick;           /* wheel: slots before it are released */
	uint32_t wheel_n;            /* frames in the wheel */
	uint32_t *whead, *wtail;     /* per slot: list of entries (index + 1, 0: none) */
	uint32_t *wnext;             /* per entry: next in its slot */
	struct rte_mbuf **wm;        /* per entry: the frame */
	uint32_t wfree;              /* free entries (index + 1) */
	uint64_t wbits[IMP_WHEEL_SLOTS / 64]; /* non-empty slots */
	_Atomic uint32_t queued;     /* frames held (FIFO + wheel) */

	/* Hand-overs. */
	_Atomic bool drain;          /* control: no frame can arrive any more */
	_Atomic bool empty;          /* owner: drained and nothing held */
	_Atomic bool gone;           /* control: its port was deleted; the workers skip it
				      * (its slot may serve a new port before a snapshot
				      * without the state is published) */

	/* Control thread. */
	bool retired;
	struct imp_state *next;      /* impair.c's list of every state */
};

/* ---- worker side (impair_queue.c) ---- */

/* Take frames of pkts[0..n) arriving at TSC t: decide each
 * (impair_model.h), keep what is delayed, drop what is lost or over the
 * limit (counted), and write to now[] (IMP_NOW_MAX entries) the frames
 * that leave at once (reorder), in order. Takes frames while now[] has room
 * for what one more may make (segments, duplicates): *taken says how many
 * it took (at least one); the caller sends now[] and calls again for the
 * rest. Returns how many are in now[]. */
uint16_t imp_input(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf **pkts, uint16_t n,
		   uint64_t t, struct rte_mbuf **now, uint16_t *taken);

/* Owner: move up to VNL_BURST frames other workers handed over into the
 * queue (*taken says how many it took off the ring: 0 when it is empty);
 * frames to leave at once go to now[] (IMP_NOW_MAX entries). Returns how
 * many are in now[]. */
uint16_t imp_drain_handoff(struct imp_state *st, const struct imp_ctx *c, struct rte_mbuf **now, uint16_t *taken);

/* Up to max frames due at `now`, in due order (within a wheel tick: arrival
 * order). Returns how many. */
uint16_t imp_release(struct imp_state *st, struct imp_budget *b, uint64_t now, struct rte_mbuf **out, uint16_t max);

/* The TSC at which the next held frame is due; UINT64_MAX when none. */
uint64_t imp_next_due(const struct imp_state *st);

/* Owner: after drain was set, mark the state empty once nothing is held or
 * handed over. */
void imp_check_empty(struct imp_state *st);

/* Any thread once no worker runs st: free every held frame. Returns the
 * mbufs (segments) freed that counted in the owner's budget. */
uint32_t imp_flush(struct imp_state *st);

/* ---- control side (impair.c) ---- */

struct port;

/* Once, before the workers launch: the normal table, nb_workers and each
 * worker's mbuf share. 0 or -errno. */
int impair_init(unsigned nb_workers, uint32_t mbufs_per_worker);
/* After the workers stopped: free every state and its frames. */
void impair_fini(void);

/* The states reach the workers through the registry: reg.hooks[slot].imp[]
 * and .handoff (the active states), reg.imp[w] (every state worker w owns,
 * in an array impair.c replaces and frees after the next publication). */

/* impair-set: replace p's dir with the parameters of req (docs/switchd.md).
 * 0 with reply's "impair" filled, or -errno with err (nothing changed). */
int impair_set(struct port *p, uint8_t dir, struct json_object *req, struct json_object *reply,
	       struct vnl_err *err);
/* impair-clear: remove dir (or both, dir < 0). 0 or -errno + err. */
int impair_clear(struct port *p, int dir, struct vnl_err *err);
/* show-ports: add "impair" {out, in, queued} to o when p has any. */
void impair_show(const struct port *p, struct json_object *o);
/* show-workers: imp_mbufs, imp_mbufs_max of worker w. */
void impair_show_worker(unsigned w, struct json_object *o);
/* The 1 s tick: free retired states that are empty. */
void impair_tick(void);
/* A port left the snapshot (reg_port_del, after its publication; workers
 * skip states of a port the snapshot lacks): drop its states and frames. */
void impair_port_gone(uint16_t slot);

/* The active state of a port direction, NULL when none (tests, show). */
struct imp_state *impair_active(uint16_t slot, uint8_t dir);
/* The worker's mbuf budget (the workers own it; show reads it). */
struct imp_budget *impair_budget(unsigned w);
