#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: LANs are isolated broadcast domains. Frames never leave their
# LAN: not broadcast, not multicast, not unicast to a MAC learned in another
# LAN, not to a MAC learned on a port that has since moved to another LAN.
# A MAC lives in two LANs independently. Ping across LANs fails while ping
# inside a LAN passes.
#
# Operations:
#   1. start a private switch; LANs L1, L2, L3; namespaces 1 and 2 (L1),
#      3 (L2) and 4 (L3), all in 10.77.30.0/24; vhost ports v0 v1 (L1) and
#      v2 v3 (L2)
#   2. ping 1 -> 2 passes; ping 1 -> 3 and 1 -> 4 fail; the switch sent
#      nothing to the ports of namespaces 3 and 4, and they learned no
#      neighbour
#   3. vhost_peer: X learned in L2 by a broadcast from v2 (reaches v3 only);
#      v0 -> X is unknown in L1 (reaches v1 only); broadcast and multicast
#      from v0 reach v1 only; A sent from v3 in L2 does not move A of L1;
#      unicast in each LAN stays in it; v1 moves from L1 to L2 (detach,
#      attach) and a frame from v0 to B, learned on v1 while v1 was in L1,
#      does not reach v1 any more; ARP from v0 is answered by namespace 2
#      (L1), never by 3 (L2) or 4 (L3)
#   4. the FDB holds each MAC in the right LAN; counters of the L3 port
#      show no frame sent to it

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 30-lan-isolation
need_hugepages 256
need_xdp
need_cmd ping ethtool

switchd_start
L1=$PFX-L1 L2=$PFX-L2 L3=$PFX-L3
for l in "$L1" "$L2" "$L3"; do
	sw_ok lan-add "name=$l" >/dev/null
done
for i in 1 2 3 4; do
	ns_pair $i 10.77.30.$i/24
	sw_ok port-add "name=$PFX-n$i" kind=afxdp "iface=$(ns_host $i)" >/dev/null
done
sw_ok attach "port=$PFX-n1" "lan=$L1" >/dev/null
sw_ok attach "port=$PFX-n2" "lan=$L1" >/dev/null
sw_ok attach "port=$PFX-n3" "lan=$L2" >/dev/null
sw_ok attach "port=$PFX-n4" "lan=$L3" >/dev/null
for i in 0 1 2 3; do
	sw_ok port-add "name=$PFX-v$i" kind=vhost "path=$TMP/v$i.sock" >/dev/null
done
sw_ok attach "port=$PFX-v0" "lan=$L1" >/dev/null
sw_ok attach "port=$PFX-v1" "lan=$L1" >/dev/null
sw_ok attach "port=$PFX-v2" "lan=$L2" >/dev/null
sw_ok attach "port=$PFX-v3" "lan=$L2" >/dev/null
for i in 1 2 3 4; do
	wait_until 10 port_is_up "$PFX-n$i" || fail "port $PFX-n$i not up: $(port_json "$PFX-n$i")"
done
sw_ok clear-counters >/dev/null

ping_ok 1 10.77.30.2 3
pass "ping inside LAN $L1"
ping_fails 1 10.77.30.3
ping_fails 1 10.77.30.4
pass "ping from $L1 to $L2 and $L3 fails"
for i in 3 4; do
	jq_assert "nothing sent to $PFX-n$i" "$(port_json "$PFX-n$i")" ".counters.tx_packets == 0"
	[ -z "$(nsx $i ip neigh show 10.77.30.1)" ] ||
		fail "namespace $i learned 10.77.30.1 from another LAN: $(nsx $i ip neigh show)"
done
pass "ARP from $L1 never reached $L2 or $L3"

A=02:00:00:30:00:0a
B=02:00:00:30:00:0b
X=02:00:00:30:00:0e
Y=02:00:00:30:00:0f
BC=ff:ff:ff:ff:ff:ff
MC=01:00:5e:00:00:30

# vhost_peer ports: 0 = v0 (L1), 1 = v1 (L1), 2 = v2 (L2), 3 = v3 (L2)
peer_run peer -q 150 "$TMP/v0.sock" "$TMP/v1.sock" "$TMP/v2.sock" "$TMP/v3.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 wait-link 3 \
	wait-sh "$(ports_up_cmd "$PFX-v0" "$PFX-v1" "$PFX-v2" "$PFX-v3")" \
	send 2 $X $BC 5   expect 3 5   expect-none 0  expect-none 1  expect-none 2 \
	send 0 $A $X 10   expect 1 10  expect-none 2  expect-none 3  expect-none 0 \
	send 0 $A $BC 10  expect 1 10  expect-none 2  expect-none 3  expect-none 0 \
	send 0 $A $MC 4   expect 1 4   expect-none 2  expect-none 3  expect-none 0 \
	send 1 $B $A 6    expect 0 6   expect-none 1  expect-none 2  expect-none 3 \
	send 3 $A $BC 3   expect 2 3   expect-none 0  expect-none 1  expect-none 3 \
	send 1 $B $A 7    expect 0 7   expect-none 1  expect-none 2  expect-none 3 \
	send 2 $X $A 8    expect 3 8   expect-none 0  expect-none 1  expect-none 2 \
	send 3 $Y $X 9    expect 2 9   expect-none 0  expect-none 1  expect-none 3 \
	sh "$SWCTL detach port=$PFX-v1 >/dev/null && $SWCTL attach port=$PFX-v1 lan=$L2 >/dev/null" \
	send 0 $A $B 5    expect-none 1  expect-none 2  expect-none 3  expect-none 0 \
	send 2 $X $B 4    expect 1 4   expect 3 4   expect-none 0  expect-none 2 \
	arp 0 $A 10.77.30.100 10.77.30.2 3 3 \
	arp 0 $A 10.77.30.100 10.77.30.3 3 0 \
	arp 0 $A 10.77.30.100 10.77.30.4 3 0
pass "broadcast, multicast and unicast stay in their LAN, also after a port moves"

fdb=$(sw_ok show-fdb)
jq_assert "A is in both LANs independently" "$fdb" \
	"([.entries[] | select(.mac == \"$A\") | {lan, port}] | sort_by(.lan)) ==
	 ([{lan: \"$L1\", port: \"$PFX-v0\"}, {lan: \"$L2\", port: \"$PFX-v3\"}] | sort_by(.lan))"
jq_assert "X only in $L2" "$fdb" \
	"[.entries[] | select(.mac == \"$X\") | {lan, port}] == [{lan: \"$L2\", port: \"$PFX-v2\"}]"
jq_assert "show-fdb lan=$L3 has only namespace 4" "$(sw_ok show-fdb "lan=$L3")" \
	"[.entries[] | .port] | all(. == \"$PFX-n4\")"
jq_assert "nothing sent to $L3" "$(port_json "$PFX-n4")" ".counters.tx_packets == 0"
jq_assert "show-lans $L2" "$(lan_json "$L2")" \
	".ports | sort == ([\"$PFX-n3\", \"$PFX-v1\", \"$PFX-v2\", \"$PFX-v3\"] | sort)"
pass "FDB and counters agree with the isolation"
exit 0
