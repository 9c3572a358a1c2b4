/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `vm` node kind: a qemu virtual machine whose NICs are virtio-net on
 * vhost-user ports of the lab's switch (names and files: vm.h).
 *
 *   create    state folder, the disk (a qcow2 overlay on the image) and the
 *             configuration disk; nothing runs yet
 *   start     qemu, detached from vnld (it outlives a vnld crash and the
 *             next vnld adopts it through the pid file); returns once qemu
 *             answers on QMP, i.e. its devices exist; does nothing when
 *             qemu runs already or the user halted the node
 *   stop      SIGTERM to qemu (a clean quit), SIGKILL after VM_STOP_MS
 *   destroy   stop, then every file of the node
 *   NICs      exist from start to stop like a machine's cards; nic_attach
 *             only names the switch port (vhost, client mode, on the NIC's
 *             socket): link/unlink plug and unplug the cable
 *   exec, copy, console   run in the vnl process: exec and copy through
 *             vnld's session socket to the guest agent (vm_session.h),
 *             console on ttyS0's socket (vm_console.c)
 *
 * The guest side (hvc0 bootstrap, agent keepalive, QMP events, the node's
 * state booting/bootstrapping/ready/lost), the session relay, reboot and
 * halt run in vnld through the kind's per-lab slots: vm_lab.c (vm_guest.c,
 * vm_bootstrap.c, vm_qmp.c, vm_relay.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "logcap.h"
#include "ns.h"
#include "spawn.h"
#include "topology.h"
#include "vm_priv.h"
#include "vm_session.h"
#include "wait.h"
#include "unixsock.h"

LOG_SUBSYS("vm");

#define VM_START_MS 30000   /* qemu's own start, not the guest's boot */
#define VM_STOP_MS 5000
#define VM_EXEC_WAIT_MS 0 /* exec on a guest that is not ready fails at once (vnl wait NODE first) */

void vm_paths(const char *lab, const char *node, struct vm_paths *p)
{
	vnl_path(p->dir, sizeof(p->dir), VNL_STATE_ROOT, lab, "vm/%s", node);
	vnl_path(p->run, sizeof(p->run), VNL_RUN_ROOT, lab, "vm/%s", node);
	snprintf(p->disk, sizeof(p->disk), "%s/disk.qcow2", p->dir);
	snprintf(p->cfg_dir, sizeof(p->cfg_dir), "%s/cfg", p->dir);
	snprintf(p->cfg_img, sizeof(p->cfg_img), "%s/cfg.img", p->dir);
	snprintf(p->console_log, sizeof(p->console_log), "%s/console.log", p->dir);
	snprintf(p->qemu_log, sizeof(p->qemu_log), "%s/qemu.log", p->dir);
	snprintf(p->halted, sizeof(p->halted), "%s/halted", p->dir);
	snprintf(p->pidfile, sizeof(p->pidfile), "%s/qemu.pid", p->run);
	snprintf(p->qemu_logw, sizeof(p->qemu_logw), "%s/qemu-log.pid", p->run);
	snprintf(p->console_logw, sizeof(p->console_logw), "%s/console-log.pid", p->run);
	vnl_path(p->qmp, sizeof(p->qmp), VNL_RUN_ROOT, lab, "vm/%s/qmp.sock", node);
	vnl_path(p->hvc0, sizeof(p->hvc0), VNL_RUN_ROOT, lab, "vm/%s/hvc0.sock", node);
	vnl_path(p->agent, sizeof(p->agent), VNL_RUN_ROOT, lab, "vm/%s/agent.sock", node);
	vnl_path(p->ttys0, sizeof(p->ttys0), VNL_RUN_ROOT, lab, "vm/%s/ttyS0.sock", node);
	snprintf(p->name, sizeof(p->name), "vnl.%s.%s", lab, node);
}

void vm_nic_sock(const char *lab, const char *node, unsigned int i, char *buf, size_t size)
{
	vnl_path(buf, size, VNL_RUN_ROOT, lab, "vhost/%s-%u.sock", node, i);
}

int vm_qemu_pid(const struct vm_paths *p)
{
	char path[64], cmd[4096], want[80];
	FILE *f = fopen(p->pidfile, "re");
	size_t n;
	int pid = 0, fd;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return 0;
	/* A reused pid is not ours: its command line must name this node. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = (size_t)read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n == (size_t)-1)
		return 0;
	snprintf(want, sizeof(want), "%s,process=", p->name);
	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
		cmd[n] = '\0';
		if (!strncmp(cmd + i, want, strlen(want)))
			return pid;
	}
	return 0;
}

/* The MTU qemu (pid) gives each of the first n NICs' guest driver: its
 * host_mtu, 1500 (virtio-net's default) without one; 0 for a NIC its
 * command line does not have (or when it cannot be read). */
static void qemu_nic_mtus(int pid, unsigned n, unsigned *mtu)
{
	static const char dev[] = "virtio-net-pci,netdev=net";
	char path[64], cmd[sizeof(((struct vm_cmd *)0)->buf) + 1];
	size_t len = 0;
	ssize_t got;
	int fd;

	memset(mtu, 0, n * sizeof(*mtu));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while (len < sizeof(cmd) - 1 && (got = read(fd, cmd + len, sizeof(cmd) - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	cmd[len] = '\0';
	for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
		const char *h;
		unsigned nic;

		if (strncmp(cmd + i, dev, sizeof(dev) - 1) || sscanf(cmd + i + sizeof(dev) - 1, "%u", &nic) != 1 ||
		    nic >= n)
			continue;
		h = strstr(cmd + i, ",host_mtu=");
		mtu[nic] = h ? (unsigned)strtoul(h + strlen(",host_mtu="), NULL, 10) : TOPO_LAN_MTU_DEF;
	}
}

static int pidfd_of(int pid)
{
	return wait_pidfd(pid);
}

/* Wait until process pid (pidfd) exits: true when it did within ms. */
static bool wait_exit(int pidfd, int ms)
{
	return wait_fd(pidfd, POLLIN, ms) > 0;
}

/* True once qemu's QMP socket answers with its greeting (its init is done). */
static bool qmp_answers(const char *path)
{
	/* Non-blocking: qemu accepts nothing while it waits for its vhost-user
	 * backends, and a full backlog must not block vnld. */
	int fd = unix_connect(path, SOCK_NONBLOCK);
	char buf[64];
	bool ok;

	if (fd < 0)
		return false;
	ok = wait_fd(fd, POLLIN, 200) > 0 && read(fd, buf, sizeof(buf)) > 0;
	close(fd);
	return ok;
}

/* The last non-empty line of a capped log whose writers are gone (its
 * vnl-logcap, w, writes the rest first), for one-line errors. */
static void log_tail(const char *path, struct logcap_proc *w, char *out, size_t size)
{
	char buf[4096];
	off_t end;
	ssize_t n = 0;
	int fd;

	logcap_wait(path, w, LOGCAP_WAIT_MS);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET) >= 0)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	snprintf(out, size, "%s", spawn_last_line(buf));
}

/*
 * With qemu gone, its logs' writers end once they have written the rest:
 * wait for them (one writer per log when the next qemu starts; no late
 * PATH.new) and drop their records.  A recorded writer is waited for through
 * its pidfd and stopped if it lingers.  A run folder without records is a
 * VM started by an older vnld: its writers are looked for in /proc.
 */
static void logs_wait(const struct node_ctx *node, const struct vm_paths *p)
{
	const char *logs[] = { p->qemu_log, p->console_log }, *recs[] = { p->qemu_logw, p->console_logw };
	bool old = access(p->run, F_OK) == 0 && access(p->qemu_logw, F_OK) < 0 && access(p->console_logw, F_OK) < 0;

	for (int i = 0; i < 2; i++) {
		struct logcap_proc w;
		int r = logcap_recorded(recs[i], &w);

		if (r < 0 && !old)
			continue;
		if (logcap_wait(logs[i], r < 0 ? NULL : &w, LOGCAP_WAIT_MS) == -ETIMEDOUT)
			log_warning("vm %s: the vnl-logcap of %s still ran %d ms after qemu ended%s", node->name,
				    logs[i], LOGCAP_WAIT_MS, r < 0 ? "" : ": stopped");
		unlink(recs[i]);
	}
}

/* Every run file goes (the logs' writers are waited for first). */
static void remove_run_files(const struct node_ctx *node, const struct vm_paths *p, unsigned nics)
{
	const char *files[] = { p->pidfile, p->qmp, p->hvc0, p->agent, p->ttys0 };
	char sock[108], parent[128];

	logs_wait(node, p);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	for (unsigned i = 0; i < nics; i++) {
		vm_nic_sock(node->lab, node->name, i, sock, sizeof(sock));
		unlink(sock);
	}
	rmdir(p->run);
	/* The lab's last VM takes the shared folders with it. */
	vnl_path(parent, sizeof(parent), VNL_RUN_ROOT, node->lab, "vm");
	rmdir(parent);
	vnl_path(parent, sizeof(parent), VNL_RUN_ROOT, node->lab, "vhost");
	rmdir(parent);
}

static int vm_create(struct node_ctx *node, struct vnl_err *err)
{
	struct vm_image img;
	struct vm_paths p;
	char out[1024], backing[PATH_MAX + 16];
	struct stat st;
	int r;

	vm_paths(node->lab, node->name, &p);
	if (stat(p.dir, &st) == 0)
		return vnl_errf(err, -EEXIST, "vm %s: %s exists", node->name, p.dir);
	if ((r = vm_image_find(topo_node_text(node->model, VM_IMAGE), &img, err)) < 0)
		return vnl_err_wrap(err, "vm %s", node->name), r;
	if ((r = mkdir_p(p.dir, 0700)) < 0)
		return vnl_errno(err, r, "vm %s: creating %s", node->name, p.dir);
	snprintf(backing, sizeof(backing), "%s", img.disk);
	{
		char *const argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing,
				       p.disk, NULL };

		r = spawn_run(argv, -1, -1, out, sizeof(out));
	}
	if (r != 0) {
		r = vnl_errf(err, r < 0 ? r : -EIO, "vm %s: making its disk on %s: qemu-img: %s", node->name,
			     img.disk, r < 0 ? strerror(-r) : spawn_last_line(out));
		goto fail;
	}
	if ((r = vm_cfgdisk_build(node, &p, err)) < 0)
		goto fail;
	return 0;
fail:
	rm_tree(p.dir);
	return r;
}

/* Start qemu once: 0 when it answers QMP; *died when it exited at start
 * (its last message in tail). */
static int qemu_launch(struct node_ctx *node, const struct vm_paths *p, const struct vm_image *img, bool *died,
		       char *tail, size_t tail_size, struct vnl_err *err)
{
	struct vm_cmd *cmd = calloc(1, sizeof(*cmd));
	struct spawn_opts o = { .log_fd = -1, .in_fd = -1, .keep_fd = -1, .orphan = true };
	struct logcap_proc qw = { 0 }, cw = { 0 };
	int r, pid = -1, pidfd;

	*died = false;
	if (cmd == NULL)
		return vnl_errno(err, -ENOMEM, "vm %s", node->name);
	r = vm_qemu_cmd(node, p, img, cmd, err);
	/* qemu's own messages (stdout, stderr: things a guest can trigger,
	 * vhost-user reconnects among them) and the serial console's log go
	 * through a vnl-logcap each (capped), recorded in the run folder. The
	 * last qemu's writers are gone: remove_run_files came first. */
	if (r == 0) {
		if ((o.log_fd = logcap_spawn(p->qemu_log, &qw)) < 0)
			r = vnl_errno(err, o.log_fd, "vm %s: starting vnl-logcap for %s", node->name, p->qemu_log);
		else if ((r = logcap_record(p->qemu_logw, &qw)) < 0)
			r = vnl_errno(err, r, "vm %s: recording its vnl-logcap in %s", node->name, p->qemu_logw);
	}
	if (r == 0) {
		dprintf(o.log_fd, "---- %ld: starting qemu (%s)\n", (long)time(NULL), vm_have_kvm() ? "kvm" : "tcg");
		if ((o.keep_fd = logcap_spawn(p->console_log, &cw)) < 0)
			r = vnl_errno(err, o.keep_fd, "vm %s: starting vnl-logcap for %s", node->name, p->console_log);
		else if ((r = logcap_record(p->console_logw, &cw)) < 0)
			r = vnl_errno(err, r, "vm %s: recording its vnl-logcap in %s", node->name, p->console_logw);
	}
	if (r == 0 && (pid = spawn_detached(cmd->argv, &o, err)) < 0) {
		r = pid;
		vnl_err_wrap(err, "vm %s: starting qemu", node->name);
	}
	if (o.log_fd >= 0)
		close(o.log_fd);
	if (o.keep_fd >= 0)
		close(o.keep_fd);
	free(cmd);
	if (r < 0)
		return r;
	pidfd = pidfd_of(pid);
	/* qemu waits for the switch to connect to every NIC before it
	 * answers QMP: the ports exist already (nics_ported). */
	for (int64_t t0 = mono_ms(); mono_ms() - t0 < VM_START_MS;) {
		if (pidfd >= 0 && wait_exit(pidfd, 100)) {
			close(pidfd);
			log_tail(p->qemu_log, &qw, tail, tail_size);
			*died = true;
			return vnl_errf(err, -EIO, "vm %s: qemu exited: %s", node->name, tail[0] ? tail : "(no message)");
		}
		if (pidfd < 0)
			wait_ms(100);
		if (qmp_answers(p->qmp)) {
			/* Under a broken KVM, qemu dies right after its init. */
			if (pidfd >= 0 && wait_exit(pidfd, 500)) {
				close(pidfd);
				log_tail(p->qemu_log, &qw, tail, tail_size);
				*died = true;
				return vnl_errf(err, -EIO, "vm %s: qemu exited: %s", node->name,
						tail[0] ? tail : "(no message)");
			}
			if (pidfd >= 0)
				close(pidfd);
			return 0;
		}
	}
	kill(pid, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	return vnl_errf(err, -ETIMEDOUT,
			"vm %s: qemu did not answer on QMP within %d s (is the lab's switch running?)",
			node->name, VM_START_MS / 1000);
}

static int vm_start(struct node_ctx *node, struct vnl_err *err)
{
	struct vm_image img;
	struct vm_paths p;
	char sock[108], tail[256];
	bool died, kvm;
	int r;

	vm_paths(node->lab, node->name, &p);
	if (access(p.halted, F_OK) == 0 || vm_qemu_pid(&p) > 0)
		return 0;
	if ((r = vm_image_find(topo_node_text(node->model, VM_IMAGE), &img, err)) < 0)
		return vnl_err_wrap(err, "vm %s", node->name), r;
	vm_nic_sock(node->lab, node->name, 0, sock, sizeof(sock));
	*strrchr(sock, '/') = '\0';
	remove_run_files(node, &p, node->nics); /* a qemu that died leaves its sockets */
	if ((r = mkdir_p(p.run, 0700)) < 0 || (r = mkdir_p(sock, 0700)) < 0)
		return vnl_errno(err, r, "vm %s: creating %s", node->name, r == 0 ? sock : p.run);
	kvm = vm_have_kvm();
	r = qemu_launch(node, &p, &img, &died, tail, sizeof(tail), err);
	if (r < 0 && died && kvm) {
		/* A /dev/kvm that qemu cannot use (nested hosts): TCG from now on. */
		int fd = open(VM_KVM_BROKEN, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dprintf(fd, "qemu died at start under KVM: %s\n", tail);
			close(fd);
		}
		remove_run_files(node, &p, node->nics);
		mkdir_p(p.run, 0700);
		mkdir_p(sock, 0700);
		r = qemu_launch(node, &p, &img, &died, tail, sizeof(tail), err);
	}
	if (r < 0)
		remove_run_files(node, &p, node->nics);
	return r;
}

static int vm_stop(struct node_ctx *node, struct vnl_err *err)
{
	struct vm_paths p;
	int pid, pidfd;

	(void)err;
	vm_paths(node->lab, node->name, &p);
	pid = vm_qemu_pid(&p);
	if (pid > 0) {
		pidfd = pidfd_of(pid);
		kill(pid, SIGTERM);
		if (pidfd < 0 || !wait_exit(pidfd, VM_STOP_MS)) {
			kill(pid, SIGKILL);
			if (pidfd >= 0)
				wait_exit(pidfd, VM_STOP_MS);
		}
		if (pidfd >= 0)
			close(pidfd);
	}
	/* Its logs' writers end with it (destroy then leaves no late file). */
	remove_run_files(node, &p, node->nics);
	return 0;
}

static int vm_destroy(struct node_ctx *node, struct vnl_err *err)
{
	char parent[128];
	struct vm_paths p;
	int r;

	vm_stop(node, NULL);
	vm_paths(node->lab, node->name, &p);
	r = rm_tree(p.dir);
	if (r < 0)
		return vnl_errno(err, r, "vm %s: removing %s", node->name, p.dir);
	vnl_path(parent, sizeof(parent), VNL_STATE_ROOT, node->lab, "vm");
	rmdir(parent);
	node->priv = NULL;
	return 0;
}

static int vm_status(struct node_ctx *node, struct json_object *out, struct vnl_err *err)
{
	struct json_object *nics = json_object_new_array();
	unsigned mtu[TOPO_NICS_MAX] = { 0 };
	struct vm_paths p;
	int pid;

	(void)err;
	vm_paths(node->lab, node->name, &p);
	pid = vm_qemu_pid(&p);
	json_object_object_add(out, "qemu_pid", json_object_new_int(pid));
	json_object_object_add(out, "accel", json_object_new_string(vm_have_kvm() ? "kvm" : "tcg"));
	json_object_object_add(out, "halted", json_object_new_boolean(access(p.halted, F_OK) == 0));
	json_object_object_add(out, "console", json_object_new_string(p.ttys0));
	if (pid > 0)
		qemu_nic_mtus(pid, node->nics < TOPO_NICS_MAX ? node->nics : TOPO_NICS_MAX, mtu);
	for (unsigned i = 0; i < node->nics; i++) {
		struct json_object *o = json_object_new_object();
		char sock[108], mac[18];
		uint8_t m[6];

		ns_nic_mac(node->lab, node->name, i, m);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		vm_nic_sock(node->lab, node->name, i, sock, sizeof(sock));
		json_object_object_add(o, "nic", json_object_new_int((int)i));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "vhost", json_object_new_string(sock));
		/* What the guest was started with (vnld compares it with the LAN's). */
		if (i < TOPO_NICS_MAX && mtu[i])
			json_object_object_add(o, "mtu", json_object_new_int((int)mtu[i]));
		json_object_array_add(nics, o);
	}
	json_object_object_add(out, "interfaces", nics);
	return 0;
}

static int vm_nic_port(struct node_ctx *node, unsigned int i, const struct nic_link *link,
		       struct nic_port *port, struct vnl_err *err)
{
	(void)link;
	if (i >= node->nics)
		return vnl_errf(err, -EINVAL, "vm %s has no NIC %u", node->name, i);
	memset(port, 0, sizeof(*port));
	port->type = NIC_PORT_VHOST;
	port->kind = "vhost";
	vm_nic_sock(node->lab, node->name, i, port->path, sizeof(port->path));
	return 0;
}

/*
 * The guest's MTU is its own: qemu gives it host_mtu at start (the LAN's
 * mtu when it is not 1500: nic_mtus); a NIC linked later to a LAN of
 * another mtu keeps what the guest has (set it inside the guest: `ip link
 * set dev ethN mtu M`).
 */
static int vm_nic_attach(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			 struct nic_port *port, struct vnl_err *err)
{
	if (link->cidr)
		return vnl_errf(err, -EOPNOTSUPP, "%s is a vm: its addresses are set inside the guest", node->name);
	return vm_nic_port(node, i, link, port, err);
}

static int vm_nic_detach(struct node_ctx *node, unsigned int i, struct vnl_err *err)
{
	(void)node, (void)i, (void)err;
	return 0; /* the switch port goes; the guest's NIC stays, without carrier */
}

static int vm_exec(struct node_ctx *node, char *const argv[], int flags, int *status, struct vnl_err *err)
{
	int fd = vms_connect(node->lab, err), r;

	if (fd < 0)
		return fd;
	r = vms_exec(fd, node->name, argv, flags, VM_EXEC_WAIT_MS, status, err);
	close(fd);
	return r;
}

static int vm_shell(struct node_ctx *node, int *status, struct vnl_err *err)
{
	int fd = vms_connect(node->lab, err), r;

	if (fd < 0)
		return fd;
	r = vms_shell(fd, node->name, 0, status, err);
	close(fd);
	return r;
}

static int copy(struct node_ctx *node, const char *src, const char *dst, int to_node, int recursive,
		struct vnl_err *err)
{
	int fd = vms_connect(node->lab, err), r;

	if (fd < 0)
		return fd;
	r = vms_copy(fd, node->name, src, dst, to_node, recursive, err);
	close(fd);
	return r;
}

static int vm_copy(struct node_ctx *node, const char *src, const char *dst, int to_node, struct vnl_err *err)
{
	return copy(node, src, dst, to_node, 0, err);
}

static int vm_copy_tree(struct node_ctx *node, const char *src, const char *dst, int to_node,
			struct vnl_err *err)
{
	return copy(node, src, dst, to_node, 1, err);
}

static const struct topo_opt vm_opts[VM_N_OPTS] = {
	[VM_IMAGE] = { .name = "image", .short_opt = 'i', .type = TOPO_OPT_TEXT, .metavar = "IMG",
		       .help = "image (required)" },
	[VM_MEM] = { .name = "mem", .short_opt = 'm', .type = TOPO_OPT_UINT, .min = 1, .max = 1048576,
		     .def = 256, .unit = "MiB", .metavar = "MB", .help = "memory" },
	[VM_CPUS] = { .name = "cpus", .type = TOPO_OPT_UINT, .min = 1, .max = 256, .def = 1,
		      .metavar = "N", .help = "virtual cpus" },
};

/* No addresses on links: the guest sets its own. */
const struct topo_kind vm_schema = {
	.name = "vm",
	.help = "virtual machine (qemu) from a disk image",
	.opts = vm_opts,
	.n_opts = VM_N_OPTS,
};

const struct node_kind node_kind_vm = {
	.schema = &vm_schema,
	.nics_ported = true,
	.create = vm_create,
	.start = vm_start,
	.stop = vm_stop,
	.destroy = vm_destroy,
	.status = vm_status,
	.nic_attach = vm_nic_attach,
	.nic_port = vm_nic_port,
	.nic_detach = vm_nic_detach,
	.exec = vm_exec,
	.console = vm_console,
	.shell = vm_shell,
	.copy = vm_copy,
	.copy_tree = vm_copy_tree,
	.lab_open = vm_lab_open,
	.lab_sync = vm_lab_sync,
	.lab_close = vm_lab_close,
	.live_status = vm_live_status,
	.power = vm_power,
	.nic_repair = vm_nic_repair,
	.host_nodes = vm_host_nodes,
	.host_noun = "VM",
	.host_nouns = "VMs",
};
