/* SPDX-License-Identifier: GPL-2.0-only */
/* The pcapng block walker: framing checks and field decoding (pcapng_read.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"

static uint16_t rd16(const struct pcapng_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return r->swapped ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct pcapng_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return r->swapped ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct pcapng_reader *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return r->swapped ? __builtin_bswap64(v) : v;
}

/* A timestamp split in two 32-bit words, high first. */
static uint64_t rdts(const struct pcapng_reader *r, const uint8_t *p)
{
	return (uint64_t)rd32(r, p) << 32 | rd32(r, p + 4);
}

void pcapng_reader_fini(struct pcapng_reader *r)
{
	if (!r)
		return;
	free(r->ifs);
	memset(r, 0, sizeof(*r));
}

const struct pcapng_if *pcapng_if_get(const struct pcapng_reader *r, uint32_t ifid)
{
	return ifid < r->nb_if ? &r->ifs[ifid] : NULL;
}

/* Copy a string option into dst (NUL-terminated, truncated). */
static void opt_str(char *dst, size_t size, const uint8_t *val, uint16_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(dst, val, n);
	dst[n] = '\0';
	/* some writers count a NUL in the length */
	dst[strnlen(dst, n)] = '\0';
}

static int add_if(struct pcapng_reader *r, const struct pcapng_block *b, const uint8_t *body,
		  struct vnl_err *err)
{
	struct pcapng_if *ifp;
	const uint8_t *val;
	uint16_t code, len;
	size_t pos = 0;
	uint64_t v;

	if (r->nb_if >= PCAPNG_IF_MAX)
		return vnl_errf(err, -EPROTO, "pcapng: more than %u interfaces in a section (offset %llu)",
				PCAPNG_IF_MAX, (unsigned long long)r->offset);
	if (r->nb_if == r->cap_if) {
		uint32_t cap = r->cap_if ? 2 * r->cap_if : 16;
		struct pcapng_if *n = realloc(r->ifs, cap * sizeof(*n));

		if (!n)
			return vnl_errf(err, -ENOMEM, "pcapng: out of memory");
		r->ifs = n;
		r->cap_if = cap;
	}
	ifp = &r->ifs[r->nb_if];
	memset(ifp, 0, sizeof(*ifp));
	ifp->linktype = rd16(r, body);
	ifp->snaplen = rd32(r, body + 4);
	ifp->tsresol = 6;
	while (pcapng_opt_next(r, b, &pos, &code, &len, &val) == 1) {
		if (code == PCAPNG_IF_NAME)
			opt_str(ifp->name, sizeof(ifp->name), val, len);
		else if (code == PCAPNG_IF_DESCRIPTION)
			opt_str(ifp->descr, sizeof(ifp->descr), val, len);
		else if (code == PCAPNG_IF_TSRESOL && len == 1)
			ifp->tsresol = val[0];
		else if (code == PCAPNG_IF_TSOFFSET && pcapng_opt_uint(r, val, len, &v) == 0)
			ifp->tsoffset = (int64_t)v;
	}
	r->nb_if++;
	return 0;
}

/* The body length each known block type needs before its options. */
static size_t fixed_len(uint32_t type)
{
	switch (type) {
	case PCAPNG_SHB: return 16;
	case PCAPNG_IDB: return 8;
	case PCAPNG_EPB: return 20;
	case PCAPNG_ISB: return 12;
	default: return 0;
	}
}

/* The byte order of the SHB at buf (n >= 12) from its magic: 0 (host), 1 (swapped), -EPROTO. */
static int shb_order(const struct pcapng_reader *r, const uint8_t *buf, struct vnl_err *err)
{
	uint32_t magic;

	memcpy(&magic, buf + 8, 4);
	if (magic == PCAPNG_BYTE_ORDER_MAGIC)
		return 0;
	if (magic == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
		return 1;
	return vnl_errf(err, -EPROTO, "pcapng: section header at offset %llu has a bad byte-order magic",
			(unsigned long long)r->offset);
}

/* The first bytes of a stream that is not pcapng: say what it is. */
static int not_pcapng(const uint8_t *buf, struct vnl_err *err)
{
	uint32_t m;

	memcpy(&m, buf, 4);
	if (m == 0xa1b2c3d4u || m == 0xa1b23c4du || m == 0xd4c3b2a1u || m == 0x4d3cb2a1u)
		return vnl_errf(err, -EPROTO, "a pcap file, not pcapng (convert it with editcap -F pcapng)");
	return vnl_errf(err, -EPROTO, "not a pcapng stream (it does not start with a section header)");
}

static int decode(struct pcapng_reader *r, const uint8_t *buf, struct pcapng_block *b,
		  struct vnl_err *err)
{
	const uint8_t *body = buf + 8;
	size_t blen = b->len - 12, fl = fixed_len(b->type);
	uint64_t pad;

	if (blen < fl)
		return vnl_errf(err, -EPROTO, "pcapng: block 0x%x at offset %llu is too short (%u bytes)",
				b->type, (unsigned long long)r->offset, b->len);
	if (fl) {
		b->opts = body + fl;
		b->opts_len = blen - fl;
	}
	switch (b->type) {
	case PCAPNG_SHB:
		b->shb.major = rd16(r, body + 4);
		b->shb.minor = rd16(r, body + 6);
		b->shb.section_len = (int64_t)rd64(r, body + 8);
		if (b->shb.major != 1)
			return vnl_errf(err, -EPROTO, "pcapng: section version %u.%u is not 1.x",
					b->shb.major, b->shb.minor);
		return 0;
	case PCAPNG_IDB:
		b->idb.id = r->nb_if;
		return add_if(r, b, body, err);
	case PCAPNG_EPB:
		b->epb.ifid = rd32(r, body);
		b->epb.ts = rdts(r, body + 4);
		b->epb.caplen = rd32(r, body + 12);
		b->epb.origlen = rd32(r, body + 16);
		b->epb.data = body + 20;
		pad = ((uint64_t)b->epb.caplen + 3) & ~(uint64_t)3;
		if (pad > blen - fl)
			return vnl_errf(err, -EPROTO, "pcapng: packet at offset %llu: caplen %u beyond its block",
					(unsigned long long)r->offset, b->epb.caplen);
		b->opts = body + fl + pad;
		b->opts_len = blen - fl - pad;
		if (b->epb.ifid >= r->nb_if)
			return vnl_errf(err, -EPROTO, "pcapng: packet at offset %llu names interface %u, undescribed",
					(unsigned long long)r->offset, b->epb.ifid);
		return 0;
	case PCAPNG_ISB:
		b->isb.ifid = rd32(r, body);
		b->isb.ts = rdts(r, body + 4);
		if (b->isb.ifid >= r->nb_if)
			return vnl_errf(err, -EPROTO, "pcapng: statistics at offset %llu name interface %u, undescribed",
					(unsigned long long)r->offset, b->isb.ifid);
		return 0;
	default:
		return 0;
	}
}

long pcapng_next(struct pcapng_reader *r, const uint8_t *buf, size_t n, struct pcapng_block *b,
		 struct vnl_err *err)
{
	struct pcapng_reader look = *r; /* the state as this block reads it; kept when whole */
	uint32_t type, len;
	int e;

	if (n < 12)
		return 0;
	memcpy(&type, buf, 4); /* the SHB's type reads the same in both orders */
	if (!r->started && type != PCAPNG_SHB)
		return not_pcapng(buf, err);
	if (type == PCAPNG_SHB) {
		if ((e = shb_order(r, buf, err)) < 0)
			return e;
		look.swapped = e;
	}
	type = rd32(&look, buf);
	len = rd32(&look, buf + 4);
	if (len < 12 || len % 4 || len > PCAPNG_BLOCK_MAX)
		return vnl_errf(err, -EPROTO, "pcapng: block 0x%x at offset %llu has a bad length %u",
				type, (unsigned long long)r->offset, len);
	if (n < len)
		return 0;
	if (rd32(&look, buf + len - 4) != len)
		return vnl_errf(err, -EPROTO, "pcapng: block 0x%x at offset %llu: trailing length %u differs from %u",
				type, (unsigned long long)r->offset, rd32(&look, buf + len - 4), len);
	if (type == PCAPNG_SHB) {
		r->swapped = look.swapped;
		r->started = true;
		r->nb_if = 0;
	}
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->len = len;
	e = decode(r, buf, b, err);
	if (e < 0)
		return e;
	r->offset += len;
	return len;
}

int pcapng_opt_next(const struct pcapng_reader *r, const struct pcapng_block *b, size_t *pos,
		    uint16_t *code, uint16_t *len, const uint8_t **val)
{
	size_t left;

	if (!b->opts || *pos + 4 > b->opts_len)
		return 0;
	*code = rd16(r, b->opts + *pos);
	*len = rd16(r, b->opts + *pos + 2);
	if (*code == PCAPNG_OPT_END)
		return 0;
	left = b->opts_len - *pos - 4;
	if (*len > left)
		return -EPROTO;
	*val = b->opts + *pos + 4;
	*pos += 4 + ((*len + 3u) & ~3u);
	return 1;
}

int pcapng_opt_find(const struct pcapng_reader *r, const struct pcapng_block *b, uint16_t code,
		    uint16_t *len, const uint8_t **val)
{
	uint16_t c, l;
	const uint8_t *v;
	size_t pos = 0;

	while (pcapng_opt_next(r, b, &pos, &c, &l, &v) == 1)
		if (c == code) {
			*len = l;
			*val = v;
			return 1;
		}
	return 0;
}

int pcapng_opt_uint(const struct pcapng_reader *r, const uint8_t *val, uint16_t len, uint64_t *v)
{
	if (len == 8)
		*v = rd64(r, val);
	else if (len == 4)
		*v = rd32(r, val);
	else
		return -EINVAL;
	return 0;
}

int pcapng_opt_ts(const struct pcapng_reader *r, const uint8_t *val, uint16_t len, uint64_t *ts)
{
	if (len != 8)
		return -EINVAL;
	*ts = rdts(r, val);
	return 0;
}

uint64_t pcapng_ts_ns(const struct pcapng_reader *r, uint32_t ifid, uint64_t ts)
{
	const struct pcapng_if *ifp = pcapng_if_get(r, ifid);
	uint8_t res = ifp ? ifp->tsresol : 6, v = res & 0x7f;
	uint64_t off = ifp ? (uint64_t)ifp->tsoffset * 1000000000ull : 0, p = 1;
	unsigned __int128 t;

	if (res & 0x80) {
		if (v >= 64)
			return off;
		t = ((unsigned __int128)ts * 1000000000u) >> v;
		return (uint64_t)t + off;
	}
	if (v <= 9) {
		for (uint8_t i = v; i < 9; i++)
			p *= 10;
		return ts * p + off;
	}
	for (uint8_t i = 9; i < v && i < 29; i++)
		p *= 10;
	return (v >= 29 ? 0 : ts / p) + off;
}
