/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-logcap FILE [MAX]: copy stdin to FILE, kept to MAX bytes (default
 * LOGCAP_MAX) plus FILE.1 (common/logcap.h), until end of file.
 *
 * vnld starts it detached (spawn_daemon_io) with the read end of a pipe as
 * stdin and gives the write end to what a guest controls: a container's
 * init (its stdout and stderr) or qemu (the serial console's log, through
 * /dev/fdset).  It is not vnld, so it survives a vnld restart; it ends
 * when the last writer is gone (the container or qemu exited), so it
 * leaves nothing behind.  Write errors (a full disk) drop the chunk and go
 * on: the writer must never block on a log.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logcap.h"

int main(int argc, char **argv)
{
	static char buf[65536];
	struct logcap l;
	unsigned long max = 0;
	char *end;
	ssize_t n;
	int r;

	if (argc < 2 || argc > 3 || (argc == 3 && ((max = strtoul(argv[2], &end, 10)) < 4096 || *end))) {
		fprintf(stderr, "usage: vnl-logcap FILE [MAX_BYTES >= 4096]  (copies stdin to FILE, capped)\n");
		return 2;
	}
	/* The session's SIGHUP or a stray SIGPIPE must not lose the log. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	r = logcap_open(&l, argv[1], max);
	if (r < 0) {
		fprintf(stderr, "vnl-logcap: %s: %s\n", argv[1], strerror(-r));
		/* Still drain stdin, so the writer is not blocked. */
	}
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (l.fd >= 0)
			logcap_write(&l, buf, (size_t)n);
	}
	logcap_close(&l);
	return 0;
}
