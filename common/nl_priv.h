/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by nl.c, nl_link.c and nl_addr.c: one netlink socket per
 * public call, bound in the namespace the call acts in, and one
 * request/ACK exchange helper.  Not for use outside common/nl*.c.
 *
 * Thread-safety: a struct nl belongs to one call on one thread.
 */
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "err.h"

/* libmnl >= 1.0.5 has MNL_SOCKET_DUMP_SIZE; the kernel's dump chunks fit in 32 KiB. */
#define NL_RECV_SIZE 32768

/* One rtnetlink socket inside a namespace. */
struct nl {
	struct mnl_socket *sock;  /* bound, extended ACKs on; NULL when closed */
	unsigned int portid;      /* our address, to filter replies */
	unsigned int seq;         /* sequence number of the last request */
};

/* Open an rtnetlink socket in netns_fd (-1: ours).  0 or -errno. */
int nl_open(struct nl *nl, int netns_fd, struct vnl_err *err);

/* Close it; accepts a closed or zeroed handle. */
void nl_close(struct nl *nl);

/*
 * Send nlh (NLM_F_REQUEST and NLM_F_ACK are added, seq is set) and read
 * replies until the ACK, or NLMSG_DONE for a dump, calling cb(msg, data) on
 * every data message (cb may be NULL).  Returns 0 or the kernel's negative
 * errno; err then holds the strerror text and, when the kernel gave one, its
 * extended-ACK message: callers vnl_err_wrap() it with the request's name.
 */
int nl_transact(struct nl *nl, struct nlmsghdr *nlh,
		void (*cb)(const struct nlmsghdr *msg, void *data), void *data,
		struct vnl_err *err);

/* nl_open() in netns_fd, one nl_transact(), nl_close(): a whole call's
 * exchange. Returns what nl_transact() or nl_open() returned. */
int nl_once(int netns_fd, struct nlmsghdr *nlh,
	    void (*cb)(const struct nlmsghdr *msg, void *data), void *data, struct vnl_err *err);

/* mnl_attr_parse() callback filling `tb` (an array of max+1 pointers). */
struct nl_attrs {
	const struct nlattr **tb;  /* indexed by attribute type */
	unsigned int max;          /* highest type kept; others are skipped */
};
int nl_attr_store(const struct nlattr *attr, void *data);

/* ifindex (> 0) of ifname by RTM_GETLINK on this socket, or -errno (-ENODEV). */
int nl_ifindex(struct nl *nl, const char *ifname, struct vnl_err *err);
