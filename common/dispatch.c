/* SPDX-License-Identifier: GPL-2.0-only */
/* The table-driven request dispatcher of vnld and vnl-switchd (dispatch.h). */
#include <errno.h>
#include <string.h>

#include "dispatch.h"
#include "jsonl.h"

const struct cmd *req_lookup(const struct cmd_table *t, const char *line, size_t len,
			     struct json_object **req, struct vnl_err *err)
{
	struct json_object *v;
	const char *why, *name;
	char buf[160];

	*req = jsonl_parse(line, len, buf, sizeof(buf), &why);
	if (*req == NULL) {
		vnl_errf(err, -EINVAL, "%s", why);
		return NULL;
	}
	if (json_object_object_get_ex(*req, "cmd", &v) && json_object_is_type(v, json_type_string)) {
		name = json_object_get_string(v);
		for (size_t i = 0; i < t->nb; i++)
			if (strcmp(t->cmds[i].name, name) == 0)
				return &t->cmds[i];
		/* A name is cut in the message: the request may be any size. */
		vnl_errf(err, -EINVAL, "unknown command '%.64s'%s", name, t->hint);
	} else {
		vnl_errf(err, -EINVAL, "a request needs a string member 'cmd'%s", t->hint);
	}
	json_object_put(*req);
	*req = NULL;
	return NULL;
}

int cmd_check_args(const struct cmd *cmd, struct json_object *req, struct vnl_err *err)
{
	const char *bad = cmd->args ? jsonl_unknown_arg(req, cmd->args) : NULL;

	if (bad != NULL)
		return vnl_errf(err, -EINVAL, "unknown argument '%s' for %s", bad, cmd->name);
	return 0;
}

int cmd_call(const struct cmd *cmd, struct json_object *req, struct json_object *reply,
	     struct jsonl_conn *c, struct vnl_err *err)
{
	int r = cmd_check_args(cmd, req, err);

	if (r == 0 && c != NULL && !(cmd->flags & CMD_FD) && jsonl_conn_has_fd(c))
		r = vnl_errf(err, -EINVAL, "%s takes no file descriptor", cmd->name);
	return r < 0 ? r : cmd->fn(req, reply, c, err);
}

struct json_object *cmd_reply(int r, struct json_object *reply, const struct vnl_err *err)
{
	if (r >= 0)
		return jsonl_ok(reply);
	json_object_put(reply);
	return jsonl_error(err->msg[0] ? err->msg : strerror(-r));
}

struct json_object *cmd_table_help(const struct cmd_table *t)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < t->nb; i++)
		json_object_object_add(o, t->cmds[i].name, json_object_new_string(t->cmds[i].help));
	return o;
}
