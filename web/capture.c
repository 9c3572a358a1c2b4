/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Captures of a tab (web.h, docs/plans/web.md "Capture"): `vnl capture
 * NODE:N|LAN -w FILE [-f FILTER]` children writing into vnl-web's private
 * folder, stopped with SIGINT (vnl then ends the file with its statistics
 * blocks), and their files served once at /dl/TOKEN.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "err.h"
#include "topology.h"
#include "web.h"

/* A running capture: its child, its file, its tab's number for it. */
struct cap_run {
	struct cap_run *next;
	pid_t pid;
	long cap;
	bool capped;        /* stopped at web_conf.cap_max */
	bool stopping;      /* SIGINT sent (a second one would cut the tail) */
	unsigned stop_ticks; /* cap_tick() turns since then */
	char file[160];
	char name[96];      /* the download's file name */
};

/* A finished capture waiting for its one download. */
struct cap_dl {
	struct cap_dl *next;
	struct sess *sess;
	char token[33];
	char file[160];
	char name[96];
};

/* The size is looked at every 100 ms; a stopped capture still running after
 * 5 s (vnl waits 3 s for the tail) is killed, its file then removed. */
#define CAP_TICK_US (100 * LWS_US_PER_MS)
#define CAP_KILL_TICKS 50
#define CAP_DIR_FMT "/tmp/vnl-web-%d.XXXXXX"

static struct cap_run *runs;
static struct cap_dl *dls;
static char cap_dir[64];
static long cap_seq;
static lws_sorted_usec_list_t cap_sul;
static struct lws_context *cap_ctx;

/* The private folder (0700) the files go to, made at the first capture:
 * /tmp/vnl-web-PID.XXXXXX. */
static int cap_folder(void)
{
	if (cap_dir[0])
		return 0;
	snprintf(cap_dir, sizeof(cap_dir), CAP_DIR_FMT, (int)getpid());
	if (mkdtemp(cap_dir) == NULL) {
		cap_dir[0] = '\0';
		return -errno;
	}
	return 0;
}

void cap_cleanup(void)
{
	for (struct cap_dl *d = dls; d; d = d->next)
		unlink(d->file);
	/* Killed and reaped before their files go: none writes on after. */
	for (struct cap_run *r = runs; r; r = r->next) {
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		unlink(r->file);
	}
	if (cap_dir[0])
		rmdir(cap_dir);
}

/* Is pid a live vnl-web (its folder in use)? A zombie is not. */
static bool is_vnl_web(int pid)
{
	char path[64], line[256] = "", *comm, *end;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	/* "PID (COMM) STATE ...": COMM may hold ')' itself, STATE follows the last. */
	comm = strchr(line, '(');
	end = strrchr(line, ')');
	if (comm == NULL || end == NULL || end < comm || end[1] != ' ')
		return false;
	*end = '\0';
	return !strcmp(comm + 1, "vnl-web") && end[2] != 'Z' && end[2] != 'X';
}

/* A dead vnl-web's folder in /tmp (dirfd), name: only when it is still
 * this user's 0700 folder, and only its N.pcapng files, then itself. */
static void sweep_folder(int tmp, const char *name)
{
	int fd = openat(tmp, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	struct stat st;
	DIR *d;
	long n;
	char tail[16];

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700 ||
	    (d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "%ld.%15s", &n, tail) == 2 && !strcmp(tail, "pcapng"))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(tmp, name, AT_REMOVEDIR);
}

void cap_sweep(void)
{
	DIR *d = opendir("/tmp");
	struct dirent *e;
	char rand[16];
	int pid;

	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "vnl-web-%d.%15s", &pid, rand) == 2 && strlen(rand) == 6 && pid > 0 &&
		    pid != getpid() && !is_vnl_web(pid))
			sweep_folder(dirfd(d), e->d_name);
	if (d)
		closedir(d);
}

/* Stop captures whose file has reached web_conf.cap_max (vnl has no size
 * limit of its own; the child's RLIMIT_FSIZE is the hard one), kill those
 * that do not end once stopped. */
static void cap_tick(lws_sorted_usec_list_t *sul)
{
	struct stat st;

	(void)sul;
	for (struct cap_run *r = runs; r; r = r->next) {
		if (r->stopping) {
			if (++r->stop_ticks == CAP_KILL_TICKS)
				kill(-r->pid, SIGKILL);
		} else if (stat(r->file, &st) == 0 && st.st_size >= web_conf.cap_max) {
			r->capped = r->stopping = true;
			kill(r->pid, SIGINT);
		}
	}
	if (runs)
		lws_sul_schedule(cap_ctx, 0, &cap_sul, cap_tick, CAP_TICK_US);
}

static unsigned caps_of(const struct sess *s)
{
	unsigned n = chan_count(s, CHAN_CAP);

	for (const struct cap_dl *d = dls; d; d = d->next)
		n += d->sess == s;
	return n;
}

/*
 * NODE:N (a node name of the name rule, N in 0..63) or LAN (a LAN name):
 * the only targets vnl-web puts on vnl's command line, written back from
 * what was parsed into tgt; what: "NODE-N" or "LAN", for the file's name.
 */
static int check_target(const char *t, char tgt[TOPO_NAME_MAX + 8], char what[TOPO_NAME_MAX + 8],
			struct vnl_err *err)
{
	const char *colon = t ? strrchr(t, ':') : NULL;
	char node[TOPO_NAME_MAX + 1], *end;
	long nic;

	if (t == NULL)
		return vnl_errf(err, -EINVAL, "a capture target is NODE:N (a linked NIC) or a LAN");
	if (colon == NULL) {
		if (topo_check_name(t, "LAN", 0, 0, err) < 0)
			return -EINVAL;
		snprintf(tgt, TOPO_NAME_MAX + 8, "%s", t);
		snprintf(what, TOPO_NAME_MAX + 8, "%s", t);
		return 0;
	}
	if ((size_t)(colon - t) > TOPO_NAME_MAX)
		return vnl_errf(err, -EINVAL, "a capture target is NODE:N (a linked NIC) or a LAN");
	memcpy(node, t, (size_t)(colon - t));
	node[colon - t] = '\0';
	if (topo_check_name(node, "node", 0, 0, err) < 0)
		return -EINVAL;
	nic = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || colon[1] < '0' || colon[1] > '9' || nic < 0 || nic > 63)
		return vnl_errf(err, -EINVAL, "a capture target is NODE:N, N a NIC number");
	snprintf(tgt, TOPO_NAME_MAX + 8, "%s:%ld", node, nic);
	snprintf(what, TOPO_NAME_MAX + 8, "%s-%ld", node, nic);
	return 0;
}

/* A filter for vnl -f: libpcap's words, printable ASCII, CAP_FILTER_MAX
 * bytes at most (vnl compiles it; its error is the capture's). */
static int check_filter(const char *f, struct vnl_err *err)
{
	size_t n = strnlen(f, CAP_FILTER_MAX + 1);

	if (n > CAP_FILTER_MAX)
		return vnl_errf(err, -EINVAL, "a capture filter has %d characters at most", CAP_FILTER_MAX);
	for (size_t i = 0; i < n; i++)
		if (f[i] < 0x20 || f[i] > 0x7e)
			return vnl_errf(err, -EINVAL, "a capture filter is printable ASCII (libpcap's words, "
						      "e.g. icmp or tcp port 80)");
	return 0;
}

void cap_start(struct sess *s, long id, const char *lab, const char *target, const char *filter)
{
	char tgt[TOPO_NAME_MAX + 8], what[TOPO_NAME_MAX + 8], file[160];
	char *argv[] = { "vnl", "--lab", (char *)lab, "capture", tgt, "-w", file, NULL, NULL, NULL };
	struct cap_run *r;
	struct vnl_err err;
	struct chan *c;
	pid_t pid;
	int fd;

	if (check_target(target, tgt, what, &err) < 0 || (filter && check_filter(filter, &err) < 0))
		return sess_reply_error(s, id, err.msg);
	if (filter && filter[0]) {
		argv[7] = "-f";
		argv[8] = (char *)filter;
	}
	if (caps_of(s) >= SESS_CAP_MAX)
		return sess_reply_error(s, id, "vnl-web: 2 captures in this tab already (running, or waiting for "
					       "their download): stop or download one first");
	if (cap_folder() < 0)
		return sess_reply_error(s, id, "vnl-web: cannot make its capture folder in /tmp");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sess_reply_error(s, id, "vnl-web: out of memory");
	r->cap = ++cap_seq;
	snprintf(file, sizeof(file), "%s/%ld.pcapng", cap_dir, r->cap);
	snprintf(r->file, sizeof(r->file), "%s", file);
	snprintf(r->name, sizeof(r->name), "%s-%s.pcapng", lab, what);
	/* The hard bound on the file: the tick's SIGINT comes first but for a
	 * link faster than twice the limit in 100 ms. */
	if ((pid = proc_spawn_limited(argv, false, 0, 0, 2 * web_conf.cap_max + (1 << 20), &fd)) < 0) {
		free(r);
		return sess_reply_error(s, id, "vnl-web: cannot start vnl capture");
	}
	r->pid = pid;
	r->next = runs;
	runs = r;
	if ((c = chan_adopt(s, CHAN_CAP, fd, r->cap, lab)) == NULL) {
		chan_child_end(lws_get_context(s->wsi), pid, NULL, CHAN_CAP, r->cap, NULL);
		return sess_reply_error(s, id, "vnl-web: cannot add a channel");
	}
	c->pid = pid;
	cap_ctx = lws_get_context(s->wsi);
	if (lws_dll2_is_detached(&cap_sul.list))
		lws_sul_schedule(cap_ctx, 0, &cap_sul, cap_tick, CAP_TICK_US);
	sess_sendf(s, "{\"t\":\"reply\",\"id\":%ld,\"reply\":{\"ok\":true,\"cap\":%ld}}", id, r->cap);
}

void cap_stop(struct sess *s, long id, long cap)
{
	for (struct chan *c = s->chans; c; c = c->next)
		if (c->type == CHAN_CAP && c->id == cap && c->pid > 0) {
			/* vnl sends capture-stop and copies the tail: the file ends
			 * whole, then its output ends (capture-end). Once only: a
			 * second SIGINT makes vnl leave without the tail. */
			for (struct cap_run *r = runs; r; r = r->next)
				if (r->pid == c->pid && !r->stopping) {
					r->stopping = true;
					kill(c->pid, SIGINT);
				}
			sess_sendf(s, "{\"t\":\"reply\",\"id\":%ld,\"reply\":{\"ok\":true}}", id);
			return;
		}
	sess_reply_error(s, id, "no such capture running in this tab");
}

void cap_ended(pid_t pid, struct sess *s, int st, const char *last)
{
	struct cap_run **pp = &runs, *r;
	struct json_object *o;
	struct cap_dl *d = NULL;
	unsigned char b[16];
	struct stat sb;
	char url[48];

	while ((r = *pp) && r->pid != pid)
		pp = &r->next;
	if (r == NULL)
		return;
	*pp = r->next;
	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string("capture-end"));
	json_object_object_add(o, "cap", json_object_new_int64(r->cap));
	if (s && st == 0 && stat(r->file, &sb) == 0 && (d = calloc(1, sizeof(*d))) &&
	    getrandom(b, sizeof(b), 0) == sizeof(b)) {
		for (size_t i = 0; i < sizeof(b); i++)
			sprintf(d->token + 2 * i, "%02x", b[i]);
		d->sess = s;
		snprintf(d->file, sizeof(d->file), "%s", r->file);
		snprintf(d->name, sizeof(d->name), "%s", r->name);
		d->next = dls;
		dls = d;
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		snprintf(url, sizeof(url), "/dl/%s", d->token);
		json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)sb.st_size));
		json_object_object_add(o, "capped", json_object_new_boolean(r->capped));
	} else {
		free(d);
		unlink(r->file);
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(last && last[0] ? last : "vnl capture failed"));
	}
	if (s)
		sess_sendf(s, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	free(r);
}

void cap_forget_sess(struct sess *s)
{
	for (struct cap_dl **pp = &dls, *d; (d = *pp);) {
		if (d->sess != s) {
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		unlink(d->file);
		free(d);
	}
}

/* The download of token tok: every entry compared in constant time (a
 * token is a secret). NULL: none. */
static struct cap_dl **dl_find(const char *tok)
{
	struct cap_dl **found = NULL;

	for (struct cap_dl **pp = &dls; *pp; pp = &(*pp)->next)
		if (token_eq(tok, (*pp)->token))
			found = pp;
	return found;
}

/* /dl/TOKEN: the file once, as an attachment; then it is gone. */
int cap_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	unsigned char hdr[512], *p = hdr;
	char disp[160];
	const char *tok = in ? strrchr(in, '/') : NULL;
	struct cap_dl **pp, *d;
	int n;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		lwsl_user("refused a WebSocket: dl is not for pages\n");
		return -1;
	case LWS_CALLBACK_HTTP:
		/* in: the path (its last part is the token). */
		tok = tok ? tok + 1 : in;
		if (tok == NULL || (pp = dl_find(tok)) == NULL) {
			lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "no such capture file (each is served once)");
			return -1;
		}
		d = *pp;
		*pp = d->next;
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", d->name);
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
						(const unsigned char *)disp, (int)strlen(disp), &p, hdr + sizeof(hdr)) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
						(const unsigned char *)"no-store", 8, &p, hdr + sizeof(hdr)) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
						(const unsigned char *)"nosniff", 7, &p, hdr + sizeof(hdr)))
			n = -1;
		else
			n = lws_serve_http_file(wsi, d->file, "application/octet-stream", (const char *)hdr,
						(int)(p - hdr));
		/* lws holds the file open from here: its name can go. */
		unlink(d->file);
		free(d);
		if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
