/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration disk of a VM (vm_priv.h): a small ext2 filesystem made
 * on the fly from a folder with `mke2fs -d` (no mount, no loop device),
 * attached read-only.  It holds
 *   vnl-agent   the static guest agent (the one next to vnld)
 *   start.sh    what the bootstrap runs (vm_bootstrap.c types
 *               "mount it on /run/vnl; sh /run/vnl/start.sh" on hvc0):
 *               sets the guest's hostname to the node name, leaves the
 *               login's cgroup (under systemd the getty's service would
 *               take the agent down with it) and starts the agent as a
 *               daemon (the agent refuses a second copy itself)
 *   node        "LAB NODE", for the curious
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "spawn.h"
#include "vm_priv.h"

static int write_text(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	return r;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, r = 0;
	struct stat st;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0 || fstat(in, &st) < 0) {
		r = -errno;
		goto out;
	}
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));

		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
	}
out:
	if (out >= 0)
		close(out);
	close(in);
	return r;
}

int vm_cfgdisk_build(const struct node_ctx *node, const struct vm_paths *p, struct vnl_err *err)
{
	char agent[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 8], script[1024], out[1024];
	int r;

	exe_sibling("vnl-agent", agent, sizeof(agent));
	if (access(agent, X_OK) < 0)
		return vnl_errf(err, -ENOENT, "vm %s: no guest agent %s (build vnetlab first)", node->name, agent);
	rm_tree(p->cfg_dir);
	if (mkdir(p->cfg_dir, 0700) < 0)
		return vnl_errno(err, errno, "vm %s: creating %s", node->name, p->cfg_dir);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "# Written by vnld for node %s of lab %s; the hvc0 bootstrap runs it.\n"
		 "here=${0%%/*}\n"
		 "hostname %s 2>/dev/null\n"
		 "# Out of the login's cgroup (systemd would stop the agent with the getty).\n"
		 "for c in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/systemd/cgroup.procs "
		 "/sys/fs/cgroup/unified/cgroup.procs; do\n"
		 "\t[ -w \"$c\" ] && echo $$ >\"$c\" 2>/dev/null\n"
		 "done\n"
		 "exec \"$here/vnl-agent\" --daemon\n",
		 node->name, node->lab, node->name);
	snprintf(path, sizeof(path), "%s/vnl-agent", p->cfg_dir);
	if ((r = copy_file(agent, path, 0755)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/start.sh", p->cfg_dir);
	if ((r = write_text(path, 0755, script)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/node", p->cfg_dir);
	snprintf(script, sizeof(script), "%s %s\n", node->lab, node->name);
	if ((r = write_text(path, 0644, script)) < 0)
		goto fail;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->cfg_img);
	unlink(tmp);
	{
		char *const argv[] = { "mke2fs", "-q", "-F", "-t", "ext2", "-L", VM_CFG_SERIAL, "-d",
				       (char *)p->cfg_dir, tmp, "16M", NULL };

		r = spawn_run(argv, -1, -1, out, sizeof(out));
	}
	if (r != 0) {
		unlink(tmp);
		return vnl_errf(err, r < 0 ? r : -EIO, "vm %s: building the configuration disk: mke2fs: %s",
				node->name, r < 0 ? strerror(-r) : spawn_last_line(out));
	}
	if (rename(tmp, p->cfg_img) < 0) {
		r = -errno;
		unlink(tmp);
		return vnl_errno(err, r, "vm %s: %s", node->name, p->cfg_img);
	}
	return 0;
fail:
	return vnl_errno(err, r, "vm %s: writing %s", node->name, path);
}
