/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `deploy` of a topology file into a running lab (deploy.c has the rules).
 * Errors: 0 or negative errno with err filled; on failure the lab is as it
 * was.  Thread-safety: none (vnld's loop).
 */
#pragma once

#include "lab.h"

/* Create what f has and the lab lacks. created/differs/extra: JSON arrays
 * that get one line per object (see docs/vnld.md). */
int lab_deploy(struct lab *l, const struct topo *f, struct json_object *created,
	       struct json_object *differs, struct json_object *extra, struct vnl_err *err);
