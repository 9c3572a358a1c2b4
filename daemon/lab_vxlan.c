/* SPDX-License-Identifier: GPL-2.0-only */
/* The vxlan steps of a LAN: underlay, MTU decision, switch port (lab_vxlan.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "lab.h"
#include "log.h"
#include "nl.h"

LOG_SUBSYS("lab");

/* ---- the kernel, as vnld reaches it (lab.h's seam otherwise) ---- */

struct link_find {
	const char *name;	/* by name, or */
	int ifindex;		/* by index */
	char found[16];
	unsigned mtu;
};

static void link_match(const struct nl_link_info *info, void *arg)
{
	struct link_find *f = arg;

	if ((f->name && !strcmp(info->name, f->name)) || (!f->name && info->ifindex == f->ifindex)) {
		snprintf(f->found, sizeof(f->found), "%s", info->name);
		f->mtu = info->mtu;
	}
}

static int nl_find(struct link_find *f, struct vnl_err *err)
{
	int r = nl_link_list(-1, link_match, f, err);

	if (r == 0 && !f->found[0])
		r = f->name ? vnl_errf(err, -ENODEV, "no interface %s here", f->name)
			    : vnl_errf(err, -ENODEV, "no interface of index %d here", f->ifindex);
	return r;
}

static int nl_route_iface(int family, const uint8_t dst[16], char iface[16], struct vnl_err *err)
{
	struct link_find f = { 0 };
	struct nl_route rt;
	int r;

	if ((r = nl_route_get(-1, family, dst, 0, &rt, err)) < 0)
		return r;
	if (rt.type != RTN_UNICAST)
		return vnl_errf(err, -EHOSTUNREACH, "the route is not to another host (type %u)", rt.type);
	f.ifindex = rt.oif;
	if ((r = nl_find(&f, err)) < 0)
		return r;
	snprintf(iface, 16, "%s", f.found);
	return 0;
}

static int nl_get_mtu(const char *iface, struct vnl_err *err)
{
	struct link_find f = { .name = iface };
	int r = nl_find(&f, err);

	return r < 0 ? r : (int)f.mtu;
}

static int nl_set_mtu(const char *iface, unsigned mtu, struct vnl_err *err)
{
	return nl_link_set_mtu(-1, iface, mtu, err);
}

static const struct lab_underlay_ops nl_ops = { nl_route_iface, nl_get_mtu, nl_set_mtu };

static const struct lab_underlay_ops *ops(const struct lab *l)
{
	return l->ul ? l->ul : &nl_ops;
}

/* ---- names and runtime ---- */

void lab_vx_port_name(const char *lan, char *buf, size_t size)
{
	snprintf(buf, size, "%s:vxlan", lan);
}

const struct topo_lan *lab_vx_port_lan(const struct lab *l, const char *port)
{
	const char *colon = strchr(port, ':');
	const struct topo_lan *lan;
	char name[TOPO_NAME_MAX + 1];

	if (colon == NULL || strcmp(colon, ":vxlan") || colon - port > TOPO_NAME_MAX)
		return NULL;
	snprintf(name, sizeof(name), "%.*s", (int)(colon - port), port);
	lan = topo_find_lan(l->topo, name);
	return lan && lan->vx.vni ? lan : NULL;
}

struct lab_vxrt *lab_vx_rt(const struct lab *l, const char *lan)
{
	for (unsigned i = 0; i < LAB_VX_MAX; i++)
		if (l->vx[i].lan[0] && !strcmp(l->vx[i].lan, lan))
			return (struct lab_vxrt *)&l->vx[i];
	return NULL;
}

int lab_vx_keep(struct lab *l, const struct lab_vxrt *rt, struct vnl_err *err)
{
	struct lab_vxrt *slot = lab_vx_rt(l, rt->lan);

	for (unsigned i = 0; i < LAB_VX_MAX && slot == NULL; i++)
		if (!l->vx[i].lan[0])
			slot = &l->vx[i];
	if (slot == NULL)
		return vnl_errf(err, -ENOSPC, "LAN %s: a lab has at most %d vxlan LANs", rt->lan, LAB_VX_MAX);
	*slot = *rt;
	return 0;
}

/* The largest MTU the lab's vxlan LANs on iface need of it (0: none is
 * on it): each LAN's mtu and overhead. */
static unsigned iface_need(const struct lab *l, const char *iface)
{
	unsigned need = 0;

	for (unsigned i = 0; i < LAB_VX_MAX; i++) {
		const struct lab_vxrt *rt = &l->vx[i];
		unsigned n = rt->mtu + topo_vxlan_overhead(rt->family);

		if (rt->lan[0] && !strcmp(rt->iface, iface) && n > need)
			need = n;
	}
	return need;
}

static struct state_mtu *raised(struct lab *l, const char *iface)
{
	for (unsigned i = 0; i < l->n_raised; i++)
		if (!strcmp(l->raised[i].iface, iface))
			return &l->raised[i];
	return NULL;
}

static void raised_drop(struct lab *l, struct state_mtu *m)
{
	*m = l->raised[--l->n_raised];
}

static void raised_save(struct lab *l)
{
	struct vnl_err e;

	if (state_save_mtus(l->state_dir, l->raised, l->n_raised, &e) < 0)
		log_error("recording the raised underlay MTUs: %s", e.msg);
}

void lab_vx_open(struct lab *l)
{
	l->n_raised = state_load_mtus(l->state_dir, l->raised, LAB_VX_MAX);
}

/* ---- the MTU decision (lab_vxlan.h) ---- */

static int decide(struct lab *l, const struct topo_lan *lan, struct lab_vxrt *rt, struct vnl_err *err)
{
	const struct topo_vxlan *vx = &lan->vx;
	char text[TOPO_VXLAN_ADDR_LEN];
	const struct state_mtu *m;
	unsigned ov, ceiling, base;
	int u, r;

	memset(rt, 0, sizeof(*rt));
	snprintf(rt->lan, sizeof(rt->lan), "%s", lan->name);
	rt->family = vx->family ? vx->family : AF_INET;
	ov = topo_vxlan_overhead(rt->family);
	ceiling = rt->family == AF_INET6 ? TOPO_VXLAN_MTU_MAX6 : TOPO_VXLAN_MTU_MAX4;
	if (vx->underlay[0])
		snprintf(rt->iface, sizeof(rt->iface), "%s", vx->underlay);
	else if (vx->n_remote == 0)
		return vnl_errf(err, -EINVAL, "LAN %s: vxlan without a remote needs an underlay (the interface "
				"to its remotes)", lan->name);
	else if ((r = ops(l)->route(rt->family, vx->remote[0], rt->iface, err)) < 0)
		return vnl_err_wrap(err, "LAN %s: vxlan: finding the underlay to remote %s", lan->name,
				    topo_vxlan_addr_text(rt->family, vx->remote[0], text)), r;
	if ((u = ops(l)->get_mtu(rt->iface, err)) < 0)
		return vnl_err_wrap(err, "LAN %s: vxlan: underlay %s", lan->name, rt->iface), u;
	rt->underlay_mtu = rt->had = (unsigned)u;
	/* An underlay the lab raised before (another LAN, a vnld restart):
	 * what it had then. A LAN without an mtu takes it from that, as on a
	 * fresh host, so it never keeps another LAN's raise. */
	m = raised(l, rt->iface);
	base = m ? m->orig : (unsigned)u;
	if (lan->mtu == 0) {
		if (base < TOPO_LAN_MTU_MIN + ov)
			return vnl_errf(err, -ERANGE, "LAN %s: vxlan: underlay %s has mtu %u, less than %u + %u", lan->name,
					rt->iface, base, TOPO_LAN_MTU_MIN, ov);
		rt->why = LAB_VX_LOWERED;
		rt->mtu = base - ov < ceiling ? base - ov : ceiling;
	} else if (lan->mtu + ov <= base) {
		rt->why = LAB_VX_GIVEN;
		rt->mtu = lan->mtu;
	} else {
		rt->why = LAB_VX_RAISED;
		rt->mtu = lan->mtu;
		rt->raised_from = m ? m->orig : (unsigned)u;
		rt->underlay_mtu = lan->mtu + ov > (unsigned)u ? lan->mtu + ov : (unsigned)u;
	}
	return 0;
}

/* rt needs its underlay raised now (not by an earlier raise). */
static bool must_raise(const struct lab_vxrt *rt)
{
	return rt->why == LAB_VX_RAISED && rt->underlay_mtu != rt->had;
}

/* Raise rt's underlay (must_raise), recorded. */
static int raise_mtu(struct lab *l, const struct lab_vxrt *rt, struct vnl_err *err)
{
	struct state_mtu *m = raised(l, rt->iface);
	int r;

	if ((r = ops(l)->set_mtu(rt->iface, rt->underlay_mtu, err)) < 0)
		return vnl_err_wrap(err, "LAN %s: mtu %u over vxlan needs underlay %s at mtu %u (it has %u)", rt->lan,
				    rt->mtu, rt->iface, rt->underlay_mtu, rt->had), r;
	if (m == NULL && l->n_raised < LAB_VX_MAX) {
		m = &l->raised[l->n_raised++];
		snprintf(m->iface, sizeof(m->iface), "%s", rt->iface);
		m->orig = rt->had;
	}
	if (m)
		m->now = rt->underlay_mtu;
	raised_save(l);
	/* Not logged: `vnl show` says it, with the LAN. */
	return 0;
}

/* Undo raise_mtu; the record goes when no other vxlan LAN is on the interface. */
static void unraise(struct lab *l, const struct lab_vxrt *rt)
{
	struct state_mtu *m = raised(l, rt->iface);
	struct vnl_err e;
	int r = ops(l)->set_mtu(rt->iface, rt->had, &e);

	lab_undo_failed(l, r, &e, false);
	if (r < 0)	/* kept: the next vnld start puts it back */
		return;
	if (m && m->orig == rt->had)
		raised_drop(l, m);
	else if (m)
		m->now = rt->had;
	raised_save(l);
}

/* An underlay whose vxlan LANs no longer need the raise gets its MTU back
 * (only a raised LAN needs more than the original: decide). */
static void restore_unused(struct lab *l)
{
	for (unsigned i = l->n_raised; i-- > 0;) {
		struct state_mtu *m = &l->raised[i];
		struct vnl_err e;

		if (iface_need(l, m->iface) > m->orig)
			continue;
		/* Kept on failure: `vnld --cleanup` tries again (scavenge.h). */
		if (ops(l)->set_mtu(m->iface, m->orig, &e) < 0) {
			log_warning("underlay %s: putting its mtu back to %u: %s", m->iface, m->orig, e.msg);
			continue;
		}
		raised_drop(l, m);
		raised_save(l);
	}
}

void lab_vx_forget(struct lab *l, const char *lan)
{
	struct lab_vxrt *rt = lab_vx_rt(l, lan);

	if (rt)
		rt->lan[0] = '\0';
	restore_unused(l);
}

/* ---- switch objects ---- */

void lab_vx_req_json(const struct topo_vxlan *vx, struct json_object *o)
{
	struct json_object *rem = json_object_new_array();
	char text[TOPO_VXLAN_ADDR_LEN];

	json_object_object_add(o, "vni", json_object_new_int((int)vx->vni));
	for (unsigned i = 0; i < vx->n_remote; i++)
		json_object_array_add(rem, json_object_new_string(topo_vxlan_addr_text(vx->family, vx->remote[i], text)));
	json_object_object_add(o, "remote", rem);
	if (vx->underlay[0])
		json_object_object_add(o, "underlay", json_object_new_string(vx->underlay));
	if (vx->has_local)
		json_object_object_add(o, "local", json_object_new_string(topo_vxlan_addr_text(vx->family, vx->local, text)));
	if (vx->dstport)
		json_object_object_add(o, "dstport", json_object_new_int((int)vx->dstport));
}

/* port-add of lan's vxlan port through rt's underlay, then attach; undo
 * of a failed attach: port-del. As an undo step itself (undo): both
 * requests always, no undo of its own (the first error returned). */
static int sw_port(struct lab *l, const struct topo_lan *lan, const struct lab_vxrt *rt, bool undo, struct vnl_err *err)
{
	struct json_object *req = json_object_new_object();
	char port[TOPO_NAME_MAX + 8];
	struct vnl_err e;
	int r;

	lab_vx_port_name(lan->name, port, sizeof(port));
	json_object_object_add(req, "cmd", json_object_new_string("port-add"));
	json_object_object_add(req, "name", json_object_new_string(port));
	json_object_object_add(req, "kind", json_object_new_string("vxlan"));
	lab_vx_req_json(&lan->vx, req);
	json_object_object_del(req, "underlay");
	json_object_object_add(req, "iface", json_object_new_string(rt->iface));
	json_object_object_add(req, "dstport", json_object_new_int((int)topo_vxlan_dstport(&lan->vx)));
	r = lab_switch_call(&l->sw, req, NULL, err);
	json_object_put(req);
	if (r == -ENOTCONN)
		return 0;
	if (r < 0 && undo) {
		lab_switch_cmd(&l->sw, NULL, "attach", "port", port, "lan", lan->name, NULL);
		return r;
	}
	if (r < 0)
		return vnl_err_wrap(err, "adding switch port %s", port), r;
	r = lab_sw_step(lab_switch_cmd(&l->sw, err, "attach", "port", port, "lan", lan->name, NULL));
	if (r < 0 && !undo) {
		vnl_err_wrap(err, "attaching switch port %s to %s", port, lan->name);
		lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL), &e, true);
	}
	return r;
}

static void sw_port_del(struct lab *l, const char *lan)
{
	char port[TOPO_NAME_MAX + 8];
	struct vnl_err e;

	lab_vx_port_name(lan, port, sizeof(port));
	lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL), &e, true);
}

int lab_vx_add(struct lab *l, const struct topo_lan *lan, struct lab_vxrt *rt, struct vnl_err *err)
{
	struct vnl_err e;
	int r;

	if ((r = decide(l, lan, rt, err)) < 0)
		return r;
	if (must_raise(rt) && (r = raise_mtu(l, rt, err)) < 0)
		return r;
	if ((r = lab_sw_step(lab_sw_lan_add(l, lan->name, rt->mtu, err))) < 0) {
		vnl_err_wrap(err, "adding LAN %s to the switch", lan->name);
		goto out_raise;
	}
	if ((r = sw_port(l, lan, rt, false, err)) < 0)
		goto out_lan;
	return 0;
out_lan:
	lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "lan-del", "name", lan->name, NULL), &e, true);
out_raise:
	if (must_raise(rt))
		unraise(l, rt);
	return r;
}

void lab_vx_undo(struct lab *l, const struct topo_lan *lan, const struct lab_vxrt *rt)
{
	struct vnl_err e;

	sw_port_del(l, lan->name);
	lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "lan-del", "name", lan->name, NULL), &e, true);
	if (must_raise(rt))
		unraise(l, rt);
}

/* ---- lan-set ---- */

/* vxlan-set of lan's port: its remotes those of vx. */
static int sw_remotes(struct lab *l, const char *lan, const struct topo_vxlan *vx, struct vnl_err *err)
{
	struct json_object *req = json_object_new_object(), *tmp = json_object_new_object(), *rem;
	char port[TOPO_NAME_MAX + 8];
	int r;

	lab_vx_port_name(lan, port, sizeof(port));
	json_object_object_add(req, "cmd", json_object_new_string("vxlan-set"));
	json_object_object_add(req, "name", json_object_new_string(port));
	lab_vx_req_json(vx, tmp);
	if (json_object_object_get_ex(tmp, "remote", &rem))
		json_object_object_add(req, "remote", json_object_get(rem));
	json_object_put(tmp);
	r = lab_sw_step(lab_switch_call(&l->sw, req, NULL, err));
	json_object_put(req);
	if (r < 0)
		vnl_err_wrap(err, "setting the remotes of switch port %s", port);
	return r;
}

/* a and b differ at most in their remotes, and b's are of the family of
 * a's switch port (port_family: a port left without remotes keeps the
 * family it was made with; another one needs a new port). */
static bool remotes_only(const struct topo_lan *a, const struct topo_lan *b, int port_family)
{
	struct topo_vxlan x = a->vx;

	if (a->mtu != b->mtu || !a->vx.vni || !b->vx.vni)
		return false;
	x.n_remote = b->vx.n_remote;
	memcpy(x.remote, b->vx.remote, sizeof(x.remote));
	if (b->vx.n_remote)
		x.family = b->vx.family;
	return topo_vxlan_equal(&x, &b->vx) && (!b->vx.n_remote || b->vx.family == port_family);
}

/* LAN `lan` has a link. */
static bool has_links(const struct lab *l, const char *lan)
{
	for (unsigned i = 0; i < l->topo->n_links; i++)
		if (!strcmp(l->topo->links[i].lan, lan))
			return true;
	return false;
}

/* The switch side of a LAN going from (old, ort) to (want, nrt): the old
 * vxlan port out, the LAN made again when its mtu changes, the new port
 * in. A failure puts the old ones back. */
static int sw_rebuild(struct lab *l, const struct topo_lan *old, const struct lab_vxrt *ort, const struct topo_lan *want,
		      const struct lab_vxrt *nrt, unsigned old_mtu, unsigned new_mtu, struct vnl_err *err)
{
	char port[TOPO_NAME_MAX + 8];
	struct vnl_err e;
	int r = 0;

	lab_vx_port_name(old->name, port, sizeof(port));
	if (old->vx.vni && (r = lab_switch_cmd(&l->sw, err, "port-del", "name", port, NULL)) < 0 && !lab_sw_gone(r, err))
		return vnl_err_wrap(err, "deleting switch port %s", port), r;
	r = 0;
	if (old_mtu != new_mtu) {
		r = lab_switch_cmd(&l->sw, err, "lan-del", "name", old->name, NULL);
		if (r < 0 && !lab_sw_gone(r, err)) {
			vnl_err_wrap(err, "deleting LAN %s from the switch", old->name);
			goto out_port;
		}
		if ((r = lab_sw_step(lab_sw_lan_add(l, want->name, new_mtu, err))) < 0) {
			vnl_err_wrap(err, "making LAN %s again with mtu %u", want->name, new_mtu);
			goto out_old_lan;
		}
	}
	if (want->vx.vni && (r = sw_port(l, want, nrt, false, err)) < 0)
		goto out_lan;
	return 0;
out_lan:
	if (old_mtu != new_mtu)
		lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "lan-del", "name", want->name, NULL), &e, true);
out_old_lan:
	if (old_mtu != new_mtu)
		lab_undo_failed(l, lab_sw_step(lab_sw_lan_add(l, old->name, old_mtu, &e)), &e, true);
out_port:
	if (old->vx.vni && ort)
		lab_undo_failed(l, sw_port(l, old, ort, true, &e), &e, true);
	return r;
}

int lab_lan_set(struct lab *l, const struct topo_lan *want, struct vnl_err *err)
{
	struct topo_lan *cur = topo_find_lan(l->topo, want->name), old, n = *want;
	struct lab_vxrt nrt = { 0 }, ort = { 0 }, *has;
	unsigned old_mtu, new_mtu;
	bool had_rt;
	int r;

	if (cur == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", want->name, l->name);
	old = *cur;
	n.line = old.line;
	n.column = old.column;
	if (n.vx.dstport == TOPO_VXLAN_DSTPORT_DEF)
		n.vx.dstport = 0;
	if ((r = topo_vxlan_check(&n, 0, 0, err)) < 0)
		return r;
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		const struct topo_lan *o = &l->topo->lans[i];

		if (o != cur && n.vx.vni && o->vx.vni == n.vx.vni && n.vx.underlay[0] && !strcmp(o->vx.underlay, n.vx.underlay))
			return vnl_errf(err, -EEXIST, "LAN %s: vxlan: vni %u on underlay %s is taken by LAN %s", n.name,
					n.vx.vni, n.vx.underlay, o->name);
	}
	if (old.mtu == n.mtu && topo_vxlan_equal(&old.vx, &n.vx))
		return 0;
	has = lab_vx_rt(l, n.name);
	if (remotes_only(&old, &n, has ? has->family : old.vx.family ? old.vx.family : AF_INET)) {
		if ((r = sw_remotes(l, n.name, &n.vx, err)) < 0)
			return r;
		if ((r = topo_lan_replace(l->topo, cur, &n, err)) == 0 && (r = lab_save(l, err)) < 0)
			topo_lan_replace(l->topo, topo_find_lan(l->topo, n.name), &old, NULL);
		if (r < 0) {
			struct vnl_err e;

			lab_undo_failed(l, sw_remotes(l, n.name, &old.vx, &e), &e, true);
			return r;
		}
		lab_emit_lan(l, "lan-changed", n.name);
		return 0;
	}
	if ((has = lab_vx_rt(l, n.name)) != NULL)
		ort = *has;
	had_rt = has != NULL;
	old_mtu = lab_lan_mtu(l, cur);
	if (n.vx.vni && (r = decide(l, &n, &nrt, err)) < 0)
		return r;
	new_mtu = n.vx.vni ? nrt.mtu : topo_lan_mtu(&n);
	if (new_mtu != old_mtu && has_links(l, n.name))
		return vnl_errf(err, -EBUSY, "LAN %s: its mtu would change from %u to %u under its links (vnl unlink "
				"them first, or give --mtu %u)", n.name, old_mtu, new_mtu, old_mtu);
	if (must_raise(&nrt) && (r = raise_mtu(l, &nrt, err)) < 0)
		return r;
	if ((r = sw_rebuild(l, &old, had_rt ? &ort : NULL, &n, &nrt, old_mtu, new_mtu, err)) < 0)
		goto out_raise;
	if ((r = topo_lan_replace(l->topo, cur, &n, err)) == 0 && (r = lab_save(l, err)) < 0)
		topo_lan_replace(l->topo, topo_find_lan(l->topo, n.name), &old, NULL);
	if (r == 0 && n.vx.vni && (r = lab_vx_keep(l, &nrt, err)) < 0) {
		topo_lan_replace(l->topo, topo_find_lan(l->topo, n.name), &old, NULL);
		lab_save(l, NULL);
	}
	if (r < 0) {
		struct vnl_err e;

		lab_undo_failed(l, sw_rebuild(l, &n, n.vx.vni ? &nrt : NULL, &old, had_rt ? &ort : NULL, new_mtu,
					      old_mtu, &e), &e, true);
		goto out_raise;
	}
	if (!n.vx.vni && (has = lab_vx_rt(l, n.name)) != NULL)
		has->lan[0] = '\0';
	restore_unused(l);
	lab_emit_lan(l, "lan-changed", n.name);
	return 0;
out_raise:
	if (must_raise(&nrt)) {
		/* The old runtime stays: the interface's record with it. */
		unraise(l, &nrt);
	}
	return r;
}

/* ---- push, recover, show ---- */

/* The `remotes` array of a show-ports object, or NULL. */
static struct json_object *vnl_remotes(struct json_object *p)
{
	struct json_object *r;

	return json_object_object_get_ex(p, "remotes", &r) && json_object_is_type(r, json_type_array) ? r : NULL;
}

/* The switch's remotes (`ip` of each, in any order) are lan's. */
static bool same_remotes(const struct topo_lan *lan, struct json_object *rem)
{
	size_t n = rem ? json_object_array_length(rem) : 0;

	if (rem == NULL || n != lan->vx.n_remote)
		return rem == NULL;	/* a switch that does not say: left as it is */
	for (size_t i = 0; i < n; i++) {
		struct json_object *ip;
		uint8_t a[16];
		int family;
		bool found = false;

		if (!json_object_object_get_ex(json_object_array_get_idx(rem, i), "ip", &ip) ||
		    topo_vxlan_parse_addr(json_object_get_string(ip), "", 0, 0, &family, a, NULL) < 0)
			return false;
		for (unsigned k = 0; k < lan->vx.n_remote && !found; k++)
			found = !memcmp(lan->vx.remote[k], a, 16);
		if (!found)
			return false;
	}
	return true;
}

void lab_vx_push(struct lab *l, struct json_object *ports)
{
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		const struct topo_lan *lan = &l->topo->lans[i];
		const struct lab_vxrt *rt = lab_vx_rt(l, lan->name);
		char port[TOPO_NAME_MAX + 8];
		bool have = false;
		struct vnl_err e;

		if (lan->vx.vni == 0)
			continue;
		lab_vx_port_name(lan->name, port, sizeof(port));
		for (size_t j = 0; ports && j < json_object_array_length(ports) && !have; j++) {
			struct json_object *p = json_object_array_get_idx(ports, j), *name;

			have = json_object_object_get_ex(p, "name", &name) && !strcmp(json_object_get_string(name), port);
			/* An adopted switch may hold remotes a vnld killed in a
			 * lan-set never saved: the model's. */
			if (have && !same_remotes(lan, vnl_remotes(p)) && sw_remotes(l, lan->name, &lan->vx, &e) < 0)
				log_error("pushing the remotes of LAN %s: %s", lan->name, e.msg);
		}
		if (have)
			continue;
		if (rt == NULL)
			log_error("pushing LAN %s: its vxlan has no underlay decided (see vnld's start)", lan->name);
		else if (sw_port(l, lan, rt, false, &e) < 0)
			log_error("pushing LAN %s: %s", lan->name, e.msg);
	}
}

void lab_vx_recover(struct lab *l)
{
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		const struct topo_lan *lan = &l->topo->lans[i];
		struct lab_vxrt rt;
		struct vnl_err e;

		if (lan->vx.vni == 0)
			continue;
		if (decide(l, lan, &rt, &e) < 0 ||
		    (must_raise(&rt) && raise_mtu(l, &rt, &e) < 0) || lab_vx_keep(l, &rt, &e) < 0)
			log_error("%s", e.msg);
	}
	/* A raise recorded for a LAN that never got saved (a crash): undone. */
	restore_unused(l);
}

static const char *const why_word[] = { [LAB_VX_GIVEN] = "given", [LAB_VX_LOWERED] = "lowered",
					[LAB_VX_RAISED] = "raised" };

void lab_vx_json(struct lab *l, const struct topo_lan *lan, struct json_object *o)
{
	struct json_object *vx = json_object_new_object(), *req, *reply = NULL, *list, *p;
	const struct lab_vxrt *rt = lab_vx_rt(l, lan->name);
	char port[TOPO_NAME_MAX + 8];
	struct vnl_err e;

	lab_vx_req_json(&lan->vx, vx);
	json_object_object_add(vx, "dstport", json_object_new_int((int)topo_vxlan_dstport(&lan->vx)));
	/* The port's (a LAN left without remotes has none of its own). */
	json_object_object_add(vx, "family", json_object_new_string((rt ? rt->family : lan->vx.family) == AF_INET6 ?
								    "ipv6" : "ipv4"));
	lab_vx_port_name(lan->name, port, sizeof(port));
	json_object_object_add(vx, "port", json_object_new_string(port));
	if (rt) {
		json_object_object_add(vx, "iface", json_object_new_string(rt->iface));
		json_object_object_add(vx, "underlay_mtu", json_object_new_int((int)rt->underlay_mtu));
		json_object_object_add(vx, "overhead", json_object_new_int((int)topo_vxlan_overhead(rt->family)));
		json_object_object_add(vx, "mtu_reason", json_object_new_string(why_word[rt->why]));
		if (rt->why == LAB_VX_RAISED)
			json_object_object_add(vx, "raised_from", json_object_new_int((int)rt->raised_from));
	} else {
		json_object_object_add(vx, "problem", json_object_new_string("no underlay decided (vnld's log says why)"));
	}
	/* The switch's view: remotes, their states and counters (2.2). */
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("show-ports"));
	json_object_object_add(req, "name", json_object_new_string(port));
	if (lab_switch_call_ms(&l->sw, req, 500, &reply, &e) == 0 && json_object_object_get_ex(reply, "ports", &list) &&
	    (p = json_object_array_get_idx(list, 0)) != NULL) {
		static const char *const keys[] = { "remotes", "underlay", "local", "up" };

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			struct json_object *v;

			if (json_object_object_get_ex(p, keys[k], &v))
				json_object_object_add(vx, k == 1 ? "switch_underlay" : k == 2 ? "switch_local" : keys[k],
						       json_object_get(v));
		}
	}
	json_object_put(reply);
	json_object_put(req);
	json_object_object_add(o, "vxlan", vx);
}
