/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vm kind's side in vnld (node_kind.h, "The kind's side in vnld"): per
 * lab, the guests' supervision (vm_guest.h: hvc0 bootstrap, agent links,
 * QMP) and the session relay on RUN_DIR/agent.sock (vm_relay.h), opened by
 * lab_open and kept in step with the model by lab_sync; the guest state in
 * `vnl show` (live_status); `vnl reboot` and `vnl halt` (power); the
 * repair of a NIC whose port lost its features (nic_repair); the VM
 * folders a lost lab leaves (host_nodes).
 *
 * Errors: 0 / negative errno + vnl_err.  The guests and the relay log
 * their own events (state changes, refused sessions) into vnld's log
 * (common/log.h, subsystems "guest" and "sessions"); the slots here do
 * not.  Thread-safety: none; vnld's loop thread (host_nodes: any thread).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "ns.h"
#include "vm_guest.h"
#include "vm_priv.h"
#include "vm_relay.h"

/* The state lab_open returns. */
struct vm_lab {
	struct guests *guests;     /* VM guests: bootstrap, agent links, QMP */
	struct relay *relay;       /* agent sessions of vnl clients */
};

void vm_lab_close(void *state)
{
	struct vm_lab *vl = state;

	if (vl == NULL)
		return;
	relay_free(vl->relay);
	guests_free(vl->guests);
	free(vl);
}

void *vm_lab_open(const struct node_lab *lab, struct vnl_err *err)
{
	struct vm_lab *vl = calloc(1, sizeof(*vl));
	struct guest_hooks hooks = { 0 };
	char sock[108];

	if (vl == NULL) {
		vnl_errno(err, -ENOMEM, "vm guests");
		return NULL;
	}
	snprintf(sock, sizeof(sock), "%s/agent.sock", lab->run_dir);
	vl->relay = relay_new(lab->loop, lab->lab, sock, &vl->guests, &hooks);
	if (vl->relay == NULL ||
	    (vl->guests = guests_new(lab->loop, lab->lab, &hooks, lab->emit, lab->emit_arg)) == NULL) {
		vnl_errno(err, -errno, "cannot listen on %s", sock);
		vm_lab_close(vl);
		return NULL;
	}
	return vl;
}

void vm_lab_sync(void *state, const struct topo *t)
{
	struct vm_lab *vl = state;

	guests_sync(vl->guests, t);
}

void vm_live_status(void *state, const struct node_ctx *node, struct json_object *out)
{
	struct vm_lab *vl = state;
	struct guest *g = guests_find(vl->guests, node->name);

	if (g)
		guest_status_json(g, out);
}

/* `vnl reboot`: system_reset when qemu runs, else start it again. */
static int vm_reboot(struct guest *g, struct node_ctx *node, const struct vm_paths *p, const char **done,
		     struct vnl_err *err)
{
	int r;

	if (vm_qemu_pid(p) > 0 && guest_state(g) != GUEST_STOPPED) {
		if ((r = guest_reset(g, err)) < 0)
			return r;
		*done = "reset";
		return 0;
	}
	/* Off (halted, powered off, died): start it again. */
	unlink(p->halted);
	guest_starting(g);
	if ((r = node_kind_vm.start(node, err)) < 0) {
		guest_stopped(g, "its start failed (vnl reboot tries again)");
		return r;
	}
	guest_started(g);
	*done = "started";
	return 0;
}

/* `vnl halt`: the mark first, so that a vnld restart does not start it again. */
static int vm_halt(struct guest *g, struct node_ctx *node, const struct vm_paths *p, struct vnl_err *err)
{
	int fd = open(p->halted, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return vnl_errno(err, errno, "vm %s: %s", node->name, p->halted);
	close(fd);
	node_kind_vm.stop(node, NULL);
	guest_stopped(g, "halted (vnl reboot starts it)");
	return 0;
}

int vm_power(void *state, struct node_ctx *node, enum node_power op, const char **done, struct vnl_err *err)
{
	struct vm_lab *vl = state;
	struct guest *g = guests_find(vl->guests, node->name);
	struct vm_paths p;

	*done = NULL;
	if (g == NULL) /* lab_sync could not make it */
		return vnl_errf(err, -ENOMEM, "vm %s: out of memory", node->name);
	vm_paths(node->lab, node->name, &p);
	if (op == NODE_POWER_HALT)
		return vm_halt(g, node, &p, err);
	return vm_reboot(g, node, &p, done, err);
}

/*
 * The NIC repair runs in the guest as `vnl-agent --nic-reset MAC` (agent/
 * nic.c), an EXEC of the running agent itself (/proc/self/exe: the child
 * the agent forks is the agent), so it needs no protocol op and its waits
 * block that child, not the agent.  The agent is the one vnld put on the
 * configuration disk at qemu's start (vm_cfgdisk.c), so it knows
 * --nic-reset unless vnld was upgraded under a running guest (the repair
 * then fails with the agent's "unrecognized option"; a reboot heals).  A
 * guest that has just become ready is left VM_NIC_REPAIR_SETTLE_MS
 * ($VNL_NIC_REPAIR_SETTLE_S seconds instead, for tests) first: its boot
 * may still be setting its NICs up, and the repair saves what it finds.
 */
#define VM_NIC_REPAIR_SETTLE_MS 2000

int vm_nic_repair(void *state, const struct node_ctx *node, unsigned int nic,
		  void (*done)(int code, const char *text, void *arg), void *arg, struct vnl_err *err)
{
	static int64_t settle_ms = -1;
	struct vm_lab *vl = state;
	struct guest *g = guests_find(vl->guests, node->name);
	char mac[18];
	const char *argv[] = { "/proc/self/exe", "--nic-reset", mac };
	int64_t ready;
	uint8_t m[6];
	int r;

	if (settle_ms < 0)
		settle_ms = getenv("VNL_NIC_REPAIR_SETTLE_S") ? atoi(getenv("VNL_NIC_REPAIR_SETTLE_S")) * 1000LL
							      : VM_NIC_REPAIR_SETTLE_MS;
	if (g == NULL || (ready = guest_ready_ms(g)) < 0)
		return vnl_errf(err, -EHOSTDOWN, "vm %s: the guest's agent is not ready", node->name);
	if (ready < settle_ms)
		return vnl_errf(err, -EAGAIN, "vm %s: the guest is settling", node->name);
	ns_nic_mac(node->lab, node->name, nic, m);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	if ((r = relay_exec(vl->relay, g, 3, argv, done, arg)) < 0)
		return vnl_errno(err, r, "vm %s: running the repair in the guest", node->name);
	return 0;
}

int vm_host_nodes(const char *lab, int (*add)(const char *node, void *arg), void *arg)
{
	char path[PATH_MAX];
	int r, n;

	if (vnl_path(path, sizeof(path), VNL_STATE_ROOT, lab, "vm") < 0)
		return -ENAMETOOLONG;
	if ((n = dir_names(path, "", add, arg)) < 0)
		return n;
	if (vnl_path(path, sizeof(path), VNL_RUN_ROOT, lab, "vm") < 0)
		return -ENAMETOOLONG;
	if ((r = dir_names(path, "", add, arg)) < 0)
		return r;
	return n + r;
}
