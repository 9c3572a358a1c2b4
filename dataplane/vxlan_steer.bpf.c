/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The underlay's steering XDP program (underlay.h, vxlan_steer.h): VXLAN
 * datagrams to one of our (local address, UDP port) keys go to the AF_XDP
 * socket of their rx queue, everything else to the kernel. Built by meson
 * with clang -target bpf and embedded in vnl-switchd.
 *
 * Accepted: Ethernet (no VLAN tag: an underlay VLAN is a Linux VLAN
 * device) + IPv4 (ihl >= 5, options allowed, not a fragment) or IPv6 (next
 * header UDP: no extension header) + UDP. The first fragment of a datagram
 * to a key is passed and counted (VXS_FRAG_PASSED): the kernel reassembles
 * it into the underlay's reserved socket, which counts it too.
 * libxdp's run config: priority VXS_PRIO, chain on XDP_PASS, so other
 * programs of the dispatcher still see what we pass.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "vxlan_steer.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VXS_KEYS_MAX);
	__type(key, struct vxs_key);
	__type(value, __u32);
} vx_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VXS_QUEUES_MAX);
	__type(key, __u32);
	__type(value, __u32);
} vx_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VXS_STATS);
	__type(key, __u32);
	__type(value, __u64);
} vx_stats SEC(".maps");

struct {
	__uint(priority, VXS_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vnl_vxlan_steer);

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&vx_stats, &what);

	if (v)
		*v += 1;
}

SEC("xdp")
int vnl_vxlan_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vxs_key key = { 0 };
	struct udphdr *udp;
	int frag = 0;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 ihl;

		if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_PASS; /* a later fragment: no UDP header to match */
		frag = (ip->frag_off & bpf_htons(0x2000)) != 0;
		ihl = ip->ihl * 4;
		udp = (void *)ip + ihl;
		key.family = VXS_FAM_IPV4;
		__builtin_memcpy(key.addr, &ip->daddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		key.family = VXS_FAM_IPV6;
		__builtin_memcpy(key.addr, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	key.port = udp->dest;
	if (!bpf_map_lookup_elem(&vx_keys, &key))
		return XDP_PASS;
	if (frag) {
		count(VXS_FRAG_PASSED);
		return XDP_PASS;
	}
	count(VXS_STEERED);
	return bpf_redirect_map(&vx_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
