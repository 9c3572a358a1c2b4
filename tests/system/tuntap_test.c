/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/tuntap.c makes a persistent tap under its final name inside
 * a netns, attaches to it (carrier on, non-blocking, vnet_hdr) and detaches
 * (NO-CARRIER, device stays), refuses what it must (second reader, missing
 * device, another device's name), deletes idempotently; a persistent tap
 * goes with its netns, and an attached fd keeps the netns alive until it is
 * closed (facts the tap NIC kind and the switch rely on, checked on this
 * kernel).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>

#include "sys.h"
#include "../../common/tuntap.h"

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

struct phdr_stats {
	unsigned frames;    /* frames copied from A to B */
	unsigned partial;   /* of them NEEDS_CSUM TCP/IPv4 */
	unsigned gso;       /* of them GSO_TCPV4 */
	unsigned with_len;  /* partial frames whose field is the pseudo-header sum with the L4 length */
	unsigned no_len;    /* ... without the length */
	unsigned max_len;   /* longest frame read */
};

/* Folded ones' complement sum (not inverted) of the IPv4 pseudo-header. */
static uint16_t phdr_sum(const uint8_t *ip, uint32_t l4len)
{
	uint32_t s = 0;

	for (int i = 12; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s += ip[9] + l4len;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Look at one frame read from a tap: the vnet header and, for a partial
 * TCP/IPv4 checksum, which pseudo-header form the field holds. */
static void phdr_check(const uint8_t *buf, ssize_t n, struct phdr_stats *st)
{
	const struct virtio_net_hdr *h = (const void *)buf;
	const uint8_t *eth = buf + sizeof(*h), *ip = eth + 14;
	uint32_t tot, ihl, field;

	if ((unsigned)n > st->max_len)
		st->max_len = (unsigned)n;
	if (n < (ssize_t)(sizeof(*h) + 14 + 40) || eth[12] != 0x08 || eth[13] != 0x00 || ip[9] != 6 ||
	    !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return;
	st->partial++;
	if ((h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4)
		st->gso++;
	ihl = (ip[0] & 15u) * 4;
	tot = (uint32_t)(ip[2] << 8 | ip[3]);
	field = (uint32_t)(ip[ihl + 16] << 8 | ip[ihl + 17]);
	if (field == phdr_sum(ip, tot - ihl))
		st->with_len++;
	else if (field == phdr_sum(ip, 0))
		st->no_len++;
}

/* Copy frames with their vnet headers between two attached taps for up to
 * `secs` seconds (until `done` exists), checking those from a. */
static void relay(int a, int b, int secs, const char *done, struct phdr_stats *st)
{
	static uint8_t buf[70000];
	struct pollfd pf[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	time_t end = time(NULL) + secs;

	while (time(NULL) < end && access(done, F_OK) != 0) {
		if (poll(pf, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			while ((n = read(pf[i].fd, buf, sizeof(buf))) > 0) {
				if (i == 0) {
					st->frames++;
					phdr_check(buf, n, st);
				}
				if (write(pf[1 - i].fd, buf, (size_t)n) < 0)
					break;
			}
		}
	}
}

/*
 * Which pseudo-header form does the kernel hand over with NEEDS_CSUM (plan
 * section 0 assumes Linux's: the L4 length included, also for GSO frames)?
 * Two netns with a tap each, attached with TUNSETOFFLOAD csum,tso4; this
 * program relays between them while socat sends 4 MB over TCP.
 */
static void pseudo_header_form(void)
{
	char a[32], b[32], done[64];
	struct phdr_stats st = { 0 };
	struct vnl_err err = { 0 };
	int fa = -1, fb = -1;

	sys_name(a, sizeof(a), "pa");
	sys_name(b, sizeof(b), "pb");
	snprintf(done, sizeof(done), "/tmp/%s.done", sys_pfx);
	unlink(done);
	ok(tap_create_at("/run/netns/vt-never", "x", NULL) == -ENOENT, "tap_create_at a missing netns path -> -ENOENT");
	if (netns_create(a, &err) < 0 || netns_create(b, &err) < 0) {
		ok(0, "netns for the pseudo-header check: %s", err.msg);
		return;
	}
	ok(sh("for n in %s:1 %s:2; do ns=${n%%:*}; i=${n#*:}; "
	      "ip -n $ns tuntap add dev eth0 mode tap vnet_hdr && ip -n $ns addr add 10.9.0.$i/24 dev eth0 && "
	      "ip -n $ns link set eth0 up && ip -n $ns link set lo up || exit 1; done", a, b) == 0,
	   "two netns with a tap eth0 each");
	fa = tap_attach_at(NULL, "eth0", 0, NULL); /* own netns has no eth0 tap: refused */
	ok(fa < 0, "no eth0 tap in the caller's netns: attach refused");
	{
		char pa[64], pb[64];

		snprintf(pa, sizeof(pa), "/run/netns/%s", a);
		snprintf(pb, sizeof(pb), "/run/netns/%s", b);
		fa = tap_attach_at(pa, "eth0", TAP_OL_CSUM | TAP_OL_TSO4, &err);
		fb = tap_attach_at(pb, "eth0", TAP_OL_CSUM | TAP_OL_TSO4, &err);
	}
	ok(fa >= 0 && fb >= 0, "both attached with csum,tso4 (%s)", err.msg);
	if (fa < 0 || fb < 0)
		goto out;
	ok(sh("ip netns exec %s socat -u TCP-LISTEN:5009,reuseaddr OPEN:/dev/null >/dev/null 2>&1 & "
	      "sleep 0.3; (ip netns exec %s sh -c 'head -c 4000000 /dev/zero | socat -u - TCP:10.9.0.2:5009' "
	      ">/dev/null 2>&1; touch %s) &", b, a, done) == 0, "socat 4 MB from A to B started");
	relay(fa, fb, 10, done, &st);
	ok(access(done, F_OK) == 0, "the 4 MB transfer finished through the relay");
	printf("# frames %u, partial TCP %u (GSO %u), field with length %u, without %u, longest read %u B\n",
	     st.frames, st.partial, st.gso, st.with_len, st.no_len, st.max_len);
	ok(st.partial > 0 && st.gso > 0, "with TUNSETOFFLOAD csum,tso4 the kernel hands partial and GSO frames");
	ok(st.with_len == st.partial && st.no_len == 0,
	   "every NEEDS_CSUM field holds the pseudo-header sum with the L4 length (GSO frames too)");
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	sh("ip netns pids %s | xargs -r kill 2>/dev/null; ip netns pids %s | xargs -r kill 2>/dev/null", a, b);
	unlink(done);
	netns_delete(a, NULL);
	netns_delete(b, NULL);
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
	/* No IPv6 on the tap: with carrier its DAD and router solicitation
	 * would reach the fd and race the idle read below. */
	ok(sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1",
	      name) == 0, "IPv6 off in the test netns");

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

	pseudo_header_form();

	sys_cleanup();
	ok(sys_leftovers_settled() == 0, "nothing with prefix %s left", sys_pfx);
	return tap_done();
}
