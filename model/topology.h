/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab topology: nodes, LANs and links, and its YAML file format.
 *
 * A topology is plain data. vnld keeps one as the desired state of a lab,
 * `vnl deploy` reads one from a file, `vnl save` writes one. Nothing here
 * touches the kernel or the switch.
 *
 * Error convention: every function that can fail returns 0 or a negative
 * errno and, when `err` is not NULL, fills it with a one-line message and the
 * position it refers to (line 0 when the object did not come from a file).
 * Lookups return NULL and set errno to ENOENT. Nothing in this layer logs.
 *
 * Thread-safety: none. A topology belongs to one thread at a time.
 *
 * File format (YAML 1.1 subset, read with libyaml):
 *
 *   # vnetlab topology
 *   lans:                          # list of LAN names
 *     - blue
 *     - red
 *   nodes:                         # list of mappings
 *     - name: a                    # required
 *       kind: ns                   # required: ns, cnt or vm
 *       nics: 2                    # optional, 1..32, default 1
 *     - name: c1
 *       kind: cnt
 *       image: bookworm            # cnt and vm only
 *       cmd: "sleep infinity"      # cnt only
 *       env: [A=1, B=two]          # cnt only, list of KEY=VALUE
 *       mem: 256                   # cnt: memory limit, MiB, 16..1048576 (512)
 *       pids: 512                  # cnt only: most tasks, 16..4194304 (1024)
 *     - name: vm1
 *       kind: vm
 *       image: bookworm
 *       mem: 512                   # vm only, MiB, 1..1048576
 *       cpus: 1                    # vm only, 1..256
 *   links:                         # list, either form:
 *     - a:0 blue 10.0.1.1/24       #   short: NODE:NIC LAN [ADDR]
 *     - {node: a, nic: 1, lan: red, ip: 10.0.2.1/24}   # long form
 *
 * - The three sections are optional, may come in any order, and may be empty
 *   (`lans: []` or `lans:` with no value). Nothing else may appear at the top.
 * - Names follow `[a-z0-9][a-z0-9_-]*`, at most 15 characters, and are unique
 *   across nodes and LANs together.
 * - Unknown keys, duplicate keys, wrong types, missing required keys, options
 *   of another kind, anchors/aliases, more than one document, tab
 *   characters, bytes that are not UTF-8 and control characters other than
 *   line ends (anywhere, even in comments) are errors.
 * - A file is at most TOPO_FILE_MAX bytes; each of nodes, LANs and links holds
 *   at most TOPO_MAX_OBJECTS entries.
 * - An address is A.B.C.D/N (N in 1..32) and applies to ns and cnt nodes.
 * - Free text (image, cmd, env entries) is valid UTF-8 without control
 *   characters (C0, DEL, C1) other than tab and newline (cmd scripts):
 *   topo_check_text(). image and
 *   cmd are not empty.
 *
 * topo_save() writes the canonical form: header comment, then lans, nodes
 * and links in that order, each in insertion order; links in the short form;
 * defaults (nics 1, unset options) left out; free strings (image, cmd, env)
 * double-quoted, with YAML escapes for '"', '\\', tab and every character
 * a YAML reader would fold, drop or refuse (NEL, LS, PS, BOM, U+FFFE/FFFF),
 * so that libyaml reads back exactly the same bytes.
 *
 * Round trip: every topology that topo_add_*() accepts (so everything vnld
 * accepts) is saved by topo_save() into a file that topo_load_*() reads back
 * equal (topo_equal), and saving that again gives the same bytes. This
 * includes the size limit: topo_add_*() refuses (-EFBIG) an object that
 * would make the saved form exceed TOPO_FILE_MAX.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define TOPO_NAME_MAX 15		/* longest node or LAN name, without NUL */
#define TOPO_NICS_MAX 32		/* most interfaces on one node */
#define TOPO_MAX_OBJECTS 4096		/* most nodes, most LANs, most links */
#define TOPO_FILE_MAX (1024 * 1024)	/* largest topology file, bytes */
#define TOPO_MEM_MAX (1024 * 1024)	/* largest vm memory, MiB */
#define TOPO_CPUS_MAX 256		/* most vm cpus */
#define TOPO_CNT_MEM_MIN 16		/* least cnt memory limit, MiB */
#define TOPO_CNT_MEM_DEFAULT 512	/* cnt memory limit when mem is unset, MiB */
#define TOPO_PIDS_MIN 16		/* least cnt pids limit */
#define TOPO_PIDS_MAX 4194304		/* most cnt pids limit (the kernel's PID_MAX_LIMIT) */
#define TOPO_PIDS_DEFAULT 1024		/* cnt pids limit when pids is unset */

/* What went wrong, and where. */
struct topo_err {
	int line;	/* 1-based line in the file; 0 when not from a file */
	int column;	/* 1-based column; 0 when unknown */
	char msg[256];	/* one line, no position prefix, no trailing newline */
};

/* Node kinds; each one's runtime lives in endpoints/. */
enum topo_kind {
	TOPO_NS,	/* network namespace with veth interfaces */
	TOPO_CNT,	/* container (crun) */
	TOPO_VM,	/* virtual machine (qemu) */
	TOPO_KIND_COUNT,
};

/*
 * A node. As a template for topo_add_node() the caller owns the strings; in
 * a topology the topology owns deep copies of them.
 */
struct topo_node {
	char name[TOPO_NAME_MAX + 1];	/* unique across nodes and LANs */
	enum topo_kind kind;		/* what runs behind the interfaces */
	unsigned nics;			/* interfaces eth0..eth(nics-1); 1..32 */
	char *image;			/* cnt, vm: image name; NULL = kind default */
	char *cmd;			/* cnt: command line; NULL = image default */
	char **env;			/* cnt: n_env "KEY=VALUE" strings */
	unsigned n_env;			/* entries in env */
	unsigned mem_mb;		/* vm: memory in MiB; cnt: memory limit in MiB
					 * (TOPO_CNT_MEM_MIN..); 0 = kind default */
	unsigned pids;			/* cnt: most tasks (pids.max), TOPO_PIDS_MIN..
					 * TOPO_PIDS_MAX; 0 = TOPO_PIDS_DEFAULT */
	unsigned cpus;			/* vm: virtual cpus; 0 = kind default */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/* A LAN: one broadcast domain in the switch. */
struct topo_lan {
	char name[TOPO_NAME_MAX + 1];	/* unique across nodes and LANs */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/* A link puts interface `nic` of node `node` into LAN `lan`. */
struct topo_link {
	char node[TOPO_NAME_MAX + 1];	/* node name */
	unsigned nic;			/* interface index, < the node's nics */
	char lan[TOPO_NAME_MAX + 1];	/* LAN name */
	bool has_addr;			/* addr/plen are set (ns and cnt only) */
	struct in_addr addr;		/* interface address, network order */
	unsigned plen;			/* prefix length, 1..32 */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/*
 * A lab topology. Arrays keep insertion order; pointers into them are valid
 * until the next topo_add_*() or topo_free().
 */
struct topo {
	struct topo_node *nodes;	/* n_nodes nodes */
	unsigned n_nodes, cap_nodes;
	struct topo_lan *lans;		/* n_lans LANs */
	unsigned n_lans, cap_lans;
	struct topo_link *links;	/* n_links links */
	unsigned n_links, cap_links;
	size_t save_bytes;		/* size of the objects in topo_save()'s form,
					 * without the fixed frame (TOPO_SAVE_FRAME) */
};

/* Most bytes topo_save() writes besides the objects (header, section keys). */
#define TOPO_SAVE_FRAME 48

/* An empty topology, or NULL with errno ENOMEM. */
struct topo *topo_new(void);
/* Frees t and all it owns; accepts NULL. */
void topo_free(struct topo *t);

/*
 * Add a copy of the template. Checked here: the name rule, duplicate names
 * (-EEXIST), ranges, options allowed for the kind, address prefix length,
 * the object limit (-E2BIG), memory (-ENOMEM). Links are not checked against
 * nodes and LANs here (a file may list them first): see topo_validate().
 * On failure the topology is unchanged.
 */
int topo_add_node(struct topo *t, const struct topo_node *tmpl, struct topo_err *err);
int topo_add_lan(struct topo *t, const struct topo_lan *tmpl, struct topo_err *err);
int topo_add_link(struct topo *t, const struct topo_link *tmpl, struct topo_err *err);

/* Lookups by name; NULL and errno ENOENT when absent. */
/* Remove an object (keeping the others' order); a LAN's or node's links go
 * with it. 0, or -ENOENT with err filled when there is no such object. */
int topo_del_node(struct topo *t, const char *name, struct topo_err *err);
int topo_del_lan(struct topo *t, const char *name, struct topo_err *err);
int topo_del_link(struct topo *t, const char *node, unsigned nic, struct topo_err *err);

struct topo_node *topo_find_node(const struct topo *t, const char *name);
struct topo_lan *topo_find_lan(const struct topo *t, const char *name);
/* The link on interface nic of node, if any. */
struct topo_link *topo_find_link(const struct topo *t, const char *node, unsigned nic);

/*
 * Whole-topology checks: everything topo_add_*() checks, plus names shared
 * by a node and a LAN, links to unknown nodes or LANs (-ENOENT), nic index
 * beyond the node's nics (-ERANGE), two links on one interface (-EEXIST),
 * and addresses on vm nodes. Reports the first problem, at its object.
 */
int topo_validate(const struct topo *t, struct topo_err *err);

/* Same nodes, LANs and links in the same order (positions ignored). */
bool topo_equal(const struct topo *a, const struct topo *b);

/* 0 if name follows the name rule, else -EINVAL with the rule in err. */
int topo_check_name(const char *name, const char *what, int line, int column,
		    struct topo_err *err);
/*
 * 0 if s is valid UTF-8 (shortest form, no surrogates, at most U+10FFFF)
 * without control characters (U+0000..U+001F but tab and newline,
 * U+007F..U+009F); else -EINVAL with "WHAT: <problem> at byte N: text must
 * be valid UTF-8 without control characters other than tab and newline".
 * The one rule for every free
 * string field, used by vnld's requests (through topo_add_node) and the
 * file reader alike.
 */
int topo_check_text(const char *s, const char *what, int line, int column, struct topo_err *err);
/* Room for topo_show()'s output, NUL included. */
#define TOPO_SHOW_LEN 176
/*
 * s made fit for an error message, in buf: its first 40 characters ("..."
 * after them when there are more), control characters and bytes that are
 * not UTF-8 written as \xNN, so that a message stays one printable line
 * whatever the user typed. Returns buf.
 */
const char *topo_show(const char *s, char buf[TOPO_SHOW_LEN]);
/*
 * The UTF-8 sequence at s: its length (1..4) with the code point in *cp, or
 * 0 when s does not start a valid sequence (or is the NUL terminator).
 */
unsigned topo_utf8_next(const unsigned char *s, uint32_t *cp);
/* 0 if entry is KEY=VALUE with KEY [A-Za-z_][A-Za-z0-9_]* and a VALUE that
 * passes topo_check_text(), else -EINVAL. */
int topo_check_env(const char *entry, int line, int column, struct topo_err *err);
/* Parse "A.B.C.D/N" strictly (decimal, N in 1..32); -EINVAL with a message. */
int topo_parse_addr(const char *s, struct in_addr *addr, unsigned *plen,
		    struct topo_err *err);
/* Room for "A.B.C.D/N" and its NUL. */
#define TOPO_ADDR_LEN (INET_ADDRSTRLEN + 3)
/* The link's address as "A.B.C.D/N" in buf (TOPO_ADDR_LEN bytes), or NULL
 * when it has none. */
const char *topo_link_addr(const struct topo_link *k, char buf[TOPO_ADDR_LEN]);
/* "ns", "cnt", "vm"; and back (-EINVAL when unknown). */
const char *topo_kind_name(enum topo_kind kind);
int topo_kind_parse(const char *s, enum topo_kind *kind);

/* Fill err (if not NULL) and return -errnum: the one way errors are made. */
__attribute__((format(printf, 5, 6)))
int topo_errf(struct topo_err *err, int line, int column, int errnum, const char *fmt, ...);

/*
 * Read a topology file (topofile.c). On success *out is a new, validated
 * topology; on failure *out is NULL and err says where and what. Files over
 * TOPO_FILE_MAX are refused with -EFBIG.
 */
int topo_load_file(const char *path, struct topo **out, struct topo_err *err);
/* Same from a NUL-terminated string (tests, requests over the socket). */
int topo_load_string(const char *text, struct topo **out, struct topo_err *err);

/*
 * Write t in the canonical form (toposave.c). -EIO (from the FILE error
 * flag) when writing fails, -EINVAL (nothing written) when a string breaks
 * topo_check_text() (a topology not built through topo_add_node()); the
 * caller owns flushing and closing.
 */
int topo_save(FILE *f, const struct topo *t, struct topo_err *err);
/* Bytes topo_save() writes for one object (its share of struct topo.save_bytes). */
size_t topo_node_save_size(const struct topo_node *n);
size_t topo_lan_save_size(const struct topo_lan *l);
size_t topo_link_save_size(const struct topo_link *k);
