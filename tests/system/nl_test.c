/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/nl*.c and ethtool.c drive real kernel objects: a veth
 * pair with one end in a namespace, link state, MAC, MTU, addresses, offload;
 * two namespaces joined by a veth ping each other; an isolated host end gets
 * no IPv6 address and answers no ARP; every bad input gets the
 * right errno and a message; nothing with the run's prefix is left behind.
 * Routes and neighbours (nl_route.c, nl_neigh.c) as a VXLAN endpoint uses
 * them: route get (direct and via a gateway, IPv4 and IPv6, none), NTF_USE
 * resolving the veth peer by ARP and ND, an absent address going FAILED,
 * events on a subscribed socket; netns_call() runs in the namespace.
 * Checks use `ip -j` + jq (iproute2's view) and our own dump.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>

#include "ethtool.h"
#include "sys.h"

static const uint8_t mac0[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x01 };

struct find {
	const char *name;          /* link to look for */
	struct nl_link_info info;  /* copy of it, name/kind not kept */
	char kind[16];             /* its kind */
	int found;                 /* times seen */
};

static void find_cb(const struct nl_link_info *info, void *arg)
{
	struct find *f = arg;

	if (strcmp(info->name, f->name))
		return;
	f->info = *info;
	snprintf(f->kind, sizeof(f->kind), "%s", info->kind);
	f->found++;
}

/* `ip -n NS -j ...` piped into `jq -e FILTER`: 0 when the filter holds. */
#define IPJ(ns, cmd, filter) sh("ip -n %s -j %s | jq -e '%s' >/dev/null", ns, cmd, filter)

/* `ip -n NS ...`, output dropped: its exit status. */
#define IPN(ns, cmd) sh("ip -n %s %s >/dev/null 2>&1", ns, cmd)

static uint8_t *ip(const char *text)
{
	static uint8_t b[4][16];
	static int i;
	uint8_t *r = b[i++ & 3];

	memset(r, 0, 16);
	if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, r) != 1)
		abort();
	return r;
}

static int same_ip(int family, const uint8_t *a, const char *text)
{
	return !memcmp(a, ip(text), family == AF_INET ? 4 : 16);
}

/* Events seen on an event socket, by type and by address. */
struct evs {
	int family;              /* of the neighbour looked for */
	const uint8_t *addr;     /* its address */
	int neigh, neigh_mac;    /* RTM_NEWNEIGH for it; with its MAC */
	int neigh_failed;        /* RTM_NEWNEIGH for it in NUD_FAILED */
	uint8_t mac[6];
	int link, route, addrs;  /* RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWADDR (any) */
	int link_ifindex;        /* the last RTM_NEWLINK's */
};

static void ev_cb(const struct nl_event *ev, void *arg)
{
	struct evs *e = arg;

	if (ev->type == RTM_NEWNEIGH && ev->neigh.family == e->family &&
	    !memcmp(ev->neigh.addr, e->addr, e->family == AF_INET ? 4 : 16)) {
		e->neigh++;
		if (ev->neigh.has_mac && nl_neigh_usable(ev->neigh.state)) {
			e->neigh_mac++;
			memcpy(e->mac, ev->neigh.mac, 6);
		}
		if (ev->neigh.state == NUD_FAILED)
			e->neigh_failed++;
	} else if (ev->type == RTM_NEWLINK) {
		e->link++;
		e->link_ifindex = ev->ifindex;
	} else if (ev->type == RTM_NEWROUTE) {
		e->route++;
	} else if (ev->type == RTM_NEWADDR) {
		e->addrs++;
	}
}

/* Poll the neighbour until pred holds or ~ms pass; reads events meanwhile. */
static int neigh_wait(int fns, int family, const char *addr, int ifindex, int ms, int want_failed,
		      int evfd, struct evs *e, struct nl_neigh *n)
{
	for (int t = 0; t <= ms; t += 50) {
		if (evfd >= 0)
			nl_events_read(evfd, ev_cb, e, NULL);
		if (nl_neigh_get(fns, family, ip(addr), ifindex, n, NULL) == 0 &&
		    (want_failed ? n->state == NUD_FAILED : nl_neigh_usable(n->state) && n->has_mac))
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

/* netns_call() target: the inode of the calling thread's network namespace. */
static int ns_inode(void *arg)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return -errno;
	*(ino_t *)arg = st.st_ino;
	return 7;
}

static int fail_enotty(void *arg)
{
	(void)arg;
	return -ENOTTY;
}

/* Routes, neighbours, events and netns_call between a:p0 (10.78.0.1) and b:eth1 (10.78.0.2). */
static void routes_and_neighbours(const char *a, const char *b, int fa, int fb, const char *p0)
{
	struct vnl_err err = { 0 };
	struct nl_route rt;
	struct nl_neigh n;
	struct find fb1 = { .name = "eth1" };
	struct evs e4 = { .family = AF_INET }, e6 = { .family = AF_INET6 }, ef = { .family = AF_INET };
	unsigned int groups[] = { RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
				  RTNLGRP_IPV4_IFADDR };
	char path[96];
	ino_t ino = 0;
	struct stat st;
	int ifa, evfd, r;

	ifa = nl_link_index(fa, p0, &err);
	ok(ifa > 0 && nl_link_list(fb, find_cb, &fb1, &err) == 0 && fb1.found == 1,
	   "%s's index %d, %s's eth1 and its MAC", p0, ifa, b);
	snprintf(path, sizeof(path), "addr add fd00:78::1/64 dev %s nodad", p0);
	ok(IPN(a, path) == 0 && IPN(b, "addr add fd00:78::2/64 dev eth1 nodad") == 0,
	   "IPv6 addresses fd00:78::1 and ::2 (nodad)");
	snprintf(path, sizeof(path), "route add 10.99.0.0/16 via 10.78.0.2 dev %s", p0);
	ok(IPN(a, path) == 0 && IPN(a, "-6 route add fd00:99::/64 via fd00:78::2") == 0,
	   "routes to 10.99.0.0/16 and fd00:99::/64 via b");

	/* Route lookups. */
	r = nl_route_get(fa, AF_INET, ip("10.78.0.2"), 0, &rt, &err);
	ok(r == 0 && rt.oif == ifa && !rt.has_gateway && same_ip(AF_INET, rt.nexthop, "10.78.0.2") &&
	   rt.has_prefsrc && same_ip(AF_INET, rt.prefsrc, "10.78.0.1") && rt.type == RTN_UNICAST,
	   "route to 10.78.0.2: direct on %s, next hop itself, source 10.78.0.1 (%d %s)", p0, r, err.msg);
	r = nl_route_get(fa, AF_INET, ip("10.99.1.1"), ifa, &rt, &err);
	ok(r == 0 && rt.oif == ifa && rt.has_gateway && same_ip(AF_INET, rt.gateway, "10.78.0.2") &&
	   same_ip(AF_INET, rt.nexthop, "10.78.0.2"), "route to 10.99.1.1 (oif given): via 10.78.0.2 (%d %s)",
	   r, err.msg);
	r = nl_route_get(fa, AF_INET6, ip("fd00:78::2"), 0, &rt, &err);
	ok(r == 0 && rt.oif == ifa && !rt.has_gateway && same_ip(AF_INET6, rt.nexthop, "fd00:78::2"),
	   "route to fd00:78::2: direct on %s (%d %s)", p0, r, err.msg);
	r = nl_route_get(fa, AF_INET6, ip("fd00:99::5"), 0, &rt, &err);
	ok(r == 0 && rt.oif == ifa && rt.has_gateway && same_ip(AF_INET6, rt.nexthop, "fd00:78::2"),
	   "route to fd00:99::5: via fd00:78::2 (%d %s)", r, err.msg);
	vnl_err_clear(&err);
	r = nl_route_get(fb, AF_INET, ip("203.0.113.9"), 0, &rt, &err);
	ok(r == -ENETUNREACH && strstr(err.msg, "203.0.113.9"), "no route in %s -> -ENETUNREACH: %s", b,
	   err.msg);
	vnl_err_clear(&err);
	r = nl_route_get(fb, AF_INET6, ip("2001:db8::9"), 0, &rt, &err);
	ok(r < 0 && strstr(err.msg, "2001:db8::9"), "no IPv6 route -> %d: %s", r, err.msg);
	ok(nl_route_get(fa, 7, ip("10.78.0.2"), 0, &rt, &err) == -EINVAL, "family 7 -> -EINVAL: %s", err.msg);
	ok(nl_route_get(fa, AF_INET, ip("10.78.0.2"), 99999, &rt, &err) == -ENODEV,
	   "unknown oif -> -ENODEV: %s", err.msg);

	/* Neighbours: start from an empty table, resolve through the kernel. */
	evfd = nl_events_open(fa, groups, sizeof(groups) / sizeof(groups[0]), &err);
	ok(evfd >= 0, "event socket in %s (%s)", a, err.msg);
	e4.addr = ip("10.78.0.2");
	snprintf(path, sizeof(path), "neigh flush dev %s", p0);
	ok(IPN(a, path) == 0, "neighbour table of %s flushed", p0);
	vnl_err_clear(&err);
	r = nl_neigh_get(fa, AF_INET, ip("10.78.0.2"), ifa, &n, &err);
	ok(r == -ENOENT || (r == 0 && !nl_neigh_usable(n.state)), "10.78.0.2 not resolved yet (%d %s)", r,
	   err.msg);
	r = nl_neigh_use(fa, AF_INET, ip("10.78.0.2"), ifa, &err);
	ok(r == 0, "NTF_USE 10.78.0.2 (%s)", err.msg);
	r = neigh_wait(fa, AF_INET, "10.78.0.2", ifa, 3000, 0, evfd, &e4, &n);
	ok(r == 0 && !memcmp(n.mac, fb1.info.mac, 6) && n.ifindex == ifa && !(n.state & NUD_PERMANENT),
	   "ARP: 10.78.0.2 usable with b's MAC, dynamic (state 0x%x)", n.state);
	for (int t = 0; t < 40 && !e4.neigh_mac; t++, usleep(50 * 1000))
		nl_events_read(evfd, ev_cb, &e4, NULL);
	ok(e4.neigh_mac > 0 && !memcmp(e4.mac, fb1.info.mac, 6), "an RTM_NEWNEIGH event carried it (%d events)",
	   e4.neigh);
	snprintf(path, sizeof(path), "-j neigh show dev %s 10.78.0.2", p0);
	ok(IPJ(a, path, "(.[0].state | index(\"PERMANENT\")) == null") == 0, "ip neigh: not PERMANENT");

	e6.addr = ip("fd00:78::2");
	r = nl_neigh_use(fa, AF_INET6, ip("fd00:78::2"), ifa, &err);
	ok(r == 0, "NTF_USE fd00:78::2 (%s)", err.msg);
	r = neigh_wait(fa, AF_INET6, "fd00:78::2", ifa, 6000, 0, evfd, &e6, &n);
	ok(r == 0 && !memcmp(n.mac, fb1.info.mac, 6), "ND: fd00:78::2 usable with b's MAC (state 0x%x)", n.state);

	ef.addr = ip("10.78.0.77");
	r = nl_neigh_use(fa, AF_INET, ip("10.78.0.77"), ifa, &err);
	ok(r == 0, "NTF_USE 10.78.0.77 (nobody there) (%s)", err.msg);
	r = neigh_wait(fa, AF_INET, "10.78.0.77", ifa, 8000, 1, evfd, &ef, &n);
	ok(r == 0 && !n.has_mac, "10.78.0.77 goes FAILED (state 0x%x)", n.state);
	for (int t = 0; t < 20 && !ef.neigh_failed; t++, usleep(50 * 1000))
		nl_events_read(evfd, ev_cb, &ef, NULL);
	ok(ef.neigh_failed > 0, "an event said FAILED");

	/* Link, route and address events. */
	e4.link = e4.route = e4.addrs = 0;
	ok(nl_link_set_mtu(fa, p0, 1400, &err) == 0, "MTU of %s to 1400", p0);
	ok(IPN(a, "route add 10.98.0.0/16 via 10.78.0.2") == 0, "a route added");
	ok(nl_addr_add(fa, p0, "10.78.5.1/24", &err) == 0, "an address added");
	for (int t = 0; t < 40 && !(e4.link && e4.route && e4.addrs); t++, usleep(50 * 1000))
		nl_events_read(evfd, ev_cb, &e4, NULL);
	ok(e4.link > 0 && e4.link_ifindex == ifa && e4.route > 0 && e4.addrs > 0,
	   "events: link (ifindex %d), route, address (%d %d %d)", e4.link_ifindex, e4.link, e4.route, e4.addrs);
	ok(nl_events_read(evfd, ev_cb, &e4, &err) == 0, "nothing more pending -> 0");
	close(evfd);

	/* Errors. */
	vnl_err_clear(&err);
	r = nl_neigh_get(fa, AF_INET, ip("10.78.0.2"), 99999, &n, &err);
	ok(r < 0 && strstr(err.msg, "10.78.0.2"), "neighbour on a missing ifindex -> %d: %s", r, err.msg);
	ok(nl_neigh_use(fa, 7, ip("10.78.0.2"), ifa, &err) == -EINVAL, "NTF_USE family 7 -> -EINVAL");
	vnl_err_clear(&err);
	r = nl_neigh_use(fa, AF_INET, ip("10.78.0.2"), 99999, &err);
	ok(r < 0 && strstr(err.msg, "10.78.0.2"), "NTF_USE on a missing ifindex -> %d: %s", r, err.msg);
	ok(nl_events_open(999, groups, 1, &err) == -EBADF, "event socket in a closed netns fd -> -EBADF");

	/* netns_call: fn runs inside, its result comes back, err untouched by fn's failure. */
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, a);
	r = netns_call(fa, ns_inode, &ino, &err);
	ok(r == 7 && stat(path, &st) == 0 && ino == st.st_ino, "netns_call(%s) runs inside it (%d)", a, r);
	ino = 0;
	ok(netns_call(-1, ns_inode, &ino, &err) == 7 && stat("/proc/self/ns/net", &st) == 0 && ino == st.st_ino,
	   "netns_call(-1) runs in our own");
	vnl_err_clear(&err);
	ok(netns_call(fa, fail_enotty, NULL, &err) == -ENOTTY && err.code == 0, "fn's -ENOTTY returned as is");
	r = netns_call(999, ns_inode, &ino, &err);
	ok(r == -EBADF && strstr(err.msg, "entering"), "netns_call on a closed fd -> -EBADF: %s", err.msg);
}

int main(void)
{
	char a[32], b[32], h0[32], h1[32], p0[32], m0[32], m1[32], cmd[128];
	struct vnl_err err = { 0 };
	struct find f = { .name = "eth0" };
	int fa = -1, fb = -1, r;

	sys_init();
	sys_name(a, sizeof(a), "a");
	sys_name(b, sizeof(b), "b");
	sys_name(h0, sizeof(h0), "h0");
	sys_name(h1, sizeof(h1), "h1");
	sys_name(p0, sizeof(p0), "p0");
	sys_name(m0, sizeof(m0), "m0");
	sys_name(m1, sizeof(m1), "m1");
	if (netns_create(a, &err) || netns_create(b, &err) ||
	    (fa = netns_open(a, &err)) < 0 || (fb = netns_open(b, &err)) < 0) {
		printf("Bail out! setting up namespaces: %s\n", err.msg);
		return 1;
	}

	/* A veth with its peer created directly inside namespace a. */
	r = nl_veth_create(h0, "eth0", fa, &err);
	ok(r == 0, "veth %s <-> %s:eth0 -> %d (%s)", h0, a, r, err.msg);
	ok(nl_link_exists(-1, h0) == 1, "host end %s exists here", h0);
	ok(nl_link_exists(fa, "eth0") == 1, "peer eth0 exists in %s", a);
	ok(nl_link_exists(fb, "eth0") == 0, "and not in %s", b);
	ok(nl_link_index(fa, "eth0", &err) > 0, "nl_link_index finds it");
	ok(IPJ(a, "link show dev eth0", ".[0].link_type == \"ether\"") == 0,
	   "ip -n %s sees eth0", a);
	ok(IPJ(a, "-d link show dev eth0", ".[0].linkinfo.info_kind == \"veth\"") == 0,
	   "ip -n %s -d link: eth0 is a veth", a);

	ok(nl_link_set_up(-1, h0, 1, &err) == 0, "set %s up", h0);
	ok(nl_link_set_up(fa, "eth0", 1, &err) == 0, "set eth0 up in %s", a);
	ok(nl_link_set_mac(fa, "eth0", mac0, &err) == 0, "set MAC");
	ok(nl_link_set_mtu(fa, "eth0", 1400, &err) == 0, "set MTU 1400");
	ok(IPJ(a, "link show dev eth0",
	       ".[0].address == \"02:00:00:aa:bb:01\" and .[0].mtu == 1400 and (.[0].flags | index(\"UP\")) != null") == 0,
	   "ip -j link: MAC, MTU and UP as set");
	ok(nl_link_list(fa, find_cb, &f, &err) == 0 && f.found == 1, "own dump finds eth0 once");
	ok(!strcmp(f.kind, "veth") && !memcmp(f.info.mac, mac0, 6) && f.info.mtu == 1400 &&
	   (f.info.flags & IFF_UP) && f.info.ifindex > 0, "own dump: kind veth, MAC, MTU, UP");

	r = nl_addr_add(fa, "eth0", "10.77.0.1/24", &err);
	ok(r == 0, "add 10.77.0.1/24 -> %d (%s)", r, err.msg);
	r = nl_addr_add(fa, "eth0", "fd00:77::1/64", &err);
	ok(r == 0, "add fd00:77::1/64 -> %d (%s)", r, err.msg);
	ok(nl_addr_add(fa, "eth0", "10.77.1.1/16", &err) == 0, "add a second IPv4 address");
	ok(IPJ(a, "addr show dev eth0",
	       "[.[0].addr_info[] | \"\\(.local)/\\(.prefixlen)\"] | (index(\"10.77.0.1/24\") != null) and (index(\"fd00:77::1/64\") != null) and (index(\"10.77.1.1/16\") != null)") == 0,
	   "ip -j addr shows the three addresses");
	vnl_err_clear(&err);
	r = nl_addr_add(fa, "eth0", "10.77.0.1/24", &err);
	ok(r == -EEXIST && strstr(err.msg, "10.77.0.1/24") && strstr(err.msg, "eth0"),
	   "same address again -> -EEXIST: %s", err.msg);
	vnl_err_clear(&err);
	ok(nl_addr_del(fa, "eth0", "10.77.1.1/16", &err) == 0, "nl_addr_del removes one");
	ok(IPJ(a, "addr show dev eth0", "[.[0].addr_info[].local] | index(\"10.77.1.1\") == null") == 0,
	   "ip -j addr: it is gone");

	r = ethtool_get_tx_csum(fa, "eth0", &err);
	ok(r == 1, "veth starts with tx checksum offload on (%d)", r);
	r = ethtool_set_tx_csum(fa, "eth0", 0, &err);
	ok(r == 0, "turn tx checksum offload off -> %d (%s)", r, err.msg);
	ok(ethtool_get_tx_csum(fa, "eth0", &err) == 0, "it reads back off");
	ok(ethtool_get_tx_csum(-1, h0, &err) == 1, "the host end keeps it on");
	if (sh("command -v ethtool >/dev/null") == 0)
		ok(sh("ip netns exec %s ethtool -k eth0 | grep -q '^tx-checksumming: off'", a) == 0,
		   "ethtool -k agrees");

	r = nl_addr_flush(fa, "eth0", &err);
	ok(r == 0, "flush -> %d (%s)", r, err.msg);
	ok(IPJ(a, "addr show dev eth0", "[.[0].addr_info[] | select(.family == \"inet\" or .scope == \"global\")] | length == 0") == 0,
	   "ip -j addr: no IPv4 or global IPv6 address left");
	ok(nl_addr_flush(fa, "eth0", &err) == 0, "flush with nothing to flush -> 0");

	/* Two namespaces joined by one veth: addresses and links really work. */
	r = nl_veth_create(p0, "eth1", fb, &err);
	ok(r == 0, "veth %s <-> %s:eth1 (%s)", p0, b, err.msg);
	r = nl_link_set_netns(-1, p0, fa, &err);
	ok(r == 0 && nl_link_exists(fa, p0) == 1 && nl_link_exists(-1, p0) == 0,
	   "move %s into %s (%s)", p0, a, err.msg);
	ok(!nl_addr_add(fa, p0, "10.78.0.1/24", &err) && !nl_addr_add(fb, "eth1", "10.78.0.2/24", &err),
	   "addresses on both ends (%s)", err.msg);
	ok(!nl_link_set_up(fa, p0, 1, &err) && !nl_link_set_up(fb, "eth1", 1, &err) &&
	   !nl_link_set_up(fa, "lo", 1, &err) && !nl_link_set_up(fb, "lo", 1, &err), "links up");
	ok(!ethtool_set_tx_csum(fa, p0, 0, &err) && !ethtool_set_tx_csum(fb, "eth1", 0, &err),
	   "checksum offload off on both ends");
	ok(sh("ip netns exec %s ping -c 2 -i 0.2 -W 2 10.78.0.2 >/dev/null", a) == 0, "%s pings %s", a, b);
	ok(sh("ip netns exec %s ping -c 1 -W 2 10.78.0.1 >/dev/null", b) == 0, "%s pings %s", b, a);

	routes_and_neighbours(a, b, fa, fb, p0);

	/* Moving to "our own" namespace (-1) and deleting one end deletes both. */
	ok(nl_veth_create(m0, m1, -1, &err) == 0, "veth %s <-> %s both here", m0, m1);
	ok(nl_link_set_netns(-1, m1, fb, &err) == 0 && nl_link_exists(fb, m1) == 1, "%s moved to %s", m1, b);
	ok(nl_link_set_netns(fb, m1, -1, &err) == 0 && nl_link_exists(-1, m1) == 1, "and back with -1");
	/* A host end made a pure L2 port before it comes up: no IPv6 address ever. */
	ok(nl_link_isolate(m0, &err) == 0, "nl_link_isolate(%s) (%s)", m0, err.msg);
	ok(nl_link_set_up(-1, m0, 1, &err) == 0 && nl_link_set_up(-1, m1, 1, &err) == 0, "both ends up");
	usleep(300 * 1000);
	ok(sh("test -z \"$(ip -6 -o addr show dev %s)\" && test -n \"$(ip -6 -o addr show dev %s)\"", m0, m1) == 0,
	   "%s has no inet6 address (not even fe80::), %s (not isolated) has one", m0, m1);
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv4/conf/%s/arp_ignore", m0);
	ok(sh("test \"$(cat %s)\" = 8 && test \"$(cat /proc/sys/net/ipv6/conf/%s/accept_ra)\" = 0 && "
	      "test \"$(cat /proc/sys/net/ipv4/conf/%s/rp_filter)\" = 1", cmd, m0, m0) == 0,
	   "%s: arp_ignore 8, accept_ra 0, rp_filter 1", m0);
	ok(nl_link_isolate(m0, &err) == 0, "nl_link_isolate again: idempotent");
	ok(nl_link_isolate("vnlnosuchif0", &err) == -ENODEV && strstr(err.msg, "vnlnosuchif0"),
	   "nl_link_isolate of a missing link: -ENODEV (%s)", err.msg);
	ok(nl_link_del(-1, m0, &err) == 0 && nl_link_exists(-1, m1) == 0, "deleting %s deleted %s", m0, m1);

	/* Errors: errno and message. */
	vnl_err_clear(&err);
	r = nl_veth_create(h0, "eth9", fa, &err);
	ok(r == -EEXIST && strstr(err.msg, h0), "duplicate host name -> -EEXIST: %s", err.msg);
	ok(nl_link_exists(fa, "eth9") == 0, "no half pair: eth9 not created");
	vnl_err_clear(&err);
	r = nl_veth_create(h1, "eth0", fa, &err);
	ok(r == -EEXIST && strstr(err.msg, "eth0"), "duplicate peer name -> -EEXIST: %s", err.msg);
	ok(nl_link_exists(-1, h1) == 0, "no half pair: %s not created", h1);
	vnl_err_clear(&err);
	r = nl_veth_create("abcdefghijklmnop", "eth9", fa, &err);
	ok(r == -EINVAL && strstr(err.msg, "15"), "16-character name -> -EINVAL: %s", err.msg);
	ok(nl_veth_create("a/b", "eth9", fa, &err) == -EINVAL, "name with '/' -> -EINVAL: %s", err.msg);
	ok(nl_link_set_up(-1, "", 1, &err) == -EINVAL, "empty name -> -EINVAL");
	{
		const char *bad[] = { "10.0.0.300/24", "10.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/2x",
				      "/24", "fd00::1/129", "nonsense", "" };

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			vnl_err_clear(&err);
			r = nl_addr_add(fa, "eth0", bad[i], &err);
			ok(r == -EINVAL && err.msg[0], "bad CIDR '%s' -> -EINVAL: %s", bad[i], err.msg);
		}
	}
	vnl_err_clear(&err);
	r = nl_addr_add(fa, "nosuch0", "10.0.0.1/24", &err);
	ok(r == -ENODEV && strstr(err.msg, "nosuch0"), "address on missing link -> -ENODEV: %s", err.msg);
	vnl_err_clear(&err);
	r = nl_link_del(fa, "nosuch0", &err);
	ok(r == -ENODEV && strstr(err.msg, "nosuch0"), "delete missing link -> -ENODEV: %s", err.msg);
	ok(nl_link_set_up(fa, "nosuch0", 1, &err) == -ENODEV, "set up missing link -> -ENODEV");
	ok(ethtool_set_tx_csum(fa, "nosuch0", 0, &err) == -ENODEV, "ethtool on missing link -> -ENODEV: %s",
	   err.msg);
	vnl_err_clear(&err);
	r = nl_link_set_mtu(fa, "eth0", 100000, &err);
	ok(r == -EINVAL && strstr(err.msg, "MTU"), "MTU 100000 -> -EINVAL: %s", err.msg);
	vnl_err_clear(&err);
	snprintf(cmd, sizeof(cmd), "%szz", sys_pfx);
	r = netns_open(cmd, &err);
	ok(r == -ENOENT && strstr(err.msg, cmd), "missing netns -> -ENOENT: %s", err.msg);
	vnl_err_clear(&err);
	r = nl_veth_create(h1, "eth9", 999, &err);
	ok(r == -EBADF && nl_link_exists(-1, h1) == 0, "peer netns fd not open -> -EBADF, nothing made: %s",
	   err.msg);
	vnl_err_clear(&err);
	r = nl_link_exists(999, "lo");
	ok(r == -EBADF, "lookup in a closed netns fd -> -EBADF");

	/* Teardown: deleting the host end deletes the pair. */
	ok(nl_link_del(-1, h0, &err) == 0 && nl_link_exists(fa, "eth0") == 0, "delete %s: pair gone", h0);
	ok(nl_link_del(-1, h0, &err) == -ENODEV, "delete again -> -ENODEV");
	close(fa);
	close(fb);
	ok(netns_delete(a, &err) == 0 && netns_delete(b, &err) == 0, "namespaces deleted");
	ok(sys_leftovers_settled() == 0, "nothing with prefix %s left (netns, links)", sys_pfx);
	ok(sh("ip netns list | grep -q '^%s'; test $? = 1", sys_pfx) == 0 &&
	   sh("ip -j link | jq -e '[.[].ifname | select(startswith(\"%s\"))] | length == 0' >/dev/null", sys_pfx) == 0,
	   "iproute2 agrees");
	return tap_done();
}
