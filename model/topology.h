/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab topology: nodes, LANs and links, and its YAML file format.
 *
 * A topology is plain data. vnld keeps one as the desired state of a lab,
 * `vnl deploy` reads one from a file, `vnl save` writes one. Nothing here
 * touches the kernel or the switch.
 *
 * Error convention: every function that can fail returns 0 or a negative
 * errno and, when `err` is not NULL, fills it (common/err.h) with a one-line
 * message. An error about an object read from a file starts with the
 * object's position, "LINE:COLUMN: " (topo_load_file() puts the path in
 * front: "lab.yaml:12:5: ..."); objects not from a file have none. Lookups
 * return NULL and set errno to ENOENT. Nothing in this layer logs.
 *
 * Node kinds: the model knows no kind by name. The program hands it the
 * table of kinds once, at start, before any other call (topo_set_kinds():
 * vnld and vnl pass the schemas of endpoints/kinds.c, the unit tests a table
 * of their own). Each kind declares its options as data (struct topo_opt);
 * the reader, the writer, validation, vnld's node-add and `vnl add` iterate
 * that schema, so a kind's options are written once, beside its code.
 *
 * Thread-safety: none. A topology belongs to one thread at a time; the
 * table of kinds is set before threads start and never changes after.
 *
 * File format (YAML 1.1 subset, read with libyaml):
 *
 *   # vnetlab topology
 *   lans:                          # list, either form:
 *     - blue                       #   short: a name (mtu 1500)
 *     - {name: red, mtu: 9000}     #   long form: mtu 68..9000
 *     - name: green                # long form, stretched to other hosts
 *       vxlan:                     #   (struct topo_vxlan; mtu absent: the
 *         vni: 100                 #   underlay's less 50/70, vnld decides)
 *         remote: [192.0.2.2, "2001:db8::2"]  # optional, one family
 *         underlay: eth1           # optional: the route's interface
 *         local: 192.0.2.1         # optional: the route's source
 *         dstport: 4789            # optional
 *   nodes:                         # list of mappings
 *     - name: a                    # required
 *       kind: ns                   # required: a kind of the table
 *       nics: 2                    # optional, 1..32, default 1
 *     - name: c1
 *       kind: cnt
 *       image: bookworm            # then options of the kind, as its
 *       cmd: "sleep infinity"      # schema says (endpoints/cnt.c here):
 *       env: [A=1, B=two]          # a number, a text or a list of texts
 *       mem: 256
 *   links:                         # list, either form:
 *     - a:0 blue 10.0.1.1/24       #   short: NODE:NIC LAN [ADDR]
 *     - {node: a, nic: 1, lan: red, ip: 10.0.2.1/24, nic-type: afxdp}  # long form
 *     - node: b                    # long form with impairments (netem's
 *       nic: 0                     #   words: topo_impair_set()):
 *       lan: red
 *       impair:                    # keys here: both directions
 *         delay: 20ms
 *         jitter: 2ms
 *         distribution: normal
 *         out:                     # what b sends: adds to or overrides the
 *           rate: 10mbit           #   keys above
 *         in:                      # what b receives
 *           loss: gemodel 1% 10%
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
 * - An address is A.B.C.D/N (N in 1..32) and applies to nodes of the kinds
 *   whose schema says `addresses`.
 * - A link's `nic-type` overrides the node's option of that name for the one
 *   NIC (precedence: link, node, the kind's default: topo_nic_choice()); it
 *   is only valid for a node whose kind has a `nic-type` option, and takes
 *   that option's values.
 * - A number option is a decimal in its range. A choice option is one of its
 *   words. A text option, and every
 *   entry of a list option, is valid UTF-8 without control characters (C0,
 *   DEL, C1) other than tab and newline (cmd scripts): topo_check_text(). A
 *   text option is not empty; the entries of an env list are KEY=VALUE.
 *
 * topo_save() writes the canonical form: header comment, then lans, nodes
 * and links in that order, each in insertion order; LANs and links in the
 * short form, unless they carry what only the long form says (a LAN's mtu, a
 * link's nic-type), which is written only when it was given; a LAN with a
 * vxlan in the block long form, its `vxlan:` keys in the order above with
 * the defaults (no remote, no underlay, no local, dstport 4789) left out,
 * IPv6 addresses double-quoted; an impaired
 * link is written in the block long form, its `impair:` with the keys whose
 * text is the same in both directions at the top and the others under
 * `out:` and `in:`, keys in topo_impair_keys order;
 * a node's options in its kind's schema order; defaults (nics 1, unset
 * options) left out; texts and list entries double-quoted, with YAML
 * escapes for '"', '\\', tab and every character a YAML reader would fold,
 * drop or refuse (NEL, LS, PS, BOM, U+FFFE/FFFF), so that libyaml reads
 * back exactly the same bytes.
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

#include "err.h"

#define TOPO_NAME_MAX 15		/* longest node or LAN name, without NUL */
#define TOPO_NICS_MAX 32		/* most interfaces on one node */
#define TOPO_MAX_OBJECTS 4096		/* most nodes, most LANs, most links */
#define TOPO_FILE_MAX (1024 * 1024)	/* largest topology file, bytes */
#define TOPO_OPTS_MAX 8			/* most options of one kind */
#define TOPO_KINDS_MAX 16		/* most kinds in the table */

/* What an option's value is. */
enum topo_opt_type {
	TOPO_OPT_UINT,	/* a decimal number in min..max */
	TOPO_OPT_TEXT,	/* free text (topo_check_text()), not empty */
	TOPO_OPT_LIST,	/* a list of free texts */
	TOPO_OPT_ENV,	/* a list of KEY=VALUE texts (topo_check_env()) */
	TOPO_OPT_ENUM,	/* one word of `choices`; the value is its index */
};

/*
 * One option of a kind, as data. Its name is the key in files and in the
 * JSON of `vnl show`, the long option of `vnl add` and the member of vnld's
 * node-add request (unless `req` names that one otherwise).
 */
struct topo_opt {
	const char *name;	/* [a-z0-9][a-z0-9_-]*, not name, kind or nics */
	const char *req;	/* node-add member when not `name` (protocol), or NULL */
	char short_opt;		/* one-letter `vnl add` option, or 0 */
	enum topo_opt_type type;
	unsigned min, max;	/* UINT: the allowed range, min >= 1 */
	unsigned def;		/* UINT: the value when unset; 0: none (the kind
				 * decides, e.g. an image's own).  ENUM: the index
				 * of the choice when unset */
	const char *const *choices; /* ENUM: the words, NULL-terminated, at most
				 * TOPO_CHOICES_MAX; a kind's code reads the index */
	const char *unit;	/* UINT: unit in messages and help ("MiB"), or NULL */
	const char *metavar;	/* `vnl add --help`: "IMG", "MB", "K=V" */
	const char *help;	/* `vnl add --help`: one short line */
};

/*
 * The schema of a node kind: all the model knows of it. The kind's runtime
 * (endpoints/) points to it; the table of them is set by topo_set_kinds().
 */
struct topo_kind {
	const char *name;		/* as written in files and `vnl add KIND` */
	const char *help;		/* one short line: what runs behind the NICs */
	const struct topo_opt *opts;	/* n_opts options, in the order they are saved */
	unsigned n_opts;		/* at most TOPO_OPTS_MAX */
	bool addresses;			/* links to its nodes may carry an address,
					 * which the kind sets inside the node */
};

/*
 * The value of one option of a node. As a template for topo_add_node() the
 * caller owns the strings; in a topology the topology owns deep copies.
 * topo_add_node() keeps `set` true only for a value that was given: a text
 * that is not NULL, a list with entries, a number the caller set.
 */
struct topo_val {
	bool set;		/* given; unset: the option's default, or none */
	unsigned num;		/* UINT; ENUM: index into the choices */
	char *text;		/* TEXT */
	char **list;		/* LIST, ENV: n entries */
	unsigned n;
};

/*
 * A node. As a template for topo_add_node() the caller owns the strings; in
 * a topology the topology owns deep copies of them.
 */
struct topo_node {
	char name[TOPO_NAME_MAX + 1];	/* unique across nodes and LANs */
	const struct topo_kind *kind;	/* what runs behind the interfaces */
	unsigned nics;			/* interfaces eth0..eth(nics-1); 1..32 */
	struct topo_val opt[TOPO_OPTS_MAX]; /* indexed like kind->opts; the rest unset */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/* LAN mtu: the largest IP packet its NICs carry (the switch takes frames
 * of mtu + 22 bytes: Ethernet and two VLAN tags). */
#define TOPO_LAN_MTU_MIN 68
#define TOPO_LAN_MTU_MAX 9000
#define TOPO_LAN_MTU_DEF 1500

/* Most words of a choice option. */
#define TOPO_CHOICES_MAX 8

/* The option, and link key, that chooses a NIC's switch port type. */
#define TOPO_NIC_TYPE "nic-type"

/* VXLAN (docs/plans/vxlan.md 2.9): a LAN stretched to other hosts. */
#define TOPO_VXLAN_VNI_MAX 16777215	/* 24 bits; VNI 0 is "no vxlan" */
#define TOPO_VXLAN_REMOTES_MAX 32	/* the switch's remote indexes 0..31 */
#define TOPO_VXLAN_DSTPORT_DEF 4789	/* IANA's VXLAN port (Linux's, OVS's) */
#define TOPO_VXLAN_ADDR_LEN 46		/* INET6_ADDRSTRLEN: an address as text, NUL */
/* Bytes the outer headers add (Ethernet, IP, UDP, VXLAN) per family. */
#define TOPO_VXLAN_OVERHEAD4 50
#define TOPO_VXLAN_OVERHEAD6 70
/* Largest LAN mtu over vxlan while AF_XDP frames are one 4 KiB page
 * (veth's native XDP max MTU 3506, less the overhead). */
#define TOPO_VXLAN_MTU_MAX4 3456
#define TOPO_VXLAN_MTU_MAX6 3436

/*
 * The vxlan of a LAN: its frames go to and come from other hosts (VTEPs)
 * in UDP over an underlay interface of this host. Plain data: the file's
 * `vxlan:` mapping of a LAN's long form, vnld's lan-add members.
 * Addresses are 16 bytes in network order, IPv4 in the first 4.
 * Kept inside struct topo_lan (not by pointer, unlike the plan's sketch):
 * a LAN is copied by value everywhere (templates, put_back, deploy), and
 * 600 bytes a LAN cost less than an owner for every copy.
 */
struct topo_vxlan {
	unsigned vni;			/* 1..TOPO_VXLAN_VNI_MAX; 0: a plain LAN */
	int family;			/* AF_INET or AF_INET6 of local and remotes;
					 * 0 when none is given (no remote, no local) */
	unsigned n_remote;		/* 0..TOPO_VXLAN_REMOTES_MAX */
	uint8_t remote[TOPO_VXLAN_REMOTES_MAX][16]; /* unique, in the order given */
	char underlay[16];		/* host interface; "": the route's to the
					 * first remote (vnld resolves it) */
	bool has_local;			/* local given; else the route's source */
	uint8_t local[16];
	unsigned dstport;		/* UDP port, 1..65535; 0: TOPO_VXLAN_DSTPORT_DEF */
};

/* A LAN: one broadcast domain in the switch. */
struct topo_lan {
	char name[TOPO_NAME_MAX + 1];	/* unique across nodes and LANs */
	unsigned mtu;			/* TOPO_LAN_MTU_MIN..MAX; 0: not given
					 * (TOPO_LAN_MTU_DEF, topo_lan_mtu();
					 * over vxlan vnld decides: lab_vxlan.c) */
	struct topo_vxlan vx;		/* vx.vni 0: not stretched */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/*
 * Impairments of one direction of a link, netem's model (docs/plans/
 * capture-impair.md 2.6): what the switch does to the frames of that
 * direction. All zero is "none"; a zero field is a key not given (the file
 * and vnl show only the given ones): limit 0 is the switch's default
 * (1000), gap 0 is 1 when reorder is set, dist 0 is uniform. The only
 * parser and printer of the units is impair_text.c (topo_impair_set,
 * topo_impair_text); topo_impair_check() holds the rules that join keys.
 */
struct topo_impair {
	uint64_t delay_ns, jitter_ns;	/* 0..60 s */
	uint64_t rate_bps;		/* 0, or 8 bit/s..400 Gbit/s */
	uint32_t loss_ppm;		/* Bernoulli loss, 0..1e6 (0 with ge) */
	uint32_t ge_ppm[4];		/* Gilbert-Elliott p, r, 1-h, 1-k (ge only) */
	uint32_t dup_ppm, reorder_ppm, corrupt_ppm; /* 0..1e6 */
	uint32_t burst;			/* token bucket bytes with rate, 0..64 MiB */
	uint32_t limit;			/* queued frames, 1..65535; 0: default */
	uint32_t gap;			/* reorder every gap-th frame, 1..65535 */
	int32_t overhead;		/* bytes added per frame with rate, -64..256 */
	uint8_t dist;			/* jitter's TOPO_DIST_* */
	bool ge;			/* loss is `gemodel`, ge_ppm set */
	bool has_seed;			/* seed given (else the switch draws one) */
	uint64_t seed;			/* 0..INT64_MAX (JSON integers) */
};

/* The directions of a link, as the node sees them (the plan's section 0): `out` the
 * frames it sends (switch rx), `in` those it receives (switch tx). */
enum topo_imp_dir { TOPO_IMP_OUT, TOPO_IMP_IN, TOPO_IMP_DIRS };
/* Jitter distributions. */
enum { TOPO_DIST_UNIFORM, TOPO_DIST_NORMAL };

/* The keys of an impairment set, in file, save and show order. */
enum topo_imp_key {
	TOPO_IMP_DELAY, TOPO_IMP_JITTER, TOPO_IMP_DIST, TOPO_IMP_LOSS, TOPO_IMP_RATE, TOPO_IMP_BURST,
	TOPO_IMP_LIMIT, TOPO_IMP_OVERHEAD, TOPO_IMP_DUPLICATE, TOPO_IMP_REORDER, TOPO_IMP_GAP,
	TOPO_IMP_CORRUPT, TOPO_IMP_SEED, TOPO_IMP_KEYS
};

/* A link puts interface `nic` of node `node` into LAN `lan`. */
struct topo_link {
	char node[TOPO_NAME_MAX + 1];	/* node name */
	unsigned nic;			/* interface index, < the node's nics */
	char lan[TOPO_NAME_MAX + 1];	/* LAN name */
	bool has_addr;			/* addr/plen are set (kinds with addresses only) */
	struct in_addr addr;		/* interface address, network order */
	unsigned plen;			/* prefix length, 1..32 */
	char nic_type[TOPO_NAME_MAX + 1]; /* override of the node's nic-type, a
					 * word of its choices; "" when not given */
	struct topo_impair imp[TOPO_IMP_DIRS]; /* per direction (TOPO_IMP_OUT, IN);
					 * all zero: none (topo_link_set_impair) */
	int line, column;		/* where it was declared; 0 if not from a file */
};

/* Where `vnl web` draws a node or LAN (the layout section, topolayout.c). */
struct topo_pos {
	char name[TOPO_NAME_MAX + 1];	/* a node or LAN */
	int x, y;			/* canvas units, -TOPO_LAYOUT_MAX..TOPO_LAYOUT_MAX */
	int line, column;		/* where it was declared; 0 if not from a file */
};

#define TOPO_LAYOUT_MAX 1000000

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
	struct topo_pos *layout;	/* n_layout positions, in the order first set */
	unsigned n_layout, cap_layout;
};

/* Most bytes topo_save() writes besides the objects (header, section keys). */
#define TOPO_SAVE_FRAME 48

/* ---- layout (topolayout.c) ----
 *
 * The optional `layout` section of a file: a mapping NAME: [X, Y] of
 * integers, one per node or LAN, written after links. `vnl web` draws
 * objects there; `vnl save` writes it, `vnl deploy` restores it; objects
 * without an entry are placed by the page. Every entry names an object of
 * the topology (topo_validate() checks it; deleting an object drops its
 * entry), so the saved form is exactly what save_bytes accounts.
 */

/* Set name's position (an object of that name is for the caller or
 * topo_validate() to check): 0, -ERANGE (|x| or |y| > TOPO_LAYOUT_MAX),
 * -EINVAL (name rule), -EFBIG (the saved form would pass TOPO_FILE_MAX),
 * -E2BIG, -ENOMEM. */
int topo_layout_set(struct topo *t, const char *name, int x, int y, struct vnl_err *err);
/* name's entry, or NULL (errno ENOENT). */
struct topo_pos *topo_layout_find(const struct topo *t, const char *name);
/* Drop name's entry, if any (topo_del_node() and topo_del_lan() do). */
void topo_layout_del(struct topo *t, const char *name);
/* 0, or -ENOENT naming the first entry (at its file position) whose name
 * is no node or LAN of t. */
int topo_layout_check(const struct topo *t, struct vnl_err *err);
/* The section (nothing when t has no entry). */
void topo_layout_save(FILE *f, const struct topo *t);
/* Drop every entry (topo_free() does). */
void topo_layout_free(struct topo *t);
/* The same entries, in any order. */
bool topo_layout_equal(const struct topo *a, const struct topo *b);

/* ---- the table of kinds (schema.c) ---- */

/*
 * Use `kinds` (NULL-terminated, at most TOPO_KINDS_MAX, constant for the
 * program's life) from now on. Call once at start; until then no kind is
 * known.
 */
void topo_set_kinds(const struct topo_kind *const *kinds);
/*
 * 0 when the table is well-formed, else -EINVAL naming the kind and the
 * rule: names unique; option names [a-z0-9_]+ and not name, kind, nics or
 * the request's cmd; help and metavar set; number ranges min >= 1, min <=
 * max, default in range or 0; an option name means one thing (type,
 * letter, request member) across kinds, and a letter one option (not vnl's
 * h, j, l, v nor --nics's n), since `vnl add` parses options before it
 * knows the kind. The unit tests run it.
 */
int topo_kinds_check(const struct topo_kind *const *kinds, struct vnl_err *err);
/* The table (NULL-terminated; never NULL). */
const struct topo_kind *const *topo_kinds(void);
/* The kind called `name`, or NULL with errno ENOENT. */
const struct topo_kind *topo_kind_find(const char *name);
/* k's name, "?" for NULL. */
const char *topo_kind_name(const struct topo_kind *k);
/* The names of the kinds, ", "-separated ("ns, cnt, vm"), in buf. */
const char *topo_kind_list(char *buf, size_t size);
/* Index of option `name` in k's schema, or -1. */
int topo_opt_index(const struct topo_kind *k, const char *name);
/* The same, by the node-add request member (opt->req, else opt->name). */
int topo_opt_req_index(const struct topo_kind *k, const char *member);
/*
 * The kinds that have option `name` (for "pids is for kind cnt"), as
 * "kind cnt" or "kinds cnt and vm", in buf; NULL when no kind has it.
 * by_req: `name` is a node-add request member (topo_opt_req_index()).
 */
const char *topo_opt_owners(const char *name, bool by_req, char *buf, size_t size);
/* The kinds whose schema says `addresses`, as "ns and cnt", in buf. */
const char *topo_address_kinds(char *buf, size_t size);

/* ---- option values ---- */

/*
 * Typed reads of option i of n (i: an index constant of the kind's schema).
 * UINT: its number, else the option's default (0 when n is NULL or option
 * i is not a number).
 */
unsigned topo_node_uint(const struct topo_node *n, unsigned i);
/* ENUM option i of n: the index of its word, else the default's (0 when n
 * is NULL or option i is not a choice). */
unsigned topo_node_enum(const struct topo_node *n, unsigned i);
/* Value of TEXT option i of n, or NULL when unset (or n is NULL). */
const char *topo_node_text(const struct topo_node *n, unsigned i);
/* Entries of LIST/ENV option i of n (*count of them; NULL, 0 when unset). */
char *const *topo_node_list(const struct topo_node *n, unsigned i, unsigned *count);

/*
 * Set option `name` of template n (its kind set) to a number, a text or a
 * list (not copied: the caller keeps them alive). -ENOENT when n's kind has
 * no such option, -EINVAL when the option is of another type. For tests
 * and builders; the checks come with topo_add_node().
 */
int topo_node_set_uint(struct topo_node *n, const char *name, unsigned v);
int topo_node_set_text(struct topo_node *n, const char *name, const char *s);
int topo_node_set_list(struct topo_node *n, const char *name, char **list, unsigned count);

/* Same value (both unset, or the same number, text or entries). */
bool topo_val_equal(const struct topo_val *a, const struct topo_val *b);

/* ---- objects ---- */

/* An empty topology, or NULL with errno ENOMEM. */
struct topo *topo_new(void);
/* Frees t and all it owns; accepts NULL. */
void topo_free(struct topo *t);

/*
 * Add a copy of the template. Checked here: the name rule, duplicate names
 * (-EEXIST), the kind, ranges and texts of its options, address prefix
 * length, the object limit (-E2BIG), memory (-ENOMEM). Links are not checked
 * against nodes and LANs here (a file may list them first): see
 * topo_validate(). On failure the topology is unchanged.
 */
int topo_add_node(struct topo *t, const struct topo_node *tmpl, struct vnl_err *err);
int topo_add_lan(struct topo *t, const struct topo_lan *tmpl, struct vnl_err *err);
int topo_add_link(struct topo *t, const struct topo_link *tmpl, struct vnl_err *err);

/*
 * Replace LAN l of t (its mtu and vxlan) by n, of the same name, after the
 * per-LAN rules, the vxlan clash with t's other LANs (-EEXIST) and the size
 * limit (-EFBIG); l keeps its position. On failure nothing changes.
 */
int topo_lan_replace(struct topo *t, struct topo_lan *l, const struct topo_lan *n, struct vnl_err *err);

/* Remove an object (keeping the others' order); a LAN's or node's links go
 * with it. 0, or -ENOENT with err filled when there is no such object. */
int topo_del_node(struct topo *t, const char *name, struct vnl_err *err);
int topo_del_lan(struct topo *t, const char *name, struct vnl_err *err);
int topo_del_link(struct topo *t, const char *node, unsigned nic, struct vnl_err *err);

/* Lookups by name; NULL and errno ENOENT when absent. */
struct topo_node *topo_find_node(const struct topo *t, const char *name);
struct topo_lan *topo_find_lan(const struct topo *t, const char *name);
/* The link on interface nic of node, if any. */
struct topo_link *topo_find_link(const struct topo *t, const char *node, unsigned nic);

/*
 * Whole-topology checks: everything topo_add_*() checks, plus names shared
 * by a node and a LAN, links to unknown nodes or LANs (-ENOENT), nic index
 * beyond the node's nics (-ERANGE), two links on one interface (-EEXIST),
 * and addresses on nodes of kinds without addresses. Reports the first
 * problem, at its object.
 */
int topo_validate(const struct topo *t, struct vnl_err *err);

/*
 * 0 when link l's nic-type (if any) fits node n (the link's node): n's kind
 * has a nic-type choice option and the word is one of it; else -EINVAL
 * naming the kind, or the words.  Part of topo_validate(); vnld's link.
 */
int topo_link_check_nic_type(const struct topo_link *l, const struct topo_node *n, struct vnl_err *err);

/* Same nodes, LANs and links in the same order (positions ignored). */
bool topo_equal(const struct topo *a, const struct topo *b);

/* 0 if name follows the name rule, else -EINVAL with the rule in err. */
int topo_check_name(const char *name, const char *what, int line, int column,
		    struct vnl_err *err);
/*
 * 0 if s is valid UTF-8 (shortest form, no surrogates, at most U+10FFFF)
 * without control characters (U+0000..U+001F but tab and newline,
 * U+007F..U+009F); else -EINVAL with "WHAT: <problem> at byte N: text must
 * be valid UTF-8 without control characters other than tab and newline".
 * The one rule for every free
 * string field, used by vnld's requests (through topo_add_node) and the
 * file reader alike.
 */
int topo_check_text(const char *s, const char *what, int line, int column, struct vnl_err *err);
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
int topo_check_env(const char *entry, int line, int column, struct vnl_err *err);
/*
 * A value given as text (files, `vnl add --NAME VALUE`) for UINT option o:
 * a decimal in o's range into *out, else -EINVAL with "WHAT must be an
 * integer in MIN..MAX, not 'S'".
 */
int topo_parse_uint(const struct topo_opt *o, const char *s, const char *what, int line,
		    int column, unsigned *out, struct vnl_err *err);
/*
 * A word for ENUM option o: its index into *out, else -EINVAL with "WHAT
 * must be one of W1, W2, not 'S'".
 */
int topo_parse_enum(const struct topo_opt *o, const char *s, const char *what, int line,
		    int column, unsigned *out, struct vnl_err *err);
/* The words of ENUM option o as "tap, afxdp" in buf. */
const char *topo_enum_list(const struct topo_opt *o, char *buf, size_t size);
/* The LAN's mtu: its own, else TOPO_LAN_MTU_DEF. */
unsigned topo_lan_mtu(const struct topo_lan *l);
/*
 * The effective value of ENUM option `opt` for NIC `nic` of node n: the
 * word of the link on that NIC when it names one (TOPO_NIC_TYPE only: links
 * carry no other), else the node's option, else its default.  The index into
 * the option's choices, or -1 when n's kind has no such choice option (or
 * the link's word is not one of them: topo_validate() refuses that).  t
 * NULL: the node's alone (its option, else the default).
 */
int topo_nic_choice(const struct topo *t, const struct topo_node *n, unsigned nic, const char *opt);
/* Parse "A.B.C.D/N" strictly (decimal, N in 1..32); -EINVAL with a message. */
int topo_parse_addr(const char *s, struct in_addr *addr, unsigned *plen,
		    struct vnl_err *err);
/* Room for "A.B.C.D/N" and its NUL. */
#define TOPO_ADDR_LEN (INET_ADDRSTRLEN + 3)
/* The link's address as "A.B.C.D/N" in buf (TOPO_ADDR_LEN bytes), or NULL
 * when it has none. */
const char *topo_link_addr(const struct topo_link *k, char buf[TOPO_ADDR_LEN]);

/*
 * Fill err (if not NULL) with the message, after "LINE:COLUMN: " when line
 * is not 0, and return -errnum: the one way the model makes errors.
 */
__attribute__((format(printf, 5, 6)))
int topo_errf(struct vnl_err *err, int line, int column, int errnum, const char *fmt, ...);

/* ---- vxlan (vxlan_text.c) ---- */

/*
 * An address of either family, strictly (inet_pton: dotted decimal, or
 * RFC 4291 text without a zone or prefix) into addr (16 bytes) and
 * *family. -EINVAL with "WHAT: bad address 'S': expected an IPv4 or IPv6
 * address" (after "LINE:COLUMN: " when line is not 0).
 */
int topo_vxlan_parse_addr(const char *s, const char *what, int line, int column, int *family,
			  uint8_t addr[16], struct vnl_err *err);
/* 0 if name can be an underlay: an interface name (nl_ifname_check) of
 * [A-Za-z0-9][A-Za-z0-9_.@-]* (plain in YAML); else -EINVAL with the rule. */
int topo_vxlan_check_ifname(const char *name, struct vnl_err *err);
/* addr of family as canonical text (inet_ntop: 2001:db8::2) in buf. */
const char *topo_vxlan_addr_text(int family, const uint8_t addr[16], char buf[TOPO_VXLAN_ADDR_LEN]);
/*
 * Add remote address text s to vx (the family set by the first address,
 * local's included): -EINVAL for a bad address or another family, -EEXIST
 * for one already there, -E2BIG past TOPO_VXLAN_REMOTES_MAX. vx unchanged
 * on failure. `what` and the position prefix the message.
 */
int topo_vxlan_add_remote(struct topo_vxlan *vx, const char *s, const char *what, int line, int column,
			  struct vnl_err *err);
/* Replace vx's remotes by the comma-separated list s ("192.0.2.2,192.0.2.3";
 * "none" or "": no remote), all or nothing; the message names `what`. */
int topo_vxlan_set_remotes(struct topo_vxlan *vx, const char *s, const char *what, struct vnl_err *err);
/* Set vx's local address from text s (its family must match the remotes'). */
int topo_vxlan_set_local(struct topo_vxlan *vx, const char *s, const char *what, int line, int column,
			 struct vnl_err *err);
/* The remotes as "192.0.2.2, 192.0.2.3" ("none" when there is none) in buf. */
const char *topo_vxlan_remote_list(const struct topo_vxlan *vx, char *buf, size_t size);
/*
 * The rules of one LAN's vxlan (lan: the LAN's name for messages, position
 * of the LAN or its mapping): VNI 1..TOPO_VXLAN_VNI_MAX; at most
 * TOPO_VXLAN_REMOTES_MAX remotes, unique, none of them unspecified,
 * loopback, multicast, broadcast or link-local (the underlay routes them;
 * a zone cannot be said); local alike and not among the remotes; one
 * family for all; dstport 0 or 1..65535; underlay "" or a name that
 * topo_vxlan_check_ifname() takes; the LAN's mtu, when given, at most
 * TOPO_VXLAN_MTU_MAX4/6 (a one-page AF_XDP frame). 0 when vx->vni is 0.
 * -EINVAL or -ERANGE with "LAN 'blue': vxlan: ..." in err.
 */
int topo_vxlan_check(const struct topo_lan *lan, int line, int column, struct vnl_err *err);
/* Same vxlan (vni 0 on both: equal). */
bool topo_vxlan_equal(const struct topo_vxlan *a, const struct topo_vxlan *b);
/* The LAN of t other than `self` with vx's VNI on the same named underlay,
 * or NULL (an underlay left to the route is the switch's to check). */
const struct topo_lan *topo_vxlan_clash(const struct topo *t, const struct topo_lan *self);
/* 50 (IPv4, and a family not known yet) or 70 (IPv6). */
unsigned topo_vxlan_overhead(int family);
/* dstport, or TOPO_VXLAN_DSTPORT_DEF when not given. */
unsigned topo_vxlan_dstport(const struct topo_vxlan *vx);

/* ---- impairments (impair_text.c) ---- */

/* The key words ("delay", ..., "seed"), indexed by enum topo_imp_key; the
 * file's keys, vnld's request members and vnl's long options. */
extern const char *const topo_impair_keys[TOPO_IMP_KEYS];
/* Index of key word `name`, or -1. */
int topo_impair_key(const char *name);
/* The key words as "delay, jitter, ..., seed" in buf. */
const char *topo_impair_key_list(char *buf, size_t size);
/*
 * Set key `key` of imp from its text, in netem's (tc's) words: times
 * `100ns 250us 20ms 1.5s` (also usec, msec, sec), percentages `1%` `0.05%`
 * (up to 4 decimals), rates `bit kbit mbit gbit tbit` and the byte rates
 * `bps kbps mbps gbps tbps` (1000s; kibit, mibit, ... 1024s; any case, as
 * tc), sizes `1500`, `b k kb m mb` (1024s), loss `P%` or `gemodel P [R [1-H
 * [1-K]]]` (tc's defaults R = 100% - P, 1-H = 100%, 1-K = 0%), integers for
 * limit, gap, overhead and seed (0..INT64_MAX); "0" (any unit) unsets a
 * key. -EINVAL with "KEY must be ..., not 'TEXT'" (after "LINE:COLUMN: "
 * when line is not 0); imp unchanged then.
 */
int topo_impair_set(struct topo_impair *imp, unsigned key, const char *text, int line, int column,
		    struct vnl_err *err);
/*
 * The canonical text of key `key` of imp into buf (TOPO_IMP_TEXT_LEN), or
 * NULL when the key is not set. topo_impair_set() of it gives the same
 * value back: 20ms, 1.5s, 1234.567us, 500ns, 1%, 0.0001%, 100mbit, 64kb,
 * gemodel 1% 10% 100% 0%, normal.
 */
#define TOPO_IMP_TEXT_LEN 64
const char *topo_impair_text(const struct topo_impair *imp, unsigned key, char *buf);
/*
 * The rules that join keys, netem's: reorder needs a delay, gap needs a
 * reorder, distribution a jitter, burst and overhead a rate; gemodel P > 0;
 * and each field in its range (a struct not made by topo_impair_set). 0 or
 * -EINVAL with the rule in err (prefixed by `what`, e.g. "link a:0: impair
 * out", and the position when line is not 0).
 */
int topo_impair_check(const struct topo_impair *imp, const char *what, int line, int column,
		      struct vnl_err *err);
/* No key set. */
bool topo_impair_none(const struct topo_impair *imp);
/* Same keys with the same canonical texts. */
bool topo_impair_equal(const struct topo_impair *a, const struct topo_impair *b);
/* The set as "delay 20ms jitter 2ms distribution normal loss 1%" (key
 * and text, in key order; "none" for none) in buf. */
const char *topo_impair_line(const struct topo_impair *imp, char *buf, size_t size);
/*
 * Replace link k's impairments (both directions) with imp[TOPO_IMP_DIRS],
 * after topo_impair_check() of each and the size limit (-EFBIG); k is a
 * link of t. On failure nothing changes.
 */
int topo_link_set_impair(struct topo *t, struct topo_link *k, const struct topo_impair imp[TOPO_IMP_DIRS],
			 struct vnl_err *err);
/* A link with an impairment in either direction. */
bool topo_link_impaired(const struct topo_link *k);

/*
 * Read a topology file (topofile.c). On success *out is a new, validated
 * topology; on failure *out is NULL and err says where and what
 * ("PATH:LINE:COLUMN: ..." or "PATH: ..."). Files over TOPO_FILE_MAX are
 * refused with -EFBIG.
 */
int topo_load_file(const char *path, struct topo **out, struct vnl_err *err);
/* Same from a NUL-terminated string (tests, requests over the socket);
 * messages start "LINE:COLUMN: " where they have a position. */
int topo_load_string(const char *text, struct topo **out, struct vnl_err *err);

/*
 * Write t in the canonical form (toposave.c). -EIO (from the FILE error
 * flag) when writing fails, -EINVAL (nothing written) when a string breaks
 * topo_check_text() (a topology not built through topo_add_node()); the
 * caller owns flushing and closing.
 */
int topo_save(FILE *f, const struct topo *t, struct vnl_err *err);
/* Bytes topo_save() writes for one object (its share of struct topo.save_bytes). */
size_t topo_node_save_size(const struct topo_node *n);
size_t topo_lan_save_size(const struct topo_lan *l);
size_t topo_link_save_size(const struct topo_link *k);
