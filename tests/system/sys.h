/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for system tests: they need root and make real kernel objects
 * (namespaces, veth pairs), so every name starts with a per-run prefix
 * "vtXXXX" (XXXX: pid) and sys_cleanup() removes everything with that
 * prefix, at the end, on SIGTERM/SIGINT (meson timeout) and at exit.
 * Not root: print why and exit 77 (skip).
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "nl.h"
#include "../unit/tap.h"

static char sys_pfx[8];  /* "vt" (or VNL_TEST_PFX) + 4 hex digits of the pid */

/* Name with the run's prefix: sys_name(buf, "h0") -> "vt1a2bh0". */
static inline const char *sys_name(char *buf, size_t size, const char *suffix)
{
	snprintf(buf, size, "%s%s", sys_pfx, suffix);
	return buf;
}

/* Run a shell command (printf-style); its exit status, or -1. */
__attribute__((format(printf, 1, 2))) static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

struct sys_links {
	char names[64][16];  /* root-namespace links with our prefix */
	int n;               /* entries used */
};

static inline void sys_links_cb(const struct nl_link_info *info, void *arg)
{
	struct sys_links *l = arg;

	if (!strncmp(info->name, sys_pfx, strlen(sys_pfx)) && l->n < 64)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", info->name);
}

/* Number of our objects still present: namespaces, root-namespace links. */
static inline int sys_leftovers(int remove)
{
	struct sys_links links = { .n = 0 };
	struct dirent *d;
	int n = 0, i;
	DIR *dir;

	dir = opendir(NETNS_RUN_DIR);
	while (dir && (d = readdir(dir)))
		if (!strncmp(d->d_name, sys_pfx, strlen(sys_pfx))) {
			n++;
			if (remove)
				netns_delete(d->d_name, NULL);
		}
	if (dir)
		closedir(dir);
	nl_link_list(-1, sys_links_cb, &links, NULL);
	for (i = 0; i < links.n; i++)
		if (remove)
			nl_link_del(-1, links.names[i], NULL);
	return n + links.n;
}

static inline void sys_cleanup(void)
{
	sys_leftovers(1);
}

static inline void sys_on_signal(int sig)
{
	printf("# killed by signal %d: cleaning up\n", sig);
	fflush(stdout);
	sys_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Wait up to ~3 s for the kernel to finish freeing namespaces (it is asynchronous). */
static inline int sys_leftovers_settled(void)
{
	int i, n = 0;

	for (i = 0; i < 30 && (n = sys_leftovers(0)) > 0; i++)
		usleep(100 * 1000);
	return n;
}

static inline void sys_init(void)
{
	const char *p = getenv("VNL_TEST_PFX");

	if (geteuid() != 0) {
		printf("# SKIP: needs root (creates network namespaces, veth pairs, mounts)\n");
		exit(77);
	}
	if (!p || strlen(p) != 2 || strspn(p, "abcdefghijklmnopqrstuvwxyz") != 2)
		p = "vt";
	snprintf(sys_pfx, sizeof(sys_pfx), "%s%04x", p, (unsigned int)getpid() & 0xffff);
	printf("# object prefix: %s\n", sys_pfx);
	signal(SIGTERM, sys_on_signal);
	signal(SIGINT, sys_on_signal);
	atexit(sys_cleanup);
}
