/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hvc0 dialog of the bootstrap (vm_guest.h): the lines vnld types on a
 * guest's /dev/hvc0 and the markers it looks for in what comes back.
 *
 * A marker is "vnl_<what>_42_<nonce>": the line typed says $((6*7)), so
 * the terminal's echo of the typed line never matches; only a live shell
 * that ran the line prints 42.  The nonce is vnld's (random per vnld
 * start), so a shell's answer to a previous vnld's knock still counts.
 *
 * knock    Ctrl-U (the tty drops a half-typed line), then an echo of the
 *          knock marker
 * start    mount the disk whose /sys/block/<dev>/serial is VM_CFG_SERIAL
 *          read-only on /run/vnl (an already mounted one stays), run its
 *          start.sh (it starts vnl-agent as a daemon), echo the start
 *          marker; works in busybox sh and in bash
 *
 * Thread-safety: pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum boot_marker { BOOT_KNOCK, BOOT_START };

/* The line to type, NUL-terminated, into buf; returns its length. */
size_t boot_knock_line(uint32_t nonce, char *buf, size_t size);
size_t boot_start_line(uint32_t nonce, char *buf, size_t size);

/* True when text (len bytes, not NUL-terminated) holds the marker. */
bool boot_marker_seen(const char *text, size_t len, enum boot_marker m, uint32_t nonce);
