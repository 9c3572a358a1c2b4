/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent tap devices inside a network namespace (/dev/net/tun).
 *
 * A node's tap NIC `eth<i>` is made once, directly inside the node's netns
 * under its final name, and marked persistent: it exists without any open
 * fd (NO-CARRIER) until it is deleted or its netns goes away (the kernel
 * deletes it with the namespace). The switch attaches by opening an fd on it:
 * while an fd is attached the device has carrier, the last close drops it.
 * That fd is the "cable".
 *
 * Why a thread: TUNSETIFF resolves (or creates) the name in the namespace
 * the /dev/net/tun fd was opened in, so only open() must run inside the
 * target netns. It runs in a short-lived thread that setns()es; the calling
 * thread never changes namespace and every ioctl runs in the caller.
 *
 * Flags: every fd is IFF_TAP|IFF_NO_PI|IFF_VNET_HDR (a 10-byte struct
 * virtio_net_hdr in front of each frame, both ways). A device made by
 * `ip tuntap add ... multi_queue` is attached with IFF_MULTI_QUEUE too.
 *
 * Errors: 0 or a fd (>= 0), or a negative errno with a message in err
 * (err.h). Needs CAP_NET_ADMIN in the target netns (CAP_SYS_ADMIN for setns).
 *
 * Thread-safety: no state; the calls may run in any thread, concurrently.
 */
#pragma once

#include "err.h"

/* Offload flags for tap_attach_in(): linux/if_tun.h TUN_F_* values. */
#define TAP_OL_CSUM 0x01  /* TUN_F_CSUM: the reader takes partial checksums */
#define TAP_OL_TSO4 0x02  /* TUN_F_TSO4: the reader takes TCP/IPv4 GSO (needs CSUM) */
#define TAP_OL_TSO6 0x04  /* TUN_F_TSO6: the reader takes TCP/IPv6 GSO (needs CSUM) */

/* Size of the virtio_net_hdr every attached fd reads and writes first. */
#define TAP_VNET_HDR_LEN 10

/*
 * Create the persistent tap `name` inside `netns_fd` (-1: the caller's own
 * netns), down, with vnet_hdr set. An existing single-queue tap of that name
 * is reused (made persistent again); a name held by another kind of device
 * is -EEXIST. On failure nothing is left behind.
 */
int tap_create_in(int netns_fd, const char *name, struct vnl_err *err);

/*
 * Open the path of a netns (/run/netns/X, /proc/PID/ns/net) and create the
 * tap there: tap_create_in() for callers holding a path (NULL: own netns).
 */
int tap_create_at(const char *netns_path, const char *name, struct vnl_err *err);

/*
 * Attach to the existing tap `name` in `netns_fd` (-1: own netns): returns a
 * non-blocking, close-on-exec fd with TUNSETVNETHDRSZ TAP_VNET_HDR_LEN and
 * TUNSETOFFLOAD `offloads` (TAP_OL_*; 0: the kernel completes checksums and
 * segments before our reads). The device gets carrier while the fd is open.
 * -ENODEV if there is no such tap, -EBUSY if a single-queue tap has a reader
 * already, -EINVAL if the name is another kind of device.
 */
int tap_attach_in(int netns_fd, const char *name, unsigned offloads, struct vnl_err *err);

/* tap_attach_in() with a netns path (NULL: own netns). */
int tap_attach_at(const char *netns_path, const char *name, unsigned offloads, struct vnl_err *err);

/*
 * Delete the tap `name` in `netns_fd` (-1: own netns) with RTM_DELLINK, also
 * while a switch is attached (its reads then fail with EBADFD and its port
 * shows link down until port-del). Idempotent: no such device is success.
 */
int tap_delete_in(int netns_fd, const char *name, struct vnl_err *err);
