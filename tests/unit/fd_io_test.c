/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: dataplane/fd_io.c, the rx stash and iovecs of the fd-based
 * ports (tap, AF_PACKET), turns a read of L bytes into the right chain and
 * keeps its stash accounting exact:
 * - frames of 1, 2048, 2049, 9022 and 65553 bytes read whole (a 10-byte
 *   header in front, as on a vnet tap) into a lend of 33 buffers: segment
 *   count ceil(L / 2048) (1 for a 1-byte frame), data_len per segment,
 *   pkt_len, nb_segs, payload intact, the unused buffers back in the stash;
 * - the same frames sent again from the chain (fd_io_tx_iov) arrive intact;
 * - a frame longer than the lend: a datagram read cuts it (the chain holds
 *   the lend, pkt_len the real length with MSG_TRUNC: the bridge's oversize);
 * - a chain of more segments than fd_io_tx_iov's max is refused;
 * - an unused lend goes back whole; fill tops up to want, never beyond;
 * - no mbuf is left behind.
 *
 * Operations: DPDK's EAL without hugepages (--no-huge --no-pci
 * --no-shconf), a 2 KiB packet pool, a real AF_UNIX datagram socketpair
 * (one datagram per read, like a tap fd). TAP; "1..0 # SKIP" (exit 77) only
 * when the EAL cannot start here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "fd_io.h"
#include "tap.h"

#define HDR 10
#define BIG 65553

static struct rte_mempool *pool;
static uint8_t out[HDR + BIG + 4096], in[HDR + BIG + 4096];
static int sp[2];

static uint8_t byte_at(uint32_t i)
{
	return (uint8_t)(i * 13 % 251 + 1);
}

/* Does chain m hold exactly the bytes byte_at(0..len-1) in segments of room? */
static bool chain_ok(const struct rte_mbuf *m, uint32_t len, uint16_t room, uint16_t want_segs)
{
	uint32_t off = 0;
	uint16_t n = 0;

	if (m->pkt_len != len || m->nb_segs != want_segs)
		return false;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next, n++) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

		if (s->data_len != RTE_MIN(len - off, (uint32_t)room) || (s->next == NULL) != (n + 1 == want_segs))
			return false;
		for (uint16_t j = 0; j < s->data_len; j++)
			if (d[j] != byte_at(off + j))
				return false;
		off += s->data_len;
	}
	return n == want_segs && off == len;
}

/* Send one datagram [HDR zero bytes, len payload bytes]. */
static void send_frame(uint32_t len)
{
	memset(out, 0, HDR);
	for (uint32_t i = 0; i < len; i++)
		out[HDR + i] = byte_at(i);
	if (send(sp[0], out, HDR + len, 0) != (ssize_t)(HDR + len))
		printf("# send %u: %s\n", len, strerror(errno));
}

/* Read one datagram into a lend of segs buffers; the frame, or NULL. With
 * trunc the real length is taken (recvmsg MSG_TRUNC, as AF_PACKET does). */
static struct rte_mbuf *recv_frame(struct fd_io_stash *st, uint16_t segs, uint16_t room, bool trunc)
{
	struct rte_mbuf *seg[FD_IO_SEGS_MAX];
	struct iovec iov[1 + FD_IO_SEGS_MAX];
	uint8_t h[HDR];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 1u + segs };
	ssize_t r;

	iov[0].iov_base = h;
	iov[0].iov_len = HDR;
	if (!fd_io_fill(st, pool, segs, 64))
		return NULL;
	fd_io_lend(st, seg, iov + 1, segs, room);
	r = recvmsg(sp[1], &mh, trunc ? MSG_TRUNC : 0);
	if (r < HDR) {
		fd_io_unlend(st, seg, segs);
		return NULL;
	}
	return fd_io_take(st, seg, segs, room, (uint32_t)(r - HDR));
}

static void test_take(uint32_t len, uint16_t segs, uint16_t room)
{
	struct fd_io_stash *st = fd_io_stash();
	uint16_t want = len ? fd_io_segs(len, room) : 1;
	struct rte_mbuf *m;
	struct iovec iov[1 + FD_IO_SEGS_MAX];
	uint16_t before;
	int k;

	fd_io_fill(st, pool, segs, 64);
	before = st->n;
	send_frame(len);
	m = recv_frame(st, segs, room, false);
	if (!ok(m != NULL, "%u bytes: read", len))
		return;
	ok(chain_ok(m, len, room, want), "%u bytes: %u segments, data_len, pkt_len, payload (nb_segs %u, pkt_len %u)",
	   len, want, m->nb_segs, m->pkt_len);
	ok(st->n == before - want, "%u bytes: stash %u -> %u (took %u)", len, before, st->n, want);
	/* Back out from the chain, as tap_tx / packet_tx send it. */
	memset(in, 0, HDR);
	iov[0].iov_base = in;
	iov[0].iov_len = HDR;
	k = fd_io_tx_iov(m, iov + 1, FD_IO_SEGS_MAX);
	ok(k == want && writev(sp[0], iov, 1 + k) == (ssize_t)(HDR + len), "%u bytes: sent from %d iovecs", len, k);
	ok(recv(sp[1], in, sizeof(in), 0) == (ssize_t)(HDR + len) && memcmp(in + HDR, out + HDR, len) == 0,
	   "%u bytes: arrived intact", len);
	rte_pktmbuf_free(m);
}

static void test_trunc(uint16_t room)
{
	struct fd_io_stash *st = fd_io_stash();
	struct rte_mbuf *m;
	uint16_t before;

	/* 9022 bytes into 4 buffers: cut at 8192. */
	fd_io_fill(st, pool, 4, 64);
	before = st->n;
	send_frame(9022);
	m = recv_frame(st, 4, room, true);
	if (!ok(m != NULL, "truncated read"))
		return;
	ok(m->pkt_len == 9022 && m->nb_segs == 4 && rte_pktmbuf_data_len(m) == room && st->n == before - 4,
	   "MSG_TRUNC: chain of 4 full buffers, pkt_len 9022 (the real length), stash -4");
	rte_pktmbuf_free(m);
	send_frame(9022);
	m = recv_frame(st, 4, room, false);
	ok(m != NULL && m->pkt_len == 4u * room && m->nb_segs == 4, "plain read: cut at the lend (pkt_len %u)",
	   m ? m->pkt_len : 0);
	rte_pktmbuf_free(m);
}

static void test_stash(uint16_t room)
{
	struct fd_io_stash *st = fd_io_stash();
	struct rte_mbuf *seg[FD_IO_SEGS_MAX], *m;
	struct iovec iov[FD_IO_SEGS_MAX];
	uint16_t before;

	bool r;

	fd_io_stash_drain(st);
	r = fd_io_fill(st, pool, 33, 40);
	ok(r && st->n == 40, "fill tops up to want (40): %u", st->n);
	r = fd_io_fill(st, pool, 33, 64);
	ok(r && st->n == 40, "fill with enough held allocates nothing: %u", st->n);
	before = st->n;
	fd_io_lend(st, seg, iov, 33, room);
	fd_io_unlend(st, seg, 33);
	ok(st->n == before, "an unused lend goes back whole");
	fd_io_lend(st, seg, iov, 33, room);
	ok(seg[0] == st->m[st->n + 32] && iov[0].iov_len == room, "lend is LIFO, iovecs of the whole room");
	fd_io_unlend(st, seg, 33);
	/* More segments than fd_io_tx_iov takes. */
	m = rte_pktmbuf_alloc(pool);
	for (int i = 0; m != NULL && i < FD_IO_SEGS_MAX; i++) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);

		if (s == NULL || rte_pktmbuf_chain(m, s) < 0)
			break;
	}
	ok(m != NULL && m->nb_segs == FD_IO_SEGS_MAX + 1 && fd_io_tx_iov(m, iov, FD_IO_SEGS_MAX) < 0,
	   "a chain of %d segments is refused", FD_IO_SEGS_MAX + 1);
	rte_pktmbuf_free(m);
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--file-prefix", prefix,
			"-l", "0", "--log-level", "lib.eal:error", NULL };
	int sz = 1 << 20;
	uint16_t room;
	unsigned in_use;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(prefix, sizeof(prefix), "vnl-fdiotest-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		if (rte_errno == EINVAL) {
			printf("Bail out! EAL arguments refused\n");
			return 1;
		}
		printf("1..0 # SKIP DPDK's EAL does not start here: %s\n", rte_strerror(rte_errno));
		return 77;
	}
	pool = rte_pktmbuf_pool_create("t_mbufs", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0 ||
	    setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0) {
		printf("Bail out! setup: %s\n", pool ? strerror(errno) : rte_strerror(rte_errno));
		return 1;
	}
	room = fd_io_room(pool);
	ok(room == 2048 && fd_io_segs(65557, room) == 33, "room %u, a 64 KiB GSO frame takes 33 buffers", room);
	for (unsigned i = 0; i < 5; i++)
		test_take((uint32_t[]){ 1, 2048, 2049, 9022, BIG }[i], 33, room);
	test_take(1500, 5, room); /* a lend of the LAN max (no offloads) */
	test_trunc(room);
	test_stash(room);
	fd_io_stash_drain(fd_io_stash());
	in_use = rte_mempool_in_use_count(pool);
	ok(in_use == 0, "no mbuf left behind (%u in use)", in_use);
	close(sp[0]);
	close(sp[1]);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return tap_done();
}
