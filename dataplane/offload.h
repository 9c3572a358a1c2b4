/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Offloads: the one in-switch offload state, its conversions to and from the
 * port kinds' forms, and the software fallback for ports that lack one.
 *
 * The state (what a frame carries between rx and tx) uses the mbuf's TX
 * fields with Linux's CHECKSUM_PARTIAL meaning:
 * - RTE_MBUF_F_TX_TCP_SEG + tso_segsz: a TCP frame to be cut into segments of
 *   tso_segsz payload bytes (IPv4 only is accepted on ingress: rte_gso 22.11
 *   has no TCP/IPv6 segmenter);
 * - RTE_MBUF_F_TX_TCP_CKSUM / RTE_MBUF_F_TX_UDP_CKSUM: a partial L4 checksum;
 *   the field holds the pseudo-header sum **including the L4 length**
 *   (rte_ipv4_phdr_cksum(ip, 0) form: Linux and DPDK's virtio PMD use it);
 *   a TSO frame always carries TX_TCP_CKSUM too;
 * - RTE_MBUF_F_TX_IPV4 / RTE_MBUF_F_TX_IPV6 and l2_len/l3_len/l4_len are set
 *   whenever one of the above is; l2+l3+l4 lie in the first segment.
 * - RTE_MBUF_F_TX_IP_CKSUM is never set: senders' IPv4 headers are complete.
 * A frame without any of these (ol_flags & VNL_TX_OL_ANY == 0) is complete.
 *
 * Who converts: each port kind's rx() turns its form into this state
 * (ol_from_vnet for virtio-net headers on fds, ol_from_vhost for vhost's
 * compliant RX flags) and its tx() turns it back (ol_to_vnet). Forwarding
 * never touches it. At tx the worker compares a burst's state with the
 * egress port's caps (port.h tx_ol) and calls ol_fixup() for the frames the
 * port cannot take: segmentation with rte_gso_segment() and checksums in
 * software.
 *
 * Thread-safety: ol_init()/ol_fini() on the control thread before workers
 * launch and after they stop; everything else is reentrant (workers).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/virtio_net.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "stats.h"

/* What a port's tx() takes (port.h tx_ol), and what a frame needs. */
#define PORT_OL_CSUM 0x01 /* partial TCP/UDP checksums, IPv4 and IPv6 */
#define PORT_OL_TSO4 0x02 /* TCP/IPv4 segmentation (with CSUM only, as in virtio) */
#define PORT_OL_TSO6 0x04 /* TCP/IPv6 segmentation (with CSUM only, as in virtio) */

/* Where a partial checksum's field lies from the L4 header. */
#define TCP_CSUM_OFF offsetof(struct rte_tcp_hdr, cksum) /* 16 */
#define UDP_CSUM_OFF offsetof(struct rte_udp_hdr, dgram_cksum) /* 6 */

/* Any offload state at all: the test at flush (one OR per frame gathers it). */
#define VNL_TX_OL_ANY (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK)
/* Most segments one frame may be cut into (worker's gso_out[]); more: drop_gso. */
#define VNL_GSO_SEGS_MAX 256
/* Longest GSO frame accepted: an IP datagram of 65535 plus Ethernet and two VLAN tags. */
#define VNL_GSO_MAX_FRAME (65535 + 22)

/* Create the indirect mbuf pool and the GSO context; direct is the packet
 * pool (header copies of segments come from it). 0 or -errno. */
int ol_init(struct rte_mempool *direct, int socket);
/* Free what ol_init() made; safe without ol_init(). */
void ol_fini(void);
/* The indirect pool (show-counters reports its use), NULL before ol_init(). */
struct rte_mempool *ol_indirect_pool(void);

/* What a frame with these ol_flags needs from a port: PORT_OL_* bits. */
/* On the OR of several frames' flags it answers for all of them (both TSO
 * bits when IPv4 and IPv6 frames are mixed). */
static inline uint8_t ol_needs(uint64_t ol_flags)
{
	uint8_t need = 0;

	if (ol_flags & VNL_TX_OL_ANY)
		need = PORT_OL_CSUM;
	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		if (ol_flags & RTE_MBUF_F_TX_IPV4)
			need |= PORT_OL_TSO4;
		if (ol_flags & RTE_MBUF_F_TX_IPV6)
			need |= PORT_OL_TSO6;
	}
	return need;
}

/* Names of the PORT_OL_* bits in caps, comma-separated ("csum,tso4"), or
 * "none": what show-ports prints. Returns buf. */
static inline const char *ol_caps_name(uint8_t caps, char buf[24])
{
	int n = snprintf(buf, 24, "%s%s%s", caps & PORT_OL_CSUM ? ",csum" : "", caps & PORT_OL_TSO4 ? ",tso4" : "",
			 caps & PORT_OL_TSO6 ? ",tso6" : "");

	return n > 0 ? buf + 1 : "none";
}

/* Rx, fd-based ports: set m's offload state from the virtio-net header read
 * in front of it (m's ol_flags are 0). NEEDS_CSUM at the L4 header of a
 * TCP/UDP frame becomes a partial checksum; any other NEEDS_CSUM is completed
 * here; GSO_TCPV4 on TCP/IPv4 becomes TSO. 0, or -EINVAL for a header the
 * frame contradicts or a GSO type not taken (the caller drops the frame and
 * counts drop_offload_bad). */
int ol_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *h);

/* Rx: the end of every rx conversion. r is what ol_from_*() returned for m:
 * count it in ps (rx_gso_frames for a TSO frame; drop_offload_bad, and m
 * freed, for r < 0). false: m is gone. */
static inline bool ol_rx_done(struct rte_mbuf *m, int r, struct port_stats *ps)
{
	if (unlikely(r < 0)) {
		ps->v[PC_drop_offload_bad]++;
		rte_pktmbuf_free(m);
		return false;
	}
	ps->v[PC_rx_gso_frames] += !!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	return true;
}

/* Rx, vhost (RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS): turn RX_LRO and
 * RX_L4_CKSUM_NONE into the state above (parses the headers). 0, or -EINVAL
 * (drop, drop_offload_bad): LRO on non-TCP/IPv4, headers beyond the first
 * segment, no TCP/UDP header. */
int ol_from_vhost(struct rte_mbuf *m);

/* Tx, fd-based ports: the virtio-net header for m (zero when m is complete).
 * A TCP/IPv4 GSO frame's checksum field is set back to the pseudo-header
 * with the L4 length (the form the kernel's software GSO adjusts from):
 * DPDK's vhost enqueue rewrites it in place to the length-less form of
 * rte_net_intel_cksum_prepare(), also in a frame a flood shares with us. */
void ol_to_vnet(struct rte_mbuf *m, struct virtio_net_hdr *h);

/* Tx fallback: make m fit a port taking caps. Writes the frames to send in
 * its place to out (n_out >= VNL_GSO_SEGS_MAX) and returns their number;
 * each of them holds its own reference (the caller frees them after tx, and
 * frees m as before). m's bytes and ol_flags are left as they were unless m
 * is unshared and only needed its checksum, in which case out[0] is m with
 * one more reference. Negative: nothing to send, counted in ps (drop_gso). */
int ol_fixup(struct rte_mbuf *m, uint8_t caps, struct rte_mbuf **out, uint16_t n_out,
	     struct port_stats *ps);
