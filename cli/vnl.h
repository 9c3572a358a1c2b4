/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl, the CLI: what every verb shares (docs/vnld.md, "vnl (CLI)").
 *
 * A verb is one entry of the table in vnl.c and one run function in a
 * vnl_*.c file. main() parses the options before the verb, then hands the
 * verb its own argv (argv[0] is the verb); the verb parses the rest with
 * vnl_getopt(), which also accepts the global options (--lab, -j, -v) after
 * the verb.  -v sets the logger's threshold to debug (common/log.h), which
 * shows the requests vnl_client.c sends and the replies it reads.
 *
 * Exit status convention, returned by every run function and by main():
 *   0  done (or --help)
 *   1  failure: one line "vnl: <message>" on stderr (vnl_fail)
 *   2  usage error: "vnl: <message>" and the verb's synopsis on stderr
 * exec exits with the command's own status instead.
 *
 * Thread-safety: vnl is single-threaded.
 */
#pragma once

#include <stdbool.h>
#include <getopt.h>

#include "topology.h"

struct vnl_verb;

/* The global options, as every verb sees them. */
struct vnl_cli {
	const char *lab;               /* --lab, $VNL_LAB or "default"; checked by vnl_getopt() */
	bool json;                     /* -j/--json: print vnld's JSON instead of text */
	const struct vnl_verb *verb;   /* the verb being run, for its usage text */
};

/* One verb of the table (vnl.c). */
struct vnl_verb {
	const char *name;      /* exact keyword */
	int (*run)(struct vnl_cli *cli, int argc, char **argv);  /* returns the exit status */
	const char *synopsis;  /* arguments after the verb, for usage lines */
	const char *summary;   /* one line for `vnl --help` */
	const char *options;   /* option lines for `vnl VERB --help`, or NULL */
	bool hidden;           /* not listed in `vnl --help` (completion helper) */
};

/*
 * `vnl add`'s synopsis and option lines, made from the kinds' schemas by
 * vnl_add_help() (vnl_edit.c), which main() calls once the model knows the
 * kinds.
 */
extern char vnl_add_synopsis[1024], vnl_add_options[4096];
void vnl_add_help(void);

/* Exit statuses. */
enum { VNL_EXIT_OK = 0, VNL_EXIT_FAIL = 1, VNL_EXIT_USAGE = 2 };

/* vnl_getopt() results besides the verb's own option characters and -1. */
#define VNL_OPT_HELP 'h'   /* --help seen: return vnl_opt_exit() */
#define VNL_OPT_BAD '?'    /* usage error, already reported: return vnl_opt_exit() */

/*
 * getopt_long() over the verb's options plus --lab/-l, --json/-j,
 * --verbose/-v and --help/-h, which it handles itself. Permutes like GNU getopt, so options
 * may follow positional arguments. Returns the verb's option characters,
 * VNL_OPT_HELP, VNL_OPT_BAD, or -1 once every option is read and the lab
 * name is valid (optind then indexes the first positional argument).
 * `longopts` may be NULL; `shortopts` lists only the verb's own letters.
 */
int vnl_getopt(struct vnl_cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* The exit status for VNL_OPT_HELP (usage on stdout, 0) or VNL_OPT_BAD (2). */
int vnl_opt_exit(const struct vnl_cli *cli, int c);
/*
 * Parse options of a verb that has none of its own and check that between
 * min and max positional arguments follow. -1 when the verb may go on,
 * else the exit status to return.
 */
int vnl_args(struct vnl_cli *cli, int argc, char **argv, int min, int max);

/* Report a usage error of the current verb (message + synopsis); returns 2. */
__attribute__((format(printf, 2, 3)))
int vnl_usage_error(const struct vnl_cli *cli, const char *fmt, ...);
/* Report a failure on one line "vnl: ..."; returns 1. */
__attribute__((format(printf, 1, 2)))
int vnl_fail(const char *fmt, ...);

struct json_object;
/*
 * Send req (consumed) to the lab's vnld and wait up to timeout_s for its
 * reply. -1 with *reply set (the caller puts it) when vnld said ok, else
 * the exit status to return after the one-line failure is printed.
 */
int vnl_ask(const struct vnl_cli *cli, struct json_object *req, int timeout_s, struct json_object **reply);

struct node_ctx;
struct node_kind;
/*
 * The node `name` as vnld describes it, its kind and a context for the
 * kind's slots (the slots vnl runs itself: exec, console, shell, copy). On
 * success *reply holds the strings ctx points to: put it when done. Returns
 * -1 to go on, else the exit status to return (the failure is printed).
 */
int vnl_node_lookup(struct vnl_cli *cli, const char *name, struct json_object **reply, struct node_ctx *ctx,
		    const struct node_kind **kind);

/*
 * Parse "NODE:N" (node name rule, N decimal 0..TOPO_NICS_MAX-1). 0, or
 * -EINVAL with a one-line message in msg.
 */
int vnl_parse_nic(const char *s, char node[TOPO_NAME_MAX + 1], unsigned *nic, char *msg,
		  size_t len);

/* The verbs, one run function each (the file that implements it in brackets). */
int vnl_cmd_start(struct vnl_cli *cli, int argc, char **argv);     /* vnl_lab.c */
int vnl_cmd_stop(struct vnl_cli *cli, int argc, char **argv);      /* vnl_lab.c */
int vnl_cmd_version(struct vnl_cli *cli, int argc, char **argv);   /* vnl_lab.c */
int vnl_cmd_log_level(struct vnl_cli *cli, int argc, char **argv); /* vnl_lab.c */
int vnl_cmd_add(struct vnl_cli *cli, int argc, char **argv);       /* vnl_edit.c */
int vnl_cmd_set(struct vnl_cli *cli, int argc, char **argv);
int vnl_cmd_del(struct vnl_cli *cli, int argc, char **argv);       /* vnl_edit.c */
int vnl_cmd_link(struct vnl_cli *cli, int argc, char **argv);      /* vnl_edit.c */
int vnl_cmd_unlink(struct vnl_cli *cli, int argc, char **argv);    /* vnl_edit.c */
int vnl_cmd_show(struct vnl_cli *cli, int argc, char **argv);      /* vnl_show.c */
int vnl_cmd_stats(struct vnl_cli *cli, int argc, char **argv);     /* vnl_stats.c */
int vnl_cmd_fdb(struct vnl_cli *cli, int argc, char **argv);       /* vnl_stats.c */
int vnl_cmd_exec(struct vnl_cli *cli, int argc, char **argv);      /* vnl_exec.c */
int vnl_cmd_console(struct vnl_cli *cli, int argc, char **argv);   /* vnl_exec.c */
int vnl_cmd_cp(struct vnl_cli *cli, int argc, char **argv);        /* vnl_exec.c */
int vnl_cmd_deploy(struct vnl_cli *cli, int argc, char **argv);    /* vnl_file.c */
int vnl_cmd_save(struct vnl_cli *cli, int argc, char **argv);      /* vnl_file.c */
int vnl_cmd_destroy(struct vnl_cli *cli, int argc, char **argv);   /* vnl_file.c */
int vnl_cmd_graph(struct vnl_cli *cli, int argc, char **argv);     /* vnl_graph.c */
int vnl_cmd_events(struct vnl_cli *cli, int argc, char **argv);    /* vnl_events.c */
int vnl_cmd_complete(struct vnl_cli *cli, int argc, char **argv);  /* vnl_complete.c */
int vnl_cmd_shell(struct vnl_cli *cli, int argc, char **argv);     /* vnl_vm.c */
int vnl_cmd_reboot(struct vnl_cli *cli, int argc, char **argv);    /* vnl_vm.c */
int vnl_cmd_halt(struct vnl_cli *cli, int argc, char **argv);      /* vnl_vm.c */
int vnl_cmd_wait(struct vnl_cli *cli, int argc, char **argv);      /* vnl_vm.c */
int vnl_cmd_web(struct vnl_cli *cli, int argc, char **argv);       /* vnl_web.c */
int vnl_cmd_capture(struct vnl_cli *cli, int argc, char **argv);   /* vnl_capture.c */
int vnl_cmd_impair(struct vnl_cli *cli, int argc, char **argv);    /* vnl_impair.c */
/* `vnl impair --help`'s option lines (filled by vnl_cmd_impair), and its
 * option words one per line on stdout (`vnl __complete impair`). */
extern char vnl_impair_options[2048];
void vnl_impair_words(void);
