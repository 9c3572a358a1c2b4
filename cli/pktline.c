/* SPDX-License-Identifier: GPL-2.0-only */
/* One line per frame, tcpdump -n -e style (pktline.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pktline.h"

/* The line being written. */
struct out {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void say(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n : o->size - o->len - 1;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void mac(struct out *o, const uint8_t *m)
{
	say(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void ip4(struct out *o, const uint8_t *a)
{
	say(o, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void ip6(struct out *o, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	say(o, "%s", inet_ntop(AF_INET6, a, s, sizeof(s)) ? s : "?");
}

/* Addresses of the layer-3 header, for "SRC[.PORT] > DST[.PORT]". */
struct l3 {
	bool v6;
	const uint8_t *src, *dst;
};

static void addr(struct out *o, const struct l3 *a, const uint8_t *ip)
{
	if (a->v6)
		ip6(o, ip);
	else
		ip4(o, ip);
}

static void ends(struct out *o, const struct l3 *a)
{
	addr(o, a, a->src);
	say(o, " > ");
	addr(o, a, a->dst);
}

static void ports(struct out *o, const struct l3 *a, const uint8_t *h)
{
	addr(o, a, a->src);
	say(o, ".%u > ", be16(h));
	addr(o, a, a->dst);
	say(o, ".%u", be16(h + 2));
}

/* Whether the layer-4 header has `need` bytes; if not, the line ends "SRC > DST: [|proto]". */
static bool whole(struct out *o, const struct l3 *a, size_t cap, size_t need, const char *proto)
{
	if (cap >= need)
		return true;
	ends(o, a);
	say(o, ": [|%s]", proto);
	return false;
}

/* TCP flags in tcpdump's order; ACK is '.'. */
static void tcp(struct out *o, const struct l3 *a, const uint8_t *h, size_t cap, size_t len)
{
	static const struct { uint8_t bit; char c; } fl[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	size_t doff, pay;
	uint32_t seq;
	uint8_t f;

	if (!whole(o, a, cap, 20, "tcp"))
		return;
	ports(o, a, h);
	f = h[13];
	doff = (size_t)(h[12] >> 4) * 4;
	say(o, ": Flags [");
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (f & fl[i].bit)
			say(o, "%c", fl[i].c);
	say(o, "]");
	if (doff < 20 || doff > len) {
		say(o, ", bad header length %zu", doff);
		return;
	}
	pay = len - doff;
	seq = be32(h + 4);
	if (pay)
		say(o, ", seq %u:%u", seq, (uint32_t)(seq + pay));
	else if (f & 0x07)
		say(o, ", seq %u", seq);
	if (f & 0x10)
		say(o, ", ack %u", be32(h + 8));
	say(o, ", win %u, length %zu", be16(h + 14), pay);
}

static void udp(struct out *o, const struct l3 *a, const uint8_t *h, size_t cap, size_t len)
{
	if (!whole(o, a, cap, 8, "udp"))
		return;
	ports(o, a, h);
	say(o, ": UDP, length %zu", len >= 8 ? len - 8 : 0);
}

/* A message type with a fixed name. */
struct named {
	uint8_t type;
	const char *name;
};

/* The name of `type` in t (n entries), else "type T, code C". */
static void type_name(struct out *o, const struct named *t, size_t n, const uint8_t *h)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].type == h[0]) {
			say(o, "%s", t[i].name);
			return;
		}
	say(o, "type %u, code %u", h[0], h[1]);
}

static void icmp(struct out *o, const struct l3 *a, const uint8_t *h, size_t cap, size_t len)
{
	static const char *const unreach[] = { "net", "host", "protocol", "port" };
	static const struct named names[] = { { 5, "redirect" }, { 11, "time exceeded in-transit" } };

	if (!whole(o, a, cap, 4, "icmp"))
		return;
	ends(o, a);
	say(o, ": ICMP ");
	switch (h[0]) {
	case 0:
	case 8:
		if (cap < 8) {
			say(o, "echo %s [|icmp]", h[0] ? "request" : "reply");
			return;
		}
		say(o, "echo %s, id %u, seq %u", h[0] ? "request" : "reply", be16(h + 4), be16(h + 6));
		break;
	case 3:
		if (h[1] < 4)
			say(o, "%s unreachable", unreach[h[1]]);
		else
			say(o, "unreachable, code %u", h[1]);
		break;
	default:
		type_name(o, names, sizeof(names) / sizeof(names[0]), h);
	}
	say(o, ", length %zu", len);
}

static void icmp6(struct out *o, const struct l3 *a, const uint8_t *h, size_t cap, size_t len)
{
	static const struct named names[] = {
		{ 2, "packet too big" }, { 3, "time exceeded in-transit" }, { 133, "router solicitation" },
		{ 134, "router advertisement" }, { 143, "multicast listener report v2" },
	};

	if (!whole(o, a, cap, 4, "icmp6"))
		return;
	ends(o, a);
	say(o, ": ICMP6, ");
	switch (h[0]) {
	case 128:
	case 129:
		say(o, "echo %s", h[0] == 128 ? "request" : "reply");
		if (cap >= 8)
			say(o, ", id %u, seq %u", be16(h + 4), be16(h + 6));
		break;
	case 1:
		say(o, "destination unreachable, code %u", h[1]);
		break;
	case 135:
	case 136:
		say(o, "neighbor %s", h[0] == 135 ? "solicitation" : "advertisement");
		if (cap >= 24) {
			say(o, h[0] == 135 ? ", who has " : ", tgt is ");
			ip6(o, h + 8);
		} else {
			say(o, " [|icmp6]");
			return;
		}
		break;
	default:
		type_name(o, names, sizeof(names) / sizeof(names[0]), h);
	}
	say(o, ", length %zu", len);
}

/* The layer-4 protocol at h (cap bytes captured, len by the headers). */
static void l4(struct out *o, const struct l3 *a, uint8_t proto, const uint8_t *h, size_t cap,
	       size_t len)
{
	switch (proto) {
	case 6:
		tcp(o, a, h, cap, len);
		return;
	case 17:
		udp(o, a, h, cap, len);
		return;
	case 1:
		if (!a->v6) {
			icmp(o, a, h, cap, len);
			return;
		}
		break;
	case 58:
		if (a->v6) {
			icmp6(o, a, h, cap, len);
			return;
		}
		break;
	}
	ends(o, a);
	say(o, ": ip-proto-%u %zu", proto, len);
}

static void ipv4(struct out *o, const uint8_t *h, size_t cap)
{
	struct l3 a = { .v6 = false, .src = h + 12, .dst = h + 16 };
	size_t ihl, tot;
	uint16_t frag;

	say(o, "IP ");
	if (cap < 20) {
		say(o, "[|ip]");
		return;
	}
	ihl = (size_t)(h[0] & 0x0f) * 4;
	tot = be16(h + 2);
	if ((h[0] >> 4) != 4 || ihl < 20 || tot < ihl) {
		ends(o, &a);
		say(o, ": bad IPv4 header (version %u, ihl %zu, length %zu)", h[0] >> 4, ihl, tot);
		return;
	}
	frag = be16(h + 6);
	if (frag & 0x1fff) {
		ends(o, &a);
		say(o, ": ip-proto-%u (frag %u:%zu@%u)", h[9], be16(h + 4), tot - ihl, (frag & 0x1fff) * 8u);
		return;
	}
	if (cap < ihl) {
		ends(o, &a);
		say(o, ": [|ip]");
		return;
	}
	l4(o, &a, h[9], h + ihl, cap - ihl, tot - ihl);
}

static void ipv6(struct out *o, const uint8_t *h, size_t cap)
{
	struct l3 a = { .v6 = true, .src = h + 8, .dst = h + 24 };
	size_t off = 40, len;
	uint8_t nh;

	say(o, "IP6 ");
	if (cap < 40) {
		say(o, "[|ip6]");
		return;
	}
	len = be16(h + 4);
	nh = h[6];
	/* extension headers: hop-by-hop, routing, destination options, fragment */
	while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
		size_t el = nh == 44 ? 8 : 0;

		if (cap < off + 8) {
			ends(o, &a);
			say(o, ": [|ip6]");
			return;
		}
		if (!el)
			el = ((size_t)h[off + 1] + 1) * 8;
		if (nh == 44 && (be16(h + off + 2) & 0xfff8)) {
			ends(o, &a);
			say(o, ": frag (offset %u)", be16(h + off + 2) & 0xfff8);
			return;
		}
		nh = h[off];
		off += el;
		if (off - 40 > len) {
			ends(o, &a);
			say(o, ": bad extension header length");
			return;
		}
	}
	if (cap < off) {
		ends(o, &a);
		say(o, ": [|ip6]");
		return;
	}
	l4(o, &a, nh, h + off, cap - off, len - (off - 40));
}

static void arp(struct out *o, const uint8_t *h, size_t cap)
{
	uint16_t op;

	say(o, "ARP, ");
	/* Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4 */
	if (cap < 28 || be16(h) != 1 || be16(h + 2) != 0x0800 || h[4] != 6 || h[5] != 4) {
		if (cap < 28)
			say(o, "[|arp]");
		else
			say(o, "hardware %u, protocol 0x%04x", be16(h), be16(h + 2));
		return;
	}
	op = be16(h + 6);
	if (op == 1) {
		say(o, "Request who-has ");
		ip4(o, h + 24);
		say(o, " tell ");
		ip4(o, h + 14);
	} else if (op == 2) {
		say(o, "Reply ");
		ip4(o, h + 14);
		say(o, " is-at ");
		mac(o, h + 8);
	} else {
		say(o, "op %u", op);
	}
	say(o, ", length 28");
}

size_t pktline_eth(char *buf, size_t size, const uint8_t *data, size_t caplen, size_t origlen)
{
	struct out o = { .buf = buf, .size = size };
	size_t off = 12;
	uint16_t type;

	if (!size)
		return 0;
	buf[0] = '\0';
	if (caplen < 14) {
		say(&o, "[|ether] length %zu", origlen);
		return o.len;
	}
	mac(&o, data + 6);
	say(&o, " > ");
	mac(&o, data);
	say(&o, ", ");
	type = be16(data + off);
	while (type == 0x8100 || type == 0x88a8) {
		if (caplen < off + 6) {
			say(&o, "[|vlan]");
			return o.len;
		}
		say(&o, "vlan %u, p %u, ", be16(data + off + 2) & 0x0fff, data[off + 2] >> 5);
		off += 4;
		type = be16(data + off);
	}
	off += 2;
	switch (type) {
	case 0x0800:
		ipv4(&o, data + off, caplen - off);
		break;
	case 0x86dd:
		ipv6(&o, data + off, caplen - off);
		break;
	case 0x0806:
		arp(&o, data + off, caplen - off);
		break;
	default:
		say(&o, "ethertype 0x%04x, length %zu", type, origlen);
	}
	return o.len;
}
