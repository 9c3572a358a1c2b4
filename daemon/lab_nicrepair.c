/* SPDX-License-Identifier: GPL-2.0-only */
/* The watch and repair of VM NICs that lost their features (lab_nicrepair.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lab_nicrepair.h"
#include "log.h"
#include "ratelimit.h"

LOG_SUBSYS("lab");

/* The port negotiated vhost-user's PROTOCOL_FEATURES only. */
#define FEATURES_PROTOCOL_ONLY (1ULL << 30)

#define NIC_TEXT 256 /* a repair's text kept */

/* One NIC seen lost at least once. */
struct nic_rec {
	char node[TOPO_NAME_MAX + 1]; /* "" when the record is free */
	unsigned nic;
	bool lost;                    /* its features were lost at the last look */
	unsigned lost_looks;          /* consecutive looks that saw it lost */
	int64_t lost_since_ms;        /* the first of them */
	int64_t healed_ms;            /* when the previous loss ended (0: none) */
	bool busy;                    /* a repair runs (done() not called yet) */
	bool confirming;              /* the guest renegotiated: counted when the switch agrees */
	int64_t done_ms;              /* when the last repair ended */
	unsigned tries;               /* repairs tried since this loss began */
	int64_t tried_ms;             /* when the last one began */
	unsigned repairs;             /* repairs that worked, since vnld started */
	char text[NIC_TEXT];        /* the guest's text of the repair being confirmed */
	bool but;                     /* ... which says a restore step failed */
	char last[NIC_TEXT];        /* the last repair that worked, but with failures ("" none) */
	char error[NIC_TEXT];       /* the last failure's text, "" when none */
	struct ratelimit rl;          /* the node's log lines (its first record's) */
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
	free_rec->rl = RATELIMIT_INIT(LAB_NIC_LOG_MS, LAB_NIC_LOG_BURST);
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

/* The limiter of node's log lines: its first record's. */
static struct ratelimit *node_rl(const char *node)
{
	for (unsigned i = 0; i < LAB_NIC_RECS; i++)
		if (!strcmp(recs[i].node, node))
			return &recs[i].rl;
	return NULL;
}

/* A line about record r, within its node's rate limit. */
#define nic_log(level, r, fmt, ...) \
	log_full_rl(node_rl((r)->node), (level), "node %s: NIC %u" fmt, (r)->node, (r)->nic, ##__VA_ARGS__)

/* Control characters of s made spaces: one log line, one show string. */
static void one_line(char *s)
{
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < ' ')
			*c = ' ';
}

/* The switch says r's port has its features: a repair being confirmed worked. */
static void healed(struct nic_rec *r, int64_t now)
{
	if (r->confirming) {
		r->confirming = false;
		r->repairs++;
		if (r->but)
			snprintf(r->last, sizeof(r->last), "%s", r->text);
		else
			r->last[0] = '\0';
		nic_log(LOG_LEVEL_INFO, r, " repaired (try %u)%s %s", r->tries, r->but ? ", but:" : ":", r->text);
	}
	if (r->lost)
		r->healed_ms = now;
	r->lost = false;
	r->lost_looks = 0;
	r->error[0] = '\0';
}

/* The switch says r's port lost its features (again). */
static void still_lost(struct nic_rec *r, int64_t now)
{
	if (r->lost_looks++ == 0)
		r->lost_since_ms = now;
	if (r->confirming && now - r->done_ms >= LAB_NIC_TICK_MS) {
		r->confirming = false;
		snprintf(r->error, sizeof(r->error), "the guest renegotiated (%.*s), the port still has no features",
			 (int)sizeof(r->error) - 64, r->text);
		nic_log(LOG_LEVEL_WARNING, r, ": repair failed (try %u of %u): %s%s", r->tries, LAB_NIC_TRIES,
			r->error, r->tries >= LAB_NIC_TRIES ? "; giving up: reboot the guest" : "; trying again later");
	}
	if (r->lost)
		return;
	r->lost = true;
	if (r->healed_ms == 0 || now - r->healed_ms >= LAB_NIC_FLAP_MS)
		r->tries = 0; /* a fresh loss; one soon after the last is counted with it */
	if (r->tries >= LAB_NIC_TRIES) {
		/* A flapping NIC: its tries are spent; say so, not "failed". */
		snprintf(r->error, sizeof(r->error), "lost again within %d min of the last repair, after %u tries",
			 LAB_NIC_FLAP_MS / 60000, r->tries);
		nic_log(LOG_LEVEL_WARNING, r, " negotiated no virtio features again (%s): not reset again; reboot the guest",
			r->error);
		return;
	}
	nic_log(LOG_LEVEL_WARNING, r,
		" negotiated no virtio features after a switch restart (qemu replayed the features of a guest "
		"still probing it): vnld repairs it in the guest");
}

/* Update n's records from the switch's ports; returns a bit per lost NIC
 * (the first 64). */
static uint64_t scan(const struct topo_node *n, struct json_object *ports)
{
	int64_t now = mono_ms();
	uint64_t lost = 0;

	for (unsigned nic = 0; nic < n->nics && nic < 64; nic++) {
		int s = nic_lost(n->name, nic, ports);
		struct nic_rec *r = rec_find(n->name, nic, s == 1);

		if (s == 1) {
			lost |= 1ULL << nic;
			if (r)
				still_lost(r, now);
		} else if (s == 0 && r) {
			healed(r, now);
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
	struct json_object *ports = ports_get(l), *lost = NULL, *rep = NULL, *notes = NULL;
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
							      : r && r->confirming             ? "confirming"
							      : r && r->tries >= LAB_NIC_TRIES ? "failed"
											       : "waiting"));
		json_object_object_add(e, "tries", json_object_new_int(r ? (int)r->tries : 0));
		if (r && r->error[0])
			json_object_object_add(e, "error", json_object_new_string(r->error));
		json_object_array_add(rep, e);
	}
	for (unsigned nic = 0; nic < n->nics && nic < 64; nic++) {
		struct nic_rec *r = rec_find(n->name, nic, false);
		struct json_object *e;

		if (r == NULL || r->last[0] == '\0')
			continue;
		if (notes == NULL)
			notes = json_object_new_array();
		e = json_object_new_object();
		json_object_object_add(e, "nic", json_object_new_int((int)nic));
		json_object_object_add(e, "text", json_object_new_string(r->last));
		json_object_array_add(notes, e);
	}
	if (notes)
		json_object_object_add(o, "nic_repair_notes", notes);
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
	r->done_ms = mono_ms();
	if (code == -ECANCELED) {
		r->tries--; /* vnld closes: not a try, and nothing to say */
		return;
	}
	if (code == -EHOSTDOWN) {
		r->tries--;
		nic_log(LOG_LEVEL_INFO, r, ": repair interrupted (%s: the guest stopped answering); tried again when it answers",
			text);
		return;
	}
	if (code == 0 || (code > 0 && strstr(text, "renegotiated"))) {
		r->confirming = true; /* counted (and logged) when the switch sees the features */
		r->but = code != 0;
		snprintf(r->text, sizeof(r->text), "%s", text);
		one_line(r->text);
		return;
	}
	snprintf(r->error, sizeof(r->error), "%s%s(%s %d)", text, text[0] ? " " : "",
		 code < 0 ? "error" : "exit status", code < 0 ? -code : code);
	one_line(r->error);
	nic_log(LOG_LEVEL_WARNING, r, ": repair failed (try %u of %u): %s%s", r->tries, LAB_NIC_TRIES, r->error,
		r->tries >= LAB_NIC_TRIES ? "; giving up: reboot the guest" : "; trying again later");
}

/* A repair of n runs (one at a time per node: a guest's resets at once swap
 * its kernel names). */
static bool node_busy(const char *node)
{
	for (unsigned i = 0; i < LAB_NIC_RECS; i++)
		if (recs[i].busy && !strcmp(recs[i].node, node))
			return true;
	return false;
}

static void try_repair(struct lab *l, const struct topo_node *n, unsigned nic, int64_t now)
{
	struct nic_rec *r = rec_find(n->name, nic, false);
	struct vnl_err e = { 0 };
	int rc;

	if (r == NULL || r->busy || r->confirming || r->tries >= LAB_NIC_TRIES ||
	    (r->tries && now - r->tried_ms < LAB_NIC_RETRY_MS) || r->lost_looks < 2 ||
	    now - r->lost_since_ms < LAB_NIC_PERSIST_MS || node_busy(n->name))
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
