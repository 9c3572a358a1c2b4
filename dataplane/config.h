/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command-line configuration of vnl-switchd: one table of knobs (config.c)
 * gives each option its default, range, help and target field; --help is
 * generated from it and show-config prints the effective values.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "dp.h"

struct config {
	char socket[108];          /* control socket path */
	char poll[16];             /* "adaptive" or "busy" */
	uint32_t main_core;        /* lcore of the control thread */
	char worker_cores[64];     /* worker cores: "1", "1,2", "1-3"; "L@C" runs lcore L on CPU C */
	uint32_t aging;            /* MAC aging, seconds */
	uint32_t fdb_size;         /* MAC table entries */
	uint32_t mbufs;            /* packet buffers */
	uint32_t max_frame;        /* longest frame, bytes */
	uint32_t idle_after_us;    /* adaptive polling: idle time before sleeping */
	uint32_t idle_sleep_max_us;/* adaptive polling: longest sleep */
	bool no_huge;              /* run without hugepages */
	uint32_t mem_mb;           /* memory to reserve (0: as needed) */
	char log_level[16];        /* log level of vnl-switchd's own messages */
	bool check;                /* validate, print and exit */

	/* derived */
	unsigned nb_workers;
	unsigned worker_lcores[VNL_MAX_WORKERS]; /* EAL lcore ids */
	unsigned worker_cpus[VNL_MAX_WORKERS];   /* the CPU each runs on */
	int eal_extra_argc;        /* arguments after "--", for the EAL */
	char **eal_extra_argv;
};

extern struct config cfg;

/* Parse argv. Returns 0 to go on, 1 when --help/--version was printed, or
 * -EINVAL with err filled. */
int config_parse(int argc, char **argv, struct vnl_err *err);
void config_usage(FILE *f);
void config_print(FILE *f);
void config_to_json(struct json_object *o);
