/* SPDX-License-Identifier: GPL-2.0-only */
/* GRO of decapsulated TCP segments (vx_gro.h). */
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_gro.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp.h"
#include "fd_io.h"
#include "offload.h"
#include "vx_gro.h"

/* A merged frame is a chain of one mbuf per segment of one burst: a tap
 * writes it with one iovec per mbuf (port_tap.c). */
_Static_assert(VNL_BURST <= FD_IO_SEGS_MAX, "a merged frame must fit one writev of a tap");
/* The candidate mask below. */
_Static_assert(VNL_BURST <= 64, "one bit per frame of a burst");

/* Whether m may merge (vx_gro.h's contract): 0 no, 1 yes, 2 yes and it
 * had PSH. If so, its l2/l3/l4_len and packet_type are set for rte_gro,
 * tso_segsz holds its payload length (vg_finish reads it back) and PSH is
 * cleared (rte_gro takes ACK only; vg_finish sets it back). A checksum that
 * fails is counted. */
static unsigned vg_candidate(struct rte_mbuf *m, struct port_stats *ps)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th;
	uint16_t l3, l4, tot;
	uint32_t sum;

	if (m->nb_segs != 1 || !vx_gro_hint(f, m->data_len))
		return 0;
	l3 = (uint16_t)((ip->version_ihl & 0xf) * 4);
	tot = rte_be_to_cpu_16(ip->total_length);
	/* No padding after the datagram (rte_gro counts every byte after the
	 * headers as payload), no fragment. */
	if ((ip->version_ihl >> 4) != 4 || l3 < sizeof(*ip) || RTE_ETHER_HDR_LEN + tot != m->data_len ||
	    tot < l3 + sizeof(*th) ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return 0;
	th = (struct rte_tcp_hdr *)(f + RTE_ETHER_HDR_LEN + l3);
	l4 = (uint16_t)((th->data_off >> 4) * 4);
	if (l4 < sizeof(*th) || l3 + l4 >= tot || (th->tcp_flags & ~RTE_TCP_PSH_FLAG) != RTE_TCP_ACK_FLAG)
		return 0;
	/* The checksums last: only segments that would merge pay for them. */
	sum = (uint32_t)rte_raw_cksum(th, tot - l3) + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	if (unlikely(rte_raw_cksum(ip, l3) != 0xffff || ((sum & 0xffff) + (sum >> 16)) != 0xffff)) {
		ps->v[PC_rx_gro_csum_bad]++;
		return 0;
	}
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3;
	m->l4_len = l4;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
	m->tso_segsz = (uint16_t)(tot - l3 - l4);
	if (th->tcp_flags == RTE_TCP_ACK_FLAG)
		return 1;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	return 2;
}

/* m as rte_gro returned it: a merged frame gets the offload state (vx_gro.h),
 * a lone segment loses its payload mark. The frame that holds psh (the
 * run's segment that had PSH, or NULL) gets PSH back, as the kernel's GRO
 * ORs it into a merged frame: a lone segment is then byte for byte what
 * arrived. */
static void vg_finish(struct rte_mbuf *m, const struct rte_mbuf *psh)
{
	uint16_t hdrs = (uint16_t)(m->l2_len + m->l3_len + m->l4_len), mss = 0;
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, m->l2_len + m->l3_len);
	struct rte_ipv4_hdr *ip;

	if (m->pkt_len - hdrs <= m->tso_segsz) {
		m->tso_segsz = 0;
		if (m == psh)
			th->tcp_flags |= RTE_TCP_PSH_FLAG;
		return;
	}
	/* Each mbuf of the chain was one segment, its payload still marked. */
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		mss = s->tso_segsz > mss ? (uint16_t)s->tso_segsz : mss; /* a bit-field: no RTE_MAX */
		if (s == psh)
			th->tcp_flags |= RTE_TCP_PSH_FLAG;
	}
	/* rte_gro rewrote the total length, not the header checksum. */
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->tso_segsz = mss;
}

static inline bool vg_same_stamp(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return a->port == b->port && a->hash.usr == b->hash.usr;
}

uint16_t vx_gro(struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	static const struct rte_gro_param param = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = VNL_BURST,
		.max_item_per_flow = VNL_BURST,
	};
	uint64_t t0 = rte_rdtsc(), cand = 0, push = 0;
	uint16_t out = 0, offered = 0, made = 0;

	for (uint16_t i = 0; i < n; i++) {
		unsigned c = vg_candidate(pkts[i], ps);

		cand |= (uint64_t)(c != 0) << i;
		push |= (uint64_t)(c == 2) << i;
	}
	if (cand == 0) {
		ps->v[PC_rx_gro_cycles] += rte_rdtsc() - t0;
		return n;
	}
	/* Runs of candidates with one stamp, each ended by a segment with PSH
	 * (as the kernel flushes a flow at PSH), go to rte_gro; every other
	 * frame stays where it was, between them. out <= i: moves go forward. */
	for (uint16_t i = 0, k; i < n; i += k) {
		const struct rte_mbuf *psh;
		uint16_t r;

		k = 1;
		if (!(cand >> i & 1)) {
			pkts[out++] = pkts[i];
			continue;
		}
		while (i + k < n && !(push >> (i + k - 1) & 1) && (cand >> (i + k) & 1) &&
		       vg_same_stamp(pkts[i], pkts[i + k]))
			k++;
		psh = push >> (i + k - 1) & 1 ? pkts[i + k - 1] : NULL;
		r = k > 1 ? rte_gro_reassemble_burst(pkts + i, k, &param) : 1;
		for (uint16_t j = 0; j < r; j++) {
			vg_finish(pkts[i + j], psh);
			pkts[out++] = pkts[i + j];
		}
		offered += k;
		made += r;
	}
	ps->v[PC_rx_gro_in] += offered;
	ps->v[PC_rx_gro_out] += made;
	ps->v[PC_rx_gro_cycles] += rte_rdtsc() - t0;
	return out;
}
