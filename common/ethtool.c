/* SPDX-License-Identifier: GPL-2.0-only */
/* Offload switches through SIOCETHTOOL in the interface's namespace: see ethtool.h. */
#include "ethtool.h"
#include "netns.h"
#include "nl.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One ethtool_value command on ifname, from a socket inside netns_fd. */
static int ethtool_value(int netns_fd, const char *ifname, struct ethtool_value *ev,
			 struct vnl_err *err)
{
	struct ifreq ifr = { 0 };
	int fd, r = 0;

	if ((r = nl_ifname_check(ifname, err)) < 0)
		return r;
	fd = netns_socket(netns_fd, AF_INET, SOCK_DGRAM, 0, err);
	if (fd < 0)
		return fd;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		r = vnl_errno(err, errno, "SIOCETHTOOL");
	close(fd);
	return r;
}

int ethtool_set_tx_csum(int netns_fd, const char *ifname, int on, struct vnl_err *err)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = !!on };
	int r = ethtool_value(netns_fd, ifname, &ev, err);

	if (r < 0)
		return vnl_err_wrap(err, "turning tx checksum offload %s on '%s'", on ? "on" : "off",
				    ifname ? ifname : ""), r;
	return 0;
}

int ethtool_get_tx_csum(int netns_fd, const char *ifname, struct vnl_err *err)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };
	int r = ethtool_value(netns_fd, ifname, &ev, err);

	if (r < 0)
		return vnl_err_wrap(err, "reading tx checksum offload of '%s'", ifname ? ifname : ""), r;
	return !!ev.data;
}
