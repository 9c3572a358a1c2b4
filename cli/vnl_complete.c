/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl __complete nodes|lans|nics|links|kinds|options [KIND|lan]|values OPTION|impair`: words
 * for completion/vnl.bash, one per line. kinds, options and values come from
 * the kinds' schemas (options: `vnl add`'s --nics and the long options of
 * KIND, or of every kind without one, then their one-letter forms; each
 * takes a value; values: the words of a choice option, e.g. nic-type; links:
 * the linked NODE:N, what vnl capture takes besides LANs; impair: the long
 * options of `vnl impair`). The names of objects come from a
 * running vnld only (never starts one) with a short deadline, and nothing
 * is printed, successfully, when there is none: a completion must never
 * fail loudly or hang the shell.
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
	const struct topo_kind *const *kinds = topo_kinds();
	int r = vnl_args(cli, argc, argv, 1, 2);

	if (r >= 0)
		return r;
	what = argv[optind];
	if (strcmp(what, "kinds") == 0) {
		for (unsigned k = 0; kinds[k]; k++)
			puts(kinds[k]->name);
		return VNL_EXIT_OK;
	}
	if (strcmp(what, "options") == 0 && optind + 1 < argc && !strcmp(argv[optind + 1], "lan")) {
		/* `vnl add lan` and `vnl set lan`: the LAN's options. */
		static const char *const lan_opts[] = { "--mtu", "--vxlan", "--remote", "--underlay", "--local",
							"--dstport" };

		for (size_t i = 0; i < sizeof(lan_opts) / sizeof(lan_opts[0]); i++)
			puts(lan_opts[i]);
		return VNL_EXIT_OK;
	}
	if (strcmp(what, "options") == 0) {
		const struct topo_kind *only = optind + 1 < argc ? topo_kind_find(argv[optind + 1]) : NULL;

		/* Each name once: kinds may share one (image, mem). */
		for (int letters = 0; letters < 2; letters++) {
			puts(letters ? "-n" : "--nics");
			for (unsigned k = 0; kinds[k]; k++)
				for (unsigned i = 0; (!only || kinds[k] == only) && i < kinds[k]->n_opts; i++) {
					const struct topo_opt *o = &kinds[k]->opts[i];
					bool seen = false;

					for (unsigned j = 0; j < k && !only && !seen; j++)
						seen = topo_opt_index(kinds[j], o->name) >= 0;
					if (!seen && !letters)
						printf("--%s\n", o->name);
					else if (!seen && o->short_opt)
						printf("-%c\n", o->short_opt);
				}
		}
		return VNL_EXIT_OK;
	}
	if (strcmp(what, "impair") == 0) {
		vnl_impair_words();
		return VNL_EXIT_OK;
	}
	if (strcmp(what, "values") == 0) {
		const char *name = optind + 1 < argc ? argv[optind + 1] : "";

		/* The first kind that has it: kinds share the words (topo_kinds_check()). */
		for (unsigned k = 0; kinds[k]; k++) {
			int i = topo_opt_index(kinds[k], name);

			if (i < 0 || kinds[k]->opts[i].type != TOPO_OPT_ENUM)
				continue;
			for (unsigned c = 0; kinds[k]->opts[i].choices[c]; c++)
				puts(kinds[k]->opts[i].choices[c]);
			break;
		}
		return VNL_EXIT_OK;
	}
	if (optind + 1 < argc)
		return vnl_usage_error(cli, "__complete %s: unexpected argument '%s'", what, argv[optind + 1]);
	if (strcmp(what, "nodes") && strcmp(what, "lans") && strcmp(what, "nics") && strcmp(what, "links"))
		return vnl_usage_error(cli, "__complete: '%s' is not nodes, lans, nics, links, kinds, options, values or impair",
				       what);
	req = vnl_req("show");
	r = vnl_call(cli->lab, req, COMPLETE_TIMEOUT, &reply, NULL);
	json_object_put(req);
	if (r < 0)
		return VNL_EXIT_OK;
	if (!strcmp(what, "links")) {
		arr = vnl_jarr(reply, "links");
		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			struct json_object *k = json_object_array_get_idx(arr, i);

			if (vnl_jstr(k, "node"))
				printf("%s:%lld\n", vnl_jstr(k, "node"), vnl_jint(k, "nic", 0));
		}
		json_object_put(reply);
		return VNL_EXIT_OK;
	}
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
