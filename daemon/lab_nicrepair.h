/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld's watch over the NICs of nics_ported (vm) nodes whose vhost-user
 * port negotiated no virtio feature, only vhost-user's PROTOCOL_FEATURES
 * (bit 30; docs/vnld.md, "A VM NIC that loses its features"): qemu 7.2
 * keeps the features a guest acks while its vhost-user backend is gone
 * (the switch restarting during the guest's virtio-net probe) away from
 * the backend and replays the empty set on reconnect; the guest, which
 * negotiated VERSION_1, then drops every frame.
 *
 * Detection: `show` of a node and every LAB_NIC_TICK_MS tick ask the switch
 * for its ports' features (show-ports, at most LAB_NIC_SHOW_MS; after a
 * miss not again for LAB_NIC_SKIP_MS).  A loss is logged once, when it is
 * first seen.
 * Repair (the tick only): the kind's nic_repair slot (node_kind.h) runs
 * for a NIC seen lost at two looks or more, LAB_NIC_PERSIST_MS apart or
 * more; one repair at a time per node (a guest's NICs reset together swap
 * kernel names).  A try that fails is tried again LAB_NIC_RETRY_MS later,
 * at most LAB_NIC_TRIES times per loss, then vnld gives up (the warning
 * stays, saying so).  A loss that begins LAB_NIC_FLAP_MS or more after the
 * previous one ended starts a fresh count (a flapping NIC does not).
 * A slot that ends well (exit 0, or a text saying "renegotiated" with
 * restore failures) is "confirming": the repair is counted and logged
 * ("repaired", or "repaired, but: TEXT", kept as a note) when the switch
 * next sees the features; a port still lost LAB_NIC_TICK_MS after is a
 * failed try.  Slot answers -EHOSTDOWN (agent not ready) and -EAGAIN
 * (settling) are not tries: the next tick asks again; done(-ECANCELED)
 * (vnld closes) is no try and not logged, done(-EHOSTDOWN) (the guest
 * stopped answering) is logged "interrupted", not counted.  The node's log
 * lines are rate limited (LAB_NIC_LOG_BURST per LAB_NIC_LOG_MS).
 * The records (per node and NIC, up to LAB_NIC_RECS) live as long as vnld:
 * `nic_repairs` counts the repairs that worked since vnld started.
 * Errors: none returned (what fails is logged and shown).
 * Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include <json-c/json.h>

#include "lab.h"

#define LAB_NIC_TICK_MS 2000
#define LAB_NIC_SHOW_MS 200
#define LAB_NIC_SKIP_MS 2000
#define LAB_NIC_RETRY_MS 20000
#define LAB_NIC_TRIES 3
#define LAB_NIC_RECS 256
#define LAB_NIC_PERSIST_MS 2000
#define LAB_NIC_FLAP_MS 300000
#define LAB_NIC_LOG_MS 60000
#define LAB_NIC_LOG_BURST 10

/*
 * The features fields of node n's show object o (n of a nics_ported kind):
 *   nic_features_lost  [nic, ...]: the NICs whose port has only bit 30
 *                      (absent when none)
 *   nic_repair         [{nic, state, tries, error}] for those NICs: state
 *                      "waiting" (for the guest's agent, or the next try),
 *                      "running", "confirming" (the guest renegotiated; the
 *                      switch's word awaited), "failed" (vnld gave up);
 *                      error: the last failure's text (absent when none)
 *   nic_repair_notes   [{nic, text}]: NICs whose last repair worked but
 *                      with restore failures, the guest's text (absent
 *                      when none)
 *   nic_repairs        repairs of n's NICs that worked (kinds with
 *                      nic_repair only)
 * May wait for the switch (LAB_NIC_SHOW_MS).
 */
void lab_nic_json(struct lab *l, const struct topo_node *n, struct json_object *o);

/* The periodic look (vnld's timer; not while a transaction runs): starts
 * the repairs due.  May wait for the switch (LAB_NIC_SHOW_MS). */
void lab_nic_tick(struct lab *l);
