/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A lab's state folder (/var/lib/vnetlab/LAB): the desired topology
 * (topology.yaml, the same format as `vnl deploy` files) and what vnld needs
 * to re-adopt the running lab (runtime.json: the switch's pid and start time).
 *
 * Every write is atomic: a temporary file in the folder, fsync, rename over
 * the old file, fsync of the folder. A crash leaves the old or the new
 * version, never a mix.
 *
 * Errors: 0 or negative errno with the vnl_err filled. Thread-safety: none.
 */
#pragma once

#include <sys/types.h>

#include "err.h"
#include "topology.h"

int state_save(const char *dir, const struct topo *t, pid_t switch_pid, unsigned long long switch_start,
	       struct vnl_err *err);
/*
 * Missing files give an empty topology and pid 0. The switch's pid and
 * start time are read first and always (a runtime.json that cannot be read
 * gives pid 0): a topology that cannot be read does not hide the switch.
 * A topology.yaml that cannot be read gives -EBADMSG, *t NULL and err
 * "PATH:LINE:COLUMN: problem"; the file is left as it is (docs/vnld.md,
 * "State files").
 */
int state_load(const char *dir, struct topo **t, pid_t *switch_pid, unsigned long long *switch_start,
	       struct vnl_err *err);
/*
 * An underlay interface whose MTU a lab raised for a vxlan LAN
 * (lab_vxlan.h): its MTU goes back to `orig` when the lab's last vxlan LAN
 * on it goes, or at `vnld --cleanup` (scavenge_restore_mtus). Kept in
 * underlay-mtu.json, written atomically at every change.
 */
struct state_mtu {
	char iface[16];		/* in the lab's netns (vnld's) */
	unsigned orig;		/* before the lab's first raise */
	unsigned now;		/* what the lab set last */
};
int state_save_mtus(const char *dir, const struct state_mtu *m, unsigned n, struct vnl_err *err);
/* The records (at most max) into m; how many (0: none, or no readable file). */
unsigned state_load_mtus(const char *dir, struct state_mtu *m, unsigned max);

/* Remove the files and the folder (missing pieces are fine). */
void state_remove(const char *dir);
