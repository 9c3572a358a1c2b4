/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `deploy`: bring a topology file into a running lab (docs/vnld.md).
 *
 * Additive and conservative: what the file has and the lab lacks is created
 * (LANs, then nodes, then links); what both have but differently is reported
 * in `differs` and left as it is; what only the lab has is reported in
 * `extra` and kept.  So deploying the same file twice changes nothing, and a
 * deploy never destroys a user's live edits.
 *
 * The creations are one transaction: on the first failure the objects created
 * so far are removed again, newest first, and the error names the step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

/* One object created by this deploy, to undo it. */
struct done {
	enum { DONE_LAN, DONE_NODE, DONE_LINK } what;
	char name[TOPO_NAME_MAX + 1];
	unsigned nic;
};

static void addf(struct json_object *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct json_object *list, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(list, json_object_new_string(buf));
}

/* The first difference between a file node and a lab node, into buf; false if same. */
static bool node_differs(const struct topo_node *f, const struct topo_node *n, char *buf, size_t size)
{
	if (f->kind != n->kind)
		snprintf(buf, size, "node %s: kind %s in the file, %s in the lab", f->name,
			 topo_kind_name(f->kind), topo_kind_name(n->kind));
	else if (f->nics != n->nics)
		snprintf(buf, size, "node %s: %u NICs in the file, %u in the lab", f->name, f->nics, n->nics);
	else {
		for (unsigned i = 0; i < f->kind->n_opts; i++)
			if (!topo_val_equal(&f->opt[i], &n->opt[i])) {
				snprintf(buf, size, "node %s: %s differs", f->name, f->kind->opts[i].name);
				return true;
			}
		return false;
	}
	return true;
}

static const char *addr_str(const struct topo_link *k, char buf[TOPO_ADDR_LEN])
{
	return topo_link_addr(k, buf) ?: "no address";
}

/* The first direction whose impairments differ between file link fk and
 * lab link k, as one line of differs. */
static void impair_differs(const struct topo_link *fk, const struct topo_link *k, struct json_object *differs)
{
	char a[100], b[100];

	for (unsigned d = 0; d < TOPO_IMP_DIRS; d++)
		if (!topo_impair_equal(&fk->imp[d], &k->imp[d])) {
			addf(differs, "link %s:%u: impair %s: %s in the file, %s in the lab (vnl impair changes it)", fk->node,
			     fk->nic, d == TOPO_IMP_OUT ? "out" : "in", topo_impair_line(&fk->imp[d], a, sizeof(a)),
			     topo_impair_line(&k->imp[d], b, sizeof(b)));
			return;
		}
}

/* Remove what this deploy created, newest first. Returns how many objects
 * could not be removed (a removal saves the model first: a lab whose state
 * cannot be saved keeps them, in its model and running), the first one's
 * error in *first. */
static unsigned undo(struct lab *l, const struct done *done, unsigned n, struct vnl_err *first)
{
	unsigned kept = 0;

	while (n-- > 0) {
		const struct done *d = &done[n];
		struct vnl_err e;
		int r;

		if (d->what == DONE_LINK)
			r = lab_link_del(l, d->name, d->nic, &e);
		else if (d->what == DONE_NODE)
			r = lab_node_del(l, d->name, NULL, &e);
		else
			r = lab_lan_del(l, d->name, NULL, &e);
		if (r < 0 && kept++ == 0)
			*first = e;
	}
	return kept;
}

int lab_deploy(struct lab *l, const struct topo *f, struct json_object *created,
	       struct json_object *differs, struct json_object *extra, struct vnl_err *err)
{
	unsigned total = f->n_lans + f->n_nodes + f->n_links, n_done = 0;
	struct done *done = calloc(total ? total : 1, sizeof(*done));
	char buf[256];
	int r = 0;

	if (done == NULL)
		return vnl_errf(err, -ENOMEM, "deploy: out of memory");
	for (unsigned i = 0; i < f->n_lans && r == 0; i++) {
		const char *name = f->lans[i].name;

		const struct topo_lan *have = topo_find_lan(l->topo, name);

		if (have) {
			/* Over vxlan an absent mtu is the underlay's to decide. */
			if ((have->vx.vni || f->lans[i].vx.vni) ? have->mtu != f->lans[i].mtu
								 : topo_lan_mtu(have) != topo_lan_mtu(&f->lans[i]))
				addf(differs, "lan %s: mtu %u in the file, %u in the lab", name, topo_lan_mtu(&f->lans[i]),
				     topo_lan_mtu(have));
			else if (!topo_vxlan_equal(&have->vx, &f->lans[i].vx))
				addf(differs, "lan %s: vxlan differs", name);
			continue;
		}
		if (topo_find_node(l->topo, name)) {
			addf(differs, "lan %s: a node of the lab has that name", name);
			continue;
		}
		r = lab_lan_add(l, &f->lans[i], err);
		if (r < 0) {
			vnl_err_wrap(err, "lan %s (line %d)", name, f->lans[i].line);
			break;
		}
		done[n_done++] = (struct done){ .what = DONE_LAN };
		snprintf(done[n_done - 1].name, sizeof(done[0].name), "%s", name);
		addf(created, "lan %s", name);
	}
	for (unsigned i = 0; i < f->n_nodes && r == 0; i++) {
		const struct topo_node *fn = &f->nodes[i], *n = topo_find_node(l->topo, fn->name);

		if (n) {
			if (node_differs(fn, n, buf, sizeof(buf)))
				addf(differs, "%s", buf);
			continue;
		}
		if (topo_find_lan(l->topo, fn->name)) {
			addf(differs, "node %s: a LAN of the lab has that name", fn->name);
			continue;
		}
		r = lab_node_add(l, fn, err);
		if (r < 0) {
			vnl_err_wrap(err, "node %s (line %d)", fn->name, fn->line);
			break;
		}
		done[n_done++] = (struct done){ .what = DONE_NODE };
		snprintf(done[n_done - 1].name, sizeof(done[0].name), "%s", fn->name);
		addf(created, "node %s", fn->name);
	}
	for (unsigned i = 0; i < f->n_links && r == 0; i++) {
		const struct topo_link *fk = &f->links[i], *k = topo_find_link(l->topo, fk->node, fk->nic);
		const struct topo_node *n = topo_find_node(l->topo, fk->node);
		char b1[TOPO_ADDR_LEN], b2[TOPO_ADDR_LEN];
		const char *a1, *a2;

		if (k) {
			a1 = addr_str(fk, b1);
			a2 = addr_str(k, b2);
			if (strcmp(k->lan, fk->lan))
				addf(differs, "link %s:%u: to %s in the file, to %s in the lab", fk->node, fk->nic,
				     fk->lan, k->lan);
			else if (strcmp(a1, a2))
				addf(differs, "link %s:%u: %s in the file, %s in the lab", fk->node, fk->nic, a1, a2);
			else if (strcmp(fk->nic_type, k->nic_type))
				addf(differs, "link %s:%u: nic-type %s in the file, %s in the lab", fk->node, fk->nic,
				     fk->nic_type[0] ? fk->nic_type : "(the node's)",
				     k->nic_type[0] ? k->nic_type : "(the node's)");
			else
				impair_differs(fk, k, differs);
			continue;
		}
		if (n == NULL || fk->nic >= n->nics || topo_find_lan(l->topo, fk->lan) == NULL) {
			addf(differs, "link %s:%u %s: the lab's node or LAN does not match the file", fk->node,
			     fk->nic, fk->lan);
			continue;
		}
		r = lab_link_add(l, fk, err);
		if (r < 0) {
			vnl_err_wrap(err, "line %d", fk->line);
			break;
		}
		done[n_done++] = (struct done){ .what = DONE_LINK, .nic = fk->nic };
		snprintf(done[n_done - 1].name, sizeof(done[0].name), "%s", fk->node);
		addf(created, "link %s:%u %s", fk->node, fk->nic, fk->lan);
	}
	if (r < 0) {
		struct vnl_err ue;
		unsigned kept = undo(l, done, n_done, &ue);

		free(done);
		if (kept) {
			char step[sizeof(ue.msg)];

			/* The failed step first: a long message is cut at its end. */
			snprintf(step, sizeof(step), "%s", err ? err->msg : "");
			vnl_errf(err, r, "deploy stopped: %s; %u of the %u objects it had created could not be removed: %s",
				 step, kept, n_done, ue.msg);
		} else
			vnl_err_wrap(err, "deploy stopped%s", n_done ? ", what it had created is removed again" : "");
		return r;
	}
	free(done);
	/* What only the lab has. */
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		bool in_file = false;

		for (unsigned j = 0; j < f->n_lans && !in_file; j++)
			in_file = !strcmp(f->lans[j].name, l->topo->lans[i].name);
		if (!in_file)
			addf(extra, "lan %s", l->topo->lans[i].name);
	}
	for (unsigned i = 0; i < l->topo->n_nodes; i++)
		if (topo_find_node(f, l->topo->nodes[i].name) == NULL)
			addf(extra, "node %s", l->topo->nodes[i].name);
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];

		if (topo_find_link(f, k->node, k->nic) == NULL)
			addf(extra, "link %s:%u %s", k->node, k->nic, k->lan);
	}
	return 0;
}
