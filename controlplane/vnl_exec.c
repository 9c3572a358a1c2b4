/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl exec NODE -- CMD [ARG...]`: run a command in a node from this
 * process (docs/vnld.md, "Where commands run"). vnld only says what the
 * node is (`show name=NODE`: kind and NICs); the kind's exec slot runs the
 * command with vnl's stdio, terminal and process group, and vnl exits with
 * the command's status.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "node_kind.h"
#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

/* Signals the terminal sends to the whole foreground group: the command
 * gets them and decides; vnl outlives it to pass its status on. A handler
 * (not SIG_IGN) so that the command's exec resets it to the default. */
static void on_tty_signal(int sig)
{
	(void)sig;
}

int vnl_cmd_exec(struct vnl_cli *cli, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_tty_signal };
	struct json_object *req, *reply, *node;
	const struct node_kind *kind;
	struct node_ctx ctx = { .lab = cli->lab };
	const char *kname;
	struct vnl_err err;
	int dashes, c, r, status = 0;

	/* Options end at the first "--"; everything after it is the command. */
	for (dashes = 1; dashes < argc && strcmp(argv[dashes], "--"); dashes++)
		;
	if ((c = vnl_getopt(cli, dashes, argv, "", NULL)) != -1)
		return vnl_opt_exit(cli, c);
	if (dashes == argc)
		return vnl_usage_error(cli, "exec: '--' before the command is required");
	if (dashes - optind < 1)
		return vnl_usage_error(cli, "exec: missing NODE");
	if (dashes - optind > 1)
		return vnl_usage_error(cli, "exec: one NODE before '--', then the command");
	if (dashes + 1 == argc)
		return vnl_usage_error(cli, "exec: missing command after '--'");
	req = vnl_req("show");
	json_object_object_add(req, "name", json_object_new_string(argv[optind]));
	r = vnl_call(cli->lab, req, VNL_TIMEOUT, &reply, &err);
	json_object_put(req);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (!json_object_object_get_ex(reply, "node", &node)) {
		json_object_put(reply);
		return vnl_fail("'%s' is a LAN, not a node", argv[optind]);
	}
	ctx.name = argv[optind];
	ctx.nics = (unsigned)vnl_jint(node, "nics", 1);
	kname = vnl_jstr(node, "kind") ?: "?";
	kind = node_kind_find(kname);
	if (kind == NULL || kind->exec == NULL) {
		r = vnl_fail("kind '%s' cannot exec", kname);
		json_object_put(reply);
		return r;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	fflush(stdout);
	r = kind->exec(&ctx, argv + dashes + 1, &status, &err);
	json_object_put(reply);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	return status;
}
