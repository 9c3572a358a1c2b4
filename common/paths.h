/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where vnetlab keeps things on the host (docs/vnld.md, "Files"): C code
 * spells these roots only here.
 *
 *   VNL_RUN_ROOT/LAB      sockets, pid files, logs, crun's state: what a
 *                         running lab needs, gone at reboot (tmpfs)
 *   VNL_STATE_ROOT/LAB    what the lab is: topology, runtime.json, VM disks,
 *                         container overlays
 *   VNL_IMAGES_DEFAULT    cnt and vm images, unless $VNL_IMAGES says where
 *   VNL_SWITCHD_SOCK      the control socket of a vnl-switchd started by hand
 *                         (vnld gives its own switch VNL_RUN_ROOT/LAB/switchd.sock)
 *
 * Errors: 0, or -ENAMETOOLONG when the path does not fit (buf then holds a
 * truncated, unusable path).  Thread-safety: no shared state.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define VNL_RUN_ROOT "/run/vnetlab"
#define VNL_STATE_ROOT "/var/lib/vnetlab"
#define VNL_IMAGES_DEFAULT "/var/lib/vnetlab-images"
#define VNL_SWITCHD_SOCK VNL_RUN_ROOT "/vnl-switchd.sock"

/* buf = ROOT/LAB (root: VNL_RUN_ROOT or VNL_STATE_ROOT). */
static inline int vnl_lab_dir(char *buf, size_t len, const char *root, const char *lab)
{
	int n = snprintf(buf, len, "%s/%s", root, lab);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* buf = ROOT/LAB/ followed by fmt...: vnl_path(p, sizeof(p), VNL_RUN_ROOT,
 * lab, "vm/%s/qmp.sock", node). */
__attribute__((format(printf, 5, 6)))
static inline int vnl_path(char *buf, size_t len, const char *root, const char *lab, const char *fmt, ...)
{
	va_list ap;
	size_t at;
	int n;

	if (vnl_lab_dir(buf, len, root, lab) < 0 || (at = strlen(buf)) + 1 >= len)
		return -ENAMETOOLONG;
	buf[at++] = '/';
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - at ? -ENAMETOOLONG : 0;
}
