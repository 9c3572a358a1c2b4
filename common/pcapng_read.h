/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng block walker (https://ietf-opsawg-wg.github.io/draft-ietf-opsawg-pcap/
 * draft-ietf-opsawg-pcapng.html): given the bytes of a stream or a file, it
 * finds whole blocks, checks their framing and decodes the fields of the
 * four blocks vnetlab writes and reads: SHB (section header), IDB
 * (interface description), EPB (enhanced packet) and ISB (interface
 * statistics). Any other block type is framed and returned opaque, so a
 * copier can pass it on whole. Used by `vnl capture` (it copies whole
 * blocks to its sink and prints the packets), the unit tests and the fuzz
 * target pcapng_read_fuzz.
 *
 * Both byte orders are read: each section's SHB says which, and every
 * field below is returned in host order (the option values stay as raw
 * bytes; pcapng_opt_u64() converts).
 *
 * A stream must start with an SHB. Framing errors (a length below 12 or
 * not a multiple of 4, beyond PCAPNG_BLOCK_MAX, a trailing length that
 * differs, a body too short for its block type, an EPB or ISB naming an
 * interface the section has not described, a caplen beyond the block)
 * are -EPROTO with a message naming the block's offset; the walker cannot
 * resynchronise after one.
 *
 * Errors: 0 / negative errno with a message in err (common/err.h).
 * Thread-safety: a reader belongs to one thread. Nothing here prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PCAPNG_SHB 0x0A0D0D0Au    /* section header block */
#define PCAPNG_IDB 0x00000001u    /* interface description block */
#define PCAPNG_SPB 0x00000003u    /* simple packet block (framed, opaque) */
#define PCAPNG_EPB 0x00000006u    /* enhanced packet block */
#define PCAPNG_ISB 0x00000005u    /* interface statistics block */
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* The largest block accepted (Wireshark's limit too). */
#define PCAPNG_BLOCK_MAX (16u << 20)
/* Interfaces described per section; more is -EPROTO. */
#define PCAPNG_IF_MAX 4096u

/* Option codes (the spec's registry) used by vnetlab. */
enum {
	PCAPNG_OPT_END = 0, PCAPNG_OPT_COMMENT = 1,
	PCAPNG_SHB_HARDWARE = 2, PCAPNG_SHB_OS = 3, PCAPNG_SHB_USERAPPL = 4,
	PCAPNG_IF_NAME = 2, PCAPNG_IF_DESCRIPTION = 3, PCAPNG_IF_MACADDR = 6,
	PCAPNG_IF_TSRESOL = 9, PCAPNG_IF_FILTER = 11, PCAPNG_IF_TSOFFSET = 14,
	PCAPNG_EPB_FLAGS = 2, PCAPNG_EPB_QUEUE = 6,
	PCAPNG_ISB_STARTTIME = 2, PCAPNG_ISB_ENDTIME = 3, PCAPNG_ISB_IFRECV = 4,
	PCAPNG_ISB_IFDROP = 5, PCAPNG_ISB_FILTERACCEPT = 6, PCAPNG_ISB_OSDROP = 7,
	PCAPNG_ISB_USRDELIV = 8,
};

/* The direction bits of epb_flags (pcapng: 01 inbound, 10 outbound). */
#define PCAPNG_DIR_IN 1u
#define PCAPNG_DIR_OUT 2u

/* What the reader remembers of one interface of the current section. */
struct pcapng_if {
	uint16_t linktype;   /* LINKTYPE_* (1: Ethernet) */
	uint32_t snaplen;    /* 0: no limit */
	uint8_t tsresol;     /* if_tsresol: bit 7 clear 10^-v, set 2^-v s; 6 when absent */
	int64_t tsoffset;    /* if_tsoffset, seconds; 0 when absent */
	char name[64];       /* if_name, truncated, "" when absent */
	char descr[160];     /* if_description, truncated, "" when absent */
};

/* One block found by pcapng_next(). Pointers point into the caller's
 * bytes and live as long as they do. */
struct pcapng_block {
	uint32_t type;           /* PCAPNG_* or any other type (opaque) */
	uint32_t len;            /* total length, trailing length included */
	const uint8_t *opts;     /* the options area (SHB, IDB, EPB, ISB), else NULL */
	size_t opts_len;
	union {
		struct {
			uint16_t major, minor;
			int64_t section_len; /* -1: not given (streams) */
		} shb;
		struct {
			uint32_t id;     /* the interface id this IDB gets (0, 1, ...) */
		} idb;
		struct {
			uint32_t ifid;
			uint64_t ts;     /* raw, in the interface's resolution */
			uint32_t caplen, origlen;
			const uint8_t *data;  /* caplen bytes */
		} epb;
		struct {
			uint32_t ifid;
			uint64_t ts;
		} isb;
	};
};

/* A walker's state: the current section's byte order and interfaces. */
struct pcapng_reader {
	bool swapped;            /* the section's byte order is not the host's */
	bool started;            /* an SHB was seen */
	uint32_t nb_if;          /* interfaces described in this section */
	struct pcapng_if *ifs;   /* malloc'ed, nb_if used */
	uint32_t cap_if;
	uint64_t offset;         /* stream offset of the next block (for messages) */
};

/* A zeroed reader is ready; pcapng_reader_fini() frees it (NULL-safe). */
void pcapng_reader_fini(struct pcapng_reader *r);

/*
 * Look at the bytes buf[0..n), which start at a block boundary. Returns
 * the length of the whole block found there (> 0; *b decoded, the
 * reader's state updated: an SHB starts a new section, an IDB adds an
 * interface), 0 when more bytes are needed to tell (n below the block's
 * length; nothing changed), or -EPROTO (framing; see above) / -ENOMEM.
 * The caller consumes exactly the returned count before the next call.
 */
long pcapng_next(struct pcapng_reader *r, const uint8_t *buf, size_t n, struct pcapng_block *b,
		 struct vnl_err *err);

/*
 * Walk the options of block b: set *pos to 0 first; each call returns 1
 * with *code, *len and *val (len bytes, unpadded), or 0 at the end
 * (opt_endofopt or the area's end), or -EPROTO when an option runs past
 * the area.
 */
int pcapng_opt_next(const struct pcapng_reader *r, const struct pcapng_block *b, size_t *pos,
		    uint16_t *code, uint16_t *len, const uint8_t **val);

/* The first option `code` of b: 1 with *len and *val, 0 if absent or the options are malformed. */
int pcapng_opt_find(const struct pcapng_reader *r, const struct pcapng_block *b, uint16_t code,
		    uint16_t *len, const uint8_t **val);

/* An option value of 4 or 8 bytes as an integer in host order (*v), 0;
 * -EINVAL for another length. */
int pcapng_opt_uint(const struct pcapng_reader *r, const uint8_t *val, uint16_t len, uint64_t *v);

/* A timestamp option of 8 bytes (isb_starttime, isb_endtime: two words,
 * high first, as in the EPB) into *ts, raw; -EINVAL for another length. */
int pcapng_opt_ts(const struct pcapng_reader *r, const uint8_t *val, uint16_t len, uint64_t *ts);

/* An EPB's or ISB's timestamp of interface ifid as nanoseconds since the epoch. */
uint64_t pcapng_ts_ns(const struct pcapng_reader *r, uint32_t ifid, uint64_t ts);

/* The interface ifid of the current section, NULL when not described. */
const struct pcapng_if *pcapng_if_get(const struct pcapng_reader *r, uint32_t ifid);
