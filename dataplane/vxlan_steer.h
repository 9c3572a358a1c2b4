/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the steering XDP program (vxlan_steer.bpf.c) and the underlay
 * (underlay.c) share: the program's name, its maps' names, their key and
 * value layouts. Included by both the BPF object (clang -target bpf) and
 * the switch, so only <linux/types.h> types.
 *
 * The program redirects to the AF_XDP socket of the frame's rx queue (map
 * VXS_MAP_XSKS, key = rx queue index) exactly the IPv4/IPv6 UDP datagrams,
 * not fragments, whose (family, destination port, destination address) is
 * a key of VXS_MAP_KEYS; everything else goes on to the kernel (XDP_PASS,
 * and libxdp's dispatcher runs the next program). It counts per CPU in
 * VXS_MAP_STATS (index enum vxs_stat).
 */
#pragma once

#include <linux/types.h>

/* The program's (and its function's) name: the underlay finds and detaches
 * its own stale copies by it, never another program. At most 15 characters
 * (BPF_OBJ_NAME_LEN - 1), so the kernel's name is the same. */
#define VXS_PROG_NAME "vnl_vxlan_steer"
#define VXS_MAP_KEYS "vx_keys"
#define VXS_MAP_XSKS "vx_xsks"
#define VXS_MAP_STATS "vx_stats"

#define VXS_KEYS_MAX 16   /* (local address, port) pairs of one underlay */
#define VXS_QUEUES_MAX 8  /* rx queues (XSKMAP entries) */
#define VXS_PRIO 10       /* libxdp run priority: before others' default 50 */

/* VXS_MAP_KEYS key. family: VXS_FAM_IPV4/6 (not AF_*: the BPF side has no
 * libc); port and addr in network order, an IPv4 address in the first 4
 * bytes of addr, the rest zero. Value: __u32, unused (1). */
#define VXS_FAM_IPV4 4
#define VXS_FAM_IPV6 6
struct vxs_key {
	__u8 family;
	__u8 pad;
	__u16 port;
	__u8 addr[16];
};

/* VXS_MAP_STATS indexes (a per-CPU array of __u64). */
enum vxs_stat {
	VXS_STEERED,     /* redirected to the socket of the rx queue */
	VXS_FRAG_PASSED, /* first IPv4 fragments to a key, passed to the kernel */
	VXS_STATS
};
