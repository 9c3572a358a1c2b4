/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: dataplane/vxlan.h puts on the wire what RFC 7348 and the Linux
 * and OVS endpoints expect, and reads back only that. Templates byte for
 * byte against hand-written frames (IPv4, IPv6); vx_encap_fix's IPv4 header
 * and IPv6 UDP checksums against an independent big-endian reference and
 * against DPDK's rte_ipv4_cksum/rte_ipv6_udptcp_cksum_verify, over 1e5
 * random lengths and contents; every vx_parse verdict (truncation at every
 * byte, ethertype, version, protocol, ihl, options, fragments, UDP length,
 * flags and reserved bytes, padding); the flow key of TCP/UDP/ICMP/ARP/VLAN/
 * IPv6 inner frames; vx_sport always in range and evenly spread (chi-square).
 * No EAL: DPDK's checksum helpers are header-only.
 */
#define ALLOW_EXPERIMENTAL_API  /* rte_ipv6_udptcp_cksum_verify */
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "tap.h"
#include "vxlan.h"

static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 }, dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static uint8_t l4[4] = { 192, 0, 2, 1 }, r4[4] = { 192, 0, 2, 2 };
static uint8_t l6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, r6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Reference checksum arithmetic: big-endian words, as RFC 1071 writes it. */
static uint32_t ref_add(const uint8_t *b, uint32_t len, uint32_t s)
{
	for (uint32_t i = 0; i < len; i += 2)
		s += (uint32_t)b[i] << 8 | (i + 1 < len ? b[i + 1] : 0);
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Encapsulate inner (len bytes) with t into out; returns the outer length. */
static uint32_t encap(const struct vx_hdr_tmpl *t, uint8_t *out, const uint8_t *inner, uint32_t len,
		      uint16_t sport)
{
	memcpy(out, t->bytes, t->len);
	memcpy(out + t->len, inner, len);
	vx_encap_fix(t, out, len, sport, vx_sum(inner, len, 0));
	return t->len + len;
}

/* The IPv6 UDP checksum of an outer frame as a reference computes it: 0 when right. */
static uint16_t ref_udp6_bad(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	uint32_t udp_len = (uint32_t)ip[4] << 8 | ip[5], s;

	s = ref_add(ip + 8, 32, 0) + udp_len + 17;
	s = ref_add(ip + 40, udp_len, s);
	return (uint16_t)~ref_fold(s);
}

static void test_templates(void)
{
	struct vx_hdr_tmpl t;
	uint8_t inner[60], out[200];
	struct vx_pkt p;
	uint32_t n;
	/* By hand: Ethernet, IPv4 (DF, TTL 64, UDP, 20+8+8+60 = 96 = 0x60), UDP 40000 -> 4789
	 * (len 76 = 0x4c, checksum 0), VXLAN I flag, VNI 100 (0x000064). */
	static const uint8_t want4[50] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x60, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xff, 0xff, 192, 0, 2, 1, 192, 0, 2, 2,
		0x9c, 0x40, 0x12, 0xb5, 0x00, 0x4c, 0x00, 0x00,
		0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00,
	};
	static const uint8_t want6_head[14 + 8] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x11, 0x40,
	};
	uint8_t want[50];
	uint16_t c;

	for (unsigned i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)(i * 7 + 3);
	ok(vx_tmpl_build(&t, AF_INET, smac, dmac, l4, r4, VX_PORT, 100) == 0 && t.len == 50, "IPv4 template: 50 bytes");
	n = encap(&t, out, inner, sizeof(inner), 40000);
	memcpy(want, want4, sizeof(want));
	/* The header checksum, by the reference: 0xffff placeholder replaced. */
	want[24] = want[25] = 0;
	c = (uint16_t)~ref_fold(ref_add(want + 14, 20, 0));
	want[24] = (uint8_t)(c >> 8);
	want[25] = (uint8_t)c;
	ok(n == 110 && !memcmp(out, want, 50) && !memcmp(out + 50, inner, sizeof(inner)),
	   "IPv4 frame byte for byte as written by hand (checksum 0x%04x)", c);
	ok(rte_ipv4_cksum((const struct rte_ipv4_hdr *)(out + 14)) == 0, "rte_ipv4_cksum agrees");
	ok(vx_parse(out, n, &p) == VX_OK && p.family == AF_INET && !memcmp(p.src, l4, 4) && !memcmp(p.dst, r4, 4) &&
	   p.sport == 40000 && p.dport == VX_PORT && p.vni == 100 && p.inner_off == 50 && p.inner_len == 60 &&
	   p.udp_csum == 0, "vx_parse reads it back");

	ok(vx_tmpl_build(&t, AF_INET6, smac, dmac, l6, r6, 8472, 0xabcdef) == 0 && t.len == 70, "IPv6 template: 70 bytes");
	n = encap(&t, out, inner, sizeof(inner), 32768);
	ok(n == 130 && !memcmp(out, want6_head, sizeof(want6_head)) && !memcmp(out + 22, l6, 16) &&
	   !memcmp(out + 38, r6, 16), "IPv6 header by hand: class/label 0, length 76, UDP, hop limit 64, addresses");
	ok(out[54] == 0x80 && out[55] == 0x00 && out[56] == 0x21 && out[57] == 0x18 && out[58] == 0 && out[59] == 0x4c,
	   "UDP 32768 -> 8472, length 76");
	ok(!memcmp(out + 62, "\x08\0\0\0\xab\xcd\xef\0", 8) && !memcmp(out + 70, inner, sizeof(inner)),
	   "VXLAN header (VNI 0xabcdef) and inner frame");
	ok(ref_udp6_bad(out) == 0 && (out[60] | out[61]) != 0, "UDP checksum right by the reference (0x%02x%02x)",
	   out[60], out[61]);
	ok(rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(out + 14), out + 54) == 0,
	   "rte_ipv6_udptcp_cksum_verify agrees");
	ok(vx_parse(out, n, &p) == VX_OK && p.family == AF_INET6 && !memcmp(p.src, l6, 16) && p.vni == 0xabcdef &&
	   p.inner_off == 70 && p.inner_len == 60 && vx_udp6_ok(out, &p), "vx_parse and vx_udp6_ok read it back");
	out[100] ^= 0x01;
	ok(!vx_udp6_ok(out, &p), "one inner bit flipped: vx_udp6_ok says no");
	out[100] ^= 0x01;
	out[60] = out[61] = 0;
	ok(!vx_udp6_ok(out, &p), "a zero IPv6 UDP checksum is refused");

	ok(vx_tmpl_build(&t, 7, smac, dmac, l4, r4, VX_PORT, 1) == -1, "family 7 refused");
	ok(vx_tmpl_build(&t, AF_INET, smac, dmac, l4, r4, VX_PORT, 0x1000000) == -1, "VNI 2^24 refused");
	ok(vx_tmpl_build(&t, AF_INET, smac, dmac, l4, r4, VX_PORT, VX_VNI_MAX) == 0, "VNI 2^24 - 1 taken");
}

static void test_random_checksums(void)
{
	static uint8_t inner[3500], out[3600];
	struct vx_hdr_tmpl t4, t6;
	unsigned bad4 = 0, bad6 = 0, dpdk = 0, parse = 0, odd = 0;
	struct vx_pkt p;

	vx_tmpl_build(&t4, AF_INET, smac, dmac, l4, r4, VX_PORT, 42);
	vx_tmpl_build(&t6, AF_INET6, smac, dmac, l6, r6, VX_PORT, 42);
	for (unsigned i = 0; i < 100000; i++) {
		uint32_t len = 14 + rnd() % 3400, n;
		uint16_t sport = vx_sport(rnd(), VX_SPORT_MIN, VX_SPORT_MAX);

		for (uint32_t j = 0; j < len; j += 4) {
			uint32_t r = rnd();

			memcpy(inner + j, &r, 4);
		}
		odd += len & 1;
		n = encap(&t4, out, inner, len, sport);
		bad4 += ref_fold(ref_add(out + 14, 20, 0)) != 0xffff;
		dpdk += rte_ipv4_cksum((const struct rte_ipv4_hdr *)(out + 14)) != 0;
		parse += vx_parse(out, n, &p) != VX_OK || p.inner_len != len || p.sport != sport;
		n = encap(&t6, out, inner, len, sport);
		bad6 += ref_udp6_bad(out) != 0;
		dpdk += rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(out + 14), out + 54) != 0;
		parse += vx_parse(out, n, &p) != VX_OK || p.inner_len != len || !vx_udp6_ok(out, &p);
	}
	ok(bad4 == 0, "1e5 random IPv4 frames: header checksum right by the reference (%u wrong)", bad4);
	ok(bad6 == 0, "1e5 random IPv6 frames: UDP checksum right by the reference (%u wrong, %u odd lengths)", bad6, odd);
	ok(dpdk == 0, "DPDK's checksum helpers agree on all of them (%u disagree)", dpdk);
	ok(parse == 0, "vx_parse reads all of them back (%u not)", parse);
}

/* A valid frame of the family with a 20-byte inner frame, into f; its length. */
static uint32_t valid(uint8_t *f, int family)
{
	static const uint8_t inner[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00 };
	struct vx_hdr_tmpl t;

	vx_tmpl_build(&t, family, smac, dmac, family == AF_INET ? l4 : l6, family == AF_INET ? r4 : r6, VX_PORT, 7);
	return encap(&t, f, inner, sizeof(inner), 50000);
}

static void test_parse_verdicts(void)
{
	uint8_t f[200], g[200];
	struct vx_pkt p;
	uint32_t n, bad = 0;

	for (int family = AF_INET; family <= AF_INET6; family += AF_INET6 - AF_INET) {
		const char *fam = family == AF_INET ? "IPv4" : "IPv6";
		uint32_t u = family == AF_INET ? 34 : 54;  /* the UDP header's offset */

		n = valid(f, family);
		bad = 0;
		for (uint32_t k = 0; k < n; k++)
			bad += vx_parse(f, k, &p) != VX_SHORT;
		ok(bad == 0, "%s: the frame cut at every byte 0..%u: VX_SHORT each time", fam, n - 1);
		memcpy(g, f, n);
		g[12] = 0x08;
		g[13] = 0x06;
		ok(vx_parse(g, n, &p) == VX_NOT_UDP, "%s: ethertype ARP -> VX_NOT_UDP", fam);
		memcpy(g, f, n);
		g[14] = family == AF_INET ? 0x65 : 0x45;
		ok(vx_parse(g, n, &p) == VX_NOT_UDP, "%s: IP version not the ethertype's -> VX_NOT_UDP", fam);
		memcpy(g, f, n);
		g[family == AF_INET ? 14 + 9 : 14 + 6] = family == AF_INET ? 6 : 44;
		ok(vx_parse(g, n, &p) == VX_NOT_UDP, "%s: %s -> VX_NOT_UDP", fam,
		   family == AF_INET ? "TCP" : "a fragment header");
		bad = 0;
		for (unsigned flags = 0; flags < 256; flags++) {
			memcpy(g, f, n);
			g[u + 8] = (uint8_t)flags;
			if ((flags == 0x08) != (vx_parse(g, n, &p) == VX_OK))
				bad++;
		}
		ok(bad == 0, "%s: of the 256 flag bytes only 0x08 passes, the rest VX_FLAGS", fam);
		bad = 0;
		for (unsigned b = 1; b < 8; b++) {
			if (b >= 4 && b <= 6)
				continue;  /* the VNI */
			memcpy(g, f, n);
			g[u + 8 + b] = 0x01;
			bad += vx_parse(g, n, &p) != VX_FLAGS;
		}
		ok(bad == 0, "%s: any reserved byte set (1..3, 7: the VNI's low byte) -> VX_FLAGS", fam);
		memcpy(g, f, n);
		g[u + 4] = 0;
		g[u + 5] = 7;
		ok(vx_parse(g, n, &p) == VX_BAD_UDP, "%s: UDP length 7 -> VX_BAD_UDP", fam);
		memcpy(g, f, n);
		g[u + 5] += 1;
		ok(vx_parse(g, n, &p) == VX_BAD_UDP, "%s: UDP length one beyond the IP payload -> VX_BAD_UDP", fam);
		memcpy(g, f, n);
		g[u + 4] = 0;
		g[u + 5] = 8 + 8 + 13;
		ok(vx_parse(g, n, &p) == VX_SHORT, "%s: inner frame of 13 bytes -> VX_SHORT", fam);
		memcpy(g, f, n);
		memset(g + n, 0xee, 30);
		ok(vx_parse(g, n + 30, &p) == VX_OK && p.inner_len == 20, "%s: 30 bytes of padding after: VX_OK, inner 20",
		   fam);
	}

	n = valid(f, AF_INET);
	memcpy(g, f, n);
	g[14] = 0x44;
	ok(vx_parse(g, n, &p) == VX_BAD_IP, "IPv4 ihl 4 -> VX_BAD_IP");
	memcpy(g, f, n);
	g[16] = 0;
	g[17] = 19;
	ok(vx_parse(g, n, &p) == VX_BAD_IP, "IPv4 total length 19 -> VX_BAD_IP");
	memcpy(g, f, n);
	g[20] |= 0x20;
	ok(vx_parse(g, n, &p) == VX_FRAGMENT, "IPv4 MF set -> VX_FRAGMENT");
	memcpy(g, f, n);
	g[21] = 0x10;
	ok(vx_parse(g, n, &p) == VX_FRAGMENT, "IPv4 offset 16 -> VX_FRAGMENT");
	bad = 0;
	for (unsigned b = 14; b < 34; b++) {  /* any one bit of the header flipped */
		memcpy(g, f, n);
		g[b] ^= 0x01;
		if (b == 14 || b == 23 || b == 20 || b == 21 || (b >= 16 && b <= 17))
			continue;  /* ihl, protocol, fragment, length: their own verdicts */
		bad += vx_parse(g, n, &p) != VX_IP_CSUM;
	}
	ok(bad == 0, "IPv4: a header bit flipped (tos, id, ttl, checksum, addresses) -> VX_IP_CSUM");
	/* IPv4 with 4 bytes of options: the inner frame moves by 4. */
	memcpy(g, f, 34);
	memset(g + 34, 0x01, 4);  /* NOP options */
	memcpy(g + 38, f + 34, n - 34);
	g[14] = 0x46;
	g[17] += 4;
	g[24] = g[25] = 0;  /* the header checksum, over the options too */
	{
		uint16_t c = (uint16_t)~ref_fold(ref_add(g + 14, 24, 0));

		g[24] = (uint8_t)(c >> 8);
		g[25] = (uint8_t)c;
	}
	ok(vx_parse(g, n + 4, &p) == VX_OK && p.inner_off == 54 && p.inner_len == 20 && p.udp_off == 38,
	   "IPv4 options (ihl 6): VX_OK, inner at 54");
	n = valid(f, AF_INET6);
	memcpy(g, f, n);
	g[19] += 1;
	ok(vx_parse(g, n, &p) == VX_SHORT, "IPv6 payload length beyond the frame -> VX_SHORT");
	ok(vx_parse(f, 14, &p) == VX_SHORT && vx_parse(f, 0, &p) == VX_SHORT, "0 and 14 bytes -> VX_SHORT");
}

static void test_flow_key(void)
{
	uint8_t f[100] = { 0 }, g[100], k1[VX_FLOW_KEY_MAX], k2[VX_FLOW_KEY_MAX];
	uint32_t n1, n2;

	/* IPv4 TCP 10.0.0.1:1000 -> 10.0.0.2:80 */
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = 6;
	memcpy(f + 26, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	memcpy(f + 34, "\x03\xe8\x00\x50", 4);
	n1 = vx_flow_key(f, 60, k1);
	ok(n1 == 16 && !memcmp(k1, f + 26, 8) && k1[8] == 6 && !memcmp(k1 + 9, "\x03\xe8\x00\x50", 4) &&
	   !k1[13] && !k1[14] && !k1[15], "IPv4 TCP: addresses, protocol, ports (16 bytes)");
	memcpy(g, f, 100);
	g[35] ^= 1;
	n2 = vx_flow_key(g, 60, k2);
	ok(n2 == n1 && memcmp(k1, k2, n1), "another source port: another key");
	memcpy(g, f, 100);
	g[0] ^= 0x10;
	g[50] ^= 0xff;
	n2 = vx_flow_key(g, 60, k2);
	ok(n2 == n1 && !memcmp(k1, k2, n1), "same flow, other MAC and payload: same key");
	g[23] = 17;
	ok(vx_flow_key(g, 60, k2) == 16 && k2[8] == 17 && !memcmp(k2 + 9, f + 34, 4), "IPv4 UDP: ports too");
	g[23] = 1;
	ok(vx_flow_key(g, 60, k2) == 16 && k2[8] == 1 && !k2[9] && !k2[10] && !k2[11] && !k2[12],
	   "ICMP: no ports");
	memcpy(g, f, 100);
	g[20] = 0x20;
	ok(vx_flow_key(g, 60, k2) == 16 && !k2[9] && !k2[10], "an IPv4 fragment: no ports");
	ok(vx_flow_key(f, 37, k2) == 16 && !k2[9], "ports cut off: none");
	/* The same behind a VLAN tag. */
	memcpy(g, f, 12);
	memcpy(g + 12, "\x81\x00\x00\x05", 4);
	memcpy(g + 16, f + 12, 84);
	ok(vx_flow_key(g, 64, k2) == 16 && !memcmp(k1, k2, 16), "behind an 802.1Q tag: the same key");
	/* IPv6 UDP */
	memset(g, 0, sizeof(g));
	g[12] = 0x86;
	g[13] = 0xdd;
	g[14] = 0x60;
	g[20] = 17;
	memcpy(g + 22, l6, 16);
	memcpy(g + 38, r6, 16);
	memcpy(g + 54, "\x12\x34\x56\x78", 4);
	ok(vx_flow_key(g, 70, k2) == 40 && !memcmp(k2, l6, 16) && !memcmp(k2 + 16, r6, 16) && k2[32] == 17 &&
	   !memcmp(k2 + 33, "\x12\x34\x56\x78", 4), "IPv6 UDP: addresses, next header, ports (40 bytes)");
	/* ARP: MACs and ethertype */
	memcpy(g, f, 60);
	g[12] = 0x08;
	g[13] = 0x06;
	ok(vx_flow_key(g, 42, k2) == 16 && !memcmp(k2, g, 12) && k2[12] == 0x08 && k2[13] == 0x06 && !k2[14],
	   "ARP: MACs and ethertype");
	ok(vx_flow_key(g, 13, k2) == 0, "13 bytes: no key");
}

static void test_sport(void)
{
	unsigned counts[64] = { 0 }, out = 0;
	double chi = 0, expect = 100000.0 / 64;

	ok(vx_sport(0, VX_SPORT_MIN, VX_SPORT_MAX) == VX_SPORT_MIN &&
	   vx_sport(UINT32_MAX, VX_SPORT_MIN, VX_SPORT_MAX) == VX_SPORT_MAX, "hash 0 -> min, 2^32-1 -> max");
	ok(vx_sport(UINT32_MAX, 32768, 61000) == 61000 && vx_sport(123, 4789, 4789) == 4789,
	   "OVS's range, and a range of one");
	for (unsigned i = 0; i < 100000; i++) {
		uint16_t s = vx_sport(rnd(), VX_SPORT_MIN, VX_SPORT_MAX);

		out += s < VX_SPORT_MIN || s > VX_SPORT_MAX;
		counts[(unsigned)(s - VX_SPORT_MIN) * 64 / (VX_SPORT_MAX - VX_SPORT_MIN + 1)]++;
	}
	for (int i = 0; i < 64; i++)
		chi += (counts[i] - expect) * (counts[i] - expect) / expect;
	ok(out == 0, "1e5 random hashes: every port in 32768..60999");
	/* 63 degrees of freedom: p = 0.001 at about 103.4. */
	ok(chi < 103.4, "spread evenly over 64 buckets (chi-square %.1f < 103.4)", chi);
}

int main(void)
{
	test_templates();
	test_random_checksums();
	test_parse_verdicts();
	test_flow_key();
	test_sport();
	return tap_done();
}
