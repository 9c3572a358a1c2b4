/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_log.h"
#include "offload.h"
#include "port.h"

void port_show_offload(const struct port *p, uint8_t rx, struct json_object *o)
{
	struct json_object *ol = json_object_new_object();
	char buf[24];

	json_object_object_add(ol, "rx", json_object_new_string(ol_caps_name(rx, buf)));
	json_object_object_add(ol, "tx", json_object_new_string(ol_caps_name(atomic_load(&p->tx_ol), buf)));
	json_object_object_add(o, "offload", ol);
}

int port_arg_string(struct json_object *req, const char *key, bool required, const char **out,
		    struct vnl_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null)) {
		*out = NULL;
		return required ? vnl_errf(err, -EINVAL, "missing argument '%s'", key) : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return vnl_errf(err, -EINVAL, "argument '%s' must be a string", key);
	*out = json_object_get_string(v);
	if (**out == '\0')
		return vnl_errf(err, -EINVAL, "argument '%s' must not be empty", key);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return vnl_errf(err, -EINVAL, "argument '%s' must not contain NUL characters", key);
	return 0;
}

int port_arg_bool(struct json_object *req, const char *key, bool def, bool *out, struct vnl_err *err)
{
	struct json_object *v;

	*out = def;
	if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return vnl_errf(err, -EINVAL, "argument '%s' must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

int port_iface_up(const char *iface, unsigned *ifindex, struct vnl_err *err)
{
	struct ifreq ifr;
	int fd, r = 0;

	if (strlen(iface) >= IFNAMSIZ)
		return vnl_errf(err, -EINVAL, "interface name '%s' is longer than %d characters", iface,
			       IFNAMSIZ - 1);
	*ifindex = if_nametoindex(iface);
	if (*ifindex == 0)
		return vnl_errf(err, -ENODEV, "no interface named '%s'", iface);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vnl_errno(err, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, iface);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = vnl_errno(err, errno, "cannot read flags of '%s'", iface);
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			r = vnl_errno(err, errno, "cannot bring '%s' up", iface);
	}
	close(fd);
	return r;
}

static int open_vhost(struct port *p, struct json_object *req, struct vnl_err *err)
{
	p->ops = &port_vhost_ops;
	return p->ops->open(p, req, err);
}

/* AF_XDP on a host interface, or AF_PACKET where XDP is unavailable (or
 * xdp=false): one kind for the control plane, two backends. */
static int open_afxdp(struct port *p, struct json_object *req, struct vnl_err *err)
{
	struct vnl_err xdp_err;
	bool xdp;
	int r;

	if ((r = port_arg_bool(req, "xdp", true, &xdp, err)) < 0)
		return r;
	if (xdp) {
		p->ops = &port_xsk_ops;
		r = p->ops->open(p, req, &xdp_err);
		if (r == 0)
			return 0;
		/* Argument errors, missing or busy interfaces are the caller's: no fallback. */
		if (r == -EINVAL || r == -ENODEV || r == -EBUSY) {
			*err = xdp_err;
			return r;
		}
		LOG(WARNING, port, "%s: AF_XDP unavailable (%s), falling back to AF_PACKET", p->name,
		    xdp_err.msg);
		snprintf(p->note, sizeof(p->note), "AF_XDP unavailable: %.130s", xdp_err.msg);
	} else {
		snprintf(p->note, sizeof(p->note), "AF_PACKET requested (xdp=false)");
	}
	p->ops = &port_packet_ops;
	return p->ops->open(p, req, err);
}

static int open_tap(struct port *p, struct json_object *req, struct vnl_err *err)
{
	p->ops = &port_tap_ops;
	return p->ops->open(p, req, err);
}

static int open_vxlan(struct port *p, struct json_object *req, struct vnl_err *err)
{
	p->ops = &port_vxlan_ops;
	return p->ops->open(p, req, err);
}

/* The port kinds of port-add: one line per kind (its open picks the ops). */
static const struct port_kind {
	const char *name;
	int (*open)(struct port *p, struct json_object *req, struct vnl_err *err);
} port_kinds[] = {
	{ "vhost", open_vhost },
	{ "afxdp", open_afxdp },
	{ "tap", open_tap },
	{ "vxlan", open_vxlan },
};

int port_open(struct port *p, const char *kind, struct json_object *req, struct vnl_err *err)
{
	char names[64];
	size_t at = 0;

	for (size_t i = 0; i < sizeof(port_kinds) / sizeof(port_kinds[0]); i++) {
		if (strcmp(kind, port_kinds[i].name) == 0) {
			p->kind = port_kinds[i].name;
			return port_kinds[i].open(p, req, err);
		}
		if (at < sizeof(names))
			at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s", i ? " or " : "",
					       port_kinds[i].name);
	}
	return vnl_errf(err, -EINVAL, "unknown port kind '%s' (expected %s)", kind, names);
}
