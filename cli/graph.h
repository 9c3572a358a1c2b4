/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab topology as a drawing: Graphviz (dot) or Mermaid text rendered
 * from the reply of vnld's `show` (no name): LANs and nodes are the
 * vertices, each link an edge node -- LAN labelled with the interface
 * ("eth0") and its address when it has one.
 *
 * Pure: reads the JSON, writes the text, touches nothing else; a member
 * missing or of the wrong type is skipped, so any show reply renders.
 * Thread-safety: none needed (no shared state).
 */
#pragma once

#include <stdio.h>

struct json_object;

enum graph_format {
	GRAPH_DOT,       /* Graphviz: `graph LAB { ... }` */
	GRAPH_MERMAID,   /* Mermaid: `flowchart LR` */
};

/* "dot", "mermaid"; -1 when unknown. */
int graph_format_parse(const char *s);

/*
 * Write the drawing of `show` to out. Returns 0, or -EIO when out reports
 * a write error (ferror); the caller owns flushing and closing out.
 */
int graph_render(struct json_object *show, enum graph_format fmt, FILE *out);
