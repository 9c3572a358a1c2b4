/* SPDX-License-Identifier: GPL-2.0-only */
/* rtnetlink socket, checked request/ACK exchange, argument checks: see nl.h, nl_priv.h. */
#include "nl.h"
#include "nl_priv.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_ifname_check(const char *ifname, struct vnl_err *err)
{
	size_t len = ifname ? strlen(ifname) : 0;
	const char *c;

	if (len == 0 || len > NL_IFNAME_MAX)
		return vnl_errf(err, -EINVAL, "interface name '%s': must have 1 to %d characters",
				ifname ? ifname : "", NL_IFNAME_MAX);
	for (c = ifname; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ' || *c == 0x7f)
			return vnl_errf(err, -EINVAL,
					"interface name '%s': no '/', ':', space or control character allowed",
					ifname);
	if (!strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return vnl_errf(err, -EINVAL, "interface name '%s' is reserved", ifname);
	return 0;
}

int nl_cidr_parse(const char *cidr, int *family, uint8_t addr[16], int *prefixlen,
		  struct vnl_err *err)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	char *end;
	long len;

	if (!slash || slash == cidr || (size_t)(slash - cidr) >= sizeof(host))
		goto bad;
	memcpy(host, cidr, slash - cidr);
	host[slash - cidr] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = AF_INET6;
	else
		goto bad;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno ||
	    len > (*family == AF_INET ? 32 : 128))
		goto bad;
	*prefixlen = len;
	return 0;
bad:
	return vnl_errf(err, -EINVAL, "address '%s': expected A.B.C.D/N (N <= 32) or IPv6/N (N <= 128)",
			cidr ? cidr : "");
}

int nl_open(struct nl *nl, int netns_fd, struct vnl_err *err)
{
	int fd, one = 1;

	memset(nl, 0, sizeof(*nl));
	fd = netns_socket(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, err);
	if (fd < 0)
		return vnl_err_wrap(err, "opening rtnetlink"), fd;
	/* Best effort: older kernels simply give no text and echo the request. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->sock = mnl_socket_fdopen(fd);
	if (!nl->sock) {
		int r = -errno;

		close(fd);
		return vnl_errno(err, r, "opening rtnetlink: mnl_socket_fdopen");
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		nl_close(nl);
		return vnl_errno(err, r, "opening rtnetlink: bind");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)getpid() << 8;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl && nl->sock) {
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
	}
}

int nl_attr_store(const struct nlattr *attr, void *data)
{
	struct nl_attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* The kernel's NLMSGERR_ATTR_MSG text, after the (capped or full) request copy. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	struct nl_attrs a = { tb, NLMSGERR_ATTR_MAX };
	unsigned int off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (mnl_attr_parse(nlh, off, nl_attr_store, &a) < 0 || !tb[NLMSGERR_ATTR_MSG])
		return NULL;
	return mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]);
}

/* Decode an NLMSG_ERROR (ACK when error == 0). */
static int ack_result(const struct nlmsghdr *nlh, struct vnl_err *err)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const char *text;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return vnl_errf(err, -EBADMSG, "truncated netlink ACK");
	if (e->error == 0)
		return 0;
	text = ext_ack_msg(nlh);
	if (text && *text)
		return vnl_errf(err, e->error, "%s (kernel: %s)", strerror(abs(e->error)), text);
	return vnl_errf(err, e->error, "%s", strerror(abs(e->error)));
}

int nl_transact(struct nl *nl, struct nlmsghdr *nlh,
		void (*cb)(const struct nlmsghdr *msg, void *data), void *data,
		struct vnl_err *err)
{
	char *buf;
	int n, r;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return vnl_errno(err, errno, "sending the request");
	/* Heap, not stack: callers may run on small thread stacks. */
	buf = malloc(NL_RECV_SIZE);
	if (!buf)
		return vnl_errf(err, -ENOMEM, "out of memory");
	for (;;) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;

		n = (int)mnl_socket_recvfrom(nl->sock, buf, NL_RECV_SIZE);
		if (n < 0) {
			r = vnl_errno(err, errno, "reading the reply");
			break;
		}
		for (; mnl_nlmsg_ok(m, n); m = mnl_nlmsg_next(m, &n)) {
			if (m->nlmsg_seq != nl->seq || m->nlmsg_pid != nl->portid)
				continue;  /* a stale reply, or a notification */
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = ack_result(m, err);
				goto out;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				/* A dump ends here, possibly with an error of its own. */
				const int *code = mnl_nlmsg_get_payload(m);

				r = (m->nlmsg_len >= mnl_nlmsg_size(sizeof(int)) && *code < 0)
				    ? vnl_errf(err, *code, "%s", strerror(abs(*code))) : 0;
				goto out;
			}
			if (m->nlmsg_type >= NLMSG_MIN_TYPE && cb)
				cb(m, data);
		}
	}
out:
	free(buf);
	return r;
}

int nl_once(int netns_fd, struct nlmsghdr *nlh,
	    void (*cb)(const struct nlmsghdr *msg, void *data), void *data, struct vnl_err *err)
{
	struct nl nl;
	int r;

	r = nl_open(&nl, netns_fd, err);
	if (r < 0)
		return r;
	r = nl_transact(&nl, nlh, cb, data, err);
	nl_close(&nl);
	return r;
}

static void ifindex_cb(const struct nlmsghdr *m, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(m);

	if (m->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifi->ifi_index;
}

int nl_ifindex(struct nl *nl, const char *ifname, struct vnl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	int index = 0, r;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_transact(nl, nlh, ifindex_cb, &index, err);
	if (r < 0)
		return r;
	return index > 0 ? index : vnl_errf(err, -ENODEV, "no link in the reply");
}
