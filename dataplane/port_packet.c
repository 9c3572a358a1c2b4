/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_PACKET fallback for afxdp ports, used when XDP cannot be attached (or
 * when the port is added with "xdp": false): a raw packet socket bound to the
 * interface, in promiscuous mode, ignoring its own transmissions, moving
 * batches with recvmmsg()/sendmmsg() straight into and out of mbufs (fd_io.h:
 * a frame is received into a chain from the per-lcore stash and sent from a
 * chain with one iovec per buffer). The kernel completes checksums and
 * segments before our reads; tx_ol is 0 (the worker completes offload frames
 * before they leave here).
 *
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

#include "dp_log.h"
#include "fd_io.h"
#include "port.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Buffers of the frames of one sendmmsg(): a burst of short frames, or a
 * few long chains. */
#define PACKET_TX_IOV (VNL_BURST * 4)

struct packet_priv {
	char iface[IF_NAMESIZE];
	unsigned ifindex;
	int fd;
	uint16_t seg_room; /* bytes one stash mbuf takes */
	uint16_t segs;     /* stash mbufs given to each message */
};

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
	k->seg_room = fd_io_room(vnl_pktmbuf_pool);
	k->segs = fd_io_segs(vnl_max_frame, k->seg_room);
	if (k->segs * VNL_BURST > FD_IO_STASH_MAX) {
		r = vnl_errf(err, -EINVAL, "frames of %u bytes need more than %d buffers", vnl_max_frame,
			     FD_IO_STASH_MAX / VNL_BURST);
		goto fail;
	}
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
	port_set_up(p, 0);
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

/* One recvmmsg() of up to n messages into pkts. Returns the frames read
 * (0: the socket had nothing). */
static uint16_t packet_recv(struct port *p, struct fd_io_stash *st, struct rte_mbuf **pkts, uint16_t n)
{
	struct packet_priv *k = p->priv;
	const uint16_t segs = k->segs;
	struct rte_mbuf *seg[VNL_BURST][FD_IO_SEGS_MAX];
	struct iovec iov[VNL_BURST][FD_IO_SEGS_MAX];
	struct mmsghdr msg[VNL_BURST];
	int got;

	memset(msg, 0, sizeof(msg[0]) * n);
	for (uint16_t i = 0; i < n; i++) {
		fd_io_lend(st, seg[i], iov[i], segs, k->seg_room);
		msg[i].msg_hdr.msg_iov = iov[i];
		msg[i].msg_hdr.msg_iovlen = segs;
	}
	got = recvmmsg(k->fd, msg, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got < 0)
		got = 0;
	/* Unused lends go back last first: the stash stays in lending order. */
	for (uint16_t i = n; i > got; i--)
		fd_io_unlend(st, seg[i - 1], segs);
	for (uint16_t i = 0; i < got; i++)
		pkts[i] = fd_io_take(st, seg[i], segs, k->seg_room, msg[i].msg_len);
	return (uint16_t)got;
}

/* A message takes a jumbo frame's buffers (5 for --max-frame 9216): an idle
 * poll first asks for one message, and lends the rest of the burst's
 * buffers only when it came. */
static uint16_t packet_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps __rte_unused)
{
	struct packet_priv *k = p->priv;
	struct fd_io_stash *st = fd_io_stash();
	const uint16_t segs = k->segs;
	uint16_t out = 0;

	fd_io_fill(st, vnl_pktmbuf_pool, (uint16_t)(n * segs), (uint16_t)(VNL_BURST * segs));
	if (st->n / segs < n)
		n = st->n / segs;
	if (n == 0)
		return 0; /* frames stay in the socket until mbufs are back */
	if (segs > 1) {
		out = packet_recv(p, st, pkts, 1);
		if (out == 0 || n == 1)
			return out;
		n--;
	}
	return (uint16_t)(out + packet_recv(p, st, pkts + out, n));
}

/* Refuses no frame (port.h): ps stays untouched. */
static uint16_t packet_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps __rte_unused)
{
	struct packet_priv *k = p->priv;
	struct mmsghdr msg[VNL_BURST];
	struct iovec iov[PACKET_TX_IOV];
	uint16_t done = 0;

	/* One sendmmsg() per iov's worth of buffers: one for a burst of short
	 * frames, more for chains. */
	while (done < n) {
		unsigned used = 0;
		uint16_t cnt = 0;
		int sent;

		for (; done + cnt < n; cnt++) {
			const struct rte_mbuf *m = pkts[done + cnt];
			unsigned first = used;
			int segs;

			if (used + m->nb_segs > RTE_DIM(iov))
				break;
			segs = fd_io_tx_iov(m, &iov[used], FD_IO_SEGS_MAX);
			if (unlikely(segs < 0))
				break; /* a chain longer than any frame we make: the rest count as tx_full */
			used += (unsigned)segs;
			memset(&msg[cnt], 0, sizeof(msg[cnt]));
			msg[cnt].msg_hdr.msg_iov = &iov[first];
			msg[cnt].msg_hdr.msg_iovlen = used - first;
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
	port_show_offload(p, 0, o);
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
