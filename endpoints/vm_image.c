/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM images (vm_priv.h): a qcow2 base disk, and for direct kernel boot the
 * sidecars next to it (image_scripts/README.md, "VM images").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_priv.h"


static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The first line of a small text file, without its newline; "" when absent. */
static void read_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

int vm_image_find(const char *name, struct vm_image *img, struct vnl_err *err)
{
	const char *dir = getenv("VNL_IMAGES");
	char stem[PATH_MAX];
	unsigned char magic[4];
	size_t len;
	int fd;

	memset(img, 0, sizeof(*img));
	if (name == NULL || !*name)
		return vnl_errf(err, -EINVAL, "a vm needs an image (--image NAME: image_scripts/README.md)");
	if (!dir || !*dir)
		dir = VNL_IMAGES_DEFAULT;
	if (name[0] == '/')
		snprintf(img->disk, sizeof(img->disk), "%s", name);
	else if (strchr(name, '/'))
		return vnl_errf(err, -EINVAL, "image '%s': a name, or an absolute path", name);
	else if (snprintf(img->disk, sizeof(img->disk), "%s/%s.qcow2", dir, name) > 0 && !is_file(img->disk))
		snprintf(img->disk, sizeof(img->disk), "%s/%s", dir, name);
	if (!is_file(img->disk))
		return name[0] == '/' ? vnl_errf(err, -ENOENT, "no VM image %s", name)
				      : vnl_errf(err, -ENOENT,
						 "no VM image '%s' (looked for %s/%s.qcow2; "
						 "image_scripts/vm-tiny-image builds one)", name, dir, name);
	fd = open(img->disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, errno, "image %s", img->disk);
	len = (size_t)read(fd, magic, sizeof(magic));
	close(fd);
	if (len != sizeof(magic) || memcmp(magic, "QFI\xfb", 4))
		return vnl_errf(err, -EINVAL, "image %s is not a qcow2 disk", img->disk);
	/* Sidecars: the same name with .vmlinuz, .initrd, .cmdline. */
	snprintf(stem, sizeof(stem), "%s", img->disk);
	len = strlen(stem);
	if (len > 6 && !strcmp(stem + len - 6, ".qcow2"))
		stem[len - 6] = '\0';
	/* A sidecar whose path does not fit is taken as missing. */
	if (snprintf(img->kernel, sizeof(img->kernel), "%s.vmlinuz", stem) >= (int)sizeof(img->kernel) ||
	    !is_file(img->kernel)) {
		img->kernel[0] = '\0';
		return 0;
	}
	if (snprintf(img->initrd, sizeof(img->initrd), "%s.initrd", stem) >= (int)sizeof(img->initrd) ||
	    !is_file(img->initrd))
		img->initrd[0] = '\0';
	strncat(stem, ".cmdline", sizeof(stem) - strlen(stem) - 1);
	read_line(stem, img->cmdline, sizeof(img->cmdline));
	if (!img->cmdline[0])
		snprintf(img->cmdline, sizeof(img->cmdline), "console=ttyS0");
	return 0;
}
