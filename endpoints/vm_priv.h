/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the `vm` kind: its image lookup, qemu command line and
 * configuration disk, one file each (vm_image.c, vm_qemu.c, vm_cfgdisk.c),
 * used by the slots in vm.c.  Errors: 0 / negative errno + vnl_err.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "err.h"
#include "node_kind.h"
#include "paths.h"
#include "vm.h"

/* The options of a vm node: indexes into vm_schema.opts (vm.c). */
enum vm_opt { VM_IMAGE, VM_MEM, VM_CPUS, VM_N_OPTS };
extern const struct topo_kind vm_schema;

/* UINT option i of the node: its value, or the schema's default. */
static inline unsigned vm_opt_uint(const struct node_ctx *node, enum vm_opt i)
{
	return node->model ? topo_node_uint(node->model, i) : vm_schema.opts[i].def;
}

/* A VM image as found on disk. */
struct vm_image {
	char disk[PATH_MAX];     /* the qcow2 base disk (absolute) */
	char kernel[PATH_MAX];   /* direct kernel boot: NAME.vmlinuz, or "" (boot the disk) */
	char initrd[PATH_MAX];   /* NAME.initrd, or "" */
	char cmdline[1024];      /* NAME.cmdline's first line, else "console=ttyS0" */
};

/*
 * Resolve `name`: an absolute path to a qcow2 file, or a name looked up in
 * $VNL_IMAGES (default /var/lib/vnetlab-images) as NAME.qcow2, then NAME.
 * -ENOENT (no such image), -EINVAL (not qcow2, bad name).
 */
int vm_image_find(const char *name, struct vm_image *img, struct vnl_err *err);

/* qemu's argv, in storage owned by the struct. */
struct vm_cmd {
	char *argv[160];
	unsigned n;
	char buf[16384];
	size_t used;
};

/* Build the qemu command line of node (NICs, disks, serial ports, QMP,
 * memory shared for vhost-user; KVM when /dev/kvm opens, else TCG).
 * -E2BIG when it does not fit.  ttyS0's log is qemu's fd VM_CONSOLE_FD
 * (fdset 1): the write end of vnl-logcap's pipe, which the caller hands
 * over as spawn_detached()'s keep_fd (common/logcap.h); qemu's stdout and
 * stderr (qemu.log) are another vnl-logcap's pipe. */
#define VM_CONSOLE_FD 3
int vm_qemu_cmd(const struct node_ctx *node, const struct vm_paths *p, const struct vm_image *img,
		struct vm_cmd *c, struct vnl_err *err);

/*
 * True when /dev/kvm can be used: it opens, VNL_QEMU_ACCEL is not "tcg",
 * and no qemu has died at start under KVM on this host since boot (then
 * vm.c writes VM_KVM_BROKEN with qemu's message, and every later VM runs
 * under TCG: nested hosts may expose a /dev/kvm that qemu cannot use).
 */
bool vm_have_kvm(void);
#define VM_KVM_BROKEN VNL_RUN_ROOT "/kvm-unusable"

/* (Re)build the configuration disk p->cfg_img (vnl-agent and start.sh,
 * ext2 via mke2fs -d from p->cfg_dir); all or nothing. */
int vm_cfgdisk_build(const struct node_ctx *node, const struct vm_paths *p, struct vnl_err *err);

/* The console slot (vm_console.c): ttyS0 on the caller's terminal. */
int vm_console(struct node_ctx *node, int *status, struct vnl_err *err);

/* The kind's side in vnld (vm_lab.c): the lab_open, lab_sync, lab_close,
 * live_status, power and host_nodes slots of node_kind_vm (node_kind.h). */
void *vm_lab_open(const struct node_lab *lab, struct vnl_err *err);
void vm_lab_sync(void *state, const struct topo *t);
void vm_lab_close(void *state);
void vm_live_status(void *state, const struct node_ctx *node, struct json_object *out);
int vm_power(void *state, struct node_ctx *node, enum node_power op, const char **done, struct vnl_err *err);
int vm_nic_repair(void *state, const struct node_ctx *node, unsigned int nic,
		  void (*done)(int code, const char *text, void *arg), void *arg, struct vnl_err *err);
int vm_host_nodes(const char *lab, int (*add)(const char *node, void *arg), void *arg);
