/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-swctl: send one request to vnl-switchd's control socket and print the
 * reply. For scripts and people; vnld speaks to the socket directly.
 *
 *   vnl-swctl [-s SOCKET] [-c] CMD [key=value | key:=JSON]...
 *   vnl-swctl [-s SOCKET] [-c] --raw 'LINE'
 *
 * Exit status: 0 ok, 1 the switch said no, 2 no switch or no valid reply.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "paths.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnl-swctl [-s SOCKET] [-c] CMD [key=value | key:=JSON]...\n"
		   "       vnl-swctl [-s SOCKET] [-c] --raw 'LINE'\n"
		   "Send one request to vnl-switchd and print the reply (pretty; -c: one line).\n"
		   "A value that reads as an integer, true, false or null is sent as such.\n"
		   "  -s, --socket PATH  control socket [" VNL_SWITCHD_SOCK "]\n"
		   "  -c, --compact      print the reply on one line\n"
		   "  -r, --raw LINE     send LINE as it is\n"
		   "  -h, --help         this help\n"
		   "Exit status: 0 ok, 1 the switch refused, 2 no switch or no valid reply.\n");
}

static struct json_object *value_of(const char *s)
{
	char *end;
	long long n;

	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return json_object_new_boolean(s[0] == 't');
	if (strcmp(s, "null") == 0)
		return NULL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s && !*end && !errno)
		return json_object_new_int64(n);
	return json_object_new_string(s);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compact", no_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ "raw", required_argument, NULL, 'r' }, { "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = VNL_SWITCHD_SOCK, *raw = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct json_object *req = NULL, *reply, *ok;
	char *line = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	int c, fd, compact = 0, rc = 2;

	while ((c = getopt_long(argc, argv, "+chr:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': compact = 1; break;
		case 'h': usage(stdout); return 0;
		case 'r': raw = optarg; break;
		case 's': path = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (raw == NULL) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string(argv[optind]));
		for (int i = optind + 1; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (eq == NULL || eq == argv[i]) {
				fprintf(stderr, "vnl-swctl: '%s' is not key=value\n", argv[i]);
				goto out;
			}
			*eq = '\0';
			if (eq > argv[i] && eq[-1] == ':') {
				eq[-1] = '\0';
				json_object_object_add(req, argv[i], json_tokener_parse(eq + 1));
			} else {
				json_object_object_add(req, argv[i], value_of(eq + 1));
			}
		}
		raw = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vnl-swctl: socket path too long\n");
		goto out;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vnl-swctl: cannot reach vnl-switchd at %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (asprintf(&line, "%s\n", raw) < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "vnl-swctl: cannot send: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 65536 > cap) {
			cap = (len + 65536) * 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				goto out;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			break;
	}
	close(fd);
	if (len == 0) {
		fprintf(stderr, "vnl-swctl: no reply from %s\n", path);
		goto out;
	}
	buf[len] = '\0';
	reply = json_tokener_parse(buf);
	if (reply == NULL) {
		fprintf(stderr, "vnl-swctl: reply is not JSON: %s", buf);
		goto out;
	}
	puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_NOSLASHESCAPE |
		(compact ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED)));
	rc = json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok) ? 0 : 1;
	if (rc) {
		struct json_object *e;

		if (json_object_object_get_ex(reply, "error", &e))
			fprintf(stderr, "vnl-swctl: %s\n", json_object_get_string(e));
	}
	json_object_put(reply);
out:
	json_object_put(req);
	free(line);
	free(buf);
	return rc;
}
