/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * udpblast: a small-datagram UDP generator and counter for bench/switch.
 *
 *   udpblast send --dst ADDR [--port P] [--size BYTES] [--batch N] [--seconds S]
 *   udpblast recv [--bind ADDR] [--port P] [--warmup W] [--seconds S] [--timeout T]
 *
 * The sender pushes datagrams through one connected socket with sendmmsg() as
 * fast as the kernel takes them for S seconds. The receiver drains its socket
 * with recvmmsg(), waits for the first datagram (at most T seconds), lets W
 * seconds of warm-up go by uncounted, then counts for S seconds. Each side
 * prints one JSON object on stdout; the receiver's "pps" is the measurement.
 *
 * Exit status: 0 on success, 1 when the receiver saw no datagram at all or a
 * socket call failed, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_PAYLOAD 1472 /* an untagged 1514-byte frame */

/* Options of both roles; each role ignores what it does not use. */
struct opts {
	bool send;                /* role: true = sender, false = receiver */
	struct sockaddr_in addr;  /* sender: destination; receiver: bind address */
	unsigned size;            /* UDP payload bytes (18 makes a 60-byte frame) */
	unsigned batch;           /* datagrams per sendmmsg()/recvmmsg() call */
	double seconds;           /* sending time, or counting window of the receiver */
	double warmup;            /* receiver: uncounted seconds after the first datagram */
	double timeout;           /* receiver: longest wait for the first datagram */
};

/* What one role did; printed as JSON. */
struct result {
	uint64_t packets;  /* datagrams sent, or received inside the window */
	uint64_t bytes;    /* their payload bytes */
	uint64_t errors;   /* failed sendmmsg() calls (ENOBUFS, ECONNREFUSED...) */
	double seconds;    /* measured duration of the window */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpblast send --dst ADDR [OPTION]...\n"
		"       udpblast recv [OPTION]...\n"
		"Send or count small UDP datagrams as fast as possible; print one JSON line.\n\n"
		"  --batch N       datagrams per sendmmsg/recvmmsg call (1..%d) [64]\n"
		"  --bind ADDR     recv: local IPv4 address [0.0.0.0]\n"
		"  --dst ADDR      send: destination IPv4 address\n"
		"  --port P        UDP port [9000]\n"
		"  --seconds S     send: how long to send; recv: counting window [10]\n"
		"  --size BYTES    send: UDP payload (1..%d) [18, a 60-byte frame]\n"
		"  --timeout T     recv: longest wait for the first datagram [10]\n"
		"  --warmup W      recv: seconds not counted after the first datagram [2]\n"
		"  -h, --help      show this help and exit\n",
		MAX_BATCH, MAX_PAYLOAD);
}

/* Parse a number within [min, max]; returns false on junk or range error. */
static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= min && *out <= max;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"batch", required_argument, NULL, 'b'},
		{"bind", required_argument, NULL, 'B'},
		{"dst", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"seconds", required_argument, NULL, 's'},
		{"size", required_argument, NULL, 'z'},
		{"timeout", required_argument, NULL, 't'},
		{"warmup", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	bool have_dst = false;
	double v;
	int c;

	if (argc < 2 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "recv") != 0)) {
		usage(stderr);
		return -1;
	}
	*o = (struct opts){
		.send = strcmp(argv[1], "send") == 0,
		.addr = {.sin_family = AF_INET, .sin_port = htons(9000)},
		.size = 18, .batch = 64, .seconds = 10, .warmup = 2, .timeout = 10,
	};
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!parse_num(optarg, 1, MAX_BATCH, &v))
				goto bad;
			o->batch = v;
			break;
		case 'B':
		case 'd':
			if (inet_pton(AF_INET, optarg, &o->addr.sin_addr) != 1)
				goto bad;
			have_dst |= c == 'd';
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'p':
			if (!parse_num(optarg, 1, 65535, &v))
				goto bad;
			o->addr.sin_port = htons(v);
			break;
		case 's':
			if (!parse_num(optarg, 0.1, 86400, &o->seconds))
				goto bad;
			break;
		case 't':
			if (!parse_num(optarg, 0.1, 86400, &o->timeout))
				goto bad;
			break;
		case 'w':
			if (!parse_num(optarg, 0, 86400, &o->warmup))
				goto bad;
			break;
		case 'z':
			if (!parse_num(optarg, 1, MAX_PAYLOAD, &v))
				goto bad;
			o->size = v;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || (o->send && !have_dst)) {
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "udpblast: invalid value '%s'\n", optarg);
	return -1;
}

/* Send for o->seconds; the clock is read once per batch, not per datagram. */
static int run_send(int fd, const struct opts *o, struct result *r)
{
	static char payload[MAX_PAYLOAD];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov = {.iov_base = payload, .iov_len = o->size};
	double start, end;
	unsigned i;
	int n;

	if (connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
		return -errno;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < o->batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now();
	end = start + o->seconds;
	do {
		n = sendmmsg(fd, msgs, o->batch, 0);
		/* A full queue or an ICMP error from before the receiver was up is not fatal. */
		if (n < 0) {
			r->errors++;
			continue;
		}
		r->packets += n;
	} while (now() < end);
	r->seconds = now() - start;
	r->bytes = r->packets * o->size;
	return 0;
}

/* Receive until the window closes; a 100 ms socket timeout keeps the clock checked. */
static int run_recv(int fd, const struct opts *o, struct result *r)
{
	static char bufs[MAX_BATCH][2048];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iovs[MAX_BATCH];
	struct timeval tv = {.tv_usec = 100000};
	int rcvbuf = 4 << 20;
	double t, first = 0, win_start = 0, win_end = 0;
	unsigned i;
	int n;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
		return -errno;
	/* A larger queue absorbs scheduling hiccups; the kernel caps it at rmem_max. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < o->batch; i++) {
		iovs[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof(bufs[i])};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
	}
	t = now();
	for (double deadline = t + o->timeout;;) {
		n = recvmmsg(fd, msgs, o->batch, MSG_WAITFORONE, NULL);
		t = now();
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (first == 0 && n <= 0) {
			if (t > deadline)
				return -ETIMEDOUT;
			continue;
		}
		if (first == 0) {
			first = t;
			win_start = first + o->warmup;
			win_end = win_start + o->seconds;
		}
		if (t >= win_end)
			break;
		if (t < win_start || n <= 0)
			continue;
		r->packets += n;
		for (i = 0; i < (unsigned)n; i++)
			r->bytes += msgs[i].msg_len;
	}
	/* Counted batches returned inside [win_start, win_end): exactly the window. */
	r->seconds = o->seconds;
	return 0;
}

int main(int argc, char **argv)
{
	struct result r = {0};
	struct opts o;
	int fd, err;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpblast: socket");
		return 1;
	}
	err = o.send ? run_send(fd, &o, &r) : run_recv(fd, &o, &r);
	close(fd);
	printf("{\"role\":\"%s\",\"packets\":%llu,\"bytes\":%llu,\"errors\":%llu,"
	       "\"seconds\":%.3f,\"pps\":%.0f,\"payload\":%u%s%s%s}\n",
	       o.send ? "send" : "recv", (unsigned long long)r.packets,
	       (unsigned long long)r.bytes, (unsigned long long)r.errors, r.seconds,
	       r.seconds > 0 ? r.packets / r.seconds : 0.0,
	       o.send ? o.size : (unsigned)(r.packets ? r.bytes / r.packets : 0),
	       err ? ",\"error\":\"" : "", err ? strerror(-err) : "", err ? "\"" : "");
	return err ? 1 : 0;
}
