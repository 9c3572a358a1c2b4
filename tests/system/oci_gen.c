/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oci_gen: config.json from endpoints/oci.c for tests that drive crun.
 *
 *   oci_gen --root DIR --netns PATH --hostname NAME [--cwd DIR] [--env K=V]...
 *           [--bundle DIR] -- ARGV...
 *
 * With --bundle, writes DIR/config.json through oci_write(); else prints
 * the config on stdout.  Exit 0, or 1 with the error on stderr.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "oci.h"

#define ENV_MAX 64

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "cwd", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "netns", required_argument, NULL, 'n' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char *env[ENV_MAX + 1] = { NULL };
	struct oci_opts o = { .env = env };
	const char *bundle = NULL;
	struct json_object *cfg;
	struct vnl_err err;
	int c, nenv = 0, r = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': bundle = optarg; break;
		case 'c': o.cwd = optarg; break;
		case 'e':
			if (nenv == ENV_MAX) {
				fprintf(stderr, "oci_gen: more than %d --env\n", ENV_MAX);
				return 1;
			}
			env[nenv++] = optarg;
			break;
		case 'h': o.hostname = optarg; break;
		case 'n': o.netns_path = optarg; break;
		case 'r': o.root = optarg; break;
		default:
			fprintf(stderr, "usage: oci_gen --root DIR --netns PATH --hostname NAME [--cwd DIR] "
				"[--env K=V]... [--bundle DIR] -- ARGV...\n");
			return 1;
		}
	}
	o.argv = argv + optind;

	cfg = oci_config(&o, &err);
	if (!cfg) {
		fprintf(stderr, "oci_gen: %s\n", err.msg);
		return 1;
	}
	if (bundle)
		r = oci_write(bundle, cfg, &err);
	else
		puts(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (r < 0)
		fprintf(stderr, "oci_gen: %s\n", err.msg);
	json_object_put(cfg);
	return r < 0;
}
