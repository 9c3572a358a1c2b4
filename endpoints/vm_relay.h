/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld's session relay: the socket /run/vnetlab/LAB/agent.sock where `vnl
 * exec`, `vnl shell` and `vnl cp` of VM nodes open channels of the agent
 * protocol (common/agentproto.h), and the routing of those channels to and
 * from the guests' agent links (vm_guest.h).
 *
 * A session is (client link, client channel id) <-> (guest, guest channel
 * id).  vnld reads the OPEN's target to pick the guest, gives the session
 * a fresh id on the guest's link, and from then on passes every frame of
 * the session through with only its channel id rewritten, WINDOW frames
 * included: flow control is end to end, client <-> agent, so a session's
 * data held in vnld is bounded by its windows.  Limits on top of that, for
 * peers that do not keep to the credit: RELAY_CLIENT_QUEUE_MAX bytes queued
 * per client (beyond it the client is dropped), the guest link's own queue
 * limit (beyond it the OPEN or frame is refused with CLOSE -ENOBUFS), and
 * RELAY_SESSIONS_MAX sessions in all.
 *
 * Ends of a session: the agent's CLOSE (passed on; the session is freed),
 * the client's CLOSE (passed on; freed when the agent's CLOSE answers), the
 * client going away (CLOSE -ECONNRESET to the agent for each of its
 * sessions), the guest not ready any more (CLOSE -EHOSTDOWN to the client
 * with a message naming the node).  An OPEN for a guest that is not ready
 * waits up to its wait_ms (then CLOSE -ETIMEDOUT) or is refused at once
 * with -EHOSTDOWN when wait_ms is 0; an OPEN for a name that is not a VM
 * node gets -ENOENT.
 *
 * Lifetime: a client or session that ends inside a callback (its own frame
 * handler, a guest's frame or readiness hook, the timeout tick) is only
 * marked dead there; the outermost relay callback frees the dead ones as
 * it returns, so no handler ever runs on a freed client or session.
 *
 * Errors: 0 / negative errno.  Logs once per refused or broken session.
 * Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include "evloop.h"
#include "vm_guest.h"

#define RELAY_SESSIONS_MAX 1024
#define RELAY_CLIENT_QUEUE_MAX (8u << 20)

struct relay;

/* Listen on path (mode 0660); the guest hooks to give guests_new() are
 * filled into *hooks.  NULL + errno on failure. */
struct relay *relay_new(struct evloop *loop, const char *lab, const char *path, struct guests **gs,
			struct guest_hooks *hooks);
/* Close every client and the socket (and unlink it). NULL-safe. */
void relay_free(struct relay *r);

/*
 * vnld's own session (no client): run argv (argc strings, argv[0] as in an
 * EXEC OPEN) in the ready guest g through its agent.  done(code, text, arg)
 * is then called once, from the loop: code is the command's exit status
 * (>= 0) or a negative errno when the session broke (-EHOSTDOWN: the guest
 * stopped being ready; -ECANCELED: the relay closes), text the command's
 * stdout then stderr (the first RELAY_OWN_TEXT - 1 bytes, trailing newline
 * removed) or vnld's message.  Returns 0, or -EHOSTDOWN (g not ready),
 * -EMFILE, -ENOMEM, -ENOBUFS (g's queue full) and then done is not called.
 */
#define RELAY_OWN_TEXT 512
typedef void (*relay_done_fn)(int code, const char *text, void *arg);
int relay_exec(struct relay *r, struct guest *g, unsigned argc, const char *const argv[], relay_done_fn done,
	       void *arg);
