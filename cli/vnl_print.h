/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl's output helpers: -j printing of replies, aligned text tables, and
 * tolerant readers of reply members (a member of the wrong type or absent
 * reads as NULL / the default, so a partial reply prints what it has).
 *
 * Thread-safety: none (vnl is single-threaded).
 */
#pragma once

#include <stdio.h>

#include <json-c/json.h>

/* -j: the reply without its "ok" member, pretty-printed, on stdout. */
void vnl_print_json(struct json_object *reply);

/* The string member key of o, or NULL. */
const char *vnl_jstr(struct json_object *o, const char *key);
/* The integer member key of o, or dflt. */
long long vnl_jint(struct json_object *o, const char *key, long long dflt);
/* The array member key of o, or NULL. */
struct json_object *vnl_jarr(struct json_object *o, const char *key);
/* Any scalar as text ("-" for null/absent, compact JSON for containers); buf holds it. */
const char *vnl_jtext(struct json_object *v, char *buf, size_t len);

/*
 * A text table: rows of `cols` cells, printed with every column as wide as
 * its widest cell, two spaces apart, the last column not padded.
 */
struct vnl_table {
	unsigned cols;     /* cells per row */
	unsigned rows;     /* rows added */
	char **cells;      /* rows * cols copies, row-major */
	unsigned cap;      /* rows allocated */
};

void vnl_table_init(struct vnl_table *t, unsigned cols);
/* Append a row of t->cols cells (NULL prints as "-"). */
void vnl_table_row(struct vnl_table *t, const char *const cells[]);
/* Print every row, each line starting with indent; then free the cells. */
void vnl_table_print(struct vnl_table *t, FILE *f, const char *indent);
