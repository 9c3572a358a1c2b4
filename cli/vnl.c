/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl: the command-line client of vnld (docs/vnld.md, "vnl (CLI)").
 *
 *   vnl [--lab NAME] [-j|--json] [-v|--verbose] VERB [ARGS...]
 *
 * This file holds main(), the verb table and the argument helpers every
 * verb uses (vnl.h); each verb lives in a vnl_*.c file by concern.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vnl.h"
#include "node_kind.h"
#include "vnl_client.h"

static const struct vnl_verb verbs[] = {
	{ "start", vnl_cmd_start, "", "start the lab's vnld and switch", NULL, false },
	{ "stop", vnl_cmd_stop, "", "remove every object of the lab and stop its processes", NULL, false },
	/* Synopsis and options from the kinds' schemas (vnl_add_help()). */
	{ "add", vnl_cmd_add, vnl_add_synopsis, "add a LAN or a node (starts the lab if needed)",
	  vnl_add_options, false },
	{ "del", vnl_cmd_del, "NAME", "delete a node or a LAN, with its links", NULL, false },
	{ "set", vnl_cmd_set, "lan LAN [--remote IP[,IP...]|none] [--vxlan VNI|none] [--underlay IFACE|none] "
	  "[--local IP|none] [--dstport N|none] [--mtu N|none]",
	  "change a LAN: its remotes live, its other vxlan settings or mtu (none: back to the default)",
	  "      --remote IP[,IP...]  the remotes, all of them (live: the others keep their MACs)\n"
	  "      --vxlan VNI          the VXLAN id (a plain LAN: stretched to the remotes; none: a plain LAN again)\n"
	  "      --underlay IFACE     host interface to the remotes (none: the route's to the first)\n"
	  "      --local IP           this host's address there (none: the route's)\n"
	  "      --dstport N          UDP port (none: 4789)\n"
	  "      --mtu N              largest IP packet (none: 1500, over vxlan the underlay's mtu less 50/70;\n"
	  "                           over vxlan at most 3456/3436, more than that default raises the underlay)\n", false },
	{ "link", vnl_cmd_link, "NODE:N LAN [--ip A.B.C.D/N] [--nic-type T]", "put interface N of NODE in LAN",
	  "  -a, --ip A.B.C.D/N  address of the interface (ns and cnt nodes)\n", false },
	{ "unlink", vnl_cmd_unlink, "NODE:N", "take interface N of NODE out of its LAN", NULL, false },
	{ "impair", vnl_cmd_impair,
	  "NODE:N [--dir in|out|both] [--delay T] [--loss P] [--rate R] ... (netem's words)\n"
	  "NODE:N --clear [--dir in|out|both]\nNODE:N",
	  "impair a link like netem (delay, loss, rate...), clear it, or print it", vnl_impair_options, false },
	{ "show", vnl_cmd_show, "[NAME]", "the lab, or one node or LAN", NULL, false },
	{ "stats", vnl_cmd_stats, "[NODE:N|NODE|LAN]", "port and LAN counters of the switch", NULL, false },
	{ "fdb", vnl_cmd_fdb, "LAN", "the MAC table of a LAN", NULL, false },
	{ "capture", vnl_cmd_capture, "TARGET... [-f FILTER] [-c N] [--duration S] [-s SNAPLEN] [--dir D] [-w FILE|-]"
	  " | -r FILE", "capture frames of NODE:N or LAN targets as pcapng, or print them",
	  "  TARGET              NODE:N (both directions) or LAN (frames each port sends)\n"
	  "  -f, --filter EXPR   keep the frames that match (libpcap filter, as tcpdump's)\n"
	  "  -c, --count N       stop after N frames\n"
	  "      --duration S    stop after S seconds\n"
	  "  -s, --snaplen LEN   keep at most LEN bytes of each frame (64..262144) [262144]\n"
	  "      --dir D         in (what the node receives), out (what it sends) or both\n"
	  "                      [both for NODE:N, out for a LAN]\n"
	  "  -w, --write FILE    write pcapng to FILE, or to stdout with -: vnl capture a:0 -w - |\n"
	  "                      wireshark -k -i -; without -w, one line per frame (tshark's\n"
	  "                      when installed, else tcpdump -n -e style)\n"
	  "  -r, --read FILE     print a pcapng file (with -j: one JSON object per block)\n", false },
	{ "exec", vnl_cmd_exec, "[-t] NODE -- CMD [ARG...]", "run a command in a node, exit with its status",
	  "  -t, --tty           a terminal of its own inside the node (cnt, vm)\n", false },
	{ "shell", vnl_cmd_shell, "NODE", "an interactive login shell in a vm, through its agent", NULL, false },
	{ "console", vnl_cmd_console, "NODE",
	  "an interactive shell in a cnt node; a vm's serial console (leave it with Ctrl-])", NULL, false },
	{ "cp", vnl_cmd_cp, "[-r] SRC DST", "copy into or out of a node: one of SRC, DST is NODE:/path",
	  "  -r, --recursive     copy a folder and what it holds (vm)\n", false },
	{ "wait", vnl_cmd_wait, "[--timeout S] NODE...", "wait until the nodes are ready (a vm's agent answers)",
	  "  -t, --timeout S     give up after S seconds [600]\n", false },
	{ "reboot", vnl_cmd_reboot, "NODE", "reset a vm, or start it again when it is off", NULL, false },
	{ "halt", vnl_cmd_halt, "NODE", "power a vm off (it stays off until vnl reboot)", NULL, false },
	{ "deploy", vnl_cmd_deploy, "FILE", "create what a topology file has and the lab lacks", NULL,
	  false },
	{ "save", vnl_cmd_save, "FILE|-", "write the lab as a topology file", NULL, false },
	{ "destroy", vnl_cmd_destroy, "", "remove every node and LAN (vnld keeps running)", NULL, false },
	{ "graph", vnl_cmd_graph, "[--format dot|mermaid|svg] [-o FILE]",
	  "the topology as Graphviz, Mermaid or SVG",
	  "  -f, --format FMT    dot, mermaid or svg (needs Graphviz's dot) [dot]\n"
	  "  -o, --output FILE   write to FILE instead of stdout\n", false },
	{ "events", vnl_cmd_events, "", "print every change of the lab as it happens", NULL, false },
	{ "web", vnl_cmd_web, "[--listen ADDR:PORT] [--capture-max KIB]", "serve the labs' canvas to a browser",
	  "      --listen ADDR:PORT  where to serve (port 0: any free one) [127.0.0.1:8080]\n"
	  "      --capture-max KIB   stop a page's capture when its file reaches this size\n"
	  "                          [65536, i.e. 64 MiB]\n", false },
	{ "version", vnl_cmd_version, "", "versions of vnl and the lab's vnld", NULL, false },
	{ "log-level", vnl_cmd_log_level, "SPEC", "set the running vnld's log thresholds",
	  "  SPEC                LEVEL, SUBSYS=LEVEL, comma separated (error, warning, info,\n"
	  "                      debug; subsystems main, lab, guest, sessions): debug,\n"
	  "                      warning,guest=debug\n", false },
	{ "__complete", vnl_cmd_complete, "nodes|lans|nics|links|kinds|options [KIND|lan]", "words for shell completion",
	  NULL, true },
};
#define NB_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnl [--lab NAME] [-j|--json] [-v|--verbose] VERB [ARGS...]\n"
		   "Build and run virtual network labs; each lab has its own vnld.\n\nVerbs:\n");
	for (size_t i = 0; i < NB_VERBS; i++)
		if (!verbs[i].hidden)
			fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nOptions (also accepted after the verb):\n"
		   "  -l, --lab NAME      the lab [$VNL_LAB, else default]\n"
		   "  -j, --json          print vnld's JSON reply instead of text\n"
		   "  -v, --verbose       show the requests sent to vnld and its replies (stderr)\n"
		   "  -h, --help          this help; vnl VERB --help for one verb\n");
}

/* "Usage:" lines of the verb, one per alternative of its synopsis. */
static void verb_synopsis(FILE *f, const struct vnl_verb *v)
{
	const char *s = v->synopsis, *nl;
	const char *lead = "Usage:";

	do {
		nl = strchr(s, '\n');
		fprintf(f, "%s vnl %s%s%.*s\n", lead, v->name, *s ? " " : "",
			nl ? (int)(nl - s) : (int)strlen(s), s);
		lead = "      ";
		s = nl ? nl + 1 : NULL;
	} while (s);
}

static void verb_usage(FILE *f, const struct vnl_verb *v)
{
	verb_synopsis(f, v);
	fprintf(f, "%c%s.\nOptions:\n%s", v->summary[0] - 'a' + 'A', v->summary + 1,
		v->options ? v->options : "");
	fprintf(f, "  -l, --lab NAME      the lab [$VNL_LAB, else default]\n"
		   "  -j, --json          print vnld's JSON reply instead of text\n"
		   "  -v, --verbose       show the requests sent to vnld and its replies (stderr)\n"
		   "  -h, --help          this help\n");
}

int vnl_ask(const struct vnl_cli *cli, struct json_object *req, int timeout_s, struct json_object **reply)
{
	struct vnl_err err;
	int r = vnl_call(cli->lab, req, timeout_s, reply, &err);

	json_object_put(req);
	return r < 0 ? vnl_fail("%s", err.msg) : -1;
}

int vnl_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vnl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VNL_EXIT_FAIL;
}

int vnl_usage_error(const struct vnl_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("vnl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli->verb)
		verb_synopsis(stderr, cli->verb);
	return VNL_EXIT_USAGE;
}

int vnl_getopt(struct vnl_cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static const struct option common[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "lab", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
	};
	struct option all[32];
	char sopts[64];
	size_t n = 0;
	struct vnl_err te;
	int c;

	for (; longopts && longopts[n].name && n < 32 - 5; n++)
		all[n] = longopts[n];
	for (size_t i = 0; i < 4; i++)
		all[n++] = common[i];
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(sopts, sizeof(sopts), ":hjl:v%s", shortopts ? shortopts : "");
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, sopts, all, NULL);
		switch (c) {
		case 'j':
			cli->json = true;
			continue;
		case 'l':
			cli->lab = optarg;
			continue;
		case 'v':
			log_set_max_level(LOG_LEVEL_DEBUG);
			continue;
		case 'h':
			return VNL_OPT_HELP;
		case ':':
			vnl_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
			return VNL_OPT_BAD;
		case '?':
			if (optopt && optopt != '?')
				vnl_usage_error(cli, "unknown option '-%c'", optopt);
			else
				vnl_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
			return VNL_OPT_BAD;
		case -1:
			if (topo_check_name(cli->lab, "lab", 0, 0, &te) < 0) {
				vnl_usage_error(cli, "%s", te.msg);
				return VNL_OPT_BAD;
			}
			return -1;
		default:
			return c;
		}
	}
}

int vnl_opt_exit(const struct vnl_cli *cli, int c)
{
	if (c == VNL_OPT_HELP) {
		verb_usage(stdout, cli->verb);
		return VNL_EXIT_OK;
	}
	return VNL_EXIT_USAGE;
}

int vnl_args(struct vnl_cli *cli, int argc, char **argv, int min, int max)
{
	int c = vnl_getopt(cli, argc, argv, "", NULL);

	if (c != -1)
		return vnl_opt_exit(cli, c);
	if (argc - optind < min)
		return vnl_usage_error(cli, "%s: missing argument", cli->verb->name);
	if (argc - optind > max)
		return vnl_usage_error(cli, "%s: unexpected argument '%s'", cli->verb->name,
				       argv[optind + max]);
	return -1;
}

int vnl_parse_nic(const char *s, char node[TOPO_NAME_MAX + 1], unsigned *nic, char *msg,
		  size_t len)
{
	const char *colon = strrchr(s, ':');
	struct vnl_err te;
	unsigned long n;
	char *end;

	if (colon == NULL || colon == s || !colon[1]) {
		snprintf(msg, len, "'%s' is not an interface NODE:N (e.g. a:0)", s);
		return -EINVAL;
	}
	if ((size_t)(colon - s) > TOPO_NAME_MAX) {
		snprintf(msg, len, "'%s': node names have at most %d characters", s, TOPO_NAME_MAX);
		return -EINVAL;
	}
	memcpy(node, s, (size_t)(colon - s));
	node[colon - s] = '\0';
	if (topo_check_name(node, "node", 0, 0, &te) < 0) {
		snprintf(msg, len, "'%s': %s", s, te.msg);
		return -EINVAL;
	}
	errno = 0;
	n = strtoul(colon + 1, &end, 10);
	if (*end || errno || colon[1] < '0' || colon[1] > '9' || n >= TOPO_NICS_MAX) {
		snprintf(msg, len, "'%s': the interface number N of NODE:N must be in 0..%d", s,
			 TOPO_NICS_MAX - 1);
		return -EINVAL;
	}
	*nic = (unsigned)n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { "json", no_argument, NULL, 'j' },
		{ "lab", required_argument, NULL, 'l' }, { "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct vnl_cli cli = { .lab = getenv("VNL_LAB") };
	int c;

	log_open("vnl");
	node_kinds_init();
	vnl_add_help();
	if (cli.lab == NULL || !*cli.lab)
		cli.lab = "default";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hjl:v", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return VNL_EXIT_OK;
		case 'j': cli.json = true; break;
		case 'l': cli.lab = optarg; break;
		case 'v': log_set_max_level(LOG_LEVEL_DEBUG); break;
		case ':':
			fprintf(stderr, "vnl: option '%s' needs a value\n", argv[optind - 1]);
			return VNL_EXIT_USAGE;
		default:
			fprintf(stderr, "vnl: unknown option '%s' (vnl --help lists them)\n", argv[optind - 1]);
			return VNL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VNL_EXIT_USAGE;
	}
	for (size_t i = 0; i < NB_VERBS; i++) {
		if (strcmp(verbs[i].name, argv[optind]) == 0) {
			cli.verb = &verbs[i];
			argv += optind;
			argc -= optind;
			optind = 0; /* restart getopt on the verb's own argv */
			return verbs[i].run(&cli, argc, argv);
		}
	}
	fprintf(stderr, "vnl: unknown verb '%s' (vnl --help lists them)\n", argv[optind]);
	return VNL_EXIT_USAGE;
}
