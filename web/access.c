/* SPDX-License-Identifier: GPL-2.0-only */
/* Who may open the WebSocket (web.h, access_check()). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "web.h"

/* 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
static bool loopback(const char *ip)
{
	if (!strncmp(ip, "::ffff:", 7))
		ip += 7;
	return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1");
}

/* Host header naming this host: localhost, 127.x.y.z or [::1], any port. */
static bool loopback_host(const char *host)
{
	char name[256];
	size_t n = strcspn(host, host[0] == '[' ? "]" : ":");

	if (n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return !strcmp(name, "localhost") || !strcmp(name, "[::1") || !strncmp(name, "127.", 4);
}

/* Constant time: the token is a secret. */
static bool same(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned char d = strlen(a) != n;

	for (size_t i = 0; i < n && a[i]; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int access_check(struct lws *wsi, char *why, size_t len)
{
	char host[256] = "", origin[300] = "", want[300], peer[64] = "", arg[64];
	const char *tok;

	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0 ||
	    lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0) {
		snprintf(why, len, "no Host or Origin header");
		return -EACCES;
	}
	snprintf(want, sizeof(want), "http://%s", host);
	if (strcmp(origin, want)) {
		snprintf(why, len, "origin %s is not %s", origin, want);
		return -EACCES;
	}
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	/* Without a token only from this host, to a page this host named: a
	 * site whose name resolves to 127.0.0.1 (DNS rebinding) has its own
	 * name in Host and Origin, and needs the token like any other. */
	if (loopback(peer) && loopback_host(host))
		return 0;
	tok = lws_get_urlarg_by_name(wsi, "token=", arg, sizeof(arg));
	if (tok == NULL || !same(tok, web_conf.token)) {
		snprintf(why, len, "%s: no valid token (the one vnl web printed)", peer);
		return -EACCES;
	}
	return 0;
}
