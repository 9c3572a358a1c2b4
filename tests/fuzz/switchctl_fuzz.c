/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for vnl-switchd's control lines: each line of the input
 * goes through commands_handle() (dataplane/commands.c), the switch's own
 * JSON-lines parse, command table, argument checks, registry changes
 * (LANs, attach, detach, aging, FDB) and reply building, with the real
 * registry, FDB, port-add argument and stats code.  The registry starts
 * empty for every input.  Only what needs DPDK's EAL or touches the host is
 * not linked: the port backends (here they take their arguments as the
 * real ones do and open nothing) and the snapshot hand-over to workers
 * (there are none; the snapshot is freed).
 * Lines are NUL-terminated as the server passes them (common/jsonl.c).
 * Every reply must be a JSON object with a boolean "ok".
 * Built and run by run_fuzz.sh (clang -fsanitize=fuzzer,address,undefined).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"
#include "worker.h"

struct worker *workers[VNL_MAX_WORKERS];
unsigned nb_workers;
volatile bool workers_stop;
uint16_t vnl_max_frame = 1518;
struct rte_mempool *vnl_pktmbuf_pool; /* none: show-workers then reports no mbufs */

/* The EAL measures the TSC rate at init; without it DPDK's answer is 0. */
uint64_t rte_get_tsc_hz(void)
{
	return 1000000000;
}

/* Backends that read their arguments like the real ones and open nothing. */
static int fake_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	const char *s;
	int r = port_arg_string(req, strcmp(p->kind, "vhost") ? "iface" : "path", true, &s, err);

	p->backend = "fake"; /* every open() names its backend */
	if (r == 0 && !strcmp(p->kind, "vhost"))
		r = port_arg_string(req, "mode", false, &s, err);
	return r;
}

static void fake_close(struct port *p)
{
	(void)p;
}

static void fake_show(const struct port *p, struct json_object *o)
{
	(void)p, (void)o;
}

const struct port_ops port_vhost_ops = { .kind = "vhost", .open = fake_open, .close = fake_close, .show = fake_show };
const struct port_ops port_xsk_ops = { .kind = "afxdp", .open = fake_open, .close = fake_close, .show = fake_show };
const struct port_ops port_packet_ops = { .kind = "afxdp", .open = fake_open, .close = fake_close, .show = fake_show };
const struct port_ops port_tap_ops = { .kind = "tap", .open = fake_open, .close = fake_close, .show = fake_show };
const struct port_ops port_vxlan_ops = { .kind = "vxlan", .open = fake_open, .close = fake_close, .show = fake_show };

void snapshot_publish(struct snapshot *s)
{
	static struct snapshot *cur;

	free(cur);
	cur = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (reg_init(1, 1518, 300, 4096) < 0)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len + 1);
		struct json_object *reply, *ok;

		if (line == NULL)
			abort();
		/* As the server hands it over (common/jsonl.c): NUL after the line. */
		memcpy(line, p, len);
		line[len] = '\0';
		reply = commands_handle(NULL, line, len);
		free(line);
		if (reply == NULL || !json_object_object_get_ex(reply, "ok", &ok) ||
		    !json_object_is_type(ok, json_type_boolean))
			abort();
		json_object_to_json_string(reply);
		json_object_put(reply);
		p += len + 1;
	}
	reg_fini();
	return 0;
}
