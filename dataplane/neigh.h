/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Routes and neighbours of vxlan ports' remotes (docs/plans/vxlan.md 2.6):
 * the control thread asks the kernel of the underlay's network namespace
 * how to reach each remote and keeps every vxlan port's remote table
 * (port_vxlan.h) in step with the answer, so tx() finds a ready outer
 * header for every remote it may send to.
 *
 * Per remote: RTM_GETROUTE with no output interface given (the kernel's
 * own choice: a route that leaves by another interface than the underlay's
 * is `wrong-interface`; none, or one that is not unicast, `no-route`),
 * then the next hop's (gateway, else the remote) neighbour entry on the
 * underlay: a usable entry (REACHABLE, STALE, DELAY, PROBE, PERMANENT,
 * NOARP) with a MAC is `resolved` and gets its template (vx_tmpl_build from
 * the underlay's MAC to the next hop's); a FAILED one is `failed`; none or
 * INCOMPLETE is `resolving`, and a missing entry is asked for with
 * RTM_NEWNEIGH + NTF_USE (the kernel creates a dynamic entry and ARPs or
 * NDs; nothing permanent is left behind). Every change republishes the
 * port's table (vx_remotes_publish: build, release store,
 * snapshot_wait_readers, free), never a table in place.
 *
 * Per underlay: one rtnetlink socket in its namespace on the control loop
 * (control_loop()), subscribed to neighbour, link, IPv4/IPv6 route and
 * address events: a neighbour event for a next hop on the underlay updates
 * the remotes behind it at once; a link event of the underlay re-reads its
 * MAC, MTU and carrier (the underlay port's and its vxlan ports' `up`) at
 * once. What may move routes asks for a rescan (every remote of the
 * underlay resolved again), run once at the next tick however many events
 * asked (a routing daemon's burst is one rescan; the underlay's show counts
 * them, `neigh_rescans`): a route event whose destination prefix holds a
 * remote's address, in any table (a rule may send the lookup to any table;
 * rules and nexthop objects are not watched: a change there is seen at
 * the next rescan, or at the tick's retry of a remote that drops frames);
 * a link event of any interface (another one's: of its state, family
 * AF_UNSPEC; IPv4 drops the routes of a link that goes down without route
 * events); an address event of the underlay; a lost
 * notification (ENOBUFS). Other route and address events are ignored: a
 * route that holds no remote changes no lookup of ours, and an address
 * brings or takes its routes as route events.
 *
 * Tick (1 s, neigh_port_tick): a resolved remote whose kernel entry is STALE is
 * re-probed (NTF_USE: DELAY, PROBE, then REACHABLE or FAILED) at most every
 * NEIGH_STALE_PROBE_S; a remote that is not resolved is looked at again
 * every NEIGH_RETRY_S while it is `resolving` or frames to it are being
 * dropped (drop_no_neigh grew): a failed or routeless remote nobody sends
 * to costs nothing, one that gets traffic is retried, as the kernel retries
 * a FAILED neighbour on the next packet.
 *
 * Errors: 0 or -errno with err filled, as the rest of the control side;
 * netlink failures after port-add are logged at debug level and show as a
 * state, never as a failed request.
 *
 * Thread-safety: control thread only (port-add/del, vxlan-set, show, the
 * tick and the loop's callbacks). Workers see only published tables.
 */
#pragma once

#include <stdint.h>

#include "dp.h"
#include "port_vxlan.h"

#define NEIGH_STALE_PROBE_S 30  /* a STALE next hop is re-probed at most this often */
#define NEIGH_RETRY_S 5         /* an unresolved remote in use is looked at again this often */

/* port_vxlan.c, at the end of a successful open() (the first table, every
 * remote `resolving`, is published): watch the underlay (its first port
 * opens its event socket), resolve every remote, publish. 0, or -errno
 * (-ENOMEM, the event socket) with err filled and nothing left. */
int neigh_port_add(struct vx_port *vx, struct vnl_err *err);

/* port_vxlan.c, at the start of close(): forget the port; its underlay's
 * last port closes the event socket. Accepts a port neigh_port_add()
 * never took. */
void neigh_port_del(struct vx_port *vx);

/*
 * vxlan-set: make addrs[0..n) (family vx->family, checked by the caller)
 * the port's remotes. A remote that stays keeps its index, state, template
 * and counters; a new one takes the lowest free index not freed by this
 * call (port_vxlan.h, "Remote indexes") and is resolved at once; a removed
 * one leaves the table (published, workers let go), then its FDB entries
 * (fdb_flush_remote) and counters go and its index is free. 0, or -ENOMEM
 * with err filled and the port unchanged.
 */
int neigh_port_set(struct vx_port *vx, const uint8_t (*addrs)[16], unsigned n, struct vnl_err *err);

/* clear-counters: every remote's counters of the port. */
void neigh_port_zero(struct vx_port *vx);

/* The port's control tick (1 s, port_ops.tick of vxlan ports): STALE
 * re-probes and retries, see above. */
void neigh_port_tick(struct vx_port *vx);
