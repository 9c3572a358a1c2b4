/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names of the `ns` kind's kernel objects (docs/vnld.md, "Names"), for vnld
 * (state file, debris checks) and tests.  The kind itself is node_kind_ns
 * in node_kind.h.
 *
 *   netns of node N in lab L:    vnl.L.N
 *   host end of NIC i:           v<8 hex digits>-<i>, the digits being the
 *                                32-bit FNV-1a hash of "L/N/i"
 *   namespace end of NIC i:      eth<i>
 *   MAC of eth<i>:               02:<the same hash, 4 bytes big-endian>:<i & 0xff>
 *                                (locally administered, unicast, stable)
 *   tap NIC i:                   eth<i> inside the netns, nothing on the host
 *   its switch port:             kind "tap", netns /run/netns/vnl.L.N, iface eth<i>
 *
 * Errors: 0 or -EINVAL (a name that cannot be a netns name, or i >=
 * NS_NICS_MAX) with a message in err.  Thread-safety: pure functions.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "topology.h"

#define NS_NICS_MAX 10000  /* keeps "v" + 8 + "-" + i within 15 characters */

/* "vnl.LAB.NODE" (a dot never appears in names: labs cannot collide) into buf (at least NETNS_NAME_MAX + 1 bytes). */
int ns_netns_name(const char *lab, const char *node, char *buf, size_t size, struct vnl_err *err);

/* Host veth name of NIC i into buf (at least 16 bytes). */
int ns_host_ifname(const char *lab, const char *node, unsigned int i, char *buf, size_t size,
		   struct vnl_err *err);

/* MAC of eth<i> inside the node. */
void ns_nic_mac(const char *lab, const char *node, unsigned int i, uint8_t mac[6]);

/* The words of the nic-type option, indexed by enum nic_type (node_kind.h). */
extern const char *const ns_nic_type_words[];

/* The `nic-type` option of the ns kind's schema, which cnt shares (its NICs
 * are ns's): one initializer, so both say the same. */
#define NS_NIC_TYPE_OPT                                                                              \
	{ .name = TOPO_NIC_TYPE, .type = TOPO_OPT_ENUM, .choices = ns_nic_type_words, .def = 0,       \
	  .metavar = "TYPE",                                                                         \
	  .help = "switch port of the NICs: tap (checksum and segmentation offloads, 64 KiB frames) " \
		  "or afxdp (AF_XDP on a veth, no offloads, MTU <= 3506)" }
