/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing topology files in the canonical form described in topology.h.
 * Names need no quoting (the name rule keeps them plain); free strings are
 * always double-quoted with YAML escapes so any content reads back the same.
 */
#include <errno.h>
#include <stdint.h>

#include "topology.h"

/*
 * s as a YAML double-quoted scalar that libyaml reads back as the same
 * bytes. s passed topo_check_text() (valid UTF-8). Escaped: the quote and
 * backslash, every C0/C1 control and DEL (tab included: files may not hold
 * tabs), and the characters a YAML reader folds or refuses raw: NEL, LS, PS
 * (line breaks), BOM, U+FFFE, U+FFFF. NBSP is written as \_ so that it
 * stays visible. Everything else, spaces, '#', ': ' included, passes as is:
 * none of it means anything inside double quotes.
 */
static void put_quoted(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	unsigned n;

	fputc('"', f);
	for (; *p; p += n) {
		n = topo_utf8_next(p, &c);
		if (!n) {	/* unreachable after topo_check_text(); never a raw byte */
			fputs("\\ufffd", f);
			n = 1;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\t': fputs("\\t", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case 0x85: fputs("\\N", f); break;
		case 0xa0: fputs("\\_", f); break;
		case 0x2028: fputs("\\L", f); break;
		case 0x2029: fputs("\\P", f); break;
		default:
			if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
				fprintf(f, "\\x%02x", (unsigned)c);
			else if (c == 0xfeff || c == 0xfffe || c == 0xffff)
				fprintf(f, "\\u%04x", (unsigned)c);
			else
				fwrite(p, 1, n, f);
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

/* A FILE that only counts what is written to it, for the *_save_size(). */
static ssize_t count_write(void *cookie, const char *buf, size_t len)
{
	(void)buf;
	*(size_t *)cookie += len;
	return (ssize_t)len;
}

static size_t measure(void (*put)(FILE *, const void *), const void *obj)
{
	cookie_io_functions_t io = { .write = count_write };
	size_t len = 0;
	FILE *f = fopencookie(&len, "w", io);

	if (f == NULL)
		return TOPO_FILE_MAX + 1;	/* no memory: too large to add */
	put(f, obj);
	fclose(f);
	return len;
}

static void put_node_any(FILE *f, const void *n)
{
	put_node(f, n);
}

static void put_lan(FILE *f, const void *l)
{
	fprintf(f, "  - %s\n", ((const struct topo_lan *)l)->name);
}

static void put_link_any(FILE *f, const void *k)
{
	put_link(f, k);
}

size_t topo_node_save_size(const struct topo_node *n)
{
	return measure(put_node_any, n);
}

size_t topo_lan_save_size(const struct topo_lan *l)
{
	return measure(put_lan, l);
}

size_t topo_link_save_size(const struct topo_link *k)
{
	return measure(put_link_any, k);
}

int topo_save(FILE *f, const struct topo *t, struct topo_err *err)
{
	/* Refuse before writing: a string the reader would refuse must not
	 * reach a file (topologies built around topo_add_node()). */
	for (unsigned i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		struct topo_err te;
		int r = 0;

		if (n->image)
			r = topo_check_text(n->image, "image", 0, 0, &te);
		if (r == 0 && n->cmd)
			r = topo_check_text(n->cmd, "cmd", 0, 0, &te);
		for (unsigned e = 0; r == 0 && e < n->n_env; e++)
			r = topo_check_text(n->env[e], "env entry", 0, 0, &te);
		if (r < 0)
			return topo_errf(err, n->line, n->column, EINVAL, "cannot save node '%s': %s",
					 n->name, te.msg);
	}
	fputs("# vnetlab topology\n", f);
	fputs(t->n_lans ? "lans:\n" : "lans: []\n", f);
	for (unsigned i = 0; i < t->n_lans; i++)
		put_lan(f, &t->lans[i]);
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
