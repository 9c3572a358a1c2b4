/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: every topology the model accepts survives save -> load.
 *
 * The input drives a small program that builds a lab through topo_add_*()
 * and topo_del_*() (the checks vnld's requests go through), with random
 * bytes in every string field (names, text options, list entries; lengths
 * up to 64 KiB so that the 1 MiB limit is reached), random kinds (vnld's,
 * endpoints/kinds.c, and none), nics, options by each kind's schema, links
 * and addresses, impairments of links (added with the link or replaced
 * afterwards, fields in and out of range), LANs' vxlan (raw fields). An input whose first byte is 0xff is a YAML
 * file instead (the reader's side). Either way, once a topology is built
 * and topo_validate() takes it:
 *   - topo_save() succeeds, and its output is at most TOPO_FILE_MAX bytes
 *     and exactly the size the model accounted (struct topo.save_bytes);
 *   - topo_load_string() of the output succeeds and is topo_equal();
 *   - saving the loaded topology gives the same bytes.
 * Anything else aborts (a finding).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_kind.h"
#include "topology.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	node_kinds_init();
	return 0;
}

/* The input, consumed from the front; zeros once it runs out. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* A string of random bytes, NUL-terminated: a length byte, then that many
 * bytes, repeated `rep` times (rep from one byte: up to 64 KiB). */
static char *str(struct in *in)
{
	unsigned len = byte(in) % 48, rep = 1;
	uint8_t chunk[48];
	char *s;

	if (len > 40)
		rep = 1 + byte(in) * 6u;
	for (unsigned i = 0; i < len; i++)
		chunk[i] = byte(in);
	s = malloc((size_t)len * rep + 1);
	if (s == NULL)
		abort();
	for (unsigned r = 0; r < rep; r++)
		memcpy(s + (size_t)r * len, chunk, len);
	s[(size_t)len * rep] = '\0';
	return s;
}

/* A name: mostly a valid one from a small set (so links find their
 * objects), sometimes random bytes. */
static void name(struct in *in, char buf[TOPO_NAME_MAX + 1])
{
	uint8_t b = byte(in);

	if (b < 0xf0) {
		snprintf(buf, TOPO_NAME_MAX + 1, "%c%u", b & 1 ? 'n' : 'l', b % 12);
	} else {
		char *s = str(in);

		snprintf(buf, TOPO_NAME_MAX + 1, "%s", s);
		free(s);
	}
}

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "round trip broken: %s\n--- saved form ---\n%s\n", what, text ? text : "(none)");
	abort();
}

static char *save_str(const struct topo *t, size_t *len)
{
	struct vnl_err err;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int r;

	if (f == NULL)
		abort();
	r = topo_save(f, t, &err);
	fclose(f);
	if (r < 0) {
		fprintf(stderr, "save refused: %s\n", err.msg);
		fail("topo_save() refused a valid topology", NULL);
	}
	return buf;
}

/* The fixed part of topo_save()'s output for t (header, section keys). */
static size_t frame(const struct topo *t)
{
	return strlen("# vnetlab topology\n") + (t->n_lans ? 6 : 9) + (t->n_nodes ? 7 : 10) +
	       (t->n_links ? 7 : 10);
}

static void check_round_trip(const struct topo *t)
{
	struct vnl_err err = { 0 };
	struct topo *back = NULL;
	size_t len, len2;
	char *text, *again;

	if (topo_validate(t, &err) < 0)
		return;	/* refused at input */
	text = save_str(t, &len);
	if (len > TOPO_FILE_MAX)
		fail("saved form over TOPO_FILE_MAX", NULL);
	if (len != frame(t) + t->save_bytes)
		fail("saved size differs from the accounted size", text);
	if (topo_load_string(text, &back, &err) < 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		fail("the saved form does not load", text);
	}
	if (!topo_equal(t, back))
		fail("load(save(t)) differs from t", text);
	again = save_str(back, &len2);
	if (len != len2 || memcmp(text, again, len))
		fail("saving the loaded topology gives other bytes", text);
	free(again);
	free(text);
	topo_free(back);
}

/* Random impairments, fields in and out of their ranges (the model's
 * check refuses the bad ones), with units that print in every form. */
static void impair(struct in *in, struct topo_impair *imp)
{
	unsigned have = byte(in) | (unsigned)byte(in) << 8;

	*imp = (struct topo_impair){ 0 };
	if (have & 1 << 0)
		imp->delay_ns = (uint64_t)byte(in) * (byte(in) & 1 ? 1000000 : 997);
	if (have & 1 << 1)
		imp->jitter_ns = (uint64_t)byte(in) * (byte(in) & 1 ? 1000 : 1000000007);
	if (have & 1 << 2)
		imp->dist = byte(in) % 3;
	if (have & 1 << 3) {
		imp->ge = byte(in) & 1;
		for (unsigned i = 0; imp->ge && i < 4; i++)
			imp->ge_ppm[i] = byte(in) * 4099u;
		if (!imp->ge)
			imp->loss_ppm = byte(in) * 4099u;
	}
	if (have & 1 << 4)
		imp->rate_bps = (uint64_t)byte(in) << (byte(in) % 40);
	if (have & 1 << 5)
		imp->burst = (uint32_t)byte(in) << (byte(in) % 20);
	if (have & 1 << 6)
		imp->limit = byte(in) * 300u;
	if (have & 1 << 7)
		imp->overhead = (int8_t)byte(in) * 2;
	if (have & 1 << 8)
		imp->dup_ppm = byte(in) * 4099u;
	if (have & 1 << 9)
		imp->reorder_ppm = byte(in) * 4099u;
	if (have & 1 << 10)
		imp->gap = byte(in) * 300u;
	if (have & 1 << 11)
		imp->corrupt_ppm = byte(in) * 4099u;
	if (have & 1 << 12) {
		imp->has_seed = byte(in) & 1;
		for (unsigned i = 0; i < 8; i++)
			imp->seed = imp->seed << 8 | byte(in);
	}
}

/* A LAN's vxlan: raw fields, in and out of range (an address's 16 bytes
 * random, a family that may not match them). */
static void vxlan(struct in *in, struct topo_vxlan *vx)
{
	uint8_t b = byte(in);

	vx->vni = (unsigned)byte(in) << 16 | (unsigned)byte(in) << 8 | byte(in);
	vx->family = b & 1 ? AF_INET6 : b & 2 ? AF_INET : byte(in);
	vx->n_remote = byte(in) % (TOPO_VXLAN_REMOTES_MAX + 2);
	for (unsigned i = 0; i < vx->n_remote && i < TOPO_VXLAN_REMOTES_MAX; i++)
		for (unsigned j = 0; j < 16; j++)
			vx->remote[i][j] = j < 4 || vx->family == AF_INET6 ? byte(in) : 0;
	if (b & 4)
		name(in, vx->underlay);
	if ((vx->has_local = b & 8) != 0)
		for (unsigned j = 0; j < 16; j++)
			vx->local[j] = j < 4 || vx->family == AF_INET6 ? byte(in) : 0;
	if (b & 16)
		vx->dstport = (unsigned)byte(in) << 9 | byte(in);
}

static void build(struct in *in, struct topo *t)
{
	while (in->n) {
		uint8_t op = byte(in) % 9;

		if (op == 0) {
			struct topo_lan l = { 0 };

			name(in, l.name);
			if (byte(in) & 1)
				l.mtu = byte(in) * 40u; /* 0..10200: in and out of range */
			if (byte(in) & 1)
				vxlan(in, &l.vx);
			topo_add_lan(t, &l, NULL);
		} else if (op <= 2) {
			const struct topo_kind *const *kinds = topo_kinds();
			struct topo_node n = { 0 };
			char *lists[TOPO_OPTS_MAX][4] = { { 0 } };
			unsigned nk = 0;
			uint8_t have;

			while (kinds[nk])
				nk++;
			n.kind = kinds[byte(in) % (nk + 1)]; /* nk: no kind */
			n.nics = byte(in) % 34;
			have = byte(in);
			name(in, n.name);
			for (unsigned i = 0; n.kind && i < n.kind->n_opts; i++, have = (uint8_t)(have >> 1 | have << 7)) {
				struct topo_val *v = &n.opt[i];

				if (!(have & 1))
					continue;
				v->set = true;
				switch (n.kind->opts[i].type) {
				case TOPO_OPT_UINT:
					v->num = byte(in) & 1 ? byte(in) * 4099u : byte(in) + 1u;
					break;
				case TOPO_OPT_TEXT:
					v->text = str(in);
					break;
				case TOPO_OPT_ENUM:
					v->num = byte(in) % 3; /* 2: beyond ns's words */
					break;
				default:
					v->n = byte(in) % 5;
					for (unsigned e = 0; e < v->n; e++)
						lists[i][e] = str(in);
					v->list = lists[i];
				}
			}
			topo_add_node(t, &n, NULL);
			for (unsigned i = 0; i < TOPO_OPTS_MAX; i++) {
				free(n.opt[i].text);
				for (unsigned e = 0; e < 4; e++)
					free(lists[i][e]);
			}
		} else if (op <= 4) {
			struct topo_link k = { 0 };

			k.nic = byte(in) % 34;
			name(in, k.node);
			name(in, k.lan);
			if (byte(in) & 1)
				name(in, k.nic_type);
			if (byte(in) & 1) {
				k.has_addr = true;
				k.addr.s_addr = (uint32_t)byte(in) << 24;
				k.addr.s_addr |= byte(in);
				k.plen = byte(in) % 34;
			}
			if (byte(in) & 1) {
				impair(in, &k.imp[TOPO_IMP_OUT]);
				impair(in, &k.imp[TOPO_IMP_IN]);
			}
			/* As vnld does: an interface is linked once. */
			if (topo_find_link(t, k.node, k.nic) == NULL)
				topo_add_link(t, &k, NULL);
		} else if (op == 5 && t->n_nodes) {
			topo_del_node(t, t->nodes[byte(in) % t->n_nodes].name, NULL);
		} else if (op == 6 && t->n_lans) {
			topo_del_lan(t, t->lans[byte(in) % t->n_lans].name, NULL);
		} else if (op == 7 && t->n_links) {
			const struct topo_link *k = &t->links[byte(in) % t->n_links];

			topo_del_link(t, k->node, k->nic, NULL);
		} else if (op == 8 && t->n_links) {
			/* vnld's impair: a link's set replaced in place. */
			struct topo_impair imp[TOPO_IMP_DIRS];

			impair(in, &imp[TOPO_IMP_OUT]);
			impair(in, &imp[TOPO_IMP_IN]);
			topo_link_set_impair(t, &t->links[byte(in) % t->n_links], imp, NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct topo *t;

	if (size && data[0] == 0xff) {
		char *text = malloc(size);

		if (text == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		t = NULL;
		if (topo_load_string(text, &t, NULL) == 0)
			check_round_trip(t);
		topo_free(t);
		free(text);
		return 0;
	}
	t = topo_new();
	if (t == NULL)
		return 0;
	build(&in, t);
	check_round_trip(t);
	topo_free(t);
	return 0;
}
