/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld: the control process of one lab (docs/vnld.md). This first version
 * owns the lab's LANs: it keeps them in a topology saved atomically in the
 * state folder, serves JSON-lines clients, supervises the lab's vnl-switchd
 * (restart and re-push after a crash) and re-adopts a running switch when it
 * is itself restarted. Node kinds plug in next (endpoints/).
 *
 * Signals: SIGTERM/SIGINT stop vnld only; the lab (switch, nodes) keeps
 * running and the next vnld adopts it. The "stop" command tears the lab down.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "evloop.h"
#include "fsutil.h"
#include "jsonl.h"
#include "lab_switch.h"
#include "state.h"
#include "topology.h"

struct vnld {
	char lab[TOPO_NAME_MAX + 1];
	char run_dir[64];          /* /run/vnetlab/LAB */
	char state_dir[64];        /* /var/lib/vnetlab/LAB */
	struct evloop *loop;
	struct jsonl_server *srv;
	struct lab_switch sw;
	struct topo *topo;         /* desired state */
	bool stop_lab;             /* "stop": tear the lab down on the way out */
};

static struct vnld d;

#define LOG(fmt, ...) fprintf(stderr, "vnld[%s]: " fmt "\n", d.lab, ##__VA_ARGS__)

static void publish(const char *event, const char *key, const char *val)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	if (key != NULL)
		json_object_object_add(o, key, json_object_new_string(val));
	jsonl_publish(d.srv, o);
	json_object_put(o);
}

static int save(struct vnl_err *err)
{
	return state_save(d.state_dir, d.topo, d.sw.pid, d.sw.start_time, err);
}

/* ---- the switch ---- */

/* Make the switch hold exactly the model's LANs. */
static void push_model(struct lab_switch *s, void *arg)
{
	struct json_object *req = json_object_new_object(), *reply = NULL, *lans;
	struct vnl_err err;

	(void)arg;
	json_object_object_add(req, "cmd", json_object_new_string("show-lans"));
	if (lab_switch_call(s, req, &reply, &err) == 0 && json_object_object_get_ex(reply, "lans", &lans)) {
		for (size_t i = 0; i < json_object_array_length(lans); i++) {
			struct json_object *name;
			const char *n;

			json_object_object_get_ex(json_object_array_get_idx(lans, i), "name", &name);
			n = json_object_get_string(name);
			if (topo_find_lan(d.topo, n) == NULL && lab_switch_cmd(s, &err, "lan-del", "name", n, NULL) < 0)
				LOG("removing stray LAN %s from the switch: %s", n, err.msg);
		}
	}
	json_object_put(reply);
	json_object_put(req);
	for (unsigned i = 0; i < d.topo->n_lans; i++) {
		int r = lab_switch_cmd(s, &err, "lan-add", "name", d.topo->lans[i].name, NULL);

		if (r < 0 && strstr(err.msg, "exists") == NULL)
			LOG("pushing LAN %s: %s", d.topo->lans[i].name, err.msg);
	}
	if (save(&err) < 0)
		LOG("saving state: %s", err.msg);
	publish("switch-ready", NULL, NULL);
}

static void switch_down(struct lab_switch *s, void *arg)
{
	(void)s, (void)arg;
	LOG("vnl-switchd died; restarting it");
	publish("switch-down", NULL, NULL);
}

/* ---- commands ---- */

typedef int (*cmd_fn)(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err);

static int arg_str(struct json_object *req, const char *key, const char **out, struct vnl_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return vnl_errf(err, -EINVAL, "missing argument '%s'", key);
	if (!json_object_is_type(v, json_type_string))
		return vnl_errf(err, -EINVAL, "argument '%s' must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

static int arg_name(struct json_object *req, const char *key, const char *what, const char **out,
		    struct vnl_err *err)
{
	struct topo_err te;
	int r = arg_str(req, key, out, err);

	if (r == 0 && topo_check_name(*out, what, 0, 0, &te) < 0)
		r = vnl_errf(err, -EINVAL, "%s", te.msg);
	return r;
}

static int cmd_version(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	(void)req, (void)c, (void)err;
	json_object_object_add(reply, "version", json_object_new_string(VNL_VERSION));
	json_object_object_add(reply, "lab", json_object_new_string(d.lab));
	return 0;
}

static int cmd_show(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	struct json_object *lans = json_object_new_array(), *sw = json_object_new_object();

	(void)req, (void)c, (void)err;
	for (unsigned i = 0; i < d.topo->n_lans; i++)
		json_object_array_add(lans, json_object_new_string(d.topo->lans[i].name));
	json_object_object_add(reply, "lab", json_object_new_string(d.lab));
	json_object_object_add(reply, "lans", lans);
	json_object_object_add(sw, "pid", json_object_new_int(d.sw.pid));
	json_object_object_add(sw, "restarts", json_object_new_int((int)d.sw.restarts));
	json_object_object_add(sw, "socket", json_object_new_string(d.sw.sock));
	json_object_object_add(reply, "switch", sw);
	return 0;
}

static int cmd_lan_add(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	struct topo_lan l = { 0 };
	struct topo_err te;
	const char *name;
	int r;

	(void)reply, (void)c;
	r = arg_name(req, "name", "LAN", &name, err);
	if (r < 0)
		return r;
	snprintf(l.name, sizeof(l.name), "%s", name);
	if (topo_find_node(d.topo, name) != NULL || topo_find_lan(d.topo, name) != NULL)
		return vnl_errf(err, -EEXIST, "the name '%s' is in use in lab %s", name, d.lab);
	r = lab_switch_cmd(&d.sw, err, "lan-add", "name", name, NULL);
	if (r < 0)
		return vnl_err_wrap(err, "adding LAN %s to the switch", name);
	r = topo_add_lan(d.topo, &l, &te);
	if (r == 0)
		r = save(err);
	if (r < 0) {
		/* Undo: the switch must not keep what the model does not have. */
		lab_switch_cmd(&d.sw, NULL, "lan-del", "name", name, NULL);
		topo_del_lan(d.topo, name, NULL);
		return r == -EEXIST ? vnl_errf(err, r, "%s", te.msg) : r;
	}
	publish("lan-added", "lan", name);
	return 0;
}

static int cmd_lan_del(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		       struct vnl_err *err)
{
	const char *name;
	int r;

	(void)reply, (void)c;
	r = arg_name(req, "name", "LAN", &name, err);
	if (r < 0)
		return r;
	if (topo_find_lan(d.topo, name) == NULL)
		return vnl_errf(err, -ENOENT, "no LAN named '%s' in lab %s", name, d.lab);
	r = lab_switch_cmd(&d.sw, err, "lan-del", "name", name, NULL);
	if (r < 0 && strstr(err->msg, "no LAN") == NULL)
		return vnl_err_wrap(err, "deleting LAN %s from the switch", name);
	topo_del_lan(d.topo, name, NULL);
	r = save(err);
	if (r < 0)
		return r;
	publish("lan-deleted", "lan", name);
	return 0;
}

static int cmd_events(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		      struct vnl_err *err)
{
	(void)req, (void)reply, (void)err;
	jsonl_subscribe(c);
	return 0;
}

static int cmd_stop(struct json_object *req, struct json_object *reply, struct jsonl_conn *c,
		    struct vnl_err *err)
{
	(void)req, (void)reply, (void)c, (void)err;
	d.stop_lab = true;
	evloop_stop(d.loop);
	return 0;
}

static const char *const no_args[] = { NULL };
static const char *const name_arg[] = { "name", NULL };

static const struct {
	const char *name;
	cmd_fn fn;
	const char *const *args;
	const char *help;
} commands[] = {
	{ "events", cmd_events, no_args, "stream every change as JSON lines" },
	{ "lan-add", cmd_lan_add, name_arg, "add LAN name" },
	{ "lan-del", cmd_lan_del, name_arg, "delete LAN name" },
	{ "show", cmd_show, no_args, "the lab: LANs, switch" },
	{ "stop", cmd_stop, no_args, "remove everything of the lab and exit" },
	{ "version", cmd_version, no_args, "vnld's version and lab" },
};
#define NB_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static struct json_object *handle(struct jsonl_conn *c, const char *line, size_t len, void *arg)
{
	struct json_object *req, *reply, *v;
	struct vnl_err err = { 0, "" };
	const char *why, *name, *bad;
	char buf[160];
	size_t i;
	int r;

	(void)arg;
	req = jsonl_parse(line, len, buf, sizeof(buf), &why);
	if (req == NULL)
		return jsonl_error(why);
	if (!json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(req);
		return jsonl_error("a request needs a string member 'cmd'");
	}
	name = json_object_get_string(v);
	for (i = 0; i < NB_COMMANDS && strcmp(commands[i].name, name) != 0; i++)
		;
	if (i == NB_COMMANDS) {
		snprintf(buf, sizeof(buf), "unknown command '%.64s'", name);
		json_object_put(req);
		return jsonl_error(buf);
	}
	r = 0;
	if ((bad = jsonl_unknown_arg(req, commands[i].args)) != NULL)
		r = vnl_errf(&err, -EINVAL, "unknown argument '%s' for %s", bad, commands[i].name);
	reply = json_object_new_object();
	if (r == 0)
		r = commands[i].fn(req, reply, c, &err);
	json_object_put(req);
	if (r < 0) {
		json_object_put(reply);
		LOG("%s: %s", commands[i].name, err.msg);
		return jsonl_error(err.msg[0] ? err.msg : strerror(-r));
	}
	return jsonl_ok(reply);
}

/* ---- start-up and shutdown ---- */

static void on_signal(struct ev_watch *w, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)w, (void)events, (void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		LOG("signal %u: stopping vnld, the lab keeps running", si.ssi_signo);
		evloop_stop(d.loop);
	}
}

/* Only one vnld per lab: an exclusive lock on the pid file for its life. */
static int take_lock(void)
{
	char path[PATH_MAX + 16], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/vnld.pid", d.run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -EADDRINUSE;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
		return -errno;
	return fd; /* kept open: the lock lives as long as we do */
}

static void switchd_path(char *out, size_t len, const char *opt)
{
	char self[PATH_MAX];
	ssize_t n;

	if (opt != NULL) {
		snprintf(out, len, "%s", opt);
		return;
	}
	/* Next to vnld (build tree or install prefix), else from PATH. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(out, len, "%s/vnl-switchd", dirname(self));
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "/usr/local/bin/vnl-switchd");
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vnld [--lab NAME] [--switchd PATH]\n"
		   "The control process of one vnetlab lab; vnl starts it. It serves\n"
		   "/run/vnetlab/LAB/vnld.sock and keeps its state in /var/lib/vnetlab/LAB.\n"
		   "  -l, --lab NAME       the lab [default]\n"
		   "  -s, --switchd PATH   vnl-switchd to run [next to vnld]\n"
		   "  -h, --help           this help\n"
		   "SIGTERM stops vnld and leaves the lab running; the next vnld adopts it.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { "lab", required_argument, NULL, 'l' },
		{ "switchd", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	const char *lab = "default", *switchd = NULL;
	struct topo_err te;
	struct vnl_err err;
	pid_t sw_pid = 0;
	unsigned long long sw_start = 0;
	char sock[108];
	sigset_t mask;
	int c, lock, sfd, r;

	while ((c = getopt_long(argc, argv, "hl:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'l': lab = optarg; break;
		case 's': switchd = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (topo_check_name(lab, "lab", 0, 0, &te) < 0) {
		fprintf(stderr, "vnld: %s\n", te.msg);
		return 2;
	}
	snprintf(d.lab, sizeof(d.lab), "%s", lab);
	snprintf(d.run_dir, sizeof(d.run_dir), "/run/vnetlab/%s", lab);
	snprintf(d.state_dir, sizeof(d.state_dir), "/var/lib/vnetlab/%s", lab);
	if ((r = mkdir_p(d.run_dir, 0755)) < 0 || (r = mkdir_p(d.state_dir, 0700)) < 0) {
		fprintf(stderr, "vnld: cannot create the lab's folders: %s\n", strerror(-r));
		return 1;
	}
	lock = take_lock();
	if (lock < 0) {
		fprintf(stderr, "vnld: %s\n", lock == -EADDRINUSE ? "another vnld serves this lab" : strerror(-lock));
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.loop = evloop_new();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d.loop == NULL || sfd < 0 || ev_fd_add(d.loop, sfd, EPOLLIN, on_signal, NULL) == NULL) {
		fprintf(stderr, "vnld: cannot set up the event loop: %s\n", strerror(errno));
		return 1;
	}

	r = state_load(d.state_dir, &d.topo, &sw_pid, &sw_start, &err);
	if (r < 0) {
		fprintf(stderr, "vnld: %s\n", err.msg);
		return 1;
	}

	switchd_path(d.sw.bin, sizeof(d.sw.bin), switchd);
	snprintf(d.sw.sock, sizeof(d.sw.sock), "%s/switchd.sock", d.run_dir);
	snprintf(d.sw.log, sizeof(d.sw.log), "%s/switchd.log", d.run_dir);
	d.sw.loop = d.loop;
	d.sw.on_ready = push_model;
	d.sw.on_down = switch_down;
	snprintf(sock, sizeof(sock), "%s/vnld.sock", d.run_dir);
	d.srv = jsonl_listen(d.loop, sock, 0660, handle, NULL);
	if (d.srv == NULL) {
		fprintf(stderr, "vnld: cannot listen in %s: %s\n", d.run_dir, strerror(errno));
		return 1;
	}
	if (sw_pid > 0 && lab_switch_adopt(&d.sw, sw_pid, sw_start, &err) == 0) {
		LOG("adopted vnl-switchd pid %d", (int)sw_pid);
		push_model(&d.sw, NULL);
	} else if (lab_switch_start(&d.sw, &err) < 0) {
		fprintf(stderr, "vnld: %s\n", err.msg);
		jsonl_close(d.srv);
		return 1;
	}
	LOG("serving %s/vnld.sock (switch pid %d)", d.run_dir, (int)d.sw.pid);

	r = evloop_run(d.loop);
	jsonl_close(d.srv);
	if (d.stop_lab) {
		lab_switch_stop(&d.sw);
		state_remove(d.state_dir);
		LOG("lab stopped");
	} else {
		/* Leave the lab running for the next vnld. */
		ev_del(d.sw.watch);
		if (save(&err) < 0)
			LOG("saving state: %s", err.msg);
	}
	topo_free(d.topo);
	evloop_free(d.loop);
	if (d.stop_lab) {
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/switchd.log", d.run_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/vnld.pid", d.run_dir);
		unlink(path);
		rmdir(d.run_dir);
	}
	close(lock);
	return r < 0 ? 1 : 0;
}
