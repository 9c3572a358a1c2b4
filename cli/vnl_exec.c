/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl exec NODE -- CMD [ARG...]`: run a command in a node from this
 * process (docs/vnld.md, "Where commands run"). vnld only says what the
 * node is (`show name=NODE`: kind and NICs); the kind's exec slot runs the
 * command with vnl's stdio, terminal and process group, and vnl exits with
 * the command's status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "node_kind.h"
#include "topology.h"
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

int vnl_node_lookup(struct vnl_cli *cli, const char *name, struct json_object **reply,
		       struct node_ctx *ctx, const struct node_kind **kind)
{
	struct json_object *req, *node;
	const char *kname;
	int r;

	req = vnl_req("show");
	json_object_object_add(req, "name", json_object_new_string(name));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, reply)) >= 0)
		return r;
	if (!json_object_object_get_ex(*reply, "node", &node)) {
		json_object_put(*reply);
		return vnl_fail("'%s' is a LAN, not a node", name);
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->lab = cli->lab;
	ctx->name = name;
	ctx->nics = (unsigned)vnl_jint(node, "nics", 1);
	kname = vnl_jstr(node, "kind") ?: "?";
	*kind = node_kind_find(kname);
	if (*kind == NULL) {
		r = vnl_fail("node '%s' has kind '%s', which this vnl does not know", name, kname);
		json_object_put(*reply);
		return r;
	}
	return -1;
}

/* Let the command in the node have the terminal's signals (see above). */
static void pass_tty_signals(void)
{
	struct sigaction sa = { .sa_handler = on_tty_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	fflush(stdout);
}

int vnl_cmd_exec(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "tty", no_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	struct json_object *reply;
	const struct node_kind *kind;
	struct node_ctx ctx;
	struct vnl_err err;
	int dashes, c, r, status = 0, flags = 0;

	/* Options end at the first "--"; everything after it is the command. */
	for (dashes = 1; dashes < argc && strcmp(argv[dashes], "--"); dashes++)
		;
	while ((c = vnl_getopt(cli, dashes, argv, "t", opts)) != -1) {
		if (c != 't')
			return vnl_opt_exit(cli, c);
		flags |= NODE_EXEC_TTY;
	}
	if (dashes == argc)
		return vnl_usage_error(cli, "exec: '--' before the command is required");
	if (dashes - optind < 1)
		return vnl_usage_error(cli, "exec: missing NODE");
	if (dashes - optind > 1)
		return vnl_usage_error(cli, "exec: one NODE before '--', then the command");
	if (dashes + 1 == argc)
		return vnl_usage_error(cli, "exec: missing command after '--'");
	if ((r = vnl_node_lookup(cli, argv[optind], &reply, &ctx, &kind)) >= 0)
		return r;
	if (kind->exec == NULL) {
		json_object_put(reply);
		return vnl_fail("kind '%s' cannot exec", kind->schema->name);
	}
	pass_tty_signals();
	r = kind->exec(&ctx, argv + dashes + 1, flags, &status, &err);
	json_object_put(reply);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	return status;
}

/* `vnl console NODE` (the kind's console slot) and `vnl shell NODE` (its
 * shell slot) on the caller's terminal; the session's status is vnl's. */
static int interactive(struct vnl_cli *cli, int argc, char **argv, bool shell)
{
	int (*slot)(struct node_ctx *node, int *status, struct vnl_err *err);
	const struct node_kind *kind;
	struct json_object *reply;
	struct node_ctx ctx;
	struct vnl_err err;
	int r, status = 0;

	if ((r = vnl_args(cli, argc, argv, 1, 1)) >= 0)
		return r;
	if ((r = vnl_node_lookup(cli, argv[optind], &reply, &ctx, &kind)) >= 0)
		return r;
	slot = shell ? kind->shell : kind->console;
	if (slot == NULL) {
		json_object_put(reply);
		return vnl_fail("%s: %s is a %s node, which has no %s (vnl %s %s, or vnl exec -t %s -- sh)",
				shell ? "shell" : "console", argv[optind], kind->schema->name,
				shell ? "shell of its own" : "console", shell ? "console" : "exec", argv[optind],
				argv[optind]);
	}
	if (!shell)
		pass_tty_signals(); /* the shell slot handles the terminal's signals itself */
	r = slot(&ctx, &status, &err);
	json_object_put(reply);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	return status;
}

int vnl_cmd_console(struct vnl_cli *cli, int argc, char **argv)
{
	return interactive(cli, argc, argv, false);
}

int vnl_cmd_shell(struct vnl_cli *cli, int argc, char **argv)
{
	return interactive(cli, argc, argv, true);
}

/* "NODE:/path" → node and path (true), anything else is a host path. */
static bool node_path(const char *s, char node[TOPO_NAME_MAX + 1], const char **path)
{
	const char *colon = strchr(s, ':');

	if (colon == NULL || colon == s || colon - s > TOPO_NAME_MAX || colon[1] != '/')
		return false;
	memcpy(node, s, colon - s);
	node[colon - s] = '\0';
	if (topo_check_name(node, "node", 0, 0, NULL) < 0)
		return false;
	*path = colon + 1;
	return true;
}

int vnl_cmd_cp(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "recursive", no_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	char node_src[TOPO_NAME_MAX + 1], node_dst[TOPO_NAME_MAX + 1], dst_buf[4096], src_buf[4096];
	const char *src, *dst, *node;
	struct json_object *reply;
	const struct node_kind *kind;
	struct node_ctx ctx;
	struct vnl_err err = { 0, "" };
	bool in_src, in_dst, recursive = false;
	struct stat st;
	size_t len;
	int c, r;

	while ((c = vnl_getopt(cli, argc, argv, "r", opts)) != -1) {
		if (c != 'r')
			return vnl_opt_exit(cli, c);
		recursive = true;
	}
	if (argc - optind != 2)
		return vnl_usage_error(cli, "cp: SRC and DST are needed");
	in_src = node_path(argv[optind], node_src, &src);
	in_dst = node_path(argv[optind + 1], node_dst, &dst);
	if (in_src == in_dst)
		return vnl_usage_error(cli, "cp: exactly one of SRC and DST is NODE:/path");
	if (!in_src)
		src = argv[optind];
	if (!in_dst)
		dst = argv[optind + 1];
	node = in_src ? node_src : node_dst;
	/* "dir/" as SRC means dir. */
	snprintf(src_buf, sizeof(src_buf), "%s", src);
	for (len = strlen(src_buf); len > 1 && src_buf[len - 1] == '/';)
		src_buf[--len] = '\0';
	src = src_buf;
	/* A folder (or a trailing '/') as destination keeps the source's name. */
	if ((!in_dst && stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) || dst[strlen(dst) - 1] == '/') {
		const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;

		if (!*base)
			return vnl_usage_error(cli, "cp: SRC '%s' has no name to copy to", src);
		snprintf(dst_buf, sizeof(dst_buf), "%s%s%s", dst, dst[strlen(dst) - 1] == '/' ? "" : "/", base);
		dst = dst_buf;
	}
	if (!in_src && stat(src, &st) < 0)
		return vnl_fail("cp: %s: %s", src, strerror(errno));
	if (!in_src && S_ISDIR(st.st_mode) && !recursive)
		return vnl_fail("cp: %s is a folder (vnl cp -r copies folders)", src);
	if (!in_src && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return vnl_fail("cp: %s: not a regular file or folder", src);
	if ((r = vnl_node_lookup(cli, node, &reply, &ctx, &kind)) >= 0)
		return r;
	if (kind->copy == NULL || (recursive && kind->copy_tree == NULL)) {
		json_object_put(reply);
		return vnl_fail("kind '%s' cannot copy %s (a node that shares the host's files: use cp; "
				"else vnl exec NODE -- cat)", kind->schema->name, recursive ? "folders (cp -r)" : "files");
	}
	r = recursive ? kind->copy_tree(&ctx, src, dst, in_dst, &err) : kind->copy(&ctx, src, dst, in_dst, &err);
	json_object_put(reply);
	if (r < 0)
		return vnl_fail("%s", err.msg);
	if (r > 0)
		fprintf(stderr, "vnl: cp: skipped %d entr%s that are not files or folders: %s\n", r,
			r == 1 ? "y" : "ies", err.msg);
	return VNL_EXIT_OK;
}
