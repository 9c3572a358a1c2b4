/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld: the control process of one lab (docs/vnld.md): serves the JSON-lines
 * protocol of CLI clients on the lab's socket and turns requests into lab
 * transactions (lab.h, deploy.h); supervises the lab's vnl-switchd (restart
 * and re-push after a crash); on start, re-adopts what a previous vnld left
 * running and cleans what it left half made.
 *
 * Signals: SIGTERM/SIGINT stop vnld only; the lab (switch, nodes) keeps
 * running and the next vnld adopts it. The "stop" command tears the lab down.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispatch.h"
#include "err.h"
#include "evloop.h"
#include "fsutil.h"
#include "jsonl.h"
#include "deploy.h"
#include "lab.h"
#include "lab_capture.h"
#include "lab_nicrepair.h"
#include "lab_switch.h"
#include "log.h"
#include "logcap.h"
#include "node_kind.h"
#include "paths.h"
#include "scavenge.h"
#include "state.h"
#include "topology.h"
#include "wait.h"

struct vnld {
	char run_dir[64];          /* /run/vnetlab/LAB */
	struct evloop *loop;
	struct jsonl_server *srv;
	struct lab lab;            /* model, switch, kinds */
	/* The kinds' per-lab state (node_kind.h lab_open; the vm kind's guests
	 * and session relay), one per entry of node_kinds[]; NULL until
	 * kinds_open() and after kinds_close(). */
	void **kind_state;
	bool stop_lab;             /* "stop": tear the lab down on the way out */
	/* A lab transaction (a request that changes the lab, a switch restart,
	 * start-up) runs; it may be waiting in a nested loop. Others that
	 * change the lab are held (JSONL_DEFER) until it ends. */
	bool busy;
	/* Request handlers on the stack. A transaction starts only when none
	 * is: a read-only one may be waiting in a nested loop (show asks crun,
	 * stats the switch) in the middle of walking the model. */
	unsigned handling;
};

static struct vnld d;

LOG_SUBSYS("main");

static void emit(struct json_object *ev, void *arg)
{
	(void)arg;
	jsonl_publish(d.srv, ev);
}

/* An event with one member whose value (taken) is any JSON. */
static void publish_obj(const char *event, const char *key, struct json_object *val)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, key, val);
	emit(o, NULL);
	json_object_put(o);
}

static void publish(const char *event, const char *key, const char *val)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	if (key != NULL)
		json_object_object_add(o, key, json_object_new_string(val));
	emit(o, NULL);
	json_object_put(o);
}

/* ---- the kinds' per-lab side (node_kind.h, "The kind's side in vnld") ---- */

/* The kind of node n, NULL if this build lacks it. */
static const struct node_kind *kind_of_node(const struct topo_node *n)
{
	return node_kind_find(topo_kind_name(n->kind));
}

/* The lab_open() state of kind k (NULL for kinds without one). */
static void *kind_state(const struct node_kind *k)
{
	for (unsigned i = 0; d.kind_state && node_kinds[i]; i++)
		if (node_kinds[i] == k)
			return d.kind_state[i];
	return NULL;
}

static void kinds_close(void)
{
	for (unsigned i = 0; d.kind_state && node_kinds[i]; i++)
		if (node_kinds[i]->lab_close)
			node_kinds[i]->lab_close(d.kind_state[i]);
	free(d.kind_state);
	d.kind_state = NULL;
}

static int kinds_open(struct vnl_err *err)
{
	const struct node_lab nl = { .loop = d.loop, .lab = d.lab.name, .run_dir = d.run_dir, .emit = emit };
	unsigned n = 0;

	while (node_kinds[n])
		n++;
	if ((d.kind_state = calloc(n, sizeof(d.kind_state[0]))) == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		if (node_kinds[i]->lab_open == NULL)
			continue;
		d.kind_state[i] = node_kinds[i]->lab_open(&nl, err);
		if (d.kind_state[i] == NULL) {
			kinds_close();
			return vnl_err_wrap(err, "kind %s", node_kinds[i]->schema->name);
		}
	}
	return 0;
}

/* The kinds' per-lab state follows the model (after every change). */
static void kinds_sync(void)
{
	for (unsigned i = 0; d.kind_state && node_kinds[i]; i++)
		if (node_kinds[i]->lab_sync)
			node_kinds[i]->lab_sync(d.kind_state[i], d.lab.topo);
}

static void node_json(const struct topo_node *n, struct json_object *o, void *arg)
{
	const struct node_kind *k = kind_of_node(n);
	struct node_ctx ctx;

	(void)arg;
	if (k == NULL || k->live_status == NULL || d.kind_state == NULL)
		return;
	lab_node_ctx(&d.lab, n, &ctx);
	k->live_status(kind_state(k), &ctx, o);
}

/* The lab's nic_repair hook: the node's kind's slot with its per-lab state. */
static int nic_repair(const struct topo_node *n, unsigned nic, void (*done)(int code, const char *text, void *arg),
		      void *arg, struct vnl_err *err)
{
	const struct node_kind *k = kind_of_node(n);
	struct node_ctx ctx;

	if (k == NULL || k->nic_repair == NULL || d.kind_state == NULL)
		return vnl_errf(err, -EOPNOTSUPP, "node %s: its kind cannot repair a NIC", n->name);
	lab_node_ctx(&d.lab, n, &ctx);
	return k->nic_repair(kind_state(k), &ctx, nic, done, arg, err);
}

/* The NIC features look (lab_nicrepair.h), held like a read-only request:
 * no transaction starts while it waits for the switch, none runs when it
 * starts. */
static void nic_tick(struct ev_watch *w, void *arg)
{
	(void)w, (void)arg;
	if (d.busy || d.handling || d.stop_lab)
		return;
	d.handling++;
	lab_nic_tick(&d.lab);
	d.handling--;
	if (d.handling == 0 && !d.busy)
		jsonl_resume(d.srv);
}

/* The wait.h hook: waits run vnld's loop (docs/vnld.md, "Waiting"). */
static int loop_wait(int fd, short events, long long deadline_ms, void *arg)
{
	(void)arg;
	return evloop_run_until(d.loop, fd, (uint32_t)events, deadline_ms);
}

static bool tx_begin(void *arg)
{
	(void)arg;
	if (d.busy || d.handling)
		return false;
	d.busy = true;
	return true;
}

static void tx_end(void *arg)
{
	(void)arg;
	d.busy = false;
	if (d.srv != NULL)
		jsonl_resume(d.srv);
}

static void switch_down(struct lab_switch *s, void *arg)
{
	(void)s, (void)arg;
	log_warning("vnl-switchd died; restarting it");
	publish("switch-down", NULL, NULL);
}

/* Recorded before it is waited for: a vnld killed meanwhile leaves a
 * switch the next one adopts, not an unknown one. */
static void switch_spawned(struct lab_switch *s, void *arg)
{
	struct vnl_err err;

	(void)s;
	if (lab_save(arg, &err) < 0)
		log_error("recording vnl-switchd pid %d: %s", (int)d.lab.sw.pid, err.msg);
}

/* ---- arguments ---- */

/* A string argument; optional ones give *out = NULL when absent. */
static int arg_str(struct json_object *req, const char *key, bool required, const char **out,
		   struct vnl_err *err)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(req, key, &v))
		return required ? vnl_errf(err, -EINVAL, "missing argument '%s'", key) : 0;
	if (!json_object_is_type(v, json_type_string))
		return vnl_errf(err, -EINVAL, "argument '%s' must be a string", key);
	*out = json_object_get_string(v);
	/* A "\u0000" would cut the string short without a word. */
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return vnl_errf(err, -EINVAL, "argument '%s' holds a NUL character", key);
	return 0;
}

/* A non-negative integer argument within [lo, hi]; absent optional: *out unchanged. */
static int arg_uint(struct json_object *req, const char *key, bool required, unsigned lo, unsigned hi,
		    unsigned *out, struct vnl_err *err)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, key, &v))
		return required ? vnl_errf(err, -EINVAL, "missing argument '%s'", key) : 0;
	if (!json_object_is_type(v, json_type_int))
		return vnl_errf(err, -EINVAL, "argument '%s' must be an integer", key);
	x = json_object_get_int64(v);
	if (x < lo || x > hi)
		return vnl_errf(err, -ERANGE, "argument '%s' must be in %u..%u", key, lo, hi);
	*out = (unsigned)x;
	return 0;
}

static int arg_name(struct json_object *req, const char *key, const char *what, const char **out,
		    struct vnl_err *err)
{
	int r = arg_str(req, key, true, out, err);

	if (r == 0)
		r = topo_check_name(*out, what, 0, 0, err);
	return r;
}

/* "NODE:N" of a switch port name, if it is one of a link's ports. */
static const char *port_ref(const char *port, char *buf, size_t size)
{
	const struct topo_link *k = lab_port_link(&d.lab, port);

	if (k == NULL)
		return port;
	snprintf(buf, size, "%s:%u", k->node, k->nic);
	return buf;
}

/* ---- commands ---- */

static int cmd_version(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	(void)req, (void)c, (void)err;
	json_object_object_add(reply, "version", json_object_new_string(VNL_VERSION));
	json_object_object_add(reply, "lab", json_object_new_string(d.lab.name));
	return 0;
}

/* The logger's thresholds, changed while vnld runs (common/log.h spec). */
static int cmd_log_level(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
			 struct vnl_err *err)
{
	const char *spec;
	int r;

	(void)reply, (void)c;
	if ((r = arg_str(req, "level", true, &spec, err)) < 0)
		return r;
	if (log_parse_levels(spec) < 0)
		return vnl_errf(err, -EINVAL, "log level '%s' is not LEVEL or SUBSYS=LEVEL items separated by "
				"commas (levels: error, warning, info, debug)", spec);
	log_info("log level set to %s", spec);
	return 0;
}

/* The layout of the lab's objects: {NAME: [X, Y]} (vnl web draws them there). */
static struct json_object *layout_json(const struct topo *t)
{
	struct json_object *o = json_object_new_object(), *xy;

	for (unsigned i = 0; i < t->n_layout; i++) {
		const struct topo_pos *p = &t->layout[i];

		xy = json_object_new_array();
		json_object_array_add(xy, json_object_new_int(p->x));
		json_object_array_add(xy, json_object_new_int(p->y));
		json_object_object_add(o, p->name, xy);
	}
	return o;
}

/* One coordinate of a layout request: an integer in range, else NULL. */
static bool layout_coord(struct json_object *v, int *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < -TOPO_LAYOUT_MAX || n > TOPO_LAYOUT_MAX)
		return false;
	*out = (int)n;
	return true;
}

/*
 * Set positions {NAME: [X, Y], ...} in t: all or none. Every entry's type,
 * range and object are checked before any is set; what only setting can
 * find (the lab's size limits, memory) puts the old layout back.
 */
static int layout_apply(struct topo *t, struct json_object *pos, struct vnl_err *err)
{
	unsigned n_old = t->n_layout;
	size_t bytes_old = t->save_bytes;
	struct topo_pos *old = NULL;
	int x = 0, y = 0, r = 0;

	json_object_object_foreach(pos, name, xy) {
		if (!json_object_is_type(xy, json_type_array) || json_object_array_length(xy) != 2)
			return vnl_errf(err, -EINVAL, "layout of '%s' must be [x, y], integers", name);
		if (!layout_coord(json_object_array_get_idx(xy, 0), &x) ||
		    !layout_coord(json_object_array_get_idx(xy, 1), &y))
			return vnl_errf(err, -ERANGE, "layout of '%s': x and y must be integers in -%d..%d", name,
					TOPO_LAYOUT_MAX, TOPO_LAYOUT_MAX);
		if (!topo_find_node(t, name) && !topo_find_lan(t, name))
			return vnl_errf(err, -ENOENT, "layout: no node or LAN named '%s' in lab %s", name,
					d.lab.name);
	}
	if (n_old && (old = malloc(n_old * sizeof(*old))) == NULL)
		return vnl_errf(err, -ENOMEM, "layout: out of memory");
	if (old)
		memcpy(old, t->layout, n_old * sizeof(*old));
	json_object_object_foreach(pos, key, val) {
		layout_coord(json_object_array_get_idx(val, 0), &x);
		layout_coord(json_object_array_get_idx(val, 1), &y);
		if ((r = topo_layout_set(t, key, x, y, err)) < 0)
			break;
	}
	if (r < 0) {
		if (old)
			memcpy(t->layout, old, n_old * sizeof(*old));
		t->n_layout = n_old;
		t->save_bytes = bytes_old;
	}
	free(old);
	return r;
}

/* `layout`: where vnl web draws objects; kept in the state file and saved
 * by `save`; subscribers get a `layout` event with the names. */
static int cmd_layout(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	struct json_object *pos;
	int r;

	(void)reply, (void)c;
	if (!json_object_object_get_ex(req, "positions", &pos) || !json_object_is_type(pos, json_type_object))
		return vnl_errf(err, -EINVAL, "argument 'positions' must be an object {NAME: [x, y]}");
	if ((r = layout_apply(d.lab.topo, pos, err)) < 0 || (r = lab_save(&d.lab, err)) < 0)
		return r;
	publish_obj("layout", "positions", json_object_get(pos));
	return 0;
}

static int cmd_show(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	struct json_object *lans, *nodes, *links, *sw;
	const struct topo *t = d.lab.topo;
	const char *name;
	int r;

	(void)c;
	if ((r = arg_str(req, "name", false, &name, err)) < 0)
		return r;
	if (name) {
		const struct topo_node *n = topo_find_node(t, name);
		const struct topo_lan *lan = topo_find_lan(t, name);

		if (n)
			json_object_object_add(reply, "node", lab_node_json(&d.lab, n));
		else if (lan)
			json_object_object_add(reply, "lan", lab_lan_json(&d.lab, lan));
		else
			return vnl_errf(err, -ENOENT, "no node or LAN named '%s' in lab %s", name, d.lab.name);
		return 0;
	}
	lans = json_object_new_array();
	nodes = json_object_new_array();
	links = json_object_new_array();
	sw = json_object_new_object();
	for (unsigned i = 0; i < t->n_lans; i++)
		json_object_array_add(lans, lab_lan_json(&d.lab, &t->lans[i]));
	for (unsigned i = 0; i < t->n_nodes; i++)
		json_object_array_add(nodes, lab_node_json(&d.lab, &t->nodes[i]));
	for (unsigned i = 0; i < t->n_links; i++)
		json_object_array_add(links, lab_link_json(&t->links[i]));
	json_object_object_add(reply, "lab", json_object_new_string(d.lab.name));
	json_object_object_add(sw, "pid", json_object_new_int(d.lab.sw.pid));
	json_object_object_add(sw, "restarts", json_object_new_int((int)d.lab.sw.restarts));
	json_object_object_add(sw, "socket", json_object_new_string(d.lab.sw.sock));
	json_object_object_add(reply, "switch", sw);
	json_object_object_add(reply, "lans", lans);
	json_object_object_add(reply, "nodes", nodes);
	json_object_object_add(reply, "links", links);
	json_object_object_add(reply, "layout", layout_json(t));
	lab_capture_show(&d.lab, reply);
	return 0;
}

/* The pipe that came with the request goes on to the switch; vnld's copy is closed. */
static int cmd_capture(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	int fd = c ? jsonl_conn_take_fd(c) : -1, r;

	r = lab_capture_start(&d.lab, req, fd, reply, err);
	if (fd >= 0)
		close(fd);
	return r;
}

static int cmd_capture_stop(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
			    struct vnl_err *err)
{
	(void)c;
	return lab_capture_stop(&d.lab, req, reply, err);
}

/*
 * The vxlan members of a lan-add or lan-set request into lan->vx (lan-set:
 * lan holds the LAN as it is; a member given replaces its value, "" or 0
 * clears it, vxlan 0 makes the LAN plain again): vxlan (VNI), remote
 * (array of addresses, one family), underlay, local, dstport.
 */
static int req_vxlan(struct json_object *req, struct topo_lan *lan, bool set, struct vnl_err *err)
{
	struct topo_vxlan *vx = &lan->vx;
	const char *underlay, *local;
	struct json_object *rem;
	bool any = false;
	int r;

	if ((r = arg_uint(req, "vxlan", false, set ? 0 : 1, TOPO_VXLAN_VNI_MAX, &vx->vni, err)) < 0 ||
	    (r = arg_uint(req, "dstport", false, set ? 0 : 1, 65535, &vx->dstport, err)) < 0 ||
	    (r = arg_str(req, "underlay", false, &underlay, err)) < 0 || (r = arg_str(req, "local", false, &local, err)) < 0)
		return r;
	if (json_object_object_get_ex(req, "remote", &rem)) {
		if (!json_object_is_type(rem, json_type_array))
			return vnl_errf(err, -EINVAL, "argument 'remote' must be an array of addresses");
		vx->n_remote = 0;
		vx->family = vx->has_local ? vx->family : 0;
		for (size_t i = 0; i < json_object_array_length(rem); i++) {
			struct json_object *a = json_object_array_get_idx(rem, i);

			if (!json_object_is_type(a, json_type_string))
				return vnl_errf(err, -EINVAL, "argument 'remote' must be an array of addresses");
			if ((r = topo_vxlan_add_remote(vx, json_object_get_string(a), "remote", 0, 0, err)) < 0)
				return r;
		}
		any = true;
	}
	if (underlay && underlay[0] && (r = topo_vxlan_check_ifname(underlay, err)) < 0)
		return r;
	if (underlay)
		snprintf(vx->underlay, sizeof(vx->underlay), "%s", underlay);
	if (local && !local[0]) {
		vx->has_local = false;
		vx->family = vx->n_remote ? vx->family : 0;
	} else if (local && (r = topo_vxlan_set_local(vx, local, "local", 0, 0, err)) < 0)
		return r;
	any = any || underlay || local || json_object_object_get_ex(req, "dstport", NULL);
	if (!set && any && vx->vni == 0)
		return vnl_errf(err, -EINVAL, "LAN %s: remote, underlay, local and dstport are a vxlan's: give vxlan VNI",
				lan->name);
	if (set && vx->vni == 0)
		*vx = (struct topo_vxlan){ 0 };
	return 0;
}

static int cmd_lan_add(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	struct topo_lan lan = { 0 };
	const char *name;
	int r;

	(void)c;
	if ((r = arg_name(req, "name", "LAN", &name, err)) < 0 ||
	    (r = arg_uint(req, "mtu", false, TOPO_LAN_MTU_MIN, TOPO_LAN_MTU_MAX, &lan.mtu, err)) < 0)
		return r;
	snprintf(lan.name, sizeof(lan.name), "%s", name);
	if ((r = req_vxlan(req, &lan, false, err)) < 0 || (r = lab_lan_add(&d.lab, &lan, err)) < 0)
		return r;
	json_object_object_add(reply, "lan", lab_lan_json(&d.lab, topo_find_lan(d.lab.topo, name)));
	return 0;
}

/* lan-set: the LAN's mtu and vxlan (lab_vxlan.h). */
static int cmd_lan_set(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	const struct topo_lan *cur;
	struct topo_lan lan;
	const char *name;
	unsigned mtu;
	int r;

	(void)c;
	if ((r = arg_name(req, "name", "LAN", &name, err)) < 0)
		return r;
	if ((cur = topo_find_lan(d.lab.topo, name)) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", name, d.lab.name);
	lan = *cur;
	mtu = lan.mtu;
	if ((r = arg_uint(req, "mtu", false, 0, TOPO_LAN_MTU_MAX, &mtu, err)) < 0)
		return r;
	if (mtu && mtu < TOPO_LAN_MTU_MIN)
		return vnl_errf(err, -ERANGE, "argument 'mtu' must be in %d..%d (0: not given)", TOPO_LAN_MTU_MIN,
				TOPO_LAN_MTU_MAX);
	lan.mtu = mtu;
	if ((r = req_vxlan(req, &lan, true, err)) < 0 || (r = lab_lan_set(&d.lab, &lan, err)) < 0)
		return r;
	json_object_object_add(reply, "lan", lab_lan_json(&d.lab, topo_find_lan(d.lab.topo, name)));
	return 0;
}

static int cmd_lan_del(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	struct json_object *un = json_object_new_array();
	const char *name;
	int r;

	(void)c;
	if ((r = arg_name(req, "name", "LAN", &name, err)) < 0 || (r = lab_lan_del(&d.lab, name, un, err)) < 0) {
		json_object_put(un);
		return r;
	}
	json_object_object_add(reply, "unlinked", un);
	return 0;
}

/*
 * Option o of a node-add request (its member o->req, else o->name) into *v;
 * absent: unset. List entries are stored in store[*used..] (*used grows;
 * TOPO_MAX_OBJECTS slots in all) and point into req.
 */
static int req_opt(struct json_object *req, const struct topo_opt *o, struct topo_val *v, char **store,
		   unsigned *used, struct vnl_err *err)
{
	const char *key = o->req ? o->req : o->name, *s;
	struct json_object *a;
	size_t n;
	int r;

	if (!json_object_object_get_ex(req, key, &a))
		return 0;
	switch (o->type) {
	case TOPO_OPT_UINT:
		r = arg_uint(req, key, true, o->min, o->max, &v->num, err);
		v->set = r == 0;
		return r;
	case TOPO_OPT_TEXT:
		r = arg_str(req, key, true, &s, err);
		*v = (struct topo_val){ .set = r == 0, .text = (char *)s };
		return r;
	case TOPO_OPT_ENUM:
		r = arg_str(req, key, true, &s, err);
		if (r == 0)
			r = topo_parse_enum(o, s, key, 0, 0, &v->num, err);
		v->set = r == 0;
		return r;
	default:
		n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
		if (!json_object_is_type(a, json_type_array) || n > TOPO_MAX_OBJECTS - *used)
			goto bad_list;
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(a, i);

			if (!json_object_is_type(e, json_type_string) ||
			    strlen(json_object_get_string(e)) != (size_t)json_object_get_string_len(e))
				goto bad_list;
			store[*used + i] = (char *)json_object_get_string(e);
		}
		*v = (struct topo_val){ .set = n > 0, .list = store + *used, .n = (unsigned)n };
		*used += (unsigned)n;
		return 0;
	}
bad_list:
	return vnl_errf(err, -EINVAL, "argument '%s' must be a list of %sstrings", key,
			o->type == TOPO_OPT_ENV ? "KEY=VALUE " : "");
}

/*
 * node-add's arguments decoded into *n: name, kind, nics, then the options
 * of the kind by its schema (members named as its options; one of another
 * kind is refused naming the kinds that have it). n's strings point into req
 * and envv (at least TOPO_MAX_OBJECTS slots, for list options), valid while
 * req lives. 0 or -errno with err set. The vnldreq fuzz target decodes
 * through here too.
 */
static int req_node(struct json_object *req, struct topo_node *n, char **envv, struct vnl_err *err)
{
	static const char *const generic[] = { "cmd", "name", "kind", "nics", NULL };
	const char *name, *kind;
	char buf[128];
	unsigned used = 0;
	int r;

	*n = (struct topo_node){ .nics = 1 };
	if ((r = arg_name(req, "name", "node", &name, err)) < 0 || (r = arg_str(req, "kind", true, &kind, err)) < 0 ||
	    (r = arg_uint(req, "nics", false, 1, TOPO_NICS_MAX, &n->nics, err)) < 0)
		return r;
	if ((n->kind = topo_kind_find(kind)) == NULL)
		return vnl_errf(err, -EINVAL, "unknown node kind '%s' (kinds: %s)", kind,
				topo_kind_list(buf, sizeof(buf)));
	snprintf(n->name, sizeof(n->name), "%s", name);
	json_object_object_foreach(req, key, val) {
		const char *const *g;

		(void)val;
		for (g = generic; *g && strcmp(*g, key); g++)
			;
		if (*g || topo_opt_req_index(n->kind, key) >= 0)
			continue;
		if (topo_opt_owners(key, true, buf, sizeof(buf)))
			return vnl_errf(err, -EINVAL, "node '%s': %s is for %s, not %s", n->name, key, buf,
					n->kind->name);
		return vnl_errf(err, -EINVAL, "unknown argument '%s' for node-add", key);
	}
	for (unsigned i = 0; i < n->kind->n_opts; i++)
		if ((r = req_opt(req, &n->kind->opts[i], &n->opt[i], envv, &used, err)) < 0)
			return r;
	return 0;
}

static int cmd_node_add(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
			struct vnl_err *err)
{
	char *envv[TOPO_MAX_OBJECTS];
	struct topo_node n;
	int r;

	(void)c;
	if ((r = req_node(req, &n, envv, err)) < 0 || (r = lab_node_add(&d.lab, &n, err)) < 0)
		return r;
	json_object_object_add(reply, "node", lab_node_json(&d.lab, topo_find_node(d.lab.topo, n.name)));
	return 0;
}

static int cmd_del(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		   struct vnl_err *err)
{
	struct json_object *un;
	const char *name, *what;
	int r;

	(void)c;
	if ((r = arg_str(req, "name", true, &name, err)) < 0)
		return r;
	un = json_object_new_array();
	if (topo_find_node(d.lab.topo, name))
		what = "node", r = lab_node_del(&d.lab, name, un, err);
	else if (topo_find_lan(d.lab.topo, name))
		what = "lan", r = lab_lan_del(&d.lab, name, un, err);
	else
		what = NULL, r = vnl_errf(err, -ENOENT, "no node or LAN named '%s' in lab %s", name, d.lab.name);
	if (r < 0) {
		json_object_put(un);
		return r;
	}
	json_object_object_add(reply, "deleted", json_object_new_string(what));
	json_object_object_add(reply, "unlinked", un);
	return 0;
}

/* link's arguments decoded into *k. 0 or -errno with err set. The vnldreq
 * fuzz target decodes through here too. */
static int req_link(struct json_object *req, struct topo_link *k, struct vnl_err *err)
{
	const char *node, *lan, *ip, *type;
	int r;

	*k = (struct topo_link){ 0 };
	if ((r = arg_name(req, "node", "node", &node, err)) < 0 ||
	    (r = arg_uint(req, "nic", true, 0, TOPO_NICS_MAX - 1, &k->nic, err)) < 0 ||
	    (r = arg_name(req, "lan", "LAN", &lan, err)) < 0 || (r = arg_str(req, "ip", false, &ip, err)) < 0 ||
	    (r = arg_str(req, TOPO_NIC_TYPE, false, &type, err)) < 0)
		return r;
	/* Checked against the node's kind by lab_link_add(). */
	if (type && (strlen(type) >= sizeof(k->nic_type) || topo_check_name(type, "", 0, 0, NULL) < 0 || !*type))
		return vnl_errf(err, -EINVAL, "argument 'nic-type' must be a word of the node kind's nic-type option");
	if (type)
		snprintf(k->nic_type, sizeof(k->nic_type), "%s", type);
	if (ip) {
		if ((r = topo_parse_addr(ip, &k->addr, &k->plen, err)) < 0)
			return r;
		k->has_addr = true;
	}
	snprintf(k->node, sizeof(k->node), "%s", node);
	snprintf(k->lan, sizeof(k->lan), "%s", lan);
	return 0;
}

static int cmd_link(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	struct topo_link k;
	int r;

	(void)c;
	if ((r = req_link(req, &k, err)) < 0 || (r = lab_link_add(&d.lab, &k, err)) < 0)
		return r;
	json_object_object_add(reply, "link", lab_link_json(topo_find_link(d.lab.topo, k.node, k.nic)));
	return 0;
}

static int cmd_unlink(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	const char *node;
	unsigned nic;
	int r;

	(void)reply, (void)c;
	if ((r = arg_name(req, "node", "node", &node, err)) < 0 ||
	    (r = arg_uint(req, "nic", true, 0, TOPO_NICS_MAX - 1, &nic, err)) < 0)
		return r;
	return lab_link_del(&d.lab, node, nic, err);
}

/*
 * impair's arguments decoded: the link node:nic, the directions (bits
 * 1 << TOPO_IMP_OUT/IN; `dir` in, out or both, default both) and their new
 * set in imp[] (zero with `clear`), keys in the file's words (strings; an
 * integer for limit, gap, overhead or seed too). The vnldreq fuzz target
 * decodes through here too.
 */
static int req_impair(struct json_object *req, const char **node, unsigned *nic, unsigned *dirs,
		      struct topo_impair imp[TOPO_IMP_DIRS], struct vnl_err *err)
{
	struct json_object *v;
	const char *dir;
	unsigned keys = 0;
	bool clear = false;
	char list[256];
	int r;

	memset(imp, 0, sizeof(struct topo_impair) * TOPO_IMP_DIRS);
	if ((r = arg_name(req, "node", "node", node, err)) < 0 ||
	    (r = arg_uint(req, "nic", true, 0, TOPO_NICS_MAX - 1, nic, err)) < 0 ||
	    (r = arg_str(req, "dir", false, &dir, err)) < 0)
		return r;
	if (dir == NULL || !strcmp(dir, "both"))
		*dirs = 1u << TOPO_IMP_OUT | 1u << TOPO_IMP_IN;
	else if (!strcmp(dir, "out") || !strcmp(dir, "in"))
		*dirs = 1u << (!strcmp(dir, "out") ? TOPO_IMP_OUT : TOPO_IMP_IN);
	else
		return vnl_errf(err, -EINVAL, "argument 'dir' must be in, out or both, not '%.32s'", dir);
	if (json_object_object_get_ex(req, "clear", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return vnl_errf(err, -EINVAL, "argument 'clear' must be true or false");
		clear = json_object_get_boolean(v);
	}
	for (unsigned k = 0; k < TOPO_IMP_KEYS; k++) {
		const char *text;

		if (!json_object_object_get_ex(req, topo_impair_keys[k], &v))
			continue;
		if (json_object_is_type(v, json_type_int) &&
		    (k == TOPO_IMP_LIMIT || k == TOPO_IMP_GAP || k == TOPO_IMP_OVERHEAD || k == TOPO_IMP_SEED))
			text = json_object_get_string(v);
		else if ((r = arg_str(req, topo_impair_keys[k], true, &text, err)) < 0)
			return r;
		for (unsigned d = 0; d < TOPO_IMP_DIRS; d++)
			if ((r = topo_impair_set(&imp[d], k, text, 0, 0, err)) < 0)
				return r;
		keys++;
	}
	if (clear && keys)
		return vnl_errf(err, -EINVAL, "impair: 'clear' takes no impairment keys");
	if (!clear && !keys)
		return vnl_errf(err, -EINVAL, "impair needs 'clear' or keys (%s)", topo_impair_key_list(list, sizeof(list)));
	return 0;
}

static int cmd_impair(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	struct topo_impair imp[TOPO_IMP_DIRS];
	unsigned nic = 0, dirs = 0;
	const char *node = NULL;
	int r;

	(void)c;
	if ((r = req_impair(req, &node, &nic, &dirs, imp, err)) < 0 ||
	    (r = lab_link_impair(&d.lab, node, nic, dirs, imp, err)) < 0)
		return r;
	json_object_object_add(reply, "link", lab_link_json(topo_find_link(d.lab.topo, node, nic)));
	return 0;
}

/* A switch show request, reply kept (caller puts it). */
static int sw_show(const char *cmd, const char *key, const char *val, struct json_object **reply,
		   struct vnl_err *err)
{
	struct json_object *req = json_object_new_object();
	int r;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (key)
		json_object_object_add(req, key, json_object_new_string(val));
	r = lab_switch_call(&d.lab.sw, req, reply, err);
	json_object_put(req);
	if (r < 0)
		vnl_err_wrap(err, "asking vnl-switchd");
	return r;
}

static int cmd_stats(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		     struct vnl_err *err)
{
	struct json_object *sp = NULL, *sl = NULL, *ports, *lans, *list;
	const char *name, *lan_only = NULL, *node_only = NULL;
	char ref_only[TOPO_NAME_MAX + 8] = "", node[TOPO_NAME_MAX + 1];
	unsigned nic;
	int r, end = 0;

	(void)c;
	if ((r = arg_str(req, "name", false, &name, err)) < 0)
		return r;
	if (name && sscanf(name, "%15[^:]:%u%n", node, &nic, &end) == 2 && name[end] == '\0') {
		if (topo_find_link(d.lab.topo, node, nic) == NULL)
			return vnl_errf(err, -ENOENT, "%s is not a linked interface of lab %s", name, d.lab.name);
		snprintf(ref_only, sizeof(ref_only), "%s:%u", node, nic);
	} else if (name && topo_find_node(d.lab.topo, name)) {
		node_only = name;
	} else if (name && topo_find_lan(d.lab.topo, name)) {
		lan_only = name;
	} else if (name) {
		return vnl_errf(err, -ENOENT, "no interface NODE:N, node or LAN named '%s' in lab %s", name,
				d.lab.name);
	}
	if ((r = sw_show("show-ports", NULL, NULL, &sp, err)) < 0 || (r = sw_show("show-lans", NULL, NULL, &sl, err)) < 0)
		goto out;
	ports = json_object_new_object();
	lans = json_object_new_object();
	json_object_object_add(reply, "ports", ports);
	json_object_object_add(reply, "lans", lans);
	json_object_object_get_ex(sp, "ports", &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i), *o, *v;
		char buf[TOPO_NAME_MAX + 8];
		const char *port, *ref, *lan = NULL;

		json_object_object_get_ex(p, "name", &v);
		port = json_object_get_string(v);
		ref = port_ref(port, buf, sizeof(buf));
		if (json_object_object_get_ex(p, "lan", &v) && json_object_is_type(v, json_type_string))
			lan = json_object_get_string(v);
		/* A filter shows only the lab's links, and a LAN's its vxlan port. */
		if ((ref_only[0] && strcmp(ref, ref_only)) || (lan_only && (!lan || strcmp(lan, lan_only))) ||
		    (node_only && (strncmp(ref, node_only, strlen(node_only)) || ref[strlen(node_only)] != ':')) ||
		    (name && ref == port && !(lan_only && lab_vx_port_lan(&d.lab, port))))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "lan", lan ? json_object_new_string(lan) : NULL);
		if (json_object_object_get_ex(p, "link", &v))
			json_object_object_add(o, "link", json_object_get(v));
		if (json_object_object_get_ex(p, "backend", &v))
			json_object_object_add(o, "backend", json_object_get(v));
		/* A vxlan port's remotes, each with its counters (the switch's). */
		if (json_object_object_get_ex(p, "remotes", &v))
			json_object_object_add(o, "remotes", json_object_get(v));
		if (json_object_object_get_ex(p, "counters", &v)) {
			json_object_object_foreach(v, key, val)
				json_object_object_add(o, key, json_object_get(val));
		}
		json_object_object_add(ports, ref, o);
	}
	json_object_object_get_ex(sl, "lans", &list);
	for (size_t i = 0; list && i < json_object_array_length(list) && !ref_only[0] && !node_only; i++) {
		struct json_object *l = json_object_array_get_idx(list, i), *v, *o;
		const char *lname;

		json_object_object_get_ex(l, "name", &v);
		lname = json_object_get_string(v);
		if (lan_only && strcmp(lname, lan_only))
			continue;
		o = json_object_new_object();
		if (json_object_object_get_ex(l, "macs", &v))
			json_object_object_add(o, "macs", json_object_get(v));
		if (json_object_object_get_ex(l, "counters", &v)) {
			json_object_object_foreach(v, key, val)
				json_object_object_add(o, key, json_object_get(val));
		}
		json_object_object_add(lans, lname, o);
	}
out:
	json_object_put(sp);
	json_object_put(sl);
	return r;
}

static int cmd_fdb(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		   struct vnl_err *err)
{
	struct json_object *sf = NULL, *list, *out, *v;
	const char *lan;
	int r;

	(void)c;
	if ((r = arg_name(req, "lan", "LAN", &lan, err)) < 0)
		return r;
	if (topo_find_lan(d.lab.topo, lan) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", lan, d.lab.name);
	if ((r = sw_show("show-fdb", "lan", lan, &sf, err)) < 0)
		return r;
	if (json_object_object_get_ex(sf, "aging", &v))
		json_object_object_add(reply, "aging", json_object_get(v));
	out = json_object_new_array();
	json_object_object_add(reply, "entries", out);
	json_object_object_get_ex(sf, "entries", &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *o = json_object_new_object();
		char buf[TOPO_NAME_MAX + 8];

		json_object_object_get_ex(e, "mac", &v);
		json_object_object_add(o, "mac", json_object_get(v));
		json_object_object_get_ex(e, "port", &v);
		json_object_object_add(o, "port", json_object_new_string(port_ref(json_object_get_string(v), buf, sizeof(buf))));
		json_object_object_get_ex(e, "age", &v);
		json_object_object_add(o, "age", json_object_get(v));
		/* Learned from a vxlan port: the remote (VTEP) behind the MAC. */
		if (json_object_object_get_ex(e, "remote", &v))
			json_object_object_add(o, "remote", json_object_get(v));
		json_object_array_add(out, o);
	}
	json_object_put(sf);
	return 0;
}

/*
 * The file's layout, for vnl web (its objects are in the lab now): best
 * effort, the lab is deployed whatever happens here; what cannot be set
 * or saved is logged once.
 */
static void deploy_layout(const struct topo *f)
{
	struct vnl_err e;
	unsigned lost = 0;
	int r = 0;

	for (unsigned i = 0; i < f->n_layout; i++)
		if ((topo_find_node(d.lab.topo, f->layout[i].name) || topo_find_lan(d.lab.topo, f->layout[i].name)) &&
		    topo_layout_set(d.lab.topo, f->layout[i].name, f->layout[i].x, f->layout[i].y, lost ? NULL : &e) < 0)
			lost++;
	if (f->n_layout && (r = lab_save(&d.lab, lost ? NULL : &e)) < 0)
		lost++;
	if (lost)
		log_warning("deploy: the file's layout is kept only in part (%u failure%s): %s", lost,
			 lost > 1 ? "s" : "", e.msg);
}

static int cmd_deploy(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	struct json_object *created, *differs, *extra;
	struct topo *f = NULL;
	const char *file;
	int r;

	(void)c;
	if ((r = arg_str(req, "file", true, &file, err)) < 0)
		return r;
	if (file[0] != '/')
		return vnl_errf(err, -EINVAL, "argument 'file' must be an absolute path");
	r = topo_load_file(file, &f, err);
	if (r < 0)
		return r;
	created = json_object_new_array();
	differs = json_object_new_array();
	extra = json_object_new_array();
	r = lab_deploy(&d.lab, f, created, differs, extra, err);
	if (r == 0)
		deploy_layout(f);
	topo_free(f);
	if (r < 0) {
		json_object_put(created), json_object_put(differs), json_object_put(extra);
		return r;
	}
	json_object_object_add(reply, "created", created);
	json_object_object_add(reply, "differs", differs);
	json_object_object_add(reply, "extra", extra);
	publish_obj("deployed", "file", json_object_new_string(file));
	return 0;
}

static int cmd_save(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	(void)req, (void)c;
	f = open_memstream(&text, &len);
	if (f == NULL)
		return vnl_errno(err, -errno, "save");
	r = topo_save(f, d.lab.topo, err);
	if (fclose(f) != 0 && r == 0)
		r = vnl_errf(err, -EIO, "out of memory");
	if (r < 0) {
		free(text);
		return vnl_err_wrap(err, "save"), r;
	}
	json_object_object_add(reply, "topology", json_object_new_string_len(text, (int)len));
	free(text);
	return 0;
}

static int cmd_destroy(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	struct json_object *removed;
	unsigned counts[3];
	int r;

	(void)req, (void)c;
	r = lab_destroy_all(&d.lab, counts, err);
	if (r < 0)
		return r;
	removed = json_object_new_object();
	json_object_object_add(removed, "nodes", json_object_new_int(counts[0]));
	json_object_object_add(removed, "lans", json_object_new_int(counts[1]));
	json_object_object_add(removed, "links", json_object_new_int(counts[2]));
	json_object_object_add(reply, "removed", removed);
	publish("destroyed", NULL, NULL);
	return 0;
}

static int cmd_events(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	(void)req, (void)reply, (void)err;
	jsonl_subscribe(c);
	return 0;
}

/* The names of the kinds with a power slot into buf: "vm", or "vm or x". */
static void power_kinds(char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; node_kinds[i] && at < size; i++)
		if (node_kinds[i]->power)
			at += (size_t)snprintf(buf + at, size - at, "%s%s", at ? " or " : "", node_kinds[i]->schema->name);
}

/* reboot and halt: node `name` through its kind's power slot. */
static int power_node(struct json_object *req, struct json_object *reply, enum node_power op, const char *verb,
		      struct vnl_err *err)
{
	const struct node_kind *k;
	const struct topo_node *n;
	const char *name, *done = NULL;
	struct node_ctx ctx;
	char kinds[64];
	int r;

	if ((r = arg_name(req, "name", "node", &name, err)) < 0)
		return r;
	n = topo_find_node(d.lab.topo, name);
	if (n == NULL)
		return vnl_errf(err, -ENOENT, "no node named '%s' in lab %s", name, d.lab.name);
	k = kind_of_node(n);
	if (k == NULL || k->power == NULL) {
		power_kinds(kinds, sizeof(kinds));
		return vnl_errf(err, -EOPNOTSUPP, "%s is a %s node: only %s nodes can %s", name,
				topo_kind_name(n->kind), kinds, verb);
	}
	kinds_sync();
	lab_node_ctx(&d.lab, n, &ctx);
	if ((r = k->power(kind_state(k), &ctx, op, &done, err)) < 0)
		return r;
	if (done)
		json_object_object_add(reply, "done", json_object_new_string(done));
	return 0;
}

static int cmd_reboot(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	(void)c;
	return power_node(req, reply, NODE_POWER_REBOOT, "reboot", err);
}

static int cmd_halt(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	(void)c;
	return power_node(req, reply, NODE_POWER_HALT, "halt", err);
}

static int cmd_stop(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	unsigned counts[3];

	(void)req, (void)reply, (void)c;
	publish("stopping", NULL, NULL);
	/* Everything goes even if one object resists; the error is reported. */
	d.stop_lab = true;
	evloop_stop(d.loop);
	return lab_destroy_all(&d.lab, counts, err);
}

static const char *const no_args[] = { NULL };
static const char *const name_arg[] = { "name", NULL };
static const char *const link_args[] = { "node", "nic", "lan", "ip", TOPO_NIC_TYPE, NULL };
static const char *const lan_add_args[] = { "name", "mtu", "vxlan", "remote", "underlay", "local", "dstport", NULL };
static const char *const unlink_args[] = { "node", "nic", NULL };
static const char *const lan_arg[] = { "lan", NULL };
static const char *const file_arg[] = { "file", NULL };
static const char *const level_arg[] = { "level", NULL };
static const char *const layout_arg[] = { "positions", NULL };
static const char *const capture_args[] = { "targets", "dir", "bpf", "filter", "snaplen", "count", "duration_ms",
					    "owner", NULL };
static const char *const id_arg[] = { "id", NULL };
/* node, nic, dir, clear, then the words of topo_impair_keys (model). */
static const char *const impair_args[] = {
	"node", "nic", "dir", "clear", "delay", "jitter", "distribution", "loss", "rate", "burst", "limit", "overhead",
	"duplicate", "reorder", "gap", "corrupt", "seed", NULL,
};

/* A command that changes the lab: one at a time (vnld.busy). */
#define CMD_TX 1u

static const struct cmd commands[] = {
	{ "capture", cmd_capture, capture_args, CMD_FD,
	  "capture targets' frames (NODE:N or LAN) as pcapng into the pipe sent with the request" },
	{ "capture-stop", cmd_capture_stop, id_arg, 0, "stop capture id (its stream ends with statistics)" },
	{ "del", cmd_del, name_arg, CMD_TX, "delete node or LAN name, with its links" },
	{ "deploy", cmd_deploy, file_arg, CMD_TX, "create what topology file has and the lab lacks" },
	{ "destroy", cmd_destroy, no_args, CMD_TX, "remove every node and LAN" },
	{ "events", cmd_events, no_args, 0, "stream every change as JSON lines" },
	{ "fdb", cmd_fdb, lan_arg, 0, "MAC table of lan" },
	{ "halt", cmd_halt, name_arg, CMD_TX, "power vm name off until reboot" },
	{ "impair", cmd_impair, impair_args, CMD_TX,
	  "replace the impairments of link node:nic (dir in, out, both), or clear them" },
	{ "lan-add", cmd_lan_add, lan_add_args, CMD_TX,
	  "add LAN name, optional mtu 68..9000 (1500), vxlan VNI with remote [IP...], underlay, local, dstport" },
	{ "lan-del", cmd_lan_del, name_arg, CMD_TX, "delete LAN name" },
	{ "lan-set", cmd_lan_set, lan_add_args, CMD_TX,
	  "change LAN name: remote (live), mtu, vxlan, underlay, local, dstport (\"\" or 0 clears)" },
	{ "layout", cmd_layout, layout_arg, CMD_TX, "set where vnl web draws objects: positions {name: [x, y]}" },
	{ "link", cmd_link, link_args, CMD_TX, "put NIC nic of node in lan, optional ip A.B.C.D/N and nic-type" },
	{ "log-level", cmd_log_level, level_arg, 0, "set vnld's log thresholds (\"debug\", \"warning,guest=debug\")" },
	/* NULL: its arguments depend on the kind; req_node() checks them. */
	{ "node-add", cmd_node_add, NULL, CMD_TX, "add node name of kind" },
	{ "reboot", cmd_reboot, name_arg, CMD_TX, "reset vm name, or start it when it is off" },
	{ "save", cmd_save, no_args, 0, "the lab as a topology file" },
	{ "show", cmd_show, name_arg, 0, "the lab, or node or LAN name" },
	{ "stats", cmd_stats, name_arg, 0, "switch counters (of NODE:N, node or LAN name)" },
	{ "stop", cmd_stop, no_args, CMD_TX, "remove everything of the lab and exit" },
	{ "unlink", cmd_unlink, unlink_args, CMD_TX, "take NIC nic of node out of its LAN" },
	{ "version", cmd_version, no_args, 0, "vnld's version and lab" },
};
static const struct cmd_table cmd_table = CMD_TABLE(commands, "");

static struct json_object *handle(struct jsonl_conn *c, const char *line, size_t len, void *arg)
{
	struct vnl_err err = { 0, "" };
	struct json_object *req, *reply;
	const struct cmd *cmd;
	bool tx;
	int r;

	(void)arg;
	log_debug("request %.*s", (int)len, line);
	cmd = req_lookup(&cmd_table, line, len, &req, &err);
	if (cmd == NULL)
		return jsonl_error(err.msg);
	tx = cmd->flags & CMD_TX;
	if (tx && !tx_begin(NULL)) {
		json_object_put(req);
		return JSONL_DEFER; /* the same line comes back after tx_end */
	}
	reply = json_object_new_object();
	d.handling++;
	r = cmd_call(cmd, req, reply, c, &err);
	json_object_put(req);
	/* The kinds' per-lab state (VM guests) follows the model; not while
	 * a transaction has it half changed (it syncs when it ends). */
	if (!d.stop_lab && (tx || !d.busy))
		kinds_sync();
	d.handling--;
	if (tx)
		tx_end(NULL);
	else if (d.handling == 0 && !d.busy)
		jsonl_resume(d.srv); /* changes held while we waited */
	if (r < 0)
		log_warning("%s: %s", cmd->name, err.msg);
	return cmd_reply(r, reply, &err);
}

/* ---- start-up and shutdown ---- */

static void on_signal(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)w, (void)events, (void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping vnld, the lab keeps running", si.ssi_signo);
		evloop_stop(d.loop);
	}
}

/* Only one vnld per lab: an exclusive lock on the pid file for its life. */
static int take_lock(void)
{
	char path[PATH_MAX + 16], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/vnld.pid", d.run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -EADDRINUSE;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
		return -errno;
	return fd; /* kept open: the lock lives as long as we do */
}

static void switchd_path(char *out, size_t len, const char *opt)
{
	if (opt != NULL)
		snprintf(out, len, "%s", opt);
	else
		exe_sibling("vnl-switchd", out, len);
}

/* $VNL_SWITCHD_ARGS, split at spaces: more options for every vnl-switchd
 * vnld starts (e.g. "--worker-cores 1@1,2@1": the -2workers tests), or NULL. */
static char *const *switchd_extra_args(void)
{
	static char buf[256], *args[16];
	const char *env = getenv("VNL_SWITCHD_ARGS");
	unsigned n = 0;

	if (env == NULL || *env == '\0')
		return NULL;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a && n + 1 < 16; a = strtok_r(NULL, " ", &save))
		args[n++] = a;
	args[n] = NULL;
	log_info("vnl-switchd gets VNL_SWITCHD_ARGS: %s", env);
	return args;
}

/*
 * vnld.log (our stdout and stderr, opened by vnl) kept to logcap_max() plus
 * vnld.log.1, checked every LOG_ROTATE_MS: the log may pass the cap by what
 * vnld writes in that time (lines about guest data are rate limited).
 */
#define LOG_ROTATE_MS 1000
static void log_rotate(struct ev_watch *w, void *arg)
{
	char path[96];
	struct stat o, e;
	bool same = fstat(1, &o) == 0 && fstat(2, &e) == 0 && o.st_dev == e.st_dev && o.st_ino == e.st_ino;

	(void)w, (void)arg;
	snprintf(path, sizeof(path), "%s/vnld.log", d.run_dir);
	if (logcap_rotate_fd(2, path, 0) == 1 && same)
		dup2(2, 1);
}

/* Remove the lab's run folder and what vnld and the switch left in it. */
static void remove_run_dir(void)
{
	static const char *const files[] = { "switchd.log", "switchd.log.1", "switchd.log.new", "vnld.log",
					     "vnld.log.1", "vnld.log.new", "vnld.pid", "switchd.sock", "vnld.sock",
					     "agent.sock" };
	char path[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d.run_dir, files[i]);
		unlink(path);
	}
	/* Folders of the kinds, empty once their nodes are gone. */
	snprintf(path, sizeof(path), "%s/crun", d.run_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/vm", d.run_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/vhost", d.run_dir);
	rmdir(path);
	rmdir(d.run_dir);
}

/*
 * `vnld --cleanup`: the lab's vnld is gone and the lab must go too, even
 * when no switch can be started (vnl stop uses this). Removes the model's
 * nodes through their kinds, then whatever of the lab is still on the host
 * (scavenge.h: netns, containers, VMs, overlays), the switch (recorded in
 * the state, or found by its socket), and the folders; needs no switch.
 * `unreadable` (NULL if the state was read) is why the state file could not
 * be read: everything is then found from the host, and said so.
 */
static int cleanup_lab(pid_t sw_pid, unsigned long long sw_start, const char *unreadable)
{
	struct scavenge found;
	unsigned counts[3];
	struct vnl_err err, serr;
	char what[256];
	int r, rs;

	d.lab.sw.pidfd = -1;
	r = lab_destroy_all(&d.lab, counts, &err);
	if (r < 0)
		log_error("cleanup: %s", err.msg);
	rs = scavenge_find(d.lab.name, &found);
	if (rs < 0)
		log_error_errno(rs, "cleanup: looking for the lab's objects");
	scavenge_describe(&found, what, sizeof(what));
	if (unreadable)
		log_warning("state unreadable (%s): cleaning from the host: %s", unreadable, what);
	else if (found.n_nodes)
		log_info("cleanup: left over on the host: %s", what);
	if ((rs = scavenge_remove(d.lab.name, &found, &serr)) < 0)
		log_error("cleanup: %s", serr.msg);
	if (r == 0)
		r = rs;
	/* The recorded switch, and every other one serving the lab's socket
	 * (lab_switch_stop sweeps them). */
	if (sw_pid > 0 && sw_start && proc_start_time(sw_pid) == sw_start) {
		d.lab.sw.pid = sw_pid;
		d.lab.sw.start_time = sw_start;
	}
	lab_switch_stop(&d.lab.sw);
	scavenge_free(&found);
	/* Underlays raised for vxlan LANs the model no longer names. */
	if ((rs = scavenge_restore_mtus(d.lab.state_dir, &serr)) < 0)
		log_error("cleanup: %s", serr.msg);
	else if (rs > 0)
		log_info("cleanup: %d underlay MTU%s put back", rs, rs == 1 ? "" : "s");
	state_remove(d.lab.state_dir);
	topo_free(d.lab.topo);
	lab_free(&d.lab);
	remove_run_dir();
	if (unreadable)
		log_info("cleaned up from the host: %s", what);
	else
		log_info("cleaned up: %u nodes, %u LANs, %u links", counts[0], counts[1], counts[2]);
	return r < 0 ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnld [--lab NAME] [--switchd PATH] [-v]\n"
		   "The control process of one vnetlab lab; vnl starts it. It serves\n"
		   VNL_RUN_ROOT "/LAB/vnld.sock and keeps its state in " VNL_STATE_ROOT "/LAB.\n"
		   "  -l, --lab NAME       the lab [default]\n"
		   "  -s, --switchd PATH   vnl-switchd to run [next to vnld]\n"
		   "      --cleanup        remove the lab (nodes, switch, folders) without\n"
		   "                       serving it; for a lab whose vnld died (vnl stop)\n"
		   "  -v, --verbose        debug messages too ($VNL_LOG_LEVEL sets levels\n"
		   "                       per subsystem: docs/vnld.md, \"Logging\")\n"
		   "  -h, --help           this help\n"
		   "SIGTERM stops vnld and leaves the lab running; the next vnld adopts it.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { "lab", required_argument, NULL, 'l' },
		{ "switchd", required_argument, NULL, 's' }, { "cleanup", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
	};
	const char *lab = "default", *switchd = NULL;
	struct vnl_err err;
	pid_t sw_pid = 0;
	unsigned long long sw_start = 0;
	char sock[108];
	sigset_t mask;
	int c, lock, sfd, r;
	char prefix[LOG_PREFIX_MAX];
	bool cleanup = false, verbose = false;

	log_open("vnld");
	while ((c = getopt_long(argc, argv, "hl:s:v", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'l': lab = optarg; break;
		case 's': switchd = optarg; break;
		case 'C': cleanup = true; break;
		case 'v': verbose = true; break;
		default: usage(stderr); return 2;
		}
	}
	node_kinds_init();
	if (topo_check_name(lab, "lab", 0, 0, &err) < 0) {
		log_error("%s", err.msg);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "vnld[%s]", lab);
	log_set_prefix(prefix);
	if (verbose)
		log_set_max_level(LOG_LEVEL_DEBUG);
	snprintf(d.lab.name, sizeof(d.lab.name), "%s", lab);
	vnl_lab_dir(d.run_dir, sizeof(d.run_dir), VNL_RUN_ROOT, lab);
	vnl_lab_dir(d.lab.state_dir, sizeof(d.lab.state_dir), VNL_STATE_ROOT, lab);
	if ((r = mkdir_p(d.run_dir, 0755)) < 0 || (r = mkdir_p(d.lab.state_dir, 0700)) < 0) {
		log_error_errno(r, "cannot create the lab's folders");
		return 1;
	}
	lock = take_lock();
	if (lock < 0) {
		log_error("%s", lock == -EADDRINUSE ? "another vnld serves this lab" : strerror(-lock));
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.loop = evloop_new();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d.loop == NULL || sfd < 0 || ev_fd_add(d.loop, sfd, EPOLLIN, on_signal, NULL) == NULL) {
		log_error_errno(-errno, "cannot set up the event loop");
		return 1;
	}
	/* Every wait below (children, qemu, the switch) runs the loop; start-up
	 * is a transaction of its own until serving. */
	wait_set_hook(loop_wait, NULL);
	d.busy = true;

	snprintf(d.lab.sw.sock, sizeof(d.lab.sw.sock), "%s/switchd.sock", d.run_dir);
	snprintf(d.lab.sw.log, sizeof(d.lab.sw.log), "%s/switchd.log", d.run_dir);
	d.lab.sw.pidfd = -1;
	r = state_load(d.lab.state_dir, &d.lab.topo, &sw_pid, &sw_start, &err);
	lab_vx_open(&d.lab);
	if (r == -EBADMSG && cleanup) {
		/* Nothing in the file can be trusted: the host says what exists. */
		d.lab.topo = topo_new();
		if (d.lab.topo == NULL) {
			log_error("out of memory");
			return 1;
		}
		return cleanup_lab(sw_pid, sw_start, err.msg);
	}
	if (r == -EBADMSG) {
		/* Serving an empty model would remove the lab's nodes as strays:
		 * refuse, and leave the file and the lab as they are. */
		log_error("state unreadable, lab not served; 'vnl --lab %s stop' removes it: %s",
			lab, err.msg);
		return 1;
	}
	if (r < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	if (cleanup)
		return cleanup_lab(sw_pid, sw_start, NULL);

	switchd_path(d.lab.sw.bin, sizeof(d.lab.sw.bin), switchd);
	d.lab.sw.extra_args = switchd_extra_args();
	d.lab.sw.loop = d.loop;
	d.lab.sw.on_ready = lab_push;
	d.lab.sw.on_down = switch_down;
	d.lab.sw.on_spawn = switch_spawned;
	d.lab.sw.tx_begin = tx_begin;
	d.lab.sw.tx_end = tx_end;
	d.lab.sw.arg = &d.lab;
	d.lab.emit = emit;
	d.lab.node_json = node_json;
	d.lab.nic_repair = nic_repair;
	if (kinds_open(&err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/vnld.sock", d.run_dir);
	d.srv = jsonl_listen(d.loop, sock, 0660, handle, NULL);
	if (d.srv == NULL) {
		log_error_errno(-errno, "cannot listen in %s", d.run_dir);
		return 1;
	}
	if (sw_pid <= 0 || proc_start_time(sw_pid) != sw_start) {
		/* No usable record (runtime.json lost or garbled, or a vnld
		 * killed between forking a switch and recording it): a switch
		 * of the lab's socket is the lab's; adopt it rather than start
		 * a second one beside it. */
		pid_t found = scavenge_switch_pid(d.lab.sw.sock);

		if (found > 0) {
			sw_pid = found;
			sw_start = proc_start_time(found);
		}
	}
	/* Kernel side first (nodes, NICs), then the switch is made to match. */
	lab_recover(&d.lab);
	r = sw_pid > 0 ? lab_switch_adopt(&d.lab.sw, sw_pid, sw_start, &err) : -ESRCH;
	if (r == 0) {
		unsigned strays = lab_switch_stop_strays(&d.lab.sw);

		log_info("adopted vnl-switchd pid %d", (int)sw_pid);
		if (strays)
			log_info("stopped %u other vnl-switchd of this lab", strays);
		lab_push(&d.lab.sw, &d.lab);
	} else {
		if (sw_pid > 0)
			log_warning("not adopting vnl-switchd pid %d: %s", (int)sw_pid, err.msg);
		if (lab_switch_start(&d.lab.sw, &err) < 0) {
			log_error("%s", err.msg);
			jsonl_close(d.srv);
			return 1;
		}
	}
	kinds_sync();
	ev_timer_add(d.loop, LOG_ROTATE_MS, log_rotate, NULL);
	ev_timer_add(d.loop, LAB_NIC_TICK_MS, nic_tick, NULL);
	log_info("serving %s/vnld.sock (switch pid %d)", d.run_dir, (int)d.lab.sw.pid);
	tx_end(NULL);

	r = evloop_run(d.loop);
	jsonl_close(d.srv);
	kinds_close();
	if (d.stop_lab) {
		lab_switch_stop(&d.lab.sw);
		/* An underlay whose MTU could not be put back at its LAN's del. */
		if (scavenge_restore_mtus(d.lab.state_dir, &err) < 0)
			log_error("stop: %s", err.msg);
		state_remove(d.lab.state_dir);
		log_info("lab stopped");
	} else {
		/* Leave the lab running for the next vnld. */
		ev_del(d.lab.sw.watch);
		if (lab_save(&d.lab, &err) < 0)
			log_error("saving state: %s", err.msg);
	}
	topo_free(d.lab.topo);
	lab_free(&d.lab);
	evloop_free(d.loop);
	if (d.stop_lab)
		remove_run_dir();
	close(lock);
	return r < 0 ? 1 : 0;
}
