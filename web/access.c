/* SPDX-License-Identifier: GPL-2.0-only */
/* Who may open the WebSocket (web.h, access_check()). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "web.h"

bool token_eq(const char *given, const char *want)
{
	size_t n = strlen(want);
	unsigned char d = 0;

	if (strlen(given) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(given[i] ^ want[i]);
	return d == 0;
}

int access_check(struct lws *wsi, char *why, size_t len)
{
	char host[256] = "", origin[300] = "", want[300], peer[64] = "", arg[64] = "";
	const char *tok;

	lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0 ||
	    lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0) {
		snprintf(why, len, "%s: no Host or Origin header", peer);
		return -EACCES;
	}
	snprintf(want, sizeof(want), "http://%s", host);
	if (strcmp(origin, want)) {
		snprintf(why, len, "%s: origin %s is not %s", peer, origin, want);
		return -EACCES;
	}
	/* Whatever the peer: a local user is not root, and a page of a name
	 * rebound to 127.0.0.1 has the right Origin for its Host. */
	tok = lws_get_urlarg_by_name(wsi, "token=", arg, sizeof(arg));
	if (tok == NULL || !token_eq(tok, web_conf.token)) {
		snprintf(why, len, "%s: no valid token (the one vnl web printed)", peer);
		return -EACCES;
	}
	return 0;
}
