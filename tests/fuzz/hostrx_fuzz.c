/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for vnld's handling of frames from a guest: the input
 * is what a guest's agent writes on its agent link.  The vm kind's vm_guest.c
 * (on_agent, on_frame: HELLO, PING, readiness) and vm_relay.c (from_guest:
 * routing to the session's client, CLOSE, unknown sessions) run on vnld's
 * event loop (one batch of events per turn), with one ready guest whose agent link is a socketpair and one
 * session client on the relay's real socket that opens byte 0 % 8 sessions
 * first (guest channel ids 1..N) and reads what comes.  No qemu: the guest
 * is made ready by hand, as a HELLO with the right nonce would.  At the end
 * the link closes, the client leaves, everything is freed.  Built and run
 * by run_fuzz.sh.
 */
#include <sys/eventfd.h>

#include "../../endpoints/vm_guest.c"
#include "vm_relay.h"

static char dir[96], sock[108];

static void stop(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	(void)w, (void)fd, (void)events;
	evloop_stop(arg);
}

/* n turns of vnld's loop: each dispatches one batch of ready events, since
 * an eventfd that is always readable stops the loop in every batch. */
static void turns(struct evloop *l, int n)
{
	while (n-- > 0)
		evloop_run(l);
}

/* Read and drop what waits on fd; the byte count. */
static size_t drain(int fd)
{
	static uint8_t buf[1 << 16];
	size_t total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
	return total;
}

static void rm_dir(void)
{
	unlink(sock);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	stderr = fopen("/dev/null", "w"); /* vnld's log lines; sanitizer reports use fd 2 */
	/* In $TMPDIR: run_fuzz.sh and bench/fuzz remove it even after a crash. */
	snprintf(dir, sizeof(dir), "%s/vnl-hostrx-fuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	atexit(rm_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_hooks hooks = { 0 };
	struct guests *gs = NULL;
	struct evloop *loop;
	struct relay *r;
	struct guest *g;
	int sv[2], cl, efd;
	unsigned nsess;

	if (size < 1 || size > 100000)
		return 0;
	loop = evloop_new();
	r = loop ? relay_new(loop, "fuzz-hostrx", sock, &gs, &hooks) : NULL;
	if (r == NULL || (gs = guests_new(loop, "fuzz-hostrx", &hooks, NULL, NULL)) == NULL)
		abort();
	efd = eventfd(1, EFD_CLOEXEC);
	if (efd < 0 || ev_fd_add(loop, efd, EPOLLIN, stop, loop) == NULL)
		abort();
	g = guest_new(gs, "v1");
	if (g == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
	    ap_decoder_init(&g->dec) < 0)
		abort();
	/* The agent link as agent_connect() makes it. */
	g->out.cap = AGENT_QUEUE_MAX;
	g->ag_fd = sv[0];
	g->ag_w = g->out.w = ev_fd_add(loop, sv[0], EPOLLIN, on_agent, g);
	g->rx_ms = mono_ms();
	set_state(g, GUEST_READY, "");

	cl = unix_connect(sock, SOCK_NONBLOCK);
	if (cl < 0)
		abort();
	nsess = data[0] % 8;
	for (unsigned i = 1; i <= nsess; i++) {
		uint8_t f[AP_HDR_LEN + 64];
		struct ap_open o = { .op = AP_OP_INFO, .target = "v1" };
		int n = ap_put_open(f, sizeof(f), i, &o);

		if (n < 0 || write(cl, f, (size_t)n) != n)
			abort();
	}
	turns(loop, 3);
	if (drain(sv[1]) < nsess * (AP_HDR_LEN + 13))
		abort(); /* the sessions' OPENs did not reach the guest */
	for (size_t off = 1; off < size;) {
		ssize_t n = write(sv[1], data + off, size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
		turns(loop, 2);
		drain(sv[1]);
		drain(cl);
	}
	turns(loop, 2);
	drain(cl);
	close(sv[1]); /* the guest goes away */
	turns(loop, 2);
	close(cl);
	turns(loop, 1);
	relay_free(r);
	guests_free(gs);
	evloop_free(loop);
	close(efd);
	return 0;
}
