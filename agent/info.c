/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Op INFO: one JSON object about the guest, written by hand (a static
 * agent carries no JSON library):
 *
 *   {"hostname":S,"kernel":S,"uptime":N,"agent":S,
 *    "interfaces":[{"name":S,"mac":S,"up":B,"addrs":["A/N",...]},...]}
 *
 * Strings are escaped for JSON; bytes outside printable ASCII become
 * \u00XX (so the text is ASCII, valid whatever the names hold).  The text
 * is made at OPEN and sent within the credit by the pump.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "agent.h"

#define MAX_IFS 256

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_raw(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A JSON string, quotes included. */
static void sb_str(struct sb *b, const char *s)
{
	char esc[8];

	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			sb_add(b, esc, 2);
		} else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			sb_add(b, esc, 6);
		} else {
			sb_add(b, s, 1);
		}
	}
	sb_add(b, "\"", 1);
}

struct iface {
	char name[IFNAMSIZ];
	char mac[3 * 32];
	bool up;
	struct sb addrs; /* the members of "addrs", comma-separated */
};

static struct iface *iface_get(struct iface *ifs, unsigned *n, const char *name)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (!strcmp(ifs[i].name, name))
			return &ifs[i];
	if (*n == MAX_IFS)
		return NULL;
	memset(&ifs[*n], 0, sizeof(ifs[*n]));
	snprintf(ifs[*n].name, sizeof(ifs[*n].name), "%s", name);
	return &ifs[(*n)++];
}

static unsigned prefix_len(const struct sockaddr *mask)
{
	const unsigned char *p;
	unsigned i, n = 0, len;

	if (mask == NULL)
		return 0;
	if (mask->sa_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
		len = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		len = 16;
	}
	for (i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(p[i]);
	return n;
}

static void add_addr(struct iface *f, const struct ifaddrs *a)
{
	char txt[INET6_ADDRSTRLEN + 8];
	const void *ip = a->ifa_addr->sa_family == AF_INET
				 ? (const void *)&((const struct sockaddr_in *)a->ifa_addr)->sin_addr
				 : (const void *)&((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
	size_t l;

	if (!inet_ntop(a->ifa_addr->sa_family, ip, txt, INET6_ADDRSTRLEN))
		return;
	l = strlen(txt);
	snprintf(txt + l, sizeof(txt) - l, "/%u", prefix_len(a->ifa_netmask));
	if (f->addrs.len)
		sb_raw(&f->addrs, ",");
	sb_str(&f->addrs, txt);
}

static void add_interfaces(struct sb *b)
{
	static struct iface ifs[MAX_IFS];
	struct ifaddrs *all = NULL, *a;
	unsigned n = 0, i, k;
	struct iface *f;

	if (getifaddrs(&all) < 0)
		all = NULL;
	for (a = all; a; a = a->ifa_next) {
		if (!a->ifa_name || !(f = iface_get(ifs, &n, a->ifa_name)))
			continue;
		f->up = a->ifa_flags & IFF_UP;
		if (!a->ifa_addr)
			continue;
		if (a->ifa_addr->sa_family == AF_PACKET) {
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;

			size_t at = 0;

			f->mac[0] = 0;
			for (k = 0; k < ll->sll_halen && k < sizeof(ll->sll_addr); k++)
				at += (size_t)snprintf(f->mac + at, sizeof(f->mac) - at, "%s%02x", k ? ":" : "", ll->sll_addr[k]);
		} else if (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6) {
			add_addr(f, a);
		}
	}
	freeifaddrs(all);
	sb_raw(b, "\"interfaces\":[");
	for (i = 0; i < n; i++) {
		sb_raw(b, i ? ",{\"name\":" : "{\"name\":");
		sb_str(b, ifs[i].name);
		sb_raw(b, ",\"mac\":");
		sb_str(b, ifs[i].mac);
		sb_raw(b, ifs[i].up ? ",\"up\":true,\"addrs\":[" : ",\"up\":false,\"addrs\":[");
		if (ifs[i].addrs.len)
			sb_raw(b, ifs[i].addrs.p);
		b->oom |= ifs[i].addrs.oom;
		sb_raw(b, "]}");
		free(ifs[i].addrs.p);
	}
	sb_raw(b, "]");
}

char *info_json(size_t *len)
{
	struct sb b = { 0 };
	struct utsname u;
	struct timespec ts;
	char num[32];

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	clock_gettime(CLOCK_BOOTTIME, &ts);
	sb_raw(&b, "{\"hostname\":");
	sb_str(&b, u.nodename);
	sb_raw(&b, ",\"kernel\":");
	sb_str(&b, u.release);
	snprintf(num, sizeof(num), ",\"uptime\":%lld,", (long long)ts.tv_sec);
	sb_raw(&b, num);
	sb_raw(&b, "\"agent\":");
	sb_str(&b, VNL_VERSION);
	sb_raw(&b, ",");
	add_interfaces(&b);
	sb_raw(&b, "}\n");
	if (b.oom) {
		free(b.p);
		errno = ENOMEM;
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- the op ---- */

struct info {
	char *text;
	size_t len, sent;
};

static int info_open(struct chan *c, const struct ap_open *o)
{
	struct info *in = calloc(1, sizeof(*in));

	(void)o;
	if (in == NULL || !(in->text = info_json(&in->len))) {
		free(in);
		return chan_msg(c, -ENOMEM, "info: out of memory");
	}
	c->op = in;
	chan_opened(c, 0, 0, 0);
	return 0;
}

static bool info_pump(struct chan *c)
{
	struct info *in = c->op;
	size_t n;

	if (in->sent < in->len) {
		n = chan_send_buf(c, AP_STDOUT, in->text + in->sent, in->len - in->sent);
		in->sent += n;
		return n > 0;
	}
	if (chan_send_eof(c, AP_STDOUT) == 0)
		chan_finish(c, 0, NULL);
	return true;
}

static void info_release(struct chan *c, bool abort)
{
	struct info *in = c->op;

	(void)abort;
	if (in == NULL)
		return;
	free(in->text);
	free(in);
	c->op = NULL;
}

const struct chan_ops info_ops = {
	.name = "info",
	.open = info_open,
	.pump = info_pump,
	.release = info_release,
};
