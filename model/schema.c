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
	if (n->kind->opts[i].type != type && !(type == TOPO_OPT_LIST && n->kind->opts[i].type == TOPO_OPT_ENV)) {
		errno = EINVAL;
		return NULL;
	}
	return &n->opt[i];
}

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
