/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Limits and small types shared by every part of vnl-switchd, including the
 * parts built without DPDK's EAL (fdb.c, bridge.h) for the unit tests.
 */
#pragma once

#include <stdint.h>

#include "err.h"

#define VNL_BURST 32          /* frames per rx burst and per tx burst */
#define VNL_MAX_PORTS 1024    /* port slots; a port's slot indexes snapshots and counters */
#define VNL_MAX_LANS 1024     /* LAN slots */
#define VNL_MAX_WORKERS 16    /* worker lcores */
#define VNL_NAME_MAX 32       /* port and LAN names, including the NUL */

#define VNL_PORT_NONE UINT16_MAX
#define VNL_LAN_NONE UINT16_MAX

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/*
 * Errors on the control side (config, control socket, registry, port
 * backends): functions return 0 or a negative errno and fill the struct
 * vnl_err of common/err.h, whose message is sent back to the client as is.
 * The workers' loop never builds error objects: it counts (stats.h).
 * Only main() exits.
 */
