/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading counters: sum every worker's copy, subtract the base stored when the
 * counter was last zeroed. A worker may be incrementing while we read; every
 * value is a 64-bit aligned load, so a sum is never torn, only a few frames
 * late.
 */
#include <string.h>

#include "port.h"
#include "stats.h"
#include "worker.h"

static uint64_t port_base[VNL_MAX_PORTS][PC_MAX];
static uint64_t lan_base[VNL_MAX_LANS][LC_MAX];
static uint64_t core_base[VNL_MAX_WORKERS][CC_MAX];

static void port_sum(const struct port *p, uint64_t out[PC_MAX])
{
	memset(out, 0, sizeof(uint64_t) * PC_MAX);
	for (unsigned w = 0; w < nb_workers; w++)
		for (unsigned c = 0; c < PC_MAX; c++)
			out[c] += *(volatile uint64_t *)&workers[w]->stats->port[p->slot].v[c];
}

void stats_port_read(const struct port *p, uint64_t out[PC_MAX])
{
	port_sum(p, out);
	for (unsigned c = 0; c < PC_MAX; c++)
		out[c] -= port_base[p->slot][c];
}

void stats_port_zero(const struct port *p)
{
	port_sum(p, port_base[p->slot]);
}

static void lan_sum(uint16_t slot, uint64_t out[LC_MAX])
{
	memset(out, 0, sizeof(uint64_t) * LC_MAX);
	for (unsigned w = 0; w < nb_workers; w++)
		for (unsigned c = 0; c < LC_MAX; c++)
			out[c] += *(volatile uint64_t *)&workers[w]->stats->lan[slot].v[c];
}

void stats_lan_read(uint16_t slot, uint64_t out[LC_MAX])
{
	lan_sum(slot, out);
	for (unsigned c = 0; c < LC_MAX; c++)
		out[c] -= lan_base[slot][c];
}

void stats_lan_zero(uint16_t slot)
{
	lan_sum(slot, lan_base[slot]);
}

void stats_core_read(unsigned w, uint64_t out[CC_MAX])
{
	for (unsigned c = 0; c < CC_MAX; c++)
		out[c] = *(volatile uint64_t *)&workers[w]->stats->core.v[c] - core_base[w][c];
}

void stats_core_zero(unsigned w)
{
	for (unsigned c = 0; c < CC_MAX; c++)
		core_base[w][c] = *(volatile uint64_t *)&workers[w]->stats->core.v[c];
}
