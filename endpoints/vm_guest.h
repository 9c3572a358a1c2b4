/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld's side of every VM node's guest, run by the vm kind's per-lab slots
 * (vm_lab.c; vnld itself knows only node_kind.h): what makes a guest
 * reachable with no IP configuration at all.  Per VM node, three connections to the
 * node's qemu sockets (endpoints/vm.h):
 *
 *   hvc0   the bootstrap (vm_bootstrap.c): vnld "knocks" on the guest's
 *          /dev/hvc0 auto-login shell with a probe line at a steady pace
 *          until its marker comes back computed by a live shell, then types
 *          the lines that mount the configuration disk and start vnl-agent
 *   agent  the virtserialport: one link of common/agentproto.h.  HELLO
 *          exchange, PING/PONG keepalive both ways, channel frames routed
 *          to and from session clients by vm_relay.c
 *   QMP    qemu's state: a RESET (guest reboot) or SHUTDOWN event, qemu's
 *          exit; `vnl reboot` sends system_reset (vm_qmp.c)
 *
 * The node's state, in `vnl show` (member "state", with "state_info") and
 * in `vnl events` ({"event":"node-state","node":N,"state":S,"info":...}):
 *
 *   stopped        qemu does not run (halted, powered off, or it died: info
 *                  says which); vnld does not restart it (vnl reboot does)
 *   booting        qemu runs; knocking on hvc0, no shell has answered yet
 *   bootstrapping  the shell answered; the agent is being started, its
 *                  HELLO awaited
 *   ready          the agent answered: exec, shell and cp work
 *   lost           the agent fell silent for AP_DEAD_MS (guest reboot,
 *                  agent killed, guest hung): vnld knocks again, and the
 *                  node is back to ready by itself when the agent is
 *   no-shell       booting for GUEST_SHELL_MS (or lost for as long) and no
 *                  shell answered on hvc0: the image has no auto-login
 *                  shell there (info says what to do); vnld keeps knocking,
 *                  slowly, and never resets the VM behind the user's back
 *
 * guests_sync() makes the set of guests match the model's VM nodes (the
 * lab_sync slot: vnld calls it after every change and at start, so a new
 * vnld picks up the running VMs of the previous one).  Nothing here changes the model.
 *
 * Errors: 0 / negative errno + vnl_err; logs go to stderr (vnld's log),
 * once per state change.  Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "agentproto.h"
#include "err.h"
#include "evloop.h"
#include "topology.h"

#define GUEST_SHELL_MS (300 * 1000) /* booting this long without a shell: no-shell
				     * ($VNL_GUEST_SHELL_S seconds instead, for tests) */
#define GUEST_HELLO_MS (30 * 1000)  /* bootstrapping this long without HELLO: knock again */

enum guest_state {
	GUEST_STOPPED,
	GUEST_BOOTING,
	GUEST_BOOTSTRAPPING,
	GUEST_READY,
	GUEST_LOST,
	GUEST_NO_SHELL,
};

struct guest;
struct guests;

/* Callbacks into the session relay (vm_relay.c). */
struct guest_hooks {
	/* A channel frame (chan != 0) from the guest's agent: `frame` is the
	 * whole frame (header included, len bytes), writable in place. */
	void (*frame)(struct guest *g, const struct ap_hdr *h, uint8_t *frame, size_t len, void *arg);
	/* The guest went ready (true) or stopped being ready (false): every
	 * channel on its link is gone in the second case. */
	void (*ready)(struct guest *g, bool ready, void *arg);
	void *arg;
};

/* Event sink: a JSON event object (not consumed), as lab.h's emit. */
typedef void (*guest_emit_fn)(struct json_object *ev, void *arg);

struct guests *guests_new(struct evloop *loop, const char *lab, const struct guest_hooks *hooks,
			  guest_emit_fn emit, void *emit_arg);
void guests_free(struct guests *gs); /* closes every connection; NULL-safe */

/* One guest per VM node of t; guests of nodes that left t are freed. */
void guests_sync(struct guests *gs, const struct topo *t);

/* The guest of VM node `name`, or NULL. */
struct guest *guests_find(struct guests *gs, const char *name);

const char *guest_name(const struct guest *g);
enum guest_state guest_state(const struct guest *g);
const char *guest_state_name(enum guest_state s);
/* Milliseconds since g went ready, -1 when it is not ready. */
int64_t guest_ready_ms(const struct guest *g);
/* The state's one-line explanation ("" when none). */
const char *guest_state_info(const struct guest *g);

/* Add "state" and "state_info" (and "agent" details once ready) to a
 * node's show object. */
void guest_status_json(const struct guest *g, struct json_object *out);

/* Queue an encoded frame on the guest's agent link: -ENOTCONN when the
 * guest is not ready, -ENOBUFS when its queue is full. */
int guest_send(struct guest *g, const uint8_t *frame, size_t len);

/* A fresh channel id on the guest's link (never 0, not one in use by
 * `in_use(id, arg)`). */
uint32_t guest_new_chan(struct guest *g, bool (*in_use)(struct guest *g, uint32_t id, void *arg), void *arg);

/* `vnl reboot`: system_reset through QMP when qemu runs (-ENOTCONN when
 * QMP is not connected). */
int guest_reset(struct guest *g, struct vnl_err *err);

/* The kind stopped or started qemu (halt, reboot of a stopped VM): say so
 * in the state and (re)connect. */
void guest_stopped(struct guest *g, const char *why);
/* vnld is about to start g's qemu and waits for its QMP greeting meanwhile
 * (in a nested loop, docs/vnld.md): the guest keeps off qemu's only QMP
 * connection until guest_started() (or guest_stopped()). */
void guest_starting(struct guest *g);
void guest_started(struct guest *g);
