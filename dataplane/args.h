/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Integer arguments of the switch's requests (commands.c, capture.c,
 * impair.c, port_vxlan.c): one member of the request object, checked
 * against a row that says its name, its range and whether it must be
 * given. The messages are the ones clients and tests compare:
 *   "missing argument 'KEY'"                 -EINVAL (required, absent)
 *   "argument 'KEY' must be an integer"      -EINVAL (a string, a float...)
 *   "argument 'KEY' must be in MIN..MAX"     -ERANGE (also beyond int64)
 * A member that is JSON null counts as absent (clients send null for
 * "not given"). The string and boolean parsers are port.h's.
 *
 * Thread-safety: none needed (no state); control thread in practice.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "dp.h"

/* One integer argument: a row of a caller's table. */
struct int_arg {
	const char *key;    /* the request's member */
	int64_t min, max;   /* accepted values, both included */
	int64_t def;        /* the value when absent (an optional argument) */
	bool required;      /* absent is an error, not def */
};

/* a->key of req into *out (def when absent and optional); *present
 * (NULL: not wanted) says whether it was given. 0, or -errno with err
 * filled (the messages above) and *out unspecified. */
int arg_int(struct json_object *req, const struct int_arg *a, int64_t *out, bool *present, struct vnl_err *err);
