/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A node kind that exists only in the unit tests: its schema has a number,
 * a text and a list option, and its slots do nothing. It is this file plus
 * one line in the tests' kinds table (topology_test.c), and nothing else:
 * the topology reader, writer and validation learn it from its schema.
 */
#include "node_kind.h"

/* Its options, indexes into its schema. */
enum testkind_opt { TESTKIND_SPEED, TESTKIND_COLOR, TESTKIND_TAGS, TESTKIND_N_OPTS };

static const struct topo_opt testkind_opts[TESTKIND_N_OPTS] = {
	[TESTKIND_SPEED] = { .name = "speed", .type = TOPO_OPT_UINT, .min = 10, .max = 100, .def = 42,
			     .unit = "Mb/s", .metavar = "N", .help = "how fast" },
	[TESTKIND_COLOR] = { .name = "color", .short_opt = 'k', .type = TOPO_OPT_TEXT, .metavar = "C",
			     .help = "its colour" },
	[TESTKIND_TAGS] = { .name = "tags", .type = TOPO_OPT_LIST, .metavar = "T", .help = "labels" },
};

static const struct topo_kind testkind_schema = {
	.name = "testkind",
	.help = "a kind of the unit tests",
	.opts = testkind_opts,
	.n_opts = TESTKIND_N_OPTS,
	.addresses = false,  /* links to it carry no address */
};

static int nothing(struct node_ctx *node, struct vnl_err *err)
{
	(void)node, (void)err;
	return 0;
}

const struct node_kind node_kind_testkind = {
	.schema = &testkind_schema,
	.create = nothing,
	.destroy = nothing,
};
