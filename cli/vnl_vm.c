/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs of nodes with a life of their own: `vnl reboot NODE`, `vnl
 * halt NODE` (the kind's power slot, through vnld) and `vnl wait NODE...`
 * (until each node is ready: kinds with a live state, a VM's agent
 * answers; other kinds are ready once they exist). `vnl shell` is beside
 * `vnl console` in vnl_exec.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "node_kind.h"
#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

#define WAIT_DEFAULT_S 600

/* Ask vnld `cmd` about node `name`; -1 when it went through. */
static int node_cmd(struct vnl_cli *cli, const char *cmd, const char *name, struct json_object **reply)
{
	struct json_object *req = vnl_req(cmd);

	json_object_object_add(req, "name", json_object_new_string(name));
	return vnl_ask(cli, req, VNL_TIMEOUT_LONG, reply);
}

static int power(struct vnl_cli *cli, int argc, char **argv, const char *cmd)
{
	struct json_object *reply;
	int r;

	if ((r = vnl_args(cli, argc, argv, 1, 1)) >= 0)
		return r;
	if ((r = node_cmd(cli, cmd, argv[optind], &reply)) >= 0)
		return r;
	if (cli->json)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	else if (!strcmp(cmd, "reboot"))
		printf("%s: %s\n", argv[optind],
		       !strcmp(vnl_jstr(reply, "done") ?: "", "started") ? "started" : "reset");
	else
		printf("%s: halted\n", argv[optind]);
	json_object_put(reply);
	return VNL_EXIT_OK;
}

int vnl_cmd_reboot(struct vnl_cli *cli, int argc, char **argv)
{
	return power(cli, argc, argv, "reboot");
}

int vnl_cmd_halt(struct vnl_cli *cli, int argc, char **argv)
{
	return power(cli, argc, argv, "halt");
}

static double now_s(void)
{
	return (double)mono_ms() / 1000.0;
}

int vnl_cmd_wait(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	double start = now_s(), timeout = WAIT_DEFAULT_S;
	char *end;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "t:", opts)) != -1) {
		if (c != 't')
			return vnl_opt_exit(cli, c);
		timeout = strtod(optarg, &end);
		if (*end || timeout <= 0)
			return vnl_usage_error(cli, "wait: --timeout needs a number of seconds > 0");
	}
	if (optind == argc)
		return vnl_usage_error(cli, "wait: missing NODE");
	for (int i = optind; i < argc; i++) {
		char last[32] = "";

		for (;;) {
			struct json_object *reply, *node;
			const struct node_kind *kind;
			const char *state, *info;

			if ((r = node_cmd(cli, "show", argv[i], &reply)) >= 0)
				return r;
			if (!json_object_object_get_ex(reply, "node", &node)) {
				json_object_put(reply);
				return vnl_fail("wait: '%s' is a LAN, not a node", argv[i]);
			}
			/* Only kinds with a live state (a guest to wait for) have a
			 * "ready" to reach; other kinds are ready once they exist. */
			kind = node_kind_find(vnl_jstr(node, "kind") ?: "");
			state = kind && kind->live_status ? vnl_jstr(node, "state") : NULL;
			if (state == NULL || !strcmp(state, "ready")) {
				json_object_put(reply);
				break;
			}
			info = vnl_jstr(node, "state_info") ?: "";
			if (strcmp(last, state)) {
				/* Progress: one line per state a node goes through. */
				fprintf(stderr, "vnl: %s is %s%s%s (%.0f s)\n", argv[i], state, *info ? ": " : "", info,
					now_s() - start);
				snprintf(last, sizeof(last), "%s", state);
			}
			if (!strcmp(state, "stopped")) {
				r = vnl_fail("wait: %s is stopped%s%s", argv[i], *info ? ": " : "", info);
				json_object_put(reply);
				return r;
			}
			json_object_put(reply); /* state points into it: `last` from here */
			if (now_s() - start > timeout)
				return vnl_fail("wait: %s is not ready after %.0f s (state %s)", argv[i], timeout, last);
			usleep(250 * 1000);
		}
		if (last[0])
			fprintf(stderr, "vnl: %s is ready (%.1f s)\n", argv[i], now_s() - start);
	}
	return VNL_EXIT_OK;
}
