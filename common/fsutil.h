/* SPDX-License-Identifier: GPL-2.0-only */
/* Small file-system helpers. 0 or -errno; thread-safe (no shared state). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Create dir and any missing parents (parents 0755, dir itself mode). An
 * existing folder is fine. */
int mkdir_p(const char *dir, mode_t mode);

/* Path of program `name` next to the running executable (build tree or
 * install prefix) when it is executable there, else /usr/local/bin/name. */
void exe_sibling(const char *name, char *out, size_t len);

/* Remove dir and everything below it on the same filesystem (never inside a
 * filesystem mounted below it). A missing dir is fine. 0 or -errno (the
 * first failure; the walk goes on). */
int rm_tree(const char *dir);

/* add(rest, arg) for each entry of folder `dir` whose name starts with
 * `prefix` (rest: the name after it, not empty), in readdir order, until
 * add() returns < 0. A missing dir has no entries. Returns how many entries
 * were handed to add(), or the negative value add() returned. */
int dir_names(const char *dir, const char *prefix, int (*add)(const char *rest, void *arg), void *arg);
