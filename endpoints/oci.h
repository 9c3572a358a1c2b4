/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The OCI runtime configuration (config.json of a bundle) of a container
 * node, built with json-c for crun (issue 4: no `crun spec`, no text
 * editing).  What every container gets:
 *
 *   process    uid/gid 0, no terminal, NOFILE 1024, noNewPrivileges false;
 *              env = PATH (default) + TERM=xterm + the given entries (a
 *              given PATH or TERM replaces the default);
 *              capabilities = the default set of container engines plus
 *              NET_ADMIN, one list for bounding, effective and permitted
 *              (so effective is a subset of permitted, which crun
 *              requires), inheritable and ambient empty
 *   root       the given path, writable
 *   mounts     /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue,
 *              /sys and /sys/fs/cgroup read-only, /run and /tmp (tmpfs)
 *   linux      new pid, ipc, uts, mount and cgroup namespaces; the network
 *              namespace is the existing one at netns_path; the usual
 *              masked and read-only /proc and /sys paths; resources:
 *              memory.limit (mem_bytes) and pids.limit (pids) when set
 *              (no swap limit: these hosts have no swap, and a memsw
 *              file may be missing where swap accounting is off)
 *
 * Errors (common/err.h): 0 / negative errno or NULL, with a message in err.
 * Thread-safety: no shared state; any number of calls may run at once.
 */
#pragma once

#include "err.h"

struct json_object;

/* What differs between containers.  Read only; the caller keeps ownership. */
struct oci_opts {
	const char *root;        /* rootfs path (the overlay), writable; absolute, required */
	const char *netns_path;  /* /run/netns/vnl.LAB.NODE: joined, not created; absolute, required */
	const char *hostname;    /* UTS host name, 1..64 characters, required */
	char *const *argv;       /* the process: init + command; NULL-terminated, at least one entry */
	char *const *env;        /* KEY=VALUE entries, NULL-terminated; may be NULL */
	const char *cwd;         /* absolute working directory; NULL or "" means "/" */
	const char *init_bind;   /* host file bind-mounted read-only at OCI_INIT_PATH
				  * (our init, for images without tini); NULL: none */
	const char *cgroups_path; /* linux.cgroupsPath; NULL: crun's default */
	unsigned long long mem_bytes; /* linux.resources.memory.limit, bytes; 0: none */
	unsigned pids;            /* linux.resources.pids.limit; 0: none */
};

/* Where init_bind appears inside the container. */
#define OCI_INIT_PATH "/.vnl-init"

/*
 * The config for `o`, a new JSON object the caller releases with
 * json_object_put().  NULL with err set (-EINVAL) when an option is
 * missing or malformed (relative path, empty argv, env entry without '='),
 * or (-ENOMEM, -EINVAL) when a capability name cannot be built with libcap.
 */
struct json_object *oci_config(const struct oci_opts *o, struct vnl_err *err);

/*
 * Write `cfg` to bundle_dir/config.json atomically: a temporary file in
 * bundle_dir, fsync, rename over config.json, fsync of the folder.  Either
 * the old file or the complete new one is left; no temporary file remains.
 * bundle_dir must exist.  0 or a negative errno.
 */
int oci_write(const char *bundle_dir, struct json_object *cfg, struct vnl_err *err);
