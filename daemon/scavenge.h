/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A lab's leftovers on the host, found from the lab's name alone: what
 * `vnld --cleanup` (vnl stop) removes when the lab's state file cannot be
 * read, and the last sweep after it removed the nodes the state names.
 *
 * Every object vnld makes for a node has a name derived from (lab, node)
 * (endpoints/ns.c, cnt.c, vm.c), so the node names can be read back from
 * them: each kind's host_nodes() slot lists what it finds (node_kind.h):
 *
 *   ns           /run/netns/vnl.LAB.NODE                 (ns and cnt nodes)
 *   cnt          /run/vnetlab/LAB/crun/vnl.LAB.NODE      crun state
 *                /var/lib/vnetlab/LAB/cnt/NODE           overlay, bundle
 *   vm           /var/lib/vnetlab/LAB/vm/NODE, /run/vnetlab/LAB/vm/NODE
 *   mounts       anything mounted under /var/lib/vnetlab/LAB/ (overlays)
 *   underlays    MTUs raised for vxlan LANs: /var/lib/vnetlab/LAB/underlay-mtu.json
 *
 * and each node found is then removed through the destroy() slot of every
 * kind, which works from the names alone and is idempotent (node_kind.h):
 * the container, the VM's qemu, the overlay and its loop device, the netns
 * and the host ends of the veths go with it. The lab's switch is found by
 * its control socket on its command line (a vnl-switchd whose --socket is
 * /run/vnetlab/LAB/switchd.sock).
 *
 * Errors: scavenge_find() returns 0 or -ENOMEM; scavenge_remove() goes on
 * after a failure and returns the first one, with err filled. Silent (the
 * caller logs). Thread-safety: none needed (plain data, one caller).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "topology.h"

#define SCAVENGE_KINDS_MAX 8 /* kinds counted in struct scavenge (node_kinds[] beyond: not counted) */

/* What was found of one lab. */
struct scavenge {
	char (*nodes)[TOPO_NAME_MAX + 1];	/* distinct node names, any source */
	unsigned n_nodes, cap_nodes;
	unsigned kinds[SCAVENGE_KINDS_MAX]; /* per kind of node_kinds[] with a host_nodes
				 * slot (node_kind.h): nodes it found (ns: a netns) */
	unsigned mounts;	/* mounts under the lab's state folder */
	pid_t switch_pid;	/* the lab's vnl-switchd, 0 if none runs */
};

/* Look for lab's objects on the host; *s is overwritten (free it with
 * scavenge_free()). Names that break the name rule are skipped. */
int scavenge_find(const char *lab, struct scavenge *s);
/* Frees what scavenge_find() allocated; accepts a zeroed struct. */
void scavenge_free(struct scavenge *s);
/* "2 netns, 1 container, 1 VM, 1 mount, the switch (pid N)", or "nothing". */
void scavenge_describe(const struct scavenge *s, char *buf, size_t len);
/* Remove every node found through every kind's destroy(); not the switch. */
int scavenge_remove(const char *lab, const struct scavenge *s, struct vnl_err *err);
/*
 * Put back the MTU of every underlay the lab raised for its vxlan LANs and
 * did not restore (state.h, underlay-mtu.json in state_dir: a vnld that
 * crashed or was killed), and forget them. How many were restored, or the
 * first failure (the others still tried).
 */
int scavenge_restore_mtus(const char *state_dir, struct vnl_err *err);
/* The pid of a vnl-switchd running with `--socket sock`, or 0. */
pid_t scavenge_switch_pid(const char *sock);
