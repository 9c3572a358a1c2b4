/* SPDX-License-Identifier: GPL-2.0-only */
/* The table of node kinds the model uses, and the typed values of options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "topology.h"

static const struct topo_kind *const no_kinds[] = { NULL };
static const struct topo_kind *const *kinds = no_kinds;

void topo_set_kinds(const struct topo_kind *const *table)
{
	kinds = table ? table : no_kinds;
}

const struct topo_kind *const *topo_kinds(void)
{
	return kinds;
}

const struct topo_kind *topo_kind_find(const char *name)
{
	for (unsigned i = 0; name && kinds[i]; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	errno = ENOENT;
	return NULL;
}

const char *topo_kind_name(const struct topo_kind *k)
{
	return k ? k->name : "?";
}

const char *topo_kind_list(char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; kinds[i] && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", kinds[i]->name);
	return buf;
}

int topo_opt_index(const struct topo_kind *k, const char *name)
{
	for (unsigned i = 0; k && i < k->n_opts; i++)
		if (strcmp(k->opts[i].name, name) == 0)
			return (int)i;
	return -1;
}

int topo_opt_req_index(const struct topo_kind *k, const char *member)
{
	for (unsigned i = 0; k && i < k->n_opts; i++)
		if (strcmp(k->opts[i].req ? k->opts[i].req : k->opts[i].name, member) == 0)
			return (int)i;
	return -1;
}

/* The names of the n kinds of has[] as "a", "a and b", "a, b and c", in buf. */
static const char *join(const struct topo_kind *const *has, unsigned n, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " and ",
				       has[i]->name);
	return buf;
}

const char *topo_opt_owners(const char *name, bool by_req, char *buf, size_t size)
{
	const struct topo_kind *has[TOPO_KINDS_MAX];
	char names[128];
	unsigned n = 0;

	for (unsigned i = 0; kinds[i] && n < TOPO_KINDS_MAX; i++)
		if ((by_req ? topo_opt_req_index(kinds[i], name) : topo_opt_index(kinds[i], name)) >= 0)
			has[n++] = kinds[i];
	if (n == 0)
		return NULL;
	snprintf(buf, size, "kind%s %s", n > 1 ? "s" : "", join(has, n, names, sizeof(names)));
	return buf;
}

const char *topo_address_kinds(char *buf, size_t size)
{
	const struct topo_kind *has[TOPO_KINDS_MAX];
	unsigned n = 0;

	for (unsigned i = 0; kinds[i] && n < TOPO_KINDS_MAX; i++)
		if (kinds[i]->addresses)
			has[n++] = kinds[i];
	return join(has, n, buf, size);
}

/* Option i of n's kind when it is of type `type`, else NULL. */
static const struct topo_val *val(const struct topo_node *n, unsigned i, enum topo_opt_type type)
{
	const struct topo_opt *o;

	if (n == NULL || n->kind == NULL || i >= n->kind->n_opts)
		return NULL;
	o = &n->kind->opts[i];
	if (o->type != type && !(type == TOPO_OPT_LIST && o->type == TOPO_OPT_ENV))
		return NULL;
	return &n->opt[i];
}

unsigned topo_node_enum(const struct topo_node *n, unsigned i)
{
	const struct topo_val *v = val(n, i, TOPO_OPT_ENUM);

	if (v == NULL)
		return 0;
	return v->set ? v->num : n->kind->opts[i].def;
}

const char *topo_enum_list(const struct topo_opt *o, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; o->choices && o->choices[i] && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", o->choices[i]);
	return buf;
}

int topo_parse_enum(const struct topo_opt *o, const char *s, const char *what, int line,
		    int column, unsigned *out, struct vnl_err *err)
{
	char shown[TOPO_SHOW_LEN], list[128];

	for (unsigned i = 0; o->choices && o->choices[i]; i++)
		if (strcmp(o->choices[i], s) == 0) {
			*out = i;
			return 0;
		}
	return topo_errf(err, line, column, EINVAL, "%s must be one of %s, not '%s'", what,
			 topo_enum_list(o, list, sizeof(list)), topo_show(s, shown));
}

int topo_nic_choice(const struct topo *t, const struct topo_node *n, unsigned nic, const char *opt)
{
	const struct topo_link *k = t ? topo_find_link(t, n->name, nic) : NULL;
	int i = topo_opt_index(n->kind, opt);
	unsigned v;

	if (i < 0 || n->kind->opts[i].type != TOPO_OPT_ENUM)
		return -1;
	if (k && k->nic_type[0] && strcmp(opt, TOPO_NIC_TYPE) == 0)
		return topo_parse_enum(&n->kind->opts[i], k->nic_type, "", 0, 0, &v, NULL) < 0 ? -1 : (int)v;
	return (int)topo_node_enum(n, (unsigned)i);
}

unsigned topo_node_uint(const struct topo_node *n, unsigned i)
{
	const struct topo_val *v = val(n, i, TOPO_OPT_UINT);

	if (v == NULL)
		return 0;
	return v->set ? v->num : n->kind->opts[i].def;
}

const char *topo_node_text(const struct topo_node *n, unsigned i)
{
	const struct topo_val *v = val(n, i, TOPO_OPT_TEXT);

	return v && v->set ? v->text : NULL;
}

char *const *topo_node_list(const struct topo_node *n, unsigned i, unsigned *count)
{
	const struct topo_val *v = val(n, i, TOPO_OPT_LIST);

	*count = v && v->set ? v->n : 0;
	return *count ? v->list : NULL;
}

/* The value slot of option `name` of template n, typed. */
static struct topo_val *slot(struct topo_node *n, const char *name, enum topo_opt_type type)
{
	int i = topo_opt_index(n->kind, name);

	if (i < 0) {
		errno = ENOENT;
		return NULL;
	}
	if (n->kind->opts[i].type != type && !(type == TOPO_OPT_LIST && n->kind->opts[i].type == TOPO_OPT_ENV) &&
	    !(type == TOPO_OPT_UINT && n->kind->opts[i].type == TOPO_OPT_ENUM)) {
		errno = EINVAL;
		return NULL;
	}
	return &n->opt[i];
}

/* A choice option takes its index here. */
int topo_node_set_uint(struct topo_node *n, const char *name, unsigned v)
{
	struct topo_val *s = slot(n, name, TOPO_OPT_UINT);

	if (s == NULL)
		return -errno;
	*s = (struct topo_val){ .set = true, .num = v };
	return 0;
}

int topo_node_set_text(struct topo_node *n, const char *name, const char *text)
{
	struct topo_val *s = slot(n, name, TOPO_OPT_TEXT);

	if (s == NULL)
		return -errno;
	*s = (struct topo_val){ .set = text != NULL, .text = (char *)text };
	return 0;
}

int topo_node_set_list(struct topo_node *n, const char *name, char **list, unsigned count)
{
	struct topo_val *s = slot(n, name, TOPO_OPT_LIST);

	if (s == NULL)
		return -errno;
	*s = (struct topo_val){ .set = count > 0, .list = list, .n = count };
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool topo_val_equal(const struct topo_val *a, const struct topo_val *b)
{
	if (a->set != b->set)
		return false;
	if (!a->set)
		return true;
	if (a->num != b->num || !str_eq(a->text, b->text) || a->n != b->n)
		return false;
	for (unsigned e = 0; e < a->n; e++)
		if (strcmp(a->list[e], b->list[e]))
			return false;
	return true;
}

/* A schema rule broken: kind k, option o (or NULL). */
static int schema_err(struct vnl_err *err, const struct topo_kind *k, const struct topo_opt *o, const char *why)
{
	return vnl_errf(err, -EINVAL, "kind '%s'%s%s%s: %s", k->name ? k->name : "?", o ? " option '" : "",
			o ? (o->name ? o->name : "?") : "", o ? "'" : "", why);
}

/* One option of kind k against the rules and the options of kinds[0..at-1]. */
static int check_opt(const struct topo_kind *const *table, unsigned at, const struct topo_opt *o,
		     struct vnl_err *err)
{
	const struct topo_kind *k = table[at];
	const char *member = o->req ? o->req : o->name;
	static const char *const own[] = { "name", "kind", "nics", NULL };

	unsigned n_choices = 0;

	if (!o->name || !o->name[0] || o->name[0] == '-' ||
	    strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(o->name))
		return schema_err(err, k, o, "names are [a-z0-9_][a-z0-9_-]*");
	for (const char *const *w = own; *w; w++)
		if (strcmp(o->name, *w) == 0 || strcmp(member, *w) == 0)
			return schema_err(err, k, o, "name, kind and nics are a node's own keys");
	if (strcmp(member, "cmd") == 0)
		return schema_err(err, k, o, "cmd names the request: give the option another request member (req)");
	if (!o->metavar || !o->help || (unsigned)o->type > TOPO_OPT_ENUM)
		return schema_err(err, k, o, "needs a metavar, help and a type");
	/* vnl's own letters (-h -j -l -v) and --nics's. */
	if (o->short_opt && (strchr("hjlvn", o->short_opt) || !((o->short_opt >= 'a' && o->short_opt <= 'z') ||
								 (o->short_opt >= 'A' && o->short_opt <= 'Z'))))
		return schema_err(err, k, o, "its letter is vnl's (h, j, l, v), --nics's (n) or not a letter");
	if (o->type == TOPO_OPT_UINT && (o->min < 1 || o->min > o->max || (o->def && (o->def < o->min || o->def > o->max))))
		return schema_err(err, k, o, "range min >= 1, min <= max, default 0 or in range");
	while (o->type == TOPO_OPT_ENUM && o->choices && o->choices[n_choices])
		n_choices++;
	if (o->type == TOPO_OPT_ENUM && (n_choices == 0 || n_choices > TOPO_CHOICES_MAX || o->def >= n_choices))
		return schema_err(err, k, o, "a choice needs 1..TOPO_CHOICES_MAX words and a default among them");
	if (topo_opt_index(k, o->name) != (int)(o - k->opts))
		return schema_err(err, k, o, "named twice");
	for (unsigned j = 0; j < at; j++) {
		int i = topo_opt_index(table[j], o->name);
		const struct topo_opt *p = i < 0 ? NULL : &table[j]->opts[i];

		/* vnl add parses an option before it knows the kind: one meaning per name. */
		if (p && (p->type != o->type || p->short_opt != o->short_opt || !p->req != !o->req ||
			  (p->req && strcmp(p->req, o->req)) || p->choices != o->choices))
			return schema_err(err, k, o, "differs in type, letter, request member or words from the same "
					  "option of another kind");
	}
	for (unsigned j = 0; o->short_opt && j <= at; j++)
		for (unsigned m = 0; m < table[j]->n_opts; m++)
			if (table[j]->opts[m].short_opt == o->short_opt && strcmp(table[j]->opts[m].name, o->name))
				return schema_err(err, k, o, "its letter is another option's");
	return 0;
}

int topo_kinds_check(const struct topo_kind *const *table, struct vnl_err *err)
{
	unsigned n = 0;
	int r;

	for (; table[n]; n++) {
		const struct topo_kind *k = table[n];

		if (n >= TOPO_KINDS_MAX || !k->name || !k->help || k->n_opts > TOPO_OPTS_MAX || (k->n_opts && !k->opts))
			return schema_err(err, k, NULL, "needs a name, help and at most TOPO_OPTS_MAX options "
					  "(and at most TOPO_KINDS_MAX kinds)");
		if (strcmp(k->name, "lan") == 0)
			return schema_err(err, k, NULL, "'lan' is vnl add's word for a LAN");
		for (unsigned j = 0; j < n; j++)
			if (strcmp(table[j]->name, k->name) == 0)
				return schema_err(err, k, NULL, "named twice");
		for (unsigned i = 0; i < k->n_opts; i++)
			if ((r = check_opt(table, n, &k->opts[i], err)) < 0)
				return r;
	}
	return 0;
}
