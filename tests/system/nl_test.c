/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/nl*.c and ethtool.c drive real kernel objects: a veth
 * pair with one end in a namespace, link state, MAC, MTU, addresses, offload;
 * two namespaces joined by a veth ping each other; an isolated host end gets
 * no IPv6 address and answers no ARP; every bad input gets the
 * right errno and a message; nothing with the run's prefix is left behind.
 * Checks use `ip -j` + jq (iproute2's view) and our own dump.
 */
#include <fcntl.h>
#include <linux/if.h>

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
