/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4/IPv6 addresses over rtnetlink: add, delete, flush. See nl.h. */
#include "nl.h"
#include "nl_priv.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#define FLUSH_BATCH 64   /* addresses deleted per dump; the dump is repeated until none is left */
#define FLUSH_ROUNDS 16  /* gives up after this many dumps that still found addresses */

/* One address, as RTM_NEWADDR/RTM_DELADDR want it. */
struct addr {
	int family;        /* AF_INET or AF_INET6 */
	int prefixlen;     /* 0..32 or 0..128 */
	uint8_t bytes[16]; /* network order, 4 or 16 used */
};

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int addr_request(struct nl *nl, int type, int flags, int ifindex, const struct addr *a,
			struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = ifindex;
	/* IPv4 wants both (IFA_ADDRESS != IFA_LOCAL means a peer); IPv6 the local one alone. */
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), a->bytes);
	if (a->family == AF_INET)
		mnl_attr_put(nlh, IFA_ADDRESS, 4, a->bytes);
	return nl_transact(nl, nlh, NULL, NULL, err);
}

/* Parse, resolve ifname, then one RTM_NEWADDR/RTM_DELADDR. */
static int addr_change(int netns_fd, const char *ifname, const char *cidr, int type, int flags,
		       struct vnl_err *err)
{
	struct addr a;
	struct nl nl;
	int ifindex, r;

	if ((r = nl_ifname_check(ifname, err)) < 0 ||
	    (r = nl_cidr_parse(cidr, &a.family, a.bytes, &a.prefixlen, err)) < 0)
		return r;
	r = nl_open(&nl, netns_fd, err);
	if (r < 0)
		return r;
	ifindex = r = nl_ifindex(&nl, ifname, err);
	if (r > 0)
		r = addr_request(&nl, type, flags, ifindex, &a, err);
	nl_close(&nl);
	return r < 0 ? r : 0;
}

int nl_addr_add(int netns_fd, const char *ifname, const char *cidr, struct vnl_err *err)
{
	int r = addr_change(netns_fd, ifname, cidr, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, err);

	if (r < 0)
		return vnl_err_wrap(err, "adding address %s to '%s'", cidr ? cidr : "", ifname ? ifname : ""), r;
	return 0;
}

int nl_addr_del(int netns_fd, const char *ifname, const char *cidr, struct vnl_err *err)
{
	int r = addr_change(netns_fd, ifname, cidr, RTM_DELADDR, 0, err);

	if (r < 0)
		return vnl_err_wrap(err, "removing address %s from '%s'", cidr ? cidr : "", ifname ? ifname : ""), r;
	return 0;
}

struct flush_ctx {
	int ifindex;                     /* the link being flushed */
	struct addr found[FLUSH_BATCH];  /* its addresses seen in this dump */
	int n;                           /* entries used in found[] */
	int more;                        /* 1 if found[] overflowed: dump again */
};

static void flush_cb(const struct nlmsghdr *m, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(m);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 }, *at;
	struct nl_attrs attrs = { tb, IFA_MAX };
	struct flush_ctx *ctx = data;
	struct addr *a;

	if (m->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != ctx->ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    mnl_attr_parse(m, sizeof(*ifa), nl_attr_store, &attrs) < 0)
		return;
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!at || mnl_attr_get_payload_len(at) != (uint16_t)addr_len(ifa->ifa_family))
		return;
	if (ctx->n == FLUSH_BATCH) {
		ctx->more = 1;
		return;
	}
	a = &ctx->found[ctx->n++];
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	memcpy(a->bytes, mnl_attr_get_payload(at), addr_len(a->family));
}

static int flush_round(struct nl *nl, struct flush_ctx *ctx, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	int i, r;

	ctx->n = ctx->more = 0;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	r = nl_transact(nl, nlh, flush_cb, ctx, err);
	if (r < 0)
		return r;
	for (i = 0; i < ctx->n; i++) {
		r = addr_request(nl, RTM_DELADDR, 0, ctx->ifindex, &ctx->found[i], err);
		/* Deleting a primary IPv4 address may take its secondaries with it. */
		if (r < 0 && r != -EADDRNOTAVAIL)
			return r;
	}
	return 0;
}

int nl_addr_flush(int netns_fd, const char *ifname, struct vnl_err *err)
{
	struct flush_ctx ctx = { 0 };
	struct nl nl;
	int round, r;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	r = nl_open(&nl, netns_fd, err);
	if (r < 0)
		return r;
	ctx.ifindex = r = nl_ifindex(&nl, ifname, err);
	for (round = 0; r > 0 && round < FLUSH_ROUNDS; round++) {
		r = flush_round(&nl, &ctx, err);
		if (r == 0 && ctx.n == 0)
			break;
		r = r < 0 ? r : 1;
	}
	nl_close(&nl);
	if (r > 0)
		r = vnl_errf(err, -EBUSY, "addresses keep reappearing");
	if (r < 0)
		return vnl_err_wrap(err, "flushing addresses of '%s'", ifname), r;
	return 0;
}
