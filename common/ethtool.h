/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Offload switches through the ethtool ioctl (SIOCETHTOOL), issued on a
 * socket created inside the interface's namespace.
 *
 * Why: AF_XDP on a veth hands vnl-switchd frames with CHECKSUM_PARTIAL
 * unfinished (the checksum is left for hardware that does not exist), so the
 * namespace end of every veth must compute checksums in software: turn its
 * tx checksum offload off.
 *
 * Errors: 0 or negative errno with a message in `err` (see err.h);
 * -ENODEV if there is no such interface, -EOPNOTSUPP if the driver has no
 * such switch.  Thread-safety: as nl.h (stateless, any thread).
 */
#pragma once

#include "err.h"

/* Turn tx checksum offload of `ifname` in `netns_fd` (-1: ours) on or off. */
int ethtool_set_tx_csum(int netns_fd, const char *ifname, int on, struct vnl_err *err);

/* 1 if tx checksum offload of `ifname` is on, 0 if off, negative errno. */
int ethtool_get_tx_csum(int netns_fd, const char *ifname, struct vnl_err *err);
