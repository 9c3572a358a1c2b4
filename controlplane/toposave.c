/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing topology files in the canonical form described in topology.h.
 * Names need no quoting (the name rule keeps them plain); free strings are
 * always double-quoted with YAML escapes so any content reads back the same.
 */
#include <errno.h>

#include "topology.h"

/* s as a YAML double-quoted scalar. UTF-8 passes through unchanged. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void put_node(FILE *f, const struct topo_node *n)
{
	fprintf(f, "  - name: %s\n    kind: %s\n", n->name, topo_kind_name(n->kind));
	if (n->nics != 1)
		fprintf(f, "    nics: %u\n", n->nics);
	if (n->image) {
		fputs("    image: ", f);
		put_quoted(f, n->image);
		fputc('\n', f);
	}
	if (n->cmd) {
		fputs("    cmd: ", f);
		put_quoted(f, n->cmd);
		fputc('\n', f);
	}
	if (n->n_env) {
		fputs("    env: [", f);
		for (unsigned e = 0; e < n->n_env; e++) {
			if (e)
				fputs(", ", f);
			put_quoted(f, n->env[e]);
		}
		fputs("]\n", f);
	}
	if (n->mem_mb)
		fprintf(f, "    mem: %u\n", n->mem_mb);
	if (n->cpus)
		fprintf(f, "    cpus: %u\n", n->cpus);
	if (n->pids)
		fprintf(f, "    pids: %u\n", n->pids);
}

static void put_link(FILE *f, const struct topo_link *l)
{
	char addr[TOPO_ADDR_LEN];

	fprintf(f, "  - %s:%u %s", l->node, l->nic, l->lan);
	if (topo_link_addr(l, addr))
		fprintf(f, " %s", addr);
	fputc('\n', f);
}

int topo_save(FILE *f, const struct topo *t, struct topo_err *err)
{
	fputs("# vnetlab topology\n", f);
	fputs(t->n_lans ? "lans:\n" : "lans: []\n", f);
	for (unsigned i = 0; i < t->n_lans; i++)
		fprintf(f, "  - %s\n", t->lans[i].name);
	fputs(t->n_nodes ? "nodes:\n" : "nodes: []\n", f);
	for (unsigned i = 0; i < t->n_nodes; i++)
		put_node(f, &t->nodes[i]);
	fputs(t->n_links ? "links:\n" : "links: []\n", f);
	for (unsigned i = 0; i < t->n_links; i++)
		put_link(f, &t->links[i]);
	if (ferror(f))
		return topo_errf(err, 0, 0, EIO, "write error");
	return 0;
}
