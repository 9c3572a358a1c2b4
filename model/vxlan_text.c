/* SPDX-License-Identifier: GPL-2.0-only */
/* A LAN's vxlan: addresses of both families as text, remote lists, the
 * rules of one vxlan and of a lab's (topology.h, "vxlan"). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "nl.h"
#include "topology.h"

int topo_vxlan_parse_addr(const char *s, const char *what, int line, int column, int *family,
			  uint8_t addr[16], struct vnl_err *err)
{
	char shown[TOPO_SHOW_LEN];

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return topo_errf(err, line, column, EINVAL, "%s: bad address '%s': expected an IPv4 or IPv6 address", what,
			 topo_show(s, shown));
}

const char *topo_vxlan_addr_text(int family, const uint8_t addr[16], char buf[TOPO_VXLAN_ADDR_LEN])
{
	if (inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, TOPO_VXLAN_ADDR_LEN) == NULL)
		snprintf(buf, TOPO_VXLAN_ADDR_LEN, "?");
	return buf;
}

int topo_vxlan_check_ifname(const char *name, struct vnl_err *err)
{
	size_t len = strnlen(name, 16);
	bool good = len && len <= NL_IFNAME_MAX && nl_ifname_check(name, NULL) == 0 &&
		    ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
		     (name[0] >= '0' && name[0] <= '9'));
	char shown[TOPO_SHOW_LEN];

	for (size_t i = 1; good && i < len; i++)
		good = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		       (name[i] >= '0' && name[i] <= '9') || strchr("_.@-", name[i]);
	if (!good)
		return topo_errf(err, 0, 0, EINVAL, "bad underlay '%s': an interface name, "
				 "[A-Za-z0-9][A-Za-z0-9_.@-]*, at most %d characters", topo_show(name, shown), NL_IFNAME_MAX);
	return 0;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* Address text s into a, of family `want` when not 0 ("remote"/"local" and
 * the others' word in the message). */
static int parse_in_family(const char *s, const char *what, int line, int column, int want, const char *role,
			   const char *others, int *family, uint8_t a[16], struct vnl_err *err)
{
	char text[TOPO_VXLAN_ADDR_LEN];
	int r;

	if ((r = topo_vxlan_parse_addr(s, what, line, column, family, a, err)) < 0)
		return r;
	if (want && *family != want)
		return topo_errf(err, line, column, EINVAL, "%s: %s%s is %s, %s are %s (one family per LAN)", what, role,
				 topo_vxlan_addr_text(*family, a, text), family_name(*family), others, family_name(want));
	return 0;
}

int topo_vxlan_add_remote(struct topo_vxlan *vx, const char *s, const char *what, int line, int column,
			  struct vnl_err *err)
{
	char text[TOPO_VXLAN_ADDR_LEN];
	uint8_t a[16];
	int family, r;

	if ((r = parse_in_family(s, what, line, column, vx->family, "", "the others", &family, a, err)) < 0)
		return r;
	for (unsigned i = 0; i < vx->n_remote; i++)
		if (!memcmp(vx->remote[i], a, 16))
			return topo_errf(err, line, column, EEXIST, "%s: remote %s given twice", what,
					 topo_vxlan_addr_text(family, a, text));
	if (vx->n_remote >= TOPO_VXLAN_REMOTES_MAX)
		return topo_errf(err, line, column, E2BIG, "%s: more than %d remotes", what, TOPO_VXLAN_REMOTES_MAX);
	memcpy(vx->remote[vx->n_remote++], a, 16);
	vx->family = family;
	return 0;
}

int topo_vxlan_set_remotes(struct topo_vxlan *vx, const char *s, const char *what, struct vnl_err *err)
{
	struct topo_vxlan n = *vx;
	char buf[64 * TOPO_VXLAN_REMOTES_MAX], *save = NULL;
	int r;

	n.n_remote = 0;
	n.family = n.has_local ? n.family : 0;
	if (strlen(s) >= sizeof(buf))
		return topo_errf(err, 0, 0, E2BIG, "%s: list too long (at most %d remotes)", what,
				 TOPO_VXLAN_REMOTES_MAX);
	snprintf(buf, sizeof(buf), "%s", strcmp(s, "none") ? s : "");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if ((r = topo_vxlan_add_remote(&n, tok, what, 0, 0, err)) < 0)
			return r;
	*vx = n;
	return 0;
}

int topo_vxlan_set_local(struct topo_vxlan *vx, const char *s, const char *what, int line, int column,
			 struct vnl_err *err)
{
	uint8_t a[16];
	int family, r;

	if ((r = parse_in_family(s, what, line, column, vx->n_remote ? vx->family : 0, "local ", "the remotes", &family,
				 a, err)) < 0)
		return r;
	memcpy(vx->local, a, 16);
	vx->has_local = true;
	vx->family = family;
	return 0;
}

const char *topo_vxlan_remote_list(const struct topo_vxlan *vx, char *buf, size_t size)
{
	char text[TOPO_VXLAN_ADDR_LEN];
	size_t at = 0;

	snprintf(buf, size, "none");
	for (unsigned i = 0; i < vx->n_remote && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "",
				       topo_vxlan_addr_text(vx->family, vx->remote[i], text));
	return buf;
}

/* Why a can be no VTEP's address, or NULL: the underlay routes it, and a
 * link-local one would need a zone. */
static const char *addr_unfit(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET) {
		if (memcmp(a + 4, zero, 12))	/* not made by the parser */
			return "not an IPv4 address";
		if (!memcmp(a, zero, 4))
			return "unspecified";
		if (a[0] == 127)
			return "loopback";
		if (a[0] >= 224 && !(a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255))
			return a[0] < 240 ? "multicast" : "reserved";
		if (a[0] == 255)
			return "broadcast";
		if (a[0] == 169 && a[1] == 254)
			return "link-local";
		return NULL;
	}
	if (!memcmp(a, zero, 16))
		return "unspecified";
	if (!memcmp(a, zero, 15) && a[15] == 1)
		return "loopback";
	if (a[0] == 0xff)
		return "multicast";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	return NULL;
}

int topo_vxlan_check(const struct topo_lan *lan, int line, int column, struct vnl_err *err)
{
	const struct topo_vxlan *vx = &lan->vx;
	char text[TOPO_VXLAN_ADDR_LEN];
	unsigned max = vx->family == AF_INET6 ? TOPO_VXLAN_MTU_MAX6 : TOPO_VXLAN_MTU_MAX4;
	const char *why;
	struct vnl_err e;

	if (vx->vni == 0 && !vx->n_remote && !vx->has_local && !vx->underlay[0] && !vx->dstport)
		return 0;
	if (vx->vni < 1 || vx->vni > TOPO_VXLAN_VNI_MAX)
		return topo_errf(err, line, column, ERANGE, "LAN '%s': vxlan: vni must be 1..%d, not %u", lan->name,
				 TOPO_VXLAN_VNI_MAX, vx->vni);
	if (vx->n_remote > TOPO_VXLAN_REMOTES_MAX)
		return topo_errf(err, line, column, E2BIG, "LAN '%s': vxlan: more than %d remotes", lan->name,
				 TOPO_VXLAN_REMOTES_MAX);
	if ((vx->n_remote || vx->has_local) && vx->family != AF_INET && vx->family != AF_INET6)
		return topo_errf(err, line, column, EINVAL, "LAN '%s': vxlan: addresses without a family", lan->name);
	for (unsigned i = 0; i < vx->n_remote; i++) {
		if ((why = addr_unfit(vx->family, vx->remote[i])) != NULL)
			return topo_errf(err, line, column, EINVAL, "LAN '%s': vxlan: remote %s is %s (a remote is "
					 "a unicast address the underlay routes)", lan->name,
					 topo_vxlan_addr_text(vx->family, vx->remote[i], text), why);
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(vx->remote[i], vx->remote[j], 16))
				return topo_errf(err, line, column, EEXIST, "LAN '%s': vxlan: remote %s given twice",
						 lan->name, topo_vxlan_addr_text(vx->family, vx->remote[i], text));
		if (vx->has_local && !memcmp(vx->remote[i], vx->local, 16))
			return topo_errf(err, line, column, EINVAL, "LAN '%s': vxlan: %s is local and a remote",
					 lan->name, topo_vxlan_addr_text(vx->family, vx->local, text));
	}
	if (vx->has_local && (why = addr_unfit(vx->family, vx->local)) != NULL)
		return topo_errf(err, line, column, EINVAL, "LAN '%s': vxlan: local %s is %s (local is a unicast "
				 "address of the underlay)", lan->name, topo_vxlan_addr_text(vx->family, vx->local, text),
				 why);
	if (vx->dstport > 65535)
		return topo_errf(err, line, column, ERANGE, "LAN '%s': vxlan: dstport must be 1..65535, not %u",
				 lan->name, vx->dstport);
	if (vx->underlay[0] && topo_vxlan_check_ifname(vx->underlay, &e) < 0)
		return topo_errf(err, line, column, EINVAL, "LAN '%s': vxlan: %s", lan->name, e.msg);
	if (lan->mtu > max)
		return topo_errf(err, line, column, ERANGE, "LAN '%s': mtu %u over vxlan needs AF_XDP multi-buffer "
				 "(not yet): at most %u", lan->name, lan->mtu, max);
	return 0;
}

bool topo_vxlan_equal(const struct topo_vxlan *a, const struct topo_vxlan *b)
{
	if (a->vni != b->vni)
		return false;
	if (a->vni == 0)
		return true;
	if (a->n_remote != b->n_remote || a->has_local != b->has_local || strcmp(a->underlay, b->underlay) ||
	    topo_vxlan_dstport(a) != topo_vxlan_dstport(b) || (a->has_local && memcmp(a->local, b->local, 16)) ||
	    ((a->n_remote || a->has_local) && a->family != b->family))
		return false;
	for (unsigned i = 0; i < a->n_remote; i++)
		if (memcmp(a->remote[i], b->remote[i], 16))
			return false;
	return true;
}

const struct topo_lan *topo_vxlan_clash(const struct topo *t, const struct topo_lan *self)
{
	if (self->vx.vni == 0 || !self->vx.underlay[0])
		return NULL;
	/* In t: the LANs before it (a file's second one is the one refused). */
	for (unsigned i = 0; i < t->n_lans && &t->lans[i] != self; i++) {
		const struct topo_lan *o = &t->lans[i];

		if (o != self && strcmp(o->name, self->name) && o->vx.vni == self->vx.vni &&
		    !strcmp(o->vx.underlay, self->vx.underlay))
			return o;
	}
	return NULL;
}

unsigned topo_vxlan_overhead(int family)
{
	return family == AF_INET6 ? TOPO_VXLAN_OVERHEAD6 : TOPO_VXLAN_OVERHEAD4;
}

unsigned topo_vxlan_dstport(const struct topo_vxlan *vx)
{
	return vx->dstport ? vx->dstport : TOPO_VXLAN_DSTPORT_DEF;
}
