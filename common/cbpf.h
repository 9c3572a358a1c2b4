/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capture filters on the client side: a libpcap expression compiled for
 * Ethernet (pcap_open_dead + pcap_compile; the switch never parses filter
 * text) into the JSON form of vnl-switchd's capture-start "bpf" argument,
 * [[code, jt, jf, k], ...]. Users link -lpcap (meson: libpcap).
 *
 * Errors: NULL with err filled (-EINVAL and libpcap's own words).
 * Thread-safety: none needed (no state).
 */
#pragma once

#include <json-c/json.h>

#include "err.h"

/* expr compiled for frames of up to snaplen bytes (the value a match
 * returns); a new array the caller puts. */
struct json_object *cbpf_compile_json(const char *expr, int snaplen, struct vnl_err *err);
