/* SPDX-License-Identifier: GPL-2.0-only */
/* Unix stream sockets by path (unixsock.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"
#include "unixsock.h"

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int unix_connect(const char *path, int flags)
{
	struct sockaddr_un sa;
	int fd, r = addr_of(path, &sa);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (flags & SOCK_NONBLOCK), 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int unix_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sa;
	int fd, r = addr_of(path, &sa);
	mode_t old;

	if (r < 0)
		return r;
	/* A blocking probe: a listener answers at once. */
	r = unix_connect(path, 0);
	if (r >= 0) {
		close(r);
		return -EADDRINUSE;
	}
	if (r == -ECONNREFUSED)
		unlink(path); /* left by a process that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0777 & ~mode);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (chmod(path, mode) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

int unix_connect_lab(const char *lab, const char *name, struct vnl_err *err)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;

	if (vnl_path(path, sizeof(path), VNL_RUN_ROOT, lab, "%s", name) < 0)
		return vnl_errf(err, -ENAMETOOLONG, "lab name '%s' is too long", lab);
	fd = unix_connect(path, 0);
	if (fd == -ENOENT || fd == -ECONNREFUSED || fd == -ENOTDIR)
		return vnl_errf(err, -ENOTCONN, "lab '%s' is not running (vnl start --lab %s)", lab, lab);
	if (fd < 0)
		return vnl_errno(err, fd, "cannot reach vnld at %s", path);
	return fd;
}
