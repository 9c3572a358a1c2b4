/* SPDX-License-Identifier: GPL-2.0-only */
/* vnld's session relay between clients and guests' agents (vm_relay.h). */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "outq.h"
#include "unixsock.h"
#include "vm_relay.h"

LOG_SUBSYS("sessions");

#define FRAME_MAX (AP_HDR_LEN + AP_MAX_PAYLOAD)

struct client {
	struct relay *r;
	int fd;
	struct ev_watch *w;
	struct ap_decoder dec;
	struct outq out;        /* watches through w */
	uint64_t bad_seen;      /* the decoder's resyncs last logged */
	bool dead;              /* dropped: fd closed, sessions detached; freed by reap() */
	struct client *next;
};

struct session {
	struct client *c;       /* NULL once the client left (waiting for the agent's CLOSE) */
	uint32_t cchan;
	struct guest *g;        /* NULL while waiting for the guest */
	char node[TOPO_NAME_MAX + 1];
	uint32_t gchan;
	uint8_t *open;          /* a waiting OPEN, whole frame (malloc'ed) */
	size_t open_len;
	int64_t deadline_ms;    /* of a waiting OPEN */
	bool dead;              /* ended: skipped by every walk; freed by reap() */
	/* vnld's own session (relay_exec; c is NULL): done is called once, then
	 * cleared; out collects the command's output. */
	relay_done_fn done;
	void *done_arg;
	char out[RELAY_OWN_TEXT];
	size_t out_len;
	struct session *next;
};

struct relay {
	char lab[TOPO_NAME_MAX + 1];
	char path[108];
	int fd;
	struct ev_watch *w, *tick;
	struct evloop *loop;
	struct guests **gs;
	struct client *clients;
	struct session *sessions;
	unsigned n_sessions;    /* live sessions (not dead) */
	unsigned depth;         /* relay callbacks on the stack (relay_enter) */
	bool reap;              /* a client or session died since the last reap */
};

static void client_drop(struct client *c);

/*
 * Lifetime of clients and sessions: a frame handler can end the object it
 * runs for, or the one a walk holds as "next" (a client that does not read
 * is dropped by any client_put, which ends its waiting sessions; a failing
 * send to a guest ends a session).  So nothing is freed inside a callback:
 * ending an object marks it dead (lookups and walks skip it, its fd and
 * watch go at once), and the last relay callback to leave the stack frees
 * the dead ones.  Every entry point from the loop or from guest.c brackets
 * its work with relay_enter() / relay_leave().
 */
static void reap(struct relay *r)
{
	r->reap = false;
	for (struct client **pp = &r->clients, *c; (c = *pp) != NULL;) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		ap_decoder_fini(&c->dec);
		outq_fini(&c->out);
		free(c);
	}
	for (struct session **pp = &r->sessions, *s; (s = *pp) != NULL;) {
		if (!s->dead) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		free(s);
	}
}

static void relay_enter(struct relay *r)
{
	r->depth++;
}

static void relay_leave(struct relay *r)
{
	if (--r->depth == 0 && r->reap)
		reap(r);
}

/* ---- clients ---- */

/* Queue a frame to a client; a client that does not read is dropped. */
static int client_put(struct client *c, const uint8_t *frame, size_t len)
{
	int r;

	if (c->dead)
		return -EPIPE;
	r = outq_put(&c->out, frame, len);

	if (r == 0)
		r = outq_flush(&c->out, c->fd);
	if (r < 0) {
		if (r == -ENOBUFS)
			log_warning("a client does not read what it asked for; dropping it");
		client_drop(c);
	}
	return r;
}

static void client_close_chan(struct client *c, uint32_t chan, int code, const char *msg)
{
	uint8_t f[AP_HDR_LEN + 8 + AP_MAX_MSG];
	int n = ap_put_close(f, sizeof(f), chan, code, msg);

	if (n > 0)
		client_put(c, f, (size_t)n);
}

/* ---- sessions ---- */

/* Tell the owner of vnld's own session how it ended (once). */
static void own_done(struct session *s, int code, const char *text)
{
	relay_done_fn done = s->done;

	s->done = NULL;
	if (done)
		done(code, text, s->done_arg);
}

/* End a session: dead from now on, freed by reap(). Idempotent. */
static void session_free(struct relay *r, struct session *s)
{
	if (s->dead)
		return;
	own_done(s, -ECANCELED, "vnld closes the lab's sessions");
	s->dead = true;
	free(s->open);
	s->open = NULL;
	r->n_sessions--;
	r->reap = true;
}

static struct session *by_client(struct relay *r, struct client *c, uint32_t chan)
{
	for (struct session *s = r->sessions; s; s = s->next)
		if (!s->dead && s->c == c && s->cchan == chan)
			return s;
	return NULL;
}

static struct session *by_guest(struct relay *r, struct guest *g, uint32_t chan)
{
	for (struct session *s = r->sessions; s; s = s->next)
		if (!s->dead && s->g == g && s->gchan == chan)
			return s;
	return NULL;
}

static bool chan_in_use(struct guest *g, uint32_t id, void *arg)
{
	return by_guest(arg, g, id) != NULL;
}

static void guest_close_chan(struct guest *g, uint32_t chan, int code, const char *msg)
{
	uint8_t f[AP_HDR_LEN + 8 + AP_MAX_MSG];
	int n = ap_put_close(f, sizeof(f), chan, code, msg);

	if (n > 0)
		guest_send(g, f, (size_t)n);
}

/* End a session from vnld's side: the client hears why (if it is there). */
static void session_fail(struct relay *r, struct session *s, int code, const char *msg)
{
	if (s->c)
		client_close_chan(s->c, s->cchan, code, msg);
	own_done(s, code, msg);
	session_free(r, s);
}

/* Hand a waiting or new OPEN to a ready guest. */
static void session_start(struct relay *r, struct session *s, struct guest *g, uint8_t *frame, size_t len)
{
	int e;

	s->g = g;
	s->gchan = guest_new_chan(g, chan_in_use, r);
	ap_set_chan(frame, s->gchan);
	e = guest_send(g, frame, len);
	if (e < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "vm %s cannot take a session now: %s", s->node, strerror(-e));
		session_fail(r, s, e, msg);
	}
}

static void not_ready_msg(struct guest *g, char *msg, size_t size)
{
	const char *info = guest_state_info(g);

	snprintf(msg, size, "vm %s is not ready (state %s%s%s); vnl wait %s", guest_name(g),
		 guest_state_name(guest_state(g)), info[0] ? ": " : "", info, guest_name(g));
}

static void on_client_open(struct relay *r, struct client *c, const struct ap_hdr *h, uint8_t *frame)
{
	const uint8_t *payload = frame + AP_HDR_LEN;
	struct ap_open o = { 0 };
	struct session *s;
	struct guest *g;
	const char *target;
	char msg[AP_MAX_MSG];

	if (ap_parse_open_target(payload, h->len, &target) < 0 || h->len < 10) {
		client_close_chan(c, h->chan, -EPROTO, "malformed OPEN");
		return;
	}
	memcpy(&o.wait_ms, payload + 6, 4); /* u32 at offset 6, little-endian (agentproto.h) */
	o.wait_ms = le32toh(o.wait_ms);
	if (by_client(r, c, h->chan)) {
		client_close_chan(c, h->chan, -EEXIST, "channel id in use on this link");
		return;
	}
	g = *r->gs ? guests_find(*r->gs, target) : NULL;
	if (g == NULL) {
		snprintf(msg, sizeof(msg), "no vm named '%.15s' in lab %s", target, r->lab);
		client_close_chan(c, h->chan, -ENOENT, msg);
		return;
	}
	if (r->n_sessions >= RELAY_SESSIONS_MAX || (s = calloc(1, sizeof(*s))) == NULL) {
		client_close_chan(c, h->chan, -EMFILE, "too many sessions in this lab");
		return;
	}
	s->c = c;
	s->cchan = h->chan;
	snprintf(s->node, sizeof(s->node), "%s", target);
	s->next = r->sessions;
	r->sessions = s;
	r->n_sessions++;
	if (guest_state(g) == GUEST_READY) {
		session_start(r, s, g, frame, AP_HDR_LEN + h->len);
		return;
	}
	if (o.wait_ms == 0 || (s->open = malloc(AP_HDR_LEN + h->len)) == NULL) {
		not_ready_msg(g, msg, sizeof(msg));
		session_fail(r, s, -EHOSTDOWN, msg);
		return;
	}
	memcpy(s->open, frame, AP_HDR_LEN + h->len);
	s->open_len = AP_HDR_LEN + h->len;
	s->deadline_ms = mono_ms() + o.wait_ms;
}

static void on_client_frame(struct relay *r, struct client *c, const struct ap_hdr *h, uint8_t *frame)
{
	struct session *s;
	int e;

	if (h->chan == 0) {
		if (h->type == AP_PING) {
			uint8_t f[AP_HDR_LEN + 8];
			uint64_t seq;
			int n;

			if (ap_parse_u64(frame + AP_HDR_LEN, h->len, &seq) == 0 &&
			    (n = ap_put_ping(f, sizeof(f), AP_PONG, seq)) > 0)
				client_put(c, f, (size_t)n);
		}
		return;
	}
	if (h->type == AP_OPEN) {
		on_client_open(r, c, h, frame);
		return;
	}
	s = by_client(r, c, h->chan);
	if (s == NULL)
		return; /* a late frame of a session that ended */
	if (s->g == NULL) {
		/* Waiting for the guest: only a CLOSE means something. */
		if (h->type == AP_CLOSE) {
			client_close_chan(c, h->chan, -ECANCELED, "cancelled");
			session_free(r, s);
		}
		return;
	}
	ap_set_chan(frame, s->gchan);
	e = guest_send(s->g, frame, AP_HDR_LEN + h->len);
	if (e < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "vm %s: session broken: %s", s->node, strerror(-e));
		guest_close_chan(s->g, s->gchan, -ECONNRESET, "");
		session_fail(r, s, e, msg);
	}
}

/* Drop a client: its fd and watch go now, the rest in reap(). Idempotent. */
static void client_drop(struct client *c)
{
	struct relay *r = c->r;

	if (c->dead)
		return;
	c->dead = true;
	r->reap = true;
	for (struct session *s = r->sessions; s; s = s->next) {
		if (s->dead || s->c != c)
			continue;
		if (s->g == NULL) {
			session_free(r, s);
			continue;
		}
		/* The agent ends the session and answers CLOSE; until then the
		 * session stays so that its id is not reused. */
		guest_close_chan(s->g, s->gchan, -ECONNRESET, "the client went away");
		s->c = NULL;
	}
	ev_del(c->w);
	c->w = c->out.w = NULL;
	close(c->fd);
	c->fd = -1;
}

static void on_client(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct relay *r = c->r;
	const uint8_t *payload;
	struct ap_hdr h;

	(void)w;
	relay_enter(r);
	if ((events & EPOLLOUT) && outq_flush(&c->out, fd) < 0)
		client_drop(c);
	if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		goto out;
	{
		size_t room;
		uint8_t *space = ap_decoder_space(&c->dec, &room);
		ssize_t n = read(fd, space, room);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			goto out;
		if (n <= 0) {
			client_drop(c);
			goto out;
		}
		ap_decoder_commit(&c->dec, (size_t)n);
	}
	/* A frame handler may drop the client; it stays allocated till we leave. */
	while (!c->dead && ap_decoder_next(&c->dec, &h, &payload) == 1)
		on_client_frame(r, c, &h, (uint8_t *)payload - AP_HDR_LEN);
	/* Limited per call site (vnld has one relay), not per client: a
	 * client that reconnects gets no new budget. */
	if (c->dec.bad != c->bad_seen) {
		log_warning_ratelimited("a client sent malformed frames: %llu bytes skipped",
					(unsigned long long)c->dec.dropped);
		c->bad_seen = c->dec.bad;
	}
out:
	relay_leave(r);
}

static void on_accept(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct relay *r = arg;
	struct client *c;
	int cfd;

	(void)w, (void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || ap_decoder_init(&c->dec) < 0) {
		free(c);
		close(cfd);
		return;
	}
	c->r = r;
	c->fd = cfd;
	c->out.cap = RELAY_CLIENT_QUEUE_MAX;
	c->w = ev_fd_add(r->loop, cfd, EPOLLIN, on_client, c);
	if (c->w == NULL) {
		ap_decoder_fini(&c->dec);
		close(cfd);
		free(c);
		return;
	}
	c->out.w = c->w;
	c->next = r->clients;
	r->clients = c;
}

/* ---- vnld's own sessions ---- */

/* A frame of vnld's own session from the agent: output kept, CLOSE ends it.
 * The output is small (one window is never used up: no WINDOW needed). */
static void own_frame(struct session *s, const struct ap_hdr *h, const uint8_t *payload)
{
	const uint8_t *data;
	const char *msg;
	uint8_t stream;
	int32_t code;
	uint32_t n;

	if (h->type == AP_DATA && ap_parse_data(payload, h->len, &stream, &data, &n) == 0) {
		n = (uint32_t)(n < sizeof(s->out) - 1 - s->out_len ? n : sizeof(s->out) - 1 - s->out_len);
		memcpy(s->out + s->out_len, data, n);
		s->out_len += n;
		s->out[s->out_len] = '\0';
	} else if (h->type == AP_CLOSE) {
		if (ap_parse_close(payload, h->len, &code, &msg) < 0) {
			code = -EPROTO;
			msg = "malformed CLOSE";
		}
		while (s->out_len && s->out[s->out_len - 1] == '\n')
			s->out[--s->out_len] = '\0';
		own_done(s, code, s->out_len || code >= 0 ? s->out : msg);
	}
}

int relay_exec(struct relay *r, struct guest *g, unsigned argc, const char *const argv[], relay_done_fn done,
	       void *arg)
{
	struct ap_open o = { .op = AP_OP_EXEC, .target = guest_name(g), .argc = argc, .argv = argv };
	uint8_t f[2048];
	struct session *s;
	int n, e;

	if (guest_state(g) != GUEST_READY)
		return -EHOSTDOWN;
	if (r->n_sessions >= RELAY_SESSIONS_MAX)
		return -EMFILE;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	relay_enter(r);
	snprintf(s->node, sizeof(s->node), "%s", guest_name(g));
	s->g = g;
	s->gchan = guest_new_chan(g, chan_in_use, r);
	s->next = r->sessions;
	r->sessions = s;
	r->n_sessions++;
	if ((n = ap_put_open(f, sizeof(f), s->gchan, &o)) < 0)
		e = n;
	else
		e = guest_send(g, f, (size_t)n);
	if (e == 0) {
		s->done = done; /* from now on, done is called once */
		s->done_arg = arg;
	} else {
		session_free(r, s);
	}
	relay_leave(r);
	return e;
}

/* ---- guest side (guest_hooks) ---- */

static void from_guest(struct guest *g, const struct ap_hdr *h, uint8_t *frame, size_t len, void *arg)
{
	struct relay *r = arg;
	struct session *s;

	relay_enter(r);
	s = by_guest(r, g, h->chan);
	if (s == NULL) {
		/* A session this vnld does not know (a previous vnld's): end it. */
		if (h->type != AP_CLOSE)
			guest_close_chan(g, h->chan, -ECONNRESET, "unknown session");
		goto out;
	}
	if (s->c) {
		ap_set_chan(frame, s->cchan);
		client_put(s->c, frame, len); /* may drop the client, not s */
	}
	if (s->done)
		own_frame(s, h, frame + AP_HDR_LEN);
	if (h->type == AP_CLOSE)
		session_free(r, s);
out:
	relay_leave(r);
}

static void guest_ready(struct guest *g, bool ready, void *arg)
{
	struct relay *r = arg;
	char msg[AP_MAX_MSG];

	relay_enter(r);
	for (struct session *s = r->sessions; s; s = s->next) {
		if (s->dead)
			continue;
		if (ready && s->g == NULL && s->open && !strcmp(s->node, guest_name(g))) {
			uint8_t *frame = s->open;

			s->open = NULL;
			session_start(r, s, g, frame, s->open_len);
			free(frame);
		} else if (!ready && s->g == g) {
			snprintf(msg, sizeof(msg), "lost contact with the agent of vm %s (%s)", guest_name(g),
				 guest_state_name(guest_state(g)));
			session_fail(r, s, -EHOSTDOWN, msg);
		}
	}
	relay_leave(r);
}

static void on_tick(struct ev_watch *w, void *arg)
{
	struct relay *r = arg;
	int64_t now = mono_ms();
	char msg[AP_MAX_MSG];

	(void)w;
	relay_enter(r);
	for (struct session *s = r->sessions; s; s = s->next) {
		struct guest *g;

		if (s->dead || s->g || now < s->deadline_ms)
			continue;
		g = *r->gs ? guests_find(*r->gs, s->node) : NULL;
		if (g)
			not_ready_msg(g, msg, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "vm %s is gone", s->node);
		session_fail(r, s, -ETIMEDOUT, msg);
	}
	relay_leave(r);
}

struct relay *relay_new(struct evloop *loop, const char *lab, const char *path, struct guests **gs,
			struct guest_hooks *hooks)
{
	struct relay *r = calloc(1, sizeof(*r));
	int e;

	if (r == NULL)
		return NULL;
	r->loop = loop;
	r->gs = gs;
	snprintf(r->lab, sizeof(r->lab), "%s", lab);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->fd = unix_listen(path, 0660);
	if (r->fd < 0) {
		errno = -r->fd;
		goto fail;
	}
	r->w = ev_fd_add(loop, r->fd, EPOLLIN, on_accept, r);
	r->tick = ev_timer_add(loop, 200, on_tick, r);
	if (r->w == NULL || r->tick == NULL)
		goto fail_unlink;
	hooks->frame = from_guest;
	hooks->ready = guest_ready;
	hooks->arg = r;
	return r;
fail_unlink:
	unlink(path);
fail:
	e = errno;
	ev_del(r->w);
	ev_del(r->tick);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	errno = e;
	return NULL;
}

void relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	relay_enter(r);
	for (struct client *c = r->clients; c; c = c->next)
		client_drop(c);
	for (struct session *s = r->sessions; s; s = s->next)
		session_free(r, s);
	relay_leave(r);
	ev_del(r->w);
	ev_del(r->tick);
	close(r->fd);
	unlink(r->path);
	free(r);
}
