/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging through DPDK's rte_log, one log type per subsystem so levels can be
 * changed per subsystem (EAL option --log-level=vnl.port:debug). Log once, in
 * the layer that decides; the datapath never logs.
 */
#pragma once

#include <rte_log.h>

extern int vnl_logtype_main;
extern int vnl_logtype_ctl;
extern int vnl_logtype_port;
extern int vnl_logtype_worker;

#define LOG(level, sub, fmt, ...)                                                    \
	rte_log(RTE_LOG_##level, vnl_logtype_##sub, "vnl-switchd: " #sub ": " fmt "\n", \
		##__VA_ARGS__)
