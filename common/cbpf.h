/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A capture filter in tcpdump's words compiled, by the client, into classic
 * BPF for Ethernet frames, as the switch's capture-start takes it
 * (docs/plans/capture-impair.md 2.10): [[code, jt, jf, k], ...]. The switch
 * never parses filter text; it converts and validates the program
 * (rte_bpf). Used by vnl capture and vnl-swctl capture.
 *
 * libpcap's own handle (pcap_open_dead + pcap_compile; pcap_compile_nopcap
 * is deprecated). Errors: NULL with err filled in libpcap's words ("can't
 * parse filter expression: syntax error"). Thread-safety: none (libpcap's
 * compiler is not reentrant before 1.8 and keeps global state).
 */
#pragma once

#include <json-c/json.h>

#include "err.h"

/* expr compiled for frames of at most snaplen bytes; a new array, or NULL. */
struct json_object *cbpf_compile_json(const char *expr, int snaplen, struct vnl_err *err);
