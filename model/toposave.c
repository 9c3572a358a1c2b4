/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing topology files in the canonical form described in topology.h.
 * Names need no quoting (the name rule keeps them plain); free strings are
 * always double-quoted with YAML escapes so any content reads back the same.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

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

/* Option i of node n, when set, as its kind's schema says. */
static void put_opt(FILE *f, const struct topo_node *n, unsigned i)
{
	const struct topo_opt *o = &n->kind->opts[i];
	const struct topo_val *v = &n->opt[i];

	if (!v->set)
		return;
	fprintf(f, "    %s: ", o->name);
	switch (o->type) {
	case TOPO_OPT_UINT:
		fprintf(f, "%u", v->num);
		break;
	case TOPO_OPT_ENUM:
		fputs(o->choices[v->num], f);
		break;
	case TOPO_OPT_TEXT:
		put_quoted(f, v->text);
		break;
	default:
		fputc('[', f);
		for (unsigned e = 0; e < v->n; e++) {
			if (e)
				fputs(", ", f);
			put_quoted(f, v->list[e]);
		}
		fputc(']', f);
	}
	fputc('\n', f);
}

static void put_node(FILE *f, const struct topo_node *n)
{
	fprintf(f, "  - name: %s\n    kind: %s\n", n->name, topo_kind_name(n->kind));
	if (n->nics != 1)
		fprintf(f, "    nics: %u\n", n->nics);
	for (unsigned i = 0; n->kind && i < n->kind->n_opts; i++)
		put_opt(f, n, i);
}

/* The keys of direction d (d == TOPO_IMP_DIRS: both) of k's impairments:
 * a key goes at the top when its text is the same in both directions,
 * else under its direction. Indent: `pad` spaces. */
static unsigned put_impair_keys(FILE *f, const struct topo_link *k, unsigned d, const char *pad)
{
	char a[TOPO_IMP_TEXT_LEN], b[TOPO_IMP_TEXT_LEN];
	unsigned n = 0;

	for (unsigned key = 0; key < TOPO_IMP_KEYS; key++) {
		const char *o = topo_impair_text(&k->imp[TOPO_IMP_OUT], key, a);
		const char *i = topo_impair_text(&k->imp[TOPO_IMP_IN], key, b);
		bool both = o && i && !strcmp(o, i);
		const char *v = d == TOPO_IMP_DIRS ? (both ? o : NULL) : both ? NULL : d == TOPO_IMP_OUT ? o : i;

		if (v && f)
			fprintf(f, "%s%s: %s\n", pad, topo_impair_keys[key], v);
		n += v != NULL;
	}
	return n;
}

/* An impaired link: the block long form with its `impair:` mapping. */
static void put_link_impaired(FILE *f, const struct topo_link *l)
{
	char addr[TOPO_ADDR_LEN];

	fprintf(f, "  - node: %s\n    nic: %u\n    lan: %s\n", l->node, l->nic, l->lan);
	if (topo_link_addr(l, addr))
		fprintf(f, "    ip: %s\n", addr);
	if (l->nic_type[0])
		fprintf(f, "    %s: %s\n", TOPO_NIC_TYPE, l->nic_type);
	fputs("    impair:\n", f);
	put_impair_keys(f, l, TOPO_IMP_DIRS, "      ");
	for (unsigned d = 0; d < TOPO_IMP_DIRS; d++) {
		if (put_impair_keys(NULL, l, d, "") == 0)
			continue;
		fprintf(f, "      %s:\n", d == TOPO_IMP_OUT ? "out" : "in");
		put_impair_keys(f, l, d, "        ");
	}
}

static void put_link(FILE *f, const struct topo_link *l)
{
	char addr[TOPO_ADDR_LEN];

	if (topo_link_impaired(l)) {
		put_link_impaired(f, l);
		return;
	}
	if (l->nic_type[0]) {
		/* Only the long form says it. */
		fprintf(f, "  - {node: %s, nic: %u, lan: %s", l->node, l->nic, l->lan);
		if (topo_link_addr(l, addr))
			fprintf(f, ", ip: %s", addr);
		fprintf(f, ", %s: %s}\n", TOPO_NIC_TYPE, l->nic_type);
		return;
	}
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

/* An address of a vxlan: IPv6 double-quoted (its colons next to a flow
 * list's ']' or ',' would read as YAML indicators). */
static void put_vx_addr(FILE *f, int family, const uint8_t *a)
{
	char text[TOPO_VXLAN_ADDR_LEN];

	topo_vxlan_addr_text(family, a, text);
	fprintf(f, family == AF_INET6 ? "\"%s\"" : "%s", text);
}

/* A LAN with a vxlan: the block long form, defaults left out. */
static void put_lan_vxlan(FILE *f, const struct topo_lan *l)
{
	const struct topo_vxlan *vx = &l->vx;

	fprintf(f, "  - name: %s\n", l->name);
	if (l->mtu)
		fprintf(f, "    mtu: %u\n", l->mtu);
	fprintf(f, "    vxlan:\n      vni: %u\n", vx->vni);
	if (vx->n_remote) {
		fputs("      remote: [", f);
		for (unsigned i = 0; i < vx->n_remote; i++) {
			fputs(i ? ", " : "", f);
			put_vx_addr(f, vx->family, vx->remote[i]);
		}
		fputs("]\n", f);
	}
	if (vx->underlay[0])
		fprintf(f, "      underlay: %s\n", vx->underlay);
	if (vx->has_local) {
		fputs("      local: ", f);
		put_vx_addr(f, vx->family, vx->local);
		fputc('\n', f);
	}
	if (vx->dstport && vx->dstport != TOPO_VXLAN_DSTPORT_DEF)
		fprintf(f, "      dstport: %u\n", vx->dstport);
}

static void put_lan(FILE *f, const void *p)
{
	const struct topo_lan *l = p;

	if (l->vx.vni)
		put_lan_vxlan(f, l);
	else if (l->mtu)
		fprintf(f, "  - {name: %s, mtu: %u}\n", l->name, l->mtu);
	else
		fprintf(f, "  - %s\n", l->name);
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

int topo_save(FILE *f, const struct topo *t, struct vnl_err *err)
{
	/* Refuse before writing: a string the reader would refuse must not
	 * reach a file (topologies built around topo_add_node()). */
	for (unsigned i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		int r = 0;

		for (unsigned o = 0; r == 0 && n->kind && o < n->kind->n_opts; o++) {
			const struct topo_val *v = &n->opt[o];

			if (v->set && v->text)
				r = topo_check_text(v->text, n->kind->opts[o].name, 0, 0, err);
			for (unsigned e = 0; r == 0 && v->set && e < v->n; e++)
				r = topo_check_text(v->list[e], n->kind->opts[o].name, 0, 0, err);
		}
		if (r < 0)
			return vnl_err_wrap(err, "cannot save node '%s'", n->name), r;
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
	topo_layout_save(f, t);
	if (ferror(f))
		return topo_errf(err, 0, 0, EIO, "write error");
	return 0;
}
