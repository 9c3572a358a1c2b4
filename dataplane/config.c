/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "paths.h"

struct config cfg;

enum knob_type { K_STR, K_U32, K_BOOL };

struct knob {
	const char *name;     /* long option */
	enum knob_type type;
	size_t off;           /* field in struct config */
	size_t size;          /* K_STR: buffer size */
	const char *def;      /* default, as text */
	uint32_t min, max;    /* K_U32 range */
	const char *arg;      /* argument name in --help */
	const char *help;
};

#define STR(f, d, a, h) { #f, K_STR, offsetof(struct config, f), sizeof(cfg.f), d, 0, 0, a, h }
#define U32(f, d, lo, hi, a, h) { #f, K_U32, offsetof(struct config, f), 0, d, lo, hi, a, h }
#define BOOL(f, h) { #f, K_BOOL, offsetof(struct config, f), 0, "false", 0, 0, NULL, h }

/* Option names are the field names with '_' shown as '-'. Sorted. */
static const struct knob knobs[] = {
	U32(aging, "300", 1, 86400, "SEC", "seconds before an unused MAC entry is forgotten"),
	BOOL(check, "validate the options, print the effective configuration and exit"),
	U32(fdb_size, "65536", 16, 1U << 24, "N", "MAC table entries (all LANs); when full, frames to new MACs are flooded"),
	U32(idle_after_us, "200", 1, 10000000, "US", "adaptive polling: microseconds without frames before a worker sleeps"),
	U32(idle_sleep_max_us, "500", 1, 100000, "US", "adaptive polling: longest sleep (bounds the wake-up latency)"),
	STR(log_level, "info", "LEVEL", "vnl-switchd messages: emerg..debug (EAL: -- --log-level=...)"),
	U32(main_core, "0", 0, 127, "N", "core of the control thread (its lcore id too)"),
	U32(max_frame, "1522", 64, 9216, "BYTES", "longest frame forwarded on a LAN added without an mtu, without FCS; longer ones are dropped"),
	U32(mbufs, "32767", 1024, 4194303, "N", "packet buffers shared by all ports"),
	U32(mem_mb, "0", 0, 1048576, "MB", "memory to reserve at start (0: allocate as needed)"),
	BOOL(no_huge, "use ordinary pages instead of hugepages (tests, small hosts)"),
	STR(poll, "adaptive", "MODE", "adaptive: idle workers sleep; busy: poll without pause"),
	STR(socket, VNL_SWITCHD_SOCK, "PATH", "control socket (JSON lines, mode 0600)"),
	STR(worker_cores, "", "LIST", "worker cores: 1, 1,2, 1-3; L@C runs worker lcore L on CPU C (default: the CPU after --main-core)"),
};
#define NB_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

static void opt_name(const struct knob *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", k->name);
	for (char *c = buf; *c; c++)
		if (*c == '_')
			*c = '-';
}

static int knob_set(const struct knob *k, const char *val, struct vnl_err *err)
{
	char *p = (char *)&cfg + k->off, *end, name[40];
	unsigned long v;

	opt_name(k, name, sizeof(name));
	switch (k->type) {
	case K_STR:
		if (strlen(val) >= k->size)
			return vnl_errf(err, -EINVAL, "--%s: value too long (at most %zu characters)", name, k->size - 1);
		strcpy(p, val);
		return 0;
	case K_U32:
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' || v < k->min || v > k->max)
			return vnl_errf(err, -EINVAL, "--%s: '%s' is not an integer in %u..%u", name, val, k->min, k->max);
		*(uint32_t *)p = (uint32_t)v;
		return 0;
	case K_BOOL:
		*(bool *)p = strcmp(val, "true") == 0;
		return 0;
	}
	return -EINVAL;
}

static int add_worker(unsigned lcore, unsigned cpu, struct vnl_err *err)
{
	if (lcore > 127 || cpu > 1023)
		return vnl_errf(err, -EINVAL, "--worker-cores: core %u is out of range", lcore > 127 ? lcore : cpu);
	if (lcore == cfg.main_core)
		return vnl_errf(err, -EINVAL, "--worker-cores: lcore %u is the main core (use L@C to share a CPU)", lcore);
	for (unsigned i = 0; i < cfg.nb_workers; i++)
		if (cfg.worker_lcores[i] == lcore)
			return vnl_errf(err, -EINVAL, "--worker-cores: lcore %u appears twice", lcore);
	if (cfg.nb_workers == VNL_MAX_WORKERS)
		return vnl_errf(err, -EINVAL, "--worker-cores: at most %d workers", VNL_MAX_WORKERS);
	cfg.worker_lcores[cfg.nb_workers] = lcore;
	cfg.worker_cpus[cfg.nb_workers++] = cpu;
	return 0;
}

/* "1,3-5" -> lcores on the CPUs of the same number; "4@1" -> lcore 4 on CPU 1. */
static int parse_cores(const char *list, struct vnl_err *err)
{
	const char *s = list;
	int r;

	cfg.nb_workers = 0;
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			goto bad;
		if (*end == '@') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				goto bad;
			r = add_worker((unsigned)a, (unsigned)b, err);
			if (r < 0)
				return r;
		} else {
			if (*end == '-') {
				s = end + 1;
				b = strtoul(s, &end, 10);
				if (end == s || b < a || b - a > VNL_MAX_WORKERS)
					goto bad;
			}
			for (unsigned long c = a; c <= b; c++) {
				r = add_worker((unsigned)c, (unsigned)c, err);
				if (r < 0)
					return r;
			}
		}
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		s = end;
	}
	if (cfg.nb_workers == 0)
		goto bad;
	return 0;
bad:
	return vnl_errf(err, -EINVAL, "--worker-cores: '%s' is not a core list like 1 or 1,2 or 1-3 or 2@1", list);
}

void config_usage(FILE *f)
{
	fprintf(f, "Usage: vnl-switchd [OPTION]... [-- EAL-OPTION...]\n"
		   "The vnetlab L2 switch: vhost-user and AF_XDP ports in learning LANs,\n"
		   "driven through a JSON-lines control socket (see docs/switchd.md).\n\n");
	for (size_t i = 0; i < NB_KNOBS; i++) {
		const struct knob *k = &knobs[i];
		char name[40], left[64];

		opt_name(k, name, sizeof(name));
		snprintf(left, sizeof(left), "--%s%s%s", name, k->arg ? " " : "", k->arg ? k->arg : "");
		fprintf(f, "  %-28s %s", left, k->help);
		if (k->type != K_BOOL && k->def[0])
			fprintf(f, " [%s]", k->def);
		fprintf(f, "\n");
	}
	fprintf(f, "  %-28s %s\n  %-28s %s\n", "-h, --help", "show this help and exit", "-V, --version",
		"show the version and exit");
	fprintf(f, "\nArguments after -- go to DPDK's EAL (e.g. --log-level=vnl.port:debug).\n"
		   "SIGTERM or SIGINT stop the switch cleanly and remove its sockets.\n");
}

int config_parse(int argc, char **argv, struct vnl_err *err)
{
	struct option opts[NB_KNOBS + 3];
	char names[NB_KNOBS][40];
	char cores[16];
	int c, r, idx;

	for (size_t i = 0; i < NB_KNOBS; i++) {
		opt_name(&knobs[i], names[i], sizeof(names[i]));
		opts[i] = (struct option){ names[i], knobs[i].type == K_BOOL ? no_argument : required_argument,
					   NULL, 0 };
		r = knob_set(&knobs[i], knobs[i].def, err);
		if (r < 0)
			return r;
	}
	opts[NB_KNOBS] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[NB_KNOBS + 1] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[NB_KNOBS + 2] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", opts, &idx)) != -1) {
		switch (c) {
		case 0:
			r = knob_set(&knobs[idx], knobs[idx].type == K_BOOL ? "true" : optarg, err);
			if (r < 0)
				return r;
			break;
		case 'h':
			config_usage(stdout);
			return 1;
		case 'V':
			printf("vnl-switchd %s\n", VNL_VERSION);
			return 1;
		default:
			return vnl_errf(err, -EINVAL, "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		return vnl_errf(err, -EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
	cfg.eal_extra_argc = argc - optind;
	cfg.eal_extra_argv = argv + optind;

	if (strcmp(cfg.poll, "adaptive") != 0 && strcmp(cfg.poll, "busy") != 0)
		return vnl_errf(err, -EINVAL, "--poll: '%s' is neither adaptive nor busy", cfg.poll);
	if (cfg.socket[0] != '/')
		return vnl_errf(err, -EINVAL, "--socket: '%s' must be an absolute path", cfg.socket);
	if (cfg.worker_cores[0] == '\0') {
		/* Default: the core after the main one, or the main one on a single-core host. */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned wc = n > 1 ? (cfg.main_core + 1) % (unsigned)n : cfg.main_core;

		if (wc == cfg.main_core) /* one CPU: the worker shares it */
			snprintf(cores, sizeof(cores), "%u@%u", cfg.main_core + 1, wc);
		else
			snprintf(cores, sizeof(cores), "%u", wc);
		strcpy(cfg.worker_cores, cores);
	}
	r = parse_cores(cfg.worker_cores, err);
	if (r < 0)
		return r;
	if (cfg.no_huge && cfg.mem_mb == 0)
		cfg.mem_mb = 512;
	return 0;
}

static void knob_value(const struct knob *k, char *buf, size_t len)
{
	const char *p = (const char *)&cfg + k->off;

	switch (k->type) {
	case K_STR:
		snprintf(buf, len, "%s", p);
		break;
	case K_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)p);
		break;
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "true" : "false");
		break;
	}
}

void config_print(FILE *f)
{
	for (size_t i = 0; i < NB_KNOBS; i++) {
		char name[40], val[128];

		opt_name(&knobs[i], name, sizeof(name));
		knob_value(&knobs[i], val, sizeof(val));
		fprintf(f, "%s=%s\n", name, val);
	}
}

void config_to_json(struct json_object *o)
{
	for (size_t i = 0; i < NB_KNOBS; i++) {
		const struct knob *k = &knobs[i];
		const char *p = (const char *)&cfg + k->off;
		char name[40];

		opt_name(k, name, sizeof(name));
		if (k->type == K_STR)
			json_object_object_add(o, name, json_object_new_string(p));
		else if (k->type == K_U32)
			json_object_object_add(o, name, json_object_new_int64(*(const uint32_t *)p));
		else
			json_object_object_add(o, name, json_object_new_boolean(*(const bool *)p));
	}
}
