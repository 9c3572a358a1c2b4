/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rendering of the topology (graph.h). Vertex ids: Graphviz gets the quoted
 * names with a "lan:"/"node:" prefix; Mermaid ids are positional ("lan0",
 * "node3") because its ids may not hold '-'. Names follow the name rule, so
 * they need no escaping in either language.
 */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "graph.h"

int graph_format_parse(const char *s)
{
	if (strcmp(s, "dot") == 0)
		return GRAPH_DOT;
	if (strcmp(s, "mermaid") == 0)
		return GRAPH_MERMAID;
	return -1;
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static size_t count(struct json_object *arr)
{
	return arr ? json_object_array_length(arr) : 0;
}

/* Index of the element of arr whose "name" is name, or -1. */
static long find(struct json_object *arr, const char *name)
{
	for (size_t i = 0; name && i < count(arr); i++) {
		const char *n = str(json_object_array_get_idx(arr, i), "name");

		if (n && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

static void render_dot(struct json_object *show, FILE *out)
{
	struct json_object *lans = member(show, "lans", json_type_array);
	struct json_object *nodes = member(show, "nodes", json_type_array);
	struct json_object *links = member(show, "links", json_type_array);

	fprintf(out, "graph \"%s\" {\n\tgraph [rankdir=LR];\n", str(show, "lab") ?: "lab");
	for (size_t i = 0; i < count(lans); i++) {
		const char *n = str(json_object_array_get_idx(lans, i), "name");

		if (n)
			fprintf(out, "\t\"lan:%s\" [label=\"%s\", shape=ellipse];\n", n, n);
	}
	for (size_t i = 0; i < count(nodes); i++) {
		struct json_object *o = json_object_array_get_idx(nodes, i);
		const char *n = str(o, "name");

		if (n)
			fprintf(out, "\t\"node:%s\" [label=\"%s\\n%s\", shape=box];\n", n, n, str(o, "kind") ?: "?");
	}
	for (size_t i = 0; i < count(links); i++) {
		struct json_object *k = json_object_array_get_idx(links, i);
		struct json_object *nic = member(k, "nic", json_type_int);
		const char *node = str(k, "node"), *lan = str(k, "lan"), *ip = str(k, "ip");

		if (!node || !lan || !nic)
			continue;
		fprintf(out, "\t\"node:%s\" -- \"lan:%s\" [label=\"eth%d%s%s\"];\n", node, lan,
			json_object_get_int(nic), ip ? "\\n" : "", ip ? ip : "");
	}
	fputs("}\n", out);
}

static void render_mermaid(struct json_object *show, FILE *out)
{
	struct json_object *lans = member(show, "lans", json_type_array);
	struct json_object *nodes = member(show, "nodes", json_type_array);
	struct json_object *links = member(show, "links", json_type_array);

	fprintf(out, "flowchart LR\n");
	for (size_t i = 0; i < count(lans); i++) {
		const char *n = str(json_object_array_get_idx(lans, i), "name");

		if (n)
			fprintf(out, "    lan%zu([\"%s\"])\n", i, n);
	}
	for (size_t i = 0; i < count(nodes); i++) {
		struct json_object *o = json_object_array_get_idx(nodes, i);
		const char *n = str(o, "name");

		if (n)
			fprintf(out, "    node%zu[\"%s<br/>%s\"]\n", i, n, str(o, "kind") ?: "?");
	}
	for (size_t i = 0; i < count(links); i++) {
		struct json_object *k = json_object_array_get_idx(links, i);
		struct json_object *nic = member(k, "nic", json_type_int);
		long node = find(nodes, str(k, "node")), lan = find(lans, str(k, "lan"));
		const char *ip = str(k, "ip");

		if (node < 0 || lan < 0 || !nic)
			continue;
		fprintf(out, "    node%ld ---|\"eth%d%s%s\"| lan%ld\n", node, json_object_get_int(nic),
			ip ? " " : "", ip ? ip : "", lan);
	}
}

int graph_render(struct json_object *show, enum graph_format fmt, FILE *out)
{
	if (fmt == GRAPH_MERMAID)
		render_mermaid(show, out);
	else
		render_dot(show, out);
	return ferror(out) ? -EIO : 0;
}
