/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * endpoints/oci.c: every field of the generated config.json has the right
 * type and value, the capability sets are consistent (effective within
 * permitted, NET_ADMIN present), the network namespace is joined by path,
 * bad options are refused, and oci_write() leaves exactly config.json.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "oci.h"
#include "tap.h"

/* The value at a path of object keys ("process", "user", "uid", NULL) if it has `type`. */
static struct json_object *at(struct json_object *o, json_type type, const char *const *keys)
{
	for (; o && *keys; keys++)
		if (!json_object_object_get_ex(o, *keys, &o))
			return NULL;
	return o && json_object_is_type(o, type) ? o : NULL;
}
#define AT(o, type, ...) at((o), (type), (const char *const[]){__VA_ARGS__, NULL})

static int has_str(struct json_object *a, const char *s)
{
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return 1;
	return 0;
}

static int all_strings(struct json_object *a)
{
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
			return 0;
	return a != NULL;
}

/* Every entry of `sub` is in `super`. */
static int subset(struct json_object *sub, struct json_object *super)
{
	size_t i;

	for (i = 0; sub && i < json_object_array_length(sub); i++)
		if (!has_str(super, json_object_get_string(json_object_array_get_idx(sub, i))))
			return 0;
	return sub && super;
}

static struct json_object *find_by(struct json_object *a, const char *key, const char *val)
{
	struct json_object *e, *v;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(e, key, &v) && !strcmp(json_object_get_string(v), val))
			return e;
	}
	return NULL;
}

static void test_fields(void)
{
	static const char *const defaults[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_ADMIN", NULL,
	};
	static const char *const dests[] = {
		"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/run", "/tmp", NULL,
	};
	char *argv[] = { "/sbin/init", "sleep", "1000", NULL };
	char *env[] = { "FOO=bar", "EMPTY=", NULL };
	struct oci_opts o = { .root = "/tmp/rootfs", .netns_path = "/run/netns/vnl.lab.a",
			      .hostname = "a", .argv = argv, .env = env };
	struct json_object *cfg, *v, *caps, *a, *m;
	struct vnl_err err;
	const char *const *p;
	int good;
	size_t i;

	cfg = oci_config(&o, &err);
	if (!ok(cfg != NULL, "oci_config builds a config (%s)", cfg ? "" : err.msg))
		return;
	v = AT(cfg, json_type_string, "ociVersion");
	ok(v && !strcmp(json_object_get_string(v), "1.0.2"), "ociVersion is \"1.0.2\"");

	ok(AT(cfg, json_type_boolean, "process", "terminal") &&
	   !json_object_get_boolean(AT(cfg, json_type_boolean, "process", "terminal")), "process.terminal is false");
	ok(AT(cfg, json_type_int, "process", "user", "uid") && AT(cfg, json_type_int, "process", "user", "gid") &&
	   !json_object_get_int(AT(cfg, json_type_int, "process", "user", "uid")) &&
	   !json_object_get_int(AT(cfg, json_type_int, "process", "user", "gid")), "process.user is 0/0");
	a = AT(cfg, json_type_array, "process", "args");
	ok(a && json_object_array_length(a) == 3 && all_strings(a) &&
	   !strcmp(json_object_get_string(json_object_array_get_idx(a, 0)), "/sbin/init") &&
	   !strcmp(json_object_get_string(json_object_array_get_idx(a, 2)), "1000"), "process.args is argv, in order");
	a = AT(cfg, json_type_array, "process", "env");
	ok(all_strings(a) && has_str(a, "TERM=xterm") && has_str(a, "FOO=bar") && has_str(a, "EMPTY="),
	   "process.env has TERM=xterm and the given entries");
	good = 0;
	for (i = 0; a && i < json_object_array_length(a); i++)
		good += !strncmp(json_object_get_string(json_object_array_get_idx(a, i)), "PATH=/", 6);
	ok(good == 1, "process.env has one default PATH");
	v = AT(cfg, json_type_string, "process", "cwd");
	ok(v && !strcmp(json_object_get_string(v), "/"), "process.cwd defaults to \"/\"");

	caps = AT(cfg, json_type_object, "process", "capabilities");
	ok(caps != NULL, "process.capabilities is an object");
	for (p = (const char *const[]){ "bounding", "effective", "permitted", NULL }; *p; p++) {
		a = AT(caps, json_type_array, *p);
		good = all_strings(a) && json_object_array_length(a) == 15;
		for (i = 0; good && defaults[i]; i++)
			good = has_str(a, defaults[i]);
		ok(good, "capabilities.%s is the default set plus CAP_NET_ADMIN (15 names)", *p);
	}
	for (i = 0, good = 1; defaults[i]; i++) {
		cap_value_t c;

		good &= cap_from_name(defaults[i], &c) == 0;
	}
	ok(good, "every capability name is known to libcap");
	ok(subset(AT(caps, json_type_array, "effective"), AT(caps, json_type_array, "permitted")),
	   "capabilities: effective is a subset of permitted");
	ok(subset(AT(caps, json_type_array, "permitted"), AT(caps, json_type_array, "bounding")),
	   "capabilities: permitted is a subset of bounding");
	ok(has_str(AT(caps, json_type_array, "effective"), "CAP_NET_ADMIN") &&
	   has_str(AT(caps, json_type_array, "effective"), "CAP_NET_RAW"), "NET_ADMIN and NET_RAW are effective");
	a = AT(caps, json_type_array, "inheritable");
	v = AT(caps, json_type_array, "ambient");
	ok(a && v && !json_object_array_length(a) && !json_object_array_length(v), "inheritable and ambient are empty");

	a = AT(cfg, json_type_array, "process", "rlimits");
	m = find_by(a, "type", "RLIMIT_NOFILE");
	ok(m && AT(m, json_type_int, "hard") && AT(m, json_type_int, "soft") &&
	   json_object_get_int64(AT(m, json_type_int, "hard")) == 1024 &&
	   json_object_get_int64(AT(m, json_type_int, "soft")) == 1024, "rlimits: NOFILE 1024/1024");
	v = AT(cfg, json_type_boolean, "process", "noNewPrivileges");
	ok(v && !json_object_get_boolean(v), "process.noNewPrivileges is false");

	v = AT(cfg, json_type_string, "root", "path");
	ok(v && !strcmp(json_object_get_string(v), "/tmp/rootfs"), "root.path is the given root");
	v = AT(cfg, json_type_boolean, "root", "readonly");
	ok(v && !json_object_get_boolean(v), "root.readonly is false");
	v = AT(cfg, json_type_string, "hostname");
	ok(v && !strcmp(json_object_get_string(v), "a"), "hostname is the given one");

	a = AT(cfg, json_type_array, "mounts");
	for (good = a != NULL, p = dests; good && *p; p++) {
		m = find_by(a, "destination", *p);
		good = m && AT(m, json_type_string, "type") && AT(m, json_type_string, "source") &&
		       all_strings(AT(m, json_type_array, "options"));
	}
	ok(good && json_object_array_length(a) == 9, "mounts: the 9 destinations, each with type, source, options");
	m = find_by(a, "destination", "/sys");
	ok(m && has_str(AT(m, json_type_array, "options"), "ro") &&
	   !strcmp(json_object_get_string(AT(m, json_type_string, "type")), "sysfs"), "mounts: /sys is sysfs, ro");
	m = find_by(a, "destination", "/sys/fs/cgroup");
	ok(m && has_str(AT(m, json_type_array, "options"), "ro") &&
	   !strcmp(json_object_get_string(AT(m, json_type_string, "type")), "cgroup"), "mounts: /sys/fs/cgroup is cgroup, ro");
	m = find_by(a, "destination", "/dev/pts");
	ok(m && has_str(AT(m, json_type_array, "options"), "newinstance") &&
	   has_str(AT(m, json_type_array, "options"), "ptmxmode=0666") &&
	   has_str(AT(m, json_type_array, "options"), "gid=5"), "mounts: /dev/pts is a new devpts instance");
	m = find_by(a, "destination", "/dev");
	ok(m && has_str(AT(m, json_type_array, "options"), "mode=755") &&
	   has_str(AT(m, json_type_array, "options"), "size=65536k"), "mounts: /dev is tmpfs mode=755,size=65536k");

	a = AT(cfg, json_type_array, "linux", "namespaces");
	for (good = a != NULL, p = (const char *const[]){ "pid", "ipc", "uts", "mount", "cgroup", NULL }; good && *p; p++)
		good = (m = find_by(a, "type", *p)) && !AT(m, json_type_string, "path");
	ok(good, "namespaces: new pid, ipc, uts, mount, cgroup");
	m = find_by(a, "type", "network");
	v = m ? AT(m, json_type_string, "path") : NULL;
	ok(v && !strcmp(json_object_get_string(v), "/run/netns/vnl.lab.a"), "namespaces: network joins netns_path");
	ok(!find_by(a, "type", "user"), "namespaces: no user namespace");
	ok(has_str(AT(cfg, json_type_array, "linux", "maskedPaths"), "/proc/kcore") &&
	   has_str(AT(cfg, json_type_array, "linux", "readonlyPaths"), "/proc/sys"), "linux: maskedPaths and readonlyPaths");
	ok(!AT(cfg, json_type_object, "linux", "resources"), "linux: no resources");
	json_object_put(cfg);

	o.cwd = "/root";
	o.env = (char *[]){ "PATH=/bin", NULL };
	cfg = oci_config(&o, &err);
	a = cfg ? AT(cfg, json_type_array, "process", "env") : NULL;
	ok(a && json_object_array_length(a) == 2 && has_str(a, "PATH=/bin"), "a given PATH replaces the default one");
	v = cfg ? AT(cfg, json_type_string, "process", "cwd") : NULL;
	ok(v && !strcmp(json_object_get_string(v), "/root"), "process.cwd is the given one");
	json_object_put(cfg);

	o.mem_bytes = 64ull << 20;
	o.pids = 100;
	cfg = oci_config(&o, &err);
	v = cfg ? AT(cfg, json_type_int, "linux", "resources", "memory", "limit") : NULL;
	ok(v && json_object_get_int64(v) == 64ll << 20, "resources.memory.limit is mem_bytes");
	v = cfg ? AT(cfg, json_type_int, "linux", "resources", "pids", "limit") : NULL;
	ok(v && json_object_get_int64(v) == 100, "resources.pids.limit is pids");
	ok(cfg && !AT(cfg, json_type_object, "linux", "resources", "memory", "swap"), "no swap limit");
	json_object_put(cfg);
}

static void refused(struct oci_opts o, const char *what, const char *needle)
{
	struct vnl_err err;
	struct json_object *cfg;

	vnl_err_clear(&err);
	cfg = oci_config(&o, &err);
	ok(!cfg && err.code == -EINVAL && strstr(err.msg, needle), "refused: %s (%s)", what, err.msg);
	json_object_put(cfg);
}

static void test_bad_input(void)
{
	char *argv[] = { "/bin/sh", NULL };
	const struct oci_opts good = { .root = "/r", .netns_path = "/run/netns/x", .hostname = "h", .argv = argv };
	struct oci_opts o;

	ok(oci_config(NULL, NULL) == NULL, "refused: no options (NULL err accepted)");
	o = good, o.root = NULL;
	refused(o, "NULL root", "root path");
	o = good, o.root = "";
	refused(o, "empty root", "root path");
	o = good, o.root = "rootfs";
	refused(o, "relative root", "root path 'rootfs'");
	o = good, o.netns_path = NULL;
	refused(o, "NULL netns path", "netns path");
	o = good, o.hostname = "";
	refused(o, "empty hostname", "hostname");
	o = good, o.argv = NULL;
	refused(o, "NULL argv", "empty argv");
	o = good, o.argv = (char *[]){ NULL };
	refused(o, "empty argv", "empty argv");
	o = good, o.env = (char *[]){ "A=1", "NOEQUALS", NULL };
	refused(o, "env entry without '='", "'NOEQUALS'");
	o = good, o.env = (char *[]){ "=x", NULL };
	refused(o, "env entry with an empty key", "'=x'");
	o = good, o.cwd = "tmp";
	refused(o, "relative cwd", "working directory");
}

static void test_write(void)
{
	char dir[] = "/tmp/oci_test.XXXXXX", path[64];
	char *argv[] = { "/bin/sh", NULL };
	const struct oci_opts o = { .root = "/r", .netns_path = "/run/netns/x", .hostname = "h", .argv = argv };
	struct json_object *cfg, *back;
	struct dirent *de;
	struct vnl_err err;
	int n = 0;
	DIR *d;

	if (!ok(mkdtemp(dir) != NULL, "temporary bundle folder"))
		return;
	cfg = oci_config(&o, &err);
	ok(cfg && oci_write(dir, cfg, &err) == 0, "oci_write succeeds");
	ok(cfg && oci_write(dir, cfg, &err) == 0, "oci_write replaces an existing config.json");
	snprintf(path, sizeof(path), "%s/config.json", dir);
	back = json_object_from_file(path);
	ok(back && json_object_equal(back, cfg), "config.json reads back equal to the config");
	d = opendir(dir);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || strncmp(de->d_name, ".config", 7) == 0;
	if (d)
		closedir(d);
	ok(n == 1, "the bundle holds config.json only (no temporary file left)");
	ok(oci_write("/nonexistent/oci_test", cfg, &err) < 0 && strstr(err.msg, "/nonexistent/oci_test"),
	   "oci_write into a missing folder fails, naming it (%s)", err.msg);
	ok(oci_write(NULL, cfg, &err) == -EINVAL, "oci_write without a folder is refused");
	json_object_put(back);
	json_object_put(cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_fields();
	test_bad_input();
	test_write();
	return tap_done();
}
