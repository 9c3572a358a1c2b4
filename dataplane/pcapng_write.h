/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcapng output for captures (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
 * the blocks the switch frames a capture with (Section Header, Interface
 * Description, Interface Statistics; Enhanced Packet Blocks come from
 * rte_pcapng_copy in the worker, pcapng_epb here is the same layout for
 * tests), and a resumable writer of a queue of byte pieces to a
 * non-blocking fd. No DPDK here.
 *
 * Blocks are appended to a growable buffer in host byte order (the SHB's
 * byte-order magic tells readers), every block and option padded to 4
 * bytes, options ended by opt_endofopt when there are any. Timestamps are
 * nanoseconds (the IDB says if_tsresol 9).
 *
 * The writer writes pieces in order, each whole before the next: a caller
 * that queues whole blocks gets a stream of whole blocks whatever the fd
 * takes at a time (a short write is resumed where it stopped). A piece's
 * tag is handed to the done callback once all its bytes are written, or
 * when the writer is discarded.
 *
 * Errors: 0 or -errno. Thread-safety: none; one thread per buffer/writer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Block types and option codes used here (pcapng draft, section 4 and 10). */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_ISB 0x00000005u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_EPB_FLAG_INBOUND 1   /* epb_flags direction bits */
#define PCAPNG_EPB_FLAG_OUTBOUND 2

/* A growable byte buffer that blocks are appended to. */
struct pcapng_buf {
	uint8_t *p;    /* malloc'ed, NULL when empty */
	size_t len;    /* bytes used */
	size_t cap;    /* bytes allocated */
	int err;       /* inside a builder: the first failure (-ENOMEM); 0 between blocks */
};

/* Free b's bytes; b is then empty. */
void pcapng_buf_free(struct pcapng_buf *b);

/* Section Header Block, section length -1 (a stream). NULL strings are left
 * out (shb_hardware, shb_os, shb_userappl, opt_comment). */
int pcapng_shb(struct pcapng_buf *b, const char *hardware, const char *os, const char *appl,
	       const char *comment);

/* Interface Description Block, link type Ethernet, if_tsresol 9. name,
 * descr, filter (if_filter, type 0: libpcap text) and mac (if_MACaddr, 6
 * bytes) are left out when NULL. */
int pcapng_idb(struct pcapng_buf *b, uint32_t snaplen, const char *name, const char *descr,
	       const char *filter, const uint8_t *mac);

/* The counts of an Interface Statistics Block. */
struct pcapng_isb_counts {
	uint64_t start_ns, end_ns; /* isb_starttime, isb_endtime */
	uint64_t ifrecv;           /* isb_ifrecv: frames the interface saw */
	uint64_t ifdrop;           /* isb_ifdrop: frames lost by the capture */
	uint64_t filteraccept;     /* isb_filteraccept: frames the filter kept */
};

/* Interface Statistics Block for interface ifid at ts_ns. */
int pcapng_isb(struct pcapng_buf *b, uint32_t ifid, uint64_t ts_ns, const struct pcapng_isb_counts *c);

/* Enhanced Packet Block of caplen bytes of data (origlen on the wire), with
 * epb_flags when flags is not 0. The layout rte_pcapng_copy makes. */
int pcapng_epb(struct pcapng_buf *b, uint32_t ifid, uint64_t ts_ns, const void *data, uint32_t caplen,
	       uint32_t origlen, uint32_t flags);

/* One piece of the stream: len bytes at p; tag goes to done when written. */
struct pcapng_piece {
	const void *p;
	size_t len;
	void *tag;     /* NULL: nothing to hand back */
};

struct pcapng_writer {
	int fd;                          /* non-blocking, the writer's (closed by the caller) */
	void (*done)(void *tag, void *arg); /* a piece with a tag is written or discarded */
	void *arg;                       /* for done */
	struct pcapng_piece *q;          /* ring of cap pieces */
	unsigned cap, head, n;           /* capacity (a power of two), first, count */
	size_t off;                      /* bytes of q[head] written already */
	uint64_t bytes;                  /* bytes written in all */
};

/* A writer to fd with room for cap pieces (rounded up to a power of two). */
int pcapng_writer_init(struct pcapng_writer *w, int fd, unsigned cap, void (*done)(void *tag, void *arg),
		       void *arg);
/* Discard what is queued (done for each tag) and free the queue; the fd
 * stays open. A zeroed writer is fine. */
void pcapng_writer_fini(struct pcapng_writer *w);
/* Queue a piece. -ENOSPC when the queue is full (flush first). */
int pcapng_writer_add(struct pcapng_writer *w, const void *p, size_t len, void *tag);
/* Room for that many more pieces. */
unsigned pcapng_writer_room(const struct pcapng_writer *w);
/*
 * Write what the fd takes (writev, up to IOV_MAX pieces at a time).
 * 0: the queue is empty; -EAGAIN: the fd is full, the rest stays queued
 * (wait for EPOLLOUT); another -errno (-EPIPE: the reader is gone): the
 * stream is broken, the queue is kept for fini.
 */
int pcapng_writer_flush(struct pcapng_writer *w);
