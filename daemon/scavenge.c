/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding and removing a lab's leftovers from the names on the host (scavenge.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_switch.h"
#include "node_kind.h"
#include "paths.h"
#include "nl.h"
#include "scavenge.h"
#include "state.h"

/* Add name once; names that cannot be a node are skipped. 0 or -ENOMEM. */
static int add_name(struct scavenge *s, const char *name)
{
	void *p;

	if (topo_check_name(name, "node", 0, 0, NULL) < 0)
		return 0;
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i], name))
			return 0;
	if (s->n_nodes == s->cap_nodes) {
		p = realloc(s->nodes, (s->cap_nodes ? s->cap_nodes * 2 : 16) * sizeof(s->nodes[0]));
		if (p == NULL)
			return -ENOMEM;
		s->nodes = p;
		s->cap_nodes = s->cap_nodes ? s->cap_nodes * 2 : 16;
	}
	snprintf(s->nodes[s->n_nodes++], sizeof(s->nodes[0]), "%s", name);
	return 0;
}

/* Mount points under `under` (a folder path ending in '/') in our mount table. */
static unsigned count_mounts(const char *under)
{
	char line[2 * PATH_MAX], mnt[PATH_MAX];
	unsigned n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field. */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strncmp(mnt, under, strlen(under)))
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

/* What a kind's host_nodes() finds goes to both sets (node_kind.h). */
struct found {
	struct scavenge *all, *seen;
};

static int add_found(const char *node, void *arg)
{
	struct found *f = arg;
	int r = add_name(f->all, node);

	return r < 0 ? r : add_name(f->seen, node);
}

/* Nodes with objects of the kinds that find their own (host_nodes), counted per kind. */
static int find_kinds(const char *lab, struct scavenge *s)
{
	int r = 0;

	for (unsigned k = 0; node_kinds[k] && r >= 0; k++) {
		struct scavenge seen = { 0 };
		struct found f = { s, &seen };

		if (node_kinds[k]->host_nodes == NULL)
			continue;
		r = node_kinds[k]->host_nodes(lab, add_found, &f);
		if (k < SCAVENGE_KINDS_MAX)
			s->kinds[k] = seen.n_nodes;
		scavenge_free(&seen);
	}
	return r;
}

int scavenge_find(const char *lab, struct scavenge *s)
{
	char path[PATH_MAX];
	int r;

	memset(s, 0, sizeof(*s));
	r = find_kinds(lab, s);
	/* A lab's mounts (container overlays) are all under its state folder. */
	vnl_path(path, sizeof(path), VNL_STATE_ROOT, lab, "%s", "");
	s->mounts = count_mounts(path);
	vnl_path(path, sizeof(path), VNL_RUN_ROOT, lab, "switchd.sock");
	s->switch_pid = scavenge_switch_pid(path);
	if (r < 0) {
		scavenge_free(s);
		return r;
	}
	return 0;
}

void scavenge_free(struct scavenge *s)
{
	free(s->nodes);
	s->nodes = NULL;
	s->n_nodes = s->cap_nodes = 0;
}

void scavenge_describe(const struct scavenge *s, char *buf, size_t len)
{
	struct noun_count { unsigned n; const char *one, *many; } what[1 + SCAVENGE_KINDS_MAX];
	size_t at = 0, nw = 0;

	for (unsigned k = 0; node_kinds[k] && k < SCAVENGE_KINDS_MAX; k++)
		if (node_kinds[k]->host_nodes)
			what[nw++] = (struct noun_count){ s->kinds[k], node_kinds[k]->host_noun, node_kinds[k]->host_nouns };
	what[nw++] = (struct noun_count){ s->mounts, "mount", "mounts" };
	buf[0] = '\0';
	for (size_t i = 0; i < nw; i++)
		if (what[i].n && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%u %s", at ? ", " : "", what[i].n,
					       what[i].n == 1 ? what[i].one : what[i].many);
	if (s->switch_pid > 0 && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%sthe switch (pid %d)", at ? ", " : "",
				       (int)s->switch_pid);
	if (at == 0)
		snprintf(buf, len, "nothing");
}

int scavenge_remove(const char *lab, const struct scavenge *s, struct vnl_err *err)
{
	int first = 0;

	for (unsigned i = 0; i < s->n_nodes; i++) {
		/* Its kind is unknown: each kind removes what it would have made. */
		struct node_ctx ctx = { .lab = lab, .name = s->nodes[i], .nics = TOPO_NICS_MAX };

		for (unsigned k = 0; node_kinds[k]; k++) {
			struct vnl_err e;
			int r = node_kinds[k]->destroy(&ctx, &e);

			if (r < 0 && !first)
				first = vnl_errf(err, r, "removing node %s (%s): %s", s->nodes[i],
						 node_kinds[k]->schema->name, e.msg);
		}
	}
	return first;
}

pid_t scavenge_switch_pid(const char *sock)
{
	pid_t pid = 0;

	lab_switch_find(sock, &pid, 1);
	return pid;
}

int scavenge_restore_mtus(const char *state_dir, struct vnl_err *err)
{
	struct state_mtu m[64];
	unsigned n = state_load_mtus(state_dir, m, 64);
	int first = 0, done = 0;

	for (unsigned i = 0; i < n; i++) {
		struct vnl_err e;
		int r = nl_link_set_mtu(-1, m[i].iface, m[i].orig, &e);

		/* A missing interface took its MTU with it. */
		if (r < 0 && r != -ENODEV && !first)
			first = vnl_errf(err, r, "underlay %s: mtu %u again: %s", m[i].iface, m[i].orig, e.msg);
		done += r == 0;
	}
	if (n)
		state_save_mtus(state_dir, NULL, 0, NULL);
	return first ? first : done;
}
