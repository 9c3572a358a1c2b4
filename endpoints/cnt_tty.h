/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `crun exec --tty` for the cnt kind with the terminal proxied by us, not
 * by crun (endpoints/cnt_tty.c says why).
 *
 * Errors: 0 with *status set (the command's exit status as crun returns
 * it: 128 + signal when crun itself was killed), or a negative errno when
 * the command was not run (socket, fork), with a message in err.
 * Thread-safety: one call per process at a time (it changes the caller's
 * terminal mode and its SIGWINCH disposition while it runs).
 */
#pragma once

#include "err.h"

/*
 * Run argv inside container `id` of crun state root `crun_root` on a new
 * pseudo-terminal of the container, and copy between it and the caller's
 * stdin/stdout until the command's side of the terminal is closed and
 * every byte it wrote has been copied.  When stdin is a terminal it is put
 * in raw mode meanwhile (restored on return) and its size is passed on,
 * also when it changes.
 */
int cnt_tty_exec(const char *crun_root, const char *id, char *const argv[], int *status,
		 struct vnl_err *err);
