/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl events`: turn a connection into vnld's event stream and print each
 * event as it comes, one line each, flushed, until vnld closes the stream
 * (lab stopped) or the user interrupts. -j prints the JSON lines as sent.
 *
 * Text form: the event name, then its node (as NODE:N when the event has a
 * nic), LAN and other members in order: "link-up a:0 blue",
 * "node-added a", "deployed /path/lab.yaml", "switch-down".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

static void print_event(struct json_object *ev)
{
	struct json_object *nic = NULL, *v;
	char buf[512];

	json_object_object_get_ex(ev, "nic", &nic);
	fputs(vnl_jstr(ev, "event") ?: "?", stdout);
	json_object_object_foreach(ev, key, val) {
		if (!strcmp(key, "event") || !strcmp(key, "nic"))
			continue;
		/* An object member (a whole node or LAN) prints as its name. */
		if (json_object_is_type(val, json_type_object) && json_object_object_get_ex(val, "name", &v))
			val = v;
		if (!strcmp(key, "node") && nic)
			printf(" %s:%d", vnl_jtext(val, buf, sizeof(buf)), json_object_get_int(nic));
		else if (json_object_is_type(val, json_type_string))
			printf(" %s", json_object_get_string(val));
		else
			printf(" %s=%s", key, vnl_jtext(val, buf, sizeof(buf)));
	}
	putchar('\n');
}

int vnl_cmd_events(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req = NULL, *o = NULL, *ok;
	struct vnl_conn c;
	struct vnl_err err;
	int r = vnl_args(cli, argc, argv, 0, 0);

	if (r >= 0)
		return r;
	if ((r = vnl_conn_open(&c, cli->lab, &err)) < 0)
		return vnl_fail("%s", err.msg);
	req = vnl_req("events");
	r = vnl_conn_send(&c, req, &err);
	json_object_put(req);
	if (r == 0)
		r = vnl_conn_recv(&c, VNL_TIMEOUT, &o, &err);
	if (r == 0 && (!json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok)))
		r = vnl_errf(&err, -EREMOTEIO, "%s", vnl_jstr(o, "error") ?: "vnld refused the event stream");
	json_object_put(o);
	while (r == 0) {
		r = vnl_conn_recv(&c, -1, &o, &err);
		if (r < 0)
			break;
		if (cli->json)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_event(o);
		fflush(stdout);
		json_object_put(o);
	}
	vnl_conn_close(&c);
	/* The end of the stream is the normal end (vnld stopped). */
	return r == -ECONNRESET ? VNL_EXIT_OK : vnl_fail("%s", err.msg);
}
