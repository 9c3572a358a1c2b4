/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ports: the switch's attachment points. A port kind is a small backend behind
 * struct port_ops; ports are not DPDK ethdevs, so their number is bounded by
 * VNL_MAX_PORTS, not by RTE_MAX_ETHPORTS.
 *
 * Lifecycle (control thread): open() -> published in a snapshot -> removed
 * from the snapshot -> every worker has let go (snapshot_publish returned) ->
 * close() -> freed.
 *
 * Thread-safety: rx() is called by exactly one worker (the one the snapshot
 * assigns the port to). tx() may be called by every worker; when there are
 * several workers the caller holds *txl (the port's own tx_lock, or one it
 * shares with the ports that write the same queue), so a backend's tx()
 * never runs concurrently with itself nor with a sharer's. rx() and tx() may
 * run concurrently with each other, so a backend keeps their state apart. Backend state changed by
 * threads other than the control thread (vhost connect/disconnect callbacks)
 * is published through atomics in the backend and `up`.
 *
 * Offloads (offload.h): tx_ol says which offload states tx() takes. Whoever
 * changes it (open(), a vhost callback) stores it with release order before
 * setting `up` and clears it before the backend stops taking such frames;
 * a worker loads it with acquire order only when a burst holds offload frames.
 * The worker hands tx() an offload frame only when the caps it loaded cover
 * it; any other offload frame is completed in software (segments, checksums)
 * or, while `up` reads false, counted drop_link_down. So a stale 0 is always
 * safe: whatever vid or peer tx() then sees, it gets complete frames only.
 *
 * Demultiplexing (VXLAN, docs/plans/vxlan.md 2.4): a port kind may have no
 * rx() (a vxlan port): such a port is in no worker's poll list and is never
 * asked for frames; its frames come out of another port's rx(), one with
 * `demux` set (its underlay), stamped with the port they arrived on and the
 * remote they came through. The worker bridges them as received on that
 * port (rx counters, hooks and learning on it), split into runs of equal
 * (port, remote). `rx_via` names the demultiplexing port, so the registry
 * knows which worker sees a rx-less port's frames (reg_port_worker()).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "dp.h"
#include "stats.h"

struct port;

struct port_ops {
	const char *kind; /* "vhost", "afxdp" */

	/* Control thread. Parse this kind's arguments from the port-add
	 * request (name and kind are checked already) and open the backend.
	 * 0, or -errno with err filled; on failure nothing is left behind. */
	int (*open)(struct port *p, struct json_object *req, struct vnl_err *err);

	/* Control thread, once no worker can touch the port. Releases
	 * everything open() acquired (sockets, memory, XDP programs). */
	void (*close)(struct port *p);

	/* Worker owning the port: receive up to n frames into pkts (fresh
	 * mbufs from vnl_pktmbuf_pool, chains for long frames). A frame that
	 * arrives with offload state carries it in the form of offload.h.
	 * Frames lost or dropped on the way in, and rx_gso_frames, are counted
	 * in ps (this worker's counters of the port). Returns how many.
	 * With port.demux set, every returned frame has m->port = the slot of
	 * the rx-less port it belongs to (a port in the current snapshot whose
	 * rx_via is this port) and m->hash.usr = its remote index (fdb.h,
	 * below 65536); ps is still this port's (drops before the demux).
	 * NULL: a port that receives only through another port's demux (see
	 * Demultiplexing above); it is in no poll list and rx_fd is NULL. */
	uint16_t (*rx)(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps);

	/* Any worker, serialised by the caller: copy up to n frames out.
	 * Frames may be chains, and carry offload state only within tx_ol.
	 * Returns how many were sent, and pkts[0..sent) are exactly the frames
	 * the peer took, in their order (the `in` capture tap copies those
	 * and no other). A frame the peer refuses (tap: EINVAL) is counted in
	 * ps (drop_tx_refused: the calling worker's counters of the port) and
	 * moved right after the sent ones, and the burst goes on; the caller
	 * learns how many from that counter and counts the frames after them
	 * as drop_tx_full or drop_link_down. Never frees pkts (the
	 * caller frees them all: mbufs may be shared by a flood) and changes
	 * no byte a receiver sees, except a partial checksum field into
	 * another valid pseudo-header form (DPDK's vhost enqueue does;
	 * ol_to_vnet undoes it). */
	uint16_t (*tx)(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps);

	/* Control thread: add kind-specific fields (path, iface, status...). */
	void (*show)(const struct port *p, struct json_object *o);

	/* Optional, worker owning the port. An fd that polls readable
	 * (EPOLLIN, level-triggered) whenever rx() would return frames, the
	 * same from open() to close() and held by the backend alone, so that
	 * close() takes it out of every epoll set. The worker then calls rx()
	 * only when the fd is ready (and sleeps in epoll on it). NULL: rx() is
	 * called every iteration. */
	int (*rx_fd)(const struct port *p);

	/* Optional, control thread, before attach puts the port in a LAN of
	 * IP MTU mtu (0: none given) forwarding frames up to max_frame bytes:
	 * 0, or -errno + err when the port cannot carry them (vxlan: the
	 * encapsulated frame must fit the underlay's MTU). */
	int (*attach_check)(const struct port *p, uint16_t mtu, uint16_t max_frame, struct vnl_err *err);

	/* Optional, control thread, once a second (the underlay drains its
	 * reserved UDP sockets). */
	void (*tick)(struct port *p);
};

struct port {
	char name[VNL_NAME_MAX];
	uint16_t slot;             /* index in the registry, snapshots and counters */
	uint16_t lan;              /* LAN slot (control thread's view) */
	const struct port_ops *ops;
	const char *kind;          /* as requested: "vhost", "afxdp" */
	const char *backend;       /* what runs it: "vhost-user", "af_xdp", "af_packet" */
	char attach[108];          /* what it is attached to: socket path or interface */
	char note[160];            /* why a fallback was taken, or empty */
	_Atomic bool up;           /* link: peer connected / interface usable */
	_Atomic uint8_t tx_ol;     /* PORT_OL_* that tx() takes; see Offloads above */
	rte_spinlock_t tx_lock;    /* see Thread-safety above */
	/* The lock tx() is serialised by when there are several workers: the
	 * registry points it at tx_lock before open(); a kind whose ports
	 * share one queue points it at a lock they share (vxlan: its
	 * underlay's) in open(). Fixed from open() to close(). */
	rte_spinlock_t *txl;
	/* rx() demultiplexes (see Demultiplexing and rx above): set by open(),
	 * fixed for the port's life; snap_port.demux is its copy. */
	bool demux;
	/* Slot of the port whose rx() returns this port's frames: the port's
	 * own slot (set by the registry before open()), or for a kind without
	 * rx() the demultiplexing port's (vxlan: its underlay), set by open()
	 * and fixed for the port's life; that port outlives this one. */
	uint16_t rx_via;
	void *priv;                /* backend state */
};

/* The mbuf pool every backend receives into (created by main). */
extern struct rte_mempool *vnl_pktmbuf_pool;
/* Longest frame any port must be able to carry: max(--max-frame, 9022), a LAN may have mtu 9000. */
extern uint16_t vnl_max_frame;

extern const struct port_ops port_vhost_ops;
extern const struct port_ops port_xsk_ops;
extern const struct port_ops port_packet_ops;
extern const struct port_ops port_tap_ops;
extern const struct port_ops port_vxlan_ops;  /* port_vxlan.h */

/* Open a port of the kind named in the request: vhost, or afxdp with
 * fallback to AF_PACKET. 0 or -errno with err filled. */
int port_open(struct port *p, const char *kind, struct json_object *req, struct vnl_err *err);

/* Helpers for backends parsing port-add arguments. 0 or -errno + err. */
int port_arg_string(struct json_object *req, const char *key, bool required, const char **out,
		    struct vnl_err *err);
int port_arg_bool(struct json_object *req, const char *key, bool def, bool *out, struct vnl_err *err);

/* Any thread: p now takes the offload states caps and is up, published in
 * the order of "Offloads" above (caps with release order, then up). */
static inline void port_set_up(struct port *p, uint8_t caps)
{
	atomic_store_explicit(&p->tx_ol, caps, memory_order_release);
	atomic_store(&p->up, true);
}

/* Show, backends with offloads: o's "offload": {"rx": names of rx caps,
 * "tx": names of p's tx_ol} (offload.h ol_caps_name). */
void port_show_offload(const struct port *p, uint8_t rx, struct json_object *o);

/* Bring a host interface up and return its ifindex. 0 or -errno + err. */
int port_iface_up(const char *iface, unsigned *ifindex, struct vnl_err *err);
