/* SPDX-License-Identifier: GPL-2.0-only */
#include "stats.h"

#define VNL_NAME(n, d) #n,
const char *const port_counter_names[PC_MAX] = { VNL_PORT_COUNTERS(VNL_NAME) };
const char *const lan_counter_names[LC_MAX] = { VNL_LAN_COUNTERS(VNL_NAME) };
const char *const core_counter_names[CC_MAX] = { VNL_CORE_COUNTERS(VNL_NAME) };
#undef VNL_NAME
