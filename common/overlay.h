/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copy-on-write root filesystems for containers (issue 4): a read-only
 * lower layer (an ext4 loop device from loopdev.h, or a directory) under an
 * overlay whose upper and work folders are private to one container.
 *
 * A container's state folder STATE holds:
 *   STATE/lower   mount point of the read-only lower layer
 *   STATE/upper   the container's writes (survives overlay_umount())
 *   STATE/work    overlayfs scratch space
 * and the overlay itself is mounted on a target folder of the caller's
 * choice (the OCI root path).  Writes through the target land in STATE/upper
 * only: the image and other containers' overlays never see them, and any
 * number of overlays may share one image.
 *
 * Paths: STATE must not contain ',', ':' or '\\' (they are separators in
 * overlayfs options): -EINVAL.
 *
 * Errors: 0 or a negative errno with a message in `err` (see err.h).
 * Needs CAP_SYS_ADMIN.
 *
 * Thread-safety: no shared state; two calls on the same STATE or target at
 * once are the caller's race to avoid.
 */
#pragma once

#include <stdbool.h>

#include "err.h"

/*
 * Mount `lower` read-only on STATE/lower (a block device: ext4 with
 * MS_RDONLY; a directory: a read-only bind mount), create STATE/upper and
 * STATE/work (0755, STATE itself and target too when missing), then mount
 * an overlay lowerdir=STATE/lower,upperdir=STATE/upper,workdir=STATE/work
 * on `target`.  All or nothing: on failure the lower mount is undone and
 * the folders this call created are removed.  -EBUSY if STATE/lower or
 * target is already a mount point (call overlay_umount() first).
 * For a loop device from loop_attach_ro(), close its fd after this call,
 * whatever the result: the mount now holds the device, or nothing does.
 */
int overlay_mount(const char *lower, const char *state_dir, const char *target,
		  struct vnl_err *err);

/*
 * Unmount `target` and then STATE/lower, each with a lazy (MNT_DETACH)
 * unmount when busy (processes still inside: the kernel finishes once they
 * leave), then remove those two mount points if empty.  Idempotent: what is
 * not mounted or does not exist is skipped, so it also cleans up after a
 * half-done overlay_mount() or a crash.  Keeps STATE/upper and STATE/work.
 * A loop device under STATE/lower frees itself (autoclear) once unmounted.
 */
int overlay_umount(const char *state_dir, const char *target, struct vnl_err *err);

/*
 * Remove STATE and everything in it (the container's writes included),
 * never crossing into another filesystem.  -EBUSY if STATE/lower is still a
 * mount point.  A missing STATE is success.
 */
int overlay_remove_state(const char *state_dir, struct vnl_err *err);

/* true if `path` is the root of a mount (a mount point); false if not or on error. */
bool is_mountpoint(const char *path);
