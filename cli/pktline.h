/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One line per Ethernet frame, in the words of `tcpdump -n -e` (no name
 * lookups), for `vnl capture` when tshark is not installed:
 *
 *   02:00:00:00:00:01 > 02:00:00:00:00:02, IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64
 *   02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
 *   ..., IP 10.0.0.1.40000 > 10.0.0.2.5001: Flags [P.], seq 1:101, ack 1, win 502, length 100
 *   ..., vlan 10, p 0, IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32
 *
 * Decoded: 802.1Q/802.1ad tags, ARP, IPv4 (fragments), IPv6 (hop-by-hop,
 * routing, destination options and fragment headers), ICMP, ICMPv6, TCP
 * (flags, absolute seq/ack, window, payload length), UDP. Anything else
 * is named by its ethertype or protocol number. A frame cut short (caplen
 * below a header) ends its line with tcpdump's "[|proto]"; lengths come
 * from the headers, as tcpdump's do, so a snaplen does not change them.
 *
 * Pure: no allocation, no I/O; safe on any bytes (fuzzed with the pcapng
 * reader in pcapng_read_fuzz). Thread-safety: reentrant.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Write the summary of the frame data[0..caplen) (origlen bytes on the
 * wire) into buf (always NUL-terminated; truncated to size - 1). Returns
 * the length written.
 */
size_t pktline_eth(char *buf, size_t size, const uint8_t *data, size_t caplen, size_t origlen);
