/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_PACKET fallback for afxdp ports, used when XDP cannot be attached (or
 * when the port is added with "xdp": false): a raw packet socket bound to the
 * interface, in promiscuous mode, ignoring its own transmissions, moving
 * batches with recvmmsg()/sendmmsg() straight into and out of mbufs.
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
#include "port.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct packet_priv {
	char iface[IF_NAMESIZE];
	unsigned ifindex;
	int fd;
	/* rx side: mbufs kept ready between polls, so an idle poll allocates nothing */
	uint16_t nb_stash;
	struct rte_mbuf *stash[VNL_BURST];
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
	if (k->nb_stash)
		rte_pktmbuf_free_bulk(k->stash, k->nb_stash);
	free(k);
	p->priv = NULL;
}

static uint16_t packet_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	struct packet_priv *k = p->priv;
	struct mmsghdr msg[VNL_BURST];
	struct iovec iov[VNL_BURST];
	int got;

	if (k->nb_stash < n) {
		if (rte_pktmbuf_alloc_bulk(vnl_pktmbuf_pool, k->stash + k->nb_stash, n - k->nb_stash) == 0)
			k->nb_stash = n;
		else if (k->nb_stash == 0)
			return 0; /* frames stay in the socket until mbufs are back */
		n = k->nb_stash;
	}
	memset(msg, 0, sizeof(msg[0]) * n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = k->stash[k->nb_stash - 1 - i];

		iov[i].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[i].iov_len = rte_pktmbuf_tailroom(m);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	got = recvmmsg(k->fd, msg, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got <= 0)
		return 0;
	for (int i = 0; i < got; i++) {
		struct rte_mbuf *m = k->stash[--k->nb_stash];
		uint32_t len = msg[i].msg_len;

		m->pkt_len = len; /* truncated frames keep their real length: the bridge drops them */
		m->data_len = (uint16_t)(len < iov[i].iov_len ? len : iov[i].iov_len);
		pkts[i] = m;
	}
	return (uint16_t)got;
}

static uint16_t packet_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	struct packet_priv *k = p->priv;
	struct mmsghdr msg[VNL_BURST];
	struct iovec iov[VNL_BURST];
	int sent;

	memset(msg, 0, sizeof(msg[0]) * n);
	for (uint16_t i = 0; i < n; i++) {
		iov[i].iov_base = rte_pktmbuf_mtod(pkts[i], void *);
		iov[i].iov_len = rte_pktmbuf_data_len(pkts[i]); /* frames are single-segment here */
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	sent = sendmmsg(k->fd, msg, n, MSG_DONTWAIT);
	return sent < 0 ? 0 : (uint16_t)sent;
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
