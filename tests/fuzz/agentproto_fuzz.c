/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the agent protocol codec (common/agentproto.c).
 * Input: byte 0 picks the chunk size the stream is fed in (1..256), the
 * rest is the byte stream of a link.  Every frame the decoder returns must
 * pass ap_hdr_ok and sit inside the fed bytes; its payload goes through
 * every parser (whatever the type), and a payload that parses for its own
 * type must encode back to exactly the same bytes (the encoding is
 * canonical), which checks parsers and writers against each other.
 * ASan/UBSan report any out-of-bounds read or undefined behaviour.
 * Built and run by run_fuzz.sh (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdlib.h>
#include <string.h>

#include "agentproto.h"

#define FRAME_MAX (AP_HDR_LEN + AP_MAX_PAYLOAD)

static uint8_t enc[FRAME_MAX];

/* The encoding of the frame must equal its bytes on the wire. */
static void same(const uint8_t *frame, size_t flen, int n)
{
	if (n < 0 || (size_t)n != flen || memcmp(enc, frame, flen))
		abort();
}

static void check_frame(const struct ap_hdr *h, const uint8_t *p, const uint8_t *frame, size_t flen)
{
	const char *argv[AP_MAX_ARGS], *env[AP_MAX_ARGS], *s;
	struct ap_open o;
	uint32_t a, b;
	uint64_t c;
	uint16_t r16, c16;
	uint8_t u8;
	const uint8_t *dp;
	int32_t code;
	unsigned op;

	/* every parser on every payload: only memory safety matters here */
	ap_parse_hello(p, h->len, &a, &c, &s);
	ap_parse_u64(p, h->len, &c);
	ap_parse_open(p, h->len, &o, argv, env);
	ap_parse_open_target(p, h->len, &s);
	for (op = 0; op <= AP_OP_MAX; op++)
		ap_parse_opened(p, h->len, (uint8_t)op, &a, &b, &c);
	ap_parse_data(p, h->len, &u8, &dp, &a);
	ap_parse_stream(p, h->len, &u8);
	ap_parse_window(p, h->len, &u8, &a);
	ap_parse_resize(p, h->len, &r16, &c16);
	ap_parse_signal(p, h->len, &u8);
	ap_parse_close(p, h->len, &code, &s);

	/* the parser of its own type, then encode back */
	switch (h->type) {
	case AP_HELLO:
		if (ap_parse_hello(p, h->len, &a, &c, &s) == 0 && a == AP_VERSION && !memcmp(p + 4, "\0\0\0\0", 4))
			same(frame, flen, ap_put_hello(enc, sizeof(enc), c, s));
		break;
	case AP_PING:
	case AP_PONG:
		if (ap_parse_u64(p, h->len, &c) == 0)
			same(frame, flen, ap_put_ping(enc, sizeof(enc), h->type, c));
		break;
	case AP_OPEN:
		if (ap_parse_open(p, h->len, &o, argv, env) == 0)
			same(frame, flen, ap_put_open(enc, sizeof(enc), h->chan, &o));
		if (ap_parse_open_target(p, h->len, &s) == 0 && strlen(s) + 11 > h->len)
			abort();
		break;
	case AP_OPENED:
		for (op = 1; op < AP_OP_MAX; op++)
			if (ap_parse_opened(p, h->len, (uint8_t)op, &a, &b, &c) == 0)
				same(frame, flen, ap_put_opened(enc, sizeof(enc), h->chan, (uint8_t)op, a, b, c));
		break;
	case AP_DATA:
		if (ap_parse_data(p, h->len, &u8, &dp, &a) == 0)
			same(frame, flen, ap_put_data(enc, sizeof(enc), h->chan, u8, dp, a));
		break;
	case AP_EOF:
		if (ap_parse_stream(p, h->len, &u8) == 0)
			same(frame, flen, ap_put_eof(enc, sizeof(enc), h->chan, u8));
		break;
	case AP_WINDOW:
		if (ap_parse_window(p, h->len, &u8, &a) == 0)
			same(frame, flen, ap_put_window(enc, sizeof(enc), h->chan, u8, a));
		break;
	case AP_RESIZE:
		if (ap_parse_resize(p, h->len, &r16, &c16) == 0)
			same(frame, flen, ap_put_resize(enc, sizeof(enc), h->chan, r16, c16));
		break;
	case AP_SIGNAL:
		if (ap_parse_signal(p, h->len, &u8) == 0)
			same(frame, flen, ap_put_signal(enc, sizeof(enc), h->chan, u8));
		break;
	case AP_CLOSE:
		if (ap_parse_close(p, h->len, &code, &s) == 0)
			same(frame, flen, ap_put_close(enc, sizeof(enc), h->chan, code, s));
		break;
	default:
		abort(); /* the decoder let an unknown type through */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ap_decoder d;
	size_t step, pos = 1, room, k, flen;
	const uint8_t *p;
	struct ap_hdr h;
	uint8_t *sp, *frame;

	if (size < 1)
		return 0;
	if (d.buf == NULL && ap_decoder_init(&d) < 0)
		abort();
	ap_decoder_reset(&d);
	step = (size_t)data[0] + 1;
	while (pos < size) {
		sp = ap_decoder_space(&d, &room);
		if (room == 0)
			abort(); /* next() returned 0 with a full buffer */
		k = step < size - pos ? step : size - pos;
		if (k > room)
			k = room;
		memcpy(sp, data + pos, k);
		ap_decoder_commit(&d, k);
		pos += k;
		while (ap_decoder_next(&d, &h, &p) == 1) {
			frame = ap_decoder_frame(&d, &flen);
			if (!ap_hdr_ok(&h) || flen != AP_HDR_LEN + h.len || p != frame + AP_HDR_LEN)
				abort();
			check_frame(&h, p, frame, flen);
		}
	}
	return 0;
}
