/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Workers: one run-to-completion loop per worker lcore. Each iteration loads
 * the current snapshot, polls the worker's ports (bursts of 32), decides per
 * frame (bridge.h), groups frames by destination and sends one burst per
 * destination, then reports an RCU quiescent state. With adaptive polling an
 * idle worker sleeps, going RCU-offline while it does.
 *
 * Fd ports (port_ops.rx_fd: tap) are not polled with rx() every iteration:
 * the worker keeps them in its own epoll set (level-triggered, event data
 * = port slot), asks it once per iteration with a zero timeout and calls
 * rx() on the ready ones only; its adaptive sleep is a wait on that set, so
 * a frame on an fd port ends the sleep at once. Other ports are polled
 * every iteration. The set is rebuilt, on a new epoll instance, whenever the
 * worker sees a new snapshot generation: a port's fd leaves the set when the
 * port leaves the snapshot (or when its backend closes it, whichever comes
 * first), and no registration outlives the snapshot it was made for. An fd
 * that reports an error or hang-up (a deleted tap) is polled every
 * iteration from then on, as before, so it cannot keep the worker awake.
 * Without an epoll instance (epoll_create1 failed) every port is polled and
 * the worker sleeps with nanosleep.
 *
 * A demultiplexing port (snap_port.demux: an underlay) returns frames of
 * rx-less ports (vxlan ports, port.h): the worker bridges each run of
 * equal (port, remote) stamps as received on that port through that
 * remote, then sends the whole burst's frames once (worker.c rx_demux).
 *
 * Thread-safety: a struct worker is written only by its own lcore once
 * launched; the control thread reads its counters (stats.c) and sets `stop`.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "offload.h"
#include "stats.h"

struct txbuf {
	uint16_t n;
	bool dirty;                    /* in the worker's dirty list */
	uint64_t ol;                   /* OR of the queued frames' ol_flags (offload.h) */
	struct rte_mbuf *m[VNL_BURST];
};

struct worker {
	unsigned id;                   /* RCU thread id, snapshot worker index */
	unsigned lcore;
	struct worker_stats *stats;    /* written by this worker only */
	uint32_t now;                  /* seconds, refreshed by housekeeping */
	uint16_t nb_dirty;             /* destinations with frames waiting */
	uint16_t dirty[VNL_MAX_PORTS];
	struct txbuf tx[VNL_MAX_PORTS];
	/* Frames ol_fixup() makes of one frame (segments), sent and freed
	 * within one flush. */
	struct rte_mbuf *gso_out[VNL_GSO_SEGS_MAX];
	bool imp_slack;                /* timer slack lowered for delay queues (impair.h) */
	/* Fd ports (see the top of this file); rebuilt when gen changes. */
	uint64_t gen;                  /* snapshot generation the lists are for */
	int epfd;                      /* epoll set of the fd ports, or -1 */
	uint16_t nb_fd;                /* fd ports in epfd */
	uint16_t nb_poll;              /* ports polled every iteration */
	uint16_t poll[VNL_MAX_PORTS];  /* their slots */
};

struct worker_params {
	bool busy_poll;                /* never sleep */
	uint32_t idle_after_us;        /* no frames for this long: start sleeping */
	uint32_t sleep_max_us;         /* longest single sleep */
};

extern struct worker *workers[VNL_MAX_WORKERS];
extern unsigned nb_workers;
extern volatile bool workers_stop;

/* Seconds on the clock used for MAC aging (workers and control thread). */
static inline uint32_t dp_now(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

/* Allocate n workers for the given lcores. 0 or -errno. */
int workers_init(unsigned n, const unsigned *lcores, const struct worker_params *params);
/* Launch every worker on its lcore. 0 or -errno. */
int workers_launch(void);
/* Stop and join every worker, then free them. */
void workers_fini(void);
