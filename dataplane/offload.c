/* SPDX-License-Identifier: GPL-2.0-only */
/* rte_ip.h's mbuf-chain checksums are experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "offload.h"

static struct rte_mempool *indirect_pool;
static struct rte_gso_ctx gso_ctx; /* gso_size is set per frame on a copy */

int ol_init(struct rte_mempool *direct, int socket)
{
	/* Data-less mbufs that point into the segmented frame: 64 KiB = 33 of
	 * them per worker and frame; 16383 is ~2 MiB. */
	indirect_pool = rte_pktmbuf_pool_create("vnl_indirect", 16383, 256, 0, 0, socket);
	if (indirect_pool == NULL)
		return -rte_errno;
	gso_ctx = (struct rte_gso_ctx){
		.direct_pool = direct,
		.indirect_pool = indirect_pool,
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
		.flag = 0, /* IPv4 ids increment per segment, as Linux does */
	};
	return 0;
}

void ol_fini(void)
{
	rte_mempool_free(indirect_pool);
	indirect_pool = NULL;
	gso_ctx = (struct rte_gso_ctx){ 0 };
}

struct rte_mempool *ol_indirect_pool(void)
{
	return indirect_pool;
}

/* Parse m's headers into l2/l3/l4_len. Returns the ptype, or 0 when the
 * headers are not all in the first segment (the state's rule). */
static uint32_t ol_parse(struct rte_mbuf *m)
{
	struct rte_net_hdr_lens hl;
	uint32_t pt = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);

	if ((uint32_t)hl.l2_len + hl.l3_len + hl.l4_len > m->data_len)
		return 0;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = hl.l4_len;
	return pt;
}

static inline bool pt_tcp(uint32_t pt)
{
	return (pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP;
}

static inline bool pt_udp(uint32_t pt)
{
	return (pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP;
}

static inline uint64_t pt_l3_flag(uint32_t pt)
{
	return RTE_ETH_IS_IPV4_HDR(pt) ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
}

/* Fold the sum from start to the end into the field at start+off (which
 * holds the sender's seed, the pseudo-header): what Linux's
 * skb_checksum_help does for a NEEDS_CSUM we cannot keep partial. */
static int ol_csum_generic(struct rte_mbuf *m, uint32_t start, uint32_t off)
{
	uint16_t sum, *field;

	if (start + off + 2 > m->data_len || start >= m->pkt_len)
		return -EINVAL;
	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum) < 0)
		return -EINVAL;
	field = rte_pktmbuf_mtod_offset(m, uint16_t *, start + off);
	*field = (uint16_t)~sum;
	return 0;
}

int ol_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *h)
{
	uint8_t gso = h->gso_type;
	uint64_t ol = 0;
	uint32_t pt;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		/* DATA_VALID or nothing: complete. GSO needs a partial checksum. */
		return gso == VIRTIO_NET_HDR_GSO_NONE ? 0 : -EINVAL;
	pt = ol_parse(m);
	if (pt && h->csum_start == m->l2_len + m->l3_len &&
	    ((pt_tcp(pt) && h->csum_offset == TCP_CSUM_OFF) || (pt_udp(pt) && h->csum_offset == UDP_CSUM_OFF)))
		ol = pt_l3_flag(pt) | (pt_tcp(pt) ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (ol == 0)
			return ol_csum_generic(m, h->csum_start, h->csum_offset);
		m->ol_flags = ol;
		return 0;
	}
	/* Only TCP/IPv4 without ECN: what rte_gso can cut and what we offer. */
	if (gso != VIRTIO_NET_HDR_GSO_TCPV4 || !(ol & RTE_MBUF_F_TX_IPV4) || !pt_tcp(pt) ||
	    h->gso_size == 0 || m->pkt_len > VNL_GSO_MAX_FRAME)
		return -EINVAL;
	m->ol_flags = ol | RTE_MBUF_F_TX_TCP_SEG;
	m->tso_segsz = h->gso_size;
	return 0;
}

int ol_from_vhost(struct rte_mbuf *m)
{
	uint64_t rx = m->ol_flags;
	uint32_t pt = ol_parse(m);
	uint64_t ol;

	if (!(pt_tcp(pt) || pt_udp(pt)))
		return -EINVAL;
	ol = pt_l3_flag(pt) | (pt_tcp(pt) ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	if (rx & RTE_MBUF_F_RX_LRO) {
		if (!pt_tcp(pt) || !RTE_ETH_IS_IPV4_HDR(pt) || m->tso_segsz == 0 ||
		    m->pkt_len > VNL_GSO_MAX_FRAME)
			return -EINVAL;
		ol |= RTE_MBUF_F_TX_TCP_SEG;
	}
	m->ol_flags = ol; /* the RX flags are consumed */
	return 0;
}

void ol_to_vnet(struct rte_mbuf *m, struct virtio_net_hdr *h)
{
	uint64_t ol = m->ol_flags;

	*h = (struct virtio_net_hdr){ 0 };
	if (likely(!(ol & VNL_TX_OL_ANY)))
		return;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)(m->l2_len + m->l3_len);
	h->csum_offset = (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM ? UDP_CSUM_OFF : TCP_CSUM_OFF;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		h->gso_type = (ol & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = m->tso_segsz;
		h->hdr_len = (uint16_t)(m->l2_len + m->l3_len + m->l4_len);
		if (ol & RTE_MBUF_F_TX_IPV4) {
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);

			*rte_pktmbuf_mtod_offset(m, uint16_t *, h->csum_start + TCP_CSUM_OFF) = rte_ipv4_phdr_cksum(ip, 0);
		}
	}
}

/* Complete the checksums of a frame (or segment) c whose headers are in its
 * first segment at the offsets of the state ol (its own flags may be gone):
 * the IPv4 header when segmentation rewrote it, then the L4 checksum. */
static void ol_csum_complete(struct rte_mbuf *c, uint64_t ol, uint16_t l2, uint16_t l3, bool seg)
{
	uint16_t l4off = (uint16_t)(l2 + l3);
	bool udp = !(ol & RTE_MBUF_F_TX_TCP_SEG) && (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM;
	uint16_t *field = rte_pktmbuf_mtod_offset(c, uint16_t *, l4off + (udp ? UDP_CSUM_OFF : TCP_CSUM_OFF));

	*field = 0;
	if (ol & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(c, struct rte_ipv4_hdr *, l2);

		if (seg) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		*field = rte_ipv4_udptcp_cksum_mbuf(c, ip, l4off);
	} else {
		*field = rte_ipv6_udptcp_cksum_mbuf(c, rte_pktmbuf_mtod_offset(c, struct rte_ipv6_hdr *, l2), l4off);
	}
	c->ol_flags &= ~VNL_TX_OL_ANY;
}

int ol_fixup(struct rte_mbuf *m, uint8_t caps, struct rte_mbuf **out, uint16_t n_out,
	     struct port_stats *ps)
{
	const uint64_t ol = m->ol_flags;
	const uint16_t l2 = m->l2_len, l3 = m->l3_len, hdrs = (uint16_t)(l2 + l3 + m->l4_len);
	struct rte_mbuf *c;

	if (hdrs > m->data_len)
		goto drop;
	/* A TSO frame leaves whole only to a port with both TSO and CSUM. */
	if ((ol & RTE_MBUF_F_TX_TCP_SEG) && (ol_needs(ol) & ~caps)) {
		struct rte_gso_ctx ctx = gso_ctx;
		uint32_t segs;
		int r;

		if (!(ol & RTE_MBUF_F_TX_IPV4) || indirect_pool == NULL || m->tso_segsz == 0)
			goto drop; /* no TCP/IPv6 segmenter in rte_gso 22.11 */
		segs = (m->pkt_len - hdrs + m->tso_segsz - 1) / m->tso_segsz;
		if (segs > n_out || segs > VNL_GSO_SEGS_MAX || hdrs + m->tso_segsz > UINT16_MAX)
			goto drop;
		ctx.gso_size = (uint16_t)(hdrs + m->tso_segsz);
		r = rte_gso_segment(m, &ctx, out, n_out);
		/* rte_gso clears TX_TCP_SEG on the input; a flood's other members
		 * (a TSO port among them) still need it. */
		m->ol_flags = ol;
		if (r < 0)
			goto drop;
		if (r > 0) {
			for (int i = 0; i < r; i++)
				ol_csum_complete(out[i], ol, l2, l3, true);
			ps->v[PC_tx_gso_frames]++;
			ps->v[PC_tx_gso_segments] += (uint64_t)r;
			ps->v[PC_tx_csum_sw] += (uint64_t)r;
			return r;
		}
		/* r == 0: it fits one frame; only its checksum is left. */
	}
	if (rte_mbuf_refcnt_read(m) > 1 || RTE_MBUF_CLONED(m)) {
		/* Shared by a flood: the other members keep the partial form. */
		c = gso_ctx.direct_pool ? rte_pktmbuf_copy(m, gso_ctx.direct_pool, 0, UINT32_MAX) : NULL;
		if (c == NULL)
			goto drop;
	} else {
		rte_pktmbuf_refcnt_update(m, 1); /* every segment: frees walk the chain */
		c = m;
	}
	ol_csum_complete(c, ol, l2, l3, false);
	ps->v[PC_tx_csum_sw]++;
	out[0] = c;
	return 1;
drop:
	ps->v[PC_drop_gso]++;
	return -ENOBUFS;
}
