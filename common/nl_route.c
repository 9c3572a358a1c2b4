/* SPDX-License-Identifier: GPL-2.0-only */
/* Route lookup over rtnetlink (RTM_GETROUTE, as `ip route get`). See nl.h. */
#include "nl.h"
#include "nl_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

/* What route_cb fills from the one RTM_NEWROUTE reply. */
struct route_ctx {
	int family;               /* the request's */
	struct nl_route *out;
	int seen;                 /* 1 once a reply was parsed */
};

static void route_metrics(const struct nlattr *metrics, struct nl_route *out)
{
	const struct nlattr *tb[RTAX_MAX + 1] = { 0 };
	struct nl_attrs a = { tb, RTAX_MAX };

	if (mnl_attr_parse_nested(metrics, nl_attr_store, &a) < 0)
		return;
	if (tb[RTAX_MTU] && mnl_attr_get_payload_len(tb[RTAX_MTU]) >= 4)
		out->mtu = mnl_attr_get_u32(tb[RTAX_MTU]);
}

static void route_cb(const struct nlmsghdr *m, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_attrs a = { tb, RTA_MAX };
	struct route_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(m);
	unsigned int alen = ctx->family == AF_INET ? 4 : 16;
	struct nl_route *out = ctx->out;

	if (m->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != ctx->family ||
	    mnl_attr_parse(m, sizeof(*rtm), nl_attr_store, &a) < 0)
		return;
	out->type = rtm->rtm_type;
	if (tb[RTA_OIF])
		out->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen) {
		out->has_gateway = true;
		memcpy(out->gateway, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
		memcpy(out->nexthop, out->gateway, alen);
	}
	if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == alen) {
		out->has_prefsrc = true;
		memcpy(out->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), alen);
	}
	if (tb[RTA_METRICS])
		route_metrics(tb[RTA_METRICS], out);
	ctx->seen = 1;
}

int nl_route_get(int netns_fd, int family, const uint8_t dst[16], int oif, struct nl_route *out,
		 struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[INET6_ADDRSTRLEN] = "?";
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_ctx ctx = { .family = family, .out = out };
	unsigned int alen = family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return vnl_errf(err, -EINVAL, "route lookup: family %d is not IPv4 or IPv6", family);
	inet_ntop(family, dst, text, sizeof(text));
	memset(out, 0, sizeof(*out));
	memcpy(out->nexthop, dst, alen);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = alen * 8;
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	r = nl_once(netns_fd, nlh, route_cb, &ctx, err);
	if (r < 0)
		return vnl_err_wrap(err, "route to %s", text), r;
	if (!ctx.seen)
		return vnl_errf(err, -ENETUNREACH, "route to %s: no route in the reply", text);
	return 0;
}
