/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netns.h"
#include "nl.h"
#include "tuntap.h"

/* A /dev/net/tun fd bound to netns_fd's namespace (-1: ours). */
static int tun_open_in(int netns_fd, const char *name, struct vnl_err *err)
{
	int fd;

	if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ)
		return vnl_errf(err, -EINVAL, "tap name '%s' must have 1 to %d characters", name,
			       IFNAMSIZ - 1);
	fd = netns_open_path(netns_fd, "/dev/net/tun", O_RDWR, err);
	if (fd < 0)
		vnl_err_wrap(err, "tap '%s'", name);
	return fd;
}

/*
 * TUNSETIFF on fd for `name`: attaches to the tap of that name or creates
 * one. A tap made by `ip tuntap ... multi_queue` only takes IFF_MULTI_QUEUE
 * (EINVAL otherwise), hence the second try. *created: the device did not
 * exist before (it is not persistent).
 */
static int tun_set_iff(int fd, const char *name, bool *created, struct vnl_err *err)
{
	short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = flags;
	r = ioctl(fd, TUNSETIFF, &ifr);
	if (r < 0 && errno == EINVAL) {
		ifr.ifr_flags = flags | IFF_MULTI_QUEUE;
		r = ioctl(fd, TUNSETIFF, &ifr);
	}
	if (r < 0 && errno == EINVAL)
		return vnl_errf(err, -EINVAL, "'%s' exists and is not a tap", name);
	if (r < 0 && errno == EBUSY)
		return vnl_errf(err, -EBUSY, "tap '%s' has a reader already", name);
	if (r < 0)
		return vnl_errno(err, errno, "tap '%s': TUNSETIFF", name);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return vnl_errno(err, errno, "tap '%s': TUNGETIFF", name);
	*created = !(ifr.ifr_flags & IFF_PERSIST);
	return 0;
}

int tap_create_in(int netns_fd, const char *name, struct vnl_err *err)
{
	bool created;
	int fd, r;

	fd = tun_open_in(netns_fd, name, err);
	if (fd < 0)
		return fd;
	r = tun_set_iff(fd, name, &created, err);
	if (r == -EINVAL)
		r = vnl_errf(err, -EEXIST, "cannot create tap '%s': a device of another kind has the name",
			     name);
	else if (r == 0 && ioctl(fd, TUNSETPERSIST, 1) < 0)
		r = vnl_errno(err, errno, "tap '%s': TUNSETPERSIST", name);
	close(fd); /* a tap made here and not persistent goes with it */
	return r;
}

int tap_attach_in(int netns_fd, const char *name, unsigned offloads, struct vnl_err *err)
{
	int fd, r, hdr = TAP_VNET_HDR_LEN;
	bool created;

	fd = tun_open_in(netns_fd, name, err);
	if (fd < 0)
		return fd;
	r = tun_set_iff(fd, name, &created, err);
	if (r == 0 && created)
		r = vnl_errf(err, -ENODEV, "no tap named '%s'", name); /* ours vanishes at close */
	else if (r == 0 && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		r = vnl_errno(err, errno, "tap '%s': TUNSETVNETHDRSZ", name);
	else if (r == 0 && ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0)
		r = vnl_errno(err, errno, "tap '%s': TUNSETOFFLOAD 0x%x", name, offloads);
	else if (r == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		r = vnl_errno(err, errno, "tap '%s': O_NONBLOCK", name);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int tap_delete_in(int netns_fd, const char *name, struct vnl_err *err)
{
	int r = nl_link_del(netns_fd, name, err);

	if (r == -ENODEV) {
		vnl_err_clear(err);
		return 0;
	}
	return r;
}

/* An fd of the netns at path, or -1 for NULL (own netns), or -errno. */
static int open_ns(const char *path, struct vnl_err *err)
{
	int fd;

	if (path == NULL)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, errno, "opening netns '%s'", path);
	return fd;
}

int tap_create_at(const char *netns_path, const char *name, struct vnl_err *err)
{
	int ns = open_ns(netns_path, err), r;

	if (ns < 0 && netns_path != NULL)
		return ns;
	r = tap_create_in(ns, name, err);
	if (ns >= 0)
		close(ns);
	return r;
}

int tap_attach_at(const char *netns_path, const char *name, unsigned offloads, struct vnl_err *err)
{
	int ns = open_ns(netns_path, err), r;

	if (ns < 0 && netns_path != NULL)
		return ns;
	r = tap_attach_in(ns, name, offloads, err);
	if (ns >= 0)
		close(ns);
	return r;
}
