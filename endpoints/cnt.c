/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `cnt` node kind: a container run by crun, without a container engine.
 *
 *   root filesystem   the image (an ext4 file) on a read-only loop device,
 *                     under an overlay whose upper and work folders are the
 *                     node's own (common/loopdev.h, common/overlay.h)
 *   network           the netns and veth NICs of the `ns` kind, same names
 *                     (the container joins netns vnl.LAB.NODE by path)
 *   process           an init that keeps the container up and reaps
 *                     children: the image's tini if it has one, else our
 *                     vnl-init bind-mounted at /.vnl-init; the node's cmd
 *                     (if any) runs under it through /bin/sh -c
 *   runtime           crun, with a state root private to the lab
 *
 * Names, all derived from (lab, node), so every slot works from the names
 * alone (after a vnld crash too):
 *   state folder      /var/lib/vnetlab/LAB/cnt/NODE: ovl/ (overlay state:
 *                     lower, upper, work), rootfs/, bundle/config.json,
 *                     console.log (the init's output, through vnl-logcap:
 *                     capped, common/logcap.h)
 *   crun root         /run/vnetlab/LAB/crun
 *   container id      vnl.LAB.NODE (also its cgroup path: unique host-wide)
 *
 * Images: `image` is a name looked up as $VNL_IMAGES/NAME[.ext4] (default
 * /var/lib/vnetlab-images), or an absolute path (image_scripts/README.md).
 *
 * create makes the netns with all its NICs and the state folder; start
 * makes everything else exist and run (a NIC deleted by hand, overlay
 * mounted, config written, container running), doing only what is missing,
 * so vnld's recovery after a crash or a reboot is `create` (-EEXIST is
 * fine) then `start`.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cnt_tty.h"
#include "fsutil.h"
#include "logcap.h"
#include "loopdev.h"
#include "node_kind.h"
#include "ns.h"
#include "oci.h"
#include "overlay.h"
#include "paths.h"
#include "spawn.h"
#include "wait.h"
#include "topology.h"

/* The options of a cnt node, in the order they are saved (cnt_opts[]). */
enum cnt_opt { CNT_IMAGE, CNT_CMD, CNT_ENV, CNT_MEM, CNT_PIDS, CNT_NIC_TYPE, CNT_N_OPTS };

static const struct topo_opt cnt_opts[CNT_N_OPTS] = {
	[CNT_IMAGE] = { .name = "image", .short_opt = 'i', .type = TOPO_OPT_TEXT, .metavar = "IMG",
			.help = "image (required)" },
	/* In requests "cmd" names the request itself. */
	[CNT_CMD] = { .name = "cmd", .req = "command", .short_opt = 'c', .type = TOPO_OPT_TEXT,
		      .metavar = "CMD", .help = "command line [the image's]" },
	[CNT_ENV] = { .name = "env", .short_opt = 'e', .type = TOPO_OPT_ENV, .metavar = "K=V",
		      .help = "environment (repeatable)" },
	[CNT_MEM] = { .name = "mem", .short_opt = 'm', .type = TOPO_OPT_UINT, .min = 16, .max = 1048576,
		      .def = 512, .unit = "MiB", .metavar = "MB", .help = "memory limit" },
	/* 4194304: the kernel's PID_MAX_LIMIT. */
	[CNT_PIDS] = { .name = "pids", .type = TOPO_OPT_UINT, .min = 16, .max = 4194304, .def = 1024,
		       .metavar = "N", .help = "most tasks" },
	/* The NICs are ns's (cnt runs in an ns node's netns). */
	[CNT_NIC_TYPE] = NS_NIC_TYPE_OPT,
};

static const struct topo_kind cnt_schema = {
	.name = "cnt",
	.help = "container (crun) from an image",
	.opts = cnt_opts,
	.n_opts = CNT_N_OPTS,
	.addresses = true,
};

#define CNT_STOP_WAIT_MS 5000

struct cnt_paths {
	char dir[128];          /* state folder of the node (names are short) */
	char ovl[PATH_MAX];     /* overlay state */
	char rootfs[PATH_MAX];  /* the overlay's mount point: root of the container */
	char bundle[PATH_MAX];  /* OCI bundle (config.json) */
	char log[PATH_MAX];     /* the init's stdout and stderr */
	char crun_root[PATH_MAX];
	char id[96];            /* crun container id */
};

static void cnt_paths(const struct node_ctx *n, struct cnt_paths *p)
{
	vnl_path(p->dir, sizeof(p->dir), VNL_STATE_ROOT, n->lab, "cnt/%s", n->name);
	snprintf(p->ovl, sizeof(p->ovl), "%s/ovl", p->dir);
	snprintf(p->rootfs, sizeof(p->rootfs), "%s/rootfs", p->dir);
	snprintf(p->bundle, sizeof(p->bundle), "%s/bundle", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/console.log", p->dir);
	vnl_path(p->crun_root, sizeof(p->crun_root), VNL_RUN_ROOT, n->lab, "crun");
	snprintf(p->id, sizeof(p->id), "vnl.%s.%s", n->lab, n->name);
}

/* ---- running crun (common/spawn.h) ---- */

/* The container's state as crun says it: "running", "created", "stopped",
 * or "" when crun does not know it. *pid gets its init's pid (0 if none). */
static void crun_state(const struct cnt_paths *p, char *state, size_t len, int *pid)
{
	char *const argv[] = { "crun", "--root", (char *)p->crun_root, "state", (char *)p->id, NULL };
	struct json_object *o, *v;
	char out[4096];

	state[0] = '\0';
	*pid = 0;
	if (spawn_run(argv, -1, -1, out, sizeof(out)) != 0)
		return;
	o = json_tokener_parse(out);
	if (o && json_object_object_get_ex(o, "status", &v))
		snprintf(state, len, "%s", json_object_get_string(v));
	if (o && json_object_object_get_ex(o, "pid", &v))
		*pid = json_object_get_int(v);
	json_object_put(o);
}

/* ---- image and init ---- */

static int image_path(const char *image, char *buf, size_t len, struct vnl_err *err)
{
	const char *dir = getenv("VNL_IMAGES");
	struct stat st;

	if (image == NULL || !*image)
		return vnl_errf(err, -EINVAL, "a cnt node needs an image (--image NAME; images are in %s)",
				dir && *dir ? dir : VNL_IMAGES_DEFAULT);
	if (image[0] == '/') {
		snprintf(buf, len, "%s", image);
		if (stat(buf, &st) < 0)
			return vnl_errno(err, errno, "image %s", image);
		return 0;
	}
	if (strchr(image, '/') || image[0] == '.')
		return vnl_errf(err, -EINVAL, "image '%s': give a name from %s or an absolute path", image,
				dir && *dir ? dir : VNL_IMAGES_DEFAULT);
	if (dir == NULL || !*dir)
		dir = VNL_IMAGES_DEFAULT;
	snprintf(buf, len, "%s/%s", dir, image);
	if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	snprintf(buf, len, "%s/%s.ext4", dir, image);
	if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return vnl_errf(err, -ENOENT, "no image '%s' in %s (build one with image_scripts/busybox-image or "
			"image_scripts/bookworm-image, or give an absolute path)", image, dir);
}

/* The init's path inside the rootfs if the image has tini, else NULL. */
static const char *image_tini(const struct cnt_paths *p)
{
	static const char *const where[] = { "/usr/bin/tini", "/sbin/tini", "/usr/sbin/tini", "/bin/tini" };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", p->rootfs, where[i]);
		if (access(path, X_OK) == 0)
			return where[i];
	}
	return NULL;
}

/* ---- slots ---- */

static int cnt_create(struct node_ctx *node, struct vnl_err *err)
{
	struct cnt_paths p;
	char image[PATH_MAX];
	int r;

	if (node->model == NULL)
		return vnl_errf(err, -EINVAL, "node '%s': no options", node->name);
	r = image_path(topo_node_text(node->model, CNT_IMAGE), image, sizeof(image), err);
	if (r < 0)
		return vnl_err_wrap(err, "node '%s'", node->name), r;
	cnt_paths(node, &p);
	r = node_kind_ns.create(node, err);
	if (r < 0)
		return r;
	if ((r = mkdir_p(p.bundle, 0700)) < 0) {
		vnl_errno(err, r, "node '%s': creating %s", node->name, p.bundle);
		node_kind_ns.destroy(node, NULL);
		return r;
	}
	return 0;
}

/* Mount the overlay if it is not mounted. */
static int mount_rootfs(const struct node_ctx *node, const struct cnt_paths *p, struct vnl_err *err)
{
	char image[PATH_MAX], dev[LOOP_DEV_LEN];
	int fd, r;

	if (is_mountpoint(p->rootfs))
		return 0;
	r = image_path(topo_node_text(node->model, CNT_IMAGE), image, sizeof(image), err);
	if (r < 0)
		return r;
	fd = loop_attach_ro(image, dev, sizeof(dev), err);
	if (fd < 0)
		return fd;
	r = overlay_mount(dev, p->ovl, p->rootfs, err);
	close(fd); /* from here the mount holds the (autoclear) loop device */
	if (r == -EINVAL)  /* the superblock looked right, the kernel refused the rest */
		vnl_errf(err, r, "image %s cannot be mounted: a damaged or truncated ext4 file? (%s)", image,
			 strerror(-r));
	return r;
}

static int write_config(const struct node_ctx *node, const struct cnt_paths *p, struct vnl_err *err)
{
	const char *cmd = topo_node_text(node->model, CNT_CMD);
	char *const *envv;
	unsigned n_env;
	char netns[PATH_MAX], init[PATH_MAX], cgroup[128], script[8192];
	const char *tini = image_tini(p);
	char *argv[8];
	struct oci_opts o = { 0 };
	struct json_object *cfg;
	int n = 0, r;

	snprintf(netns, sizeof(netns), "/run/netns/vnl.%s.%s", node->lab, node->name);
	snprintf(cgroup, sizeof(cgroup), "/%s", p->id);
	if (tini) {
		argv[n++] = (char *)tini;
		argv[n++] = "--";
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		/* The node stays up when its command ends, as a lab node should
		 * (tini itself ends with its child). */
		if (cmd) {
			snprintf(script, sizeof(script), "%s\nexec sleep infinity", cmd);
			argv[n++] = script;
		} else {
			argv[n++] = "exec sleep infinity";
		}
	} else {
		exe_sibling("vnl-init", init, sizeof(init));
		if (access(init, X_OK) < 0)
			return vnl_errno(err, errno, "node '%s': our container init %s", node->name, init);
		o.init_bind = init;
		argv[n++] = OCI_INIT_PATH;
		if (cmd) {
			argv[n++] = "/bin/sh";
			argv[n++] = "-c";
			argv[n++] = (char *)cmd;
		}
	}
	argv[n] = NULL;
	o.root = p->rootfs;
	o.netns_path = netns;
	o.hostname = node->name;
	o.argv = argv;
	o.cgroups_path = cgroup;
	o.mem_bytes = (unsigned long long)(node->model ? topo_node_uint(node->model, CNT_MEM)
						       : cnt_opts[CNT_MEM].def) << 20;
	o.pids = node->model ? topo_node_uint(node->model, CNT_PIDS) : cnt_opts[CNT_PIDS].def;
	envv = topo_node_list(node->model, CNT_ENV, &n_env);
	/* The model's list is not NULL-terminated: copy it. */
	if (n_env) {
		char **env = calloc(n_env + 1, sizeof(*env));

		if (env == NULL)
			return vnl_errf(err, -ENOMEM, "node '%s': out of memory", node->name);
		memcpy(env, envv, n_env * sizeof(*env));
		o.env = env;
		cfg = oci_config(&o, err);
		free(env);
	} else {
		o.env = NULL;
		cfg = oci_config(&o, err);
	}
	if (cfg == NULL)
		return -EINVAL;
	r = oci_write(p->bundle, cfg, err);
	json_object_put(cfg);
	return r;
}

/* Stop and delete the container; idempotent. */
static int cnt_stop(struct node_ctx *node, struct vnl_err *err)
{
	struct cnt_paths p;
	char state[32], out[1024];
	int pid, r;

	cnt_paths(node, &p);
	crun_state(&p, state, sizeof(state), &pid);
	if (!strcmp(state, "running")) {
		char *const term[] = { "crun", "--root", p.crun_root, "kill", p.id, "TERM", NULL };
		/* Its init's pidfd, opened before the signal: no reused pid. */
		int pidfd = pid > 0 ? wait_pidfd(pid) : -1;

		spawn_run(term, -1, -1, out, sizeof(out));
		if (pidfd >= 0) {
			wait_fd(pidfd, POLLIN, CNT_STOP_WAIT_MS);
			close(pidfd);
		}
	}
	if (state[0]) {
		char *const del[] = { "crun", "--root", p.crun_root, "delete", "--force", p.id, NULL };

		r = spawn_run(del, -1, -1, out, sizeof(out));
		if (r != 0)
			return vnl_errf(err, r < 0 ? r : -EIO, "node '%s': crun delete: %s", node->name,
					r < 0 ? strerror(-r) : spawn_last_line(out));
	}
	return 0;
}

/* Size of path in bytes, 0 when it does not exist. */
static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

static int cnt_start(struct node_ctx *node, struct vnl_err *err)
{
	struct cnt_paths p;
	char state[32], out[2048];
	int pid, r, logfd;
	off_t log0;

	cnt_paths(node, &p);
	/* The NICs first: a running container may have lost one (recovery). */
	if ((r = node_kind_ns.start(node, err)) < 0)
		return r;
	crun_state(&p, state, sizeof(state), &pid);
	if (!strcmp(state, "running"))
		return 0;
	if (state[0] && (r = cnt_stop(node, err)) < 0)
		return r;
	if ((r = mkdir_p(p.crun_root, 0700)) < 0 || (r = mkdir_p(p.bundle, 0700)) < 0)
		return vnl_errno(err, r, "node '%s': creating its folders", node->name);
	if ((r = mount_rootfs(node, &p, err)) < 0)
		return vnl_err_wrap(err, "node '%s'", node->name), r;
	if ((r = write_config(node, &p, err)) < 0)
		return r;
	/* The init's output goes through vnl-logcap: console.log stays capped. */
	log0 = file_size(p.log);
	logfd = logcap_spawn(p.log, NULL);
	if (logfd < 0)
		return vnl_errno(err, logfd, "node '%s': starting vnl-logcap for %s", node->name, p.log);
	{
		char *const runv[] = { "crun", "--root", p.crun_root, "run", "--detach", "--bundle", p.bundle,
				       p.id, NULL };
		/* crun run -d hands its stdio to the container's init: the log. */
		r = spawn_run(runv, -1, logfd, NULL, 0);
	}
	close(logfd);
	if (r != 0) {
		int fd;
		ssize_t n;

		/* crun's message reaches the log through vnl-logcap: give it a moment. */
		for (int waited = 0; waited < 1000 && file_size(p.log) <= log0; waited += 20)
			usleep(20000);
		if (file_size(p.log) < log0)
			log0 = 0;  /* rotated meanwhile */
		fd = open(p.log, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? pread(fd, out, sizeof(out) - 1, log0) : 0;
		if (fd >= 0)
			close(fd);
		out[n > 0 ? n : 0] = '\0';
		while (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
		vnl_errf(err, r < 0 ? r : -EIO, "node '%s': crun run failed: %s%s", node->name,
			 r < 0 ? strerror(-r) : spawn_last_line(out),
			 strstr(out, "hybrid") ? " (this host's cgroup2 holds a controller: run scripts/install, "
						 "or for hugetlb: mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup "
						 "-o hugetlb cgroup /sys/fs/cgroup/hugetlb)" : "");
		cnt_stop(node, NULL);
		overlay_umount(p.ovl, p.rootfs, NULL);
		return err ? err->code : -EIO;
	}
	return 0;
}

/* Remove a folder tree we made (state of one node): best effort. */
static void rm_node_dir(const char *dir)
{
	char *const argv[] = { "rm", "-rf", "--one-file-system", (char *)dir, NULL };

	spawn_run(argv, -1, -1, NULL, 0);
}

static int cnt_destroy(struct node_ctx *node, struct vnl_err *err)
{
	struct cnt_paths p;
	struct vnl_err e = { 0 };
	char parent[PATH_MAX];
	int r, first = 0;

	cnt_paths(node, &p);
	r = cnt_stop(node, &e);
	if (r < 0 && !first)
		first = r, vnl_errf(err, r, "%s", e.msg);
	r = overlay_umount(p.ovl, p.rootfs, &e);
	if (r < 0 && !first)
		first = r, vnl_errf(err, r, "destroying node '%s': %s", node->name, e.msg);
	if (r == 0 && !is_mountpoint(p.rootfs))
		rm_node_dir(p.dir);
	vnl_path(parent, sizeof(parent), VNL_STATE_ROOT, node->lab, "cnt");
	rmdir(parent); /* the lab's last container */
	rmdir(p.crun_root);
	r = node_kind_ns.destroy(node, &e);
	if (r < 0 && !first)
		first = r, vnl_errf(err, r, "%s", e.msg);
	return first;
}

/* The first number in the first of `files` (under the container's cgroup
 * folders, v1 or unified) that exists; -1 when none does, 0 for "max". */
static long long cgroup_value(const struct cnt_paths *p, const char *const files[])
{
	char path[PATH_MAX], buf[64];
	long long v = -1;
	FILE *f;

	for (size_t i = 0; files[i] && v < 0; i++) {
		snprintf(path, sizeof(path), files[i], p->id);
		if (!(f = fopen(path, "re")))
			continue;
		if (fgets(buf, sizeof(buf), f))
			v = strncmp(buf, "max", 3) ? strtoll(buf, NULL, 10) : 0;
		fclose(f);
	}
	return v;
}

/* The limits the kernel applies (read back: what crun really set). */
static void cgroup_limits(const struct cnt_paths *p, struct json_object *out)
{
	static const char *const mem[] = { "/sys/fs/cgroup/memory/%s/memory.limit_in_bytes",
					   "/sys/fs/cgroup/%s/memory.max", NULL };
	static const char *const pids[] = { "/sys/fs/cgroup/pids/%s/pids.max", "/sys/fs/cgroup/%s/pids.max", NULL };
	long long m = cgroup_value(p, mem), n = cgroup_value(p, pids);

	if (m > 0)
		json_object_object_add(out, "mem_limit_mb", json_object_new_int64(m >> 20));
	if (n > 0)
		json_object_object_add(out, "pids_limit", json_object_new_int64(n));
}

static int cnt_status(struct node_ctx *node, struct json_object *out, struct vnl_err *err)
{
	struct cnt_paths p;
	char state[32];
	int pid;

	cnt_paths(node, &p);
	crun_state(&p, state, sizeof(state), &pid);
	json_object_object_add(out, "state", json_object_new_string(state[0] ? state : "absent"));
	if (pid > 0)
		json_object_object_add(out, "pid", json_object_new_int(pid));
	json_object_object_add(out, "container", json_object_new_string(p.id));
	json_object_object_add(out, "rootfs", json_object_new_string(p.rootfs));
	if (pid > 0)
		cgroup_limits(&p, out);
	return node_kind_ns.status(node, out, err);
}

static int crun_exec(struct node_ctx *node, char *const argv[], int tty, int *status,
		     struct vnl_err *err)
{
	struct cnt_paths p;
	char *v[12 + 256], sh[PATH_MAX + 16];
	int n = 0, cmd, st;
	pid_t pid;

	cnt_paths(node, &p);
	v[n++] = "crun";
	v[n++] = "--root";
	v[n++] = p.crun_root;
	v[n++] = "exec";
	v[n++] = p.id;
	cmd = n;
	/* Through the image's sh when it has one, so a missing command gives
	 * 127 and an unrunnable one 126, as the exec contract says (crun's
	 * own code for both is 255). */
	snprintf(sh, sizeof(sh), "%s/bin/sh", p.rootfs);
	if (access(sh, X_OK) == 0) {
		v[n++] = "/bin/sh";
		v[n++] = "-c";
		v[n++] = "exec \"$@\"";
		v[n++] = "sh";
	}
	for (int i = 0; argv[i]; i++) {
		if (n >= (int)(sizeof(v) / sizeof(v[0])) - 1)
			return vnl_errf(err, -E2BIG, "exec in node '%s': too many arguments", node->name);
		v[n++] = argv[i];
	}
	v[n] = NULL;
	/* crun's own --tty loses output to its log (cnt_tty.c): we keep the terminal. */
	if (tty) {
		int r = cnt_tty_exec(p.crun_root, p.id, v + cmd, status, err);

		return r < 0 ? vnl_err_wrap(err, "exec in node '%s'", node->name), r : 0;
	}
	pid = fork();
	if (pid < 0)
		return vnl_errno(err, errno, "exec in node '%s': fork", node->name);
	if (pid == 0) {
		execvp(v[0], v);
		dprintf(2, "crun: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vnl_errno(err, errno, "exec in node '%s': waitpid", node->name);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static int cnt_exec(struct node_ctx *node, char *const argv[], int flags, int *status,
		    struct vnl_err *err)
{
	struct cnt_paths p;
	char state[32];
	int pid;

	if (!argv || !argv[0] || !argv[0][0])
		return vnl_errf(err, -EINVAL, "exec in node '%s': no command", node->name);
	cnt_paths(node, &p);
	crun_state(&p, state, sizeof(state), &pid);
	if (strcmp(state, "running"))
		return vnl_errf(err, -ESRCH, "node '%s' is not running (container %s)", node->name,
				state[0] ? state : "absent");
	return crun_exec(node, argv, flags & NODE_EXEC_TTY, status, err);
}

static int cnt_console(struct node_ctx *node, int *status, struct vnl_err *err)
{
	char *const shell[] = { "/bin/sh", "-c",
				"if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
				NULL };

	return cnt_exec(node, shell, NODE_EXEC_TTY, status, err);
}

/*
 * A new temporary file ".NAME.vnl-XXXXXX" next to host path dst, its name
 * in tmp: made with O_EXCL (mkostemp), so nothing already at that name, a
 * symlink above all, is opened or followed.  The fd, or a negative errno.
 */
static int host_temp(const char *dst, char *tmp, size_t len, struct vnl_err *err)
{
	const char *slash = strrchr(dst, '/'), *base = slash ? slash + 1 : dst;
	int fd;

	if (!*base)
		return vnl_errf(err, -EINVAL, "copy: %s: a file name is needed", dst);
	if ((size_t)snprintf(tmp, len, "%.*s.%s.vnl-XXXXXX", (int)(base - dst), dst, base) >= len)
		return vnl_errf(err, -ENAMETOOLONG, "copy: %s: name too long", dst);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vnl_errno(err, errno, "copy: create %s", dst);
	return fd;
}

/* The permission bits of src in the container (stat -L), 0644 when unknown. */
static mode_t node_mode(const struct cnt_paths *p, const char *src)
{
	char *const argv[] = { "crun", "--root", (char *)p->crun_root, "exec", (char *)p->id, "stat", "-L", "-c",
			       "%a", "--", (char *)src, NULL };
	char out[64], *end;
	unsigned long m;

	if (spawn_run(argv, -1, -1, out, sizeof(out)) != 0)
		return 0644;
	m = strtoul(out, &end, 8);
	return end != out && m <= 07777 ? (mode_t)m : 0644;
}

/*
 * Copy through the container's own view of its files (its /tmp is a tmpfs
 * the overlay does not see): cat inside the container, fed or drained by
 * us. Into the node the file lands as DST.vnl-tmp and is renamed, so a
 * failure leaves no partial DST; out of it, as .NAME.vnl-XXXXXX next to DST
 * (host_temp: never a symlink followed), given the node file's mode & 0777
 * & ~umask, then renamed over DST (a symlink at DST is replaced).
 */
static int cnt_copy(struct node_ctx *node, const char *src, const char *dst, int to_node,
		    struct vnl_err *err)
{
	struct cnt_paths p;
	char tmp[PATH_MAX + 16], out[1024];
	int fd, r;

	cnt_paths(node, &p);
	if (to_node) {
		char *const argv[] = { "crun", "--root", p.crun_root, "exec", p.id, "/bin/sh", "-c",
				       "cat > \"$1.vnl-tmp\" && mv -f \"$1.vnl-tmp\" \"$1\" || "
				       "{ rm -f \"$1.vnl-tmp\"; exit 1; }",
				       "sh", (char *)dst, NULL };

		fd = open(src, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return vnl_errno(err, errno, "copy: %s", src);
		r = spawn_run(argv, fd, -1, out, sizeof(out));
		close(fd);
		if (r != 0)
			return vnl_errf(err, -EIO, "copy to %s:%s failed: %s", node->name, dst,
					r < 0 ? strerror(-r) : spawn_last_line(out));
		return 0;
	} else {
		char *const argv[] = { "crun", "--root", p.crun_root, "exec", p.id, "cat", "--", (char *)src,
				       NULL };
		char errbuf[1024];
		mode_t mask = umask(0);

		umask(mask);
		fd = host_temp(dst, tmp, sizeof(tmp), err);
		if (fd < 0)
			return fd;
		/* stdout to the file, stderr kept for the message. */
		r = spawn_run(argv, -1, fd, errbuf, sizeof(errbuf));
		if (fsync(fd) < 0 && r == 0)
			r = -errno;
		/* No set-id or sticky bit from a guest, nothing the umask would not give. */
		if (r == 0 && fchmod(fd, node_mode(&p, src) & 0777 & ~mask) < 0)
			r = -errno;
		close(fd);
		if (r != 0) {
			unlink(tmp);
			return vnl_errf(err, -EIO, "copy from %s:%s failed: %s", node->name, src,
					r < 0 ? strerror(-r) : errbuf[0] ? spawn_last_line(errbuf) : "cat failed");
		}
		if (rename(tmp, dst) < 0) {
			r = -errno;
			unlink(tmp);
			return vnl_errno(err, r, "copy: rename to %s", dst);
		}
		return 0;
	}
}

static int cnt_nic_attach(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			  struct nic_port *port, struct vnl_err *err)
{
	return node_kind_ns.nic_attach(node, i, link, port, err);
}

static int cnt_nic_port(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			struct nic_port *port, struct vnl_err *err)
{
	return node_kind_ns.nic_port(node, i, link, port, err);
}

static int cnt_nic_detach(struct node_ctx *node, unsigned int i, struct vnl_err *err)
{
	return node_kind_ns.nic_detach(node, i, err);
}

/* Nodes with crun state ("vnl.LAB.NODE" in the lab's crun root) or a
 * container folder (STATE/LAB/cnt/NODE: overlay, bundle). */
static int cnt_host_nodes(const char *lab, int (*add)(const char *node, void *arg), void *arg)
{
	char dir[PATH_MAX], prefix[TOPO_NAME_MAX + 8];
	int n, r;

	snprintf(prefix, sizeof(prefix), "vnl.%s.", lab);
	if (vnl_path(dir, sizeof(dir), VNL_RUN_ROOT, lab, "crun") < 0)
		return -ENAMETOOLONG;
	if ((n = dir_names(dir, prefix, add, arg)) < 0)
		return n;
	if (vnl_path(dir, sizeof(dir), VNL_STATE_ROOT, lab, "cnt") < 0)
		return -ENAMETOOLONG;
	if ((r = dir_names(dir, "", add, arg)) < 0)
		return r;
	return n + r;
}

const struct node_kind node_kind_cnt = {
	.schema = &cnt_schema,
	.create = cnt_create,
	.start = cnt_start,
	.stop = cnt_stop,
	.destroy = cnt_destroy,
	.status = cnt_status,
	.nic_attach = cnt_nic_attach,
	.nic_port = cnt_nic_port,
	.nic_detach = cnt_nic_detach,
	.exec = cnt_exec,
	.console = cnt_console,
	.copy = cnt_copy,
	.host_nodes = cnt_host_nodes,
	.host_noun = "container",
	.host_nouns = "containers",
};
