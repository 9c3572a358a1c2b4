/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld's watch and repair of VM NICs that lost their features
 * (daemon/lab_nicrepair.c), driven for real: lab_nic_tick and lab_nic_json
 * against a fake switch (a thread of this process serving show-ports on a
 * unix socket, lab_switch.c unchanged) whose ports' features the test
 * sets, and a fake nic_repair slot that records its calls and whose done()
 * the test calls.  Checks:
 *   a NIC seen lost once is not repaired (two looks 2 s apart first, L4);
 *   two lost NICs of one node: one repair at a time (M2);
 *   done(0) is "confirming", counted only when the switch sees the
 *     features; a port still lost 2 s after done(0) is a failed try (M5);
 *   done(-ECANCELED) is not a try and not logged; done(-EHOSTDOWN) is
 *     "interrupted", not a try (L2);
 *   exit 1 whose text says "renegotiated", then the features back:
 *     "repaired, but" in the log and nic_repair_notes in show (M5).
 * Takes about 5 s (the persistence and confirmation delays are real time).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lab.h"
#include "lab_nicrepair.h"
#include "fake_switch.h"
#include "lab_switch.h"
#include "log.h"
#include "tap.h"
#include "unixsock.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *features[2] = { "0x40000000", "0x40000000" }; /* v-0, v-1 */

/* The fake switch's answer to any request: show-ports with features[]. */
static const char *sw_reply(const char *line)
{
	static char out[512];

	(void)line;
	pthread_mutex_lock(&mu);
	snprintf(out, sizeof(out),
		 "{\"ok\":true,\"ports\":[{\"name\":\"v-0\",\"features\":\"%s\"},"
		 "{\"name\":\"v-1\",\"features\":\"%s\"}]}",
		 features[0], features[1]);
	pthread_mutex_unlock(&mu);
	return out;
}

static void *sw_main(void *arg)
{
	fake_switch_serve(*(int *)arg, sw_reply);
	return NULL;
}

static void set_features(unsigned nic, const char *f)
{
	pthread_mutex_lock(&mu);
	features[nic] = f;
	pthread_mutex_unlock(&mu);
}

/* ---- the fake kind and slot ---- */

static const struct topo_kind vm_schema = { .name = "vm", .help = "fake vm" };
static const struct node_kind fake_vm = { .schema = &vm_schema, .nics_ported = true };
static const struct node_kind *const kinds[] = { &fake_vm, NULL };

static const struct node_kind *fake_find(const char *name)
{
	return strcmp(name, "vm") ? NULL : &fake_vm;
}

static unsigned calls[2];
static void (*pending_done)(int, const char *, void *);
static void *pending_arg;
static unsigned pending_nic;

static int fake_repair(const struct topo_node *n, unsigned nic, void (*done)(int, const char *, void *), void *arg,
		       struct vnl_err *err)
{
	(void)n;
	(void)err;
	calls[nic]++;
	pending_done = done;
	pending_arg = arg;
	pending_nic = nic;
	return 0;
}

static void finish(int code, const char *text)
{
	void (*done)(int, const char *, void *) = pending_done;

	pending_done = NULL;
	done(code, text, pending_arg);
}

/* ---- show and log ---- */

static struct lab lab;
static char tmp[32], sock_path[64], log_path[64];

/* The test's files go at any exit (a failed check may return early). */
static void cleanup(void)
{
	unlink(sock_path);
	unlink(log_path);
	rmdir(tmp);
}

/* The show object of v (a new reference). */
static struct json_object *show(void)
{
	struct json_object *o = json_object_new_object();

	lab_nic_json(&lab, &lab.topo->nodes[0], o);
	return o;
}

static const char *show_str(const char *jq_key)
{
	static char buf[1024];
	struct json_object *o = show(), *v;

	snprintf(buf, sizeof(buf), "%s",
		 json_object_object_get_ex(o, jq_key, &v) ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
							  : "null");
	json_object_put(o);
	return buf;
}

/* Lines of the log holding s. */
static unsigned log_count(const char *s)
{
	char line[1024];
	unsigned n = 0;
	FILE *f = fopen(log_path, "re");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, s) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void tick_after(unsigned ms)
{
	usleep(ms * 1000);
	lab_nic_tick(&lab);
}

int main(void)
{
	static int lfd;
	struct vnl_err e;
	pthread_t t;
	int logfd;

	node_kinds_use(kinds);
	snprintf(tmp, sizeof(tmp), "/tmp/vnl-nicrep-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return perror("mkdtemp"), 1;
	atexit(cleanup);
	snprintf(sock_path, sizeof(sock_path), "%s/switchd.sock", tmp);
	snprintf(log_path, sizeof(log_path), "%s/log", tmp);
	if ((logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return perror("log"), 1;
	log_set_output(logfd, false);
	lfd = unix_listen(sock_path, 0600);
	if (lfd < 0 || fcntl(lfd, F_SETFL, 0) < 0 || pthread_create(&t, NULL, sw_main, &lfd) != 0) {
		printf("Bail out! fake switch\n");
		return 1;
	}
	snprintf(lab.name, sizeof(lab.name), "nrtest");
	if (topo_load_string("nodes:\n  - {name: v, kind: vm, nics: 2}\n", &lab.topo, &e) < 0) {
		printf("Bail out! model: %s\n", e.msg);
		return 1;
	}
	lab.kind_find = fake_find;
	lab.nic_repair = fake_repair;
	snprintf(lab.sw.sock, sizeof(lab.sw.sock), "%s", sock_path);
	lab.sw.pid = getpid();
	lab.sw.start_time = proc_start_time(getpid());
	lab.sw.pidfd = -1;

	/* L4: one look is not enough; M2: one repair per node */
	lab_nic_tick(&lab);
	ok(calls[0] + calls[1] == 0, "one lost look: no repair");
	ok(!strcmp(show_str("nic_features_lost"), "[0,1]"), "both NICs shown lost: %s", show_str("nic_features_lost"));
	ok(log_count("negotiated no virtio features") == 2, "each loss logged once");
	tick_after(2100);
	ok(calls[0] == 1 && calls[1] == 0, "two looks 2 s apart: NIC 0 repaired, NIC 1 waits (%u %u)", calls[0],
	   calls[1]);
	tick_after(10);
	ok(calls[1] == 0, "no second repair of the node while one runs");

	/* L2: -ECANCELED is no try, not logged */
	finish(-ECANCELED, "vnld closes the lab's sessions");
	ok(strstr(show_str("nic_repair"), "\"tries\":0") != NULL && log_count("repair failed") == 0,
	   "-ECANCELED: not a try, not logged: %s", show_str("nic_repair"));
	tick_after(10);
	ok(calls[0] + calls[1] == 2, "the next tick starts a repair again");
	finish(-EHOSTDOWN, "lost contact with the agent of vm v (ready)");
	ok(log_count("repair interrupted") == 1 && log_count("repair failed") == 0, "-EHOSTDOWN: logged interrupted");
	ok(strstr(show_str("nic_repair"), "\"tries\":0") != NULL, "-EHOSTDOWN: not a try");

	/* M5: exit 0, port still lost -> a failed try */
	tick_after(10);
	ok(pending_done != NULL, "a repair runs (NIC %u)", pending_nic);
	finish(0, "eth0: virtio1 renegotiated in 80 ms; restored up, mtu 1500, 0 addresses, 0 routes");
	ok(strstr(show_str("nic_repair"), "confirming") != NULL && !strcmp(show_str("nic_repairs"), "0"),
	   "exit 0: confirming, not counted");
	tick_after(2100);
	ok(strstr(show_str("nic_repair"), "the port still has no features") != NULL,
	   "port still lost after done(0): a failed try with its error");
	ok(log_count("repaired") == 0 && log_count("repair failed (try 1 of 3): the guest renegotiated") == 1,
	   "logged as failed, not repaired");

	/* M5: exit 1 with "renegotiated", features back: "repaired, but", the
	 * text stays in show (NIC 0 waits LAB_NIC_RETRY_MS: NIC 1 runs now) */
	tick_after(10);
	ok(pending_done != NULL && pending_nic == 1, "NIC 1's repair runs while NIC 0 waits to retry");
	if (pending_done == NULL)
		return tap_done();
	finish(1, "eth1: virtio2 renegotiated in 90 ms; restored up; failed; a route: Invalid argument");
	ok(log_count("repair failed (try 1 of 3): eth1") == 0, "exit 1 but renegotiated: not a failure");
	set_features(1, "0x140000000");
	ok(!strcmp(show_str("nic_repairs"), "1") && log_count("NIC 1 repaired (try 1), but: eth1:") == 1,
	   "features back: counted once, logged 'repaired, but'");
	ok(strstr(show_str("nic_repair_notes"), "a route: Invalid argument") != NULL, "its text in nic_repair_notes: %s",
	   show_str("nic_repair_notes"));
	ok(!strcmp(show_str("nic_features_lost"), "[0]"), "NIC 0 still lost: %s", show_str("nic_features_lost"));

	/* L1: a loss right after the last one is counted with it */
	set_features(1, "0x40000000");
	ok(strstr(show_str("nic_repair"), "{\"nic\":1,\"state\":\"waiting\",\"tries\":1") != NULL,
	   "NIC 1 lost again soon: its tries go on: %s", show_str("nic_repair"));
	ok(log_count("NIC 1 negotiated no virtio features") == 2, "the new loss logged");

	topo_free(lab.topo);
	return tap_done();
}
