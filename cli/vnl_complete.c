/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl __complete nodes|lans|nics|kinds`: names for completion/vnl.bash, one
 * per line. Asks a running vnld only (never starts one) with a short
 * deadline, and prints nothing, successfully, when there is none: a
 * completion must never fail loudly or hang the shell.
 */
#include <stdio.h>
#include <string.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

#define COMPLETE_TIMEOUT 2  /* seconds */

int vnl_cmd_complete(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *arr;
	const char *what;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	what = argv[optind];
	if (strcmp(what, "kinds") == 0) {
		/* What `vnl add` accepts, implemented yet or not. */
		for (int k = 0; k < TOPO_KIND_COUNT; k++)
			puts(topo_kind_name((enum topo_kind)k));
		return VNL_EXIT_OK;
	}
	if (strcmp(what, "nodes") && strcmp(what, "lans") && strcmp(what, "nics"))
		return vnl_usage_error(cli, "__complete: '%s' is not nodes, lans, nics or kinds", what);
	req = vnl_req("show");
	r = vnl_call(cli->lab, req, COMPLETE_TIMEOUT, &reply, NULL);
	json_object_put(req);
	if (r < 0)
		return VNL_EXIT_OK;
	arr = vnl_jarr(reply, strcmp(what, "lans") ? "nodes" : "lans");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *name = vnl_jstr(o, "name");

		if (name == NULL)
			continue;
		if (strcmp(what, "nics"))
			puts(name);
		else
			for (long long n = 0; n < vnl_jint(o, "nics", 1); n++)
				printf("%s:%lld\n", name, n);
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}
