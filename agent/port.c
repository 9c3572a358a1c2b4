/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finding the agent's virtio-serial port: the kernel lists ports under
 * /sys/class/virtio-ports/vportNpM with their `name` (the virtserialport's
 * name= on the qemu side) and `dev` ("MAJ:MIN").  udev would make
 * /dev/virtio-ports/NAME; tiny guests have only devtmpfs, which makes
 * /dev/vportNpM (or not, if devtmpfs is not mounted), so the node is made
 * here when missing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent.h"

#define SYS_PORTS "/sys/class/virtio-ports"

/* First line of a sysfs file, without its newline: 0 or -errno. */
static int read_line(const char *dir, const char *entry, const char *file, char *buf, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, entry, file);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	if (!fgets(buf, (int)size, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* /dev/ENTRY as a character device of dev "MAJ:MIN", made if missing. */
static int ensure_node(const char *entry, const char *dev, char *path, size_t size)
{
	unsigned maj, min;
	struct stat st;

	snprintf(path, size, "/dev/%s", entry);
	if (sscanf(dev, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	if (stat(path, &st) == 0) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min))
			return 0;
		alog(LOG_W, "%s is not the char device %u:%u, making it again", path, maj, min);
		if (unlink(path) < 0)
			return -errno;
	}
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) < 0 && errno != EEXIST)
		return -errno;
	alog(LOG_I, "made %s (%u:%u)", path, maj, min);
	return 0;
}

int port_find(const char *name, char *path, size_t size)
{
	char pname[256], dev[32];
	struct dirent *e;
	int r = -ENOENT;
	DIR *d;

	d = opendir(SYS_PORTS);
	if (d == NULL)
		return -ENOENT; /* no virtio_console driver (yet) */
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (read_line(SYS_PORTS, e->d_name, "name", pname, sizeof(pname)) < 0 || strcmp(pname, name))
			continue;
		r = read_line(SYS_PORTS, e->d_name, "dev", dev, sizeof(dev));
		if (r == 0)
			r = ensure_node(e->d_name, dev, path, size);
		break;
	}
	closedir(d);
	return r;
}
