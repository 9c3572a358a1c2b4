/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the kinds' per-lab slots (node_kind.h, "The kind's side in
 * vnld") keep their contract as vnld relies on it: in the kind table,
 * lab_open and lab_close come together and host_nodes has its nouns; the
 * vm kind's lab_open listens on RUN_DIR/agent.sock, lab_sync makes a guest
 * for a VM node of the model only (live_status then gives its state, none
 * for an ns node or once the node left the model), power refuses a node
 * it has no guest for, nic_repair refuses at once (-EHOSTDOWN, its
 * callback never called) a guest that is not ready and a node it has no
 * guest for, and lab_close removes the socket.  The vm kind's
 * qemu command line gives a NIC linked to a LAN whose mtu is not 1500 that
 * mtu as virtio-net's host_mtu, and no host_mtu to the others.
 * Operations: the real slots on a real event loop in a temp run folder,
 * with a lab name no other lab uses; no qemu runs (the guest stays
 * "stopped"), nothing is written outside the temp folder.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "endpoints/vm_priv.h"
#include "evloop.h"
#include "node_kind.h"
#include "tap.h"
#include "topology.h"

static void test_table(void)
{
	for (unsigned k = 0; node_kinds[k]; k++) {
		const struct node_kind *nk = node_kinds[k];

		ok(nk->schema && nk->schema->name && nk->create && nk->destroy, "kind %s has a name, create and destroy",
		   nk->schema->name);
		ok(!nk->lab_open == !nk->lab_close, "kind %s: lab_open and lab_close come together",
		   nk->schema->name);
		ok(!nk->host_nodes || (nk->host_noun && nk->host_nouns), "kind %s: host_nodes has its nouns",
		   nk->schema->name);
	}
	ok(node_kind_vm.lab_open && node_kind_vm.lab_sync && node_kind_vm.live_status && node_kind_vm.power &&
	   node_kind_vm.nic_repair && node_kind_vm.host_nodes, "vm fills its per-lab slots");
	ok(!node_kind_ns.nic_repair && !node_kind_cnt.nic_repair, "ns and cnt have no nic_repair slot");
	ok(!node_kind_ns.lab_open && !node_kind_ns.power && !node_kind_cnt.power, "ns and cnt have no power slot");
}

static unsigned n_events;

static void count_event(struct json_object *ev, void *arg)
{
	(void)ev, (void)arg;
	n_events++;
}

/* node `name` of kind `kind` into t. */
static void add_node(struct topo *t, const char *name, const char *kind)
{
	struct topo_node n = { .nics = 1 };
	snprintf(n.name, sizeof(n.name), "%s", name);
	n.kind = topo_kind_find(kind);
	if (n.kind == NULL || topo_add_node(t, &n, NULL) < 0)
		ok(0, "adding %s node %s to the model", kind, name);
}

/* The live fields of node `name` (a VM node of lab `lab`). */
static struct json_object *live(void *state, const char *lab, const char *name)
{
	struct node_ctx ctx = { .lab = lab, .name = name, .nics = 1 };
	struct json_object *o = json_object_new_object();

	node_kind_vm.live_status(state, &ctx, o);
	return o;
}

static unsigned n_repair_done;

static void repair_done(int code, const char *text, void *arg)
{
	(void)code, (void)text, (void)arg;
	n_repair_done++;
}

static void test_vm_lab(void)
{
	char dir[] = "/tmp/kind-slots-XXXXXX", sock[128];
	const char *lab = "unit-kind-slots";
	struct evloop *loop = evloop_new();
	struct node_ctx ctx = { .lab = lab, .name = "v2", .nics = 1 };
	struct json_object *o, *v;
	struct topo *t = topo_new();
	struct vnl_err err = { 0, "" };
	const char *done = "x";
	void *state;

	if (!ok(loop && t && mkdtemp(dir), "a loop, a model and a temp run folder"))
		return;
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	state = node_kind_vm.lab_open(&(struct node_lab){ loop, lab, dir, count_event, NULL }, &err);
	ok(state != NULL, "vm lab_open: %s", state ? "ok" : err.msg);
	if (state == NULL)
		return;
	ok(access(sock, F_OK) == 0, "it listens on RUN_DIR/agent.sock");

	add_node(t, "v1", "vm");
	add_node(t, "n1", "ns");
	node_kind_vm.lab_sync(state, t);
	evloop_run_until(loop, -1, 0, 0); /* one turn: the guest's first tick may run */
	o = live(state, lab, "v1");
	ok(json_object_object_get_ex(o, "state", &v) && !strcmp(json_object_get_string(v), "stopped"),
	   "after lab_sync the VM node v1 has a guest: state '%s' (no qemu)", json_object_to_json_string(o));
	ok(json_object_object_get_ex(o, "state_info", NULL), "  with its state_info");
	json_object_put(o);
	o = live(state, lab, "n1");
	ok(json_object_object_length(o) == 0, "the ns node n1 has none");
	json_object_put(o);

	ok(node_kind_vm.power(state, &ctx, NODE_POWER_HALT, &done, &err) == -ENOMEM && done == NULL,
	   "power on v2, which lab_sync has not seen, is refused: %s", err.msg);
	ok(node_kind_vm.nic_repair(state, &(struct node_ctx){ .lab = lab, .name = "v1", .nics = 1 }, 0, repair_done,
				   NULL, &err) == -EHOSTDOWN,
	   "nic_repair of v1, not ready (no qemu), is refused at once: %s", err.msg);
	ok(node_kind_vm.nic_repair(state, &ctx, 0, repair_done, NULL, &err) == -EHOSTDOWN,
	   "nic_repair of v2, which lab_sync has not seen, too: %s", err.msg);
	evloop_run_until(loop, -1, 0, 0);
	ok(n_repair_done == 0, "  and neither calls its callback");

	topo_free(t);
	t = topo_new();
	node_kind_vm.lab_sync(state, t);
	o = live(state, lab, "v1");
	ok(json_object_object_length(o) == 0, "v1 left the model: its guest is gone");
	json_object_put(o);

	node_kind_vm.lab_close(state);
	ok(access(sock, F_OK) < 0, "lab_close removes agent.sock");
	node_kind_vm.lab_close(NULL);
	ok(1, "lab_close(NULL) is fine");
	topo_free(t);
	evloop_free(loop);
	rmdir(dir);
}

/* The device argument of NIC i in c ("virtio-net-pci,netdev=netI,..."), or "". */
static const char *nic_device(const struct vm_cmd *c, unsigned i)
{
	char want[32];

	snprintf(want, sizeof(want), "virtio-net-pci,netdev=net%u,", i);
	for (unsigned k = 0; k < c->n; k++)
		if (!strncmp(c->argv[k], want, strlen(want)))
			return c->argv[k];
	return "";
}

static void test_qemu_host_mtu(void)
{
	struct node_ctx n = { .lab = "kslab", .name = "v", .nics = 3, .nic_mtus = { 9000, 1500, 0 } };
	struct vm_image img = { .disk = "/nonexistent.qcow2" };
	struct vm_cmd *c = calloc(1, sizeof(*c));
	struct vm_paths p;
	struct vnl_err err = { 0 };

	vm_paths(n.lab, n.name, &p);
	ok(c && vm_qemu_cmd(&n, &p, &img, c, &err) == 0, "qemu command line of a VM with 3 NICs (%s)", err.msg);
	ok(c && strstr(nic_device(c, 0), ",host_mtu=9000"), "NIC 0 on a 9000 LAN: host_mtu=9000 (%s)", nic_device(c, 0));
	ok(c && nic_device(c, 1)[0] && !strstr(nic_device(c, 1), "host_mtu"), "NIC 1 on a 1500 LAN: no host_mtu");
	ok(c && nic_device(c, 2)[0] && !strstr(nic_device(c, 2), "host_mtu"), "NIC 2 not linked: no host_mtu");
	free(c);
}

int main(void)
{
	node_kinds_init();
	test_table();
	test_qemu_host_mtu();
	test_vm_lab();
	return tap_done();
}
