/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_PACKET fallback for afxdp ports, used when XDP cannot be attached (or
 * when the port is added with "xdp": false): a raw packet socket bound to the
 * interface, in promiscuous mode, ignoring its own transmissions, moving
 * batches with recvmmsg()/sendmmsg() straight into and out of mbufs: a
 * frame is received into a chain of up to PACKET_RX_SEGS buffers and sent from
 * a chain with one iovec per buffer.
 * Known limit: a VLAN tag the kernel strips on receive is not put back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_per_lcore.h>

#include "dp_log.h"
#include "port.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Buffers offered per received frame: enough for the longest --max-frame
 * (9216 bytes) in the pool's 2 KiB buffers. A longer frame is cut there and
 * keeps its real pkt_len, so the bridge drops it as oversize. */
#define PACKET_RX_SEGS 5
/* Buffers of a frame to send: 64 KiB in 2 KiB buffers, and a header. A chain
 * longer than this ends the burst there (the rest count as tx_full). */
#define PACKET_TX_SEGS 34

struct packet_priv {
	char iface[IF_NAMESIZE];
	unsigned ifindex;
	int fd;
};

/* Rx buffers kept ready between polls, so an idle poll allocates nothing.
 * Per lcore, not per port: a port's rx runs on one worker only, and idle
 * ports must not each hold VNL_BURST x PACKET_RX_SEGS buffers. Never freed:
 * they go with the pool at exit. */
struct packet_stash {
	uint16_t n;
	struct rte_mbuf *m[VNL_BURST * PACKET_RX_SEGS];
};
static RTE_DEFINE_PER_LCORE(struct packet_stash, packet_stash);

static int packet_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct packet_priv *k;
	const char *iface;
	int one = 1, rcvbuf = 4 << 20, r;

	r = port_arg_string(req, "iface", true, &iface, err);
	if (r < 0)
		return r;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	p->priv = k;
	k->fd = -1;
	r = port_iface_up(iface, &k->ifindex, err);
	if (r < 0)
		goto fail;
	strcpy(k->iface, iface);
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (k->fd < 0) {
		r = vnl_errno(err, errno, "cannot open a packet socket");
		goto fail;
	}
	sll.sll_ifindex = (int)k->ifindex;
	mr.mr_ifindex = (int)k->ifindex;
	if (bind(k->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(k->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
	    setsockopt(k->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		r = vnl_errno(err, errno, "cannot bind a packet socket to '%s'", iface);
		goto fail;
	}
	/* Best effort: fewer drops under bursts, no qdisc on transmit. */
	setsockopt(k->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(k->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	p->backend = "af_packet";
	atomic_store(&p->up, true);
	return 0;
fail:
	p->ops->close(p);
	return r;
}

static void packet_close(struct port *p)
{
	struct packet_priv *k = p->priv;

	if (k == NULL)
		return;
	if (k->fd >= 0)
		close(k->fd);
	free(k);
	p->priv = NULL;
}

static uint16_t packet_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	struct packet_priv *k = p->priv;
	struct packet_stash *st = &RTE_PER_LCORE(packet_stash);
	struct rte_mbuf *seg[VNL_BURST][PACKET_RX_SEGS];
	struct iovec iov[VNL_BURST][PACKET_RX_SEGS];
	struct mmsghdr msg[VNL_BURST];
	int got;

	if (st->n < n * PACKET_RX_SEGS &&
	    rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, st->m + st->n, RTE_DIM(st->m) - st->n) == 0)
		st->n = RTE_DIM(st->m);
	if (st->n / PACKET_RX_SEGS < n)
		n = st->n / PACKET_RX_SEGS;
	if (n == 0)
		return 0; /* frames stay in the socket until mbufs are back */
	memset(msg, 0, sizeof(msg[0]) * n);
	for (uint16_t i = 0; i < n; i++) {
		for (unsigned j = 0; j < PACKET_RX_SEGS; j++) {
			struct rte_mbuf *m = st->m[--st->n];

			seg[i][j] = m;
			iov[i][j].iov_base = rte_pktmbuf_mtod(m, void *);
			iov[i][j].iov_len = rte_pktmbuf_tailroom(m);
		}
		msg[i].msg_hdr.msg_iov = iov[i];
		msg[i].msg_hdr.msg_iovlen = PACKET_RX_SEGS;
	}
	got = recvmmsg(k->fd, msg, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got < 0)
		got = 0;
	for (uint16_t i = 0; i < n; i++) {
		unsigned used = 0;

		if (i < got) {
			struct rte_mbuf *m = seg[i][0], *last = m;
			uint32_t len = msg[i].msg_len, left = len;

			do {
				struct rte_mbuf *s = seg[i][used];
				uint32_t l = RTE_MIN(left, (uint32_t)iov[i][used].iov_len);

				s->data_len = (uint16_t)l;
				if (used)
					last->next = s;
				last = s;
				left -= l;
			} while (++used < PACKET_RX_SEGS && left > 0);
			m->nb_segs = (uint16_t)used;
			m->pkt_len = len; /* a truncated frame keeps its real length: the bridge drops it */
			pkts[i] = m;
		}
		/* Buffers the frame did not need go back to the stash. */
		for (unsigned j = PACKET_RX_SEGS; j > used; j--)
			st->m[st->n++] = seg[i][j - 1];
	}
	return (uint16_t)got;
}

static uint16_t packet_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	struct packet_priv *k = p->priv;
	struct mmsghdr msg[VNL_BURST];
	struct iovec iov[VNL_BURST * 4]; /* >= PACKET_TX_SEGS */
	uint16_t done = 0;

	/* One sendmmsg() per iov's worth of buffers: one for a burst of short
	 * frames, more for chains. */
	while (done < n) {
		unsigned used = 0;
		uint16_t cnt = 0;
		int sent;

		for (; done + cnt < n; cnt++) {
			const struct rte_mbuf *m = pkts[done + cnt];

			if (unlikely(m->nb_segs > PACKET_TX_SEGS) || used + m->nb_segs > RTE_DIM(iov))
				break;
			memset(&msg[cnt], 0, sizeof(msg[cnt]));
			msg[cnt].msg_hdr.msg_iov = &iov[used];
			msg[cnt].msg_hdr.msg_iovlen = m->nb_segs;
			for (; m != NULL; m = m->next) {
				iov[used].iov_base = rte_pktmbuf_mtod(m, void *);
				iov[used++].iov_len = rte_pktmbuf_data_len(m);
			}
		}
		if (cnt == 0)
			break;
		sent = sendmmsg(k->fd, msg, cnt, MSG_DONTWAIT);
		if (sent <= 0)
			break;
		done += (uint16_t)sent;
		if (sent < cnt)
			break;
	}
	return done;
}

static void packet_show(const struct port *p, struct json_object *o)
{
	const struct packet_priv *k = p->priv;

	json_object_object_add(o, "iface", json_object_new_string(k->iface));
	json_object_object_add(o, "status", json_object_new_string("af_packet (raw socket fallback)"));
}

const struct port_ops port_packet_ops = {
	.kind = "afxdp",
	.open = packet_open,
	.close = packet_close,
	.rx = packet_rx,
	.tx = packet_tx,
	.show = packet_show,
};
