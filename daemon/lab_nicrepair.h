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
 * for a lost NIC, one at a time per NIC; a try that fails is tried again
 * LAB_NIC_RETRY_MS later, at most LAB_NIC_TRIES times per loss, then vnld
 * gives up (the warning stays, saying so).  A NIC seen with its features
 * again starts a fresh count.  Each finished repair is one log line with
 * its outcome.  Slot answers -EHOSTDOWN (agent not ready) and -EAGAIN
 * (settling) are not tries: the next tick asks again.
 *
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

/*
 * The features fields of node n's show object o (n of a nics_ported kind):
 *   nic_features_lost  [nic, ...]: the NICs whose port has only bit 30
 *                      (absent when none)
 *   nic_repair         [{nic, state, tries, error}] for those NICs: state
 *                      "waiting" (for the guest's agent, or the next try),
 *                      "running", "failed" (vnld gave up); error: the last
 *                      failure's text (absent when none)
 *   nic_repairs        repairs of n's NICs that worked (kinds with
 *                      nic_repair only)
 * May wait for the switch (LAB_NIC_SHOW_MS).
 */
void lab_nic_json(struct lab *l, const struct topo_node *n, struct json_object *o);

/* The periodic look (vnld's timer; not while a transaction runs): starts
 * the repairs due.  May wait for the switch (LAB_NIC_SHOW_MS). */
void lab_nic_tick(struct lab *l);
