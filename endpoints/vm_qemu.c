/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The qemu command line of a VM node (vm_priv.h).  Decisions:
 *   - guest RAM is a shared memfd: vhost-user backends (the switch) map it;
 *   - every socket is a qemu *server* with wait=off: qemu never waits for
 *     vnld or the switch, and either may restart and connect again;
 *   - under TCG (no /dev/kvm) virtio-net gets vectors=0: qemu 7.2 crashes
 *     in msix_set_vector_notifiers when a vhost-user virtio-net-pci device
 *     starts with MSI-X under TCG (../shared/HOST-NOTES.md);
 *   - virtio-net names its offloads (VM_NET_OFFLOADS): exactly what
 *     vnl-switchd's vhost ports offer (checksums and TSO4 both ways, TSO6
 *     towards the guest only, no ECN or UFO; qemu masks the rest with the
 *     backend anyway, the list is the contract), mergeable rx buffers, and
 *     1024-entry rings: one 64 KiB frame fills 16 to 44 rx buffers;
 *   - ttyS0 goes to a socket for `vnl console` and is logged to
 *     console.log through vnl-logcap (capped: common/logcap.h): qemu
 *     writes its inherited fd VM_CONSOLE_FD, passed as /dev/fdset/1; hvc0 (virtconsole) is vnld's bootstrap line; the agent
 *     port is the virtserialport named AP_PORT_NAME;
 *   - the configuration disk is read-only, with serial VM_CFG_SERIAL so the
 *     bootstrap finds it in /sys/block/vd* /serial whatever its letter;
 *   - VNL_QEMU (tests and benches only) names another program to run in
 *     qemu-system-x86_64's place, e.g. a wrapper that starts it slowly; it
 *     must exec qemu with the same arguments (vm_qemu_pid finds qemu by them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentproto.h"
#include "ns.h"
#include "topology.h"
#include "vm_priv.h"

bool vm_have_kvm(void)
{
	const char *force = getenv("VNL_QEMU_ACCEL"); /* "tcg": never KVM (tests of the TCG path) */
	int fd;

	if ((force && !strcmp(force, "tcg")) || access(VM_KVM_BROKEN, F_OK) == 0)
		return false;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The offload part of every virtio-net-pci NIC (see the decisions above). */
#define VM_NET_OFFLOADS                                                                       \
	"csum=on,guest_csum=on,host_tso4=on,host_tso6=off,host_ecn=off,host_ufo=off,"        \
	"guest_tso4=on,guest_tso6=on,guest_ecn=off,guest_ufo=off,mrg_rxbuf=on,"              \
	"rx_queue_size=1024,tx_queue_size=1024"

static const char *qemu_bin(void)
{
	const char *bin = getenv("VNL_QEMU");

	return bin && *bin ? bin : "qemu-system-x86_64";
}

/* Append one formatted argument; false when c is full. */
__attribute__((format(printf, 2, 3))) static bool arg(struct vm_cmd *c, const char *fmt, ...)
{
	size_t room = sizeof(c->buf) - c->used;
	va_list ap;
	int n;

	if (c->n + 2 > sizeof(c->argv) / sizeof(c->argv[0]))
		return false;
	va_start(ap, fmt);
	n = vsnprintf(c->buf + c->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return false;
	c->argv[c->n++] = c->buf + c->used;
	c->argv[c->n] = NULL;
	c->used += (size_t)n + 1;
	return true;
}

int vm_qemu_cmd(const struct node_ctx *node, const struct vm_paths *p, const struct vm_image *img,
		struct vm_cmd *c, struct vnl_err *err)
{
	unsigned mem = vm_opt_uint(node, VM_MEM);
	unsigned cpus = vm_opt_uint(node, VM_CPUS);
	bool kvm = vm_have_kvm(), ok = true;

	c->n = 0;
	c->used = 0;
	ok = arg(c, "%s", qemu_bin()) && arg(c, "-name") && arg(c, "%s,process=%s", p->name, p->name) &&
	     arg(c, "-machine") && arg(c, "q35,accel=%s", kvm ? "kvm" : "tcg") && arg(c, "-cpu") &&
	     arg(c, "%s", kvm ? "host" : "max") && arg(c, "-smp") && arg(c, "%u", cpus) && arg(c, "-m") &&
	     arg(c, "%u", mem) && arg(c, "-object") &&
	     arg(c, "memory-backend-memfd,id=mem,size=%uM,share=on", mem) && arg(c, "-numa") &&
	     arg(c, "node,memdev=mem") && arg(c, "-nodefaults") && arg(c, "-no-user-config") &&
	     arg(c, "-display") && arg(c, "none") && arg(c, "-pidfile") && arg(c, "%s", p->pidfile) &&
	     arg(c, "-qmp") && arg(c, "unix:%s,server=on,wait=off", p->qmp) &&
	     /* ttyS0: the user's console, logged through vnl-logcap's pipe */
	     arg(c, "-add-fd") && arg(c, "fd=%d,set=1", VM_CONSOLE_FD) && arg(c, "-chardev") &&
	     arg(c, "socket,id=ttys0,path=%s,server=on,wait=off,logfile=/dev/fdset/1,logappend=on",
		 p->ttys0) &&
	     arg(c, "-serial") && arg(c, "chardev:ttys0") &&
	     /* hvc0 and the agent port */
	     arg(c, "-device") && arg(c, "virtio-serial-pci,id=vser") && arg(c, "-chardev") &&
	     arg(c, "socket,id=hvc0,path=%s,server=on,wait=off", p->hvc0) && arg(c, "-device") &&
	     arg(c, "virtconsole,chardev=hvc0,bus=vser.0") && arg(c, "-chardev") &&
	     arg(c, "socket,id=agent,path=%s,server=on,wait=off", p->agent) && arg(c, "-device") &&
	     arg(c, "virtserialport,chardev=agent,bus=vser.0,name=%s", AP_PORT_NAME) &&
	     /* disks */
	     arg(c, "-drive") && arg(c, "file=%s,if=none,id=disk0,format=qcow2,cache=writeback", p->disk) &&
	     arg(c, "-device") && arg(c, "virtio-blk-pci,drive=disk0,bootindex=1") && arg(c, "-drive") &&
	     arg(c, "file=%s,if=none,id=cfg,format=raw,readonly=on", p->cfg_img) && arg(c, "-device") &&
	     arg(c, "virtio-blk-pci,drive=cfg,serial=%s", VM_CFG_SERIAL);
	for (unsigned i = 0; ok && i < node->nics; i++) {
		unsigned mtu = i < TOPO_NICS_MAX ? node->nic_mtus[i] : 0;
		char sock[108], host_mtu[24] = "";
		uint8_t m[6];

		vm_nic_sock(node->lab, node->name, i, sock, sizeof(sock));
		ns_nic_mac(node->lab, node->name, i, m);
		/* The guest takes the LAN's mtu at probe (and as its max_mtu). */
		if (mtu && mtu != TOPO_LAN_MTU_DEF)
			snprintf(host_mtu, sizeof(host_mtu), ",host_mtu=%u", mtu);
		ok = arg(c, "-chardev") && arg(c, "socket,id=nic%u,path=%s,server=on,wait=off", i, sock) &&
		     arg(c, "-netdev") && arg(c, "vhost-user,id=net%u,chardev=nic%u,queues=1", i, i) &&
		     arg(c, "-device") &&
		     arg(c, "virtio-net-pci,netdev=net%u,mac=%02x:%02x:%02x:%02x:%02x:%02x," VM_NET_OFFLOADS "%s%s",
			 i, m[0], m[1], m[2], m[3], m[4], m[5], kvm ? "" : ",vectors=0", host_mtu);
	}
	if (ok && img->kernel[0]) {
		ok = arg(c, "-kernel") && arg(c, "%s", img->kernel) && arg(c, "-append") && arg(c, "%s", img->cmdline);
		if (ok && img->initrd[0])
			ok = arg(c, "-initrd") && arg(c, "%s", img->initrd);
	}
	if (!ok)
		return vnl_errf(err, -E2BIG, "vm %s: the qemu command line is too long", node->name);
	return 0;
}
