/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnl-swctl: send one request to vnl-switchd's control socket and print the
 * reply. For scripts and people; vnld speaks to the socket directly.
 *
 *   vnl-swctl [-s SOCKET] [-c] CMD [key=value | key:=JSON]...
 *   vnl-swctl [-s SOCKET] [-c] --raw 'LINE'
 *   vnl-swctl [-s SOCKET] capture PORT[=NAME]... [-f FILTER] [-c N] [-d SECONDS]
 *             [-D in|out|both] [-S SNAPLEN] [-w FILE]
 *
 * Exit status: 0 ok, 1 the switch said no, 2 no switch or no valid reply
 * (capture: 1 also when the stream ended without its statistics, 2 for a
 * bad filter).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cbpf.h"
#include "jsonl_client.h"
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
		   "Exit status: 0 ok, 1 the switch refused, 2 no switch or no valid reply.\n"
		   "\n"
		   "Usage: vnl-swctl [-s SOCKET] capture PORT[=NAME]... [options]\n"
		   "Capture the ports' frames as pcapng (interface NAME, default PORT) into FILE.\n"
		   "  -f, --filter EXPR    libpcap filter (compiled here, run in the switch)\n"
		   "  -c, --count N        stop after N frames\n"
		   "  -d, --duration S     stop after S seconds\n"
		   "  -D, --dir DIR        in (what the port's node receives), out (sends), both [both]\n"
		   "  -S, --snaplen N      bytes kept per frame, 64..262144 [262144]\n"
		   "  -w, --write FILE     the pcapng stream, - for stdout [-]\n"
		   "Ctrl-C stops the capture; the stream then ends with its statistics.\n");
}

/* ---- capture ---- */

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Ask the switch to end capture id (Ctrl-C): on a connection of its own. */
static void send_stop(const char *path, const char *peer, int64_t id)
{
	struct json_object *req = json_object_new_object(), *reply = NULL;
	struct jsonl_client cl = { .fd = -1 };
	struct vnl_err err = { 0, "" };

	json_object_object_add(req, "cmd", json_object_new_string("capture-stop"));
	json_object_object_add(req, "id", json_object_new_int64(id));
	if (jsonl_client_open(&cl, path, peer, 2000, &err) < 0 || jsonl_client_call(&cl, req, 2000, &reply, &err) < 0)
		fprintf(stderr, "vnl-swctl: capture-stop: %s\n", err.msg);
	json_object_put(reply);
	json_object_put(req);
	jsonl_client_close(&cl);
}

/* Copy the stream from rd to out, whole blocks only, until EOF. */
static int copy_stream(int rd, int out, const char *path, const char *peer, int64_t id)
{
	size_t len = 0, cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	unsigned long epbs = 0, isbs = 0;
	time_t stop_at = 0;
	int rc = 0, stopped = 0;

	if (buf == NULL)
		return 2;
	for (;;) {
		struct pollfd pf = { .fd = rd, .events = POLLIN };
		ssize_t n;
		size_t off = 0;

		if (signals && !stopped) {
			stopped = 1;
			stop_at = time(NULL) + 5;
			send_stop(path, peer, id);
		}
		/* A second Ctrl-C, or the switch not closing: the file still
		 * ends at a block boundary. */
		if (signals > 1 || (stopped && time(NULL) > stop_at)) {
			rc = 1;
			break;
		}
		if (poll(&pf, 1, 200) <= 0)
			continue;
		if (len == cap) {
			uint8_t *b = realloc(buf, cap * 2);

			if (b == NULL) {
				rc = 2;
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = read(rd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		while (len - off >= 8) {
			uint32_t type, blen;

			memcpy(&type, buf + off, 4);
			memcpy(&blen, buf + off + 4, 4);
			if (blen < 12 || blen % 4) {
				fprintf(stderr, "vnl-swctl: not a pcapng stream (block of %u bytes)\n", blen);
				free(buf);
				return 2;
			}
			if (len - off < blen)
				break;
			if (write_all(out, buf + off, blen) < 0) {
				/* The reader of our output is gone (head, wireshark closed). */
				free(buf);
				return 0;
			}
			epbs += type == 6;
			isbs += type == 5;
			off += blen;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
	free(buf);
	fprintf(stderr, "vnl-swctl: capture %lld: %lu frames\n", (long long)id, epbs);
	if (rc == 0 && isbs == 0) {
		fprintf(stderr, "vnl-swctl: the capture ended without its statistics (vnl-switchd stopped?)\n");
		rc = 1;
	}
	return rc;
}

static int capture_main(const char *path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' }, { "dir", required_argument, NULL, 'D' },
		{ "duration", required_argument, NULL, 'd' }, { "filter", required_argument, NULL, 'f' },
		{ "snaplen", required_argument, NULL, 'S' }, { "write", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *filter = NULL, *dir = NULL, *file = "-";
	long long count = 0, snaplen = 262144;
	double duration = 0;
	struct json_object *req = json_object_new_object(), *ports = json_object_new_array(), *reply = NULL, *v;
	struct jsonl_client cl = { .fd = -1 };
	struct vnl_err err = { 0, "" };
	struct sigaction sa = { .sa_handler = on_signal };
	char peer[160], owner[64];
	int c, p[2] = { -1, -1 }, out = -1, rc = 2;
	int64_t id = 0;

	optind = 0; /* glibc: a full restart (permuting again) */
	while ((c = getopt_long(argc, argv, "c:D:d:f:S:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': count = atoll(optarg); break;
		case 'D': dir = optarg; break;
		case 'd': duration = atof(optarg); break;
		case 'f': filter = optarg; break;
		case 'S': snaplen = atoll(optarg); break;
		case 'w': file = optarg; break;
		default: usage(stderr); goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vnl-swctl: capture needs at least one PORT\n");
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct json_object *o = json_object_new_object();
		char *eq = strchr(argv[i], '=');

		if (eq != NULL)
			*eq = '\0';
		json_object_object_add(o, "port", json_object_new_string(argv[i]));
		json_object_object_add(o, "name", json_object_new_string(eq ? eq + 1 : argv[i]));
		json_object_array_add(ports, o);
	}
	json_object_object_add(req, "cmd", json_object_new_string("capture-start"));
	json_object_object_add(req, "ports", json_object_get(ports));
	if (dir != NULL)
		json_object_object_add(req, "dir", json_object_new_string(dir));
	json_object_object_add(req, "snaplen", json_object_new_int64(snaplen));
	if (count)
		json_object_object_add(req, "count", json_object_new_int64(count));
	if (duration > 0)
		json_object_object_add(req, "duration_ms", json_object_new_int64((int64_t)(duration * 1000)));
	if (filter != NULL) {
		struct json_object *bpf = cbpf_compile_json(filter, snaplen < 64 || snaplen > 262144 ? 262144 : (int)snaplen,
							     &err);

		if (bpf == NULL) {
			fprintf(stderr, "vnl-swctl: %s\n", err.msg);
			goto out;
		}
		json_object_object_add(req, "bpf", bpf);
		json_object_object_add(req, "filter", json_object_new_string(filter));
	}
	snprintf(owner, sizeof(owner), "vnl-swctl pid %d uid %u", (int)getpid(), (unsigned)getuid());
	json_object_object_add(req, "owner", json_object_new_string(owner));

	out = strcmp(file, "-") == 0 ? STDOUT_FILENO : open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "vnl-swctl: cannot create '%s': %s\n", file, strerror(errno));
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "vnl-swctl: pipe: %s\n", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	snprintf(peer, sizeof(peer), "vnl-switchd at %s", path);
	if (jsonl_client_open(&cl, path, peer, 5000, &err) < 0 ||
	    (rc = jsonl_client_call_fd(&cl, req, p[1], 10000, &reply, &err)) < 0) {
		fprintf(stderr, "vnl-swctl: %s\n", err.msg);
		rc = rc == -EREMOTEIO ? 1 : 2;
		goto out;
	}
	jsonl_client_close(&cl);
	close(p[1]);
	p[1] = -1;
	if (json_object_object_get_ex(reply, "capture", &v) && json_object_object_get_ex(v, "id", &v))
		id = json_object_get_int64(v);
	fprintf(stderr, "vnl-swctl: capture %lld started\n", (long long)id);
	rc = copy_stream(p[0], out, path, peer, id);
out:
	jsonl_client_close(&cl);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (out > STDOUT_FILENO)
		close(out);
	json_object_put(ports);
	json_object_put(reply);
	json_object_put(req);
	return rc;
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
	struct json_object *req = NULL, *reply = NULL, *ok, *e;
	struct jsonl_client cl = { .fd = -1 };
	struct vnl_err err = { 0, "" };
	char peer[160];
	int c, compact = 0, rc = 2;

	while ((c = getopt_long(argc, argv, "+chr:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': compact = 1; break;
		case 'h': usage(stdout); return 0;
		case 'r': raw = optarg; break;
		case 's': path = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (raw == NULL && optind < argc && strcmp(argv[optind], "capture") == 0)
		return capture_main(path, argc - optind, argv + optind);
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
				struct json_object *v = json_tokener_parse(eq + 1);

				/* A typo would go out as null: remote:=[192.0.2.2] means a list. */
				if (v == NULL && strcmp(eq + 1, "null") != 0) {
					fprintf(stderr, "vnl-swctl: '%s' is not JSON (quote strings: '[\"192.0.2.2\"]')\n", eq + 1);
					goto out;
				}
				eq[-1] = '\0';
				json_object_object_add(req, argv[i], v);
			} else {
				json_object_object_add(req, argv[i], value_of(eq + 1));
			}
		}
		raw = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	/* No deadline: a person or a script's own timeout decides. */
	snprintf(peer, sizeof(peer), "vnl-switchd at %s", path);
	if (jsonl_client_open(&cl, path, peer, -1, &err) < 0 || jsonl_client_exchange(&cl, raw, -1, &reply, &err) < 0) {
		fprintf(stderr, "vnl-swctl: %s\n", err.msg);
		goto out;
	}
	puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_NOSLASHESCAPE |
		(compact ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED)));
	rc = json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok) ? 0 : 1;
	if (rc && json_object_object_get_ex(reply, "error", &e))
		fprintf(stderr, "vnl-swctl: %s\n", json_object_get_string(e));
out:
	jsonl_client_close(&cl);
	json_object_put(reply);
	json_object_put(req);
	return rc;
}
