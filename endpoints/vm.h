/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names and files of the `vm` kind (endpoints/vm.c), for vnld's guest
 * supervision (vm_lab.c, vm_guest.c: the hvc0 bootstrap, the agent link,
 * QMP) and for tests.  The kind itself is node_kind_vm in node_kind.h.
 *
 * Everything derives from (lab, node), so every slot works from the names
 * alone, after a vnld crash too:
 *
 *   state folder  /var/lib/vnetlab/LAB/vm/NODE
 *     disk.qcow2    the node's disk: a qcow2 overlay on the image (the
 *                   image itself is never written)
 *     cfg.img       the configuration disk (ext2 made with mke2fs -d from
 *                   cfg/: vnl-agent and start.sh), attached read-only with
 *                   serial "vnlcfg"
 *     console.log   everything the guest wrote on ttyS0
 *     qemu.log      qemu's own messages
 *     halted        present while the user has halted the node (vnl halt):
 *                   start() then leaves it off, until vnl reboot
 *   run folder    /run/vnetlab/LAB/vm/NODE
 *     qemu.pid      qemu's pid (-pidfile)
 *     qmp.sock      QMP (vnld: state, reset)
 *     hvc0.sock     the guest's /dev/hvc0 (virtconsole): vnld's bootstrap
 *     agent.sock    the virtserialport AP_PORT_NAME: the agent channel
 *     ttyS0.sock    the guest's serial console: `vnl console NODE`
 *   NIC i         vhost-user socket /run/vnetlab/LAB/vhost/NODE-i.sock,
 *                 qemu is the server, the switch connects as a client (so
 *                 either side may restart); MAC ns_nic_mac(lab, node, i)
 *   qemu          -name vnl.LAB.NODE
 *
 * Thread-safety: pure functions.
 */
#pragma once

#include <limits.h>
#include <stddef.h>

#define VM_CFG_SERIAL "vnlcfg"

struct vm_paths {
	char dir[128];              /* state folder */
	char run[128];              /* run folder */
	char disk[PATH_MAX];
	char cfg_dir[PATH_MAX];
	char cfg_img[PATH_MAX];
	char console_log[PATH_MAX];
	char qemu_log[PATH_MAX];
	char halted[PATH_MAX];
	char pidfile[PATH_MAX];
	char qemu_logw[PATH_MAX];   /* run folder: the vnl-logcap writing qemu_log, */
	char console_logw[PATH_MAX]; /* and console_log (logcap_record) */
	char qmp[108];              /* unix socket paths fit sun_path */
	char hvc0[108];
	char agent[108];
	char ttys0[108];
	char name[64];              /* qemu -name: vnl.LAB.NODE */
};

void vm_paths(const char *lab, const char *node, struct vm_paths *p);

/* vhost-user socket of NIC i into buf (108 bytes). */
void vm_nic_sock(const char *lab, const char *node, unsigned int i, char *buf, size_t size);

/* The pid of the node's qemu when it runs (its pid file names a live
 * process whose command line is ours), else 0. */
int vm_qemu_pid(const struct vm_paths *p);
