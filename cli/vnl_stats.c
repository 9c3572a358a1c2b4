/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl stats` and `vnl fdb`: the switch's counters and MAC tables as vnld
 * relays them, in NODE:N and LAN names. Text tables, or (-j) vnld's JSON.
 */
#include <stdio.h>
#include <string.h>

#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

/* Send req (consumed); *reply on success, else the exit status printed. */
static const char *num(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return NULL;
	snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
	return buf;
}

static void print_ports(struct json_object *ports)
{
	struct vnl_table t;
	char c[5][24];

	vnl_table_init(&t, 7);
	vnl_table_row(&t, (const char *[]){ "PORT", "LAN", "RX_PACKETS", "TX_PACKETS", "RX_BYTES",
					    "TX_BYTES", "DROPS" });
	json_object_object_foreach(ports, ref, p) {
		long long drops = 0;

		json_object_object_foreach(p, key, val)
			if (strncmp(key, "drop_", 5) == 0 && json_object_is_type(val, json_type_int))
				drops += json_object_get_int64(val);
		snprintf(c[4], sizeof(c[4]), "%lld", drops);
		vnl_table_row(&t, (const char *[]){ ref, vnl_jstr(p, "lan"),
						    num(p, "rx_packets", c[0], sizeof(c[0])),
						    num(p, "tx_packets", c[1], sizeof(c[1])),
						    num(p, "rx_bytes", c[2], sizeof(c[2])),
						    num(p, "tx_bytes", c[3], sizeof(c[3])), c[4] });
	}
	vnl_table_print(&t, stdout, "");
}

/* The impairment counters (imp_DIR_WHAT) of the ports that have any, a
 * row per port and direction. */
static void print_impairs(struct json_object *ports)
{
	static const char *const dirs[] = { "out", "in" };
	static const char *const what[] = { "delayed", "lost", "rate_dropped", "duplicated", "reordered", "corrupted",
					    "queue_full" };
	enum { NW = sizeof(what) / sizeof(what[0]) };
	const char *row[NW + 2];
	char c[NW][24], key[40];
	struct vnl_table t;
	bool any = false;

	vnl_table_init(&t, NW + 2);
	json_object_object_foreach(ports, ref, p) {
		for (unsigned d = 0; d < 2; d++) {
			long long sum = 0;

			row[0] = ref;
			row[1] = dirs[d];
			for (size_t i = 0; i < NW; i++) {
				snprintf(key, sizeof(key), "imp_%s_%s", dirs[d], what[i]);
				row[i + 2] = num(p, key, c[i], sizeof(c[i]));
				sum += row[i + 2] ? vnl_jint(p, key, 0) : 0;
			}
			if (sum == 0)
				continue;
			if (!any)
				vnl_table_row(&t, (const char *[]){ "PORT", "DIR", "DELAYED", "LOST", "RATE_DROPPED",
								    "DUPLICATED", "REORDERED", "CORRUPTED", "QUEUE_FULL" });
			any = true;
			vnl_table_row(&t, row);
		}
	}
	if (any) {
		putchar('\n');
		vnl_table_print(&t, stdout, "");
	}
}

/* A table per vxlan port: its remotes' counters (the switch's per-remote
 * counters, in `counters` of each remote or in the remote itself). */
static void print_remotes(struct json_object *ports)
{
	json_object_object_foreach(ports, ref, p) {
		struct json_object *rem = vnl_jarr(p, "remotes");
		struct vnl_table t;
		char c[5][24];

		if (rem == NULL)
			continue;
		printf("\nremotes of %s\n", ref);
		vnl_table_init(&t, 7);
		vnl_table_row(&t, (const char *[]){ "REMOTE", "STATE", "RX_PACKETS", "TX_PACKETS", "RX_BYTES", "TX_BYTES",
						    "DROPS" });
		for (size_t i = 0; i < json_object_array_length(rem); i++) {
			struct json_object *r = json_object_array_get_idx(rem, i), *k = r;
			long long drops = 0;

			json_object_object_get_ex(r, "counters", &k);
			json_object_object_foreach(k, key, val)
				if (strncmp(key, "drop_", 5) == 0 && json_object_is_type(val, json_type_int))
					drops += json_object_get_int64(val);
			snprintf(c[4], sizeof(c[4]), "%lld", drops);
			vnl_table_row(&t, (const char *[]){ vnl_jstr(r, "ip"), vnl_jstr(r, "state"),
							    num(k, "rx_packets", c[0], sizeof(c[0])),
							    num(k, "tx_packets", c[1], sizeof(c[1])),
							    num(k, "rx_bytes", c[2], sizeof(c[2])),
							    num(k, "tx_bytes", c[3], sizeof(c[3])), c[4] });
		}
		vnl_table_print(&t, stdout, "  ");
	}
}

static void print_lans(struct json_object *lans)
{
	static const char *const cols[] = { "macs", "forwarded", "flooded", "unknown_unicast", "learned",
					    "moved", "table_full" };
	enum { NC = sizeof(cols) / sizeof(cols[0]) };
	const char *row[NC + 1];
	char head[NC][24], c[NC][24];
	struct vnl_table t;

	vnl_table_init(&t, NC + 1);
	row[0] = "LAN";
	for (size_t i = 0; i < NC; i++) {
		size_t k;

		for (k = 0; cols[i][k] && k + 1 < sizeof(head[i]); k++)
			head[i][k] = (char)(cols[i][k] >= 'a' && cols[i][k] <= 'z' ? cols[i][k] - 32 : cols[i][k]);
		head[i][k] = '\0';
		row[i + 1] = head[i];
	}
	vnl_table_row(&t, row);
	json_object_object_foreach(lans, name, l) {
		row[0] = name;
		for (size_t i = 0; i < NC; i++)
			row[i + 1] = num(l, cols[i], c[i], sizeof(c[i]));
		vnl_table_row(&t, row);
	}
	vnl_table_print(&t, stdout, "");
}

int vnl_cmd_stats(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *ports, *lans;
	int r = vnl_args(cli, argc, argv, 0, 1);

	if (r >= 0)
		return r;
	req = vnl_req("stats");
	if (optind < argc)
		json_object_object_add(req, "name", json_object_new_string(argv[optind]));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (cli->json) {
		vnl_print_json(reply);
	} else {
		bool has_ports = json_object_object_get_ex(reply, "ports", &ports) &&
				 json_object_is_type(ports, json_type_object) && json_object_object_length(ports);
		bool has_lans = json_object_object_get_ex(reply, "lans", &lans) &&
				json_object_is_type(lans, json_type_object) && json_object_object_length(lans);

		if (has_ports) {
			print_ports(ports);
			print_impairs(ports);
			print_remotes(ports);
		}
		if (has_ports && has_lans)
			putchar('\n');
		if (has_lans)
			print_lans(lans);
		if (!has_ports && !has_lans)
			printf("no ports and no LANs\n");
	}
	json_object_put(reply);
	return VNL_EXIT_OK;
}

int vnl_cmd_fdb(struct vnl_cli *cli, int argc, char **argv)
{
	struct json_object *req, *reply, *entries;
	struct vnl_table t;
	bool remote = false;
	char age[24];
	size_t n;
	int r = vnl_args(cli, argc, argv, 1, 1);

	if (r >= 0)
		return r;
	req = vnl_req("fdb");
	json_object_object_add(req, "lan", json_object_new_string(argv[optind]));
	if ((r = vnl_ask(cli, req, VNL_TIMEOUT, &reply)) >= 0)
		return r;
	if (cli->json) {
		vnl_print_json(reply);
		json_object_put(reply);
		return VNL_EXIT_OK;
	}
	entries = vnl_jarr(reply, "entries");
	n = entries ? json_object_array_length(entries) : 0;
	/* REMOTE: the VTEP a MAC was learned from, on a vxlan port ("-" else). */
	for (size_t i = 0; i < n && !remote; i++)
		remote = vnl_jstr(json_object_array_get_idx(entries, i), "remote") != NULL;
	vnl_table_init(&t, remote ? 4 : 3);
	vnl_table_row(&t, (const char *[]){ "MAC", "PORT", "AGE", "REMOTE" });
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);

		snprintf(age, sizeof(age), "%llds", vnl_jint(e, "age", 0));
		vnl_table_row(&t, (const char *[]){ vnl_jstr(e, "mac"), vnl_jstr(e, "port"), age,
						    vnl_jstr(e, "remote") ?: "-" });
	}
	vnl_table_print(&t, stdout, "");
	if (n == 0)
		printf("(no MAC learned in %s yet)\n", argv[optind]);
	json_object_put(reply);
	return VNL_EXIT_OK;
}
