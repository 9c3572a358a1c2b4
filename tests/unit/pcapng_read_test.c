/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the pcapng walker (common/pcapng_read.c) finds exactly the
 * whole blocks of a stream however it is cut, in both byte orders; decodes
 * the SHB, IDB, EPB and ISB fields and options (names, descriptions,
 * tsresol, flags, ISB counters) and the timestamps to ns; passes unknown
 * blocks through framed; and refuses, with a message, every framing error:
 * a stream without an SHB (a pcap file named as such), bad lengths, a
 * trailing length that differs, a caplen past the block, undescribed
 * interfaces, options past the area.
 * And it reads back, field for field, what the switch's writer
 * (dataplane/pcapng_write.c) makes: the two halves agree on the spec.
 * Operations: blocks built by hand here (a tiny writer in the test, not
 * the switch's), fed whole, byte by byte and in random cuts; then the
 * switch's SHB, IDB (name, description, filter, MAC), EPB and ISB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"
#include "pcapng_write.h"
#include "tap.h"

/* A tiny block builder: host order, or swapped when `sw`. */
static uint8_t out[65536];
static size_t olen;
static bool sw;

static void put(const void *p, size_t n)
{
	if (n)
		memcpy(out + olen, p, n);
	olen += n;
}

static void put16(uint16_t v)
{
	v = sw ? __builtin_bswap16(v) : v;
	put(&v, 2);
}

static void put32(uint32_t v)
{
	v = sw ? __builtin_bswap32(v) : v;
	put(&v, 4);
}

static void put64(uint64_t v)
{
	v = sw ? __builtin_bswap64(v) : v;
	put(&v, 8);
}

static void pad(void)
{
	while (olen % 4)
		out[olen++] = 0;
}

static void opt(uint16_t code, const void *v, uint16_t len)
{
	put16(code);
	put16(len);
	put(v, len);
	pad();
}

static void opt64(uint16_t code, uint64_t v)
{
	put16(code);
	put16(8);
	put64(v);
}

static size_t bstart;

static void begin(uint32_t type)
{
	bstart = olen;
	put32(type);
	put32(0); /* length, patched by end() */
}

static void end(void)
{
	uint32_t len = (uint32_t)(olen - bstart + 4), v = sw ? __builtin_bswap32(len) : len;

	memcpy(out + bstart + 4, &v, 4);
	put32(len);
}

static void shb(void)
{
	begin(PCAPNG_SHB);
	put32(PCAPNG_BYTE_ORDER_MAGIC);
	put16(1);
	put16(0);
	put64(UINT64_MAX);
	opt(PCAPNG_SHB_HARDWARE, "vnl-switchd", 11);
	opt(PCAPNG_OPT_END, NULL, 0);
	end();
}

static void idb(const char *name, const char *descr, int tsresol)
{
	begin(PCAPNG_IDB);
	put16(1);
	put16(0);
	put32(262144);
	opt(PCAPNG_IF_NAME, name, (uint16_t)strlen(name));
	opt(PCAPNG_IF_DESCRIPTION, descr, (uint16_t)strlen(descr));
	if (tsresol >= 0) {
		uint8_t t = (uint8_t)tsresol;

		opt(PCAPNG_IF_TSRESOL, &t, 1);
	}
	opt(PCAPNG_OPT_END, NULL, 0);
	end();
}

static void epb(uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen, uint32_t origlen,
		uint32_t flags)
{
	begin(PCAPNG_EPB);
	put32(ifid);
	put32((uint32_t)(ts >> 32));
	put32((uint32_t)ts);
	put32(caplen);
	put32(origlen);
	put(data, caplen);
	pad();
	if (flags) {
		put16(PCAPNG_EPB_FLAGS);
		put16(4);
		put32(flags);
		opt(PCAPNG_OPT_END, NULL, 0);
	}
	end();
}

static void isb(uint32_t ifid, uint64_t ts, uint64_t recv, uint64_t drop)
{
	begin(PCAPNG_ISB);
	put32(ifid);
	put32((uint32_t)(ts >> 32));
	put32((uint32_t)ts);
	put16(PCAPNG_ISB_STARTTIME); /* a timestamp option: two words, high first */
	put16(8);
	put32((uint32_t)((ts - 5) >> 32));
	put32((uint32_t)(ts - 5));
	opt64(PCAPNG_ISB_IFRECV, recv);
	opt64(PCAPNG_ISB_IFDROP, drop);
	opt(PCAPNG_OPT_END, NULL, 0);
	end();
}

/* What a walk saw. */
struct seen {
	int n, shb, idb, epb, isb, other;
	uint32_t caplen[16], origlen[16], flags[16], ifid[16];
	uint64_t ts_ns[16], recv, drop, start_ns;
	char name[2][64], descr[2][160];
	int err;             /* negative errno of the walk, 0 */
	char msg[256];
};

static void note(struct pcapng_reader *r, const struct pcapng_block *b, struct seen *s)
{
	const uint8_t *v;
	uint16_t len;
	uint64_t x;

	s->n++;
	switch (b->type) {
	case PCAPNG_SHB:
		s->shb++;
		break;
	case PCAPNG_IDB:
		if (b->idb.id < 2) {
			strcpy(s->name[b->idb.id], pcapng_if_get(r, b->idb.id)->name);
			strcpy(s->descr[b->idb.id], pcapng_if_get(r, b->idb.id)->descr);
		}
		s->idb++;
		break;
	case PCAPNG_EPB:
		if (s->epb < 16) {
			s->caplen[s->epb] = b->epb.caplen;
			s->origlen[s->epb] = b->epb.origlen;
			s->ifid[s->epb] = b->epb.ifid;
			s->ts_ns[s->epb] = pcapng_ts_ns(r, b->epb.ifid, b->epb.ts);
			s->flags[s->epb] = pcapng_opt_find(r, b, PCAPNG_EPB_FLAGS, &len, &v) == 1 &&
				pcapng_opt_uint(r, v, len, &x) == 0 ? (uint32_t)x : 0;
		}
		s->epb++;
		break;
	case PCAPNG_ISB:
		s->isb++;
		if (pcapng_opt_find(r, b, PCAPNG_ISB_IFRECV, &len, &v) == 1)
			pcapng_opt_uint(r, v, len, &s->recv);
		if (pcapng_opt_find(r, b, PCAPNG_ISB_IFDROP, &len, &v) == 1)
			pcapng_opt_uint(r, v, len, &s->drop);
		if (pcapng_opt_find(r, b, PCAPNG_ISB_STARTTIME, &len, &v) == 1 && pcapng_opt_ts(r, v, len, &x) == 0)
			s->start_ns = pcapng_ts_ns(r, b->isb.ifid, x);
		break;
	default:
		s->other++;
	}
}

/* Walk buf[0..n) fed in cuts of `step` bytes (0: random 1..100), as a stream reader does. */
static void walk(const uint8_t *buf, size_t n, size_t step, struct seen *s)
{
	static uint8_t acc[65536];
	struct pcapng_reader r = { 0 };
	struct pcapng_block b;
	struct vnl_err e = { 0 };
	size_t have = 0, fed = 0, k;
	long got;

	memset(s, 0, sizeof(*s));
	while (fed < n) {
		k = step ? step : 1 + (size_t)(rand() % 100);
		if (k > n - fed)
			k = n - fed;
		memcpy(acc + have, buf + fed, k);
		have += k;
		fed += k;
		while ((got = pcapng_next(&r, acc, have, &b, &e)) > 0) {
			note(&r, &b, s);
			memmove(acc, acc + got, have - (size_t)got);
			have -= (size_t)got;
		}
		if (got < 0) {
			s->err = (int)got;
			strcpy(s->msg, e.msg);
			break;
		}
	}
	if (!s->err && have)
		s->err = -EAGAIN; /* a cut block at the end */
	pcapng_reader_fini(&r);
}

static const uint8_t frame[61] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6 };

/* The stream every good-path check walks: 2 interfaces, 3 packets, an unknown block, 2 ISBs. */
static size_t build(bool swapped)
{
	sw = swapped;
	olen = 0;
	shb();
	idb("a:0", "LAN blue, ns node a eth0", 9);
	idb("c:0", "LAN blue, cnt node c eth0", -1); /* default resolution: us */
	epb(0, 1700000000123456789ull, frame, 61, 61, PCAPNG_DIR_OUT);
	epb(1, 1700000000123456ull, frame, 60, 1514, PCAPNG_DIR_IN);
	begin(0x0BADu); /* a custom block: passed through */
	put32(7);
	end();
	epb(0, 1700000001000000000ull, frame, 0, 64, 0);
	isb(0, 1700000002000000000ull, 1234, 56);
	isb(1, 1700000002000000ull, 9, 0);
	return olen;
}

static void check_good(bool swapped)
{
	static const size_t steps[] = { 0, 1, 7, 65536 };
	const char *o = swapped ? "swapped" : "host order";
	size_t n = build(swapped);
	struct seen s;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		walk(out, n, steps[i], &s);
		ok(s.err == 0 && s.n == 9 && s.shb == 1 && s.idb == 2 && s.epb == 3 && s.isb == 2 && s.other == 1,
		   "%s, cuts of %zu: 9 blocks (1 SHB, 2 IDB, 3 EPB, 2 ISB, 1 other), err %d %s", o, steps[i],
		   s.err, s.msg);
	}
	ok(!strcmp(s.name[0], "a:0") && !strcmp(s.name[1], "c:0") &&
	   !strcmp(s.descr[0], "LAN blue, ns node a eth0") && !strcmp(s.descr[1], "LAN blue, cnt node c eth0"),
	   "%s: if_name and if_description (%s, %s)", o, s.name[0], s.descr[1]);
	ok(s.caplen[0] == 61 && s.origlen[0] == 61 && s.caplen[1] == 60 && s.origlen[1] == 1514 &&
	   s.caplen[2] == 0 && s.ifid[1] == 1, "%s: caplen, origlen, ifid", o);
	ok(s.flags[0] == PCAPNG_DIR_OUT && s.flags[1] == PCAPNG_DIR_IN && s.flags[2] == 0,
	   "%s: epb_flags direction (%u %u %u)", o, s.flags[0], s.flags[1], s.flags[2]);
	ok(s.ts_ns[0] == 1700000000123456789ull && s.ts_ns[1] == 1700000000123456000ull,
	   "%s: timestamps in ns from tsresol 9 and the default 6 (%llu %llu)", o,
	   (unsigned long long)s.ts_ns[0], (unsigned long long)s.ts_ns[1]);
	ok(s.recv == 9 && s.drop == 0, "%s: the last ISB's ifrecv and ifdrop", o);
	ok(s.start_ns == 1700000001999995000ull, "%s: isb_starttime (high word first) in ns: %llu", o,
	   (unsigned long long)s.start_ns);
	walk(out, n - 3, 5, &s);
	ok(s.err == -EAGAIN && s.epb == 3 && s.isb == 1, "%s: a cut last block is not returned", o);
}

/* Patch the 32-bit word at off (host order stream) and expect a refusal naming `what`. */
static void check_bad(const char *name, size_t off, uint32_t v, const char *what)
{
	struct seen s;
	size_t n = build(false);

	memcpy(out + off, &v, 4);
	walk(out, n, 0, &s);
	ok(s.err == -EPROTO && strstr(s.msg, what), "%s: refused (%s)", name, s.msg);
}

/* The switch's writer, read back. */
static void check_switch_writer(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0xa };
	struct pcapng_isb_counts c = { .start_ns = 1700000000000000001ull, .end_ns = 1700000009000000000ull,
				       .ifrecv = 77, .ifdrop = 3, .filteraccept = 70 };
	struct pcapng_buf w = { 0 };
	struct pcapng_reader r = { 0 };
	struct pcapng_block b;
	struct vnl_err e = { 0 };
	size_t off = 0;
	uint64_t x, got[8] = { 0 };
	const uint8_t *v;
	uint16_t len;
	long k;
	int n = 0;

	pcapng_shb(&w, "vnl-switchd", "Linux", "vnetlab test", "lab t capture 1");
	pcapng_idb(&w, 128, "a:0", "LAN blue, ns node a eth0", "icmp", mac);
	pcapng_epb(&w, 0, 1700000000500000000ull, frame, 61, 1514, PCAPNG_DIR_IN);
	pcapng_isb(&w, 0, 1700000009000000000ull, &c);
	while ((k = pcapng_next(&r, w.p + off, w.len - off, &b, &e)) > 0) {
		off += (size_t)k;
		n++;
		if (b.type == PCAPNG_IDB) {
			const struct pcapng_if *i = pcapng_if_get(&r, 0);

			ok(i && !strcmp(i->name, "a:0") && !strcmp(i->descr, "LAN blue, ns node a eth0") &&
				     i->snaplen == 128 && i->linktype == 1 && i->tsresol == 9,
				     "switch writer: IDB name, description, snaplen 128, Ethernet, tsresol 9");
			ok(pcapng_opt_find(&r, &b, PCAPNG_IF_FILTER, &len, &v) == 1 && len == 5 && v[0] == 0 &&
				     !memcmp(v + 1, "icmp", 4), "switch writer: if_filter 0 'icmp'");
			ok(pcapng_opt_find(&r, &b, PCAPNG_IF_MACADDR, &len, &v) == 1 && len == 6 &&
				     !memcmp(v, mac, 6), "switch writer: if_MACaddr");
		} else if (b.type == PCAPNG_EPB) {
			ok(b.epb.caplen == 61 && b.epb.origlen == 1514 && !memcmp(b.epb.data, frame, 61) &&
				     pcapng_ts_ns(&r, 0, b.epb.ts) == 1700000000500000000ull &&
				     pcapng_opt_find(&r, &b, PCAPNG_EPB_FLAGS, &len, &v) == 1 &&
				     pcapng_opt_uint(&r, v, len, &x) == 0 && x == PCAPNG_DIR_IN,
				     "switch writer: EPB caplen, len, bytes, ns timestamp, inbound flag");
		} else if (b.type == PCAPNG_ISB) {
			for (uint16_t code = PCAPNG_ISB_STARTTIME; code <= PCAPNG_ISB_FILTERACCEPT; code++)
				if (pcapng_opt_find(&r, &b, code, &len, &v) == 1 && code <= PCAPNG_ISB_ENDTIME)
					pcapng_opt_ts(&r, v, len, &got[code]);
				else if (pcapng_opt_find(&r, &b, code, &len, &v) == 1)
					pcapng_opt_uint(&r, v, len, &got[code]);
			ok(pcapng_ts_ns(&r, 0, got[2]) == c.start_ns && pcapng_ts_ns(&r, 0, got[3]) == c.end_ns &&
				     got[4] == 77 && got[5] == 3 && got[6] == 70,
				     "switch writer: ISB start, end, ifrecv, ifdrop, filteraccept");
		}
	}
	ok(k == 0 && off == w.len && n == 4, "switch writer: 4 whole blocks, nothing left (%s)", e.msg);
	pcapng_buf_free(&w);
	pcapng_reader_fini(&r);
}

int main(void)
{
	struct pcapng_reader r = { 0 };
	struct pcapng_block b;
	struct vnl_err e = { 0 };
	uint32_t shb_len, idb_len;
	size_t n;
	uint16_t code, len;
	const uint8_t *v;
	size_t pos = 0;
	struct seen s;

	srand(13);
	check_switch_writer();
	check_good(false);
	check_good(true);

	/* offsets in the host-order stream */
	build(false);
	memcpy(&shb_len, out + 4, 4);
	memcpy(&idb_len, out + shb_len + 4, 4);
	check_bad("a length not a multiple of 4", shb_len + 4, 22, "bad length");
	check_bad("a length below 12", shb_len + 4, 8, "bad length");
	check_bad("a length past the limit", shb_len + 4, PCAPNG_BLOCK_MAX + 4, "bad length");
	check_bad("a trailing length that differs", shb_len + idb_len - 4, idb_len + 4, "trailing length");
	check_bad("a bad byte-order magic", 8, 0x12345678u, "byte-order magic");
	check_bad("a section version 2", 12, 2, "version");
	/* the first EPB: caplen at +20, ifid at +8 */
	{
		size_t e0 = shb_len + idb_len;
		uint32_t l2;

		memcpy(&l2, out + e0 + 4, 4);
		e0 += l2; /* skip the second IDB */
		check_bad("a caplen past the block", e0 + 20, 4000, "caplen");
		check_bad("an undescribed interface", e0 + 8, 5, "interface 5");
	}
	sw = false;
	olen = 0;
	epb(0, 0, frame, 60, 60, 0);
	walk(out, olen, 0, &s);
	ok(s.err == -EPROTO && strstr(s.msg, "not a pcapng stream"), "no SHB first: %s", s.msg);
	memcpy(out, (uint32_t[]){ 0xa1b2c3d4u }, 4);
	walk(out, olen, 0, &s);
	ok(s.err == -EPROTO && strstr(s.msg, "pcap file"), "a pcap file: %s", s.msg);

	/* options past the area: the walker frames the block, the option walk refuses */
	olen = 0;
	shb();
	begin(PCAPNG_IDB);
	put16(1);
	put16(0);
	put32(0);
	put16(PCAPNG_IF_NAME);
	put16(200);
	put32(0);
	end();
	ok(pcapng_next(&r, out, olen, &b, &e) > 0, "SHB");
	n = olen;
	ok(pcapng_next(&r, out + b.len, n - b.len, &b, &e) > 0 && b.type == PCAPNG_IDB,
	   "an IDB whose option runs past it is framed");
	ok(pcapng_opt_next(&r, &b, &pos, &code, &len, &v) == -EPROTO, "its option walk says -EPROTO");
	ok(pcapng_if_get(&r, 0) && pcapng_if_get(&r, 0)->name[0] == '\0' && !pcapng_if_get(&r, 1),
	   "the interface has no name; interface 1 is undescribed");
	ok(pcapng_ts_ns(&r, 0, 5) == 5000, "default resolution us: 5 -> 5000 ns");
	r.ifs[0].tsresol = 0x80 | 10;
	ok(pcapng_ts_ns(&r, 0, 1024) == 1000000000ull, "tsresol 2^-10: 1024 -> 1 s");
	r.ifs[0].tsresol = 12;
	ok(pcapng_ts_ns(&r, 0, 5000) == 5, "tsresol 10^-12: 5000 -> 5 ns");
	pcapng_reader_fini(&r);
	return tap_done();
}
