/* SPDX-License-Identifier: GPL-2.0-only */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

void exe_sibling(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(out, len, "%s/%s", dirname(self), name);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "/usr/local/bin/%s", name);
}

/* First failure of the nftw() walk in rm_tree(), per thread. */
static __thread int rm_errno;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT && !rm_errno)
		rm_errno = errno;
	return 0;
}

int rm_tree(const char *dir)
{
	rm_errno = 0;
	/* FTW_MOUNT: never delete inside a filesystem still mounted below dir. */
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && !rm_errno)
		return errno == ENOENT ? 0 : -errno;
	return -rm_errno;
}

int dir_names(const char *dir, const char *prefix, int (*add)(const char *rest, void *arg), void *arg)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0, r = 0;

	while (d && r >= 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) || de->d_name[plen] == '\0' || de->d_name[0] == '.')
			continue;
		n++;
		r = add(de->d_name + plen, arg);
	}
	if (d)
		closedir(d);
	return r < 0 ? r : n;
}
