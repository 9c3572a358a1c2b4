/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs about the lab's processes: start, stop, version. `start` and
 * `stop` leave the lab in a known state whatever it was in: start on a
 * running lab is a no-op, stop on a stopped lab is one too, and stop on a
 * lab whose vnld died with its folders left starts a vnld first so that it
 * re-adopts and removes the leftovers.
 */
#include <errno.h>
#include <stdio.h>

#include "paths.h"
#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

int vnl_cmd_start(struct vnl_cli *cli, int argc, char **argv)
{
	struct vnl_err err;
	int r = vnl_args(cli, argc, argv, 0, 0);

	if (r >= 0)
		return r;
	r = vnl_lab_ensure(cli->lab, &err);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "lab", json_object_new_string(cli->lab));
		json_object_object_add(o, "started", json_object_new_boolean(r == 1));
		json_object_object_add(o, "pid", json_object_new_int(vnl_lab_pid(cli->lab)));
		vnl_print_json(o);
		json_object_put(o);
	} else if (r == 1) {
		printf("lab '%s' started (vnld pid %d, log " VNL_RUN_ROOT "/%s/vnld.log)\n", cli->lab,
		       vnl_lab_pid(cli->lab), cli->lab);
	} else {
		printf("lab '%s' is running (vnld pid %d)\n", cli->lab, vnl_lab_pid(cli->lab));
	}
	return VNL_EXIT_OK;
}

int vnl_cmd_stop(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply = NULL;
	struct vnl_err err, werr;
	int r = vnl_args(cli, argc, argv, 0, 0);

	if (r >= 0)
		return r;
	r = vnl_lab_alive(cli->lab, &err);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (r == 0) {
		if (!vnl_lab_has_folders(cli->lab)) {
			if (!cli->json)
				printf("lab '%s' is not running: nothing to stop\n", cli->lab);
			return VNL_EXIT_OK;
		}
		/* Leftovers of a vnld that died (or never started): removed
		 * by vnld --cleanup, which needs no switch. */
		if (vnl_lab_cleanup(cli->lab, &err) < 0)
			return vnl_fail("%s", err.msg);
		if (!cli->json)
			printf("lab '%s' stopped (its vnld was not running)\n", cli->lab);
		return VNL_EXIT_OK;
	}
	req = vnl_req("stop");
	r = vnl_call(cli->lab, req, VNL_TIMEOUT_LONG, &reply, &err);
	json_object_put(req);
	json_object_put(reply);
	/* vnld replies before it exits (docs/vnld.md); a connection lost
	 * anyway (vnld killed meanwhile) is judged by the wait below. */
	if (r == -ECONNRESET || r == -ENOTCONN)
		r = 0;
	if (vnl_lab_wait_gone(cli->lab, VNL_STOP_WAIT, &werr) < 0)
		return vnl_fail("%s%s%s", r < 0 ? err.msg : "", r < 0 ? "; " : "", werr.msg);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	/* A vnld that died mid-stop left what it had not removed yet. */
	if (vnl_lab_has_folders(cli->lab) && vnl_lab_cleanup(cli->lab, &err) < 0)
		return vnl_fail("%s", err.msg);
	if (!cli->json)
		printf("lab '%s' stopped\n", cli->lab);
	return VNL_EXIT_OK;
}

int vnl_cmd_version(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply;
	struct vnl_err err;
	int r = vnl_args(cli, argc, argv, 0, 0);

	if (r >= 0)
		return r;
	req = vnl_req("version");
	r = vnl_call(cli->lab, req, VNL_TIMEOUT, &reply, &err);
	json_object_put(req);
	if (cli->json) {
		if (r < 0)
			return vnl_fail("%s", err.msg);
		vnl_print_json(reply);
	} else {
		printf("vnl %s\n", VNL_VERSION);
		if (r == 0)
			printf("vnld %s (lab %s)\n", vnl_jstr(reply, "version") ?: "?", cli->lab);
		else if (r == -ENOTCONN)
			printf("vnld: lab '%s' is not running\n", cli->lab);
		else
			return vnl_fail("%s", err.msg);
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}

int vnl_cmd_log_level(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	req = vnl_req("log-level");
	json_object_object_add(req, "level", json_object_new_string(argv[optind]));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (cli->json)
		vnl_print_json(reply);
	else
		printf("vnld of lab '%s' logs at %s\n", cli->lab, argv[optind]);
	json_object_put(reply);
	return VNL_EXIT_OK;
}
