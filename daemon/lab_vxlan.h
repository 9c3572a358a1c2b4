/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vxlan steps of a LAN (docs/plans/vxlan.md 2.7, 2.9): the underlay
 * and MTU decision, and the switch objects of a stretched LAN.
 *
 * A LAN with a vxlan (topo_lan.vx.vni != 0) is, on the switch, a LAN plus a
 * port of kind vxlan named "LAN:vxlan" (lab_vx_port_name: a LAN name has
 * no ':' and node ports are "NODE-N") attached to it. Its mtu is vnld's to
 * decide, on this host, from the underlay: the interface given, else the
 * one of the route to the first remote; U its MTU, overhead 50 (IPv4) or 70
 * (IPv6):
 *   - no mtu given: the LAN's mtu is U - overhead ("lowered"), at most the
 *     AF_XDP ceiling (TOPO_VXLAN_MTU_MAX4/6); U of an underlay the lab
 *     raised is the MTU it had before (as on a fresh host);
 *   - mtu given and mtu + overhead <= U: that mtu ("given");
 *   - mtu given and larger: the underlay is raised to mtu + overhead
 *     ("raised"): an undo step of the transaction; the interface's MTU
 *     before the first raise is recorded in the lab's state folder
 *     (state_save_mtus) and put back once the lab's vxlan LANs on that
 *     interface need it no more (each needs its mtu + overhead; only a
 *     raised LAN needs more than the original), or by `vnld
 *     --cleanup` after a crash
 *     (scavenge_restore_mtus).
 * The decision is made again at every vnld start (lab_recover: a host
 * rebooted since has its interfaces at their MTU again) and kept per LAN in
 * the lab's runtime (struct lab_vxrt); NICs linked to the LAN get its
 * effective mtu (lab_lan_mtu).
 *
 * The kernel is reached through struct lab_underlay_ops (lab.h: a seam for
 * tests/unit/lab_tx_test.c; NULL in vnld: common/nl_route and nl.h).
 *
 * Errors: 0 or a negative errno with the vnl_err filled, the LAN named.
 * Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "err.h"
#include "state.h"
#include "topology.h"

struct lab;

/* Why a vxlan LAN has its mtu. */
enum lab_vx_why { LAB_VX_GIVEN, LAB_VX_LOWERED, LAB_VX_RAISED };

/* What vnld decided for one vxlan LAN on this host. */
struct lab_vxrt {
	char lan[TOPO_NAME_MAX + 1];	/* "" when the slot is free */
	char iface[16];			/* the underlay, given or routed */
	int family;			/* AF_INET or AF_INET6 (given, else IPv4) */
	unsigned had;			/* the underlay's MTU found by the decision */
	unsigned underlay_mtu;		/* the underlay's MTU after it (had, or raised) */
	unsigned mtu;			/* the LAN's effective mtu */
	enum lab_vx_why why;
	unsigned raised_from;		/* LAB_VX_RAISED: the MTU before the lab raised it */
};

#define LAB_VX_MAX 64			/* most vxlan LANs (and raised underlays) a lab keeps */

/* The switch port of a vxlan LAN: "LAN:vxlan". */
void lab_vx_port_name(const char *lan, char *buf, size_t size);
/* The LAN of the lab whose vxlan port is `port`, or NULL. */
const struct topo_lan *lab_vx_port_lan(const struct lab *l, const char *port);
/* The runtime of vxlan LAN `lan`, or NULL. */
struct lab_vxrt *lab_vx_rt(const struct lab *l, const char *lan);

/* The raised underlays recorded in the lab's state folder, into the lab
 * (vnld start, before lab_recover). */
void lab_vx_open(struct lab *l);

/*
 * The steps of a vxlan LAN being added (lan is the template, its vx.vni
 * set): the MTU decision (a raise is undone on failure) and, unless the
 * switch is down (lab_push does them), switch lan-add with the effective
 * mtu, port-add "LAN:vxlan" and attach. All or nothing; *rt gets the
 * decision (the caller keeps it with lab_vx_keep once the model has the
 * LAN). Undo of a later failure: lab_vx_undo.
 */
int lab_vx_add(struct lab *l, const struct topo_lan *lan, struct lab_vxrt *rt, struct vnl_err *err);
/* Undo lab_vx_add of lan (switch port and LAN, the raise). */
void lab_vx_undo(struct lab *l, const struct topo_lan *lan, const struct lab_vxrt *rt);
/* Keep rt as lan's runtime (replacing an old one). -ENOSPC past LAB_VX_MAX. */
int lab_vx_keep(struct lab *l, const struct lab_vxrt *rt, struct vnl_err *err);
/* lan (a vxlan LAN) left the model: its runtime goes, and an underlay no
 * other vxlan LAN of the lab uses gets its MTU back (logged on failure). */
void lab_vx_forget(struct lab *l, const char *lan);

/*
 * `lan-set`: replace LAN name's mtu and vxlan by those of `want` (same
 * name). Only the remotes changed: switch vxlan-set (live: the remotes that
 * stay keep their MACs and counters). Else the MTU decision again and the
 * vxlan port made again (port-del, port-add, attach; a changed effective
 * mtu also makes the switch LAN again, allowed only while no NIC is
 * linked to it). Then the model, saved; event `lan-changed`. All or
 * nothing.
 */
int lab_lan_set(struct lab *l, const struct topo_lan *want, struct vnl_err *err);

/* The vxlan LANs onto a (re)started switch: each LAN's port made again
 * when the switch lacks it (lab_push calls it after the LANs). */
void lab_vx_push(struct lab *l, struct json_object *ports);
/* vnld start: the MTU decision for every vxlan LAN of the model (logged on
 * failure: such a LAN keeps no runtime and its NICs get its mtu or 1450). */
void lab_vx_recover(struct lab *l);

/* `show` of a vxlan LAN: o gets "vxlan" {vni, remote, underlay, local,
 * dstport, family, iface, underlay_mtu, mtu_reason, port, remotes (the
 * switch's view, when it answers within 500 ms)}. */
void lab_vx_json(struct lab *l, const struct topo_lan *lan, struct json_object *o);
/* The request members of a LAN's vxlan (vni, remote, underlay, local,
 * dstport) into o, as vnld's lan-add takes them. */
void lab_vx_req_json(const struct topo_vxlan *vx, struct json_object *o);
