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
 * Exit status: 0 when it ran (the caller judges the counts), 1 on a socket
 * error, 2 on bad usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOW_MAGIC 0x564e4c55u /* "VNLU" */

/* The datagram payload. */
struct flow_msg {
	uint32_t magic; /* FLOW_MAGIC, network order */
	uint32_t seq;   /* 0..count-1, network order */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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
		struct flow_msg m = { htonl(FLOW_MAGIC), htonl(i) };

		if (sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&dst, sizeof(dst)) == sizeof(m))
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
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
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
		if (n != sizeof(m) || ntohl(m.magic) != FLOW_MAGIC || ntohl(m.seq) >= count) {
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

int main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		r = do_send(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		r = do_recv(argc - 2, argv + 2);
	if (r == 2)
		fprintf(stderr, "usage: udp_flow send ADDR PORT COUNT [PPS]\n"
				"       udp_flow recv PORT COUNT TIMEOUT_MS [READY_FILE]\n");
	return r;
}
