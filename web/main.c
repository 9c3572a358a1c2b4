/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-web [--listen ADDR:PORT] [--root DIR] [--capture-max KIB]: the lab in a browser (web.h).
 * `vnl web` runs it. Prints the address to open, with the token every
 * WebSocket needs, and serves until SIGINT, SIGTERM or SIGHUP.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "web.h"

struct web_conf web_conf;

static volatile sig_atomic_t stopping;
static struct lws_context *context;

/* Static files; a WebSocket upgrade that names no protocol or this one
 * (only "vnl" carries the lab, after access_check()) is refused. */
static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION) {
		lwsl_user("refused a WebSocket: no protocol, or not vnl\n");
		return -1;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, 0, 0, 0, NULL, 0 },
	{ "vnl", sess_callback, sizeof(struct sess), 65536, 0, NULL, 0 },
	{ "vnl-chan", chan_callback, 0, 0, 0, NULL, 0 },
	{ "dl", cap_http_callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	lws_cancel_service(context);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnl-web [--listen ADDR:PORT] [--root DIR] [--capture-max KIB]\n"
		   "Serve the lab canvas: every lab of this host, in a browser.\n\n"
		   "  -l, --listen ADDR:PORT  address to listen on [127.0.0.1:8080]; port 0: any free one\n"
		   "  -r, --root DIR          the UI folder [the installed one, else the source tree's]\n"
		   "  -m, --capture-max KIB   stop a page's capture when its file reaches this size [65536]\n"
		   "                          (1..%lld)\n"
		   "  -h, --help              this help\n",
		1ll << 30);
}

/* ADDR:PORT (ADDR an IPv4 literal, or [IPv6]); 0 or -EINVAL. */
static int parse_listen(char *arg, char **addr, int *port)
{
	char *colon = strrchr(arg, ':'), *end;
	long p;

	if (colon == NULL || colon == arg)
		return -EINVAL;
	*colon = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -EINVAL;
	if (arg[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		arg++;
	}
	*addr = arg;
	*port = (int)p;
	return 0;
}

/* The UI: --root, else the installed copy when this is the installed
 * binary, else the source tree's (a build tree's binary). */
static const char *ui_root(const char *given)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (given)
		return given;
	self[n > 0 ? n : 0] = '\0';
	if (!strncmp(self, VNL_WEB_BINDIR "/", strlen(VNL_WEB_BINDIR) + 1))
		return VNL_WEB_UI_INSTALLED;
	return VNL_WEB_UI_SOURCE;
}

static int make_token(void)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(web_conf.token + 2 * i, "%02x", b[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "capture-max", required_argument, NULL, 'm' },
					      { "help", no_argument, NULL, 'h' },
					      { "listen", required_argument, NULL, 'l' },
					      { "root", required_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	/* /vendor is node_modules: the pinned packages (web/ui/package-lock.json). */
	/* /dl/TOKEN: a finished capture's file, once (capture.c). */
	static struct lws_http_mount m_dl = {
		.mountpoint = "/dl", .origin = "dl", .origin_protocol = LWSMPRO_CALLBACK,
	};
	static struct lws_http_mount m_vendor = {
		.mountpoint = "/vendor", .def = "index.html", .origin_protocol = LWSMPRO_FILE,
	};
	static struct lws_http_mount m_ui = {
		.mountpoint = "/", .def = "index.html", .origin_protocol = LWSMPRO_FILE,
	};
	char listen_arg[256] = "127.0.0.1:8080", *addr, vendor[PATH_MAX], cy[PATH_MAX + 64], xt[PATH_MAX + 64], index[PATH_MAX + 16];
	const char *root = NULL;
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	struct stat st;
	long long kib;
	char *end;
	int c, port;

	web_conf.cap_max = CAP_FILE_MAX;
	while ((c = getopt_long(argc, argv, "hl:m:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			kib = strtoll(optarg, &end, 10);
			if (*end || end == optarg || kib < 1 || kib > (1ll << 30)) {
				fprintf(stderr, "vnl-web: --capture-max takes KiB, 1..%lld\n", 1ll << 30);
				return 2;
			}
			web_conf.cap_max = kib * 1024;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			snprintf(listen_arg, sizeof(listen_arg), "%s", optarg);
			break;
		case 'r':
			root = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || parse_listen(listen_arg, &addr, &port) < 0) {
		fprintf(stderr, "vnl-web: --listen takes ADDR:PORT (127.0.0.1:8080, 0.0.0.0:8080, [::1]:8080)\n");
		return 2;
	}
	web_conf.root = ui_root(root);
	snprintf(index, sizeof(index), "%s/index.html", web_conf.root);
	snprintf(vendor, sizeof(vendor), "%s/node_modules", web_conf.root);
	snprintf(cy, sizeof(cy), "%s/cytoscape/dist/cytoscape.min.js", vendor);
	snprintf(xt, sizeof(xt), "%s/@xterm/xterm/lib/xterm.js", vendor);
	if (stat(index, &st) < 0 || stat(cy, &st) < 0 || stat(xt, &st) < 0) {
		fprintf(stderr, "vnl-web: the UI in %s is incomplete (index.html, node_modules/cytoscape, "
				"node_modules/@xterm/xterm): run scripts/install, or npm ci in web/ui\n",
			web_conf.root);
		return 1;
	}
	exe_sibling("vnl", web_conf.vnl, sizeof(web_conf.vnl));
	cap_sweep();
	if (make_token() < 0) {
		perror("vnl-web: getrandom");
		return 1;
	}
	m_ui.origin = web_conf.root;
	m_ui.mountpoint_len = 1;
	m_vendor.origin = vendor;
	m_vendor.mountpoint_len = (unsigned char)strlen(m_vendor.mountpoint);
	m_vendor.mount_next = &m_ui;
	m_dl.mountpoint_len = (unsigned char)strlen(m_dl.mountpoint);
	m_dl.mount_next = &m_vendor;

	lws_set_log_level(LLL_ERR | LLL_WARN | LLL_USER, NULL);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = strcmp(addr, "0.0.0.0") && strcmp(addr, "::") ? addr : NULL;
	info.protocols = protocols;
	info.mounts = &m_dl;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6 * !strchr(addr, ':');
	context = lws_create_context(&info);
	vh = context ? lws_create_vhost(context, &info) : NULL;
	if (vh == NULL) {
		fprintf(stderr, "vnl-web: cannot listen on %s:%d (in use, or not an address of this host)\n",
			addr, port);
		if (context)
			lws_context_destroy(context);
		return 1;
	}
	port = lws_get_vhost_listen_port(vh);
	/* SIGHUP too: `vnl web` in a terminal that closes still cleans up. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("vnl-web: serving the labs of this host on http://%s%s%s:%d/?token=%s (UI from %s)\n",
	       strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", port, web_conf.token, web_conf.root);
	printf("vnl-web: token %s (open the page with ?token=TOKEN, from this host too)\n", web_conf.token);
	fflush(stdout);
	/* Every child belongs to a channel, which reaps it when it closes. */
	while (!stopping && lws_service(context, 0) >= 0)
		;
	lws_context_destroy(context);
	cap_cleanup();
	return 0;
}
