/* SPDX-License-Identifier: GPL-2.0-only */
/* Read-only, self-clearing loop devices over ext4 images: see loopdev.h. */
#include "loopdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXT_MAGIC_OFFSET 1080  /* 1024 (superblock) + 0x38 (s_magic) */
#define EXT_MAGIC 0xEF53

/* 0 if fd is a regular file with an ext2/3/4 superblock, else -EINVAL + message. */
static int image_check(int fd, const char *image, struct vnl_err *err)
{
	unsigned char m[2];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return vnl_errno(err, errno, "image '%s'", image);
	if (!S_ISREG(st.st_mode))
		return vnl_errf(err, -EINVAL, "image '%s' is not a regular file", image);
	n = pread(fd, m, sizeof(m), EXT_MAGIC_OFFSET);
	if (n < 0)
		return vnl_errno(err, errno, "reading image '%s'", image);
	if (n != sizeof(m) || (m[0] | m[1] << 8) != EXT_MAGIC)
		return vnl_errf(err, -EINVAL, "'%s' is not an ext4 image (no ext2/3/4 superblock)", image);
	return 0;
}

/*
 * One attempt: ask loop-control for a free device and bind img_fd to it.
 * Returns the device fd, or -EBUSY when another attacher took it first.
 */
static int attach_once(int ctl, int img_fd, const char *image, char *dev, size_t len,
		       struct vnl_err *err)
{
	struct loop_config cfg;
	int n, fd;

	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (n < 0)
		return vnl_errno(err, errno, "attaching '%s': no free loop device", image);
	snprintf(dev, len, "/dev/loop%d", n);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, errno, "attaching '%s': opening %s", image, dev);
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = img_fd;
	cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", image);
	if (ioctl(fd, LOOP_CONFIGURE, &cfg) < 0) {
		int r = -errno;

		close(fd);
		return vnl_errno(err, r, "attaching '%s': LOOP_CONFIGURE on %s", image, dev);
	}
	return fd;
}

int loop_attach_ro(const char *image, char *dev, size_t len, struct vnl_err *err)
{
	int img, ctl, fd = -EBUSY, i;

	if (!image || !dev || len < LOOP_DEV_LEN)
		return vnl_errf(err, -EINVAL, "loop_attach_ro: bad arguments");
	img = open(image, O_RDONLY | O_CLOEXEC);
	if (img < 0)
		return vnl_errno(err, errno, "opening image '%s'", image);
	fd = image_check(img, image, err);
	if (fd < 0)
		goto out_img;
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fd = vnl_errno(err, errno, "attaching '%s': opening /dev/loop-control", image);
		goto out_img;
	}
	/* EBUSY: someone bound "our" free device between GET_FREE and CONFIGURE. */
	for (i = 0, fd = -EBUSY; i < LOOP_ATTACH_TRIES && fd == -EBUSY; i++)
		fd = attach_once(ctl, img, image, dev, len, err);
	close(ctl);
	if (fd == -EBUSY)
		vnl_err_wrap(err, "%d attempts", LOOP_ATTACH_TRIES);
out_img:
	/* The device holds its own reference to the image file. */
	close(img);
	return fd;
}

int loop_detach(const char *dev, struct vnl_err *err)
{
	int fd, r = 0;

	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENXIO)
			return 0;
		return vnl_errno(err, errno, "detaching %s: open", dev);
	}
	if (ioctl(fd, LOOP_CLR_FD) < 0 && errno != ENXIO)
		r = vnl_errno(err, errno, "detaching %s", dev);
	close(fd);
	return r;
}

/* Read /sys/block/NAME/loop/backing_file into buf without the newline; 0 or -errno. */
static int backing_file(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

int loop_find_by_backing(const char *image, void (*cb)(const char *dev, void *arg), void *arg)
{
	char want[PATH_MAX], deleted[PATH_MAX + 16], have[PATH_MAX + 16], dev[LOOP_DEV_LEN + 256];
	struct dirent *d;
	int found = 0;
	DIR *dir;

	if (!realpath(image, want)) {
		if (errno != ENOENT || image[0] != '/')
			return -errno;
		snprintf(want, sizeof(want), "%s", image);
	}
	snprintf(deleted, sizeof(deleted), "%s (deleted)", want);
	dir = opendir("/sys/block");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		/* Unbound devices have no loop/backing_file. */
		if (strncmp(d->d_name, "loop", 4) || backing_file(d->d_name, have, sizeof(have)) < 0)
			continue;
		if (strcmp(have, want) && strcmp(have, deleted))
			continue;
		found++;
		if (cb) {
			snprintf(dev, sizeof(dev), "/dev/%s", d->d_name);
			cb(dev, arg);
		}
	}
	closedir(dir);
	return found;
}
