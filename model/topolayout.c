/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The layout of a topology (topology.h, "layout"): where `vnl web` draws
 * each node and LAN, kept apart from the objects themselves so that the
 * objects' rules and their file form stay as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#define LAYOUT_KEY "layout:\n"

/* "  NAME: [X, Y]\n": the bytes one entry takes in the saved form. */
static size_t entry_size(const char *name, int x, int y)
{
	return (size_t)snprintf(NULL, 0, "  %s: [%d, %d]\n", name, x, y);
}

struct topo_pos *topo_layout_find(const struct topo *t, const char *name)
{
	for (unsigned i = 0; i < t->n_layout; i++)
		if (!strcmp(t->layout[i].name, name))
			return &t->layout[i];
	errno = ENOENT;
	return NULL;
}

int topo_layout_set(struct topo *t, const char *name, int x, int y, struct vnl_err *err)
{
	struct topo_pos *p;
	size_t old, more;
	int r;

	if ((r = topo_check_name(name, "layout entry", 0, 0, err)) < 0)
		return r;
	if (x < -TOPO_LAYOUT_MAX || x > TOPO_LAYOUT_MAX || y < -TOPO_LAYOUT_MAX || y > TOPO_LAYOUT_MAX)
		return vnl_errf(err, -ERANGE, "layout of '%s': x and y must be in -%d..%d", name,
				TOPO_LAYOUT_MAX, TOPO_LAYOUT_MAX);
	p = topo_layout_find(t, name);
	old = p ? entry_size(name, p->x, p->y) : 0;
	more = entry_size(name, x, y) + (t->n_layout == 0 ? strlen(LAYOUT_KEY) : 0);
	if (more > old && t->save_bytes + (more - old) > TOPO_FILE_MAX - TOPO_SAVE_FRAME)
		return vnl_errf(err, -EFBIG, "lab too large: its saved topology would exceed %d bytes",
				TOPO_FILE_MAX);
	if (!p) {
		if (t->n_layout >= 2 * TOPO_MAX_OBJECTS)
			return vnl_errf(err, -E2BIG, "layout: more than %d entries", 2 * TOPO_MAX_OBJECTS);
		if (t->n_layout == t->cap_layout) {
			unsigned cap = t->cap_layout ? 2 * t->cap_layout : 16;
			struct topo_pos *a = realloc(t->layout, cap * sizeof(*a));

			if (a == NULL)
				return vnl_errf(err, -ENOMEM, "layout: out of memory");
			t->layout = a;
			t->cap_layout = cap;
		}
		p = &t->layout[t->n_layout++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
	}
	p->x = x;
	p->y = y;
	t->save_bytes = t->save_bytes + more - old;
	return 0;
}

void topo_layout_del(struct topo *t, const char *name)
{
	struct topo_pos *p = topo_layout_find(t, name);
	unsigned i;

	if (p == NULL)
		return;
	i = (unsigned)(p - t->layout);
	t->save_bytes -= entry_size(p->name, p->x, p->y) + (t->n_layout == 1 ? strlen(LAYOUT_KEY) : 0);
	memmove(p, p + 1, (t->n_layout - i - 1) * sizeof(*p));
	t->n_layout--;
}

int topo_layout_check(const struct topo *t, struct vnl_err *err)
{
	for (unsigned i = 0; i < t->n_layout; i++) {
		const struct topo_pos *p = &t->layout[i];

		if (!topo_find_node(t, p->name) && !topo_find_lan(t, p->name))
			return topo_errf(err, p->line, p->column, ENOENT, "layout: no node or LAN named '%s'",
					 p->name);
	}
	return 0;
}

void topo_layout_save(FILE *f, const struct topo *t)
{
	if (t->n_layout)
		fputs(LAYOUT_KEY, f);
	for (unsigned i = 0; i < t->n_layout; i++)
		fprintf(f, "  %s: [%d, %d]\n", t->layout[i].name, t->layout[i].x, t->layout[i].y);
}

void topo_layout_free(struct topo *t)
{
	free(t->layout);
	t->layout = NULL;
	t->n_layout = t->cap_layout = 0;
}

bool topo_layout_equal(const struct topo *a, const struct topo *b)
{
	if (a->n_layout != b->n_layout)
		return false;
	for (unsigned i = 0; i < a->n_layout; i++) {
		const struct topo_pos *p = &a->layout[i], *q = topo_layout_find(b, p->name);

		if (q == NULL || q->x != p->x || q->y != p->y)
			return false;
	}
	return true;
}
