/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker side of captures (hooks.h cap_tap); no capture exists yet. */
#include "hooks.h"

void cap_tap(struct worker *w, const struct port_hooks *hk, uint8_t dir, struct rte_mbuf *const *m,
	     uint16_t n, uint64_t tsc)
{
	(void)w, (void)hk, (void)dir, (void)m, (void)n, (void)tsc;
}
