/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Captures: copies of a port's frames, written as a pcapng stream into a
 * pipe the client passed with capture-start (docs/plans/capture-impair.md
 * 2.3). The switch never opens files and never relays through vnld.
 *
 * Per capture: the ports it taps (one pcapng interface each, in the
 * request's order), the directions (out: what the node sends, switch rx;
 * in: what it receives, switch tx; hooks.h), a cBPF program compiled by the
 * client and run here through rte_bpf (validated by rte_bpf_load, JITed),
 * a snap length, two mbuf pools (2 KiB and 9 KiB of data room, so no wire
 * frame is cut; a 64 KiB GSO frame is a chain of the large ones), and one
 * SP/SC ring per worker.
 *
 * Worker side (capture_copy.c, cap_tap): per tapped frame, count it seen,
 * run the filter, copy at most snaplen bytes into an Enhanced Packet Block
 * (rte_pcapng_copy) with our interface id and a timestamp from the
 * capture's own TSC->ns base, and enqueue it; no mbuf or no ring room is
 * counted (nombuf, ringfull), never waited for.
 *
 * Control side (capture.c, on the control thread's evloop): a 1 ms timer
 * drains the rings, merges the workers' frames by timestamp and hands them
 * to the pcapng writer (pcapng_write.h), which writes whole blocks into the
 * non-blocking pipe and resumes short writes (EPOLLOUT when it is full).
 * A capture ends on capture-stop, its count, its duration, the deletion of
 * its last port, the reader closing the pipe (EPOLLERR/EPIPE: no more is
 * written), or the switch stopping (capture_fini); except when the reader
 * is gone, the stream then ends with one Interface Statistics Block per
 * interface (frames seen, dropped by the capture, accepted by the filter).
 *
 * Thread-safety: everything here but the counters is the control thread's.
 * A capture is published to the workers through reg.hooks (the taps) and a
 * snapshot; it is freed only after a snapshot without its taps was
 * published and its rings and writer are empty. Workers write the counters
 * of their own index (cache-aligned, single writer); the control thread
 * sums them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "err.h"
#include "hooks.h"

struct rte_bpf;
struct evloop;

#define VNL_CAPTURE_IFS_MAX 256       /* interfaces (ports) of one capture */
#define VNL_CAPTURE_SNAPLEN_MIN 64
#define VNL_CAPTURE_SNAPLEN_MAX 262144
#define VNL_CAPTURE_RING 2048         /* EPBs per worker ring */

/* One interface's counters, as one worker counted them. */
struct cap_if_stats {
	uint64_t seen;     /* frames the port had in the captured directions */
	uint64_t accepted; /* frames the filter kept (all without a filter) */
	uint64_t nombuf;   /* kept, but no mbuf for the copy */
	uint64_t ringfull; /* copied, but the ring to the writer was full */
};

/* The worker-side part of a capture: read-only once published, but stats. */
struct capture {
	unsigned id;
	uint32_t snaplen;
	uint64_t (*jit)(void *mbuf);          /* the filter's JIT, NULL: rte_bpf_exec(bpf) */
	struct rte_bpf *bpf;                  /* NULL: no filter */
	struct rte_mempool *pool_small;       /* copies up to VNL_CAPTURE_SMALL_MAX bytes */
	struct rte_mempool *pool_large;       /* longer copies (chains beyond 9 KiB) */
	uint64_t tsc0, ns0, mult;             /* ns = ns0 + ((tsc - tsc0) * mult >> 32) */
	struct rte_ring *ring[VNL_MAX_WORKERS]; /* SP (worker w) / SC (control thread) */
	struct cap_if_stats *stats[VNL_MAX_WORKERS]; /* [worker][interface], worker w writes its own */
	struct capture_ctl *ctl;              /* the control thread's part (capture.c) */
};

/* Control thread: once, with the loop that runs the writer. */
void capture_init(struct evloop *loop);
/* Control thread, at shutdown, once the workers stopped and before the
 * ports close and the loop is freed (main.c): end every capture (ISBs
 * written while the readers take them, at most 2 s), free everything. */
void capture_fini(void);
/* Registry: port slot was deleted (a snapshot without it is published):
 * its interfaces end; a capture with no port left stops. */
void capture_port_gone(uint16_t slot);

/* The commands (commands.c rows). 0 or -errno with err filled.
 * capture_start takes fd over (the pipe's write end, -1: none; closed on
 * failure, so the reader sees EOF). */
int capture_start(struct json_object *req, struct json_object *reply, int fd, struct vnl_err *err);
int capture_stop_cmd(struct json_object *req, struct json_object *reply, struct vnl_err *err);
int capture_show(struct json_object *reply);
