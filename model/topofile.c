/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading topology files: YAML text -> libyaml document -> struct topo.
 * The format is described in topology.h. Every error carries the position
 * of the YAML node it is about.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "topology.h"

/* One load in progress. */
struct loader {
	yaml_document_t doc;	/* the parsed file */
	unsigned char *seen;	/* per document node: visited once (alias detection) */
	size_t n_yaml;		/* entries in seen */
	struct topo *t;		/* topology being filled */
	struct topo_err *err;	/* where errors go; may be NULL */
};

#define LINE(n) ((int)(n)->start_mark.line + 1)
#define COL(n) ((int)(n)->start_mark.column + 1)
#define VAL(n) ((const char *)(n)->data.scalar.value)

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/*
 * The node at index idx. Each node may be visited once: libyaml resolves an
 * alias to the node it names, so a second visit means an alias, which the
 * format does not allow (it would also let a small file expand).
 */
static int visit(struct loader *ld, int idx, yaml_node_t **out)
{
	yaml_node_t *n = yaml_document_get_node(&ld->doc, idx);
	size_t i = (size_t)idx - 1;

	if (!n || i >= ld->n_yaml)
		return topo_errf(ld->err, 0, 0, EINVAL, "internal: bad YAML node index");
	if (ld->seen[i])	/* reported at the anchor: the alias itself has no position here */
		return topo_errf(ld->err, LINE(n), COL(n), EINVAL, "anchors and aliases are not supported");
	ld->seen[i] = 1;
	*out = n;
	return 0;
}

static int want(struct loader *ld, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	static const yaml_node_t proto[] = {
		[YAML_SCALAR_NODE] = { .type = YAML_SCALAR_NODE },
		[YAML_SEQUENCE_NODE] = { .type = YAML_SEQUENCE_NODE },
		[YAML_MAPPING_NODE] = { .type = YAML_MAPPING_NODE },
	};

	if (n->type == type)
		return 0;
	return topo_errf(ld->err, LINE(n), COL(n), EINVAL, "%s must be %s, not %s",
			 what, type_name(&proto[type]), type_name(n));
}

/* An empty value (`key:` alone, `~`, `null`), accepted for empty sections. */
static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (n->data.scalar.length == 0 || strcmp(VAL(n), "~") == 0 || strcmp(VAL(n), "null") == 0);
}

/* A scalar holding a decimal integer in [min, max]. */
static int get_uint(struct loader *ld, const yaml_node_t *n, const char *what,
		    unsigned min, unsigned max, unsigned *out)
{
	char shown[TOPO_SHOW_LEN];
	const char *s;
	char *end;
	unsigned long v;
	int r;

	r = want(ld, n, YAML_SCALAR_NODE, what);
	if (r < 0)
		return r;
	s = VAL(n);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < min || v > max)
		return topo_errf(ld->err, LINE(n), COL(n), EINVAL, "%s must be an integer in %u..%u, not '%s'",
				 what, min, max, topo_show(s, shown));
	*out = (unsigned)v;
	return 0;
}

/* A scalar that is a valid name, copied into buf (TOPO_NAME_MAX + 1 bytes). */
static int get_name(struct loader *ld, const yaml_node_t *n, const char *what, char *buf)
{
	int r;

	r = want(ld, n, YAML_SCALAR_NODE, what);
	if (r < 0)
		return r;
	r = topo_check_name(VAL(n), what, LINE(n), COL(n), ld->err);
	if (r < 0)
		return r;
	strcpy(buf, VAL(n));
	return 0;
}

/*
 * A scalar of free text (image, cmd, env entry): not empty when `empty_ok`
 * is false, no NUL (a "\0" escape), and topo_check_text()'s rule, the same
 * message as vnld's. *out points into the document.
 */
static int get_text(struct loader *ld, const yaml_node_t *n, const char *what, bool empty_ok,
		    const char **out)
{
	int r;

	r = want(ld, n, YAML_SCALAR_NODE, what);
	if (r < 0)
		return r;
	if (!empty_ok && n->data.scalar.length == 0)
		return topo_errf(ld->err, LINE(n), COL(n), EINVAL, "%s must not be empty", what);
	if (strlen(VAL(n)) != n->data.scalar.length)
		return topo_errf(ld->err, LINE(n), COL(n), EINVAL, "%s: NUL character at byte %zu: "
				 "text must be valid UTF-8 without control characters other than tab and newline",
				 what, strlen(VAL(n)));
	r = topo_check_text(VAL(n), what, LINE(n), COL(n), ld->err);
	if (r < 0)
		return r;
	*out = VAL(n);
	return 0;
}

/*
 * The key of a mapping pair as an index into keys[], with duplicates and
 * unknown keys refused. `in` says where we are, for messages.
 */
static int get_key(struct loader *ld, const yaml_node_pair_t *p, const char *const *keys,
		   unsigned n_keys, unsigned *have, const char *in, yaml_node_t **key)
{
	char expected[128] = "", shown[TOPO_SHOW_LEN];
	int r;

	r = visit(ld, p->key, key);
	if (r < 0)
		return r;
	r = want(ld, *key, YAML_SCALAR_NODE, "a key");
	if (r < 0)
		return r;
	for (unsigned k = 0; k < n_keys; k++) {
		if (strcmp(VAL(*key), keys[k]))
			continue;
		if (*have & 1u << k)
			return topo_errf(ld->err, LINE(*key), COL(*key), EINVAL,
					 "duplicate key '%s' in %s", keys[k], in);
		*have |= 1u << k;
		return (int)k;
	}
	for (unsigned k = 0; k < n_keys; k++)
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s%s",
			 k ? ", " : "", keys[k]);
	return topo_errf(ld->err, LINE(*key), COL(*key), EINVAL, "unknown key '%s' in %s (expected %s)",
			 topo_show(VAL(*key), shown), in, expected);
}

static int load_lans(struct loader *ld, yaml_node_t *seq)
{
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		struct topo_lan lan = { 0 };
		yaml_node_t *n;
		int r;

		r = visit(ld, *it, &n);
		if (r < 0)
			return r;
		r = get_name(ld, n, "LAN", lan.name);
		if (r < 0)
			return r;
		lan.line = LINE(n);
		lan.column = COL(n);
		r = topo_add_lan(ld->t, &lan, ld->err);
		if (r < 0)
			return r;
	}
	return 0;
}

enum node_key { NK_NAME, NK_KIND, NK_NICS, NK_IMAGE, NK_CMD, NK_ENV, NK_MEM, NK_CPUS, NK_PIDS, NK_COUNT };

static const char *const node_keys[NK_COUNT] = {
	[NK_NAME] = "name", [NK_KIND] = "kind", [NK_NICS] = "nics", [NK_IMAGE] = "image",
	[NK_CMD] = "cmd", [NK_ENV] = "env", [NK_MEM] = "mem", [NK_CPUS] = "cpus",
	[NK_PIDS] = "pids",
};

/* Kinds each key applies to, as a bit mask of 1 << enum topo_kind. */
static const unsigned node_key_kinds[NK_COUNT] = {
	[NK_NAME] = 7, [NK_KIND] = 7, [NK_NICS] = 7,
	[NK_IMAGE] = 1u << TOPO_CNT | 1u << TOPO_VM,
	[NK_CMD] = 1u << TOPO_CNT, [NK_ENV] = 1u << TOPO_CNT,
	[NK_MEM] = 1u << TOPO_CNT | 1u << TOPO_VM, [NK_CPUS] = 1u << TOPO_VM,
	[NK_PIDS] = 1u << TOPO_CNT,
};

/* "node 'a'" when the mapping has a usable name, else "node #N". */
static void node_label(struct loader *ld, yaml_node_t *map, unsigned idx, char *buf, size_t sz)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);

		if (k->type == YAML_SCALAR_NODE && strcmp(VAL(k), "name") == 0 &&
		    v->type == YAML_SCALAR_NODE && topo_check_name(VAL(v), "", 0, 0, NULL) == 0) {
			snprintf(buf, sz, "node '%s'", VAL(v));
			return;
		}
	}
	snprintf(buf, sz, "node #%u", idx + 1);
}

/* env: a list of KEY=VALUE scalars; node->env points into the document. */
static int load_env(struct loader *ld, yaml_node_t *seq, const char *in, struct topo_node *node)
{
	char what[80];
	size_t n;
	int r;

	snprintf(what, sizeof(what), "env of %s", in);
	r = want(ld, seq, YAML_SEQUENCE_NODE, what);
	if (r < 0)
		return r;
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	node->env = calloc(n ? n : 1, sizeof(char *));
	if (!node->env)
		return topo_errf(ld->err, LINE(seq), COL(seq), ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e;

		const char *entry;

		r = visit(ld, seq->data.sequence.items.start[i], &e);
		if (r < 0)
			return r;
		snprintf(what, sizeof(what), "%s: env entry %u", in, (unsigned)(i + 1) % 100000);
		r = get_text(ld, e, what, true, &entry);
		if (r < 0)
			return r;
		r = topo_check_env(entry, LINE(e), COL(e), ld->err);
		if (r < 0)
			return r;
		node->env[node->n_env++] = (char *)entry;
	}
	return 0;
}

/* One key/value of a node mapping into node. */
static int load_node_value(struct loader *ld, enum node_key k, yaml_node_t *v, const char *in,
			   struct topo_node *node)
{
	char what[80], text[80], shown[TOPO_SHOW_LEN];
	const char *s;
	int r;

	snprintf(what, sizeof(what), "%s of %s", node_keys[k], in);
	switch (k) {
	case NK_NAME:
		return get_name(ld, v, "node", node->name);
	case NK_KIND:
		r = want(ld, v, YAML_SCALAR_NODE, what);
		if (r == 0 && topo_kind_parse(VAL(v), &node->kind) < 0)
			r = topo_errf(ld->err, LINE(v), COL(v), EINVAL,
				      "unknown kind '%s' in %s (expected ns, cnt, vm)", topo_show(VAL(v), shown), in);
		return r;
	case NK_NICS:
		return get_uint(ld, v, what, 1, TOPO_NICS_MAX, &node->nics);
	case NK_IMAGE:
	case NK_CMD:
		snprintf(text, sizeof(text), "%s: %s", in, node_keys[k]);
		r = get_text(ld, v, text, false, &s);
		if (r == 0)
			*(k == NK_IMAGE ? &node->image : &node->cmd) = (char *)s;
		return r;
	case NK_ENV:
		return load_env(ld, v, in, node);
	case NK_MEM:
		return get_uint(ld, v, what, 1, TOPO_MEM_MAX, &node->mem_mb);
	case NK_CPUS:
		return get_uint(ld, v, what, 1, TOPO_CPUS_MAX, &node->cpus);
	case NK_PIDS:
		return get_uint(ld, v, what, TOPO_PIDS_MIN, TOPO_PIDS_MAX, &node->pids);
	default:
		return -EINVAL;
	}
}

static int load_node(struct loader *ld, yaml_node_t *map, unsigned idx)
{
	struct topo_node node = { .nics = 1, .line = LINE(map), .column = COL(map) };
	yaml_node_t *keypos[NK_COUNT] = { 0 };
	unsigned have = 0;
	char in[48];
	int r;

	snprintf(in, sizeof(in), "node #%u", idx + 1);
	r = want(ld, map, YAML_MAPPING_NODE, in);
	if (r < 0)
		return r;
	node_label(ld, map, idx, in, sizeof(in));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key, *v;
		int k;

		k = r = get_key(ld, p, node_keys, NK_COUNT, &have, in, &key);
		if (r >= 0)
			r = visit(ld, p->value, &v);
		if (r >= 0)
			r = load_node_value(ld, (enum node_key)k, v, in, &node);
		if (r < 0)
			goto out;
		keypos[k] = key;
	}
	for (unsigned k = NK_NAME; k <= NK_KIND; k++) {
		if (!(have & 1u << k)) {
			r = topo_errf(ld->err, LINE(map), COL(map), EINVAL, "missing required key '%s' in %s",
				      node_keys[k], in);
			goto out;
		}
	}
	for (unsigned k = 0; k < NK_COUNT; k++) {
		if (keypos[k] && !(node_key_kinds[k] & 1u << node.kind)) {
			r = topo_errf(ld->err, LINE(keypos[k]), COL(keypos[k]), EINVAL,
				      "key '%s' in %s does not apply to kind %s", node_keys[k], in,
				      topo_kind_name(node.kind));
			goto out;
		}
	}
	r = topo_add_node(ld->t, &node, ld->err);
out:
	free(node.env);	/* the strings belong to the document; topo_add_node copied them */
	return r;
}

static int load_nodes(struct loader *ld, yaml_node_t *seq)
{
	yaml_node_item_t *start = seq->data.sequence.items.start;

	for (yaml_node_item_t *it = start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n;
		int r;

		r = visit(ld, *it, &n);
		if (r < 0)
			return r;
		r = load_node(ld, n, (unsigned)(it - start));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Short link form: "NODE:NIC LAN [ADDR]", fields separated by spaces. */
static int load_link_short(struct loader *ld, yaml_node_t *n, struct topo_link *link)
{
	char buf[128], *f[4], *save = NULL, *colon, shown[TOPO_SHOW_LEN];
	unsigned nf = 0, nic = 0;
	const char *digits;
	int r;

	if (n->data.scalar.length >= sizeof(buf))
		goto bad;
	strcpy(buf, VAL(n));
	for (char *tok = strtok_r(buf, " ", &save); tok && nf < 4; tok = strtok_r(NULL, " ", &save))
		f[nf++] = tok;
	if (nf < 2 || nf > 3)
		goto bad;
	colon = strrchr(f[0], ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	digits = colon + 1;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 2)
		goto bad;
	nic = (unsigned)atoi(digits);
	r = topo_check_name(f[0], "node", LINE(n), COL(n), ld->err);
	if (r < 0)
		return r;
	r = topo_check_name(f[1], "LAN", LINE(n), COL(n), ld->err);
	if (r < 0)
		return r;
	strcpy(link->node, f[0]);
	strcpy(link->lan, f[1]);
	link->nic = nic;
	if (nf == 3) {
		r = topo_parse_addr(f[2], &link->addr, &link->plen, ld->err);
		if (r < 0)
			return topo_errf(ld->err, LINE(n), COL(n), EINVAL,
					 "bad address '%s' in link: expected A.B.C.D/N with N in 1..32", topo_show(f[2], shown));
		link->has_addr = true;
	}
	return 0;
bad:
	return topo_errf(ld->err, LINE(n), COL(n), EINVAL,
			 "bad link '%s': expected NODE:NIC LAN [ADDR] or {node, nic, lan, ip}", topo_show(VAL(n), shown));
}

enum link_key { LK_NODE, LK_NIC, LK_LAN, LK_IP, LK_COUNT };

static const char *const link_keys[LK_COUNT] = {
	[LK_NODE] = "node", [LK_NIC] = "nic", [LK_LAN] = "lan", [LK_IP] = "ip",
};

/* Long link form: {node: N, nic: I, lan: L, ip: A.B.C.D/N}. */
static int load_link_long(struct loader *ld, yaml_node_t *map, struct topo_link *link)
{
	char shown[TOPO_SHOW_LEN];
	unsigned have = 0;
	int r;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key, *v;
		int k;

		k = r = get_key(ld, p, link_keys, LK_COUNT, &have, "link", &key);
		if (r >= 0)
			r = visit(ld, p->value, &v);
		if (r < 0)
			return r;
		switch (k) {
		case LK_NODE:
			r = get_name(ld, v, "node", link->node);
			break;
		case LK_NIC:
			r = get_uint(ld, v, "nic of link", 0, TOPO_NICS_MAX - 1, &link->nic);
			break;
		case LK_LAN:
			r = get_name(ld, v, "LAN", link->lan);
			break;
		default:
			r = want(ld, v, YAML_SCALAR_NODE, "ip of link");
			if (r == 0 && topo_parse_addr(VAL(v), &link->addr, &link->plen, ld->err) < 0)
				r = topo_errf(ld->err, LINE(v), COL(v), EINVAL,
					      "bad address '%s' in link: expected A.B.C.D/N with N in 1..32",
					      topo_show(VAL(v), shown));
			link->has_addr = r == 0;
			break;
		}
		if (r < 0)
			return r;
	}
	for (unsigned k = LK_NODE; k <= LK_LAN; k++)
		if (!(have & 1u << k))
			return topo_errf(ld->err, LINE(map), COL(map), EINVAL,
					 "missing required key '%s' in link", link_keys[k]);
	return 0;
}

static int load_links(struct loader *ld, yaml_node_t *seq)
{
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		struct topo_link link = { 0 };
		yaml_node_t *n;
		int r;

		r = visit(ld, *it, &n);
		if (r < 0)
			return r;
		link.line = LINE(n);
		link.column = COL(n);
		if (n->type == YAML_SCALAR_NODE)
			r = load_link_short(ld, n, &link);
		else if (n->type == YAML_MAPPING_NODE)
			r = load_link_long(ld, n, &link);
		else
			r = topo_errf(ld->err, LINE(n), COL(n), EINVAL,
				      "a link must be \"NODE:NIC LAN [ADDR]\" or a mapping, not %s", type_name(n));
		if (r == 0)
			r = topo_add_link(ld->t, &link, ld->err);
		if (r < 0)
			return r;
	}
	return 0;
}

enum top_key { TK_LANS, TK_NODES, TK_LINKS, TK_COUNT };

static const char *const top_keys[TK_COUNT] = {
	[TK_LANS] = "lans", [TK_NODES] = "nodes", [TK_LINKS] = "links",
};

static int load_root(struct loader *ld)
{
	int (*const load[TK_COUNT])(struct loader *, yaml_node_t *) = {
		[TK_LANS] = load_lans, [TK_NODES] = load_nodes, [TK_LINKS] = load_links,
	};
	yaml_node_t *root = yaml_document_get_root_node(&ld->doc);
	unsigned have = 0;
	int r;

	if (!root)
		return 0;	/* an empty file is an empty lab */
	ld->seen[0] = 1;
	r = want(ld, root, YAML_MAPPING_NODE, "the top level");
	if (r < 0)
		return r;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *key, *v;
		int k;

		k = r = get_key(ld, p, top_keys, TK_COUNT, &have, "the top level", &key);
		if (r >= 0)
			r = visit(ld, p->value, &v);
		if (r >= 0 && is_null(v))
			continue;
		if (r >= 0)
			r = want(ld, v, YAML_SEQUENCE_NODE, top_keys[k]);
		if (r >= 0)
			r = load[k](ld, v);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Refuse, with their position, what libyaml would refuse less clearly: tabs,
 * bytes that are not UTF-8, control characters (line ends aside). Columns
 * count characters.
 */
static int scan_text(const char *buf, size_t len, struct topo_err *err)
{
	const unsigned char *p = (const unsigned char *)buf;
	int line = 1, col = 1;
	uint32_t c;

	for (size_t i = 0, n; i < len; i += n, col++) {
		n = topo_utf8_next(p + i, &c);
		/* A sequence cut by the end of the buffer is not valid either. */
		if (n == 0 || i + n > len) {
			if (p[i] == '\0')
				return topo_errf(err, line, col, EINVAL, "NUL byte in a text file");
			return topo_errf(err, line, col, EINVAL,
					 "invalid UTF-8 (byte 0x%02x): a topology file is UTF-8 text", p[i]);
		}
		if (c == '\t')
			return topo_errf(err, line, col, EINVAL,
					 "tab character: indent with spaces (tabs are not allowed anywhere in a topology file)");
		if ((c < 0x20 && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f))
			return topo_errf(err, line, col, EINVAL,
					 "control character U+%04X: a topology file holds none but line ends", (unsigned)c);
		if (c == '\n') {
			line++;
			col = 0;
		}
	}
	return 0;
}

/* libyaml's own error, with its position. */
static int yaml_error(const yaml_parser_t *p, struct topo_err *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return topo_errf(err, 0, 0, ENOMEM, "out of memory");
	return topo_errf(err, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, EINVAL,
			 "YAML syntax error: %s%s%s", p->problem ? p->problem : "unknown problem",
			 p->context ? " " : "", p->context ? p->context : "");
}

/* buf[len] must be NUL: the UTF-8 scan stops a sequence cut by the end there. */
static int load_buf(const char *buf, size_t len, struct topo **out, struct topo_err *err)
{
	struct loader ld = { .err = err };
	yaml_parser_t parser;
	yaml_document_t extra;
	bool have_doc = false;
	int r;

	*out = NULL;
	if (len > TOPO_FILE_MAX)
		return topo_errf(err, 0, 0, EFBIG, "file too large (%zu bytes, at most %d)", len, TOPO_FILE_MAX);
	r = scan_text(buf, len, err);
	if (r < 0)
		return r;
	if (!yaml_parser_initialize(&parser))
		return topo_errf(err, 0, 0, ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		r = yaml_error(&parser, err);
		goto out;
	}
	have_doc = true;
	if (!yaml_parser_load(&parser, &extra)) {
		r = yaml_error(&parser, err);
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		r = topo_errf(err, (int)extra.start_mark.line + 1, (int)extra.start_mark.column + 1, EINVAL,
			      "more than one YAML document (a topology file holds one)");
	yaml_document_delete(&extra);
	if (r < 0)
		goto out;
	ld.n_yaml = (size_t)(ld.doc.nodes.top - ld.doc.nodes.start);
	ld.seen = calloc(ld.n_yaml + 1, 1);
	ld.t = topo_new();
	if (!ld.seen || !ld.t) {
		r = topo_errf(err, 0, 0, ENOMEM, "out of memory");
		goto out;
	}
	r = load_root(&ld);
	if (r == 0)
		r = topo_validate(ld.t, err);
	if (r == 0) {
		*out = ld.t;	/* ownership goes to the caller */
		ld.t = NULL;
	}
out:
	topo_free(ld.t);
	free(ld.seen);
	if (have_doc)
		yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
	return r;
}

int topo_load_string(const char *text, struct topo **out, struct topo_err *err)
{
	return load_buf(text, strlen(text), out, err);
}

int topo_load_file(const char *path, struct topo **out, struct topo_err *err)
{
	char *buf = NULL;
	size_t len;
	FILE *f;
	int r;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return topo_errf(err, 0, 0, errno, "cannot open '%s': %s", path, strerror(errno));
	buf = malloc(TOPO_FILE_MAX + 1);
	if (!buf) {
		r = topo_errf(err, 0, 0, ENOMEM, "out of memory");
		goto out;
	}
	/* Read one byte more than allowed to tell "exactly the limit" from "over it". */
	len = fread(buf, 1, TOPO_FILE_MAX + 1, f);
	if (ferror(f))
		r = topo_errf(err, 0, 0, EIO, "cannot read '%s'", path);
	else if (len > TOPO_FILE_MAX)
		r = topo_errf(err, 0, 0, EFBIG, "'%s' is too large (more than %d bytes)", path, TOPO_FILE_MAX);
	else {
		buf[len] = '\0';	/* so that a UTF-8 sequence cut at the end stops there */
		r = load_buf(buf, len, out, err);
	}
out:
	free(buf);
	fclose(f);
	return r;
}
