/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counters. Every worker owns one struct worker_stats and is its only writer
 * (plain increments, no atomics); the control thread sums all workers when a
 * client reads, and "clear" stores the current sums as a base that later reads
 * subtract. Every drop has a named counter; the datapath never logs.
 */
#pragma once

#include <stdint.h>

#include "dp.h"

/* Port counters: name, meaning. Drops are counted on the port that saw them:
 * ingress for no_lan/runt/oversize/dst_is_src/rx_nombuf/offload_bad, egress
 * for tx_full, link_down and gso. Offload counters (offload.h): rx_gso_frames
 * on the ingress port, tx_gso_* and tx_csum_sw on the egress port whose caps
 * made the worker segment or checksum in software. */
#define VNL_PORT_COUNTERS(X)                                                  \
	X(rx_packets, "frames received")                                      \
	X(rx_bytes, "bytes received")                                         \
	X(tx_packets, "frames sent")                                          \
	X(tx_bytes, "bytes sent")                                             \
	X(drop_no_lan, "ingress port is in no LAN")                           \
	X(drop_runt, "frame shorter than an Ethernet header")                 \
	X(drop_oversize, "frame longer than its LAN's limit")                 \
	X(drop_dst_is_src, "learned destination is the ingress port")         \
	X(drop_tx_full, "egress queue full")                                  \
	X(drop_tx_refused, "egress peer refused the frame (tap: EINVAL)")       \
	X(drop_link_down, "egress peer not connected")                        \
	X(drop_rx_nombuf, "no packet buffer to receive into")                 \
	X(rx_gso_frames, "frames received as one GSO frame (TSO from the peer)") \
	X(tx_gso_frames, "GSO frames the switch segmented for this port")     \
	X(tx_gso_segments, "segments those frames were cut into")            \
	X(tx_csum_sw, "frames whose L4 checksum the switch completed")        \
	X(drop_gso, "offload frame the port cannot take and the switch could not fix") \
	X(drop_offload_bad, "offload header the frame contradicts or not taken") \
	X(rx_phdr_other, "tap: partial TCP/IPv4 checksum not in offload.h's form (one frame per poll checked; 0 expected)") \
	VNL_VX_COUNTERS(X)                                                    \
	VNL_IMP_COUNTERS(X, out, "sent by the port's node")                  \
	VNL_IMP_COUNTERS(X, in, "to the port's node")                       \
	X(imp_in_handoff_nomem, "impair: flooded frames to the port's node dropped: no buffer for the private copy its state's worker needs")

/* VXLAN (underlay.h, port_vxlan.h; 0 on other kinds). Drops before the VNI
 * is known count on the underlay port, after it on the vxlan port; cycles
 * are TSC per burst (rdtsc pairs), divided by packets when shown. GRO
 * (vx_gro.h) counts on the underlay. */
#define VNL_VX_COUNTERS(X)                                                    \
	X(drop_vx_short, "underlay: outer headers truncated or malformed (not IPv4/IPv6 UDP, bad lengths, inner frame < 14 bytes)") \
	X(drop_vx_flags, "underlay: VXLAN flags word not 0x08000000, or the reserved byte after the VNI set") \
	X(drop_vx_vni, "underlay: no vxlan port with this VNI here")          \
	X(drop_vx_csum, "underlay: outer IPv4 header checksum wrong, or IPv6 UDP checksum wrong or zero") \
	X(drop_vx_not_host, "underlay: outer destination MAC not the underlay's (a frame for another host)") \
	X(drop_vx_remote, "vxlan: sender is not a remote of the port")        \
	X(drop_vx_no_neigh, "vxlan: copies for a remote not resolved (no route, no neighbour)") \
	X(drop_vx_too_big, "vxlan: outer frame longer than the underlay's MTU") \
	X(vx_flood_copies, "vxlan: copies of flooded frames sent (head-end replication)") \
	X(vx_decap_cycles, "underlay: TSC cycles of parsing and copying out received frames") \
	X(vx_encap_cycles, "vxlan: TSC cycles of building and copying outer frames") \
	X(vx_kick_cycles, "vxlan: TSC cycles of the underlay's tx kicks (sendto)") \
	X(vx_kicks, "vxlan: sendto calls of the underlay's tx kicks (tx_packets / vx_kicks: frames per kick)") \
	X(rx_gro_in, "underlay: decapsulated TCP/IPv4 segments offered to GRO (checks and checksums passed)") \
	X(rx_gro_out, "underlay: frames those segments became (rx_gro_in - rx_gro_out: segments merged into another)") \
	X(rx_gro_csum_bad, "underlay: TCP/IPv4 segments left unmerged: inner IPv4 header or TCP checksum wrong (passed on)") \
	X(rx_gro_cycles, "underlay: TSC cycles of GRO (checks, checksums, merges) in bursts that carried TCP")

/* Impairment counters of one direction (impair.h), in this order (the
 * worker counts by offset from imp_DIR_delayed): out on the port as
 * ingress, in as egress. */
#define VNL_IMP_COUNTERS(X, d, what)                                         \
	X(imp_##d##_delayed, "impair: frames " what " queued for delay or rate") \
	X(imp_##d##_lost, "impair: frames " what " dropped by loss")       \
	X(imp_##d##_rate_dropped, "impair: frames " what " dropped: the rate's queue (limit) full") \
	X(imp_##d##_duplicated, "impair: frames " what " sent twice (duplicate)") \
	X(imp_##d##_reordered, "impair: frames " what " sent at once, ahead of the delayed (reorder)") \
	X(imp_##d##_corrupted, "impair: frames " what " with one bit flipped (corrupt)") \
	X(imp_##d##_queue_full, "impair: frames " what " dropped: limit, the worker's buffer share or the handoff ring full")

/* LAN counters. aged is kept by the control thread (it runs aging). */
#define VNL_LAN_COUNTERS(X)                                                   \
	X(forwarded, "known unicast frames sent to one port")                \
	X(flooded, "frames flooded: broadcast, multicast, unknown unicast")   \
	X(unknown_unicast, "unicast frames to an unknown MAC (flooded)")      \
	X(learned, "MACs learned")                                            \
	X(moved, "MACs seen moving to another port")                          \
	X(table_full, "MACs not learned because the MAC table is full")

#define VNL_CORE_COUNTERS(X)                                                  \
	X(iterations, "loop iterations")                                      \
	X(packets, "frames received and processed")                          \
	X(busy_cycles, "TSC cycles of iterations that moved frames")         \
	X(idle_cycles, "TSC cycles of iterations that found nothing")        \
	X(sleeps, "adaptive-poll sleeps")

#define VNL_ENUM_PC(n, d) PC_##n,
#define VNL_ENUM_LC(n, d) LC_##n,
#define VNL_ENUM_CC(n, d) CC_##n,
enum port_counter { VNL_PORT_COUNTERS(VNL_ENUM_PC) PC_MAX };
enum lan_counter { VNL_LAN_COUNTERS(VNL_ENUM_LC) LC_MAX };
enum core_counter { VNL_CORE_COUNTERS(VNL_ENUM_CC) CC_MAX };
#undef VNL_ENUM_PC
#undef VNL_ENUM_LC
#undef VNL_ENUM_CC

extern const char *const port_counter_names[PC_MAX];
extern const char *const lan_counter_names[LC_MAX];
extern const char *const core_counter_names[CC_MAX];

struct port_stats {
	uint64_t v[PC_MAX];
} __attribute__((aligned(64)));

struct lan_stats {
	uint64_t v[LC_MAX];
} __attribute__((aligned(64)));

struct core_stats {
	uint64_t v[CC_MAX];
} __attribute__((aligned(64)));

/* One per worker; written by that worker only. */
struct worker_stats {
	struct core_stats core;
	struct port_stats port[VNL_MAX_PORTS];
	struct lan_stats lan[VNL_MAX_LANS];
};

/*
 * Reading (control thread; implemented in stats.c, part of the daemon only).
 * Sums over every worker, minus the base stored by the last zeroing.
 */
struct port;
void stats_port_read(const struct port *p, uint64_t out[PC_MAX]);
void stats_port_zero(const struct port *p);
void stats_lan_read(uint16_t slot, uint64_t out[LC_MAX]);
void stats_lan_zero(uint16_t slot);
void stats_core_read(unsigned worker, uint64_t out[CC_MAX]);
void stats_core_zero(unsigned worker);
