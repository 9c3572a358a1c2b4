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

struct mtus {
	const struct state_mtu *m;
	unsigned n;
};

static int fill_mtus(FILE *f, const void *arg)
{
	const struct mtus *mt = arg;
	struct json_object *a = json_object_new_array();
	int r;

	for (unsigned i = 0; i < mt->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "iface", json_object_new_string(mt->m[i].iface));
		json_object_object_add(o, "mtu", json_object_new_int((int)mt->m[i].orig));
		json_object_object_add(o, "now", json_object_new_int((int)mt->m[i].now));
		json_object_array_add(a, o);
	}
	r = fprintf(f, "%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN)) < 0 ? -EIO : 0;
	json_object_put(a);
	return r;
}

int state_save_mtus(const char *dir, const struct state_mtu *m, unsigned n, struct vnl_err *err)
{
	struct mtus mt = { m, n };
	char path[PATH_MAX];

	if (n == 0) {
		snprintf(path, sizeof(path), "%s/underlay-mtu.json", dir);
		if (unlink(path) < 0 && errno != ENOENT)
			return vnl_errno(err, errno, "cannot remove %s", path);
		return 0;
	}
	return write_atomic(dir, "underlay-mtu.json", fill_mtus, &mt, err);
}

unsigned state_load_mtus(const char *dir, struct state_mtu *m, unsigned max)
{
	char path[PATH_MAX];
	struct json_object *a, *v;
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/underlay-mtu.json", dir);
	if ((a = json_object_from_file(path)) == NULL)
		return 0;
	for (size_t i = 0; json_object_is_type(a, json_type_array) && i < json_object_array_length(a) && n < max; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		int orig, now;

		if (!json_object_object_get_ex(o, "iface", &v) || !json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) < 1 || json_object_get_string_len(v) > 15)
			continue;
		snprintf(m[n].iface, sizeof(m[n].iface), "%s", json_object_get_string(v));
		orig = json_object_object_get_ex(o, "mtu", &v) ? json_object_get_int(v) : 0;
		now = json_object_object_get_ex(o, "now", &v) ? json_object_get_int(v) : 0;
		if (orig < 68 || now < 68)
			continue;
		m[n].orig = (unsigned)orig;
		m[n++].now = (unsigned)now;
	}
	json_object_put(a);
	return n;
}

void state_remove(const char *dir)
{
	static const char *const files[] = { "topology.yaml", "runtime.json", ".topology.yaml.tmp", ".runtime.json.tmp",
					     "underlay-mtu.json", ".underlay-mtu.json.tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}
