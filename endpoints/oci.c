/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OCI runtime config of a container node (endpoints/oci.h).  Field names
 * follow the OCI runtime specification 1.0.2 (config.md, config-linux.md).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

#define OCI_VERSION "1.0.2"
#define OCI_PATH_DEFAULT "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OCI_TERM_DEFAULT "TERM=xterm"
#define OCI_HOSTNAME_MAX 64  /* HOST_NAME_MAX of Linux */

/* The default set of container engines, plus NET_ADMIN for network labs. */
static const cap_value_t oci_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE, CAP_NET_ADMIN,
};
#define OCI_NCAPS (sizeof(oci_caps) / sizeof(oci_caps[0]))

static const char *const oci_masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", NULL,
};

static const char *const oci_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct oci_mount {
	const char *dest, *type, *source;
	const char *const *options;  /* NULL-terminated */
};

static const struct oci_mount oci_mounts[] = {
	{"/proc", "proc", "proc", (const char *const[]){NULL}},
	{"/dev", "tmpfs", "tmpfs", (const char *const[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
	{"/dev/pts", "devpts", "devpts",
	 (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
	{"/dev/shm", "tmpfs", "shm", (const char *const[]){"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
	{"/dev/mqueue", "mqueue", "mqueue", (const char *const[]){"nosuid", "noexec", "nodev", NULL}},
	{"/sys", "sysfs", "sysfs", (const char *const[]){"nosuid", "noexec", "nodev", "ro", NULL}},
	{"/sys/fs/cgroup", "cgroup", "cgroup", (const char *const[]){"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
	{"/run", "tmpfs", "tmpfs", (const char *const[]){"nosuid", "nodev", "mode=755", NULL}},
	{"/tmp", "tmpfs", "tmpfs", (const char *const[]){"nosuid", "nodev", "mode=1777", NULL}},
};

static const char *const oci_new_ns[] = { "pid", "ipc", "uts", "mount", "cgroup", NULL };

/*
 * Builders: each takes the result of a json-c constructor, which is NULL
 * when memory runs out, and records that in *oom instead of failing at
 * once, so that oci_config() reads as the document it builds and checks
 * once at the end.  A NULL parent is tolerated for the same reason.
 */
static struct json_object *put(struct json_object *o, const char *key, struct json_object *v, int *oom)
{
	if (!o || !v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*oom = 1;
		return NULL;
	}
	return v;
}

static void push(struct json_object *a, struct json_object *v, int *oom)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		*oom = 1;
	}
}

static struct json_object *strv(const char *const *v, int *oom)
{
	struct json_object *a = json_object_new_array();

	for (; v && *v; v++)
		push(a, json_object_new_string(*v), oom);
	return a;
}

/* "CAP_NET_ADMIN" for CAP_NET_ADMIN into buf, checked both ways with libcap. */
static int cap_name(cap_value_t c, char *buf, size_t size, struct vnl_err *err)
{
	cap_value_t back;
	char *name = cap_to_name(c);
	size_t i;
	int r = 0;

	if (!name)
		return vnl_errno(err, -ENOMEM, "capability %d: cap_to_name", c);
	if (strlen(name) >= size || strncasecmp(name, "cap_", 4))
		r = vnl_errf(err, -EINVAL, "capability %d: libcap does not know it (got '%s')", c, name);
	for (i = 0; !r && name[i]; i++)
		buf[i] = toupper((unsigned char)name[i]);
	if (!r)
		buf[i] = '\0';
	cap_free(name);
	if (!r && (cap_from_name(buf, &back) < 0 || back != c))
		r = vnl_errf(err, -EINVAL, "capability '%s' does not map back to %d in libcap", buf, c);
	return r;
}

/* Is `key=` (the part of `kv` up to '=') the key of one of env's entries? */
static int env_has_key(char *const *env, const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (; env && *env; env++)
		if (!strncmp(*env, kv, n) && (*env)[n] == '=')
			return 1;
	return 0;
}

static int check_opts(const struct oci_opts *o, struct vnl_err *err)
{
	char *const *e;

	if (!o)
		return vnl_errf(err, -EINVAL, "oci config: no options");
	if (!o->root || o->root[0] != '/')
		return vnl_errf(err, -EINVAL, "oci config: root path '%s' must be absolute",
				o->root ? o->root : "");
	if (!o->netns_path || o->netns_path[0] != '/')
		return vnl_errf(err, -EINVAL, "oci config: netns path '%s' must be absolute",
				o->netns_path ? o->netns_path : "");
	if (!o->hostname || !*o->hostname || strlen(o->hostname) > OCI_HOSTNAME_MAX)
		return vnl_errf(err, -EINVAL, "oci config: hostname '%s' must have 1 to %d characters",
				o->hostname ? o->hostname : "", OCI_HOSTNAME_MAX);
	if (!o->argv || !o->argv[0] || !*o->argv[0])
		return vnl_errf(err, -EINVAL, "oci config: no command to run (empty argv)");
	for (e = o->env; e && *e; e++)
		if (!strchr(*e, '=') || **e == '=')
			return vnl_errf(err, -EINVAL, "oci config: environment entry '%s' is not KEY=VALUE", *e);
	if (o->cwd && *o->cwd && o->cwd[0] != '/')
		return vnl_errf(err, -EINVAL, "oci config: working directory '%s' must be absolute", o->cwd);
	return 0;
}

static struct json_object *process(const struct oci_opts *o, const char caps[][32], int *oom)
{
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	struct json_object *p = json_object_new_object(), *c, *a, *env, *rl;
	size_t i, k;

	put(p, "terminal", json_object_new_boolean(0), oom);
	c = put(p, "user", json_object_new_object(), oom);
	put(c, "uid", json_object_new_int(0), oom);
	put(c, "gid", json_object_new_int(0), oom);
	put(p, "args", strv((const char *const *)o->argv, oom), oom);
	env = put(p, "env", json_object_new_array(), oom);
	if (!env_has_key(o->env, OCI_PATH_DEFAULT))
		push(env, json_object_new_string(OCI_PATH_DEFAULT), oom);
	if (!env_has_key(o->env, OCI_TERM_DEFAULT))
		push(env, json_object_new_string(OCI_TERM_DEFAULT), oom);
	for (i = 0; o->env && o->env[i]; i++)
		push(env, json_object_new_string(o->env[i]), oom);
	put(p, "cwd", json_object_new_string(o->cwd && *o->cwd ? o->cwd : "/"), oom);
	c = put(p, "capabilities", json_object_new_object(), oom);
	for (k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		a = put(c, sets[k], json_object_new_array(), oom);
		for (i = 0; i < OCI_NCAPS; i++)
			push(a, json_object_new_string(caps[i]), oom);
	}
	put(c, "inheritable", json_object_new_array(), oom);
	put(c, "ambient", json_object_new_array(), oom);
	a = put(p, "rlimits", json_object_new_array(), oom);
	rl = json_object_new_object();
	put(rl, "type", json_object_new_string("RLIMIT_NOFILE"), oom);
	put(rl, "hard", json_object_new_int64(1024), oom);
	put(rl, "soft", json_object_new_int64(1024), oom);
	push(a, rl, oom);
	put(p, "noNewPrivileges", json_object_new_boolean(0), oom);
	return p;
}

static struct json_object *mounts(const struct oci_opts *o, int *oom)
{
	static const char *const bind_ro[] = { "bind", "ro", "nosuid", "nodev", NULL };
	struct json_object *a = json_object_new_array(), *m;
	size_t i;

	for (i = 0; i < sizeof(oci_mounts) / sizeof(oci_mounts[0]); i++) {
		m = json_object_new_object();
		put(m, "destination", json_object_new_string(oci_mounts[i].dest), oom);
		put(m, "type", json_object_new_string(oci_mounts[i].type), oom);
		put(m, "source", json_object_new_string(oci_mounts[i].source), oom);
		put(m, "options", strv(oci_mounts[i].options, oom), oom);
		push(a, m, oom);
	}
	if (o->init_bind) {
		m = json_object_new_object();
		put(m, "destination", json_object_new_string(OCI_INIT_PATH), oom);
		put(m, "type", json_object_new_string("bind"), oom);
		put(m, "source", json_object_new_string(o->init_bind), oom);
		put(m, "options", strv(bind_ro, oom), oom);
		push(a, m, oom);
	}
	return a;
}

static struct json_object *linux_section(const struct oci_opts *o, int *oom)
{
	struct json_object *l = json_object_new_object(), *a, *ns;
	size_t i;

	a = put(l, "namespaces", json_object_new_array(), oom);
	for (i = 0; oci_new_ns[i]; i++) {
		ns = json_object_new_object();
		put(ns, "type", json_object_new_string(oci_new_ns[i]), oom);
		push(a, ns, oom);
	}
	ns = json_object_new_object();
	put(ns, "type", json_object_new_string("network"), oom);
	put(ns, "path", json_object_new_string(o->netns_path), oom);
	push(a, ns, oom);
	if (o->cgroups_path)
		put(l, "cgroupsPath", json_object_new_string(o->cgroups_path), oom);
	if (o->mem_bytes || o->pids) {
		struct json_object *res = put(l, "resources", json_object_new_object(), oom);

		if (o->mem_bytes) {
			ns = put(res, "memory", json_object_new_object(), oom);
			put(ns, "limit", json_object_new_int64((int64_t)o->mem_bytes), oom);
		}
		if (o->pids) {
			ns = put(res, "pids", json_object_new_object(), oom);
			put(ns, "limit", json_object_new_int64(o->pids), oom);
		}
	}
	put(l, "maskedPaths", strv(oci_masked, oom), oom);
	put(l, "readonlyPaths", strv(oci_readonly, oom), oom);
	return l;
}

struct json_object *oci_config(const struct oci_opts *o, struct vnl_err *err)
{
	char caps[OCI_NCAPS][32];
	struct json_object *cfg, *root;
	int oom = 0;
	size_t i;

	if (check_opts(o, err) < 0)
		return NULL;
	for (i = 0; i < OCI_NCAPS; i++)
		if (cap_name(oci_caps[i], caps[i], sizeof(caps[i]), err) < 0)
			return NULL;

	cfg = json_object_new_object();
	put(cfg, "ociVersion", json_object_new_string(OCI_VERSION), &oom);
	put(cfg, "process", process(o, caps, &oom), &oom);
	root = put(cfg, "root", json_object_new_object(), &oom);
	put(root, "path", json_object_new_string(o->root), &oom);
	put(root, "readonly", json_object_new_boolean(0), &oom);
	put(cfg, "hostname", json_object_new_string(o->hostname), &oom);
	put(cfg, "mounts", mounts(o, &oom), &oom);
	put(cfg, "linux", linux_section(o, &oom), &oom);
	if (oom) {
		json_object_put(cfg);
		vnl_errf(err, -ENOMEM, "oci config for '%s': out of memory", o->hostname);
		return NULL;
	}
	return cfg;
}

/* write(2) all of buf, retrying short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

int oci_write(const char *bundle_dir, struct json_object *cfg, struct vnl_err *err)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	const char *text;
	int fd, dfd, r;

	if (!bundle_dir || !*bundle_dir || !cfg)
		return vnl_errf(err, -EINVAL, "oci bundle: no folder or no config");
	if (snprintf(dst, sizeof(dst), "%s/config.json", bundle_dir) >= (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.config.json.XXXXXX", bundle_dir) >= (int)sizeof(tmp))
		return vnl_errf(err, -ENAMETOOLONG, "oci bundle '%s': path too long", bundle_dir);
	text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return vnl_errf(err, -ENOMEM, "oci bundle '%s': cannot serialize the config", bundle_dir);

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, -errno, "oci bundle '%s': cannot create a temporary file", bundle_dir);
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (!r)
		r = write_all(fd, text, strlen(text));
	if (!r)
		r = write_all(fd, "\n", 1);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return vnl_errno(err, r, "oci bundle: cannot write '%s'", dst);
	}
	/* The rename itself reaches the disk with the folder's metadata. */
	dfd = open(bundle_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
