/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One lab as vnld runs it: the desired topology (the model), the switch, and
 * the node kinds that make nodes real.  Every change goes through here and is
 * a transaction (docs/vnld.md): the steps on the kernel, the kind and the
 * switch run in order, each with its undo; the first failure undoes the steps
 * done, leaves the model as it was and says which step failed.  Only a change
 * that went through is put in the model and saved (state.h).
 *
 * Order of the steps, chosen so that a crash of vnld at any point leaves
 * only what the next start cleans (lab_recover):
 *   additions: kernel/switch objects first, then the model is saved, so an
 *     object that is not in the saved model is debris;
 *   removals: the model is saved first, then the objects are removed, so a
 *     removed object never comes back.
 *
 * Switch objects: a LAN per model LAN (same name) and one port per link,
 * named "NODE-N" (lab_port_name).  When the switch is down (it died and
 * its restart is pending or failing, or there is none: `vnld --cleanup`)
 * every change still goes through: the kernel side and the model change,
 * the switch steps are left to lab_push(), which makes a (re)started switch
 * match the model (a nics_ported node is started by it too, once its ports
 * exist). A change never waits for the restart timer; while vnld restarts
 * the switch (a transaction) a change is held until it is up.
 *
 * Errors: 0 or a negative errno with the vnl_err filled.  Logged here only
 * what has no caller to report to: lab_push() and lab_recover(), a removal
 * step that fails after the model was saved, and an undo step that fails
 * (the caller gets the step that failed first).  Undos run in reverse
 * order, except that the switch ports of a nics_ported node always leave
 * before the node stops.
 * Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include <json-c/json.h>

#include "err.h"
#include "lab_switch.h"
#include "lab_vxlan.h"
#include "node_kind.h"
#include "topology.h"

struct lab_rt;

/*
 * What the vxlan steps ask of the host's kernel (lab_vxlan.h). NULL in
 * struct lab: common/nl.h in the lab's own netns. A seam for tests only
 * (tests/unit/lab_tx_test.c records the calls as steps).
 */
struct lab_underlay_ops {
	/* The interface the route to dst (family AF_INET/AF_INET6) leaves by,
	 * its name into iface. -ENETUNREACH, -EHOSTUNREACH, ... */
	int (*route)(int family, const uint8_t dst[16], char iface[16], struct vnl_err *err);
	/* iface's MTU (> 0), or a negative errno (-ENODEV: no such interface). */
	int (*get_mtu)(const char *iface, struct vnl_err *err);
	/* Set iface's MTU (-EINVAL: beyond the device's range). */
	int (*set_mtu)(const char *iface, unsigned mtu, struct vnl_err *err);
};

struct lab {
	char name[TOPO_NAME_MAX + 1];
	char state_dir[64];
	struct topo *topo;            /* desired state: what the lab has */
	struct lab_switch sw;
	struct lab_rt *rt;            /* per-node runtime (kind's priv) */
	/* Every change is announced here (an event object, not consumed). */
	void (*emit)(struct json_object *ev, void *arg);
	void *emit_arg;
	/* Adds vnld's own fields to a node's show object (a VM's guest state),
	 * or NULL. */
	void (*node_json)(const struct topo_node *n, struct json_object *o, void *arg);
	/* Start the kind's nic_repair (node_kind.h) of NIC nic of node n, or
	 * NULL: lost NIC features are shown, not repaired (lab_nicrepair.h). */
	int (*nic_repair)(const struct topo_node *n, unsigned nic, void (*done)(int code, const char *text, void *arg),
			  void *arg, struct vnl_err *err);
	/* Set by lab_recover: nodes of nics_ported kinds (VMs) are started by
	 * the next lab_push, once the switch holds their ports (qemu waits for
	 * them before it runs). */
	bool start_ported;
	/* The kind of a node, by its kind name: node_kind_find() when NULL (vnld).
	 * A seam for tests only (tests/unit/lab_tx_test.c gives fake kinds that
	 * record their calls); stray removal still walks node_kinds[]. */
	const struct node_kind *(*kind_find)(const char *name);
	/* vxlan LANs: what vnld decided on this host, per LAN (lab_vxlan.h) */
	struct lab_vxrt vx[LAB_VX_MAX];
	/* underlays whose MTU the lab raised, recorded in state_dir too */
	struct state_mtu raised[LAB_VX_MAX];
	unsigned n_raised;
	/* the kernel for the vxlan steps; NULL: common/nl.h (a test seam) */
	const struct lab_underlay_ops *ul;
};

/* Switch port of a link: "NODE-N". */
void lab_port_name(const char *node, unsigned nic, char *buf, size_t size);
/* The link whose switch port is `port`, or NULL (not one of ours). */
const struct topo_link *lab_port_link(const struct lab *l, const char *port);

/* LAN tmpl (its name, mtu: TOPO_LAN_MTU_MIN..MAX or 0, not given:
 * TOPO_LAN_MTU_DEF; a vxlan: lab_vxlan.h's steps). Event `lan-added`. */
int lab_lan_add(struct lab *l, const struct topo_lan *tmpl, struct vnl_err *err);
/* The mtu the LAN's NICs and its switch LAN get: its own (or the
 * default); a vxlan LAN's as vnld decided (lab_vxlan.h). */
unsigned lab_lan_mtu(const struct lab *l, const struct topo_lan *lan);
/* A node's links go first; names of the removed links are appended to
 * `unlinked` (a JSON array, may be NULL) as "NODE:N". */
int lab_lan_del(struct lab *l, const char *name, struct json_object *unlinked, struct vnl_err *err);
int lab_node_add(struct lab *l, const struct topo_node *tmpl, struct vnl_err *err);
int lab_node_del(struct lab *l, const char *name, struct json_object *unlinked, struct vnl_err *err);
int lab_link_add(struct lab *l, const struct topo_link *tmpl, struct vnl_err *err);
int lab_link_del(struct lab *l, const char *node, unsigned nic, struct vnl_err *err);
/*
 * Replace the impairments of the directions in `dirs` (bit 1 << TOPO_IMP_OUT,
 * 1 << TOPO_IMP_IN) of link node:nic with imp[] (all zero: none), as
 * `tc qdisc replace` would: checked (topo_impair_check), then impair-set or
 * impair-clear per direction on the switch (undone on a later failure),
 * then the model, saved. Event `link-impaired` {node, nic, lan}.
 */
int lab_link_impair(struct lab *l, const char *node, unsigned nic, unsigned dirs,
		    const struct topo_impair imp[TOPO_IMP_DIRS], struct vnl_err *err);
/* The switch's impair-set arguments of imp (docs/switchd.md) added to o. */
void lab_impair_switch_json(const struct topo_impair *imp, struct json_object *o);

/* Remove every node and LAN (links with them). Goes on after a failure and
 * returns the first one. counts[0..2]: nodes, LANs, links removed. */
int lab_destroy_all(struct lab *l, unsigned counts[3], struct vnl_err *err);

/* Save the model and the switch's pid (state.h). */
int lab_save(struct lab *l, struct vnl_err *err);

/*
 * After vnld starts, before the switch: make the kernel match the saved
 * model.  Nodes whose objects still exist are kept, missing ones are made
 * again (their switch ports are marked stale so lab_push replaces them);
 * nodes of this lab that are not in the model (a crash between creating and
 * saving) are removed.  Logs what it does; failures leave the node in the
 * model, reported by `show`.
 */
void lab_recover(struct lab *l);

/* Remove the nodes of this lab that the model does not have (part of
 * lab_recover; also `vnld --cleanup`). */
void lab_remove_strays(struct lab *l);

/* The switch (re)started or was adopted: make it hold exactly the model's
 * LANs, ports and attachments. on_ready callback of lab_switch. */
void lab_push(struct lab_switch *s, void *arg);

/* `show` objects of docs/vnld.md (new objects, caller puts them). */
struct json_object *lab_node_json(struct lab *l, const struct topo_node *n);
struct json_object *lab_lan_json(struct lab *l, const struct topo_lan *lan);
struct json_object *lab_link_json(const struct topo_link *k);
/* A link's `impair` object: {"out": {KEY: TEXT...}, "in": {...}}, a
 * direction only when it has a set. */
struct json_object *lab_impair_json(const struct topo_link *k);

/* Internal to lab.c and lab_vxlan.c: the switch step conventions.
 * lab_sw_step: a switch found down is no failure (lab_push does it);
 * lab_sw_gone: a removal found it gone or the switch down; lab_undo_failed:
 * an undo step that failed too is logged (sw: a switch request). */
int lab_sw_step(int r);
bool lab_sw_gone(int r, const struct vnl_err *e);
void lab_undo_failed(struct lab *l, int r, const struct vnl_err *e, bool sw);
/* lan-add on the switch, always with an mtu (docs/switchd.md). */
int lab_sw_lan_add(struct lab *l, const char *name, unsigned mtu, struct vnl_err *err);
/* Announce event `event` with "lan": lan. */
void lab_emit_lan(struct lab *l, const char *event, const char *lan);

/* The node context handed to the kind; valid until the next model change. */
void lab_node_ctx(struct lab *l, const struct topo_node *n, struct node_ctx *ctx);
/* Free the runtime list (vnld exit). */
void lab_free(struct lab *l);
