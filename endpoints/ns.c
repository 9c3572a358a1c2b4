/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `ns` node kind: a named network namespace "vnl.LAB.NODE" (a dot never
 * appears in names: labs cannot collide) whose NICs are eth<i>, of one of
 * two types (enum nic_type, the node's `nic-type` option or a link's
 * override, given by vnld per NIC):
 *
 *   tap     a persistent tap eth<i> made inside the netns (common/tuntap.h),
 *           no host-side interface; the switch opens it (port kind "tap"),
 *           with checksum and segmentation offloads;
 *   afxdp   a veth pair, eth<i> inside, the host end v<hash>-<i> attached
 *           to the switch as an AF_XDP port; no offloads (tx checksum off
 *           on eth<i>), LAN mtu at most NIC_AFXDP_MTU_MAX.
 *
 * Everything is made through netlink (common/nl.h) and /dev/net/tun, and
 * every object is found again from the names alone (endpoints/ns.h), so the
 * kind keeps no state: node_ctx.priv stays NULL.  A NIC's type is read back
 * from the kernel (eth<i>'s link kind, "tun" or "veth").
 *
 * The NICs are the node's network cards: create() makes all of them, and
 * they stay until destroy(), linked or not.  eth<i> is always up with its
 * stable MAC (the same for both types); the cable is
 *
 *   afxdp detached   host end down: eth<i> shows NO-CARRIER, no address
 *   afxdp attached   host end up (carrier), the link's address on eth<i>
 *   tap   detached   no reader: NO-CARRIER, no address
 *   tap   attached   the link's address on eth<i>; carrier while the switch
 *                    holds its fd (port-add), so a dead switch is a pulled
 *                    cable and its restart plugs it in again
 *
 * So "attached" is read from the kernel (host end IFF_UP; a tap's carrier),
 * and the steps are ordered so that an address is only ever there with the
 * cable in: nic_attach brings the host end up first and adds the address
 * after; nic_detach removes the addresses first and takes the host end
 * down last.  A crash between the steps leaves the host end up, which the
 * next nic_detach (vnld's recovery) cleans.  A NIC of the other type than
 * the one asked (a link's override) is made again, detached, under the same
 * name and MAC; an attached one is -EBUSY.
 *
 * A veth's host end is a layer-2 port and nothing more (nl_link_isolate():
 * IPv6 off, no RA, no ARP for host addresses, strict rp_filter, no
 * forwarding), set when it is made, and again before every attach (NICs of
 * an older vnld): no node reaches the host's own stack through it.  A tap
 * has no host side at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ethtool.h"
#include "fsutil.h"
#include "netns.h"
#include "nl.h"
#include "node_kind.h"
#include "ns.h"
#include "tuntap.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000  /* linux/if.h: carrier (glibc's net/if.h lacks it) */
#endif

/* 32-bit FNV-1a of "LAB/NODE/i": stable across runs and hosts. */
static uint32_t ns_hash(const char *lab, const char *node, unsigned int i)
{
	char key[128];
	uint32_t h = 2166136261u;
	const char *p;

	snprintf(key, sizeof(key), "%s/%s/%u", lab, node, i);
	for (p = key; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return h;
}

int ns_netns_name(const char *lab, const char *node, char *buf, size_t size, struct vnl_err *err)
{
	int r;

	if (!lab || !node || !*lab || !*node)
		return vnl_errf(err, -EINVAL, "node: lab and node names must not be empty");
	r = snprintf(buf, size, "vnl.%s.%s", lab, node);
	if (r < 0 || (size_t)r >= size || r > NETNS_NAME_MAX)
		return vnl_errf(err, -EINVAL, "node '%s' of lab '%s': netns name 'vnl.%s.%s' is longer than %d characters",
				node, lab, lab, node, NETNS_NAME_MAX);
	r = netns_name_check(buf, err);
	if (r < 0)
		return vnl_err_wrap(err, "node '%s' of lab '%s'", node, lab), r;
	return 0;
}

int ns_host_ifname(const char *lab, const char *node, unsigned int i, char *buf, size_t size,
		   struct vnl_err *err)
{
	int r;

	if (i >= NS_NICS_MAX)
		return vnl_errf(err, -EINVAL, "node '%s': NIC index %u is out of range (at most %d)",
				node, i, NS_NICS_MAX - 1);
	r = snprintf(buf, size, "v%08x-%u", ns_hash(lab, node, i), i);
	if (r < 0 || (size_t)r >= size)
		return vnl_errf(err, -EINVAL, "node '%s': host interface name buffer too small", node);
	return 0;
}

void ns_nic_mac(const char *lab, const char *node, unsigned int i, uint8_t mac[6])
{
	uint32_t h = ns_hash(lab, node, i);

	mac[0] = 0x02;  /* locally administered, unicast */
	mac[1] = h >> 24;
	mac[2] = h >> 16;
	mac[3] = h >> 8;
	mac[4] = h;
	mac[5] = i & 0xff;
}

/* NIC index check shared by nic_attach and nic_detach. */
static int ns_nic_check(const struct node_ctx *node, unsigned int i, struct vnl_err *err)
{
	if (i >= node->nics || i >= NS_NICS_MAX)
		return vnl_errf(err, -EINVAL, "node '%s': no NIC %u (it has %u)", node->name, i,
				node->nics);
	return 0;
}

/* Flags of the host interface `host` (-ENODEV when there is none). */
struct ns_flags_ctx {
	const char *name;  /* looked for */
	unsigned int flags;
	int found;
};

static void ns_flags_cb(const struct nl_link_info *info, void *arg)
{
	struct ns_flags_ctx *c = arg;

	if (!strcmp(info->name, c->name)) {
		c->flags = info->flags;
		c->found = 1;
	}
}

static int ns_host_flags(const char *host, unsigned int *flags, struct vnl_err *err)
{
	struct ns_flags_ctx c = { .name = host };
	int r = nl_link_list(-1, ns_flags_cb, &c, err);

	if (r < 0)
		return r;
	if (!c.found)
		return vnl_errf(err, -ENODEV, "no host interface '%s'", host);
	*flags = c.flags;
	return 0;
}

/* NIC i's type as asked: vnld's per-NIC type, the default beyond it. */
static enum nic_type ns_type_of(const struct node_ctx *node, unsigned int i)
{
	return i < TOPO_NICS_MAX && node->nic_types[i] == NIC_TYPE_AFXDP ? NIC_TYPE_AFXDP : NIC_TYPE_TAP;
}

/* What eth<i> is in the node: its link kind and carrier. */
enum ns_dev { NS_DEV_NONE, NS_DEV_TAP, NS_DEV_VETH, NS_DEV_OTHER };

struct ns_dev_ctx {
	const char *name;  /* looked for */
	enum ns_dev dev;
	bool carrier;
};

static void ns_dev_cb(const struct nl_link_info *info, void *arg)
{
	struct ns_dev_ctx *c = arg;

	if (strcmp(info->name, c->name))
		return;
	c->dev = !strcmp(info->kind, "tun") ? NS_DEV_TAP : !strcmp(info->kind, "veth") ? NS_DEV_VETH : NS_DEV_OTHER;
	c->carrier = info->carrier;
}

/*
 * eth<i> in netns fd: *dev and *carrier (false for none).  The carrier
 * itself, not IFF_LOWER_UP: a tap has carrier while a switch holds its fd,
 * also when the user set eth<i> down in the node.
 */
static int ns_eth_dev(int fd, const char *eth, enum ns_dev *dev, bool *carrier, struct vnl_err *err)
{
	struct ns_dev_ctx c = { .name = eth, .dev = NS_DEV_NONE };
	int r = nl_link_list(fd, ns_dev_cb, &c, err);

	if (r < 0)
		return vnl_err_wrap(err, "looking for %s", eth), r;
	*dev = c.dev;
	*carrier = c.carrier;
	return 0;
}

/*
 * Make NIC i of type `type` in the node's netns `fd`, detached: eth<i> with
 * its MAC, up; afxdp: the veth pair, tx checksum offload off on eth<i>, the
 * host end down (no carrier until nic_attach); tap: the persistent tap (no
 * carrier until the switch opens it).  All or nothing.
 */
static int ns_nic_make(const struct node_ctx *node, unsigned int i, enum nic_type type, int fd,
		       struct vnl_err *err)
{
	char host[16], eth[16];
	uint8_t mac[6];
	int r;

	r = ns_host_ifname(node->lab, node->name, i, host, sizeof(host), err);
	if (r < 0)
		return r;
	snprintf(eth, sizeof(eth), "eth%u", i);
	ns_nic_mac(node->lab, node->name, i, mac);
	if (type == NIC_TYPE_TAP) {
		r = tap_create_in(fd, eth, err);
		if (r == -EEXIST)
			return vnl_errf(err, -EADDRINUSE, "NIC %u: %s in the node exists already, not a tap", i, eth);
		if (r < 0)
			return vnl_err_wrap(err, "NIC %u", i), r;
		if ((r = nl_link_set_mac(fd, eth, mac, err)) < 0 || (r = nl_link_set_up(fd, eth, 1, err)) < 0) {
			vnl_err_wrap(err, "NIC %u", i);
			tap_delete_in(fd, eth, NULL);
			return r;
		}
		return 0;
	}
	r = nl_veth_create(host, eth, fd, err);
	if (r == -EEXIST)  /* a clash of name hashes, or an eth<i> made by hand */
		return vnl_errf(err, -EADDRINUSE, "NIC %u: %s on the host or %s in the node exists already",
				i, host, eth);
	if (r < 0)
		return vnl_err_wrap(err, "NIC %u", i), r;
	/* Before anything brings it up: the host end never gets an address. */
	if ((r = nl_link_isolate(host, err)) < 0 || (r = nl_link_set_mac(fd, eth, mac, err)) < 0 ||
	    /* AF_XDP on veth hands CHECKSUM_PARTIAL frames over unfinished. */
	    (r = ethtool_set_tx_csum(fd, eth, 0, err)) < 0 ||
	    (r = nl_link_set_up(fd, eth, 1, err)) < 0) {
		vnl_err_wrap(err, "NIC %u", i);
		nl_link_del(-1, host, NULL);  /* takes eth<i> with it */
		return r;
	}
	return 0;
}

/*
 * NIC i exists as `type` (made again when gone or of the other type and
 * detached; -EBUSY when of the other type and attached); 0, 1 when it
 * replaced a NIC of the other type, or negative errno.
 */
static int ns_nic_ensure(const struct node_ctx *node, unsigned int i, enum nic_type type, int fd,
			 struct vnl_err *err)
{
	char host[16], eth[16];
	unsigned int hflags = 0;
	enum ns_dev dev;
	bool held;
	int he, r;

	if (ns_host_ifname(node->lab, node->name, i, host, sizeof(host), err) < 0)
		return -EINVAL;
	snprintf(eth, sizeof(eth), "eth%u", i);
	if ((r = ns_eth_dev(fd, eth, &dev, &held, err)) < 0)
		return vnl_err_wrap(err, "NIC %u", i), r;
	he = nl_link_exists(-1, host);
	if (he < 0)
		return vnl_errno(err, he, "NIC %u: looking for %s", i, host);
	if (he && (r = ns_host_flags(host, &hflags, err)) < 0)
		return vnl_err_wrap(err, "NIC %u", i), r;
	if (dev == NS_DEV_OTHER || (he && dev != NS_DEV_VETH))
		return vnl_errf(err, -EADDRINUSE, "NIC %u: %s exists%s%s (not a NIC of this node)", i,
				dev == NS_DEV_OTHER ? eth : host, dev == NS_DEV_OTHER ? "" : " without ",
				dev == NS_DEV_OTHER ? "" : eth);
	if ((type == NIC_TYPE_TAP && dev == NS_DEV_TAP) || (type == NIC_TYPE_AFXDP && dev == NS_DEV_VETH))
		return 0;
	if (dev != NS_DEV_NONE) {
		/* The other type: made again while the cable is out. */
		if ((dev == NS_DEV_TAP && held) || (dev == NS_DEV_VETH && (hflags & IFF_UP)))
			return vnl_errf(err, -EBUSY, "NIC %u is an attached %s NIC: unlink it before it becomes %s",
					i, dev == NS_DEV_TAP ? "tap" : "afxdp", type == NIC_TYPE_TAP ? "tap" : "afxdp");
		r = dev == NS_DEV_TAP ? tap_delete_in(fd, eth, err) : nl_link_del(-1, host, err);
		if (r < 0 && r != -ENODEV)
			return vnl_err_wrap(err, "NIC %u: removing the %s NIC", i, dev == NS_DEV_TAP ? "tap" : "afxdp"), r;
		if ((r = ns_nic_make(node, i, type, fd, err)) < 0)
			return r;
		return 1;
	}
	return ns_nic_make(node, i, type, fd, err);
}

static int ns_create(struct node_ctx *node, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1], host[16];
	unsigned int i = 0;
	int r, fd = -1;

	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	if (node->nics > NS_NICS_MAX)
		return vnl_errf(err, -EINVAL, "node '%s': %u NICs, at most %d", node->name,
				node->nics, NS_NICS_MAX);
	r = netns_create(ns, err);
	if (r < 0)
		return vnl_err_wrap(err, "creating node '%s'", node->name), r;
	fd = netns_open(ns, err);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	/* lo down breaks 127.0.0.1 inside the node: ping, local servers. */
	r = nl_link_set_up(fd, "lo", 1, err);
	for (; r == 0 && i < node->nics; i++)
		r = ns_nic_make(node, i, ns_type_of(node, i), fd, err);
	if (r < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	vnl_err_wrap(err, "creating node '%s'", node->name);
	/* NIC i failed whole; the host ends first, as in ns_destroy() (taps go
	 * with the netns: nothing holds it yet). */
	while (i-- > 0)
		if (ns_host_ifname(node->lab, node->name, i, host, sizeof(host), NULL) == 0)
			nl_link_del(-1, host, NULL);
	if (fd >= 0)
		close(fd);
	netns_delete(ns, NULL);
	return r;
}

/* Nothing runs in an ns node: start makes again the NICs that are gone (a
 * veth deleted by hand) or of another type than vnld says, so vnld's
 * recovery gives every node all of its NICs. */
static int ns_start(struct node_ctx *node, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1];
	int r, fd;

	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	fd = netns_open(ns, err);
	if (fd < 0)
		return vnl_err_wrap(err, "starting node '%s'", node->name), fd;
	r = 0;
	for (unsigned int i = 0; r == 0 && i < node->nics && i < NS_NICS_MAX; i++) {
		r = ns_nic_ensure(node, i, ns_type_of(node, i), fd, err);
		if (r == 1)
			r = 0;
		if (r == -EBUSY) {  /* attached: its link's type wins (nic_attach) */
			vnl_err_clear(err);
			r = 0;
		}
	}
	close(fd);
	if (r < 0)
		return vnl_err_wrap(err, "starting node '%s'", node->name), r;
	return 0;
}

static int ns_stop(struct node_ctx *node, struct vnl_err *err)
{
	(void)node;
	(void)err;
	return 0;
}

/* Down, flush, up eth<i>: the down also ends IPv6 on it, so that its
 * link-local address is made again when the carrier comes back (a flushed
 * one would not be); the flush takes the link's address. */
static int ns_eth_flush(int fd, const char *eth, struct vnl_err *err)
{
	int r;

	if ((r = nl_link_set_up(fd, eth, 0, err)) == 0 && (r = nl_addr_flush(fd, eth, err)) == 0)
		r = nl_link_set_up(fd, eth, 1, err);
	return r;
}

static int ns_nic_detach(struct node_ctx *node, unsigned int i, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1], host[16], eth[16];
	enum ns_dev dev = NS_DEV_NONE;
	unsigned int flags;
	bool held;
	int r, fd;

	r = ns_nic_check(node, i, err);
	if (r < 0)
		return r;
	if ((r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err)) < 0 ||
	    (r = ns_host_ifname(node->lab, node->name, i, host, sizeof(host), err)) < 0)
		return r;
	snprintf(eth, sizeof(eth), "eth%u", i);
	fd = netns_open(ns, err);
	if (fd < 0 && fd != -ENOENT)
		return vnl_err_wrap(err, "detaching %s:%u", node->name, i), fd;
	if (fd >= 0 && (r = ns_eth_dev(fd, eth, &dev, &held, err)) < 0) {
		close(fd);
		return vnl_err_wrap(err, "detaching %s:%u", node->name, i), r;
	}
	if (dev == NS_DEV_TAP) {
		/* The switch closed its fd (port-del): only the address is left. */
		r = ns_eth_flush(fd, eth, err);
		close(fd);
		if (r < 0 && r != -ENODEV)
			return vnl_err_wrap(err, "detaching %s:%u", node->name, i), r;
		vnl_err_clear(err);
		return 0;
	}
	r = ns_host_flags(host, &flags, err);
	if (r == -ENODEV || (r == 0 && !(flags & IFF_UP))) {
		if (fd >= 0)
			close(fd);
		vnl_err_clear(err);
		return 0;  /* detached already, or no NIC at all */
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return vnl_err_wrap(err, "detaching %s:%u", node->name, i), r;
	}
	if (fd >= 0) {
		r = ns_eth_flush(fd, eth, err);
		close(fd);
		if (r < 0 && r != -ENODEV)
			return vnl_err_wrap(err, "detaching %s:%u", node->name, i), r;
	}
	/* The cable out last: the node sees NO-CARRIER. */
	r = nl_link_set_up(-1, host, 0, err);
	if (r < 0 && r != -ENODEV)
		return vnl_err_wrap(err, "detaching %s:%u", node->name, i), r;
	vnl_err_clear(err);
	return 0;
}

/* The taps eth<N> of a node (nl_link_list callback): names collected. */
struct ns_taps {
	char names[TOPO_NICS_MAX][16];
	unsigned int n;
};

static void ns_taps_cb(const struct nl_link_info *info, void *arg)
{
	struct ns_taps *t = arg;
	unsigned int i;
	int end;

	if (!strcmp(info->kind, "tun") && sscanf(info->name, "eth%u%n", &i, &end) == 1 && !info->name[end] &&
	    t->n < TOPO_NICS_MAX)
		snprintf(t->names[t->n++], sizeof(t->names[0]), "%s", info->name);
}

static int ns_destroy(struct node_ctx *node, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1], host[16];
	struct vnl_err e1 = { 0 };
	struct ns_taps taps = { .n = 0 };
	unsigned int i;
	int r, fd, first = 0;

	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	/*
	 * NICs first: deleting the netns frees its veths and taps only once
	 * the last process in it is gone (a running `vnl exec`), and
	 * asynchronously.  Taps are found by their kind (strays: any count).
	 */
	for (i = 0; i < node->nics && i < NS_NICS_MAX; i++) {
		if (ns_host_ifname(node->lab, node->name, i, host, sizeof(host), NULL) < 0)
			continue;
		r = nl_link_del(-1, host, &e1);
		if (r < 0 && r != -ENODEV && !first) {
			first = r;
			vnl_errf(err, r, "destroying node '%s': %s", node->name, e1.msg);
		}
	}
	fd = netns_open(ns, NULL);
	if (fd >= 0) {
		if (nl_link_list(fd, ns_taps_cb, &taps, NULL) == 0)
			for (i = 0; i < taps.n; i++) {
				r = tap_delete_in(fd, taps.names[i], &e1);
				if (r < 0 && !first) {
					first = r;
					vnl_errf(err, r, "destroying node '%s': %s", node->name, e1.msg);
				}
			}
		close(fd);
	}
	r = netns_delete(ns, &e1);
	if (r < 0 && !first) {
		first = r;
		vnl_errf(err, r, "destroying node '%s': %s", node->name, e1.msg);
	}
	if (!first)
		vnl_err_clear(err);
	return first;
}

static int ns_nic_port(struct node_ctx *node, unsigned int i, const struct nic_link *link,
		       struct nic_port *port, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1];
	int r;

	memset(port, 0, sizeof(*port));
	if (link->type != NIC_TYPE_TAP) {
		port->type = NIC_PORT_AFXDP;
		port->kind = "afxdp";
		return ns_host_ifname(node->lab, node->name, i, port->ifname, sizeof(port->ifname), err);
	}
	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	port->type = NIC_PORT_TAP;
	port->kind = "tap";
	snprintf(port->ifname, sizeof(port->ifname), "eth%u", i);
	snprintf(port->path, sizeof(port->path), "%s/%s", NETNS_RUN_DIR, ns);
	return 0;
}

/* Attach a tap NIC (it exists, of that type): MTU, address; the switch's
 * fd is the cable. */
static int ns_tap_attach(const struct node_ctx *node, unsigned int i, const struct nic_link *link, int fd,
			 struct vnl_err *err)
{
	enum ns_dev dev;
	char eth[16];
	bool held;
	int r;

	(void)node;
	snprintf(eth, sizeof(eth), "eth%u", i);
	if ((r = ns_eth_dev(fd, eth, &dev, &held, err)) < 0)
		return r;
	if (held)
		return vnl_errf(err, -EEXIST, "NIC %u is attached already (a switch holds its tap %s)", i, eth);
	if (link->mtu && (r = nl_link_set_mtu(fd, eth, link->mtu, err)) < 0)
		return r;
	/* An address left by a crash before the switch attached: kept. */
	if (link->cidr && (r = nl_addr_add(fd, eth, link->cidr, err)) < 0 && r != -EEXIST)
		return r;
	return 0;
}

/* Attach an afxdp NIC: MTU on both ends, the host end up, the address. */
static int ns_veth_attach(const struct node_ctx *node, unsigned int i, const struct nic_link *link, int fd,
			  struct vnl_err *err)
{
	char host[16], eth[16];
	unsigned int flags;
	int r;

	if ((r = ns_host_ifname(node->lab, node->name, i, host, sizeof(host), err)) < 0 ||
	    (r = ns_host_flags(host, &flags, err)) < 0)
		return r;
	snprintf(eth, sizeof(eth), "eth%u", i);
	if (flags & IFF_UP)
		return vnl_errf(err, -EEXIST, "NIC %u is attached already (its host end %s is up)", i, host);
	if (link->mtu && ((r = nl_link_set_mtu(-1, host, link->mtu, err)) < 0 ||
			  (r = nl_link_set_mtu(fd, eth, link->mtu, err)) < 0))
		return r;
	/* Again, for NICs made by an older vnld before the host end goes up. */
	if ((r = nl_link_isolate(host, err)) < 0 || (r = nl_link_set_up(-1, host, 1, err)) < 0)
		return r;
	if (link->cidr && (r = nl_addr_add(fd, eth, link->cidr, err)) < 0) {
		nl_link_set_up(-1, host, 0, NULL);  /* the cable out again */
		return r;
	}
	return 0;
}

static int ns_nic_attach(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			 struct nic_port *port, struct vnl_err *err)
{
	enum nic_type type = link->type == NIC_TYPE_AFXDP ? NIC_TYPE_AFXDP : NIC_TYPE_TAP;
	char ns[NETNS_NAME_MAX + 1];
	int r, fd, made = 0;

	r = ns_nic_check(node, i, err);
	if (r < 0)
		return r;
	if ((r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err)) < 0)
		return r;
	if (type == NIC_TYPE_AFXDP && link->mtu > NIC_AFXDP_MTU_MAX)
		return vnl_errf(err, -EINVAL, "attaching %s:%u: afxdp NICs carry at most %d-byte MTU on veth, "
				"the LAN's is %u; use nic-type tap", node->name, i, NIC_AFXDP_MTU_MAX, link->mtu);
	if (link->cidr) {
		int family, plen;
		uint8_t a[16];

		r = nl_cidr_parse(link->cidr, &family, a, &plen, err);
		if (r < 0)
			return vnl_err_wrap(err, "attaching %s:%u", node->name, i), r;
	}
	fd = netns_open(ns, err);
	if (fd < 0)
		return vnl_err_wrap(err, "attaching %s:%u", node->name, i), fd;
	/* A NIC deleted by hand, or of the other type, is made again: a link
	 * is never refused for it. */
	r = ns_nic_port(node, i, link, port, err);
	if (r == 0)
		r = made = ns_nic_ensure(node, i, type, fd, err);
	if (r >= 0)
		r = type == NIC_TYPE_TAP ? ns_tap_attach(node, i, link, fd, err) : ns_veth_attach(node, i, link, fd, err);
	/* All or nothing: a NIC re-typed for this link is made again as it was
	 * (the failed attach left it detached). */
	if (r < 0 && made == 1)
		ns_nic_ensure(node, i, type == NIC_TYPE_TAP ? NIC_TYPE_AFXDP : NIC_TYPE_TAP, fd, NULL);
	close(fd);
	if (r < 0)
		return vnl_err_wrap(err, "attaching %s:%u", node->name, i), r;
	return 0;
}

struct ns_exec_arg {
	char *const *argv;  /* command */
	int netns_fd;       /* where to run it */
	int report_fd;      /* write end of the CLOEXEC pipe: setns errno */
};

static void ns_exec_child(const struct ns_exec_arg *a)
{
	int e;

	signal(SIGPIPE, SIG_DFL);
	if (setns(a->netns_fd, CLONE_NEWNET) < 0) {
		e = errno;
		if (write(a->report_fd, &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(a->netns_fd);
	execvp(a->argv[0], a->argv);
	e = errno;
	/* As a shell: the command's own stderr, 127 not found, 126 not runnable. */
	if (e == ENOENT) {
		dprintf(STDERR_FILENO, "%s: command not found\n", a->argv[0]);
		_exit(127);
	}
	dprintf(STDERR_FILENO, "%s: %s\n", a->argv[0], strerror(e));
	_exit(126);
}

static int ns_exec(struct node_ctx *node, char *const argv[], int flags, int *status,
		   struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1];
	struct ns_exec_arg a = { .argv = argv };
	int r, p[2], st, child_errno = 0;
	ssize_t n;
	pid_t pid;

	(void)flags; /* the caller's terminal is the node's terminal */

	if (!argv || !argv[0] || !argv[0][0])
		return vnl_errf(err, -EINVAL, "exec in node '%s': no command", node->name);
	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	a.netns_fd = netns_open(ns, err);
	if (a.netns_fd < 0)
		return vnl_err_wrap(err, "exec in node '%s'", node->name), a.netns_fd;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = vnl_errno(err, errno, "exec in node '%s': pipe", node->name);
		close(a.netns_fd);
		return r;
	}
	a.report_fd = p[1];
	pid = fork();
	if (pid == 0)
		ns_exec_child(&a);
	r = pid < 0 ? -errno : 0;
	close(a.netns_fd);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return vnl_errno(err, r, "exec in node '%s': fork", node->name);
	}
	/* EOF when exec succeeded (CLOEXEC) or the child exited otherwise. */
	do
		n = read(p[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vnl_errno(err, errno, "exec in node '%s': waitpid", node->name);
	if (n == sizeof(child_errno))
		return vnl_errno(err, child_errno, "exec in node '%s': entering netns '%s'",
				 node->name, ns);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

struct ns_status_links {
	struct json_object *nics;        /* array being filled */
	const struct node_ctx *node;     /* whose NICs */
};

static void ns_status_cb(const struct nl_link_info *info, void *arg)
{
	struct ns_status_links *s = arg;
	struct json_object *o;
	char host[16], mac[18];
	unsigned int i;
	bool tap;
	int end;

	if (sscanf(info->name, "eth%u%n", &i, &end) != 1 || info->name[end] || i >= s->node->nics)
		return;
	if (ns_host_ifname(s->node->lab, s->node->name, i, host, sizeof(host), NULL) < 0)
		return;
	tap = !strcmp(info->kind, "tun");
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", info->mac[0], info->mac[1],
		 info->mac[2], info->mac[3], info->mac[4], info->mac[5]);
	o = json_object_new_object();
	json_object_object_add(o, "nic", json_object_new_int(i));
	json_object_object_add(o, "name", json_object_new_string(info->name));
	/* The device as it is ("tap", "afxdp"); vnld shows the type asked. */
	json_object_object_add(o, "type", json_object_new_string(tap ? "tap" : "afxdp"));
	if (!tap)
		json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "up", json_object_new_boolean(!!(info->flags & IFF_UP)));
	/* The cable: the host end is up (attached) or the switch holds the
	 * tap, and eth<i> is up. */
	json_object_object_add(o, "carrier", json_object_new_boolean(!!(info->flags & IFF_LOWER_UP)));
	json_object_object_add(o, "mtu", json_object_new_int(info->mtu));
	json_object_array_add(s->nics, o);
}

static int ns_status(struct node_ctx *node, struct json_object *out, struct vnl_err *err)
{
	char ns[NETNS_NAME_MAX + 1];
	struct ns_status_links s = { .node = node };
	int r, fd;

	r = ns_netns_name(node->lab, node->name, ns, sizeof(ns), err);
	if (r < 0)
		return r;
	json_object_object_add(out, "netns", json_object_new_string(ns));
	json_object_object_add(out, "netns_exists", json_object_new_boolean(netns_exists(ns)));
	s.nics = json_object_new_array();
	json_object_object_add(out, "interfaces", s.nics);
	fd = netns_open(ns, err);
	if (fd < 0)
		return vnl_err_wrap(err, "status of node '%s'", node->name), fd;
	r = nl_link_list(fd, ns_status_cb, &s, err);
	close(fd);
	if (r < 0)
		return vnl_err_wrap(err, "status of node '%s'", node->name), r;
	return 0;
}

const char *const ns_nic_type_words[] = { [NIC_TYPE_TAP] = "tap", [NIC_TYPE_AFXDP] = "afxdp", NULL };

/* One option: a netns is its interfaces; addresses are set on them. */
static const struct topo_opt ns_opts[] = { NS_NIC_TYPE_OPT };

static const struct topo_kind ns_schema = {
	.name = "ns",
	.help = "network namespace with tap or veth interfaces",
	.opts = ns_opts,
	.n_opts = 1,
	.addresses = true,
};

/* Nodes with a netns of this lab (ns and cnt nodes): "vnl.LAB.NODE". */
static int ns_host_nodes(const char *lab, int (*add)(const char *node, void *arg), void *arg)
{
	char prefix[TOPO_NAME_MAX + 8];

	snprintf(prefix, sizeof(prefix), "vnl.%s.", lab);
	return dir_names(NETNS_RUN_DIR, prefix, add, arg);
}

const struct node_kind node_kind_ns = {
	.schema = &ns_schema,
	.create = ns_create,
	.start = ns_start,
	.stop = ns_stop,
	.destroy = ns_destroy,
	.status = ns_status,
	.nic_attach = ns_nic_attach,
	.nic_port = ns_nic_port,
	.nic_detach = ns_nic_detach,
	.exec = ns_exec,
	.console = NULL,  /* the host's terminal already is: vnl exec NODE -- bash */
	.copy = NULL,  /* a netns shares the host's files: nothing to copy */
	.host_nodes = ns_host_nodes,
	.host_noun = "netns",
	.host_nouns = "netns",
};
