/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-container overlays over a read-only lower layer: see overlay.h. */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* Stacked mounts on one path we are willing to peel off in overlay_umount(). */
#define UMOUNT_MAX_STACK 8

/* The folders of one state dir (see overlay.h). */
struct layout {
	char lower[PATH_MAX];
	char upper[PATH_MAX];
	char work[PATH_MAX];
};

static int layout_init(struct layout *l, const char *state, struct vnl_err *err)
{
	if (!state || !state[0])
		return vnl_errf(err, -EINVAL, "overlay: empty state folder");
	if (strlen(state) + sizeof("/lower") > PATH_MAX)
		return vnl_errf(err, -ENAMETOOLONG, "overlay state folder '%.64s...': name too long", state);
	snprintf(l->lower, sizeof(l->lower), "%s/lower", state);
	snprintf(l->upper, sizeof(l->upper), "%s/upper", state);
	snprintf(l->work, sizeof(l->work), "%s/work", state);
	return 0;
}

bool is_mountpoint(const char *path)
{
	char parent[PATH_MAX + 4];
	struct statx sx, px;

	if (statx(AT_FDCWD, path, 0, STATX_INO, &sx) < 0)
		return false;
	if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	/* Older kernels: a mount root sits on another device than its parent, or is "/". */
	snprintf(parent, sizeof(parent), "%s/..", path);
	if (statx(AT_FDCWD, parent, 0, STATX_INO, &px) < 0)
		return false;
	return sx.stx_dev_major != px.stx_dev_major || sx.stx_dev_minor != px.stx_dev_minor ||
	       sx.stx_ino == px.stx_ino;
}

/* mkdir `path` (with parents when `parents`); *made tells whether this call created it. */
static int dir_make(const char *path, bool parents, bool *made, struct vnl_err *err)
{
	int r;

	*made = false;
	if (access(path, F_OK) == 0)
		return 0;
	r = parents ? mkdir_p(path, 0755) : (mkdir(path, 0755) < 0 ? -errno : 0);
	if (r < 0)
		return vnl_errno(err, r, "creating %s", path);
	*made = true;
	return 0;
}

/* Unmount everything stacked on `path`, lazily when busy; nothing mounted is success. */
static int umount_all(const char *path, struct vnl_err *err)
{
	int i;

	for (i = 0; i < UMOUNT_MAX_STACK && is_mountpoint(path); i++) {
		if (umount2(path, 0) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno != EBUSY || umount2(path, MNT_DETACH) < 0)
			return vnl_errno(err, errno, "unmounting %s", path);
	}
	return 0;
}

/* Mount `src` read-only on `dir`: ext4 for a block device, a bind mount for a folder. */
static int lower_mount(const char *src, const struct stat *st, const char *dir, struct vnl_err *err)
{
	if (S_ISBLK(st->st_mode)) {
		if (mount(src, dir, "ext4", MS_RDONLY, NULL) < 0)
			return vnl_errno(err, errno, "mounting %s (ext4, read-only) on %s", src, dir);
		return 0;
	}
	if (mount(src, dir, NULL, MS_BIND, NULL) < 0)
		return vnl_errno(err, errno, "bind-mounting %s on %s", src, dir);
	/* A bind mount ignores MS_RDONLY: read-only takes a remount. */
	if (mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
		int r = vnl_errno(err, errno, "making the bind mount %s read-only", dir);

		umount2(dir, MNT_DETACH);
		return r;
	}
	return 0;
}

int overlay_mount(const char *lower, const char *state_dir, const char *target,
		  struct vnl_err *err)
{
	char opts[3 * PATH_MAX + 64];
	bool made[5] = { false };
	const char *dirs[5];
	struct layout l;
	struct stat st;
	int r, i;

	r = layout_init(&l, state_dir, err);
	if (r < 0)
		return r;
	if (strpbrk(state_dir, ",:\\"))
		return vnl_errf(err, -EINVAL, "overlay state folder '%s': ',', ':' and '\\' not allowed",
				state_dir);
	if (!lower || !target || !target[0])
		return vnl_errf(err, -EINVAL, "overlay: missing lower layer or target");
	if (stat(lower, &st) < 0)
		return vnl_errno(err, errno, "overlay lower layer '%s'", lower);
	if (!S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
		return vnl_errf(err, -EINVAL, "overlay lower layer '%s': not a block device or folder", lower);

	/* Parents first, so that the undo loop below can run in reverse. */
	dirs[0] = state_dir, dirs[1] = l.lower, dirs[2] = l.upper, dirs[3] = l.work, dirs[4] = target;
	for (i = 0; i < 5; i++) {
		r = dir_make(dirs[i], i == 0 || i == 4, &made[i], err);
		if (r < 0)
			goto undo_dirs;
	}
	if (is_mountpoint(l.lower) || is_mountpoint(target)) {
		r = vnl_errf(err, -EBUSY, "overlay on %s: %s is already mounted", target,
			     is_mountpoint(target) ? target : l.lower);
		goto undo_dirs;
	}
	r = lower_mount(lower, &st, l.lower, err);
	if (r < 0)
		goto undo_dirs;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", l.lower, l.upper, l.work);
	if (mount("overlay", target, "overlay", 0, opts) < 0) {
		/* The kernel logs its reason for EINVAL (bad upper fs, ...) in dmesg. */
		r = vnl_errno(err, errno, "mounting overlay on %s (%s)", target, opts);
		umount_all(l.lower, NULL);
		goto undo_dirs;
	}
	return 0;

undo_dirs:
	/* A failed overlay mount may already have made work/work. */
	for (i = 4; i >= 0; i--)
		if (made[i])
			i == 3 ? rm_tree(dirs[i]) : rmdir(dirs[i]);
	return r;
}

int overlay_umount(const char *state_dir, const char *target, struct vnl_err *err)
{
	struct layout l;
	int r;

	r = layout_init(&l, state_dir, err);
	if (r < 0)
		return r;
	/* The overlay first: it pins the lower mount. */
	if (target) {
		r = umount_all(target, err);
		if (r < 0)
			return vnl_err_wrap(err, "removing the overlay of %s", state_dir), r;
		/* Only if empty: a target with files in it was never just our mount point. */
		rmdir(target);
	}
	r = umount_all(l.lower, err);
	if (r < 0)
		return vnl_err_wrap(err, "removing the overlay of %s", state_dir), r;
	rmdir(l.lower);
	return 0;
}

int overlay_remove_state(const char *state_dir, struct vnl_err *err)
{
	struct layout l;
	struct stat st;
	int r;

	r = layout_init(&l, state_dir, err);
	if (r < 0)
		return r;
	if (lstat(state_dir, &st) < 0 && errno == ENOENT)
		return 0;
	if (is_mountpoint(l.lower))
		return vnl_errf(err, -EBUSY, "removing %s: %s is still mounted", state_dir, l.lower);
	r = rm_tree(state_dir);
	if (r < 0)
		return vnl_errno(err, r, "removing %s", state_dir);
	return 0;
}
