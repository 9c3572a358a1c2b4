/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-port hooks: what a worker does to a port's frames beyond forwarding,
 * i.e. captures (taps) and impairments, seen from the node on the port:
 *   out = frames the node sends (switch rx), tapped before any impairment;
 *   in  = frames the node receives (switch tx), tapped after the impairment
 *         and the offload fixup, i.e. what the port was given.
 *
 * A plain port costs one test of snap_port.hooks per rx burst and per flushed
 * tx burst; a hooked port goes to noinline code (worker.c hooks_rx and
 * tx_flush_hooked). A worker with impairment states also calls imp_run()
 * once per loop iteration (snap_worker.nb_imp).
 *
 * Thread-safety: a struct port_hooks is immutable once published: the control
 * thread keeps the current one per port in the registry (reg.hooks), and
 * every snapshot carries its own copy (snap_port.hk, NULL for a plain port),
 * freed with the snapshot. What it points at (captures, impairment states)
 * is owned by the control thread and freed only after a snapshot without it
 * was published (snapshot_publish waits for the workers).
 */
#pragma once

#include <stdint.h>

#include <rte_mbuf.h>

#define VNL_CAPTURES_MAX 8

/* snap_port.hooks bits: which hooks the port has. */
#define HOOK_TAP_OUT 0x01 /* a capture takes the frames the node sends */
#define HOOK_TAP_IN  0x02 /* a capture takes the frames the node receives */
#define HOOK_IMP_OUT 0x04 /* an impairment shapes the frames the node sends */
#define HOOK_IMP_IN  0x08 /* an impairment shapes the frames the node receives */

/* port_hooks.imp[] index */
#define IMP_OUT 0
#define IMP_IN  1

struct capture;
struct imp_state;
struct snapshot;
struct worker;

/* One capture's view of one port. */
struct port_tap {
	struct capture *cap;  /* the capture (capture.h) */
	uint16_t ifidx;       /* the port's interface id in the capture's pcapng stream */
	uint8_t dirs;         /* HOOK_TAP_OUT and/or HOOK_TAP_IN */
};

struct port_hooks {
	uint8_t nb_taps;                        /* tap[0..nb_taps) are in use */
	struct port_tap tap[VNL_CAPTURES_MAX];
	struct imp_state *imp[2];               /* IMP_OUT, IMP_IN: the active state, NULL: none */
	uint16_t owner;                         /* the worker that runs imp[]: the port's rx worker
	                                         * (slot % workers), set by the registry */
	struct rte_ring *handoff;               /* MP/SC: frames for imp[IMP_IN] from other workers
	                                         * (NULL with one worker or no imp[IMP_IN]) */
};

/* The snap_port.hooks byte of h (0: a plain port). */
static inline uint8_t hooks_flags(const struct port_hooks *h)
{
	uint8_t f = 0;

	for (uint8_t i = 0; i < h->nb_taps; i++)
		f |= h->tap[i].dirs;
	if (h->imp[IMP_OUT] != NULL)
		f |= HOOK_IMP_OUT;
	if (h->imp[IMP_IN] != NULL)
		f |= HOOK_IMP_IN;
	return f;
}

/*
 * Worker: hand the n frames of a tapped burst (of the port whose hooks are
 * hk, in direction dir, HOOK_TAP_OUT or HOOK_TAP_IN) to each of its captures
 * that takes dir. The frames stay the caller's (captures copy them); tsc is
 * the burst's time. Never blocks; what a capture cannot take it counts.
 */
void cap_tap(struct worker *w, const struct port_hooks *hk, uint8_t dir, struct rte_mbuf *const *m,
	     uint16_t n, uint64_t tsc);

/*
 * Worker: run the impairment states of snap_worker.imp at TSC now: release
 * the frames due (out frames forwarded, in frames sent), after taking in
 * every frame other workers handed over. Returns the work done (frames
 * taken from handoff rings plus frames released: no new frames, so not
 * packets); *next_due is the TSC by which it wants to run again (the next
 * due frame; a bounded poll while it owns a handoff ring), UINT64_MAX when
 * never (the worker's sleep ends by then).
 */
unsigned imp_run(struct worker *w, const struct snapshot *s, uint64_t now, uint64_t *next_due);
