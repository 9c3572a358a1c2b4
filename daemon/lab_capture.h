/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnld's side of captures (docs/vnld.md, "capture"): it resolves the
 * targets a client names (NODE:N, LAN) into the switch's ports, passes the
 * client's pipe on to vnl-switchd's capture-start, and forwards
 * capture-stop and the list of running captures. The switch is the truth
 * on captures, and a vnld restart does not touch them; vnld keeps one bit,
 * whether a capture it started may still run, so that `show` (which every
 * `vnl show` calls) asks the switch only then, and waits at most
 * LAB_CAPTURE_SHOW_MS for it.
 *
 * Errors: 0 / negative errno with err filled (messages name the target).
 * Thread-safety: none; vnld's loop thread.
 */
#pragma once

#include <json-c/json.h>

#include "err.h"
#include "lab.h"

/*
 * The switch ports of `targets` (a JSON array of strings "NODE:N" or
 * "LAN"), appended to `ports` as capture-start wants them: {"port":
 * "NODE-N", "name": "NODE:N", "descr": "LAN blue, ns node a eth0"}, each
 * port once, in the order named (a LAN's links in the model's order).
 * *lans_only: every target was a LAN (the capture's default direction is
 * then `out`, so each frame shows once; else `both`). Refused: an empty
 * list, a node or LAN the lab lacks, a NIC the node lacks or that is not
 * linked, a LAN without links.
 */
int lab_capture_ports(const struct topo *t, struct json_object *targets, struct json_object *ports,
		      bool *lans_only, struct vnl_err *err);

/*
 * `capture`: req as vnld got it (targets, optional dir, bpf, filter,
 * snaplen, count, duration_ms, owner) with fd the write end of the
 * client's pipe (checked: a FIFO open for writing; the caller closes it
 * after). Each port also gets its NIC's MAC when the node's kind reports
 * one (the IDB's if_MACaddr). Adds "capture" {id, interfaces} to reply.
 */
int lab_capture_start(struct lab *l, struct json_object *req, int fd, struct json_object *reply,
		      struct vnl_err *err);

/* `capture-stop` {id}: the switch's frames and dropped into reply. */
int lab_capture_stop(struct lab *l, struct json_object *req, struct json_object *reply, struct vnl_err *err);

/* The switch's running captures as "captures" in o, or "captures_error"
 * with the reason when the switch cannot say within LAB_CAPTURE_SHOW_MS
 * (it is down, slow or stuck). An empty list without asking while no
 * capture vnld started can run: captures started past vnld (vnl-swctl)
 * show only while one of vnld's runs too. */
#define LAB_CAPTURE_SHOW_MS 500
void lab_capture_show(struct lab *l, struct json_object *o);
