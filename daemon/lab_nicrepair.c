/* SPDX-License-Identifier: GPL-2.0-only */
/* The watch and repair of VM NICs that lost their features (lab_nicrepair.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lab_nicrepair.h"
#include "log.h"

LOG_SUBSYS("lab");

/* The port negotiated vhost-user's PROTOCOL_FEATURES only. */
#define FEATURES_PROTOCOL_ONLY (1ULL << 30)

/* One NIC seen lost at least once. */
struct nic_rec {
	char node[TOPO_NAME_MAX + 1]; /* "" when the record is free */
	unsigned nic;
	bool lost;                    /* its features were lost at the last look */
	bool busy;                    /* a repair runs (done() not called yet) */
	unsigned tries;               /* repairs tried since this loss began */
	int64_t tried_ms;             /* when the last one began */
	unsigned repairs;             /* repairs that worked, since vnld started */
	char error[200];              /* the last failure's text, "" when none */
};

static struct nic_rec recs[LAB_NIC_RECS];

static struct nic_rec *rec_find(const char *node, unsigned nic, bool make)
{
	struct nic_rec *free_rec = NULL;

	for (unsigned i = 0; i < LAB_NIC_RECS; i++) {
		if (recs[i].node[0] == '\0') {
			free_rec = free_rec ? free_rec : &recs[i];
		} else if (recs[i].nic == nic && !strcmp(recs[i].node, node)) {
			return &recs[i];
		}
	}
	if (!make || free_rec == NULL)
		return NULL;
	memset(free_rec, 0, sizeof(*free_rec));
	snprintf(free_rec->node, sizeof(free_rec->node), "%s", node);
	free_rec->nic = nic;
	return free_rec;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The switch's ports (a new reference, or NULL: switch away or slow; after
 * a slow answer the switch is not asked for LAB_NIC_SKIP_MS). */
static struct json_object *ports_get(struct lab *l)
{
	static int64_t missed_at = -LAB_NIC_SKIP_MS;
	struct json_object *req, *reply = NULL, *ports = NULL;
	struct vnl_err e = { 0 };

	if (mono_ms() - missed_at < LAB_NIC_SKIP_MS)
		return NULL;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("show-ports"));
	if (lab_switch_call_ms(&l->sw, req, LAB_NIC_SHOW_MS, &reply, &e) == 0 &&
	    json_object_object_get_ex(reply, "ports", &ports) && json_object_is_type(ports, json_type_array)) {
		json_object_get(ports);
	} else {
		ports = NULL;
		if (e.code != -ENOTCONN)
			missed_at = mono_ms();
	}
	json_object_put(reply);
	json_object_put(req);
	return ports;
}

/* Port features of NIC nic of node: 1 lost, 0 healthy, -1 unknown (no
 * such port, or qemu not connected to it). */
static int nic_lost(const char *node, unsigned nic, struct json_object *ports)
{
	char port[TOPO_NAME_MAX + 8];

	lab_port_name(node, nic, port, sizeof(port));
	for (size_t j = 0; j < json_object_array_length(ports); j++) {
		struct json_object *p = json_object_array_get_idx(ports, j);
		const char *hex = str_of(p, "features");
		unsigned long long f;

		if (strcmp(str_of(p, "name") ?: "", port) || hex == NULL)
			continue;
		f = strtoull(hex, NULL, 16);
		if (f == 0)
			return -1;
		return (f & ~FEATURES_PROTOCOL_ONLY) == 0;
	}
	return -1;
}

/* Update n's records from the switch's ports; returns a bit per lost NIC
 * (the first 64). */
static uint64_t scan(const struct topo_node *n, struct json_object *ports)
{
	uint64_t lost = 0;

	for (unsigned nic = 0; nic < n->nics && nic < 64; nic++) {
		int s = nic_lost(n->name, nic, ports);
		struct nic_rec *r = rec_find(n->name, nic, s == 1);

		if (s == 1) {
			lost |= 1ULL << nic;
			if (r == NULL || r->lost)
				continue;
			r->lost = true;
			log_warning("node %s: NIC %u negotiated no virtio features after a switch restart "
				    "(qemu replayed the features of a guest still probing it): vnld repairs it in the guest",
				    n->name, nic);
		} else if (s == 0 && r && r->lost) {
			r->lost = false; /* healed: a later loss is counted afresh */
			r->tries = 0;
			r->error[0] = '\0';
		}
	}
	return lost;
}

static bool ported(const struct lab *l, const struct topo_node *n)
{
	const struct node_kind *k = (l->kind_find ? l->kind_find : node_kind_find)(topo_kind_name(n->kind));

	return k && k->nics_ported;
}

void lab_nic_json(struct lab *l, const struct topo_node *n, struct json_object *o)
{
	struct json_object *ports = ports_get(l), *lost = NULL, *rep = NULL;
	uint64_t bits = ports ? scan(n, ports) : 0;
	unsigned repairs = 0;

	json_object_put(ports);
	for (unsigned nic = 0; nic < n->nics && nic < 64; nic++) {
		struct nic_rec *r = rec_find(n->name, nic, false);
		struct json_object *e;

		repairs += r ? r->repairs : 0;
		if (!(bits & (1ULL << nic)))
			continue;
		if (lost == NULL) {
			lost = json_object_new_array();
			rep = json_object_new_array();
		}
		json_object_array_add(lost, json_object_new_int((int)nic));
		e = json_object_new_object();
		json_object_object_add(e, "nic", json_object_new_int((int)nic));
		json_object_object_add(e, "state",
				       json_object_new_string(r && r->busy                     ? "running"
							      : r && r->tries >= LAB_NIC_TRIES ? "failed"
											       : "waiting"));
		json_object_object_add(e, "tries", json_object_new_int(r ? (int)r->tries : 0));
		if (r && r->error[0])
			json_object_object_add(e, "error", json_object_new_string(r->error));
		json_object_array_add(rep, e);
	}
	if (lost) {
		json_object_object_add(o, "nic_features_lost", lost);
		json_object_object_add(o, "nic_repair", rep);
	}
	if (l->nic_repair)
		json_object_object_add(o, "nic_repairs", json_object_new_int((int)repairs));
}

/* The kind's answer for a repair started by try_repair(). */
static void repair_done(int code, const char *text, void *arg)
{
	struct nic_rec *r = arg;

	r->busy = false;
	if (code == 0) {
		r->repairs++;
		r->error[0] = '\0';
		log_info("node %s: NIC %u repaired (try %u): %s", r->node, r->nic, r->tries, text);
		return;
	}
	snprintf(r->error, sizeof(r->error), "%s%s(%s %d)", text, text[0] ? " " : "",
		 code < 0 ? "error" : "exit status", code < 0 ? -code : code);
	for (char *c = r->error; *c; c++)
		if ((unsigned char)*c < ' ')
			*c = ' '; /* one log line, one show string */
	log_warning("node %s: NIC %u: repair failed (try %u of %u): %s%s", r->node, r->nic, r->tries,
		    LAB_NIC_TRIES, r->error,
		    r->tries >= LAB_NIC_TRIES ? "; giving up: reboot the guest" : "; trying again later");
}

static void try_repair(struct lab *l, const struct topo_node *n, unsigned nic, int64_t now)
{
	struct nic_rec *r = rec_find(n->name, nic, false);
	struct vnl_err e = { 0 };
	int rc;

	if (r == NULL || r->busy || r->tries >= LAB_NIC_TRIES || (r->tries && now - r->tried_ms < LAB_NIC_RETRY_MS))
		return;
	rc = l->nic_repair(n, nic, repair_done, r, &e);
	if (rc == -EHOSTDOWN || rc == -EAGAIN)
		return; /* not a try: asked again at the next tick */
	r->tries++;
	r->tried_ms = now;
	if (rc == 0) {
		r->busy = true;
		return;
	}
	repair_done(rc, e.msg, r);
}

/* Records of nodes the model lost (not of running repairs: done() holds them). */
static void recs_prune(const struct topo *t)
{
	for (unsigned i = 0; i < LAB_NIC_RECS; i++)
		if (recs[i].node[0] && !recs[i].busy && topo_find_node(t, recs[i].node) == NULL)
			recs[i].node[0] = '\0';
}

void lab_nic_tick(struct lab *l)
{
	static bool running;
	struct json_object *ports;
	bool any = false;
	int64_t now;

	if (running || l->nic_repair == NULL || l->topo == NULL)
		return;
	for (unsigned i = 0; i < l->topo->n_nodes && !any; i++)
		any = ported(l, &l->topo->nodes[i]);
	if (!any)
		return;
	running = true; /* ports_get() may run the loop, and this timer with it */
	ports = ports_get(l);
	running = false;
	if (ports == NULL)
		return;
	now = mono_ms();
	recs_prune(l->topo);
	for (unsigned i = 0; i < l->topo->n_nodes; i++) {
		const struct topo_node *n = &l->topo->nodes[i];
		uint64_t bits;

		if (!ported(l, n))
			continue;
		bits = scan(n, ports);
		for (unsigned nic = 0; nic < n->nics && nic < 64; nic++)
			if (bits & (1ULL << nic))
				try_repair(l, n, nic, now);
	}
	json_object_put(ports);
}
