/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: `vnl capture`'s own printer (cli/pktline.c) writes tcpdump
 * -n -e's words for canned frames: ARP request and reply, ICMP echo and
 * unreachable, ICMPv6 echo and neighbor solicitation (behind a hop-by-hop
 * header), TCP flags/seq/ack/window/length, UDP, an 802.1Q tag, an IPv4
 * fragment, an unknown ethertype; marks frames cut at each header with
 * "[|proto]" and keeps the header lengths when a snaplen cut the payload;
 * and never writes past a small buffer.
 * Operations: frames built byte by byte here; exact string compares.
 */
#include <stdio.h>
#include <string.h>

#include "pktline.h"
#include "tap.h"

static uint8_t f[2048];
static size_t n;

static void b(const void *p, size_t k)
{
	memcpy(f + n, p, k);
	n += k;
}

static void u8(uint8_t v)
{
	f[n++] = v;
}

static void u16(uint16_t v)
{
	u8((uint8_t)(v >> 8));
	u8((uint8_t)v);
}

static void u32(uint32_t v)
{
	u16((uint16_t)(v >> 16));
	u16((uint16_t)v);
}

static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t a1[4] = { 10, 0, 0, 1 }, a2[4] = { 10, 0, 0, 2 };
static const uint8_t l1[16] = { 0xfe, 0x80, [15] = 1 }, l2[16] = { 0xfe, 0x80, [15] = 2 };
static const uint8_t sn2[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2 };

static void eth(const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	n = 0;
	b(dst, 6);
	b(src, 6);
	u16(type);
}

/* An IPv4 header of payload `pl` bytes, protocol p, fragment word frag. */
static void ip(uint8_t p, uint16_t pl, uint16_t frag)
{
	u8(0x45);
	u8(0);
	u16((uint16_t)(20 + pl));
	u16(0x1234);
	u16(frag);
	u8(64);
	u8(p);
	u16(0);
	b(a1, 4);
	b(a2, 4);
}

static void ip6h(uint8_t nh, uint16_t pl, const uint8_t *dst)
{
	u32(0x60000000);
	u16(pl);
	u8(nh);
	u8(255);
	b(l1, 16);
	b(dst, 16);
}

static void pad(size_t k)
{
	memset(f + n, 0xab, k);
	n += k;
}

static void is(const char *name, size_t cap, size_t orig, const char *want)
{
	char line[512];
	size_t len = pktline_eth(line, sizeof(line), f, cap, orig);

	if (!ok(!strcmp(line, want) && len == strlen(want), "%s", name))
		printf("#   got:  %s\n#   want: %s\n", line, want);
}

#define M12 "02:00:00:00:00:01 > 02:00:00:00:00:02, "

static void udp(uint16_t sport, uint16_t dport, uint16_t payload)
{
	u16(sport);
	u16(dport);
	u16((uint16_t)(8 + payload));
	u16(0);
	pad(payload);
}

static void tcp(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t pl)
{
	eth(m2, m1, 0x0800);
	ip(6, (uint16_t)(20 + pl), 0x4000);
	u16(40000);
	u16(5001);
	u32(seq);
	u32(ack);
	u8(5 << 4);
	u8(flags);
	u16(502);
	u32(0);
	pad(pl);
}

#define TCP_ENDS M12 "IP 10.0.0.1.40000 > 10.0.0.2.5001: "

/* TCP cases: flags, seq, ack, payload, bytes captured (0: all), the line. */
static const struct {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t pl;
	size_t cap;
	const char *name, *want;
} tcps[] = {
	{ 0x02, 1000, 0, 0, 0, "TCP SYN", TCP_ENDS "Flags [S], seq 1000, win 502, length 0" },
	{ 0x12, 5000, 1001, 0, 0, "TCP SYN-ACK", TCP_ENDS "Flags [S.], seq 5000, ack 1001, win 502, length 0" },
	{ 0x18, 1001, 5001, 100, 0, "TCP data", TCP_ENDS "Flags [P.], seq 1001:1101, ack 5001, win 502, length 100" },
	{ 0x18, 1001, 5001, 100, 64, "TCP data, snaplen 64",
	  TCP_ENDS "Flags [P.], seq 1001:1101, ack 5001, win 502, length 100" },
	{ 0x10, 1101, 5001, 0, 0, "TCP ACK", TCP_ENDS "Flags [.], ack 5001, win 502, length 0" },
	{ 0x11, 1101, 5001, 0, 0, "TCP FIN", TCP_ENDS "Flags [F.], seq 1101, ack 5001, win 502, length 0" },
	{ 0x04, 7, 0, 0, 0, "TCP RST", TCP_ENDS "Flags [R], seq 7, win 502, length 0" },
	{ 0xc2, 1, 0, 0, 0, "TCP SYN with ECN", TCP_ENDS "Flags [SEW], seq 1, win 502, length 0" },
};

int main(void)
{
	char small[24];
	size_t k;

	eth(bc, m1, 0x0806);
	u16(1);
	u16(0x0800);
	u8(6);
	u8(4);
	u16(1);
	b(m1, 6);
	b(a1, 4);
	pad(6);
	b(a2, 4);
	pad(18);
	is("ARP request", n, n, "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
	f[21] = 2; /* op reply: the sender is 10.0.0.1 at m1 */
	is("ARP reply", n, n, "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28");
	is("ARP cut", 30, n, "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, [|arp]");

	eth(m2, m1, 0x0800);
	ip(1, 64, 0x4000);
	u8(8);
	u8(0);
	u16(0);
	u16(7);
	u16(1);
	pad(56);
	is("ICMP echo request", n, n, M12 "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64");
	is("ICMP echo request cut by a snaplen: lengths from the headers", 42, n,
	   M12 "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64");
	f[34] = 0;
	is("ICMP echo reply", n, n, M12 "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 7, seq 1, length 64");
	f[34] = 3;
	f[35] = 3;
	is("ICMP port unreachable", n, n, M12 "IP 10.0.0.1 > 10.0.0.2: ICMP port unreachable, length 64");
	is("IPv4 cut", 30, n, M12 "IP [|ip]");
	is("ICMP cut", 36, n, M12 "IP 10.0.0.1 > 10.0.0.2: [|icmp]");
	is("Ethernet cut", 10, 60, "[|ether] length 60");

	eth(m2, m1, 0x0800);
	ip(17, 1480, 0x00b9); /* offset 185 * 8 = 1480 */
	pad(100);
	is("IPv4 fragment", n, 1514, M12 "IP 10.0.0.1 > 10.0.0.2: ip-proto-17 (frag 4660:1480@1480)");

	for (size_t i = 0; i < sizeof(tcps) / sizeof(tcps[0]); i++) {
		tcp(tcps[i].flags, tcps[i].seq, tcps[i].ack, tcps[i].pl);
		is(tcps[i].name, tcps[i].cap ? tcps[i].cap : n, n, tcps[i].want);
	}
	is("TCP cut", 40, n, M12 "IP 10.0.0.1 > 10.0.0.2: [|tcp]");

	eth(m2, m1, 0x0800);
	ip(17, 108, 0);
	udp(5000, 6000, 100);
	is("UDP", n, n, M12 "IP 10.0.0.1.5000 > 10.0.0.2.6000: UDP, length 100");
	is("UDP cut", 38, n, M12 "IP 10.0.0.1 > 10.0.0.2: [|udp]");

	eth(m2, m1, 0x8100);
	u16(0x200a); /* priority 1, VLAN 10 */
	u16(0x0800);
	ip(17, 8, 0);
	udp(53, 53, 0);
	is("802.1Q", n, n, M12 "vlan 10, p 1, IP 10.0.0.1.53 > 10.0.0.2.53: UDP, length 0");
	is("802.1Q cut", 16, n, M12 "[|vlan]");

	eth(m2, m1, 0x86dd);
	ip6h(58, 16, l2);
	u8(128);
	u8(0);
	u16(0);
	u16(9);
	u16(3);
	pad(8);
	is("ICMPv6 echo request", n, n, M12 "IP6 fe80::1 > fe80::2: ICMP6, echo request, id 9, seq 3, length 16");
	is("IPv6 cut", 40, n, M12 "IP6 [|ip6]");

	eth(m2, m1, 0x86dd);
	ip6h(0, 8 + 24, sn2); /* hop-by-hop (router alert style), then ICMPv6 NS */
	u8(58);
	u8(0);
	pad(6);
	u8(135);
	u8(0);
	u16(0);
	u32(0);
	b(l2, 16);
	is("ICMPv6 neighbor solicitation behind a hop-by-hop header", n, n,
	   M12 "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24");

	eth(m2, m1, 0x88cc);
	pad(46);
	is("an unknown ethertype", n, n, M12 "ethertype 0x88cc, length 60");

	tcp(0x18, 1, 1, 100);
	memset(small, 'x', sizeof(small));
	k = pktline_eth(small, 16, f, n, n);
	ok(k == 15 && small[15] == '\0' && small[16] == 'x', "a 16-byte buffer: 15 characters, NUL, nothing past it");
	return tap_done();
}
