/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The transaction engine of daemon/lab.c and daemon/deploy.c, driven for
 * real against a fake node kind and a fake switch that fail at step k.
 *
 * Every kind slot the lab calls and every switch request it sends is one
 * numbered step in a journal ("create a", "port-add a-0", ...).  For each
 * operation the test runs it once to learn its steps, then for every k makes
 * step k fail on a fresh lab and checks:
 *   additions (lan, node, link add; deploy): the operation returns the error
 *     of step k, the journal is steps 1..k followed by the undo of steps
 *     1..k-1 in reverse order (destroy after create, stop after start,
 *     nic_detach after nic_attach, port-del after port-add, detach after an
 *     attach of a port that outlives the link, lan-del after lan-add,
 *     impair-clear after an impair-set of a link that had none; a vxlan
 *     LAN's: the underlay's mtu-set back to 1500 after a raise, and for
 *     lan-set's remaking, lan-add after lan-del and port-add + attach after
 *     the port-del of its vxlan port), the
 *     model, the saved topology, the fake kernel and the fake switch are as
 *     before, and the same operation then goes through;
 *   removals (unlink, node del, lan del): the model is saved first (lab.h),
 *     so a failing step is logged and the others still run;
 *   an undo step that fails as well is logged and the rest is still undone;
 *   a save that fails (the state folder is gone) undoes everything;
 *   a deploy whose state folder goes at step k keeps what its undo cannot
 *     remove (a removal saves first), says so, and the model, the saved
 *     state, the fake kernel and the fake switch still agree.
 * A mutation of any of these undo paths in lab.c or deploy.c fails tests.
 * One exception to "reverse order", documented in lab.c: the switch ports
 * of a nics_ported node leave the switch before the node stops (DPDK's vhost
 * client must not be unregistered while it reconnects to a peer that went).
 *
 * The fake underlay (lab.h's lab_underlay_ops seam): one interface, vxu0,
 * at mtu 1500, every route leaves by it; setting its MTU is a step.
 * The fakes: kinds "ns" (ports added on link) and "vm" (nics_ported) are
 * fake kinds given to the lab through its kind_find seam (lab.h); the model
 * still says ns and vm, so the topology rules of those kinds apply.  The
 * switch is a thread of this process serving vnl-switchd's JSON lines
 * (docs/switchd.md) on a unix socket; lab_switch.c talks to it unchanged
 * (s->pid is this process: its SO_PEERCRED check passes).  No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "deploy.h"
#include "fake_switch.h"
#include "lab.h"
#include "tap.h"
#include "unixsock.h"

#define MAX_STEPS 256
#define STEP_LEN 48

/* ---- the journal, shared by the fake kinds and the fake switch ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char journal[MAX_STEPS][STEP_LEN];
static unsigned n_journal;
static unsigned fail_at;            /* step number that fails (1-based), 0: none */
static char fail_also[STEP_LEN];    /* a step (an undo) that fails too, "" none */
static unsigned misuse;             /* slots called against the node_kind.h contract */
static unsigned break_at;           /* at this step the state folder goes (saves fail) */
static char state_ok[48], state_off[56];

/* Record step s (formatted into s); true when it must fail. */
static bool step(char s[STEP_LEN], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool step(char s[STEP_LEN], const char *fmt, ...)
{
	bool fail;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, STEP_LEN, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mu);
	if (n_journal < MAX_STEPS)
		snprintf(journal[n_journal], STEP_LEN, "%s", s);
	n_journal++;
	fail = n_journal == fail_at || !strcmp(s, fail_also);
	if (n_journal == break_at && rename(state_ok, state_off) < 0)
		perror("fake: breaking the state folder");
	pthread_mutex_unlock(&mu);
	return fail;
}

static void journal_reset(void)
{
	pthread_mutex_lock(&mu);
	n_journal = 0;
	fail_at = 0;
	fail_also[0] = '\0';
	pthread_mutex_unlock(&mu);
}

/* ---- the fake kernel: what the fake kinds made ---- */

struct fnode {
	char name[TOPO_NAME_MAX + 1];
	bool used, running;
	unsigned attached;              /* bit i: NIC i plugged in */
};
static struct fnode fnodes[16];

static struct fnode *fnode(const char *name)
{
	for (unsigned i = 0; i < 16; i++)
		if (fnodes[i].used && !strcmp(fnodes[i].name, name))
			return &fnodes[i];
	return NULL;
}

/* Every slot after create gets back the priv create gave, and a node that
 * exists (node_kind.h); the undo slots also accept one that is gone. */
static struct fnode *check(const struct node_ctx *ctx, bool may_be_gone)
{
	struct fnode *n = fnode(ctx->name);

	if (ctx->priv == NULL || strcmp(ctx->priv, ctx->name) || (n == NULL && !may_be_gone))
		misuse++;
	return n;
}

#define FAIL_KIND(err, s) vnl_errf(err, -EIO, "fake kind: %s failed", s)

static int f_create(struct node_ctx *ctx, struct vnl_err *err)
{
	char s[STEP_LEN];
	struct fnode *n;

	if (step(s, "create %s", ctx->name))
		return FAIL_KIND(err, s);
	if (fnode(ctx->name))
		return vnl_errf(err, -EEXIST, "fake kind: %s exists", ctx->name);
	for (n = fnodes; n->used; n++)
		;
	*n = (struct fnode){ .used = true };
	snprintf(n->name, sizeof(n->name), "%s", ctx->name);
	ctx->priv = strdup(ctx->name);
	return 0;
}

static int f_destroy(struct node_ctx *ctx, struct vnl_err *err)
{
	struct fnode *n = check(ctx, true);
	char s[STEP_LEN];
	bool fail = step(s, "destroy %s", ctx->name);

	/* A failed destroy leaves the node but not its priv: vnld forgets it. */
	free(ctx->priv);
	ctx->priv = NULL;
	if (fail)
		return FAIL_KIND(err, s);
	if (n)
		n->used = false;
	return 0;
}

/* start (on) and stop: the node's processes run or not. */
static int f_power(struct node_ctx *ctx, struct vnl_err *err, bool on)
{
	struct fnode *n = check(ctx, !on);
	char s[STEP_LEN];

	if (step(s, "%s %s", on ? "start" : "stop", ctx->name))
		return FAIL_KIND(err, s);
	if (n)
		n->running = on;
	return 0;
}

static int f_start(struct node_ctx *ctx, struct vnl_err *err)
{
	return f_power(ctx, err, true);
}

static int f_stop(struct node_ctx *ctx, struct vnl_err *err)
{
	return f_power(ctx, err, false);
}

/* The switch port of NIC i: vhost-user for vm, AF_XDP for ns. */
static void fill_port(const struct node_ctx *ctx, unsigned i, bool vhost, struct nic_port *np)
{
	memset(np, 0, sizeof(*np));
	np->type = vhost ? NIC_PORT_VHOST : NIC_PORT_AFXDP;
	np->kind = vhost ? "vhost" : "afxdp";
	if (vhost)
		snprintf(np->path, sizeof(np->path), "/nonexistent/%s-%u.sock", ctx->name, i);
	else
		snprintf(np->ifname, sizeof(np->ifname), "vx%s%u", ctx->name, i);
}

static int nic_port(struct node_ctx *ctx, unsigned i, struct nic_port *np, struct vnl_err *err, bool vhost)
{
	char s[STEP_LEN];

	check(ctx, false);
	if (step(s, "nic_port %s %u", ctx->name, i))
		return FAIL_KIND(err, s);
	fill_port(ctx, i, vhost, np);
	return 0;
}

static int f_nic_port_vhost(struct node_ctx *ctx, unsigned i, const struct nic_link *nl, struct nic_port *np,
			    struct vnl_err *err)
{
	(void)nl;
	return nic_port(ctx, i, np, err, true);
}

static int f_nic_port_afxdp(struct node_ctx *ctx, unsigned i, const struct nic_link *nl, struct nic_port *np,
			    struct vnl_err *err)
{
	(void)nl;
	return nic_port(ctx, i, np, err, false);
}

static int f_nic_attach(struct node_ctx *ctx, unsigned i, const struct nic_link *nl, struct nic_port *np,
			struct vnl_err *err)
{
	struct fnode *n = check(ctx, false);
	char s[STEP_LEN];

	(void)nl;
	if (step(s, "nic_attach %s %u", ctx->name, i))
		return FAIL_KIND(err, s);
	if (n == NULL)
		return vnl_errf(err, -ENOENT, "fake kind: no node %s", ctx->name);
	if (n->attached & (1u << i))
		return vnl_errf(err, -EEXIST, "fake kind: %s:%u is attached", ctx->name, i);
	n->attached |= 1u << i;
	fill_port(ctx, i, false, np);
	return 0;
}

static int f_nic_detach(struct node_ctx *ctx, unsigned i, struct vnl_err *err)
{
	struct fnode *n = check(ctx, true);
	char s[STEP_LEN];

	if (step(s, "nic_detach %s %u", ctx->name, i))
		return FAIL_KIND(err, s);
	if (n)
		n->attached &= ~(1u << i);
	return 0;
}

/* The slots both fake kinds share. */
#define FAKE_SLOTS                                                              \
	.create = f_create, .start = f_start, .stop = f_stop, .destroy = f_destroy, \
	.nic_attach = f_nic_attach, .nic_detach = f_nic_detach

/* Their schemas: the names the model and the lab look up, no options. */
static const struct topo_kind fake_ns_schema = { .name = "ns", .help = "fake ns", .addresses = true };
static const struct topo_kind fake_vm_schema = { .name = "vm", .help = "fake vm" };

/* "ns": the switch port of a NIC comes and goes with its link. */
static const struct node_kind fake_plain = { .schema = &fake_ns_schema, .nic_port = f_nic_port_afxdp, FAKE_SLOTS };

/* "vm": the switch holds a port per NIC from create to destroy. */
static const struct node_kind fake_ported = { .schema = &fake_vm_schema, .nics_ported = true,
					      .nic_port = f_nic_port_vhost, FAKE_SLOTS };

/* The kinds table of this test (the model parses the catalog with it). */
static const struct node_kind *const fake_kinds[] = { &fake_plain, &fake_ported, NULL };

static const struct node_kind *fake_find(const char *name)
{
	if (!strcmp(name, "ns"))
		return &fake_plain;
	if (!strcmp(name, "vm"))
		return &fake_ported;
	errno = ENOENT;
	return NULL;
}

/* ---- the fake underlay: one interface, vxu0, every route leaves by it ---- */

static unsigned fake_mtu = 1500;

static int fu_route(int family, const uint8_t dst[16], char iface[16], struct vnl_err *err)
{
	(void)family, (void)dst, (void)err;
	snprintf(iface, 16, "vxu0");
	return 0;
}

static int fu_get_mtu(const char *iface, struct vnl_err *err)
{
	return strcmp(iface, "vxu0") ? vnl_errf(err, -ENODEV, "fake kernel: no interface %s", iface) : (int)fake_mtu;
}

/* A step: "mtu-set IFACE N". */
static int fu_set_mtu(const char *iface, unsigned mtu, struct vnl_err *err)
{
	char s[STEP_LEN];

	if (step(s, "mtu-set %s %u", iface, mtu))
		return FAIL_KIND(err, s);
	fake_mtu = mtu;
	return 0;
}

static const struct lab_underlay_ops fake_ul = { fu_route, fu_get_mtu, fu_set_mtu };

/* ---- the fake switch: vnl-switchd's control protocol, in a thread ---- */

struct fport {
	char name[STEP_LEN], lan[STEP_LEN];
	char imp[2][24];                /* out, in: impair-set's delay_ns, "" none */
	char rem[64];                   /* a vxlan port's remotes, comma-joined */
	bool used;
};
static struct fport fports[64];
static char flans[16][STEP_LEN];

static struct fport *fport(const char *name)
{
	for (unsigned i = 0; i < 64; i++)
		if (fports[i].used && !strcmp(fports[i].name, name))
			return &fports[i];
	return NULL;
}

static char *flan(const char *name)
{
	for (unsigned i = 0; i < 16; i++)
		if (flans[i][0] && !strcmp(flans[i], name))
			return flans[i];
	return NULL;
}

static const char *arg(struct json_object *req, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(req, key, &v) ? json_object_get_string(v) : "";
}

/* The remote member of a request, comma-joined. */
static void remotes_of(struct json_object *req, char *buf, size_t size)
{
	struct json_object *a;
	size_t n = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(req, "remote", &a))
		return;
	for (size_t i = 0; i < json_object_array_length(a) && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
				      json_object_get_string(json_object_array_get_idx(a, i)));
}

/* One request; the reply is {"ok":true,...} or {"ok":false,"error":...}. */
static struct json_object *sw_handle(struct json_object *req)
{
	struct json_object *o = json_object_new_object();
	const char *cmd = arg(req, "cmd"), *err = NULL;
	char buf[STEP_LEN + 32], s[STEP_LEN];
	bool fail = false;
	struct fport *p;
	char *lan;

	if (!strcmp(cmd, "lan-add") || !strcmp(cmd, "lan-del") || !strcmp(cmd, "port-add") ||
	    !strcmp(cmd, "port-del"))
		fail = step(s, "%s %s", cmd, arg(req, "name"));
	else if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach"))
		fail = step(s, "%s %s%s%s", cmd, arg(req, "port"), *arg(req, "lan") ? " " : "", arg(req, "lan"));
	else if (!strcmp(cmd, "impair-set") || !strcmp(cmd, "impair-clear"))
		fail = step(s, "%s %s %s", cmd, arg(req, "port"), arg(req, "dir"));
	else if (!strcmp(cmd, "vxlan-set"))
		fail = step(s, "%s %s", cmd, arg(req, "name"));
	pthread_mutex_lock(&mu);
	if (fail) {
		snprintf(buf, sizeof(buf), "fake switch: %s failed", s);
		err = buf;
	} else if (!strcmp(cmd, "version")) {
		json_object_object_add(o, "version", json_object_new_string("fake"));
	} else if (!strcmp(cmd, "show-ports")) {
		struct json_object *list = json_object_new_array();

		for (unsigned i = 0; i < 64; i++) {
			struct json_object *po = json_object_new_object();

			if (!fports[i].used) {
				json_object_put(po);
				continue;
			}
			json_object_object_add(po, "name", json_object_new_string(fports[i].name));
			json_object_object_add(po, "lan", fports[i].lan[0] ? json_object_new_string(fports[i].lan) : NULL);
			if (fports[i].rem[0] || strchr(fports[i].name, ':')) {
				struct json_object *rl = json_object_new_array();
				char rem[64], *save = NULL;

				snprintf(rem, sizeof(rem), "%s", fports[i].rem);
				for (char *t = strtok_r(rem, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
					struct json_object *ro = json_object_new_object();

					json_object_object_add(ro, "ip", json_object_new_string(t));
					json_object_array_add(rl, ro);
				}
				json_object_object_add(po, "remotes", rl);
			}
			if (fports[i].imp[0][0] || fports[i].imp[1][0]) {
				struct json_object *imp = json_object_new_object();

				for (unsigned d = 0; d < 2; d++)
					if (fports[i].imp[d][0])
						json_object_object_add(imp, d ? "in" : "out", json_object_new_object());
				json_object_object_add(po, "impair", imp);
			}
			json_object_array_add(list, po);
		}
		json_object_object_add(o, "ports", list);
	} else if (!strcmp(cmd, "show-lans")) {
		struct json_object *list = json_object_new_array();

		for (unsigned i = 0; i < 16; i++) {
			struct json_object *lo = json_object_new_object();

			json_object_object_add(lo, "name", json_object_new_string(flans[i]));
			if (flans[i][0])
				json_object_array_add(list, lo);
			else
				json_object_put(lo);
		}
		json_object_object_add(o, "lans", list);
	} else if (!strcmp(cmd, "lan-add")) {
		if (flan(arg(req, "name")))
			err = "LAN exists";
		for (unsigned i = 0; !err && i < 16; i++)
			if (!flans[i][0]) {
				snprintf(flans[i], STEP_LEN, "%s", arg(req, "name"));
				break;
			}
	} else if (!strcmp(cmd, "lan-del")) {
		if ((lan = flan(arg(req, "name"))) == NULL)
			err = "no LAN named that";
		else
			lan[0] = '\0';
	} else if (!strcmp(cmd, "port-add")) {
		if (fport(arg(req, "name")))
			err = "port exists";
		for (unsigned i = 0; !err && i < 64; i++)
			if (!fports[i].used) {
				fports[i] = (struct fport){ .used = true };
				snprintf(fports[i].name, STEP_LEN, "%s", arg(req, "name"));
				remotes_of(req, fports[i].rem, sizeof(fports[i].rem));
				break;
			}
	} else if (!strcmp(cmd, "vxlan-set")) {
		if ((p = fport(arg(req, "name"))) == NULL)
			err = "no port named that";
		else
			remotes_of(req, p->rem, sizeof(p->rem));
	} else if (!strcmp(cmd, "port-del")) {
		if ((p = fport(arg(req, "name"))) == NULL)
			err = "no port named that";
		else
			p->used = false;
	} else if (!strcmp(cmd, "attach")) {
		if ((p = fport(arg(req, "port"))) == NULL)
			err = "no port named that";
		else if (flan(arg(req, "lan")) == NULL)
			err = "no LAN named that";
		else
			snprintf(p->lan, STEP_LEN, "%s", arg(req, "lan"));
	} else if (!strcmp(cmd, "detach")) {
		if ((p = fport(arg(req, "port"))) == NULL)
			err = "no port named that";
		else
			p->lan[0] = '\0';
	} else if (!strcmp(cmd, "impair-set") || !strcmp(cmd, "impair-clear")) {
		unsigned d = !strcmp(arg(req, "dir"), "in");

		if ((p = fport(arg(req, "port"))) == NULL)
			err = "no port named that";
		else if (!strcmp(cmd, "impair-clear"))
			p->imp[d][0] = '\0';
		else
			snprintf(p->imp[d], sizeof(p->imp[d]), "%s", *arg(req, "delay_ns") ? arg(req, "delay_ns") : "set");
	} else {
		err = "unknown command";
	}
	pthread_mutex_unlock(&mu);
	json_object_object_add(o, "ok", json_object_new_boolean(err == NULL));
	if (err)
		json_object_object_add(o, "error", json_object_new_string(err));
	return o;
}

/* One request line of lab_switch.c: the reply's text. */
static const char *sw_reply(const char *line)
{
	static struct json_object *rep;
	struct json_object *req = json_tokener_parse(line);

	json_object_put(rep);
	rep = sw_handle(req);
	json_object_put(req);
	return json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
}

static void *sw_main(void *arg)
{
	fake_switch_serve(*(int *)arg, sw_reply);
	return NULL;
}

/* ---- labs ---- */

static char tmp[32], sock_path[64], state_gone[48], log_path[64], saved_path[80];

/* The objects the operations use: a, b (ns), v (vm); b:0 and v:0 come
 * with impairments (deploy's and base_linked's links). */
static const char catalog_yaml[] =
	"lans:\n"
	"  - blue\n"
	"  - red\n"
	"  - {name: green, mtu: 1500, vxlan: {vni: 100, remote: [192.0.2.2]}}\n"
	"  - {name: teal, vxlan: {vni: 101, underlay: vxu0}}\n"
	"nodes:\n"
	"  - {name: a, kind: ns, nics: 2}\n"
	"  - {name: b, kind: ns}\n"
	"  - {name: v, kind: vm, nics: 2}\n"
	"links:\n"
	"  - a:0 blue 10.0.0.1/24\n"
	"  - a:1 red\n"
	"  - {node: b, nic: 0, lan: blue, ip: 10.0.0.2/24, impair: {delay: 1ms}}\n"
	"  - v:1 red\n"
	"  - {node: v, nic: 0, lan: blue, impair: {delay: 2ms, in: {loss: 1%}}}\n";
static struct topo *catalog;

static void world_reset(void)
{
	memset(fnodes, 0, sizeof(fnodes));
	memset(fports, 0, sizeof(fports));
	memset(flans, 0, sizeof(flans));
	fake_mtu = 1500;
}

/* The fake kernel and switch as one line, to compare. */
static void world(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	pthread_mutex_lock(&mu);
	for (unsigned i = 0; i < 16; i++)
		if (fnodes[i].used)
			n += snprintf(buf + n, size - n, "node %s%s nics 0x%x; ", fnodes[i].name,
				      fnodes[i].running ? " running" : "", fnodes[i].attached);
	for (unsigned i = 0; i < 16; i++)
		if (flans[i][0])
			n += snprintf(buf + n, size - n, "lan %s; ", flans[i]);
	for (unsigned i = 0; i < 64; i++)
		if (fports[i].used)
			n += snprintf(buf + n, size - n, "port %s in '%s' imp '%s' '%s' rem '%s'; ", fports[i].name,
				      fports[i].lan, fports[i].imp[0], fports[i].imp[1], fports[i].rem);
	n += snprintf(buf + n, size - n, "mtu %u", fake_mtu);
	pthread_mutex_unlock(&mu);
}

/* The model as its saved form (malloc'ed). */
static char *model(const struct topo *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	topo_save(f, t, NULL);
	fclose(f);
	return text;
}

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re"), *m = open_memstream(&text, &len);
	int c;

	while (f && (c = fgetc(f)) != EOF)
		fputc(c, m);
	if (f)
		fclose(f);
	fclose(m);
	return text;
}

static void lab_init(struct lab *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "txtest");
	snprintf(l->state_dir, sizeof(l->state_dir), "%s", state_ok);
	l->topo = topo_new();
	l->kind_find = fake_find;
	l->ul = &fake_ul;
	snprintf(l->sw.sock, sizeof(l->sw.sock), "%s", sock_path);
	l->sw.pid = getpid();
	l->sw.start_time = proc_start_time(getpid());
	l->sw.pidfd = -1;
	world_reset();
	lab_save(l, NULL); /* as vnld does at its start */
}

static void lab_fini(struct lab *l)
{
	unsigned counts[3];

	journal_reset();
	snprintf(l->state_dir, sizeof(l->state_dir), "%s", state_ok);
	lab_destroy_all(l, counts, NULL);
	topo_free(l->topo);
	lab_free(l);
}

/* Build a starting lab with nothing failing; false (and a failed test) if
 * it did not go through. */
static bool must(int r, const char *what, const struct vnl_err *e)
{
	if (r < 0)
		ok(0, "setting up: %s: %s", what, e->msg);
	return r == 0;
}

/* ---- operations ---- */

struct op {
	const char *name;
	bool removal;                       /* saves first, then removes (lab.h) */
	void (*base)(struct lab *l);        /* the lab before the operation */
	int (*run)(struct lab *l, const char *obj, struct vnl_err *e);
	const char *obj;                    /* what it adds or removes */
};

static void base_empty(struct lab *l)
{
	(void)l;
}

static void base_lans(struct lab *l)
{
	struct vnl_err e;

	must(lab_lan_add(l, &(struct topo_lan){ .name = "blue" }, &e), "lan blue", &e);
	must(lab_lan_add(l, &(struct topo_lan){ .name = "red" }, &e), "lan red", &e);
}

static void base_nodes(struct lab *l)
{
	struct vnl_err e;

	base_lans(l);
	must(lab_node_add(l, topo_find_node(catalog, "a"), &e), "node a", &e);
	must(lab_node_add(l, topo_find_node(catalog, "b"), &e), "node b", &e);
	must(lab_node_add(l, topo_find_node(catalog, "v"), &e), "node v", &e);
}

static void base_linked(struct lab *l)
{
	struct vnl_err e;

	base_nodes(l);
	for (unsigned i = 0; i < catalog->n_links; i++)
		must(lab_link_add(l, &catalog->links[i], &e), "link", &e);
}

/* The operations, on object obj of the catalog (a link: the first one of
 * node obj). */
static int run_lan_add(struct lab *l, const char *obj, struct vnl_err *e)
{
	const struct topo_lan *c = topo_find_lan(catalog, obj);

	return lab_lan_add(l, c ? c : &(struct topo_lan){ .name = "" }, e);
}

/* A vxlan LAN of the catalog (green raises vxu0 to 1550, teal does not). */
static void base_vx(struct lab *l, const char *lan)
{
	struct vnl_err e;

	must(run_lan_add(l, lan, &e), lan, &e);
}

static void base_green(struct lab *l)
{
	base_vx(l, "green");
}

static void base_teal(struct lab *l)
{
	base_vx(l, "teal");
}

/* lan-set of obj: its remotes replaced (live: vxlan-set). */
static int run_set_remotes(struct lab *l, const char *obj, struct vnl_err *e)
{
	struct topo_lan n = *topo_find_lan(l->topo, obj);

	if (topo_vxlan_set_remotes(&n.vx, "192.0.2.3,192.0.2.4", "remote", e) < 0)
		return -EINVAL;
	return lab_lan_set(l, &n, e);
}

/* lan-set of obj: mtu 1500 given (raises vxu0, makes the LAN again). */
static int run_set_mtu(struct lab *l, const char *obj, struct vnl_err *e)
{
	struct topo_lan n = *topo_find_lan(l->topo, obj);

	n.mtu = 1500;
	return lab_lan_set(l, &n, e);
}

static int run_node_add(struct lab *l, const char *obj, struct vnl_err *e)
{
	return lab_node_add(l, topo_find_node(catalog, obj), e);
}

static const struct topo_link *cat_link(const char *node)
{
	for (unsigned i = 0; i < catalog->n_links; i++)
		if (!strcmp(catalog->links[i].node, node))
			return &catalog->links[i];
	return NULL;
}

static int run_link(struct lab *l, const char *obj, struct vnl_err *e)
{
	return lab_link_add(l, cat_link(obj), e);
}

static int run_unlink(struct lab *l, const char *obj, struct vnl_err *e)
{
	return lab_link_del(l, obj, cat_link(obj)->nic, e);
}

static int run_node_del(struct lab *l, const char *obj, struct vnl_err *e)
{
	return lab_node_del(l, obj, NULL, e);
}

static int run_lan_del(struct lab *l, const char *obj, struct vnl_err *e)
{
	return lab_lan_del(l, obj, NULL, e);
}

/* Both directions of node obj's link: delay 20ms out, loss 1% in. */
static int run_impair(struct lab *l, const char *obj, struct vnl_err *e)
{
	struct topo_impair imp[TOPO_IMP_DIRS] = { [TOPO_IMP_OUT] = { .delay_ns = 20000000 },
						  [TOPO_IMP_IN] = { .loss_ppm = 10000 } };

	return lab_link_impair(l, obj, cat_link(obj)->nic, 1u << TOPO_IMP_OUT | 1u << TOPO_IMP_IN, imp, e);
}

static void base_impaired(struct lab *l)
{
	struct vnl_err e;

	base_linked(l);
	must(run_impair(l, "v", &e), "impair v", &e);
	must(run_impair(l, "a", &e), "impair a", &e);
}

/* The whole catalog. */
static int run_deploy(struct lab *l, const char *obj, struct vnl_err *e)
{
	struct json_object *c = json_object_new_array(), *d = json_object_new_array(),
			   *x = json_object_new_array();
	int r = lab_deploy(l, catalog, c, d, x, e);

	(void)obj;
	json_object_put(c);
	json_object_put(d);
	json_object_put(x);
	return r;
}

static const struct op ops[] = {
	{ "lan add", false, base_empty, run_lan_add, "blue" },
	{ "lan add (vxlan, underlay raised)", false, base_empty, run_lan_add, "green" },
	{ "lan add (vxlan, mtu lowered)", false, base_empty, run_lan_add, "teal" },
	{ "lan del (vxlan, underlay put back)", true, base_green, run_lan_del, "green" },
	{ "lan set (vxlan remotes, live)", false, base_green, run_set_remotes, "green" },
	{ "lan set (vxlan mtu: raise, LAN made again)", false, base_teal, run_set_mtu, "teal" },
	{ "node add (ns)", false, base_lans, run_node_add, "a" },
	{ "node add (vm, ports)", false, base_lans, run_node_add, "v" },
	{ "link (ns)", false, base_nodes, run_link, "a" },
	{ "link (vm)", false, base_nodes, run_link, "v" },
	{ "deploy", false, base_empty, run_deploy, NULL },
	{ "deploy over a partial lab", false, base_lans, run_deploy, NULL },
	{ "unlink (ns)", true, base_linked, run_unlink, "a" },
	{ "unlink (vm)", true, base_linked, run_unlink, "v" },
	{ "node del (ns, linked)", true, base_linked, run_node_del, "a" },
	{ "node del (vm, linked)", true, base_linked, run_node_del, "v" },
	{ "lan del (linked)", true, base_linked, run_lan_del, "blue" },
	{ "impair (ns)", false, base_linked, run_impair, "a" },
	{ "impair (vm)", false, base_linked, run_impair, "v" },
	{ "unlink (vm, impaired: its port stays)", true, base_impaired, run_unlink, "v" },
	{ "node del (ns, impaired)", true, base_impaired, run_node_del, "a" },
};

/* ---- expected undo ---- */

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The undo of steps done[0..n-1], in the order lab.c must run it, into
 * out; returns how many. */
static unsigned undo_of(char done[][STEP_LEN], unsigned n, char out[][STEP_LEN])
{
	bool skip[MAX_STEPS] = { false };
	unsigned m = 0;

	for (unsigned i = n; i-- > 0;) {
		const char *s = done[i], *arg1 = strchr(s, ' ') + 1;
		char port[STEP_LEN - 8];

		if (skip[i] || starts(s, "nic_port "))
			continue;
		if (starts(s, "create "))
			snprintf(out[m++], STEP_LEN, "destroy %s", arg1);
		else if (starts(s, "start ")) {
			/* A ported node's ports (added between its create and
			 * start) leave before it stops. */
			snprintf(port, sizeof(port), "port-add %s-", arg1);
			for (unsigned j = i; j-- > 0 && !starts(done[j], "create ");)
				if (starts(done[j], port)) {
					snprintf(out[m++], STEP_LEN, "port-del %s", done[j] + 9);
					skip[j] = true;
				}
			snprintf(out[m++], STEP_LEN, "stop %s", arg1);
		} else if (starts(s, "nic_attach "))
			snprintf(out[m++], STEP_LEN, "nic_detach %s", arg1);
		else if (starts(s, "port-add "))
			snprintf(out[m++], STEP_LEN, "port-del %s", arg1);
		else if (starts(s, "lan-add "))
			snprintf(out[m++], STEP_LEN, "lan-del %s", arg1);
		else if (starts(s, "mtu-set "))	/* the fake underlay starts at 1500 */
			snprintf(out[m++], STEP_LEN, "mtu-set %.*s 1500", (int)(strchr(arg1, ' ') - arg1), arg1);
		else if (starts(s, "vxlan-set "))
			snprintf(out[m++], STEP_LEN, "%s", s);
		/* lan-set makes a LAN and its vxlan port again: their undo. */
		else if (starts(s, "lan-del "))
			snprintf(out[m++], STEP_LEN, "lan-add %s", arg1);
		else if (starts(s, "port-del ") && strstr(arg1, ":vxlan")) {
			snprintf(out[m++], STEP_LEN, "port-add %s", arg1);
			snprintf(out[m++], STEP_LEN, "attach %s %.*s", arg1, (int)(strchr(arg1, ':') - arg1), arg1);
		}
		else if (starts(s, "impair-set ")) {
			/* The operations impair links that had none; a port
			 * added for the link (just before its attach) takes
			 * its sets with it, a vm's port stays and is cleared. */
			char attach[STEP_LEN], add[STEP_LEN];
			int len = (int)(strchr(arg1, ' ') - arg1);
			bool added = false;
			unsigned j = i;

			snprintf(attach, sizeof(attach), "attach %.*s ", len, arg1);
			snprintf(add, sizeof(add), "port-add %.*s", len, arg1);
			while (j-- > 0 && !starts(done[j], attach))
				;
			added = j != (unsigned)-1 && j > 0 && !strcmp(done[j - 1], add);
			if (!added)
				snprintf(out[m++], STEP_LEN, "impair-clear %s", arg1);
		}
		else if (starts(s, "attach ")) {
			/* A port added for the link goes with it; a ported
			 * node's port stays and leaves the LAN. */
			snprintf(port, sizeof(port), "%.*s", (int)(strchr(arg1, ' ') - arg1), arg1);
			if (i == 0 || !starts(done[i - 1], "port-add ") || strcmp(done[i - 1] + 9, port))
				snprintf(out[m++], STEP_LEN, "detach %s", port);
		}
	}
	return m;
}

/* A switch request (the fake switch says no: -EREMOTEIO), not a kind slot
 * (-EIO). */
static bool is_switch_step(const char *s)
{
	return starts(s, "lan-") || starts(s, "port-") || starts(s, "attach ") || starts(s, "detach ") ||
	       starts(s, "impair-") || starts(s, "vxlan-");
}

/* ---- running one case ---- */

struct snap {
	char *model, *saved;
	char world[2048];
};

static void snap_take(struct lab *l, struct snap *s)
{
	s->model = model(l->topo);
	s->saved = slurp(saved_path);
	world(s->world, sizeof(s->world));
}

static void snap_free(struct snap *s)
{
	free(s->model);
	free(s->saved);
}

static int saved_stderr = -1;

static void log_begin(void)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* What lab.c logged since log_begin (malloc'ed). */
static char *log_end(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	return slurp(log_path);
}

static void show_journal(void)
{
	for (unsigned i = 0; i < n_journal && i < MAX_STEPS; i++)
		printf("#   %2u %s\n", i + 1, journal[i]);
}

static bool journal_is(char steps[][STEP_LEN], unsigned n)
{
	if (n_journal != n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(journal[i], steps[i]))
			return false;
	return true;
}

/* The steps of op as it runs with nothing failing, into fwd; the model and
 * world after it into *after. Returns how many steps. */
static unsigned learn(const struct op *op, char fwd[][STEP_LEN], struct snap *after)
{
	struct lab l;
	struct vnl_err e;
	unsigned n;
	int r;

	lab_init(&l);
	op->base(&l);
	journal_reset();
	r = op->run(&l, op->obj, &e);
	ok(r == 0 && n_journal > 0 && n_journal <= MAX_STEPS && misuse == 0, "%s: goes through in %u steps%s%s",
	   op->name, n_journal, r < 0 ? ": " : "", r < 0 ? e.msg : "");
	memcpy(fwd, journal, sizeof(journal));
	n = n_journal;
	snap_take(&l, after);
	lab_fini(&l);
	return n;
}

/* Step k of an addition fails (and the undo step fail_undo too, if not
 * NULL): the error comes back, steps 1..k-1 are undone in reverse, nothing
 * else changed, and the operation then goes through. */
static void addition_fails(const struct op *op, char fwd[][STEP_LEN], unsigned k, const char *fail_undo)
{
	char expect[MAX_STEPS][STEP_LEN];
	unsigned n = k;
	struct snap before, after;
	struct vnl_err e = { 0 };
	struct lab l;
	char *log;
	int r, want = is_switch_step(fwd[k - 1]) ? -EREMOTEIO : -EIO;

	memcpy(expect, fwd, k * sizeof(expect[0]));
	n += undo_of(fwd, k - 1, expect + k);
	lab_init(&l);
	op->base(&l);
	snap_take(&l, &before);
	journal_reset();
	fail_at = k;
	if (fail_undo)
		snprintf(fail_also, sizeof(fail_also), "%s", fail_undo);
	log_begin();
	r = op->run(&l, op->obj, &e);
	log = log_end();
	snap_take(&l, &after);
	if (!ok(r == want && strstr(e.msg, "failed") && journal_is(expect, n),
		"%s: step %u (%s) fails%s%s: error %d, steps 1..%u undone in reverse", op->name, k, fwd[k - 1],
		fail_undo ? ", undo " : "", fail_undo ? fail_undo : "", r, k - 1)) {
		printf("# error %d (want %d): %s\n# journal:\n", r, want, e.msg);
		show_journal();
		printf("# expected:\n");
		for (unsigned i = 0; i < n; i++)
			printf("#   %2u %s\n", i + 1, expect[i]);
	}
	if (!ok(!strcmp(before.model, after.model) && !strcmp(before.saved, after.saved),
		"%s: step %u fails: the model and the saved topology are as before", op->name, k))
		printf("# before:\n%s# after:\n%s", before.model, after.model);
	if (fail_undo) {
		if (!ok(strstr(log, fail_undo) != NULL,
			"%s: step %u fails, undo '%s' fails too: logged", op->name, k, fail_undo))
			printf("# log: %s\n", log);
	} else {
		if (!ok(!strcmp(before.world, after.world), "%s: step %u fails: kernel and switch as before",
			op->name, k))
			printf("# before: %s\n# after:  %s\n", before.world, after.world);
		journal_reset();
		r = op->run(&l, op->obj, &e);
		ok(r == 0 && journal_is(fwd, n_journal) && n_journal > 0, "%s: then goes through%s%s", op->name,
		   r ? ": " : "", r ? e.msg : "");
	}
	ok(misuse == 0, "%s: step %u fails: every slot called as node_kind.h says", op->name, k);
	free(log);
	snap_free(&before);
	snap_free(&after);
	lab_fini(&l);
}

/* A removal's step k fails: it is logged, the other steps still run, and
 * the model is as after a removal that went through. */
static void removal_fails(const struct op *op, char fwd[][STEP_LEN], unsigned n, unsigned k,
			  const struct snap *done)
{
	struct vnl_err e = { 0 };
	struct snap after;
	struct lab l;
	char *log;
	int r;

	lab_init(&l);
	op->base(&l);
	journal_reset();
	fail_at = k;
	log_begin();
	r = op->run(&l, op->obj, &e);
	log = log_end();
	snap_take(&l, &after);
	if (!ok(r == 0 && journal_is(fwd, n), "%s: step %u (%s) fails: every other step still runs", op->name, k,
		fwd[k - 1])) {
		printf("# error %d: %s\n", r, e.msg);
		show_journal();
	}
	ok(!strcmp(after.model, done->model) && !strcmp(after.saved, done->saved),
	   "%s: step %u fails: the model has the removal", op->name, k);
	if (!ok(strstr(log, "failed") != NULL, "%s: step %u fails: logged", op->name, k))
		printf("# log: %s\n", log);
	free(log);
	snap_free(&after);
	lab_fini(&l);
}

/* The state folder is gone: the save fails; an addition undoes every step,
 * a removal does none; the model is as before. A deploy saves once per
 * object: its journal is not checked here (the first object's save fails). */
static void save_fails(const struct op *op, char fwd[][STEP_LEN], unsigned n)
{
	bool whole = op->run != run_deploy;
	char expect[MAX_STEPS][STEP_LEN];
	unsigned m = 0;
	struct vnl_err e = { 0 };
	struct snap before, after;
	struct lab l;
	int r;

	if (!op->removal) {
		memcpy(expect, fwd, n * sizeof(expect[0]));
		m = n + undo_of(fwd, n, expect + n);
	}
	lab_init(&l);
	op->base(&l);
	snap_take(&l, &before);
	snprintf(l.state_dir, sizeof(l.state_dir), "%s", state_gone);
	journal_reset();
	r = op->run(&l, op->obj, &e);
	snap_take(&l, &after);
	if (!ok(r == -ENOENT && (!whole || journal_is(expect, m)), "%s: the save fails: error %d, %s", op->name, r,
		op->removal ? "nothing done" : "every step undone in reverse")) {
		printf("# %s\n", e.msg);
		show_journal();
	}
	ok(!strcmp(before.model, after.model) && !strcmp(before.world, after.world),
	   "%s: the save fails: model, kernel and switch as before", op->name);
	snap_free(&before);
	snap_free(&after);
	lab_fini(&l);
}

/* The fake kernel and switch hold what the model says: its nodes and LANs,
 * a port in its LAN per link, a port in no LAN per NIC of a vm. */
static bool agrees(const struct lab *l)
{
	unsigned raised_to = 1500;

	for (unsigned i = 0; i < 16; i++)
		if ((fnodes[i].used && !topo_find_node(l->topo, fnodes[i].name)) ||
		    (flans[i][0] && !topo_find_lan(l->topo, flans[i])))
			return false;
	for (unsigned i = 0; i < l->topo->n_nodes; i++)
		if (!fnode(l->topo->nodes[i].name))
			return false;
	for (unsigned i = 0; i < l->topo->n_lans; i++)
		if (!flan(l->topo->lans[i].name))
			return false;
	for (unsigned i = 0; i < 64; i++) {
		const struct topo_link *k = fports[i].used ? lab_port_link(l, fports[i].name) : NULL;
		char node[STEP_LEN];
		const struct topo_node *n;

		if (!fports[i].used || (k && !strcmp(k->lan, fports[i].lan)))
			continue;
		/* A vxlan LAN's port, in its LAN, with its remotes. */
		if (lab_vx_port_lan(l, fports[i].name)) {
			const struct topo_lan *vl = lab_vx_port_lan(l, fports[i].name);
			char rem[64 * TOPO_VXLAN_REMOTES_MAX];

			topo_vxlan_remote_list(&vl->vx, rem, sizeof(rem));
			for (char *c = rem; (c = strstr(c, ", ")) != NULL;)
				memmove(c + 1, c + 2, strlen(c + 2) + 1), *c = ',';
			if (strcmp(fports[i].lan, vl->name) || strcmp(fports[i].rem, vl->vx.n_remote ? rem : ""))
				return false;
			continue;
		}
		if (!strchr(fports[i].name, '-'))
			return false;
		snprintf(node, sizeof(node), "%s", fports[i].name);
		*strrchr(node, '-') = '\0';
		n = topo_find_node(l->topo, node);
		if (k || !n || strcmp(topo_kind_name(n->kind), "vm") || fports[i].lan[0])
			return false;
	}
	for (unsigned i = 0; i < l->topo->n_links; i++) {
		const struct topo_link *k = &l->topo->links[i];
		char port[STEP_LEN];
		struct fport *p;

		lab_port_name(k->node, k->nic, port, sizeof(port));
		if (!(p = fport(port)))
			return false;
		/* Its impairments, direction by direction. */
		for (unsigned d = 0; d < TOPO_IMP_DIRS; d++)
			if (topo_impair_none(&k->imp[d]) != !p->imp[d][0])
				return false;
	}
	/* Every vxlan LAN has its port; the underlay is raised as they need. */
	for (unsigned i = 0; i < l->topo->n_lans; i++) {
		const struct topo_lan *lan = &l->topo->lans[i];
		const struct lab_vxrt *rt = lab_vx_rt(l, lan->name);
		char port[STEP_LEN];

		lab_vx_port_name(lan->name, port, sizeof(port));
		if (lan->vx.vni && !fport(port))
			return false;
		if (rt && rt->why == LAB_VX_RAISED)	/* only a raise keeps it raised */
			raised_to = rt->underlay_mtu > raised_to ? rt->underlay_mtu : raised_to;
	}
	if (fake_mtu != raised_to)
		return false;
	/* A vm port that stays after its link went has none. */
	for (unsigned i = 0; i < 64; i++)
		if (fports[i].used && !lab_port_link(l, fports[i].name) && (fports[i].imp[0][0] || fports[i].imp[1][0]))
			return false;
	return true;
}

/* Deploy's step k fails and the state folder goes with it: the removals of
 * its undo cannot save, so what it created before stays. The error says so,
 * the model is what was saved, and the kernel and switch hold the model. */
static void deploy_state_lost(const struct op *op, char fwd[][STEP_LEN], unsigned k)
{
	int want = is_switch_step(fwd[k - 1]) ? -EREMOTEIO : -EIO, r;
	struct vnl_err e = { 0 };
	struct snap before, after;
	struct lab l;
	bool kept, says;
	char *log;

	lab_init(&l);
	op->base(&l);
	snap_take(&l, &before);
	journal_reset();
	fail_at = break_at = k;
	log_begin();
	r = op->run(&l, op->obj, &e);
	log = log_end();
	break_at = 0;
	if (rename(state_off, state_ok) < 0)
		perror("restoring the state folder");
	snap_take(&l, &after);
	kept = strcmp(before.model, after.model) != 0;
	says = strstr(e.msg, "could not be removed") != NULL;
	ok(r == want && kept == says, "%s: step %u (%s) fails, the state folder with it: error %d, %s", op->name, k,
	   fwd[k - 1], r, e.msg);
	if (!ok(!strcmp(after.model, after.saved) && agrees(&l),
		"%s: step %u fails, the state folder with it: model, saved state, kernel and switch agree",
		op->name, k))
		printf("# model:\n%s# saved:\n%s# world: %s\n", after.model, after.saved, after.world);
	free(log);
	snap_free(&before);
	snap_free(&after);
	lab_fini(&l);
}

/* The switch is down (it died, its restart is pending): the operation goes
 * through without it, nothing logged, the model as when it is up; when it is
 * back, lab_push makes it match the model and starts the vm nodes whose
 * start waited for their ports. */
static void switch_down(const struct op *op, const struct snap *done)
{
	struct vnl_err e = { 0 };
	struct snap after;
	struct lab l;
	bool kind_only = true, running = true;
	char *log;
	int r;

	lab_init(&l);
	op->base(&l);
	l.sw.pid = 0;
	journal_reset();
	log_begin();
	r = op->run(&l, op->obj, &e);
	log = log_end();
	for (unsigned i = 0; i < n_journal; i++)
		kind_only = kind_only && !is_switch_step(journal[i]);
	snap_take(&l, &after);
	if (!ok(r == 0 && kind_only && !log[0] && !strcmp(after.model, done->model),
		"%s with the switch down: goes through, its switch steps left to lab_push", op->name))
		printf("# error %d: %s\n# log: %s\n", r, e.msg, log);
	l.sw.pid = getpid();
	lab_push(&l.sw, &l);
	for (unsigned i = 0; i < 16; i++)
		running = running && (!fnodes[i].used || fnodes[i].running);
	world(after.world, sizeof(after.world));
	if (!ok(agrees(&l) && running, "%s with the switch down: lab_push then makes the switch match the model",
		op->name))
		printf("# world: %s\n", after.world);
	free(log);
	snap_free(&after);
	lab_fini(&l);
}

/* s is one of steps[0..n-1]. */
static bool in_steps(char steps[][STEP_LEN], unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(steps[i], s))
			return true;
	return false;
}

static void test_op(const struct op *op)
{
	static char fwd[MAX_STEPS][STEP_LEN], undo[MAX_STEPS][STEP_LEN];
	struct snap done;
	unsigned n = learn(op, fwd, &done);

	for (unsigned k = 1; k <= n; k++) {
		if (op->removal) {
			removal_fails(op, fwd, n, k, &done);
			continue;
		}
		addition_fails(op, fwd, k, NULL);
		if (op->run == run_deploy)
			deploy_state_lost(op, fwd, k);
		/* Each undo step failing in turn: the others still run. (An
		 * undo step in the words of a forward one, as lan-set's
		 * remaking of a LAN, cannot be failed alone by its words.) */
		for (unsigned u = 0, m = undo_of(fwd, k - 1, undo); u < m; u++)
			if (!in_steps(fwd, n, undo[u]))
				addition_fails(op, fwd, k, undo[u]);
	}
	save_fails(op, fwd, n);
	switch_down(op, &done);
	snap_free(&done);
}

int main(void)
{
	static int lfd;
	struct vnl_err te;
	pthread_t t;

	node_kinds_use(fake_kinds);
	/* tmpfs: every save fsyncs */
	snprintf(tmp, sizeof(tmp), "%s/vnl-labtx-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/switchd.sock", tmp);
	snprintf(state_ok, sizeof(state_ok), "%s/state", tmp);
	snprintf(state_gone, sizeof(state_gone), "%s/gone", tmp);
	snprintf(state_off, sizeof(state_off), "%s.off", state_ok);
	snprintf(log_path, sizeof(log_path), "%s/log", tmp);
	snprintf(saved_path, sizeof(saved_path), "%s/topology.yaml", state_ok);
	mkdir(state_ok, 0700);
	if (topo_load_string(catalog_yaml, &catalog, &te) < 0) {
		printf("Bail out! catalog: %s\n", te.msg);
		return 1;
	}
	/* The fake switch's thread blocks in accept. */
	lfd = unix_listen(sock_path, 0600);
	if (lfd < 0 || fcntl(lfd, F_SETFL, 0) < 0 || pthread_create(&t, NULL, sw_main, &lfd) != 0) {
		printf("Bail out! fake switch: %s\n", strerror(lfd < 0 ? -lfd : errno));
		return 1;
	}
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		test_op(&ops[i]);
	topo_free(catalog);
	unlink(sock_path);
	unlink(log_path);
	unlink(saved_path);
	snprintf(log_path, sizeof(log_path), "%s/runtime.json", state_ok);
	unlink(log_path);
	rmdir(state_ok);
	rmdir(tmp);
	return tap_done();
}
