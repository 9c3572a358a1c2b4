/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: dataplane/vx_gro.c merges decapsulated TCP/IPv4 segments as
 * vx_gro.h says, on real mbufs:
 * - in-order segments of one flow (MSS 1448 with timestamps, a short last
 *   one) become one frame: bytes intact, IPv4 total length and header
 *   checksum right, TX_TCP_SEG|IPV4|TCP_CKSUM, l2/l3/l4_len, tso_segsz =
 *   the MSS, the TCP checksum field = the pseudo-header sum with length,
 *   the stamp (port, hash.usr) kept; ol_to_vnet() gives the right GSO
 *   header; ol_fixup() for a port without TSO cuts it back into the
 *   original segments with valid checksums;
 * - segments out of order within a burst merge into in-order frames;
 * - different stamps (vxlan port, remote) never merge, nor do interleaved
 *   ones; two flows in one run merge each on its own;
 * - a bad TCP or IPv4 header checksum is not merged, passed on as it was,
 *   in its place, counted rx_gro_csum_bad; a PSH segment ends its run and
 *   the merged frame carries PSH, a lone one is passed on byte for byte;
 *   pure ACKs and UDP keep their place and split runs;
 * - vx_gro_hint: TCP/IPv4 yes, UDP, IPv6 and short frames no;
 * - counters rx_gro_in/out exact; no mbuf left behind.
 *
 * Operations: DPDK's EAL without hugepages (--no-huge --no-pci
 * --no-shconf), a 2 KiB packet pool and ol_init()'s indirect pool; frames
 * are built byte by byte here. TAP; "1..0 # SKIP" (exit 77) only when the
 * EAL cannot start here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#include "vx_gro.h"

#define MSS 1448
#define SEQ0 100000u
#define L4 32 /* TCP header with NOP, NOP, timestamps */
#define HDRS (RTE_ETHER_HDR_LEN + 20 + L4)

static struct rte_mempool *pool;
static struct port_stats ps;

static uint8_t payload_byte(uint32_t seq)
{
	return (uint8_t)(seq * 13 % 251);
}

/* One TCP/IPv4 segment of flow sport, seq, len payload bytes, flags, with
 * valid checksums (bad: its payload changed after), stamped (port, remote). */
static struct rte_mbuf *seg(uint16_t sport, uint32_t seq, uint16_t len, uint8_t flags, uint16_t port,
			    uint32_t remote, bool bad)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDRS + len)) : NULL;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *opt;

	if (f == NULL) {
		printf("Bail out! no mbuf\n");
		exit(1);
	}
	eth = (struct rte_ether_hdr *)f;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	th = (struct rte_tcp_hdr *)(ip + 1);
	opt = (uint8_t *)(th + 1);
	memcpy(&eth->dst_addr, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(&eth->src_addr, "\x02\x00\x00\x00\x00\x01", 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = rte_cpu_to_be_16((uint16_t)(20 + L4 + len)),
				     .packet_id = rte_cpu_to_be_16((uint16_t)seq),
				     .fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG), .time_to_live = 64,
				     .next_proto_id = IPPROTO_TCP, .src_addr = RTE_BE32(0x0a000001),
				     .dst_addr = RTE_BE32(0x0a000002) };
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*th = (struct rte_tcp_hdr){ .src_port = rte_cpu_to_be_16(sport), .dst_port = RTE_BE16(5201),
				    .sent_seq = rte_cpu_to_be_32(seq), .recv_ack = RTE_BE32(777),
				    .data_off = (L4 / 4) << 4, .tcp_flags = flags, .rx_win = RTE_BE16(512) };
	memcpy(opt, "\x01\x01\x08\x0a\x00\x00\x10\x00\x00\x00\x20\x00", 12);
	for (uint16_t i = 0; i < len; i++)
		opt[12 + i] = payload_byte(seq + i);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (bad)
		opt[12] ^= 0x40;
	m->port = port;
	m->hash.usr = remote;
	return m;
}

/* A UDP/IPv4 datagram of 100 bytes (not a candidate). */
static struct rte_mbuf *udp_frame(void)
{
	struct rte_mbuf *m = seg(9, 0, 100, RTE_TCP_ACK_FLAG, 1, 0, false);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);

	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

static uint32_t seq_of(const struct rte_mbuf *m)
{
	return rte_be_to_cpu_32(
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + 20)->sent_seq);
}

/* Whether m's payload from its seq on is the generator's, len bytes. */
static bool payload_ok(const struct rte_mbuf *m, uint32_t hdrs, uint32_t len)
{
	static uint8_t buf[70000];
	const uint8_t *p = rte_pktmbuf_read(m, hdrs, len, buf);
	uint32_t seq = seq_of(m);

	if (p == NULL || m->pkt_len != hdrs + len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != payload_byte(seq + i))
			return false;
	return true;
}

/* Whether m (single segment or chain) has valid IPv4 and TCP checksums. */
static bool csums_ok(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uint16_t raw;
	uint32_t sum;

	if (rte_raw_cksum(ip, 20) != 0xffff ||
	    rte_raw_cksum_mbuf(m, RTE_ETHER_HDR_LEN + 20, m->pkt_len - RTE_ETHER_HDR_LEN - 20, &raw) < 0)
		return false;
	sum = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	return ((sum & 0xffff) + (sum >> 16)) == 0xffff;
}

/* Run vx_gro on pkts[0..n) with fresh counters; returns the new count. */
static uint16_t gro(struct rte_mbuf **pkts, uint16_t n)
{
	memset(&ps, 0, sizeof(ps));
	return vx_gro(pkts, n, &ps);
}

/* Whether m is the merged frame of segments of len bytes total from seq,
 * in the offload state vx_gro.h promises. */
static bool merged_flags_ok(const struct rte_mbuf *m, uint32_t seq, uint32_t len, uint16_t mss, uint8_t flags,
			    const char *what)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + 20);
	bool r = true;

	r &= ok(seq_of(m) == seq && payload_ok(m, HDRS, len), "%s: seq %u, %u payload bytes intact", what, seq, len);
	r &= ok(m->ol_flags == (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM) &&
			m->l2_len == RTE_ETHER_HDR_LEN && m->l3_len == 20 && m->l4_len == L4 && m->tso_segsz == mss,
		"%s: TSO state (ol_flags %#lx, lens %u/%u/%u, tso_segsz %u)", what, (unsigned long)m->ol_flags,
		m->l2_len, m->l3_len, m->l4_len, m->tso_segsz);
	r &= ok(rte_be_to_cpu_16(ip->total_length) == m->pkt_len - RTE_ETHER_HDR_LEN && rte_raw_cksum(ip, 20) == 0xffff,
		"%s: IPv4 total length %u and header checksum", what, rte_be_to_cpu_16(ip->total_length));
	r &= ok(th->cksum == rte_ipv4_phdr_cksum(ip, 0) && th->tcp_flags == flags,
		"%s: TCP checksum field = pseudo-header with length, flags %#x", what, th->tcp_flags);
	return r;
}

static bool merged_ok(const struct rte_mbuf *m, uint32_t seq, uint32_t len, uint16_t mss, const char *what)
{
	return merged_flags_ok(m, seq, len, mss, RTE_TCP_ACK_FLAG, what);
}

static void free_all(struct rte_mbuf **m, uint16_t n)
{
	rte_pktmbuf_free_bulk(m, n);
}

static void test_merge(void)
{
	struct rte_mbuf *p[VNL_BURST], *out[VNL_GSO_SEGS_MAX];
	const uint16_t n = 8, last = 500;
	uint32_t len = 7 * MSS + last;
	struct virtio_net_hdr h;
	uint16_t k;
	int r;

	for (uint16_t i = 0; i < n; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, i == n - 1 ? last : MSS, RTE_TCP_ACK_FLAG, 7, 3, false);
	k = gro(p, n);
	ok(k == 1, "8 in-order segments: one frame (%u)", k);
	merged_ok(p[0], SEQ0, len, MSS, "8 segments");
	ok(p[0]->port == 7 && p[0]->hash.usr == 3 && p[0]->nb_segs == n, "stamp kept (port %u, remote %u), %u mbufs",
	   p[0]->port, p[0]->hash.usr, p[0]->nb_segs);
	ok(ps.v[PC_rx_gro_in] == n && ps.v[PC_rx_gro_out] == 1 && ps.v[PC_rx_gro_csum_bad] == 0,
	   "counters: in %lu, out %lu, csum_bad %lu", (unsigned long)ps.v[PC_rx_gro_in],
	   (unsigned long)ps.v[PC_rx_gro_out], (unsigned long)ps.v[PC_rx_gro_csum_bad]);

	ol_to_vnet(p[0], &h);
	ok(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && h.gso_size == MSS &&
		   h.hdr_len == HDRS && h.csum_start == RTE_ETHER_HDR_LEN + 20 && h.csum_offset == 16,
	   "ol_to_vnet: GSO TCPv4 header (flags %u, gso %u/%u, hdr_len %u, csum %u+%u)", h.flags, h.gso_type,
	   h.gso_size, h.hdr_len, h.csum_start, h.csum_offset);

	/* A port without TSO: the worker's fallback gives the segments back. */
	r = ol_fixup(p[0], 0, out, VNL_GSO_SEGS_MAX, &ps);
	ok(r == n, "ol_fixup without TSO: %d segments", r);
	for (int i = 0; i < r; i++) {
		uint16_t want = i == n - 1 ? last : MSS;

		if (!ok(seq_of(out[i]) == SEQ0 + (uint32_t)i * MSS && payload_ok(out[i], HDRS, want) && csums_ok(out[i]),
			"segment %d: seq, %u bytes, checksums", i, want))
			break;
	}
	free_all(out, (uint16_t)(r > 0 ? r : 0));
	free_all(p, k);
}

static void test_reorder(void)
{
	struct rte_mbuf *p[VNL_BURST];
	const int order[] = { 0, 2, 1, 3, 5, 4 };
	uint32_t next = SEQ0;
	bool in_seq = true;
	uint16_t k;

	for (int i = 0; i < 6; i++)
		p[i] = seg(40000, SEQ0 + (uint32_t)order[i] * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	k = gro(p, 6);
	/* 0+1, 2+3+4, 5: rte_gro appends to the first item a segment follows. */
	for (uint16_t i = 0; i < k; i++) {
		in_seq &= seq_of(p[i]) == next && payload_ok(p[i], HDRS, p[i]->pkt_len - HDRS);
		next += p[i]->pkt_len - HDRS;
	}
	ok(k == 3 && in_seq && next == SEQ0 + 6 * MSS, "segments 0 2 1 3 5 4: %u frames, in sequence, bytes intact", k);
	free_all(p, k);
}

static void test_stamps(void)
{
	struct rte_mbuf *p[VNL_BURST];
	uint16_t k;

	/* One flow, the first half through vxlan port 1, the second through 2. */
	for (uint16_t i = 0; i < 8; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, i < 4 ? 1 : 2, 0, false);
	k = gro(p, 8);
	ok(k == 2 && p[0]->port == 1 && p[1]->port == 2, "two vxlan ports: two frames, each with its port (%u)", k);
	merged_ok(p[0], SEQ0, 4 * MSS, MSS, "port 1's");
	merged_ok(p[1], SEQ0 + 4 * MSS, 4 * MSS, MSS, "port 2's");
	free_all(p, k);

	/* One port, two remotes. */
	for (uint16_t i = 0; i < 8; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, 1, i < 4 ? 0 : 1, false);
	k = gro(p, 8);
	ok(k == 2 && p[0]->hash.usr == 0 && p[1]->hash.usr == 1 && p[0]->nb_segs == 4 && p[1]->nb_segs == 4,
	   "two remotes: two frames, each with its remote (%u)", k);
	free_all(p, k);

	/* Stamps alternating: no run longer than one, nothing merged. */
	for (uint16_t i = 0; i < 6; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, 1, i % 2, false);
	k = gro(p, 6);
	ok(k == 6 && ps.v[PC_rx_gro_out] == 6, "alternating remotes: 6 frames, none merged");
	for (uint16_t i = 0; i < k; i++)
		if (!ok(seq_of(p[i]) == SEQ0 + i * MSS && p[i]->ol_flags == 0 && p[i]->tso_segsz == 0 && csums_ok(p[i]),
			"frame %u in place, as it came", i))
			break;
	free_all(p, k);
}

static void test_flows(void)
{
	struct rte_mbuf *p[VNL_BURST];
	uint16_t k;

	for (uint16_t i = 0; i < 6; i++)
		p[i] = seg(i % 2 ? 40001 : 40000, SEQ0 + i / 2 * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	k = gro(p, 6);
	ok(k == 2, "two flows interleaved: two frames (%u)", k);
	for (uint16_t i = 0; i < k; i++)
		merged_ok(p[i], SEQ0, 3 * MSS, MSS, "a flow's");
	free_all(p, k);
}

static void test_csum(void)
{
	struct rte_mbuf *p[VNL_BURST], *bad;
	struct rte_ipv4_hdr *ip;
	uint16_t k;

	for (uint16_t i = 0; i < 6; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, i == 2);
	bad = p[2];
	k = gro(p, 6);
	ok(k == 3 && p[1] == bad, "bad TCP checksum in the middle: 3 frames, it in its place (%u)", k);
	merged_ok(p[0], SEQ0, 2 * MSS, MSS, "before it");
	ok(bad->ol_flags == 0 && bad->tso_segsz == 0 && bad->pkt_len == HDRS + MSS && !csums_ok(bad),
	   "the bad segment passed on as it came");
	merged_ok(p[2], SEQ0 + 3 * MSS, 3 * MSS, MSS, "after it");
	ok(ps.v[PC_rx_gro_csum_bad] == 1 && ps.v[PC_rx_gro_in] == 5 && ps.v[PC_rx_gro_out] == 2,
	   "counted: csum_bad 1, in 5, out 2");
	free_all(p, k);

	/* A wrong IPv4 header checksum (TCP's right). */
	for (uint16_t i = 0; i < 3; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	ip = rte_pktmbuf_mtod_offset(p[1], struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	ip->hdr_checksum ^= 0x0100;
	k = gro(p, 3);
	ok(k == 3 && ps.v[PC_rx_gro_csum_bad] == 1 && p[1]->ol_flags == 0, "bad IPv4 header checksum: not merged, counted");
	free_all(p, k);
}

static void test_barriers(void)
{
	struct rte_mbuf *p[VNL_BURST], *in[8];
	const uint8_t ap = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	uint16_t k, n = 0;

	p[n++] = seg(40000, SEQ0, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + 2 * MSS, MSS, ap, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + 3 * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	p[n++] = udp_frame();
	p[n++] = seg(40000, SEQ0 + 4 * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + 5 * MSS, 0, RTE_TCP_ACK_FLAG, 1, 0, false);
	memcpy(in, p, n * sizeof(p[0]));
	k = gro(p, n);
	ok(k == 5 && p[0] == in[0] && p[1] == in[3] && p[2] == in[4] && p[3] == in[5] && p[4] == in[6],
	   "PSH ends a run; UDP, a pure ACK keep their places and split runs (%u frames)", k);
	merged_flags_ok(p[0], SEQ0, 3 * MSS, MSS, ap, "the run ended by PSH");
	ok(ps.v[PC_rx_gro_in] == 5 && ps.v[PC_rx_gro_out] == 3, "counted: in 5, out 3");
	for (uint16_t i = 1; i < k; i++)
		if (!ok(p[i]->ol_flags == 0 && p[i]->tso_segsz == 0 && (i == 2 || csums_ok(p[i])), "frame %u untouched", i))
			break;
	free_all(p, k);

	/* A lone PSH segment (its run of one), and PSH out of order: byte for byte. */
	n = 0;
	p[n++] = seg(40000, SEQ0, MSS, ap, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + 2 * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	p[n++] = seg(40000, SEQ0 + 4 * MSS, MSS, ap, 1, 0, false);
	k = gro(p, n);
	ok(k == 3, "PSH alone, then two segments that do not follow each other: 3 frames (%u)", k);
	for (uint16_t i = 0; i < k; i++) {
		const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(p[i], const struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + 20);

		if (!ok(p[i]->ol_flags == 0 && csums_ok(p[i]) && th->tcp_flags == (i == 1 ? RTE_TCP_ACK_FLAG : ap),
			"lone frame %u as it came (flags %#x, checksums)", i, th->tcp_flags))
			break;
	}
	free_all(p, k);
}

static void test_hint(void)
{
	struct rte_mbuf *t = seg(40000, SEQ0, MSS, RTE_TCP_ACK_FLAG, 1, 0, false), *u = udp_frame();
	uint8_t *f = rte_pktmbuf_mtod(t, uint8_t *);

	ok(vx_gro_hint(f, t->pkt_len), "hint: TCP/IPv4 yes");
	ok(!vx_gro_hint(rte_pktmbuf_mtod(u, uint8_t *), u->pkt_len), "hint: UDP no");
	ok(!vx_gro_hint(f, HDRS - 12), "hint: shorter than the headers no");
	f[12] = 0x86, f[13] = 0xdd;
	ok(!vx_gro_hint(f, t->pkt_len), "hint: IPv6 no");
	rte_pktmbuf_free(t);
	rte_pktmbuf_free(u);
}

/* Segments whose inner TOS (a CE mark) or TTL differ, and one with IP
 * options, do not merge: ECN marks and DSCP survive (rte_gro compares
 * neither). */
static void retos(struct rte_mbuf *m, uint8_t tos, uint8_t ttl)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	ip->type_of_service = tos;
	ip->time_to_live = ttl;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

static void test_tos(void)
{
	struct rte_mbuf *p[VNL_BURST];
	const struct rte_ipv4_hdr *ip;
	uint16_t k;

	for (uint16_t i = 0; i < 6; i++)
		p[i] = seg(40000, SEQ0 + i * MSS, MSS, RTE_TCP_ACK_FLAG, 1, 0, false);
	retos(p[2], 0x03, 64); /* CE */
	retos(p[4], 0x00, 63);
	k = gro(p, 6);
	ip = rte_pktmbuf_mtod_offset(p[1], const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	/* Runs: [0 1] [2: CE] [3] [4: TTL 63] [5]: each change of TOS or TTL
	 * ends the run before it and the run it starts. */
	ok(k == 5 && p[0]->nb_segs == 2 && p[1]->nb_segs == 1 && ip->type_of_service == 0x03 && p[2]->nb_segs == 1 &&
		   p[3]->nb_segs == 1 && p[4]->nb_segs == 1,
	   "a CE mark and a TTL change end runs: 5 frames, the CE segment alone with its mark (%u)", k);
	merged_ok(p[0], SEQ0, 2 * MSS, MSS, "before the CE segment");
	ok(csums_ok(p[1]) && csums_ok(p[2]) && csums_ok(p[3]) && csums_ok(p[4]), "the lone segments keep their checksums");
	free_all(p, k);
}

int main(int argc, char **argv)
{
	int r = eal_unit_pools(argv[0], "vnl-vgtest", 4095, &pool);

	(void)argc;
	if (r != 0)
		return r;
	test_merge();
	test_reorder();
	test_stamps();
	test_flows();
	test_csum();
	test_tos();
	test_barriers();
	test_hint();
	return eal_unit_end(pool);
}
