/* SPDX-License-Identifier: GPL-2.0-only */
/* The table of node kinds: adding a kind is one file plus one line here. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "node_kind.h"

const struct node_kind *const node_kinds[] = {
	&node_kind_ns,
	&node_kind_cnt,
	&node_kind_vm,
	NULL,
};

const struct node_kind *node_kind_find(const char *name)
{
	size_t i;

	for (i = 0; name && node_kinds[i]; i++)
		if (!strcmp(node_kinds[i]->schema->name, name))
			return node_kinds[i];
	errno = ENOENT;
	return NULL;
}

void node_kinds_use(const struct node_kind *const *table)
{
	static const struct topo_kind *schemas[TOPO_KINDS_MAX + 1];
	size_t i;

	for (i = 0; table[i] && i < TOPO_KINDS_MAX; i++)
		schemas[i] = table[i]->schema;
	schemas[i] = NULL;
	topo_set_kinds(schemas);
}

void node_kinds_init(void)
{
	node_kinds_use(node_kinds);
}
