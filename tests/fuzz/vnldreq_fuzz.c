/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for vnld's requests, as far as they go without acting
 * on the host: each line of the input is a request line as vnld's socket
 * hands it over (NUL-terminated, common/jsonl.c), parsed and looked up in
 * vnld's own command table by the dispatcher vnld uses (common/dispatch.h:
 * req_lookup, cmd_check_args), and its arguments decoded with vnld's own arg_* helpers; the model
 * changes (lan-add, lan-set, node-add, link, impair, unlink, del) are then applied to one
 * topology per input with the model's own checks (topology.c), which is
 * what vnld does before it deploys anything.  Replies are built as vnld
 * builds them.  This is a test-only entry: vnld.c is compiled in with its
 * main() renamed, and no handler runs.  Built and run by run_fuzz.sh.
 */
#define main vnld_main
#include "../../daemon/vnld.c"
#undef main

/* node-add through vnld's own decoding (req_node), then into the model. */
static int node_add(struct topo *t, struct json_object *req, struct vnl_err *err)
{
	static char *envv[TOPO_MAX_OBJECTS];
	struct topo_node n;
	int r;

	if ((r = req_node(req, &n, envv, err)) < 0)
		return r;
	return topo_add_node(t, &n, err);
}

/* link through vnld's own decoding (req_link), then into the model. */
static int link_add(struct topo *t, struct json_object *req, struct vnl_err *err)
{
	struct topo_link k;
	int r;

	if ((r = req_link(req, &k, err)) < 0)
		return r;
	return topo_add_link(t, &k, err);
}

/* impair through vnld's own decoding (req_impair), then onto the link's
 * directions in the model, as lab_link_impair() does. */
static int impair(struct topo *t, struct json_object *req, struct vnl_err *err)
{
	struct topo_impair imp[TOPO_IMP_DIRS], now[TOPO_IMP_DIRS];
	unsigned nic = 0, dirs = 0;
	const char *node = NULL;
	struct topo_link *k;
	int r;

	if ((r = req_impair(req, &node, &nic, &dirs, imp, err)) < 0)
		return r;
	if ((k = topo_find_link(t, node, nic)) == NULL)
		return vnl_errf(err, -ENOENT, "%s:%u is not linked", node, nic);
	memcpy(now, k->imp, sizeof(now));
	for (unsigned d = 0; d < TOPO_IMP_DIRS; d++)
		if (dirs & 1u << d)
			now[d] = imp[d];
	return topo_link_set_impair(t, k, now, err);
}

/* capture's targets resolved into switch ports against t (daemon/lab_capture.c). */
static int capture_ports(struct topo *t, struct json_object *req, struct vnl_err *err)
{
	struct json_object *targets = NULL, *ports = json_object_new_array();
	bool lans_only;
	int r;

	json_object_object_get_ex(req, "targets", &targets);
	r = lab_capture_ports(t, targets, ports, &lans_only, err);
	json_object_put(ports);
	return r;
}

/* A known command's arguments, decoded as its handler does; the model
 * changes applied to t. */
static int decode(struct topo *t, const char *name, struct json_object *req, struct vnl_err *err)
{
	struct topo_lan l = { 0 };
	const char *s;
	unsigned u;
	int r;

	if (!strcmp(name, "lan-add")) {
		if ((r = arg_name(req, "name", "LAN", &s, err)) < 0 ||
		    (r = arg_uint(req, "mtu", false, TOPO_LAN_MTU_MIN, TOPO_LAN_MTU_MAX, &l.mtu, err)) < 0)
			return r;
		snprintf(l.name, sizeof(l.name), "%s", s);
		if ((r = req_vxlan(req, &l, false, err)) < 0)
			return r;
		return topo_add_lan(t, &l, err);
	}
	if (!strcmp(name, "lan-set")) {
		struct topo_lan *cur;

		if ((r = arg_name(req, "name", "LAN", &s, err)) < 0)
			return r;
		if ((cur = topo_find_lan(t, s)) == NULL)
			return -ENOENT;
		l = *cur;
		if ((r = req_vxlan(req, &l, true, err)) < 0)
			return r;
		return topo_lan_replace(t, cur, &l, err);
	}
	if (!strcmp(name, "node-add"))
		return node_add(t, req, err);
	if (!strcmp(name, "link"))
		return link_add(t, req, err);
	if (!strcmp(name, "impair"))
		return impair(t, req, err);
	if (!strcmp(name, "unlink")) {
		if ((r = arg_name(req, "node", "node", &s, err)) < 0)
			return r;
		return arg_uint(req, "nic", true, 0, TOPO_NICS_MAX - 1, &u, err);
	}
	if (!strcmp(name, "lan-del") || !strcmp(name, "halt") || !strcmp(name, "reboot"))
		return arg_name(req, "name", "node", &s, err);
	if (!strcmp(name, "fdb"))
		return arg_name(req, "lan", "LAN", &s, err);
	if (!strcmp(name, "capture"))
		return capture_ports(t, req, err);
	if (!strcmp(name, "layout")) {
		struct json_object *pos;

		if (!json_object_object_get_ex(req, "positions", &pos) || !json_object_is_type(pos, json_type_object))
			return -EINVAL;
		return layout_apply(t, pos, err);
	}
	if (!strcmp(name, "deploy"))
		return arg_str(req, "file", true, &s, err);
	return arg_str(req, "name", false, &s, err);
}

/* One request line: the reply vnld would send (its decoding part), looked
 * up and checked by vnld's own table and dispatcher. */
static struct json_object *request(struct topo *t, const char *line, size_t len)
{
	struct vnl_err err = { 0, "" };
	struct json_object *req;
	const struct cmd *cmd;
	int r;

	cmd = req_lookup(&cmd_table, line, len, &req, &err);
	if (cmd == NULL)
		return jsonl_error(err.msg);
	r = cmd_check_args(cmd, req, &err);
	if (r == 0)
		r = decode(t, cmd->name, req, &err);
	json_object_put(req);
	return cmd_reply(r, json_object_new_object(), &err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	node_kinds_init(); /* as vnld's main() */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct topo *t = topo_new();

	if (t == NULL)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len + 1);
		struct json_object *reply;

		if (line == NULL)
			abort();
		memcpy(line, p, len);
		line[len] = '\0';
		reply = request(t, line, len);
		free(line);
		if (reply == NULL)
			abort();
		json_object_to_json_string(reply);
		json_object_put(reply);
		p += len + 1;
	}
	topo_free(t);
	return 0;
}
