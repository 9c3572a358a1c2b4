/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal QMP client for vnld (vm_guest.c): connect to qemu's
 * QMP socket, leave capabilities negotiation, pass events on by name, send
 * commands without waiting for their answer (the answers are read and
 * dropped; an error answer is logged by the caller's `event` callback as
 * "error").  QMP sends one JSON object per line.
 *
 * Errors: 0 / negative errno.  Thread-safety: none (vnld's loop).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "evloop.h"

struct qmp {
	int fd;                       /* -1 when not connected */
	struct ev_watch *w;
	char buf[16384];              /* a partial line */
	size_t len;
	bool ready;                   /* qmp_capabilities sent */
	/* An event ("RESET", "SHUTDOWN", ...) or "error" with its description. */
	void (*event)(const char *name, const char *detail, void *arg);
	void (*closed)(void *arg);    /* qemu closed the socket (exited) */
	void *arg;
};

/* Connect (non-blocking after connect). -errno when qemu is not there. */
int qmp_connect(struct qmp *q, struct evloop *loop, const char *path);
/* Close; idempotent. */
void qmp_close(struct qmp *q);
/* Send {"execute": cmd} ("arguments": args, a JSON object text, when not
 * NULL). -ENOTCONN when not connected. */
int qmp_execute(struct qmp *q, const char *cmd, const char *args);
