/* SPDX-License-Identifier: GPL-2.0-only */
/* vnl's output helpers (vnl_print.h). */
#include <stdlib.h>
#include <string.h>

#include "vnl_print.h"

void vnl_print_json(struct json_object *reply)
{
	json_object_object_del(reply, "ok");
	puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *vnl_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long long vnl_jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return (long long)json_object_get_int64(v);
}

struct json_object *vnl_jarr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

const char *vnl_jtext(struct json_object *v, char *buf, size_t len)
{
	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_null:
		return "-";
	case json_type_string:
		return json_object_get_string(v);
	default:
		snprintf(buf, len, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
		return buf;
	}
}

void vnl_table_init(struct vnl_table *t, unsigned cols)
{
	*t = (struct vnl_table){ .cols = cols };
}

void vnl_table_row(struct vnl_table *t, const char *const cells[])
{
	if (t->rows == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, (size_t)cap * t->cols * sizeof(*c));

		if (c == NULL)
			return; /* out of memory: the row is left out */
		t->cells = c;
		t->cap = cap;
	}
	for (unsigned i = 0; i < t->cols; i++)
		t->cells[(size_t)t->rows * t->cols + i] = strdup(cells[i] ? cells[i] : "-");
	t->rows++;
}

void vnl_table_print(struct vnl_table *t, FILE *f, const char *indent)
{
	size_t width[t->cols ? t->cols : 1];

	memset(width, 0, sizeof(width));
	for (unsigned r = 0; r < t->rows; r++)
		for (unsigned c = 0; c < t->cols; c++) {
			const char *s = t->cells[(size_t)r * t->cols + c];
			size_t n = s ? strlen(s) : 0;

			width[c] = n > width[c] ? n : width[c];
		}
	for (unsigned r = 0; r < t->rows; r++) {
		fputs(indent, f);
		for (unsigned c = 0; c < t->cols; c++) {
			const char *s = t->cells[(size_t)r * t->cols + c];

			s = s ? s : "-";
			if (c + 1 < t->cols)
				fprintf(f, "%-*s  ", (int)width[c], s);
			else
				fprintf(f, "%s\n", s);
		}
	}
	for (size_t i = 0; i < (size_t)t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	vnl_table_init(t, t->cols);
}
