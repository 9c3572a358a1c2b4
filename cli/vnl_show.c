/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl show [NAME]`: the lab, a node or a LAN, as text or (-j) as vnld's
 * JSON. The text is printed from the same reply, member by member; members
 * it does not know (a kind's status fields) are printed as "key value".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

/* "a:0 b:0", or "-" for no links; buf holds it. */
static const char *ref_list(struct json_object *arr, char *buf, size_t len)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "",
			 json_object_get_string(json_object_array_get_idx(arr, i)));
	return n ? buf : "-";
}

/* A node's links as "eth0->blue 10.0.1.1/24, eth1->red (afxdp)": the NIC
 * type where the node has them (nic_types). */
static const char *node_links(struct json_object *node, char *buf, size_t len)
{
	struct json_object *links = vnl_jarr(node, "links"), *types = vnl_jarr(node, "nic_types");
	size_t n = links ? json_object_array_length(links) : 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(links, i);
		const char *ip = vnl_jstr(k, "ip");
		long long nic = vnl_jint(k, "nic", 0);
		struct json_object *ty = types ? json_object_array_get_idx(types, (size_t)nic) : NULL;

		snprintf(buf + strlen(buf), len - strlen(buf), "%seth%lld->%s%s%s%s%s%s", i ? ", " : "", nic,
			 vnl_jstr(k, "lan") ?: "?", ip ? " " : "", ip ? ip : "", ty ? " (" : "",
			 ty ? json_object_get_string(ty) : "", ty ? ")" : "");
	}
	return n ? buf : "-";
}

/* A link's `impair` as "out: delay 20ms loss 1%; in: rate 10mbit" in buf. */
static const char *impair_text(struct json_object *impair, char *buf, size_t len)
{
	static const char *const dirs[] = { "out", "in" };

	buf[0] = '\0';
	for (unsigned d = 0; d < 2; d++) {
		struct json_object *set;

		if (!json_object_object_get_ex(impair, dirs[d], &set))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s:", buf[0] ? "; " : "", dirs[d]);
		json_object_object_foreach(set, key, val)
			snprintf(buf + strlen(buf), len - strlen(buf), " %s %s", key, json_object_get_string(val));
	}
	return buf;
}

/* The impaired links of array links (LINK objects; node: the node's own
 * links, which lack "node"), one row each, after a title. */
static void print_impairments(struct json_object *links, const char *node)
{
	struct vnl_table t;
	char ref[40], buf[1024];
	bool any = false;

	vnl_table_init(&t, 2);
	for (size_t i = 0; links && i < json_object_array_length(links); i++) {
		struct json_object *k = json_object_array_get_idx(links, i), *impair;

		if (!json_object_object_get_ex(k, "impair", &impair))
			continue;
		if (!any)
			vnl_table_row(&t, (const char *[]){ "LINK", "IMPAIRMENTS" });
		any = true;
		snprintf(ref, sizeof(ref), "%s:%lld", node ? node : vnl_jstr(k, "node") ?: "?", vnl_jint(k, "nic", 0));
		vnl_table_row(&t, (const char *[]){ ref, impair_text(impair, buf, sizeof(buf)) });
	}
	if (any) {
		printf("\nimpairments\n");
		vnl_table_print(&t, stdout, "  ");
	}
}

/* The one-line warning of a node whose NICs' MTU is not their LAN's
 * (vnld's mtu_mismatch), or nothing. */
static void print_mtu_warning(struct json_object *n, const char *indent)
{
	struct json_object *bad = vnl_jarr(n, "mtu_mismatch");
	const char *kind = vnl_jstr(n, "kind") ?: "";
	char buf[1024] = "";

	if (bad == NULL || json_object_array_length(bad) == 0)
		return;
	for (size_t i = 0; i < json_object_array_length(bad); i++) {
		struct json_object *m = json_object_array_get_idx(bad, i);

		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%seth%lld mtu %lld, LAN %s %lld",
			 i ? "; " : "", vnl_jint(m, "nic", 0), vnl_jint(m, "mtu", 0), vnl_jstr(m, "lan") ?: "?",
			 vnl_jint(m, "lan_mtu", 0));
	}
	printf("%swarning: %s: %s (%s)\n", indent, vnl_jstr(n, "name") ?: "?", buf,
	       !strcmp(kind, "vm") ? "a VM takes its LANs' mtu when qemu starts: vnl halt, vnl reboot"
				   : "changed inside the node");
}

/* The warnings of a vm node whose NICs negotiated no virtio features after
 * a switch restart (vnld's nic_features_lost), one per NIC with where
 * vnld's repair stands (nic_repair), or nothing. */
static void print_features_warning(struct json_object *n, const char *indent)
{
	struct json_object *lost = vnl_jarr(n, "nic_features_lost"), *rep = vnl_jarr(n, "nic_repair");

	for (size_t i = 0; lost && i < json_object_array_length(lost); i++) {
		struct json_object *r = rep ? json_object_array_get_idx(rep, i) : NULL;
		const char *state = r ? vnl_jstr(r, "state") ?: "" : "", *error = r ? vnl_jstr(r, "error") : NULL;
		long long tries = r ? vnl_jint(r, "tries", 0) : 0;
		char how[320];

		if (r == NULL)
			snprintf(how, sizeof(how), "reboot the guest");
		else if (!strcmp(state, "running"))
			snprintf(how, sizeof(how), "vnld is repairing it in the guest (try %lld)", tries);
		else if (!strcmp(state, "failed"))
			snprintf(how, sizeof(how), "vnld's repair failed %lld times (%s): reboot the guest", tries,
				 error ?: "?");
		else if (error)
			snprintf(how, sizeof(how), "vnld's repair failed (%s), it tries again", error);
		else
			snprintf(how, sizeof(how), "vnld repairs it in the guest once its agent is ready");
		printf("%swarning: %s: eth%d: nic negotiated no features after a switch restart: %s\n", indent,
		       vnl_jstr(n, "name") ?: "?", json_object_get_int(json_object_array_get_idx(lost, i)), how);
	}
}

/* A vxlan LAN's lines (indent: ind): "vxlan VNI via IFACE local IP", the
 * MTU and why, one line per remote as the switch sees it. */
static void print_vxlan(struct json_object *l, const char *ind)
{
	struct json_object *vx, *rem, *conf;
	const char *why;

	if (!json_object_object_get_ex(l, "vxlan", &vx))
		return;
	printf("%svxlan %lld via %s", ind, vnl_jint(vx, "vni", 0), vnl_jstr(vx, "iface") ?: vnl_jstr(vx, "underlay") ?: "?");
	if (vnl_jstr(vx, "local") || vnl_jstr(vx, "switch_local"))
		printf(" local %s", vnl_jstr(vx, "local") ?: vnl_jstr(vx, "switch_local"));
	printf(" port %lld\n", vnl_jint(vx, "dstport", TOPO_VXLAN_DSTPORT_DEF));
	why = vnl_jstr(vx, "mtu_reason");
	if (why && !strcmp(why, "lowered"))
		printf("%s  mtu %lld (lowered: underlay %s mtu %lld, vxlan over %s needs %lld)\n", ind, vnl_jint(l, "mtu", 0),
		       vnl_jstr(vx, "iface"), vnl_jint(vx, "underlay_mtu", 0),
		       !strcmp(vnl_jstr(vx, "family") ?: "", "ipv6") ? "IPv6" : "IPv4", vnl_jint(vx, "overhead", 50));
	else if (why && !strcmp(why, "raised"))
		printf("%s  mtu %lld (underlay %s mtu %lld, raised from %lld for LAN %s)\n", ind, vnl_jint(l, "mtu", 0),
		       vnl_jstr(vx, "iface"), vnl_jint(vx, "underlay_mtu", 0), vnl_jint(vx, "raised_from", 0),
		       vnl_jstr(l, "name"));
	else if (why)
		printf("%s  mtu %lld (given; underlay %s mtu %lld)\n", ind, vnl_jint(l, "mtu", 0), vnl_jstr(vx, "iface"),
		       vnl_jint(vx, "underlay_mtu", 0));
	else
		printf("%s  %s\n", ind, vnl_jstr(vx, "problem") ?: "no underlay decided");
	rem = vnl_jarr(vx, "remotes");
	conf = vnl_jarr(vx, "remote");
	for (size_t i = 0; rem && i < json_object_array_length(rem); i++) {
		struct json_object *r = json_object_array_get_idx(rem, i), *v;

		printf("%s  %s  %s", ind, vnl_jstr(r, "ip") ?: "?", vnl_jstr(r, "state") ?: "?");
		if (vnl_jstr(r, "mac"))
			printf("  %s", vnl_jstr(r, "mac"));
		if (json_object_object_get_ex(r, "last_rx", &v) && v)
			printf("  rx %lld s ago", (long long)json_object_get_int64(v));
		printf("\n");
	}
	/* No view from the switch (down, or not answering): the configured ones. */
	for (size_t i = 0; !rem && conf && i < json_object_array_length(conf); i++)
		printf("%s  %s  (switch not answering)\n", ind, json_object_get_string(json_object_array_get_idx(conf, i)));
	if (!conf || json_object_array_length(conf) == 0)
		printf("%s  no remote\n", ind);
}

static void print_lab(struct json_object *r)
{
	struct json_object *lans = vnl_jarr(r, "lans"), *nodes = vnl_jarr(r, "nodes"), *sw;
	size_t nl = lans ? json_object_array_length(lans) : 0;
	size_t nn = nodes ? json_object_array_length(nodes) : 0;
	struct vnl_table t;
	char buf[4096], nics[16];

	printf("lab %s", vnl_jstr(r, "lab") ?: "?");
	if (json_object_object_get_ex(r, "switch", &sw))
		printf(" (switch pid %lld, restarts %lld)", vnl_jint(sw, "pid", 0), vnl_jint(sw, "restarts", 0));
	printf("\n\nLANs (%zu)\n", nl);
	vnl_table_init(&t, 3);
	if (nl)
		vnl_table_row(&t, (const char *[]){ "NAME", "MTU", "LINKS" });
	for (size_t i = 0; i < nl; i++) {
		struct json_object *l = json_object_array_get_idx(lans, i);
		char mtu[16];

		snprintf(mtu, sizeof(mtu), "%lld", vnl_jint(l, "mtu", 1500));
		vnl_table_row(&t, (const char *[]){ vnl_jstr(l, "name"), mtu,
						    ref_list(vnl_jarr(l, "links"), buf, sizeof(buf)) });
	}
	vnl_table_print(&t, stdout, "  ");
	for (size_t i = 0; i < nl; i++) {
		struct json_object *l = json_object_array_get_idx(lans, i);

		if (json_object_object_get_ex(l, "vxlan", NULL)) {
			printf("  %s:\n", vnl_jstr(l, "name"));
			print_vxlan(l, "    ");
		}
	}
	printf("\nnodes (%zu)\n", nn);
	vnl_table_init(&t, 5);
	if (nn)
		vnl_table_row(&t, (const char *[]){ "NAME", "KIND", "STATE", "NICS", "LINKS" });
	for (size_t i = 0; i < nn; i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);

		snprintf(nics, sizeof(nics), "%lld", vnl_jint(n, "nics", 1));
		vnl_table_row(&t, (const char *[]){ vnl_jstr(n, "name"), vnl_jstr(n, "kind"), vnl_jstr(n, "state"),
						    nics, node_links(n, buf, sizeof(buf)) });
	}
	vnl_table_print(&t, stdout, "  ");
	for (size_t i = 0; i < nn; i++) {
		print_mtu_warning(json_object_array_get_idx(nodes, i), "  ");
		print_features_warning(json_object_array_get_idx(nodes, i), "  ");
	}
	print_impairments(vnl_jarr(r, "links"), NULL);
}

/* The running captures (the switch's show-captures, through vnld); nothing when none. */
static void print_captures(struct json_object *r)
{
	struct json_object *caps = vnl_jarr(r, "captures");
	size_t n = caps ? json_object_array_length(caps) : 0;
	struct vnl_table t;

	if (!n)
		return;
	printf("\ncaptures (%zu)\n", n);
	vnl_table_init(&t, 7);
	vnl_table_row(&t, (const char *[]){ "ID", "INTERFACES", "FILTER", "FRAMES", "DROPPED", "SINCE", "OWNER" });
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(caps, i), *ifs = vnl_jarr(c, "interfaces");
		char id[24], names[1024] = "", frames[24], dropped[24], since[16] = "?";
		time_t s = (time_t)(vnl_jint(c, "started_ns", 0) / 1000000000);
		struct tm tm;

		for (size_t k = 0; ifs && k < json_object_array_length(ifs); k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", k ? " " : "",
				 vnl_jstr(json_object_array_get_idx(ifs, k), "name") ?: "?");
		snprintf(id, sizeof(id), "%lld", vnl_jint(c, "id", -1));
		snprintf(frames, sizeof(frames), "%lld", vnl_jint(c, "frames", 0));
		snprintf(dropped, sizeof(dropped), "%lld", vnl_jint(c, "ringfull", 0) + vnl_jint(c, "nombuf", 0));
		if (s && localtime_r(&s, &tm))
			strftime(since, sizeof(since), "%H:%M:%S", &tm);
		vnl_table_row(&t, (const char *[]){ id, names, vnl_jstr(c, "filter") ?: "-", frames, dropped, since,
						    vnl_jstr(c, "owner") ?: "-" });
	}
	vnl_table_print(&t, stdout, "  ");
}

/* The entry of array arr whose member "nic" is i, or NULL. */
static struct json_object *by_nic(struct json_object *arr, long long i)
{
	for (size_t k = 0; arr && k < json_object_array_length(arr); k++)
		if (vnl_jint(json_object_array_get_idx(arr, k), "nic", -1) == i)
			return json_object_array_get_idx(arr, k);
	return NULL;
}

static void print_node(struct json_object *n)
{
	static const char *const shown[] = { "name",         "links",	      "interfaces", "nic_types",
					     "mtu_mismatch", "nic_features_lost", "nic_repair", NULL };
	struct json_object *links = vnl_jarr(n, "links"), *ifs = vnl_jarr(n, "interfaces");
	struct json_object *types = vnl_jarr(n, "nic_types");
	long long nics = vnl_jint(n, "nics", 1);
	struct vnl_table t;
	char buf[512], eth[24], state[48];

	printf("node %s\n", vnl_jstr(n, "name") ?: "?");
	print_mtu_warning(n, "  ");
	print_features_warning(n, "  ");
	vnl_table_init(&t, 2);
	json_object_object_foreach(n, key, val) {
		size_t i;

		for (i = 0; shown[i] && strcmp(shown[i], key); i++)
			;
		if (shown[i] || (!strcmp(key, "nic_repairs") && json_object_get_int(val) == 0))
			continue; /* no repair: nothing to say */
		/* A list option of the kind (env): its entries, space-separated. */
		if (json_object_is_type(val, json_type_array)) {
			buf[0] = '\0';
			for (size_t k = 0; k < json_object_array_length(val); k++)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? " " : "",
					 json_object_get_string(json_object_array_get_idx(val, k)));
			vnl_table_row(&t, (const char *[]){ key, buf });
		} else {
			vnl_table_row(&t, (const char *[]){ key, vnl_jtext(val, buf, sizeof(buf)) });
		}
	}
	vnl_table_print(&t, stdout, "  ");
	vnl_table_init(&t, 8);
	vnl_table_row(&t, (const char *[]){ "NIC", "TYPE", "LAN", "ADDRESS", "PORT", "HOST", "MAC", "STATE" });
	for (long long i = 0; i < nics; i++) {
		struct json_object *k = by_nic(links, i), *f = by_nic(ifs, i), *up;
		struct json_object *ty = types ? json_object_array_get_idx(types, (size_t)i) : NULL;

		snprintf(eth, sizeof(eth), "eth%lld", i);
		state[0] = '\0';
		if (f && json_object_object_get_ex(f, "up", &up))
			snprintf(state, sizeof(state), "%s, mtu %lld", json_object_get_boolean(up) ? "up" : "down",
				 vnl_jint(f, "mtu", 0));
		/* The type vnld asks for (link > node > default); vm NICs: vhost. */
		vnl_table_row(&t, (const char *[]){ eth, ty ? json_object_get_string(ty) : "vhost",
						    k ? vnl_jstr(k, "lan") : NULL, k ? vnl_jstr(k, "ip") : NULL,
						    k ? vnl_jstr(k, "port") : NULL, f ? vnl_jstr(f, "host") : NULL,
						    f ? vnl_jstr(f, "mac") : NULL, state[0] ? state : NULL });
	}
	vnl_table_print(&t, stdout, "  ");
	print_impairments(links, vnl_jstr(n, "name"));
}

static void print_lan(struct json_object *l)
{
	char buf[4096];

	printf("lan %s\n  mtu    %lld\n  links  %s\n", vnl_jstr(l, "name") ?: "?", vnl_jint(l, "mtu", 1500),
	       ref_list(vnl_jarr(l, "links"), buf, sizeof(buf)));
	print_vxlan(l, "  ");
}

int vnl_cmd_show(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *o;
	int r = vnl_args(cli, argc, argv, 0, 1);

	if (r >= 0)
		return r;
	req = vnl_req("show");
	if (optind < argc)
		json_object_object_add(req, "name", json_object_new_string(argv[optind]));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (cli->json)
		vnl_print_json(reply);
	else if (json_object_object_get_ex(reply, "node", &o))
		print_node(o);
	else if (json_object_object_get_ex(reply, "lan", &o))
		print_lan(o);
	else {
		print_lab(reply);
		print_captures(reply);
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}
