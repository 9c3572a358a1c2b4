/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the agent protocol codec (common/agentproto.c) round-trips
 * every frame type, refuses every out-of-bound argument and payload, and
 * its decoder returns exactly the valid frames of a stream whatever the
 * garbage, bad versions, oversize lengths and truncations around them and
 * however the bytes are split (whole, byte by byte, random chunks).
 * Operations: encode into buffers, feed decoders, compare fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto.h"
#include "tap.h"

#define FRAME_MAX (AP_HDR_LEN + AP_MAX_PAYLOAD)

static uint8_t fb[FRAME_MAX + 64]; /* one encoded frame */

/* Feed n bytes in chunks of `step` (0: random 1..300) and collect frames. */
struct got {
	int n;
	struct ap_hdr h[64];
	uint32_t sum[64]; /* a checksum of each payload */
};

static uint32_t sum(const uint8_t *p, uint32_t n)
{
	uint32_t s = 2166136261u;

	while (n--)
		s = (s ^ *p++) * 16777619u;
	return s;
}

static void feed(struct ap_decoder *d, const uint8_t *in, size_t n, size_t step, struct got *g)
{
	size_t pos = 0, room, k;
	const uint8_t *pl;
	struct ap_hdr h;
	uint8_t *sp;

	while (pos < n) {
		sp = ap_decoder_space(d, &room);
		k = step ? step : 1 + (size_t)(rand() % 300);
		if (k > n - pos)
			k = n - pos;
		if (k > room)
			k = room;
		memcpy(sp, in + pos, k);
		ap_decoder_commit(d, k);
		pos += k;
		while (ap_decoder_next(d, &h, &pl) == 1)
			if (g->n < 64) {
				g->h[g->n] = h;
				g->sum[g->n++] = sum(pl, h.len);
			}
	}
}

/* Decode one encoded frame of n bytes on a fresh decoder: payload copied to out. */
static int decode1(const uint8_t *frame, size_t n, struct ap_hdr *h, uint8_t *out)
{
	struct ap_decoder d;
	const uint8_t *pl;
	size_t room;
	uint8_t *sp;
	int r;

	if (ap_decoder_init(&d) < 0)
		return -1;
	sp = ap_decoder_space(&d, &room);
	memcpy(sp, frame, n < room ? n : room);
	ap_decoder_commit(&d, n < room ? n : room);
	r = ap_decoder_next(&d, h, &pl);
	if (r == 1)
		memcpy(out, pl, h->len);
	ap_decoder_fini(&d);
	return r;
}

static uint8_t pl[FRAME_MAX];
static struct ap_hdr hd;

static void test_link_frames(void)
{
	uint32_t ver;
	uint64_t v;
	const char *who;
	char big[AP_MAX_MSG + 1];
	int n;

	n = ap_put_hello(fb, sizeof(fb), 0x1122334455667788ull, "vnld 0.1.0");
	ok(n == (int)AP_HDR_LEN + 16 + 11, "hello encodes to %d bytes", n);
	ok(fb[0] == 0x56 && fb[1] == 0x4c && fb[2] == AP_VERSION && fb[3] == AP_HELLO, "magic VL, version, type on the wire");
	ok(decode1(fb, (size_t)n, &hd, pl) == 1 && hd.type == AP_HELLO && hd.chan == 0, "hello decodes");
	ok(ap_parse_hello(pl, hd.len, &ver, &v, &who) == 0 && ver == AP_VERSION && v == 0x1122334455667788ull &&
		   !strcmp(who, "vnld 0.1.0"),
	   "hello round trip (version, nonce, who)");
	memset(big, 'x', sizeof(big) - 1);
	big[AP_MAX_MSG - 1] = 0;
	ok(ap_put_hello(fb, sizeof(fb), 1, big) == (int)(AP_HDR_LEN + 16 + AP_MAX_MSG), "hello who of AP_MAX_MSG-1 chars fits");
	big[AP_MAX_MSG - 1] = 'x';
	big[AP_MAX_MSG] = 0;
	ok(ap_put_hello(fb, sizeof(fb), 1, big) == -EMSGSIZE, "hello who of AP_MAX_MSG chars refused");
	ok(ap_put_hello(fb, sizeof(fb), 1, NULL) == -EINVAL, "hello without who refused");
	ok(ap_put_hello(fb, AP_HDR_LEN + 16, 1, "") == -EMSGSIZE, "hello not fitting the buffer refused");
	ok(ap_parse_hello(pl, 16, &ver, &v, &who) == -EPROTO, "hello without string refused");
	n = ap_put_hello(fb, sizeof(fb), 5, "ab");
	fb[n - 1] = 'c'; /* no NUL any more */
	ok(ap_parse_hello(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &ver, &v, &who) == -EPROTO, "hello string without NUL refused");
	n = ap_put_hello(fb, sizeof(fb), 5, "ab");
	fb[AP_HDR_LEN + 17] = 0; /* "a\0\0": bytes after the NUL */
	ok(ap_parse_hello(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &ver, &v, &who) == -EPROTO, "hello with trailing bytes refused");

	n = ap_put_ping(fb, sizeof(fb), AP_PING, 42);
	ok(n == (int)AP_HDR_LEN + 8 && decode1(fb, (size_t)n, &hd, pl) == 1 && hd.type == AP_PING &&
		   ap_parse_u64(pl, hd.len, &v) == 0 && v == 42,
	   "ping round trip");
	n = ap_put_ping(fb, sizeof(fb), AP_PONG, ~0ull);
	ok(decode1(fb, (size_t)n, &hd, pl) == 1 && hd.type == AP_PONG && ap_parse_u64(pl, hd.len, &v) == 0 && v == ~0ull,
	   "pong round trip");
	ok(ap_put_ping(fb, sizeof(fb), AP_DATA, 1) == -EINVAL, "ping with another type refused");
	ok(ap_parse_u64(pl, 7, &v) == -EPROTO && ap_parse_u64(pl, 9, &v) == -EPROTO, "ping of 7 or 9 bytes refused");
}

static void test_open(void)
{
	const char *argv[AP_MAX_ARGS], *env[AP_MAX_ARGS];
	const char *args[] = { "sh", "-c", "echo hi" }, *envs[] = { "A=1", "TERM=vt100" };
	static const char *many[AP_MAX_ARGS + 1];
	struct ap_open o = { .op = AP_OP_EXEC, .flags = AP_OPEN_PTY, .rows = 24, .cols = 80, .wait_ms = 3000,
			     .target = "vm1", .argc = 3, .argv = args, .envc = 2, .env = envs };
	struct ap_open r;
	const char *t;
	static char longpath[AP_MAX_PATH + 1];
	int n, i;

	n = ap_put_open(fb, sizeof(fb), 7, &o);
	ok(n > 0 && decode1(fb, (size_t)n, &hd, pl) == 1 && hd.type == AP_OPEN && hd.chan == 7, "exec open decodes");
	ok(ap_parse_open(pl, hd.len, &r, argv, env) == 0 && r.op == AP_OP_EXEC && r.flags == AP_OPEN_PTY &&
		   r.rows == 24 && r.cols == 80 && r.wait_ms == 3000 && !strcmp(r.target, "vm1") && r.argc == 3 &&
		   !strcmp(r.argv[2], "echo hi") && r.envc == 2 && !strcmp(r.env[1], "TERM=vt100"),
	   "exec open round trip (flags, size, wait, target, argv, env)");
	ok(ap_parse_open_target(pl, hd.len, &t) == 0 && !strcmp(t, "vm1"), "open target alone");
	o.envc = 0;
	n = ap_put_open(fb, sizeof(fb), 7, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 && r.argc == 3 && r.envc == 0,
	   "exec open without env");
	/* truncated anywhere: refused */
	o.envc = 2;
	n = ap_put_open(fb, sizeof(fb), 7, &o);
	/* (env runs to the end: a cut at the end of an env string is a valid
	 * open with fewer env strings, any other cut is refused) */
	for (i = 0; i < n - (int)AP_HDR_LEN; i++)
		if (ap_parse_open(fb + AP_HDR_LEN, (uint32_t)i, &r, argv, env) == 0 && r.envc >= 2)
			break;
	ok(i == n - (int)AP_HDR_LEN, "every truncation of an exec open refused or short of env");
	/* argv bounds */
	for (i = 0; i < (int)AP_MAX_ARGS + 1; i++)
		many[i] = "x";
	o.argv = many;
	o.envc = 0;
	o.argc = AP_MAX_ARGS;
	n = ap_put_open(fb, sizeof(fb), 7, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 && r.argc == AP_MAX_ARGS,
	   "exec with AP_MAX_ARGS args");
	o.argc = AP_MAX_ARGS + 1;
	ok(ap_put_open(fb, sizeof(fb), 7, &o) == -EINVAL, "exec with AP_MAX_ARGS+1 args refused");
	/* hand-made: 257 args on the wire */
	memset(pl, 0, 11);
	pl[0] = AP_OP_EXEC;
	n = 11;
	for (i = 0; i < (int)AP_MAX_ARGS + 1; i++) {
		pl[n++] = 'x';
		pl[n++] = 0;
	}
	pl[n++] = 0;
	ok(ap_parse_open(pl, (uint32_t)n, &r, argv, env) == -EPROTO, "parse of AP_MAX_ARGS+1 args refused");
	o.argv = args;
	o.argc = 0;
	ok(ap_put_open(fb, sizeof(fb), 7, &o) == -EINVAL, "exec without argv refused");
	o.argc = 3;
	args[1] = "";
	ok(ap_put_open(fb, sizeof(fb), 7, &o) == -EINVAL, "exec with an empty arg refused");
	args[1] = "-c";
	envs[0] = "NOEQUALS";
	o.envc = 2;
	ok(ap_put_open(fb, sizeof(fb), 7, &o) == -EINVAL, "env without '=' refused");
	envs[0] = "A=1";
	ok(ap_put_open(fb, sizeof(fb), 0, &o) == -EINVAL, "open on chan 0 refused");
	o.flags = 0x80;
	ok(ap_put_open(fb, sizeof(fb), 7, &o) == -EINVAL, "unknown open flag refused");
	o.flags = 0;
	ok(ap_put_open(fb, 20, 7, &o) == -EMSGSIZE, "open not fitting the buffer refused");
	/* hand-made payloads: no argv terminator, env without NUL, bad op, unknown flag */
	memset(pl, 0, 11);
	pl[0] = AP_OP_EXEC;
	memcpy(pl + 11, "ls\0", 3);
	ok(ap_parse_open(pl, 14, &r, argv, env) == -EPROTO, "argv without its empty terminator refused");
	pl[14] = 0;
	memcpy(pl + 15, "A=1", 3);
	ok(ap_parse_open(pl, 18, &r, argv, env) == -EPROTO, "env string without NUL refused");
	pl[18] = 0;
	ok(ap_parse_open(pl, 19, &r, argv, env) == 0 && r.argc == 1 && r.envc == 1, "hand-made exec open parses");
	memcpy(pl + 15, "=1\0", 3);
	ok(ap_parse_open(pl, 18, &r, argv, env) == -EPROTO, "env string with an empty name refused");
	memcpy(pl + 15, "A=1\0", 4);
	pl[0] = AP_OP_MAX;
	ok(ap_parse_open(pl, 19, &r, argv, env) == -EPROTO, "op AP_OP_MAX refused");
	pl[0] = 0;
	ok(ap_parse_open(pl, 19, &r, argv, env) == -EPROTO, "op 0 refused");
	pl[0] = AP_OP_EXEC;
	pl[1] = 2;
	ok(ap_parse_open(pl, 19, &r, argv, env) == -EPROTO, "unknown flag refused by parse");
	pl[1] = 0;
	memset(pl + 10, 'v', 5); /* target without NUL up to the end */
	ok(ap_parse_open(pl, 15, &r, argv, env) == -EPROTO && ap_parse_open_target(pl, 15, &t) == -EPROTO,
	   "target without NUL refused");
	ok(ap_parse_open(pl, 10, &r, argv, env) == -EPROTO, "open of 10 bytes refused");

	/* file ops */
	memset(&o, 0, sizeof(o));
	o.target = "";
	o.op = AP_OP_PUT;
	o.path = "/tmp/x";
	o.mode = 07777;
	o.size = 5ull << 32;
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 && r.op == AP_OP_PUT &&
		   !strcmp(r.path, "/tmp/x") && r.mode == 07777 && r.size == 5ull << 32 && !strcmp(r.target, ""),
	   "put open round trip (path, mode, 64-bit size)");
	ok(ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN - 1, &r, argv, env) == -EPROTO, "put missing a size byte refused");
	fb[n - 12 + 1] = 0x10; /* mode 010777 */
	ok(ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == -EPROTO, "put mode > 07777 refused");
	o.mode = 010000;
	ok(ap_put_open(fb, sizeof(fb), 9, &o) == -EINVAL, "put of mode 010000 refused");
	o.mode = 0644;
	o.path = "relative";
	ok(ap_put_open(fb, sizeof(fb), 9, &o) == -EINVAL, "relative path refused");
	memset(longpath, 'a', AP_MAX_PATH - 1);
	longpath[0] = '/';
	o.path = longpath;
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 &&
		   strlen(r.path) == AP_MAX_PATH - 1,
	   "path of AP_MAX_PATH-1 bytes");
	longpath[AP_MAX_PATH - 1] = 'a';
	ok(ap_put_open(fb, sizeof(fb), 9, &o) == -EINVAL, "path of AP_MAX_PATH bytes refused");
	o.op = AP_OP_GET; /* hand-made: same frame, long path: refused by parse */
	o.path = "/";
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n == (int)AP_HDR_LEN + 10 + 1 + 2 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 &&
		   r.op == AP_OP_GET && !strcmp(r.path, "/"),
	   "get open round trip");
	memcpy(pl, fb + AP_HDR_LEN, 11);
	memcpy(pl + 11, longpath, AP_MAX_PATH);
	pl[11 + AP_MAX_PATH] = 0;
	ok(ap_parse_open(pl, 11 + AP_MAX_PATH + 1, &r, argv, env) == -EPROTO, "parse of a path of AP_MAX_PATH bytes refused");
	fb[n - 2] = 'x'; /* "x" instead of "/" */
	ok(ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == -EPROTO, "parse of a relative path refused");
	o.op = AP_OP_LIST;
	o.path = "/etc";
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 && r.op == AP_OP_LIST &&
		   !strcmp(r.path, "/etc"),
	   "list open round trip");
	fb[n] = 0;
	ok(ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN + 1, &r, argv, env) == -EPROTO, "list with a trailing byte refused");
	o.op = AP_OP_MKDIR;
	o.path = "/tmp/d";
	o.mode = 0750;
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n > 0 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 && r.op == AP_OP_MKDIR &&
		   r.mode == 0750,
	   "mkdir open round trip");
	o.op = AP_OP_INFO;
	n = ap_put_open(fb, sizeof(fb), 9, &o);
	ok(n == (int)AP_HDR_LEN + 11 && ap_parse_open(fb + AP_HDR_LEN, (uint32_t)n - AP_HDR_LEN, &r, argv, env) == 0 &&
		   r.op == AP_OP_INFO,
	   "info open round trip");
	o.flags = AP_OPEN_PTY;
	ok(ap_put_open(fb, sizeof(fb), 9, &o) == -EINVAL, "pty flag on info refused");
	o.op = AP_OP_MAX;
	o.flags = 0;
	ok(ap_put_open(fb, sizeof(fb), 9, &o) == -EINVAL, "open of op AP_OP_MAX refused");
}

static void test_channel_frames(void)
{
	static uint8_t data[AP_MAX_DATA + 1];
	const uint8_t *dp;
	const char *msg;
	uint32_t pid, mode, n32, incr;
	uint64_t fsize;
	uint16_t rows, cols;
	uint8_t st, sig;
	int32_t code;
	char longmsg[600];
	int n;

	n = ap_put_opened(fb, sizeof(fb), 3, AP_OP_EXEC, 1234, 0, 0);
	ok(n == (int)AP_HDR_LEN + 4 && decode1(fb, (size_t)n, &hd, pl) == 1 &&
		   ap_parse_opened(pl, hd.len, AP_OP_EXEC, &pid, &mode, &fsize) == 0 && pid == 1234,
	   "opened exec round trip");
	n = ap_put_opened(fb, sizeof(fb), 3, AP_OP_GET, 0, 0640, 5000000);
	ok(n == (int)AP_HDR_LEN + 12 && decode1(fb, (size_t)n, &hd, pl) == 1 &&
		   ap_parse_opened(pl, hd.len, AP_OP_GET, &pid, &mode, &fsize) == 0 && mode == 0640 && fsize == 5000000,
	   "opened get round trip");
	n = ap_put_opened(fb, sizeof(fb), 3, AP_OP_LIST, 0, 0, 0);
	ok(n == (int)AP_HDR_LEN && decode1(fb, (size_t)n, &hd, pl) == 1 && hd.len == 0 &&
		   ap_parse_opened(pl, 0, AP_OP_LIST, &pid, &mode, &fsize) == 0,
	   "opened list is empty");
	ok(ap_parse_opened(pl, 4, AP_OP_GET, &pid, &mode, &fsize) == -EPROTO, "opened get of 4 bytes refused");
	ok(ap_put_opened(fb, sizeof(fb), 3, 0, 0, 0, 0) == -EINVAL, "opened of op 0 refused");

	memset(data, 0xa5, sizeof(data));
	n = ap_put_data(fb, sizeof(fb), 5, AP_STDOUT, data, AP_MAX_DATA);
	ok(n == (int)(AP_HDR_LEN + AP_MAX_PAYLOAD) && decode1(fb, (size_t)n, &hd, pl) == 1 && hd.len == AP_MAX_PAYLOAD &&
		   ap_parse_data(pl, hd.len, &st, &dp, &n32) == 0 && st == AP_STDOUT && n32 == AP_MAX_DATA &&
		   !memcmp(dp, data, n32),
	   "data of AP_MAX_DATA bytes round trip");
	ok(ap_put_data(fb, sizeof(fb), 5, AP_STDOUT, data, AP_MAX_DATA + 1) == -EMSGSIZE, "data of AP_MAX_DATA+1 refused");
	ok(ap_put_data(fb, sizeof(fb), 5, AP_STDOUT, data, 0) == -EINVAL, "empty data refused");
	ok(ap_put_data(fb, sizeof(fb), 5, AP_NSTREAMS, data, 1) == -EINVAL, "data on stream 3 refused");
	ok(ap_put_data(fb, AP_HDR_LEN + 1, 5, AP_STDIN, data, 1) == -EMSGSIZE, "data not fitting refused");
	n = ap_put_data(fb, sizeof(fb), 5, AP_STDERR, "x", 1);
	ok(n == (int)AP_HDR_LEN + 2 && ap_parse_data(fb + AP_HDR_LEN, 2, &st, &dp, &n32) == 0 && st == AP_STDERR &&
		   n32 == 1 && dp[0] == 'x',
	   "data of 1 byte round trip");
	ok(ap_parse_data(fb + AP_HDR_LEN, 1, &st, &dp, &n32) == -EPROTO, "data without bytes refused");
	fb[AP_HDR_LEN] = 3;
	ok(ap_parse_data(fb + AP_HDR_LEN, 2, &st, &dp, &n32) == -EPROTO, "data on stream 3 refused by parse");
	n = ap_put_data_hdr(fb, sizeof(fb), 5, AP_STDOUT, 100);
	ok(n == (int)AP_DATA_HDR_LEN + 100 && fb[AP_HDR_LEN] == AP_STDOUT, "data header for in-place data");

	n = ap_put_eof(fb, sizeof(fb), 5, AP_STDIN);
	ok(n == (int)AP_HDR_LEN + 1 && decode1(fb, (size_t)n, &hd, pl) == 1 && hd.type == AP_EOF &&
		   ap_parse_stream(pl, hd.len, &st) == 0 && st == AP_STDIN,
	   "eof round trip");
	ok(ap_put_eof(fb, sizeof(fb), 5, 7) == -EINVAL && ap_put_eof(fb, sizeof(fb), 0, 0) == -EINVAL, "eof bad stream or chan 0 refused");
	pl[0] = 9;
	ok(ap_parse_stream(pl, 1, &st) == -EPROTO && ap_parse_stream(pl, 2, &st) == -EPROTO, "eof bad stream or length refused");

	n = ap_put_window(fb, sizeof(fb), 5, AP_STDERR, 0xffffffffu);
	ok(n == (int)AP_HDR_LEN + 5 && decode1(fb, (size_t)n, &hd, pl) == 1 &&
		   ap_parse_window(pl, hd.len, &st, &incr) == 0 && st == AP_STDERR && incr == 0xffffffffu,
	   "window round trip");
	ok(ap_put_window(fb, sizeof(fb), 5, AP_STDERR, 0) == -EINVAL, "window of 0 refused");
	memset(pl + 1, 0, 4);
	ok(ap_parse_window(pl, 5, &st, &incr) == -EPROTO, "window of 0 refused by parse");

	n = ap_put_resize(fb, sizeof(fb), 5, 50, 200);
	ok(n == (int)AP_HDR_LEN + 4 && decode1(fb, (size_t)n, &hd, pl) == 1 &&
		   ap_parse_resize(pl, hd.len, &rows, &cols) == 0 && rows == 50 && cols == 200,
	   "resize round trip");
	ok(ap_parse_resize(pl, 3, &rows, &cols) == -EPROTO, "resize of 3 bytes refused");

	n = ap_put_signal(fb, sizeof(fb), 5, 64);
	ok(n == (int)AP_HDR_LEN + 1 && decode1(fb, (size_t)n, &hd, pl) == 1 && ap_parse_signal(pl, hd.len, &sig) == 0 &&
		   sig == 64,
	   "signal 64 round trip");
	ok(ap_put_signal(fb, sizeof(fb), 5, 0) == -EINVAL && ap_put_signal(fb, sizeof(fb), 5, 65) == -EINVAL, "signal 0 and 65 refused");
	pl[0] = 65;
	ok(ap_parse_signal(pl, 1, &sig) == -EPROTO, "signal 65 refused by parse");

	n = ap_put_close(fb, sizeof(fb), 5, -2, "open /x: No such file or directory");
	ok(n > 0 && decode1(fb, (size_t)n, &hd, pl) == 1 && ap_parse_close(pl, hd.len, &code, &msg) == 0 && code == -2 &&
		   !strcmp(msg, "open /x: No such file or directory"),
	   "close round trip (negative code, message)");
	n = ap_put_close(fb, sizeof(fb), 5, 255, NULL);
	ok(n == (int)AP_HDR_LEN + 5 && ap_parse_close(fb + AP_HDR_LEN, 5, &code, &msg) == 0 && code == 255 && !msg[0],
	   "close without message");
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = 0;
	n = ap_put_close(fb, sizeof(fb), 5, 1, longmsg);
	ok(n == (int)(AP_HDR_LEN + 4 + AP_MAX_MSG) && decode1(fb, (size_t)n, &hd, pl) == 1 &&
		   ap_parse_close(pl, hd.len, &code, &msg) == 0 && strlen(msg) == AP_MAX_MSG - 1,
	   "close message cut to AP_MAX_MSG-1");
	ok(ap_parse_close(pl, 4, &code, &msg) == -EPROTO, "close of 4 bytes refused");
	pl[4] = 'a';
	pl[5] = 'b';
	ok(ap_parse_close(pl, 6, &code, &msg) == -EPROTO, "close message without NUL refused");

	/* set_chan and whole-frame access */
	n = ap_put_eof(fb, sizeof(fb), 5, AP_STDOUT);
	ap_set_chan(fb, 0xdeadbeef);
	ok(decode1(fb, (size_t)n, &hd, pl) == 1 && hd.chan == 0xdeadbeef, "set_chan rewrites the channel");
}

static void test_hdr_checks(void)
{
	struct ap_hdr h;
	unsigned t;
	int good = 1;

	for (t = 0; t <= AP_TYPE_MAX; t++) {
		h.type = (uint8_t)t;
		h.chan = (t >= AP_HELLO && t <= AP_PONG) ? 0 : 1;
		h.len = 8;
		if (t == 0 || t == AP_TYPE_MAX)
			good &= !ap_hdr_ok(&h);
	}
	ok(good, "type 0 and AP_TYPE_MAX refused");
	h = (struct ap_hdr){ .type = AP_PING, .chan = 1, .len = 8 };
	ok(!ap_hdr_ok(&h), "link frame on a channel refused");
	h = (struct ap_hdr){ .type = AP_DATA, .chan = 0, .len = 8 };
	ok(!ap_hdr_ok(&h), "channel frame on chan 0 refused");
	h = (struct ap_hdr){ .type = AP_DATA, .chan = 1, .len = AP_MAX_PAYLOAD };
	ok(ap_hdr_ok(&h), "data of AP_MAX_PAYLOAD passes");
	h.len = AP_MAX_PAYLOAD + 1;
	ok(!ap_hdr_ok(&h), "len AP_MAX_PAYLOAD+1 refused");
	h = (struct ap_hdr){ .type = AP_EOF, .chan = 1, .len = 2 };
	ok(!ap_hdr_ok(&h), "eof of 2 bytes refused (type bounds)");
	h = (struct ap_hdr){ .type = AP_CLOSE, .chan = 1, .len = 4 + AP_MAX_MSG + 1 };
	ok(!ap_hdr_ok(&h), "close over its bound refused");
	ok(!strcmp(ap_type_name(AP_OPEN), "OPEN") && !strcmp(ap_type_name(0), "?") && !strcmp(ap_type_name(99), "?"),
	   "type names");
}

/*
 * A stream: frames A (ping), garbage, B (data), bad version, C (close),
 * oversize len, D (eof), truncated header then E: the decoder yields A B C
 * D E whatever the split.
 */
static void test_stream(void)
{
	static uint8_t s[400000];
	static uint8_t big[AP_MAX_DATA];
	struct ap_decoder d;
	struct got g;
	size_t n = 0, steps[] = { 0, 1, 7, 12, 13, 65548, 400000 };
	unsigned i, k;
	int r, good = 1;
	uint32_t sums[5];
	uint8_t *f;

	memset(big, 'Z', sizeof(big));
	r = ap_put_ping(s + n, sizeof(s) - n, AP_PING, 1);
	sums[0] = sum(s + n + AP_HDR_LEN, 8);
	n += (size_t)r;
	for (i = 0; i < 1000; i++)
		s[n++] = (uint8_t)(i * 7 + 1) == 0x56 ? 0 : (uint8_t)(i * 7 + 1); /* garbage without 'V' */
	s[n++] = 0x56; /* lone magic halves */
	s[n++] = 0x56;
	s[n++] = 0x4c;
	s[n++] = 9; /* bad version right after a magic */
	r = ap_put_data(s + n, sizeof(s) - n, 2, AP_STDOUT, big, sizeof(big));
	sums[1] = sum(s + n + AP_HDR_LEN, (uint32_t)r - AP_HDR_LEN);
	n += (size_t)r;
	r = ap_put_data(s + n, sizeof(s) - n, 2, AP_STDOUT, "hello", 5);
	s[n + 2] = 2; /* version 2: the whole frame must vanish */
	memset(s + n + AP_HDR_LEN + 1, 'q', 5);
	n += (size_t)r;
	r = ap_put_close(s + n, sizeof(s) - n, 3, 0, "bye");
	sums[2] = sum(s + n + AP_HDR_LEN, (uint32_t)r - AP_HDR_LEN);
	n += (size_t)r;
	r = ap_put_data(s + n, sizeof(s) - n, 2, AP_STDOUT, "x", 1);
	s[n + 8] = 0x01; /* len = AP_MAX_PAYLOAD + 1 */
	s[n + 9] = 0x00;
	s[n + 10] = 0x01;
	s[n + 11] = 0x00;
	n += (size_t)r;
	r = ap_put_eof(s + n, sizeof(s) - n, 4, AP_STDERR);
	sums[3] = sum(s + n + AP_HDR_LEN, 1);
	n += (size_t)r;
	memcpy(s + n, "VL\x01\x06\0\0", 6); /* a header cut after 6 bytes */
	n += 6;
	r = ap_put_window(s + n, sizeof(s) - n, 5, AP_STDOUT, 77);
	sums[4] = sum(s + n + AP_HDR_LEN, 5);
	n += (size_t)r;

	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		if (ap_decoder_init(&d) < 0)
			break;
		memset(&g, 0, sizeof(g));
		feed(&d, s, n, steps[k], &g);
		/* The cut header swallows the start of E: "VL 01 06 00 00" + E's
		 * first 6 bytes form a header whose len is E's bytes 2..5, which
		 * fails, so E is found again by resync. */
		r = g.n == 5 && g.h[0].type == AP_PING && g.h[1].type == AP_DATA && g.h[1].len == AP_MAX_PAYLOAD &&
		    g.h[2].type == AP_CLOSE && g.h[2].chan == 3 && g.h[3].type == AP_EOF && g.h[3].chan == 4 &&
		    g.h[4].type == AP_WINDOW && g.h[4].chan == 5;
		for (i = 0; r && i < 5; i++)
			r &= g.sum[i] == sums[i];
		ok(r, "stream split in chunks of %zu: the 5 valid frames, intact (got %d)", steps[k], g.n);
		good &= d.bad > 0 && d.dropped >= 1000;
		ap_decoder_fini(&d);
		ap_decoder_fini(&d);
	}
	ok(good, "garbage counted as bad and dropped");

	/* truncated frame: nothing until the rest comes; whole frame access */
	if (ap_decoder_init(&d) == 0) {
		const uint8_t *p;
		struct ap_hdr h;
		size_t room, flen;
		uint8_t *sp;

		r = ap_put_close(fb, sizeof(fb), 8, 1, "truncated");
		sp = ap_decoder_space(&d, &room);
		memcpy(sp, fb, (size_t)r - 1);
		ap_decoder_commit(&d, (size_t)r - 1);
		ok(ap_decoder_next(&d, &h, &p) == 0 && d.bad == 0, "truncated frame: no frame, nothing bad");
		sp = ap_decoder_space(&d, &room);
		ok(room == AP_HDR_LEN + AP_MAX_PAYLOAD - ((size_t)r - 1), "room left is the buffer less the partial frame");
		sp[0] = fb[r - 1];
		ap_decoder_commit(&d, 1);
		ok(ap_decoder_next(&d, &h, &p) == 1 && h.type == AP_CLOSE && h.chan == 8, "completed frame comes out");
		f = ap_decoder_frame(&d, &flen);
		ok(flen == (size_t)r && !memcmp(f, fb, flen) && p == f + AP_HDR_LEN, "decoder_frame gives the whole frame");
		ok(ap_decoder_next(&d, &h, &p) == 0, "then nothing");
		/* a full buffer of one max frame drains and leaves room */
		r = ap_put_data(fb, sizeof(fb), 9, AP_STDIN, big, sizeof(big));
		sp = ap_decoder_space(&d, &room);
		ok(room == AP_HDR_LEN + AP_MAX_PAYLOAD, "room for a whole max frame");
		memcpy(sp, fb, (size_t)r);
		ap_decoder_commit(&d, (size_t)r + 100); /* over-commit is clamped */
		ok(ap_decoder_next(&d, &h, &p) == 1 && h.len == AP_MAX_PAYLOAD, "max frame filling the buffer");
		sp = ap_decoder_space(&d, &room);
		ok(room == AP_HDR_LEN + AP_MAX_PAYLOAD, "all room back after it");
		memcpy(sp, "garbage", 7);
		ap_decoder_commit(&d, 7);
		ap_decoder_reset(&d);
		ok(ap_decoder_next(&d, &h, &p) == 0 && (ap_decoder_space(&d, &room), room) == AP_HDR_LEN + AP_MAX_PAYLOAD,
		   "reset forgets buffered bytes");
		ap_decoder_fini(&d);
	}
	ap_decoder_fini(NULL);
	ok(1, "fini of NULL");
}

/* Random bytes into parsers and the decoder: nothing to check but survival (ASan/valgrind catch the rest). */
static void test_random(void)
{
	const char *argv[AP_MAX_ARGS], *env[AP_MAX_ARGS], *s;
	static uint8_t buf[4096];
	struct ap_decoder d;
	struct ap_open o;
	struct got g = { 0 };
	uint32_t a, b;
	uint64_t c;
	uint16_t r16, c16;
	uint8_t u8;
	const uint8_t *dp;
	int32_t code;
	int i, j, len;

	if (ap_decoder_init(&d) < 0)
		return;
	for (i = 0; i < 20000; i++) {
		len = rand() % 64;
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)(rand() % 4 == 0 ? 0 : rand());
		ap_parse_hello(buf, (uint32_t)len, &a, &c, &s);
		ap_parse_u64(buf, (uint32_t)len, &c);
		ap_parse_open(buf, (uint32_t)len, &o, argv, env);
		ap_parse_open_target(buf, (uint32_t)len, &s);
		ap_parse_opened(buf, (uint32_t)len, buf[0], &a, &b, &c);
		ap_parse_data(buf, (uint32_t)len, &u8, &dp, &a);
		ap_parse_stream(buf, (uint32_t)len, &u8);
		ap_parse_window(buf, (uint32_t)len, &u8, &a);
		ap_parse_resize(buf, (uint32_t)len, &r16, &c16);
		ap_parse_signal(buf, (uint32_t)len, &u8);
		ap_parse_close(buf, (uint32_t)len, &code, &s);
		if (len > 2 && rand() % 2) {
			buf[0] = 0x56;
			buf[1] = 0x4c;
			buf[2] = 1;
		}
		g.n = 0;
		feed(&d, buf, (size_t)len, 0, &g);
	}
	ap_decoder_fini(&d);
	ok(1, "20000 random payloads through every parser and the decoder");
}

int main(void)
{
	srand(1);
	test_link_frames();
	test_open();
	test_channel_frames();
	test_hdr_checks();
	test_stream();
	test_random();
	return tap_done();
}
