/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: dataplane/offload.c converts virtio-net headers and vhost's RX
 * flags into the switch's offload state and back, and its software fallback
 * (ol_fixup) turns a TSO frame into correct wire segments and completes
 * partial checksums without changing what other flood members see:
 * - 64000-byte TCP/IPv4 frames in 2 KiB chains, MSS 1448, 1460 and 536:
 *   segment count and sizes, IPv4 id and TCP seq progression, FIN/PSH on
 *   the last segment only, IPv4 and TCP checksums valid, payload intact;
 * - IPv4/UDP and IPv6/TCP partial checksums completed (chains too);
 * - a frame shared by a flood (refcnt 2) keeps its ol_flags and bytes;
 * - more than 256 segments, TSO over IPv6 -> drop_gso; bad virtio-net
 *   headers and LRO on UDP -> -EINVAL (the port counts drop_offload_bad);
 * - no mbuf is left behind in either pool.
 * A microbenchmark prints the cycles of one 64 KiB segmentation (with the
 * checksums) as a TAP diagnostic line.
 *
 * Operations: DPDK's EAL without hugepages (--no-huge --no-pci
 * --no-shconf), a 2 KiB packet pool and ol_init()'s indirect pool; frames
 * are built byte by byte here. TAP; "1..0 # SKIP" (exit 77) only when the
 * EAL cannot start here.
 */
#define ALLOW_EXPERIMENTAL_API
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "offload.h"
#include "eal_unit.h"
#include "tap.h"

#define SEQ0 1000u
#define ID0 0x1234
#define FRAME_MAX 65600

static struct rte_mempool *pool;
static uint8_t frame[FRAME_MAX], got[FRAME_MAX];

/* Copy len bytes of frame[] into a chain of 2 KiB mbufs. */
static struct rte_mbuf *chain_of(uint32_t len)
{
	struct rte_mbuf *head = NULL;

	for (uint32_t off = 0; off < len;) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t n = (uint16_t)RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(m));

		memcpy(rte_pktmbuf_append(m, n), frame + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) < 0)
			return NULL;
	}
	return head;
}

static uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 7 % 251);
}

/* An Ethernet + IPv4 (or IPv6) + TCP (or UDP) frame of len bytes in frame[],
 * L4 checksum field = pseudo-header with length (the state's form). */
static struct rte_mbuf *build(uint32_t len, bool v6, bool udp, uint64_t ol, uint16_t mss)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint16_t l4 = udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	uint8_t *l4p = frame + RTE_ETHER_HDR_LEN + l3;
	uint16_t phdr;
	struct rte_mbuf *m;

	memset(frame, 0, RTE_ETHER_HDR_LEN + l3 + l4);
	memcpy(eth->dst_addr.addr_bytes, "\x02\0\0\0\0\x0b", 6);
	memcpy(eth->src_addr.addr_bytes, "\x02\0\0\0\0\x0a", 6);
	eth->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + RTE_ETHER_HDR_LEN);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN - l3));
		ip->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
		ip->src_addr[0] = ip->dst_addr[0] = 0xfd;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN));
		ip->packet_id = rte_cpu_to_be_16(ID0);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
		ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	for (uint32_t i = RTE_ETHER_HDR_LEN + l3 + l4; i < len; i++)
		frame[i] = payload_byte(i);
	if (udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4p;

		u->src_port = rte_cpu_to_be_16(5000);
		u->dst_port = rte_cpu_to_be_16(5001);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN - l3));
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4p;

		t->src_port = rte_cpu_to_be_16(5000);
		t->dst_port = rte_cpu_to_be_16(5001);
		t->sent_seq = rte_cpu_to_be_32(SEQ0);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
	}
	phdr = v6 ? rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(frame + RTE_ETHER_HDR_LEN), 0)
		  : rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN), 0);
	if (udp)
		((struct rte_udp_hdr *)l4p)->dgram_cksum = phdr;
	else
		((struct rte_tcp_hdr *)l4p)->cksum = phdr;
	m = chain_of(len);
	if (m == NULL)
		return NULL;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3;
	m->l4_len = l4;
	m->tso_segsz = mss;
	m->ol_flags = ol;
	return m;
}

/* Valid L4 (and IPv4 header) checksums of a frame or segment. */
static bool csum_ok(const struct rte_mbuf *s, bool v6, bool *ip_ok)
{
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);

	if (v6) {
		*ip_ok = true;
		return rte_ipv6_udptcp_cksum_mbuf_verify(
			       s, rte_pktmbuf_mtod_offset(s, const struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN),
			       RTE_ETHER_HDR_LEN + l3) == 0;
	}
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);

	*ip_ok = rte_ipv4_cksum(ip) == 0;
	return rte_ipv4_udptcp_cksum_mbuf_verify(s, ip, RTE_ETHER_HDR_LEN + l3) == 0;
}

static bool same_bytes(const struct rte_mbuf *m, uint32_t len)
{
	const void *p = rte_pktmbuf_read(m, 0, len, got);

	return m->pkt_len == len && p != NULL && memcmp(p, frame, len) == 0;
}

static uint64_t pc(const struct port_stats *ps, enum port_counter c)
{
	return ps->v[c];
}

static void free_all(struct rte_mbuf **out, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

static struct rte_mbuf *out[VNL_GSO_SEGS_MAX];

static void test_tso(uint16_t mss)
{
	const uint32_t len = 64000, hdrs = 54, pay = len - hdrs;
	const uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	struct port_stats ps = { 0 };
	struct rte_mbuf *m = build(len, false, false, ol, mss);
	int want = (int)((pay + mss - 1) / mss), n;
	bool sizes = true, ids = true, seqs = true, flags = true, ipc = true, l4c = true, data = true, clean = true;

	ok(m != NULL && m->nb_segs == 32, "mss %u: 64000-byte frame in %u mbufs of 2 KiB", mss, m ? m->nb_segs : 0);
	n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == want, "mss %u: %d segments (want %d)", mss, n, want);
	for (int i = 0; i < n; i++) {
		const struct rte_mbuf *s = out[i];
		uint32_t seg = RTE_MIN((uint32_t)mss, pay - (uint32_t)i * mss);
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, const struct rte_ipv4_hdr *, 14);
		const struct rte_tcp_hdr *t = rte_pktmbuf_mtod_offset(s, const struct rte_tcp_hdr *, 34);
		uint8_t want_flags = RTE_TCP_ACK_FLAG | (i == n - 1 ? RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG : 0);
		const uint8_t *p = rte_pktmbuf_read(s, hdrs, seg, got);
		bool ip_ok;

		sizes &= s->pkt_len == hdrs + seg && rte_be_to_cpu_16(ip->total_length) == s->pkt_len - 14;
		ids &= rte_be_to_cpu_16(ip->packet_id) == (uint16_t)(ID0 + i);
		seqs &= rte_be_to_cpu_32(t->sent_seq) == SEQ0 + (uint32_t)i * mss;
		flags &= t->tcp_flags == want_flags;
		l4c &= csum_ok(s, false, &ip_ok);
		ipc &= ip_ok;
		clean &= !(s->ol_flags & VNL_TX_OL_ANY);
		for (uint32_t b = 0; p && b < seg; b++)
			data &= p[b] == payload_byte(hdrs + (uint32_t)i * mss + b);
		data &= p != NULL;
	}
	ok(sizes, "mss %u: segment sizes and IPv4 total lengths", mss);
	ok(ids, "mss %u: IPv4 ids increment from the frame's", mss);
	ok(seqs, "mss %u: TCP seq advances by the MSS", mss);
	ok(flags, "mss %u: FIN and PSH only on the last segment", mss);
	ok(ipc && l4c, "mss %u: IPv4 and TCP checksums valid in every segment", mss);
	ok(data, "mss %u: payload intact", mss);
	ok(clean, "mss %u: segments carry no offload state", mss);
	ok(m->ol_flags == ol && same_bytes(m, len), "mss %u: the input keeps its flags and bytes", mss);
	ok(pc(&ps, PC_tx_gso_frames) == 1 && pc(&ps, PC_tx_gso_segments) == (uint64_t)n &&
	       pc(&ps, PC_tx_csum_sw) == (uint64_t)n && pc(&ps, PC_drop_gso) == 0,
	   "mss %u: tx_gso_frames 1, tx_gso_segments %d", mss, n);
	free_all(out, n);
	{
		bool one = true;

		for (const struct rte_mbuf *x = m; x; x = x->next)
			one &= rte_mbuf_refcnt_read(x) == 1;
		ok(one && same_bytes(m, len), "mss %u: segments freed, the input chain is whole (refcnt 1)", mss);
	}
	rte_pktmbuf_free(m);
}

/* A TSO frame flooded to a non-TSO port and a TSO port: the second still gets the original. */
static void test_flood(void)
{
	const uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	const uint64_t csum = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	struct port_stats ps = { 0 };
	struct rte_mbuf *m = build(64000, false, false, ol, 1448);
	int n;
	bool ip_ok;

	rte_pktmbuf_refcnt_update(m, 1);
	n = ol_fixup(m, PORT_OL_CSUM, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == 45, "flood: TSO frame to a CSUM-only port -> 45 segments");
	free_all(out, n);
	ok(m->ol_flags == ol && m->tso_segsz == 1448 && same_bytes(m, 64000) && rte_mbuf_refcnt_read(m) == 2,
	   "flood: the shared TSO frame keeps TX_TCP_SEG, tso_segsz, bytes and refcnt");
	ok(ol_needs(m->ol_flags) == (PORT_OL_CSUM | PORT_OL_TSO4), "flood: still needs CSUM|TSO4 for the next member");
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);

	/* Partial checksum, shared: completed in a copy; the original keeps the pseudo-header. */
	m = build(3000, false, false, csum, 0);
	rte_pktmbuf_refcnt_update(m, 1);
	n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == 1 && out[0] != m && csum_ok(out[0], false, &ip_ok) && !(out[0]->ol_flags & VNL_TX_OL_ANY),
	   "flood: a shared partial-checksum frame is completed in a copy");
	ok(m->ol_flags == csum && same_bytes(m, 3000), "flood: the shared frame keeps its flags and pseudo-header");
	free_all(out, n);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);

	/* Unshared: completed in place, handed back with one more reference. */
	m = build(3000, false, false, csum, 0);
	n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
	{
		bool two = true;

		for (const struct rte_mbuf *x = m; x; x = x->next)
			two &= rte_mbuf_refcnt_read(x) == 2;
		ok(n == 1 && out[0] == m && m->nb_segs == 2 && two && csum_ok(m, false, &ip_ok),
		   "unshared partial frame (2 mbufs) completed in place, one more reference on each mbuf");
	}
	free_all(out, n);
	rte_pktmbuf_free(m);
}

static void test_partial(bool v6, bool udp, uint32_t len)
{
	uint64_t ol = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
		      (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	struct port_stats ps = { 0 };
	struct rte_mbuf *m = build(len, v6, udp, ol, 0);
	const char *what = udp ? (v6 ? "UDP/IPv6" : "UDP/IPv4") : (v6 ? "TCP/IPv6" : "TCP/IPv4");
	int n;
	bool ip_ok;

	ok(ol_needs(m->ol_flags) == PORT_OL_CSUM, "%s %u B: needs CSUM only", what, len);
	n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == 1 && csum_ok(out[0], v6, &ip_ok) && ip_ok && pc(&ps, PC_tx_csum_sw) == 1 &&
	       !(out[0]->ol_flags & VNL_TX_OL_ANY),
	   "%s %u B (%u mbufs): partial checksum completed", what, len, m->nb_segs);
	free_all(out, n);
	rte_pktmbuf_free(m);
}

static void test_drops(void)
{
	struct port_stats ps = { 0 };
	const uint64_t ol4 = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	const uint64_t ol6 = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
	struct rte_mbuf *m = build(64000, false, false, ol4, 200); /* 320 segments */
	int n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);

	ok(n < 0 && pc(&ps, PC_drop_gso) == 1 && m->ol_flags == ol4 && same_bytes(m, 64000),
	   "more than 256 segments -> drop_gso, frame untouched");
	rte_pktmbuf_free(m);
	m = build(20000, true, false, ol6, 1440);
	ok(ol_needs(m->ol_flags) == (PORT_OL_CSUM | PORT_OL_TSO6), "TCP/IPv6 TSO needs TSO6");
	n = ol_fixup(m, PORT_OL_CSUM | PORT_OL_TSO4, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n < 0 && pc(&ps, PC_drop_gso) == 2, "TCP/IPv6 TSO to a port without TSO6 -> drop_gso");
	rte_pktmbuf_free(m);
	ok(ol_needs(ol4 | ol6) == (PORT_OL_CSUM | PORT_OL_TSO4 | PORT_OL_TSO6), "a mixed burst needs both TSO bits");
	ok(ol_needs(0) == 0 && ol_needs(RTE_MBUF_F_TX_IPV4) == 0, "a complete frame needs nothing");
}

static void test_vnet(void)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .gso_size = 1448, .csum_start = 34, .csum_offset = 16, .hdr_len = 54 };
	struct virtio_net_hdr back, bad;
	struct rte_mbuf *m = build(64000, false, false, 0, 0);
	bool ip_ok;
	int r;

	r = ol_from_vnet(m, &h);
	ok(r == 0 && m->ol_flags == (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM) &&
	       m->tso_segsz == 1448 && m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 20,
	   "vnet GSO_TCPV4 + NEEDS_CSUM -> TSO state with l2/l3/l4_len");
	ol_to_vnet(m, &back);
	ok(back.flags == h.flags && back.gso_type == h.gso_type && back.gso_size == h.gso_size &&
	       back.csum_start == h.csum_start && back.csum_offset == h.csum_offset && back.hdr_len == h.hdr_len,
	   "ol_to_vnet gives the header back");
	{
		uint16_t *field = rte_pktmbuf_mtod_offset(m, uint16_t *, 34 + 16), want = *field;

		/* What a vhost enqueue of the same (flooded) frame leaves behind. */
		*field = rte_ipv4_phdr_cksum(rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), RTE_MBUF_F_TX_TCP_SEG);
		ok(*field != want, "the length-less pseudo-header differs from the length-included one");
		ol_to_vnet(m, &back);
		ok(*field == want, "ol_to_vnet restores the length-included pseudo-header of a GSO frame");
	}
	rte_pktmbuf_free(m);

	m = build(1000, true, true, 0, 0);
	r = ol_from_vnet(m, &(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 54,
						     .csum_offset = 6 });
	ok(r == 0 && m->ol_flags == (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM), "vnet NEEDS_CSUM on UDP/IPv6 -> partial");
	ol_to_vnet(m, &back);
	ok(back.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && back.gso_type == 0 && back.csum_start == 54 &&
	       back.csum_offset == 6, "ol_to_vnet: partial UDP/IPv6");
	rte_pktmbuf_free(m);

	m = build(1000, false, false, 0, 0);
	r = ol_from_vnet(m, &(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_DATA_VALID });
	ol_to_vnet(m, &back);
	ok(r == 0 && m->ol_flags == 0 && back.flags == 0 && back.gso_type == 0, "vnet DATA_VALID -> complete frame");
	rte_pktmbuf_free(m);

	/* NEEDS_CSUM somewhere we do not keep partial: completed at rx. The
	 * field held the sender's seed (a pseudo-header the receiver adds). */
	m = build(1000, false, false, 0, 0);
	*rte_pktmbuf_mtod_offset(m, uint16_t *, 12) = rte_cpu_to_be_16(0x88b5);
	{
		uint16_t seed = *rte_pktmbuf_mtod_offset(m, uint16_t *, 24), sum = 0;
		uint32_t t;

		r = ol_from_vnet(m, &(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
							     .csum_start = 20, .csum_offset = 4 });
		rte_raw_cksum_mbuf(m, 20, m->pkt_len - 20, &sum);
		t = (uint32_t)sum + seed;
		t = (t & 0xffff) + (t >> 16);
		ok(r == 0 && m->ol_flags == 0 && t == 0xffff, "vnet NEEDS_CSUM on an unknown protocol: completed at rx");
	}
	rte_pktmbuf_free(m);

	m = build(3000, false, false, 0, 0);
	ok(ol_from_vnet(m, &(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
						    .csum_offset = 16 }) == 0 && csum_ok(m, false, &ip_ok) == false,
	   "vnet partial TCP/IPv4 stays partial (no write)");
	rte_pktmbuf_free(m);

	struct {
		const char *what;
		bool udp, v6;
		struct virtio_net_hdr h;
	} bads[] = {
		{ "GSO_UDP", false, false, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 1400, .csum_start = 34, .csum_offset = 16 } },
		{ "GSO_TCPV6", false, true, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 1400, .csum_start = 54, .csum_offset = 16 } },
		{ "GSO_TCPV4|ECN", false, false, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, .gso_size = 1400, .csum_start = 34, .csum_offset = 16 } },
		{ "GSO without NEEDS_CSUM", false, false, { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1400 } },
		{ "gso_size 0", false, false, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .csum_start = 34, .csum_offset = 16 } },
		{ "GSO_TCPV4 on UDP", true, false, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1400, .csum_start = 34, .csum_offset = 6 } },
		{ "GSO_TCPV4 on IPv6", false, true, { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1400, .csum_start = 54, .csum_offset = 16 } },
		{ "csum_offset past the frame", false, false, { .flags = 1, .csum_start = 2990, .csum_offset = 16 } },
	};
	for (unsigned i = 0; i < RTE_DIM(bads); i++) {
		m = build(3000, bads[i].v6, bads[i].udp, 0, 0);
		bad = bads[i].h;
		ok(ol_from_vnet(m, &bad) == -EINVAL, "bad vnet header (%s) -> -EINVAL (drop_offload_bad)", bads[i].what);
		rte_pktmbuf_free(m);
	}
}

static void test_vhost(void)
{
	struct rte_mbuf *m = build(64000, false, false, 0, 1448);

	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	ok(ol_from_vhost(m) == 0 &&
	       m->ol_flags == (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM) &&
	       m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 20 && m->tso_segsz == 1448,
	   "vhost RX_LRO|RX_L4_CKSUM_NONE -> TSO state");
	rte_pktmbuf_free(m);
	m = build(1000, true, true, 0, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	ok(ol_from_vhost(m) == 0 && m->ol_flags == (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM),
	   "vhost RX_L4_CKSUM_NONE on UDP/IPv6 -> partial");
	rte_pktmbuf_free(m);
	m = build(3000, false, true, 0, 1400);
	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	ok(ol_from_vhost(m) == -EINVAL, "vhost RX_LRO on UDP -> -EINVAL (drop_offload_bad)");
	rte_pktmbuf_free(m);
}

/* Cycles of one ol_fixup of a 64 KiB TSO frame to a port without offloads. */
static void bench(void)
{
	const uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	struct port_stats ps = { 0 };
	struct rte_mbuf *m = build(65536, false, false, ol, 1448);
	uint64_t best = UINT64_MAX, sum = 0;
	const int rounds = 200;
	int n = 0;

	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = rte_rdtsc_precise(), t;

		n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
		t = rte_rdtsc_precise() - t0;
		free_all(out, n);
		sum += t;
		best = RTE_MIN(best, t);
	}
	printf("# bench: 64 KiB TSO frame (MSS 1448, %d segments, checksums included): %.0f cycles mean, %lu min, "
	       "%.1f us mean at %.2f GHz\n",
	       n, (double)sum / rounds, (unsigned long)best, (double)sum / rounds * 1e6 / (double)rte_get_tsc_hz(),
	       (double)rte_get_tsc_hz() / 1e9);
	ok(n == 46 && m->ol_flags == ol && same_bytes(m, 65536), "bench: %d rounds left the 64 KiB input as it was", rounds);
	n = ol_fixup(m, PORT_OL_TSO4, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == 46, "a TSO frame to a port with TSO4 but not CSUM is segmented (%d)", n);
	free_all(out, n);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	n = ol_fixup(m, 0, out, VNL_GSO_SEGS_MAX, &ps);
	ok(n == 1 && out[0] == m && csum_ok(out[0], false, &(bool){ false }),
	   "bench: then, as a partial frame, its checksum completed in place");
	free_all(out, n);
	rte_pktmbuf_free(m);
}

int main(int argc, char **argv)
{
	int r = eal_unit_pools(argv[0], "vnl-oltest", 8191, &pool);

	(void)argc;
	if (r != 0)
		return r;
	test_tso(1448);
	test_tso(1460);
	test_tso(536);
	test_flood();
	test_partial(false, true, 1000);
	test_partial(false, true, 5000);
	test_partial(true, false, 1000);
	test_partial(true, false, 5000);
	test_partial(false, false, 5000);
	test_partial(false, false, 65536);
	test_drops();
	test_vnet();
	test_vhost();
	bench();
	return eal_unit_end(pool);
}
