/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs that change the topology one object at a time: add, del, link,
 * unlink. Names, NODE:N references, numbers and addresses are checked here
 * first (usage errors, exit 2), so that a typo never starts a lab; vnld
 * checks everything again and has the last word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

static int check_name(const struct vnl_cli *cli, const char *name, const char *what)
{
	struct vnl_err e;

	if (topo_check_name(name, what, 0, 0, &e) < 0)
		return vnl_usage_error(cli, "%s", e.msg);
	return -1;
}

/* Send req (consumed) and print the reply: JSON with -j, else through text(). */
static int run(struct vnl_cli *cli, struct json_object *req,
	       void (*text)(struct json_object *req, struct json_object *reply))
{
	struct json_object *reply;
	int r;

	json_object_get(req); /* text() reads it after vnl_ask() let go of it */
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0) {
		json_object_put(req);
		return r;
	}
	if (cli->json)
		vnl_print_json(reply);
	else
		text(req, reply);
	json_object_put(reply);
	json_object_put(req);
	return VNL_EXIT_OK;
}

static void added_text(struct json_object *req, struct json_object *reply)
{
	struct json_object *o;

	if (json_object_object_get_ex(reply, "node", &o))
		printf("added node %s (%s, %lld nic%s)\n", vnl_jstr(o, "name") ?: vnl_jstr(req, "name"),
		       vnl_jstr(o, "kind") ?: "?", vnl_jint(o, "nics", 1),
		       vnl_jint(o, "nics", 1) == 1 ? "" : "s");
	else if (json_object_object_get_ex(reply, "lan", &o))
		printf("added LAN %s (mtu %lld%s)\n", vnl_jstr(req, "name"), vnl_jint(o, "mtu", TOPO_LAN_MTU_DEF),
		       json_object_object_get_ex(o, "vxlan", NULL) ? ", vxlan: vnl show for its underlay" : "");
	else
		printf("added LAN %s\n", vnl_jstr(req, "name"));
}

/*
 * The options of `vnl add`: --nics, then every option name of the kinds'
 * schemas once (the first kind that has it gives its type and letter), its
 * range the widest of the kinds'; the kind given decides afterwards.
 */
struct add_opt {
	const struct topo_opt *o;  /* the first kind's entry (nics_opt for --nics) */
	unsigned min, max;         /* UINT: the union of the kinds' ranges */
};

/* One option given on the command line, in order (lists accumulate). */
struct add_given {
	const struct add_opt *a;
	const char *v;
};

#define ADD_OPTS_MAX (TOPO_KINDS_MAX * TOPO_OPTS_MAX + 1)
#define ADD_OPT_LONG 0x100  /* getopt value of an option without a letter: + index */

static const struct topo_opt nics_opt = {
	.name = "nics", .short_opt = 'n', .type = TOPO_OPT_UINT, .min = 1, .max = TOPO_NICS_MAX, .def = 1,
	.metavar = "N", .help = "interfaces eth0..eth(N-1)",
};

/* `vnl add lan LAN --mtu N`: the LAN's mtu (the help says the vxlan
 * default and ceiling: vnld decides them, lab_vxlan.c). */
static const struct topo_opt mtu_opt = {
	.name = "mtu", .type = TOPO_OPT_UINT, .min = TOPO_LAN_MTU_MIN, .max = TOPO_LAN_MTU_MAX,
	.def = TOPO_LAN_MTU_DEF, .metavar = "N",
	.help = "largest IP packet on the LAN (vxlan: [underlay mtu - 50, IPv6 - 70], at most 3456/3436)",
};

/* `vnl add lan LAN --vxlan VNI ...`: a LAN stretched to other hosts
 * (docs/plans/vxlan.md 2.9); members of vnld's lan-add of the same names. */
static const struct topo_opt vx_opts[] = {
	{ .name = "vxlan", .type = TOPO_OPT_UINT, .min = 1, .max = TOPO_VXLAN_VNI_MAX, .metavar = "VNI",
	  .help = "stretch the LAN to other hosts: its VXLAN id" },
	{ .name = "remote", .type = TOPO_OPT_LIST, .metavar = "IP[,IP...]",
	  .help = "the other hosts' underlay addresses, one family (vxlan)" },
	{ .name = "underlay", .type = TOPO_OPT_TEXT, .metavar = "IFACE",
	  .help = "host interface to them [the route's to the first remote; needed without --remote]" },
	{ .name = "local", .type = TOPO_OPT_TEXT, .metavar = "IP", .help = "this host's address there [the route's]" },
	{ .name = "dstport", .type = TOPO_OPT_UINT, .min = 1, .max = 65535, .def = TOPO_VXLAN_DSTPORT_DEF,
	  .metavar = "N", .help = "UDP port of the vxlan" },
};
#define N_VX_OPTS (sizeof(vx_opts) / sizeof(vx_opts[0]))

/* A LAN option (mtu or vxlan), not a node's. */
static bool lan_opt(const struct topo_opt *o)
{
	return o == &mtu_opt || (o >= vx_opts && o < vx_opts + N_VX_OPTS);
}

/* The options of every kind, each name once, into opts[]; returns how many. */
static unsigned add_opts(struct add_opt *opts)
{
	const struct topo_kind *const *k = topo_kinds();
	unsigned n = 2;

	opts[0] = (struct add_opt){ &nics_opt, 1, TOPO_NICS_MAX };
	opts[1] = (struct add_opt){ &mtu_opt, TOPO_LAN_MTU_MIN, TOPO_LAN_MTU_MAX };
	for (unsigned i = 0; i < N_VX_OPTS; i++)
		opts[n++] = (struct add_opt){ &vx_opts[i], vx_opts[i].min, vx_opts[i].max };
	for (unsigned i = 0; k[i]; i++) {
		for (unsigned j = 0; j < k[i]->n_opts; j++) {
			const struct topo_opt *o = &k[i]->opts[j];
			unsigned m;

			for (m = 0; m < n && strcmp(opts[m].o->name, o->name); m++)
				;
			if (m == n && n < ADD_OPTS_MAX)
				opts[n++] = (struct add_opt){ o, o->min, o->max };
			else if (m < n) {
				opts[m].min = o->min < opts[m].min ? o->min : opts[m].min;
				opts[m].max = o->max > opts[m].max ? o->max : opts[m].max;
			}
		}
	}
	return n;
}

/* getopt's value of opts[i]: its letter, else ADD_OPT_LONG + i. */
static int add_val(const struct add_opt *opts, unsigned i)
{
	return opts[i].o->short_opt ? opts[i].o->short_opt : ADD_OPT_LONG + (int)i;
}

/* getopt's tables for opts[]. */
static void add_getopt(const struct add_opt *opts, unsigned n, struct option *lo, char *so)
{
	for (unsigned i = 0; i < n; i++) {
		lo[i] = (struct option){ opts[i].o->name, required_argument, NULL, add_val(opts, i) };
		if (opts[i].o->short_opt) {
			*so++ = opts[i].o->short_opt;
			*so++ = ':';
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	*so = '\0';
}

/* The syntax of one value of option a (usage error, exit 2), before the kind is known:
 * numbers in the widest range of the kinds', env entries KEY=VALUE. */
static int add_check(const struct vnl_cli *cli, const struct add_opt *a, const char *v)
{
	const struct topo_opt range = { .min = a->min, .max = a->max };
	struct vnl_err e;
	unsigned u;

	if (a->o->type == TOPO_OPT_UINT && topo_parse_uint(&range, v, "", 0, 0, &u, NULL) < 0)
		return vnl_usage_error(cli, "--%s must be a number in %u..%u, not '%s'", a->o->name, a->min,
				       a->max, v);
	/* Kinds sharing a choice option share its words (topo_kinds_check()). */
	if (a->o->type == TOPO_OPT_ENUM) {
		char what[64];

		snprintf(what, sizeof(what), "--%s", a->o->name);
		if (topo_parse_enum(a->o, v, what, 0, 0, &u, &e) < 0)
			return vnl_usage_error(cli, "%s", e.msg);
	}
	/* Texts go to vnld as typed: its one-line refusal names the field and the rule. */
	if (a->o->type == TOPO_OPT_ENV && topo_check_env(v, 0, 0, &e) < 0)
		return vnl_usage_error(cli, "--%s %s: %s", a->o->name, v, e.msg);
	return -1;
}

/* Option o = v into the node-add request req (lists accumulate). */
static void add_value(struct json_object *req, const struct topo_opt *o, const char *v)
{
	const char *key = o->req ? o->req : o->name;
	struct json_object *list;

	switch (o->type) {
	case TOPO_OPT_UINT:
		json_object_object_add(req, key, json_object_new_int64(strtol(v, NULL, 10)));
		break;
	case TOPO_OPT_TEXT:
	case TOPO_OPT_ENUM:
		json_object_object_add(req, key, json_object_new_string(v));
		break;
	default:
		if (!json_object_object_get_ex(req, key, &list)) {
			list = json_object_new_array();
			json_object_object_add(req, key, list);
		}
		json_object_array_add(list, json_object_new_string(v));
	}
}

char vnl_add_synopsis[1024], vnl_add_options[4096];

/* "-i, --image IMG" or "    --pids N". */
static void opt_words(const struct topo_opt *o, char *buf, size_t size)
{
	if (o->short_opt)
		snprintf(buf, size, "-%c, --%s %s", o->short_opt, o->name, o->metavar);
	else
		snprintf(buf, size, "    --%s %s", o->name, o->metavar);
}

/* One option's help line: its text, range, unit and default. */
static size_t opt_line(char *buf, size_t size, const struct topo_opt *o)
{
	char words[48], range[64] = "";

	opt_words(o, words, sizeof(words));
	if (o->type == TOPO_OPT_ENUM)  /* its help names the words */
		snprintf(range, sizeof(range), " [%s]", o->choices[o->def]);
	else if (o->type == TOPO_OPT_UINT && o->def)
		snprintf(range, sizeof(range), ", %u..%u%s%s [%u]", o->min, o->max, o->unit ? " " : "",
			 o->unit ? o->unit : "", o->def);
	else if (o->type == TOPO_OPT_UINT)
		snprintf(range, sizeof(range), ", %u..%u%s%s", o->min, o->max, o->unit ? " " : "",
			 o->unit ? o->unit : "");
	return (size_t)snprintf(buf, size, "  %-18s  %s%s\n", words, o->help, range);
}

void vnl_add_help(void)
{
	const struct topo_kind *const *k = topo_kinds();
	size_t s = 0, o = 0;

	s += (size_t)snprintf(vnl_add_synopsis, sizeof(vnl_add_synopsis), "lan LAN [--mtu N] [--vxlan VNI --remote "
			      "IP[,IP...] [--underlay IFACE] [--local IP] [--dstport N]]");
	o += (size_t)snprintf(vnl_add_options, sizeof(vnl_add_options), "LAN:\n");
	o += opt_line(vnl_add_options + o, sizeof(vnl_add_options) - o, &mtu_opt);
	for (unsigned i = 0; i < N_VX_OPTS; i++)
		o += opt_line(vnl_add_options + o, sizeof(vnl_add_options) - o, &vx_opts[i]);
	o += (size_t)snprintf(vnl_add_options + o, sizeof(vnl_add_options) - o, "Every node:\n");
	o += opt_line(vnl_add_options + o, sizeof(vnl_add_options) - o, &nics_opt);
	for (unsigned i = 0; k[i] && s < sizeof(vnl_add_synopsis) && o < sizeof(vnl_add_options); i++) {
		s += (size_t)snprintf(vnl_add_synopsis + s, sizeof(vnl_add_synopsis) - s, "\n%s NODE [--nics N]",
				      k[i]->name);
		o += (size_t)snprintf(vnl_add_options + o, sizeof(vnl_add_options) - o, "Kind %s: %s%s\n",
				      k[i]->name, k[i]->help, k[i]->n_opts ? "" : " (no options)");
		for (unsigned j = 0; j < k[i]->n_opts && s < sizeof(vnl_add_synopsis) && o < sizeof(vnl_add_options);
		     j++) {
			const struct topo_opt *opt = &k[i]->opts[j];

			s += (size_t)snprintf(vnl_add_synopsis + s, sizeof(vnl_add_synopsis) - s, " [--%s %s]%s",
					      opt->name, opt->metavar, opt->type == TOPO_OPT_UINT ||
					      opt->type == TOPO_OPT_TEXT || opt->type == TOPO_OPT_ENUM ? "" : "...");
			o += opt_line(vnl_add_options + o, sizeof(vnl_add_options) - o, opt);
		}
	}
}

/*
 * The node-add request for node `name` of `kind` with the options given,
 * into *req; an option the kind lacks fails (exit 1, naming the kinds that
 * have it) before any lab is started. -1 when done, else the exit status.
 */
static int node_req(const struct topo_kind *kind, const char *name, const struct add_given *given,
		    unsigned n_given, struct json_object **req)
{
	char owners[128];

	*req = vnl_req("node-add");
	json_object_object_add(*req, "kind", json_object_new_string(kind->name));
	for (unsigned i = 0; i < n_given; i++) {
		const struct topo_opt *o = given[i].a->o;
		int k = o == &nics_opt ? 0 : topo_opt_index(kind, o->name);

		if (o == &mtu_opt) {
			json_object_put(*req);
			return vnl_fail("node '%s': --mtu is for LANs (vnl add lan LAN --mtu N): a NIC takes its LAN's", name);
		}
		if (lan_opt(o)) {
			json_object_put(*req);
			return vnl_fail("node '%s': --%s is for LANs (vnl add lan LAN --vxlan VNI --%s ...)", name, o->name,
					o->name);
		}
		if (k < 0) {
			json_object_put(*req);
			topo_opt_owners(o->name, false, owners, sizeof(owners));
			return vnl_fail("node '%s': %s is for %s, not %s", name, o->name, owners, kind->name);
		}
		add_value(*req, o == &nics_opt ? o : &kind->opts[k], given[i].v);
	}
	return -1;
}

/*
 * The options of `vnl add` (or `vnl set`: none_ok, the word "none" passes
 * unchecked) into given[] (*n_given of them, opts[] filled); -1 when
 * done, else the exit status.
 */
static int add_parse(struct vnl_cli *cli, int argc, char **argv, bool none_ok, struct add_opt *opts,
		     struct add_given *given, unsigned *n_given)
{
	struct option lo[ADD_OPTS_MAX + 1];
	char so[2 * ADD_OPTS_MAX + 1];
	unsigned n = add_opts(opts);
	int c, r = -1;

	add_getopt(opts, n, lo, so);
	while (r < 0 && (c = vnl_getopt(cli, argc, argv, so, lo)) != -1) {
		unsigned i;

		for (i = 0; i < n && add_val(opts, i) != c; i++)
			;
		if (i == n)
			r = vnl_opt_exit(cli, c);
		else if ((none_ok && !strcmp(optarg, "none")) || (r = add_check(cli, &opts[i], optarg)) < 0)
			given[(*n_given)++] = (struct add_given){ &opts[i], optarg };
	}
	return r;
}

/*
 * The lan-add (or lan-set) request `cmd` with the LAN options given into
 * *req: --mtu, --vxlan and its own (remotes comma-separated, or given
 * again; "none" clears a text in lan-set, --mtu 0 an mtu). A node's option
 * is a usage error. -1 when done, else the exit status.
 */
static int lan_req(const struct vnl_cli *cli, const char *cmd, const struct add_given *given, unsigned n_given,
		   struct json_object **req)
{
	bool set = !strcmp(cmd, "lan-set");
	struct json_object *rem = NULL;
	bool vni = false, vx_other = false;
	struct vnl_err e;

	for (unsigned i = 0; i < n_given; i++) {
		const struct topo_opt *o = given[i].a->o;

		if (!lan_opt(o))
			return vnl_usage_error(cli, "%s: --%s is a node's option", set ? "set lan" : "add lan", o->name);
		vni = vni || o == &vx_opts[0];
		vx_other = vx_other || (o != &mtu_opt && o != &vx_opts[0]);
		if (o == &vx_opts[1] && topo_vxlan_set_remotes(&(struct topo_vxlan){ 0 }, given[i].v, "--remote", &e) < 0)
			return vnl_usage_error(cli, "%s", e.msg);
		if (o == &vx_opts[3] && strcmp(given[i].v, "none") &&
		    topo_vxlan_parse_addr(given[i].v, "--local", 0, 0, &(int){ 0 }, (uint8_t[16]){ 0 }, &e) < 0)
			return vnl_usage_error(cli, "%s", e.msg);
		if (o == &vx_opts[2] && strcmp(given[i].v, "none") && topo_vxlan_check_ifname(given[i].v, &e) < 0)
			return vnl_usage_error(cli, "--underlay: %s", e.msg);
	}
	if (!set && vx_other && !vni)
		return vnl_usage_error(cli, "add lan: --remote, --underlay, --local and --dstport need --vxlan VNI");
	*req = vnl_req(cmd);
	for (unsigned i = 0; i < n_given; i++) {
		const struct topo_opt *o = given[i].a->o;
		bool none = !strcmp(given[i].v, "none");

		if (o == &vx_opts[1]) {
			char buf[64 * TOPO_VXLAN_REMOTES_MAX], *save = NULL;

			if (rem == NULL) {
				rem = json_object_new_array();
				json_object_object_add(*req, "remote", rem);
			}
			snprintf(buf, sizeof(buf), "%s", none ? "" : given[i].v);
			for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				json_object_array_add(rem, json_object_new_string(tok));
		} else if (o->type == TOPO_OPT_UINT) {
			json_object_object_add(*req, o->name, json_object_new_int(none ? 0 : atoi(given[i].v)));
		} else {
			json_object_object_add(*req, o->name, json_object_new_string(none ? "" : given[i].v));
		}
	}
	return -1;
}

int vnl_cmd_add(struct vnl_cli *cli, int argc, char **argv)
{
	struct add_opt opts[ADD_OPTS_MAX];
	char list[128];
	unsigned n_given = 0;
	struct add_given *given = calloc((size_t)argc + 1, sizeof(*given));
	const struct topo_kind *kind;
	const char *type, *name;
	struct json_object *req = NULL;
	struct vnl_err err;
	int r;

	if (given == NULL)
		return vnl_fail("out of memory");
	r = add_parse(cli, argc, argv, false, opts, given, &n_given);
	if (r < 0 && argc - optind != 2)
		r = argc - optind < 2 ? vnl_usage_error(cli, "add: missing argument")
				      : vnl_usage_error(cli, "add: unexpected argument '%s'", argv[optind + 2]);
	if (r >= 0) {
		free(given);
		return r;
	}
	type = argv[optind];
	name = argv[optind + 1];
	kind = topo_kind_find(type);
	if (strcmp(type, "lan") == 0) {
		if ((r = check_name(cli, name, "LAN")) < 0)
			r = lan_req(cli, "lan-add", given, n_given, &req);
	} else if (kind == NULL) {
		r = vnl_usage_error(cli, "add: '%s' is not lan or a node kind (%s)", type,
				    topo_kind_list(list, sizeof(list)));
	} else if ((r = check_name(cli, name, "node")) < 0) {
		r = node_req(kind, name, given, n_given, &req);
	}
	free(given);
	if (r >= 0)
		return r;
	json_object_object_add(req, "name", json_object_new_string(name));
	if (vnl_lab_ensure(cli->lab, &err) < 0) {
		json_object_put(req);
		return vnl_fail("%s", err.msg);
	}
	return run(cli, req, added_text);
}

static void set_text(struct json_object *req, struct json_object *reply)
{
	struct json_object *o;

	if (json_object_object_get_ex(reply, "lan", &o))
		printf("changed LAN %s (mtu %lld)\n", vnl_jstr(req, "name"), vnl_jint(o, "mtu", TOPO_LAN_MTU_DEF));
}

int vnl_cmd_set(struct vnl_cli *cli, int argc, char **argv)
{
	struct add_opt opts[ADD_OPTS_MAX];
	unsigned n_given = 0;
	struct add_given *given = calloc((size_t)argc + 1, sizeof(*given));
	struct json_object *req = NULL;
	int r;

	if (given == NULL)
		return vnl_fail("out of memory");
	r = add_parse(cli, argc, argv, true, opts, given, &n_given);
	if (r < 0 && (argc - optind != 2 || strcmp(argv[optind], "lan")))
		r = argc - optind < 2 ? vnl_usage_error(cli, "set: missing argument")
		    : argc - optind > 2 ? vnl_usage_error(cli, "set: unexpected argument '%s'", argv[optind + 2])
					: vnl_usage_error(cli, "set: '%s' cannot be set (set lan LAN ...)", argv[optind]);
	if (r < 0 && n_given == 0)
		r = vnl_usage_error(cli, "set lan: nothing to change");
	if (r < 0 && (r = check_name(cli, argv[optind + 1], "LAN")) < 0)
		r = lan_req(cli, "lan-set", given, n_given, &req);
	free(given);
	if (r >= 0)
		return r;
	json_object_object_add(req, "name", json_object_new_string(argv[optind + 1]));
	return run(cli, req, set_text);
}

static void deleted_text(struct json_object *req, struct json_object *reply)
{
	struct json_object *un = vnl_jarr(reply, "unlinked");
	size_t n = un ? json_object_array_length(un) : 0;

	printf("deleted %s %s", vnl_jstr(reply, "deleted") ?: "", vnl_jstr(req, "name"));
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : " (unlinked ", json_object_get_string(json_object_array_get_idx(un, i)));
	printf("%s\n", n ? ")" : "");
}

int vnl_cmd_del(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	if ((r = check_name(cli, argv[optind], "name")) >= 0)
		return r;
	req = vnl_req("del");
	json_object_object_add(req, "name", json_object_new_string(argv[optind]));
	return run(cli, req, deleted_text);
}

static void linked_text(struct json_object *req, struct json_object *reply)
{
	struct json_object *k;
	const char *ip;

	if (!json_object_object_get_ex(reply, "link", &k))
		k = req;
	ip = vnl_jstr(k, "ip");
	printf("linked %s:%lld to %s%s%s%s%s\n", vnl_jstr(k, "node"), vnl_jint(k, "nic", 0), vnl_jstr(k, "lan"),
	       ip ? " with " : "", ip ? ip : "", vnl_jstr(k, TOPO_NIC_TYPE) ? " as " : "",
	       vnl_jstr(k, TOPO_NIC_TYPE) ?: "");
}

int vnl_cmd_link(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "ip", required_argument, NULL, 'a' },
					      { TOPO_NIC_TYPE, required_argument, NULL, 't' },
					      { NULL, 0, NULL, 0 } };
	char node[TOPO_NAME_MAX + 1], msg[160];
	const char *ip = NULL, *type = NULL;
	struct json_object *req;
	struct vnl_err te;
	struct in_addr a;
	unsigned nic, plen;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "a:", opts)) != -1) {
		if (c == 't') {
			/* The words are the node kind's: vnld checks them. */
			if (topo_check_name(optarg, "", 0, 0, NULL) < 0)
				return vnl_usage_error(cli, "--nic-type %s: not a word such as tap or afxdp", optarg);
			type = optarg;
			continue;
		}
		if (c != 'a')
			return vnl_opt_exit(cli, c);
		if (topo_parse_addr(optarg, &a, &plen, &te) < 0)
			return vnl_usage_error(cli, "--ip %s: %s", optarg, te.msg);
		ip = optarg;
	}
	if (argc - optind != 2)
		return vnl_usage_error(cli, argc - optind < 2 ? "link: missing argument"
							      : "link: too many arguments");
	if (vnl_parse_nic(argv[optind], node, &nic, msg, sizeof(msg)) < 0)
		return vnl_usage_error(cli, "%s", msg);
	if ((r = check_name(cli, argv[optind + 1], "LAN")) >= 0)
		return r;
	req = vnl_req("link");
	json_object_object_add(req, "node", json_object_new_string(node));
	json_object_object_add(req, "nic", json_object_new_int((int)nic));
	json_object_object_add(req, "lan", json_object_new_string(argv[optind + 1]));
	if (ip)
		json_object_object_add(req, "ip", json_object_new_string(ip));
	if (type)
		json_object_object_add(req, TOPO_NIC_TYPE, json_object_new_string(type));
	return run(cli, req, linked_text);
}

static void unlinked_text(struct json_object *req, struct json_object *reply)
{
	(void)reply;
	printf("unlinked %s:%lld\n", vnl_jstr(req, "node"), vnl_jint(req, "nic", 0));
}

int vnl_cmd_unlink(struct vnl_cli *cli, int argc, char **argv)
{
	char node[TOPO_NAME_MAX + 1], msg[160];
	struct json_object *req;
	unsigned nic;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	if (vnl_parse_nic(argv[optind], node, &nic, msg, sizeof(msg)) < 0)
		return vnl_usage_error(cli, "%s", msg);
	req = vnl_req("unlink");
	json_object_object_add(req, "node", json_object_new_string(node));
	json_object_object_add(req, "nic", json_object_new_int((int)nic));
	return run(cli, req, unlinked_text);
}
