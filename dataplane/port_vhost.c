/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-user ports, on DPDK's vhost library. The library maps the guest's
 * memory; dequeue copies a guest frame into an mbuf and enqueue copies an mbuf
 * into guest buffers: one copy per direction.
 *
 * The library calls new_device/destroy_device from its own thread. They only
 * publish the device id (vid) through an atomic and the port's `up` flag;
 * destroy_device also waits until no worker can still be using the old vid,
 * because the library unmaps the guest memory as soon as it returns.
 */
#include <errno.h>
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
#include "port.h"
#include "snapshot.h"
#include "unixsock.h"

/* Virtqueues of a single queue pair, as the guest names them. */
#define VRING_GUEST_RX 0 /* we enqueue */
#define VRING_GUEST_TX 1 /* we dequeue */

struct vhost_priv {
	char path[UNIX_PATH_SIZE];
	bool client;      /* we connect (and reconnect) to the peer's socket */
	_Atomic int vid;  /* connected device, or -1 */
	bool registered;  /* rte_vhost_driver_register() succeeded */
};

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
	atomic_store(&v->vid, vid);
	atomic_store(&p->up, true);
	LOG(INFO, port, "%s: vhost-user peer connected", p->name);
	return 0;
}

static void vhost_destroy_device(int vid)
{
	struct port *p = vhost_port_by_vid(vid);

	int expected = vid;

	if (p == NULL || !atomic_compare_exchange_strong(&((struct vhost_priv *)p->priv)->vid, &expected, -1))
		return;
	atomic_store(&p->up, false);
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
	/* No offloads: frames must be complete on the wire for every other kind of port. */
	const uint64_t no_features = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
				     1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
				     1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_HOST_UFO |
				     1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6 |
				     1ULL << VIRTIO_NET_F_GUEST_ECN | 1ULL << VIRTIO_NET_F_GUEST_UFO;
	const char *path, *mode;
	struct vhost_priv *v;
	char dir[PATH_MAX], *slash;
	int r;

	r = port_arg_string(req, "path", true, &path, err);
	if (r == 0)
		r = port_arg_string(req, "mode", false, &mode, err);
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
	atomic_init(&v->vid, -1);
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
	r = rte_vhost_driver_register(path, v->client ? RTE_VHOST_USER_CLIENT : 0);
	if (r < 0) {
		r = vnl_errf(err, -EIO, "vhost-user driver refused '%s'", path);
		goto fail;
	}
	v->registered = true;
	vhost_table_set(p, p);
	if (rte_vhost_driver_disable_features(path, no_features) < 0 ||
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

static uint16_t vhost_rx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
{
	int vid = atomic_load_explicit(&((struct vhost_priv *)p->priv)->vid, memory_order_acquire);

	if (vid < 0)
		return 0;
	return rte_vhost_dequeue_burst(vid, VRING_GUEST_TX, vnl_pktmbuf_pool, pkts, n);
}

static uint16_t vhost_tx(struct port *p, struct rte_mbuf **pkts, uint16_t n)
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

	json_object_object_add(o, "path", json_object_new_string(v->path));
	json_object_object_add(o, "mode", json_object_new_string(v->client ? "client" : "server"));
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
