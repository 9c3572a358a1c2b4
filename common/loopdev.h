/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-only loop devices over ext4 image files, for container root
 * filesystems (issue 4), driven with the loop-control and LOOP_CONFIGURE
 * ioctls (no losetup).
 *
 * Lifetime: every device we attach has LO_FLAGS_AUTOCLEAR, so the kernel
 * frees it when its last opener goes.  loop_attach_ro() therefore returns an
 * open fd of the device: the caller mounts the device (the mount becomes an
 * opener) and only then closes the fd; the device then lives exactly as long
 * as the mount, and unmounting frees it with no detach call.  Closing the fd
 * before anything else opened the device frees it at once.  The release runs
 * when the filesystem lets go of the device, which can lag a little behind
 * umount() returning (lazy unmounts, mounts propagated to other namespaces):
 * poll loop_find_by_backing() if you must see it gone.
 *
 * Crash cleanup: a device outlives its creator only while something holds
 * it; loop_find_by_backing() finds the devices of an image and
 * loop_detach() clears them (lazily if still mounted).
 *
 * Errors: 0 or a non-negative result, else a negative errno with a message
 * in `err` (see err.h).  Needs CAP_SYS_ADMIN (-EPERM/-EACCES otherwise).
 *
 * Thread-safety: no shared state; concurrent attaches in this or other
 * processes race only for free devices, which loop_attach_ro() retries.
 */
#pragma once

#include <stddef.h>

#include "err.h"

/* Room for "/dev/loopN" with any N the kernel hands out. */
#define LOOP_DEV_LEN 32

/* Attempts of loop_attach_ro() when another attacher takes the free device first. */
#define LOOP_ATTACH_TRIES 8

/*
 * Attach `image`, which must be a regular file holding an ext2/3/4
 * filesystem (superblock magic at byte 1080), to a free loop device with
 * LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR, the image opened O_RDONLY, and
 * lo_file_name set to the (possibly truncated) image path.  Writes "/dev/loopN"
 * into dev (len >= LOOP_DEV_LEN) and returns an O_RDONLY|O_CLOEXEC fd of the
 * device that the caller must keep open until the device is mounted (see
 * "Lifetime" above); closing it is the only cleanup a failed mount needs.
 * Errors: -ENOENT and the like (cannot open the image), -EINVAL (not a
 * regular file, or "... is not an ext4 image"), -EBUSY (lost the race for
 * a free device LOOP_ATTACH_TRIES times), errors of loop-control (-ENODEV:
 * no loop driver).  On failure no device is left attached.
 */
int loop_attach_ro(const char *image, char *dev, size_t len, struct vnl_err *err);

/*
 * Detach `dev` (LOOP_CLR_FD).  Already free (ENXIO) or no such node
 * (ENOENT) is success.  A device still open elsewhere (mounted) is not
 * cleared now: the kernel turns on autoclear and frees it when the last
 * opener goes; this call still returns 0.
 */
int loop_detach(const char *dev, struct vnl_err *err);

/*
 * Call cb("/dev/loopN", arg) for every bound loop device whose backing file
 * (/sys/block/loopN/loop/backing_file) is `image`'s realpath; an image that
 * no longer exists matches by its absolute path with the kernel's
 * " (deleted)" suffix.  cb may be NULL to only count.  Returns the number of
 * matches, or a negative errno (-ENOENT: a missing image given by a relative
 * path; errors reading /sys/block).
 */
int loop_find_by_backing(const char *image, void (*cb)(const char *dev, void *arg), void *arg);
