/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control side of captures (capture.h): start (fd, filter, pools,
 * rings, the pcapng header, taps), the writer on the evloop, stop (taps
 * off, rings drained, statistics), show. rte_bpf_convert is experimental in
 * DPDK 22.11.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <pcap/bpf.h>
#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "args.h"
#include "capture.h"
#include "clock.h"
#include "dp_log.h"
#include "evloop.h"
#include "jsonl.h"
#include "pcapng_write.h"
#include "port.h"
#include "registry.h"
#include "worker.h"

#define CAP_SMALL_N 4095           /* copies of one 2 KiB segment */
#define CAP_LARGE_N 1023           /* 9 KiB segments: jumbo frames, GSO chains (8 each) */
#define CAP_LARGE_ROOM 9216
#define CAP_BATCH 256              /* EPBs taken from one worker ring per drain */
#define CAP_SEGS_MAX 8             /* segments of the longest copy (65557 / 9216 + 1) */
#define CAP_PIECES 8192            /* writer queue: pieces (segments, header blocks) */
#define CAP_CLOSE_MS 2000          /* a closing capture whose reader takes nothing that long is cut */
#define CAP_PIPE_SIZE (1 << 20)    /* what we ask of the pipe (fs.pipe-max-size here) */
#define CAP_DESCR_MAX 256
#define CAP_OWNER_MAX 128
#define CAP_FILTER_MAX 4096
#define CAP_BPF_MAX 4096           /* instructions, the kernel's BPF_MAXINSNS */

/* One interface of a capture: a switch port. */
struct cap_if {
	uint16_t slot;                 /* the port's slot */
	bool gone;                     /* the port was deleted: no taps, ISB at the end */
	bool has_mac;
	uint8_t mac[6];
	char port[VNL_NAME_MAX];       /* the switch port */
	char name[VNL_NAME_MAX + 16];  /* if_name, as the client named it ("a:0") */
	char descr[CAP_DESCR_MAX];     /* if_description */
};

enum cap_state {
	CAP_RUNNING,                   /* tapping */
	CAP_CLOSING,                   /* taps off: rings drained, ISBs, then closed */
};

struct capture_ctl {
	struct capture *cap;
	enum cap_state state;
	int fd;                        /* the pipe's write end (non-blocking) */
	struct ev_watch *watch;        /* fd: errors always, EPOLLOUT while blocked */
	struct pcapng_writer wr;
	bool blocked;                  /* the pipe is full: waiting for EPOLLOUT */
	bool stop_wanted;              /* stop when the taps can be removed (retried) */
	bool gone;                     /* the reader closed the pipe: nothing more is written */
	bool isb_queued;
	uint8_t dirs;                  /* HOOK_TAP_OUT and/or HOOK_TAP_IN */
	uint16_t nb_ifs;
	struct cap_if *ifs;
	char *filter;                  /* the text, NULL without a filter */
	char owner[CAP_OWNER_MAX];
	uint64_t count;                /* frames to write, 0: no limit */
	int64_t deadline_ms;           /* mono_ms() to stop at, 0: none */
	uint64_t started_ns, ended_ns; /* CLOCK_REALTIME */
	uint64_t frames;               /* EPBs handed to the writer */
	uint64_t excess;               /* EPBs past count, freed unwritten */
	int64_t blocked_since, blocked_ms;
	int64_t progress_ms;           /* last time the writer wrote something while closing */
	uint64_t progress_bytes;
};

static struct evloop *loop;
static struct ev_watch *timer;
static struct capture *caps[VNL_CAPTURES_MAX];
static unsigned next_id = 1;

/* Writer tags: an mbuf (EPB, cache-aligned), or header bytes we malloc'ed
 * marked with the low bit. */
static void piece_done(void *tag, void *arg)
{
	(void)arg;
	if ((uintptr_t)tag & 1)
		free((void *)((uintptr_t)tag & ~(uintptr_t)1));
	else
		rte_pktmbuf_free(tag);
}

/* Queue b's bytes as one piece (the writer frees them). */
static int queue_bytes(struct capture_ctl *ctl, struct pcapng_buf *b)
{
	int r;

	if (b->len == 0)
		return 0;
	r = pcapng_writer_add(&ctl->wr, b->p, b->len, (void *)((uintptr_t)b->p | 1));
	if (r == 0)
		*b = (struct pcapng_buf){ 0 };
	return r;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *dir_name(uint8_t dirs)
{
	return dirs == (HOOK_TAP_OUT | HOOK_TAP_IN) ? "both" : dirs == HOOK_TAP_OUT ? "out" : "in";
}

/* ---- taps ---- */

/* Remove the capture's taps from reg.hooks (its live ports). */
static void taps_remove(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;

	for (uint16_t i = 0; i < ctl->nb_ifs; i++) {
		struct port_hooks *h = &reg.hooks[ctl->ifs[i].slot];
		uint8_t k = 0;

		if (ctl->ifs[i].gone)
			continue;
		for (uint8_t j = 0; j < h->nb_taps; j++)
			if (h->tap[j].cap != cap)
				h->tap[k++] = h->tap[j];
		memset(&h->tap[k], 0, sizeof(h->tap[0]) * (size_t)(h->nb_taps - k));
		h->nb_taps = k;
	}
}

/* Add the capture's taps and publish. 0, or -ENOMEM with nothing changed. */
static int taps_add(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;

	for (uint16_t i = 0; i < ctl->nb_ifs; i++) {
		struct port_hooks *h = &reg.hooks[ctl->ifs[i].slot];

		/* At most VNL_CAPTURES_MAX captures: a port has room. */
		h->tap[h->nb_taps++] = (struct port_tap){ cap, i, ctl->dirs };
	}
	if (reg_publish() < 0) {
		taps_remove(cap);
		return -ENOMEM;
	}
	return 0;
}

/* ---- freeing ---- */

/* Free a capture that no snapshot taps (never published, or unhooked and
 * published): writer, fd, rings, pools, filter. */
static void cap_free(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;

	if (ctl != NULL) {
		ev_del(ctl->watch);
		pcapng_writer_fini(&ctl->wr);
		if (ctl->fd >= 0)
			close(ctl->fd);
		free(ctl->ifs);
		free(ctl->filter);
		free(ctl);
	}
	for (unsigned w = 0; w < VNL_MAX_WORKERS; w++) {
		void *m;

		if (cap->ring[w] != NULL) {
			while (rte_ring_sc_dequeue(cap->ring[w], &m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(cap->ring[w]);
		}
		rte_free(cap->stats[w]);
	}
	rte_mempool_free(cap->pool_small);
	rte_mempool_free(cap->pool_large);
	if (cap->bpf != NULL)
		rte_bpf_destroy(cap->bpf);
	rte_free(cap);
}

/* The timer runs exactly while the table holds a capture: called after
 * every removal from the table and after a refused start. */
static void timer_drop_idle(void)
{
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++)
		if (caps[i] != NULL)
			return;
	ev_del(timer);
	timer = NULL;
}

/* The capture is over: out of the table, freed (its taps are off). */
static void cap_finish(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;

	LOG(INFO, ctl, "capture %u ended: %lu frames, %lu bytes written%s", cap->id, (unsigned long)ctl->frames,
	    (unsigned long)ctl->wr.bytes, ctl->gone ? " (the reader closed the pipe)" : "");
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++)
		if (caps[i] == cap)
			caps[i] = NULL;
	cap_free(cap);
	timer_drop_idle();
}

/* ---- statistics ---- */

static void if_sum(const struct capture *cap, uint16_t i, struct cap_if_stats *s)
{
	*s = (struct cap_if_stats){ 0 };
	for (unsigned w = 0; w < nb_workers; w++) {
		const volatile struct cap_if_stats *v = &cap->stats[w][i];

		s->seen += v->seen;
		s->accepted += v->accepted;
		s->nombuf += v->nombuf;
		s->ringfull += v->ringfull;
	}
}

/* One ISB per interface, after the last EPB. */
static void queue_isbs(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;
	struct pcapng_buf b = { 0 };

	for (uint16_t i = 0; i < ctl->nb_ifs; i++) {
		struct cap_if_stats s;
		struct pcapng_isb_counts c;

		if_sum(cap, i, &s);
		c = (struct pcapng_isb_counts){ ctl->started_ns, ctl->ended_ns, s.seen, s.nombuf + s.ringfull, s.accepted };
		if (pcapng_isb(&b, i, ctl->ended_ns, &c) < 0)
			break;
	}
	if (queue_bytes(ctl, &b) < 0)
		pcapng_buf_free(&b); /* no room: the stream ends without them */
	ctl->isb_queued = true;
}

/* ---- the writer ---- */

static int cmp_ts(const void *a, const void *b)
{
	const uint32_t *x = rte_pktmbuf_mtod(*(struct rte_mbuf *const *)a, const uint32_t *);
	const uint32_t *y = rte_pktmbuf_mtod(*(struct rte_mbuf *const *)b, const uint32_t *);
	uint64_t tx = (uint64_t)x[3] << 32 | x[4], ty = (uint64_t)y[3] << 32 | y[4];

	return tx < ty ? -1 : tx > ty;
}

/* Move EPBs from the rings to the writer, as many as its queue takes, in
 * timestamp order across workers. Returns how many were taken. */
static unsigned drain(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;
	struct rte_mbuf *v[CAP_BATCH * VNL_MAX_WORKERS];
	unsigned n = 0, budget = pcapng_writer_room(&ctl->wr) / CAP_SEGS_MAX;

	for (unsigned w = 0; w < nb_workers && budget; w++) {
		unsigned k = rte_ring_sc_dequeue_burst(cap->ring[w], (void **)v + n, RTE_MIN(budget, (unsigned)CAP_BATCH), NULL);

		n += k;
		budget -= k;
	}
	if (nb_workers > 1 && n > 1)
		qsort(v, n, sizeof(v[0]), cmp_ts);
	for (unsigned i = 0; i < n; i++) {
		if (ctl->count && ctl->frames >= ctl->count) {
			ctl->excess++;
			rte_pktmbuf_free(v[i]);
			continue;
		}
		for (struct rte_mbuf *s = v[i]; s != NULL; s = s->next)
			pcapng_writer_add(&ctl->wr, rte_pktmbuf_mtod(s, void *), s->data_len, s->next ? NULL : v[i]);
		ctl->frames++;
	}
	return n;
}

/* Write what the pipe takes; track blocking; a broken pipe ends the
 * stream (the reader is gone). */
static void flush(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;
	int r;

	if (ctl->gone)
		return;
	r = pcapng_writer_flush(&ctl->wr);
	if (r == -EAGAIN) {
		if (!ctl->blocked) {
			ctl->blocked = true;
			ctl->blocked_since = mono_ms();
			ev_fd_mod(ctl->watch, EPOLLOUT);
		}
		return;
	}
	if (ctl->blocked) {
		ctl->blocked = false;
		ctl->blocked_ms += mono_ms() - ctl->blocked_since;
		ev_fd_mod(ctl->watch, 0);
	}
	if (r < 0)
		ctl->gone = true;
}

/* Stop tapping: taps off and published (no worker touches the capture
 * after that), then CLOSING. -ENOMEM: retried from the timer. */
static int cap_stop(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;

	if (ctl->state != CAP_RUNNING)
		return 0;
	taps_remove(cap);
	if (reg_publish() < 0) {
		/* The old snapshot still taps: put the taps back as they were. */
		for (uint16_t i = 0; i < ctl->nb_ifs; i++) {
			struct port_hooks *h = &reg.hooks[ctl->ifs[i].slot];

			if (!ctl->ifs[i].gone)
				h->tap[h->nb_taps++] = (struct port_tap){ cap, i, ctl->dirs };
		}
		ctl->stop_wanted = true;
		return -ENOMEM;
	}
	ctl->state = CAP_CLOSING;
	ctl->ended_ns = real_ns();
	ctl->progress_ms = mono_ms();
	ctl->progress_bytes = ctl->wr.bytes;
	return 0;
}

/* One turn of a capture's work (timer, EPOLLOUT). Returns false once it
 * is freed. */
static bool service(struct capture *cap)
{
	struct capture_ctl *ctl = cap->ctl;
	int64_t now = mono_ms();

	if (ctl->state == CAP_RUNNING &&
	    (ctl->stop_wanted || ctl->gone || (ctl->deadline_ms && now >= ctl->deadline_ms) ||
	     (ctl->count && ctl->frames >= ctl->count)))
		cap_stop(cap);
	if (ctl->gone && ctl->state == CAP_CLOSING) {
		cap_finish(cap);
		return false;
	}
	if (!ctl->blocked) {
		/* A few rounds per turn while the pipe takes them: the control
		 * thread serves its socket in between. */
		for (int i = 0; i < 8 && drain(cap) > 0; i++) {
			flush(cap);
			if (ctl->blocked || ctl->gone)
				break;
		}
		if (ctl->state == CAP_CLOSING && !ctl->isb_queued) {
			bool empty = true;

			for (unsigned w = 0; w < nb_workers; w++)
				empty &= rte_ring_empty(cap->ring[w]);
			if (empty && pcapng_writer_room(&ctl->wr) > 0)
				queue_isbs(cap);
		}
		flush(cap);
	}
	if (ctl->state != CAP_CLOSING)
		return true;
	if (ctl->wr.bytes != ctl->progress_bytes) {
		ctl->progress_bytes = ctl->wr.bytes;
		ctl->progress_ms = now;
	}
	if (ctl->gone || (ctl->isb_queued && ctl->wr.n == 0) || now - ctl->progress_ms > CAP_CLOSE_MS) {
		cap_finish(cap);
		return false;
	}
	return true;
}

static void timer_cb(struct ev_watch *w, void *arg)
{
	(void)w, (void)arg;
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++)
		if (caps[i] != NULL)
			service(caps[i]);
}

/* The pipe: writable again, or its reader gone (EPOLLERR: always
 * reported, level-triggered, so the watch goes first). */
static void fd_cb(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct capture *cap = arg;

	(void)fd;
	if (events & (EPOLLERR | EPOLLHUP)) {
		ev_del(w);
		cap->ctl->watch = NULL;
		cap->ctl->gone = true;
	} else if (events & EPOLLOUT) {
		cap->ctl->blocked = false;
		cap->ctl->blocked_ms += mono_ms() - cap->ctl->blocked_since;
		ev_fd_mod(w, 0);
	}
	service(cap);
}

/* ---- start ---- */

static int arg_str(struct json_object *o, const char *key, size_t max, const char **out, struct vnl_err *err)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return vnl_errf(err, -EINVAL, "'%s' must be a string", key);
	if ((size_t)json_object_get_string_len(v) >= max)
		return vnl_errf(err, -EINVAL, "'%s' is longer than %zu bytes", key, max - 1);
	*out = json_object_get_string(v);
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* "ports": [{port, name, descr, mac}, ...] */
static int parse_ports(struct capture_ctl *ctl, struct json_object *req, struct vnl_err *err)
{
	static const char *const keys[] = { "port", "name", "descr", "mac", NULL };
	struct json_object *a;
	size_t n;

	if (!json_object_object_get_ex(req, "ports", &a) || !json_object_is_type(a, json_type_array))
		return vnl_errf(err, -EINVAL, "missing argument 'ports' (an array of {\"port\":NAME,...})");
	n = json_object_array_length(a);
	if (n == 0 || n > VNL_CAPTURE_IFS_MAX)
		return vnl_errf(err, -EINVAL, "'ports' must have 1 to %d members", VNL_CAPTURE_IFS_MAX);
	ctl->ifs = calloc(n, sizeof(*ctl->ifs));
	if (ctl->ifs == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct cap_if *f = &ctl->ifs[i];
		const char *port, *name, *descr, *mac, *bad;
		struct port *p;
		int r;

		if (!json_object_is_type(o, json_type_object))
			return vnl_errf(err, -EINVAL, "'ports' members must be objects {\"port\":NAME,...}");
		if ((bad = jsonl_unknown_arg(o, keys)) != NULL || json_object_object_get_ex(o, "cmd", NULL))
			return vnl_errf(err, -EINVAL, "unknown member '%s' in 'ports'", bad ? bad : "cmd");
		if ((r = arg_str(o, "port", VNL_NAME_MAX, &port, err)) < 0 ||
		    (r = arg_str(o, "name", sizeof(f->name), &name, err)) < 0 ||
		    (r = arg_str(o, "descr", sizeof(f->descr), &descr, err)) < 0 ||
		    (r = arg_str(o, "mac", 18, &mac, err)) < 0)
			return r;
		if (port == NULL)
			return vnl_errf(err, -EINVAL, "a member of 'ports' lacks 'port'");
		p = reg_port_find(port);
		if (p == NULL)
			return vnl_errf(err, -ENOENT, "port '%s' does not exist", port);
		for (size_t j = 0; j < i; j++)
			if (ctl->ifs[j].slot == p->slot)
				return vnl_errf(err, -EINVAL, "port '%s' is given twice", port);
		if (mac != NULL && parse_mac(mac, f->mac) < 0)
			return vnl_errf(err, -EINVAL, "mac '%s' is not aa:bb:cc:dd:ee:ff", mac);
		f->has_mac = mac != NULL;
		f->slot = p->slot;
		snprintf(f->port, sizeof(f->port), "%s", port);
		snprintf(f->name, sizeof(f->name), "%s", name ? name : port);
		snprintf(f->descr, sizeof(f->descr), "%s", descr ? descr : "");
		ctl->nb_ifs = (uint16_t)(i + 1);
	}
	return 0;
}

/* DPDK 22.11's rte_bpf_convert turns cBPF's indirect loads (ld [x + k],
 * what libpcap makes of icmp[..], tcp[..], anything past a variable IP
 * header) into eBPF LD_IND with src_reg 0 (A) instead of X, its r7: such a
 * load reads at A + k. Point them at X. (Found with "icmp[icmptype] ==
 * icmp-echo" matching nothing; capture_test-style check in 31-capture.) */
#define CBPF_X_REG 7
static void fix_ld_ind(struct rte_bpf_prm *prm)
{
	for (uint32_t i = 0; i < prm->nb_ins; i++) {
		struct ebpf_insn *in = (struct ebpf_insn *)&prm->ins[i];

		if (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_IND && in->src_reg == 0)
			in->src_reg = CBPF_X_REG;
	}
}

/* "bpf": [[code, jt, jf, k], ...] -> converted, validated, JITed. */
static int parse_bpf(struct capture *cap, struct json_object *req, struct vnl_err *err)
{
	struct json_object *a;
	struct bpf_program prog;
	struct rte_bpf_prm *prm;
	struct rte_bpf_jit jit;
	size_t n;

	if (!json_object_object_get_ex(req, "bpf", &a) || a == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array) || (n = json_object_array_length(a)) == 0 || n > CAP_BPF_MAX)
		return vnl_errf(err, -EINVAL, "'bpf' must be an array of 1 to %d [code,jt,jf,k] instructions", CAP_BPF_MAX);
	prog.bf_len = (u_int)n;
	prog.bf_insns = calloc(n, sizeof(struct bpf_insn));
	if (prog.bf_insns == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		static const int64_t max[4] = { UINT16_MAX, UINT8_MAX, UINT8_MAX, UINT32_MAX };
		struct json_object *insn = json_object_array_get_idx(a, i);
		int64_t f[4];

		if (!json_object_is_type(insn, json_type_array) || json_object_array_length(insn) != 4)
			goto bad;
		for (int j = 0; j < 4; j++) {
			struct json_object *v = json_object_array_get_idx(insn, (size_t)j);

			if (!json_object_is_type(v, json_type_int))
				goto bad;
			f[j] = json_object_get_int64(v);
			if (f[j] < 0 || f[j] > max[j])
				goto bad;
		}
		prog.bf_insns[i] = (struct bpf_insn){ (u_short)f[0], (u_char)f[1], (u_char)f[2], (bpf_u_int32)f[3] };
	}
	/* (22.11's convert frees its result with free() if its second pass
	 * fails, which cannot happen once the first succeeded.) */
	prm = rte_bpf_convert(&prog);
	free(prog.bf_insns);
	if (prm == NULL)
		return vnl_errf(err, -EINVAL, "the filter program is not valid cBPF: %s", rte_strerror(rte_errno));
	fix_ld_ind(prm);
	cap->bpf = rte_bpf_load(prm);
	rte_free(prm);
	if (cap->bpf == NULL)
		return vnl_errf(err, -EINVAL, "the filter program was refused by rte_bpf: %s", rte_strerror(rte_errno));
	if (rte_bpf_get_jit(cap->bpf, &jit) == 0 && jit.func != NULL)
		cap->jit = jit.func;
	return 0;
bad:
	free(prog.bf_insns);
	return vnl_errf(err, -EINVAL, "'bpf' instructions must be [code 0..65535, jt 0..255, jf 0..255, k 0..4294967295]");
}

/* Pools and rings of the capture. */
static int make_buffers(struct capture *cap, struct vnl_err *err)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "vnl_cap%us", cap->id);
	cap->pool_small = rte_pktmbuf_pool_create(name, CAP_SMALL_N, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	snprintf(name, sizeof(name), "vnl_cap%ul", cap->id);
	cap->pool_large = rte_pktmbuf_pool_create(name, CAP_LARGE_N, 32, 0, CAP_LARGE_ROOM + RTE_PKTMBUF_HEADROOM,
						  (int)rte_socket_id());
	if (cap->pool_small == NULL || cap->pool_large == NULL)
		return vnl_errf(err, -ENOMEM, "no memory for the capture's buffers (hugepages?): %s", rte_strerror(rte_errno));
	for (unsigned w = 0; w < nb_workers; w++) {
		snprintf(name, sizeof(name), "vnl_cap%uw%u", cap->id, w);
		cap->ring[w] = rte_ring_create(name, VNL_CAPTURE_RING, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		cap->stats[w] = rte_zmalloc("vnl_cap_stats", sizeof(struct cap_if_stats) * cap->ctl->nb_ifs,
					    RTE_CACHE_LINE_SIZE);
		if (cap->ring[w] == NULL || cap->stats[w] == NULL)
			return vnl_errf(err, -ENOMEM, "no memory for the capture's rings (hugepages?)");
	}
	return 0;
}

/* The fd: a pipe's write end; made non-blocking, 1 MiB if the kernel lets us. */
static int take_pipe(struct capture_ctl *ctl, int fd, struct vnl_err *err)
{
	struct stat st;
	int fl;

	ctl->fd = fd;
	if (ctl->fd < 0)
		return vnl_errf(err, -EINVAL, "capture-start needs the write end of a pipe passed with the request");
	fl = fcntl(ctl->fd, F_GETFL);
	if (fstat(ctl->fd, &st) < 0 || !S_ISFIFO(st.st_mode) || fl < 0 || (fl & O_ACCMODE) != O_WRONLY)
		return vnl_errf(err, -EINVAL, "the file descriptor passed is not the write end of a pipe");
	if (fcntl(ctl->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return vnl_errno(err, -errno, "cannot make the pipe non-blocking");
	fcntl(ctl->fd, F_SETPIPE_SZ, CAP_PIPE_SIZE); /* best effort: the default 64 KiB works, slower */
	return 0;
}

/* SHB and one IDB per interface, queued. */
static int queue_header(struct capture *cap, struct vnl_err *err)
{
	struct capture_ctl *ctl = cap->ctl;
	struct pcapng_buf b = { 0 };
	char os[256], appl[128], comment[CAP_OWNER_MAX + 64];
	struct utsname u;
	int r;

	if (uname(&u) == 0)
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	else
		snprintf(os, sizeof(os), "Linux");
	snprintf(appl, sizeof(appl), "vnetlab %s (%s)", VNL_VERSION, rte_version());
	snprintf(comment, sizeof(comment), "vnl-switchd capture %u%s%s", cap->id, ctl->owner[0] ? " for " : "",
		 ctl->owner);
	r = pcapng_shb(&b, "vnl-switchd", os, appl, comment);
	for (uint16_t i = 0; r == 0 && i < ctl->nb_ifs; i++) {
		const struct cap_if *f = &ctl->ifs[i];

		r = pcapng_idb(&b, cap->snaplen, f->name, f->descr[0] ? f->descr : NULL, ctl->filter,
			       f->has_mac ? f->mac : NULL);
	}
	if (r == 0)
		r = queue_bytes(ctl, &b);
	pcapng_buf_free(&b);
	return r < 0 ? vnl_errf(err, -ENOMEM, "out of memory") : 0;
}

static int parse_args(struct capture *cap, struct json_object *req, struct vnl_err *err)
{
	/* Absent: whole frames, no count, no time limit. */
	static const struct int_arg snaplen_arg = { .key = "snaplen", .min = VNL_CAPTURE_SNAPLEN_MIN,
						    .max = VNL_CAPTURE_SNAPLEN_MAX, .def = VNL_CAPTURE_SNAPLEN_MAX },
				    count_arg = { .key = "count", .min = 1, .max = UINT32_MAX },
				    duration_arg = { .key = "duration_ms", .min = 1, .max = 86400000 };
	struct capture_ctl *ctl = cap->ctl;
	int64_t snaplen, count, duration;
	const char *dir, *filter, *owner;
	int r;

	if ((r = parse_ports(ctl, req, err)) < 0 || (r = arg_str(req, "dir", 8, &dir, err)) < 0 ||
	    (r = arg_str(req, "filter", CAP_FILTER_MAX, &filter, err)) < 0 ||
	    (r = arg_str(req, "owner", CAP_OWNER_MAX, &owner, err)) < 0 ||
	    (r = arg_int(req, &snaplen_arg, &snaplen, NULL, err)) < 0 ||
	    (r = arg_int(req, &count_arg, &count, NULL, err)) < 0 ||
	    (r = arg_int(req, &duration_arg, &duration, NULL, err)) < 0)
		return r;
	ctl->count = (uint64_t)count;
	if (dir == NULL || strcmp(dir, "both") == 0)
		ctl->dirs = HOOK_TAP_OUT | HOOK_TAP_IN;
	else if (strcmp(dir, "out") == 0)
		ctl->dirs = HOOK_TAP_OUT;
	else if (strcmp(dir, "in") == 0)
		ctl->dirs = HOOK_TAP_IN;
	else
		return vnl_errf(err, -EINVAL, "'dir' must be in, out or both");
	if (filter != NULL && (ctl->filter = strdup(filter)) == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	if (filter != NULL && !json_object_object_get_ex(req, "bpf", NULL))
		return vnl_errf(err, -EINVAL, "'filter' (the text) comes with 'bpf' (the program)");
	snprintf(ctl->owner, sizeof(ctl->owner), "%s", owner ? owner : "");
	cap->snaplen = (uint32_t)snaplen;
	ctl->deadline_ms = duration ? mono_ms() + duration : 0;
	return parse_bpf(cap, req, err);
}

/* The capture's clock: ns = ns0 + (tsc - tsc0) * 1e9 / hz, in 32.32 fixed point. */
static void clock_base(struct capture *cap)
{
	uint64_t t0 = rte_rdtsc(), ns = real_ns(), t1 = rte_rdtsc();

	cap->tsc0 = t0 + (t1 - t0) / 2;
	cap->ns0 = ns;
	cap->mult = (1000000000ull << 32) / rte_get_tsc_hz();
	cap->ctl->started_ns = ns;
}

int capture_start(struct json_object *req, struct json_object *reply, int fd, struct vnl_err *err)
{
	struct json_object *ifs;
	struct capture *cap;
	int slot = -1, r;

	for (unsigned i = 0; i < VNL_CAPTURES_MAX && slot < 0; i++)
		if (caps[i] == NULL)
			slot = (int)i;
	if (fd < 0)
		return vnl_errf(err, -EINVAL, "capture-start needs the write end of a pipe passed with the request");
	cap = rte_zmalloc("vnl_capture", sizeof(*cap), RTE_CACHE_LINE_SIZE);
	if (cap != NULL)
		cap->ctl = calloc(1, sizeof(*cap->ctl));
	if (cap == NULL || cap->ctl == NULL) {
		rte_free(cap);
		if (fd >= 0)
			close(fd);
		return vnl_errf(err, -ENOMEM, "out of memory");
	}
	cap->ctl->fd = -1;
	cap->ctl->cap = cap;
	cap->id = next_id;
	/* The fd first: whatever fails, the pipe is closed and the reader sees EOF. */
	r = take_pipe(cap->ctl, fd, err);
	if (r == 0 && slot < 0)
		r = vnl_errf(err, -EBUSY, "%d captures run already", VNL_CAPTURES_MAX);
	if (r == 0 && loop == NULL)
		r = vnl_errf(err, -ENOTSUP, "captures need the control loop");
	if (r == 0)
		r = parse_args(cap, req, err);
	if (r == 0)
		r = make_buffers(cap, err);
	if (r == 0 && pcapng_writer_init(&cap->ctl->wr, cap->ctl->fd, CAP_PIECES, piece_done, NULL) < 0)
		r = vnl_errf(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = queue_header(cap, err);
	if (r == 0) {
		cap->ctl->watch = ev_fd_add(loop, cap->ctl->fd, 0, fd_cb, cap);
		if (cap->ctl->watch == NULL)
			r = vnl_errno(err, -errno, "cannot watch the pipe");
	}
	if (r == 0 && timer == NULL && (timer = ev_timer_add(loop, 1, timer_cb, NULL)) == NULL)
		r = vnl_errno(err, -errno, "cannot start the capture timer");
	if (r == 0) {
		clock_base(cap);
		if (taps_add(cap) < 0)
			r = vnl_errf(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		cap_free(cap);
		timer_drop_idle(); /* made for this capture alone */
		return r;
	}
	next_id++;
	caps[slot] = cap;
	flush(cap);
	ifs = json_object_new_array();
	for (uint16_t i = 0; i < cap->ctl->nb_ifs; i++)
		json_object_array_add(ifs, json_object_new_string(cap->ctl->ifs[i].name));
	{
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(cap->id));
		json_object_object_add(o, "interfaces", ifs);
		json_object_object_add(reply, "capture", o);
	}
	LOG(INFO, ctl, "capture %u started: %u port(s), dir %s, %s%s, snaplen %u", cap->id, cap->ctl->nb_ifs,
	    dir_name(cap->ctl->dirs), cap->ctl->filter ? "filter " : "no filter", cap->ctl->filter ? cap->ctl->filter : "",
	    cap->snaplen);
	return 0;
}

/* ---- stop, show, port deletion, end ---- */

static struct capture *cap_find(unsigned id)
{
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++)
		if (caps[i] != NULL && caps[i]->id == id)
			return caps[i];
	return NULL;
}

/* Dropped frames of a capture so far (all interfaces and workers). */
static void totals(const struct capture *cap, struct cap_if_stats *t)
{
	*t = (struct cap_if_stats){ 0 };
	for (uint16_t i = 0; i < cap->ctl->nb_ifs; i++) {
		struct cap_if_stats s;

		if_sum(cap, i, &s);
		t->seen += s.seen;
		t->accepted += s.accepted;
		t->nombuf += s.nombuf;
		t->ringfull += s.ringfull;
	}
}

int capture_stop_cmd(struct json_object *req, struct json_object *reply, struct vnl_err *err)
{
	struct json_object *v;
	struct capture *cap;
	struct cap_if_stats t;
	int64_t id;

	if (!json_object_object_get_ex(req, "id", &v) || !json_object_is_type(v, json_type_int))
		return vnl_errf(err, -EINVAL, "missing argument 'id' (an integer)");
	id = json_object_get_int64(v);
	cap = id > 0 && id <= UINT32_MAX ? cap_find((unsigned)id) : NULL;
	if (cap == NULL)
		return vnl_errf(err, -ENOENT, "no capture %lld", (long long)id);
	if (cap_stop(cap) < 0)
		return vnl_errf(err, -ENOMEM, "out of memory (the capture stops soon)");
	totals(cap, &t);
	json_object_object_add(reply, "frames", json_object_new_int64((int64_t)cap->ctl->frames));
	json_object_object_add(reply, "dropped", json_object_new_int64((int64_t)(t.nombuf + t.ringfull)));
	return 0;
}

int capture_show(struct json_object *reply)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++) {
		struct capture *cap = caps[i];
		struct capture_ctl *ctl;
		struct json_object *o, *ifs;
		struct cap_if_stats t;

		if (cap == NULL)
			continue;
		ctl = cap->ctl;
		totals(cap, &t);
		o = json_object_new_object();
		ifs = json_object_new_array();
		for (uint16_t k = 0; k < ctl->nb_ifs; k++) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "name", json_object_new_string(ctl->ifs[k].name));
			json_object_object_add(f, "port", json_object_new_string(ctl->ifs[k].port));
			if (ctl->ifs[k].gone)
				json_object_object_add(f, "gone", json_object_new_boolean(true));
			json_object_array_add(ifs, f);
		}
		json_object_object_add(o, "id", json_object_new_int64(cap->id));
		json_object_object_add(o, "state", json_object_new_string(ctl->state == CAP_RUNNING ? "running" : "closing"));
		json_object_object_add(o, "interfaces", ifs);
		json_object_object_add(o, "filter", ctl->filter ? json_object_new_string(ctl->filter) : NULL);
		json_object_object_add(o, "snaplen", json_object_new_int64(cap->snaplen));
		json_object_object_add(o, "dir", json_object_new_string(dir_name(ctl->dirs)));
		json_object_object_add(o, "started_ns", json_object_new_int64((int64_t)ctl->started_ns));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)ctl->frames));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)ctl->wr.bytes));
		json_object_object_add(o, "seen", json_object_new_int64((int64_t)t.seen));
		json_object_object_add(o, "filtered", json_object_new_int64((int64_t)(t.seen - t.accepted)));
		json_object_object_add(o, "ringfull", json_object_new_int64((int64_t)t.ringfull));
		json_object_object_add(o, "nombuf", json_object_new_int64((int64_t)t.nombuf));
		json_object_object_add(o, "blocked_ms",
				       json_object_new_int64(ctl->blocked_ms + (ctl->blocked ? mono_ms() - ctl->blocked_since : 0)));
		json_object_object_add(o, "owner", json_object_new_string(ctl->owner));
		json_object_array_add(a, o);
	}
	json_object_object_add(reply, "captures", a);
	return 0;
}

void capture_port_gone(uint16_t slot)
{
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++) {
		struct capture *cap = caps[i];
		bool live = false;

		if (cap == NULL || cap->ctl->state != CAP_RUNNING)
			continue;
		for (uint16_t k = 0; k < cap->ctl->nb_ifs; k++) {
			if (cap->ctl->ifs[k].slot == slot)
				cap->ctl->ifs[k].gone = true;
			live |= !cap->ctl->ifs[k].gone;
		}
		if (!live)
			cap->ctl->stop_wanted = true; /* the timer stops it */
	}
}

void capture_init(struct evloop *l)
{
	loop = l;
}

void capture_fini(void)
{
	int64_t deadline = mono_ms() + CAP_CLOSE_MS;
	bool any = true;

	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++)
		if (caps[i] != NULL)
			cap_stop(caps[i]);
	/* Let the readers take the rest and the ISBs, as the loop would. */
	while (any && mono_ms() < deadline) {
		struct pollfd pf[VNL_CAPTURES_MAX];
		nfds_t n = 0;

		any = false;
		for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++) {
			if (caps[i] == NULL)
				continue;
			caps[i]->ctl->blocked = false; /* no loop any more: poll below */
			if (!service(caps[i]))
				continue;
			any = true;
			pf[n++] = (struct pollfd){ .fd = caps[i]->ctl->fd, .events = POLLOUT };
		}
		if (any)
			poll(pf, n, 10);
	}
	for (unsigned i = 0; i < VNL_CAPTURES_MAX; i++) {
		if (caps[i] == NULL)
			continue;
		if (caps[i]->ctl->state == CAP_RUNNING) {
			/* Could not be unhooked (no memory): the workers are
			 * stopping; leave it to the process exit. */
			continue;
		}
		cap_finish(caps[i]);
	}
	ev_del(timer);
	timer = NULL;
}
