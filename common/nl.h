/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnetlink over libmnl: veth pairs, link state, addresses, for the `ns`
 * node kind of vnld (and later kinds).  We never run `ip`.
 *
 * Every call takes `netns_fd`, the namespace to act in: an fd from
 * netns_open() (netns.h), or -1 for the caller's own.  Each call opens its
 * own netlink socket in that namespace (netns_socket()) and closes it before
 * returning, so calls are independent and keep no state; the cost (a
 * socket, and a short-lived thread when netns_fd >= 0) is small next to
 * what the kernel does for a link.
 *
 * Requests are checked: every one carries NLM_F_ACK, and the errno of the
 * kernel's ACK is returned (0 or negative errno), with a message in `err`
 * naming the request and the object, plus the kernel's extended-ACK text
 * when it gives one: "adding 10.0.0.1/24 to 'eth0': File exists".
 * Arguments are checked first, before any socket is opened:
 *   - ifname: 1..15 characters (IFNAMSIZ - 1), no '/', ':' or whitespace,
 *     not "." or ".."; else -EINVAL;
 *   - cidr: "A.B.C.D/N" (N 0..32) or "IPv6/N" (N 0..128); else -EINVAL.
 * Conventional errors callers test for: -EEXIST (name or address taken),
 * -ENODEV (no such interface), -EINVAL (bad argument), -EPERM (no
 * CAP_NET_ADMIN).
 *
 * Thread-safety: every function may be called from any thread, concurrently;
 * none changes the calling thread's namespace.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define NL_IFNAME_MAX 15  /* IFNAMSIZ - 1 */

/* 0 if `ifname` is a valid interface name, else -EINVAL with the rule in err. */
int nl_ifname_check(const char *ifname, struct vnl_err *err);

/*
 * Parse "A.B.C.D/N" or "X:Y::Z/N": fills *family (AF_INET or AF_INET6),
 * addr (4 or 16 bytes, network order) and *prefixlen.  0 or -EINVAL.
 */
int nl_cidr_parse(const char *cidr, int *family, uint8_t addr[16], int *prefixlen,
		  struct vnl_err *err);

/*
 * Create the veth pair host_ifname <-> peer_ifname in one RTM_NEWLINK:
 * host_ifname in the caller's namespace, peer_ifname directly in
 * `peer_netns_fd` (-1: also the caller's).  All-or-nothing, done by the
 * kernel: if either name is taken (-EEXIST) neither end is created.  Both
 * ends start down, with random MACs and the default MTU.
 */
int nl_veth_create(const char *host_ifname, const char *peer_ifname, int peer_netns_fd,
		   struct vnl_err *err);

/*
 * Delete `ifname` in `netns_fd`.  A missing link is -ENODEV, so callers
 * cleaning up can ignore exactly that.  Deleting either end of a veth pair
 * deletes both.
 */
int nl_link_del(int netns_fd, const char *ifname, struct vnl_err *err);

/*
 * Make `ifname`, in the caller's own namespace, a pure layer-2 port that
 * the host's IP stack ignores (a node must not reach the host through it):
 *   IPv6: disable_ipv6=1 (no address at all, not even fe80::; the stack
 *         drops every IPv6 frame received on it) and accept_ra=0;
 *   IPv4: arp_ignore=8 (no ARP reply for any local address),
 *         arp_announce=2, rp_filter=1 (strict: no route leads back to a
 *         node through it, so a frame a node aims at a host address is
 *         dropped), forwarding=0 (the host routes nothing a node sends).
 * Call it before the link is first brought up; it may be called again
 * (idempotent).  A host without IPv6 (no /proc/sys/net/ipv6) is fine.
 * rp_filter works as max(all, dev): a host whose all.rp_filter is 2 gets
 * loose mode, which arp_ignore and forwarding=0 still cover.
 * 0 or negative errno (-ENODEV: no such link).
 */
int nl_link_isolate(const char *ifname, struct vnl_err *err);

/* Set the link administratively up (up != 0) or down. */
int nl_link_set_up(int netns_fd, const char *ifname, int up, struct vnl_err *err);

/* Set the link's MAC address (unicast expected; the kernel checks). */
int nl_link_set_mac(int netns_fd, const char *ifname, const uint8_t mac[6], struct vnl_err *err);

/* Set the link's MTU (-EINVAL from the kernel if out of the device's range). */
int nl_link_set_mtu(int netns_fd, const char *ifname, unsigned int mtu, struct vnl_err *err);

/*
 * Move `ifname` from `netns_fd` into `target_netns_fd`, keeping its name
 * (-EEXIST if the target has one by that name).  Addresses are lost and the
 * link comes back down, as with any namespace move.
 */
int nl_link_set_netns(int netns_fd, const char *ifname, int target_netns_fd,
		      struct vnl_err *err);

/* ifindex (> 0) of `ifname` in `netns_fd`, or a negative errno (-ENODEV). */
int nl_link_index(int netns_fd, const char *ifname, struct vnl_err *err);

/* 1 if `ifname` exists in `netns_fd`, 0 if not, negative errno if unknown. */
int nl_link_exists(int netns_fd, const char *ifname);

/* One link, as nl_link_list() reports it; valid only during the callback. */
struct nl_link_info {
	int ifindex;             /* kernel index, > 0 */
	const char *name;        /* IFLA_IFNAME */
	const char *kind;        /* IFLA_INFO_KIND ("veth", ...), "" if none */
	unsigned int flags;      /* IFF_* (IFF_UP, IFF_LOWER_UP, ...) */
	bool carrier;            /* IFLA_CARRIER: the carrier itself, also while the
				  * link is down (IFF_LOWER_UP is reported only while up) */
	unsigned int mtu;        /* IFLA_MTU, 0 if absent */
	uint8_t mac[6];          /* IFLA_ADDRESS, zero if absent or not Ethernet */
};

/*
 * Call cb(info, arg) for every link of `netns_fd` (an RTM_GETLINK dump).
 * The callback must not change links (the dump would be inconsistent):
 * collect names, then act after the call returns.  0 or negative errno.
 */
int nl_link_list(int netns_fd, void (*cb)(const struct nl_link_info *info, void *arg), void *arg,
		 struct vnl_err *err);

/*
 * Add address `cidr` ("10.0.0.1/24", "fd00::1/64") to `ifname`, with the
 * connected route the kernel adds for it.  -EEXIST if already there.
 */
int nl_addr_add(int netns_fd, const char *ifname, const char *cidr, struct vnl_err *err);

/* Remove address `cidr` from `ifname` (-EADDRNOTAVAIL if absent). */
int nl_addr_del(int netns_fd, const char *ifname, const char *cidr, struct vnl_err *err);

/*
 * Remove every IPv4 and IPv6 address of `ifname` (IPv6 link-local ones too,
 * as `ip addr flush dev` does).  0 when none is left; a link without
 * addresses is not an error.
 */
int nl_addr_flush(int netns_fd, const char *ifname, struct vnl_err *err);

/* --- Routes and neighbours (nl_route.c, nl_neigh.c): what a tunnel endpoint
 * asks of the kernel to reach a remote address.  Addresses are 16-byte
 * arrays in network order; an IPv4 address uses the first 4 bytes. --- */

/* The kernel's answer to "how do I reach dst" (RTM_GETROUTE, no dump). */
struct nl_route {
	int oif;                /* RTA_OIF: the interface the packet would leave by */
	uint8_t type;           /* rtm_type: RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	bool has_gateway;       /* RTA_GATEWAY present: dst is behind a router */
	uint8_t gateway[16];    /* that router (also in nexthop) */
	uint8_t nexthop[16];    /* the address to resolve on oif: gateway, else dst itself */
	bool has_prefsrc;       /* RTA_PREFSRC present */
	uint8_t prefsrc[16];    /* the source address the kernel would pick */
	unsigned int mtu;       /* RTAX_MTU of RTA_METRICS (a route or cached path MTU), 0 if none */
};

/*
 * Look up the route to `dst` of `family` (AF_INET, AF_INET6) in
 * `netns_fd` as a packet sent now would get it (the FIB and its cache);
 * `oif` > 0 asks for the route leaving by that interface (RTA_OIF), 0 for
 * any.  0 and *out filled, or a negative errno: -ENETUNREACH (no route),
 * -EHOSTUNREACH, -ENODEV (no such oif), -EINVAL (family).  Messages name dst.
 */
int nl_route_get(int netns_fd, int family, const uint8_t dst[16], int oif, struct nl_route *out,
		 struct vnl_err *err);

/* One neighbour entry (RTM_NEWNEIGH/RTM_DELNEIGH/RTM_GETNEIGH payload). */
struct nl_neigh {
	int family;             /* AF_INET or AF_INET6 */
	int ifindex;            /* ndm_ifindex */
	uint8_t addr[16];       /* NDA_DST */
	uint16_t state;         /* ndm_state: NUD_REACHABLE, NUD_STALE, NUD_FAILED, ... */
	uint8_t flags;          /* ndm_flags: NTF_ROUTER, NTF_EXT_LEARNED, ... */
	bool has_mac;           /* NDA_LLADDR present with 6 bytes */
	uint8_t mac[6];         /* the link-layer address (valid with has_mac) */
};

/* True for states whose MAC may be used to send now (NUD_VALID: REACHABLE,
 * STALE, DELAY, PROBE, PERMANENT, NOARP). */
bool nl_neigh_usable(uint16_t state);

/*
 * The entry for `addr` on `ifindex` in `netns_fd`.  0 and *out, or
 * -ENOENT (no entry; FAILED and INCOMPLETE entries are returned, not
 * -ENOENT), or another negative errno.
 */
int nl_neigh_get(int netns_fd, int family, const uint8_t addr[16], int ifindex,
		 struct nl_neigh *out, struct vnl_err *err);

/*
 * Ask the kernel to resolve `addr` on `ifindex` as if a packet were sent to
 * it: RTM_NEWNEIGH with NTF_USE (create if absent).  The kernel creates a
 * dynamic entry and sends ARP/ND; an existing STALE entry is re-probed.
 * Returns at once (0 or negative errno); the outcome arrives as
 * RTM_NEWNEIGH events and in nl_neigh_get(): REACHABLE, or FAILED after the
 * kernel's probes (about 3 s).  Nothing permanent is made: the entry ages
 * like any other.
 */
int nl_neigh_use(int netns_fd, int family, const uint8_t addr[16], int ifindex,
		 struct vnl_err *err);

/* One notification from an event socket, as nl_events_read() reports it. */
struct nl_event {
	int type;               /* RTM_NEWNEIGH, RTM_DELNEIGH, RTM_NEWLINK, RTM_DELLINK,
				 * RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWADDR, RTM_DELADDR */
	int family;             /* of the object (AF_UNSPEC for most links) */
	int ifindex;            /* the link concerned; a route's RTA_OIF; 0 if none */
	struct nl_neigh neigh;  /* the entry, for RTM_NEWNEIGH/RTM_DELNEIGH only */
	uint8_t dst[16];        /* a route's destination prefix (RTA_DST, zeros: none) */
	uint8_t dst_len;        /* and its length (0: a default route, covers all) */
};

/*
 * A non-blocking rtnetlink socket in `netns_fd` subscribed to `groups`
 * (RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, ...: n of them), for an
 * event loop to poll.  Returns the fd (>= 0; the caller closes it) or a
 * negative errno.
 */
int nl_events_open(int netns_fd, const unsigned int *groups, unsigned int n, struct vnl_err *err);

/*
 * Read what is pending on an nl_events_open() socket and call cb(ev, arg)
 * for each event of the types above (others are skipped).  Returns the
 * number of events (0: nothing pending), or -ENOBUFS when the kernel
 * dropped notifications (the socket's queue overflowed: the caller must
 * re-read the state it keeps), or another negative errno.
 */
int nl_events_read(int fd, void (*cb)(const struct nl_event *ev, void *arg), void *arg,
		   struct vnl_err *err);
