/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dataplane/args.c, the one integer-argument parser of the switch's
 * requests: required and optional members, null as absent, the default,
 * both ends of the range, negative ranges, values json-c keeps beyond
 * int64, and the exact messages clients and integration tests compare.
 * TAP.
 */
#include <errno.h>
#include <string.h>

#include "args.h"
#include "tap.h"

/* arg_int on the request text; *msg gets the error message ("" on success). */
static int run(const char *req_text, const struct int_arg *a, int64_t *out, bool *present, const char **msg)
{
	static struct vnl_err err;
	struct json_object *req = json_tokener_parse(req_text);
	int r;

	vnl_err_clear(&err);
	r = arg_int(req, a, out, present, &err);
	json_object_put(req);
	*msg = err.msg;
	return r;
}

int main(void)
{
	const struct int_arg mtu = { .key = "mtu", .min = 68, .max = 9000 },
			     vni = { .key = "vni", .min = 1, .max = 16777215, .required = true },
			     ovh = { .key = "overhead", .min = -64, .max = 256 },
			     seed = { .key = "seed", .min = 0, .max = INT64_MAX };
	const char *msg;
	bool present;
	int64_t v;
	int r;

	r = run("{\"mtu\": 1500}", &mtu, &v, &present, &msg);
	ok(r == 0 && v == 1500 && present && !msg[0], "a value in range is taken");
	r = run("{}", &mtu, &v, &present, &msg);
	ok(r == 0 && v == 0 && !present, "optional and absent: the default");
	r = run("{\"mtu\": null}", &mtu, &v, &present, &msg);
	ok(r == 0 && v == 0 && !present, "null counts as absent");
	r = run("{\"mtu\": 68}", &mtu, &v, NULL, &msg);
	ok(r == 0 && v == 68, "the minimum is included (present not wanted: NULL)");
	r = run("{\"mtu\": 9000}", &mtu, &v, NULL, &msg);
	ok(r == 0 && v == 9000, "the maximum is included");
	r = run("{\"mtu\": 67}", &mtu, &v, NULL, &msg);
	ok(r == -ERANGE && strcmp(msg, "argument 'mtu' must be in 68..9000") == 0, "below: %s", msg);
	r = run("{\"mtu\": 9001}", &mtu, &v, NULL, &msg);
	ok(r == -ERANGE && strcmp(msg, "argument 'mtu' must be in 68..9000") == 0, "above: %s", msg);
	r = run("{\"mtu\": \"1500\"}", &mtu, &v, NULL, &msg);
	ok(r == -EINVAL && strcmp(msg, "argument 'mtu' must be an integer") == 0, "a string: %s", msg);
	r = run("{\"mtu\": 1500.5}", &mtu, &v, NULL, &msg);
	ok(r == -EINVAL && strcmp(msg, "argument 'mtu' must be an integer") == 0, "a float: %s", msg);
	r = run("{}", &vni, &v, &present, &msg);
	ok(r == -EINVAL && !present && strcmp(msg, "missing argument 'vni'") == 0, "required and absent: %s", msg);
	r = run("{\"vni\": null}", &vni, &v, NULL, &msg);
	ok(r == -EINVAL && strcmp(msg, "missing argument 'vni'") == 0, "required and null: %s", msg);
	r = run("{\"vni\": 16777215}", &vni, &v, NULL, &msg);
	ok(r == 0 && v == 16777215, "required and given");
	r = run("{\"overhead\": -64}", &ovh, &v, NULL, &msg);
	ok(r == 0 && v == -64, "a negative minimum");
	r = run("{\"overhead\": -65}", &ovh, &v, NULL, &msg);
	ok(r == -ERANGE && strcmp(msg, "argument 'overhead' must be in -64..256") == 0, "below a negative minimum: %s",
	   msg);
	r = run("{\"seed\": 9223372036854775807}", &seed, &v, NULL, &msg);
	ok(r == 0 && v == INT64_MAX, "INT64_MAX itself");
	r = run("{\"seed\": 9223372036854775808}", &seed, &v, NULL, &msg);
	ok(r == -ERANGE && strcmp(msg, "argument 'seed' must be in 0..9223372036854775807") == 0,
	   "2^63 (json-c's uint64) is out of range: %s", msg);
	r = run("{\"seed\": -1}", &seed, &v, NULL, &msg);
	ok(r == -ERANGE, "-1 below 0");
	return tap_done();
}
