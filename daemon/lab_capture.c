/* SPDX-License-Identifier: GPL-2.0-only */
/* vnld's captures: targets to switch ports, the pipe passed on (lab_capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lab_capture.h"

/* Whether the switch may run a capture vnld started: true from vnld's
 * start (captures outlive a vnld restart) and from each capture-start it
 * sends, false once show-captures lists none. `vnl show` asks the switch
 * only while it is true. One lab per vnld. */
static bool maybe_running = true;

/* Add the port of link k to ports unless it is there already. */
static void add_port(struct json_object *ports, const struct topo *t, const struct topo_link *k)
{
	const struct topo_node *n = topo_find_node(t, k->node);
	char port[TOPO_NAME_MAX + 8], name[TOPO_NAME_MAX + 8], descr[160];
	struct json_object *o, *v;

	lab_port_name(k->node, k->nic, port, sizeof(port));
	for (size_t i = 0; i < json_object_array_length(ports); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(ports, i), "port", &v) &&
		    !strcmp(json_object_get_string(v), port))
			return;
	snprintf(name, sizeof(name), "%s:%u", k->node, k->nic);
	snprintf(descr, sizeof(descr), "LAN %s, %s node %s eth%u", k->lan, n ? n->kind->name : "?", k->node, k->nic);
	o = json_object_new_object();
	json_object_object_add(o, "port", json_object_new_string(port));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "descr", json_object_new_string(descr));
	json_object_array_add(ports, o);
}

/* One target into ports; *lan tells whether it was a LAN. */
static int add_target(const struct topo *t, const char *s, struct json_object *ports, bool *lan,
		      struct vnl_err *err)
{
	char node[TOPO_NAME_MAX + 1]; /* %15 below: TOPO_NAME_MAX */
	const struct topo_node *n;
	const struct topo_link *k;
	unsigned nic, found = 0;
	int end = 0;

	*lan = false;
	if (sscanf(s, "%15[^:]:%u%n", node, &nic, &end) == 2 && s[end] == '\0') {
		if ((n = topo_find_node(t, node)) == NULL)
			return vnl_errf(err, -ENOENT, "no node named '%s'", node);
		if (nic >= n->nics)
			return vnl_errf(err, -ENOENT, "node %s has no NIC %u (it has %u)", node, nic, n->nics);
		if ((k = topo_find_link(t, node, nic)) == NULL)
			return vnl_errf(err, -ENOENT, "%s is not linked to a LAN", s);
		add_port(ports, t, k);
		return 0;
	}
	if (strchr(s, ':') || topo_find_lan(t, s) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' and not NODE:N", s);
	for (unsigned i = 0; i < t->n_links; i++)
		if (!strcmp(t->links[i].lan, s)) {
			add_port(ports, t, &t->links[i]);
			found++;
		}
	if (!found)
		return vnl_errf(err, -ENOENT, "LAN %s has no links", s);
	*lan = true;
	return 0;
}

int lab_capture_ports(const struct topo *t, struct json_object *targets, struct json_object *ports,
		      bool *lans_only, struct vnl_err *err)
{
	size_t n = json_object_is_type(targets, json_type_array) ? json_object_array_length(targets) : 0;
	bool lan;
	int r;

	if (n == 0)
		return vnl_errf(err, -EINVAL, "argument 'targets' must be a non-empty list of NODE:N or LAN names");
	*lans_only = true;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(targets, i);

		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) != (size_t)json_object_get_string_len(e))
			return vnl_errf(err, -EINVAL, "argument 'targets' must be a list of strings");
		if ((r = add_target(t, json_object_get_string(e), ports, &lan, err)) < 0)
			return r;
		*lans_only &= lan;
	}
	return 0;
}

/* Each port's NIC MAC as its node's kind reports it (interfaces[].mac:
 * ns, cnt, vm), for the IDB's if_MACaddr; absent when the kind does not say. */
static void add_macs(struct lab *l, struct json_object *ports)
{
	for (size_t i = 0; i < json_object_array_length(ports); i++) {
		struct json_object *p = json_object_array_get_idx(ports, i), *v, *node, *ifs;
		char name[TOPO_NAME_MAX + 1];
		const struct topo_node *n;
		unsigned nic;

		if (!json_object_object_get_ex(p, "name", &v) ||
		    sscanf(json_object_get_string(v), "%15[^:]:%u", name, &nic) != 2 ||
		    (n = topo_find_node(l->topo, name)) == NULL)
			continue;
		node = lab_node_json(l, n);
		if (json_object_object_get_ex(node, "interfaces", &ifs) && json_object_is_type(ifs, json_type_array))
			for (size_t k = 0; k < json_object_array_length(ifs); k++) {
				struct json_object *f = json_object_array_get_idx(ifs, k), *fn, *mac;

				if (json_object_object_get_ex(f, "nic", &fn) && json_object_get_int(fn) == (int)nic &&
				    json_object_object_get_ex(f, "mac", &mac) && json_object_is_type(mac, json_type_string))
					json_object_object_add(p, "mac", json_object_get(mac));
			}
		json_object_put(node);
	}
}

/* Copy req's member key to out when present, if of type `type`. */
static int pass(struct json_object *req, struct json_object *out, const char *key, json_type type,
		struct vnl_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, type))
		return vnl_errf(err, -EINVAL, "argument '%s' must be %s", key,
				type == json_type_int ? "an integer" : type == json_type_string ? "a string" : "a list");
	json_object_object_add(out, key, json_object_get(v));
	return 0;
}

/* The write end of a pipe: anything else would let a client aim the root switch at a file. */
static int check_fd(int fd, struct vnl_err *err)
{
	struct stat st;
	int fl;

	if (fd < 0)
		return vnl_errf(err, -EINVAL, "capture needs the write end of a pipe with the request (vnl capture sends it)");
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return vnl_errf(err, -EINVAL, "the file descriptor sent with capture is not a pipe");
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return vnl_errf(err, -EINVAL, "the pipe sent with capture is not open for writing");
	return 0;
}

int lab_capture_start(struct lab *l, struct json_object *req, int fd, struct json_object *reply,
		      struct vnl_err *err)
{
	static const char *const dirs[] = { "in", "out", "both" };
	struct json_object *sreq, *ports, *targets = NULL, *sr = NULL, *v, *cap;
	const char *dir = NULL;
	bool lans_only;
	size_t i;
	int r;

	if ((r = check_fd(fd, err)) < 0)
		return r;
	json_object_object_get_ex(req, "targets", &targets);
	if (json_object_object_get_ex(req, "dir", &v)) {
		for (i = 0; i < 3 && !(json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), dirs[i])); i++)
			;
		if (i == 3)
			return vnl_errf(err, -EINVAL, "argument 'dir' must be in, out or both");
		dir = dirs[i];
	}
	sreq = json_object_new_object();
	ports = json_object_new_array();
	json_object_object_add(sreq, "cmd", json_object_new_string("capture-start"));
	json_object_object_add(sreq, "ports", ports);
	if ((r = lab_capture_ports(l->topo, targets, ports, &lans_only, err)) < 0 ||
	    (r = pass(req, sreq, "bpf", json_type_array, err)) < 0 ||
	    (r = pass(req, sreq, "filter", json_type_string, err)) < 0 ||
	    (r = pass(req, sreq, "snaplen", json_type_int, err)) < 0 ||
	    (r = pass(req, sreq, "count", json_type_int, err)) < 0 ||
	    (r = pass(req, sreq, "duration_ms", json_type_int, err)) < 0 ||
	    (r = pass(req, sreq, "owner", json_type_string, err)) < 0)
		goto out;
	json_object_object_add(sreq, "dir", json_object_new_string(dir ? dir : lans_only ? "out" : "both"));
	add_macs(l, ports);
	maybe_running = true; /* even when the reply is lost: the switch may have it */
	if ((r = lab_switch_call_fd(&l->sw, sreq, fd, &sr, err)) < 0)
		goto out;
	/* the switch's reply: {"capture": {id, interfaces}}, or id and interfaces at the top */
	if (!json_object_object_get_ex(sr, "capture", &cap))
		cap = sr;
	v = json_object_new_object();
	json_object_object_foreach(cap, key, val)
		if (strcmp(key, "ok"))
			json_object_object_add(v, key, json_object_get(val));
	json_object_object_add(reply, "capture", v);
out:
	json_object_put(sreq);
	json_object_put(sr);
	return r;
}

int lab_capture_stop(struct lab *l, struct json_object *req, struct json_object *reply, struct vnl_err *err)
{
	struct json_object *sreq, *sr = NULL, *id;
	int r;

	if (!json_object_object_get_ex(req, "id", &id) || !json_object_is_type(id, json_type_int))
		return vnl_errf(err, -EINVAL, "argument 'id' must be an integer (a capture of vnl show)");
	sreq = json_object_new_object();
	json_object_object_add(sreq, "cmd", json_object_new_string("capture-stop"));
	json_object_object_add(sreq, "id", json_object_get(id));
	r = lab_switch_call(&l->sw, sreq, &sr, err);
	if (r == 0) {
		json_object_object_foreach(sr, key, val)
			if (strcmp(key, "ok"))
				json_object_object_add(reply, key, json_object_get(val));
	}
	json_object_put(sreq);
	json_object_put(sr);
	return r;
}

void lab_capture_show(struct lab *l, struct json_object *o)
{
	struct json_object *sreq, *sr = NULL, *v;
	struct vnl_err err = { 0 };

	if (!maybe_running) {
		json_object_object_add(o, "captures", json_object_new_array());
		return;
	}
	sreq = json_object_new_object();
	json_object_object_add(sreq, "cmd", json_object_new_string("show-captures"));
	if (lab_switch_call_ms(&l->sw, sreq, LAB_CAPTURE_SHOW_MS, &sr, &err) == 0 &&
	    json_object_object_get_ex(sr, "captures", &v) && json_object_is_type(v, json_type_array)) {
		json_object_object_add(o, "captures", json_object_get(v));
		maybe_running = json_object_array_length(v) > 0;
	} else
		json_object_object_add(o, "captures_error",
				       json_object_new_string(err.msg[0] ? err.msg : "vnl-switchd gave no captures"));
	json_object_put(sreq);
	json_object_put(sr);
}
