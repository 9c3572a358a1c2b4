/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Node kinds: the one interface through which vnld creates, runs, wires and
 * removes the nodes of a lab (docs/vnld.md, "Node kinds"), and the only
 * registry of them.  A kind is one file in endpoints/ defining a `const
 * struct node_kind` with its schema (its name and options as data, struct
 * topo_kind of model/topology.h) beside its slots, and one line in the table
 * of endpoints/kinds.c; vnld finds it with node_kind_find().  The topology
 * reader and writer, vnld's node-add, `vnl add` and the shell completion
 * learn the kind and its options from that schema (node_kinds_init()).
 *
 * Lifecycle of a node, as vnld drives it:
 *
 *     create -> start -> nic_attach(i)... -> [exec, status, copy]...
 *            -> nic_detach(i)... -> stop -> destroy
 *
 * vnld runs each step as one step of a transaction: when a later step
 * fails it undoes the earlier ones (destroy undoes create, nic_detach undoes
 * nic_attach, stop undoes start).  So every slot that may fail is
 * all-or-nothing: on failure it leaves nothing behind that its undo would
 * have to remove.  The undo slots (destroy, nic_detach, stop) are idempotent
 * and succeed when the objects they remove are already gone, so that they
 * also clean the debris vnld finds after a crash.
 *
 * NICs are the node's network cards: NICs 0..nics-1 exist in the node from
 * create() until destroy() (from start() until stop() where a process
 * holds them: a VM's virtio devices), linked or not, each with its stable
 * MAC.  nic_attach() plugs the cable in (the switch can reach the NIC, the
 * node sees carrier, the link's address is set); nic_detach() pulls it out
 * (no carrier, that address removed); the NIC itself stays.
 *
 * Errors (STYLE.md rule 17): every slot returns 0 or a negative errno and
 * fills `err` (common/err.h; NULL accepted) with a message naming the object
 * ("netns 'vnl-lab-a': File exists"); vnld adds context with vnl_err_wrap()
 * and logs it once.  Kinds never print, except exec() which reports a
 * missing command on the command's own stderr as a shell does, and the
 * machinery behind the per-lab slots (lab_open...), which runs in vnld on
 * its own (timers, peers) and logs what it decides there through
 * common/log.h into vnld's log (vm: guest state changes, refused sessions).
 *
 * Thread-safety: vnld is single-threaded and calls the slots of one node
 * one at a time.  Slots keep their per-node state in node_ctx.priv only; the
 * kind itself is constant and may be shared by any number of nodes and labs.
 * Slots of different nodes may run concurrently (tests do), as long as
 * their (lab, node) names differ.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "topology.h"

struct evloop;
struct json_object;
struct topo;

/* Longest vhost-user socket path (sizeof sun_path). */
#define NIC_PORT_PATH_MAX 108

/*
 * The switch port type of an ns or cnt NIC: the index of the NIC's
 * `nic-type` word in their schema's choices (ns.h NS_NIC_TYPE_OPT), the
 * effective one (link, else node, else default: topo_nic_choice()).
 */
enum nic_type {
	NIC_TYPE_TAP = 0,     /* a persistent tap eth<i> in the node; switch port kind "tap" */
	NIC_TYPE_AFXDP = 1,   /* a veth pair; AF_XDP on its host end, switch port kind "afxdp" */
};

/* Largest LAN mtu an afxdp NIC carries: veth's native XDP takes a frame
 * in one page (4096 minus XDP headroom and skb_shared_info, measured). */
#define NIC_AFXDP_MTU_MAX 3506

/*
 * One node as vnld hands it to its kind.  vnld owns the strings and the
 * model node and keeps them valid until destroy() returns; the kind owns
 * priv.
 */
struct node_ctx {
	const char *lab;      /* lab name, [a-z0-9][a-z0-9_-]* (checked by vnld) */
	const char *name;     /* node name, same rule, unique in the lab */
	unsigned int nics;    /* number of NICs: valid indexes are 0..nics-1 */
	const struct topo_node *model; /* the node in the topology: the kind reads its
			       * options with topo_node_uint/text/list() and the
			       * index of each in its schema; read-only.  Set by
			       * vnld; NULL in vnl (exec, console and copy read no
			       * options) and in tests that drive a kind alone */
	void *priv;           /* kind's own state: NULL before create(), freed and
			       * reset to NULL by destroy(); untouched by vnld */
	uint8_t nic_types[TOPO_NICS_MAX]; /* per NIC, for kinds with a nic-type
			       * option: the effective type (enum nic_type) that
			       * create() and start() make NIC i with; zero (the
			       * default) where vnld has no model (strays, vnl) */
	uint16_t nic_mtus[TOPO_NICS_MAX]; /* per NIC: the mtu of the LAN NIC i is
			       * linked to, 0 when not linked (vm: qemu's host_mtu
			       * at start) */
};

/*
 * What nic_attach() and nic_port() know of the link: vnld's, valid for the
 * call.
 */
struct nic_link {
	const char *cidr;     /* address for the NIC inside the node ("10.0.0.1/24"), or NULL */
	unsigned int mtu;     /* the LAN's mtu (68..9000), the NIC's MTU after attach;
			       * 0: leave the NIC's MTU as it is */
	uint8_t type;         /* the NIC's effective type (enum nic_type; 0 for
			       * kinds without a nic-type option) */
};

/* exec() flags. */
#define NODE_EXEC_TTY 0x1

/* Switch port types vnld adds for a NIC (vnl-switchd `port-add` kinds). */
enum nic_port_type {
	NIC_PORT_AFXDP = 1,   /* AF_XDP on a host interface: `ifname` is set */
	NIC_PORT_VHOST,       /* vhost-user client on a socket: `path` is set */
	NIC_PORT_TAP,         /* a tap in a netns: `path` (the netns, /run/netns/X)
			       * and `ifname` (the tap's name in it) are set */
};

/* Out-parameter of nic_attach(): which switch port makes NIC i reachable. */
struct nic_port {
	enum nic_port_type type;        /* what to add */
	const char *kind;               /* the switch's name of the type: "afxdp", "vhost", "tap" */
	char ifname[16];                /* AFXDP: host interface; TAP: the tap in the netns */
	char path[NIC_PORT_PATH_MAX];   /* VHOST: socket path; TAP: netns path */
};

/* The power operations of the power() slot. */
enum node_power {
	NODE_POWER_REBOOT = 1,  /* reset the node when it runs, start it when it is off */
	NODE_POWER_HALT,        /* stop it and keep it off until NODE_POWER_REBOOT */
};

/* Event sink of the per-lab slots: a JSON event object for `vnl events`,
 * not consumed (vnld publishes it to its subscribers). */
typedef void (*node_emit_fn)(struct json_object *ev, void *arg);

/* The lab as vnld hands it to lab_open(); valid for the call only (copy what is kept). */
struct node_lab {
	struct evloop *loop;    /* vnld's event loop (common/evloop.h) */
	const char *lab;        /* lab name */
	const char *run_dir;    /* /run/vnetlab/LAB: where the kind may listen */
	node_emit_fn emit;      /* events of the kind's nodes ({"event":"node-state",...}) */
	void *emit_arg;
};

/*
 * The vtable of a kind.  A slot may be NULL when the kind does not support
 * the operation; vnld then refuses the request with -EOPNOTSUPP ("kind 'ns'
 * cannot copy files").  create and destroy are never NULL.
 */
struct node_kind {
	/*
	 * The kind's name and options, as the model, vnld's requests and
	 * `vnl add` know them.  A kind defines it in its own file, with an
	 * index constant per option to read the values.
	 */
	const struct topo_kind *schema;

	/*
	 * true: the switch holds a port for every NIC (nic_port) from create
	 * to destroy, linked or not; link and unlink only attach it to a LAN
	 * and detach it (vhost-user NICs: qemu waits for its backend before
	 * it runs, so the switch must connect to every NIC from the start).
	 * vnld adds the ports between create and start.  false: vnld adds a
	 * NIC's port on link and removes it on unlink.
	 */
	bool nics_ported;

	/*
	 * Make the node's resources (netns, overlay, disk image) and its NICs
	 * that are not held by a process (ns, cnt: the veths, detached), not
	 * running.  May fail (-EEXIST if they exist already, -EINVAL on a
	 * name the kind cannot map to its objects); all or nothing.
	 */
	int (*create)(struct node_ctx *node, struct vnl_err *err);

	/*
	 * Run the node's processes (container, VM).  May fail; all or nothing
	 * (a process started before the failure is stopped).  Also makes
	 * again any of the node's NICs that is gone (a veth deleted by hand),
	 * detached, so that vnld's recovery (create, start, then attach or
	 * detach each NIC) leaves the node with all of its NICs.  NULL for
	 * kinds without processes whose NICs cannot go missing.
	 */
	int (*start)(struct node_ctx *node, struct vnl_err *err);

	/* Stop the node's processes.  Idempotent: a stopped node is success. */
	int (*stop)(struct node_ctx *node, struct vnl_err *err);

	/*
	 * Remove everything create(), start() and nic_attach() made, the NICs
	 * too, from the names alone (node->priv may be NULL: vnld restarted
	 * after a crash).
	 * Idempotent: missing pieces are not errors; it fails only when a
	 * piece exists and cannot be removed, and then still removes the rest.
	 */
	int (*destroy)(struct node_ctx *node, struct vnl_err *err);

	/*
	 * Add the kind's fields describing the node to `out` (a JSON object,
	 * the node's entry of `vnl show`).  Must not change the node.  May fail
	 * (the kernel cannot be asked); fields added before are left in `out`.
	 */
	int (*status)(struct node_ctx *node, struct json_object *out, struct vnl_err *err);

	/*
	 * Plug NIC `i` (0 <= i < node->nics, else -EINVAL) in: make it
	 * reachable by the switch (the node then sees carrier once the switch
	 * holds its port) and fill *port with the switch port vnld must add
	 * for it.  The NIC exists already (create, start); a kind may make it
	 * again if it went missing, or is of another type than link->type
	 * (ns, cnt: re-made detached, same name and MAC; -EBUSY when it is
	 * attached).  link->cidr ("10.0.0.1/24") is an address to give the
	 * NIC inside the node, or NULL; kinds that cannot set addresses
	 * return -EOPNOTSUPP when it is not NULL.  link->mtu becomes the
	 * NIC's MTU where the kind sets it (ns, cnt; a VM's guest sets its
	 * own: vm takes it as qemu's host_mtu at start, nic_mtus); a kind
	 * refuses (-EINVAL, saying why) an mtu its NIC type cannot carry
	 * (afxdp: above NIC_AFXDP_MTU_MAX).  -EEXIST if the NIC is attached
	 * already, for kinds that can tell (vnld's recovery then keeps the
	 * switch's port of it; after a 0 it replaces the port).  All or
	 * nothing.
	 */
	int (*nic_attach)(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			  struct nic_port *port, struct vnl_err *err);

	/*
	 * The switch port of NIC i as nic_attach() filled it, from the names
	 * and link->type alone (vnld re-pushes ports to a restarted switch).
	 * Does not check that the NIC is attached.
	 */
	int (*nic_port)(struct node_ctx *node, unsigned int i, const struct nic_link *link,
			struct nic_port *port, struct vnl_err *err);

	/*
	 * Undo nic_attach(i): pull the cable out.  The switch can no longer
	 * reach the NIC (vnld has removed its port first), the node sees no
	 * carrier, and the address nic_attach() gave it is removed (ns, cnt:
	 * every address of eth<i>); the NIC itself stays.
	 * Idempotent: a detached NIC, or one that is gone, is success.
	 */
	int (*nic_detach)(struct node_ctx *node, unsigned int i, struct vnl_err *err);

	/*
	 * Run argv (argv[0] looked up in PATH) inside the node, with the
	 * caller's stdin, stdout and stderr, and wait for it.  flags:
	 * NODE_EXEC_TTY gives the command a terminal of its own inside the
	 * node (kinds where the caller's terminal is not the node's, e.g.
	 * containers; others ignore it).  On return 0, *status is its exit
	 * status, 128 + signal number if a signal killed it, 127 if argv[0]
	 * was not found and 126 if it could not be executed (with a
	 * shell-like message on stderr).  A negative errno means the command
	 * was not run (no such node, fork failed).  Runs in the caller's
	 * process (vnl), not in vnld.
	 */
	int (*exec)(struct node_ctx *node, char *const argv[], int flags, int *status,
		    struct vnl_err *err);

	/*
	 * An interactive session on the node's console or a login shell in
	 * it, on the caller's terminal, until the user leaves it.  *status as
	 * for exec.  NULL when the kind has none.
	 */
	int (*console)(struct node_ctx *node, int *status, struct vnl_err *err);

	/*
	 * A login shell in the node on a terminal of its own, on the caller's
	 * terminal, through a path that needs neither the node's network nor
	 * its console (vm: a pty of the guest agent, `vnl shell`).  *status as
	 * for exec.  NULL when the kind has none (console or exec -t serve).
	 */
	int (*shell)(struct node_ctx *node, int *status, struct vnl_err *err);

	/*
	 * Copy `src` to `dst`; to_node != 0: src is on the host and dst in
	 * the node, else the reverse.  All or nothing (no partial dst).
	 */
	int (*copy)(struct node_ctx *node, const char *src, const char *dst, int to_node,
		    struct vnl_err *err);

	/*
	 * Like copy, but src may also be a folder, copied with what it holds
	 * (`vnl cp -r`); each file all or nothing, a failure stops the walk.
	 * Returns the number of entries skipped (symlinks, special files),
	 * named in err as a warning while err->code stays 0.  NULL when the
	 * kind copies files only.
	 */
	int (*copy_tree)(struct node_ctx *node, const char *src, const char *dst, int to_node,
			 struct vnl_err *err);

	/*
	 * ---- The kind's side in vnld, beside its nodes (each slot may be NULL) ----
	 *
	 * A kind may run machinery of its own for a lab's life in vnld (the
	 * vm kind: the guests' supervision, hvc0 bootstrap, agent links and
	 * QMP, and the session relay on RUN_DIR/agent.sock; docs/vnld.md, "VM
	 * guests").  vnld opens it once per lab with lab_open(), before it
	 * serves, and hands the returned state back to the other slots below;
	 * vnld never looks inside it.  These slots run in vnld's loop thread
	 * only; they may watch fds and set timers on node_lab.loop, and must
	 * keep to the loop's contract (docs/vnld.md, "Waiting": never block,
	 * wait only through common/wait.h).  Kinds without such machinery
	 * leave all of them NULL.
	 */

	/*
	 * Open the kind's per-lab state: listening sockets, timers.  Returns
	 * it, or NULL with err filled (vnld then does not serve the lab).
	 * Changes no node.  NULL slot: the kind has no per-lab state, and
	 * vnld passes NULL as `state` to the slots below.
	 */
	void *(*lab_open)(const struct node_lab *lab, struct vnl_err *err);

	/*
	 * The model changed (or vnld starts, or is about to run power()):
	 * make the kind's per-lab state follow `t`, the lab's whole
	 * topology; the kind picks its own nodes (and their links) out of
	 * it.  vnld calls it after every request and at start, never while a
	 * transaction has the model half changed.  Cannot fail; what cannot
	 * be made now is tried again at the next call.  Changes no node.
	 */
	void (*lab_sync)(void *state, const struct topo *t);

	/* Close what lab_open() opened; NULL-safe.  The nodes keep running
	 * (the next vnld opens the state again and adopts them). */
	void (*lab_close)(void *state);

	/*
	 * Add the live fields of `node` that only the per-lab state knows
	 * to `out`, the node's entry of `vnl show` (vm: "state",
	 * "state_info", "state_secs", "agent"; docs/vnld.md).  Nothing when
	 * the state does not know the node yet.  Must not change the node;
	 * cannot fail, never waits.
	 */
	void (*live_status)(void *state, const struct node_ctx *node, struct json_object *out);

	/*
	 * `vnl reboot` (NODE_POWER_REBOOT: reset a running node, start one
	 * that is off) and `vnl halt` (NODE_POWER_HALT: stop it and keep it
	 * off, across vnld restarts too, until the next reboot).  vnld has
	 * called lab_sync() just before, so the state knows the node.  On
	 * success *done names what was done for the reply ("reset",
	 * "started"), or is NULL.  May wait (for a starting process) through
	 * common/wait.h.  NULL slot: the kind's nodes cannot be rebooted or
	 * halted, and vnld refuses with -EOPNOTSUPP.
	 */
	int (*power)(void *state, struct node_ctx *node, enum node_power op, const char **done,
		     struct vnl_err *err);

	/*
	 * Have the node renegotiate NIC `nic` with its switch port while
	 * keeping the NIC's configuration: vnld's repair of a vhost-user
	 * port whose features a switch restart lost (docs/vnld.md, "A VM
	 * NIC that loses its features"; vm: the guest's agent unbinds and
	 * binds the NIC's virtio device and puts back its name, up state,
	 * MTU, addresses and routes).  Asynchronous: 0, then done(code,
	 * text, arg) once, later, from the loop (code 0: repaired; else
	 * failed: > 0 the node's exit status, < 0 a negative errno; text:
	 * what the node said, or why it failed); or at once a negative errno
	 * and no done: -EHOSTDOWN the node cannot be asked (its agent is not
	 * ready), -EAGAIN not yet (the node is settling: ask again later).
	 * Never waits.  NULL: the kind cannot.
	 */
	int (*nic_repair)(void *state, const struct node_ctx *node, unsigned int nic,
			  void (*done)(int code, const char *text, void *arg), void *arg, struct vnl_err *err);

	/*
	 * Names of the lab's nodes that have objects of this kind on the
	 * host, from the lab's name alone (vnld --cleanup with the state
	 * lost, scavenge.h): add(node, arg) once per object found (a node
	 * may come more than once; a name may break the name rule: the
	 * caller checks).  Returns how many were found, or the first negative
	 * errno of add().  Runs without lab_open() (no state), never waits.
	 * vnld's start (stray nodes a crash left) and `vnld --cleanup` find
	 * a lab's nodes only through this slot: a kind that makes objects
	 * on the host must fill it.  NULL: the kind leaves nothing a name
	 * could be read back from.
	 */
	int (*host_nodes)(const char *lab, int (*add)(const char *node, void *arg), void *arg);

	/* What host_nodes() finds, one and many, for messages ("VM", "VMs"). */
	const char *host_noun, *host_nouns;
};

/* The kinds (one per file in endpoints/). */
extern const struct node_kind node_kind_ns;
extern const struct node_kind node_kind_cnt;
extern const struct node_kind node_kind_vm;

/* The kind called `name`, or NULL with errno = ENOENT. */
const struct node_kind *node_kind_find(const char *name);

/* NULL-terminated list of every kind, for help texts and completion. */
extern const struct node_kind *const node_kinds[];

/* Hand the schemas of node_kinds[] to the model (topo_set_kinds()): vnld
 * and vnl call it at the start of main(). */
void node_kinds_init(void);
/* The same with another NULL-terminated table (at most TOPO_KINDS_MAX
 * kinds, alive for the program's life): tests with kinds of their own. */
void node_kinds_use(const struct node_kind *const *table);
