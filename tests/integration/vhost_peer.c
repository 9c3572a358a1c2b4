/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_peer: a DPDK virtio-user peer that drives vhost ports of vnl-switchd
 * in the integration tests, and checks what comes back.
 *
 * Usage:
 *   vhost_peer [-t TIMEOUT_MS] [-q QUIET_MS] [-P FILE_PREFIX] [-T TAG]
 *              PORTSPEC... -- STEP...
 *
 * PORTSPEC is "PATH" (the peer connects to a vhost-user server socket that
 * the switch created) or "PATH,server" (the peer creates the socket and the
 * switch connects to it: a switch port in mode client), either followed by
 * ",tso": the port offloads like a Linux guest (tx: TCP segmentation and
 * TCP/UDP checksums, rx: LRO and checksums; without it the port negotiates no
 * offload and gets complete frames only). Ports are numbered 0, 1, ... in
 * command-line order; STEP arguments name ports by that number.
 *
 * TSO on tx: DPDK's virtio PMD lists TX TCP_TSO only when the device offers
 * both HOST_TSO4 and HOST_TSO6, and vnl-switchd withholds HOST_TSO6. A tso
 * port therefore configures tx checksum offload (VIRTIO_NET_F_CSUM); the PMD
 * then writes every mbuf's TSO request into the virtio-net header (it does
 * so whenever a host offload is negotiated) and the vhost library takes it:
 * on the wire the frame is the GSO frame a Linux guest sends.
 *
 * Every received frame of every port is counted all the time (also while
 * sending), so the rings never overflow. Only test frames count: ethertype
 * 0x88b5 carrying this run's magic and tag; anything else is ignored. The
 * bytes after a test frame's header follow a pattern of its sequence number;
 * a test frame whose bytes differ (in any mbuf of a chain) is counted as
 * corrupt, and `expect` fails if one came.
 *
 * STEPs (each is a keyword followed by its arguments, run in order; the first
 * failing step ends the run with exit status 1):
 *   wait-link P                wait until port P's link is up
 *   send P SRC DST COUNT       send COUNT test frames (64 bytes) from port P
 *   send-len P SRC DST COUNT LEN
 *                              the same with LEN-byte frames (1..9216; below
 *                              28 bytes the frame is cut short, a runt; above
 *                              2048 bytes a chain of 2 KiB mbufs)
 *   expect P COUNT             wait for COUNT test frames on P, then stay quiet
 *                              for QUIET_MS and check that exactly COUNT came;
 *                              resets P's count
 *   expect-none P              wait QUIET_MS and check that P got no frame
 *   reset                      forget all counts
 *   sleep MS                   keep polling for MS milliseconds
 *   sh CMD                     run CMD with /bin/sh -c; fail unless it exits 0
 *   wait-sh CMD                run CMD every 100 ms until it exits 0
 *   stream A SRC_A B SRC_B SECONDS PPS
 *                              send PPS frames/s from A to B and from B to A
 *                              for SECONDS, then check that every frame
 *                              arrived exactly once at the other end
 *   hold                       keep polling until SIGTERM/SIGINT
 *   send-tcp P SRC DST LEN MSS one TCP frame with LEN payload bytes (1..65495)
 *                              from port P; SRC and DST are MAC or MAC,IP
 *                              (IPv4 or IPv6, both the same; default
 *                              10.23.0.1 and 10.23.0.2). MSS > 0: a TSO frame
 *                              (tso_segsz MSS), MSS 0: one frame with a
 *                              partial checksum (needs a tso port). Passed
 *                              through rte_eth_tx_prepare before tx.
 *   expect-tcp P FRAMES BYTES MAXSEG
 *                              wait until port P received BYTES TCP payload
 *                              bytes of this run, stay quiet for QUIET_MS, and
 *                              check that they came in exactly FRAMES frames,
 *                              each valid: IPv4 header checksum, the TCP
 *                              checksum complete and correct or (a tso port)
 *                              partial with the pseudo-header in its field,
 *                              every payload byte as sent, at most MAXSEG
 *                              payload bytes per frame except whole GSO
 *                              frames (RX_LRO), whose tso_segsz must be
 *                              MAXSEG; resets P's TCP counts
 *   arp P SRC_MAC SRC_IP DST_IP COUNT REPLIES
 *                              send COUNT ARP requests (one per 100 ms) for
 *                              DST_IP from port P, then check that exactly
 *                              REPLIES ARP replies from DST_IP to SRC_MAC
 *                              came back: talks to a kernel network stack
 *                              behind another port kind (0 = must not answer)
 *
 * Exit status: 0 when every step passed, 1 when one failed, 2 on bad usage
 * or when DPDK or a port could not be set up.
 */

/* rte_ip.h's mbuf-chain checksum checks are experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#define MAX_PORTS 16
#define BURST 32
#define RING_SIZE 1024
#define TEST_ETHERTYPE 0x88b5 /* IEEE 802 local experimental */
#define TEST_MAGIC 0x564e4c54u /* "VNLT" */
#define FRAME_LEN 64     /* default frame length, without FCS */
#define FRAME_LEN_MAX 9216
#define HEAD_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct test_payload))
#define TCP_SPORT 0x564e     /* source port of this program's TCP frames ("VN") */
#define TCP_DPORT 0x4c54     /* destination port ("LT"): closed in any netns */
#define TCP_PAYLOAD_MAX 65495 /* an IPv4 datagram of 65535 bytes */

/* What a test frame carries after the Ethernet header. */
struct test_payload {
	uint32_t magic; /* TEST_MAGIC, network order */
	uint32_t tag;   /* this run's tag, network order */
	uint32_t seq;   /* per-sender sequence number */
	uint16_t port;  /* index of the sending port */
} __rte_packed;

/* One virtio-user device. */
struct peer_port {
	const char *path; /* vhost-user socket */
	bool server;      /* the peer listens on path, the switch connects */
	uint16_t id;      /* ethdev port id */
	uint64_t rx;      /* test frames received since the last reset */
	uint64_t rx_other;/* other frames received (ignored) */
	uint64_t rx_corrupt; /* test frames whose bytes differ from the pattern */
	uint64_t arp_replies; /* ARP replies matching arp_watch */
	uint32_t seq;     /* next sequence number to send */
	bool tso;         /* ",tso": offloads configured */
	uint32_t tcp_seq; /* TCP sequence number of the next byte sent */
	uint64_t tcp_frames, tcp_bytes; /* valid TCP frames and their payload since the last expect-tcp */
	uint64_t tcp_gso, tcp_partial;  /* of which whole GSO frames, partial checksums */
	uint64_t tcp_bad; /* TCP frames of this run that failed a check */
	uint32_t tcp_max_seg;            /* largest payload of a frame that is no GSO frame */
	uint16_t tcp_min_segsz, tcp_max_segsz; /* tso_segsz range of whole GSO frames */
};

static struct peer_port ports[MAX_PORTS];
static unsigned int nb_ports;
static struct rte_mempool *pool;
static uint32_t tag;
static uint64_t timeout_ms = 10000;
static uint64_t quiet_ms = 300;
static volatile sig_atomic_t stopping;

/* The ARP reply the `arp` step waits for: from ip (network order) to mac. */
static struct {
	bool on;
	struct rte_ether_addr mac;
	uint32_t ip;
} arp_watch;

/* True if the frame is an ARP reply from arp_watch.ip to arp_watch.mac. */
static bool is_watched_arp_reply(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

	return arp_watch.on && rte_pktmbuf_data_len(m) >= sizeof(*eth) + sizeof(*arp) &&
	       eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
	       arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) &&
	       arp->arp_data.arp_sip == arp_watch.ip &&
	       rte_is_same_ether_addr(&arp->arp_data.arp_tha, &arp_watch.mac);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t now_ms(void)
{
	return rte_get_timer_cycles() * 1000 / rte_get_timer_hz();
}

/* Byte off of a test frame with sequence number seq (off >= HEAD_LEN). */
static inline uint8_t pattern(uint32_t off, uint32_t seq)
{
	return (uint8_t)(off * 31 + seq);
}

/* True if every byte after the header, in every mbuf of the chain, follows
 * the pattern, and the chain's lengths add up. */
static bool payload_ok(const struct rte_mbuf *m, uint32_t seq)
{
	uint32_t off = 0;

	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

		for (uint32_t i = 0; i < s->data_len; i++, off++)
			if (off >= HEAD_LEN && d[i] != pattern(off, seq))
				return false;
	}
	return off == rte_pktmbuf_pkt_len(m);
}

/* Payload byte at TCP sequence number sq: the same whether the frame came
 * whole or cut into segments. */
static inline uint8_t tcp_pattern(uint32_t sq)
{
	return (uint8_t)(sq * 7 + (sq >> 9));
}

/* Where a TCP frame's headers are; false if m is no TCP/IP frame in its
 * first mbuf. */
struct tcp_view {
	struct rte_ipv4_hdr *ip4; /* or NULL */
	struct rte_ipv6_hdr *ip6; /* or NULL */
	struct rte_tcp_hdr *tcp;
	uint16_t l4off, hdrs;     /* offset of the TCP header, of the payload */
};

static bool tcp_parse(struct rte_mbuf *m, struct tcp_view *v)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)d;
	uint16_t len = rte_pktmbuf_data_len(m), off = sizeof(*eth);

	memset(v, 0, sizeof(*v));
	if (len < off + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_tcp_hdr))
		return false;
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		v->ip4 = (struct rte_ipv4_hdr *)(d + off);
		if (v->ip4->next_proto_id != IPPROTO_TCP || rte_ipv4_hdr_len(v->ip4) != sizeof(*v->ip4))
			return false;
		off += sizeof(*v->ip4);
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		v->ip6 = (struct rte_ipv6_hdr *)(d + off);
		if (v->ip6->proto != IPPROTO_TCP)
			return false;
		off += sizeof(*v->ip6);
	} else {
		return false;
	}
	v->tcp = (struct rte_tcp_hdr *)(d + off);
	v->l4off = off;
	v->hdrs = (uint16_t)(off + ((v->tcp->data_off >> 4) * 4));
	return v->hdrs <= len;
}

/* A TCP frame of this run arrived on pp: count it, valid or bad. */
static void tcp_check(struct peer_port *pp, struct rte_mbuf *m, struct tcp_view *v)
{
	bool lro = m->ol_flags & RTE_MBUF_F_RX_LRO;
	bool partial = lro || (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
	uint32_t sq = rte_be_to_cpu_32(v->tcp->sent_seq), payload = rte_pktmbuf_pkt_len(m) - v->hdrs;
	uint32_t off = 0;
	bool ok = true;

	if (v->ip4 != NULL && rte_raw_cksum(v->ip4, sizeof(*v->ip4)) != 0xffff)
		ok = false;
	if (partial) {
		/* The field holds the pseudo-header sum, with the L4 length (Linux's
		 * form) or without it (what DPDK's vhost enqueue writes for TSO). */
		uint16_t f = v->tcp->cksum;

		if (v->ip4 != NULL)
			ok &= f == rte_ipv4_phdr_cksum(v->ip4, 0) || f == rte_ipv4_phdr_cksum(v->ip4, RTE_MBUF_F_TX_TCP_SEG);
		else
			ok &= f == rte_ipv6_phdr_cksum(v->ip6, 0) || f == rte_ipv6_phdr_cksum(v->ip6, RTE_MBUF_F_TX_TCP_SEG);
	} else if (v->ip4 != NULL) {
		ok &= rte_ipv4_udptcp_cksum_mbuf_verify(m, v->ip4, v->l4off) == 0;
	} else {
		ok &= rte_ipv6_udptcp_cksum_mbuf_verify(m, v->ip6, v->l4off) == 0;
	}
	for (const struct rte_mbuf *s = m; s != NULL && ok; s = s->next) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

		for (uint32_t i = 0; i < s->data_len; i++, off++)
			if (off >= v->hdrs && d[i] != tcp_pattern(sq + off - v->hdrs)) {
				ok = false;
				break;
			}
	}
	if (!ok) {
		pp->tcp_bad++;
		return;
	}
	pp->tcp_frames++;
	pp->tcp_bytes += payload;
	pp->tcp_gso += lro;
	pp->tcp_partial += partial;
	/* Segment sizes: checked by expect-tcp against the sizes seen. */
	if (lro) {
		if (m->tso_segsz > pp->tcp_max_segsz)
			pp->tcp_max_segsz = m->tso_segsz;
		if (m->tso_segsz < pp->tcp_min_segsz || pp->tcp_min_segsz == 0)
			pp->tcp_min_segsz = m->tso_segsz;
	} else if (payload > pp->tcp_max_seg) {
		pp->tcp_max_seg = payload;
	}
}

/* Receive everything waiting on every port and count the test frames. */
static unsigned int poll_all(void)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int total = 0;

	for (unsigned int p = 0; p < nb_ports; p++) {
		uint16_t n = rte_eth_rx_burst(ports[p].id, 0, pkts, BURST);

		for (uint16_t i = 0; i < n; i++) {
			const struct rte_ether_hdr *eth;
			const struct test_payload *tp;
			struct tcp_view tv;

			if (tcp_parse(pkts[i], &tv) && tv.tcp->src_port == rte_cpu_to_be_16(TCP_SPORT) &&
			    tv.tcp->recv_ack == rte_cpu_to_be_32(tag)) {
				tcp_check(&ports[p], pkts[i], &tv);
				continue;
			}
			if (is_watched_arp_reply(pkts[i]))
				ports[p].arp_replies++;
			if (rte_pktmbuf_data_len(pkts[i]) < sizeof(*eth) + sizeof(*tp)) {
				ports[p].rx_other++;
				continue;
			}
			eth = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
			tp = (const struct test_payload *)(eth + 1);
			if (eth->ether_type == rte_cpu_to_be_16(TEST_ETHERTYPE) &&
			    tp->magic == rte_cpu_to_be_32(TEST_MAGIC) &&
			    tp->tag == rte_cpu_to_be_32(tag)) {
				if (payload_ok(pkts[i], rte_be_to_cpu_32(tp->seq)))
					ports[p].rx++;
				else
					ports[p].rx_corrupt++;
			} else
				ports[p].rx_other++;
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* Poll for ms milliseconds (or until stopped). */
static void poll_for(uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (!stopping && now_ms() < end)
		if (poll_all() == 0)
			rte_delay_us_sleep(20);
}

/* A test frame of len bytes; shorter than the headers, it is cut (a runt).
 * Longer than an mbuf's room, it is a chain. */
static struct rte_mbuf *make_frame(struct peer_port *pp, unsigned int idx,
				   const struct rte_ether_addr *src,
				   const struct rte_ether_addr *dst, uint16_t len)
{
	uint8_t head[HEAD_LEN];
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)head;
	struct test_payload *tp = (struct test_payload *)(eth + 1);
	struct rte_mbuf *m = NULL;
	uint32_t seq = pp->seq, off = 0;

	do {
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
		uint16_t n = s != NULL ? RTE_MIN((uint16_t)(len - off), rte_pktmbuf_tailroom(s)) : 0;
		uint8_t *data = s != NULL ? (uint8_t *)rte_pktmbuf_append(s, n) : NULL;

		if (data == NULL || (m != NULL && rte_pktmbuf_chain(m, s) < 0)) {
			rte_pktmbuf_free(s);
			rte_pktmbuf_free(m);
			return NULL;
		}
		if (m == NULL)
			m = s;
		for (uint16_t i = 0; i < n; i++)
			data[i] = pattern(off + i, seq);
		off += n;
	} while (off < len);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(TEST_ETHERTYPE);
	tp->magic = rte_cpu_to_be_32(TEST_MAGIC);
	tp->tag = rte_cpu_to_be_32(tag);
	tp->seq = rte_cpu_to_be_32(seq);
	tp->port = rte_cpu_to_be_16(idx);
	pp->seq++;
	/* the first mbuf holds at least min(len, HEAD_LEN) bytes */
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), head, RTE_MIN((size_t)len, sizeof(head)));
	return m;
}

/* Send count frames from port idx; polls between bursts. 0 or -1. */
static int send_frames(unsigned int idx, const struct rte_ether_addr *src,
		       const struct rte_ether_addr *dst, uint64_t count, uint16_t len)
{
	struct peer_port *pp = &ports[idx];
	uint64_t deadline = now_ms() + timeout_ms;
	struct rte_mbuf *pkts[BURST];
	uint64_t sent = 0;

	while (sent < count) {
		unsigned int n = RTE_MIN((uint64_t)BURST, count - sent);
		uint16_t done;

		for (unsigned int i = 0; i < n; i++) {
			pkts[i] = make_frame(pp, idx, src, dst, len);
			if (pkts[i] == NULL) {
				rte_pktmbuf_free_bulk(pkts, i);
				fprintf(stderr, "vhost_peer: out of mbufs\n");
				return -1;
			}
		}
		done = rte_eth_tx_burst(pp->id, 0, pkts, n);
		if (done < n) {
			/* Unsent frames are rebuilt later with the same sequence numbers. */
			rte_pktmbuf_free_bulk(&pkts[done], n - done);
			pp->seq -= n - done;
		}
		sent += done;
		poll_all();
		if (done < n) {
			if (stopping || now_ms() > deadline) {
				fprintf(stderr, "vhost_peer: port %u sent only %" PRIu64 " of %" PRIu64
					" frames (tx ring stays full)\n", idx, sent, count);
				return -1;
			}
			rte_delay_us_sleep(50);
		}
	}
	return 0;
}

/* Wait until port idx counted want frames, then stay quiet; 0 if exactly want came. */
static int expect_frames(unsigned int idx, uint64_t want)
{
	uint64_t deadline = now_ms() + timeout_ms;
	uint64_t got, bad;

	while (!stopping && ports[idx].rx < want && now_ms() < deadline)
		if (poll_all() == 0)
			rte_delay_us_sleep(20);
	poll_for(quiet_ms);
	got = ports[idx].rx;
	bad = ports[idx].rx_corrupt;
	ports[idx].rx = ports[idx].rx_corrupt = 0;
	printf("vhost_peer:   port %u received %" PRIu64 " test frames (expected %" PRIu64 ")\n",
	       idx, got, want);
	if (bad)
		printf("vhost_peer:   port %u received %" PRIu64 " corrupt test frames\n", idx, bad);
	return got == want && bad == 0 ? 0 : -1;
}

/* An endpoint of send-tcp: "MAC" or "MAC,IP". */
struct tcp_end {
	struct rte_ether_addr mac;
	int af;             /* AF_INET or AF_INET6 */
	uint8_t ip[16];     /* network order */
};

static int parse_end(const char *s, const char *dflt_ip, struct tcp_end *e)
{
	char buf[128], *comma;
	const char *ip;

	snprintf(buf, sizeof(buf), "%s", s);
	comma = strchr(buf, ',');
	ip = comma != NULL ? comma + 1 : dflt_ip;
	if (comma != NULL)
		*comma = '\0';
	if (rte_ether_unformat_addr(buf, &e->mac) != 0) {
		fprintf(stderr, "vhost_peer: bad MAC address '%s'\n", buf);
		return -1;
	}
	e->af = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(e->af, ip, e->ip) != 1) {
		fprintf(stderr, "vhost_peer: bad IP address '%s'\n", ip);
		return -1;
	}
	return 0;
}

/* One TCP frame of len payload bytes from port idx: headers in the first
 * mbuf, the payload in a chain of 2 KiB mbufs; mss > 0 asks for TSO, 0 for a
 * partial checksum only. 0 or -1. */
static int send_tcp(unsigned int idx, const struct tcp_end *src, const struct tcp_end *dst,
		    uint32_t len, uint16_t mss)
{
	struct peer_port *pp = &ports[idx];
	bool v6 = src->af == AF_INET6;
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint16_t hdrs = (uint16_t)(sizeof(struct rte_ether_hdr) + l3 + sizeof(struct rte_tcp_hdr));
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	uint8_t *d = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, hdrs) : NULL;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(d + sizeof(*eth) + l3);
	uint32_t sq = pp->tcp_seq, off = 0;
	uint64_t deadline = now_ms() + timeout_ms;

	if (d == NULL)
		goto nombuf;
	while (off < len) {
		struct rte_mbuf *s = last;
		uint16_t n = (uint16_t)RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(s));
		uint8_t *p;

		if (n == 0) {
			s = rte_pktmbuf_alloc(pool);
			if (s == NULL || rte_pktmbuf_chain(m, s) < 0) {
				rte_pktmbuf_free(s);
				goto nombuf;
			}
			last = s;
			continue;
		}
		p = (uint8_t *)rte_pktmbuf_append(m, n); /* into the last mbuf, s */
		if (p == NULL)
			goto nombuf;
		for (uint16_t i = 0; i < n; i++)
			p[i] = tcp_pattern(sq + off + i);
		off += n;
	}
	rte_ether_addr_copy(&dst->mac, &eth->dst_addr);
	rte_ether_addr_copy(&src->mac, &eth->src_addr);
	memset(tcp, 0, sizeof(*tcp));
	tcp->src_port = rte_cpu_to_be_16(TCP_SPORT);
	tcp->dst_port = rte_cpu_to_be_16(TCP_DPORT);
	tcp->sent_seq = rte_cpu_to_be_32(sq);
	tcp->recv_ack = rte_cpu_to_be_32(tag);
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*tcp) + len));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->ip, 16);
		memcpy(ip->dst_addr, dst->ip, 16);
		m->ol_flags = RTE_MBUF_F_TX_IPV6;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*tcp) + len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)pp->seq++);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		memcpy(&ip->src_addr, src->ip, 4);
		memcpy(&ip->dst_addr, dst->ip, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip); /* complete: never TX_IP_CKSUM */
		m->ol_flags = RTE_MBUF_F_TX_IPV4;
	}
	m->l2_len = sizeof(*eth);
	m->l3_len = l3;
	m->l4_len = sizeof(*tcp);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	if (mss > 0) {
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		m->tso_segsz = mss;
	}
	/* The PMD writes the pseudo-header into the TCP checksum field. */
	if (rte_eth_tx_prepare(pp->id, 0, &m, 1) != 1) {
		fprintf(stderr, "vhost_peer: rte_eth_tx_prepare refused the frame: %s\n", rte_strerror(rte_errno));
		rte_pktmbuf_free(m);
		return -1;
	}
	while (rte_eth_tx_burst(pp->id, 0, &m, 1) != 1) {
		poll_all();
		if (stopping || now_ms() > deadline) {
			fprintf(stderr, "vhost_peer: port %u cannot send its TCP frame (tx ring stays full)\n", idx);
			rte_pktmbuf_free(m);
			return -1;
		}
		rte_delay_us_sleep(50);
	}
	pp->tcp_seq += len;
	poll_all();
	return 0;
nombuf:
	rte_pktmbuf_free(m);
	fprintf(stderr, "vhost_peer: out of mbufs\n");
	return -1;
}

/* Wait for bytes TCP payload bytes on port idx, stay quiet, check frames,
 * bytes and segment sizes; 0 if all hold. */
static int expect_tcp(unsigned int idx, uint64_t frames, uint64_t bytes, uint64_t maxseg)
{
	struct peer_port *pp = &ports[idx];
	uint64_t deadline = now_ms() + timeout_ms;
	bool ok;

	while (!stopping && pp->tcp_bytes < bytes && now_ms() < deadline)
		if (poll_all() == 0)
			rte_delay_us_sleep(20);
	poll_for(quiet_ms);
	printf("vhost_peer:   port %u received %" PRIu64 " TCP frames, %" PRIu64 " payload bytes "
	       "(expected %" PRIu64 ", %" PRIu64 "); %" PRIu64 " whole GSO (tso_segsz %u..%u), %" PRIu64
	       " partial checksum, largest other payload %u (at most %" PRIu64 "), %" PRIu64 " bad\n",
	       idx, pp->tcp_frames, pp->tcp_bytes, frames, bytes, pp->tcp_gso, pp->tcp_min_segsz,
	       pp->tcp_max_segsz, pp->tcp_partial, pp->tcp_max_seg, maxseg, pp->tcp_bad);
	ok = pp->tcp_frames == frames && pp->tcp_bytes == bytes && pp->tcp_bad == 0 &&
	     pp->tcp_max_seg <= maxseg &&
	     (pp->tcp_gso == 0 || (pp->tcp_min_segsz == maxseg && pp->tcp_max_segsz == maxseg));
	pp->tcp_frames = pp->tcp_bytes = pp->tcp_gso = pp->tcp_partial = pp->tcp_bad = 0;
	pp->tcp_max_seg = 0;
	pp->tcp_min_segsz = pp->tcp_max_segsz = 0;
	return ok ? 0 : -1;
}

/* Run cmd with /bin/sh; true if it exited 0. */
static bool run_sh(const char *cmd)
{
	int st;

	fflush(stdout);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int wait_link(unsigned int idx)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct rte_eth_link link;

	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(ports[idx].id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (stopping || now_ms() > deadline)
			return -1;
		poll_for(10);
	}
}

/* ARP requests for dst_ip from port idx; 0 if exactly want replies came. */
static int arp_probe(unsigned int idx, const struct rte_ether_addr *mac, uint32_t src_ip,
		     uint32_t dst_ip, uint64_t count, uint64_t want)
{
	uint64_t deadline;

	arp_watch.on = true;
	arp_watch.mac = *mac;
	arp_watch.ip = dst_ip;
	ports[idx].arp_replies = 0;
	for (uint64_t i = 0; i < count && !stopping; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		struct rte_ether_hdr *eth;
		struct rte_arp_hdr *arp;

		if (m == NULL)
			return -1;
		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, 60);
		if (eth == NULL) {
			rte_pktmbuf_free(m);
			return -1;
		}
		memset(eth, 0, 60);
		memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
		rte_ether_addr_copy(mac, &eth->src_addr);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
		arp = (struct rte_arp_hdr *)(eth + 1);
		arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = RTE_ETHER_ADDR_LEN;
		arp->arp_plen = 4;
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		rte_ether_addr_copy(mac, &arp->arp_data.arp_sha);
		arp->arp_data.arp_sip = src_ip;
		arp->arp_data.arp_tip = dst_ip;
		if (rte_eth_tx_burst(ports[idx].id, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			return -1;
		}
		poll_for(100);
	}
	/* Wait for the last replies (or, when none are due, a full second). */
	deadline = now_ms() + (want ? timeout_ms : 1000);
	while (!stopping && ports[idx].arp_replies < want && now_ms() < deadline)
		poll_for(10);
	poll_for(quiet_ms);
	arp_watch.on = false;
	printf("vhost_peer:   port %u got %" PRIu64 " ARP replies (expected %" PRIu64 ")\n",
	       idx, ports[idx].arp_replies, want);
	return ports[idx].arp_replies == want ? 0 : -1;
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "vhost_peer: bad IPv4 address '%s'\n", s);
		return -1;
	}
	*ip = a.s_addr;
	return 0;
}

/*
 * Paced bidirectional stream between ports a and b. Both directions run
 * interleaved on this single lcore; the receive side is polled between sends.
 */
static int stream(unsigned int a, const struct rte_ether_addr *src_a,
		  unsigned int b, const struct rte_ether_addr *src_b,
		  uint64_t seconds, uint64_t pps)
{
	const unsigned int side[2] = { a, b };
	const struct rte_ether_addr *mac[2] = { src_a, src_b };
	uint64_t hz = rte_get_timer_hz();
	uint64_t interval = hz / (pps ? pps : 1);
	uint64_t start = rte_get_timer_cycles();
	uint64_t end = start + seconds * hz;
	uint64_t next[2] = { start, start };
	uint64_t sent[2] = { 0, 0 };
	uint64_t deadline;

	ports[a].rx = ports[b].rx = 0;
	for (uint64_t now = start; now < end && !stopping; now = rte_get_timer_cycles()) {
		for (int s = 0; s < 2; s++) {
			struct rte_mbuf *m;

			if (now < next[s])
				continue;
			m = make_frame(&ports[side[s]], side[s], mac[s], mac[1 - s], FRAME_LEN);
			if (m == NULL)
				return -1;
			if (rte_eth_tx_burst(ports[side[s]].id, 0, &m, 1) == 1) {
				sent[s]++;
				next[s] += interval;
			} else {
				/* Try the same sequence number again on the next turn. */
				rte_pktmbuf_free(m);
				ports[side[s]].seq--;
			}
		}
		if (poll_all() == 0)
			rte_delay_us_sleep(10);
	}
	deadline = now_ms() + timeout_ms;
	while (!stopping && (ports[b].rx < sent[0] || ports[a].rx < sent[1]) && now_ms() < deadline)
		if (poll_all() == 0)
			rte_delay_us_sleep(20);
	poll_for(quiet_ms);
	printf("vhost_peer:   %u->%u sent %" PRIu64 " received %" PRIu64
	       "; %u->%u sent %" PRIu64 " received %" PRIu64 "\n",
	       a, b, sent[0], ports[b].rx, b, a, sent[1], ports[a].rx);
	return ports[b].rx == sent[0] && ports[a].rx == sent[1] && sent[0] > 0 ? 0 : -1;
}

static int parse_port(const char *s, unsigned int *idx)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v >= nb_ports) {
		fprintf(stderr, "vhost_peer: bad port index '%s'\n", s);
		return -1;
	}
	*idx = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-') {
		fprintf(stderr, "vhost_peer: bad number '%s'\n", s);
		return -1;
	}
	return 0;
}

static int parse_mac(const char *s, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(s, mac) != 0) {
		fprintf(stderr, "vhost_peer: bad MAC address '%s'\n", s);
		return -1;
	}
	return 0;
}

/* Number of arguments each step keyword takes. */
static const struct {
	const char *name;
	int nargs;
} step_table[] = {
	{ "wait-link", 1 }, { "send", 4 }, { "send-len", 5 }, { "expect", 2 }, { "expect-none", 1 },
	{ "reset", 0 }, { "sleep", 1 }, { "sh", 1 }, { "wait-sh", 1 },
	{ "stream", 6 }, { "hold", 0 }, { "arp", 6 }, { "send-tcp", 5 }, { "expect-tcp", 4 },
};

/* Run one step; 0 passed, -1 failed, -2 bad usage. */
static int run_step(const char *kw, char **arg)
{
	struct rte_ether_addr m1, m2;
	unsigned int p1, p2;
	uint64_t n1, n2;

	if (strcmp(kw, "wait-link") == 0) {
		if (parse_port(arg[0], &p1) < 0)
			return -2;
		return wait_link(p1);
	}
	if (strcmp(kw, "send") == 0) {
		if (parse_port(arg[0], &p1) < 0 || parse_mac(arg[1], &m1) < 0 ||
		    parse_mac(arg[2], &m2) < 0 || parse_u64(arg[3], &n1) < 0)
			return -2;
		return send_frames(p1, &m1, &m2, n1, FRAME_LEN);
	}
	if (strcmp(kw, "send-len") == 0) {
		if (parse_port(arg[0], &p1) < 0 || parse_mac(arg[1], &m1) < 0 ||
		    parse_mac(arg[2], &m2) < 0 || parse_u64(arg[3], &n1) < 0 ||
		    parse_u64(arg[4], &n2) < 0 || n2 == 0 || n2 > FRAME_LEN_MAX)
			return -2;
		return send_frames(p1, &m1, &m2, n1, (uint16_t)n2);
	}
	if (strcmp(kw, "expect") == 0) {
		if (parse_port(arg[0], &p1) < 0 || parse_u64(arg[1], &n1) < 0)
			return -2;
		return expect_frames(p1, n1);
	}
	if (strcmp(kw, "expect-none") == 0) {
		if (parse_port(arg[0], &p1) < 0)
			return -2;
		return expect_frames(p1, 0);
	}
	if (strcmp(kw, "reset") == 0) {
		for (unsigned int p = 0; p < nb_ports; p++)
			ports[p].rx = ports[p].rx_corrupt = 0;
		return 0;
	}
	if (strcmp(kw, "sleep") == 0) {
		if (parse_u64(arg[0], &n1) < 0)
			return -2;
		poll_for(n1);
		return 0;
	}
	if (strcmp(kw, "sh") == 0)
		return run_sh(arg[0]) ? 0 : -1;
	if (strcmp(kw, "wait-sh") == 0) {
		uint64_t deadline = now_ms() + timeout_ms;

		while (!run_sh(arg[0])) {
			if (stopping || now_ms() > deadline)
				return -1;
			poll_for(100);
		}
		return 0;
	}
	if (strcmp(kw, "stream") == 0) {
		if (parse_port(arg[0], &p1) < 0 || parse_mac(arg[1], &m1) < 0 ||
		    parse_port(arg[2], &p2) < 0 || parse_mac(arg[3], &m2) < 0 ||
		    parse_u64(arg[4], &n1) < 0 || parse_u64(arg[5], &n2) < 0 || p1 == p2)
			return -2;
		return stream(p1, &m1, p2, &m2, n1, n2);
	}
	if (strcmp(kw, "arp") == 0) {
		uint32_t sip, dip;

		if (parse_port(arg[0], &p1) < 0 || parse_mac(arg[1], &m1) < 0 ||
		    parse_ip(arg[2], &sip) < 0 || parse_ip(arg[3], &dip) < 0 ||
		    parse_u64(arg[4], &n1) < 0 || parse_u64(arg[5], &n2) < 0)
			return -2;
		return arp_probe(p1, &m1, sip, dip, n1, n2);
	}
	if (strcmp(kw, "send-tcp") == 0) {
		struct tcp_end src, dst;

		if (parse_port(arg[0], &p1) < 0 || parse_end(arg[1], "10.23.0.1", &src) < 0 ||
		    parse_end(arg[2], "10.23.0.2", &dst) < 0 || parse_u64(arg[3], &n1) < 0 ||
		    parse_u64(arg[4], &n2) < 0 || n1 == 0 || n1 > TCP_PAYLOAD_MAX || n2 > UINT16_MAX ||
		    src.af != dst.af || (!ports[p1].tso && n2 == 0)) {
			fprintf(stderr, "vhost_peer: send-tcp: bad arguments (MSS 0 needs a tso port)\n");
			return -2;
		}
		return send_tcp(p1, &src, &dst, (uint32_t)n1, (uint16_t)n2);
	}
	if (strcmp(kw, "expect-tcp") == 0) {
		uint64_t n3;

		if (parse_port(arg[0], &p1) < 0 || parse_u64(arg[1], &n1) < 0 || parse_u64(arg[2], &n2) < 0 ||
		    parse_u64(arg[3], &n3) < 0)
			return -2;
		return expect_tcp(p1, n1, n2, n3);
	}
	if (strcmp(kw, "hold") == 0) {
		while (!stopping)
			poll_for(100);
		return 0;
	}
	return -2;
}

static int setup_port(struct peer_port *pp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int socket = rte_socket_id();
	int r;

	memset(&conf, 0, sizeof(conf));
	/* A virtio-user server accepts a new connection after a disconnect only
	 * from its link-state interrupt handler. */
	r = rte_eth_dev_info_get(pp->id, &info);
	if (r == 0 && info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	if (pp->tso) {
		/* See "TSO on tx" at the top: TCP_TSO is added where the device lists it. */
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
				       RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
				       (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO);
		if (r < 0 || (conf.rxmode.offloads & ~info.rx_offload_capa) ||
		    (conf.txmode.offloads & ~info.tx_offload_capa)) {
			fprintf(stderr, "vhost_peer: %s offers rx offloads 0x%" PRIx64 " tx 0x%" PRIx64
				", a tso port needs rx 0x%" PRIx64 " tx 0x%" PRIx64 "\n", pp->path,
				info.rx_offload_capa, info.tx_offload_capa, conf.rxmode.offloads,
				conf.txmode.offloads);
			return -ENOTSUP;
		}
	}
	r = rte_eth_dev_configure(pp->id, 1, 1, &conf);
	if (r == 0)
		r = rte_eth_rx_queue_setup(pp->id, 0, RING_SIZE, socket, NULL, pool);
	if (r == 0)
		r = rte_eth_tx_queue_setup(pp->id, 0, RING_SIZE, socket, NULL);
	if (r == 0)
		r = rte_eth_dev_start(pp->id);
	if (r < 0) {
		fprintf(stderr, "vhost_peer: cannot set up port on %s: %s\n", pp->path, strerror(-r));
		return r;
	}
	/* Without a control queue virtio-user may refuse; the backend does not filter anyway. */
	rte_eth_promiscuous_enable(pp->id);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vhost_peer [-t TIMEOUT_MS] [-q QUIET_MS] [-P FILE_PREFIX] [-T TAG]\n"
		"                  PATH[,server][,tso]... -- STEP...\n");
}

int main(int argc, char **argv)
{
	char prefix_buf[64], *prefix = NULL;
	char *eal_argv[64 + 2 * MAX_PORTS];
	char vdev_args[MAX_PORTS][PATH_MAX + 96];
	int eal_argc = 0, i, opt, rc = 0;
	unsigned int step_no = 0, nb_ports_started = 0;

	tag = (uint32_t)getpid();
	while ((opt = getopt(argc, argv, "+P:q:t:T:h")) != -1) {
		switch (opt) {
		case 'P':
			prefix = optarg;
			break;
		case 'q':
			quiet_ms = strtoull(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			tag = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
			return 2;
		}
	}
	for (i = optind; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *comma;

		if (nb_ports == MAX_PORTS) {
			fprintf(stderr, "vhost_peer: at most %d ports\n", MAX_PORTS);
			return 2;
		}
		ports[nb_ports].path = argv[i];
		comma = strchr(argv[i], ',');
		for (char *opt_s = comma; opt_s != NULL;) {
			char *next = strchr(opt_s + 1, ',');

			if (next != NULL)
				*next = '\0';
			if (strcmp(opt_s, ",server") == 0) {
				ports[nb_ports].server = true;
			} else if (strcmp(opt_s, ",tso") == 0) {
				ports[nb_ports].tso = true;
			} else {
				usage();
				return 2;
			}
			if (next != NULL)
				*next = ',';
			opt_s = next;
		}
		if (comma != NULL)
			*comma = '\0';
		nb_ports++;
	}
	if (nb_ports == 0 || i == argc) {
		usage();
		return 2;
	}
	i++; /* skip "--" */

	if (prefix == NULL) {
		snprintf(prefix_buf, sizeof(prefix_buf), "vhost_peer_%d", (int)getpid());
		prefix = prefix_buf;
	}
	eal_argv[eal_argc++] = argv[0];
	eal_argv[eal_argc++] = "--in-memory";
	eal_argv[eal_argc++] = "--single-file-segments";
	eal_argv[eal_argc++] = "-m";
	eal_argv[eal_argc++] = "256";
	eal_argv[eal_argc++] = "--file-prefix";
	eal_argv[eal_argc++] = prefix;
	eal_argv[eal_argc++] = "-l";
	eal_argv[eal_argc++] = "0";
	eal_argv[eal_argc++] = "--no-pci";
	eal_argv[eal_argc++] = "--log-level=5";
	for (unsigned int p = 0; p < nb_ports; p++) {
		snprintf(vdev_args[p], sizeof(vdev_args[p]),
			 "net_virtio_user%u,path=%s,queues=1,queue_size=%d%s", p, ports[p].path,
			 RING_SIZE, ports[p].server ? ",server=1" : "");
		eal_argv[eal_argc++] = "--vdev";
		eal_argv[eal_argc++] = vdev_args[p];
	}
	eal_argv[eal_argc] = NULL;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "vhost_peer: cannot initialise DPDK: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	/* Rx rings full, tx rings full, and chains of large frames in flight. */
	pool = rte_pktmbuf_pool_create("vhost_peer", nb_ports * 2 * RING_SIZE + 8192, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "vhost_peer: cannot create mbuf pool: %s\n", rte_strerror(rte_errno));
		rc = 2;
		goto out;
	}
	for (unsigned int p = 0; p < nb_ports; p++) {
		char name[32];

		snprintf(name, sizeof(name), "net_virtio_user%u", p);
		if (rte_eth_dev_get_port_by_name(name, &ports[p].id) != 0) {
			fprintf(stderr, "vhost_peer: no port for %s (path %s)\n", name, ports[p].path);
			rc = 2;
			goto out;
		}
		if (setup_port(&ports[p]) < 0) {
			rc = 2;
			goto out;
		}
		nb_ports_started++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (i < argc && rc == 0) {
		const char *kw = argv[i];
		int nargs = -1, r;

		for (size_t k = 0; k < RTE_DIM(step_table); k++)
			if (strcmp(kw, step_table[k].name) == 0)
				nargs = step_table[k].nargs;
		if (nargs < 0 || i + nargs > argc - 1) {
			fprintf(stderr, "vhost_peer: bad step '%s' (unknown or missing arguments)\n", kw);
			rc = 2;
			break;
		}
		step_no++;
		printf("vhost_peer: step %u: %s", step_no, kw);
		for (int a = 1; a <= nargs; a++)
			printf(" %s", argv[i + a]);
		printf("\n");
		r = run_step(kw, &argv[i + 1]);
		if (r == -2) {
			rc = 2;
		} else if (r == 0 && strcmp(kw, "hold") == 0) {
			break; /* a signal ended the hold: the run passed */
		} else if (r < 0 || stopping) {
			printf("vhost_peer: FAIL step %u: %s\n", step_no, kw);
			rc = 1;
		}
		i += 1 + nargs;
	}
	if (rc == 0)
		printf("vhost_peer: all %u steps passed\n", step_no);
out:
	for (unsigned int p = 0; p < nb_ports_started; p++) {
		rte_eth_dev_stop(ports[p].id);
		rte_eth_dev_close(ports[p].id);
	}
	rte_eal_cleanup();
	/* DPDK makes its runtime folder even --in-memory (empty): ours goes. */
	{
		char run_dir[128];

		snprintf(run_dir, sizeof(run_dir), "/var/run/dpdk/%s", prefix);
		rmdir(run_dir);
	}
	return rc;
}
