/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dp_log.h"
#include "impair.h"
#include "registry.h"
#include "snapshot.h"
#include "stats.h"

struct registry reg;

int reg_check_name(const char *what, const char *name, struct vnl_err *err)
{
	size_t len = strlen(name);

	if (len == 0 || len >= VNL_NAME_MAX)
		return vnl_errf(err, -EINVAL, "%s name '%s' must have 1 to %d characters", what, name,
			       VNL_NAME_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || strchr("_.:-", c) == NULL))
			return vnl_errf(err, -EINVAL,
				       "%s name '%s' is not valid: use letters, digits and _ . : - "
				       "(starting with a letter or digit)",
				       what, name);
	}
	return 0;
}

struct port *reg_port_find(const char *name)
{
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++)
		if (reg.ports[i] != NULL && strcmp(reg.ports[i]->name, name) == 0)
			return reg.ports[i];
	return NULL;
}

struct lan *reg_lan_find(const char *name)
{
	for (unsigned i = 0; i < VNL_MAX_LANS; i++)
		if (reg.lans[i] != NULL && strcmp(reg.lans[i]->name, name) == 0)
			return reg.lans[i];
	return NULL;
}

/* Lowest free slot of an array of n pointers, or -ENOSPC. */
static int free_slot(void *const *slots, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (slots[i] == NULL)
			return (int)i;
	return -ENOSPC;
}

/* Build the snapshot of the registry as it is now, and make it current. */
int reg_publish(void)
{
	static uint64_t gen;
	uint16_t nb_members[VNL_MAX_LANS] = { 0 }, nb_rx[VNL_MAX_WORKERS] = { 0 };
	unsigned nb_ports = 0, nb_hooked = 0, w = 0;
	struct port_hooks *hk;
	struct snapshot *s;
	size_t hk_off;
	uint16_t *next;

	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		nb_ports += reg.ports[i] != NULL;
		nb_hooked += reg.ports[i] != NULL && hooks_flags(&reg.hooks[i]) != 0;
	}
	/* Each port appears once in a LAN member list and once in a worker's
	 * rx list; the hooks of hooked ports follow, aligned. */
	hk_off = RTE_ALIGN_CEIL(sizeof(*s) + 2 * nb_ports * sizeof(uint16_t), _Alignof(struct port_hooks));
	s = calloc(1, hk_off + nb_hooked * sizeof(struct port_hooks));
	if (s == NULL)
		return -ENOMEM;
	hk = (struct port_hooks *)((char *)s + hk_off);
	s->gen = ++gen;
	s->nb_workers = (uint16_t)reg.nb_workers;
	s->tx_locked = reg.nb_workers > 1;
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct port *p = reg.ports[i];

		s->port[i].lan = VNL_LAN_NONE;
		if (p == NULL)
			continue;
		s->port[i].port = p;
		s->port[i].lan = p->lan;
		s->port[i].demux = p->demux;
		if (p->lan != VNL_LAN_NONE)
			nb_members[p->lan]++;
		if (p->ops->rx != NULL)
			nb_rx[i % reg.nb_workers]++;
		s->port[i].hooks = hooks_flags(&reg.hooks[i]);
		if (s->port[i].hooks) {
			reg.hooks[i].owner = (uint16_t)reg_port_worker(p);
			*hk = reg.hooks[i];
			s->port[i].hk = hk++;
		}
	}
	next = s->storage;
	for (unsigned l = 0; l < VNL_MAX_LANS; l++) {
		s->lan[l].max_frame = reg.lans[l] != NULL ? reg.lans[l]->max_frame : reg.max_frame;
		s->lan[l].members = next;
		next += nb_members[l];
	}
	for (w = 0; w < reg.nb_workers; w++) {
		s->worker[w].rx = next;
		next += nb_rx[w];
		s->worker[w].nb_imp = reg.imp[w].nb;
		s->worker[w].imp = reg.imp[w].st;
	}
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct snap_worker *sw;
		struct snap_lan *sl;

		if (reg.ports[i] == NULL)
			continue;
		if (s->port[i].lan != VNL_LAN_NONE) {
			sl = &s->lan[s->port[i].lan];
			((uint16_t *)sl->members)[sl->nb_members++] = (uint16_t)i;
		}
		if (reg.ports[i]->ops->rx == NULL)
			continue; /* its frames come from its rx_via port's demux */
		sw = &s->worker[i % reg.nb_workers];
		((uint16_t *)sw->rx)[sw->nb_rx++] = (uint16_t)i;
	}
	snapshot_publish(s);
	return 0;
}

int reg_init(unsigned nb_workers, uint16_t max_frame, uint32_t aging, uint32_t fdb_size)
{
	reg.nb_workers = nb_workers;
	reg.max_frame = max_frame;
	reg.aging = aging;
	reg.fdb = fdb_create(fdb_size);
	if (reg.fdb == NULL)
		return -errno;
	return reg_publish();
}

/* The socket path, interface or (tap) netns + "/" + interface a port-add
 * request names ("" if none). */
static const char *attach_of(const char *kind, struct json_object *req, char *buf, size_t size)
{
	struct json_object *v, *ns;

	if (!json_object_object_get_ex(req, strcmp(kind, "vhost") == 0 ? "path" : "iface", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	if (strcmp(kind, "tap") != 0 || !json_object_object_get_ex(req, "netns", &ns) ||
	    !json_object_is_type(ns, json_type_string))
		return json_object_get_string(v);
	snprintf(buf, size, "%s/%s", json_object_get_string(ns), json_object_get_string(v));
	return buf;
}

/* The kind's class for one-user-per-interface: afxdp and underlay ports
 * are both an AF_XDP user of the interface (an underlay in our own netns
 * has attach = IFACE, one elsewhere "NETNS:IFACE"). */
static const char *attach_class(const char *kind)
{
	return strcmp(kind, "underlay") == 0 ? "afxdp" : kind;
}

/* One port per interface and per socket path, checked before the port's
 * open detaches anything (underlay_get checks the other way round). */
static int reg_check_attach(const char *kind, struct json_object *req, struct vnl_err *err)
{
	char buf[sizeof(((struct port *)0)->attach)];
	const char *a = attach_of(kind, req, buf, sizeof(buf));

	if (a[0] == '\0')
		return 0;
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct port *q = reg.ports[i];

		if (q != NULL && strcmp(attach_class(q->kind), attach_class(kind)) == 0 && strcmp(q->attach, a) == 0)
			return vnl_errf(err, -EBUSY, "%s '%s' is used by port '%s'",
				       strcmp(kind, "vhost") == 0 ? "path" : "interface", a, q->name);
	}
	return 0;
}

int reg_port_add(const char *name, const char *kind, struct json_object *req, struct port **out,
		 struct vnl_err *err)
{
	char buf[sizeof(((struct port *)0)->attach)];
	struct port *p;
	int slot, r;

	r = reg_check_name("port", name, err);
	if (r < 0)
		return r;
	if (reg_port_find(name) != NULL)
		return vnl_errf(err, -EEXIST, "port '%s' exists already", name);
	r = reg_check_attach(kind, req, err);
	if (r < 0)
		return r;
	slot = free_slot((void *const *)reg.ports, VNL_MAX_PORTS);
	if (slot < 0)
		return vnl_errf(err, -ENOSPC, "too many ports (at most %d)", VNL_MAX_PORTS);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->attach, sizeof(p->attach), "%s", attach_of(kind, req, buf, sizeof(buf)));
	p->slot = (uint16_t)slot;
	p->lan = VNL_LAN_NONE;
	rte_spinlock_init(&p->tx_lock);
	p->txl = &p->tx_lock; /* a kind sharing a queue points it elsewhere in open() */
	p->rx_via = p->slot;  /* a kind without rx() names its demultiplexer in open() */
	r = port_open(p, kind, req, err);
	if (r < 0) {
		free(p);
		return r;
	}
	stats_port_zero(p);
	reg.ports[slot] = p;
	r = reg_publish();
	if (r < 0) {
		reg.ports[slot] = NULL;
		p->ops->close(p);
		free(p);
		return vnl_errf(err, r, "out of memory");
	}
	LOG(INFO, ctl, "port %s added (%s, %s)%s%s", name, p->kind, p->backend, p->note[0] ? ": " : "",
	    p->note);
	*out = p;
	return 0;
}

int reg_port_insert(struct port *p, uint16_t busy, struct vnl_err *err)
{
	int slot = -ENOSPC;

	for (unsigned i = 0; i < VNL_MAX_PORTS && slot < 0; i++)
		if (reg.ports[i] == NULL && i != busy)
			slot = (int)i;
	if (slot < 0)
		return vnl_errf(err, -ENOSPC, "too many ports (at most %d)", VNL_MAX_PORTS);
	p->slot = (uint16_t)slot;
	p->lan = VNL_LAN_NONE;
	rte_spinlock_init(&p->tx_lock);
	p->txl = &p->tx_lock;
	p->rx_via = p->slot;
	stats_port_zero(p);
	reg.ports[slot] = p;
	return 0;
}

static struct port *reg_port_get(const char *name, struct vnl_err *err)
{
	struct port *p = reg_port_find(name);

	if (p == NULL)
		vnl_errf(err, -ENOENT, "no port named '%s'", name);
	return p;
}

static struct lan *reg_lan_get(const char *name, struct vnl_err *err)
{
	struct lan *l = reg_lan_find(name);

	if (l == NULL)
		vnl_errf(err, -ENOENT, "no LAN named '%s'", name);
	return l;
}

int reg_port_del(const char *name, struct vnl_err *err)
{
	struct port *p = reg_port_get(name, err);
	uint16_t lan;

	if (p == NULL)
		return -ENOENT;
	lan = p->lan;
	reg.ports[p->slot] = NULL;
	if (reg_publish() < 0) {
		reg.ports[p->slot] = p;
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	/* No worker sees the port any more. */
	if (lan != VNL_LAN_NONE)
		reg.lans[lan]->nb_ports--;
	fdb_flush(reg.fdb, VNL_LAN_NONE, p->slot);
	/* Its hooks went with it; a new port in the slot starts plain. */
	capture_port_gone(p->slot);
	memset(&reg.hooks[p->slot], 0, sizeof(reg.hooks[p->slot]));
	impair_port_gone(p->slot);
	p->ops->close(p);
	LOG(INFO, ctl, "port %s deleted", name);
	free(p);
	return 0;
}

int reg_lan_add(const char *name, uint16_t mtu, struct lan **out, struct vnl_err *err)
{
	struct lan *l;
	int slot, r;

	r = reg_check_name("LAN", name, err);
	if (r < 0)
		return r;
	if (reg_lan_find(name) != NULL)
		return vnl_errf(err, -EEXIST, "LAN '%s' exists already", name);
	slot = free_slot((void *const *)reg.lans, VNL_MAX_LANS);
	if (slot < 0)
		return vnl_errf(err, -ENOSPC, "too many LANs (at most %d)", VNL_MAX_LANS);
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->slot = (uint16_t)slot;
	l->mtu = mtu;
	l->max_frame = mtu ? (uint16_t)(mtu + VNL_LAN_L2_OVERHEAD) : reg.max_frame;
	stats_lan_zero(l->slot);
	reg.lans[slot] = l; /* no snapshot change until a port joins: the next one carries max_frame */
	LOG(INFO, ctl, "LAN %s added (frames up to %u bytes)", name, l->max_frame);
	*out = l;
	return 0;
}

int reg_lan_del(const char *name, struct json_object *detached, struct vnl_err *err)
{
	struct lan *l = reg_lan_get(name, err);
	uint16_t members[VNL_MAX_PORTS];
	unsigned n = 0;

	if (l == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		if (reg.ports[i] != NULL && reg.ports[i]->lan == l->slot) {
			members[n++] = (uint16_t)i;
			reg.ports[i]->lan = VNL_LAN_NONE;
		}
	}
	if (reg_publish() < 0) {
		for (unsigned i = 0; i < n; i++)
			reg.ports[members[i]]->lan = l->slot;
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(detached, json_object_new_string(reg.ports[members[i]]->name));
	fdb_flush(reg.fdb, l->slot, VNL_PORT_NONE);
	reg.lans[l->slot] = NULL;
	LOG(INFO, ctl, "LAN %s deleted (%u ports detached)", name, n);
	free(l);
	return 0;
}

int reg_attach(const char *port, const char *lan, struct vnl_err *err)
{
	struct port *p = reg_port_get(port, err);
	struct lan *l;

	if (p == NULL)
		return -ENOENT;
	l = reg_lan_get(lan, err);
	if (l == NULL)
		return -ENOENT;
	if (p->lan == l->slot)
		return vnl_errf(err, -EEXIST, "port '%s' is attached to LAN '%s' already", port, lan);
	if (p->lan != VNL_LAN_NONE)
		return vnl_errf(err, -EBUSY, "port '%s' is attached to LAN '%s'; detach it first", port,
			       reg.lans[p->lan]->name);
	p->lan = l->slot;
	if (reg_publish() < 0) {
		p->lan = VNL_LAN_NONE;
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	l->nb_ports++;
	LOG(INFO, ctl, "port %s attached to LAN %s", port, lan);
	return 0;
}

int reg_detach(const char *port, struct vnl_err *err)
{
	struct port *p = reg_port_get(port, err);
	uint16_t lan;

	if (p == NULL)
		return -ENOENT;
	lan = p->lan;
	if (lan == VNL_LAN_NONE)
		return vnl_errf(err, -EINVAL, "port '%s' is not attached to a LAN", port);
	p->lan = VNL_LAN_NONE;
	if (reg_publish() < 0) {
		p->lan = lan;
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	/* No worker forwards from or to it in this LAN any more: forget its MACs. */
	fdb_flush(reg.fdb, lan, p->slot);
	reg.lans[lan]->nb_ports--;
	LOG(INFO, ctl, "port %s detached from LAN %s", port, reg.lans[lan]->name);
	return 0;
}

void reg_fini(void)
{
	impair_fini();
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct port *p = reg.ports[i];

		if (p == NULL)
			continue;
		reg.ports[i] = NULL;
		p->ops->close(p);
		free(p);
	}
	for (unsigned i = 0; i < VNL_MAX_LANS; i++) {
		free(reg.lans[i]);
		reg.lans[i] = NULL;
	}
	fdb_destroy(reg.fdb);
	reg.fdb = NULL;
}
