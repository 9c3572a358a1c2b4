/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: common/loopdev.c attaches ext4 images read-only and refuses
 * anything else with a clear message; common/overlay.c gives each container
 * a private writable view of one image (writes invisible to the image and to
 * the other container, lower layer read-only), mounts all or nothing, and
 * unmounts idempotently; after unmount the loop devices free themselves
 * (autoclear) and no mount is left.
 * Operations: build an 8 MiB ext4 image with `mke2fs -d` in a temp folder,
 * attach, mount two overlays, write, check, unmount, check the image.
 * An atexit/signal handler unmounts, detaches and removes whatever the test
 * made, whichever check failed.
 */
#include <fcntl.h>
#include <ftw.h>
#include <linux/fs.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>

#include "loopdev.h"
#include "overlay.h"
#include "sys.h"

static char tmp[64];             /* the test's temp folder, "" once cleaned */
static char img[128];            /* the ext4 image inside it */
static const char content[] = "from the image\n";

/* The error argument of each call: cleared first, so a message is this call's. */
static struct vnl_err err;
#define E (vnl_err_clear(&err), &err)

/* Mount points under tmp, in /proc/self/mountinfo order; returns their count. */
static int mounts_under_tmp(char (*out)[256], int max)
{
	char line[4096], mnt[256];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && strstr(mnt, tmp) == mnt) {
			if (out && n < max)
				snprintf(out[n], sizeof(out[0]), "%s", mnt);
			n++;
		}
	fclose(f);
	return n;
}

static void detach_cb(const char *dev, void *arg)
{
	(void)arg;
	loop_detach(dev, NULL);
}

/* Undo everything under tmp: mounts (newest first), loop devices, files. */
static void lo_cleanup(void)
{
	char mnts[32][256];
	int n, i, round;

	if (!tmp[0])
		return;
	for (round = 0; round < 8 && (n = mounts_under_tmp(mnts, 32)) > 0; round++)
		for (i = (n < 32 ? n : 32) - 1; i >= 0; i--)
			umount2(mnts[i], MNT_DETACH);
	loop_find_by_backing(img, detach_cb, NULL);
	overlay_remove_state(tmp, NULL);
	tmp[0] = '\0';
}

static void lo_on_signal(int sig)
{
	lo_cleanup();
	sys_on_signal(sig);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* 1 if the file at dir/name holds exactly s. */
static int file_is(const char *dir, const char *name, const char *s)
{
	char path[512], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return !strcmp(buf, s);
}

static int exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* FNV-1a of a whole file, 0 on error. */
static uint64_t file_hash(const char *path)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned char buf[65536];
	ssize_t n, i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ULL;
	close(fd);
	return n < 0 ? 0 : h;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to 5 s for the image to have no loop device; the ms it took, or -1. */
static long loops_gone_ms(void)
{
	long t0 = now_ms();

	while (now_ms() - t0 < 5000) {
		if (loop_find_by_backing(img, NULL, NULL) == 0)
			return now_ms() - t0;
		usleep(5000);
	}
	return -1;
}

static int sysfs_is(const char *dev, const char *attr, const char *want)
{
	char path[256], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/%s", dev + strlen("/dev/"), attr);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, want);
}

static int has_overlayfs(void)
{
	return sh("grep -qw overlay /proc/filesystems") == 0 ||
	       (sh("modprobe overlay 2>/dev/null") == 0 && sh("grep -qw overlay /proc/filesystems") == 0);
}

/* Attach the image; the device fd (closed by the caller after mounting) or -1. */
static int attach(char *dev, const char *what)
{
	int fd = loop_attach_ro(img, dev, LOOP_DEV_LEN, E);

	ok(fd >= 0, "attach for %s -> %s (%s)", what, fd >= 0 ? dev : "-", err.msg);
	return fd;
}

int main(void)
{
	char src[128], junk[128], missing[128], p[256];
	char stA[128], stB[128], stC[128], stD[128], stE[128];
	char tgtA[128], tgtB[128], tgtC[128], tgtD[128], tgtE[128];
	char dev[LOOP_DEV_LEN], devA[LOOP_DEV_LEN], devB[LOOP_DEV_LEN], devE[LOOP_DEV_LEN];
	uint64_t hash0;
	struct stat st;
	int fd, ro = 0, r, nmounts;
	long ms;

	sys_init();
	if (access("/dev/loop-control", F_OK) != 0) {
		printf("# SKIP: no /dev/loop-control (loop driver missing)\n");
		return 77;
	}
	if (!has_overlayfs()) {
		printf("# SKIP: the kernel has no overlay filesystem\n");
		return 77;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/vnl-%s-XXXXXX", sys_pfx);
	if (!mkdtemp(tmp)) {
		tmp[0] = '\0';
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	atexit(lo_cleanup);
	signal(SIGTERM, lo_on_signal);
	signal(SIGINT, lo_on_signal);
	printf("# temp folder %s\n", tmp);

#define IN_TMP(buf, name) snprintf(buf, sizeof(buf), "%s/%s", tmp, name)
	IN_TMP(src, "src"), IN_TMP(img, "root.ext4"), IN_TMP(junk, "junk.img"), IN_TMP(missing, "nope.img");
	IN_TMP(stA, "stA"), IN_TMP(stB, "stB"), IN_TMP(stC, "stC"), IN_TMP(stD, "stD"), IN_TMP(stE, "stE");
	IN_TMP(tgtA, "rootA"), IN_TMP(tgtB, "rootB"), IN_TMP(tgtC, "fileC"), IN_TMP(tgtD, "rootD");
	IN_TMP(tgtE, "rootE");

	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/etc", src);
	mkdir(p, 0755);
	ok(write_file(strcat(strcpy(p, src), "/hello"), content) == 0, "image source folder");
	r = sh("mke2fs -q -t ext4 -d %s %s 8M >/dev/null", src, img);
	ok(r == 0, "mke2fs -q -t ext4 -d SRC IMG 8M -> %d", r);
	if (r != 0)
		return tap_done();
	hash0 = file_hash(img);

	/* Attach: a read-only, self-clearing block device. */
	fd = attach(dev, "checks");
	ok(fd >= 0 && stat(dev, &st) == 0 && S_ISBLK(st.st_mode), "%s is a block device", dev);
	ok(fd >= 0 && ioctl(fd, BLKROGET, &ro) == 0 && ro == 1, "BLKROGET says read-only");
	ok(sysfs_is(dev, "ro", "1") && sysfs_is(dev, "loop/autoclear", "1"), "sysfs: ro=1, autoclear=1");
	ok(loop_find_by_backing(img, NULL, NULL) == 1, "loop_find_by_backing finds it");
	if (fd >= 0)
		close(fd);
	ms = loops_gone_ms();
	ok(ms >= 0, "closing the only fd frees the device (autoclear, %ld ms)", ms);

	/* Bad images: a clear message, nothing attached. */
	write_file(junk, "not a filesystem\n");
	r = loop_attach_ro(junk, dev, sizeof(dev), E);
	ok(r == -EINVAL && strstr(err.msg, junk) && strstr(err.msg, "is not an ext4 image"),
	   "non-ext4 file refused: %s", err.msg);
	r = loop_attach_ro(missing, dev, sizeof(dev), E);
	ok(r == -ENOENT && strstr(err.msg, missing), "missing file refused: %s", err.msg);
	r = loop_attach_ro(src, dev, sizeof(dev), E);
	ok(r == -EINVAL && strstr(err.msg, "not a regular file"), "folder refused: %s", err.msg);
	ok(loop_find_by_backing(junk, NULL, NULL) == 0 && loop_find_by_backing(src, NULL, NULL) == 0,
	   "refusals left no loop device");

	/* Two containers of one image, one loop device each. */
	fd = attach(devA, "A");
	r = fd >= 0 ? overlay_mount(devA, stA, tgtA, E) : -1;
	ok(r == 0, "overlay_mount A -> %d (%s)", r, err.msg);
	if (fd >= 0)
		close(fd);
	fd = attach(devB, "B");
	r = fd >= 0 ? overlay_mount(devB, stB, tgtB, E) : -1;
	ok(r == 0, "overlay_mount B -> %d (%s)", r, err.msg);
	if (fd >= 0)
		close(fd);
	ok(loop_find_by_backing(img, NULL, NULL) == 2, "the mounts keep both devices after close()");
	ok(is_mountpoint(tgtA) && is_mountpoint(stA) == false && is_mountpoint(strcat(strcpy(p, stA), "/lower")),
	   "is_mountpoint: target and lower yes, state folder no");
	nmounts = mounts_under_tmp(NULL, 0);
	ok(nmounts == 4, "4 mounts under the temp folder (%d)", nmounts);

	ok(file_is(tgtA, "hello", content) && file_is(tgtB, "hello", content), "both see the image's file");
	ok(write_file(strcat(strcpy(p, tgtA), "/a.txt"), "A\n") == 0, "write a.txt in A");
	ok(write_file(strcat(strcpy(p, tgtA), "/hello"), "changed by A\n") == 0, "overwrite hello in A");
	ok(write_file(strcat(strcpy(p, tgtB), "/b.txt"), "B\n") == 0, "write b.txt in B");
	ok(file_is(tgtA, "a.txt", "A\n") && !exists(tgtA, "b.txt") && file_is(tgtA, "hello", "changed by A\n"),
	   "A sees its own writes only");
	ok(file_is(tgtB, "b.txt", "B\n") && !exists(tgtB, "a.txt") && file_is(tgtB, "hello", content),
	   "B sees its own writes only, and the image's hello");
	ok(file_is(strcat(strcpy(p, stA), "/upper"), "a.txt", "A\n"), "A's writes are in stA/upper");
	strcat(strcpy(p, stA), "/lower");
	ok(file_is(p, "hello", content) && !exists(p, "a.txt"), "A's lower layer is unchanged");
	strcat(p, "/try");
	errno = 0;
	r = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ok(r < 0 && errno == EROFS, "writing in the lower mount fails with EROFS (%s)", strerror(errno));
	if (r >= 0)
		close(r);

	/* Mount refusals, all or nothing. */
	r = overlay_mount(devA, stA, tgtA, E);
	ok(r == -EBUSY && mounts_under_tmp(NULL, 0) == nmounts, "mounting A again -> -EBUSY: %s", err.msg);
	r = overlay_mount(src, "/tmp/a,b", tgtC, E);
	ok(r == -EINVAL && strstr(err.msg, "not allowed"), "',' in the state folder -> -EINVAL: %s", err.msg);
	r = overlay_mount(junk, stC, tgtD, E);
	ok(r == -EINVAL && access(stC, F_OK) != 0 && access(tgtD, F_OK) != 0,
	   "a regular file as lower -> -EINVAL, no folder made: %s", err.msg);
	write_file(tgtC, "a file, not a folder\n");
	r = overlay_mount(src, stC, tgtC, E);
	ok(r < 0 && mounts_under_tmp(NULL, 0) == nmounts && access(stC, F_OK) != 0,
	   "overlay failing after the lower mount undoes it all (%d: %s)", r, err.msg);

	/* A folder as the lower layer: a read-only bind mount. */
	r = overlay_mount(src, stD, tgtD, E);
	ok(r == 0 && file_is(tgtD, "hello", content), "folder as lower -> %d (%s)", r, err.msg);
	strcat(strcpy(p, stD), "/lower/try");
	errno = 0;
	r = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ok(r < 0 && errno == EROFS, "its lower bind mount is read-only (%s)", strerror(errno));
	if (r >= 0)
		close(r);
	ok(overlay_umount(stD, tgtD, E) == 0 && !is_mountpoint(tgtD), "umount D (%s)", err.msg);

	/* Unmount: mounts gone, devices gone, writes kept. */
	r = overlay_umount(stA, tgtA, E);
	ok(r == 0, "overlay_umount A -> %d (%s)", r, err.msg);
	r = overlay_umount(stB, tgtB, E);
	ok(r == 0, "overlay_umount B -> %d (%s)", r, err.msg);
	ok(mounts_under_tmp(NULL, 0) == 0, "no mount left under the temp folder");
	ms = loops_gone_ms();
	ok(ms >= 0, "both loop devices freed themselves after umount (%ld ms)", ms);
	ok(access(tgtA, F_OK) != 0 && !exists(stA, "lower"), "empty mount points removed");
	ok(file_is(strcat(strcpy(p, stA), "/upper"), "a.txt", "A\n"), "A's upper (its writes) kept");
	ok(overlay_umount(stA, tgtA, E) == 0 && overlay_umount(stC, tgtE, E) == 0,
	   "overlay_umount again, and of what never was: 0 (idempotent)");

	/* The image is untouched: same bytes, and a fresh overlay sees the original. */
	ok(hash0 && file_hash(img) == hash0, "image bytes unchanged");
	fd = attach(devE, "a fresh look");
	r = fd >= 0 ? overlay_mount(devE, stE, tgtE, E) : -1;
	if (fd >= 0)
		close(fd);
	ok(r == 0 && file_is(tgtE, "hello", content) && !exists(tgtE, "a.txt") && !exists(tgtE, "b.txt"),
	   "a fresh overlay sees the original image (%s)", err.msg);
	ok(overlay_umount(stE, tgtE, E) == 0, "umount the fresh overlay");

	/* Explicit detach: deferred while open, then gone; again is fine. */
	fd = attach(dev, "detach");
	ok(fd >= 0 && loop_detach(dev, E) == 0, "loop_detach while open -> 0 (%s)", err.msg);
	if (fd >= 0)
		close(fd);
	ok(loops_gone_ms() >= 0 && loop_detach(dev, E) == 0, "device gone; loop_detach again -> 0");

	/* State removal. */
	ok(overlay_remove_state(stA, E) == 0 && access(stA, F_OK) != 0, "overlay_remove_state A (%s)", err.msg);
	ok(overlay_remove_state(stA, E) == 0, "overlay_remove_state of a missing folder -> 0");

	lo_cleanup();
	ok(access(img, F_OK) != 0 && loop_find_by_backing(img, NULL, NULL) == 0, "temp folder removed, no loop device");
	ok(sys_leftovers_settled() == 0, "nothing with prefix %s left", sys_pfx);
	return tap_done();
}
