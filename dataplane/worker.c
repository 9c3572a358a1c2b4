/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "bridge.h"
#include "dp_log.h"
#include "hooks.h"
#include "impair.h"
#include "port.h"
#include "registry.h"
#include "snapshot.h"
#include "worker.h"

struct worker *workers[VNL_MAX_WORKERS];
unsigned nb_workers;
volatile bool workers_stop;
static struct worker_params wp;

/* Hand n frames to port p's tx() and count them; the caller frees them.
 * tap: the port's hooks when a capture takes what it receives (the frames
 * tx() took, after it: tx copies and never frees), else NULL; the plain
 * path passes a constant NULL. */
static inline __attribute__((always_inline)) void tx_send(struct worker *w, const struct snapshot *s,
							  struct port *p, struct port_stats *ps,
							  struct rte_mbuf **m, uint16_t n,
							  const struct port_hooks *tap)
{
	uint64_t refused = ps->v[PC_drop_tx_refused], bytes = 0;
	uint16_t sent;

	if (s->tx_locked)
		rte_spinlock_lock(p->txl);
	sent = p->ops->tx(p, m, n, ps);
	if (s->tx_locked)
		rte_spinlock_unlock(p->txl);
	if (tap != NULL && sent)
		cap_tap(w, tap, HOOK_TAP_IN, m, sent, rte_rdtsc());
	for (uint16_t i = 0; i < sent; i++)
		bytes += rte_pktmbuf_pkt_len(m[i]);
	ps->v[PC_tx_packets] += sent;
	ps->v[PC_tx_bytes] += bytes;
	/* tx() counted what the peer refused and put it after m[0..sent)
	 * (port.h); the rest of the burst was not taken. */
	sent += (uint16_t)(ps->v[PC_drop_tx_refused] - refused);
	if (unlikely(sent < n)) {
		if (atomic_load_explicit(&p->up, memory_order_relaxed))
			ps->v[PC_drop_tx_full] += n - sent;
		else
			ps->v[PC_drop_link_down] += n - sent;
	}
}

/* The n frames m for port d hold frames whose offload state the port does
 * not take (caps as the caller read them): in order, frames it takes go out
 * as they are, the others as what ol_fixup() makes of them (segments,
 * checksummed copies), 32 at a time. While the port is down those others are
 * counted drop_link_down instead: no segmenting for a drop, and never a raw
 * offload frame to a port whose caps we did not see (port.h, Offloads).
 * The caller frees m; tap as for tx_send. */
static __attribute__((noinline)) void tx_flush_offload(struct worker *w, const struct snapshot *s,
						       uint16_t d, uint8_t caps, struct rte_mbuf **m,
						       uint16_t n, const struct port_hooks *tap)
{
	struct port *p = s->port[d].port;
	struct port_stats *ps = &w->stats->port[d];
	struct rte_mbuf *stage[VNL_BURST], *made[VNL_BURST];
	uint16_t ns = 0, nm = 0;
	bool up = atomic_load_explicit(&p->up, memory_order_relaxed);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf **src = &m[i];
		bool own = false; /* src holds frames ol_fixup() made: we free them */
		int r = 1;

		if (ol_needs((*src)->ol_flags) & ~caps) {
			if (!up) {
				ps->v[PC_drop_link_down]++;
				continue;
			}
			r = ol_fixup(*src, caps, w->gso_out, VNL_GSO_SEGS_MAX, ps);
			src = w->gso_out;
			own = true;
		}
		for (int j = 0; j < r; j++) {
			if (ns == VNL_BURST) {
				tx_send(w, s, p, ps, stage, ns, tap);
				rte_pktmbuf_free_bulk(made, nm);
				ns = nm = 0;
			}
			stage[ns++] = src[j];
			if (own)
				made[nm++] = src[j];
		}
	}
	if (ns)
		tx_send(w, s, p, ps, stage, ns, tap);
	rte_pktmbuf_free_bulk(made, nm);
}

/* Send n frames m (ol: the OR of their ol_flags) to port d, the offload
 * check first, with the tap (tx_send); the caller frees m. The one way out
 * of a hooked port's frames (tx_flush_hooked, and impair's releases). */
static void tx_out(struct worker *w, const struct snapshot *s, uint16_t d, struct rte_mbuf **m, uint16_t n,
		   uint64_t ol, const struct port_hooks *tap)
{
	struct port *p = s->port[d].port;

	if (unlikely(ol & VNL_TX_OL_ANY)) {
		uint8_t caps = atomic_load_explicit(&p->tx_ol, memory_order_acquire);

		if (ol_needs(ol) & ~caps) {
			tx_flush_offload(w, s, d, caps, m, n, tap);
			return;
		}
	}
	tx_send(w, s, p, &w->stats->port[d], m, n, tap);
}

/* Impairments (below, after bridge_burst, which their out frames take). */
static void imp_feed(struct worker *w, const struct snapshot *s, uint16_t d, uint8_t dir, struct imp_state *st,
		     struct rte_mbuf **pkts, uint16_t n, uint64_t t);
static void imp_handoff(struct worker *w, const struct port_hooks *hk, uint16_t d, struct rte_mbuf **m, uint16_t n);

/* tx_flush_one for a port with HOOK_TAP_IN or HOOK_IMP_IN: empties the
 * port's txbuf like it. */
static __attribute__((noinline)) void tx_flush_hooked(struct worker *w, const struct snapshot *s, uint16_t d)
{
	struct txbuf *tb = &w->tx[d];
	const struct snap_port *sp = &s->port[d];

	if (sp->hooks & HOOK_IMP_IN) {
		/* The frames' references go to the state (or its owner's ring). */
		if (sp->hk->owner == w->id)
			imp_feed(w, s, d, IMP_IN, sp->hk->imp[IMP_IN], tb->m, tb->n, rte_rdtsc());
		else
			imp_handoff(w, sp->hk, d, tb->m, tb->n);
	} else {
		tx_out(w, s, d, tb->m, tb->n, tb->ol, sp->hooks & HOOK_TAP_IN ? sp->hk : NULL);
		rte_pktmbuf_free_bulk(tb->m, tb->n);
	}
	tb->n = 0;
	tb->ol = 0;
}

/* Send what is queued for port d. The port's tx copies; we free everything. */
static void tx_flush_one(struct worker *w, const struct snapshot *s, uint16_t d)
{
	struct txbuf *tb = &w->tx[d];
	struct port *p = s->port[d].port;

	if (unlikely(s->port[d].hooks & (HOOK_TAP_IN | HOOK_IMP_IN))) {
		tx_flush_hooked(w, s, d);
		return;
	}
	/* One branch when no queued frame carries offload state. */
	if (unlikely(tb->ol & VNL_TX_OL_ANY)) {
		uint8_t caps = atomic_load_explicit(&p->tx_ol, memory_order_acquire);

		/* Frames tx() takes raw only when these caps cover them. */
		if (ol_needs(tb->ol) & ~caps)
			tx_flush_offload(w, s, d, caps, tb->m, tb->n, NULL);
		else
			tx_send(w, s, p, &w->stats->port[d], tb->m, tb->n, NULL);
	} else {
		tx_send(w, s, p, &w->stats->port[d], tb->m, tb->n, NULL);
	}
	rte_pktmbuf_free_bulk(tb->m, tb->n);
	tb->n = 0;
	tb->ol = 0;
}

static void tx_flush(struct worker *w, const struct snapshot *s)
{
	for (uint16_t i = 0; i < w->nb_dirty; i++) {
		uint16_t d = w->dirty[i];

		if (w->tx[d].n)
			tx_flush_one(w, s, d);
		w->tx[d].dirty = false;
	}
	w->nb_dirty = 0;
}

static inline __attribute__((always_inline)) void tx_enqueue(struct worker *w, const struct snapshot *s, uint16_t d, struct rte_mbuf *m)
{
	struct txbuf *tb = &w->tx[d];

	if (!tb->dirty) {
		tb->dirty = true;
		w->dirty[w->nb_dirty++] = d;
	}
	tb->m[tb->n++] = m;
	tb->ol |= m->ol_flags;
	if (unlikely(tb->n == VNL_BURST))
		tx_flush_one(w, s, d);
}

/* Every other port of the LAN gets the frame; the mbuf is shared, not copied. */
static void flood(struct worker *w, const struct snapshot *s, uint16_t lan, uint16_t in, struct rte_mbuf *m)
{
	const struct snap_lan *sl = &s->lan[lan];
	uint16_t copies = sl->nb_members - 1; /* the ingress port is a member */

	if (copies == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (copies > 1) /* every segment of a chain: rte_pktmbuf_free walks them all */
		rte_pktmbuf_refcnt_update(m, (int16_t)(copies - 1));
	for (uint16_t i = 0; i < sl->nb_members; i++)
		if (sl->members[i] != in)
			tx_enqueue(w, s, sl->members[i], m);
}

/* The decision for a frame that came through a remote (demultiplexed,
 * or a hooked port's): bridge_input_remote() in a copy of its own
 * (flatten: everything inlined here), so that every other call of it has
 * remote a constant 0 and the plain path keeps the code it had before
 * remotes existed (gcc's bridge_input_remote.constprop: no shift). */
static __attribute__((noinline, flatten)) enum bridge_next bridge_input_via(struct bridge_ctx *c, uint16_t remote,
									    const uint8_t *frame, uint32_t len,
									    uint32_t wire_len, uint16_t *out)
{
	return bridge_input_remote(c, remote, frame, len, wire_len, out);
}

/* Bridge n frames received on port in through remote (0: a port without
 * remotes) into the worker's tx buffers; the caller sends them with
 * tx_flush() (once per rx burst: a demultiplexed burst bridges several
 * runs first). count_rx: count them as received here (false: counted at
 * arrival already, by hooks_rx). */
static inline __attribute__((always_inline)) void bridge_frames(struct worker *w, const struct snapshot *s,
								uint16_t in, uint16_t remote, struct rte_mbuf **pkts,
								uint16_t n, bool count_rx)
{
	struct port_stats *ps = &w->stats->port[in];
	uint16_t lan = s->port[in].lan;
	struct rte_mbuf *drops[VNL_BURST];
	uint16_t nb_drops = 0;
	struct bridge_ctx c;
	uint64_t bytes = 0;

	if (count_rx)
		ps->v[PC_rx_packets] += n;
	if (unlikely(lan == VNL_LAN_NONE)) {
		for (uint16_t i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		if (count_rx)
			ps->v[PC_rx_bytes] += bytes;
		ps->v[PC_drop_no_lan] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	c.snap = s;
	c.fdb = reg.fdb;
	c.in = in;
	c.lan = lan;
	c.now = w->now;
	c.ps = ps;
	c.ls = &w->stats->lan[lan];
	c.cache = (struct bridge_cache){ 0 };

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		/* A TSO frame goes on the wire as segments of l2+l3+l4+tso_segsz. */
		uint32_t wire = likely(!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) ?
					len : (uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz;
		uint16_t d;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += len;
		/* A constant 0 (the plain path, after inlining): bridge_input. */
		switch (__builtin_constant_p(remote) && remote == 0 ?
				bridge_input(&c, rte_pktmbuf_mtod(m, const uint8_t *), len, wire, &d) :
				bridge_input_via(&c, remote, rte_pktmbuf_mtod(m, const uint8_t *), len, wire, &d)) {
		case BRIDGE_UNICAST:
			tx_enqueue(w, s, d, m);
			break;
		case BRIDGE_FLOOD:
			flood(w, s, lan, in, m);
			break;
		case BRIDGE_DROP:
			drops[nb_drops++] = m;
			break;
		}
	}
	if (count_rx)
		ps->v[PC_rx_bytes] += bytes;
	if (nb_drops)
		rte_pktmbuf_free_bulk(drops, nb_drops);
}

/* Forward n frames received on port in (no remotes) and send them. */
static inline __attribute__((always_inline)) void bridge_burst(struct worker *w, const struct snapshot *s,
							       uint16_t in, struct rte_mbuf **pkts, uint16_t n,
							       bool count_rx)
{
	bridge_frames(w, s, in, 0, pkts, n, count_rx);
	tx_flush(w, s);
}

/* The rx side of a hooked port (snap_port.hooks): counts the burst as
 * received, taps it (out), then bridges what goes now (through remote, as
 * bridge_frames); the caller flushes. */
static __attribute__((noinline)) void hooks_rx(struct worker *w, const struct snapshot *s, uint16_t in,
					       uint16_t remote, struct rte_mbuf **pkts, uint16_t n)
{
	const struct snap_port *sp = &s->port[in];
	struct port_stats *ps = &w->stats->port[in];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	ps->v[PC_rx_packets] += n;
	ps->v[PC_rx_bytes] += bytes;
	if (sp->hooks & HOOK_TAP_OUT)
		cap_tap(w, sp->hk, HOOK_TAP_OUT, pkts, n, rte_rdtsc());
	/* The port's rx worker owns its states (reg_port_worker: for a
	 * demultiplexed port, the demultiplexer's): the out frames go to the
	 * queue, their remote with them (m->hash.usr, imp_deliver). */
	if (sp->hooks & HOOK_IMP_OUT) {
		imp_feed(w, s, in, IMP_OUT, sp->hk->imp[IMP_OUT], pkts, n, rte_rdtsc());
		return;
	}
	if (n)
		bridge_frames(w, s, in, remote, pkts, n, false);
}

/* The length of the run of frames at the start of pkts[0..n) (n > 0) with
 * the same ingress port and remote stamp (port.h, demux). */
static inline uint16_t demux_run(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint16_t in = pkts[0]->port, remote = (uint16_t)pkts[0]->hash.usr, j = 1;

	while (j < n && pkts[j]->port == in && (uint16_t)pkts[j]->hash.usr == remote)
		j++;
	return j;
}

/* The rx side of a demultiplexing port dm (snap_port.demux): its frames
 * belong to the rx-less ports they are stamped with (port.h), so each run
 * of equal (port, remote) is received on that port through that remote:
 * its rx counters, its hooks, learning with the remote. One tx_flush for
 * the whole burst. A stamp naming no port of this snapshot (the kind's
 * ordering rules out; a guard) is counted drop_no_lan on dm. The hooks of
 * dm itself do not apply: its frames are not its own. */
static __attribute__((noinline)) void rx_demux(struct worker *w, const struct snapshot *s, uint16_t dm,
					       struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0, k; i < n; i += k) {
		uint16_t in = pkts[i]->port, remote = (uint16_t)pkts[i]->hash.usr;

		k = demux_run(pkts + i, (uint16_t)(n - i));
		if (unlikely(in >= VNL_MAX_PORTS || s->port[in].port == NULL)) {
			w->stats->port[dm].v[PC_drop_no_lan] += k;
			rte_pktmbuf_free_bulk(pkts + i, k);
		} else if (unlikely(s->port[in].hooks)) {
			hooks_rx(w, s, in, remote, pkts + i, k);
		} else {
			bridge_frames(w, s, in, remote, pkts + i, k, true);
		}
	}
	tx_flush(w, s);
}

/* ---- impairments (impair.h): the worker's side of the queues ---- */

/* What imp_input() and friends need of worker w for port d. */
static inline struct imp_ctx imp_ctx_of(struct worker *w, uint16_t d)
{
	return (struct imp_ctx){ .ps = &w->stats->port[d], .budget = impair_budget(w->id), .gso_out = w->gso_out };
}

/* Deliver n frames an impairment state of port d let go, and free them:
 * out frames are forwarded (counted at arrival already), in frames sent to
 * d through the offload check and its tap. */
static void imp_deliver(struct worker *w, const struct snapshot *s, uint16_t d, uint8_t dir, struct rte_mbuf **m,
			uint16_t n)
{
	const struct snap_port *sp = &s->port[d];

	for (uint16_t i = 0; i < n; i += VNL_BURST) {
		uint16_t k = (uint16_t)RTE_MIN(VNL_BURST, n - i);
		uint64_t ol = 0;

		if (dir == IMP_OUT) {
			/* A demultiplexed port's frames keep their remote stamp. */
			if (unlikely(sp->port->ops->rx == NULL)) {
				for (uint16_t j = i, r; j < i + k; j += r) {
					r = demux_run(m + j, (uint16_t)(i + k - j));
					bridge_frames(w, s, d, (uint16_t)m[j]->hash.usr, m + j, r, false);
				}
			} else {
				bridge_frames(w, s, d, 0, m + i, k, false);
			}
			tx_flush(w, s);
			continue;
		}
		for (uint16_t j = 0; j < k; j++)
			ol |= m[i + j]->ol_flags;
		tx_out(w, s, d, m + i, k, ol, sp->hooks & HOOK_TAP_IN ? sp->hk : NULL);
		rte_pktmbuf_free_bulk(m + i, k);
	}
}

/* Hand n frames of port d to its impairment state st (direction dir) at
 * TSC t; what goes at once is delivered. */
static void imp_feed(struct worker *w, const struct snapshot *s, uint16_t d, uint8_t dir, struct imp_state *st,
		     struct rte_mbuf **pkts, uint16_t n, uint64_t t)
{
	struct imp_ctx c = imp_ctx_of(w, d);
	struct rte_mbuf *now[IMP_NOW_MAX];

	while (n) {
		uint16_t taken, k = imp_input(st, &c, pkts, n, t, now, &taken);

		if (k)
			imp_deliver(w, s, d, dir, now, k);
		pkts += taken;
		n -= taken;
	}
}

/* The in frames of port d from a worker that does not own its state: to
 * the owner through the handoff ring, stamped now; a full ring drops
 * (imp_in_queue_full, counted here).
 * A frame a flood shares (refcnt > 1, or a clone) goes over as a private
 * copy: the owner would segment it and complete its checksum (offload.c)
 * while this worker still sends it to the flood's other members. Copying
 * rather than deferring the handoff to the end of tx_flush: the rare path
 * (a flood onto an impaired port, not a unicast stream) pays, the common
 * one keeps its order and its single pass; a failed copy is counted
 * (imp_in_handoff_nomem). */
static void imp_handoff(struct worker *w, const struct port_hooks *hk, uint16_t d, struct rte_mbuf **m, uint16_t n)
{
	struct port_stats *ps = &w->stats->port[d];
	struct imp_handoff h[VNL_BURST];
	uint64_t t = rte_rdtsc();
	unsigned sent, k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *x = m[i];

		if (unlikely(rte_mbuf_refcnt_read(x) > 1 || RTE_MBUF_CLONED(x))) {
			struct rte_mbuf *c = rte_pktmbuf_copy(x, x->pool, 0, UINT32_MAX);

			rte_pktmbuf_free(x);
			if (c == NULL) {
				ps->v[PC_imp_in_handoff_nomem]++;
				continue;
			}
			x = c;
		}
		m[k] = x;
		h[k++] = (struct imp_handoff){ x, t };
	}
	sent = hk->handoff != NULL ? rte_ring_mp_enqueue_burst_elem(hk->handoff, h, sizeof(h[0]), k, NULL) : 0;
	if (unlikely(sent < k)) {
		ps->v[PC_imp_in_queue_full] += k - sent;
		rte_pktmbuf_free_bulk(m + sent, k - sent);
	}
}

unsigned imp_run(struct worker *w, const struct snapshot *s, uint64_t now, uint64_t *next_due)
{
	const struct snap_worker *sw = &s->worker[w->id];
	struct imp_budget *b = impair_budget(w->id);
	struct rte_mbuf *m[IMP_NOW_MAX];
	uint64_t next = UINT64_MAX;
	unsigned work = 0;

	/* Wake-ups on time: the default 50 us of timer slack would add to every
	 * delay (fd_sync() restores it when the worker has no state left). */
	if (unlikely(!w->imp_slack)) {
		prctl(PR_SET_TIMERSLACK, 1000UL);
		w->imp_slack = true;
	}
	for (uint16_t i = 0; i < sw->nb_imp; i++) {
		struct imp_state *st = sw->imp[i];
		uint16_t d = st->port, k;
		uint64_t due;

		/* A port being deleted, or deleted and its slot reused (gone):
		 * impair.c frees its states after this snapshot. */
		if (unlikely(s->port[d].port == NULL || atomic_load_explicit(&st->gone, memory_order_acquire)))
			continue;
		if (st->handoff != NULL) {
			struct imp_ctx c = imp_ctx_of(w, d);
			unsigned took = 0;
			uint16_t n;

			/* The ring empty (bounded: a ring's worth per call), so that
			 * senders faster than one burst per iteration do not fill it. */
			do {
				k = imp_drain_handoff(st, &c, m, &n);
				if (k)
					imp_deliver(w, s, d, st->dir, m, k);
				took += n;
			} while (n && took < IMP_HANDOFF_SIZE);
			work += took;
			/* Frames other workers may hand over any time: the owner's
			 * sleep is bounded (IMP_HANDOFF_POLL_US); frames left on
			 * the ring: no sleep. */
			due = rte_ring_count(st->handoff) ? now : now + rte_get_tsc_hz() / 1000000 * IMP_HANDOFF_POLL_US;
			next = due < next ? due : next;
		}
		while ((k = imp_release(st, b, now, m, VNL_BURST)) > 0) {
			imp_deliver(w, s, d, st->dir, m, k);
			work += k;
		}
		if (unlikely(atomic_load_explicit(&st->drain, memory_order_relaxed)))
			imp_check_empty(st);
		due = imp_next_due(st);
		next = due < next ? due : next;
	}
	*next_due = next;
	return work;
}

/* Ready fd ports taken per epoll_wait; the others stay ready (level) for
 * the next iteration, and epoll hands out ready fds in turn. */
#define FD_EVENTS VNL_BURST

/* Rebuild the fd-port lists (worker.h) for snapshot s, on a new epoll
 * instance so that no registration of an older snapshot survives. A port
 * whose fd cannot be added is polled every iteration. */
static __attribute__((noinline)) void fd_sync(struct worker *w, const struct snapshot *s)
{
	const struct snap_worker *sw = &s->worker[w->id];

	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->nb_fd = w->nb_poll = 0;
	for (uint16_t i = 0; i < sw->nb_rx; i++) {
		uint16_t in = sw->rx[i];
		struct port *p = s->port[in].port;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = in };
		int fd = p->ops->rx_fd != NULL && w->epfd >= 0 ? p->ops->rx_fd(p) : -1;

		if (fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
			w->nb_fd++;
		else
			w->poll[w->nb_poll++] = in;
	}
	/* No delay queue left: the default timer slack back (imp_run()). */
	if (unlikely(w->imp_slack) && sw->nb_imp == 0) {
		prctl(PR_SET_TIMERSLACK, 0UL);
		w->imp_slack = false;
	}
	w->gen = s->gen;
}

/* Fd port `in` reported an error or hang-up (always reported, whatever we
 * ask for): out of the set, polled every iteration until the next rebuild. */
static __attribute__((noinline)) void fd_unwatch(struct worker *w, const struct snapshot *s, uint16_t in)
{
	struct port *p = s->port[in].port;

	epoll_ctl(w->epfd, EPOLL_CTL_DEL, p->ops->rx_fd(p), NULL);
	w->nb_fd--;
	w->poll[w->nb_poll++] = in;
}

/* Receive a burst from port `in` and forward it. Frames received. */
static inline __attribute__((always_inline)) uint16_t rx_port(struct worker *w, const struct snapshot *s,
							      uint16_t in, struct rte_mbuf **pkts)
{
	struct port *p = s->port[in].port;
	uint16_t n = p->ops->rx(p, pkts, VNL_BURST, &w->stats->port[in]);

	if (n) {
		const struct snap_port *sp = &s->port[in];

		/* Plain ports: one branch (two adjacent bytes). */
		if (unlikely(sp->hooks | sp->demux)) {
			if (sp->demux) {
				rx_demux(w, s, in, pkts, n);
			} else {
				hooks_rx(w, s, in, 0, pkts, n);
				tx_flush(w, s);
			}
		} else {
			bridge_burst(w, s, in, pkts, n, true);
		}
	}
	return n;
}

/* Sleep up to us microseconds, in the fd ports' epoll set (a frame on one
 * ends it), RCU-offline. */
static void idle_sleep(struct worker *w, uint32_t us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };
	struct epoll_event ev;

	rte_rcu_qsbr_thread_offline(snapshot_qsbr, w->id);
	if (w->epfd >= 0)
		epoll_pwait2(w->epfd, &ev, 1, &ts, NULL);
	else
		nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(snapshot_qsbr, w->id);
	w->stats->core.v[CC_sleeps]++;
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct core_stats *cs = &w->stats->core;
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t idle_after = hz * wp.idle_after_us / 1000000;
	uint64_t last_busy = rte_rdtsc(), t_prev = last_busy;
	uint32_t sleep_us = 0;
	struct rte_mbuf *pkts[VNL_BURST];
	unsigned iter = 0;

	rte_rcu_qsbr_thread_register(snapshot_qsbr, w->id);
	rte_rcu_qsbr_thread_online(snapshot_qsbr, w->id);
	w->now = dp_now();
	LOG(INFO, worker, "worker %u running on lcore %u (%s polling)", w->id, w->lcore,
	    wp.busy_poll ? "busy" : "adaptive");

	while (!workers_stop) {
		const struct snapshot *s = snapshot_current();
		uint64_t t1, next_due = UINT64_MAX;
		unsigned got = 0, work = 0;

		if (unlikely(s->gen != w->gen))
			fd_sync(w, s);
		for (uint16_t i = 0; i < w->nb_poll; i++)
			got += rx_port(w, s, w->poll[i], pkts);
		if (w->nb_fd) {
			struct epoll_event ev[FD_EVENTS];
			int k = epoll_wait(w->epfd, ev, FD_EVENTS, 0);

			for (int j = 0; j < k; j++) {
				uint16_t in = (uint16_t)ev[j].data.u32;

				got += rx_port(w, s, in, pkts);
				if (unlikely(ev[j].events & (EPOLLERR | EPOLLHUP)))
					fd_unwatch(w, s, in);
			}
		}
		/* Impairment queues: due frames out, and when the next is due. */
		/* Work but no new frames: CC_packets counted them at rx. */
		if (unlikely(s->worker[w->id].nb_imp))
			work = imp_run(w, s, rte_rdtsc(), &next_due);
		/* One TSC read per iteration: an iteration ends where the next begins. */
		t1 = rte_rdtsc();
		cs->v[CC_iterations]++;
		if (got | work) {
			cs->v[CC_packets] += got;
			cs->v[CC_busy_cycles] += t1 - t_prev;
			last_busy = t1;
			sleep_us = 0;
		} else {
			cs->v[CC_idle_cycles] += t1 - t_prev;
		}
		t_prev = t1;
		rte_rcu_qsbr_quiescent(snapshot_qsbr, w->id);

		if (unlikely((++iter & 1023) == 0))
			w->now = (uint32_t)(t1 / hz);
		if (!(got | work) && !wp.busy_poll && t1 - last_busy > idle_after) {
			/* Back off exponentially up to sleep_max_us: bounded wake-up latency. */
			uint32_t us;

			sleep_us = sleep_us ? sleep_us * 2 : 8;
			if (sleep_us > wp.sleep_max_us)
				sleep_us = wp.sleep_max_us;
			us = sleep_us;
			/* Not past the next due frame; not at all when it is near. */
			if (unlikely(next_due != UINT64_MAX))
				us = next_due <= t1 + hz / 50000 ? 0 :
				     (uint32_t)RTE_MIN((uint64_t)us, (next_due - t1) * 1000000 / hz);
			if (us)
				idle_sleep(w, us);
			w->now = dp_now();
			t_prev = rte_rdtsc(); /* sleeping is neither busy nor idle polling */
		}
	}
	rte_rcu_qsbr_thread_offline(snapshot_qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(snapshot_qsbr, w->id);
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
	return 0;
}

int workers_init(unsigned n, const unsigned *lcores, const struct worker_params *params)
{
	wp = *params;
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = rte_zmalloc("vnl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL)
			return -ENOMEM;
		w->stats = rte_zmalloc("vnl_worker_stats", sizeof(*w->stats), RTE_CACHE_LINE_SIZE);
		if (w->stats == NULL) {
			rte_free(w);
			return -ENOMEM;
		}
		w->id = i;
		w->lcore = lcores[i];
		w->epfd = -1;
		w->gen = UINT64_MAX; /* no snapshot has it: the first iteration builds the lists */
		workers[i] = w;
		nb_workers = i + 1;
	}
	return 0;
}

int workers_launch(void)
{
	for (unsigned i = 0; i < nb_workers; i++) {
		int r = rte_eal_remote_launch(worker_main, workers[i], workers[i]->lcore);

		if (r < 0)
			return r;
	}
	return 0;
}

void workers_fini(void)
{
	workers_stop = true;
	for (unsigned i = 0; i < nb_workers; i++)
		rte_eal_wait_lcore(workers[i]->lcore);
	for (unsigned i = 0; i < nb_workers; i++) {
		rte_free(workers[i]->stats);
		rte_free(workers[i]);
		workers[i] = NULL;
	}
	nb_workers = 0;
}
