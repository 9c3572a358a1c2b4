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

/* Strict decimal in lo..hi. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int check_name(const struct vnl_cli *cli, const char *name, const char *what)
{
	struct topo_err te;

	if (topo_check_name(name, what, 0, 0, &te) < 0)
		return vnl_usage_error(cli, "%s", te.msg);
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
	else
		printf("added LAN %s\n", vnl_jstr(req, "name"));
}

int vnl_cmd_add(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cmd", required_argument, NULL, 'c' }, { "cpus", required_argument, NULL, 'C' },
		{ "env", required_argument, NULL, 'e' }, { "image", required_argument, NULL, 'i' },
		{ "mem", required_argument, NULL, 'm' }, { "nics", required_argument, NULL, 'n' },
		{ "pids", required_argument, NULL, 'P' }, { NULL, 0, NULL, 0 },
	};
	struct json_object *env = json_object_new_array(), *req;
	const char *image = NULL, *cmd = NULL, *type, *name;
	unsigned nics = 0, mem = 0, cpus = 0, pids = 0;
	struct topo_err te;
	struct vnl_err err;
	bool node_opts = false;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "c:e:i:m:n:", opts)) != -1) {
		node_opts = true;
		switch (c) {
		case 'c': cmd = optarg; break;
		case 'i': image = optarg; break;
		case 'e':
			if (topo_check_env(optarg, 0, 0, &te) < 0) {
				json_object_put(env);
				return vnl_usage_error(cli, "--env %s: %s", optarg, te.msg);
			}
			json_object_array_add(env, json_object_new_string(optarg));
			break;
		case 'n':
		case 'm':
		case 'C': {
			unsigned hi = c == 'n' ? TOPO_NICS_MAX : c == 'm' ? TOPO_MEM_MAX : TOPO_CPUS_MAX;
			unsigned *out = c == 'n' ? &nics : c == 'm' ? &mem : &cpus;

			if (parse_uint(optarg, 1, hi, out) < 0) {
				json_object_put(env);
				return vnl_usage_error(cli, "--%s must be a number in 1..%u, not '%s'",
						       c == 'n' ? "nics" : c == 'm' ? "mem" : "cpus", hi, optarg);
			}
			break;
		}
		case 'P':
			if (parse_uint(optarg, TOPO_PIDS_MIN, TOPO_PIDS_MAX, &pids) < 0) {
				json_object_put(env);
				return vnl_usage_error(cli, "--pids must be a number in %d..%d, not '%s'",
						       TOPO_PIDS_MIN, TOPO_PIDS_MAX, optarg);
			}
			break;
		default:
			json_object_put(env);
			return vnl_opt_exit(cli, c);
		}
	}
	if (argc - optind != 2) {
		json_object_put(env);
		if (argc - optind < 2)
			return vnl_usage_error(cli, "add: missing argument");
		return vnl_usage_error(cli, "add: unexpected argument '%s'", argv[optind + 2]);
	}
	type = argv[optind];
	name = argv[optind + 1];
	if (strcmp(type, "lan") == 0) {
		json_object_put(env);
		if (node_opts)
			return vnl_usage_error(cli, "add lan takes no options");
		if ((r = check_name(cli, name, "LAN")) >= 0)
			return r;
		req = vnl_req("lan-add");
	} else {
		enum topo_kind kind;

		if (topo_kind_parse(type, &kind) < 0) {
			json_object_put(env);
			return vnl_usage_error(cli, "add: '%s' is not lan, ns, cnt or vm", type);
		}
		if ((r = check_name(cli, name, "node")) >= 0) {
			json_object_put(env);
			return r;
		}
		req = vnl_req("node-add");
		json_object_object_add(req, "kind", json_object_new_string(type));
		if (nics)
			json_object_object_add(req, "nics", json_object_new_int((int)nics));
		if (image)
			json_object_object_add(req, "image", json_object_new_string(image));
		/* "cmd" names the request itself: the node's command is "command". */
		if (cmd)
			json_object_object_add(req, "command", json_object_new_string(cmd));
		if (json_object_array_length(env))
			json_object_object_add(req, "env", json_object_get(env));
		if (mem)
			json_object_object_add(req, "mem", json_object_new_int((int)mem));
		if (cpus)
			json_object_object_add(req, "cpus", json_object_new_int((int)cpus));
		if (pids)
			json_object_object_add(req, "pids", json_object_new_int((int)pids));
		json_object_put(env);
	}
	json_object_object_add(req, "name", json_object_new_string(name));
	if (vnl_lab_ensure(cli->lab, &err) < 0) {
		json_object_put(req);
		return vnl_fail("%s", err.msg);
	}
	return run(cli, req, added_text);
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
	printf("linked %s:%lld to %s%s%s\n", vnl_jstr(k, "node"), vnl_jint(k, "nic", 0), vnl_jstr(k, "lan"),
	       ip ? " with " : "", ip ? ip : "");
}

int vnl_cmd_link(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "ip", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
	char node[TOPO_NAME_MAX + 1], msg[160];
	const char *ip = NULL;
	struct json_object *req;
	struct topo_err te;
	struct in_addr a;
	unsigned nic, plen;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "a:", opts)) != -1) {
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
