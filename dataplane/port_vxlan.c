/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vxlan ports, the control side (port_vxlan.h): port-add validation, the
 * underlay, key and VNI registration, the remote table, show, the MTU
 * check at attach. tx() is port_vxlan_tx.c's.
 *
 * port-add checks, each a one-line error with nothing left behind: vni
 * 1..16777215, remotes (<= 32, unique, unicast) and local of one family,
 * every remote routed through iface (in netns), local an address of iface
 * (default: the route's source address to the first remote), the VNI free
 * on the underlay, (local, dstport) free on the host (the reserved socket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "args.h"
#include "dp_log.h"
#include "neigh.h"
#include "nl.h"
#include "port_vxlan.h"
#include "snapshot.h"
#include "underlay.h"
#include "worker.h"

const char *const vx_remote_state_names[VX_STATES] = {
	"resolving", "resolved", "failed", "no-route", "wrong-interface",
};

#define VNL_NAME(n, d) #n,
const char *const vx_remote_counter_names[VXR_MAX] = { VX_REMOTE_COUNTERS(VNL_NAME) };
#undef VNL_NAME

uint8_t vx_lcore_worker[RTE_MAX_LCORE];

void vx_remotes_publish(struct vx_port *vx, struct vx_remotes *next)
{
	struct vx_remotes *old;

	memset(next->pos, VX_INDEX_NONE, sizeof(next->pos));
	next->nb_resolved = 0;
	for (uint8_t i = 0; i < next->n; i++) {
		next->pos[next->r[i].index] = i;
		if (next->r[i].state == VX_RESOLVED)
			next->resolved[next->nb_resolved++] = i;
	}
	old = atomic_exchange_explicit(&vx->remotes, next, memory_order_acq_rel);
	if (old != NULL) {
		snapshot_wait_readers();
		free(old);
	}
}

struct vx_remotes *vx_remotes_copy(const struct vx_port *vx)
{
	const struct vx_remotes *cur = atomic_load(&vx->remotes);
	struct vx_remotes *t = calloc(1, sizeof(*t));

	if (t != NULL && cur != NULL)
		memcpy(t, cur, sizeof(*t));
	return t;
}

static void vx_remote_sums(const struct vx_port *vx, unsigned idx, uint64_t out[VXR_MAX], uint64_t *last_rx)
{
	memset(out, 0, VXR_MAX * sizeof(out[0]));
	*last_rx = 0;
	for (unsigned w = 0; w < VNL_MAX_WORKERS; w++) {
		const struct vx_remote_stats *s = &vx->st[w][idx];

		for (unsigned c = 0; c < VXR_MAX; c++)
			out[c] += s->v[c];
		if (s->last_rx > *last_rx)
			*last_rx = s->last_rx;
	}
}

void vx_remote_stats_read(const struct vx_port *vx, unsigned idx, uint64_t out[VXR_MAX], uint64_t *last_rx)
{
	vx_remote_sums(vx, idx, out, last_rx);
	for (unsigned c = 0; c < VXR_MAX; c++)
		out[c] -= vx->zero[idx][c];
	if (*last_rx <= vx->zero_last_rx[idx])
		*last_rx = 0;
}

void vx_remote_stats_zero(struct vx_port *vx, unsigned idx)
{
	vx_remote_sums(vx, idx, vx->zero[idx], &vx->zero_last_rx[idx]);
}

/* Until port_vxlan_tx.c (part vxpt) defines the real one: takes no frame,
 * so the worker counts every frame to a vxlan port drop_tx_full. */
__attribute__((weak)) uint16_t vxlan_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	(void)p, (void)pkts, (void)n, (void)ps;
	return 0;
}

/* ---- port-add ---- */

/* The port-add arguments of a vxlan port, parsed. */
struct vx_args {
	uint32_t vni;
	const char *iface, *netns;
	uint16_t dstport;
	int family;                       /* of local and the remotes */
	bool has_local;
	uint8_t local[16];
	unsigned n;                       /* remotes */
	uint8_t remote[VX_REMOTES_MAX][16];
};

/* s as a unicast address of *family (0: any, then set). what: "remote", "local". */
static int vx_arg_addr(const char *what, const char *s, int *family, uint8_t out[16], struct vnl_err *err)
{
	int f = strchr(s, ':') ? AF_INET6 : AF_INET;

	memset(out, 0, 16);
	if (inet_pton(f, s, out) != 1)
		return vnl_errf(err, -EINVAL, "%s '%s' is not an IPv4 or IPv6 address", what, s);
	if (*family != 0 && *family != f)
		return vnl_errf(err, -EINVAL, "%s '%s' is %s but the others are %s: one family per vxlan port", what,
				s, f == AF_INET6 ? "IPv6" : "IPv4", *family == AF_INET6 ? "IPv6" : "IPv4");
	*family = f;
	if (f == AF_INET ? (out[0] == 0 || out[0] == 127 || out[0] >= 224)
			 : (out[0] == 0xff || (out[0] == 0xfe && (out[1] & 0xc0) == 0x80) ||
			    IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)out) ||
			    IN6_IS_ADDR_LOOPBACK((struct in6_addr *)out)))
		return vnl_errf(err, -EINVAL, "%s '%s' must be a unicast address (not multicast, link-local, "
				"loopback or unspecified)", what, s);
	return 0;
}

int vx_parse_remotes(struct json_object *req, int *family, const uint8_t *local, uint8_t out[VX_REMOTES_MAX][16],
		     unsigned *n, struct vnl_err *err)
{
	struct json_object *rl;
	size_t len;
	int r;

	*n = 0;
	if (!json_object_object_get_ex(req, "remote", &rl) || json_object_is_type(rl, json_type_null))
		return 0;
	if (!json_object_is_type(rl, json_type_array))
		return vnl_errf(err, -EINVAL, "argument 'remote' must be an array of addresses");
	len = json_object_array_length(rl);
	if (len > VX_REMOTES_MAX)
		return vnl_errf(err, -EINVAL, "at most %d remotes", VX_REMOTES_MAX);
	for (size_t i = 0; i < len; i++) {
		struct json_object *v = json_object_array_get_idx(rl, i);
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string))
			return vnl_errf(err, -EINVAL, "argument 'remote' must be an array of addresses");
		r = vx_arg_addr("remote", s, family, out[*n], err);
		if (r < 0)
			return r;
		if (local != NULL && memcmp(out[*n], local, 16) == 0)
			return vnl_errf(err, -EINVAL, "remote '%s' is the local address", s);
		for (unsigned j = 0; j < *n; j++)
			if (memcmp(out[j], out[*n], 16) == 0)
				return vnl_errf(err, -EINVAL, "remote '%s' is given twice", s);
		(*n)++;
	}
	return 0;
}

static int vx_args_parse(struct json_object *req, struct vx_args *a, struct vnl_err *err)
{
	static const struct int_arg vni = { .key = "vni", .min = 1, .max = VX_VNI_MAX, .required = true },
				    dstport = { .key = "dstport", .min = 1, .max = 65535, .def = VX_PORT };
	const char *local;
	int64_t v, port;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = arg_int(req, &vni, &v, NULL, err)) < 0 ||
	    (r = port_arg_string(req, "iface", true, &a->iface, err)) < 0 ||
	    (r = port_arg_string(req, "netns", false, &a->netns, err)) < 0 ||
	    (r = port_arg_string(req, "local", false, &local, err)) < 0 ||
	    (r = arg_int(req, &dstport, &port, NULL, err)) < 0)
		return r;
	a->vni = (uint32_t)v;
	a->dstport = (uint16_t)port;
	if (local != NULL) {
		r = vx_arg_addr("local", local, &a->family, a->local, err);
		if (r < 0)
			return r;
		a->has_local = true;
	}
	r = vx_parse_remotes(req, &a->family, a->has_local ? a->local : NULL, a->remote, &a->n, err);
	if (r < 0)
		return r;
	if (a->family == 0)
		return vnl_errf(err, -EINVAL, "a vxlan port without remotes needs 'local'");
	return 0;
}

/* Every remote leaves by the underlay's interface; local defaults to the
 * source address of the route to the first remote. */
static int vx_check_routes(struct vx_port *vx, const struct vx_args *a, struct vnl_err *err)
{
	char s[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < a->n; i++) {
		struct nl_route rt;
		int r = nl_route_get(vx->ul->netns_fd, a->family, a->remote[i], 0, &rt, err);

		inet_ntop(a->family, a->remote[i], s, sizeof(s));
		if (r < 0)
			return vnl_err_wrap(err, "remote %s", s), r;
		if (rt.type != RTN_UNICAST)
			return vnl_errf(err, -EINVAL, "remote %s is not a unicast destination here (a local address?)", s);
		if (rt.oif != (int)vx->ul->ifindex)
			return vnl_errf(err, -EINVAL, "remote %s is routed through another interface (index %d), not %s",
					s, rt.oif, vx->ul->iface);
		if (i == 0 && !a->has_local) {
			if (!rt.has_prefsrc)
				return vnl_errf(err, -EINVAL, "the route to %s has no source address: give 'local'", s);
			memcpy(vx->local, rt.prefsrc, 16);
		}
	}
	return 0;
}

/* The workers' lcores -> their index (vx_worker()). */
static void vx_map_workers(void)
{
	for (unsigned i = 0; i < nb_workers; i++)
		vx_lcore_worker[workers[i]->lcore] = (uint8_t)i;
}

/* The first remote table: every remote resolving, indexes in the order given. */
static int vx_remotes_first(struct vx_port *vx, const struct vx_args *a, struct vnl_err *err)
{
	struct vx_remotes *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < a->n; i++) {
		t->r[i].index = (uint8_t)i;
		t->r[i].state = VX_RESOLVING;
		memcpy(t->r[i].addr, a->remote[i], 16);
		memcpy(t->r[i].via, a->remote[i], 16);
		vx->used |= 1u << i;
	}
	t->n = (uint8_t)a->n;
	vx_remotes_publish(vx, t);
	return 0;
}

static int vxlan_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	struct vx_args a;
	struct vx_port *vx;
	char s[INET6_ADDRSTRLEN];
	int r;

	r = vx_args_parse(req, &a, err);
	if (r < 0)
		return r;
	vx = aligned_alloc(64, RTE_ALIGN_CEIL(sizeof(*vx), 64));
	if (vx == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	memset(vx, 0, sizeof(*vx));
	vx->port = p;
	vx->vni = a.vni;
	vx->family = a.family;
	vx->dstport = a.dstport;
	vx->local_given = a.has_local;
	memcpy(vx->local, a.local, 16);
	vx_map_workers();
	r = underlay_get(a.netns, a.iface, p->slot, &vx->ul, err);
	if (r < 0)
		goto fail_free;
	r = vx_check_routes(vx, &a, err);
	if (r < 0)
		goto fail_put;
	inet_ntop(a.family, vx->local, s, sizeof(s));
	r = underlay_has_addr(vx->ul, a.family, vx->local, err);
	if (r == 0)
		r = vnl_errf(err, -EADDRNOTAVAIL, "local %s is not an address of %s", s, vx->ul->iface);
	if (r < 0)
		goto fail_put;
	r = underlay_key_add(vx->ul, a.family, vx->local, a.dstport, err);
	if (r < 0)
		goto fail_put;
	r = vx_remotes_first(vx, &a, err);
	if (r == 0)
		r = neigh_port_add(vx, err);
	if (r < 0)
		goto fail_key;
	r = underlay_vni_add(vx->ul, a.vni, p->slot, vx, err);
	if (r < 0)
		goto fail_neigh;
	p->priv = vx;
	p->backend = "vxlan";
	p->txl = &vx->ul->txl;
	p->rx_via = vx->ul->port->slot;
	snprintf(p->attach, sizeof(p->attach), "%s vni %u", vx->ul->name, a.vni);
	/* Up as the underlay's link is (neigh.c follows it from now on). */
	if (atomic_load(&vx->ul->port->up))
		port_set_up(p, 0);
	return 0;
fail_neigh:
	neigh_port_del(vx);
fail_key:
	underlay_key_del(vx->ul, a.family, vx->local, a.dstport);
fail_put:
	underlay_put(vx->ul);
fail_free:
	free(atomic_load(&vx->remotes));
	free(vx);
	return r;
}

/* Once no worker sees the port: out of the VNI table (published), then
 * the key and the underlay reference. */
static void vxlan_close(struct port *p)
{
	struct vx_port *vx = p->priv;

	if (vx == NULL)
		return;
	neigh_port_del(vx);
	underlay_vni_del(vx->ul, vx->vni);
	underlay_key_del(vx->ul, vx->family, vx->local, vx->dstport);
	underlay_put(vx->ul);
	free(atomic_load(&vx->remotes));
	free(vx);
	p->priv = NULL;
}

static struct json_object *vx_addr_json(int family, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];

	return json_object_new_string(inet_ntop(family, addr, s, sizeof(s)) ? s : "?");
}

static struct json_object *vx_remote_json(const struct vx_port *vx, const struct vx_remote *r)
{
	struct json_object *o = json_object_new_object(), *c = json_object_new_object();
	uint64_t v[VXR_MAX], last;
	char mac[18];

	json_object_object_add(o, "ip", vx_addr_json(vx->family, r->addr));
	json_object_object_add(o, "index", json_object_new_int(r->index));
	json_object_object_add(o, "state", json_object_new_string(vx_remote_state_names[r->state]));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1], r->mac[2], r->mac[3],
		 r->mac[4], r->mac[5]);
	json_object_object_add(o, "mac", r->state == VX_RESOLVED ? json_object_new_string(mac) : NULL);
	json_object_object_add(o, "via", vx_addr_json(vx->family, r->via));
	vx_remote_stats_read(vx, r->index, v, &last);
	json_object_object_add(o, "last_rx", last ? json_object_new_double((double)(rte_rdtsc() - last) /
									    (double)rte_get_tsc_hz()) : NULL);
	for (unsigned i = 0; i < VXR_MAX; i++)
		json_object_object_add(c, vx_remote_counter_names[i], json_object_new_int64((int64_t)v[i]));
	json_object_object_add(o, "counters", c);
	return o;
}

static void vxlan_show(const struct port *p, struct json_object *o)
{
	const struct vx_port *vx = p->priv;
	const struct vx_remotes *t = atomic_load(&vx->remotes);
	struct json_object *rl = json_object_new_array();

	json_object_object_add(o, "vni", json_object_new_int64(vx->vni));
	json_object_object_add(o, "underlay", json_object_new_string(vx->ul->name));
	json_object_object_add(o, "iface", json_object_new_string(vx->ul->iface));
	json_object_object_add(o, "local", vx_addr_json(vx->family, vx->local));
	json_object_object_add(o, "dstport", json_object_new_int(vx->dstport));
	json_object_object_add(o, "family", json_object_new_string(vx->family == AF_INET6 ? "ipv6" : "ipv4"));
	json_object_object_add(o, "overhead", json_object_new_int((int)vx_overhead(vx->family)));
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		json_object_array_add(rl, vx_remote_json(vx, &t->r[i]));
	json_object_object_add(o, "remotes", rl);
}

/* The longest outer IP packet a one-page umem frame carries (plan 2.7: veth's
 * driver-mode XDP caps its MTU there; the LAN mtu ceiling 3456 / 3436). */
#define VX_UMEM_IP_MAX 3506

/* Plan 2.7: the LAN's frames, encapsulated, must fit the underlay's MTU and
 * a umem frame. An 802.1Q-tagged frame at the LAN's MTU is 4 bytes more than
 * this checks: drop_vx_too_big (as a Linux vxlan device of that MTU). */
static int vxlan_attach_check(const struct port *p, uint16_t lan_mtu, uint16_t lan_max_frame, struct vnl_err *err)
{
	const struct vx_port *vx = p->priv;
	unsigned ip, need;

	/* The LAN's IP MTU (without one: its longest frame less the Ethernet header). */
	ip = lan_mtu ? lan_mtu : (unsigned)lan_max_frame - 14;
	need = ip + vx_overhead(vx->family);
	if (need > VX_UMEM_IP_MAX)
		return vnl_errf(err, -EINVAL, "LAN frames of IP MTU %u need %u bytes over vxlan, above the %u a 4 KiB "
				"AF_XDP frame carries: give the LAN mtu %u at most", ip, need, VX_UMEM_IP_MAX,
				VX_UMEM_IP_MAX - vx_overhead(vx->family));
	if (need > vx->ul->mtu)
		return vnl_errf(err, -EINVAL, "LAN frames of IP MTU %u need %u bytes over vxlan but %s has mtu %u: "
				"give the LAN mtu %u at most, or raise the underlay's MTU", ip, need, vx->ul->iface,
				vx->ul->mtu, vx->ul->mtu - vx_overhead(vx->family));
	return 0;
}

/* Routes and neighbours of the remotes (neigh.h). */
static void vxlan_tick(struct port *p)
{
	neigh_port_tick(p->priv);
}

const struct port_ops port_vxlan_ops = {
	.kind = "vxlan",
	.open = vxlan_open,
	.close = vxlan_close,
	.rx = NULL,
	.tx = vxlan_tx,
	.show = vxlan_show,
	.attach_check = vxlan_attach_check,
	.tick = vxlan_tick,
};
