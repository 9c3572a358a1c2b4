/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl capture TARGET... [-f FILTER] [-c N] [--duration S] [-s SNAPLEN]
 * [--dir in|out|both] [-w FILE|-]` and `vnl capture -r FILE [-j]`
 * (docs/vnld.md, "capture").
 *
 * The stream never passes through vnld: vnl makes a pipe, sends its write
 * end with the `capture` request (vnld passes it on to vnl-switchd, which
 * writes pcapng into it) and reads the read end. The filter is compiled
 * here with libpcap (its own words on error, exit 2) and sent as cBPF; the
 * switch never parses filter text.
 *
 * What is read is walked block by block (common/pcapng_read.h) and only
 * whole blocks go to the sink: -w FILE (created 0644 by vnl, as the user),
 * -w - (stdout: `| wireshark -k -i -`, `| tshark -r -`), else a printer:
 * tshark as a child when it is in PATH, else one line per frame from
 * pktline.h (TIME IF DIR ...). -j prints one JSON object per block
 * instead (statistics included). -r FILE prints a capture file the same
 * way, without a lab.
 *
 * Ending: the switch ends the stream (count, duration, capture-stop) with
 * one statistics block (ISB) per interface, then EOF. SIGINT/SIGTERM send
 * capture-stop and keep copying until that EOF (3 s at most); a second
 * one exits at once (the file still ends at a block boundary). A reader
 * of stdout gone (EPIPE) ends vnl with 0, and the switch sees its pipe
 * closed. EOF without ISBs: the switch went away (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cbpf.h"
#include "clock.h"
#include "pcapng_read.h"
#include "pktline.h"
#include "vnl.h"
#include "vnl_client.h"
#include "vnl_print.h"

#define SNAPLEN_MIN 64
#define SNAPLEN_MAX 262144
#define STOP_WAIT_MS 3000       /* after capture-stop, the tail (ISBs) has this long */
#define PIPE_SIZE (1 << 20)

enum sink { SINK_FILE, SINK_STDOUT, SINK_TSHARK, SINK_LINES, SINK_JSON };

/* One capture's reading side. */
struct cap {
	enum sink sink;
	int out;                   /* fd blocks are written to (file, stdout, tshark's stdin), or -1 */
	pid_t tshark;              /* the printer child, or 0 */
	struct pcapng_reader rd;
	uint8_t *buf;              /* bytes read, not yet a whole block */
	size_t len, cap;
	unsigned long long epbs;   /* packets since the last SHB */
	unsigned isbs;             /* statistics blocks since the last SHB */
	bool gone;                 /* the sink's reader went away (EPIPE) */
	bool created;              /* -w FILE did not exist before */
};

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

/* ---- printing ---- */

static void print_time(uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	localtime_r(&s, &tm);
	printf("%02d:%02d:%02d.%09llu ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	       (unsigned long long)(ns % 1000000000u));
}

/* The EPB's direction as the node sees it: "in" (it receives), "out" (it sends), "-". */
static const char *epb_dir(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	const uint8_t *v;
	uint16_t len;
	uint64_t f;

	if (pcapng_opt_find(r, b, PCAPNG_EPB_FLAGS, &len, &v) != 1 || pcapng_opt_uint(r, v, len, &f) < 0)
		return "-";
	return (f & 3) == PCAPNG_DIR_IN ? "in" : (f & 3) == PCAPNG_DIR_OUT ? "out" : "-";
}

static const char *if_name(const struct pcapng_reader *r, uint32_t id, char *buf, size_t len)
{
	const struct pcapng_if *i = pcapng_if_get(r, id);

	if (i && i->name[0])
		return i->name;
	snprintf(buf, len, "if%u", id);
	return buf;
}

static void print_line(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	const struct pcapng_if *i = pcapng_if_get(r, b->epb.ifid);
	char line[512], nb[16];

	print_time(pcapng_ts_ns(r, b->epb.ifid, b->epb.ts));
	if (i && i->linktype == 1)
		pktline_eth(line, sizeof(line), b->epb.data, b->epb.caplen, b->epb.origlen);
	else
		snprintf(line, sizeof(line), "link type %u, length %u", i ? i->linktype : 0, b->epb.origlen);
	printf("%s %s %s\n", if_name(r, b->epb.ifid, nb, sizeof(nb)), epb_dir(r, b), line);
}

/* A statistics block on stderr, for the line printer (tcpdump's last words). */
static void print_isb(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	uint64_t seen = 0, drop = 0, acc = 0;
	const uint8_t *v;
	uint16_t len;
	char nb[16], matched[40] = "";

	if (pcapng_opt_find(r, b, PCAPNG_ISB_IFRECV, &len, &v) == 1)
		pcapng_opt_uint(r, v, len, &seen);
	if (pcapng_opt_find(r, b, PCAPNG_ISB_IFDROP, &len, &v) == 1)
		pcapng_opt_uint(r, v, len, &drop);
	if (pcapng_opt_find(r, b, PCAPNG_ISB_FILTERACCEPT, &len, &v) == 1 && pcapng_opt_uint(r, v, len, &acc) == 0)
		snprintf(matched, sizeof(matched), ", %llu matched", (unsigned long long)acc);
	fflush(stdout);
	fprintf(stderr, "%s: %llu frames seen%s, %llu dropped by the capture\n", if_name(r, b->isb.ifid, nb, sizeof(nb)),
		(unsigned long long)seen, matched, (unsigned long long)drop);
}

static void jstr(struct json_object *o, const char *key, const uint8_t *v, uint16_t len)
{
	json_object_object_add(o, key, json_object_new_string_len((const char *)v, (int)strnlen((const char *)v, len)));
}

/* Option (code, value) of block b into o under its name, when b's type names it. */
static void json_opt(const struct pcapng_reader *r, const struct pcapng_block *b, struct json_object *o,
		     uint16_t code, uint16_t len, const uint8_t *v)
{
	static const char *const shb[] = { [2] = "hardware", [3] = "os", [4] = "userappl" };
	static const char *const idb[] = { [2] = "name", [3] = "description", [11] = "filter", [12] = "os",
					   [15] = "hardware" };
	static const char *const isb[] = { [2] = "starttime_ns", [3] = "endtime_ns", [4] = "ifrecv",
					   [5] = "ifdrop", [6] = "filteraccept", [7] = "osdrop", [8] = "usrdeliv" };
	uint64_t x;

	if (code == PCAPNG_OPT_COMMENT) {
		jstr(o, "comment", v, len);
	} else if (b->type == PCAPNG_SHB && code < 5 && shb[code]) {
		jstr(o, shb[code], v, len);
	} else if (b->type == PCAPNG_IDB && code == PCAPNG_IF_FILTER && len >= 1) {
		jstr(o, "filter", v + 1, (uint16_t)(len - 1)); /* byte 0: the filter's kind (0: libpcap text) */
	} else if (b->type == PCAPNG_IDB && code == PCAPNG_IF_MACADDR && len == 6) {
		char m[18];

		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3], v[4], v[5]);
		json_object_object_add(o, "mac", json_object_new_string(m));
	} else if (b->type == PCAPNG_IDB && code == PCAPNG_IF_TSRESOL && len == 1) {
		json_object_object_add(o, "tsresol", json_object_new_int(v[0]));
	} else if (b->type == PCAPNG_IDB && code < 16 && idb[code]) {
		jstr(o, idb[code], v, len);
	} else if (b->type == PCAPNG_ISB && code <= PCAPNG_ISB_ENDTIME && isb[code] && pcapng_opt_ts(r, v, len, &x) == 0) {
		json_object_object_add(o, isb[code], json_object_new_int64((int64_t)pcapng_ts_ns(r, b->isb.ifid, x)));
	} else if (b->type == PCAPNG_ISB && code < 9 && isb[code] && pcapng_opt_uint(r, v, len, &x) == 0) {
		json_object_object_add(o, isb[code], json_object_new_int64((int64_t)x));
	} else if (b->type == PCAPNG_EPB && code == PCAPNG_EPB_QUEUE && pcapng_opt_uint(r, v, len, &x) == 0) {
		json_object_object_add(o, "queue", json_object_new_int64((int64_t)x));
	}
}

static void print_json(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	struct json_object *o = json_object_new_object();
	static const struct { uint32_t type; const char *name; } names[] = {
		{ PCAPNG_SHB, "SHB" }, { PCAPNG_IDB, "IDB" }, { PCAPNG_EPB, "EPB" }, { PCAPNG_ISB, "ISB" },
	};
	const uint8_t *v;
	uint16_t code, len;
	size_t pos = 0;
	char t[16], nb[16], line[512];
	const char *bn = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == b->type)
			bn = names[i].name;
	snprintf(t, sizeof(t), "0x%08x", b->type);
	json_object_object_add(o, "block", json_object_new_string(bn ? bn : t));
	json_object_object_add(o, "length", json_object_new_int64(b->len));
	switch (b->type) {
	case PCAPNG_SHB:
		snprintf(t, sizeof(t), "%u.%u", b->shb.major, b->shb.minor);
		json_object_object_add(o, "version", json_object_new_string(t));
		break;
	case PCAPNG_IDB:
		json_object_object_add(o, "interface", json_object_new_int64(b->idb.id));
		json_object_object_add(o, "linktype", json_object_new_int(pcapng_if_get(r, b->idb.id)->linktype));
		json_object_object_add(o, "snaplen", json_object_new_int64(pcapng_if_get(r, b->idb.id)->snaplen));
		break;
	case PCAPNG_EPB:
		json_object_object_add(o, "interface", json_object_new_int64(b->epb.ifid));
		json_object_object_add(o, "name", json_object_new_string(if_name(r, b->epb.ifid, nb, sizeof(nb))));
		json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)pcapng_ts_ns(r, b->epb.ifid, b->epb.ts)));
		json_object_object_add(o, "dir", json_object_new_string(epb_dir(r, b)));
		json_object_object_add(o, "caplen", json_object_new_int64(b->epb.caplen));
		json_object_object_add(o, "len", json_object_new_int64(b->epb.origlen));
		pktline_eth(line, sizeof(line), b->epb.data, b->epb.caplen, b->epb.origlen);
		json_object_object_add(o, "summary", json_object_new_string(line));
		break;
	case PCAPNG_ISB:
		json_object_object_add(o, "interface", json_object_new_int64(b->isb.ifid));
		json_object_object_add(o, "name", json_object_new_string(if_name(r, b->isb.ifid, nb, sizeof(nb))));
		json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)pcapng_ts_ns(r, b->isb.ifid, b->isb.ts)));
		break;
	}
	while (pcapng_opt_next(r, b, &pos, &code, &len, &v) == 1)
		json_opt(r, b, o, code, len, v);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ---- the sink ---- */

/* Write a whole block; EPIPE marks the reader gone. 0 or -errno. */
static int write_all(struct cap *c, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(c->out, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno == EPIPE)
				c->gone = true;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One whole block to the sink. */
static int emit(struct cap *c, const uint8_t *p, const struct pcapng_block *b)
{
	if (b->type == PCAPNG_SHB)
		c->epbs = 0, c->isbs = 0;
	c->epbs += b->type == PCAPNG_EPB;
	c->isbs += b->type == PCAPNG_ISB;
	switch (c->sink) {
	case SINK_FILE:
	case SINK_STDOUT:
	case SINK_TSHARK:
		return write_all(c, p, b->len);
	case SINK_JSON:
		print_json(&c->rd, b);
		break;
	case SINK_LINES:
		if (b->type == PCAPNG_EPB)
			print_line(&c->rd, b);
		else if (b->type == PCAPNG_ISB)
			print_isb(&c->rd, b);
		break;
	}
	if (fflush(stdout) == EOF && errno == EPIPE)
		c->gone = true;
	return c->gone ? -EPIPE : 0;
}

/* Take n more bytes at c->buf + c->len and pass on every whole block. 0, -EPIPE (sink gone) or -EPROTO. */
static int feed(struct cap *c, size_t n, struct vnl_err *err)
{
	struct pcapng_block b;
	size_t off = 0;
	long got;
	int r;

	c->len += n;
	while ((got = pcapng_next(&c->rd, c->buf + off, c->len - off, &b, err)) > 0) {
		if ((r = emit(c, c->buf + off, &b)) < 0)
			return r;
		off += (size_t)got;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return got < 0 ? (int)got : 0;
}

/* Room for at least one more read: the largest block fits. */
static int room(struct cap *c)
{
	size_t want = c->len + 65536;

	if (want <= c->cap)
		return 0;
	if (want > PCAPNG_BLOCK_MAX + 65536)
		return -EPROTO;
	c->cap = want < 2 * c->cap ? 2 * c->cap : want;
	c->buf = realloc(c->buf, c->cap);
	return c->buf ? 0 : -ENOMEM;
}

/* tshark reading pcapng on its stdin, its lines on ours; in its own process
 * group, so that the terminal's Ctrl-C reaches vnl only and tshark prints
 * the stream's tail. */
static int start_tshark(struct cap *c, struct vnl_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return vnl_errno(err, errno, "pipe");
	c->tshark = fork();
	if (c->tshark < 0) {
		close(p[0]);
		close(p[1]);
		return vnl_errno(err, errno, "fork");
	}
	if (c->tshark == 0) {
		setpgid(0, 0);
		dup2(p[0], 0);
		execlp("tshark", "tshark", "-n", "-l", "-r", "-", "-o",
		       "gui.column.format:\"Time\",\"%At\",\"If\",\"%Cus:frame.interface_name\","
		       "\"Dir\",\"%Cus:frame.packet_flags_direction\",\"Source\",\"%s\",\"Destination\",\"%d\","
		       "\"Protocol\",\"%p\",\"Info\",\"%i\"",
		       (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	c->out = p[1];
	return 0;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	for (const char *p = path; p && *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (n && access(buf, X_OK) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Set up c's sink: -w FILE, -w -, -j, tshark or the line printer. */
static int open_sink(struct cap *c, const char *wfile, bool json, struct vnl_err *err)
{
	c->out = -1;
	if (wfile && strcmp(wfile, "-")) {
		/* an existing file is emptied only once the capture runs (keep_file) */
		c->sink = SINK_FILE;
		c->out = open(wfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		c->created = c->out >= 0;
		if (c->out < 0 && errno == EEXIST)
			c->out = open(wfile, O_WRONLY | O_CLOEXEC);
		return c->out < 0 ? vnl_errno(err, errno, "cannot create %s", wfile) : 0;
	}
	if (wfile) {
		c->sink = SINK_STDOUT;
		c->out = 1;
		return 0;
	}
	if (json) {
		c->sink = SINK_JSON;
		return 0;
	}
	if (in_path("tshark")) {
		c->sink = SINK_TSHARK;
		return start_tshark(c, err);
	}
	c->sink = SINK_LINES;
	return 0;
}

/* Close the sink; wait for tshark to print the tail. */
static void close_sink(struct cap *c)
{
	if (c->out > 1)
		close(c->out);
	c->out = -1;
	if (c->tshark > 0)
		while (waitpid(c->tshark, NULL, 0) < 0 && errno == EINTR)
			;
	c->tshark = 0;
	free(c->buf);
	pcapng_reader_fini(&c->rd);
}

/* ---- -r FILE ---- */

static int read_file(const char *path, bool json)
{
	struct cap c = { 0 };
	struct vnl_err err = { 0 };
	int fd, r = 0;
	ssize_t n;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return vnl_fail("cannot open %s: %s", path, strerror(errno));
	/* printing a file: lines or JSON, never tshark (it reads files itself) */
	c.sink = json ? SINK_JSON : SINK_LINES;
	c.out = -1;
	while (r == 0 && room(&c) == 0 && (n = read(fd, c.buf + c.len, c.cap - c.len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = vnl_errno(&err, errno, "reading %s", path);
			break;
		}
		r = feed(&c, (size_t)n, &err);
	}
	if (r == 0 && c.len)
		r = vnl_errf(&err, -EPROTO, "the file ends inside a block (%zu bytes cut)", c.len);
	if (fd > 0)
		close(fd);
	close_sink(&c);
	if (r == -EPIPE)
		return VNL_EXIT_OK;
	return r < 0 ? vnl_fail("%s: %s", path, err.msg) : VNL_EXIT_OK;
}

/* ---- the capture ---- */

/* capture-stop on a connection of its own; errors are not the user's concern
 * here (the capture may have ended on its own meanwhile). */
static void send_stop(const struct vnl_cli *cli, long long id)
{
	struct json_object *req = vnl_req("capture-stop"), *reply = NULL;

	json_object_object_add(req, "id", json_object_new_int64(id));
	vnl_call(cli->lab, req, 5, &reply, NULL);
	json_object_put(req);
	json_object_put(reply);
}

/* Copy the stream until EOF; Ctrl-C handling; the exit status. */
static int copy_stream(const struct vnl_cli *cli, struct cap *c, int rfd, long long id)
{
	struct vnl_err err = { 0 };
	long long stop_at = 0;
	int handled = 0, r = 0;
	bool timedout = false;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		int t = stop_at ? (int)(stop_at - mono_ms()) : -1;

		if (signals > handled) {
			if (handled++ > 0 || stop_at)
				break; /* the second Ctrl-C: now */
			send_stop(cli, id);
			stop_at = mono_ms() + STOP_WAIT_MS;
			continue;
		}
		if (stop_at && t <= 0) {
			timedout = true;
			break;
		}
		if (poll(&p, 1, t) < 0) {
			if (errno == EINTR)
				continue;
			r = vnl_errno(&err, errno, "poll");
			break;
		}
		if (!p.revents)
			continue;
		if ((r = room(c)) < 0) {
			vnl_errf(&err, r, "no room for the next block");
			break;
		}
		n = read(rfd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = vnl_errno(&err, errno, "reading the capture");
			break;
		}
		if (n == 0)
			break;
		if ((r = feed(c, (size_t)n, &err)) < 0)
			break;
	}
	if (r == -EPIPE || c->gone)
		return VNL_EXIT_OK; /* our reader left: the switch sees the pipe closed */
	if (r < 0)
		return vnl_fail("capture %lld: %s", id, err.msg);
	if (!c->isbs && timedout)
		return vnl_fail("capture %lld: the stream did not end within %d s of capture-stop (%llu frames written)",
				id, STOP_WAIT_MS / 1000, c->epbs);
	if (!c->isbs && signals < 2)
		return vnl_fail("capture %lld ended: vnl-switchd stopped (%llu frames written)", id, c->epbs);
	return VNL_EXIT_OK;
}

static int parse_uint(const struct vnl_cli *cli, const char *opt, const char *s, unsigned long long max,
		      unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *v > max)
		return vnl_usage_error(cli, "%s: '%s' is not a number in 0..%llu", opt, s, max);
	return -1;
}

int vnl_cmd_capture(struct vnl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' }, { "dir", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 'D' }, { "filter", required_argument, NULL, 'f' },
		{ "read", required_argument, NULL, 'r' }, { "snaplen", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
	};
	const char *filter = NULL, *wfile = NULL, *rfile = NULL, *dir = NULL;
	unsigned long long count = 0, duration = 0, snaplen = SNAPLEN_MAX;
	struct json_object *req, *targets, *bpf = NULL, *reply = NULL, *cap;
	struct sigaction sa = { .sa_handler = on_signal };
	struct cap c = { 0 };
	struct vnl_err err = { 0 };
	struct jsonl_client cl;
	char owner[64];
	long long id;
	int o, r, p[2];

	while ((o = vnl_getopt(cli, argc, argv, "c:f:r:s:w:", opts)) != -1) {
		switch (o) {
		case 'c':
			if ((r = parse_uint(cli, "-c", optarg, UINT32_MAX, &count)) >= 0)
				return r;
			if (!count)
				return vnl_usage_error(cli, "-c: the count must be 1 or more");
			break;
		case 'D':
			if ((r = parse_uint(cli, "--duration", optarg, 86400 * 365ull, &duration)) >= 0)
				return r;
			if (!duration)
				return vnl_usage_error(cli, "--duration: give 1 second or more");
			break;
		case 's':
			if ((r = parse_uint(cli, "-s", optarg, SNAPLEN_MAX, &snaplen)) >= 0)
				return r;
			if (snaplen < SNAPLEN_MIN)
				return vnl_usage_error(cli, "-s: the snapshot length must be in %u..%u", SNAPLEN_MIN,
						       SNAPLEN_MAX);
			break;
		case 'd':
			if (strcmp(optarg, "in") && strcmp(optarg, "out") && strcmp(optarg, "both"))
				return vnl_usage_error(cli, "--dir: '%s' is not in, out or both", optarg);
			dir = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'r':
			rfile = optarg;
			break;
		case 'w':
			wfile = optarg;
			break;
		default:
			return vnl_opt_exit(cli, o);
		}
	}
	if (rfile) {
		if (optind < argc || filter || wfile || count || duration || dir)
			return vnl_usage_error(cli, "-r FILE prints a file: no targets or other options with it");
		return read_file(rfile, cli->json);
	}
	if (optind >= argc)
		return vnl_usage_error(cli, "name a NODE:N or a LAN to capture");
	if (wfile && !strcmp(wfile, "-") && isatty(1))
		return vnl_usage_error(cli, "-w - writes pcapng to stdout, a terminal here: pipe it (| wireshark -k -i -) "
				       "or give a file");
	if (filter && !(bpf = cbpf_compile_json(filter, (int)snaplen, &err)))
		return vnl_usage_error(cli, "-f '%s': %s", filter, err.msg);
	req = vnl_req("capture");
	targets = json_object_new_array();
	for (int i = optind; i < argc; i++)
		json_object_array_add(targets, json_object_new_string(argv[i]));
	json_object_object_add(req, "targets", targets);
	if (dir)
		json_object_object_add(req, "dir", json_object_new_string(dir));
	if (bpf) {
		json_object_object_add(req, "bpf", bpf);
		json_object_object_add(req, "filter", json_object_new_string(filter));
	}
	if (snaplen != SNAPLEN_MAX)
		json_object_object_add(req, "snaplen", json_object_new_int64((int64_t)snaplen));
	if (count)
		json_object_object_add(req, "count", json_object_new_int64((int64_t)count));
	if (duration)
		json_object_object_add(req, "duration_ms", json_object_new_int64((int64_t)duration * 1000));
	snprintf(owner, sizeof(owner), "vnl pid %d uid %u", (int)getpid(), (unsigned)getuid());
	json_object_object_add(req, "owner", json_object_new_string(owner));

	if ((r = open_sink(&c, wfile, cli->json, &err)) < 0) {
		json_object_put(req);
		return vnl_fail("%s", err.msg);
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = vnl_errno(&err, errno, "pipe");
		goto fail;
	}
	fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE); /* the switch asks the same; a smaller pipe still works */
	r = vnl_connect(&cl, cli->lab, &err);
	if (r == 0) {
		r = jsonl_client_call_fd(&cl, req, p[1], VNL_TIMEOUT * 1000, &reply, &err);
		jsonl_client_close(&cl);
	}
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		goto fail;
	}
	if (c.sink == SINK_FILE && !c.created)
		(void)!ftruncate(c.out, 0); /* the file had other bytes: now this capture's (a FIFO has none) */
	json_object_object_get_ex(reply, "capture", &cap);
	id = vnl_jint(cap, "id", -1);
	json_object_put(reply);
	json_object_put(req);
	if (c.sink == SINK_LINES || c.sink == SINK_TSHARK) {
		fprintf(stderr, "vnl: capture %lld on", id);
		for (int i = optind; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "%s%s; Ctrl-C stops it\n", filter ? ", filter " : "", filter ? filter : "");
	}
	r = copy_stream(cli, &c, p[0], id);
	close(p[0]);
	close_sink(&c);
	return r;
fail:
	json_object_put(req);
	close_sink(&c);
	if (c.created)
		unlink(wfile); /* nothing was captured: no empty file left behind */
	return vnl_fail("%s", err.msg);
}
