/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * udp_flow: a counted UDP flow for the integration tests, run inside the
 * network namespaces on either side of the switch.
 *
 *   udp_flow send ADDR PORT COUNT [PPS]
 *       send COUNT datagrams numbered 0..COUNT-1 to ADDR:PORT at PPS per
 *       second (default 2000); prints {"sent":N}
 *   udp_flow recv PORT COUNT TIMEOUT_MS [READY_FILE]
 *       bind UDP PORT (creating READY_FILE once bound), receive until all
 *       COUNT numbers arrived or TIMEOUT_MS passed; prints
 *       {"expected":COUNT,"received":N,"distinct":D,"foreign":F}
 *       where foreign counts datagrams that are not part of the flow
 *
 *   udp_flow stream ADDR PORT PPS SECONDS
 *       send datagrams numbered from 0 to ADDR:PORT at PPS per second for
 *       SECONDS, each stamped with its send time; paced against the clock, so
 *       a stall is made up by a burst and datagram i leaves at about
 *       start + i/PPS; prints {"sent":N,"errors":E,"late_ms":L} (L: the
 *       largest lag behind the schedule)
 *   udp_flow sink PORT RUNS_FILE [READY_FILE [DELAYS_FILE]]
 *       receive a stream until SIGTERM or SIGINT; once a second print
 *       {"t":MS,"received":N,"dup":D,"foreign":F,"next":S} (cumulative;
 *       S = highest number seen + 1); at the end write RUNS_FILE and print
 *       {"received":N,"distinct":X,"dup":D,"lost":L,"foreign":F,"next":S,
 *        "early":E}
 *       where E counts datagrams that arrived before a lower number that
 *       arrived later (overtakers: reorder's send-now, jitter). DELAYS_FILE
 *       ("" for none) gets one line per datagram received, in arrival order:
 *       "SEQ DELAY_US", its one-way delay in microseconds (the kernel's
 *       receive stamp, SO_TIMESTAMPNS, minus the send stamp; sender and
 *       sink share the host's clock).
 *
 * RUNS_FILE describes every number 0..S-1 as runs of equal fate, one line
 * each: "FIRST LAST TIMES SENT_MS_FIRST SENT_MS_LAST", TIMES = how often each
 * number arrived (0: lost, 1: once, more: duplicated). Send times are the
 * stamps of the datagrams (wall clock, ms); a lost number's is interpolated
 * between the nearest received ones. Numbers after S - 1 (lost at the tail)
 * are not listed: compare with the sender's count.
 *
 * Exit status: 0 when it ran (the caller judges the counts), 1 on a socket
 * error, 2 on bad usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOW_MAGIC 0x564e4c55u /* "VNLU" */

/* The datagram payload: send and recv use the first 8 bytes, stream and
 * sink all 24. */
struct flow_msg {
	uint32_t magic;   /* FLOW_MAGIC, network order */
	uint32_t seq;     /* 0..count-1, network order */
	uint32_t sent_hi; /* send time, wall clock in ms: high and low halves, */
	uint32_t sent_lo; /* network order (stream only) */
	uint32_t ns_hi;   /* send time, wall clock in ns: high and low halves, */
	uint32_t ns_lo;   /* network order (stream only; one-way delays) */
};

#define FLOW_SHORT 8 /* bytes of a send/recv datagram */
#define SINK_MAX_SEQ (1u << 26) /* a sink tracks at most this many numbers */

static volatile sig_atomic_t stop_flag;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A receive buffer of size bytes: beyond net.core.rmem_max when we may
 * (root: SO_RCVBUFFORCE), so that a receiver the host deschedules for a
 * while loses nothing; else as much as rmem_max allows. */
static void rcvbuf_set(int fd, int size)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int parse_num(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0) {
		fprintf(stderr, "udp_flow: bad number '%s'\n", s);
		return -1;
	}
	return 0;
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long port, count, pps = 2000, sent = 0;
	struct timespec gap;
	int fd;

	if (argc < 3 || argc > 4 || inet_pton(AF_INET, argv[0], &dst.sin_addr) != 1 ||
	    parse_num(argv[1], &port) < 0 || parse_num(argv[2], &count) < 0 ||
	    (argc == 4 && parse_num(argv[3], &pps) < 0) || port == 0 || port > 65535 || pps == 0)
		return 2;
	dst.sin_port = htons(port);
	gap.tv_sec = 0;
	gap.tv_nsec = 1000000000L / (long)pps;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp_flow: socket");
		return 1;
	}
	for (unsigned long i = 0; i < count; i++) {
		struct flow_msg m = { htonl(FLOW_MAGIC), htonl(i), 0, 0, 0, 0 };

		if (sendto(fd, &m, FLOW_SHORT, 0, (struct sockaddr *)&dst, sizeof(dst)) == FLOW_SHORT)
			sent++;
		nanosleep(&gap, NULL);
	}
	close(fd);
	printf("{\"sent\":%lu}\n", sent);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	unsigned long port, count, timeout, received = 0, distinct = 0, foreign = 0;
	unsigned char *seen;
	long long deadline;
	int fd, rcvbuf = 4 << 20;

	if (argc < 3 || argc > 4 || parse_num(argv[0], &port) < 0 || parse_num(argv[1], &count) < 0 ||
	    parse_num(argv[2], &timeout) < 0 || port == 0 || port > 65535)
		return 2;
	addr.sin_port = htons(port);
	seen = calloc(count + 1, 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (seen == NULL || fd < 0) {
		perror("udp_flow: socket");
		return 1;
	}
	rcvbuf_set(fd, rcvbuf);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("udp_flow: bind");
		return 1;
	}
	if (argc == 4) {
		int rf = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (rf < 0) {
			perror("udp_flow: ready file");
			return 1;
		}
		close(rf);
	}
	deadline = now_ms() + (long long)timeout;
	while (distinct < count) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct flow_msg m;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recv(fd, &m, sizeof(m), 0);
		if (n < FLOW_SHORT || ntohl(m.magic) != FLOW_MAGIC || ntohl(m.seq) >= count) {
			foreign++;
			continue;
		}
		received++;
		if (!seen[ntohl(m.seq)]) {
			seen[ntohl(m.seq)] = 1;
			distinct++;
		}
	}
	close(fd);
	free(seen);
	printf("{\"expected\":%lu,\"received\":%lu,\"distinct\":%lu,\"foreign\":%lu}\n",
	       count, received, distinct, foreign);
	return 0;
}

static int do_stream(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long port, pps, secs, sent = 0, errors = 0;
	long long late = 0;
	struct timespec t0, next;
	int fd;

	if (argc != 4 || inet_pton(AF_INET, argv[0], &dst.sin_addr) != 1 || parse_num(argv[1], &port) < 0 ||
	    parse_num(argv[2], &pps) < 0 || parse_num(argv[3], &secs) < 0 || port == 0 || port > 65535 ||
	    pps == 0 || pps > 1000000 || secs > 86400 * 7)
		return 2;
	dst.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp_flow: socket");
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < pps * secs && !stop_flag; i++) {
		unsigned long long at = (unsigned long long)i * 1000000000ULL / pps; /* ns after t0 */
		long long now = now_ms(), t = wall_ms();
		uint64_t ns = wall_ns();
		struct flow_msg m = { htonl(FLOW_MAGIC), htonl((uint32_t)i), htonl((uint32_t)((uint64_t)t >> 32)),
				      htonl((uint32_t)t), htonl((uint32_t)(ns >> 32)), htonl((uint32_t)ns) };

		next.tv_sec = t0.tv_sec + (time_t)(at / 1000000000ULL);
		next.tv_nsec = t0.tv_nsec + (long)(at % 1000000000ULL);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (now - (next.tv_sec * 1000LL + next.tv_nsec / 1000000) > late)
			late = now - (next.tv_sec * 1000LL + next.tv_nsec / 1000000);
		if (sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&dst, sizeof(dst)) == sizeof(m))
			sent++;
		else
			errors++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	close(fd);
	printf("{\"sent\":%lu,\"errors\":%lu,\"late_ms\":%lld}\n", sent + errors, errors, late);
	return 0;
}

/* What a sink knows of each number. */
struct sink {
	unsigned char *times;    /* arrivals, saturating at 255 */
	long long *sent_ms;      /* the datagram's stamp (0: not received) */
	uint32_t cap;            /* slots allocated */
	uint32_t next;           /* highest number seen + 1 */
	unsigned long received, dup, foreign;
	uint32_t *order;         /* numbers in arrival order (early count) */
	unsigned long nb_order, cap_order;
	FILE *delays;            /* DELAYS_FILE, or NULL */
};

static int sink_grow(struct sink *k, uint32_t seq)
{
	uint32_t cap = k->cap ? k->cap : 65536;
	unsigned char *t;
	long long *s;

	while (cap <= seq)
		cap *= 2;
	t = realloc(k->times, cap);
	if (t == NULL)
		return -1;
	k->times = t;
	s = realloc(k->sent_ms, cap * sizeof(*s));
	if (s == NULL)
		return -1;
	k->sent_ms = s;
	memset(k->times + k->cap, 0, cap - k->cap);
	memset(k->sent_ms + k->cap, 0, (cap - k->cap) * sizeof(*s));
	k->cap = cap;
	return 0;
}

/* at_ns: when the datagram arrived (the kernel's receive stamp). */
static void sink_take(struct sink *k, const struct flow_msg *m, ssize_t n, uint64_t at_ns)
{
	uint32_t seq = ntohl(m->seq);

	if (n != sizeof(*m) || ntohl(m->magic) != FLOW_MAGIC || seq >= SINK_MAX_SEQ ||
	    (seq >= k->cap && sink_grow(k, seq) < 0)) {
		k->foreign++;
		return;
	}
	k->received++;
	if (k->delays != NULL)
		fprintf(k->delays, "%u %.3f\n", seq,
			(double)(int64_t)(at_ns - (((uint64_t)ntohl(m->ns_hi) << 32) | ntohl(m->ns_lo))) / 1000.0);
	if (k->nb_order == k->cap_order) {
		unsigned long cap = k->cap_order ? 2 * k->cap_order : 65536;
		uint32_t *o = realloc(k->order, cap * sizeof(*o));

		if (o != NULL) {
			k->order = o;
			k->cap_order = cap;
		}
	}
	if (k->nb_order < k->cap_order)
		k->order[k->nb_order++] = seq;
	if (k->times[seq] > 0)
		k->dup++;
	else
		k->sent_ms[seq] = (long long)(((uint64_t)ntohl(m->sent_hi) << 32) | ntohl(m->sent_lo));
	if (k->times[seq] < 255)
		k->times[seq]++;
	if (seq >= k->next)
		k->next = seq + 1;
}

/* Datagrams that arrived before a lower number that arrived later: walk
 * the arrivals backwards with the lowest number seen since. */
static unsigned long sink_early(const struct sink *k)
{
	uint32_t low = UINT32_MAX;
	unsigned long early = 0;

	for (unsigned long i = k->nb_order; i-- > 0;) {
		early += k->order[i] > low;
		if (k->order[i] < low)
			low = k->order[i];
	}
	return early;
}

/* The send time of number i: its stamp, or interpolated for a lost one. */
static long long sink_sent_at(const struct sink *k, uint32_t i)
{
	uint32_t a = i, b = i;

	if (k->times[i] > 0)
		return k->sent_ms[i];
	while (a > 0 && k->times[a] == 0)
		a--;
	while (b + 1 < k->next && k->times[b] == 0)
		b++;
	if (k->times[a] == 0)
		return k->sent_ms[b];
	if (k->times[b] == 0 || a == b)
		return k->sent_ms[a];
	return k->sent_ms[a] + (k->sent_ms[b] - k->sent_ms[a]) * (long long)(i - a) / (long long)(b - a);
}

static int sink_write_runs(const struct sink *k, const char *path)
{
	FILE *f = fopen(path, "w");
	uint32_t first = 0;

	if (f == NULL) {
		perror("udp_flow: runs file");
		return -1;
	}
	for (uint32_t i = 1; i <= k->next; i++) {
		if (i < k->next && k->times[i] == k->times[first])
			continue;
		fprintf(f, "%u %u %u %lld %lld\n", first, i - 1, k->times[first], sink_sent_at(k, first),
			sink_sent_at(k, i - 1));
		first = i;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* One datagram, without waiting; *at_ns = the kernel's receive stamp
 * (SO_TIMESTAMPNS: the sink's own wake-up does not count in the delays),
 * or now when there is none. */
static ssize_t sink_recv(int fd, struct flow_msg *m, uint64_t *at_ns)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	*at_ns = 0;
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*at_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	if (n >= 0 && *at_ns == 0)
		*at_ns = wall_ns();
	return n;
}

static int do_sink(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: poll returns EINTR */
	struct sink k = { 0 };
	unsigned long port, distinct = 0;
	long long report;
	int fd, rcvbuf = 4 << 20, r = 0, one = 1;

	if (argc < 2 || argc > 4 || parse_num(argv[0], &port) < 0 || port == 0 || port > 65535)
		return 2;
	addr.sin_port = htons(port);
	if (argc == 4 && argv[3][0] != '\0' && (k.delays = fopen(argv[3], "w")) == NULL) {
		perror("udp_flow: delays file");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sink_grow(&k, 0) < 0) {
		perror("udp_flow: socket");
		return 1;
	}
	rcvbuf_set(fd, rcvbuf);
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("udp_flow: bind");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc >= 3 && argv[2][0] != '\0') {
		int rf = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (rf < 0) {
			perror("udp_flow: ready file");
			return 1;
		}
		close(rf);
	}
	report = now_ms() + 1000;
	while (!stop_flag) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = report - now_ms();
		struct flow_msg m;
		uint64_t at;
		ssize_t n;

		if (left <= 0) {
			printf("{\"t\":%lld,\"received\":%lu,\"dup\":%lu,\"foreign\":%lu,\"next\":%u}\n", wall_ms(),
			       k.received, k.dup, k.foreign, k.next);
			fflush(stdout);
			report += 1000;
			continue;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		while ((n = sink_recv(fd, &m, &at)) >= 0)
			sink_take(&k, &m, n, at);
	}
	close(fd);
	for (uint32_t i = 0; i < k.next; i++)
		distinct += k.times[i] > 0;
	if (sink_write_runs(&k, argv[1]) < 0 || (k.delays != NULL && fclose(k.delays) != 0))
		r = 1;
	printf("{\"received\":%lu,\"distinct\":%lu,\"dup\":%lu,\"lost\":%lu,\"foreign\":%lu,\"next\":%u,"
	       "\"early\":%lu}\n",
	       k.received, distinct, k.dup, k.next - distinct, k.foreign, k.next, sink_early(&k));
	free(k.order);
	free(k.times);
	free(k.sent_ms);
	return r;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		r = do_send(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		r = do_recv(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "stream") == 0)
		r = do_stream(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "sink") == 0)
		r = do_sink(argc - 2, argv + 2);
	if (r == 2)
		fprintf(stderr, "usage: udp_flow send ADDR PORT COUNT [PPS]\n"
				"       udp_flow recv PORT COUNT TIMEOUT_MS [READY_FILE]\n"
				"       udp_flow stream ADDR PORT PPS SECONDS\n"
				"       udp_flow sink PORT RUNS_FILE [READY_FILE [DELAYS_FILE]]\n");
	return r;
}
