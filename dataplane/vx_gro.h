/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GRO of decapsulated TCP segments (docs/switchd.md "VXLAN", "Receive
 * offload"): the underlay's rx() merges the in-order TCP/IPv4 segments of
 * one flow in one socket's part of an rx burst into one frame in the switch's offload state
 * (offload.h: TX_TCP_SEG + tso_segsz), so that a receiving port that takes
 * TSO (a tap with offloads, a vhost guest with GUEST_TSO4) gets one large
 * frame (one writev, one run of the receiver's TCP stack) instead of one per
 * segment; a port without TSO gets the segments back from the worker's
 * fallback (ol_fixup), as for any TSO frame.
 *
 * Contract of a merge (what the kernel's GRO also requires):
 *   - inner frames that are untagged Ethernet + IPv4 (no options, no
 *     fragment, no padding after the datagram) + TCP with a payload, flags ACK or
 *     ACK+PSH (a PSH segment ends its run, as the kernel flushes a flow at
 *     PSH, and the frame it ends up in carries PSH; FIN, SYN, RST, URG,
 *     ECE, CWR: not merged), in one mbuf;
 *   - the inner IPv4 header checksum and the TCP checksum verified first:
 *     the outer IPv4 UDP checksum is 0 (RFC 7348), so nothing else would
 *     catch a corrupt segment, and the merged frame's checksum is left
 *     partial (its receiver trusts it). A segment that fails is passed on
 *     unmerged and counted rx_gro_csum_bad (the receiver drops it);
 *   - equal stamps (m->port: the vxlan port, m->hash.usr: the remote;
 *     underlay.h): only runs of consecutive candidates with one stamp are
 *     merged, so two LANs or two remotes that carry the same addresses
 *     never mix, and the merged frame keeps its segments' stamp; and
 *     equal inner TOS (DSCP, ECN: a CE mark is never folded into its
 *     head's ECT) and TTL, which rte_gro does not compare;
 *   - then DPDK's rte_gro_reassemble_burst() (flow key: MACs, IPv4
 *     addresses, ports, ack number, equal TCP options and DF; seq
 *     contiguity; at most 65535 bytes of IPv4 datagram) does the merge.
 * The order of frames is kept except within a run: rte_gro returns a run
 * grouped by flow and, within a flow, merged frames before segments that
 * did not join (arrivals 0,3,1,2 leave as [0..2],[3]; a duplicate may move
 * behind a later segment). Bytes are never mixed: a merge needs exact
 * sequence contiguity.
 *
 * A merged frame (a chain: the first segment with the headers, the others'
 * payloads) leaves with TX_TCP_SEG | TX_IPV4 | TX_TCP_CKSUM, l2/l3/l4_len,
 * tso_segsz = the largest payload among its segments (the sender's MSS), the
 * IPv4 total length and header checksum rewritten and the TCP checksum field
 * set to the pseudo-header sum with the length (offload.h's form). Frames
 * not merged leave as they came (complete checksums, no offload state).
 * IPv6 inner TCP stays unmerged: DPDK 22.11's rte_gro has no TCP/IPv6 and
 * rte_gso could not cut such a frame for a port without TSO6 (offload.h).
 *
 * Counters (stats.h, on the underlay): rx_gro_in (segments that passed the
 * checks, offered to merging), rx_gro_out (frames they became: in - out
 * segments saved), rx_gro_csum_bad, rx_gro_cycles.
 *
 * Thread-safety: reentrant (state on the caller's stack); the worker that
 * polls the underlay calls it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "stats.h"

/* Decap's hint (one test per frame, no branch): true when the inner frame
 * f of len bytes may be a TCP/IPv4 segment worth offering (untagged IPv4,
 * protocol TCP, longer than the bare headers). The bytes read lie in the
 * first cache line of the frame just parsed. */
static inline bool vx_gro_hint(const uint8_t *f, uint32_t len)
{
	return (len > 14 + 20 + 20) & (f[12] == 0x08) & (f[13] == 0x00) & (f[23] == 6 /* IPPROTO_TCP */);
}

/* Merge what can be merged among pkts[0..n) (n <= VNL_BURST, inner frames
 * as decap made them: stamped, ol_flags 0) in place; returns the new count
 * (frames merged into another are now part of it, not freed). Counts in
 * ps (the underlay's counters). */
uint16_t vx_gro(struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps);
