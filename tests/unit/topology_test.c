/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the topology model and its YAML format. The sample file parses
 * to the right values; save then load gives an equal topology; every kind of
 * bad file is refused with the right line and a message naming the problem;
 * the model refuses bad objects and inconsistent labs without a file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node_kind.h"
#include "tap.h"
#include "topology.h"

/* The kinds of vnld and vnl, and the tests' own (testkind.c): one line. */
extern const struct node_kind node_kind_testkind;
static const struct node_kind *const kinds[] = {
	&node_kind_ns, &node_kind_cnt, &node_kind_vm, &node_kind_testkind, NULL,
};

static const struct topo_kind *K_NS, *K_CNT, *K_VM;

/* The line of an error message's "LINE:COLUMN: " (or "PATH:LINE:COLUMN: "); 0 when none. */
static int err_line(const struct vnl_err *e)
{
	const char *p = e->msg;
	int line = 0, col = 0;

	if (!(*p >= '0' && *p <= '9') && (p = strchr(p, ':')) != NULL)
		p++;
	if (p && sscanf(p, "%d:%d: ", &line, &col) == 2)
		return line;
	return 0;
}

/* A node template: name, kind, nics, no options. */
static struct topo_node node(const char *name, const struct topo_kind *kind, unsigned nics)
{
	struct topo_node n = { .kind = kind, .nics = nics };

	snprintf(n.name, sizeof(n.name), "%s", name);
	return n;
}

/* Option values of n by name. */
static const char *text(const struct topo_node *n, const char *opt)
{
	return topo_node_text(n, (unsigned)topo_opt_index(n->kind, opt));
}

static unsigned num(const struct topo_node *n, const char *opt)
{
	return topo_node_uint(n, (unsigned)topo_opt_index(n->kind, opt));
}

static char *const *list(const struct topo_node *n, const char *opt, unsigned *count)
{
	return topo_node_list(n, (unsigned)topo_opt_index(n->kind, opt), count);
}

static bool addr_is(const struct topo_link *l, const char *a, unsigned plen)
{
	struct in_addr want;

	return l->has_addr && inet_pton(AF_INET, a, &want) == 1 && want.s_addr == l->addr.s_addr &&
	       l->plen == plen;
}

static void test_sample(void)
{
	const char *src = getenv("VNL_SOURCE_DIR");
	struct vnl_err err = { 0 };
	struct topo *t = NULL;
	const struct topo_node *n;
	char *const *env;
	unsigned n_env;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/tests/unit/topo/ok-basic.yaml", src ? src : ".");
	r = topo_load_file(path, &t, &err);
	if (!ok(r == 0 && t, "sample loads (%d: %s)", r, err.msg))
		return;
	ok(t->n_lans == 2 && !strcmp(t->lans[0].name, "blue") && !strcmp(t->lans[1].name, "red"),
	   "two LANs in order");
	ok(t->lans[1].line == 4 && t->lans[1].column == 5, "LAN position recorded");
	ok(t->n_nodes == 4, "four nodes");
	n = topo_find_node(t, "a");
	ok(n && n->kind == K_NS && n->nics == 2 && !n->opt[0].set, "a: ns with 2 nics");
	n = topo_find_node(t, "b");
	ok(n && n->kind == K_NS && n->nics == 1, "b: nics default to 1");
	n = topo_find_node(t, "c1");
	env = n ? list(n, "env", &n_env) : NULL;
	ok(n && n->kind == K_CNT && !strcmp(text(n, "image"), "bookworm") && !strcmp(text(n, "cmd"), "sleep infinity") &&
	   n_env == 2 && !strcmp(env[0], "A=1") && !strcmp(env[1], "B=two"),
	   "c1: cnt with image, cmd and env");
	ok(n && num(n, "mem") == 512 && num(n, "pids") == 1024 && !n->opt[topo_opt_index(K_CNT, "mem")].set,
	   "c1: unset mem and pids read as the schema's defaults");
	n = topo_find_node(t, "vm1");
	ok(n && n->kind == K_VM && !strcmp(text(n, "image"), "bookworm") && num(n, "mem") == 512 && num(n, "cpus") == 1,
	   "vm1: vm with image, mem and cpus");
	ok(!topo_find_node(t, "zz") && errno == ENOENT, "unknown node: NULL and ENOENT");
	ok(topo_find_lan(t, "red") == &t->lans[1], "find LAN");
	ok(t->n_links == 4, "four links");
	ok(!strcmp(t->links[0].node, "a") && t->links[0].nic == 0 && !strcmp(t->links[0].lan, "blue") &&
	   addr_is(&t->links[0], "10.0.1.1", 24), "short form with address");
	ok(!strcmp(t->links[1].node, "a") && t->links[1].nic == 1 && !strcmp(t->links[1].lan, "red") &&
	   addr_is(&t->links[1], "10.0.2.1", 24), "long form with address");
	ok(t->links[1].line == 23, "link line recorded (%d)", t->links[1].line);
	ok(!t->links[3].has_addr && !strcmp(t->links[3].node, "vm1"), "short form without address");
	ok(topo_find_link(t, "a", 1) == &t->links[1], "find link by interface");
	topo_free(t);
}

/* save(t) as a string (caller frees). */
static char *save_str(const struct topo *t)
{
	struct vnl_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return NULL;
	r = topo_save(f, t, &err);
	fclose(f);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* load(save(t)) equals t, and saving that again gives the same text. */
static void round_trip(const struct topo *t, const char *what)
{
	struct vnl_err err = { 0 };
	struct topo *back = NULL;
	char *text = save_str(t), *again;
	int r;

	if (!ok(text != NULL, "%s: save", what))
		return;
	r = topo_load_string(text, &back, &err);
	ok(r == 0, "%s: saved form loads (%s)", what, err.msg);
	ok(back && topo_equal(t, back), "%s: load(save(t)) equals t", what);
	again = back ? save_str(back) : NULL;
	ok(again && !strcmp(text, again), "%s: canonical form is stable", what);
	if (r != 0 || !back || !topo_equal(t, back))
		printf("# saved form:\n%s", text);
	free(again);
	free(text);
	topo_free(back);
}

static void test_round_trip(void)
{
	const char *src = getenv("VNL_SOURCE_DIR");
	char *env[] = { "Q=say \"hi\"", "P=C:\\dir", "NL=a\nb\tc", "U=h\xc3\xa9llo", "E=" };
	struct topo_node cnt = node("c", K_CNT, 3), vm = node("0-x_", K_VM, 32), lim = node("lim", K_CNT, 1);
	struct vnl_err err = { 0 };
	struct topo *t = NULL, *u;
	char path[4096];

	topo_node_set_text(&cnt, "image", "reg/img:1 # x");
	topo_node_set_text(&cnt, "cmd", "sh -c 'echo: [x]; exit 0'");
	topo_node_set_list(&cnt, "env", env, 5);
	topo_node_set_uint(&vm, "cpus", 256);
	topo_node_set_uint(&lim, "mem", 64);
	topo_node_set_uint(&lim, "pids", 100);

	snprintf(path, sizeof(path), "%s/tests/unit/topo/ok-basic.yaml", src ? src : ".");
	if (topo_load_file(path, &t, &err) == 0)
		round_trip(t, "sample");
	topo_free(t);

	u = topo_new();
	round_trip(u, "empty lab");
	ok(topo_add_node(u, &cnt, &err) == 0, "cnt node with awkward strings");
	ok(topo_add_node(u, &vm, &err) == 0, "vm node with 32 nics");
	ok(topo_add_node(u, &lim, &err) == 0, "cnt node with mem and pids limits");
	ok(topo_add_lan(u, &(struct topo_lan){ .name = "null" }, &err) == 0, "LAN named like a YAML keyword");
	ok(topo_add_link(u, &(struct topo_link){ .node = "c", .nic = 2, .lan = "null", .has_addr = true,
						 .addr = { htonl(0xc0a80001) }, .plen = 32 }, &err) == 0,
	   "link with /32");
	ok(topo_validate(u, &err) == 0, "built lab validates (%s)", err.msg);
	round_trip(u, "awkward strings");
	{
		/* nic-type on nodes and links, LAN mtu: only what was given is saved. */
		struct topo_node ta = node("ta", K_NS, 2), tb = node("tb", K_CNT, 1), tc = node("tc", K_NS, 1);
		struct topo_link k1 = { .node = "ta", .nic = 0, .lan = "jumbo", .nic_type = "afxdp", .has_addr = true,
					.addr = { htonl(0x0a000001) }, .plen = 24 };
		struct topo_link k2 = { .node = "ta", .nic = 1, .lan = "null", .nic_type = "tap" };
		struct topo_link k3 = { .node = "tb", .nic = 0, .lan = "jumbo" };
		struct topo_link k4 = { .node = "tc", .nic = 0, .lan = "jumbo" };
		char *text;

		topo_node_set_uint(&ta, "nic-type", NIC_TYPE_AFXDP);
		topo_node_set_text(&tb, "image", "busybox");
		topo_node_set_uint(&tb, "nic-type", NIC_TYPE_TAP);
		ok(topo_add_node(u, &ta, &err) == 0 && topo_add_node(u, &tb, &err) == 0 && topo_add_node(u, &tc, &err) == 0,
		   "ns and cnt nodes with nic-type (%s)", err.msg);
		ok(topo_add_lan(u, &(struct topo_lan){ .name = "jumbo", .mtu = 9000 }, &err) == 0 &&
		   topo_add_lan(u, &(struct topo_lan){ .name = "std", .mtu = 1500 }, &err) == 0, "LANs with mtu 9000 and 1500");
		ok(topo_add_link(u, &k1, &err) == 0 && topo_add_link(u, &k2, &err) == 0 && topo_add_link(u, &k3, &err) == 0 &&
		   topo_add_link(u, &k4, &err) == 0, "links with and without nic-type (%s)", err.msg);
		ok(topo_validate(u, &err) == 0, "validates (%s)", err.msg);
		ok(topo_nic_choice(u, topo_find_node(u, "ta"), 0, TOPO_NIC_TYPE) == NIC_TYPE_AFXDP &&
		   topo_nic_choice(u, topo_find_node(u, "ta"), 1, TOPO_NIC_TYPE) == NIC_TYPE_TAP &&
		   topo_nic_choice(u, topo_find_node(u, "tb"), 0, TOPO_NIC_TYPE) == NIC_TYPE_TAP &&
		   topo_nic_choice(u, topo_find_node(u, "tc"), 0, TOPO_NIC_TYPE) == NIC_TYPE_TAP &&
		   topo_nic_choice(u, topo_find_node(u, "0-x_"), 0, TOPO_NIC_TYPE) == -1,
		   "effective nic-type: link > node > default; none for vm");
		ok(topo_lan_mtu(topo_find_lan(u, "jumbo")) == 9000 && topo_lan_mtu(topo_find_lan(u, "null")) == 1500,
		   "LAN mtu: given, else 1500");
		text = save_str(u);
		ok(text && strstr(text, "  - {name: jumbo, mtu: 9000}\n") && strstr(text, "  - {name: std, mtu: 1500}\n") &&
		   strstr(text, "  - null\n") && strstr(text, "    nic-type: afxdp\n") && strstr(text, "    nic-type: tap\n") &&
		   strstr(text, "  - {node: ta, nic: 0, lan: jumbo, ip: 10.0.0.1/24, nic-type: afxdp}\n") &&
		   strstr(text, "  - {node: ta, nic: 1, lan: null, nic-type: tap}\n") && strstr(text, "  - tb:0 jumbo\n") &&
		   strstr(text, "  - name: tc\n    kind: ns\nlinks:"), "saved: explicit choices only, long forms where needed");
		free(text);
		round_trip(u, "nic-type and mtu");
	}

	{
		/* Layout: saved after links for existing objects only; set again replaces. */
		char *text;

		ok(topo_layout_set(u, "jumbo", -5, 7, &err) == 0 && topo_layout_set(u, "ta", 100, 200, &err) == 0 &&
		   topo_layout_set(u, "gone", 1, 1, &err) == 0 && topo_layout_set(u, "ta", 101, 202, &err) == 0,
		   "layout entries set (%s)", err.msg);
		ok(topo_layout_set(u, "ta", 0, 1000001, &err) == -ERANGE && topo_layout_find(u, "ta")->y == 202,
		   "a position out of range is refused, the old one kept");
		ok(topo_validate(u, &err) == -ENOENT && strstr(err.msg, "layout: no node or LAN named 'gone'"),
		   "an entry of no object does not validate (%s)", err.msg);
		topo_layout_del(u, "gone");
		ok(topo_validate(u, &err) == 0, "without it the lab validates (%s)", err.msg);
		text = save_str(u);
		ok(text && strstr(text, "\nlayout:\n  jumbo: [-5, 7]\n  ta: [101, 202]\n"),
		   "saved: the layout section after links");
		ok(text && strlen(text) == u->save_bytes + strlen("# vnetlab topology\nlans:\nnodes:\nlinks:\n"),
		   "save_bytes accounts the layout exactly");
		free(text);
		round_trip(u, "layout");
		ok(topo_layout_set(u, "tc", 1, 2, &err) == 0 && topo_del_node(u, "tc", &err) == 0 &&
		   !topo_layout_find(u, "tc") && topo_validate(u, &err) == 0, "deleting a node drops its entry");
	}

	t = NULL;
	ok(topo_load_string("# nothing here\n", &t, &err) == 0 && t && t->n_nodes == 0, "comment-only file is an empty lab");
	topo_free(t);
	t = NULL;
	ok(topo_load_string("lans:\nnodes: ~\nlinks: []\n", &t, &err) == 0 && t, "empty sections");
	ok(t && !topo_equal(t, u), "different labs are not equal");
	topo_free(t);
	topo_free(u);
}

/* One bad file: the expected line and a piece of the message. */
struct bad_case {
	const char *text;
	int line;
	const char *msg;
};

#define NODE_A "nodes:\n  - name: a\n    kind: ns\n"

static const struct bad_case bad_cases[] = {
	{ NODE_A "    nicz: 2\n", 4, "unknown key 'nicz' in node 'a' (expected name, kind, nics, nic-type)" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    imag: x\n", 4,
	  "unknown key 'imag' in node 'c' (expected name, kind, nics, image, cmd, env, mem, pids, nic-type)" },
	/* nic-type, LAN mtu (issue 12) */
	{ NODE_A "    nic-type: veth\n", 4, "nic-type of node 'a' must be one of tap, afxdp, not 'veth'" },
	{ NODE_A "    nic-type: [tap]\n", 4, "nic-type of node 'a' must be a scalar, not a list" },
	{ "nodes:\n  - {name: v, kind: vm, image: x, nic-type: tap}\n", 2,
	  "key 'nic-type' in node 'v' does not apply to kind vm" },
	{ "lans:\n  - {name: blue, mtu: 9001}\n", 2, "mtu of LAN must be an integer in 68..9000, not '9001'" },
	{ "lans:\n  - {name: blue, mtu: 67}\n", 2, "mtu of LAN must be an integer in 68..9000, not '67'" },
	{ "lans:\n  - {mtu: 9000}\n", 2, "missing required key 'name' in LAN" },
	{ "lans:\n  - {name: blue, mtu: 1500, mtu: 9000}\n", 2, "duplicate key 'mtu' in LAN" },
	{ "lans:\n  - {name: blue, color: red}\n", 2, "unknown key 'color' in LAN (expected name, mtu, vxlan)" },
	{ "lans: [blue]\nnodes:\n  - {name: v, kind: vm, image: x}\nlinks:\n  - {node: v, nic: 0, lan: blue, nic-type: tap}\n",
	  5, "link v:0: nic-type does not apply to kind vm (node 'v')" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: 0, lan: blue, nic-type: packet}\n", 6,
	  "link a:0: nic-type must be one of tap, afxdp, not 'packet'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: 0, lan: blue, nic-type: TAP}\n", 6,
	  "link a:0: bad nic-type 'TAP'" },
	{ NODE_A "    nics: two\n", 4, "nics of node 'a' must be an integer in 1..32, not 'two'" },
	{ NODE_A "    nics: 33\n", 4, "must be an integer in 1..32" },
	{ NODE_A "    nics: [1]\n", 4, "nics of node 'a' must be a scalar, not a list" },
	{ NODE_A "    nics: 1\n    nics: 2\n", 5, "duplicate key 'nics' in node 'a'" },
	{ "nodes:\n  - name: a\n    nics: 2\n", 2, "missing required key 'kind' in node 'a'" },
	{ "nodes:\n  - kind: ns\n", 2, "missing required key 'name' in node #1" },
	{ "nodes:\n  - name: \"a\\nb\\e\"\n    kind: ns\n", 2, "bad node name 'a\\x0ab\\x1b': names are" },
	{ "nodes:\n  - name: Alpha\n    kind: ns\n", 2,
	  "bad node name 'Alpha': names are [a-z0-9][a-z0-9_-]*, at most 15 characters" },
	{ "nodes:\n  - name: abcdefghijklmnop\n    kind: ns\n", 2, "at most 15 characters" },
	{ "nodes:\n  - name: _a\n    kind: ns\n", 2, "bad node name '_a'" },
	{ "nodes:\n  - name: a\n    kind: docker\n", 3,
	  "unknown kind 'docker' in node 'a' (expected ns, cnt, vm, testkind)" },
	{ "nodes:\n  - name: a\n    kind: [ns]\n", 3, "kind of node 'a' must be a scalar, not a list" },
	{ "nodes:\n  - a\n", 2, "node #1 must be a mapping, not a scalar" },
	{ NODE_A "    image: x\n", 4, "key 'image' in node 'a' does not apply to kind ns" },
	{ "nodes:\n  - name: c\n    cpus: 2\n    kind: cnt\n", 3, "key 'cpus' in node 'c' does not apply to kind cnt" },
	{ "nodes:\n  - name: v\n    pids: 64\n    kind: vm\n", 3, "key 'pids' in node 'v' does not apply to kind vm" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    pids: 15\n", 4, "pids of node 'c' must be an integer in 16..4194304" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    mem: 15\n", 4, "mem of node 'c' must be an integer in 16..1048576, not '15'" },
	{ "nodes:\n  - name: v\n    kind: vm\n    mem: 15\n    cpus: 257\n", 5, "cpus of node 'v' must be an integer in 1..256" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    env: [A=1, =x]\n", 4, "bad env entry '=x'" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    env: A=1\n", 4, "env of node 'c' must be a list" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    cmd: \"\"\n", 4, "node 'c': cmd must not be empty" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    cmd: \"a\\x85b\"\n", 4,
	  "node 'c': cmd: control character U+0085 at byte 1: text must be valid UTF-8 without control characters other than tab and newline" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    image: \"a\\0b\"\n", 4, "node 'c': image: NUL character at byte 1" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    env: [\"A=\\e\"]\n", 4, "node 'c': env entry 1: control character U+001B" },
	{ "nodes:\n  - name: c\n    kind: cnt\n    cmd: \"\\r\"\n", 4, "control character U+000D at byte 0" },
	{ NODE_A "  - name: b\n    kind: ns\n  - name: a\n    kind: ns\n", 6,
	  "duplicate name 'a': already a node (line 2)" },
	{ "lans: [a]\n" NODE_A, 3, "duplicate name 'a': already a LAN (line 1)" },
	{ "lans:\n  - x\n  - y\n  - x\n", 4, "duplicate name 'x'" },
	{ "lans:\n  - Blue\n", 2, "bad LAN name 'Blue'" },
	{ "lans:\n  - [x]\n", 2, "LAN must be a scalar, not a list" },
	{ "lans: blue\n", 1, "lans must be a list, not a scalar" },
	{ "lanz: [blue]\n", 1, "unknown key 'lanz' in the top level (expected lans, nodes, links, layout)" },
	{ "lans: [b]\nlayout: [b]\n", 2, "layout must be a mapping, not a list" },
	{ "lans: [b]\nlayout:\n  b: 3\n", 3, "a position must be a list, not a scalar" },
	{ "lans: [b]\nlayout:\n  b: [1]\n", 3, "layout of 'b' must be [x, y]" },
	{ "lans: [b]\nlayout:\n  b: [1, 2, 3]\n", 3, "layout of 'b' must be [x, y]" },
	{ "lans: [b]\nlayout:\n  b: [1, x]\n", 3, "layout of 'b': coordinates are integers in -1000000..1000000" },
	{ "lans: [b]\nlayout:\n  b: [1, 1000001]\n", 3, "coordinates are integers" },
	{ "lans: [b]\nlayout:\n  b: [1, 2]\n  b: [3, 4]\n", 4, "duplicate layout entry 'b'" },
	{ "lans: [b]\nlayout:\n  B: [1, 2]\n", 3, "bad layout entry name 'B'" },
	{ "lans: [b]\nlayout:\n  b: [1, 2]\n  c: [3, 4]\n", 4, "layout: no node or LAN named 'c'" },
	{ "lans: []\nlans: []\n", 2, "duplicate key 'lans' in the top level" },
	{ "- blue\n", 1, "the top level must be a mapping, not a list" },
	{ "lans:\n\t- blue\n", 2, "tab character" },
	{ "lans: [blue]\nnodes:\n  - {name: c, kind: cnt, cmd: \"a\xc2\x85\"}\n", 3,
	  "control character U+0085: a topology file holds none but line ends" },
	{ "lans: [blue]\nnodes:\n  - {name: c, kind: cnt, cmd: a\x85}\n", 3, "invalid UTF-8 (byte 0x85)" },
	{ "lans: [blue]\n# caf\xe9\n", 2, "invalid UTF-8 (byte 0xe9): a topology file is UTF-8 text" },
	{ "lans: [blue]\n# \x1b[31m\n", 2, "control character U+001B" },
	{ "lans: [blue\nnodes: []\n", 2, "YAML syntax error" },
	{ "lans:\n  - blue\n - red\n", 3, "YAML syntax error" },
	{ "lans: [a]\n---\nlans: [b]\n", 2, "more than one YAML document" },
	{ "lans:\n  - &x blue\n  - *x\n", 2, "aliases are not supported" },
	{ "lans: [blue]\n" NODE_A "links:\n  - z:0 blue\n", 6, "link z:0: unknown node 'z'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 red\n", 6, "link a:0: unknown LAN 'red'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:1 blue\n", 6, "link a:1: node 'a' has 1 nic (0..0)" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 blue\n  - {node: a, nic: 0, lan: blue}\n", 7,
	  "link a:0: interface already linked to LAN 'blue'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 blue 10.0.1.300/24\n", 6, "bad address '10.0.1.300/24'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 blue 10.0.1.1\n", 6, "expected A.B.C.D/N" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: 0, lan: blue, ip: 10.0.1.1/33}\n", 6,
	  "bad address '10.0.1.1/33'" },
	{ "lans: [blue]\nnodes:\n  - {name: v, kind: vm}\nlinks:\n  - v:0 blue 10.0.0.1/24\n", 5,
	  "addresses apply to ns and cnt nodes, not vm" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a blue\n", 6, "bad link 'a blue': expected NODE:NIC LAN [ADDR]" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 blue 10.0.0.1/8 extra\n", 6, "bad link" },
	{ "lans: [blue]\n" NODE_A "links:\n  - a:0 Blue\n", 6, "bad LAN name 'Blue'" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: 0}\n", 6, "missing required key 'lan' in link" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: 0, lan: blue, addr: x}\n", 6,
	  "unknown key 'addr' in link (expected node, nic, lan, ip, nic-type, impair)" },
	{ "lans: [blue]\n" NODE_A "links:\n  - {node: a, nic: -1, lan: blue}\n", 6,
	  "nic of link must be an integer in 0..31" },
	{ "lans: [blue]\n" NODE_A "links:\n  - [a, 0, blue]\n", 6, "a link must be" },
};

/* Strings a YAML writer gets wrong unless it quotes and escapes them. */
static const char *const nasty[] = {
	" lead", "trail ", "  ", "#x", "a #b", "a: b", "- a", "-", "?", ":", "[a]", "{a: b}", "'q'", "\"dq\"",
	"yes", "no", "Off", "null", "~", "NULL", "true", "0", "0x1f", "1e3", "-.inf", ".nan", "0o7", "012",
	"&a", "*a", "!tag", "%dir", "@x", "`x", "|", ">", "---", "...", "--- a", "\\", "\\x85", "a\\nb",
	"line1\nline2", "\n", "\n\n", "a\n ", " \n", "tab\tin", "\t", "\ttab lead", "trail tab\t",
	"nbsp\xc2\xa0x", "\xc2\xa0", "bom\xef\xbb\xbfx", "\xef\xbb\xbf", "ls\xe2\x80\xa8x", "ps\xe2\x80\xa9x",
	"nonchar\xef\xbf\xbe\xef\xbf\xbf", "max\xf4\x8f\xbf\xbf", "\xf0\x9f\x90\xa7 tux", "caf\xc3\xa9",
	"\xe2\x80\x8b zwsp", "a  b", "a\\ b", "\\\"", "\x7e",
};

static void test_nasty_strings(void)
{
	unsigned n = sizeof(nasty) / sizeof(nasty[0]);
	struct topo *t = topo_new();
	struct vnl_err err = { 0 };
	bool all = true;

	for (unsigned i = 0; i < n && t; i++) {
		char name[16], env[256];
		char *envs[] = { env };
		struct topo_node c;

		snprintf(name, sizeof(name), "c%u", i);
		c = node(name, K_CNT, 1);
		topo_node_set_text(&c, "image", nasty[i]);
		topo_node_set_text(&c, "cmd", nasty[i]);
		topo_node_set_list(&c, "env", envs, 1);
		snprintf(env, sizeof(env), "K=%s", nasty[i]);
		if (topo_add_node(t, &c, &err) < 0) {
			all = false;
			printf("# refused '%s': %s\n", nasty[i], err.msg);
		}
	}
	ok(all, "%u nasty strings accepted in image, cmd and env", n);
	round_trip(t, "nasty strings");
	topo_free(t);
}

/* One string the model must refuse in every free field, with the rule. */
static void refuse_text(const char *s, const char *what)
{
	char *envs[1], env[64];
	struct topo_node c = node("c", K_CNT, 1);
	struct vnl_err err = { 0 };
	struct topo *t = topo_new();
	int r1, r2, r3;

	topo_node_set_text(&c, "image", s);
	r1 = topo_add_node(t, &c, &err);
	topo_node_set_text(&c, "image", NULL);
	topo_node_set_text(&c, "cmd", s);
	r2 = topo_add_node(t, &c, &err);
	ok(strstr(err.msg, "node 'c': cmd: ") && strstr(err.msg, "text must be valid UTF-8"),
	   "%s: message names the field and the rule (%s)", what, err.msg);
	topo_node_set_text(&c, "cmd", NULL);
	snprintf(env, sizeof(env), "K=%s", s);
	envs[0] = env;
	topo_node_set_list(&c, "env", envs, 1);
	r3 = topo_add_node(t, &c, &err);
	ok(r1 == -EINVAL && r2 == -EINVAL && r3 == -EINVAL && t->n_nodes == 0 && t->save_bytes == 0,
	   "%s refused in image, cmd and env (%s)", what, err.msg);
	topo_free(t);
}

static void test_refused_text(void)
{
	refuse_text("echo \x85", "a lone byte 0x85 (not UTF-8)");
	refuse_text("echo \xc2\x85", "C1 control U+0085 (NEL)");
	refuse_text("\xc2\x80", "C1 control U+0080");
	refuse_text("\xc2\x9f", "C1 control U+009F");
	refuse_text("a\x7f", "DEL");
	refuse_text("a\x01", "C0 control U+0001");
	refuse_text("a\r\n", "carriage return");
	refuse_text("\x1b[31m", "escape sequence");
	refuse_text("\xc0\xaf", "overlong '/'");
	refuse_text("\xe0\x80\xaf", "overlong 3-byte");
	refuse_text("\xed\xa0\x80", "UTF-16 surrogate");
	refuse_text("\xf4\x90\x80\x80", "beyond U+10FFFF");
	refuse_text("\xe2\x82", "truncated sequence");
	refuse_text("\xff", "byte 0xff");
	refuse_text("caf\xe9", "Latin-1");
	ok(topo_check_text("\xc2\x85", "cmd", 0, 0, NULL) == -EINVAL, "NULL err accepted");
}

/* Whatever a user typed, an error message stays one printable line. */
static void test_shown(void)
{
	struct vnl_err err = { 0 };
	char buf[TOPO_SHOW_LEN], big[400] = "";
	struct in_addr a;
	unsigned plen;

	ok(topo_check_name("a\nb\x1b[2J\xc2\x85\xff", "node", 0, 0, &err) == -EINVAL &&
	   strstr(err.msg, "bad node name 'a\\x0ab\\x1b[2J\\xc2\\x85\\xff'") && !strchr(err.msg, '\n'),
	   "bad name shown escaped: %s", err.msg);
	ok(topo_check_env("K\rX=1", 0, 0, &err) == -EINVAL && strstr(err.msg, "'K\\x0dX=1'"), "bad env key shown escaped: %s",
	   err.msg);
	ok(topo_parse_addr("1.2.3.4/8\n", &a, &plen, &err) == -EINVAL && strstr(err.msg, "'1.2.3.4/8\\x0a'"),
	   "bad address shown escaped: %s", err.msg);
	for (int i = 0; i < 50; i++)
		strcat(big, "\xc3\xa9");
	topo_show(big, buf);
	ok(strlen(buf) == 83 && !strcmp(buf + 80, "..."), "40 characters of a long UTF-8 string, then ...: %s", buf);
	memset(big, 0x85, 100);
	big[100] = '\0';
	topo_show(big, buf);
	ok(strlen(buf) == 163 && !strncmp(buf, "\\x85\\x85", 8), "40 bad bytes fit the buffer: %zu", strlen(buf));
}

/* What vnld can add always saves into a file the reader takes: 1 MiB. */
static void test_save_limit(void)
{
	size_t big = 200 * 1024;
	char *cmd = malloc(big + 1);
	struct vnl_err err = { 0 };
	struct topo *t = topo_new(), *back = NULL;
	unsigned added = 0;
	char *text;
	int r = 0;

	if (!cmd || !t)
		return;
	memset(cmd, 'x', big);
	cmd[big] = '\0';
	while (r == 0) {
		struct topo_node c = node("", K_CNT, 1);

		topo_node_set_text(&c, "cmd", cmd);
		snprintf(c.name, sizeof(c.name), "c%u", added);
		r = topo_add_node(t, &c, &err);
		added += r == 0;
	}
	ok(r == -EFBIG && added == 5 && strstr(err.msg, "saved topology would exceed 1048576 bytes"),
	   "sixth 200 KiB cmd refused (%u added: %s)", added, err.msg);
	text = save_str(t);
	ok(text && strlen(text) <= TOPO_FILE_MAX && strlen(text) == TOPO_SAVE_FRAME - 3 + t->save_bytes,
	   "saved size %zu is the accounted %zu", text ? strlen(text) : 0, t->save_bytes);
	ok(text && topo_load_string(text, &back, &err) == 0 && topo_equal(t, back), "and loads back");
	/* Fill to the byte: the largest cmd that still fits, then one more byte. */
	topo_free(back);
	free(text);
	{
		size_t room = TOPO_FILE_MAX - TOPO_SAVE_FRAME - t->save_bytes;
		struct topo_node c = node("last", K_CNT, 1);
		size_t fixed;

		topo_node_set_text(&c, "cmd", cmd);
		cmd[0] = 'y';
		cmd[1] = '\0';
		fixed = topo_node_save_size(&c) - 1;
		memset(cmd, 'z', room - fixed + 1);
		cmd[room - fixed + 1] = '\0';
		ok(topo_add_node(t, &c, &err) == -EFBIG, "one byte over the limit refused");
		cmd[room - fixed] = '\0';
		ok(topo_add_node(t, &c, &err) == 0, "exactly at the limit accepted (%s)", err.msg);
		text = save_str(t);
		back = NULL;
		ok(text && strlen(text) <= TOPO_FILE_MAX && topo_load_string(text, &back, &err) == 0 &&
		   topo_equal(t, back), "the full lab saves in %zu bytes and loads back (%s)",
		   text ? strlen(text) : 0, err.msg);
		free(text);
		topo_free(back);
		ok(topo_del_node(t, "last", &err) == 0 && topo_del_node(t, "c0", &err) == 0 &&
		   t->save_bytes == (size_t)4 * topo_node_save_size(&t->nodes[0]), "deletions give the room back");
	}
	topo_free(t);
	free(cmd);
}

/* Each of the n cases refused at its line with its message. */
static void bad_files(const struct bad_case *cases, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
		struct vnl_err err = { 0 };
		struct topo *t = (struct topo *)1;
		int r = topo_load_string(c->text, &t, &err);

		ok(r < 0 && !t && err_line(&err) == c->line && strstr(err.msg, c->msg) && err.code == r,
		   "%s %zu: line %d '%s' (got %d: %s)", what, i, c->line, c->msg, r, err.msg);
	}
}

static void test_bad_files(void)
{
	bad_files(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]), "bad file");
}

static void test_limits(void)
{
	struct vnl_err err = { 0 };
	struct topo *t = NULL;
	size_t sz = TOPO_FILE_MAX + 16, len = 0;
	char *big = malloc(sz);
	int r;

	if (!big)
		return;
	/* A valid file just over the size limit: a long comment. */
	len = (size_t)snprintf(big, sz, "lans: [a]\n#");
	memset(big + len, 'x', TOPO_FILE_MAX + 1 - len);
	big[TOPO_FILE_MAX + 1] = '\0';
	r = topo_load_string(big, &t, &err);
	ok(r == -EFBIG && strstr(err.msg, "too large"), "over 1 MiB refused (%s)", err.msg);

	/* 4097 LANs in a small file. */
	len = (size_t)snprintf(big, sz, "lans:\n");
	for (unsigned i = 0; i <= TOPO_MAX_OBJECTS; i++)
		len += (size_t)snprintf(big + len, sz - len, "  - l%u\n", i);
	r = topo_load_string(big, &t, &err);
	ok(r == -E2BIG && err_line(&err) == TOPO_MAX_OBJECTS + 2 && strstr(err.msg, "too many LANs (at most 4096)"),
	   "4097 LANs refused at the 4097th (%s)", err.msg);
	free(big);

	r = topo_load_file("/nonexistent/lab.yaml", &t, &err);
	ok(r == -ENOENT && !t && strstr(err.msg, "cannot open") && err_line(&err) == 0 &&
	   !strncmp(err.msg, "/nonexistent/lab.yaml: ", 23), "missing file: %s", err.msg);
}

static void test_model(void)
{
	struct vnl_err err = { 0 };
	struct topo *t = topo_new();
	struct topo_link link = { .node = "a", .nic = 0, .lan = "blue" };
	struct in_addr a;
	unsigned plen;

	ok(topo_add_lan(t, &(struct topo_lan){ .name = "blue" }, &err) == 0, "add LAN");
	struct topo_node b = node("b", K_CNT, 1), blue = node("blue", K_NS, 1), bc = node("b c", K_NS, 1);

	ok(topo_add_node(t, &(struct topo_node){ .name = "a", .kind = K_NS, .nics = 1 }, &err) == 0, "add node");
	ok(topo_add_node(t, &blue, &err) == -EEXIST &&
	   err_line(&err) == 0 && strstr(err.msg, "already a LAN"), "node named like a LAN: %s", err.msg);
	ok(topo_add_lan(t, &(struct topo_lan){ .name = "a" }, &err) == -EEXIST, "LAN named like a node");
	ok(topo_add_node(t, &(struct topo_node){ .name = "b", .kind = K_NS, .nics = 0 }, &err) == -ERANGE,
	   "nics 0 refused: %s", err.msg);
	ok(topo_add_node(t, &(struct topo_node){ .name = "b", .nics = 1 }, &err) == -EINVAL &&
	   strstr(err.msg, "bad kind (kinds: ns, cnt, vm, testkind)"), "no kind refused: %s", err.msg);
	ok(topo_node_set_uint(&blue, "mem", 5) == -ENOENT && topo_node_set_text(&b, "pids", "x") == -EINVAL,
	   "options set by name: of the kind, of their type");
	ok(topo_add_node(t, &(struct topo_node){ .name = "b", .kind = K_NS, .nics = 1, .opt[1] = { .set = true } },
			 &err) == -EINVAL && strstr(err.msg, "option 2 of kind ns set"), "a value beyond the schema refused: %s",
	   err.msg);
	ok(topo_add_node(t, &(struct topo_node){ .name = "b", .kind = K_NS, .nics = 1, .opt[0] = { .set = true, .num = 2 } },
			 &err) == -ERANGE && strstr(err.msg, "nic-type: no choice 2"), "a choice beyond the words refused: %s",
	   err.msg);
	ok(topo_add_lan(t, &(struct topo_lan){ .name = "big", .mtu = 9001 }, &err) == -ERANGE &&
	   strstr(err.msg, "LAN 'big': mtu 9001 out of range 68..9000"), "LAN mtu 9001 refused: %s", err.msg);
	topo_node_set_uint(&b, "pids", 1 << 23);
	ok(topo_add_node(t, &b, &err) == -ERANGE && strstr(err.msg, "pids must be 16..4194304"),
	   "pids beyond the kernel's limit refused: %s", err.msg);
	topo_node_set_uint(&b, "pids", 16);
	topo_node_set_uint(&b, "mem", 15);
	ok(topo_add_node(t, &b, &err) == -ERANGE && strstr(err.msg, "node 'b': mem must be 16..1048576 MiB"),
	   "a cnt's mem below its kind's minimum refused: %s", err.msg);
	ok(topo_add_node(t, &bc, &err) == -EINVAL &&
	   strstr(err.msg, "names are [a-z0-9][a-z0-9_-]*"), "bad name says the rule: %s", err.msg);
	ok(t->n_nodes == 1 && t->n_lans == 1, "failed adds change nothing");

	ok(topo_add_link(t, &link, &err) == 0, "add link");
	ok(topo_validate(t, &err) == 0, "valid lab");
	link.nic = 32;
	ok(topo_add_link(t, &link, &err) == -ERANGE, "nic 32 refused");
	link.nic = 0;
	ok(topo_add_link(t, &link, &err) == 0 && topo_validate(t, &err) == -EEXIST && err_line(&err) == 0 &&
	   strstr(err.msg, "already linked"), "second link on a:0: %s", err.msg);
	t->n_links--;
	strcpy(link.lan, "red");
	ok(topo_add_link(t, &link, &err) == 0 && topo_validate(t, &err) == -ENOENT &&
	   strstr(err.msg, "unknown LAN 'red'"), "unknown LAN: %s", err.msg);
	t->n_links--;
	strcpy(link.lan, "blue");
	link.nic = 3;
	ok(topo_add_link(t, &link, &err) == 0 && topo_validate(t, &err) == -ERANGE, "nic beyond nics: %s", err.msg);
	t->n_links--;
	ok(topo_add_node(t, &(struct topo_node){ .name = "v", .kind = K_VM, .nics = 1 }, &err) == 0, "add vm");
	ok(topo_add_link(t, &(struct topo_link){ .node = "v", .lan = "blue", .has_addr = true, .plen = 24 }, &err) == 0 &&
	   topo_validate(t, &err) == -EINVAL && strstr(err.msg, "not vm"), "address on a vm: %s", err.msg);
	t->n_links--;
	ok(topo_validate(t, &err) == 0, "valid again");
	topo_free(t);
	topo_free(NULL);

	ok(topo_parse_addr("10.0.0.1/24", &a, &plen, &err) == 0 && plen == 24 && a.s_addr == htonl(0x0a000001),
	   "parse address");
	ok(topo_parse_addr("10.0.0/24", &a, &plen, &err) == -EINVAL, "three octets refused");
	ok(topo_parse_addr("10.0.0.01/24", &a, &plen, &err) == -EINVAL, "leading zero refused");
	ok(topo_parse_addr("10.0.0.1/0", &a, &plen, &err) == -EINVAL, "/0 refused");
	ok(topo_parse_addr("10.0.0.1/24 ", &a, &plen, &err) == -EINVAL, "trailing text refused");
	ok(topo_check_name("abcdefghijklmno", "node", 0, 0, &err) == 0, "15 characters accepted");
	ok(topo_check_name("", "node", 0, 0, &err) == -EINVAL, "empty name refused");
}

/*
 * The tests' own kind (testkind.c) works everywhere the model goes without
 * a change to the model: parsing (keys, types, ranges, messages), the
 * defaults of unset options, saving (schema order, quoting), round trip
 * and validation (ranges, addresses per the schema).
 */
static void test_testkind(void)
{
	static const char file[] =
		"lans: [blue]\n"
		"nodes:\n"
		"  - name: t1\n"
		"    tags: [x, \"y z\", \"\"]\n"
		"    kind: testkind\n"
		"    nics: 2\n"
		"    speed: 10\n"
		"    color: \"dark: red\"\n"
		"  - name: t2\n"
		"    kind: testkind\n"
		"links:\n"
		"  - t1:1 blue\n";
	static const char saved[] =
		"# vnetlab topology\n"
		"lans:\n"
		"  - blue\n"
		"nodes:\n"
		"  - name: t1\n"
		"    kind: testkind\n"
		"    nics: 2\n"
		"    speed: 10\n"
		"    color: \"dark: red\"\n"
		"    tags: [\"x\", \"y z\", \"\"]\n"
		"  - name: t2\n"
		"    kind: testkind\n"
		"links:\n"
		"  - t1:1 blue\n";
	static const struct bad_case bad[] = {
		{ "nodes:\n  - {name: t, kind: testkind, speed: 9}\n", 2,
		  "speed of node 't' must be an integer in 10..100, not '9'" },
		{ "nodes:\n  - {name: t, kind: testkind, color: [red]}\n", 2, "node 't': color must be a scalar, not a list" },
		{ "nodes:\n  - {name: t, kind: testkind, color: \"\"}\n", 2, "node 't': color must not be empty" },
		{ "nodes:\n  - {name: t, kind: testkind, tags: x}\n", 2, "tags of node 't' must be a list, not a scalar" },
		{ "nodes:\n  - {name: t, kind: testkind, tags: [\"\\e\"]}\n", 2,
		  "node 't': tags entry 1: control character U+001B" },
		{ "nodes:\n  - {name: t, kind: testkind, image: x}\n", 2, "key 'image' in node 't' does not apply to kind testkind" },
		{ "nodes:\n  - {name: t, kind: testkind, colour: red}\n", 2,
		  "unknown key 'colour' in node 't' (expected name, kind, nics, speed, color, tags)" },
		{ "nodes:\n  - {name: c, kind: cnt, speed: 10}\n", 2, "key 'speed' in node 'c' does not apply to kind cnt" },
		{ "lans: [blue]\nnodes:\n  - {name: t, kind: testkind}\nlinks:\n  - t:0 blue 10.0.0.1/24\n", 5,
		  "addresses apply to ns and cnt nodes, not testkind" },
	};
	const struct topo_kind *k = topo_kind_find("testkind");
	char *tags[] = { "a", "b" }, *const *got;
	struct topo_node tn = node("t9", k, 1);
	struct vnl_err err = { 0 };
	struct topo *t = NULL;
	const struct topo_node *n;
	char *out;
	unsigned count;

	ok(k && k->n_opts == 3, "testkind is in the table");
	ok(topo_load_string(file, &t, &err) == 0 && t, "a file with testkind nodes loads (%s)", err.msg);
	if (!t)
		return;
	n = topo_find_node(t, "t1");
	got = n ? list(n, "tags", &count) : NULL;
	ok(n && n->kind == k && n->nics == 2 && num(n, "speed") == 10 && !strcmp(text(n, "color"), "dark: red") &&
	   count == 3 && !strcmp(got[1], "y z") && !strcmp(got[2], ""), "t1: its speed, color and tags");
	n = topo_find_node(t, "t2");
	ok(n && num(n, "speed") == 42 && text(n, "color") == NULL && list(n, "tags", &count) == NULL && count == 0,
	   "t2: an unset speed is the schema's default 42, color and tags are unset");
	out = save_str(t);
	ok(out && !strcmp(out, saved), "saved in the schema's order, texts quoted");
	if (out && strcmp(out, saved))
		printf("# saved:\n%s", out);
	free(out);
	round_trip(t, "testkind");
	topo_node_set_uint(&tn, "speed", 101);
	ok(topo_add_node(t, &tn, &err) == -ERANGE && strstr(err.msg, "node 't9': speed must be 10..100 Mb/s"),
	   "validation: speed 101 refused by the model (%s)", err.msg);
	topo_node_set_uint(&tn, "speed", 100);
	topo_node_set_list(&tn, "tags", tags, 2);
	topo_node_set_text(&tn, "color", "\x1b[31m");
	ok(topo_add_node(t, &tn, &err) == -EINVAL && strstr(err.msg, "node 't9': color: control character"),
	   "validation: a color with an escape refused (%s)", err.msg);
	topo_node_set_text(&tn, "color", "blue");
	ok(topo_add_node(t, &tn, &err) == 0 && topo_validate(t, &err) == 0, "t9 added and the lab validates");
	round_trip(t, "testkind built");
	topo_free(t);
	bad_files(bad, sizeof(bad) / sizeof(bad[0]), "testkind bad file");
}

/* The schema rules hold for the kinds of vnld and vnl and the tests' own;
 * a broken table is refused naming the rule. */
static void test_schemas(void)
{
	static const struct topo_opt twice[] = {
		{ .name = "a", .type = TOPO_OPT_UINT, .min = 1, .max = 2, .metavar = "N", .help = "a" },
		{ .name = "a", .type = TOPO_OPT_UINT, .min = 1, .max = 2, .metavar = "N", .help = "a" },
	};
	static const struct topo_opt bad_range = { .name = "r", .type = TOPO_OPT_UINT, .min = 5, .max = 2,
						   .metavar = "N", .help = "r" };
	static const struct topo_opt own_key = { .name = "nics", .type = TOPO_OPT_TEXT, .metavar = "N", .help = "n" };
	static const struct topo_opt cmd_member = { .name = "cmd", .type = TOPO_OPT_TEXT, .metavar = "C", .help = "c" };
	static const struct topo_opt other_type = { .name = "mem", .short_opt = 'm', .type = TOPO_OPT_TEXT,
						    .metavar = "M", .help = "m" };
	static const struct topo_opt vnl_letter = { .name = "x", .short_opt = 'j', .type = TOPO_OPT_TEXT,
						    .metavar = "X", .help = "x" };
	static const struct topo_kind k_twice = { "t", "t", twice, 2, false };
	static const struct topo_kind k_range = { "t", "t", &bad_range, 1, false };
	static const struct topo_kind k_own = { "t", "t", &own_key, 1, false };
	static const struct topo_kind k_cmd = { "t", "t", &cmd_member, 1, false };
	static const struct topo_kind k_type = { "t", "t", &other_type, 1, false };
	static const struct topo_kind k_letter = { "t", "t", &vnl_letter, 1, false };
	static const struct topo_kind k_lan = { "lan", "l", NULL, 0, false };
	const struct {
		const struct topo_kind *k;
		const char *msg;
	} bad[] = {
		{ &k_twice, "option 'a': named twice" },
		{ &k_range, "option 'r': range" },
		{ &k_own, "option 'nics': name, kind and nics are a node's own keys" },
		{ &k_cmd, "option 'cmd': cmd names the request" },
		{ &k_type, "option 'mem': differs in type" },
		{ &k_letter, "option 'x': its letter is vnl's" },
		{ &k_lan, "'lan' is vnl add's word" },
		{ K_NS, "kind 'ns': named twice" },
	};
	struct vnl_err err = { 0 };

	node_kinds_init(); /* vnld's and vnl's table, whatever it holds */
	ok(topo_kinds_check(topo_kinds(), &err) == 0, "the schemas of endpoints/kinds.c are well-formed (%s)", err.msg);
	node_kinds_use(kinds);
	ok(topo_kinds_check(topo_kinds(), &err) == 0, "... and with testkind (%s)", err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct topo_kind *table[] = { K_NS, K_CNT, K_VM, bad[i].k, NULL };

		ok(topo_kinds_check(table, &err) == -EINVAL && strstr(err.msg, bad[i].msg), "broken schema %zu: %s",
		   i, err.msg);
	}
}

/* ---- impairments (model/impair_text.c, the link's impair:) ---- */

/* Key `key` set from text in gives canonical text `want` (NULL: refused). */
static void imp_case(unsigned key, const char *in, const char *want)
{
	struct topo_impair imp = { 0 };
	struct vnl_err err = { 0, "" };
	char buf[TOPO_IMP_TEXT_LEN];
	int r = topo_impair_set(&imp, key, in, 0, 0, &err);
	const char *t = r == 0 ? topo_impair_text(&imp, key, buf) : NULL;

	if (want == NULL) {
		ok(r == -EINVAL && strstr(err.msg, topo_impair_keys[key]) && strstr(err.msg, "not '"),
		   "%s '%s' refused (%s)", topo_impair_keys[key], in, err.msg);
		return;
	}
	ok(r == 0 && ((!t && !*want) || (t && !strcmp(t, want))), "%s '%s' -> '%s' (got %d '%s' %s)",
	   topo_impair_keys[key], in, want, r, t ? t : "(unset)", err.msg);
}

static void test_impair_text(void)
{
	static const struct { unsigned key; const char *in, *want; } cases[] = {
		{ TOPO_IMP_DELAY, "20ms", "20ms" }, { TOPO_IMP_DELAY, "20msec", "20ms" },
		{ TOPO_IMP_DELAY, "1.5s", "1.5s" }, { TOPO_IMP_DELAY, "1500ms", "1.5s" },
		{ TOPO_IMP_DELAY, "250us", "250us" }, { TOPO_IMP_DELAY, "100ns", "100ns" },
		{ TOPO_IMP_DELAY, "1234567ns", "1234.567us" }, { TOPO_IMP_DELAY, "0.0005ms", "500ns" },
		{ TOPO_IMP_DELAY, "60s", "60s" }, { TOPO_IMP_DELAY, "0", "" }, { TOPO_IMP_DELAY, "0ms", "" },
		{ TOPO_IMP_DELAY, "61s", NULL }, { TOPO_IMP_DELAY, "20", NULL }, { TOPO_IMP_DELAY, "1.5ns", NULL },
		{ TOPO_IMP_DELAY, "-1ms", NULL }, { TOPO_IMP_DELAY, "ms", NULL }, { TOPO_IMP_DELAY, ".5ms", NULL },
		{ TOPO_IMP_DELAY, "5.ms", NULL }, { TOPO_IMP_DELAY, "20 ms", NULL }, { TOPO_IMP_JITTER, "2ms", "2ms" },
		{ TOPO_IMP_LOSS, "1%", "1%" }, { TOPO_IMP_LOSS, "0.5%", "0.5%" }, { TOPO_IMP_LOSS, "0.0001%", "0.0001%" },
		{ TOPO_IMP_LOSS, "random 2%", "2%" }, { TOPO_IMP_LOSS, "100%", "100%" }, { TOPO_IMP_LOSS, "0%", "" },
		{ TOPO_IMP_LOSS, "101%", NULL }, { TOPO_IMP_LOSS, "0.00001%", NULL }, { TOPO_IMP_LOSS, "1%%", NULL },
		{ TOPO_IMP_LOSS, "gemodel 1%", "gemodel 1% 99% 100% 0%" },
		{ TOPO_IMP_LOSS, "gemodel 5% 50%", "gemodel 5% 50% 100% 0%" },
		{ TOPO_IMP_LOSS, "gemodel 1% 10% 70% 0.1%", "gemodel 1% 10% 70% 0.1%" },
		{ TOPO_IMP_LOSS, "gemodel 0%", NULL }, { TOPO_IMP_LOSS, "gemodel", NULL },
		{ TOPO_IMP_LOSS, "gemodel 1% 2% 3% 4% 5%", NULL }, { TOPO_IMP_LOSS, "state 1%", NULL },
		{ TOPO_IMP_RATE, "100mbit", "100mbit" }, { TOPO_IMP_RATE, "1Gbit", "1gbit" },
		{ TOPO_IMP_RATE, "1.5mbit", "1500kbit" }, { TOPO_IMP_RATE, "10mbps", "80mbit" },
		{ TOPO_IMP_RATE, "1kibit", "1024bit" }, { TOPO_IMP_RATE, "8bit", "8bit" },
		{ TOPO_IMP_RATE, "400gbit", "400gbit" }, { TOPO_IMP_RATE, "0", "" }, { TOPO_IMP_RATE, "5bit", NULL },
		{ TOPO_IMP_RATE, "401gbit", NULL }, { TOPO_IMP_RATE, "1.5bit", NULL }, { TOPO_IMP_RATE, "10furlong", NULL },
		{ TOPO_IMP_BURST, "64kb", "64kb" }, { TOPO_IMP_BURST, "1500", "1500b" }, { TOPO_IMP_BURST, "2m", "2mb" },
		{ TOPO_IMP_BURST, "65mb", NULL }, { TOPO_IMP_LIMIT, "500", "500" }, { TOPO_IMP_LIMIT, "65536", NULL },
		{ TOPO_IMP_LIMIT, "-1", NULL }, { TOPO_IMP_OVERHEAD, "-4", "-4" }, { TOPO_IMP_OVERHEAD, "257", NULL },
		{ TOPO_IMP_DUPLICATE, "5%", "5%" }, { TOPO_IMP_REORDER, "25%", "25%" }, { TOPO_IMP_GAP, "5", "5" },
		{ TOPO_IMP_CORRUPT, "0.1%", "0.1%" }, { TOPO_IMP_SEED, "0", "0" },
		{ TOPO_IMP_SEED, "9223372036854775807", "9223372036854775807" },
		{ TOPO_IMP_SEED, "9223372036854775808", NULL }, { TOPO_IMP_DIST, "normal", "normal" },
		{ TOPO_IMP_DIST, "uniform", "" }, { TOPO_IMP_DIST, "pareto", NULL },
	};
	struct topo_impair imp = { 0 };
	struct vnl_err err = { 0, "" };
	char line[256], keys[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		imp_case(cases[i].key, cases[i].in, cases[i].want);
	ok(topo_impair_key("corrupt") == TOPO_IMP_CORRUPT && topo_impair_key("latency") == -1, "key words");
	ok(!strcmp(topo_impair_key_list(keys, sizeof(keys)), "delay, jitter, distribution, loss, rate, burst, limit, "
		   "overhead, duplicate, reorder, gap, corrupt, seed"), "key list: %s", keys);
	ok(topo_impair_none(&imp) && !strcmp(topo_impair_line(&imp, line, sizeof(line)), "none"), "empty set: none");
	topo_impair_set(&imp, TOPO_IMP_DELAY, "20ms", 0, 0, NULL);
	topo_impair_set(&imp, TOPO_IMP_JITTER, "2ms", 0, 0, NULL);
	topo_impair_set(&imp, TOPO_IMP_DIST, "normal", 0, 0, NULL);
	topo_impair_set(&imp, TOPO_IMP_LOSS, "gemodel 1% 10%", 0, 0, NULL);
	ok(imp.delay_ns == 20000000 && imp.jitter_ns == 2000000 && imp.dist == TOPO_DIST_NORMAL && imp.ge &&
	   imp.ge_ppm[0] == 10000 && imp.ge_ppm[1] == 100000 && imp.ge_ppm[2] == 1000000 && imp.ge_ppm[3] == 0,
	   "fields in ns and ppm");
	ok(!strcmp(topo_impair_line(&imp, line, sizeof(line)),
		   "delay 20ms jitter 2ms distribution normal loss gemodel 1% 10% 100% 0%"), "one line: %s", line);
	ok(topo_impair_check(&imp, "x", 0, 0, &err) == 0, "a valid set passes the check");
	/* The rules that join keys, netem's. */
	imp = (struct topo_impair){ .reorder_ppm = 250000 };
	ok(topo_impair_check(&imp, "link a:0: impair in", 0, 0, &err) == -EINVAL &&
	   !strcmp(err.msg, "link a:0: impair in: reorder needs a delay, as in netem"), "%s", err.msg);
	imp = (struct topo_impair){ .delay_ns = 1, .gap = 5 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "gap needs a reorder"), "%s", err.msg);
	imp = (struct topo_impair){ .dist = TOPO_DIST_NORMAL };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "distribution needs a jitter"),
	   "%s", err.msg);
	imp = (struct topo_impair){ .jitter_ns = 2000000 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL &&
	   !strcmp(err.msg, "jitter needs a delay, as in netem"), "%s", err.msg);
	imp = (struct topo_impair){ .burst = 1500 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "burst needs a rate"), "%s", err.msg);
	imp = (struct topo_impair){ .overhead = 4 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "overhead needs a rate"), "%s", err.msg);
	imp = (struct topo_impair){ .loss_ppm = 1000001 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "0%..100%"), "%s", err.msg);
	imp = (struct topo_impair){ .rate_bps = 5 };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "8bit..400gbit"), "%s", err.msg);
	imp = (struct topo_impair){ .ge = true };
	ok(topo_impair_check(&imp, NULL, 0, 0, &err) == -EINVAL && strstr(err.msg, "P > 0"), "%s", err.msg);
}

#define IMP_LAB "lans: [blue]\nnodes:\n  - {name: a, kind: ns}\n  - {name: b, kind: ns}\nlinks:\n  - a:0 blue\n"

static void test_impair_file(void)
{
	static const char file[] = IMP_LAB
		"  - node: b\n"
		"    nic: 0\n"
		"    lan: blue\n"
		"    ip: 10.0.1.2/24\n"
		"    impair:           # both directions\n"
		"      delay: 20ms\n"
		"      jitter: 2ms\n"
		"      out:\n"
		"        rate: 10mbit\n"
		"        limit: 500\n"
		"        delay: 5ms\n"
		"      in:\n"
		"        loss: gemodel 1% 10%\n"
		"      distribution: normal\n";
	static const char saved[] =
		"links:\n"
		"  - a:0 blue\n"
		"  - node: b\n"
		"    nic: 0\n"
		"    lan: blue\n"
		"    ip: 10.0.1.2/24\n"
		"    impair:\n"
		"      jitter: 2ms\n"
		"      distribution: normal\n"
		"      out:\n"
		"        delay: 5ms\n"
		"        rate: 10mbit\n"
		"        limit: 500\n"
		"      in:\n"
		"        delay: 20ms\n"
		"        loss: gemodel 1% 10% 100% 0%\n";
	struct vnl_err err = { 0, "" };
	struct topo *t = NULL;
	struct topo_link *k;
	struct topo_impair imp[TOPO_IMP_DIRS] = { { 0 } };
	char *text;
	size_t before;
	int r;

	r = topo_load_string(file, &t, &err);
	if (!ok(r == 0 && t, "file with impair loads (%s)", err.msg))
		return;
	k = topo_find_link(t, "b", 0);
	ok(k && k->imp[TOPO_IMP_OUT].delay_ns == 5000000 && k->imp[TOPO_IMP_IN].delay_ns == 20000000,
	   "out's delay overrides the top's, in keeps it");
	ok(k && k->imp[TOPO_IMP_OUT].jitter_ns == 2000000 && k->imp[TOPO_IMP_IN].jitter_ns == 2000000 &&
	   k->imp[TOPO_IMP_OUT].dist == TOPO_DIST_NORMAL && k->imp[TOPO_IMP_IN].dist == TOPO_DIST_NORMAL,
	   "top keys go to both directions, whatever their place");
	ok(k && k->imp[TOPO_IMP_OUT].rate_bps == 10000000 && k->imp[TOPO_IMP_OUT].limit == 500 &&
	   !k->imp[TOPO_IMP_IN].rate_bps && !k->imp[TOPO_IMP_OUT].ge && k->imp[TOPO_IMP_IN].ge,
	   "out: and in: keys stay in their direction");
	ok(!topo_link_impaired(topo_find_link(t, "a", 0)) && k && topo_link_impaired(k), "impaired links told apart");
	text = save_str(t);
	ok(text && strstr(text, saved), "canonical save: equal keys at the top, the others per direction");
	if (text && !strstr(text, saved))
		printf("# saved:\n%s", text);
	free(text);
	round_trip(t, "impairments");
	/* Replaced in place: the accounted size follows. */
	before = t->save_bytes;
	imp[TOPO_IMP_IN].delay_ns = 1000000;
	imp[TOPO_IMP_IN].reorder_ppm = 250000;
	imp[TOPO_IMP_IN].gap = 3;
	imp[TOPO_IMP_IN].has_seed = true;
	imp[TOPO_IMP_IN].seed = 42;
	ok(topo_link_set_impair(t, k, imp, &err) == 0 && t->save_bytes < before, "set_impair replaces the set (%s)",
	   err.msg);
	round_trip(t, "impairment of one direction");
	text = save_str(t);
	ok(text && strstr(text, "    impair:\n      in:\n        delay: 1ms\n        reorder: 25%\n        gap: 3\n"
			  "        seed: 42\n"), "one direction: in: only");
	free(text);
	imp[TOPO_IMP_OUT].gap = 2;
	ok(topo_link_set_impair(t, k, imp, &err) == -EINVAL && strstr(err.msg, "link b:0: impair out: gap needs a reorder")
	   && k->imp[TOPO_IMP_OUT].gap == 0, "a bad set changes nothing (%s)", err.msg);
	memset(imp, 0, sizeof(imp));
	ok(topo_link_set_impair(t, k, imp, &err) == 0 && !topo_link_impaired(k), "cleared");
	text = save_str(t);
	ok(text && strstr(text, "  - b:0 blue 10.0.1.2/24\n"), "a cleared link is saved in the short form again");
	free(text);
	round_trip(t, "cleared");
	/* Built, not read: topo_add_link checks the rules too. */
	{
		struct topo_link bad = { .node = "a", .nic = 1, .lan = "blue" };

		bad.imp[TOPO_IMP_OUT].reorder_ppm = 1;
		ok(topo_add_link(t, &bad, &err) == -EINVAL && strstr(err.msg, "reorder needs a delay"), "%s", err.msg);
	}
	topo_free(t);
}

static const struct bad_case impair_bad[] = {
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {reorder: 25%}}\n", 7,
	  "link b:0: impair out: reorder needs a delay, as in netem" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 1ms, in: {reorder: 5%, delay: 0}}}\n", 7,
	  "link b:0: impair in: reorder needs a delay" },
	{ IMP_LAB "  - node: b\n    nic: 0\n    lan: blue\n    impair:\n      loss: 101%\n", 11,
	  "loss must be a percentage 0%..100% like 1% or 0.05%, or 'gemodel P [R [1-H [1-K]]]' with P > 0, not '101%'" },
	{ IMP_LAB "  - node: b\n    nic: 0\n    lan: blue\n    impair:\n      out:\n        rate: 5bit\n", 12,
	  "rate must be a rate like 100mbit or 1gbit, 8bit..400gbit (0: none), not '5bit'" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 1ms, gap: 5}}\n", 7,
	  "link b:0: impair out: gap needs a reorder, as in netem" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {latency: 1ms}}\n", 7,
	  "unknown key 'latency' in impair of link (expected delay, jitter, distribution, loss, rate, burst, limit, "
	  "overhead, duplicate, reorder, gap, corrupt, seed, out, in)" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {out: {out: {delay: 1ms}}}}\n", 7,
	  "unknown key 'out' in impair out of link (expected delay," },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 1ms, delay: 2ms}}\n", 7,
	  "duplicate key 'delay' in impair of link" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: [1ms]}}\n", 7,
	  "delay of impair of link must be a scalar, not a list" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: 20ms}\n", 7, "impair of link must be a mapping, not a scalar" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {in: 20ms}}\n", 7,
	  "impair in of link must be a mapping, not a scalar" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {distribution: normal}}\n", 7,
	  "distribution needs a jitter" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {jitter: 2ms}}\n", 7,
	  "link b:0: impair out: jitter needs a delay, as in netem" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 5ms, jitter: 1ms, in: {delay: 0}}}\n", 7,
	  "link b:0: impair in: jitter" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 1ms, limit: 0}}\n", 7,
	  "limit must be a number of frames 1..65535, not '0'" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 1ms, reorder: 5%, gap: 0}}\n", 7,
	  "gap must be a number of frames 1..65535, not '0'" },
	{ IMP_LAB "  - {node: b, nic: 0, lan: blue, impair: {delay: 20}}\n", 7,
	  "delay must be a time like 20ms, 1.5s or 250us, at most 60s, not '20'" },
};

/* ---- vxlan (docs/plans/vxlan.md 2.9) ---- */

#define VX_LAN(body) "lans:\n  - name: blue\n    vxlan:\n" body
static const struct bad_case vxlan_bad[] = {
	{ VX_LAN("      remote: [192.0.2.2]\n"), 4, "missing required key 'vni' in vxlan of LAN" },
	{ VX_LAN("      vni: 0\n"), 4, "vni of vxlan must be an integer in 1..16777215, not '0'" },
	{ VX_LAN("      vni: 16777216\n"), 4, "vni of vxlan must be an integer in 1..16777215, not '16777216'" },
	{ VX_LAN("      vni: x\n"), 4, "vni of vxlan must be an integer in 1..16777215, not 'x'" },
	{ VX_LAN("      vni: 1\n      vni: 2\n"), 5, "duplicate key 'vni' in vxlan of LAN" },
	{ VX_LAN("      vni: 1\n      group: 239.1.1.1\n"), 5,
	  "unknown key 'group' in vxlan of LAN (expected vni, remote, underlay, local, dstport)" },
	{ VX_LAN("      vni: 1\n      remote: 192.0.2.2\n"), 5, "remote of vxlan must be a list, not a scalar" },
	{ VX_LAN("      vni: 1\n      remote: [192.0.2.256]\n"), 5,
	  "remote of vxlan: bad address '192.0.2.256': expected an IPv4 or IPv6 address" },
	{ VX_LAN("      vni: 1\n      remote: [192.0.2.2/24]\n"), 5, "bad address '192.0.2.2/24'" },
	{ VX_LAN("      vni: 1\n      remote: [\"fe80::1%eth0\"]\n"), 5, "bad address 'fe80::1%eth0'" },
	{ VX_LAN("      vni: 1\n      remote: [[192.0.2.2]]\n"), 5, "remote of vxlan must be a scalar, not a list" },
	{ VX_LAN("      vni: 1\n      remote: [192.0.2.2, \"2001:db8::2\"]\n"), 5,
	  "remote of vxlan: 2001:db8::2 is IPv6, the others are IPv4 (one family per LAN)" },
	{ VX_LAN("      vni: 1\n      remote: [192.0.2.2, 192.0.2.2]\n"), 5, "remote of vxlan: remote 192.0.2.2 given twice" },
	{ VX_LAN("      vni: 1\n      remote: [\"2001:db8::2\", \"2001:DB8:0::2\"]\n"), 5, "remote 2001:db8::2 given twice" },
	{ VX_LAN("      vni: 1\n      remote: [\"fe80::1\"]\n"), 4,
	  "LAN 'blue': vxlan: remote fe80::1 is link-local (a remote is a unicast address the underlay routes)" },
	{ VX_LAN("      vni: 1\n      remote: [239.1.1.1]\n"), 4, "remote 239.1.1.1 is multicast" },
	{ VX_LAN("      vni: 1\n      remote: [\"ff02::1\"]\n"), 4, "remote ff02::1 is multicast" },
	{ VX_LAN("      vni: 1\n      remote: [255.255.255.255]\n"), 4, "remote 255.255.255.255 is broadcast" },
	{ VX_LAN("      vni: 1\n      remote: [0.0.0.0]\n"), 4, "remote 0.0.0.0 is unspecified" },
	{ VX_LAN("      vni: 1\n      remote: [127.0.0.1]\n"), 4, "remote 127.0.0.1 is loopback" },
	{ VX_LAN("      vni: 1\n      remote: [169.254.1.1]\n"), 4, "remote 169.254.1.1 is link-local" },
	{ VX_LAN("      vni: 1\n      remote: [192.0.2.2]\n      local: \"2001:db8::1\"\n"), 6,
	  "local of vxlan: local 2001:db8::1 is IPv6, the remotes are IPv4 (one family per LAN)" },
	{ VX_LAN("      vni: 1\n      local: 192.0.2.1\n      remote: [192.0.2.1]\n"), 4,
	  "LAN 'blue': vxlan: 192.0.2.1 is local and a remote" },
	{ VX_LAN("      vni: 1\n      local: 224.0.0.1\n"), 4, "local 224.0.0.1 is multicast" },
	{ VX_LAN("      vni: 1\n      local: x\n"), 5, "local of vxlan: bad address 'x'" },
	{ VX_LAN("      vni: 1\n      local: [192.0.2.1]\n"), 5, "local of vxlan must be a scalar, not a list" },
	{ VX_LAN("      vni: 1\n      dstport: 0\n"), 5, "dstport of vxlan must be an integer in 1..65535, not '0'" },
	{ VX_LAN("      vni: 1\n      dstport: 65536\n"), 5, "dstport of vxlan must be an integer in 1..65535" },
	{ VX_LAN("      vni: 1\n      underlay: eth/0\n"), 5, "bad underlay 'eth/0': an interface name" },
	{ VX_LAN("      vni: 1\n      underlay: \"#x\"\n"), 5, "bad underlay '#x'" },
	{ VX_LAN("      vni: 1\n      underlay: abcdefghijklmnop\n"), 5, "at most 15 characters in vxlan" },
	{ VX_LAN("      vni: 1\n      underlay: [eth1]\n"), 5, "underlay of vxlan must be a scalar, not a list" },
	{ "lans:\n  - {name: blue, vxlan: 100}\n", 2, "vxlan of LAN must be a mapping, not a scalar" },
	{ "lans:\n  - {name: blue, mtu: 9000, vxlan: {vni: 1, underlay: eth1}}\n", 2,
	  "LAN 'blue': mtu 9000 over vxlan needs AF_XDP multi-buffer (not yet): at most 3456" },
	{ "lans:\n  - {name: blue, mtu: 3437, vxlan: {vni: 1, remote: [\"2001:db8::2\"]}}\n", 2, "at most 3436" },
	{ "lans:\n  - {name: blue, vxlan: {vni: 5, underlay: eth1}}\n  - {name: red, vxlan: {vni: 5, underlay: eth1}}\n", 3,
	  "LAN 'red': vxlan: vni 5 on underlay eth1 is taken by LAN 'blue'" },
	{ VX_LAN("      vni: 1\n      remote: [" "1.0.0.1, 1.0.0.2, 1.0.0.3, 1.0.0.4, 1.0.0.5, 1.0.0.6, 1.0.0.7, 1.0.0.8, "
		 "1.0.0.9, 1.0.0.10, 1.0.0.11, 1.0.0.12, 1.0.0.13, 1.0.0.14, 1.0.0.15, 1.0.0.16, 1.0.0.17, 1.0.0.18, "
		 "1.0.0.19, 1.0.0.20, 1.0.0.21, 1.0.0.22, 1.0.0.23, 1.0.0.24, 1.0.0.25, 1.0.0.26, 1.0.0.27, 1.0.0.28, "
		 "1.0.0.29, 1.0.0.30, 1.0.0.31, 1.0.0.32, 1.0.0.33]\n"), 5, "remote of vxlan: more than 32 remotes" },
};

/* Every key read, saved in the block long form without defaults, read
 * back equal; the model's rules without a file. */
static void test_vxlan(void)
{
	static const char file[] =
		"lans:\n"
		"  - name: blue\n"
		"    mtu: 1400\n"
		"    vxlan:\n"
		"      vni: 100\n"
		"      remote: [192.0.2.2, 192.0.2.3]\n"
		"      underlay: eth1\n"
		"      local: 192.0.2.1\n"
		"      dstport: 4790\n"
		"  - {name: six, vxlan: {vni: 16777215, remote: [\"2001:DB8:0:0::2\"], local: \"2001:db8::1\"}}\n"
		"  - {name: bare, vxlan: {vni: 7, underlay: vx0.5@x, dstport: 4789}}\n"
		"  - {name: plain, mtu: 9000}\n";
	struct vnl_err err = { 0 };
	struct topo *t = NULL, *u;
	const struct topo_lan *l;
	char buf[256], *text;
	int r;

	r = topo_load_string(file, &t, &err);
	if (!ok(r == 0 && t, "vxlan: the file loads (%s)", err.msg))
		return;
	l = topo_find_lan(t, "blue");
	ok(l->mtu == 1400 && l->vx.vni == 100 && l->vx.family == AF_INET && l->vx.n_remote == 2 &&
	   !strcmp(topo_vxlan_remote_list(&l->vx, buf, sizeof(buf)), "192.0.2.2, 192.0.2.3") &&
	   !strcmp(l->vx.underlay, "eth1") && l->vx.has_local && l->vx.dstport == 4790, "vxlan: every key read (%s)", buf);
	l = topo_find_lan(t, "six");
	ok(l->vx.family == AF_INET6 && !strcmp(topo_vxlan_remote_list(&l->vx, buf, sizeof(buf)), "2001:db8::2") &&
	   l->vx.vni == 16777215 && topo_vxlan_dstport(&l->vx) == 4789, "vxlan: IPv6, canonical text (%s)", buf);
	l = topo_find_lan(t, "bare");
	ok(l->vx.family == 0 && l->vx.n_remote == 0 && l->vx.dstport == 0 && !strcmp(l->vx.underlay, "vx0.5@x"),
	   "vxlan: no address, dstport 4789 kept as the default");
	ok(topo_find_lan(t, "plain")->vx.vni == 0 && topo_vxlan_overhead(AF_INET) == 50 && topo_vxlan_overhead(AF_INET6) == 70,
	   "vxlan: a plain LAN has none; overhead 50/70");
	text = save_str(t);
	ok(text && strstr(text, "  - name: blue\n    mtu: 1400\n    vxlan:\n      vni: 100\n      remote: [192.0.2.2, "
			     "192.0.2.3]\n      underlay: eth1\n      local: 192.0.2.1\n      dstport: 4790\n") &&
	   strstr(text, "  - name: six\n    vxlan:\n      vni: 16777215\n      remote: [\"2001:db8::2\"]\n      local: "
			"\"2001:db8::1\"\n") &&
	   strstr(text, "  - name: bare\n    vxlan:\n      vni: 7\n      underlay: vx0.5@x\n  - {name: plain"),
	   "vxlan: saved in the block long form, defaults left out");
	ok(text && strlen(text) == t->save_bytes + strlen("# vnetlab topology\nlans:\nnodes: []\nlinks: []\n"),
	   "vxlan: save sizes count it");
	free(text);
	round_trip(t, "vxlan");
	/* topo_equal sees every field. */
	u = topo_new();
	for (unsigned i = 0; i < t->n_lans; i++)
		topo_add_lan(u, &t->lans[i], NULL);
	ok(topo_equal(t, u), "vxlan: a copy is equal");
	u->lans[0].vx.remote[1][3] = 4;
	ok(!topo_equal(t, u), "vxlan: a remote differs: not equal");
	u->lans[0].vx = t->lans[0].vx;
	u->lans[0].vx.has_local = false;
	ok(!topo_equal(t, u), "vxlan: local differs: not equal");
	u->lans[0].vx = t->lans[0].vx;
	u->lans[0].vx.dstport = 0;
	ok(!topo_equal(t, u), "vxlan: dstport differs: not equal");
	u->lans[0].vx = t->lans[0].vx;
	u->lans[0].vx.vni = 0;
	ok(!topo_equal(t, u), "vxlan: a plain LAN is not a vxlan one");
	topo_free(u);
	/* The model without a file: the rules of topo_add_lan and lan-set. */
	{
		struct topo_lan n = { .name = "green", .vx = { .vni = 9 } }, *g;
		struct vnl_err e;

		ok(topo_vxlan_set_remotes(&n.vx, "192.0.2.9,192.0.2.8", "remote", &e) == 0 && n.vx.n_remote == 2,
		   "vxlan: a comma list of remotes");
		ok(topo_vxlan_set_remotes(&n.vx, "192.0.2.9,::1", "remote", &e) == -EINVAL && n.vx.n_remote == 2 &&
		   strstr(e.msg, "one family"), "vxlan: a mixed list refused, the remotes kept: %s", e.msg);
		ok(topo_vxlan_set_local(&n.vx, "2001:db8::1", "local", 0, 0, &e) == -EINVAL, "vxlan: local of another family refused");
		ok(topo_add_lan(t, &n, &e) == 0, "vxlan: added (%s)", e.msg);
		g = topo_find_lan(t, "green");
		n.vx.vni = 100;
		snprintf(n.vx.underlay, sizeof(n.vx.underlay), "eth1");
		ok(topo_lan_replace(t, g, &n, &e) == -EEXIST && strstr(e.msg, "taken by LAN 'blue'") && g->vx.vni == 9,
		   "vxlan: replaced with blue's vni on eth1: refused, unchanged: %s", e.msg);
		ok(topo_vxlan_set_remotes(&n.vx, "none", "remote", &e) == 0 && n.vx.n_remote == 0 && n.vx.family == 0,
		   "vxlan: none clears the remotes");
		n.vx.vni = 101;
		ok(topo_lan_replace(t, g, &n, &e) == 0 && g->vx.vni == 101 && g->vx.n_remote == 0, "vxlan: replaced (%s)",
		   e.msg);
		text = save_str(t);
		ok(text && strlen(text) == t->save_bytes + strlen("# vnetlab topology\nlans:\nnodes: []\nlinks: []\n"),
		   "vxlan: save sizes follow a replace");
		free(text);
		n.vx.vni = 0;
		n.vx.dstport = 7;
		ok(topo_add_lan(t, &(struct topo_lan){ .name = "x", .vx = { .dstport = 7 } }, &e) == -ERANGE &&
		   strstr(e.msg, "vni must be 1..16777215, not 0"), "vxlan: keys without a vni refused: %s", e.msg);
		ok(topo_vxlan_check_ifname("eth1", NULL) == 0 && topo_vxlan_check_ifname("a:b", NULL) == -EINVAL &&
		   topo_vxlan_check_ifname("", NULL) == -EINVAL && topo_vxlan_check_ifname(".x", NULL) == -EINVAL,
		   "vxlan: underlay names");
	}
	topo_free(t);
	bad_files(vxlan_bad, sizeof(vxlan_bad) / sizeof(vxlan_bad[0]), "bad vxlan");
}

int main(void)
{
	node_kinds_use(kinds);
	K_NS = topo_kind_find("ns");
	K_CNT = topo_kind_find("cnt");
	K_VM = topo_kind_find("vm");
	test_sample();
	test_round_trip();
	test_nasty_strings();
	test_refused_text();
	test_shown();
	test_save_limit();
	test_bad_files();
	test_limits();
	test_model();
	test_testkind();
	test_schemas();
	test_impair_text();
	test_impair_file();
	test_vxlan();
	bad_files(impair_bad, sizeof(impair_bad) / sizeof(impair_bad[0]), "bad impair");
	return tap_done();
}
