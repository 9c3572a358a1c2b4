/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tx() of vxlan ports (docs/plans/vxlan.md 2.5): encapsulation into the
 * underlay's umem and head-end replication.
 *
 * Per frame, from the remote table loaded once per burst: a unicast
 * destination the FDB has on this port goes to the one remote it was
 * learned through; anything else (multicast, broadcast, a MAC unknown or
 * known elsewhere) to every resolved remote. A frame that came from a
 * remote is never sent to another: it entered the bridge on this very
 * port, and the bridge never floods back to, nor forwards to, the ingress
 * port (split horizon, as Linux and OVS do).
 *
 * Each copy is the remote's prebuilt outer header followed by the inner
 * frame, written straight into a umem frame of the tx half of the
 * underlay's tx socket (one per underlay, queue UL_TXQ's, whatever number
 * of rx queues it polls: underlay.h), then
 * completed by vx_encap_fix() (lengths, source port from a CRC32C of the
 * inner flow, IPv4 header checksum; IPv6 UDP checksum over the inner bytes
 * just copied). vxlan ports take no offload (tx_ol 0), so every frame here
 * is wire-sized with complete checksums.
 *
 * Counting (a frame is what tx_send counts, a copy is one outer frame):
 *   - a frame with at least one copy queued is taken (returned as sent);
 *   - a copy for a remote that is not resolved is not made:
 *     drop_vx_no_neigh on the port and drop_no_neigh on the remote;
 *   - a frame whose outer frame would not fit the underlay (its MTU + 14, at
 *     most a umem frame): drop_vx_too_big;
 *   - a frame of which no copy is made for those reasons (or with no remote
 *     at all) is refused (port.h: drop_tx_refused, moved after the sent);
 *   - the underlay's tx ring or umem exhausted: a frame that got no copy is
 *     not taken (the caller counts drop_tx_full), and every copy missing
 *     (of it, or of a flood cut short) counts drop_tx_full on its remote;
 *   - vx_flood_copies: copies made of replicated frames; per remote
 *     tx_packets/tx_bytes (outer); vx_encap_cycles and vx_kick_cycles, TSC
 *     per burst; vx_kicks, the sendto calls of the kicks.
 * One kick per burst (xsk_tx_kick: sendto until the ring is drained or
 * no progress; copy mode sends at most 32 per call).
 *
 * Thread-safety: called by any worker with *p->txl (the underlay's txl,
 * shared by every vxlan port of the underlay) held when several workers
 * run; the remote table is RCU (port_vxlan.h), per-remote counters are the
 * calling worker's row.
 */
#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "fdb.h"
#include "port_vxlan.h"
#include "registry.h"
#include "snapshot.h"
#include "underlay.h"

#define TX_NONE -1    /* no copy: refused */
#define TX_FLOOD -2   /* a copy to every resolved remote */

/* Where frame m goes: the position of its one remote in t, TX_FLOOD or
 * TX_NONE; counts what is not sent. */
static inline int tx_target(const struct vx_port *vx, const struct vx_remotes *t, uint16_t slot, uint16_t lan,
			    const struct rte_mbuf *m, uint32_t max_out, struct port_stats *ps,
			    struct vx_remote_stats *rs)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t idx, d;

	if (unlikely(rte_pktmbuf_pkt_len(m) + vx_overhead(vx->family) > max_out)) {
		ps->v[PC_drop_vx_too_big]++;
		return TX_NONE;
	}
	if (!(eth[0] & 1)) {
		d = fdb_lookup_remote(reg.fdb, lan, fdb_mac_in_frame(eth), &idx);
		if (d == slot && idx < VX_REMOTES_MAX && t->pos[idx] != VX_INDEX_NONE) {
			if (likely(t->r[t->pos[idx]].state == VX_RESOLVED))
				return t->pos[idx];
			ps->v[PC_drop_vx_no_neigh]++;
			rs[idx].v[VXR_drop_no_neigh]++;
			return TX_NONE;
		}
	}
	if (unlikely(t->nb_resolved < t->n)) {
		for (unsigned i = 0; i < t->n; i++)
			if (t->r[i].state != VX_RESOLVED)
				rs[t->r[i].index].v[VXR_drop_no_neigh]++;
		ps->v[PC_drop_vx_no_neigh] += t->n - t->nb_resolved;
	}
	return t->nb_resolved ? TX_FLOOD : TX_NONE;
}

/* Write one copy of m (len bytes) for remote r into dst; inner: where an
 * earlier copy of m holds its bytes (NULL for the first copy), then this
 * copy's. *sport and *sum are computed with the first copy. */
static inline void tx_copy(const struct vx_remote *r, const struct rte_mbuf *m, uint32_t len, uint8_t *dst,
			   const uint8_t **inner, uint16_t *sport, uint32_t *sum)
{
	uint8_t *in = dst + r->tmpl.len;

	rte_memcpy(dst, r->tmpl.bytes, r->tmpl.len);
	if (*inner == NULL) {
		uint8_t key[VX_FLOW_KEY_MAX];
		uint32_t klen;

		if (m->nb_segs == 1) {
			rte_memcpy(in, rte_pktmbuf_mtod(m, const void *), len);
		} else {
			const void *s = rte_pktmbuf_read(m, 0, len, in);

			if (s != in)  /* contiguous after all: read gave a pointer, copied nothing */
				rte_memcpy(in, s, len);
		}
		klen = vx_flow_key(in, len, key);
		*sport = vx_sport(rte_hash_crc(key, klen, 0), VX_SPORT_MIN, VX_SPORT_MAX);
		*sum = r->tmpl.family == AF_INET6 ? rte_raw_cksum(in, len) : 0;
	} else {
		rte_memcpy(in, *inner, len);
	}
	*inner = in;
	vx_encap_fix(&r->tmpl, dst, len, *sport, *sum);
}

/* The position in t of copy c of a frame going to tgt (a position or TX_FLOOD). */
static inline unsigned copy_pos(const struct vx_remotes *t, int tgt, unsigned c)
{
	return tgt == TX_FLOOD ? t->resolved[c] : (unsigned)tgt;
}

uint16_t vxlan_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	uint64_t t0 = rte_rdtsc(), t1;
	struct vx_port *vx = p->priv;
	struct underlay *ul = vx->ul;
	const struct vx_remotes *t = vx_remotes_get(vx);
	struct vx_remote_stats *rs = vx->st[vx_worker()];
	uint32_t max_out = RTE_MIN(ul->mtu + VX_ETH_LEN, (uint32_t)XSK_FRAME_SIZE);
	uint16_t lan = snapshot_current()->port[p->slot].lan;
	struct rte_mbuf *refused[VNL_BURST], *later[VNL_BURST];
	int8_t tgt[VNL_BURST];
	uint32_t total = 0, k = 0, used = 0, idx = 0;
	uint16_t sent = 0, nr = 0, nl = 0;

	if (unlikely(!atomic_load_explicit(&p->up, memory_order_relaxed)))
		return 0;  /* the caller counts drop_link_down */
	n = RTE_MIN(n, (uint16_t)VNL_BURST);
	for (uint16_t i = 0; i < n; i++) {
		tgt[i] = (int8_t)tx_target(vx, t, p->slot, lan, pkts[i], max_out, ps, rs);
		total += tgt[i] == TX_FLOOD ? t->nb_resolved : tgt[i] >= 0;
	}
	if (total) {
		ul_tx_reclaim(ul);
		k = ul_tx_reserve(ul, total, &idx);
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		unsigned copies = tgt[i] == TX_FLOOD ? t->nb_resolved : 1, c = 0;
		const uint8_t *inner = NULL;
		uint16_t sport = 0;
		uint32_t sum = 0;

		if (tgt[i] == TX_NONE) {
			refused[nr++] = m;
			continue;
		}
		if (used == k) {  /* the ring or the umem is full: not taken */
			later[nl++] = m;
		} else {
			for (; c < copies && used < k; c++) {
				const struct vx_remote *r = &t->r[copy_pos(t, tgt[i], c)];
				uint32_t out = r->tmpl.len + len;

				tx_copy(r, m, len, ul_tx_frame(ul, idx + used++, out), &inner, &sport, &sum);
				rs[r->index].v[VXR_tx_packets]++;
				rs[r->index].v[VXR_tx_bytes] += out;
			}
			if (tgt[i] == TX_FLOOD)
				ps->v[PC_vx_flood_copies] += c;
			pkts[sent++] = m;  /* sent <= i: m was read first */
		}
		for (; c < copies; c++)  /* copies that did not fit */
			rs[t->r[copy_pos(t, tgt[i], c)].index].v[VXR_drop_tx_full]++;
	}
	/* port.h: sent, then refused, then the rest (the caller counts those drop_tx_full). */
	if (unlikely(nr | nl)) {
		rte_memcpy(&pkts[sent], refused, nr * sizeof(refused[0]));
		rte_memcpy(&pkts[sent + nr], later, nl * sizeof(later[0]));
		ps->v[PC_drop_tx_refused] += nr;
	}
	t1 = rte_rdtsc();
	ps->v[PC_vx_encap_cycles] += t1 - t0;
	if (total) {
		if (k)
			ul_tx_submit(ul, k);
		ps->v[PC_vx_kicks] += ul_tx_kick(ul);
		ps->v[PC_vx_kick_cycles] += rte_rdtsc() - t1;
	}
	return sent;
}
