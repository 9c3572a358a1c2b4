/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: dataplane/pcapng_write.c makes pcapng blocks as the spec lays
 * them out (one SHB byte for byte; every block: lengths equal at both ends
 * and multiples of 4, options padded and ended by opt_endofopt, the values
 * of SHB, IDB, ISB and EPB fields and options), and its writer, on a
 * non-blocking pipe shrunk to 4 KiB with a slow reader, resumes short writes
 * where they stopped, so the reader gets exactly the blocks queued, whole and
 * in order, and every piece's tag back once; a reader gone is -EPIPE and
 * fini hands the rest back. tshark (when installed) reads a file of these
 * blocks: interface names, descriptions and the direction flags.
 * Operations: in memory, a real pipe with a reader thread, tshark -r on a
 * temp file. TAP; the tshark checks are skipped without tshark.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapng_write.h"
#include "tap.h"

/* One block as the walker found it. */
struct blk {
	uint32_t type, len;
	const uint8_t *body;     /* after type and length */
	const uint8_t *opts;     /* first option (the caller says where options start) */
	size_t opts_len;
};

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint64_t ts(const uint8_t *p)
{
	return (uint64_t)u32(p) << 32 | u32(p + 4);
}

/* The block at p (avail bytes): false if its lengths are wrong. */
static bool block_at(const uint8_t *p, size_t avail, struct blk *b)
{
	if (avail < 12)
		return false;
	b->type = u32(p);
	b->len = u32(p + 4);
	b->body = p + 8;
	return b->len >= 12 && b->len % 4 == 0 && b->len <= avail && u32(p + b->len - 4) == b->len;
}

/* Options of b from offset `from` of its body: well formed (each padded to
 * 4, inside the block), ended by opt_endofopt exactly at the trailer. */
static bool opts_ok(struct blk *b, size_t from)
{
	const uint8_t *p = b->body + from, *end = b->body + b->len - 12;

	b->opts = p;
	b->opts_len = (size_t)(end - p);
	while (p + 4 <= end) {
		uint16_t code = u16(p), len = u16(p + 2);

		if (code == 0)
			return len == 0 && p + 4 == end;
		p += 4 + ((len + 3u) & ~3u);
	}
	return p == end; /* no options at all */
}

/* The value of option code in b (its length in *len), or NULL. */
static const uint8_t *opt_get(const struct blk *b, uint16_t code, uint16_t *len)
{
	const uint8_t *p = b->opts, *end = b->opts + b->opts_len;

	while (p + 4 <= end && u16(p) != 0) {
		if (u16(p) == code) {
			*len = u16(p + 2);
			return p + 4;
		}
		p += 4 + ((u16(p + 2) + 3u) & ~3u);
	}
	return NULL;
}

static bool opt_is(const struct blk *b, uint16_t code, const void *v, uint16_t len)
{
	uint16_t l;
	const uint8_t *p = opt_get(b, code, &l);

	return p != NULL && l == len && memcmp(p, v, len) == 0;
}

static bool opt_str_is(const struct blk *b, uint16_t code, const char *s)
{
	return opt_is(b, code, s, (uint16_t)strlen(s));
}

static bool opt_u64_is(const struct blk *b, uint16_t code, uint64_t v)
{
	uint16_t l;
	const uint8_t *p = opt_get(b, code, &l);
	uint64_t got;

	if (p == NULL || l != 8)
		return false;
	memcpy(&got, p, 8);
	return got == v;
}

static void test_blocks(void)
{
	/* The SHB with one comment, byte for byte (little-endian host). */
	static const uint8_t shb_le[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 40, 0, 0, 0,          /* type, length 40 */
		0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,            /* byte-order magic, 1.0 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* section length -1 */
		1, 0, 3, 0, 'a', 'b', 'c', 0,                  /* opt_comment "abc", padded */
		0, 0, 0, 0,                                    /* opt_endofopt */
		40, 0, 0, 0,                                   /* length again */
	};
	const uint16_t one = 1;
	struct pcapng_buf b = { 0 };
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x0a }, data[61], tsres = 9, flt[] = { 0, 'i', 'c', 'm', 'p' };
	struct pcapng_isb_counts c = { 1000000000123ull, 2000000000456ull, 77, 5, 40 };
	struct blk k = { 0 };
	uint32_t v;
	size_t at;

	ok(pcapng_shb(&b, NULL, NULL, NULL, "abc") == 0 && b.len == sizeof(shb_le), "SHB with a comment: %zu bytes", b.len);
	if (*(const uint8_t *)&one == 1)
		ok(memcmp(b.p, shb_le, sizeof(shb_le)) == 0, "SHB bytes as the spec lays them out");
	else
		ok(1, "# SKIP big-endian host: the literal is little-endian");
	b.len = 0;

	ok(pcapng_shb(&b, "vnl-switchd", "Linux 6.1", "vnetlab test", "lab x capture 1") == 0 &&
	   block_at(b.p, b.len, &k) && k.type == PCAPNG_SHB && k.len == b.len, "SHB: lengths equal at both ends");
	ok(u32(k.body) == PCAPNG_BYTE_ORDER_MAGIC && u16(k.body + 4) == 1 && u16(k.body + 6) == 0 &&
	   ts(k.body + 8) == UINT64_MAX, "SHB: magic, version 1.0, section length -1");
	ok(opts_ok(&k, 16) && opt_str_is(&k, 2, "vnl-switchd") && opt_str_is(&k, 3, "Linux 6.1") &&
	   opt_str_is(&k, 4, "vnetlab test") && opt_str_is(&k, 1, "lab x capture 1"),
	   "SHB: shb_hardware, shb_os, shb_userappl, opt_comment, opt_endofopt");
	at = b.len;

	ok(pcapng_idb(&b, 262144, "a:0", "LAN blue, ns node a eth0", "icmp", mac) == 0 &&
	   block_at(b.p + at, b.len - at, &k) && k.type == PCAPNG_IDB && at + k.len == b.len, "IDB: lengths");
	ok(u16(k.body) == PCAPNG_LINKTYPE_ETHERNET && u16(k.body + 2) == 0 && u32(k.body + 4) == 262144,
	   "IDB: link type 1, reserved 0, snaplen");
	ok(opts_ok(&k, 8) && opt_str_is(&k, 2, "a:0") && opt_str_is(&k, 3, "LAN blue, ns node a eth0") &&
	   opt_is(&k, 6, mac, 6) && opt_is(&k, 9, &tsres, 1) && opt_is(&k, 11, flt, sizeof(flt)),
	   "IDB: if_name, if_description, if_MACaddr, if_tsresol 9, if_filter (type 0, text)");
	at = b.len;
	ok(pcapng_idb(&b, 128, NULL, NULL, NULL, NULL) == 0 && block_at(b.p + at, b.len - at, &k) &&
	   opts_ok(&k, 8) && opt_is(&k, 9, &tsres, 1) && !opt_get(&k, 2, &(uint16_t){ 0 }), "IDB without names: if_tsresol only");
	at = b.len;

	ok(pcapng_isb(&b, 3, 2000000000999ull, &c) == 0 && block_at(b.p + at, b.len - at, &k) &&
	   k.type == PCAPNG_ISB && u32(k.body) == 3 && ts(k.body + 4) == 2000000000999ull, "ISB: interface id and time");
	ok(opts_ok(&k, 12) && opt_u64_is(&k, 4, 77) && opt_u64_is(&k, 5, 5) && opt_u64_is(&k, 6, 40),
	   "ISB: isb_ifrecv, isb_ifdrop, isb_filteraccept");
	{
		uint16_t l;
		const uint8_t *p = opt_get(&k, 2, &l), *q = opt_get(&k, 3, &l);

		ok(p && q && ts(p) == c.start_ns && ts(q) == c.end_ns, "ISB: isb_starttime, isb_endtime as timestamps");
	}
	at = b.len;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ok(pcapng_epb(&b, 1, 1234567890123456789ull, data, 61, 1514, PCAPNG_EPB_FLAG_OUTBOUND) == 0 &&
	   block_at(b.p + at, b.len - at, &k) && k.type == PCAPNG_EPB && k.len == 32 + 64 + 12,
	   "EPB: 61 bytes padded to 64, flags option: 108 bytes");
	v = PCAPNG_EPB_FLAG_OUTBOUND;
	ok(u32(k.body) == 1 && ts(k.body + 4) == 1234567890123456789ull && u32(k.body + 12) == 61 &&
	   u32(k.body + 16) == 1514 && memcmp(k.body + 20, data, 61) == 0 && k.body[20 + 61] == 0 &&
	   opts_ok(&k, 20 + 64) && opt_is(&k, 2, &v, 4), "EPB: id, time, caplen, origlen, data, zero padding, epb_flags");
	pcapng_buf_free(&b);
}

/* ---- the writer on a 4 KiB pipe with a slow reader ---- */

#define NB_BLOCKS 3000

struct reader {
	int fd;
	uint8_t *got;
	size_t len, cap;
};

static void *slow_reader(void *arg)
{
	struct reader *r = arg;
	ssize_t n;

	do {
		if (r->len + 700 > r->cap) {
			r->cap = r->cap ? r->cap * 2 : 1 << 20;
			r->got = realloc(r->got, r->cap);
		}
		n = read(r->fd, r->got + r->len, 1 + (size_t)(rand() % 700));
		if (n > 0)
			r->len += (size_t)n;
		if (rand() % 8 == 0)
			usleep(200);
	} while (n > 0);
	return NULL;
}

static unsigned done_count, done_bad;

static void on_done(void *tag, void *arg)
{
	unsigned *seen = arg;
	uintptr_t i = (uintptr_t)tag - 1;

	if (i >= NB_BLOCKS || seen[i]++)
		done_bad++;
	done_count++;
}

static void test_writer(void)
{
	static unsigned seen[NB_BLOCKS];
	struct pcapng_buf all = { 0 };
	struct pcapng_writer w;
	struct reader rd = { 0 };
	size_t *ends = calloc(NB_BLOCKS, sizeof(size_t));
	unsigned next = 0, waits = 0, resumed = 0, blocks = 0;
	uint8_t frame[1600];
	pthread_t t;
	int p[2], r = 0;

	/* The stream to send: blocks of every size, each block queued in up to
	 * three pieces (cut at random points) that share one tag. */
	pcapng_shb(&all, "hw", "os", "appl", NULL);
	ends[0] = all.len;
	for (unsigned i = 1; i < NB_BLOCKS; i++) {
		uint32_t len = 60 + (uint32_t)(rand() % 1500);

		memset(frame, (int)i, len);
		pcapng_epb(&all, i % 3, i, frame, len, len, 1 + i % 2);
		ends[i] = all.len;
	}
	ok(pipe2(p, O_CLOEXEC) == 0 && fcntl(p[1], F_SETPIPE_SZ, 4096) == 4096 &&
	   fcntl(p[1], F_SETFL, O_NONBLOCK) == 0, "a non-blocking pipe of 4 KiB");
	ok(pcapng_writer_init(&w, p[1], 16, on_done, seen) == 0 && w.cap == 16, "writer with 16 pieces");
	rd.fd = p[0];
	pthread_create(&t, NULL, slow_reader, &rd);
	while (next < NB_BLOCKS || w.n) {
		/* Queue whole blocks while three pieces fit. */
		while (next < NB_BLOCKS && pcapng_writer_room(&w) >= 3) {
			size_t from = next ? ends[next - 1] : 0, len = ends[next] - from;
			size_t c1 = (size_t)rand() % len, c2 = c1 + (size_t)rand() % (len - c1);
			void *tag = (void *)(uintptr_t)(next + 1);

			pcapng_writer_add(&w, all.p + from, c1, NULL);
			pcapng_writer_add(&w, all.p + from + c1, c2 - c1, NULL);
			pcapng_writer_add(&w, all.p + from + c2, len - c2, tag);
			next++;
		}
		r = pcapng_writer_flush(&w);
		if (r == -EAGAIN) {
			struct pollfd pf = { .fd = p[1], .events = POLLOUT };

			waits++;
			resumed += w.off != 0;
			poll(&pf, 1, 5000);
		} else if (r < 0) {
			break;
		}
	}
	ok(r == 0 && waits > 10 && resumed > 0, "all written: the pipe was full %u times, %u mid-piece", waits, resumed);
	close(p[1]);
	pthread_join(t, NULL);
	ok(rd.len == all.len && w.bytes == all.len && memcmp(rd.got, all.p, all.len) == 0,
	   "the reader got exactly the queued bytes (%zu of %zu)", rd.len, all.len);
	for (size_t off = 0; off < rd.len;) {
		struct blk k;

		if (!block_at(rd.got + off, rd.len - off, &k))
			break;
		off += k.len;
		blocks++;
	}
	ok(blocks == NB_BLOCKS, "as %u whole blocks, in order", blocks);
	ok(done_count == NB_BLOCKS && done_bad == 0, "every tag back once (%u)", done_count);
	pcapng_writer_fini(&w);
	close(p[0]);

	/* The reader goes away: -EPIPE, and fini hands back what is queued. */
	done_count = done_bad = 0;
	memset(seen, 0, sizeof(seen));
	ok(pipe2(p, O_CLOEXEC) == 0 && fcntl(p[1], F_SETFL, O_NONBLOCK) == 0 &&
	   pcapng_writer_init(&w, p[1], 4, on_done, seen) == 0, "a second pipe");
	close(p[0]);
	pcapng_writer_add(&w, all.p, ends[0], (void *)(uintptr_t)1);
	pcapng_writer_add(&w, all.p + ends[0], ends[1] - ends[0], (void *)(uintptr_t)2);
	ok(pcapng_writer_add(&w, all.p, 4, NULL) == 0 && pcapng_writer_add(&w, all.p, 4, NULL) == 0 &&
	   pcapng_writer_add(&w, all.p, 4, NULL) == -ENOSPC, "a full queue is -ENOSPC");
	r = pcapng_writer_flush(&w);
	ok(r == -EPIPE && w.n == 4, "reader gone: -EPIPE, nothing lost from the queue (%d)", r);
	pcapng_writer_fini(&w);
	ok(done_count == 2 && done_bad == 0 && w.q == NULL, "fini: both tags back");
	close(p[1]);
	pcapng_buf_free(&all);
	free(rd.got);
	free(ends);
}

/* ---- tshark reads what we write ---- */

static bool have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void test_tshark(void)
{
	char path[] = "/tmp/vnl-pcapng-XXXXXX", cmd[512], out[4096];
	struct pcapng_buf b = { 0 };
	struct pcapng_isb_counts c = { 1, 2, 3, 0, 3 };
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
	size_t n;
	FILE *f;
	bool good;
	int fd;

	if (!have_tshark()) {
		ok(1, "# SKIP tshark not installed (scripts/packages-test.txt)");
		ok(1, "# SKIP tshark not installed");
		return;
	}
	pcapng_shb(&b, "vnl-switchd", "Linux", "vnetlab test", "lab t capture 1");
	pcapng_idb(&b, 262144, "a:0", "LAN blue, ns node a eth0", "arp", NULL);
	pcapng_idb(&b, 262144, "b:1", "LAN blue, cnt node b eth1", "arp", NULL);
	pcapng_epb(&b, 0, 1700000000000000000ull, frame, 60, 60, PCAPNG_EPB_FLAG_OUTBOUND);
	pcapng_epb(&b, 1, 1700000000000001000ull, frame, 60, 60, PCAPNG_EPB_FLAG_INBOUND);
	pcapng_isb(&b, 0, 1700000000000002000ull, &c);
	pcapng_isb(&b, 1, 1700000000000002000ull, &c);
	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, b.p, b.len) == (ssize_t)b.len && close(fd) == 0, "a capture file of %zu bytes", b.len);
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -T fields -E separator='|' -e frame.interface_name -e frame.interface_description "
		 "-e frame.packet_flags_direction -e eth.type 2>/dev/null", path);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = '\0';
	if (f)
		pclose(f);
	good = strcmp(out, "a:0|LAN blue, ns node a eth0|0x00000002|0x0806\n"
			   "b:1|LAN blue, cnt node b eth1|0x00000001|0x0806\n") == 0;
	for (char *q = out; *q; q++) /* one TAP line: tshark's lines joined */
		if (*q == '\n')
			*q = ';';
	ok(good, "tshark: names, descriptions, directions (outbound 2, inbound 1): %s", out);
	unlink(path);
	pcapng_buf_free(&b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	srand(13);
	test_blocks();
	test_writer();
	test_tshark();
	return tap_done();
}
