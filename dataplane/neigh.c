/* SPDX-License-Identifier: GPL-2.0-only */
/* Routes and neighbours of vxlan remotes, on the control thread. See neigh.h. */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "control.h"
#include "dp_log.h"
#include "evloop.h"
#include "fdb.h"
#include "neigh.h"
#include "nl.h"
#include "registry.h"
#include "underlay.h"
#include "worker.h"

/* What we keep per remote index beside the published table. */
struct neigh_rem {
	uint16_t kstate;   /* the kernel's ndm_state of the next hop as last seen; 0: no entry */
	uint32_t probed;   /* dp_now() of our last NTF_USE for it; 0: never */
	uint32_t checked;  /* dp_now() of the last route and neighbour lookup */
	uint64_t drops;    /* its drop_no_neigh as the tick last read it */
};

struct neigh_ul;

/* A vxlan port we keep the remotes of (vx->neigh). */
struct neigh_port {
	struct vx_port *vx;
	struct neigh_ul *nu;
	struct neigh_port *next;          /* the underlay's ports */
	struct vx_remotes *work;          /* the table being changed (port_work), NULL: none */
	uint32_t freed;                   /* indexes freed by vxlan-set and not given out since */
	struct neigh_rem rem[VX_REMOTES_MAX];  /* by remote index */
};

/* An underlay with vxlan ports (ul->neigh): its event socket. */
struct neigh_ul {
	struct underlay *ul;
	int fd;                 /* rtnetlink events of ul's namespace */
	struct ev_watch *w;     /* fd on the control loop */
	struct neigh_port *ports;
	bool rescan;            /* events since the last tick may have moved routes: every remote again */
};

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- a port's table: copy, change, publish when it differs ---- */

/* The table to change for np: a copy of the published one, made once per
 * round of changes (NULL: out of memory, the change is skipped). */
static struct vx_remotes *port_work(struct neigh_port *np)
{
	if (np->work == NULL)
		np->work = vx_remotes_copy(np->vx);
	return np->work;
}

/* Publish np's changed table if anything a worker reads differs. */
static void port_commit(struct neigh_port *np)
{
	const struct vx_remotes *cur = vx_remotes_get(np->vx);
	struct vx_remotes *t = np->work;

	np->work = NULL;
	if (t == NULL)
		return;
	if (cur != NULL && t->n == cur->n && memcmp(t->r, cur->r, sizeof(t->r[0]) * t->n) == 0) {
		free(t);
		return;
	}
	vx_remotes_publish(np->vx, t);
}

/* ---- one remote ---- */

/* Set r from the kernel's entry of its next hop (kstate 0: none). */
static void rem_entry(struct neigh_port *np, struct vx_remote *r, uint16_t kstate, const uint8_t *mac)
{
	struct vx_port *vx = np->vx;
	struct underlay *ul = vx->ul;

	np->rem[r->index].kstate = kstate;
	if (nl_neigh_usable(kstate) && mac != NULL) {
		memcpy(r->mac, mac, 6);
		if (vx_tmpl_build(&r->tmpl, vx->family, ul->mac, r->mac, vx->local, r->addr, vx->dstport,
				  vx->vni) == 0) {
			r->state = VX_RESOLVED;
			return;
		}
	}
	/* Bytes of a state tx never reads stay zero: tables compare whole. */
	memset(r->mac, 0, sizeof(r->mac));
	memset(&r->tmpl, 0, sizeof(r->tmpl));
	r->state = kstate & NUD_FAILED ? VX_FAILED : VX_RESOLVING;
}

/* Ask the kernel to resolve r's next hop on the underlay (NTF_USE). */
static void rem_use(struct neigh_port *np, const struct vx_remote *r, uint32_t now)
{
	struct underlay *ul = np->vx->ul;
	struct vnl_err err = { 0, "" };

	np->rem[r->index].probed = now;
	if (nl_neigh_use(ul->netns_fd, np->vx->family, r->via, (int)ul->ifindex, &err) < 0)
		LOG(DEBUG, port, "%s: %s", np->vx->port->name, err.msg);
}

/* Look r up again: route, then the next hop's entry, asking the kernel to
 * resolve it when there is none (or, with retry, when it is FAILED). */
static void rem_resolve(struct neigh_port *np, struct vx_remote *r, uint32_t now, bool retry)
{
	struct vx_port *vx = np->vx;
	struct underlay *ul = vx->ul;
	struct vnl_err err = { 0, "" };
	struct nl_route rt;
	struct nl_neigh nb;
	int rc;

	np->rem[r->index].checked = now;
	rc = nl_route_get(ul->netns_fd, vx->family, r->addr, 0, &rt, &err);
	if (rc < 0 || rt.type != RTN_UNICAST) {
		if (rc < 0)
			LOG(DEBUG, port, "%s: %s", vx->port->name, err.msg);
		rem_entry(np, r, 0, NULL);
		memcpy(r->via, r->addr, sizeof(r->via));
		r->state = VX_NO_ROUTE;
		return;
	}
	memcpy(r->via, rt.nexthop, sizeof(r->via));
	if (rt.oif != (int)ul->ifindex) {
		rem_entry(np, r, 0, NULL);
		r->state = VX_WRONG_IFACE;
		return;
	}
	rc = nl_neigh_get(ul->netns_fd, vx->family, r->via, (int)ul->ifindex, &nb, &err);
	if (rc < 0) {
		if (rc != -ENOENT)
			LOG(DEBUG, port, "%s: %s", vx->port->name, err.msg);
		nb.state = 0;
		nb.has_mac = false;
	}
	rem_entry(np, r, nb.state, nb.has_mac ? nb.mac : NULL);
	if (nb.state == NUD_NONE || (retry && (nb.state & NUD_FAILED))) {
		rem_use(np, r, now);
		if (r->state == VX_FAILED)
			r->state = VX_RESOLVING;  /* the kernel starts over */
	} else if ((nb.state & NUD_STALE) && now - np->rem[r->index].probed >= NEIGH_STALE_PROBE_S) {
		rem_use(np, r, now);
	}
}

/* Every remote of np, looked up again. */
static void port_resolve_all(struct neigh_port *np, uint32_t now)
{
	struct vx_remotes *t = port_work(np);

	for (unsigned i = 0; t != NULL && i < t->n; i++)
		rem_resolve(np, &t->r[i], now, false);
}

/* ---- the underlay: its link and its events ---- */

struct link_seen {
	int ifindex;
	bool found, up;
	unsigned mtu;
	uint8_t mac[6];
};

static void link_cb(const struct nl_link_info *info, void *arg)
{
	struct link_seen *s = arg;

	if (info->ifindex != s->ifindex)
		return;
	s->found = true;
	s->up = (info->flags & IFF_UP) && info->carrier;
	s->mtu = info->mtu;
	memcpy(s->mac, info->mac, 6);
}

/* Read the underlay's MAC, MTU and carrier again (the caller then
 * rebuilds every template: the MAC is their source). */
static void ul_link_reread(struct neigh_ul *nu)
{
	struct underlay *ul = nu->ul;
	struct link_seen s = { .ifindex = (int)ul->ifindex };
	struct vnl_err err = { 0, "" };

	if (nl_link_list(ul->netns_fd, link_cb, &s, &err) < 0) {
		LOG(DEBUG, port, "%s: %s", ul->name, err.msg);
		return;
	}
	if (s.found) {
		memcpy(ul->mac, s.mac, 6);
		if (s.mtu)
			ul->mtu = s.mtu;
	}
	if (ul->port != NULL)
		atomic_store(&ul->port->up, s.up);
	for (struct neigh_port *np = nu->ports; np != NULL; np = np->next)
		atomic_store(&np->vx->port->up, s.up);
	LOG(DEBUG, port, "%s: link %s, mtu %u", ul->name, s.up ? "up" : "down", ul->mtu);
}

/* What one read of the event socket asks for. */
struct ev_round {
	struct neigh_ul *nu;
	uint32_t now;
	bool link;    /* the underlay's link changed */
	bool all;     /* routes may have moved: every remote again (at the next tick) */
};

/* Whether prefix p/len holds address a (alen bytes). */
static bool prefix_has(const uint8_t *p, unsigned len, const uint8_t *a, unsigned alen)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (len > alen * 8)
		return true;  /* not a prefix of this family: assume it matters */
	if (memcmp(p, a, bytes) != 0)
		return false;
	return bits == 0 || ((p[bytes] ^ a[bytes]) & (uint8_t)(0xff00 >> bits)) == 0;
}

/* Whether a route event can change the kernel's route to a remote of the
 * underlay: its destination prefix holds one (in any table: a rule may
 * send the lookup to any, and rules are not watched). A route elsewhere
 * changes no answer our lookups get; the next hop's own route does not
 * either (a gateway is checked when its route is made). */
static bool route_matters(const struct neigh_ul *nu, const struct nl_event *ev)
{
	for (const struct neigh_port *np = nu->ports; np != NULL; np = np->next) {
		const struct vx_remotes *cur = vx_remotes_get(np->vx);
		unsigned alen = addr_len(np->vx->family);

		for (unsigned i = 0; np->vx->family == ev->family && cur != NULL && i < cur->n; i++)
			if (prefix_has(ev->dst, ev->dst_len, cur->r[i].addr, alen))
				return true;
	}
	return false;
}

/* A neighbour event about (family, addr) on the underlay: the remotes
 * whose next hop it is take the new entry (a deleted one is asked for
 * again unless it had failed: a dead next hop is retried by the tick). */
static void on_neigh(struct ev_round *rd, const struct nl_event *ev)
{
	for (struct neigh_port *np = rd->nu->ports; np != NULL; np = np->next) {
		const struct vx_remotes *cur = vx_remotes_get(np->vx);
		unsigned alen = addr_len(np->vx->family);

		if (np->vx->family != ev->family || cur == NULL)
			continue;
		for (unsigned i = 0; i < cur->n; i++) {
			const struct vx_remote *c = &cur->r[i];
			struct vx_remotes *t;
			struct vx_remote *r;

			if (c->state == VX_NO_ROUTE || c->state == VX_WRONG_IFACE ||
			    memcmp(c->via, ev->neigh.addr, alen) != 0 || (t = port_work(np)) == NULL)
				continue;
			r = &t->r[i];
			if (ev->type == RTM_NEWNEIGH)
				rem_entry(np, r, ev->neigh.state, ev->neigh.has_mac ? ev->neigh.mac : NULL);
			else if (r->state == VX_FAILED)
				rem_entry(np, r, NUD_FAILED, NULL);
			else
				rem_resolve(np, r, rd->now, false);
		}
	}
}

static void on_event(const struct nl_event *ev, void *arg)
{
	struct ev_round *rd = arg;
	int ifindex = (int)rd->nu->ul->ifindex;

	switch (ev->type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (ev->ifindex == ifindex)
			on_neigh(rd, ev);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		/* Another link's state too (AF_UNSPEC: not IPv6's or a bridge's
		 * per-family news): IPv4 drops the routes of a link that goes
		 * down without a route event. */
		if (ev->ifindex == ifindex)
			rd->link = rd->all = true;
		else
			rd->all |= ev->family == AF_UNSPEC;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		rd->all |= route_matters(rd->nu, ev);
		break;
	default:
		/* Addresses: the underlay's own, and any deletion: the kernel
		 * drops the routes that used a deleted IPv4 address (its
		 * prefix route, routes with it as source) without a route
		 * event. New addresses elsewhere bring their routes as events. */
		rd->all |= ev->ifindex == ifindex || ev->type == RTM_DELADDR;
		break;
	}
}

static void on_events(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct ev_round rd = { .nu = arg, .now = dp_now() };
	struct vnl_err err = { 0, "" };
	int r;

	(void)w, (void)events;
	r = nl_events_read(fd, on_event, &rd, &err);
	if (r == -ENOBUFS)
		rd.link = rd.all = true;  /* notifications lost: read everything again */
	else if (r < 0)
		LOG(DEBUG, port, "%s: %s", rd.nu->ul->name, err.msg);
	if (rd.link)
		ul_link_reread(rd.nu);
	/* A burst of route events (a routing daemon, a lab being built) is
	 * one rescan, at the next tick (ul_rescan). */
	rd.nu->rescan |= rd.all;
	for (struct neigh_port *np = rd.nu->ports; np != NULL; np = np->next)
		port_commit(np);
}

/* The rescan events asked for since the last tick: every remote of every
 * port of the underlay, looked up again and published. */
static void ul_rescan(struct neigh_ul *nu, uint32_t now)
{
	nu->rescan = false;
	nu->ul->neigh_rescans++;
	for (struct neigh_port *np = nu->ports; np != NULL; np = np->next) {
		port_resolve_all(np, now);
		port_commit(np);
	}
}

static void nu_free(struct neigh_ul *nu)
{
	ev_del(nu->w);
	if (nu->fd >= 0)
		close(nu->fd);
	nu->ul->neigh = NULL;
	free(nu);
}

/* The underlay's state in *out, made with its event socket on first use.
 * 0 or -errno + err. */
static int nu_get(struct underlay *ul, struct neigh_ul **out, struct vnl_err *err)
{
	static const unsigned groups[] = { RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
					   RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR };
	struct neigh_ul *nu = ul->neigh;
	int r;

	if (nu != NULL) {
		*out = nu;
		return 0;
	}
	nu = calloc(1, sizeof(*nu));
	if (nu == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	nu->ul = ul;
	nu->fd = nl_events_open(ul->netns_fd, groups, RTE_DIM(groups), err);
	if (nu->fd < 0) {
		r = nu->fd;
		free(nu);
		return vnl_err_wrap(err, "%s", ul->name), r;
	}
	/* No loop outside the switch proper (unit harnesses): no events, the tick still works. */
	if (control_loop() != NULL) {
		nu->w = ev_fd_add(control_loop(), nu->fd, EPOLLIN, on_events, nu);
		if (nu->w == NULL) {
			r = -errno;
			close(nu->fd);
			free(nu);
			return vnl_errno(err, r, "%s: watching its netlink events", ul->name);
		}
	}
	ul->neigh = nu;
	*out = nu;
	return 0;
}

/* ---- neigh.h ---- */

int neigh_port_add(struct vx_port *vx, struct vnl_err *err)
{
	struct neigh_port *np = calloc(1, sizeof(*np));
	struct neigh_ul *nu = NULL;
	int r;

	if (np == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	r = nu_get(vx->ul, &nu, err);
	if (r < 0) {
		free(np);
		return r;
	}
	np->vx = vx;
	np->nu = nu;
	np->next = nu->ports;
	nu->ports = np;
	vx->neigh = np;
	/* The event socket is open first: no change is missed meanwhile. */
	port_resolve_all(np, dp_now());
	port_commit(np);
	return 0;
}

void neigh_port_del(struct vx_port *vx)
{
	struct neigh_port *np = vx->neigh, **pp;
	struct neigh_ul *nu;

	if (np == NULL)
		return;
	nu = np->nu;
	for (pp = &nu->ports; *pp != NULL && *pp != np; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = np->next;
	free(np->work);
	free(np);
	vx->neigh = NULL;
	if (nu->ports == NULL)
		nu_free(nu);
}

/* An index for a new remote (one is free: n <= 32), with what frames an
 * impairment holds back may have left under it (port_vxlan.h, "Remote
 * indexes"): the lowest one not freed by this call (gone), else the lowest
 * free; one freed before loses the FDB entries those frames made since. */
static uint8_t rem_index(struct neigh_port *np, uint32_t gone)
{
	struct vx_port *vx = np->vx;
	uint32_t avail = ~vx->used & ~gone;
	uint8_t idx = (uint8_t)__builtin_ctz(avail ? avail : ~vx->used);

	if (np->freed & (1u << idx))
		fdb_flush_remote(reg.fdb, vx->port->slot, idx);
	np->freed &= ~(1u << idx);
	return idx;
}

/* The remote of t with address a, or NULL. */
static const struct vx_remote *rem_find(const struct vx_remotes *t, const uint8_t *a, unsigned alen)
{
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		if (memcmp(t->r[i].addr, a, alen) == 0)
			return &t->r[i];
	return NULL;
}

int neigh_port_set(struct vx_port *vx, const uint8_t (*addrs)[16], unsigned n, struct vnl_err *err)
{
	struct neigh_port *np = vx->neigh;
	const struct vx_remotes *cur = vx_remotes_get(vx);
	struct vx_remotes *kept, *next;
	unsigned alen = addr_len(vx->family), nk = 0;
	uint32_t now = dp_now(), stay = 0, gone;

	if (np == NULL || n > VX_REMOTES_MAX)
		return vnl_errf(err, -EINVAL, "port '%s' takes no remote list", vx->port->name);
	kept = calloc(1, sizeof(*kept));
	next = calloc(1, sizeof(*next));
	if (kept == NULL || next == NULL) {
		free(kept);
		free(next);
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++) {
		const struct vx_remote *o = rem_find(cur, addrs[i], alen);

		if (o != NULL) {
			kept->r[nk++] = *o;
			stay |= 1u << o->index;
		}
	}
	kept->n = (uint8_t)nk;
	gone = vx->used & ~stay;
	/* Removed remotes first, so their indexes are free for the new ones:
	 * no worker holds them once the table without them is published. */
	if (gone) {
		vx_remotes_publish(vx, kept);
		for (unsigned idx = 0; idx < VX_REMOTES_MAX; idx++) {
			if (!(gone & (1u << idx)))
				continue;
			fdb_flush_remote(reg.fdb, vx->port->slot, (uint16_t)idx);
			vx_remote_stats_zero(vx, idx);
			memset(&np->rem[idx], 0, sizeof(np->rem[idx]));
		}
		vx->used = stay;
		np->freed |= gone;
		cur = kept;
	} else {
		free(kept);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct vx_remote *o = rem_find(cur, addrs[i], alen);
		struct vx_remote *r = &next->r[i];

		if (o != NULL) {
			*r = *o;
			continue;
		}
		r->index = rem_index(np, gone);
		vx->used |= 1u << r->index;
		memcpy(r->addr, addrs[i], alen);
		memcpy(r->via, addrs[i], alen);
		memset(&np->rem[r->index], 0, sizeof(np->rem[r->index]));
		rem_resolve(np, r, now, false);
	}
	next->n = (uint8_t)n;
	vx_remotes_publish(vx, next);
	return 0;
}

void neigh_port_zero(struct vx_port *vx)
{
	for (unsigned idx = 0; idx < VX_REMOTES_MAX; idx++)
		if (vx->used & (1u << idx))
			vx_remote_stats_zero(vx, idx);
}

void neigh_port_tick(struct vx_port *vx)
{
	struct neigh_port *np = vx->neigh;
	const struct vx_remotes *cur;
	uint32_t now = dp_now();

	/* The underlay's first port at this tick runs its pending rescan. */
	if (np != NULL && np->nu->rescan)
		ul_rescan(np->nu, now);
	cur = vx_remotes_get(vx);
	for (unsigned i = 0; np != NULL && cur != NULL && i < cur->n; i++) {
		const struct vx_remote *c = &cur->r[i];
		struct neigh_rem *nr = &np->rem[c->index];
		struct vx_remotes *t;
		uint64_t v[VXR_MAX], last_rx;
		bool dropping;

		if (c->state == VX_RESOLVED) {
			if ((nr->kstate & NUD_STALE) && now - nr->probed >= NEIGH_STALE_PROBE_S)
				rem_use(np, c, now);
			continue;
		}
		if (now - nr->checked < NEIGH_RETRY_S)
			continue;
		vx_remote_stats_read(vx, c->index, v, &last_rx);
		dropping = v[VXR_drop_no_neigh] != nr->drops;
		nr->drops = v[VXR_drop_no_neigh];
		if ((c->state == VX_RESOLVING || dropping) && (t = port_work(np)) != NULL)
			rem_resolve(np, &t->r[i], now, true);
	}
	if (np != NULL)
		port_commit(np);
}
