/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The link: the one descriptor the agent speaks the protocol on.
 *
 * Input: read into the decoder (which resyncs past garbage by itself), link
 * frames handled here (HELLO, PING, PONG), channel frames passed to chan.c.
 * Input is not read while the output queue is above LINK_DATA_HIGH, so a
 * host that sends without reading cannot make the agent queue without end.
 *
 * Output: one queue of whole frames, LINK_OUT_CAP bytes.  Producers of DATA
 * write straight into it (link_data_space) only below LINK_DATA_HIGH;
 * control frames may use the rest.  It is written out whenever the
 * descriptor takes it (non-blocking).
 *
 * Host presence.  LINK_PORT (virtio-serial): while the host side is not
 * connected, read() gives 0 and poll() POLLHUP, forever; the agent then
 * ends every channel, forgets buffered bytes both ways and checks every
 * LINK_RETRY_MS (without polling the port, which would spin) until POLLHUP
 * clears, then says HELLO again.  LINK_FD: end of file ends the agent.
 *
 * Peer liveness: PING every AP_PING_MS; once a HELLO came, AP_DEAD_MS
 * without any byte from the peer ends every channel (see agentproto.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static struct {
	int fd;
	enum link_kind kind;
	bool up;               /* the host is there (PORT) / the socket is open (FD) */
	bool done;             /* FD link ended: the agent exits */
	struct ap_decoder dec;
	uint8_t *out;          /* output queue: frames in [off, len) */
	size_t off, len;
	uint64_t last_rx;      /* last byte from the peer */
	uint64_t next_ping;
	uint64_t next_check;   /* PORT, host gone: next look for it */
	uint64_t ping_seq;
	uint64_t nonce;        /* the current peer's HELLO nonce (0: none yet) */
	bool armed;            /* a HELLO came: the peer-lost deadline runs */
	uint64_t bad_seen, dropped_seen; /* decoder counters already logged */
} L = { .fd = -1 };

static struct ratelimit link_rl = RATELIMIT_INIT(5000, 10);

static size_t pending(void)
{
	return L.len - L.off;
}

static void compact(void)
{
	if (L.off == 0)
		return;
	memmove(L.out, L.out + L.off, L.len - L.off);
	L.len -= L.off;
	L.off = 0;
}

static void say_hello(uint64_t nonce)
{
	uint8_t f[AP_HDR_LEN + 16 + AP_MAX_MSG];
	int n = ap_put_hello(f, sizeof(f), nonce, "vnl-agent " VNL_VERSION);

	if (n > 0)
		link_send(f, (size_t)n);
}

static void link_up(const char *why)
{
	uint64_t now = now_ms();

	L.up = true;
	L.off = L.len = 0;
	ap_decoder_reset(&L.dec);
	L.last_rx = now;
	L.next_ping = now + AP_PING_MS;
	L.armed = false;
	alog(LOG_I, "link up (%s)", why);
	say_hello(0);
}

static void link_down(const char *why)
{
	alog(LOG_I, "link down (%s)%s", why, chan_count() ? ": ending every channel" : "");
	chan_end_all(why);
	L.up = false;
	L.off = L.len = 0;
	ap_decoder_reset(&L.dec);
	L.next_check = now_ms() + LINK_RETRY_MS;
	if (L.kind == LINK_FD)
		L.done = true;
}

/* PORT: the host side is connected when poll() does not say POLLHUP. */
static bool host_there(void)
{
	struct pollfd p = { .fd = L.fd, .events = POLLIN };

	return poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

int link_init(int fd, enum link_kind kind)
{
	int r = ap_decoder_init(&L.dec);

	if (r < 0)
		return r;
	L.out = malloc(LINK_OUT_CAP);
	if (L.out == NULL) {
		ap_decoder_fini(&L.dec);
		return -ENOMEM;
	}
	L.fd = fd;
	L.kind = kind;
	if (kind == LINK_FD || host_there())
		link_up(kind == LINK_FD ? "connected" : "host connected");
	else
		alog(LOG_I, "waiting for the host to open the port");
	L.next_check = now_ms() + LINK_RETRY_MS;
	return 0;
}

bool link_done(void)
{
	return L.done;
}

int link_send(const uint8_t *frame, size_t n)
{
	if (!L.up)
		return -ENOTCONN;
	if (LINK_OUT_CAP - L.len < n)
		compact();
	if (LINK_OUT_CAP - L.len < n) {
		alog_rl(&link_rl, LOG_W, "output queue full (the host does not read), %s frame dropped",
			ap_type_name(frame[3]));
		return -ENOBUFS;
	}
	memcpy(L.out + L.len, frame, n);
	L.len += n;
	return 0;
}

uint8_t *link_data_space(size_t need)
{
	if (!L.up || pending() >= LINK_DATA_HIGH)
		return NULL;
	if (LINK_OUT_CAP - L.len < need)
		compact();
	return LINK_OUT_CAP - L.len < need ? NULL : L.out + L.len;
}

bool link_room(void)
{
	return L.up && pending() < LINK_DATA_HIGH;
}

void link_commit(size_t n)
{
	L.len += n;
}

static void flush(void)
{
	ssize_t n;

	while (L.up && pending() > 0) {
		n = write(L.fd, L.out + L.off, pending());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				link_down(strerror(errno));
			return;
		}
		L.off += (size_t)n;
	}
	if (pending() == 0)
		L.off = L.len = 0;
}

static void on_hello(const uint8_t *p, uint32_t len)
{
	const char *who;
	uint32_t version;
	uint64_t nonce;

	if (ap_parse_hello(p, len, &version, &nonce, &who) < 0) {
		alog_rl(&link_rl, LOG_W, "malformed HELLO (%" PRIu32 " bytes), ignoring", len);
		return;
	}
	if (version != AP_VERSION)
		alog(LOG_W, "peer '%s' speaks version %" PRIu32 ", this agent %u", who, version, AP_VERSION);
	if (nonce != L.nonce) {
		alog(LOG_I, "new peer '%s' (nonce %016" PRIx64 ")", who, nonce);
		if (chan_count())
			chan_end_all("a new peer said HELLO");
		L.nonce = nonce;
	}
	L.armed = true;
	say_hello(nonce);
}

static void on_frame(const struct ap_hdr *h, const uint8_t *p)
{
	uint8_t f[AP_HDR_LEN + 8];
	uint64_t seq;
	int n;

	switch (h->type) {
	case AP_HELLO:
		on_hello(p, h->len);
		break;
	case AP_PING:
		if (ap_parse_u64(p, h->len, &seq) == 0 && (n = ap_put_ping(f, sizeof(f), AP_PONG, seq)) > 0)
			link_send(f, (size_t)n);
		break;
	case AP_PONG:
		break; /* any byte counts as life (last_rx) */
	default:
		chan_input(h, p);
		break;
	}
}

static void log_resyncs(void)
{
	if (L.dec.bad == L.bad_seen)
		return;
	alog_rl(&link_rl, LOG_W, "link: %" PRIu64 " bytes skipped over %" PRIu64 " bad headers or garbage runs, resynced",
		L.dec.dropped - L.dropped_seen, L.dec.bad - L.bad_seen);
	L.bad_seen = L.dec.bad;
	L.dropped_seen = L.dec.dropped;
}

static void receive(void)
{
	const uint8_t *p;
	struct ap_hdr h;
	size_t room;
	uint8_t *sp;
	ssize_t n;

	sp = ap_decoder_space(&L.dec, &room);
	n = read(L.fd, sp, room);
	if (n == 0) {
		link_down(L.kind == LINK_PORT ? "host closed the port" : "end of file");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			link_down(strerror(errno));
		return;
	}
	L.last_rx = now_ms();
	ap_decoder_commit(&L.dec, (size_t)n);
	/* Frames may end the link (a HELLO does not, a write error may). */
	while (L.up && ap_decoder_next(&L.dec, &h, &p) == 1)
		on_frame(&h, p);
	log_resyncs();
}

static void link_ready(void *obj, int tag, short revents)
{
	(void)obj;
	(void)tag;
	if (revents & POLLOUT)
		flush();
	if (L.up && (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		receive();
}

void link_poll(struct pollset *ps)
{
	short ev = 0;

	flush(); /* what this iteration queued, at once */
	if (!L.up)
		return;
	if (pending() < LINK_DATA_HIGH)
		ev |= POLLIN;
	if (pending() > 0)
		ev |= POLLOUT;
	ps_add(ps, L.fd, ev, link_ready, NULL, 0);
}

static int until(uint64_t t, uint64_t now)
{
	return t <= now ? 0 : t - now > 60000 ? 60000 : (int)(t - now);
}

int link_tick(uint64_t now)
{
	uint8_t f[AP_HDR_LEN + 8];
	int n, ms;

	if (!L.up) {
		if (L.kind != LINK_PORT)
			return 60000;
		if (now >= L.next_check) {
			L.next_check = now + LINK_RETRY_MS;
			if (host_there())
				link_up("host connected");
		}
		if (!L.up)
			return until(L.next_check, now);
	}
	if (now >= L.next_ping) {
		L.next_ping = now + AP_PING_MS;
		if ((n = ap_put_ping(f, sizeof(f), AP_PING, ++L.ping_seq)) > 0)
			link_send(f, (size_t)n);
	}
	if (L.armed && now - L.last_rx >= AP_DEAD_MS) {
		alog(LOG_W, "peer silent for %u ms: lost%s", AP_DEAD_MS, chan_count() ? ", ending every channel" : "");
		chan_end_all("peer lost");
		L.armed = false;
	}
	ms = until(L.next_ping, now);
	if (L.armed && until(L.last_rx + AP_DEAD_MS, now) < ms)
		ms = until(L.last_rx + AP_DEAD_MS, now);
	return ms;
}
