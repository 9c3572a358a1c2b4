/* SPDX-License-Identifier: GPL-2.0-only */
/* Neighbours over rtnetlink (get, NTF_USE) and event sockets. See nl.h. */
#include "nl.h"
#include "nl_priv.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

bool nl_neigh_usable(uint16_t state)
{
	return state & (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY);
}

static int family_check(int family, const char *what, struct vnl_err *err)
{
	if (family != AF_INET && family != AF_INET6)
		return vnl_errf(err, -EINVAL, "%s: family %d is not IPv4 or IPv6", what, family);
	return 0;
}

/* Fill n from an RTM_*NEIGH message; 0, or -EINVAL if it is not one we can read. */
static int neigh_parse(const struct nlmsghdr *m, struct nl_neigh *n)
{
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	struct nl_attrs a = { tb, NDA_MAX };
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(m);
	unsigned int alen;

	if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)) ||
	    (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) ||
	    mnl_attr_parse(m, sizeof(*ndm), nl_attr_store, &a) < 0)
		return -EINVAL;
	alen = ndm->ndm_family == AF_INET ? 4 : 16;
	memset(n, 0, sizeof(*n));
	n->family = ndm->ndm_family;
	n->ifindex = ndm->ndm_ifindex;
	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	if (!tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != alen)
		return -EINVAL;
	memcpy(n->addr, mnl_attr_get_payload(tb[NDA_DST]), alen);
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		n->has_mac = true;
		memcpy(n->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	}
	return 0;
}

struct get_ctx {
	struct nl_neigh *out;
	int found;
};

static void get_cb(const struct nlmsghdr *m, void *data)
{
	struct get_ctx *ctx = data;

	if (m->nlmsg_type == RTM_NEWNEIGH && neigh_parse(m, ctx->out) == 0)
		ctx->found = 1;
}

/* One RTM_*NEIGH request about (family, addr, ifindex) on a fresh socket. */
static int neigh_request(int netns_fd, int type, int flags, uint8_t ndm_flags, int family,
			 const uint8_t addr[16], int ifindex, struct get_ctx *ctx, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_flags = ndm_flags;
	/* With NTF_USE the kernel ignores the state and keeps the entry dynamic. */
	ndm->ndm_state = NUD_NONE;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, addr);
	return nl_once(netns_fd, nlh, ctx ? get_cb : NULL, ctx, err);
}

int nl_neigh_get(int netns_fd, int family, const uint8_t addr[16], int ifindex,
		 struct nl_neigh *out, struct vnl_err *err)
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct get_ctx ctx = { .out = out };
	int r;

	if ((r = family_check(family, "neighbour lookup", err)) < 0)
		return r;
	inet_ntop(family, addr, text, sizeof(text));
	r = neigh_request(netns_fd, RTM_GETNEIGH, 0, 0, family, addr, ifindex, &ctx, err);
	if (r < 0)
		return vnl_err_wrap(err, "neighbour %s on ifindex %d", text, ifindex), r;
	if (!ctx.found)
		return vnl_errf(err, -ENOENT, "neighbour %s on ifindex %d: no entry", text, ifindex);
	return 0;
}

int nl_neigh_use(int netns_fd, int family, const uint8_t addr[16], int ifindex,
		 struct vnl_err *err)
{
	char text[INET6_ADDRSTRLEN] = "?";
	int r;

	if ((r = family_check(family, "neighbour resolution", err)) < 0)
		return r;
	inet_ntop(family, addr, text, sizeof(text));
	r = neigh_request(netns_fd, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, NTF_USE, family, addr,
			  ifindex, NULL, err);
	if (r < 0)
		return vnl_err_wrap(err, "resolving neighbour %s on ifindex %d", text, ifindex), r;
	return 0;
}

int nl_events_open(int netns_fd, const unsigned int *groups, unsigned int n, struct vnl_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned int i;
	int fd;

	fd = netns_socket(netns_fd, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE, err);
	if (fd < 0)
		return vnl_err_wrap(err, "opening an rtnetlink event socket"), fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0)
			goto fail;
	return fd;
fail:
	{
		int r = -errno;

		close(fd);
		return vnl_errno(err, r, "opening an rtnetlink event socket");
	}
}

/* Fill ev from one notification; 0, or -EINVAL for types we do not report. */
static int event_parse(const struct nlmsghdr *m, struct nl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = m->nlmsg_type;
	switch (m->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (neigh_parse(m, &ev->neigh) < 0)
			return -EINVAL;
		ev->family = ev->neigh.family;
		ev->ifindex = ev->neigh.ifindex;
		return 0;
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(m);

		if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
			return -EINVAL;
		ev->family = ifi->ifi_family;
		ev->ifindex = ifi->ifi_index;
		return 0;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(m);

		if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
			return -EINVAL;
		ev->family = ifa->ifa_family;
		ev->ifindex = (int)ifa->ifa_index;
		return 0;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct nlattr *tb[RTA_MAX + 1] = { 0 };
		struct nl_attrs a = { tb, RTA_MAX };
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(m);

		if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)) ||
		    mnl_attr_parse(m, sizeof(*rtm), nl_attr_store, &a) < 0)
			return -EINVAL;
		ev->family = rtm->rtm_family;
		if (tb[RTA_OIF])
			ev->ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
		ev->dst_len = rtm->rtm_dst_len;
		if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) <= sizeof(ev->dst))
			memcpy(ev->dst, mnl_attr_get_payload(tb[RTA_DST]), mnl_attr_get_payload_len(tb[RTA_DST]));
		return 0;
	}
	default:
		return -EINVAL;
	}
}

int nl_events_read(int fd, void (*cb)(const struct nl_event *ev, void *arg), void *arg,
		   struct vnl_err *err)
{
	struct nl_event ev;
	int count = 0, n;
	char *buf;

	/* Heap, not stack: the control thread may have a small stack. */
	buf = malloc(NL_RECV_SIZE);
	if (!buf)
		return vnl_errf(err, -ENOMEM, "reading rtnetlink events: out of memory");
	for (;;) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;

		n = (int)recv(fd, buf, NL_RECV_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			count = vnl_errno(err, errno, "reading rtnetlink events");
			break;
		}
		for (; mnl_nlmsg_ok(m, n); m = mnl_nlmsg_next(m, &n))
			if (event_parse(m, &ev) == 0) {
				cb(&ev, arg);
				count++;
			}
	}
	free(buf);
	return count;
}
