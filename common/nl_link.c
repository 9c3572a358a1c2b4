/* SPDX-License-Identifier: GPL-2.0-only */
/* Links over rtnetlink: veth pairs, up/down, MAC, MTU, namespace, lookup, dump. See nl.h. */
#include "nl.h"
#include "nl_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Start an RTM_*LINK message addressed by name; the kernel resolves it. */
static struct nlmsghdr *link_msg(char *buf, int type, int flags, const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return nlh;
}

int nl_veth_create(const char *host_ifname, const char *peer_ifname, int peer_netns_fd,
		   struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *peer;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if ((r = nl_ifname_check(host_ifname, err)) < 0 ||
	    (r = nl_ifname_check(peer_ifname, err)) < 0)
		return vnl_err_wrap(err, "creating veth"), r;
	nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, host_ifname);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries a whole ifinfomsg, then the peer's own attributes. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_ifname);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	r = nl_once(-1, nlh, NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "creating veth '%s' <-> '%s'", host_ifname, peer_ifname), r;
	return 0;
}

int nl_link_del(int netns_fd, const char *ifname, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	r = nl_once(netns_fd, link_msg(buf, RTM_DELLINK, 0, ifname), NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "deleting link '%s'", ifname), r;
	return 0;
}

int nl_link_set_up(int netns_fd, const char *ifname, int up, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	nlh = link_msg(buf, RTM_SETLINK, 0, ifname);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	r = nl_once(netns_fd, nlh, NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "setting link '%s' %s", ifname, up ? "up" : "down"), r;
	return 0;
}

int nl_link_set_mac(int netns_fd, const char *ifname, const uint8_t mac[6], struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	nlh = link_msg(buf, RTM_SETLINK, 0, ifname);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	r = nl_once(netns_fd, nlh, NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "setting MAC %02x:%02x:%02x:%02x:%02x:%02x on link '%s'",
				    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ifname), r;
	return 0;
}

int nl_link_set_mtu(int netns_fd, const char *ifname, unsigned int mtu, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	nlh = link_msg(buf, RTM_SETLINK, 0, ifname);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	r = nl_once(netns_fd, nlh, NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "setting MTU %u on link '%s'", mtu, ifname), r;
	return 0;
}

int nl_link_set_netns(int netns_fd, const char *ifname, int target_netns_fd,
		      struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	nlh = link_msg(buf, RTM_SETLINK, 0, ifname);
	/* -1: the calling thread's namespace, named by its thread id. */
	if (target_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, target_netns_fd);
	else
		mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, gettid());
	r = nl_once(netns_fd, nlh, NULL, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "moving link '%s' to another netns", ifname), r;
	return 0;
}

int nl_link_index(int netns_fd, const char *ifname, struct vnl_err *err)
{
	struct nl nl;
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	r = nl_open(&nl, netns_fd, err);
	if (r == 0) {
		r = nl_ifindex(&nl, ifname, err);
		nl_close(&nl);
	}
	if (r < 0)
		return vnl_err_wrap(err, "looking up link '%s'", ifname), r;
	return r;
}

int nl_link_exists(int netns_fd, const char *ifname)
{
	int r = nl_link_index(netns_fd, ifname, NULL);

	return r > 0 ? 1 : r == -ENODEV ? 0 : r;
}

struct list_ctx {
	void (*cb)(const struct nl_link_info *info, void *arg);  /* the caller's */
	void *arg;                                               /* its argument */
};

static void list_cb(const struct nlmsghdr *m, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(m);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *ltb[IFLA_INFO_MAX + 1] = { 0 };
	struct nl_attrs a = { tb, IFLA_MAX }, la = { ltb, IFLA_INFO_MAX };
	struct list_ctx *ctx = data;
	struct nl_link_info info = { .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags, .kind = "" };

	if (m->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(m, sizeof(*ifi), nl_attr_store, &a) < 0 || !tb[IFLA_IFNAME])
		return;
	info.name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (tb[IFLA_MTU])
		info.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_CARRIER])
		info.carrier = mnl_attr_get_u8(tb[IFLA_CARRIER]) != 0;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(info.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], nl_attr_store, &la) >= 0 &&
	    ltb[IFLA_INFO_KIND])
		info.kind = mnl_attr_get_str(ltb[IFLA_INFO_KIND]);
	ctx->cb(&info, ctx->arg);
}

int nl_link_list(int netns_fd, void (*cb)(const struct nl_link_info *info, void *arg), void *arg,
		 struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct list_ctx ctx = { cb, arg };
	struct ifinfomsg *ifi;
	int r;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_once(netns_fd, nlh, list_cb, &ctx, err);
	if (r < 0)
		return vnl_err_wrap(err, "listing links"), r;
	return 0;
}

/* Write `val` to /proc/sys/net/FAMILY/conf/IFNAME/KEY; -ENOENT if absent. */
static int conf_set(const char *family, const char *ifname, const char *key, const char *val)
{
	char path[128];
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

int nl_link_isolate(const char *ifname, struct vnl_err *err)
{
	static const struct { const char *family, *key, *val; } conf[] = {
		{ "ipv6", "accept_ra", "0" }, { "ipv6", "disable_ipv6", "1" },
		{ "ipv4", "arp_ignore", "8" }, { "ipv4", "arp_announce", "2" },
		{ "ipv4", "rp_filter", "1" }, { "ipv4", "forwarding", "0" },
	};
	char dir[96];
	int r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	snprintf(dir, sizeof(dir), "/proc/sys/net/ipv4/conf/%s", ifname);
	if (access(dir, F_OK) < 0)
		return vnl_errno(err, errno == ENOENT ? -ENODEV : -errno, "isolating link '%s'", ifname);
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
		r = conf_set(conf[i].family, ifname, conf[i].key, conf[i].val);
		/* No ipv6 folder: the kernel runs without IPv6, nothing to turn off. */
		if (r == -ENOENT && !strcmp(conf[i].family, "ipv6"))
			continue;
		if (r < 0)
			return vnl_errno(err, r, "isolating link '%s': net.%s.conf.%s.%s=%s", ifname,
					 conf[i].family, ifname, conf[i].key, conf[i].val);
	}
	return 0;
}
