/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A lab's vnl-switchd, as vnld sees it: started as a child, watched through
 * a pidfd on vnld's evloop, restarted when it dies (after 1 s, doubling up to
 * 30 s while it keeps dying within a minute of its start), and talked to with
 * synchronous JSON requests on its control socket.
 *
 * After every (re)start the on_ready callback runs: vnld pushes the whole
 * configuration from its model there (LANs, ports, attachments); nodes keep
 * running across a switch restart because their veths and vhost sockets
 * outlive it.
 *
 * Every wait here (a reply, a start, an exit) goes through wait.h: in vnld
 * its loop keeps running meanwhile. A connection, and then a request with
 * its reply, each wait at most LAB_SWITCH_TIMEOUT_MS (the switch answers in
 * microseconds); a hung switch
 * is killed and restarted. A restart is a lab transaction: it waits while
 * tx_begin says another one runs, and runs inside the pair.
 *
 * Accountability: vnld talks only to the switch it started or adopted (the
 * peer of every connection is checked with SO_PEERCRED against s->pid), and
 * leaves none behind (a stop also waits for the log's vnl-logcap, which
 * ends with the switch): the pid is recorded (on_spawn) before the switch is
 * waited for, and any other vnl-switchd serving the lab's socket (found by
 * `--socket SOCK` on its command line: left by a vnld killed in the middle
 * of a restart) is stopped before a start and at stop.
 *
 * Errors: 0 or negative errno, with the vnl_err filled.
 * Thread-safety: none; vnld's loop thread only.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "err.h"
#include "evloop.h"
#include "logcap.h"
#include "spawn.h" /* proc_start_time */

#define LAB_SWITCH_TIMEOUT_MS 5000
#define LAB_SWITCH_START_MS 30000

struct lab_switch;
typedef void (*lab_switch_cb)(struct lab_switch *s, void *arg);

struct lab_switch {
	/* set by the caller before lab_switch_start() */
	char bin[PATH_MAX];        /* vnl-switchd to run */
	char sock[108];            /* its control socket */
	char log[PATH_MAX];        /* its stdout and stderr, through a vnl-logcap (capped,
				    * logcap.h; every restart appends to the same file) */
	char *const *extra_args;   /* more options for it, NULL-terminated (may be NULL) */
	struct evloop *loop;
	lab_switch_cb on_ready;    /* after each successful (re)start */
	lab_switch_cb on_down;     /* it died; a restart is scheduled */
	/* Forked, not yet answering (may be NULL): pid and start_time are set;
	 * vnld records them (runtime.json) so that a vnld killed while it
	 * waits leaves a switch the next one adopts. */
	lab_switch_cb on_spawn;
	/* The owner's one-transaction-at-a-time lock (may be NULL): a restart
	 * starts only when tx_begin returns true (else it retries 100 ms
	 * later), and calls tx_end when done. */
	bool (*tx_begin)(void *arg);
	void (*tx_end)(void *arg);
	void *arg;

	/* state */
	pid_t pid;                 /* 0 when not running */
	int pidfd;                 /* of pid, -1 when none (set -1 before lab_switch_start/adopt) */
	unsigned long long start_time; /* of pid, /proc/PID/stat field 22: tells a reused pid apart */
	struct logcap_proc logw;   /* the vnl-logcap writing log (pid 0: none) */
	bool log_recorded;         /* logw is all there is: false until this process
				    * has waited once (a writer an earlier vnld
				    * started is then looked for) and for an adopted switch */
	unsigned restarts;         /* restarts since the first start */
	unsigned backoff_ms;       /* next restart delay */
	long long started_ms;      /* CLOCK_MONOTONIC ms of the last successful start */
	bool stopping;             /* lab_switch_stop() called: no restart */
	struct ev_watch *watch;    /* on pidfd */
	struct ev_watch *retry;    /* restart timer */
};

/* Start it and wait until it answers (at most LAB_SWITCH_START_MS). */
int lab_switch_start(struct lab_switch *s, struct vnl_err *err);

/* Take over a switch left running by a previous vnld: pid must still run
 * with the recorded start time, be a vnl-switchd with --socket sock, and
 * answer on sock as the peer of the connection; one still starting is waited
 * for (at most LAB_SWITCH_START_MS). */
int lab_switch_adopt(struct lab_switch *s, pid_t pid, unsigned long long start_time, struct vnl_err *err);

/* Send req (not consumed); *reply gets the reply when not NULL (caller puts
 * it). 0 when it says ok; -EREMOTEIO with the switch's own error message when
 * it says no (common/jsonl_client.h); -ENOTCONN when the switch is down (died, restart pending, or none:
 * lab.h accepts changes then); -ESTALE when another process serves the
 * socket; another -errno when it cannot be reached. */
int lab_switch_call(struct lab_switch *s, struct json_object *req, struct json_object **reply,
		    struct vnl_err *err);

/* lab_switch_call with the file descriptor fd passed along with req
 * (SCM_RIGHTS, common/jsonl_client.h): the switch's capture-start takes the
 * write end of a client's pipe. fd stays the caller's (the switch gets a
 * copy). */
int lab_switch_call_fd(struct lab_switch *s, struct json_object *req, int fd, struct json_object **reply,
		       struct vnl_err *err);

/* lab_switch_call with each wait at most ms instead of LAB_SWITCH_TIMEOUT_MS
 * (-ETIMEDOUT past it): for optional parts of a reply that must not hold
 * it up (vnld's show). A late reply is not a hung switch: nothing restarts. */
int lab_switch_call_ms(struct lab_switch *s, struct json_object *req, int ms, struct json_object **reply,
		       struct vnl_err *err);

/* Shorthand: lab_switch_call of {"cmd":cmd, k1:v1, ...} with string values,
 * NULL-terminated key/value list. */
int lab_switch_cmd(struct lab_switch *s, struct vnl_err *err, const char *cmd, ...) __attribute__((sentinel));

/* SIGTERM, wait up to 10 s, then SIGKILL; no restart afterwards. Every
 * other vnl-switchd of sock goes too (lab_switch_stop_strays). */
void lab_switch_stop(struct lab_switch *s);

/* No switch runs: pid 0, or it exited and on_down has not run yet. */
bool lab_switch_down(const struct lab_switch *s);

/* Stop every vnl-switchd serving (or starting to serve) s->sock other than
 * s->pid, as lab_switch_stop does; returns how many. */
unsigned lab_switch_stop_strays(struct lab_switch *s);

/* Pids of the running vnl-switchd processes with `--socket sock` on their
 * command line, at most max into pids; returns how many were found (may be
 * more than max). */
unsigned lab_switch_find(const char *sock, pid_t *pids, unsigned max);

