/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vxlan ports, the control side (port_vxlan.h): port-add validation, the
 * underlay, key and VNI registration, the remote table, show. tx() is
 * port_vxlan_tx.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_log.h"
#include "port_vxlan.h"
#include "snapshot.h"
#include "underlay.h"

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

static int vxlan_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	(void)p, (void)req;
	return vnl_errf(err, -EOPNOTSUPP, "vxlan ports are not built yet");
}

static void vxlan_close(struct port *p)
{
	(void)p;
}

static void vxlan_show(const struct port *p, struct json_object *o)
{
	(void)p, (void)o;
}

const struct port_ops port_vxlan_ops = {
	.kind = "vxlan",
	.open = vxlan_open,
	.close = vxlan_close,
	.rx = NULL,
	.tx = vxlan_tx,
	.show = vxlan_show,
};
