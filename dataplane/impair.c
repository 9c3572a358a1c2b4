/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control side of impairments (impair.h): impair-set's arguments into
 * imp_params, the states' lifetime (publish, retire, drain, free) and show.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "args.h"
#include "dp_log.h"
#include "impair.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"

static int32_t normal_table[IMP_NORMAL_N];
static unsigned imp_workers = 1;
static struct imp_state *active[VNL_MAX_PORTS][2];
static struct imp_state *states;   /* every state: active, retired */
static struct imp_state **arrays[VNL_MAX_WORKERS]; /* reg.imp[w].st as published */
static struct imp_state *orphans;  /* of deleted ports, still in the published arrays */
static unsigned ring_seq;

/* Per worker (impair.h struct imp_budget), each in its own cache line. */
static struct {
	struct imp_budget b;
} __attribute__((aligned(64))) budgets[VNL_MAX_WORKERS];

static const char *const dir_name[2] = { "out", "in" };

int impair_init(unsigned nb_workers, uint32_t mbufs_per_worker)
{
	imp_normal_table(normal_table);
	imp_workers = nb_workers ? nb_workers : 1;
	for (unsigned w = 0; w < VNL_MAX_WORKERS; w++)
		budgets[w].b = (struct imp_budget){ .max = mbufs_per_worker };
	return 0;
}

struct imp_budget *impair_budget(unsigned w)
{
	return &budgets[w].b;
}

static void state_free(struct imp_state *st)
{
	if (st == NULL)
		return;
	imp_flush(st);
	rte_ring_free(st->handoff);
	json_object_put(st->show);
	free(st->fifo);
	free(st->whead);
	free(st->wtail);
	free(st->wnext);
	free(st->wm);
	free(st);
}

/* ---- arguments ---- */

/* The settings impair-set takes as integers, all optional (absent: 0). */
static const struct int_arg int_args[] = {
	{ .key = "delay_ns", .min = 0, .max = 60000000000ll },
	{ .key = "jitter_ns", .min = 0, .max = 60000000000ll },
	{ .key = "loss_ppm", .min = 0, .max = 1000000 },
	{ .key = "rate_bps", .min = 0, .max = 400000000000ll },
	{ .key = "burst", .min = 0, .max = 64 << 20 },
	{ .key = "limit", .min = 1, .max = IMP_LIMIT_MAX },
	{ .key = "overhead", .min = -64, .max = 256 },
	{ .key = "dup_ppm", .min = 0, .max = 1000000 },
	{ .key = "reorder_ppm", .min = 0, .max = 1000000 },
	{ .key = "gap", .min = 1, .max = 65535 },
	{ .key = "corrupt_ppm", .min = 0, .max = 1000000 },
	{ .key = "seed", .min = 0, .max = INT64_MAX },
};
enum { A_DELAY, A_JITTER, A_LOSS, A_RATE, A_BURST, A_LIMIT, A_OVERHEAD, A_DUP, A_REORDER, A_GAP, A_CORRUPT, A_SEED,
       A_NB };

/* Ticks of ns nanoseconds at hz. */
static uint64_t ns_ticks(uint64_t ns, uint64_t hz)
{
	return (uint64_t)(((__uint128_t)ns * hz) / 1000000000u);
}

/* Parse req into st->p and st->show; 0 or -errno + err. */
static int parse(struct imp_state *st, struct json_object *req, struct vnl_err *err)
{
	const uint64_t hz = rte_get_tsc_hz();
	struct imp_params *p = &st->p;
	int64_t v[A_NB] = { 0 };
	bool has[A_NB];
	struct json_object *o, *ge = NULL;
	uint32_t gep[4];
	int r;

	for (unsigned i = 0; i < A_NB; i++) {
		r = arg_int(req, &int_args[i], &v[i], &has[i], err);
		if (r < 0)
			return r;
	}
	if (has[A_RATE] && v[A_RATE] != 0 && v[A_RATE] < 8)
		return vnl_errf(err, -ERANGE, "argument 'rate_bps' must be 0 or in 8..400000000000");
	if (has[A_GAP] && !v[A_REORDER])
		return vnl_errf(err, -EINVAL, "gap needs reorder, as in netem");
	if (v[A_REORDER] && !v[A_DELAY])
		return vnl_errf(err, -EINVAL, "reorder needs a delay, as in netem");
	/* vnld's rule too (model/impair_text.c): a jitter around no delay. */
	if (v[A_JITTER] && !v[A_DELAY])
		return vnl_errf(err, -EINVAL, "jitter needs a delay, as in netem");
	if (json_object_object_get_ex(req, "gemodel", &ge)) {
		size_t n = json_object_is_type(ge, json_type_array) ? json_object_array_length(ge) : 0;

		if (has[A_LOSS])
			return vnl_errf(err, -EINVAL, "give loss_ppm or gemodel, not both");
		if (n < 1 || n > 4)
			return vnl_errf(err, -EINVAL, "argument 'gemodel' must be an array of 1 to 4 ppm values [p, r, 1-h, 1-k]");
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(ge, i);
			int64_t x = json_object_get_int64(e);

			if (!json_object_is_type(e, json_type_int) || x < 0 || x > 1000000)
				return vnl_errf(err, -ERANGE, "gemodel values must be integers in 0..1000000 (ppm)");
			gep[i] = (uint32_t)x;
		}
		if (gep[0] == 0)
			return vnl_errf(err, -EINVAL, "gemodel needs p > 0");
		/* tc's defaults: r = 100 % - p, 1-h = 100 %, 1-k = 0. */
		if (n < 2)
			gep[1] = 1000000 - gep[0];
		if (n < 3)
			gep[2] = 1000000;
		if (n < 4)
			gep[3] = 0;
	}
	if (json_object_object_get_ex(req, "dist", &o)) {
		const char *d = json_object_get_string(o);

		if (!json_object_is_type(o, json_type_string) || (strcmp(d, "uniform") != 0 && strcmp(d, "normal") != 0))
			return vnl_errf(err, -EINVAL, "argument 'dist' must be \"uniform\" or \"normal\"");
		p->dist = strcmp(d, "normal") == 0 ? IMP_DIST_NORMAL : IMP_DIST_UNIFORM;
	}

	p->delay = ns_ticks((uint64_t)v[A_DELAY], hz);
	p->jitter = ns_ticks((uint64_t)v[A_JITTER], hz);
	p->loss = imp_thr((uint32_t)v[A_LOSS]);
	if (ge != NULL) {
		p->ge = true;
		p->ge_p = imp_thr(gep[0]);
		p->ge_r = imp_thr(gep[1]);
		p->ge_1h = imp_thr(gep[2]);
		p->ge_1k = imp_thr(gep[3]);
	}
	p->dup = imp_thr((uint32_t)v[A_DUP]);
	p->reorder = imp_thr((uint32_t)v[A_REORDER]);
	p->gap = p->reorder ? (has[A_GAP] ? (uint32_t)v[A_GAP] : 1) : 0;
	p->corrupt = imp_thr((uint32_t)v[A_CORRUPT]);
	p->tpb = imp_tpb(hz, (uint64_t)v[A_RATE]);
	p->burst = imp_wire_ticks(p->tpb, (uint64_t)v[A_BURST]);
	p->overhead = (int32_t)v[A_OVERHEAD];
	p->limit = has[A_LIMIT] ? (uint32_t)v[A_LIMIT] : IMP_LIMIT_DEFAULT;

	/* What show prints: the members given, and the seed drawn when none was. */
	if (!has[A_SEED]) {
		uint64_t s = 0;

		if (getrandom(&s, sizeof(s), 0) != sizeof(s))
			s = rte_rdtsc();
		v[A_SEED] = (int64_t)(s >> 1);
	}
	st->show = json_object_new_object();
	for (unsigned i = 0; i < A_NB; i++)
		if (has[i] || i == A_SEED)
			json_object_object_add(st->show, int_args[i].key, json_object_new_int64(v[i]));
	if (json_object_object_get_ex(req, "dist", &o))
		json_object_object_add(st->show, "dist", json_object_get(o));
	if (ge != NULL) {
		struct json_object *a = json_object_new_array();

		for (int i = 0; i < 4; i++)
			json_object_array_add(a, json_object_new_int64(gep[i]));
		json_object_object_add(st->show, "gemodel", a);
	}
	imp_model_init(&st->m, (uint64_t)v[A_SEED], st->port, st->dir);
	return 0;
}

/* The queue's memory and shape for st->p. 0 or -ENOMEM. */
static int build_queue(struct imp_state *st)
{
	const struct imp_params *p = &st->p;
	uint32_t size = 1;

	while (size < p->limit)
		size <<= 1;
	st->mask = size - 1;
	st->fifo = calloc(size, sizeof(*st->fifo));
	st->segment = p->loss || p->ge || p->dup || p->reorder || p->corrupt || p->tpb;
	st->normal = normal_table;
	st->jmax = imp_jitter_max(p, normal_table);
	st->wheel = p->jitter != 0 && p->tpb == 0;
	if (st->wheel) {
		/* The least tick whose wheel spans 2 jmax with a slot to spare. */
		while (((uint64_t)(IMP_WHEEL_SLOTS - 2) << st->tick_shift) < 2 * st->jmax)
			st->tick_shift++;
		st->whead = calloc(IMP_WHEEL_SLOTS, sizeof(uint32_t));
		st->wtail = calloc(IMP_WHEEL_SLOTS, sizeof(uint32_t));
		st->wnext = calloc(p->limit, sizeof(uint32_t));
		st->wm = calloc(p->limit, sizeof(*st->wm));
		if (st->whead == NULL || st->wtail == NULL || st->wnext == NULL || st->wm == NULL)
			return -ENOMEM;
		for (uint32_t e = 1; e <= p->limit; e++)
			st->wnext[e - 1] = e < p->limit ? e + 1 : 0;
		st->wfree = 1;
	}
	if (st->fifo == NULL)
		return -ENOMEM;
	if (st->dir == IMP_IN && imp_workers > 1) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "vnl_imp%u", ring_seq++);
		st->handoff = rte_ring_create_elem(name, sizeof(struct imp_handoff), IMP_HANDOFF_SIZE, SOCKET_ID_ANY,
						   RING_F_SC_DEQ);
		if (st->handoff == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* ---- lifetime ---- */

/* Publish the states: the active ones in reg.hooks, every one in its
 * owner's reg.imp array (new arrays; the old ones are freed once the
 * snapshot that replaced them is out). 0, or -ENOMEM with the registry's
 * view of impairments as before. */
static int publish(void)
{
	struct imp_state **fresh[VNL_MAX_WORKERS] = { NULL };
	uint16_t nb[VNL_MAX_WORKERS] = { 0 }, old_nb[VNL_MAX_WORKERS];
	static struct port_hooks saved[VNL_MAX_PORTS];
	int r = 0;

	for (struct imp_state *st = states; st != NULL; st = st->next)
		nb[st->owner]++;
	for (unsigned w = 0; w < imp_workers; w++) {
		fresh[w] = calloc(nb[w] ? nb[w] : 1, sizeof(*fresh[w]));
		r = fresh[w] == NULL ? -ENOMEM : r;
		nb[w] = 0;
	}
	if (r < 0)
		goto fail;
	for (struct imp_state *st = states; st != NULL; st = st->next)
		fresh[st->owner][nb[st->owner]++] = st;
	memcpy(saved, reg.hooks, sizeof(saved));
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		reg.hooks[i].imp[IMP_OUT] = active[i][IMP_OUT];
		reg.hooks[i].imp[IMP_IN] = active[i][IMP_IN];
		reg.hooks[i].handoff = active[i][IMP_IN] != NULL ? active[i][IMP_IN]->handoff : NULL;
	}
	for (unsigned w = 0; w < imp_workers; w++) {
		old_nb[w] = reg.imp[w].nb;
		reg.imp[w].nb = nb[w];
		reg.imp[w].st = fresh[w];
	}
	r = reg_publish();
	if (r < 0) {
		memcpy(reg.hooks, saved, sizeof(saved));
		for (unsigned w = 0; w < imp_workers; w++) {
			reg.imp[w].nb = old_nb[w];
			reg.imp[w].st = arrays[w];
		}
		goto fail;
	}
	for (unsigned w = 0; w < imp_workers; w++) {
		free(arrays[w]);
		arrays[w] = fresh[w];
	}
	return 0;
fail:
	for (unsigned w = 0; w < imp_workers; w++)
		free(fresh[w]);
	return r;
}

/* Retire the states in old[] (NULL entries skipped) after a publication
 * that no longer feeds them: from now on no frame can reach them. */
static void retire(struct imp_state *const *old, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (old[i] != NULL)
			atomic_store_explicit(&old[i]->drain, true, memory_order_release);
}

int impair_set(struct port *p, uint8_t dir, struct json_object *req, struct json_object *reply,
	       struct vnl_err *err)
{
	struct imp_state *st = calloc(1, sizeof(*st)), *old;
	int r;

	if (st == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	st->port = p->slot;
	st->dir = dir;
	st->owner = (uint16_t)(p->rx_via % imp_workers); /* reg_port_worker(p) */
	r = parse(st, req, err);
	if (r == 0 && build_queue(st) < 0)
		r = vnl_errf(err, -ENOMEM, "out of memory for the impairment's queue");
	if (r < 0) {
		state_free(st);
		return r;
	}
	old = active[p->slot][dir];
	active[p->slot][dir] = st;
	st->next = states;
	states = st;
	if (old != NULL)
		old->retired = true;
	r = publish();
	if (r < 0) {
		states = st->next;
		active[p->slot][dir] = old;
		if (old != NULL)
			old->retired = false;
		state_free(st);
		return vnl_errf(err, r, "out of memory");
	}
	retire(&old, 1);
	LOG(INFO, ctl, "port %s: impairment %s set", p->name, dir_name[dir]);
	impair_show(p, reply);
	return 0;
}

int impair_clear(struct port *p, int dir, struct vnl_err *err)
{
	struct imp_state *old[2] = { NULL, NULL };
	int r;

	for (int d = 0; d < 2; d++) {
		if (dir >= 0 && d != dir)
			continue;
		old[d] = active[p->slot][d];
		active[p->slot][d] = NULL;
		if (old[d] != NULL)
			old[d]->retired = true;
	}
	if (old[0] == NULL && old[1] == NULL)
		return 0;
	r = publish();
	if (r < 0) {
		for (int d = 0; d < 2; d++) {
			if (old[d] != NULL) {
				old[d]->retired = false;
				active[p->slot][d] = old[d];
			}
		}
		return vnl_errf(err, r, "out of memory");
	}
	retire(old, 2);
	LOG(INFO, ctl, "port %s: impairment %s cleared", p->name, dir < 0 ? "in and out" : dir_name[dir]);
	return 0;
}

/* Unlink every state for which gone() holds; returns them as a list. */
static struct imp_state *unlink_if(bool (*gone)(const struct imp_state *, uint16_t), uint16_t slot)
{
	struct imp_state **pp = &states, *out = NULL;

	while (*pp != NULL) {
		struct imp_state *st = *pp;

		if (gone(st, slot)) {
			*pp = st->next;
			st->next = out;
			out = st;
		} else {
			pp = &st->next;
		}
	}
	return out;
}

/* Put every state of list l on the front of list *dst. */
static void move_all(struct imp_state **dst, struct imp_state *l)
{
	while (l != NULL) {
		struct imp_state *next = l->next;

		l->next = *dst;
		*dst = l;
		l = next;
	}
}

static void free_list(struct imp_state *l)
{
	while (l != NULL) {
		struct imp_state *next = l->next;

		state_free(l);
		l = next;
	}
}

static bool has_port_states(uint16_t slot)
{
	for (struct imp_state *st = states; st != NULL; st = st->next)
		if (st->port == slot)
			return true;
	return false;
}

/* States whose port is gone: their frames are freed by the control
 * thread, so they are taken off the owner's share. */
static void free_gone(struct imp_state *l)
{
	for (struct imp_state *st = l; st != NULL; st = st->next)
		atomic_fetch_add(&budgets[st->owner].b.ctl_freed, imp_flush(st));
	free_list(l);
}

static bool of_port(const struct imp_state *st, uint16_t slot)
{
	return st->port == slot;
}

static bool is_drained(const struct imp_state *st, uint16_t slot)
{
	(void)slot;
	return st->retired && atomic_load_explicit(&st->empty, memory_order_acquire);
}

void impair_tick(void)
{
	struct imp_state *done = unlink_if(is_drained, 0);

	if (done == NULL && orphans == NULL)
		return;
	/* A snapshot without them; on failure they stay listed, empty, until the next tick. */
	if (publish() < 0) {
		move_all(&states, done);
		return;
	}
	free_list(done);
	free_gone(orphans);
	orphans = NULL;
}

void impair_port_gone(uint16_t slot)
{
	struct imp_state *l;

	if (active[slot][IMP_OUT] == NULL && active[slot][IMP_IN] == NULL && !has_port_states(slot))
		return;
	l = unlink_if(of_port, slot);
	active[slot][IMP_OUT] = active[slot][IMP_IN] = NULL;
	/* Before any port-add can reuse the slot: its frames are never sent. */
	for (struct imp_state *st = l; st != NULL; st = st->next)
		atomic_store_explicit(&st->gone, true, memory_order_release);
	/* A snapshot that no longer lists them; without one (no memory), they
	 * wait, skipped by the workers (no port), for the tick's next publication. */
	if (publish() < 0) {
		move_all(&orphans, l);
		return;
	}
	free_gone(l);
}

void impair_fini(void)
{
	free_list(states);
	free_list(orphans);
	states = orphans = NULL;
	memset(active, 0, sizeof(active));
	for (unsigned w = 0; w < VNL_MAX_WORKERS; w++) {
		free(arrays[w]);
		arrays[w] = NULL;
		reg.imp[w].nb = 0;
		reg.imp[w].st = NULL;
	}
}

/* ---- for the snapshot ---- */

struct imp_state *impair_active(uint16_t slot, uint8_t dir)
{
	return active[slot][dir];
}

/* ---- show ---- */

void impair_show(const struct port *p, struct json_object *o)
{
	struct json_object *imp, *queued;
	uint32_t q[2] = { 0, 0 };

	if (active[p->slot][IMP_OUT] == NULL && active[p->slot][IMP_IN] == NULL)
		return;
	imp = json_object_new_object();
	queued = json_object_new_object();
	for (struct imp_state *st = states; st != NULL; st = st->next)
		if (st->port == p->slot)
			q[st->dir] += atomic_load_explicit(&st->queued, memory_order_relaxed);
	for (int d = 0; d < 2; d++) {
		if (active[p->slot][d] != NULL)
			json_object_object_add(imp, dir_name[d], json_object_get(active[p->slot][d]->show));
		json_object_object_add(queued, dir_name[d], json_object_new_int64(q[d]));
	}
	json_object_object_add(imp, "queued", queued);
	json_object_object_add(o, "impair", imp);
}

void impair_show_worker(unsigned w, struct json_object *o)
{
	json_object_object_add(o, "imp_mbufs", json_object_new_int64(imp_budget_held(&budgets[w].b)));
	json_object_object_add(o, "imp_mbufs_max", json_object_new_int64(budgets[w].b.max));
}
