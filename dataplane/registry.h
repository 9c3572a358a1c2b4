/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The switch's configuration as the control thread sees it: ports, LANs and
 * their membership, in fixed slot arrays. Every change is applied here, then
 * published to the workers as a new snapshot (snapshot.h).
 *
 * Thread-safety: control thread only. Functions return 0 or -errno with err
 * filled; a failed change leaves the registry and the snapshot as they were.
 */
#pragma once

#include <json-c/json.h>

#include "dp.h"
#include "fdb.h"
#include "hooks.h"
#include "port.h"

#define VNL_LAN_MTU_MIN 68
#define VNL_LAN_MTU_MAX 9000
/* Ethernet header and two VLAN tags: the rule behind 1522 for mtu 1500. */
#define VNL_LAN_L2_OVERHEAD 22

struct lan {
	char name[VNL_NAME_MAX];
	uint16_t slot;     /* index in registry, snapshots and counters */
	uint16_t nb_ports; /* ports attached */
	uint16_t mtu;      /* IP MTU as given to lan-add (0: none given) */
	uint16_t max_frame; /* longest frame forwarded: mtu + VNL_LAN_L2_OVERHEAD, else --max-frame */
	uint64_t aged;     /* MAC entries aged out (kept here: aging runs on this thread) */
};

struct registry {
	struct port *ports[VNL_MAX_PORTS];
	struct lan *lans[VNL_MAX_LANS];
	unsigned nb_workers;
	uint16_t max_frame;  /* --max-frame: the limit of LANs added without an mtu */
	uint32_t aging;      /* seconds */
	struct fdb *fdb;
	/* Per port slot: its hooks (captures, impairments) as the next snapshot
	 * gets them; all zero for a plain port. Written by capture.c and
	 * impair.c, then reg_publish(); owner is set by the registry. */
	struct port_hooks hooks[VNL_MAX_PORTS];
	/* Per worker: the impairment states it runs (active and retired), an
	 * array owned by impair.c that stays valid as long as a snapshot
	 * points at it (replace it, publish, then free the old one). */
	struct {
		uint16_t nb;
		struct imp_state *const *st;
	} imp[VNL_MAX_WORKERS];
};

extern struct registry reg;

/* Names: [A-Za-z0-9][A-Za-z0-9_.:-]*, shorter than VNL_NAME_MAX. */
int reg_check_name(const char *what, const char *name, struct vnl_err *err);

struct port *reg_port_find(const char *name);
struct lan *reg_lan_find(const char *name);

/* The worker that runs port p's rx side: polls it (a port with rx()), or
 * sees its frames come out of its rx_via port's demux (port.h); its
 * captures' out taps and its impairment states run there. Ports without
 * rx() are in no worker's poll list (snap_worker.rx, show-workers). */
static inline unsigned reg_port_worker(const struct port *p)
{
	return p->rx_via % reg.nb_workers;
}

/* Publish the registry as it is now (after a change of reg.hooks or
 * reg.imp): returns once no worker sees the previous snapshot. 0 or
 * -ENOMEM (the previous snapshot stays). */
int reg_publish(void);

int reg_init(unsigned nb_workers, uint16_t max_frame, uint32_t aging, uint32_t fdb_size);
int reg_port_add(const char *name, const char *kind, struct json_object *req, struct port **out,
		 struct vnl_err *err);
int reg_port_del(const char *name, struct vnl_err *err);
/* From a kind's open() (vxlan: its underlay, underlay.h): put p, made and
 * opened by the caller (calloc'ed; name, kind, backend, ops, priv, up set;
 * a reserved name such as "@eth1", not checked), in a free slot other than
 * busy (the slot of the port being opened, taken but not yet filled), with
 * zeroed counters, its own tx lock and rx_via. Not published: the caller's
 * port-add publishes both. reg_port_del() removes it (closes and frees it).
 * 0 or -ENOSPC + err. */
int reg_port_insert(struct port *p, uint16_t busy, struct vnl_err *err);
/* mtu 0: the LAN forwards frames up to --max-frame (as before LANs had an
 * mtu); else VNL_LAN_MTU_MIN..VNL_LAN_MTU_MAX, checked by the caller, and the
 * LAN forwards frames up to mtu + VNL_LAN_L2_OVERHEAD bytes whatever
 * --max-frame says (buffers are chains: any port kind carries them, except
 * afxdp above its limit, see docs/switchd.md). */
int reg_lan_add(const char *name, uint16_t mtu, struct lan **out, struct vnl_err *err);
/* Detaches the LAN's ports first; their names are appended to detached. */
int reg_lan_del(const char *name, struct json_object *detached, struct vnl_err *err);
int reg_attach(const char *port, const char *lan, struct vnl_err *err);
int reg_detach(const char *port, struct vnl_err *err);

/* Once the workers have stopped: close every port, free everything. */
void reg_fini(void);
