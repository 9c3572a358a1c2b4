/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the `ns` node kind (endpoints/ns.c) through its vtable, on the
 * real kernel: create makes netns vnl.LAB.NODE with lo up and every NIC:
 * the veth with the documented host name, eth<i> up with the stable MAC
 * and tx checksum offload off, the host end down (NO-CARRIER in the node);
 * nic_attach brings the host end up (carrier) and sets the address, and
 * returns the afxdp port; nic_detach removes the address and takes the host
 * end down, the interface stays; attaching again works; start and
 * nic_attach make a NIC deleted by hand again; exec runs commands inside
 * with exit statuses as a shell gives them; status reports the NICs and
 * their carrier; nic_detach and destroy are idempotent; bad input
 * (duplicate node, long name, bad NIC index, bad address) is refused with
 * the right errno and leaves the NIC as it was.  Nodes a and b have afxdp
 * NICs (veths); node t has tap NICs (the default type): persistent taps
 * eth<i> in the netns, no host interface, same MACs; nic_attach sets the
 * LAN's MTU (veth: both ends), returns the tap port (netns path, iface) and
 * says -EEXIST while a switch holds the tap (carrier, also with eth<i>
 * down); a NIC of the other type is made again while detached (same name
 * and MAC), -EBUSY while attached, and as it was when the attach fails;
 * afxdp refuses an mtu above 3506; start makes a tap deleted by
 * hand again; destroy from the names alone (a crash's debris, the netns
 * held by a process) removes the taps.
 * The lab name is the run's prefix, so parallel runs do not meet.
 */
#include <fcntl.h>
#include <json-c/json.h>

#include "ethtool.h"
#include "node_kind.h"
#include "tuntap.h"
#include "endpoints/ns.h"
#include "sys.h"

static const struct node_kind *k;
static struct node_ctx node_a, node_b, node_long, node_t;
static struct nic_port port;
static struct vnl_err err;
static char lab[16];  /* the lab: the run's prefix; static, for the atexit cleanup */

/* Every node this run may have made, removed at exit and on signals. */
static void kind_cleanup(void)
{
	if (!k)
		return;
	k->destroy(&node_a, NULL);
	k->destroy(&node_b, NULL);
	k->destroy(&node_t, NULL);
}

/* nic_attach of NIC i of n with its type, address cidr and LAN mtu. */
static int attach(struct node_ctx *n, unsigned int i, const char *cidr, unsigned int mtu)
{
	struct nic_link nl = { .cidr = cidr, .mtu = mtu, .type = i < TOPO_NICS_MAX ? n->nic_types[i] : 0 };

	return k->nic_attach(n, i, &nl, &port, &err);
}

static void kind_on_signal(int sig)
{
	kind_cleanup();
	sys_on_signal(sig);
}

/* `ip ARGS -j ...` piped into `jq -e FILTER`: 0 when the filter holds. */
#define IPJ(args, filter) sh("ip -j %s | jq -e '%s' >/dev/null", args, filter)

/* Run argv in node n with stdout into `out` (NULL: inherited); *status. */
static int run(struct node_ctx *n, char *const argv[], int *status, char *out, size_t size,
	       struct vnl_err *err)
{
	char path[] = "/tmp/vnl-ns-kind-XXXXXX";
	int fd = -1, saved = -1, r;
	ssize_t len;

	fflush(stdout);
	if (out) {
		fd = mkstemp(path);
		if (fd < 0)
			return -errno;
		unlink(path);
		saved = dup(STDOUT_FILENO);
		dup2(fd, STDOUT_FILENO);
	}
	r = k->exec(n, argv, 0, status, err);
	if (out) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
		len = pread(fd, out, size - 1, 0);
		out[len > 0 ? len : 0] = '\0';
		close(fd);
	}
	return r;
}

static int netns_listed(const char *ns)
{
	char filter[128];

	snprintf(filter, sizeof(filter), "[.[]? | select(.name == \"%s\")] | length == 1", ns);
	return IPJ("netns list", filter) == 0;
}

/* The host end `h` exists and is administratively up (1) or down (0). */
static int host_is(const char *h, int up)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "link show dev %s", h);
	return IPJ(buf, up ? ".[0].flags | index(\"UP\") != null" : ".[0].flags | index(\"UP\") == null") == 0;
}

/* eth<i> in netns ns: up, with carrier (1) or NO-CARRIER (0), MAC mac, and
 * address "A.B.C.D/N" (NULL: no IPv4 address). */
static int eth_is(const char *ns, unsigned int i, int carrier, const char *mac, const char *addr)
{
	char buf[96], filter[512], a[40] = "", plen[8] = "";

	if (addr) {
		sscanf(addr, "%39[^/]/%7s", a, plen);
		snprintf(filter, sizeof(filter),
			 ".[0].address == \"%s\" and (.[0].flags | index(\"UP\")) != null and "
			 "((.[0].flags | index(\"NO-CARRIER\")) == null) == %s and "
			 "[.[0].addr_info[] | select(.family == \"inet\") | \"\\(.local)/\\(.prefixlen)\"] == [\"%s/%s\"]",
			 mac, carrier ? "true" : "false", a, plen);
	} else {
		snprintf(filter, sizeof(filter),
			 ".[0].address == \"%s\" and (.[0].flags | index(\"UP\")) != null and "
			 "((.[0].flags | index(\"NO-CARRIER\")) == null) == %s and "
			 "[.[0].addr_info[] | select(.family == \"inet\")] == []",
			 mac, carrier ? "true" : "false");
	}
	snprintf(buf, sizeof(buf), "-n %s addr show dev eth%u", ns, i);
	return IPJ(buf, filter) == 0;
}

static void mac_of(const char *node, unsigned int i, char mac[18])
{
	uint8_t m[6];

	ns_nic_mac(lab, node, i, m);
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int main(void)
{
	char nsa[80], nsb[80], ha0[16], ha1[16], hb0[16], buf[8192], mac[18];
	char longname[80];
	struct json_object *st, *v, *nics;
	uint8_t m[6];
	int r, status = -1, fa = -1;
	unsigned int i;

	sys_init();
	snprintf(lab, sizeof(lab), "%s", sys_pfx);
	/* a and b: afxdp NICs (veths); t: tap NICs (the default). */
	node_a = (struct node_ctx){ .lab = lab, .name = "a", .nics = 2, .nic_types = { NIC_TYPE_AFXDP, NIC_TYPE_AFXDP } };
	node_b = (struct node_ctx){ .lab = lab, .name = "b", .nics = 1, .nic_types = { NIC_TYPE_AFXDP } };
	node_t = (struct node_ctx){ .lab = lab, .name = "t", .nics = 2 };
	memset(longname, 'x', 70);
	longname[70] = '\0';
	node_long = (struct node_ctx){ .lab = lab, .name = longname, .nics = 1 };
	atexit(kind_cleanup);
	signal(SIGTERM, kind_on_signal);
	signal(SIGINT, kind_on_signal);

	/* The kind table. */
	k = node_kind_find("ns");
	ok(k == &node_kind_ns && !strcmp(k->schema->name, "ns"), "node_kind_find(\"ns\")");
	errno = 0;
	ok(node_kind_find("nope") == NULL && errno == ENOENT, "unknown kind -> NULL, ENOENT");
	ok(k->create && k->destroy && k->exec && k->nic_attach && k->nic_detach && k->status &&
	   k->start && k->stop && !k->copy, "ns: every slot but copy");

	/* Names. */
	ok(ns_netns_name(lab, "a", nsa, sizeof(nsa), &err) == 0, "netns name of a: %s", nsa);
	ns_netns_name(lab, "b", nsb, sizeof(nsb), NULL);
	snprintf(buf, sizeof(buf), "vnl.%s.a", lab);
	ok(!strcmp(nsa, buf), "netns name is vnl-LAB-NODE");
	ok(ns_host_ifname(lab, "a", 0, ha0, sizeof(ha0), &err) == 0 &&
	   ns_host_ifname(lab, "a", 1, ha1, sizeof(ha1), &err) == 0 &&
	   ns_host_ifname(lab, "b", 0, hb0, sizeof(hb0), &err) == 0, "host names %s %s %s", ha0, ha1,
	   hb0);
	ok(strlen(ha0) == 11 && ha0[0] == 'v' && ha0[9] == '-' && ha0[10] == '0' &&
	   strspn(ha0 + 1, "0123456789abcdef") == 8, "host name is v + 8 hex + -i");
	ok(strcmp(ha0, ha1) && strcmp(ha0, hb0), "host names differ per node and NIC");
	ns_host_ifname(lab, "a", 0, buf, 16, NULL);
	ok(!strcmp(buf, ha0), "host name is stable");
	ns_host_ifname(lab, "a", NS_NICS_MAX - 1, buf, 16, NULL);
	ok(strlen(buf) <= NL_IFNAME_MAX, "largest NIC index still fits: %s", buf);
	ok(ns_host_ifname(lab, "a", NS_NICS_MAX, buf, 16, &err) == -EINVAL,
	   "NIC index %d -> -EINVAL (%s)", NS_NICS_MAX, err.msg);

	/* create: the netns and every NIC, detached */
	r = k->create(&node_a, &err);
	ok(r == 0, "create a -> %d (%s)", r, err.msg);
	ok(netns_listed(nsa), "ip netns list shows %s", nsa);
	snprintf(buf, sizeof(buf), "-n %s link show dev lo", nsa);
	ok(IPJ(buf, ".[0].flags | index(\"UP\") != null") == 0, "lo is up in %s", nsa);
	for (i = 0; i < 2; i++) {
		mac_of("a", i, mac);
		ok(!strncmp(mac, "02:", 3), "MAC %s: locally administered, unicast", mac);
		ok(host_is(i ? ha1 : ha0, 0), "host end %s exists, down", i ? ha1 : ha0);
		ok(eth_is(nsa, i, 0, mac, NULL), "eth%u in %s: up, NO-CARRIER, MAC %s, no address", i, nsa, mac);
	}
	fa = netns_open(nsa, &err);
	ok(ethtool_get_tx_csum(fa, "eth0", &err) == 0 && ethtool_get_tx_csum(fa, "eth1", &err) == 0,
	   "tx checksum offload off on eth0 and eth1");
	ok(sh("ethtool -k %s | grep -q 'tx-checksumming: on'", ha0) == 0,
	   "and left on at the host end");
	r = k->create(&node_a, &err);
	ok(r == -EEXIST && strstr(err.msg, "'a'") && strstr(err.msg, nsa),
	   "create a again -> -EEXIST (%s)", err.msg);
	ok(netns_exists(nsa) && nl_link_exists(fa, "eth1") == 1, "and the first one is still there");
	r = k->create(&node_long, &err);
	ok(r == -EINVAL && strstr(err.msg, "longer"), "70-char node name -> -EINVAL (%s)", err.msg);
	ok(k->destroy(&node_long, &err) == -EINVAL, "destroy refuses it the same way");
	ok(k->start(&node_a, &err) == 0 && k->stop(&node_a, &err) == 0, "start/stop: nothing to do");
	ok(host_is(ha0, 0) && host_is(ha1, 0), "start attached nothing");

	/* nic_attach: the cable in */
	memset(&port, 0xff, sizeof(port));
	r = attach(&node_a, 0, "10.9.0.1/24", 0);
	ok(r == 0, "attach a:0 10.9.0.1/24 -> %d (%s)", r, err.msg);
	ok(port.type == NIC_PORT_AFXDP && !strcmp(port.kind, "afxdp") && !strcmp(port.ifname, ha0),
	   "port: afxdp on %s", port.ifname);
	r = attach(&node_a, 1, "10.9.1.1/24", 0);
	ok(r == 0 && !strcmp(port.ifname, ha1), "attach a:1 10.9.1.1/24 -> %d (%s)", r, err.msg);
	for (i = 0; i < 2; i++) {
		char addr[32];

		mac_of("a", i, mac);
		snprintf(addr, sizeof(addr), "10.9.%u.1/24", i);
		ok(host_is(i ? ha1 : ha0, 1), "host end %s is up", i ? ha1 : ha0);
		ok(eth_is(nsa, i, 1, mac, addr), "eth%u in %s: up, carrier, MAC %s, %s", i, nsa, mac, addr);
	}

	/* Refusals that must change nothing. */
	r = attach(&node_a, 0, NULL, 0);
	ok(r == -EEXIST, "attach a:0 again -> -EEXIST (%s)", err.msg);
	mac_of("a", 0, mac);
	ok(host_is(ha0, 1) && eth_is(nsa, 0, 1, mac, "10.9.0.1/24"), "a:0 still attached, its address kept");
	r = attach(&node_a, 2, NULL, 0);
	ok(r == -EINVAL && strstr(err.msg, "no NIC 2"), "attach a:2 of 2 NICs -> -EINVAL (%s)",
	   err.msg);
	ok(k->nic_detach(&node_a, 7, &err) == -EINVAL, "detach a:7 -> -EINVAL");

	/* A second node, and failed attaches that must leave the NIC detached. */
	r = k->create(&node_b, &err);
	ok(r == 0 && nl_link_exists(-1, hb0) == 1, "create b -> %d (%s), with %s", r, err.msg, hb0);
	mac_of("b", 0, mac);
	r = attach(&node_b, 0, "10.9.0.300/24", 0);
	ok(r == -EINVAL, "attach b:0 with a bad address -> -EINVAL (%s)", err.msg);
	ok(host_is(hb0, 0) && eth_is(nsb, 0, 0, mac, NULL), "b:0 left detached, no address");
	r = attach(&node_b, 0, "10.9.0.1/24", 0);
	ok(r == 0, "attach b:0 with the same address as a:0 (another netns) -> %d (%s)", r,
	   err.msg);
	r = attach(&node_b, 0, "10.9.0.2/24", 0);
	ok(r == -EEXIST && eth_is(nsb, 0, 1, mac, "10.9.0.1/24"), "attach b:0 again -> -EEXIST, kept");
	ok(k->nic_detach(&node_b, 0, &err) == 0, "detach b:0");
	r = attach(&node_b, 0, "224.0.0.1/40", 0);
	ok(r == -EINVAL && host_is(hb0, 0), "bad prefix -> -EINVAL, still detached (%s)", err.msg);
	/* An address the kernel refuses once the host end is up: down again. */
	ok(sh("ip netns exec %s sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1", nsb) == 0,
	   "IPv6 disabled on eth0 in %s", nsb);
	r = attach(&node_b, 0, "fd00::1/64", 0);
	ok(r < 0 && strstr(err.msg, "fd00::1"), "IPv6 address on b:0 refused by the kernel -> %d (%s)",
	   r, err.msg);
	ok(host_is(hb0, 0) && eth_is(nsb, 0, 0, mac, NULL), "all or nothing: %s down again, eth0 kept", hb0);
	sh("ip netns exec %s sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0", nsb);

	/* exec */
	{
		char *ipaddr[] = { "ip", "-j", "addr", NULL };
		char *exit3[] = { "sh", "-c", "exit 3", NULL };
		char *missing[] = { "vnl-no-such-command", NULL };
		char *killed[] = { "sh", "-c", "kill -9 $$", NULL };
		char *inside[] = { "sh", "-c", "ip -j link show dev eth1 >/dev/null", NULL };

		r = run(&node_a, ipaddr, &status, buf, sizeof(buf), &err);
		ok(r == 0 && status == 0, "exec ip -j addr -> %d, status %d", r, status);
		ok(strstr(buf, "10.9.0.1") && strstr(buf, "10.9.1.1") && strstr(buf, "\"eth1\"") &&
		   !strstr(buf, ha0), "its stdout shows the node's interfaces, not the host's");
		r = run(&node_a, exit3, &status, NULL, 0, &err);
		ok(r == 0 && status == 3, "exec sh -c 'exit 3' -> status %d", status);
		r = run(&node_a, missing, &status, NULL, 0, &err);
		ok(r == 0 && status == 127, "exec of a missing command -> status %d", status);
		r = run(&node_a, killed, &status, NULL, 0, &err);
		ok(r == 0 && status == 128 + SIGKILL, "exec killed by SIGKILL -> status %d", status);
		{
			char *rd[] = { "sh", "-c", "read x && exit $x", NULL };
			int p[2], saved = dup(STDIN_FILENO);

			/* stdin is the caller's: the command reads what we write. */
			if (pipe(p) == 0 && write(p[1], "5\n", 2) == 2) {
				close(p[1]);
				dup2(p[0], STDIN_FILENO);
				close(p[0]);
				r = run(&node_a, rd, &status, NULL, 0, &err);
				dup2(saved, STDIN_FILENO);
				ok(r == 0 && status == 5, "exec reads the caller's stdin -> status %d", status);
			}
			close(saved);
		}
		r = run(&node_a, inside, &status, NULL, 0, &err);
		ok(r == 0 && status == 0, "eth1 exists where exec runs");
		r = run(&node_b, inside, &status, NULL, 0, &err);
		ok(r == 0 && status == 1, "and not in b (status %d)", status);
	}

	/* status */
	st = json_object_new_object();
	r = k->status(&node_a, st, &err);
	ok(r == 0, "status a -> %d (%s)", r, err.msg);
	ok(json_object_object_get_ex(st, "netns", &v) && !strcmp(json_object_get_string(v), nsa),
	   "status: netns %s", nsa);
	ok(json_object_object_get_ex(st, "interfaces", &nics) &&
	   json_object_array_length(nics) == 2, "status: 2 interfaces");
	for (i = 0; nics && i < json_object_array_length(nics); i++) {
		struct json_object *o = json_object_array_get_idx(nics, i), *n, *h, *mc;
		unsigned int idx;
		char hh[16];

		json_object_object_get_ex(o, "nic", &n);
		json_object_object_get_ex(o, "host", &h);
		json_object_object_get_ex(o, "mac", &mc);
		idx = json_object_get_int(n);
		ns_host_ifname(lab, "a", idx, hh, sizeof(hh), NULL);
		ns_nic_mac(lab, "a", idx, m);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		ok(!strcmp(json_object_get_string(h), hh) && !strcmp(json_object_get_string(mc), mac),
		   "status: %s", json_object_to_json_string(o));
	}
	json_object_put(st);

	/* nic_detach: the cable out, the NIC stays */
	r = k->nic_detach(&node_a, 1, &err);
	mac_of("a", 1, mac);
	ok(r == 0 && host_is(ha1, 0) && eth_is(nsa, 1, 0, mac, NULL),
	   "detach a:1: %s down, eth1 kept with NO-CARRIER and no address (%d %s)", ha1, r, err.msg);
	ok(k->nic_detach(&node_a, 1, &err) == 0, "detach a:1 again -> 0");
	mac_of("a", 0, mac);
	ok(host_is(ha0, 1) && eth_is(nsa, 0, 1, mac, "10.9.0.1/24"), "a:0 untouched");
	st = json_object_new_object();
	r = k->status(&node_a, st, &err);
	ok(r == 0 && json_object_object_get_ex(st, "interfaces", &nics) &&
	   json_object_array_length(nics) == 2, "status after detach: still 2 interfaces");
	for (i = 0; nics && i < json_object_array_length(nics); i++) {
		struct json_object *o = json_object_array_get_idx(nics, i), *n, *c;

		json_object_object_get_ex(o, "nic", &n);
		json_object_object_get_ex(o, "carrier", &c);
		ok(json_object_get_boolean(c) == (json_object_get_int(n) == 0),
		   "status: carrier of eth%d is %s", json_object_get_int(n),
		   json_object_get_boolean(c) ? "on" : "off");
	}
	json_object_put(st);
	r = attach(&node_a, 1, "10.9.1.1/24", 0);
	mac_of("a", 1, mac);
	ok(r == 0 && host_is(ha1, 1) && eth_is(nsa, 1, 1, mac, "10.9.1.1/24"),
	   "attach a:1 again: carrier and address back (%d %s)", r, err.msg);
	ok(sh("sleep 1; ip -n %s -6 addr show dev eth1 | grep -q 'inet6 fe80'", nsa) == 0,
	   "eth1 has an IPv6 link-local address again");
	k->nic_detach(&node_a, 1, NULL);

	/* A NIC deleted by hand: start and nic_attach make it again. */
	ok(nl_link_del(-1, ha1, &err) == 0 && nl_link_exists(fa, "eth1") == 0, "%s deleted by hand", ha1);
	ok(k->nic_detach(&node_a, 1, &err) == 0, "detach of the missing a:1 -> 0");
	r = k->start(&node_a, &err);
	ok(r == 0 && host_is(ha1, 0) && eth_is(nsa, 1, 0, mac, NULL),
	   "start makes a:1 again, detached, same MAC (%d %s)", r, err.msg);
	ok(ethtool_get_tx_csum(fa, "eth1", &err) == 0, "... tx checksum offload off");
	nl_link_del(-1, ha1, NULL);
	r = attach(&node_a, 1, "10.9.1.1/24", 0);
	ok(r == 0 && host_is(ha1, 1) && eth_is(nsa, 1, 1, mac, "10.9.1.1/24"),
	   "attach of a deleted a:1 makes it again, attached (%d %s)", r, err.msg);
	ok(k->start(&node_b, &err) == 0 && nl_link_exists(-1, hb0) == 1, "start b: nothing missing");

	/* ---- tap NICs (node t, the default type) ---- */
	{
		char nst[80], ht0[16], ht1[16], path[128], filter[256];
		int sw = -1, ft;
		pid_t holder;

		ns_netns_name(lab, "t", nst, sizeof(nst), NULL);
		ns_host_ifname(lab, "t", 0, ht0, sizeof(ht0), NULL);
		ns_host_ifname(lab, "t", 1, ht1, sizeof(ht1), NULL);
		snprintf(path, sizeof(path), "/run/netns/%s", nst);
		r = k->create(&node_t, &err);
		ok(r == 0, "create t (tap NICs) -> %d (%s)", r, err.msg);
		for (i = 0; i < 2; i++) {
			mac_of("t", i, mac);
			snprintf(buf, sizeof(buf), "-d -n %s link show dev eth%u", nst, i);
			ok(IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 && eth_is(nst, i, 0, mac, NULL),
			   "eth%u in %s: a tap, up, NO-CARRIER, MAC %s, no address", i, nst, mac);
		}
		ok(nl_link_exists(-1, ht0) == 0 && nl_link_exists(-1, ht1) == 0, "no host interface for tap NICs");
		ft = netns_open(nst, &err);

		/* attach: MTU and address; the switch's fd is the cable */
		memset(&port, 0xff, sizeof(port));
		r = attach(&node_t, 0, "10.9.5.1/24", 9000);
		mac_of("t", 0, mac);
		ok(r == 0 && port.type == NIC_PORT_TAP && !strcmp(port.kind, "tap") && !strcmp(port.ifname, "eth0") &&
		   !strcmp(port.path, path), "attach t:0 mtu 9000 -> %d, port tap %s %s (%s)", r, port.path,
		   port.ifname, err.msg);
		snprintf(buf, sizeof(buf), "-n %s link show dev eth0", nst);
		ok(IPJ(buf, ".[0].mtu == 9000") == 0 && eth_is(nst, 0, 0, mac, "10.9.5.1/24"),
		   "eth0: mtu 9000, the address, no carrier until the switch opens it");
		sw = tap_attach_at(path, "eth0", TAP_OL_CSUM | TAP_OL_TSO4, &err);
		ok(sw >= 0 && eth_is(nst, 0, 1, mac, "10.9.5.1/24"), "a switch opens the tap: carrier (%s)", err.msg);
		r = attach(&node_t, 0, NULL, 1500);
		ok(r == -EEXIST, "attach t:0 again -> -EEXIST (%s)", err.msg);
		/* eth0 down in the node hides IFF_LOWER_UP, not the switch's fd. */
		ok(sh("ip -n %s link set eth0 down", nst) == 0, "eth0 set down in the node (the switch holds it)");
		r = attach(&node_t, 0, NULL, 1500);
		ok(r == -EEXIST, "eth0 down: attach t:0 again -> -EEXIST, still attached (%s)", err.msg);
		node_t.nic_types[0] = NIC_TYPE_AFXDP;
		r = attach(&node_t, 0, NULL, 1500);
		if (k->start(&node_t, &err) < 0)
			r = 0;
		node_t.nic_types[0] = NIC_TYPE_TAP;
		snprintf(buf, sizeof(buf), "-d -n %s link show dev eth0", nst);
		ok(r == -EBUSY && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 && nl_link_exists(-1, ht0) == 0,
		   "eth0 down, typed afxdp: attach -> -EBUSY, start -> 0, the held tap not deleted (%s)", err.msg);
		ok(sh("ip -n %s link set eth0 up", nst) == 0 && eth_is(nst, 0, 1, mac, "10.9.5.1/24"),
		   "eth0 up again: carrier, the address kept");
		node_t.nic_types[0] = NIC_TYPE_AFXDP;
		r = attach(&node_t, 0, NULL, 1500);
		snprintf(buf, sizeof(buf), "-d -n %s link show dev eth0", nst);
		ok(r == -EBUSY && strstr(err.msg, "unlink") && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 &&
		   nl_link_exists(-1, ht0) == 0, "attached tap asked to become afxdp -> -EBUSY, unchanged (%s)", err.msg);
		node_t.nic_types[0] = NIC_TYPE_TAP;
		close(sw);
		ok(eth_is(nst, 0, 0, mac, "10.9.5.1/24"), "the switch lets go: NO-CARRIER");
		r = k->nic_detach(&node_t, 0, &err);
		ok(r == 0 && eth_is(nst, 0, 0, mac, NULL) && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0,
		   "detach t:0: address gone, the tap stays (%d %s)", r, err.msg);
		ok(k->nic_detach(&node_t, 0, &err) == 0, "detach t:0 again -> 0");

		/* afxdp limits, and a type change while detached */
		node_t.nic_types[1] = NIC_TYPE_AFXDP;
		r = attach(&node_t, 1, "10.9.6.1/24", 9000);
		snprintf(buf, sizeof(buf), "-d -n %s link show dev eth1", nst);
		ok(r == -EINVAL && strstr(err.msg, "3506") && strstr(err.msg, "nic-type tap") &&
		   IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0,
		   "afxdp on a 9000 LAN -> -EINVAL, the NIC untouched (%s)", err.msg);
		/* An address the new NIC refuses (IPv6 off for new links): the tap made again. */
		mac_of("t", 1, mac);
		ok(sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.disable_ipv6=1", nst) == 0,
		   "IPv6 off for new links in %s", nst);
		r = attach(&node_t, 1, "fd00:9:6::1/64", 1500);
		ok(r < 0 && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 && nl_link_exists(-1, ht1) == 0 &&
		   eth_is(nst, 1, 0, mac, NULL),
		   "tap -> afxdp, its address refused -> %d: a tap again, same MAC, no veth (%s)", r, err.msg);
		r = attach(&node_t, 1, "10.9.6.1/24", 3000);
		mac_of("t", 1, mac);
		ok(r == 0 && port.type == NIC_PORT_AFXDP && !strcmp(port.ifname, ht1) &&
		   IPJ(buf, ".[0].linkinfo.info_kind == \"veth\" and .[0].mtu == 3000") == 0 && host_is(ht1, 1) &&
		   eth_is(nst, 1, 1, mac, "10.9.6.1/24"),
		   "t:1 linked as afxdp: made again as a veth, same MAC, mtu 3000 (%d %s)", r, err.msg);
		snprintf(filter, sizeof(filter), "link show dev %s", ht1);
		ok(IPJ(filter, ".[0].mtu == 3000") == 0, "and mtu 3000 on its host end %s", ht1);
		ok(ethtool_get_tx_csum(ft, "eth1", &err) == 0, "... tx checksum offload off");
		ok(k->nic_detach(&node_t, 1, &err) == 0 && host_is(ht1, 0), "detach t:1 (afxdp)");
		node_t.nic_types[1] = NIC_TYPE_TAP;
		r = attach(&node_t, 1, "fd00:9:6::1/64", 1500);
		ok(r < 0 && IPJ(buf, ".[0].linkinfo.info_kind == \"veth\"") == 0 && host_is(ht1, 0) &&
		   eth_is(nst, 1, 0, mac, NULL) && ethtool_get_tx_csum(ft, "eth1", &err) == 0,
		   "afxdp -> tap, its address refused -> %d: a detached veth again, same MAC, tx csum off", r);
		ok(sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.disable_ipv6=0", nst) == 0,
		   "IPv6 on again for new links in %s", nst);
		r = attach(&node_t, 1, NULL, 1500);
		ok(r == 0 && port.type == NIC_PORT_TAP && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 &&
		   nl_link_exists(-1, ht1) == 0 && eth_is(nst, 1, 0, mac, NULL),
		   "t:1 linked as tap again: a tap, same MAC, the veth gone (%d %s)", r, err.msg);
		k->nic_detach(&node_t, 1, NULL);

		/* start makes a tap deleted by hand again */
		ok(tap_delete_in(ft, "eth1", &err) == 0 && nl_link_exists(ft, "eth1") == 0, "tap eth1 deleted by hand");
		r = k->start(&node_t, &err);
		ok(r == 0 && IPJ(buf, ".[0].linkinfo.info_kind == \"tun\"") == 0 && eth_is(nst, 1, 0, mac, NULL),
		   "start makes t:1 again, a tap with its MAC (%d %s)", r, err.msg);
		st = json_object_new_object();
		ok(k->status(&node_t, st, &err) == 0 && json_object_object_get_ex(st, "interfaces", &nics) &&
		   strstr(json_object_to_json_string(nics), "\"tap\"") &&
		   !strstr(json_object_to_json_string(nics), "\"host\""), "status: type tap, no host end");
		json_object_put(st);
		close(ft);

		/* A crash's debris: destroy from the names alone, the netns held by a process. */
		holder = fork();
		if (holder == 0) {
			execlp("ip", "ip", "netns", "exec", nst, "sleep", "30", (char *)NULL);
			_exit(127);
		}
		usleep(300000);
		{
			struct node_ctx stray = { .lab = lab, .name = "t", .nics = TOPO_NICS_MAX };

			r = k->destroy(&stray, &err);
		}
		snprintf(buf, sizeof(buf), "nsenter -t %d -n ip -d -j link show | jq -e '[.[] | select(.linkinfo.info_kind == \"tun\")] | length == 0' >/dev/null",
			 (int)holder);
		ok(r == 0 && !netns_exists(nst) && sh("%s", buf) == 0,
		   "destroy of a stray t: netns gone, no tap left in the held namespace (%d %s)", r, err.msg);
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		ok(k->destroy(&node_t, &err) == 0, "destroy t again -> 0");
	}

	/* destroy */
	close(fa);
	r = k->destroy(&node_a, &err);
	ok(r == 0 && !netns_exists(nsa) && !netns_listed(nsa) && nl_link_exists(-1, ha0) == 0,
	   "destroy a removes %s and %s (%d %s)", nsa, ha0, r, err.msg);
	ok(k->destroy(&node_a, &err) == 0, "destroy a again -> 0");
	{
		char *t[] = { "true", NULL };

		r = k->exec(&node_a, t, 0, &status, &err);
		ok(r == -ENOENT, "exec in a destroyed node -> -ENOENT (%s)", err.msg);
	}
	r = attach(&node_a, 0, NULL, 0);
	ok(r == -ENOENT && nl_link_exists(-1, ha0) == 0, "attach to a destroyed node -> -ENOENT");
	ok(k->destroy(&node_b, &err) == 0 && !netns_exists(nsb), "destroy b");

	snprintf(buf, sizeof(buf), "ip netns list | grep -qF 'vnl.%s.'", lab);
	ok(sh("%s", buf) == 1, "no netns of lab %s left", lab);
	ok(sh("ip link show | grep -Eq '%s|%s|%s'", ha0, ha1, hb0) == 1, "no host veth left");
	ok(sys_leftovers_settled() == 0, "nothing with the run's prefix left");
	return tap_done();
}
