/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VXLAN underlay: one per (network namespace, host interface) that
 * vxlan ports (port_vxlan.h) send and receive through. The switch creates it
 * with the first vxlan port that names the interface and deletes it with
 * the last (underlay_get/underlay_put); it is also a port of the registry,
 * kind "underlay", named "@IFACE" (or "@NETNS:IFACE" in another namespace:
 * a name port-add can never take, reg_check_name refuses '@'), with a slot,
 * counters and a worker that polls it. It is in no LAN.
 *
 * What it owns (docs/plans/vxlan.md 2.3):
 *   - one AF_XDP socket per rx queue of the interface (xsk.h), at most
 *     UL_QUEUES_MAX (an interface with more is refused with the count and
 *     "ethtool -L IFACE rx|combined 8"), each with its own umem (2048 x 4
 *     KiB: 8 MiB a queue), opened with no program (XSK_PROG_NONE) and put
 *     in the steering program's XSKMAP at its queue index (the program
 *     redirects by ctx->rx_queue_index). The queue count is read once, at
 *     open: changing it under a running switch (ethtool -L) is not followed
 *     (a new queue's frames find no socket and go to the kernel; the kernel
 *     refuses to remove a queue a socket is bound to);
 *   - the steering XDP program (vxlan_steer.bpf.c, embedded in the binary),
 *     attached through libxdp, driver mode then generic; its copies left by
 *     a crashed switch (found by name, VXS_PROG_NAME) are removed at open,
 *     no other program is ever touched;
 *   - the keys: (family, local address, UDP port) pairs the program steers,
 *     each with a kernel UDP socket bound to it, so no kernel VXLAN device
 *     or application can take the port and nothing leaks as ICMP port
 *     unreachable; what the kernel still delivers there (fragments) is
 *     drained each control tick and counted (rx_via_kernel);
 *   - the VNI table: VNI -> vxlan port, immutable, RCU-published;
 *   - the tx half of one socket's umem (queue UL_TXQ's) and the lock that
 *     serialises it: every vxlan port of the underlay sends through
 *     xsk[UL_TXQ] (ul_tx_*), and its struct port's txl points at `txl`.
 *     One tx socket: the copies of every worker pass the one lock anyway,
 *     and in copy mode a kick costs per frame, not per socket; the tx
 *     halves of the other sockets stay unused.
 *
 * Rx (the underlay port's rx(), one worker): the sockets are polled round
 * robin within a burst, starting one queue further than the last burst
 * started (rx_next), until a burst's worth of datagrams was read or every
 * queue was asked once.
 * Per frame vx_parse(), the VNI
 * table, the sender among the port's remotes, the inner frame copied into a
 * fresh mbuf with m->port = the vxlan port's slot and m->hash.usr = the
 * remote's index (snap_port.demux: the worker bridges it as received on
 * that port, from that remote). Drops before the VNI is known count on the
 * underlay (drop_vx_short, drop_vx_flags, drop_vx_vni, drop_vx_csum), after
 * it on the vxlan port (drop_vx_remote; and the worker's drop_no_lan for a
 * port not in a LAN or leaving the snapshot). Per remote: rx counters and
 * last_rx (port_vxlan.h).
 *
 * Thread-safety: underlay_get/put, the key and VNI functions and the show
 * run on the control thread. The VNI table is read by the polling worker
 * (one acquire load per rx burst) and replaced by the control thread (build,
 * release store, snapshot_wait_readers, free). The tx side (ul_tx_*) is
 * called by vxlan ports' tx() with *p->txl held when several workers run
 * (worker.c tx_send), so by one thread at a time; rx and tx use disjoint
 * halves of the umem (xsk.h) and run concurrently.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_spinlock.h>

#include "port.h"
#include "vxlan.h"
#include "vxlan_steer.h"
#include "xsk.h"

#define UL_QUEUES_MAX VXS_QUEUES_MAX /* rx queues (AF_XDP sockets) per underlay: the XSKMAP's size */
#define UL_TXQ 0            /* the queue whose socket sends (ul_tx_*) */
#define UL_VNI_BUCKETS 256  /* the VNI table: open addressing, at most half full */
#define UL_VNIS_MAX (UL_VNI_BUCKETS / 2)
#define UL_NETNS_MAX 96     /* netns path length, with the NUL */

struct bpf_object;
struct vx_port;
struct xdp_program;

/* One (family, local, UDP port) the program steers, with its reserved socket. */
struct ul_key {
	struct vxs_key k;  /* as in the program's map */
	int family;        /* AF_INET, AF_INET6 */
	unsigned refs;     /* vxlan ports using it */
	int fd;            /* the kernel UDP socket bound to it (SO_RCVBUF small) */
};

/* The VNI table: immutable once published. Bucket of a VNI: ul_vni_hash(),
 * then linear probing; vx NULL ends a probe. */
struct ul_vni_table {
	uint16_t n;                 /* entries */
	struct ul_vni {
		uint32_t vni;
		uint16_t slot;          /* the vxlan port's slot: m->port */
		struct vx_port *vx;     /* NULL: free bucket */
	} e[UL_VNI_BUCKETS];
};

struct underlay {
	char name[VNL_NAME_MAX];   /* "@IFACE" or "@NETNS:IFACE" (NETNS: the path's last part) */
	char netns[UL_NETNS_MAX];  /* netns path as given to port-add ("": the switch's own) */
	int netns_fd;              /* an fd of it for netns_call() and neigh.c; -1: our own */
	dev_t ns_dev;              /* the namespace's identity (fstat of the fd, or of */
	ino_t ns_ino;              /* /proc/self/ns/net): two paths of one netns are one */
	char iface[IF_NAMESIZE];
	unsigned ifindex;          /* in netns */
	uint8_t mac[6];            /* the interface's MAC at open (neigh.c follows changes) */
	unsigned mtu;              /* its MTU at open (ditto) */
	unsigned nb_queues;        /* rx queues of the interface at open: xsk[0..nb_queues-1] */
	unsigned rx_next;          /* the queue the next rx burst starts at (the polling worker's; written only with several queues) */
	struct port *port;         /* the registry port "@..." (rx); NULL once it is closed */
	unsigned refs;             /* vxlan ports using the underlay */
	struct xsk xsk[UL_QUEUES_MAX]; /* unused ones zeroed with fd -1 (xsk_close takes them) */
	/* The steering program, attached to ifindex in netns. */
	struct bpf_object *obj;    /* the embedded object, opened */
	struct xdp_program *prog;  /* its program */
	bool prog_attached;
	bool prog_native;          /* driver mode (else generic) */
	int map_keys, map_xsks, map_stats; /* fds of its maps */
	unsigned nb_keys;
	struct ul_key keys[VXS_KEYS_MAX];
	struct ul_vni_table *_Atomic vnis;  /* read by the worker, see Thread-safety */
	struct ul_vni_table *spare;         /* the next table's memory (control thread):
					     * allocated by underlay_vni_add, so a delete never fails */
	uint64_t rx_via_kernel;    /* datagrams drained from the reserved sockets */
	rte_spinlock_t txl;        /* the tx lock of every vxlan port of this underlay */
	void *neigh;               /* neigh.c's per-underlay state (netlink sockets), NULL until it sets it */
	uint64_t neigh_rescans;    /* neigh.c: rescans of every remote that events asked for (show) */
	struct underlay *next;     /* the list of underlays (underlay.c) */
};

extern const struct port_ops port_underlay_ops;

/* ---- control thread ---- */

/*
 * The underlay of (netns, iface), opened if there is none: a reference for
 * one vxlan port. netns: a netns path or NULL (our own). busy: the slot of
 * the port being opened (its own port-add has taken it but not yet filled
 * it): the underlay's port gets another. The new underlay's port is in the
 * registry, not yet published (the caller's port-add publishes both).
 * 0, or -errno with err filled: -ENODEV (no such interface), -EINVAL (more
 * than UL_QUEUES_MAX rx queues, a name too long), -EBUSY (another AF_XDP
 * socket on one of the queues: the message names it), -EOPNOTSUPP (no
 * XDP), -ENOSPC. On failure nothing is left: every socket and umem opened
 * so far is closed, no program stays attached.
 */
int underlay_get(const char *netns, const char *iface, uint16_t busy, struct underlay **out,
		 struct vnl_err *err);

/* Drop one reference; the last closes the underlay (its port is deleted
 * from the registry: published, then the program, keys, sockets go). */
void underlay_put(struct underlay *ul);

/* 1 when addr (family AF_INET/AF_INET6, network order) is an address of the
 * interface (IPv6: not tentative), 0 when not, -errno + err. */
int underlay_has_addr(struct underlay *ul, int family, const uint8_t addr[16], struct vnl_err *err);

/*
 * Steer (family, local, port) to the socket: a new key binds its reserved
 * UDP socket first (EADDRINUSE: "UDP port 4789 on 192.0.2.1 is in use on
 * the host (a kernel vxlan device?)") then enters the program's map; a key
 * there already gains a reference. 0 or -errno + err (-ENOSPC: VXS_KEYS_MAX).
 */
int underlay_key_add(struct underlay *ul, int family, const uint8_t local[16], uint16_t port,
		     struct vnl_err *err);
/* Drop a reference of the key; the last removes it from the map and closes its socket. */
void underlay_key_del(struct underlay *ul, int family, const uint8_t local[16], uint16_t port);

/*
 * Publish a VNI table with vni -> (slot, vx) added. -EEXIST when the VNI is
 * another vxlan port's on this underlay ("VNI 100 is used by port 'x' on
 * @eth1"), -ENOSPC beyond UL_VNIS_MAX. Returns once no worker sees the old table.
 */
int underlay_vni_add(struct underlay *ul, uint32_t vni, uint16_t slot, struct vx_port *vx,
		     struct vnl_err *err);
/* Publish the table without vni; returns once no worker sees the old one. */
void underlay_vni_del(struct underlay *ul, uint32_t vni);

/* ---- worker: the VNI lookup (rx) ---- */

static inline unsigned ul_vni_hash(uint32_t vni)
{
	return (vni * 2654435761u) >> 24;  /* top 8 bits: UL_VNI_BUCKETS */
}

/* The entry of vni in t, or NULL. */
static inline const struct ul_vni *ul_vni_find(const struct ul_vni_table *t, uint32_t vni)
{
	for (unsigned i = ul_vni_hash(vni), k = 0; k < UL_VNI_BUCKETS; i = (i + 1) % UL_VNI_BUCKETS, k++) {
		if (t->e[i].vx == NULL)
			return NULL;
		if (t->e[i].vni == vni)
			return &t->e[i];
	}
	return NULL;
}

/* ---- any worker, in a vxlan port's tx(): the underlay's tx side ----
 * The socket of queue UL_TXQ. The caller holds *p->txl when several
 * workers run (worker.c does), so these run on one thread at a time. One
 * ul_tx_reclaim per burst before reserving, one ul_tx_kick per burst after
 * submitting. */

/* Move frames the kernel has sent back to the free stack. */
static inline void ul_tx_reclaim(struct underlay *ul)
{
	xsk_tx_reclaim(&ul->xsk[UL_TXQ]);
}

/* Reserve min(n, free frames, free ring entries) descriptors, the first at
 * *idx: that count, 0 when the ring or the frames are exhausted. */
static inline uint32_t ul_tx_reserve(struct underlay *ul, uint32_t n, uint32_t *idx)
{
	return xsk_tx_reserve(&ul->xsk[UL_TXQ], n, idx);
}

/* The umem frame of reserved descriptor idx, len bytes long (at most XSK_FRAME_SIZE). */
static inline uint8_t *ul_tx_frame(struct underlay *ul, uint32_t idx, uint32_t len)
{
	return xsk_tx_frame(&ul->xsk[UL_TXQ], idx, len);
}

/* Queue the k frames reserved and written (every reserved one must be). */
static inline void ul_tx_submit(struct underlay *ul, uint32_t k)
{
	xsk_tx_submit(&ul->xsk[UL_TXQ], k);
}

/* Send what is queued (copy mode: sendto until the kernel took it all or
 * makes no progress; xsk_tx_kick). underlay_rx's idle poll and the tick
 * kick again what a busy device left. Returns the sendto calls made. */
static inline unsigned ul_tx_kick(struct underlay *ul)
{
	return xsk_tx_kick(&ul->xsk[UL_TXQ]);
}
