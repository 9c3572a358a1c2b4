/* SPDX-License-Identifier: GPL-2.0-only */
/* Integer arguments of requests. See args.h. */
#include <errno.h>

#include "args.h"

int arg_int(struct json_object *req, const struct int_arg *a, int64_t *out, bool *present, struct vnl_err *err)
{
	struct json_object *v;
	bool given = json_object_object_get_ex(req, a->key, &v) && !json_object_is_type(v, json_type_null);
	int64_t x;

	if (present != NULL)
		*present = given;
	*out = a->def;
	if (!given)
		return a->required ? vnl_errf(err, -EINVAL, "missing argument '%s'", a->key) : 0;
	if (!json_object_is_type(v, json_type_int))
		return vnl_errf(err, -EINVAL, "argument '%s' must be an integer", a->key);
	/* json-c keeps integers above INT64_MAX as uint64 and reads them as INT64_MAX. */
	x = json_object_get_int64(v);
	if (x < a->min || x > a->max || (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return vnl_errf(err, -ERANGE, "argument '%s' must be in %lld..%lld", a->key, (long long)a->min,
				(long long)a->max);
	*out = x;
	return 0;
}
