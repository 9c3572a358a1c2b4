/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The worker side of captures (hooks.h cap_tap, capture.h): filter, copy
 * into an Enhanced Packet Block, enqueue for the writer, count. Never logs,
 * never waits. rte_pcapng and rte_bpf are experimental in DPDK 22.11.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <rte_bpf.h>
#include <rte_pcapng.h>

#include "capture.h"
#include "worker.h"

/* rte_pcapng_copy appends 20 bytes of options and up to 3 of padding to
 * the copy's last segment and fails when they do not fit: a copy must
 * leave this much tailroom there. */
#define EPB_TAIL 24

/* The 28 bytes rte_pcapng_copy puts in front of the frame (pcapng EPB). */
struct epb_head {
	uint32_t type, len;
	uint32_t ifid;
	uint32_t ts_hi, ts_lo;
	uint32_t caplen, origlen;
};

/* The copy's length for a frame of len bytes (snaplen applied) and the pool
 * to take it from: the small pool while one segment holds it with its tail,
 * else the large one, cut so that its last segment keeps EPB_TAIL bytes (a
 * 64 KiB GSO frame: at most 23 bytes less captured, caplen < len shows it). */
static inline uint32_t copy_len(const struct capture *cap, uint32_t len, struct rte_mempool **mp)
{
	uint32_t room_s = rte_pktmbuf_data_room_size(cap->pool_small) - RTE_PKTMBUF_HEADROOM;
	uint32_t room = rte_pktmbuf_data_room_size(cap->pool_large) - RTE_PKTMBUF_HEADROOM, rest;

	if (len > cap->snaplen)
		len = cap->snaplen;
	if (len + EPB_TAIL <= room_s) {
		*mp = cap->pool_small;
		return len;
	}
	*mp = cap->pool_large;
	rest = len % room;
	if (rest == 0)
		return len - EPB_TAIL;
	return rest > room - EPB_TAIL ? len - (rest - (room - EPB_TAIL)) : len;
}

/* Copy the frames of one burst for one capture's interface. */
static void cap_copy(struct worker *w, struct capture *cap, uint16_t ifidx, uint8_t dir,
		     struct rte_mbuf *const *m, uint16_t n, uint64_t tsc)
{
	struct cap_if_stats *st = &cap->stats[w->id][ifidx];
	enum rte_pcapng_direction d = dir == HOOK_TAP_IN ? RTE_PCAPNG_DIRECTION_IN : RTE_PCAPNG_DIRECTION_OUT;
	struct rte_mbuf *out[VNL_BURST];
	uint64_t ns, delta;
	uint16_t k = 0, enq;

	/* The library's own TSC->ns conversion is a global re-based without a
	 * lock (racy between workers): every EPB gets the capture's time. */
	delta = tsc > cap->tsc0 ? tsc - cap->tsc0 : 0;
	ns = cap->ns0 + (uint64_t)(((__uint128_t)delta * cap->mult) >> 32);
	st->seen += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mempool *mp;
		struct rte_mbuf *mc;
		struct epb_head *h;
		uint32_t len;

		if (cap->bpf != NULL &&
		    (cap->jit != NULL ? cap->jit(m[i]) : rte_bpf_exec(cap->bpf, m[i])) == 0)
			continue;
		st->accepted++;
		len = copy_len(cap, rte_pktmbuf_pkt_len(m[i]), &mp);
		mc = rte_pcapng_copy(ifidx, w->id, m[i], mp, len, tsc, d);
		if (unlikely(mc == NULL)) {
			st->nombuf++;
			continue;
		}
		h = rte_pktmbuf_mtod(mc, struct epb_head *);
		h->ifid = ifidx;
		h->ts_hi = (uint32_t)(ns >> 32);
		h->ts_lo = (uint32_t)ns;
		out[k++] = mc;
	}
	if (k == 0)
		return;
	enq = (uint16_t)rte_ring_sp_enqueue_burst(cap->ring[w->id], (void *const *)out, k, NULL);
	if (unlikely(enq < k)) {
		st->ringfull += k - enq;
		rte_pktmbuf_free_bulk(out + enq, k - enq);
	}
}

void cap_tap(struct worker *w, const struct port_hooks *hk, uint8_t dir, struct rte_mbuf *const *m,
	     uint16_t n, uint64_t tsc)
{
	for (uint8_t i = 0; i < hk->nb_taps; i++)
		if (hk->tap[i].dirs & dir)
			cap_copy(w, hk->tap[i].cap, hk->tap[i].ifidx, dir, m, n, tsc);
}
