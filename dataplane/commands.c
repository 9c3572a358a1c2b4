/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Control commands: one row per command in the table of common/dispatch.h
 * (handler, accepted arguments, help); anything else in a request is
 * refused, so a typo is an error rather than a silently ignored option.
 * Handlers return 0 with the reply filled, or -errno with err filled; the
 * dispatcher adds "ok".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_version.h>

#include "args.h"
#include "capture.h"
#include "config.h"
#include "control.h"
#include "dispatch.h"
#include "jsonl.h"
#include "dp_log.h"
#include "impair.h"
#include "neigh.h"
#include "offload.h"
#include "port.h"
#include "port_vxlan.h"
#include "registry.h"
#include "stats.h"
#include "worker.h"

/* neigh.c is linked into vnl-switchd only: the harnesses that build this
 * file without the vxlan kinds (worker_test, impair_queue_test, the fuzz
 * target, whose vxlan ports are stubs with no priv) see these as NULL and
 * never call them. */
#pragma weak neigh_port_set
#pragma weak neigh_port_zero
#pragma weak vx_parse_remotes

/* ---- argument helpers ---- */

static int arg_name(struct json_object *req, const char *key, const char *what, bool required,
		    const char **out, struct vnl_err *err)
{
	int r = port_arg_string(req, key, required, out, err);

	if (r < 0 || *out == NULL)
		return r;
	return reg_check_name(what, *out, err);
}

/* ---- JSON views of objects ---- */

static struct json_object *counters_json(const uint64_t *v, const char *const *names, unsigned n)
{
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; i < n; i++)
		json_object_object_add(o, names[i], json_object_new_int64((int64_t)v[i]));
	return o;
}

static struct json_object *port_json(const struct port *p)
{
	struct json_object *o = json_object_new_object();
	uint64_t v[PC_MAX];

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "kind", json_object_new_string(p->kind));
	json_object_object_add(o, "backend", json_object_new_string(p->backend));
	json_object_object_add(o, "lan", p->lan == VNL_LAN_NONE ? NULL : json_object_new_string(reg.lans[p->lan]->name));
	json_object_object_add(o, "link", json_object_new_string(atomic_load(&p->up) ? "up" : "down"));
	p->ops->show(p, o);
	if (p->note[0])
		json_object_object_add(o, "note", json_object_new_string(p->note));
	impair_show(p, o);
	stats_port_read(p, v);
	json_object_object_add(o, "counters", counters_json(v, port_counter_names, PC_MAX));
	return o;
}

static struct json_object *lan_counters_json(const struct lan *l)
{
	uint64_t v[LC_MAX];
	struct json_object *o;

	stats_lan_read(l->slot, v);
	o = counters_json(v, lan_counter_names, LC_MAX);
	json_object_object_add(o, "aged", json_object_new_int64((int64_t)l->aged));
	return o;
}

struct fdb_count_arg {
	uint16_t lan;
	unsigned n;
};

static int fdb_count_cb(uint16_t lan, uint64_t mac, uint16_t port, uint32_t seen, void *arg)
{
	struct fdb_count_arg *a = arg;

	(void)mac, (void)port, (void)seen;
	a->n += lan == a->lan;
	return 0;
}

static struct json_object *lan_json(const struct lan *l)
{
	struct json_object *o = json_object_new_object(), *ports = json_object_new_array();
	struct fdb_count_arg a = { .lan = l->slot };

	for (unsigned i = 0; i < VNL_MAX_PORTS; i++)
		if (reg.ports[i] != NULL && reg.ports[i]->lan == l->slot)
			json_object_array_add(ports, json_object_new_string(reg.ports[i]->name));
	fdb_walk(reg.fdb, fdb_count_cb, &a);
	json_object_object_add(o, "name", json_object_new_string(l->name));
	json_object_object_add(o, "mtu", json_object_new_int64(l->max_frame - VNL_LAN_L2_OVERHEAD));
	json_object_object_add(o, "max_frame", json_object_new_int64(l->max_frame));
	json_object_object_add(o, "ports", ports);
	json_object_object_add(o, "macs", json_object_new_int64(a.n));
	json_object_object_add(o, "counters", lan_counters_json(l));
	return o;
}

static struct json_object *worker_json(unsigned w)
{
	struct json_object *o = json_object_new_object(), *ports = json_object_new_array();
	uint64_t v[CC_MAX];

	stats_core_read(w, v);
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++)
		if (reg.ports[i] != NULL && reg.ports[i]->ops->rx != NULL && i % nb_workers == w)
			json_object_array_add(ports, json_object_new_string(reg.ports[i]->name));
	json_object_object_add(o, "id", json_object_new_int(w));
	json_object_object_add(o, "lcore", json_object_new_int((int)workers[w]->lcore));
	json_object_object_add(o, "poll", json_object_new_string(cfg.poll));
	json_object_object_add(o, "ports", ports);
	for (unsigned c = 0; c < CC_MAX; c++)
		json_object_object_add(o, core_counter_names[c], json_object_new_int64((int64_t)v[c]));
	json_object_object_add(o, "cycles_per_packet",
			       json_object_new_double(v[CC_packets] ? (double)v[CC_busy_cycles] / (double)v[CC_packets] : 0.0));
	impair_show_worker(w, o);
	return o;
}

/* ---- commands ---- */

static int cmd_version(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	(void)conn, (void)req, (void)err;
	json_object_object_add(reply, "version", json_object_new_string(VNL_VERSION));
	json_object_object_add(reply, "dpdk", json_object_new_string(rte_version()));
	return 0;
}

static int cmd_port_add(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const char *name, *kind;
	struct port *p;
	int r;

	(void)conn;
	r = arg_name(req, "name", "port", true, &name, err);
	if (r == 0)
		r = port_arg_string(req, "kind", true, &kind, err);
	if (r == 0)
		r = reg_port_add(name, kind, req, &p, err);
	if (r < 0)
		return r;
	json_object_object_add(reply, "port", port_json(p));
	return 0;
}

static int cmd_port_del(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const char *name;
	int r = arg_name(req, "name", "port", true, &name, err);

	(void)conn, (void)reply;
	return r < 0 ? r : reg_port_del(name, err);
}

static int cmd_lan_add(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	/* No mtu: frames up to --max-frame, as before LANs had one. */
	static const struct int_arg mtu_arg = { .key = "mtu", .min = VNL_LAN_MTU_MIN, .max = VNL_LAN_MTU_MAX };
	const char *name;
	int64_t mtu = 0;
	struct lan *l;
	int r = arg_name(req, "name", "LAN", true, &name, err);

	(void)conn;
	if (r == 0)
		r = arg_int(req, &mtu_arg, &mtu, NULL, err);
	if (r == 0)
		r = reg_lan_add(name, (uint16_t)mtu, &l, err);
	if (r == 0)
		json_object_object_add(reply, "lan", lan_json(l));
	return r;
}

static int cmd_lan_del(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	struct json_object *detached = json_object_new_array();
	const char *name;
	int r = arg_name(req, "name", "LAN", true, &name, err);

	(void)conn;
	if (r == 0)
		r = reg_lan_del(name, detached, err);
	if (r < 0) {
		json_object_put(detached);
		return r;
	}
	json_object_object_add(reply, "detached", detached);
	return 0;
}

/* The port's own check of the LAN (port_ops.attach_check); missing
 * objects are left to reg_attach's messages. */
static int attach_check(const char *port, const char *lan, struct vnl_err *err)
{
	struct port *p = reg_port_find(port);
	struct lan *l = reg_lan_find(lan);

	if (p == NULL || l == NULL || p->ops->attach_check == NULL)
		return 0;
	return p->ops->attach_check(p, l->mtu, l->max_frame, err);
}

static int cmd_attach(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const char *port, *lan;
	int r = arg_name(req, "port", "port", true, &port, err);

	(void)conn, (void)reply;
	if (r == 0)
		r = arg_name(req, "lan", "LAN", true, &lan, err);
	if (r == 0)
		r = attach_check(port, lan, err);
	return r < 0 ? r : reg_attach(port, lan, err);
}

static int cmd_detach(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const char *port;
	int r = arg_name(req, "port", "port", true, &port, err);

	(void)conn, (void)reply;
	return r < 0 ? r : reg_detach(port, err);
}

/* A show command over one slot array: every object, or the one named. */
struct show_kind {
	const char *what;     /* "port", "LAN": in messages */
	const char *key;      /* reply member */
	void *const *slots;
	unsigned nb_slots;
	size_t name_off;      /* offset of the name in the object */
	struct json_object *(*json)(const void *obj);
};

static int show_objects(const struct show_kind *k, struct json_object *req, struct json_object *reply,
		       struct vnl_err *err)
{
	struct json_object *a;
	const char *name;
	int r = port_arg_string(req, "name", false, &name, err), found = 0;

	/* '@' names are the switch's own ports (underlays): shown, never added by a client. */
	if (r == 0 && name != NULL && name[0] != '@')
		r = reg_check_name(k->what, name, err);

	if (r < 0)
		return r;
	a = json_object_new_array();
	for (unsigned i = 0; i < k->nb_slots; i++) {
		const char *obj = k->slots[i];

		if (obj == NULL || (name != NULL && strcmp(obj + k->name_off, name) != 0))
			continue;
		json_object_array_add(a, k->json(obj));
		found++;
	}
	if (name != NULL && !found) {
		json_object_put(a);
		return vnl_errf(err, -ENOENT, "no %s named '%s'", k->what, name);
	}
	json_object_object_add(reply, k->key, a);
	return 0;
}

static struct json_object *port_json_any(const void *p)
{
	return port_json(p);
}

static struct json_object *lan_json_any(const void *l)
{
	return lan_json(l);
}

static int cmd_show_ports(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const struct show_kind k = { "port", "ports", (void *const *)reg.ports, VNL_MAX_PORTS,
				     offsetof(struct port, name), port_json_any };

	(void)conn;
	return show_objects(&k, req, reply, err);
}

static int cmd_show_lans(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	const struct show_kind k = { "LAN", "lans", (void *const *)reg.lans, VNL_MAX_LANS,
				     offsetof(struct lan, name), lan_json_any };

	(void)conn;
	return show_objects(&k, req, reply, err);
}

struct fdb_show_arg {
	uint16_t lan; /* VNL_LAN_NONE: all */
	uint32_t now;
	struct json_object *entries;
};

/* show-fdb "remote" of an entry on vxlan port p: the address of remote
 * idx (null when the index has just left the port's table). */
static struct json_object *fdb_remote_json(const struct port *p, uint16_t idx)
{
	const struct vx_port *vx = p->priv;
	const struct vx_remote *r;
	char s[INET6_ADDRSTRLEN];

	if (vx == NULL || (r = vx_remote_at(vx_remotes_get(vx), idx)) == NULL)
		return NULL;
	return json_object_new_string(inet_ntop(vx->family, r->addr, s, sizeof(s)) ? s : "?");
}

static int fdb_show_cb(const struct fdb_rec *rec, void *arg)
{
	struct fdb_show_arg *a = arg;
	const struct port *p = reg.ports[rec->port];
	struct json_object *e;
	uint8_t b[6];
	char buf[18];

	if ((a->lan != VNL_LAN_NONE && rec->lan != a->lan) || reg.lans[rec->lan] == NULL)
		return 0;
	fdb_mac_bytes(rec->mac, b);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	e = json_object_new_object();
	json_object_object_add(e, "lan", json_object_new_string(reg.lans[rec->lan]->name));
	json_object_object_add(e, "mac", json_object_new_string(buf));
	json_object_object_add(e, "port", p ? json_object_new_string(p->name) : NULL);
	if (p != NULL && p->ops == &port_vxlan_ops)
		json_object_object_add(e, "remote", fdb_remote_json(p, rec->remote));
	json_object_object_add(e, "age", json_object_new_int64((int32_t)(a->now - rec->seen) < 0 ? 0 : a->now - rec->seen));
	json_object_array_add(a->entries, e);
	return 0;
}

/* The optional "lan" argument as a LAN slot; VNL_LAN_NONE when absent. */
static int arg_lan_slot(struct json_object *req, uint16_t *slot, struct vnl_err *err)
{
	const char *name;
	struct lan *l;
	int r = arg_name(req, "lan", "LAN", false, &name, err);

	*slot = VNL_LAN_NONE;
	if (r < 0 || name == NULL)
		return r;
	l = reg_lan_find(name);
	if (l == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s'", name);
	*slot = l->slot;
	return 0;
}

static int cmd_show_fdb(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	struct fdb_show_arg a = { .now = dp_now() };
	int r = arg_lan_slot(req, &a.lan, err);

	(void)conn;
	if (r < 0)
		return r;
	a.entries = json_object_new_array();
	fdb_walk_entries(reg.fdb, fdb_show_cb, &a);
	json_object_object_add(reply, "size", json_object_new_int64(reg.fdb->max_entries));
	json_object_object_add(reply, "used", json_object_new_int64(fdb_count(reg.fdb)));
	json_object_object_add(reply, "aging", json_object_new_int64(reg.aging));
	json_object_object_add(reply, "entries", a.entries);
	return 0;
}

/* Workers, the TSC rate and the packet pool: "mbufs" {size, in_use,
 * indirect_in_use}, where in_use is every mbuf out of the pool (ports' stashes
 * and rings, bursts in flight) but not those parked in per-lcore caches, and
 * indirect_in_use the same for the segmentation pool's data-less mbufs; a
 * number that keeps growing under steady traffic is a leak. */
static void add_workers(struct json_object *reply)
{
	struct json_object *a = json_object_new_array(), *m = json_object_new_object();

	for (unsigned w = 0; w < nb_workers; w++)
		json_object_array_add(a, worker_json(w));
	json_object_object_add(reply, "workers", a);
	json_object_object_add(reply, "tsc_hz", json_object_new_int64((int64_t)rte_get_tsc_hz()));
	/* No pool without the EAL (the fuzz harness): no figures to give. */
	if (vnl_pktmbuf_pool == NULL) {
		json_object_put(m);
		return;
	}
	json_object_object_add(m, "size", json_object_new_int64(vnl_pktmbuf_pool->size));
	json_object_object_add(m, "in_use", json_object_new_int64(rte_mempool_in_use_count(vnl_pktmbuf_pool)));
	/* Data-less mbufs of segments in flight (offload.h); 0 when idle. */
	if (ol_indirect_pool() != NULL)
		json_object_object_add(m, "indirect_in_use",
				       json_object_new_int64(rte_mempool_in_use_count(ol_indirect_pool())));
	json_object_object_add(reply, "mbufs", m);
}

static int cmd_show_counters(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	struct json_object *ports = json_object_new_object(), *lans = json_object_new_object();

	(void)conn, (void)req, (void)err;
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		uint64_t v[PC_MAX];

		if (reg.ports[i] == NULL)
			continue;
		stats_port_read(reg.ports[i], v);
		json_object_object_add(ports, reg.ports[i]->name, counters_json(v, port_counter_names, PC_MAX));
	}
	for (unsigned i = 0; i < VNL_MAX_LANS; i++)
		if (reg.lans[i] != NULL)
			json_object_object_add(lans, reg.lans[i]->name, lan_counters_json(reg.lans[i]));
	json_object_object_add(reply, "ports", ports);
	json_object_object_add(reply, "lans", lans);
	add_workers(reply);
	return 0;
}

static int cmd_show_workers(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	(void)conn, (void)req, (void)err;
	add_workers(reply);
	return 0;
}

static int cmd_show_config(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	struct json_object *o = json_object_new_object();

	(void)conn, (void)req, (void)err;
	config_to_json(o);
	json_object_object_add(reply, "config", o);
	return 0;
}

static int cmd_clear_counters(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	(void)conn, (void)req, (void)reply, (void)err;
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct port *p = reg.ports[i];

		if (p == NULL)
			continue;
		stats_port_zero(p);
		if (p->ops == &port_vxlan_ops && p->priv != NULL && neigh_port_zero != NULL)
			neigh_port_zero(p->priv);
	}
	for (unsigned i = 0; i < VNL_MAX_LANS; i++) {
		if (reg.lans[i] != NULL) {
			stats_lan_zero(reg.lans[i]->slot);
			reg.lans[i]->aged = 0;
		}
	}
	for (unsigned w = 0; w < nb_workers; w++)
		stats_core_zero(w);
	return 0;
}

static int cmd_set_aging(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	static const struct int_arg seconds = { .key = "seconds", .min = 1, .max = 86400, .required = true };
	int64_t s;
	int r = arg_int(req, &seconds, &s, NULL, err);

	(void)conn;
	if (r < 0)
		return r;
	reg.aging = cfg.aging = (uint32_t)s;
	json_object_object_add(reply, "aging", json_object_new_int64(s));
	return 0;
}

static int cmd_fdb_flush(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	uint16_t lan;
	int r = arg_lan_slot(req, &lan, err);

	(void)conn;
	if (r < 0)
		return r;
	json_object_object_add(reply, "flushed", json_object_new_int64(fdb_flush(reg.fdb, lan, VNL_PORT_NONE)));
	return 0;
}

/* ---- vxlan ports (port_vxlan.h, neigh.h) ---- */

static int cmd_vxlan_set(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			 struct vnl_err *err)
{
	uint8_t addrs[VX_REMOTES_MAX][16];
	struct json_object *rl;
	struct vx_port *vx;
	const char *name;
	struct port *p;
	unsigned n;
	int family, r = arg_name(req, "name", "port", true, &name, err);

	(void)conn;
	if (r < 0)
		return r;
	p = reg_port_find(name);
	if (p == NULL)
		return vnl_errf(err, -ENOENT, "no port named '%s'", name);
	vx = p->priv;
	if (p->ops != &port_vxlan_ops || vx == NULL || neigh_port_set == NULL)
		return vnl_errf(err, -EINVAL, "port '%s' is not a vxlan port", name);
	/* [] removes every remote; a missing list is a mistake, not that. */
	if (!json_object_object_get_ex(req, "remote", &rl) || rl == NULL)
		return vnl_errf(err, -EINVAL, "missing argument 'remote'");
	family = vx->family;
	r = vx_parse_remotes(req, &family, vx->local, addrs, &n, err);
	if (r == 0)
		r = neigh_port_set(vx, (const uint8_t (*)[16])addrs, n, err);
	if (r == 0)
		json_object_object_add(reply, "port", port_json(p));
	return r;
}

/* ---- impairments (impair.h) ---- */

/* "dir": "out" (IMP_OUT) or "in" (IMP_IN); -1 when absent and not required. */
static int arg_imp_dir(struct json_object *req, bool required, int *dir, struct vnl_err *err)
{
	const char *d;
	int r = port_arg_string(req, "dir", required, &d, err);

	*dir = -1;
	if (r < 0 || d == NULL)
		return r;
	if (strcmp(d, "out") == 0)
		*dir = IMP_OUT;
	else if (strcmp(d, "in") == 0)
		*dir = IMP_IN;
	else
		return vnl_errf(err, -EINVAL, "argument 'dir' must be \"in\" or \"out\"");
	return 0;
}

static int arg_imp_port(struct json_object *req, struct port **p, struct vnl_err *err)
{
	const char *name;
	int r = arg_name(req, "port", "port", true, &name, err);

	if (r < 0)
		return r;
	*p = reg_port_find(name);
	return *p != NULL ? 0 : vnl_errf(err, -ENOENT, "no port named '%s'", name);
}

static int cmd_impair_set(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			  struct vnl_err *err)
{
	struct port *p;
	int dir, r = arg_imp_port(req, &p, err);

	(void)conn;
	if (r == 0)
		r = arg_imp_dir(req, true, &dir, err);
	return r < 0 ? r : impair_set(p, (uint8_t)dir, req, reply, err);
}

static int cmd_impair_clear(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			    struct vnl_err *err)
{
	struct port *p;
	int dir, r = arg_imp_port(req, &p, err);

	(void)conn, (void)reply;
	if (r == 0)
		r = arg_imp_dir(req, false, &dir, err);
	return r < 0 ? r : impair_clear(p, dir, err);
}

static int cmd_capture_start(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			     struct vnl_err *err)
{
	return capture_start(req, reply, conn != NULL ? jsonl_conn_take_fd(conn) : -1, err);
}

static int cmd_capture_stop(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			    struct vnl_err *err)
{
	(void)conn;
	return capture_stop_cmd(req, reply, err);
}

static int cmd_show_captures(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
			     struct vnl_err *err)
{
	(void)req, (void)conn, (void)err;
	return capture_show(reply);
}

static int cmd_help(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err);

static const char *const no_args[] = { NULL };
static const char *const name_arg[] = { "name", NULL };
static const char *const lan_add_args[] = { "name", "mtu", NULL };
static const char *const port_add_args[] = { "name", "kind", "path", "mode", "iface", "xdp", "netns", "offload",
					     "vni", "remote", "local", "dstport", NULL };
static const char *const attach_args[] = { "port", "lan", NULL };
static const char *const port_arg[] = { "port", NULL };
static const char *const lan_arg[] = { "lan", NULL };
static const char *const aging_args[] = { "seconds", NULL };
static const char *const impair_set_args[] = { "port", "dir", "delay_ns", "jitter_ns", "dist", "loss_ppm", "gemodel",
					       "rate_bps", "burst", "limit", "overhead", "dup_ppm", "reorder_ppm",
					       "gap", "corrupt_ppm", "seed", NULL };
static const char *const impair_clear_args[] = { "port", "dir", NULL };
static const char *const capture_args[] = { "ports", "dir", "bpf", "filter", "snaplen", "count", "duration_ms", "owner", NULL };
static const char *const id_arg[] = { "id", NULL };
static const char *const vxlan_set_args[] = { "name", "remote", NULL };

static const struct cmd commands[] = {
	{ "attach", cmd_attach, attach_args, 0, "put port in lan" },
	{ "capture-start", cmd_capture_start, capture_args, CMD_FD,
	  "capture ports [{port,name,descr,mac}] (dir in|out|both, bpf, filter, snaplen, count, duration_ms, owner) as pcapng into the pipe passed with the request" },
	{ "capture-stop", cmd_capture_stop, id_arg, 0, "end capture id (its statistics close the stream)" },
	{ "clear-counters", cmd_clear_counters, no_args, 0, "zero every counter" },
	{ "detach", cmd_detach, port_arg, 0, "take port out of its LAN" },
	{ "fdb-flush", cmd_fdb_flush, lan_arg, 0, "forget learned MACs (of lan, or all)" },
	{ "help", cmd_help, no_args, 0, "list commands" },
	{ "impair-clear", cmd_impair_clear, impair_clear_args, 0, "remove port's impairments (dir in|out, or both)" },
	{ "impair-set", cmd_impair_set, impair_set_args, 0, "replace port's impairments of dir in|out (netem's: delay_ns, jitter_ns, dist, loss_ppm|gemodel, rate_bps, burst, limit, overhead, dup_ppm, reorder_ppm, gap, corrupt_ppm, seed)" },
	{ "lan-add", cmd_lan_add, lan_add_args, 0, "create LAN name (mtu 68..9000: frames up to mtu+22 bytes)" },
	{ "lan-del", cmd_lan_del, name_arg, 0, "delete LAN name, detaching its ports" },
	{ "port-add", cmd_port_add, port_add_args, 0, "add port name: kind vhost (path, mode, offload), afxdp (iface, xdp), tap (netns, iface, offload) or vxlan (vni, remote [IP...], iface, local, dstport, netns)" },
	{ "port-del", cmd_port_del, name_arg, 0, "delete port name" },
	{ "set-aging", cmd_set_aging, aging_args, 0, "MAC aging in seconds" },
	{ "show-captures", cmd_show_captures, no_args, 0, "running captures: interfaces, filter, frames, drops" },
	{ "show-config", cmd_show_config, no_args, 0, "effective configuration" },
	{ "show-counters", cmd_show_counters, no_args, 0, "counters of ports, LANs and workers" },
	{ "show-fdb", cmd_show_fdb, lan_arg, 0, "MAC table (of lan, or all)" },
	{ "show-lans", cmd_show_lans, name_arg, 0, "LANs (or LAN name)" },
	{ "show-ports", cmd_show_ports, name_arg, 0, "ports (or port name)" },
	{ "show-workers", cmd_show_workers, no_args, 0, "workers: ports, cycles, packets, sleeps" },
	{ "version", cmd_version, no_args, 0, "versions of vnl-switchd and DPDK" },
	{ "vxlan-set", cmd_vxlan_set, vxlan_set_args, 0,
	  "replace vxlan port name's remotes (remote [IP...]): kept ones keep their index, counters and MACs; removed ones' MACs are forgotten" },
};
static const struct cmd_table table = CMD_TABLE(commands, " (try {\"cmd\":\"help\"})");

static int cmd_help(struct json_object *req, struct json_object *reply, struct jsonl_conn *conn,
		       struct vnl_err *err)
{
	(void)req, (void)conn, (void)err;
	json_object_object_add(reply, "commands", cmd_table_help(&table));
	return 0;
}

struct json_object *commands_handle(struct jsonl_conn *conn, const char *line, size_t len)
{
	struct vnl_err err = { 0, "" };
	struct json_object *req, *reply;
	const struct cmd *c;
	int r;

	c = req_lookup(&table, line, len, &req, &err);
	if (c == NULL) {
		LOG(DEBUG, ctl, "request refused: %s", err.msg);
		return jsonl_error(err.msg);
	}
	reply = json_object_new_object();
	r = cmd_call(c, req, reply, conn, &err);
	json_object_put(req);
	if (r < 0)
		LOG(DEBUG, ctl, "request failed: %s", err.msg);
	return cmd_reply(r, reply, &err);
}

static void aged_cb(uint16_t lan, void *arg)
{
	(void)arg;
	if (reg.lans[lan] != NULL)
		reg.lans[lan]->aged++;
}

void commands_tick(void)
{
	fdb_age(reg.fdb, dp_now(), reg.aging, aged_cb, NULL);
	impair_tick();
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++)
		if (reg.ports[i] != NULL && reg.ports[i]->ops->tick != NULL)
			reg.ports[i]->ops->tick(reg.ports[i]);
}
