/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VXLAN (RFC 7348) on the wire: the outer headers a tunnel endpoint writes
 * and reads, over IPv4 or IPv6. Pure: no DPDK, no I/O, no allocation; the
 * unit tests and the fuzzer build it alone (like bridge.h), the underlay and
 * vxlan ports call it per frame.
 *
 * Outer frame (no VLAN tag: an underlay VLAN is a Linux VLAN device):
 *   Ethernet 14 | IPv4 20 (IPv6 40) | UDP 8 | VXLAN 8 | inner Ethernet frame
 * so the inner frame starts VX_OVERHEAD4 = 50 (VX_OVERHEAD6 = 70) bytes in
 * on what we send; what we receive may carry IPv4 options (vx_parse gives
 * the offset).
 *
 * What we send (docs/plans/vxlan.md section 0, checked against Linux 6.18
 * and Open vSwitch 3.1): UDP destination port VX_PORT unless configured;
 * source port from a hash of the inner flow in VX_SPORT_MIN..VX_SPORT_MAX
 * (Linux's default range); IPv4: DF set, id 0 (RFC 6864), TTL 64, TOS 0,
 * UDP checksum 0 (RFC 7348); IPv6: hop limit 64, traffic class and flow
 * label 0, UDP checksum always computed (RFC 8200: zero is refused); VXLAN
 * flags exactly 0x08 and every reserved bit 0. What we accept: the same
 * flags word exactly and a zero reserved byte after the VNI (Linux and OVS
 * drop anything else), no IP fragment, UDP length within the IP payload.
 *
 * Checksums are ones'-complement sums of 16-bit words loaded in host order
 * (as DPDK's rte_raw_cksum does): the final 16 bits are stored in host order
 * too, which puts the right bytes on the wire on either endianness. Numbers
 * added to such a sum are added as htons(n).
 *
 * Thread-safety: a template is built by the control thread and read-only
 * afterwards (published by RCU); every other function touches only its
 * arguments.
 */
#pragma once

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VX_PORT 4789              /* IANA's VXLAN port */
#define VX_HDR_LEN 8              /* flags, reserved, VNI, reserved */
#define VX_ETH_LEN 14
#define VX_IP4_LEN 20
#define VX_IP6_LEN 40
#define VX_UDP_LEN 8
#define VX_OVERHEAD4 (VX_ETH_LEN + VX_IP4_LEN + VX_UDP_LEN + VX_HDR_LEN)  /* 50 */
#define VX_OVERHEAD6 (VX_ETH_LEN + VX_IP6_LEN + VX_UDP_LEN + VX_HDR_LEN)  /* 70 */
#define VX_FLAGS_WORD 0x08000000u /* I flag, nothing else (host order) */
#define VX_VNI_MAX 0xffffffu
#define VX_SPORT_MIN 32768        /* net.ipv4.ip_local_port_range's default */
#define VX_SPORT_MAX 60999
#define VX_TTL 64
#define VX_FLOW_KEY_MAX 40        /* bytes vx_flow_key() writes at most */

/* Outer headers for one (local, remote) pair: built once, copied per frame. */
struct vx_hdr_tmpl {
	uint8_t bytes[VX_OVERHEAD6];  /* the outer headers, len bytes used; per-frame fields 0 */
	uint8_t len;                  /* VX_OVERHEAD4 or VX_OVERHEAD6 */
	uint8_t family;               /* AF_INET or AF_INET6 */
	uint32_t sum;                 /* IPv4: header sum without total length and checksum;
				       * IPv6: UDP sum of pseudo-header (without length), destination
				       * port and VXLAN header */
};

/* Why vx_parse() refused a frame (or VX_OK). One counter each, or grouped. */
enum vx_verdict {
	VX_OK,
	VX_SHORT,        /* ends before a header does, or inner frame < 14 bytes */
	VX_NOT_UDP,      /* not IPv4/IPv6 (by ethertype and version) carrying UDP directly */
	VX_BAD_IP,       /* IPv4 ihl < 5, or IP length beyond the frame or below its header */
	VX_FRAGMENT,     /* an IPv4 fragment (MF or offset) */
	VX_BAD_UDP,      /* UDP length below 8 or beyond the IP payload */
	VX_FLAGS,        /* VXLAN flags word not 0x08000000, or reserved byte after the VNI set */
	VX_IP_CSUM,      /* IPv4 header checksum wrong (checked last of the IPv4 header) */
	VX_VERDICTS
};

/* A received VXLAN frame, as vx_parse() found it. Pointers are into the frame. */
struct vx_pkt {
	int family;              /* AF_INET or AF_INET6 */
	const uint8_t *src;      /* outer source address (4 or 16 bytes) */
	const uint8_t *dst;      /* outer destination address */
	uint16_t sport, dport;   /* UDP ports (host order) */
	uint16_t udp_csum;       /* the UDP checksum field as received (0: none) */
	uint32_t vni;            /* 0..VX_VNI_MAX */
	uint32_t udp_off;        /* offset of the UDP header */
	uint32_t udp_len;        /* UDP length (header, VXLAN header, inner frame) */
	uint32_t inner_off;      /* offset of the inner Ethernet frame */
	uint32_t inner_len;      /* its length (>= 14) */
};

static inline uint16_t vx_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t vx_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void vx_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ones'-complement sum of len bytes at data, added to sum, folded to 16
 * bits (not inverted; a few such sums and htons() values may be added
 * before the next fold without overflow). An odd last byte counts as if
 * followed by a zero byte. Callers with DPDK may use rte_raw_cksum(). */
static inline uint32_t vx_sum(const void *data, uint32_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	uint16_t w;

	for (; len >= 2; len -= 2, p += 2) {
		memcpy(&w, p, 2);
		s += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, 1);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* Fold a 32-bit ones'-complement sum to 16 bits (not inverted). */
static inline uint16_t vx_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Build the outer headers from smac (the underlay's MAC) to dmac (the next
 * hop's), local to remote (4 or 16 bytes, network order, by family), UDP
 * destination dstport, and vni. 0, or -1 for a family that is neither
 * AF_INET nor AF_INET6 or a vni above VX_VNI_MAX (t untouched).
 */
static inline int vx_tmpl_build(struct vx_hdr_tmpl *t, int family, const uint8_t smac[6],
				const uint8_t dmac[6], const uint8_t *local, const uint8_t *remote,
				uint16_t dstport, uint32_t vni)
{
	uint8_t *b = t->bytes, *ip = b + VX_ETH_LEN, *udp, *vx;

	if ((family != AF_INET && family != AF_INET6) || vni > VX_VNI_MAX)
		return -1;
	memset(t, 0, sizeof(*t));
	t->family = (uint8_t)family;
	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	if (family == AF_INET) {
		t->len = VX_OVERHEAD4;
		vx_wr16(b + 12, 0x0800);
		ip[0] = 0x45;                 /* version 4, ihl 5; TOS 0; length per frame; id 0 */
		ip[6] = 0x40;                 /* DF, offset 0 */
		ip[8] = VX_TTL;
		ip[9] = 17;                   /* UDP */
		memcpy(ip + 12, local, 4);
		memcpy(ip + 16, remote, 4);
		t->sum = vx_sum(ip, VX_IP4_LEN, 0);
		udp = ip + VX_IP4_LEN;
	} else {
		t->len = VX_OVERHEAD6;
		vx_wr16(b + 12, 0x86dd);
		ip[0] = 0x60;                 /* version 6, class 0, flow label 0; length per frame */
		ip[6] = 17;                   /* next header UDP */
		ip[7] = VX_TTL;
		memcpy(ip + 8, local, 16);
		memcpy(ip + 24, remote, 16);
		udp = ip + VX_IP6_LEN;
	}
	vx_wr16(udp + 2, dstport);        /* source port, length, checksum per frame */
	vx = udp + VX_UDP_LEN;
	vx[0] = VX_FLAGS_WORD >> 24;
	vx[4] = (uint8_t)(vni >> 16);
	vx[5] = (uint8_t)(vni >> 8);
	vx[6] = (uint8_t)vni;
	if (family == AF_INET6) {
		/* Pseudo-header addresses and next header, destination port, VXLAN header. */
		t->sum = vx_sum(ip + 8, 32, htons(17));
		t->sum = vx_sum(udp + 2, 2, t->sum);
		t->sum = vx_sum(vx, VX_HDR_LEN, t->sum);
	}
	return 0;
}

/*
 * Complete the outer headers at `out`, where the caller has copied t->len
 * bytes of t->bytes followed by the inner frame of inner_len bytes: IP
 * length, IPv4 header checksum, UDP source port and length, and the IPv6 UDP
 * checksum, for which inner_sum is the vx_sum() (or rte_raw_cksum()) of the
 * inner frame (ignored for IPv4). The caller keeps t->len + inner_len within
 * 65535 - 14 (an underlay MTU is far below).
 */
static inline void vx_encap_fix(const struct vx_hdr_tmpl *t, uint8_t *out, uint32_t inner_len,
				uint16_t sport, uint32_t inner_sum)
{
	uint8_t *ip = out + VX_ETH_LEN;
	uint16_t udp_len = (uint16_t)(VX_UDP_LEN + VX_HDR_LEN + inner_len), c;

	if (t->family == AF_INET) {
		uint8_t *udp = ip + VX_IP4_LEN;
		uint16_t tot = (uint16_t)(VX_IP4_LEN + udp_len);

		vx_wr16(ip + 2, tot);
		c = (uint16_t)~vx_fold(t->sum + htons(tot));
		memcpy(ip + 10, &c, 2);
		vx_wr16(udp, sport);
		vx_wr16(udp + 4, udp_len);
		udp[6] = udp[7] = 0;
	} else {
		uint8_t *udp = ip + VX_IP6_LEN;
		uint32_t s;

		vx_wr16(ip + 4, udp_len);
		vx_wr16(udp, sport);
		vx_wr16(udp + 4, udp_len);
		/* Length twice: the pseudo-header's and the UDP header's. */
		s = t->sum + htons(sport) + 2u * htons(udp_len);
		c = (uint16_t)~vx_fold(vx_fold(s) + (uint32_t)vx_fold(inner_sum));
		if (c == 0)
			c = 0xffff;  /* 0 means "no checksum" */
		memcpy(udp + 6, &c, 2);
	}
}

/*
 * Parse a received frame of len bytes as Ethernet + IPv4/IPv6 + UDP +
 * VXLAN. VX_OK fills *p (every offset and pointer inside the frame,
 * inner_off + inner_len <= len); any other verdict leaves *p partly written.
 * The IPv4 header checksum is checked (VX_IP_CSUM); the UDP checksum and
 * the ports are not (the caller knows its port, and verifies an IPv6
 * checksum with vx_udp6_ok()), nor the Ethernet destination (the caller
 * compares it with its MAC).
 */
static inline enum vx_verdict vx_parse(const uint8_t *f, uint32_t len, struct vx_pkt *p)
{
	uint32_t ip_end, off;
	const uint8_t *ip, *udp, *vx;
	uint16_t type;

	if (len < VX_ETH_LEN + 1)
		return VX_SHORT;
	type = vx_rd16(f + 12);
	ip = f + VX_ETH_LEN;
	if (type == 0x0800 && ip[0] >> 4 == 4) {
		uint32_t ihl = (ip[0] & 0x0f) * 4u, tot;

		if (len < VX_ETH_LEN + VX_IP4_LEN)
			return VX_SHORT;
		if (ihl < VX_IP4_LEN)
			return VX_BAD_IP;
		if (ip[9] != 17)
			return VX_NOT_UDP;
		tot = vx_rd16(ip + 2);
		if (tot < ihl || VX_ETH_LEN + tot > len)
			return tot < ihl ? VX_BAD_IP : VX_SHORT;
		if (vx_rd16(ip + 6) & 0x3fff)
			return VX_FRAGMENT;
		/* What the kernel's ip_rcv would drop (XDP runs before it). */
		if (vx_fold(vx_sum(ip, ihl, 0)) != 0xffff)
			return VX_IP_CSUM;
		p->family = AF_INET;
		p->src = ip + 12;
		p->dst = ip + 16;
		off = VX_ETH_LEN + ihl;
		ip_end = VX_ETH_LEN + tot;
	} else if (type == 0x86dd && ip[0] >> 4 == 6) {
		if (len < VX_ETH_LEN + VX_IP6_LEN)
			return VX_SHORT;
		if (ip[6] != 17)
			return VX_NOT_UDP;  /* extension headers included: we never send them */
		if (VX_ETH_LEN + VX_IP6_LEN + (uint32_t)vx_rd16(ip + 4) > len)
			return VX_SHORT;
		p->family = AF_INET6;
		p->src = ip + 8;
		p->dst = ip + 24;
		off = VX_ETH_LEN + VX_IP6_LEN;
		ip_end = off + vx_rd16(ip + 4);
	} else {
		return VX_NOT_UDP;
	}
	if (ip_end - off < VX_UDP_LEN)
		return VX_SHORT;
	udp = f + off;
	p->udp_off = off;
	p->sport = vx_rd16(udp);
	p->dport = vx_rd16(udp + 2);
	p->udp_len = vx_rd16(udp + 4);
	memcpy(&p->udp_csum, udp + 6, 2);
	if (p->udp_len < VX_UDP_LEN || p->udp_len > ip_end - off)
		return VX_BAD_UDP;
	if (p->udp_len < VX_UDP_LEN + VX_HDR_LEN + VX_ETH_LEN)
		return VX_SHORT;
	vx = udp + VX_UDP_LEN;
	if (vx_rd32(vx) != VX_FLAGS_WORD || vx[7] != 0)
		return VX_FLAGS;
	p->vni = vx_rd32(vx + 4) >> 8;
	p->inner_off = off + VX_UDP_LEN + VX_HDR_LEN;
	p->inner_len = p->udp_len - VX_UDP_LEN - VX_HDR_LEN;
	return VX_OK;
}

/* An IPv6 frame vx_parse() accepted: true when its UDP checksum is right
 * (RFC 8200: a zero checksum is wrong). f is the whole frame. */
static inline bool vx_udp6_ok(const uint8_t *f, const struct vx_pkt *p)
{
	uint32_t s;

	if (p->udp_csum == 0)
		return false;
	s = vx_sum(p->src, 32, htons(17));      /* source and destination are adjacent */
	s += htons((uint16_t)p->udp_len);
	s = vx_sum(f + p->udp_off, p->udp_len, s);
	return vx_fold(s) == 0xffff;
}

/*
 * The part of the inner frame that names its flow, for the source port
 * hash: IPv4/IPv6 addresses, protocol and (TCP, UDP, SCTP, not a fragment)
 * ports; other frames: MACs and ethertype. One 802.1Q/802.1ad tag is
 * skipped. Writes key (zero-padded) and returns its length, a multiple of 4
 * and at most VX_FLOW_KEY_MAX; a frame shorter than 14 bytes gives 0.
 */
static inline uint32_t vx_flow_key(const uint8_t *f, uint32_t len, uint8_t key[VX_FLOW_KEY_MAX])
{
	uint32_t off = 12, n, l4 = 0;
	uint16_t type;
	uint8_t proto;

	if (len < VX_ETH_LEN)
		return 0;
	type = vx_rd16(f + 12);
	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		type = vx_rd16(f + 16);
		off = 16;
	}
	off += 2;
	memset(key, 0, VX_FLOW_KEY_MAX);
	if (type == 0x0800 && len >= off + 20 && f[off] >> 4 == 4 && (f[off] & 0xf) >= 5) {
		proto = f[off + 9];
		memcpy(key, f + off + 12, 8);
		n = 8;
		if (!(vx_rd16(f + off + 6) & 0x3fff))
			l4 = off + (f[off] & 0xf) * 4u;
	} else if (type == 0x86dd && len >= off + 40 && f[off] >> 4 == 6) {
		proto = f[off + 6];
		memcpy(key, f + off + 8, 32);
		n = 32;
		l4 = off + 40;
	} else {
		memcpy(key, f, 12);
		vx_wr16(key + 12, type);
		return 16;
	}
	key[n] = proto;
	if (l4 && (proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4)
		memcpy(key + n + 1, f + l4, 4);
	return n + 8;
}

/* A source port in [min, max] from a 32-bit flow hash, spread evenly
 * (multiply-shift: no modulo bias beyond 1 in 2^32/range). */
static inline uint16_t vx_sport(uint32_t hash, uint16_t min, uint16_t max)
{
	return (uint16_t)(min + (((uint64_t)hash * (uint32_t)(max - min + 1)) >> 32));
}
