/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the pcapng block walker (common/pcapng_read.c) and
 * vnl capture's line printer (cli/pktline.c): what `vnl capture` reads
 * from the switch's pipe or from `-r FILE`.
 * Input: byte 0 picks the chunk size the stream is fed in (1..256), the
 * rest is the stream. Every block returned must lie inside the fed bytes
 * and keep the framing promised (length a multiple of 4, >= 12); its
 * options are walked to the end, the fields of IDB, EPB and ISB read, the
 * EPB's bytes printed by pktline into a small buffer. Once the walker
 * refuses, it is never called again (it cannot resynchronise).
 * ASan/UBSan report any out-of-bounds read or undefined behaviour.
 * Built and run by run_fuzz.sh (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"
#include "pktline.h"

static uint8_t acc[1 << 20];

static void use(struct pcapng_reader *r, const struct pcapng_block *b)
{
	const uint8_t *v;
	uint16_t code, len;
	size_t pos = 0;
	uint64_t x;
	char line[200];

	if (b->len < 12 || b->len % 4)
		abort();
	while (pcapng_opt_next(r, b, &pos, &code, &len, &v) == 1)
		if (v < b->opts || v + len > b->opts + b->opts_len || pcapng_opt_uint(r, v, len, &x) > 0)
			abort();
	if (b->type == PCAPNG_EPB) {
		if (!pcapng_if_get(r, b->epb.ifid))
			abort();
		(void)pcapng_ts_ns(r, b->epb.ifid, b->epb.ts);
		pktline_eth(line, sizeof(line), b->epb.data, b->epb.caplen, b->epb.origlen);
		if (strlen(line) >= sizeof(line))
			abort();
	} else if (b->type == PCAPNG_ISB) {
		(void)pcapng_ts_ns(r, b->isb.ifid, b->isb.ts);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_reader r = { 0 };
	struct pcapng_block b;
	size_t step, have = 0, fed = 0, k;
	long got = 0;

	if (size < 1 || size > sizeof(acc))
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	while (fed < size && got >= 0) {
		k = step < size - fed ? step : size - fed;
		memcpy(acc + have, data + fed, k);
		have += k;
		fed += k;
		while ((got = pcapng_next(&r, acc, have, &b, NULL)) > 0) {
			if ((size_t)got > have)
				abort();
			use(&r, &b);
			memmove(acc, acc + got, have - (size_t)got);
			have -= (size_t)got;
		}
	}
	pcapng_reader_fini(&r);
	return 0;
}
