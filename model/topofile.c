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
	struct vnl_err *err;	/* where errors go; may be NULL */
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
	const struct topo_opt range = { .min = min, .max = max };
	int r;

	r = want(ld, n, YAML_SCALAR_NODE, what);
	if (r < 0)
		return r;
	return topo_parse_uint(&range, VAL(n), what, LINE(n), COL(n), out, ld->err);
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
 * A scalar of free text (a text option, a list entry): not empty when `empty_ok`
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

/* One pair of a mapping with fixed keys: the key's index (get_key()) and its
 * value, visited, in *v. */
static int get_pair(struct loader *ld, const yaml_node_pair_t *p, const char *const *keys, unsigned n_keys,
		    unsigned *have, const char *in, yaml_node_t **v)
{
	yaml_node_t *key;
	int k = get_key(ld, p, keys, n_keys, have, in, &key), r;

	if (k >= 0 && (r = visit(ld, p->value, v)) < 0)
		return r;
	return k;
}

enum lan_key { LNK_NAME, LNK_MTU, LNK_VXLAN, LNK_COUNT };

static const char *const lan_keys[LNK_COUNT] = { [LNK_NAME] = "name", [LNK_MTU] = "mtu", [LNK_VXLAN] = "vxlan" };

enum vxlan_key { VXK_VNI, VXK_REMOTE, VXK_UNDERLAY, VXK_LOCAL, VXK_DSTPORT, VXK_COUNT };

static const char *const vxlan_keys[VXK_COUNT] = {
	[VXK_VNI] = "vni", [VXK_REMOTE] = "remote", [VXK_UNDERLAY] = "underlay", [VXK_LOCAL] = "local",
	[VXK_DSTPORT] = "dstport",
};

/* A scalar address for the vxlan of a LAN (remote entry or local). */
static int get_vx_addr(struct loader *ld, yaml_node_t *v, const char *what)
{
	int r = want(ld, v, YAML_SCALAR_NODE, what);

	if (r == 0 && strlen(VAL(v)) != v->data.scalar.length)
		r = topo_errf(ld->err, LINE(v), COL(v), EINVAL, "%s: NUL character in an address", what);
	return r;
}

/* `vxlan:` of a LAN: {vni, remote: [...], underlay, local, dstport}; the
 * rules that join keys are checked at the mapping (topo_vxlan_check). */
static int load_vxlan(struct loader *ld, yaml_node_t *map, struct topo_lan *lan)
{
	struct topo_vxlan *vx = &lan->vx;
	yaml_node_t *local = NULL;
	unsigned have = 0;
	struct vnl_err ve;
	int r;

	r = want(ld, map, YAML_MAPPING_NODE, "vxlan of LAN");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; r == 0 && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v, *e;
		int k;

		k = r = get_pair(ld, p, vxlan_keys, VXK_COUNT, &have, "vxlan of LAN", &v);
		if (r < 0)
			break;
		switch (k) {
		case VXK_VNI:
			r = get_uint(ld, v, "vni of vxlan", 1, TOPO_VXLAN_VNI_MAX, &vx->vni);
			break;
		case VXK_DSTPORT:
			r = get_uint(ld, v, "dstport of vxlan", 1, 65535, &vx->dstport);
			break;
		case VXK_UNDERLAY:
			r = want(ld, v, YAML_SCALAR_NODE, "underlay of vxlan");
			if (r == 0 && topo_vxlan_check_ifname(VAL(v), &ve) < 0)
				r = topo_errf(ld->err, LINE(v), COL(v), EINVAL, "%s in vxlan", ve.msg);
			if (r == 0)
				snprintf(vx->underlay, sizeof(vx->underlay), "%s", VAL(v));
			break;
		case VXK_LOCAL:
			local = v;	/* after the remotes: its family is checked against theirs */
			r = 0;
			break;
		default:
			r = want(ld, v, YAML_SEQUENCE_NODE, "remote of vxlan");
			for (yaml_node_item_t *it = v->data.sequence.items.start; r == 0 && it < v->data.sequence.items.top;
			     it++)
				if ((r = visit(ld, *it, &e)) == 0 && (r = get_vx_addr(ld, e, "remote of vxlan")) == 0)
					r = topo_vxlan_add_remote(vx, VAL(e), "remote of vxlan", LINE(e), COL(e), ld->err);
			break;
		}
	}
	if (r == 0 && local && (r = get_vx_addr(ld, local, "local of vxlan")) == 0)
		r = topo_vxlan_set_local(vx, VAL(local), "local of vxlan", LINE(local), COL(local), ld->err);
	if (r == 0 && !(have & 1u << VXK_VNI))
		r = topo_errf(ld->err, LINE(map), COL(map), EINVAL, "missing required key 'vni' in vxlan of LAN");
	if (r == 0)
		r = topo_vxlan_check(lan, LINE(map), COL(map), ld->err);
	return r;
}

/* Long LAN form: {name: blue, mtu: 9000} or with `vxlan:` (block form). */
static int load_lan_long(struct loader *ld, yaml_node_t *map, struct topo_lan *lan)
{
	yaml_node_t *vxlan = NULL;
	unsigned have = 0;
	int r;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v;
		int k;

		k = r = get_pair(ld, p, lan_keys, LNK_COUNT, &have, "LAN", &v);
		if (r >= 0 && k == LNK_VXLAN)
			vxlan = v;	/* after the name: its messages name the LAN */
		else if (r >= 0)
			r = k == LNK_NAME ? get_name(ld, v, "LAN", lan->name)
					  : get_uint(ld, v, "mtu of LAN", TOPO_LAN_MTU_MIN, TOPO_LAN_MTU_MAX, &lan->mtu);
		if (r < 0)
			return r;
	}
	if (!(have & 1u << LNK_NAME))
		return topo_errf(ld->err, LINE(map), COL(map), EINVAL, "missing required key 'name' in LAN");
	return vxlan ? load_vxlan(ld, vxlan, lan) : 0;
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
		r = n->type == YAML_MAPPING_NODE ? load_lan_long(ld, n, &lan) : get_name(ld, n, "LAN", lan.name);
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

/* The keys every node has, before its kind's options. */
enum node_key { NK_NAME, NK_KIND, NK_NICS, NK_COUNT };

static const char *const node_keys[NK_COUNT] = {
	[NK_NAME] = "name", [NK_KIND] = "kind", [NK_NICS] = "nics",
};

/* The value of `key` in a node mapping, not visited (the label, the kind); NULL if none. */
static yaml_node_t *peek(struct loader *ld, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);

		if (k && v && k->type == YAML_SCALAR_NODE && strcmp(VAL(k), key) == 0)
			return v;
	}
	return NULL;
}

/* "node 'a'" when the mapping has a usable name, else "node #N". */
static void node_label(struct loader *ld, yaml_node_t *map, unsigned idx, char *buf, size_t sz)
{
	yaml_node_t *v = peek(ld, map, "name");

	if (v && v->type == YAML_SCALAR_NODE && topo_check_name(VAL(v), "", 0, 0, NULL) == 0)
		snprintf(buf, sz, "node '%s'", VAL(v));
	else
		snprintf(buf, sz, "node #%u", idx + 1);
}

/* The node's kind from its `kind` value v. */
static int get_kind(struct loader *ld, yaml_node_t *v, const char *in, const struct topo_kind **kind)
{
	char what[80], shown[TOPO_SHOW_LEN], list[128];
	int r;

	snprintf(what, sizeof(what), "kind of %s", in);
	r = want(ld, v, YAML_SCALAR_NODE, what);
	if (r == 0 && (*kind = topo_kind_find(VAL(v))) == NULL)
		r = topo_errf(ld->err, LINE(v), COL(v), EINVAL, "unknown kind '%s' in %s (expected %s)",
			      topo_show(VAL(v), shown), in, topo_kind_list(list, sizeof(list)));
	return r;
}

/* A list option: texts (KEY=VALUE for TOPO_OPT_ENV); val->list points into the document. */
static int load_list(struct loader *ld, yaml_node_t *seq, const char *in, const struct topo_opt *o,
		     struct topo_val *val)
{
	char what[80];
	size_t n;
	int r;

	snprintf(what, sizeof(what), "%s of %s", o->name, in);
	r = want(ld, seq, YAML_SEQUENCE_NODE, what);
	if (r < 0)
		return r;
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	val->list = calloc(n ? n : 1, sizeof(char *));
	if (!val->list)
		return topo_errf(ld->err, LINE(seq), COL(seq), ENOMEM, "out of memory");
	val->set = true;
	for (size_t i = 0; i < n; i++) {
		const char *entry;
		yaml_node_t *e;

		r = visit(ld, seq->data.sequence.items.start[i], &e);
		if (r < 0)
			return r;
		snprintf(what, sizeof(what), "%s: %s entry %u", in, o->name, (unsigned)(i + 1) % 100000);
		r = get_text(ld, e, what, true, &entry);
		if (r == 0 && o->type == TOPO_OPT_ENV)
			r = topo_check_env(entry, LINE(e), COL(e), ld->err);
		if (r < 0)
			return r;
		val->list[val->n++] = (char *)entry;
	}
	return 0;
}

/* Option o of the node's kind from value v. */
static int load_opt(struct loader *ld, const struct topo_opt *o, yaml_node_t *v, const char *in,
		    struct topo_val *val)
{
	char what[80];
	const char *s;
	int r;

	switch (o->type) {
	case TOPO_OPT_UINT:
		snprintf(what, sizeof(what), "%s of %s", o->name, in);
		r = want(ld, v, YAML_SCALAR_NODE, what);
		if (r == 0)
			r = topo_parse_uint(o, VAL(v), what, LINE(v), COL(v), &val->num, ld->err);
		val->set = r == 0;
		return r;
	case TOPO_OPT_ENUM:
		snprintf(what, sizeof(what), "%s of %s", o->name, in);
		r = want(ld, v, YAML_SCALAR_NODE, what);
		if (r == 0)
			r = topo_parse_enum(o, VAL(v), what, LINE(v), COL(v), &val->num, ld->err);
		val->set = r == 0;
		return r;
	case TOPO_OPT_TEXT:
		snprintf(what, sizeof(what), "%s: %s", in, o->name);
		r = get_text(ld, v, what, false, &s);
		if (r == 0)
			*val = (struct topo_val){ .set = true, .text = (char *)s };
		return r;
	default:
		return load_list(ld, v, in, o, val);
	}
}

/*
 * The key of a node mapping pair: a node key (0..NK_COUNT-1), or NK_COUNT +
 * the index of an option of the kind; an option of another kind is refused
 * with its own message, as are unknown and duplicate keys.
 */
static int node_key(struct loader *ld, const yaml_node_pair_t *p, const struct topo_kind *kind,
		    unsigned *have, const char *in, yaml_node_t **key)
{
	const char *keys[NK_COUNT + TOPO_OPTS_MAX];
	char owners[128], shown[TOPO_SHOW_LEN];
	unsigned n = NK_COUNT;
	yaml_node_t *k;

	memcpy(keys, node_keys, sizeof(node_keys));
	for (unsigned i = 0; kind && i < kind->n_opts; i++)
		keys[n++] = kind->opts[i].name;
	k = yaml_document_get_node(&ld->doc, p->key);
	if (k && k->type == YAML_SCALAR_NODE && topo_opt_index(kind, VAL(k)) < 0 &&
	    topo_opt_owners(VAL(k), false, owners, sizeof(owners)))
		return topo_errf(ld->err, LINE(k), COL(k), EINVAL, "key '%s' in %s does not apply to kind %s",
				 topo_show(VAL(k), shown), in, kind->name);
	return get_key(ld, p, keys, n, have, in, key);
}

static int load_node(struct loader *ld, yaml_node_t *map, unsigned idx)
{
	struct topo_node node = { .nics = 1, .line = LINE(map), .column = COL(map) };
	yaml_node_t *kindv;
	unsigned have = 0;
	char in[48];
	int r;

	snprintf(in, sizeof(in), "node #%u", idx + 1);
	r = want(ld, map, YAML_MAPPING_NODE, in);
	if (r < 0)
		return r;
	node_label(ld, map, idx, in, sizeof(in));
	/* The kind first: it says which keys the node may have and their types. */
	kindv = peek(ld, map, "kind");
	if (kindv == NULL)
		return topo_errf(ld->err, LINE(map), COL(map), EINVAL, "missing required key 'kind' in %s", in);
	r = get_kind(ld, kindv, in, &node.kind);
	if (r < 0)
		return r;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key, *v;
		int k;

		k = r = node_key(ld, p, node.kind, &have, in, &key);
		if (r >= 0)
			r = visit(ld, p->value, &v);
		if (r < 0)
			goto out;
		if (k == NK_NAME)
			r = get_name(ld, v, "node", node.name);
		else if (k == NK_NICS) {
			char what[64];

			snprintf(what, sizeof(what), "nics of %s", in);
			r = get_uint(ld, v, what, 1, TOPO_NICS_MAX, &node.nics);
		}
		else if (k > NK_NICS)
			r = load_opt(ld, &node.kind->opts[k - NK_COUNT], v, in, &node.opt[k - NK_COUNT]);
		if (r < 0)
			goto out;
	}
	if (!(have & 1u << NK_NAME)) {
		r = topo_errf(ld->err, LINE(map), COL(map), EINVAL, "missing required key 'name' in %s", in);
		goto out;
	}
	r = topo_add_node(ld->t, &node, ld->err);
out:
	/* The strings belong to the document; topo_add_node copied them. */
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++)
		free(node.opt[i].list);
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
			 "bad link '%s': expected NODE:NIC LAN [ADDR] or {node, nic, lan, ip, nic-type, impair}", topo_show(VAL(n), shown));
}

enum link_key { LK_NODE, LK_NIC, LK_LAN, LK_IP, LK_NIC_TYPE, LK_IMPAIR, LK_COUNT };

static const char *const link_keys[LK_COUNT] = {
	[LK_NODE] = "node", [LK_NIC] = "nic", [LK_LAN] = "lan", [LK_IP] = "ip", [LK_NIC_TYPE] = TOPO_NIC_TYPE,
	[LK_IMPAIR] = "impair",
};

/* The keys of an `impair:` mapping: the impairment keys, then out and in. */
enum { IK_OUT = TOPO_IMP_KEYS, IK_IN, IK_COUNT };

/* Impairment keys of mapping map (n_keys: TOPO_IMP_KEYS, or IK_COUNT with
 * out and in, whose values go to dirs[]) into imp. */
static int load_impair_keys(struct loader *ld, yaml_node_t *map, unsigned n_keys, const char *in,
			    struct topo_impair *imp, yaml_node_t *dirs[TOPO_IMP_DIRS])
{
	const char *keys[IK_COUNT];
	char what[48];
	unsigned have = 0;
	int r;

	snprintf(what, sizeof(what), "%s", in);
	r = want(ld, map, YAML_MAPPING_NODE, what);
	if (r < 0)
		return r;
	memcpy(keys, topo_impair_keys, sizeof(topo_impair_keys));
	keys[IK_OUT] = "out";
	keys[IK_IN] = "in";
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v;
		int k;

		k = r = get_pair(ld, p, keys, n_keys, &have, in, &v);
		if (r >= 0 && k >= IK_OUT) {
			dirs[k == IK_OUT ? TOPO_IMP_OUT : TOPO_IMP_IN] = v;
			continue;
		}
		if (r >= 0) {
			snprintf(what, sizeof(what), "%s of %s", keys[k], in);
			r = want(ld, v, YAML_SCALAR_NODE, what);
		}
		if (r >= 0)
			r = topo_impair_set(imp, (unsigned)k, VAL(v), LINE(v), COL(v), ld->err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* `impair:` of a link: the keys at its top for both directions, then out:
 * and in: add to them or override them. Checked by load_link_long. */
static int load_impair(struct loader *ld, yaml_node_t *map, struct topo_link *link)
{
	yaml_node_t *dirs[TOPO_IMP_DIRS] = { NULL };
	struct topo_impair top = { 0 };
	int r;

	r = load_impair_keys(ld, map, IK_COUNT, "impair of link", &top, dirs);
	for (unsigned d = 0; d < TOPO_IMP_DIRS && r == 0; d++) {
		link->imp[d] = top;
		if (dirs[d])
			r = load_impair_keys(ld, dirs[d], TOPO_IMP_KEYS, d == TOPO_IMP_OUT ? "impair out of link"
											  : "impair in of link",
					     &link->imp[d], NULL);
	}
	return r;
}

/* Long link form: {node: N, nic: I, lan: L, ip: A.B.C.D/N, nic-type: T}; the
 * word of nic-type is checked against the node's kind by topo_validate(). */
static int load_link_long(struct loader *ld, yaml_node_t *map, struct topo_link *link)
{
	char shown[TOPO_SHOW_LEN], what[64];
	yaml_node_t *impair = NULL;
	unsigned have = 0;
	int r;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v;
		int k;

		k = r = get_pair(ld, p, link_keys, LK_COUNT, &have, "link", &v);
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
		case LK_IMPAIR:
			r = load_impair(ld, v, link);
			impair = v;
			break;
		case LK_NIC_TYPE:
			r = want(ld, v, YAML_SCALAR_NODE, "nic-type of link");
			/* A long word cannot be a choice: kept cut, refused by check_link. */
			if (r == 0)
				snprintf(link->nic_type, sizeof(link->nic_type), "%s", VAL(v)[0] ? VAL(v) : "?");
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
	/* The rules that join keys, per direction, at the impair mapping. */
	for (unsigned d = 0; impair && d < TOPO_IMP_DIRS; d++) {
		snprintf(what, sizeof(what), "link %s:%u: impair %s", link->node, link->nic,
			 d == TOPO_IMP_OUT ? "out" : "in");
		r = topo_impair_check(&link->imp[d], what, LINE(impair), COL(impair), ld->err);
		if (r < 0)
			return r;
	}
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

/* One coordinate of a layout entry: a decimal integer (topo_layout_set()
 * checks the range). */
static int get_coord(struct loader *ld, yaml_node_t *n, const char *name, int *out)
{
	char *end;
	long v;
	int r;

	if ((r = want(ld, n, YAML_SCALAR_NODE, "a layout coordinate")) < 0)
		return r;
	errno = 0;
	v = strtol(VAL(n), &end, 10);
	if (!VAL(n)[0] || *end || errno || v < -TOPO_LAYOUT_MAX || v > TOPO_LAYOUT_MAX)
		return topo_errf(ld->err, LINE(n), COL(n), EINVAL,
				 "layout of '%s': coordinates are integers in -%d..%d", name, TOPO_LAYOUT_MAX,
				 TOPO_LAYOUT_MAX);
	*out = (int)v;
	return 0;
}

/* layout: {NAME: [X, Y], ...} (topology.h, "layout"). */
static int load_layout(struct loader *ld, yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		char name[TOPO_NAME_MAX + 1];
		yaml_node_t *k, *v, *c[2];
		struct vnl_err e;
		int r, xy[2];

		if ((r = visit(ld, p->key, &k)) < 0 || (r = get_name(ld, k, "layout entry", name)) < 0 ||
		    (r = visit(ld, p->value, &v)) < 0 || (r = want(ld, v, YAML_SEQUENCE_NODE, "a position")) < 0)
			return r;
		if (v->data.sequence.items.top - v->data.sequence.items.start != 2)
			return topo_errf(ld->err, LINE(v), COL(v), EINVAL, "layout of '%s' must be [x, y]", name);
		if (topo_layout_find(ld->t, name))
			return topo_errf(ld->err, LINE(k), COL(k), EINVAL, "duplicate layout entry '%s'", name);
		for (int i = 0; i < 2; i++)
			if ((r = visit(ld, v->data.sequence.items.start[i], &c[i])) < 0 ||
			    (r = get_coord(ld, c[i], name, &xy[i])) < 0)
				return r;
		if ((r = topo_layout_set(ld->t, name, xy[0], xy[1], &e)) < 0)
			return topo_errf(ld->err, LINE(k), COL(k), -r, "%s", e.msg);
		topo_layout_find(ld->t, name)->line = LINE(k);
		topo_layout_find(ld->t, name)->column = COL(k);
	}
	return 0;
}

enum top_key { TK_LANS, TK_NODES, TK_LINKS, TK_LAYOUT, TK_COUNT };

static const char *const top_keys[TK_COUNT] = {
	[TK_LANS] = "lans", [TK_NODES] = "nodes", [TK_LINKS] = "links", [TK_LAYOUT] = "layout",
};

static int load_root(struct loader *ld)
{
	int (*const load[TK_COUNT])(struct loader *, yaml_node_t *) = {
		[TK_LANS] = load_lans, [TK_NODES] = load_nodes, [TK_LINKS] = load_links,
		[TK_LAYOUT] = load_layout,
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
		yaml_node_t *v;
		int k;

		k = r = get_pair(ld, p, top_keys, TK_COUNT, &have, "the top level", &v);
		if (r >= 0 && is_null(v))
			continue;
		if (r >= 0)
			r = want(ld, v, k == TK_LAYOUT ? YAML_MAPPING_NODE : YAML_SEQUENCE_NODE, top_keys[k]);
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
static int scan_text(const char *buf, size_t len, struct vnl_err *err)
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
static int yaml_error(const yaml_parser_t *p, struct vnl_err *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return topo_errf(err, 0, 0, ENOMEM, "out of memory");
	return topo_errf(err, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, EINVAL,
			 "YAML syntax error: %s%s%s", p->problem ? p->problem : "unknown problem",
			 p->context ? " " : "", p->context ? p->context : "");
}

/* buf[len] must be NUL: the UTF-8 scan stops a sequence cut by the end there. */
static int load_buf(const char *buf, size_t len, struct topo **out, struct vnl_err *err)
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

int topo_load_string(const char *text, struct topo **out, struct vnl_err *err)
{
	return load_buf(text, strlen(text), out, err);
}

/* The path in front of err's message: "PATH:LINE:COLUMN: ..." or "PATH: ...". */
static int wrap_path(struct vnl_err *err, const char *path, int r)
{
	char msg[sizeof(err->msg)];
	size_t at, len;

	if (err == NULL)
		return r;
	memcpy(msg, err->msg, sizeof(msg));
	at = (size_t)snprintf(err->msg, sizeof(err->msg), "%s:%s", path, msg[0] >= '0' && msg[0] <= '9' ? "" : " ");
	if (at < sizeof(err->msg)) {
		len = strnlen(msg, sizeof(err->msg) - at - 1);
		memcpy(err->msg + at, msg, len);
		err->msg[at + len] = '\0';
	}
	return r;
}

int topo_load_file(const char *path, struct topo **out, struct vnl_err *err)
{
	char *buf = NULL;
	size_t len;
	FILE *f;
	int r;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return wrap_path(err, path, topo_errf(err, 0, 0, errno, "cannot open '%s': %s", path, strerror(errno)));
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
	return r < 0 ? wrap_path(err, path, r) : r;
}
