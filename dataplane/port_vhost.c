/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-user ports, on DPDK's vhost library. The library maps the guest's
 * memory; dequeue copies a guest frame into an mbuf and enqueue copies an mbuf
 * into guest buffers: one copy per direction.
 *
 * The library calls new_device/destroy_device from its own thread. They only
 * publish the device id (vid), the tx offload caps (tx_ol) and the port's `up`
 * flag, in that order, through atomics; destroy_device clears tx_ol first and
 * then waits until no worker can still be using the old vid, because the
 * library unmaps the guest memory as soon as it returns.
 *
 * Offloads (offload.h): registered with RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS,
 * so dequeue reports a guest's partial checksum and TSO as RX flags that rx()
 * turns into the switch's state (ol_from_vhost); enqueue writes the virtio-net
 * header from the TX fields of that state. Neither EXTBUF nor LINEARBUF: a
 * 64 KiB guest frame becomes a chain from the packet pool. Offered: checksums
 * and TSO4 both ways, TSO6 only towards the guest (no TCP/IPv6 segmenter for
 * frames a guest would send), no ECN or UFO. The offered set is fixed per
 * switch version: qemu reconnects in a loop to a backend whose features shrank.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_vhost.h>

#include "dp_log.h"
#include "offload.h"
#include "port.h"
#include "snapshot.h"
#include "unixsock.h"

/* Virtqueues of a single queue pair, as the guest names them. */
#define VRING_GUEST_RX 0 /* we enqueue */
#define VRING_GUEST_TX 1 /* we dequeue */

/* Features never offered: ECN and UFO (the switch takes neither), and TSO6
 * from the guest (rte_gso 22.11 cannot cut TCP/IPv6 for ports without it). */
#define VHOST_FEATURES_OFF                                                                              \
	(1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_HOST_UFO | \
	 1ULL << VIRTIO_NET_F_GUEST_ECN | 1ULL << VIRTIO_NET_F_GUEST_UFO)
/* Port-add "offload": false: every checksum and segmentation feature off. */
#define VHOST_FEATURES_OFF_ALL                                                                      \
	(VHOST_FEATURES_OFF | 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |         \
	 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6)
/* RX flags of a dequeued frame that carry offload state (compliant mode). */
#define VHOST_RX_OL (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_MASK)

struct vhost_priv {
	char path[UNIX_PATH_SIZE];
	bool client;      /* we connect (and reconnect) to the peer's socket */
	bool offload;     /* port-add "offload" (default true): offer the features */
	_Atomic int vid;  /* connected device, or -1 */
	_Atomic uint64_t features; /* negotiated with the connected peer (show-ports); vhost thread writes */
	bool registered;  /* rte_vhost_driver_register() succeeded */
};

/* What the switch may send to a guest that negotiated features f. */
static uint8_t vhost_tx_caps(uint64_t f)
{
	if (!(f & 1ULL << VIRTIO_NET_F_GUEST_CSUM))
		return 0; /* virtio: no TSO without checksum offload */
	return PORT_OL_CSUM | (f & 1ULL << VIRTIO_NET_F_GUEST_TSO4 ? PORT_OL_TSO4 : 0) |
	       (f & 1ULL << VIRTIO_NET_F_GUEST_TSO6 ? PORT_OL_TSO6 : 0);
}

/* What a guest that negotiated features f may send to the switch. */
static uint8_t vhost_rx_caps(uint64_t f)
{
	if (!(f & 1ULL << VIRTIO_NET_F_CSUM))
		return 0;
	return PORT_OL_CSUM | (f & 1ULL << VIRTIO_NET_F_HOST_TSO4 ? PORT_OL_TSO4 : 0);
}

/*
 * Ports by socket path, for the library's callbacks. Thread-safety: vhost_lock
 * is taken by the control thread to add and remove entries and by the vhost
 * thread in callbacks; never held while calling into the vhost library.
 */
static pthread_mutex_t vhost_lock = PTHREAD_MUTEX_INITIALIZER;
static struct port *vhost_ports[VNL_MAX_PORTS];

static struct port *vhost_port_by_vid(int vid)
{
	char path[PATH_MAX];
	struct port *p = NULL;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	pthread_mutex_lock(&vhost_lock);
	for (unsigned i = 0; i < VNL_MAX_PORTS && p == NULL; i++) {
		struct port *q = vhost_ports[i];

		if (q != NULL && strcmp(((struct vhost_priv *)q->priv)->path, path) == 0)
			p = q;
	}
	pthread_mutex_unlock(&vhost_lock);
	return p;
}

static int vhost_new_device(int vid)
{
	struct port *p = vhost_port_by_vid(vid);
	struct vhost_priv *v;
	uint64_t f = 0;

	if (p == NULL)
		return -1;
	v = p->priv;
	/* One peer per port: a second connection to a server socket stays idle. */
	if (atomic_load(&v->vid) >= 0) {
		LOG(WARNING, port, "%s: a second vhost-user peer connected, ignoring it", p->name);
		return -1;
	}
	/* Polled: the peer need not kick us. */
	for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++)
		rte_vhost_enable_guest_notification(vid, q, 0);
	if (rte_vhost_get_negotiated_features(vid, &f) < 0)
		f = 0; /* no caps: frames to this guest are completed in software */
	atomic_store(&v->features, f);
	/* vid, then caps, then up (port.h): a worker that sees the caps sees the vid. */
	atomic_store_explicit(&v->vid, vid, memory_order_release);
	port_set_up(p, v->offload ? vhost_tx_caps(f) : 0);
	LOG(INFO, port, "%s: vhost-user peer connected, features 0x%" PRIx64, p->name, f);
	return 0;
}

static void vhost_destroy_device(int vid)
{
	struct port *p = vhost_port_by_vid(vid);
	struct vhost_priv *v;

	/* Callbacks run on the library's one thread: vid cannot change between. */
	if (p == NULL || atomic_load(&(v = p->priv)->vid) != vid)
		return;
	/* Caps first: from now on a worker segments and checksums for this port. */
	atomic_store_explicit(&p->tx_ol, 0, memory_order_release);
	atomic_store(&v->vid, -1);
	atomic_store(&p->up, false);
	atomic_store(&v->features, 0);
	/* The library frees the rings when we return. */
	snapshot_wait_readers();
	LOG(INFO, port, "%s: vhost-user peer disconnected", p->name);
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = vhost_new_device,
	.destroy_device = vhost_destroy_device,
};

/* A server socket path that exists: remove it if it is a stale socket. */
static int vhost_clear_stale(const char *path, struct vnl_err *err)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vnl_errno(err, errno, "cannot stat '%s'", path);
	if (!S_ISSOCK(st.st_mode))
		return vnl_errf(err, -EEXIST, "'%s' exists and is not a socket", path);
	/* Refused: nobody listens (its server died). A full backlog (EAGAIN)
	 * is a live server too. */
	fd = unix_connect(path, SOCK_NONBLOCK);
	if (fd >= 0)
		close(fd);
	if (fd >= 0 || fd == -EAGAIN)
		return vnl_errf(err, -EADDRINUSE, "'%s' is in use by another process", path);
	if (fd != -ECONNREFUSED)
		return vnl_errno(err, fd, "cannot probe socket '%s'", path);
	if (unlink(path) < 0)
		return vnl_errno(err, errno, "cannot remove stale socket '%s'", path);
	LOG(INFO, port, "removed stale socket %s", path);
	return 0;
}

static void vhost_table_set(struct port *p, struct port *val)
{
	pthread_mutex_lock(&vhost_lock);
	vhost_ports[p->slot] = val;
	pthread_mutex_unlock(&vhost_lock);
}

static int vhost_open(struct port *p, struct json_object *req, struct vnl_err *err)
{
	const char *path, *mode;
	struct vhost_priv *v;
	char dir[PATH_MAX], *slash;
	bool offload;
	int r;

	r = port_arg_string(req, "path", true, &path, err);
	if (r == 0)
		r = port_arg_string(req, "mode", false, &mode, err);
	if (r == 0)
		r = port_arg_bool(req, "offload", true, &offload, err);
	if (r < 0)
		return r;
	if (path[0] != '/')
		return vnl_errf(err, -EINVAL, "path '%s' must be absolute", path);
	if (strlen(path) >= sizeof(v->path))
		return vnl_errf(err, -EINVAL, "path '%s' is longer than %zu characters", path,
			       sizeof(v->path) - 1);
	if (mode != NULL && strcmp(mode, "server") != 0 && strcmp(mode, "client") != 0)
		return vnl_errf(err, -EINVAL, "mode '%s' is neither server nor client", mode);
	for (unsigned i = 0; i < VNL_MAX_PORTS; i++) {
		struct port *q = vhost_ports[i]; /* the control thread is the only writer */

		if (q != NULL && strcmp(((struct vhost_priv *)q->priv)->path, path) == 0)
			return vnl_errf(err, -EEXIST, "path '%s' is used by port '%s'", path, q->name);
	}

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return vnl_errf(err, -ENOMEM, "out of memory");
	strcpy(v->path, path);
	v->client = mode != NULL && strcmp(mode, "client") == 0;
	v->offload = offload;
	atomic_init(&v->vid, -1);
	atomic_init(&v->features, 0);
	p->priv = v;
	p->backend = "vhost-user";

	if (!v->client) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (access(dir, W_OK) < 0) {
			r = vnl_errno(err, errno, "cannot create a socket in '%s'", dir);
			goto fail;
		}
		r = vhost_clear_stale(path, err);
		if (r < 0)
			goto fail;
	}
	r = rte_vhost_driver_register(path, (v->client ? RTE_VHOST_USER_CLIENT : 0) |
						    RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS);
	if (r < 0) {
		r = vnl_errf(err, -EIO, "vhost-user driver refused '%s'", path);
		goto fail;
	}
	v->registered = true;
	vhost_table_set(p, p);
	if (rte_vhost_driver_disable_features(path, offload ? VHOST_FEATURES_OFF : VHOST_FEATURES_OFF_ALL) < 0 ||
	    rte_vhost_driver_callback_register(path, &vhost_ops) < 0) {
		r = vnl_errf(err, -EIO, "cannot set up vhost-user socket '%s'", path);
		goto fail;
	}
	if (rte_vhost_driver_start(path) < 0) {
		r = vnl_errf(err, -EIO, "cannot %s vhost-user socket '%s'",
			    v->client ? "connect to" : "listen on", path);
		goto fail;
	}
	return 0;
fail:
	p->ops->close(p);
	return r;
}

static void vhost_close(struct port *p)
{
	struct vhost_priv *v = p->priv;

	if (v == NULL)
		return;
	if (v->registered) {
		/* Busy while the library's thread is in a callback of this socket. */
		for (int i = 0; i < 1000 && rte_vhost_driver_unregister(v->path) == -EBUSY; i++)
			usleep(1000);
		if (!v->client)
			unlink(v->path);
	}
	vhost_table_set(p, NULL);
	free(v);
	p->priv = NULL;
}

/* Frames from..n-1 of a burst, the first of them with RX offload flags: turn
 * the flags into the switch's state, drop (and count) what ol_from_vhost
 * refuses, and return the burst's new length. */
static __attribute__((noinline)) uint16_t vhost_rx_offload(struct rte_mbuf **pkts, uint16_t from, uint16_t n,
							   struct port_stats *ps)
{
	uint16_t k = from;

	for (uint16_t i = from; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if ((m->ol_flags & VHOST_RX_OL) && !ol_rx_done(m, ol_from_vhost(m), ps))
			continue;
		pkts[k++] = m;
	}
	return k;
}

static uint16_t vhost_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps)
{
	int vid = atomic_load_explicit(&((struct vhost_priv *)p->priv)->vid, memory_order_acquire);

	if (vid < 0)
		return 0;
	n = rte_vhost_dequeue_burst(vid, VRING_GUEST_TX, vnl_pktmbuf_pool, pkts, n);
	/* One branch per frame while guests send complete frames. */
	for (uint16_t i = 0; i < n; i++)
		if (unlikely(pkts[i]->ol_flags & VHOST_RX_OL))
			return vhost_rx_offload(pkts, i, n, ps);
	return n;
}

/* Refuses no frame (port.h): ps stays untouched. */
static uint16_t vhost_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n, struct port_stats *ps __rte_unused)
{
	int vid = atomic_load_explicit(&((struct vhost_priv *)p->priv)->vid, memory_order_acquire);

	if (vid < 0)
		return 0;
	return rte_vhost_enqueue_burst(vid, VRING_GUEST_RX, pkts, n);
}

static void vhost_show(const struct port *p, struct json_object *o)
{
	const struct vhost_priv *v = p->priv;
	bool up = atomic_load(&p->up);
	uint64_t f = atomic_load(&v->features);
	char hex[24];

	json_object_object_add(o, "path", json_object_new_string(v->path));
	json_object_object_add(o, "mode", json_object_new_string(v->client ? "client" : "server"));
	/* Negotiated with the peer now connected (0 while none is). */
	snprintf(hex, sizeof(hex), "0x%" PRIx64, f);
	json_object_object_add(o, "features", json_object_new_string(hex));
	port_show_offload(p, v->offload ? vhost_rx_caps(f) : 0, o);
	json_object_object_add(o, "offload_requested", json_object_new_boolean(v->offload));
	json_object_object_add(o, "status", json_object_new_string(
		up ? "connected" : v->client ? "connecting (retrying every second)" : "waiting for a peer"));
}

const struct port_ops port_vhost_ops = {
	.kind = "vhost",
	.open = vhost_open,
	.close = vhost_close,
	.rx = vhost_rx,
	.tx = vhost_tx,
	.show = vhost_show,
};
