/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/tap.c makes a persistent tap under its final name inside
 * a netns, attaches to it (carrier on, non-blocking, vnet_hdr) and detaches
 * (NO-CARRIER, device stays), refuses what it must (second reader, missing
 * device, another device's name), deletes idempotently; a persistent tap
 * goes with its netns, and an attached fd keeps the netns alive until it is
 * closed (facts the tap NIC kind and the switch rely on, checked on this
 * kernel).
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "sys.h"
#include "../../common/tap.h"

struct find {
	const char *name;  /* in: link to look for */
	unsigned flags;    /* out: its IFF_* flags */
	char kind[16];     /* out: its IFLA_INFO_KIND */
	int found;         /* out: 1 if seen */
};

static void find_cb(const struct nl_link_info *info, void *arg)
{
	struct find *f = arg;

	if (strcmp(info->name, f->name) == 0) {
		f->found = 1;
		f->flags = info->flags;
		snprintf(f->kind, sizeof(f->kind), "%s", info->kind);
	}
}

/* The link `name` in netns_fd (-1: ours): 1 found (flags, kind filled), 0 not. */
static int link_get(int netns_fd, const char *name, struct find *f)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	return nl_link_list(netns_fd, find_cb, f, NULL) < 0 ? -1 : f->found;
}

static int carrier(int netns_fd, const char *name)
{
	struct find f;

	return link_get(netns_fd, name, &f) == 1 && (f.flags & 0x10000) /* IFF_LOWER_UP */;
}

/* Poll cond-style for up to 5 s: the kernel frees namespaces from a work queue. */
static int link_gone_within(int netns_fd, const char *name)
{
	struct find f;

	for (int i = 0; i < 100; i++) {
		if (link_get(netns_fd, name, &f) == 0)
			return 1;
		usleep(50000);
	}
	return 0;
}

int main(void)
{
	char name[32], tname[16], marker[16], peer[16];
	struct vnl_err err = { 0 };
	struct find f;
	int ns, fd, fd2, r, off;

	sys_init();
	sys_name(name, sizeof(name), "tap");
	sys_name(tname, sizeof(tname), "t0");
	sys_name(marker, sizeof(marker), "m0");
	sys_name(peer, sizeof(peer), "m1");
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("1..0 # SKIP no /dev/net/tun\n");
		return 77;
	}
	r = netns_create(name, &err);
	ok(r == 0, "netns_create %s -> %d (%s)", name, r, err.msg);
	ns = netns_open(name, &err);
	ok(ns >= 0, "netns_open");

	r = tap_create_in(ns, "eth0", &err);
	ok(r == 0, "tap_create_in eth0 -> %d (%s)", r, err.msg);
	ok(link_get(ns, "eth0", &f) == 1 && strcmp(f.kind, "tun") == 0, "eth0 is a tun device in the netns (kind '%s')",
	   f.kind);
	ok(link_get(-1, "eth0", &f) != 1 || strcmp(f.kind, "tun") != 0, "no tun eth0 in the caller's netns");
	ok(sh("ip -n %s -d -j link show eth0 | jq -e '.[0].linkinfo.info_data | .type == \"tap\" and "
	      ".pi == false and .vnet_hdr == true and .persist == true' >/dev/null", name) == 0,
	   "ip -d: tap, no pi, vnet_hdr, persistent");
	r = nl_link_set_up(ns, "eth0", 1, &err);
	ok(r == 0, "eth0 up");
	ok(!carrier(ns, "eth0"), "up but unattached: no carrier");
	ok(sh("ip -n %s link show eth0 | grep -q NO-CARRIER", name) == 0, "ip link shows NO-CARRIER");

	r = tap_create_in(ns, "eth0", &err);
	ok(r == 0, "tap_create_in on an existing tap: reused (%d %s)", r, err.msg);

	fd = tap_attach_in(ns, "eth0", 0, &err);
	ok(fd >= 0, "tap_attach_in -> %d (%s)", fd, err.msg);
	ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "attached fd is non-blocking");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "attached fd is close-on-exec");
	off = -1;
	if (fd >= 0)
		ioctl(fd, TUNGETVNETHDRSZ, &off);
	ok(off == TAP_VNET_HDR_LEN, "vnet header size %d", off);
	ok(carrier(ns, "eth0"), "attached: carrier (LOWER_UP) at once");
	ok(sh("ip -n %s link show eth0 | grep -q LOWER_UP", name) == 0, "ip link shows LOWER_UP");
	{
		char buf[64];

		ok(fd >= 0 && read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN, "idle read -> EAGAIN");
	}
	vnl_err_clear(&err);
	fd2 = tap_attach_in(ns, "eth0", 0, &err);
	ok(fd2 == -EBUSY && err.msg[0], "second reader -> -EBUSY: %s", err.msg);
	vnl_err_clear(&err);
	r = tap_attach_in(ns, "nosuch0", 0, &err);
	ok(r == -ENODEV && strstr(err.msg, "nosuch0"), "missing tap -> -ENODEV: %s", err.msg);
	ok(link_get(ns, "nosuch0", &f) == 0, "a refused attach leaves no device behind");
	vnl_err_clear(&err);
	r = tap_create_in(ns, "lo", &err);
	ok(r == -EEXIST && err.msg[0], "create over another kind of device -> -EEXIST: %s", err.msg);
	vnl_err_clear(&err);
	r = tap_attach_in(ns, "lo", 0, &err);
	ok(r == -EINVAL && err.msg[0], "attach to another kind of device -> -EINVAL: %s", err.msg);
	vnl_err_clear(&err);
	r = tap_attach_in(ns, "eth0", TAP_OL_CSUM | TAP_OL_TSO4, &err);
	ok(r == -EBUSY, "offload flags are no way around the single reader");

	close(fd);
	vnl_err_clear(&err);
	ok(!carrier(ns, "eth0"), "detached: carrier off at once");
	ok(link_get(ns, "eth0", &f) == 1, "detached: the device stays");
	fd = tap_attach_in(ns, "eth0", TAP_OL_CSUM | TAP_OL_TSO4, &err);
	ok(fd >= 0 && carrier(ns, "eth0"), "re-attach with TUNSETOFFLOAD csum,tso4: carrier again (%s)", err.msg);
	if (fd >= 0)
		close(fd);
	vnl_err_clear(&err);
	r = tap_delete_in(ns, "eth0", &err);
	ok(r == 0 && link_get(ns, "eth0", &f) == 0, "tap_delete_in: gone (%d %s)", r, err.msg);
	r = tap_delete_in(ns, "eth0", &err);
	ok(r == 0, "tap_delete_in again: idempotent (%d %s)", r, err.msg);

	/* A persistent tap goes with its netns; a veth pair with one end outside
	 * shows when the netns is really freed. */
	ok(tap_create_in(ns, tname, &err) == 0, "tap %s for the netns test", tname);
	ok(nl_veth_create(marker, peer, ns, &err) == 0, "marker veth %s <-> %s in the netns (%s)", marker, peer,
	   err.msg);
	fd = tap_attach_in(ns, tname, 0, &err);
	ok(fd >= 0, "attached to %s", tname);
	close(ns);
	ns = -1;
	ok(netns_delete(name, &err) == 0, "netns name deleted while attached");
	usleep(300000);
	ok(link_get(-1, marker, &f) == 1, "an attached tap fd keeps the netns alive");
	close(fd);
	ok(link_gone_within(-1, marker), "fd closed: the netns is freed (marker veth gone)");
	ok(link_get(-1, tname, &f) == 0, "the persistent tap went with it (not moved to this netns)");

	sys_cleanup();
	ok(sys_leftovers_settled() == 0, "nothing with prefix %s left", sys_pfx);
	return tap_done();
}
