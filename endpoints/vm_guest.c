/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest supervision (vm_guest.h): per VM node, the hvc0 bootstrap, the agent
 * link with its keepalive, and QMP; one 250 ms tick paces knocks, pings and
 * reconnections.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "node_kind.h"
#include "outq.h"
#include "unixsock.h"
#include "vm.h"
#include "vm_bootstrap.h"
#include "vm_guest.h"
#include "vm_qmp.h"

#define TICK_MS 250
#define KNOCK_MS 1000          /* knock pace while booting or lost */
#define KNOCK_SLOW_MS 5000     /* ... once no shell answered for long */
#define HVC_LOG_MAX (1 << 20)  /* hvc0.log is cut back to empty beyond this */
#define AGENT_QUEUE_MAX (16u << 20)

LOG_SUBSYS("guest");

struct guest {
	char name[TOPO_NAME_MAX + 1];
	unsigned nics;            /* the node's NICs (at most 64 get a carrier) */
	struct guests *gs;
	struct vm_paths p;
	enum guest_state state;
	char info[256];
	int64_t state_ms;         /* when the state began */
	int64_t boot_ms;          /* when knocking began (booting, lost) */
	bool powered_off;         /* QMP said SHUTDOWN before qemu went */
	bool starting;            /* vnld starts its qemu: hands off QMP (guest_starting) */
	/* hvc0 */
	int hvc_fd;
	struct ev_watch *hvc_w;
	char tail[2048];          /* the last bytes hvc0 sent, for the markers */
	size_t tail_len;
	int64_t knock_ms;
	int hvc_log;
	/* agent link */
	int ag_fd;
	struct ev_watch *ag_w;
	struct ap_decoder dec;    /* frames from the agent; while on_agent() runs, the
				   * frame it handles points into it */
	bool ag_busy;             /* on_agent() is on the stack: agent_close() leaves
				   * the decoder for it to release */
	struct outq out;          /* to the agent; watches through ag_w */
	int64_t rx_ms, ping_ms;
	uint64_t seq;
	char agent[64];           /* the agent's HELLO string */
	uint64_t bad_seen, dropped_seen; /* the decoder's counters last logged */
	struct ratelimit rl_bad;  /* lines about malformed frames (LOG_RATELIMIT_*) */
	uint32_t next_chan;
	/* QMP */
	struct qmp qmp;
	uint64_t links_want;      /* bit i: NIC i is linked in the model (carrier on) */
	uint64_t links_set;       /* what qemu was last told, valid when links_known */
	bool links_known;
	bool seen;                /* guests_sync mark */
	struct guest *next;
};

struct guests {
	struct evloop *loop;
	char lab[TOPO_NAME_MAX + 1];
	struct guest_hooks hooks;
	guest_emit_fn emit;
	void *emit_arg;
	struct guest *list;
	struct ev_watch *tick;
	uint32_t nonce;           /* this vnld's bootstrap and HELLO nonce */
	unsigned shell_ms;        /* GUEST_SHELL_MS, or $VNL_GUEST_SHELL_S (tests) */
};

static const char *const state_names[] = {
	[GUEST_STOPPED] = "stopped",
	[GUEST_BOOTING] = "booting",
	[GUEST_BOOTSTRAPPING] = "bootstrapping",
	[GUEST_READY] = "ready",
	[GUEST_LOST] = "lost",
	[GUEST_NO_SHELL] = "no-shell",
};

const char *guest_state_name(enum guest_state s)
{
	return s <= GUEST_NO_SHELL ? state_names[s] : "?";
}

const char *guest_name(const struct guest *g)
{
	return g->name;
}

enum guest_state guest_state(const struct guest *g)
{
	return g->state;
}

const char *guest_state_info(const struct guest *g)
{
	return g->info;
}

static void set_state(struct guest *g, enum guest_state s, const char *info)
{
	struct guests *gs = g->gs;
	enum guest_state old = g->state;
	struct json_object *ev;

	snprintf(g->info, sizeof(g->info), "%s", info ? info : "");
	if (s == old)
		return;
	g->state = s;
	g->state_ms = mono_ms();
	if (s == GUEST_BOOTING || s == GUEST_LOST)
		g->boot_ms = g->state_ms;
	log_full(s == GUEST_LOST || s == GUEST_NO_SHELL ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
		 "vm %s: %s -> %s%s%s", g->name, state_names[old], state_names[s], g->info[0] ? ": " : "",
		 g->info);
	if (old == GUEST_READY && gs->hooks.ready)
		gs->hooks.ready(g, false, gs->hooks.arg);
	if (s == GUEST_READY && gs->hooks.ready)
		gs->hooks.ready(g, true, gs->hooks.arg);
	if (gs->emit) {
		ev = json_object_new_object();
		json_object_object_add(ev, "event", json_object_new_string("node-state"));
		json_object_object_add(ev, "node", json_object_new_string(g->name));
		json_object_object_add(ev, "state", json_object_new_string(state_names[s]));
		if (g->info[0])
			json_object_object_add(ev, "info", json_object_new_string(g->info));
		gs->emit(ev, gs->emit_arg);
		json_object_put(ev);
	}
}

/* ---- hvc0 ---- */

static void hvc_close(struct guest *g)
{
	if (g->hvc_fd < 0)
		return;
	ev_del(g->hvc_w);
	close(g->hvc_fd);
	g->hvc_fd = -1;
	g->tail_len = 0;
}

static void hvc_type(struct guest *g, const char *line, size_t len)
{
	/* Lines are short; one that does not fit the socket now is retyped
	 * by the next knock anyway. */
	if (send(g->hvc_fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		hvc_close(g);
}

static void hvc_log(struct guest *g, const char *buf, size_t n)
{
	if (g->hvc_log < 0)
		return;
	if (lseek(g->hvc_log, 0, SEEK_END) > HVC_LOG_MAX && ftruncate(g->hvc_log, 0) < 0)
		return;
	if (write(g->hvc_log, buf, n) < 0)
		return;
}

static void on_hvc(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct guest *g = arg;
	char buf[1024];
	ssize_t n;
	size_t keep;

	(void)w, (void)events;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		hvc_close(g);
		return;
	}
	hvc_log(g, buf, (size_t)n);
	/* Keep the last bytes: a marker may straddle two reads. */
	keep = sizeof(g->tail) - (size_t)n;
	if (g->tail_len > keep) {
		memmove(g->tail, g->tail + g->tail_len - keep, keep);
		g->tail_len = keep;
	}
	memcpy(g->tail + g->tail_len, buf, (size_t)n);
	g->tail_len += (size_t)n;
	if ((g->state == GUEST_BOOTING || g->state == GUEST_LOST || g->state == GUEST_NO_SHELL) &&
	    boot_marker_seen(g->tail, g->tail_len, BOOT_KNOCK, g->gs->nonce)) {
		char line[512];

		g->tail_len = 0;
		set_state(g, GUEST_BOOTSTRAPPING, "a shell answered on hvc0; starting the agent");
		hvc_type(g, line, boot_start_line(g->gs->nonce, line, sizeof(line)));
	}
}

static void knock(struct guest *g, int64_t now)
{
	char line[128];
	int queued = 0;

	if (g->hvc_fd < 0 ||
	    now - g->knock_ms < (g->state == GUEST_NO_SHELL ? KNOCK_SLOW_MS : KNOCK_MS))
		return;
	/* Knock only on an empty line: while the guest has not opened hvc0,
	 * qemu reads nothing, and knocks must not pile up for it. */
	if (ioctl(g->hvc_fd, SIOCOUTQ, &queued) == 0 && queued > 0)
		return;
	g->knock_ms = now;
	hvc_type(g, line, boot_knock_line(g->gs->nonce, line, sizeof(line)));
}

/* ---- agent link ---- */

static void agent_close(struct guest *g)
{
	if (g->ag_fd < 0)
		return;
	ev_del(g->ag_w);
	close(g->ag_fd);
	g->ag_fd = -1;
	outq_fini(&g->out);
	/* A frame handler (a PONG, the relay's send of a frame) may close the
	 * link while the frame it was given still lives in the decoder. */
	if (!g->ag_busy)
		ap_decoder_fini(&g->dec);
}

static int agent_put(struct guest *g, const uint8_t *frame, size_t len)
{
	int r;

	if (g->ag_fd < 0)
		return -ENOTCONN;
	r = outq_put(&g->out, frame, len);
	if (r < 0)
		return r;
	r = outq_flush(&g->out, g->ag_fd);
	if (r < 0)
		agent_close(g);
	return r;
}

static void send_hello(struct guest *g)
{
	uint8_t f[AP_HDR_LEN + 64];
	int n = ap_put_hello(f, sizeof(f), g->gs->nonce, "vnld " VNL_VERSION);

	if (n > 0)
		agent_put(g, f, (size_t)n);
}

static void on_frame(struct guest *g, const struct ap_hdr *h, const uint8_t *payload)
{
	uint8_t f[AP_HDR_LEN + 16];
	uint64_t v;
	uint32_t version;
	const char *who;
	int n;

	switch (h->type) {
	case AP_HELLO:
		if (ap_parse_hello(payload, h->len, &version, &v, &who) < 0)
			return;
		snprintf(g->agent, sizeof(g->agent), "%s", who);
		if (v != g->gs->nonce) {
			send_hello(g); /* the agent started, or knew another vnld */
			return;
		}
		if (g->state != GUEST_READY)
			set_state(g, GUEST_READY, "");
		return;
	case AP_PING:
		if (ap_parse_u64(payload, h->len, &v) == 0 && (n = ap_put_ping(f, sizeof(f), AP_PONG, v)) > 0)
			agent_put(g, f, (size_t)n);
		return;
	case AP_PONG:
		return;
	default:
		if (h->chan != 0 && g->state == GUEST_READY && g->gs->hooks.frame)
			g->gs->hooks.frame(g, h, (uint8_t *)payload - AP_HDR_LEN, AP_HDR_LEN + h->len,
					   g->gs->hooks.arg);
	}
}

static void on_agent(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct guest *g = arg;
	const uint8_t *payload;
	struct ap_hdr h;

	(void)w;
	if (events & EPOLLOUT) {
		if (outq_flush(&g->out, fd) < 0) {
			agent_close(g);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	g->ag_busy = true;
	for (;;) {
		size_t room;
		uint8_t *space = ap_decoder_space(&g->dec, &room);
		ssize_t n = read(fd, space, room);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			agent_close(g); /* qemu went; QMP tells why */
			break;
		}
		ap_decoder_commit(&g->dec, (size_t)n);
		g->rx_ms = mono_ms();
		while (g->ag_fd >= 0 && ap_decoder_next(&g->dec, &h, &payload) == 1)
			on_frame(g, &h, payload);
		if (g->ag_fd < 0)
			break;
		/* The guest decides how often: rate limited, the totals say what was missed. */
		if (g->dec.bad != g->bad_seen &&
		    log_warning_rl(&g->rl_bad,
				   "vm %s: agent link: %llu bytes of malformed frames skipped (%llu so far)", g->name,
				   (unsigned long long)(g->dec.dropped - g->dropped_seen),
				   (unsigned long long)g->dec.dropped)) {
			g->bad_seen = g->dec.bad;
			g->dropped_seen = g->dec.dropped;
		}
		if ((size_t)n < room)
			break;
	}
	g->ag_busy = false;
	if (g->ag_fd < 0)
		ap_decoder_fini(&g->dec);
}

static void agent_connect(struct guest *g)
{
	int fd = unix_connect(g->p.agent, SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (ap_decoder_init(&g->dec) < 0) {
		close(fd);
		return;
	}
	g->bad_seen = g->dropped_seen = 0;
	g->out.cap = AGENT_QUEUE_MAX;
	g->ag_fd = fd;
	g->ag_w = ev_fd_add(g->gs->loop, fd, EPOLLIN, on_agent, g);
	if (g->ag_w == NULL) {
		close(fd);
		g->ag_fd = -1;
		ap_decoder_fini(&g->dec);
		return;
	}
	g->out.w = g->ag_w;
	g->rx_ms = mono_ms();
	/* An agent left running by a previous vnld answers at once. */
	send_hello(g);
}

/* ---- QMP ---- */

static void qmp_event(const char *name, const char *detail, void *arg)
{
	struct guest *g = arg;

	if (!strcmp(name, "RESET")) {
		set_state(g, GUEST_BOOTING, "the guest was reset");
	} else if (!strcmp(name, "SHUTDOWN")) {
		g->powered_off = true;
	} else if (!strcmp(name, "error")) {
		log_warning("vm %s: QMP: %s", g->name, detail ? detail : "error");
	}
}

static void qmp_closed(void *arg)
{
	struct guest *g = arg;

	g->links_known = false;

	hvc_close(g);
	agent_close(g);
	if (access(g->p.halted, F_OK) == 0)
		set_state(g, GUEST_STOPPED, "halted (vnl reboot starts it)");
	else if (g->powered_off)
		set_state(g, GUEST_STOPPED, "the guest powered off (vnl reboot starts it)");
	else
		set_state(g, GUEST_STOPPED, "qemu exited (see qemu.log in the node's folder; vnl reboot starts it)");
	g->powered_off = false;
}

/* Tell qemu the carrier of each NIC: up while linked, down while not (the
 * cable is pulled: the guest sees NO-CARRIER). */
static void apply_links(struct guest *g, unsigned nics)
{
	for (unsigned i = 0; i < nics && g->qmp.ready; i++) {
		uint64_t bit = 1ull << i;
		char args[64];

		if (g->links_known && (g->links_set & bit) == (g->links_want & bit))
			continue;
		snprintf(args, sizeof(args), "{\"name\":\"net%u\",\"up\":%s}", i,
			 g->links_want & bit ? "true" : "false");
		if (qmp_execute(&g->qmp, "set_link", args) < 0)
			return;
		g->links_set = (g->links_set & ~bit) | (g->links_want & bit);
	}
	if (g->qmp.ready)
		g->links_known = true;
}

/* ---- the tick ---- */

static void tick_one(struct guest *g, int64_t now)
{
	char info[256];

	if (g->starting)
		return;
	if (g->qmp.fd < 0) {
		if (vm_qemu_pid(&g->p) <= 0 || qmp_connect(&g->qmp, g->gs->loop, g->p.qmp) < 0) {
			if (g->state != GUEST_STOPPED)
				qmp_closed(g);
			return;
		}
		if (g->state == GUEST_STOPPED)
			set_state(g, GUEST_BOOTING, "");
	}
	if (g->hvc_fd < 0 && (g->hvc_fd = unix_connect(g->p.hvc0, SOCK_NONBLOCK)) >= 0 &&
	    (g->hvc_w = ev_fd_add(g->gs->loop, g->hvc_fd, EPOLLIN, on_hvc, g)) == NULL) {
		close(g->hvc_fd);
		g->hvc_fd = -1;
	}
	if (g->ag_fd < 0)
		agent_connect(g);
	apply_links(g, g->nics);
	switch (g->state) {
	case GUEST_BOOTING:
	case GUEST_LOST:
		if (now - g->boot_ms > g->gs->shell_ms) {
			snprintf(info, sizeof(info),
				 "no shell answered on hvc0 for %u s: the image needs a root auto-login shell on "
				 "/dev/hvc0 (image_scripts/README.md); see hvc0.log and console.log in %.100s",
				 g->gs->shell_ms / 1000, g->p.dir);
			set_state(g, GUEST_NO_SHELL, info);
		}
		/* fall through */
	case GUEST_NO_SHELL:
		knock(g, now);
		break;
	case GUEST_BOOTSTRAPPING:
		if (now - g->state_ms > GUEST_HELLO_MS) {
			set_state(g, GUEST_BOOTING, "the agent did not answer after the bootstrap (see hvc0.log); knocking again");
			g->boot_ms = now;
		}
		break;
	case GUEST_READY:
		if (now - g->rx_ms > AP_DEAD_MS) {
			set_state(g, GUEST_LOST, "the agent fell silent; knocking on hvc0 again");
			break;
		}
		if (now - g->ping_ms >= AP_PING_MS) {
			uint8_t f[AP_HDR_LEN + 8];
			int n = ap_put_ping(f, sizeof(f), AP_PING, ++g->seq);

			g->ping_ms = now;
			if (n > 0)
				agent_put(g, f, (size_t)n);
		}
		break;
	case GUEST_STOPPED:
		break;
	}
}

static void on_tick(struct ev_watch *w, void *arg)
{
	struct guests *gs = arg;
	int64_t now = mono_ms();

	(void)w;
	for (struct guest *g = gs->list; g; g = g->next)
		tick_one(g, now);
}

/* ---- the set of guests ---- */

static void guest_free(struct guest *g)
{
	hvc_close(g);
	agent_close(g);
	qmp_close(&g->qmp);
	if (g->hvc_log >= 0)
		close(g->hvc_log);
	if (g->state == GUEST_READY && g->gs->hooks.ready)
		g->gs->hooks.ready(g, false, g->gs->hooks.arg);
	free(g);
}

static struct guest *guest_new(struct guests *gs, const char *name)
{
	struct guest *g = calloc(1, sizeof(*g));
	char path[PATH_MAX + 16];

	if (g == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->gs = gs;
	vm_paths(gs->lab, name, &g->p);
	g->hvc_fd = g->ag_fd = g->qmp.fd = -1;
	g->rl_bad = RATELIMIT_INIT(LOG_RATELIMIT_MS, LOG_RATELIMIT_BURST);
	g->qmp.event = qmp_event;
	g->qmp.closed = qmp_closed;
	g->qmp.arg = g;
	g->state = GUEST_STOPPED;
	g->state_ms = g->boot_ms = mono_ms();
	snprintf(path, sizeof(path), "%s/hvc0.log", g->p.dir);
	g->hvc_log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	g->next = gs->list;
	gs->list = g;
	return g;
}

struct guests *guests_new(struct evloop *loop, const char *lab, const struct guest_hooks *hooks,
			  guest_emit_fn emit, void *emit_arg)
{
	struct guests *gs = calloc(1, sizeof(*gs));

	if (gs == NULL)
		return NULL;
	gs->loop = loop;
	snprintf(gs->lab, sizeof(gs->lab), "%s", lab);
	if (hooks)
		gs->hooks = *hooks;
	gs->emit = emit;
	gs->emit_arg = emit_arg;
	if (getrandom(&gs->nonce, sizeof(gs->nonce), 0) != sizeof(gs->nonce))
		gs->nonce = (uint32_t)mono_ms() ^ (uint32_t)getpid();
	gs->nonce |= 1; /* never 0: that is the agent's "I just started" */
	gs->shell_ms = GUEST_SHELL_MS;
	if (getenv("VNL_GUEST_SHELL_S") && atoi(getenv("VNL_GUEST_SHELL_S")) > 0)
		gs->shell_ms = (unsigned)atoi(getenv("VNL_GUEST_SHELL_S")) * 1000;
	gs->tick = ev_timer_add(loop, TICK_MS, on_tick, gs);
	if (gs->tick == NULL) {
		free(gs);
		return NULL;
	}
	return gs;
}

void guests_free(struct guests *gs)
{
	if (gs == NULL)
		return;
	gs->hooks.ready = NULL; /* the relay may be gone already */
	while (gs->list) {
		struct guest *g = gs->list;

		gs->list = g->next;
		guest_free(g);
	}
	ev_del(gs->tick);
	free(gs);
}

void guests_sync(struct guests *gs, const struct topo *t)
{
	struct guest **pp, *g;

	for (g = gs->list; g; g = g->next)
		g->seen = false;
	for (unsigned i = 0; i < t->n_nodes; i++) {
		const struct topo_node *n = &t->nodes[i];

		if (n->kind != node_kind_vm.schema)
			continue;
		bool fresh = false;

		g = guests_find(gs, n->name);
		if (g == NULL && (g = guest_new(gs, n->name)) != NULL)
			fresh = true;
		if (g == NULL)
			continue;
		g->seen = true;
		g->nics = n->nics > 64 ? 64 : n->nics;
		g->links_want = 0;
		for (unsigned k = 0; k < t->n_links; k++)
			if (!strcmp(t->links[k].node, n->name) && t->links[k].nic < 64)
				g->links_want |= 1ull << t->links[k].nic;
		if (fresh)
			tick_one(g, mono_ms()); /* connects, and sets the carriers */
		else
			apply_links(g, g->nics);
	}
	for (pp = &gs->list; (g = *pp) != NULL;) {
		if (g->seen) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		guest_free(g);
	}
}

struct guest *guests_find(struct guests *gs, const char *name)
{
	for (struct guest *g = gs->list; g; g = g->next)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

int64_t guest_ready_ms(const struct guest *g)
{
	return g->state == GUEST_READY ? mono_ms() - g->state_ms : -1;
}

void guest_status_json(const struct guest *g, struct json_object *out)
{
	json_object_object_add(out, "state", json_object_new_string(state_names[g->state]));
	json_object_object_add(out, "state_info", json_object_new_string(g->info));
	json_object_object_add(out, "state_secs",
			       json_object_new_int((int)((mono_ms() - g->state_ms) / 1000)));
	if (g->state == GUEST_READY)
		json_object_object_add(out, "agent", json_object_new_string(g->agent));
}

int guest_send(struct guest *g, const uint8_t *frame, size_t len)
{
	if (g->state != GUEST_READY)
		return -ENOTCONN;
	return agent_put(g, frame, len);
}

uint32_t guest_new_chan(struct guest *g, bool (*in_use)(struct guest *g, uint32_t id, void *arg), void *arg)
{
	do {
		if (++g->next_chan == 0 || g->next_chan > 0x7fffffff)
			g->next_chan = 1;
	} while (in_use && in_use(g, g->next_chan, arg));
	return g->next_chan;
}

int guest_reset(struct guest *g, struct vnl_err *err)
{
	int r = qmp_execute(&g->qmp, "system_reset", NULL);

	if (r < 0)
		return vnl_errf(err, r, "vm %s: qemu's QMP is not connected (is it running?)", g->name);
	set_state(g, GUEST_BOOTING, "reset by vnl reboot");
	return 0;
}

void guest_stopped(struct guest *g, const char *why)
{
	g->starting = false;
	hvc_close(g);
	agent_close(g);
	qmp_close(&g->qmp);
	set_state(g, GUEST_STOPPED, why);
}

void guest_starting(struct guest *g)
{
	g->starting = true;
}

void guest_started(struct guest *g)
{
	g->starting = false;
	g->powered_off = false;
	tick_one(g, mono_ms());
}
