/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl impair NODE:N [--dir in|out|both] KEY OPTIONS...`, `vnl impair NODE:N
 * --clear [--dir D]` and `vnl impair NODE:N` (print the link's sets): netem's
 * impairments of a link, as vnld's `impair` request (docs/vnld.md). A
 * direction's set is replaced whole, like `tc qdisc replace`: the options
 * given are the new set. The values are netem's words (model/impair_text.c
 * checks them here first, so a typo is a usage error before anything is
 * sent); `out` is what NODE sends, `in` what it receives.
 *
 * The option table below is the one list of the verb's words: getopt's
 * table, the help text and `vnl __complete impair` come from it.
 */
#include <stdio.h>
#include <string.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

/* Options besides the impairment keys (TOPO_IMP_KEYS indexes those). */
enum { OPT_DIR = TOPO_IMP_KEYS, OPT_CLEAR, OPT_DIST, OPT_COUNT };

static const struct {
	const char *name;	/* long option; the key word for keys */
	const char *metavar;	/* its value, or NULL for a flag */
	const char *help;
} opts[OPT_COUNT] = {
	[TOPO_IMP_DELAY] = { "delay", "T", "delay every frame by T (20ms, 1.5s, 250us)" },
	[TOPO_IMP_JITTER] = { "jitter", "T", "add -T..T to the delay (normal: T is sigma)" },
	[TOPO_IMP_DIST] = { "distribution", "D", "jitter's shape: uniform or normal [uniform]" },
	[TOPO_IMP_LOSS] = { "loss", "P", "drop P of the frames (1%), or 'gemodel P R 1-H 1-K'" },
	[TOPO_IMP_RATE] = { "rate", "R", "shape to R (100mbit, 1gbit, 10mbps: bytes)" },
	[TOPO_IMP_BURST] = { "burst", "SIZE", "with rate: let SIZE bytes pass at once (64kb)" },
	[TOPO_IMP_LIMIT] = { "limit", "N", "at most N frames queued [1000]" },
	[TOPO_IMP_OVERHEAD] = { "overhead", "B", "with rate: B bytes more per frame (-64..256)" },
	[TOPO_IMP_DUPLICATE] = { "duplicate", "P", "send P of the frames twice" },
	[TOPO_IMP_REORDER] = { "reorder", "P", "with delay: send P of the frames at once" },
	[TOPO_IMP_GAP] = { "gap", "N", "with reorder: only every Nth frame may go early" },
	[TOPO_IMP_CORRUPT] = { "corrupt", "P", "flip one bit in P of the frames" },
	[TOPO_IMP_SEED] = { "seed", "N", "the random decisions' seed (same seed, same drops)" },
	[OPT_DIR] = { "dir", "D", "in (what NODE receives), out (what it sends) or both [both]" },
	[OPT_CLEAR] = { "clear", NULL, "remove the direction's impairments" },
	[OPT_DIST] = { "dist", "D", "short for --distribution" },
};

/* `vnl impair --help`'s option lines, from opts[] (verb table: vnl.c). */
char vnl_impair_options[2048];

static void fill_help(void)
{
	size_t at = 0;

	for (unsigned i = 0; i < OPT_COUNT && at < sizeof(vnl_impair_options); i++) {
		char left[32];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
			 opts[i].metavar ? opts[i].metavar : "");
		at += (size_t)snprintf(vnl_impair_options + at, sizeof(vnl_impair_options) - at, "      %-15s %s\n", left,
				       opts[i].help);
	}
}

void vnl_impair_words(void)
{
	for (unsigned i = 0; i < OPT_COUNT; i++)
		printf("--%s\n", opts[i].name);
}

/* "out: delay 20ms loss 1%" lines of a link's `impair` object (vnld's LINK). */
static void print_sets(const char *ref, struct json_object *impair)
{
	static const char *const dirs[] = { "out", "in" };
	bool any = false;

	for (unsigned d = 0; d < 2; d++) {
		struct json_object *set;

		if (!impair || !json_object_object_get_ex(impair, dirs[d], &set))
			continue;
		printf("%s %s:", ref, dirs[d]);
		json_object_object_foreach(set, key, val)
			printf(" %s %s", key, json_object_get_string(val));
		putchar('\n');
		any = true;
	}
	if (!any)
		printf("%s: no impairments\n", ref);
}

/* `vnl impair NODE:N` alone: the sets, from `show NODE`. */
static int show_sets(struct vnl_cli *cli, const char *node, unsigned nic, const char *ref)
{
	struct json_object *req = vnl_req("show"), *reply, *n, *links, *impair = NULL;
	bool linked = false;
	int r;

	json_object_object_add(req, "name", json_object_new_string(node));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (!json_object_object_get_ex(reply, "node", &n)) {
		json_object_put(reply);
		return vnl_fail("no node named '%s' in lab %s", node, cli->lab);
	}
	links = vnl_jarr(n, "links");
	for (size_t i = 0; links && i < json_object_array_length(links); i++) {
		struct json_object *k = json_object_array_get_idx(links, i);

		if (vnl_jint(k, "nic", -1) == nic) {
			linked = true;
			json_object_object_get_ex(k, "impair", &impair);
		}
	}
	if (!linked)
		r = vnl_fail("%s is not linked (impairments are a link's)", ref);
	else if (cli->json && impair)
		vnl_print_json(impair);
	else if (cli->json)
		puts("{}");
	else
		print_sets(ref, impair);
	json_object_put(reply);
	return r >= 0 ? r : VNL_EXIT_OK;
}

int vnl_cmd_impair(struct vnl_cli *cli, int argc, char **argv)
{
	struct option longopts[OPT_COUNT + 1];
	const char *val[OPT_COUNT] = { NULL };
	struct topo_impair imp = { 0 };
	struct json_object *req, *reply, *k;
	char node[TOPO_NAME_MAX + 1], msg[160], ref[TOPO_NAME_MAX + 8];
	bool clear = false, keys = false;
	struct vnl_err err;
	unsigned nic;
	int c, r;

	fill_help();
	for (unsigned i = 0; i < OPT_COUNT; i++)
		longopts[i] = (struct option){ opts[i].name, opts[i].metavar ? required_argument : no_argument, NULL,
					       0x100 + (int)i };
	longopts[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = vnl_getopt(cli, argc, argv, "", longopts)) != -1) {
		unsigned i = (unsigned)c - 0x100;

		if (c < 0x100 || i >= OPT_COUNT)
			return vnl_opt_exit(cli, c);
		if (i == OPT_DIST)
			i = TOPO_IMP_DIST;
		if (i == OPT_CLEAR)
			clear = true;
		else
			val[i] = optarg;
		/* Each value checked by the model's own parser. */
		if (i < TOPO_IMP_KEYS && topo_impair_set(&imp, i, optarg, 0, 0, &err) < 0)
			return vnl_usage_error(cli, "%s", err.msg);
		keys |= i < TOPO_IMP_KEYS;
	}
	if (argc - optind != 1)
		return vnl_usage_error(cli, "impair: %s", argc - optind ? "one NODE:N at a time" : "missing NODE:N");
	if (vnl_parse_nic(argv[optind], node, &nic, msg, sizeof(msg)) < 0)
		return vnl_usage_error(cli, "%s", msg);
	if (val[OPT_DIR] && strcmp(val[OPT_DIR], "in") && strcmp(val[OPT_DIR], "out") && strcmp(val[OPT_DIR], "both"))
		return vnl_usage_error(cli, "--dir must be in, out or both, not '%s'", val[OPT_DIR]);
	snprintf(ref, sizeof(ref), "%s:%u", node, nic);
	if (clear && keys)
		return vnl_usage_error(cli, "--clear takes no impairment options");
	if (!clear && !keys)
		return val[OPT_DIR] ? vnl_usage_error(cli, "impair: --dir without impairments (or --clear)")
				    : show_sets(cli, node, nic, ref);
	if (topo_impair_check(&imp, NULL, 0, 0, &err) < 0)
		return vnl_usage_error(cli, "%s", err.msg);
	req = vnl_req("impair");
	json_object_object_add(req, "node", json_object_new_string(node));
	json_object_object_add(req, "nic", json_object_new_int((int)nic));
	if (val[OPT_DIR])
		json_object_object_add(req, "dir", json_object_new_string(val[OPT_DIR]));
	if (clear)
		json_object_object_add(req, "clear", json_object_new_boolean(1));
	for (unsigned i = 0; i < TOPO_IMP_KEYS; i++)
		if (val[i])
			json_object_object_add(req, topo_impair_keys[i], json_object_new_string(val[i]));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (cli->json)
		vnl_print_json(reply);
	else if (json_object_object_get_ex(reply, "link", &k)) {
		struct json_object *impair = NULL;

		json_object_object_get_ex(k, "impair", &impair);
		print_sets(ref, impair);
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}
