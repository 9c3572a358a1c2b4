/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake vnl-switchd for unit tests that drive daemon/lab_switch.c
 * unchanged: a thread of the test serves its JSON lines on a unix socket
 * (lab_switch.c connects once per request: one line in, one line out;
 * s->pid = the test's pid passes its SO_PEERCRED check).
 */
#pragma once

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Serve listening socket lfd forever: reply(request line) is written back
 * with a newline (reply's string lives until its next call). */
static inline void fake_switch_serve(int lfd, const char *(*reply)(const char *line))
{
	for (;;) {
		char line[4096];
		const char *out;
		size_t len = 0;
		ssize_t n;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		while (len < sizeof(line) - 1 && (n = read(fd, line + len, sizeof(line) - 1 - len)) > 0) {
			len += (size_t)n;
			if (line[len - 1] == '\n')
				break;
		}
		line[len] = '\0';
		out = reply(line);
		if (write(fd, out, strlen(out)) < 0 || write(fd, "\n", 1) < 0)
			perror("fake switch");
		close(fd);
	}
}
