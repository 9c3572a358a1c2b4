/* SPDX-License-Identifier: GPL-2.0-only */
/* The topology model: objects, their per-object rules and whole-lab checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#define NAME_RULE "[a-z0-9][a-z0-9_-]*, at most 15 characters"
#define TEXT_RULE "text must be valid UTF-8 without control characters other than tab and newline"

const char *topo_link_addr(const struct topo_link *k, char buf[TOPO_ADDR_LEN])
{
	char a[INET_ADDRSTRLEN];

	if (!k->has_addr || inet_ntop(AF_INET, &k->addr, a, sizeof(a)) == NULL)
		return NULL;
	snprintf(buf, TOPO_ADDR_LEN, "%s/%u", a, k->plen);
	return buf;
}

int topo_errf(struct vnl_err *err, int line, int column, int errnum, const char *fmt, ...)
{
	va_list ap;
	int at = 0;

	if (err) {
		err->code = -errnum;
		if (line)
			at = snprintf(err->msg, sizeof(err->msg), "%d:%d: ", line, column);
		va_start(ap, fmt);
		vsnprintf(err->msg + at, sizeof(err->msg) - (size_t)at, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

int topo_check_name(const char *name, const char *what, int line, int column,
		    struct vnl_err *err)
{
	size_t len = strnlen(name, TOPO_NAME_MAX + 1);
	bool good = len > 0 && len <= TOPO_NAME_MAX;
	char shown[TOPO_SHOW_LEN];

	for (size_t i = 0; good && i < len; i++) {
		char c = name[i];

		good = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       (i > 0 && (c == '_' || c == '-'));
	}
	if (!good)
		return topo_errf(err, line, column, EINVAL, "bad %s name '%s': names are %s",
				 what, topo_show(name, shown), NAME_RULE);
	return 0;
}

unsigned topo_utf8_next(const unsigned char *s, uint32_t *cp)
{
	/* Per lead byte: sequence length and the smallest code point it may
	 * encode (shortest form). */
	static const struct { unsigned char lo, hi, len; uint32_t min; } lead[] = {
		{ 0x01, 0x7f, 1, 0 }, { 0xc2, 0xdf, 2, 0x80 }, { 0xe0, 0xef, 3, 0x800 },
		{ 0xf0, 0xf4, 4, 0x10000 },
	};
	uint32_t c;
	unsigned len = 0;

	for (unsigned i = 0; i < sizeof(lead) / sizeof(lead[0]) && !len; i++)
		if (s[0] >= lead[i].lo && s[0] <= lead[i].hi)
			len = lead[i].len;
	if (!len)
		return 0;
	c = len == 1 ? s[0] : s[0] & (0x7fu >> len);
	for (unsigned i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < lead[len - 1].min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

const char *topo_show(const char *s, char buf[TOPO_SHOW_LEN])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0;
	unsigned chars = 0, n;
	uint32_t c;

	for (; *p && chars < 40; p += n, chars++) {
		n = topo_utf8_next(p, &c);
		if (n && !(c < 0x20 || (c >= 0x7f && c <= 0x9f))) {
			memcpy(buf + at, p, n);
			at += n;
		} else {
			at += (size_t)snprintf(buf + at, 5, "\\x%02x", *p);
			n = 1;
		}
	}
	snprintf(buf + at, TOPO_SHOW_LEN - at, "%s", *p ? "..." : "");
	return buf;
}

int topo_check_text(const char *s, const char *what, int line, int column, struct vnl_err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	unsigned n;

	for (; *p; p += n) {
		n = topo_utf8_next(p, &c);
		if (!n)
			return topo_errf(err, line, column, EINVAL, "%s: invalid UTF-8 (byte 0x%02x) at byte %zu: "
					 TEXT_RULE, what, *p, (size_t)(p - (const unsigned char *)s));
		if ((c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f))
			return topo_errf(err, line, column, EINVAL, "%s: control character U+%04X at byte %zu: "
					 TEXT_RULE, what, (unsigned)c, (size_t)(p - (const unsigned char *)s));
	}
	return 0;
}

int topo_check_env(const char *entry, int line, int column, struct vnl_err *err)
{
	char shown[TOPO_SHOW_LEN];
	const char *eq = strchr(entry, '=');
	bool good = eq && eq != entry && !(entry[0] >= '0' && entry[0] <= '9');

	for (const char *p = entry; good && p < eq; p++)
		good = *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9');
	if (!good)
		return topo_errf(err, line, column, EINVAL,
				 "bad env entry '%s': expected KEY=VALUE with KEY [A-Za-z_][A-Za-z0-9_]*",
				 topo_show(entry, shown));
	return topo_check_text(eq + 1, "env entry", line, column, err) < 0 ? -EINVAL : 0;
}

int topo_parse_uint(const struct topo_opt *o, const char *s, const char *what, int line,
		    int column, unsigned *out, struct vnl_err *err)
{
	char shown[TOPO_SHOW_LEN];
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < o->min || v > o->max)
		return topo_errf(err, line, column, EINVAL, "%s must be an integer in %u..%u, not '%s'",
				 what, o->min, o->max, topo_show(s, shown));
	*out = (unsigned)v;
	return 0;
}

/* A decimal number in [0, max] at *s, advancing *s; no sign, no leading zeros. */
static bool parse_dec(const char **s, unsigned max, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return false;
	}
	*s = p;
	*out = v;
	return true;
}

int topo_parse_addr(const char *s, struct in_addr *addr, unsigned *plen, struct vnl_err *err)
{
	char shown[TOPO_SHOW_LEN];
	const char *p = s;
	uint32_t a = 0;
	unsigned v;

	for (int i = 0; i < 4; i++) {
		if (!parse_dec(&p, 255, &v) || *p != (i < 3 ? '.' : '/'))
			goto bad;
		a = a << 8 | v;
		p++;
	}
	if (!parse_dec(&p, 32, &v) || v == 0 || *p)
		goto bad;
	addr->s_addr = htonl(a);
	*plen = v;
	return 0;
bad:
	return topo_errf(err, 0, 0, EINVAL, "bad address '%s': expected A.B.C.D/N with N in 1..32",
			 topo_show(s, shown));
}

static void node_free_strings(struct topo_node *n)
{
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++) {
		struct topo_val *v = &n->opt[i];

		free(v->text);
		for (unsigned e = 0; v->list && e < v->n; e++)
			free(v->list[e]);
		free(v->list);
		*v = (struct topo_val){ 0 };
	}
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->n_nodes; i++)
		node_free_strings(&t->nodes[i]);
	free(t->nodes);
	free(t->lans);
	free(t->links);
	topo_layout_free(t);
	free(t);
}

struct topo *topo_new(void)
{
	return calloc(1, sizeof(struct topo));
}

/* Make room for one more element of size sz in *arr (count n, capacity *cap). */
static int grow(void **arr, unsigned n, unsigned *cap, size_t sz)
{
	unsigned ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct topo_node *topo_find_node(const struct topo *t, const char *name)
{
	for (unsigned i = 0; i < t->n_nodes; i++)
		if (strcmp(t->nodes[i].name, name) == 0)
			return &t->nodes[i];
	errno = ENOENT;
	return NULL;
}

struct topo_lan *topo_find_lan(const struct topo *t, const char *name)
{
	for (unsigned i = 0; i < t->n_lans; i++)
		if (strcmp(t->lans[i].name, name) == 0)
			return &t->lans[i];
	errno = ENOENT;
	return NULL;
}

struct topo_link *topo_find_link(const struct topo *t, const char *node, unsigned nic)
{
	for (unsigned i = 0; i < t->n_links; i++)
		if (t->links[i].nic == nic && strcmp(t->links[i].node, node) == 0)
			return &t->links[i];
	errno = ENOENT;
	return NULL;
}

/* -EEXIST if name is taken by a node or LAN other than `self`. */
static int check_unique(const struct topo *t, const char *name, const void *self,
			int line, int column, struct vnl_err *err)
{
	const struct topo_node *n = NULL;
	const struct topo_lan *l = NULL;

	for (unsigned i = 0; i < t->n_nodes && !n; i++)
		if ((const void *)&t->nodes[i] != self && strcmp(t->nodes[i].name, name) == 0)
			n = &t->nodes[i];
	for (unsigned i = 0; i < t->n_lans && !n && !l; i++)
		if ((const void *)&t->lans[i] != self && strcmp(t->lans[i].name, name) == 0)
			l = &t->lans[i];
	if (n && n->line)
		return topo_errf(err, line, column, EEXIST, "duplicate name '%s': already a node (line %d)",
				 name, n->line);
	if (l && l->line)
		return topo_errf(err, line, column, EEXIST, "duplicate name '%s': already a LAN (line %d)",
				 name, l->line);
	if (n || l)
		return topo_errf(err, line, column, EEXIST, "duplicate name '%s': already a %s",
				 name, n ? "node" : "LAN");
	return 0;
}

/* -EFBIG if adding `more` bytes to t's saved form would pass TOPO_FILE_MAX. */
static int check_room(const struct topo *t, size_t more, int line, int column, struct vnl_err *err)
{
	if (more <= TOPO_FILE_MAX - TOPO_SAVE_FRAME && t->save_bytes <= TOPO_FILE_MAX - TOPO_SAVE_FRAME - more)
		return 0;
	return topo_errf(err, line, column, EFBIG,
			 "lab too large: its saved topology would exceed %d bytes (long texts or lists?)",
			 TOPO_FILE_MAX);
}

/* One option value of node n by the rules of its schema entry o. */
static int check_opt(const struct topo_node *n, const struct topo_opt *o, const struct topo_val *v,
		     struct vnl_err *err)
{
	char what[64];
	int r;

	switch (o->type) {
	case TOPO_OPT_UINT:
		if (v->num < o->min || v->num > o->max)
			return topo_errf(err, n->line, n->column, ERANGE, "node '%s': %s must be %u..%u%s%s",
					 n->name, o->name, o->min, o->max, o->unit ? " " : "", o->unit ? o->unit : "");
		return 0;
	case TOPO_OPT_ENUM:
		for (unsigned c = 0; o->choices[c]; c++)
			if (c == v->num)
				return 0;
		return topo_errf(err, n->line, n->column, ERANGE, "node '%s': %s: no choice %u", n->name,
				 o->name, v->num);
	case TOPO_OPT_TEXT:
		if (v->text == NULL)
			return 0;
		if (!v->text[0])
			return topo_errf(err, n->line, n->column, EINVAL, "node '%s': %s must not be empty",
					 n->name, o->name);
		snprintf(what, sizeof(what), "node '%s': %s", n->name, o->name);
		return topo_check_text(v->text, what, n->line, n->column, err) < 0 ? -EINVAL : 0;
	case TOPO_OPT_LIST:
	case TOPO_OPT_ENV:
		for (unsigned e = 0; e < v->n; e++) {
			snprintf(what, sizeof(what), "node '%s': %s entry %u", n->name, o->name, e + 1);
			r = topo_check_text(v->list[e], what, n->line, n->column, err);
			if (r == 0 && o->type == TOPO_OPT_ENV)
				r = topo_check_env(v->list[e], n->line, n->column, err);
			if (r < 0)
				return -EINVAL;
		}
		return 0;
	}
	return topo_errf(err, n->line, n->column, EINVAL, "node '%s': %s: bad option type", n->name, o->name);
}

/* The per-node rules: name, kind, nics, and each option by the kind's schema. */
static int check_node(const struct topo_node *n, struct vnl_err *err)
{
	char list[128];
	int r;

	r = topo_check_name(n->name, "node", n->line, n->column, err);
	if (r < 0)
		return r;
	if (n->kind == NULL || n->kind->n_opts > TOPO_OPTS_MAX)
		return topo_errf(err, n->line, n->column, EINVAL, "node '%s': bad kind (kinds: %s)", n->name,
				 topo_kind_list(list, sizeof(list)));
	if (n->nics < 1 || n->nics > TOPO_NICS_MAX)
		return topo_errf(err, n->line, n->column, ERANGE,
				 "node '%s': nics %u out of range 1..%d", n->name, n->nics, TOPO_NICS_MAX);
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++) {
		const struct topo_val *v = &n->opt[i];

		if (!v->set)
			continue;
		if (i >= n->kind->n_opts)
			return topo_errf(err, n->line, n->column, EINVAL, "node '%s': option %u of kind %s set, "
					 "which has %u", n->name, i + 1, n->kind->name, n->kind->n_opts);
		r = check_opt(n, &n->kind->opts[i], v, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * n's option values as the model keeps them (in place, shallow): set only
 * when given (a text, a list with entries), other fields of the type zero.
 */
static void node_normalize(struct topo_node *n)
{
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++) {
		struct topo_val v = n->opt[i];

		n->opt[i] = (struct topo_val){ 0 };
		if (!v.set || i >= n->kind->n_opts)
			continue;
		if (n->kind->opts[i].type == TOPO_OPT_UINT || n->kind->opts[i].type == TOPO_OPT_ENUM)
			n->opt[i] = (struct topo_val){ .set = true, .num = v.num };
		else if (n->kind->opts[i].type == TOPO_OPT_TEXT && v.text)
			n->opt[i] = (struct topo_val){ .set = true, .text = v.text };
		else if (n->kind->opts[i].type != TOPO_OPT_TEXT && v.n)
			n->opt[i] = (struct topo_val){ .set = true, .list = v.list, .n = v.n };
	}
}

/* Deep copy of the strings of n's (normalized) option values, in place. */
static int node_copy_strings(struct topo_node *n)
{
	struct topo_node src = *n;

	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++)
		n->opt[i].text = NULL, n->opt[i].list = NULL, n->opt[i].n = 0;
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++) {
		const struct topo_val *s = &src.opt[i];
		struct topo_val *d = &n->opt[i];

		if (s->text && !(d->text = strdup(s->text)))
			goto fail;
		if (s->n && !(d->list = calloc(s->n, sizeof(char *))))
			goto fail;
		for (; d->n < s->n; d->n++)
			if (!(d->list[d->n] = strdup(s->list[d->n])))
				goto fail;
	}
	return 0;
fail:
	node_free_strings(n);
	return -ENOMEM;
}

int topo_add_node(struct topo *t, const struct topo_node *tmpl, struct vnl_err *err)
{
	struct topo_node n = *tmpl;
	size_t size;
	int r;

	r = check_node(tmpl, err);
	if (r < 0)
		return r;
	r = check_unique(t, tmpl->name, NULL, tmpl->line, tmpl->column, err);
	if (r < 0)
		return r;
	if (t->n_nodes >= TOPO_MAX_OBJECTS)
		return topo_errf(err, tmpl->line, tmpl->column, E2BIG,
				 "too many nodes (at most %d)", TOPO_MAX_OBJECTS);
	node_normalize(&n);
	size = topo_node_save_size(&n);
	r = check_room(t, size, tmpl->line, tmpl->column, err);
	if (r < 0)
		return r;
	if (grow((void **)&t->nodes, t->n_nodes, &t->cap_nodes, sizeof(n)) < 0 || node_copy_strings(&n) < 0)
		return topo_errf(err, tmpl->line, tmpl->column, ENOMEM, "out of memory");
	t->nodes[t->n_nodes++] = n;
	t->save_bytes += size;
	return 0;
}

unsigned topo_lan_mtu(const struct topo_lan *l)
{
	return l->mtu ? l->mtu : TOPO_LAN_MTU_DEF;
}

/* The per-LAN rules: name, mtu and vxlan. */
static int check_lan(const struct topo_lan *l, struct vnl_err *err)
{
	int r = topo_check_name(l->name, "LAN", l->line, l->column, err);

	if (r == 0 && l->mtu && (l->mtu < TOPO_LAN_MTU_MIN || l->mtu > TOPO_LAN_MTU_MAX))
		r = topo_errf(err, l->line, l->column, ERANGE, "LAN '%s': mtu %u out of range %d..%d", l->name,
			      l->mtu, TOPO_LAN_MTU_MIN, TOPO_LAN_MTU_MAX);
	if (r == 0)
		r = topo_vxlan_check(l, l->line, l->column, err);
	return r;
}

/* A LAN with the same VNI on the same named underlay as l (not l). */
static int check_vxlan_clash(const struct topo *t, const struct topo_lan *l, struct vnl_err *err)
{
	const struct topo_lan *o = topo_vxlan_clash(t, l);

	if (o == NULL)
		return 0;
	return topo_errf(err, l->line, l->column, EEXIST, "LAN '%s': vxlan: vni %u on underlay %s is taken by LAN '%s'",
			 l->name, l->vx.vni, l->vx.underlay, o->name);
}

int topo_add_lan(struct topo *t, const struct topo_lan *tmpl, struct vnl_err *err)
{
	struct topo_lan lan = *tmpl;
	int r;

	r = check_lan(tmpl, err);
	if (r < 0)
		return r;
	r = check_unique(t, tmpl->name, NULL, tmpl->line, tmpl->column, err);
	if (r == 0)
		r = check_vxlan_clash(t, tmpl, err);
	if (r < 0)
		return r;
	if (t->n_lans >= TOPO_MAX_OBJECTS)
		return topo_errf(err, tmpl->line, tmpl->column, E2BIG,
				 "too many LANs (at most %d)", TOPO_MAX_OBJECTS);
	/* The default is kept as "not given": saved without it, equal to it. */
	if (lan.vx.dstport == TOPO_VXLAN_DSTPORT_DEF)
		lan.vx.dstport = 0;
	if (lan.vx.vni == 0)
		lan.vx = (struct topo_vxlan){ 0 };
	if (!lan.vx.n_remote && !lan.vx.has_local)
		lan.vx.family = 0;	/* nothing says it: read back as none */
	r = check_room(t, topo_lan_save_size(&lan), tmpl->line, tmpl->column, err);
	if (r < 0)
		return r;
	if (grow((void **)&t->lans, t->n_lans, &t->cap_lans, sizeof(*tmpl)) < 0)
		return topo_errf(err, tmpl->line, tmpl->column, ENOMEM, "out of memory");
	t->lans[t->n_lans++] = lan;
	t->save_bytes += topo_lan_save_size(&lan);
	return 0;
}

int topo_lan_replace(struct topo *t, struct topo_lan *l, const struct topo_lan *n, struct vnl_err *err)
{
	struct topo_lan lan = *n;
	size_t old = topo_lan_save_size(l), size;
	int r;

	if (strcmp(l->name, n->name))
		return topo_errf(err, l->line, l->column, EINVAL, "LAN '%s': its name cannot change", l->name);
	if ((r = check_lan(&lan, err)) < 0)
		return r;
	for (unsigned i = 0; i < t->n_lans; i++) {
		const struct topo_lan *o = &t->lans[i];

		if (o != l && lan.vx.vni && o->vx.vni == lan.vx.vni && lan.vx.underlay[0] &&
		    !strcmp(o->vx.underlay, lan.vx.underlay))
			return topo_errf(err, l->line, l->column, EEXIST, "LAN '%s': vxlan: vni %u on underlay %s is "
					 "taken by LAN '%s'", l->name, lan.vx.vni, lan.vx.underlay, o->name);
	}
	if (lan.vx.dstport == TOPO_VXLAN_DSTPORT_DEF)
		lan.vx.dstport = 0;
	if (lan.vx.vni == 0)
		lan.vx = (struct topo_vxlan){ 0 };
	if (!lan.vx.n_remote && !lan.vx.has_local)
		lan.vx.family = 0;
	size = topo_lan_save_size(&lan);
	/* The room check counts what is added beyond what the LAN has now. */
	if (size > old && (r = check_room(t, size - old, l->line, l->column, err)) < 0)
		return r;
	lan.line = l->line;
	lan.column = l->column;
	*l = lan;
	t->save_bytes = t->save_bytes - old + size;
	return 0;
}

/* imp[] (for link l) by topo_impair_check(), each direction named. */
static int check_impair(const struct topo_link *l, const struct topo_impair imp[TOPO_IMP_DIRS],
			struct vnl_err *err)
{
	char what[64];
	int r = 0;

	for (unsigned d = 0; d < TOPO_IMP_DIRS && r == 0; d++) {
		snprintf(what, sizeof(what), "link %s:%u: impair %s", l->node, l->nic, d == TOPO_IMP_OUT ? "out" : "in");
		r = topo_impair_check(&imp[d], what, l->line, l->column, err);
	}
	return r;
}

/* The per-link rules: names and ranges, without looking at other objects. */
static int check_link(const struct topo_link *l, struct vnl_err *err)
{
	int r;

	r = topo_check_name(l->node, "node", l->line, l->column, err);
	if (r < 0)
		return r;
	r = topo_check_name(l->lan, "LAN", l->line, l->column, err);
	if (r < 0)
		return r;
	if (l->nic >= TOPO_NICS_MAX)
		return topo_errf(err, l->line, l->column, ERANGE, "link %s:%u: nic out of range 0..%d",
				 l->node, l->nic, TOPO_NICS_MAX - 1);
	if (l->has_addr && (l->plen < 1 || l->plen > 32))
		return topo_errf(err, l->line, l->column, EINVAL, "link %s:%u: prefix length %u out of range 1..32",
				 l->node, l->nic, l->plen);
	if (l->nic_type[0] && topo_check_name(l->nic_type, "", 0, 0, NULL) < 0) {
		char shown[TOPO_SHOW_LEN];

		return topo_errf(err, l->line, l->column, EINVAL, "link %s:%u: bad nic-type '%s' (one word of "
				 "the node kind's nic-type option, e.g. tap)", l->node, l->nic,
				 topo_show(l->nic_type, shown));
	}
	return check_impair(l, l->imp, err);
}

int topo_add_link(struct topo *t, const struct topo_link *tmpl, struct vnl_err *err)
{
	int r;

	r = check_link(tmpl, err);
	if (r < 0)
		return r;
	if (t->n_links >= TOPO_MAX_OBJECTS)
		return topo_errf(err, tmpl->line, tmpl->column, E2BIG,
				 "too many links (at most %d)", TOPO_MAX_OBJECTS);
	r = check_room(t, topo_link_save_size(tmpl), tmpl->line, tmpl->column, err);
	if (r < 0)
		return r;
	if (grow((void **)&t->links, t->n_links, &t->cap_links, sizeof(*tmpl)) < 0)
		return topo_errf(err, tmpl->line, tmpl->column, ENOMEM, "out of memory");
	t->links[t->n_links] = *tmpl;
	if (!tmpl->has_addr) {
		t->links[t->n_links].addr.s_addr = 0;
		t->links[t->n_links].plen = 0;
	}
	t->save_bytes += topo_link_save_size(&t->links[t->n_links]);
	t->n_links++;
	return 0;
}

bool topo_link_impaired(const struct topo_link *k)
{
	return !topo_impair_none(&k->imp[TOPO_IMP_OUT]) || !topo_impair_none(&k->imp[TOPO_IMP_IN]);
}

int topo_link_set_impair(struct topo *t, struct topo_link *k, const struct topo_impair imp[TOPO_IMP_DIRS],
			 struct vnl_err *err)
{
	struct topo_link n = *k;
	size_t old = topo_link_save_size(k), size;
	int r;

	memcpy(n.imp, imp, sizeof(n.imp));
	r = check_impair(&n, n.imp, err);
	if (r < 0)
		return r;
	size = topo_link_save_size(&n);
	/* The room check counts what is added beyond what the link has now. */
	if (size > old && (r = check_room(t, size - old, k->line, k->column, err)) < 0)
		return r;
	memcpy(k->imp, imp, sizeof(k->imp));
	t->save_bytes = t->save_bytes - old + size;
	return 0;
}

int topo_link_check_nic_type(const struct topo_link *l, const struct topo_node *n, struct vnl_err *err)
{
	int i = topo_opt_index(n->kind, TOPO_NIC_TYPE);
	char what[64];
	unsigned v;

	if (!l->nic_type[0])
		return 0;
	if (i < 0 || n->kind->opts[i].type != TOPO_OPT_ENUM)
		return topo_errf(err, l->line, l->column, EINVAL,
				 "link %s:%u: nic-type does not apply to kind %s (node '%s')", l->node, l->nic,
				 n->kind->name, n->name);
	snprintf(what, sizeof(what), "link %s:%u: nic-type", l->node, l->nic);
	return topo_parse_enum(&n->kind->opts[i], l->nic_type, what, l->line, l->column, &v, err);
}

/* Links refer to existing objects, fit the node, and do not share an interface. */
static int validate_link(const struct topo *t, unsigned i, struct vnl_err *err)
{
	const struct topo_link *l = &t->links[i];
	const struct topo_node *n;
	char kinds[128];
	int r;

	r = check_link(l, err);
	if (r < 0)
		return r;
	n = topo_find_node(t, l->node);
	if (!n)
		return topo_errf(err, l->line, l->column, ENOENT, "link %s:%u: unknown node '%s'",
				 l->node, l->nic, l->node);
	if (!topo_find_lan(t, l->lan))
		return topo_errf(err, l->line, l->column, ENOENT, "link %s:%u: unknown LAN '%s'",
				 l->node, l->nic, l->lan);
	if (l->nic >= n->nics)
		return topo_errf(err, l->line, l->column, ERANGE,
				 "link %s:%u: node '%s' has %u nic%s (0..%u)", l->node, l->nic, n->name,
				 n->nics, n->nics == 1 ? "" : "s", n->nics - 1);
	if (l->has_addr && !n->kind->addresses)
		return topo_errf(err, l->line, l->column, EINVAL,
				 "link %s:%u: addresses apply to %s nodes, not %s (configure it inside the node)",
				 l->node, l->nic, topo_address_kinds(kinds, sizeof(kinds)), n->kind->name);
	r = topo_link_check_nic_type(l, n, err);
	if (r < 0)
		return r;
	for (unsigned j = 0; j < i; j++)
		if (t->links[j].nic == l->nic && strcmp(t->links[j].node, l->node) == 0)
			return topo_errf(err, l->line, l->column, EEXIST,
					 "link %s:%u: interface already linked to LAN '%s'",
					 l->node, l->nic, t->links[j].lan);
	return 0;
}

int topo_validate(const struct topo *t, struct vnl_err *err)
{
	int r;

	if (t->n_nodes > TOPO_MAX_OBJECTS || t->n_lans > TOPO_MAX_OBJECTS || t->n_links > TOPO_MAX_OBJECTS)
		return topo_errf(err, 0, 0, E2BIG, "too many objects (at most %d of each)", TOPO_MAX_OBJECTS);
	r = check_room(t, 0, 0, 0, err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];

		r = check_node(n, err);
		if (r < 0)
			return r;
		r = check_unique(t, n->name, n, n->line, n->column, err);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < t->n_lans; i++) {
		const struct topo_lan *l = &t->lans[i];

		r = check_lan(l, err);
		if (r < 0)
			return r;
		r = check_unique(t, l->name, l, l->line, l->column, err);
		if (r == 0)
			r = check_vxlan_clash(t, l, err);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < t->n_links; i++) {
		r = validate_link(t, i, err);
		if (r < 0)
			return r;
	}
	return topo_layout_check(t, err);
}

static bool node_equal(const struct topo_node *a, const struct topo_node *b)
{
	if (strcmp(a->name, b->name) || a->kind != b->kind || a->nics != b->nics)
		return false;
	for (unsigned i = 0; i < TOPO_OPTS_MAX; i++)
		if (!topo_val_equal(&a->opt[i], &b->opt[i]))
			return false;
	return true;
}

static bool link_equal(const struct topo_link *a, const struct topo_link *b)
{
	return strcmp(a->node, b->node) == 0 && a->nic == b->nic && strcmp(a->lan, b->lan) == 0 &&
	       a->has_addr == b->has_addr && strcmp(a->nic_type, b->nic_type) == 0 &&
	       topo_impair_equal(&a->imp[TOPO_IMP_OUT], &b->imp[TOPO_IMP_OUT]) &&
	       topo_impair_equal(&a->imp[TOPO_IMP_IN], &b->imp[TOPO_IMP_IN]) &&
	       (!a->has_addr || (a->addr.s_addr == b->addr.s_addr && a->plen == b->plen));
}

bool topo_equal(const struct topo *a, const struct topo *b)
{
	if (a->n_nodes != b->n_nodes || a->n_lans != b->n_lans || a->n_links != b->n_links)
		return false;
	for (unsigned i = 0; i < a->n_nodes; i++)
		if (!node_equal(&a->nodes[i], &b->nodes[i]))
			return false;
	for (unsigned i = 0; i < a->n_lans; i++)
		if (strcmp(a->lans[i].name, b->lans[i].name) || a->lans[i].mtu != b->lans[i].mtu ||
		    !topo_vxlan_equal(&a->lans[i].vx, &b->lans[i].vx))
			return false;
	for (unsigned i = 0; i < a->n_links; i++)
		if (!link_equal(&a->links[i], &b->links[i]))
			return false;
	return topo_layout_equal(a, b);
}

/* Remove entry i of an array of n entries of size sz, keeping the order. */
static void remove_at(void *base, unsigned *n, unsigned i, size_t sz)
{
	char *b = base;

	memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}

static void del_links_if(struct topo *t, const char *node, const char *lan)
{
	for (unsigned i = t->n_links; i-- > 0;) {
		struct topo_link *l = &t->links[i];

		if ((node != NULL && strcmp(l->node, node) == 0) || (lan != NULL && strcmp(l->lan, lan) == 0)) {
			t->save_bytes -= topo_link_save_size(l);
			remove_at(t->links, &t->n_links, i, sizeof(*l));
		}
	}
}

int topo_del_link(struct topo *t, const char *node, unsigned nic, struct vnl_err *err)
{
	struct topo_link *l = topo_find_link(t, node, nic);

	if (l == NULL)
		return topo_errf(err, 0, 0, ENOENT, "%s:%u is not linked", node, nic);
	t->save_bytes -= topo_link_save_size(l);
	remove_at(t->links, &t->n_links, (unsigned)(l - t->links), sizeof(*l));
	return 0;
}

int topo_del_lan(struct topo *t, const char *name, struct vnl_err *err)
{
	struct topo_lan *l = topo_find_lan(t, name);

	if (l == NULL)
		return topo_errf(err, 0, 0, ENOENT, "no LAN named '%s'", name);
	del_links_if(t, NULL, name);
	topo_layout_del(t, name);
	t->save_bytes -= topo_lan_save_size(l);
	remove_at(t->lans, &t->n_lans, (unsigned)(l - t->lans), sizeof(*l));
	return 0;
}

int topo_del_node(struct topo *t, const char *name, struct vnl_err *err)
{
	struct topo_node *n = topo_find_node(t, name);

	if (n == NULL)
		return topo_errf(err, 0, 0, ENOENT, "no node named '%s'", name);
	del_links_if(t, name, NULL);
	topo_layout_del(t, name);
	t->save_bytes -= topo_node_save_size(n);
	node_free_strings(n);
	remove_at(t->nodes, &t->n_nodes, (unsigned)(n - t->nodes), sizeof(*n));
	return 0;
}
