/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab's transactions (lab.h): nodes through their kind, links as a kind
 * NIC plus a switch port in a LAN, LANs in the switch, each change saved.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lab.h"
#include "lab_nicrepair.h"
#include "log.h"
#include "state.h"

LOG_SUBSYS("lab");

/* Kind-private state of one node, kept across calls (node_ctx.priv). */
struct lab_rt {
	char node[TOPO_NAME_MAX + 1];
	void *priv;
	struct lab_rt *next;
};

static void **rt_slot(struct lab *l, const char *node, bool create)
{
	struct lab_rt *r;

	for (r = l->rt; r; r = r->next)
		if (!strcmp(r->node, node))
			return &r->priv;
	if (!create || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->node, sizeof(r->node), "%s", node);
	r->next = l->rt;
	l->rt = r;
	return &r->priv;
}

static void rt_forget(struct lab *l, const char *node)
{
	struct lab_rt **p, *r;

	for (p = &l->rt; (r = *p) != NULL; p = &r->next)
		if (!strcmp(r->node, node)) {
			*p = r->next;
			free(r);
			return;
		}
}

void lab_free(struct lab *l)
{
	while (l->rt) {
		struct lab_rt *r = l->rt;

		l->rt = r->next;
		free(r);
	}
}

void lab_node_ctx(struct lab *l, const struct topo_node *n, struct node_ctx *ctx)
{
	void **slot = rt_slot(l, n->name, false);

	ctx->lab = l->name;
	ctx->name = n->name;
	ctx->nics = n->nics;
	ctx->model = n;
	ctx->priv = slot ? *slot : NULL;
	/* Per NIC: the effective nic-type (link > node > default) and the mtu
	 * of its LAN; one pass over the links (lab_push calls this per link). */
	memset(ctx->nic_types, 0, sizeof(ctx->nic_types));
	memset(ctx->nic_mtus, 0, sizeof(ctx->nic_mtus));
	for (unsigned i = 0; i < n->nics && i < TOPO_NICS_MAX; i++) {
		int c = topo_nic_choice(NULL, n, i, TOPO_NIC_TYPE);

		ctx->nic_types[i] = c < 0 ? 0 : (uint8_t)c;
	}
	for (unsigned j = 0; j < l->topo->n_links; j++) {
		const struct topo_link *k = &l->topo->links[j];
		const struct topo_lan *lan;
		int c;

		if (k->nic >= n->nics || k->nic >= TOPO_NICS_MAX || strcmp(k->node, n->name))
			continue;
		if ((lan = topo_find_lan(l->topo, k->lan)) != NULL)
			ctx->nic_mtus[k->nic] = (uint16_t)lab_lan_mtu(l, lan);
		if (k->nic_type[0] && (c = topo_nic_choice(l->topo, n, k->nic, TOPO_NIC_TYPE)) >= 0)
			ctx->nic_types[k->nic] = (uint8_t)c;
	}
}

/* What the kind learns of NIC i's link (k, or none: an unlinked NIC's port). */
static void nic_link_of(const struct lab *l, const struct node_ctx *ctx, unsigned i, const struct topo_link *k,
			char cidr[TOPO_ADDR_LEN], struct nic_link *nl)
{
	const struct topo_lan *lan = k ? topo_find_lan(l->topo, k->lan) : NULL;

	nl->cidr = k ? topo_link_addr(k, cidr) : NULL;
	nl->mtu = lan ? lab_lan_mtu(l, lan) : 0;
	nl->type = i < TOPO_NICS_MAX ? ctx->nic_types[i] : 0;
}

/* Keep what the kind put in ctx->priv. */
static void ctx_keep(struct lab *l, const struct node_ctx *ctx)
{
	void **slot = rt_slot(l, ctx->name, ctx->priv != NULL);

	if (slot)
		*slot = ctx->priv;
}

/* The kind of a model node, or NULL (l->kind_find: lab.h). */
static const struct node_kind *kind_get(const struct lab *l, const struct topo_kind *k)
{
	return (l->kind_find ? l->kind_find : node_kind_find)(topo_kind_name(k));
}

static const struct node_kind *kind_of(const struct lab *l, const struct topo_kind *k, struct vnl_err *err)
{
	const struct node_kind *kind = kind_get(l, k);
	char list[128];

	if (kind == NULL)
		vnl_errf(err, -EOPNOTSUPP, "node kind '%s' is not available yet (this build has: %s)",
			 topo_kind_name(k), topo_kind_list(list, sizeof(list)));
	return kind;
}

void lab_port_name(const char *node, unsigned nic, char *buf, size_t size)
{
	snprintf(buf, size, "%s-%u", node, nic);
}

const struct topo_link *lab_port_link(const struct lab *l, const char *port)
{
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		char name[TOPO_NAME_MAX + 8];

		lab_port_name(k->node, k->nic, name, sizeof(name));
		if (!strcmp(name, port))
			return k;
	}
	return NULL;
}

int lab_save(struct lab *l, struct vnl_err *err)
{
	return state_save(l->state_dir, l->topo, l->sw.pid, l->sw.start_time, err);
}

static void emit(struct lab *l, const char *event, const char *k1, const char *v1, const char *k2,
		 int nic, const char *lan)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	if (k1)
		json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2) {
		json_object_object_add(o, k2, json_object_new_int(nic));
		json_object_object_add(o, "lan", json_object_new_string(lan));
	}
	if (l->emit)
		l->emit(o, l->emit_arg);
	json_object_put(o);
}

/* Removals: the object is gone from the switch already, or the switch is
 * down (lab_push makes the restarted one match the model). */
bool lab_sw_gone(int r, const struct vnl_err *e)
{
	return r == -ENOTCONN || (r == -EREMOTEIO && (strstr(e->msg, "no port") || strstr(e->msg, "no LAN")));
}

/* An undo step of a failed addition (a switch request when sw) that failed
 * too: what it leaves is removed by the next vnld start (nodes) or switch
 * push (ports, LANs). The transaction still reports the step that failed
 * first. */
void lab_undo_failed(struct lab *l, int r, const struct vnl_err *e, bool sw)
{
	(void)l;
	if (r < 0 && !(sw && lab_sw_gone(r, e)))
		log_warning("undoing a failed change: %s (the next vnld start or switch push removes what is left)",
			    e->msg);
}

/* Additions: a switch step that found the switch down is done by lab_push
 * when it is back (lab.h); a request that changes the lab waits while vnld
 * restarts it (a transaction), so it cannot come back in the middle. */
int lab_sw_step(int r)
{
	return r == -ENOTCONN ? 0 : r;
}

/* Remove the links of node (or of lan), each as its own transaction;
 * "NODE:N" of each is appended to unlinked (may be NULL). */
static int unlink_all(struct lab *l, const char *node, const char *lan, struct json_object *unlinked,
		      struct vnl_err *err)
{
	for (unsigned i = 0; i < l->topo->n_links;) {
		struct topo_link *k = &l->topo->links[i];
		char ref[TOPO_NAME_MAX + 8];
		int r;

		if ((node && strcmp(k->node, node)) || (lan && strcmp(k->lan, lan))) {
			i++;
			continue;
		}
		snprintf(ref, sizeof(ref), "%s:%u", k->node, k->nic);
		r = lab_link_del(l, k->node, k->nic, err);
		if (r < 0)
			return r;
		if (unlinked)
			json_object_array_add(unlinked, json_object_new_string(ref));
	}
	return 0;
}

/* A failed removal put its object back at the end of the model's array
 * (n entries of size bytes): move it to index at, where it was, so that the
 * model is as before (same order: show, save). */
static void put_back(void *array, unsigned n, size_t size, unsigned at)
{
	union { struct topo_node n; struct topo_lan lan; struct topo_link k; } tmp;
	char *a = array;

	memcpy(&tmp, a + (size_t)(n - 1) * size, size);
	memmove(a + (size_t)(at + 1) * size, a + (size_t)at * size, (size_t)(n - 1 - at) * size);
	memcpy(a + (size_t)at * size, &tmp, size);
}

void lab_emit_lan(struct lab *l, const char *event, const char *lan)
{
	emit(l, event, "lan", lan, NULL, 0, NULL);
}

/* ---- LANs ---- */

unsigned lab_lan_mtu(const struct lab *l, const struct topo_lan *lan)
{
	const struct lab_vxrt *rt;

	if (lan->vx.vni == 0)
		return topo_lan_mtu(lan);
	if ((rt = lab_vx_rt(l, lan->name)) != NULL)
		return rt->mtu;
	/* Not decided (its underlay is missing): what a 1500 underlay gives. */
	return lan->mtu ? lan->mtu : TOPO_LAN_MTU_DEF - topo_vxlan_overhead(lan->vx.family);
}

int lab_sw_lan_add(struct lab *l, const char *name, unsigned mtu, struct vnl_err *err)
{
	struct json_object *req = json_object_new_object();
	int r;

	json_object_object_add(req, "cmd", json_object_new_string("lan-add"));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "mtu", json_object_new_int((int)mtu));
	r = lab_switch_call(&l->sw, req, NULL, err);
	json_object_put(req);
	return r;
}

int lab_lan_add(struct lab *l, const struct topo_lan *tmpl, struct vnl_err *err)
{
	struct topo_lan lan = *tmpl;
	const char *name = lan.name;
	const struct topo_lan *o;
	struct lab_vxrt rt;
	struct vnl_err e;
	int r;

	lan.line = lan.column = 0;
	if ((r = topo_check_name(name, "LAN", 0, 0, err)) < 0)
		return r;
	if (lan.mtu && (lan.mtu < TOPO_LAN_MTU_MIN || lan.mtu > TOPO_LAN_MTU_MAX))
		return vnl_errf(err, -ERANGE, "LAN %s: mtu %u out of range %d..%d", name, lan.mtu, TOPO_LAN_MTU_MIN,
				TOPO_LAN_MTU_MAX);
	if (topo_find_node(l->topo, name) || topo_find_lan(l->topo, name))
		return vnl_errf(err, -EEXIST, "the name '%s' is in use in lab %s", name, l->name);
	/* The model's rules before any step (topo_add_lan checks them again). */
	if ((r = topo_vxlan_check(&lan, 0, 0, err)) < 0)
		return r;
	if ((o = topo_vxlan_clash(l->topo, &lan)) != NULL)
		return vnl_errf(err, -EEXIST, "LAN %s: vxlan: vni %u on underlay %s is taken by LAN %s", name,
				lan.vx.vni, lan.vx.underlay, o->name);
	if (lan.vx.vni)
		r = lab_vx_add(l, &lan, &rt, err);
	else if ((r = lab_sw_step(lab_sw_lan_add(l, name, lab_lan_mtu(l, &lan), err))) < 0)
		vnl_err_wrap(err, "adding LAN %s to the switch", name);
	if (r < 0)
		return r;
	r = topo_add_lan(l->topo, &lan, err);
	if (r == 0 && (r = lab_save(l, err)) < 0)
		topo_del_lan(l->topo, name, NULL);
	if (r == 0 && lan.vx.vni && (r = lab_vx_keep(l, &rt, err)) < 0) {
		topo_del_lan(l->topo, name, NULL);
		lab_save(l, NULL);
	}
	if (r < 0) {
		if (lan.vx.vni)
			lab_vx_undo(l, &lan, &rt);
		else
			lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "lan-del", "name", name, NULL), &e, true);
		return r;
	}
	emit(l, "lan-added", "lan", name, NULL, 0, NULL);
	return 0;
}

int lab_lan_del(struct lab *l, const char *name, struct json_object *unlinked, struct vnl_err *err)
{
	struct topo_lan lan;
	struct vnl_err e;
	unsigned at;
	int r;

	if (topo_find_lan(l->topo, name) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", name, l->name);
	/* Its links first, each one a transaction of its own. */
	r = unlink_all(l, NULL, name, unlinked, err);
	if (r < 0)
		return vnl_err_wrap(err, "deleting LAN %s", name), r;
	at = (unsigned)(topo_find_lan(l->topo, name) - l->topo->lans);
	lan = l->topo->lans[at];
	topo_del_lan(l->topo, name, NULL);
	r = lab_save(l, err);
	if (r < 0) {
		if (topo_add_lan(l->topo, &lan, NULL) == 0)
			put_back(l->topo->lans, l->topo->n_lans, sizeof(lan), at);
		return r;
	}
	if (lan.vx.vni) {
		char port[TOPO_NAME_MAX + 8];

		lab_vx_port_name(name, port, sizeof(port));
		r = lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL);
		if (r < 0 && !lab_sw_gone(r, &e))
			log_warning("deleting switch port %s: %s (the next push removes it)", port, e.msg);
	}
	r = lab_switch_cmd(&l->sw, &e, "lan-del", "name", name, NULL);
	if (r < 0 && !lab_sw_gone(r, &e))
		log_warning("deleting LAN %s from the switch: %s (the next push removes it)", name, e.msg);
	if (lan.vx.vni)
		lab_vx_forget(l, name);
	emit(l, "lan-deleted", "lan", name, NULL, 0, NULL);
	return 0;
}

/* ---- switch ports of NICs ---- */

/* Add the switch port of a NIC, in no LAN; undo: port-del. 1: the switch
 * is down, nothing done (lab_push adds it). */
static int sw_port_new(struct lab *l, const char *port, const struct nic_port *np, struct vnl_err *err)
{
	int r;

	if (np->type == NIC_PORT_AFXDP)
		r = lab_switch_cmd(&l->sw, err, "port-add", "name", port, "kind", "afxdp", "iface",
				   np->ifname, NULL);
	else if (np->type == NIC_PORT_TAP)
		r = lab_switch_cmd(&l->sw, err, "port-add", "name", port, "kind", "tap", "netns", np->path,
				   "iface", np->ifname, NULL);
	else
		r = lab_switch_cmd(&l->sw, err, "port-add", "name", port, "kind", "vhost", "path", np->path,
				   "mode", "client", NULL);
	if (r == -ENOTCONN)
		return 1;
	if (r < 0)
		return vnl_err_wrap(err, "adding switch port %s", port), r;
	return 0;
}

/* Add the switch port of a NIC and put it into lan; undo: port-del. */
static int sw_port_add(struct lab *l, const char *port, const struct nic_port *np, const char *lan,
		       struct vnl_err *err)
{
	int r = sw_port_new(l, port, np, err);

	if (r != 0)
		return r < 0 ? r : 0;
	r = lab_sw_step(lab_switch_cmd(&l->sw, err, "attach", "port", port, "lan", lan, NULL));
	if (r < 0) {
		struct vnl_err e;

		vnl_err_wrap(err, "attaching switch port %s to %s", port, lan);
		lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL), &e, true);
	}
	return r;
}

/* Remove the switch ports of NICs upto-1..0 of a nics_ported node (the
 * reverse of ports_add: an undo runs backwards). */
static void ports_del(struct lab *l, const char *node, unsigned upto)
{
	char port[TOPO_NAME_MAX + 8];
	struct vnl_err e;

	for (unsigned i = upto; i-- > 0;) {
		int r;

		lab_port_name(node, i, port, sizeof(port));
		r = lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL);
		if (r < 0 && !lab_sw_gone(r, &e))
			log_warning("deleting switch port %s: %s (the next push removes it)", port, e.msg);
	}
}

/* Add the switch port of every NIC of a nics_ported node, in no LAN; all
 * or nothing. */
static int ports_add(struct lab *l, const struct node_kind *kind, struct node_ctx *ctx, struct vnl_err *err)
{
	char port[TOPO_NAME_MAX + 8], cidr[TOPO_ADDR_LEN];
	struct nic_port np;
	struct nic_link nl;
	int r = 0;

	for (unsigned i = 0; i < ctx->nics; i++) {
		lab_port_name(ctx->name, i, port, sizeof(port));
		nic_link_of(l, ctx, i, topo_find_link(l->topo, ctx->name, i), cidr, &nl);
		if ((r = kind->nic_port(ctx, i, &nl, &np, err)) < 0 || (r = sw_port_new(l, port, &np, err)) < 0) {
			ports_del(l, ctx->name, i);
			return r;
		}
	}
	return r; /* 1: the switch went down on the way (lab_push adds the rest) */
}

/* ---- impairments of a link's port ---- */

static const char *const dir_word[TOPO_IMP_DIRS] = { [TOPO_IMP_OUT] = "out", [TOPO_IMP_IN] = "in" };

/* impair-set (or impair-clear for none) of direction d of `port` on the
 * switch, its arguments as docs/switchd.md's table says. */
static int sw_impair(struct lab *l, const char *port, unsigned d, const struct topo_impair *imp,
		     struct vnl_err *err)
{
	struct json_object *req = json_object_new_object();
	bool none = topo_impair_none(imp);
	int r;

	json_object_object_add(req, "cmd", json_object_new_string(none ? "impair-clear" : "impair-set"));
	json_object_object_add(req, "port", json_object_new_string(port));
	json_object_object_add(req, "dir", json_object_new_string(dir_word[d]));
	if (!none)
		lab_impair_switch_json(imp, req);
	r = lab_switch_call(&l->sw, req, NULL, err);
	json_object_put(req);
	if (r < 0 && r != -ENOTCONN)
		vnl_err_wrap(err, "%s %s of switch port %s", none ? "clearing impairments" : "impairing", dir_word[d],
			     port);
	return r;
}

/* Both directions of link k that are impaired, onto its port (after an
 * attach: a new port has none); *done gets bit 1 << d of each direction
 * set. */
static int sw_impair_link(struct lab *l, const char *port, const struct topo_link *k, unsigned *done,
			  struct vnl_err *err)
{
	int r = 0;

	*done = 0;
	for (unsigned d = 0; d < TOPO_IMP_DIRS && r == 0; d++)
		if (!topo_impair_none(&k->imp[d]) && (r = lab_sw_step(sw_impair(l, port, d, &k->imp[d], err))) == 0)
			*done |= 1u << d;
	return r;
}

/* Clear the directions in `dirs` of a port that stays (a vm's), the last
 * direction first (an undo runs backwards); failures logged (lab.h). */
static void sw_impair_clear(struct lab *l, const char *port, unsigned dirs)
{
	struct vnl_err e;
	int r;

	for (unsigned d = TOPO_IMP_DIRS; d-- > 0;)
		if (dirs & 1u << d && (r = sw_impair(l, port, d, &(struct topo_impair){ 0 }, &e)) < 0 && !lab_sw_gone(r, &e))
			log_warning("%s (the next push does it)", e.msg);
}

void lab_impair_switch_json(const struct topo_impair *imp, struct json_object *o)
{
	static const char *const dist[] = { "uniform", "normal" };
	const struct { const char *key; uint64_t v; } nums[] = {
		{ "delay_ns", imp->delay_ns }, { "jitter_ns", imp->jitter_ns }, { "loss_ppm", imp->ge ? 0 : imp->loss_ppm },
		{ "rate_bps", imp->rate_bps }, { "burst", imp->burst }, { "limit", imp->limit },
		{ "dup_ppm", imp->dup_ppm }, { "reorder_ppm", imp->reorder_ppm }, { "gap", imp->gap },
		{ "corrupt_ppm", imp->corrupt_ppm },
	};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].v)
			json_object_object_add(o, nums[i].key, json_object_new_int64((int64_t)nums[i].v));
	if (imp->jitter_ns)
		json_object_object_add(o, "dist", json_object_new_string(dist[imp->dist & 1]));
	if (imp->ge) {
		struct json_object *ge = json_object_new_array();

		for (unsigned i = 0; i < 4; i++)
			json_object_array_add(ge, json_object_new_int64(imp->ge_ppm[i]));
		json_object_object_add(o, "gemodel", ge);
	}
	if (imp->overhead)
		json_object_object_add(o, "overhead", json_object_new_int(imp->overhead));
	if (imp->has_seed)
		json_object_object_add(o, "seed", json_object_new_int64((int64_t)imp->seed));
}

int lab_link_impair(struct lab *l, const char *node, unsigned nic, unsigned dirs,
		    const struct topo_impair imp[TOPO_IMP_DIRS], struct vnl_err *err)
{
	struct topo_link *k = topo_find_link(l->topo, node, nic);
	struct topo_impair old[TOPO_IMP_DIRS], now[TOPO_IMP_DIRS];
	char port[TOPO_NAME_MAX + 8], what[64];
	unsigned done = 0;
	struct vnl_err e;
	int r = 0;

	if (topo_find_node(l->topo, node) == NULL)
		return vnl_errf(err, -ENOENT, "no node named '%s' in lab %s", node, l->name);
	if (k == NULL)
		return vnl_errf(err, -ENOENT, "%s:%u is not linked (impairments are a link's)", node, nic);
	memcpy(old, k->imp, sizeof(old));
	memcpy(now, k->imp, sizeof(now));
	for (unsigned d = 0; d < TOPO_IMP_DIRS; d++) {
		if (!(dirs & 1u << d))
			continue;
		now[d] = imp[d];
		snprintf(what, sizeof(what), "%s:%u: impair %s", node, nic, dir_word[d]);
		if ((r = topo_impair_check(&now[d], what, 0, 0, err)) < 0)
			return r;
	}
	/* The switch first (a step per direction, undone in reverse), then
	 * the model and its save. The switch down: lab_push applies it. */
	lab_port_name(node, nic, port, sizeof(port));
	for (unsigned d = 0; d < TOPO_IMP_DIRS && r == 0; d++) {
		if (!(dirs & 1u << d))
			continue;
		r = lab_sw_step(sw_impair(l, port, d, &now[d], err));
		done |= r == 0 ? 1u << d : 0;
	}
	if (r == 0 && (r = topo_link_set_impair(l->topo, k, now, err)) == 0 && (r = lab_save(l, err)) < 0)
		topo_link_set_impair(l->topo, k, old, NULL);
	if (r < 0) {
		for (unsigned d = TOPO_IMP_DIRS; d-- > 0;)
			if (done & 1u << d)
				lab_undo_failed(l, lab_sw_step(sw_impair(l, port, d, &old[d], &e)), &e, true);
		return r;
	}
	emit(l, "link-impaired", "node", node, "nic", (int)nic, k->lan);
	return 0;
}

/* ---- nodes ---- */

int lab_node_add(struct lab *l, const struct topo_node *tmpl, struct vnl_err *err)
{
	const struct node_kind *kind;
	struct topo_node *n;
	struct node_ctx ctx;
	struct vnl_err e;
	int r;

	if ((r = topo_check_name(tmpl->name, "node", 0, 0, err)) < 0)
		return r;
	if (topo_find_node(l->topo, tmpl->name) || topo_find_lan(l->topo, tmpl->name))
		return vnl_errf(err, -EEXIST, "the name '%s' is in use in lab %s", tmpl->name, l->name);
	if ((kind = kind_of(l, tmpl->kind, err)) == NULL)
		return -EOPNOTSUPP;
	/* Into the model first (it checks options and ranges); out again on failure. */
	r = topo_add_node(l->topo, tmpl, err);
	if (r < 0)
		return r;
	n = topo_find_node(l->topo, tmpl->name);
	lab_node_ctx(l, n, &ctx);
	r = kind->create(&ctx, err);
	if (r < 0)
		goto out_model;
	/* A nics_ported node runs only once the switch holds its ports: with
	 * the switch down, lab_push adds them and starts it. */
	if (kind->nics_ported && (r = ports_add(l, kind, &ctx, err)) < 0)
		goto out_destroy;
	if (kind->nics_ported && r == 1)
		l->start_ported = true;
	else if (kind->start && (r = kind->start(&ctx, err)) < 0)
		goto out_ports;
	r = 0;
	ctx_keep(l, &ctx);
	r = lab_save(l, err);
	if (r < 0)
		goto out_stop;
	emit(l, "node-added", "node", tmpl->name, NULL, 0, NULL);
	return 0;
out_stop:
	/* Ported NICs leave the switch before the node stops, as in
	 * lab_node_del (DPDK's vhost client). */
	if (kind->nics_ported)
		ports_del(l, ctx.name, ctx.nics);
	if (kind->stop)
		lab_undo_failed(l, kind->stop(&ctx, &e), &e, false);
	goto out_destroy;
out_ports:
	if (kind->nics_ported)
		ports_del(l, ctx.name, ctx.nics);
out_destroy:
	lab_undo_failed(l, kind->destroy(&ctx, &e), &e, false);
out_model:
	rt_forget(l, tmpl->name);
	topo_del_node(l->topo, tmpl->name, NULL);
	return r;
}

int lab_node_del(struct lab *l, const char *name, struct json_object *unlinked, struct vnl_err *err)
{
	const struct node_kind *kind;
	struct topo_node *n = topo_find_node(l->topo, name);
	struct topo *keep;
	struct node_ctx ctx;
	struct vnl_err e;
	unsigned at;
	int r;

	if (n == NULL)
		return vnl_errf(err, -ENOENT, "no node named '%s' in lab %s", name, l->name);
	r = unlink_all(l, name, NULL, unlinked, err);
	if (r < 0)
		return vnl_err_wrap(err, "deleting node %s", name), r;
	n = topo_find_node(l->topo, name);
	kind = kind_get(l, n->kind);
	/* The model forgets the node first (lab.h); the kind works on a copy. */
	keep = topo_new();
	if (keep == NULL || topo_add_node(keep, n, NULL) < 0) {
		topo_free(keep);
		return vnl_errf(err, -ENOMEM, "deleting node %s: out of memory", name);
	}
	at = (unsigned)(topo_find_node(l->topo, name) - l->topo->nodes);
	n = &keep->nodes[0];
	lab_node_ctx(l, n, &ctx);
	topo_del_node(l->topo, name, NULL);
	r = lab_save(l, err);
	if (r < 0) {
		if (topo_add_node(l->topo, n, NULL) == 0)
			put_back(l->topo->nodes, l->topo->n_nodes, sizeof(*n), at);
		topo_free(keep);
		return r;
	}
	if (kind) {
		/* Ported NICs leave the switch first, while their peer is still
		 * there: DPDK's vhost client must not be unregistered while it is
		 * reconnecting to a peer that just went. */
		if (kind->nics_ported)
			ports_del(l, n->name, n->nics);
		if (kind->stop && (r = kind->stop(&ctx, &e)) < 0)
			log_warning("stopping node %s: %s", n->name, e.msg);
		if ((r = kind->destroy(&ctx, &e)) < 0)
			log_warning("removing node %s: %s (the next vnld start cleans it)", n->name, e.msg);
	}
	rt_forget(l, n->name);
	emit(l, "node-deleted", "node", n->name, NULL, 0, NULL);
	topo_free(keep);
	return 0;
}

/* ---- links ---- */

int lab_link_add(struct lab *l, const struct topo_link *tmpl, struct vnl_err *err)
{
	const struct node_kind *kind;
	struct topo_node *n = topo_find_node(l->topo, tmpl->node);
	struct topo_link *old;
	struct nic_port np;
	struct nic_link nl;
	struct node_ctx ctx;
	struct vnl_err e;
	char port[TOPO_NAME_MAX + 8], cidr[TOPO_ADDR_LEN];
	unsigned imp_done = 0;
	int r;

	if (n == NULL)
		return vnl_errf(err, -ENOENT, "no node named '%s' in lab %s", tmpl->node, l->name);
	if (topo_find_lan(l->topo, tmpl->lan) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", tmpl->lan, l->name);
	if (tmpl->nic >= n->nics)
		return vnl_errf(err, -ERANGE, "node %s has no NIC %u (its NICs are 0..%u)", n->name,
				tmpl->nic, n->nics - 1);
	if ((old = topo_find_link(l->topo, tmpl->node, tmpl->nic)) != NULL)
		return vnl_errf(err, -EEXIST, "%s:%u is linked to %s already (vnl unlink %s:%u first)",
				tmpl->node, tmpl->nic, old->lan, tmpl->node, tmpl->nic);
	if (tmpl->has_addr && !n->kind->addresses)
		return vnl_errf(err, -EINVAL, "%s is a %s: its addresses are set inside the node",
				n->name, n->kind->name);
	if ((r = topo_link_check_nic_type(tmpl, n, err)) < 0)
		return r;
	if ((kind = kind_of(l, n->kind, err)) == NULL)
		return -EOPNOTSUPP;
	r = topo_add_link(l->topo, tmpl, err);
	if (r < 0)
		return r;
	n = topo_find_node(l->topo, tmpl->node);
	lab_node_ctx(l, n, &ctx);
	nic_link_of(l, &ctx, tmpl->nic, topo_find_link(l->topo, tmpl->node, tmpl->nic), cidr, &nl);
	r = kind->nic_attach(&ctx, tmpl->nic, &nl, &np, err);
	if (r < 0)
		goto out_model;
	ctx_keep(l, &ctx);
	lab_port_name(tmpl->node, tmpl->nic, port, sizeof(port));
	if (kind->nics_ported) {
		/* The port exists since the node does: into the LAN. */
		r = lab_sw_step(lab_switch_cmd(&l->sw, err, "attach", "port", port, "lan", tmpl->lan, NULL));
		if (r < 0)
			vnl_err_wrap(err, "attaching switch port %s to %s", port, tmpl->lan);
	} else {
		r = sw_port_add(l, port, &np, tmpl->lan, err);
	}
	if (r < 0)
		goto out_nic;
	/* A link from a file (deploy) may come with its impairments. */
	r = sw_impair_link(l, port, tmpl, &imp_done, err);
	if (r == 0)
		r = lab_save(l, err);
	if (r < 0)
		goto out_port;
	emit(l, "link-up", "node", tmpl->node, "nic", tmpl->nic, tmpl->lan);
	return 0;
out_port:
	if (kind->nics_ported) {
		/* The port stays with the node: the impairments set go. */
		sw_impair_clear(l, port, imp_done);
		lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "detach", "port", port, NULL), &e, true);
	} else
		lab_undo_failed(l, lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL), &e, true);
out_nic:
	lab_undo_failed(l, kind->nic_detach(&ctx, tmpl->nic, &e), &e, false);
	ctx_keep(l, &ctx);
out_model:
	topo_del_link(l->topo, tmpl->node, tmpl->nic, NULL);
	return vnl_err_wrap(err, "link %s:%u %s", tmpl->node, tmpl->nic, tmpl->lan), r;
}

int lab_link_del(struct lab *l, const char *node, unsigned nic, struct vnl_err *err)
{
	struct topo_link *k = topo_find_link(l->topo, node, nic), copy;
	const struct node_kind *kind;
	struct topo_node *n;
	struct node_ctx ctx;
	struct vnl_err e;
	char port[TOPO_NAME_MAX + 8];
	unsigned at;
	int r;

	if (topo_find_node(l->topo, node) == NULL)
		return vnl_errf(err, -ENOENT, "no node named '%s' in lab %s", node, l->name);
	if (k == NULL)
		return vnl_errf(err, -ENOENT, "%s:%u is not linked", node, nic);
	/* node may point into the link array (callers walking it): from here
	 * on only the copy names the link. */
	copy = *k;
	node = copy.node;
	at = (unsigned)(k - l->topo->links);
	topo_del_link(l->topo, node, nic, NULL);
	r = lab_save(l, err);
	if (r < 0) {
		if (topo_add_link(l->topo, &copy, NULL) == 0)
			put_back(l->topo->links, l->topo->n_links, sizeof(copy), at);
		return r;
	}
	lab_port_name(node, nic, port, sizeof(port));
	n = topo_find_node(l->topo, node);
	kind = kind_get(l, n->kind);
	if (kind && kind->nics_ported) {
		/* The port stays with the node; the impairments go with the link. */
		sw_impair_clear(l, port, (topo_impair_none(&copy.imp[TOPO_IMP_OUT]) ? 0 : 1u << TOPO_IMP_OUT) |
					 (topo_impair_none(&copy.imp[TOPO_IMP_IN]) ? 0 : 1u << TOPO_IMP_IN));
		r = lab_switch_cmd(&l->sw, &e, "detach", "port", port, NULL);
	} else {
		r = lab_switch_cmd(&l->sw, &e, "port-del", "name", port, NULL);
	}
	if (r < 0 && !lab_sw_gone(r, &e))
		log_warning("taking switch port %s out: %s (the next push does it)", port, e.msg);
	if (kind) {
		lab_node_ctx(l, n, &ctx);
		if (kind->nic_detach(&ctx, nic, &e) < 0)
			log_warning("detaching %s:%u: %s", node, nic, e.msg);
		ctx_keep(l, &ctx);
	}
	emit(l, "link-down", "node", node, "nic", nic, copy.lan);
	return 0;
}

/* Delete every node (nodes) or every LAN, newest first, going on after a
 * failure; the first failure is kept in *first and err. */
static void del_every(struct lab *l, bool nodes, unsigned *deleted, unsigned *links, int *first,
		      struct vnl_err *err)
{
	for (unsigned i = nodes ? l->topo->n_nodes : l->topo->n_lans; i-- > 0;) {
		struct json_object *un = json_object_new_array();
		char name[TOPO_NAME_MAX + 1];
		struct vnl_err e;
		int r;

		snprintf(name, sizeof(name), "%s", nodes ? l->topo->nodes[i].name : l->topo->lans[i].name);
		r = nodes ? lab_node_del(l, name, un, &e) : lab_lan_del(l, name, un, &e);
		*links += json_object_array_length(un);
		json_object_put(un);
		if (r == 0)
			(*deleted)++;
		else if (!*first)
			*first = r, vnl_errf(err, r, "%s", e.msg);
	}
}

int lab_destroy_all(struct lab *l, unsigned counts[3], struct vnl_err *err)
{
	int first = 0;

	counts[0] = counts[1] = counts[2] = 0;
	del_every(l, true, &counts[0], &counts[2], &first, err);
	del_every(l, false, &counts[1], &counts[2], &first, err);
	return first;
}

/* ---- recovery and push ---- */

/* Ports whose NIC was made again while the switch kept running: the switch's
 * port holds the old interface and must be replaced. */
static char stale_ports[TOPO_MAX_OBJECTS][TOPO_NAME_MAX + 8];
static unsigned n_stale;

static void recover_node(struct lab *l, struct topo_node *n)
{
	const struct node_kind *kind = kind_get(l, n->kind);
	struct node_ctx ctx;
	struct vnl_err e;
	int r;

	if (kind == NULL) {
		log_warning("node %s: kind %s is not available in this build; left alone", n->name,
			    topo_kind_name(n->kind));
		return;
	}
	lab_node_ctx(l, n, &ctx);
	r = kind->create(&ctx, &e);
	if (r < 0 && r != -EEXIST) {
		log_error("node %s is gone and cannot be made again: %s", n->name, e.msg);
		return;
	}
	if (r == 0)
		log_info("node %s was gone: made again", n->name);
	/* start also makes again any NIC that is gone (node_kind.h): every
	 * NIC exists from here on, linked or not. */
	if (kind->nics_ported)
		l->start_ported = true; /* lab_push starts it, once its ports exist */
	else if (kind->start && kind->start(&ctx, &e) < 0)
		log_error("starting node %s: %s", n->name, e.msg);
	for (unsigned i = 0; i < n->nics; i++) {
		struct topo_link *k = topo_find_link(l->topo, n->name, i);
		char cidr[TOPO_ADDR_LEN];
		struct nic_port np;
		struct nic_link nl;

		if (k == NULL) {
			/* A link that never got saved, or one the model lost before
			 * its NIC was detached: the cable out. */
			kind->nic_detach(&ctx, i, NULL);
			continue;
		}
		/* -EEXIST: attached still. 0: it was not (its NIC made again,
		 * or a kind that cannot tell), so a port the switch has for it
		 * is stale; not for ported kinds, whose port never changes. */
		nic_link_of(l, &ctx, i, k, cidr, &nl);
		r = kind->nic_attach(&ctx, i, &nl, &np, &e);
		if (r == 0 && !kind->nics_ported && n_stale < TOPO_MAX_OBJECTS)
			lab_port_name(n->name, i, stale_ports[n_stale++], sizeof(stale_ports[0]));
		else if (r < 0 && r != -EEXIST)
			log_error("%s:%u cannot be attached again: %s", n->name, i, e.msg);
	}
	ctx_keep(l, &ctx);
}

/* Remove node `node`, not in the model, through every kind (its kind is
 * unknown: each removes what it would have made). */
static void remove_stray(struct lab *l, const char *node, const char *found)
{
	struct node_ctx ctx = { .lab = l->name, .name = node, .nics = TOPO_NICS_MAX };
	struct vnl_err e;

	log_info("removing node %s, left over from a crash (%s)", node, found);
	for (unsigned k = 0; node_kinds[k]; k++)
		if (node_kinds[k]->destroy(&ctx, &e) < 0)
			log_warning("removing %s: %s", node, e.msg);
}

struct stray_scan {
	struct lab *l;
	char found[64];   /* what it was found by: "vm VM" */
};

/* host_nodes() callback: a node the model lacks is a stray. */
static int stray_found(const char *node, void *arg)
{
	struct stray_scan *ss = arg;

	if (topo_check_name(node, "node", 0, 0, NULL) == 0 && !topo_find_node(ss->l->topo, node))
		remove_stray(ss->l, node, ss->found);
	return 0;
}

/* Nodes the model does not have, found by the kinds' host_nodes() slots
 * (node_kind.h): ns and cnt by their netns, cnt by its crun state and
 * folder, vm by its folders. */
void lab_remove_strays(struct lab *l)
{
	for (unsigned k = 0; node_kinds[k]; k++) {
		struct stray_scan ss = { .l = l };

		if (node_kinds[k]->host_nodes == NULL)
			continue;
		snprintf(ss.found, sizeof(ss.found), "%s %s", node_kinds[k]->schema->name,
			 node_kinds[k]->host_noun);
		node_kinds[k]->host_nodes(l->name, stray_found, &ss);
	}
}

void lab_recover(struct lab *l)
{
	n_stale = 0;
	lab_remove_strays(l);
	/* Before the nodes: their NICs take the LANs' mtus. */
	lab_vx_recover(l);
	for (unsigned i = 0; i < l->topo->n_nodes; i++)
		recover_node(l, &l->topo->nodes[i]);
}

/* Names listed under `key` in a switch show reply, with their "lan". */
static struct json_object *sw_list(struct lab *l, const char *cmd, const char *key)
{
	struct json_object *req = json_object_new_object(), *reply = NULL, *list = NULL;
	struct vnl_err e;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (lab_switch_call(&l->sw, req, &reply, &e) == 0 && json_object_object_get_ex(reply, key, &list))
		json_object_get(list);
	else
		list = NULL;
	json_object_put(reply);
	json_object_put(req);
	return list;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool is_stale(const char *port)
{
	for (unsigned i = 0; i < n_stale; i++)
		if (!strcmp(stale_ports[i], port))
			return true;
	return false;
}

/* The ports list of a switch show reply has `port`. */
static bool has_port(struct json_object *ports, const char *port)
{
	for (size_t j = 0; ports && j < json_object_array_length(ports); j++)
		if (!strcmp(str_of(json_object_array_get_idx(ports, j), "name") ?: "", port))
			return true;
	return false;
}

/* `port` ("NODE-N") is the always-there port of a NIC of a nics_ported node. */
static bool ported_port(const struct lab *l, const char *port)
{
	for (unsigned i = 0; i < l->topo->n_nodes; i++) {
		const struct topo_node *n = &l->topo->nodes[i];
		const struct node_kind *kind = kind_get(l, n->kind);
		char name[TOPO_NAME_MAX + 8];

		for (unsigned nic = 0; kind && kind->nics_ported && nic < n->nics; nic++) {
			lab_port_name(n->name, nic, name, sizeof(name));
			if (!strcmp(name, port))
				return true;
		}
	}
	return false;
}

/* The switch's show-ports set `have` (a direction's) is imp's: the same
 * members with the same values, the seed aside when imp has none (the
 * switch shows the one it drew). Then an adopted switch keeps it as it
 * runs (its queues and random state). */
static bool sw_has_set(struct json_object *have, const struct topo_impair *imp)
{
	struct json_object *want, *v;
	bool same = true;

	if (have == NULL || !json_object_is_type(have, json_type_object))
		return false;
	want = json_object_new_object();
	lab_impair_switch_json(imp, want);
	json_object_object_foreach(want, key, val)
		same = same && json_object_object_get_ex(have, key, &v) && json_object_equal(v, val);
	json_object_object_foreach(have, hkey, hval) {
		(void)hval;
		same = same && (json_object_object_get_ex(want, hkey, &v) || (!imp->has_seed && !strcmp(hkey, "seed")));
	}
	json_object_put(want);
	return same;
}

/*
 * Every link's impairments onto its port, as the model has them: a
 * restarted switch has none, an adopted one may hold a set that a vnld
 * killed mid-transaction never saved (show-ports' `impair`): a direction
 * the model has none for is cleared there, and so are the sets of a vm's
 * port whose link went; a set the switch has already is left as it runs.
 * A set is replaced whole (the switch keeps releasing the old set's queued
 * frames).
 */
static void push_impairments(struct lab *l, struct json_object *ports)
{
	/* A vm's port that stays without its link has none. */
	for (size_t j = 0; ports && j < json_object_array_length(ports); j++) {
		struct json_object *p = json_object_array_get_idx(ports, j), *have, *dir;
		const char *name = str_of(p, "name") ?: "";
		struct vnl_err e;

		if (lab_port_link(l, name) || !json_object_object_get_ex(p, "impair", &have))
			continue;
		for (unsigned d = 0; d < TOPO_IMP_DIRS; d++)
			if (json_object_object_get_ex(have, dir_word[d], &dir) &&
			    sw_impair(l, name, d, &(struct topo_impair){ 0 }, &e) < 0)
				log_error("clearing impairments of port %s: %s", name, e.msg);
	}
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		struct json_object *p = NULL, *have = NULL, *dir;
		char port[TOPO_NAME_MAX + 8];
		struct vnl_err e;

		lab_port_name(k->node, k->nic, port, sizeof(port));
		for (size_t j = 0; ports && j < json_object_array_length(ports) && p == NULL; j++)
			if (!strcmp(str_of(json_object_array_get_idx(ports, j), "name") ?: "", port))
				p = json_object_array_get_idx(ports, j);
		if (p)
			json_object_object_get_ex(p, "impair", &have);
		for (unsigned d = 0; d < TOPO_IMP_DIRS; d++) {
			bool set = !topo_impair_none(&k->imp[d]);

			dir = NULL;
			if (have)
				json_object_object_get_ex(have, dir_word[d], &dir);
			if ((!set && dir == NULL) || (set && sw_has_set(dir, &k->imp[d])))
				continue;
			if (sw_impair(l, port, d, &k->imp[d], &e) < 0)
				log_error("pushing impairments of %s:%u: %s", k->node, k->nic, e.msg);
		}
	}
}

void lab_push(struct lab_switch *s, void *arg)
{
	struct lab *l = arg;
	struct json_object *ports, *lans;
	struct vnl_err e;
	int r;

	(void)s;
	/* What the switch has that the model does not: out. */
	ports = sw_list(l, "show-ports", "ports");
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		const char *name = str_of(p, "name"), *lan = str_of(p, "lan");
		const struct topo_link *k = lab_port_link(l, name);

		if (k && !is_stale(name)) {
			if (lan == NULL || strcmp(lan, k->lan))
				lab_switch_cmd(s, NULL, "attach", "port", name, "lan", k->lan, NULL);
			continue;
		}
		if (k == NULL && ported_port(l, name)) {
			if (lan)
				lab_switch_cmd(s, NULL, "detach", "port", name, NULL);
			continue;
		}
		if (k == NULL && lab_vx_port_lan(l, name)) {
			/* A vxlan LAN's port: kept (its remotes' MACs), in its LAN. */
			const struct topo_lan *vl = lab_vx_port_lan(l, name);

			if (lan == NULL || strcmp(lan, vl->name))
				lab_switch_cmd(s, NULL, "attach", "port", name, "lan", vl->name, NULL);
			continue;
		}
		if (lab_switch_cmd(s, &e, "port-del", "name", name, NULL) < 0)
			log_warning("removing port %s from the switch: %s", name, e.msg);
		json_object_array_del_idx(ports, i--, 1); /* ports keeps what is left */
	}
	n_stale = 0;
	lans = sw_list(l, "show-lans", "lans");
	for (size_t i = 0; lans && i < json_object_array_length(lans); i++) {
		const char *name = str_of(json_object_array_get_idx(lans, i), "name");

		if (topo_find_lan(l->topo, name) == NULL &&
		    lab_switch_cmd(s, &e, "lan-del", "name", name, NULL) < 0)
			log_warning("removing LAN %s from the switch: %s", name, e.msg);
	}
	json_object_put(lans);
	/* What the model has that the switch does not: in. */
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		r = lab_sw_lan_add(l, l->topo->lans[i].name, lab_lan_mtu(l, &l->topo->lans[i]), &e);
		if (r < 0 && !strstr(e.msg, "exists"))
			log_error("pushing LAN %s: %s", l->topo->lans[i].name, e.msg);
	}
	lab_vx_push(l, ports);
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		const struct topo_node *n = topo_find_node(l->topo, k->node);
		const struct node_kind *kind = kind_get(l, n->kind);
		char port[TOPO_NAME_MAX + 8], cidr[TOPO_ADDR_LEN];
		struct nic_port np = { 0 };
		struct nic_link nl;
		struct node_ctx ctx;
		bool have = false;

		lab_port_name(k->node, k->nic, port, sizeof(port));
		have = has_port(ports, port);
		if (have && kind && kind->nics_ported) {
			lab_switch_cmd(s, NULL, "attach", "port", port, "lan", k->lan, NULL);
			continue;
		}
		if (have || kind == NULL || kind->nic_port == NULL)
			continue;
		lab_node_ctx(l, n, &ctx);
		nic_link_of(l, &ctx, k->nic, k, cidr, &nl);
		if (kind->nic_port(&ctx, k->nic, &nl, &np, &e) < 0) {
			log_error("pushing link %s:%u %s: %s", k->node, k->nic, k->lan, e.msg);
			continue;
		}
		if (sw_port_add(l, port, &np, k->lan, &e) < 0)
			log_error("pushing link %s:%u %s: %s", k->node, k->nic, k->lan, e.msg);
	}
	push_impairments(l, ports);
	/* Ported nodes: NICs that are not linked still have their port; after a
	 * vnld start, a node whose processes are gone (a host reboot, a crash)
	 * runs again now that its ports exist (a halted VM stays off). */
	for (unsigned i = 0; i < l->topo->n_nodes; i++) {
		const struct topo_node *n = &l->topo->nodes[i];
		const struct node_kind *kind = kind_get(l, n->kind);
		struct node_ctx ctx;

		if (kind == NULL || !kind->nics_ported)
			continue;
		lab_node_ctx(l, n, &ctx);
		for (unsigned nic = 0; nic < n->nics; nic++) {
			char port[TOPO_NAME_MAX + 8], cidr[TOPO_ADDR_LEN];
			struct nic_port np;
			struct nic_link nl;

			lab_port_name(n->name, nic, port, sizeof(port));
			if (topo_find_link(l->topo, n->name, nic) || has_port(ports, port))
				continue;
			nic_link_of(l, &ctx, nic, NULL, cidr, &nl);
			if (kind->nic_port(&ctx, nic, &nl, &np, &e) < 0 || sw_port_new(l, port, &np, &e) != 0)
				log_error("pushing port %s: %s", port, e.msg);
		}
		if (l->start_ported && kind->start && kind->start(&ctx, &e) < 0)
			log_error("starting node %s: %s", n->name, e.msg);
		ctx_keep(l, &ctx);
	}
	json_object_put(ports);
	l->start_ported = false;
	if (lab_save(l, &e) < 0)
		log_error("saving state: %s", e.msg);
	emit(l, "switch-ready", NULL, NULL, NULL, 0, NULL);
}

/* ---- show objects ---- */

struct json_object *lab_link_json(const struct topo_link *k)
{
	struct json_object *o = json_object_new_object();
	char port[TOPO_NAME_MAX + 8], addr[TOPO_ADDR_LEN];

	json_object_object_add(o, "node", json_object_new_string(k->node));
	json_object_object_add(o, "nic", json_object_new_int(k->nic));
	json_object_object_add(o, "lan", json_object_new_string(k->lan));
	if (topo_link_addr(k, addr))
		json_object_object_add(o, "ip", json_object_new_string(addr));
	if (k->nic_type[0])
		json_object_object_add(o, TOPO_NIC_TYPE, json_object_new_string(k->nic_type));
	lab_port_name(k->node, k->nic, port, sizeof(port));
	json_object_object_add(o, "port", json_object_new_string(port));
	if (topo_link_impaired(k))
		json_object_object_add(o, "impair", lab_impair_json(k));
	return o;
}

struct json_object *lab_impair_json(const struct topo_link *k)
{
	struct json_object *o = json_object_new_object();

	for (unsigned d = 0; d < TOPO_IMP_DIRS; d++) {
		struct json_object *set;
		char buf[TOPO_IMP_TEXT_LEN];

		if (topo_impair_none(&k->imp[d]))
			continue;
		set = json_object_new_object();
		for (unsigned key = 0; key < TOPO_IMP_KEYS; key++)
			if (topo_impair_text(&k->imp[d], key, buf))
				json_object_object_add(set, topo_impair_keys[key], json_object_new_string(buf));
		json_object_object_add(o, dir_word[d], set);
	}
	return o;
}

/* Option i of n, when set, into o under its name. */
static void opt_json(const struct topo_node *n, unsigned i, struct json_object *o)
{
	const struct topo_val *v = &n->opt[i];
	struct json_object *list;

	if (!v->set)
		return;
	switch (n->kind->opts[i].type) {
	case TOPO_OPT_UINT:
		json_object_object_add(o, n->kind->opts[i].name, json_object_new_int64(v->num));
		break;
	case TOPO_OPT_TEXT:
		json_object_object_add(o, n->kind->opts[i].name, json_object_new_string(v->text));
		break;
	case TOPO_OPT_ENUM:
		json_object_object_add(o, n->kind->opts[i].name,
				       json_object_new_string(n->kind->opts[i].choices[v->num]));
		break;
	default:
		list = json_object_new_array();
		for (unsigned e = 0; e < v->n; e++)
			json_object_array_add(list, json_object_new_string(v->list[e]));
		json_object_object_add(o, n->kind->opts[i].name, list);
	}
}

/* "mtu_mismatch": the linked NICs whose MTU, as the kind's status reports it
 * (interfaces[].mtu: the device's for ns and cnt, what qemu gave the guest
 * for vm), is not their LAN's; [{nic, lan, lan_mtu, mtu}], absent when none. */
static void mtu_mismatch_json(const struct lab *l, const struct topo_node *n, struct json_object *o)
{
	struct json_object *ifs, *bad = NULL;

	if (!json_object_object_get_ex(o, "interfaces", &ifs) || !json_object_is_type(ifs, json_type_array))
		return;
	for (size_t j = 0; j < json_object_array_length(ifs); j++) {
		struct json_object *f = json_object_array_get_idx(ifs, j), *nic, *mtu, *m;
		const struct topo_link *k;
		const struct topo_lan *lan;

		if (!json_object_object_get_ex(f, "nic", &nic) || !json_object_object_get_ex(f, "mtu", &mtu) ||
		    (k = topo_find_link(l->topo, n->name, (unsigned)json_object_get_int(nic))) == NULL ||
		    (lan = topo_find_lan(l->topo, k->lan)) == NULL ||
		    (unsigned)json_object_get_int(mtu) == lab_lan_mtu(l, lan))
			continue;
		if (bad == NULL)
			bad = json_object_new_array();
		m = json_object_new_object();
		json_object_object_add(m, "nic", json_object_new_int((int)k->nic));
		json_object_object_add(m, "lan", json_object_new_string(lan->name));
		json_object_object_add(m, "lan_mtu", json_object_new_int((int)lab_lan_mtu(l, lan)));
		json_object_object_add(m, "mtu", json_object_get(mtu));
		json_object_array_add(bad, m);
	}
	if (bad)
		json_object_object_add(o, "mtu_mismatch", bad);
}

struct json_object *lab_node_json(struct lab *l, const struct topo_node *n)
{
	struct json_object *o = json_object_new_object(), *links = json_object_new_array();
	const struct node_kind *kind = kind_get(l, n->kind);
	int t;

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "kind", json_object_new_string(topo_kind_name(n->kind)));
	json_object_object_add(o, "nics", json_object_new_int(n->nics));
	for (unsigned i = 0; i < n->kind->n_opts; i++)
		opt_json(n, i, o);
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		struct json_object *lk;

		if (strcmp(k->node, n->name))
			continue;
		lk = lab_link_json(k);
		json_object_object_del(lk, "node");
		json_object_array_add(links, lk);
	}
	json_object_object_add(o, "links", links);
	/* The effective nic-type of each NIC (link > node > default). */
	if ((t = topo_opt_index(n->kind, TOPO_NIC_TYPE)) >= 0 && n->kind->opts[t].type == TOPO_OPT_ENUM) {
		struct json_object *types = json_object_new_array();

		for (unsigned i = 0; i < n->nics; i++) {
			int c = topo_nic_choice(l->topo, n, i, TOPO_NIC_TYPE);

			json_object_array_add(types, json_object_new_string(c < 0 ? "?" : n->kind->opts[t].choices[c]));
		}
		json_object_object_add(o, "nic_types", types);
	}
	if (kind && kind->status) {
		struct node_ctx ctx;
		struct vnl_err e;

		lab_node_ctx(l, n, &ctx);
		if (kind->status(&ctx, o, &e) < 0)
			json_object_object_add(o, "problem", json_object_new_string(e.msg));
		mtu_mismatch_json(l, n, o);
		if (kind->nics_ported)
			lab_nic_json(l, n, o);
	}
	if (l->node_json)
		l->node_json(n, o, l->emit_arg);
	return o;
}

struct json_object *lab_lan_json(struct lab *l, const struct topo_lan *lan)
{
	struct json_object *o = json_object_new_object(), *links = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(lan->name));
	json_object_object_add(o, "mtu", json_object_new_int((int)lab_lan_mtu(l, lan)));
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		char ref[TOPO_NAME_MAX + 8];

		if (strcmp(k->lan, lan->name))
			continue;
		snprintf(ref, sizeof(ref), "%s:%u", k->node, k->nic);
		json_object_array_add(links, json_object_new_string(ref));
	}
	json_object_object_add(o, "links", links);
	if (lan->vx.vni)
		lab_vx_json(l, lan, o);
	return o;
}
