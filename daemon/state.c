/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "state.h"

/* Write via tmp + fsync + rename + fsync(dir). fill() writes the content. */
static int write_atomic(const char *dir, const char *name, int (*fill)(FILE *f, const void *arg), const void *arg,
			struct vnl_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int fd, r, dfd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vnl_errno(err, errno, "cannot write %s", tmp);
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return vnl_errno(err, errno, "cannot write %s", tmp);
	}
	r = fill(f, arg);
	if (r == 0 && (fflush(f) != 0 || fsync(fd) != 0))
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return vnl_errno(err, -r, "cannot save %s", path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int fill_topo(FILE *f, const void *arg)
{
	return topo_save(f, arg, NULL);
}

struct runtime {
	pid_t pid;
	unsigned long long start;
};

static int fill_runtime(FILE *f, const void *arg)
{
	const struct runtime *rt = arg;

	return fprintf(f, "{\"switch_pid\":%d,\"switch_start\":%llu}\n", (int)rt->pid, rt->start) < 0 ? -EIO : 0;
}

int state_save(const char *dir, const struct topo *t, pid_t switch_pid, unsigned long long switch_start,
	       struct vnl_err *err)
{
	struct runtime rt = { switch_pid, switch_start };
	int r = write_atomic(dir, "topology.yaml", fill_topo, t, err);

	return r < 0 ? r : write_atomic(dir, "runtime.json", fill_runtime, &rt, err);
}

int state_load(const char *dir, struct topo **t, pid_t *switch_pid, unsigned long long *switch_start,
	       struct vnl_err *err)
{
	char path[PATH_MAX];
	struct json_object *o, *v;

	*t = NULL;
	*switch_pid = 0;
	*switch_start = 0;
	snprintf(path, sizeof(path), "%s/runtime.json", dir);
	o = json_object_from_file(path);
	if (o != NULL) {
		if (json_object_object_get_ex(o, "switch_pid", &v))
			*switch_pid = json_object_get_int(v);
		if (json_object_object_get_ex(o, "switch_start", &v))
			*switch_start = (unsigned long long)json_object_get_int64(v);
		json_object_put(o);
	}
	snprintf(path, sizeof(path), "%s/topology.yaml", dir);
	if (access(path, F_OK) != 0) {
		*t = topo_new();
		return *t == NULL ? vnl_errf(err, -ENOMEM, "out of memory") : 0;
	}
	if (topo_load_file(path, t, err) < 0) {
		if (err)
			err->code = -EBADMSG;
		return -EBADMSG;
	}
	return 0;
}

void state_remove(const char *dir)
{
	static const char *const files[] = { "topology.yaml", "runtime.json", ".topology.yaml.tmp", ".runtime.json.tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}
