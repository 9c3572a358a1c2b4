#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vhost ports driven by real DPDK virtio-user peers forward like a
# learning bridge: flooding reaches every other port and never the sender,
# known unicast reaches exactly one port, a frame to its own port is dropped,
# a station move is followed, and the counters of show-ports, show-lans and
# show-counters agree exactly with the frames sent. fdb-flush and aging
# forget MACs.
#
# Operations:
#   1. start a private switch; lan-add L; port-add three vhost server ports
#      p0 p1 p2 (sockets in TMP); check replies and sockets; attach all
#   2. vhost_peer connects to the three sockets, waits for link up in
#      show-ports, clears counters, then, expecting exact frame counts:
#      broadcast from p0; unknown unicast from p1; unicast p1->A, p0->B,
#      broadcast from p2, unicast p0->C; multicast from p1; p0 sends to its
#      own MAC (drop_dst_is_src); A moves to p2; unicast p1->A lands on p2
#   3. check every port counter, LAN counter and FDB entry against the
#      traffic; show-counters equals show-ports/show-lans; clear-counters
#      zeroes them and keeps the FDB
#   4. fdb-flush: unicast to a flushed MAC is flooded again (second peer run)
#   5. set-aging 1: learned MACs age out and `aged` counts them
#   6. drop reasons: 1522-byte frames pass, 1523-byte ones and runts are
#      dropped; a frame from a detached port (drop_no_lan) and to a port
#      without peer (drop_link_down) are counted
#   7. a LAN of mtu 9000 (lan-add mtu): show-lans reports mtu and max_frame;
#      frames of 9022 bytes (chains of 2 KiB mbufs at both ends) pass
#      intact, both flooded and unicast, 9023 bytes is drop_oversize, while
#      LAN L keeps its 1522; lan-add refuses mtu 67, 9001 and a string
#   8. port-del removes its socket; lan-del reports the detached ports

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 20-vhost-forwarding
need_hugepages 256

switchd_start
L=$PFX-L
sw_ok lan-add "name=$L" >/dev/null
for i in 0 1 2; do
	r=$(sw_ok port-add "name=$PFX-p$i" kind=vhost "path=$TMP/p$i.sock")
	jq_assert "port-add vhost reply" "$r" \
		".port.name == \"$PFX-p$i\" and .port.kind == \"vhost\" and .port.path == \"$TMP/p$i.sock\"
		 and .port.mode == \"server\" and .port.link == \"down\" and .port.lan == null"
	[ -S "$TMP/p$i.sock" ] || fail "vhost server socket $TMP/p$i.sock was not created"
	sw_ok attach "port=$PFX-p$i" "lan=$L" >/dev/null
done
P0=$PFX-p0 P1=$PFX-p1 P2=$PFX-p2
jq_assert "show-lans $L" "$(lan_json "$L")" \
	".ports | sort == ([\"$P0\", \"$P1\", \"$P2\"] | sort)"

A=02:00:00:20:00:0a
B=02:00:00:20:00:0b
C=02:00:00:20:00:0c
D=02:00:00:20:00:0d
BC=ff:ff:ff:ff:ff:ff
MC=01:00:5e:00:00:01

peer_run peer1 -q 150 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$P0" "$P1" "$P2")" \
	sh "$SWCTL clear-counters >/dev/null" \
	send 0 $A $BC 10  expect 1 10  expect 2 10  expect-none 0 \
	send 1 $B $C 5    expect 0 5   expect 2 5   expect-none 1 \
	send 1 $B $A 20   expect 0 20  expect-none 1  expect-none 2 \
	send 0 $A $B 30   expect 1 30  expect-none 0  expect-none 2 \
	send 2 $C $BC 7   expect 0 7   expect 1 7   expect-none 2 \
	send 0 $A $C 4    expect 2 4   expect-none 0  expect-none 1 \
	send 1 $B $MC 3   expect 0 3   expect 2 3   expect-none 1 \
	send 0 $A $A 2    expect-none 0  expect-none 1  expect-none 2 \
	send 2 $A $BC 1   expect 0 1   expect 1 1   expect-none 2 \
	send 1 $B $A 6    expect 2 6   expect-none 0  expect-none 1
pass "flooding, unicast, multicast, dst-is-src and station move"

# Expected totals (64-byte frames):
#  flooded  = 10 bcast + 5 unknown unicast + 7 bcast + 3 mcast + 1 bcast = 26
#  forwarded = 20 + 30 + 4 + 6 = 60; learned A B C = 3; moved (A) = 1
#  rx: p0 10+30+4+2 = 46, p1 5+20+3+6 = 34, p2 7+1 = 8
#  tx: p0 5+20+7+3+1 = 36, p1 10+30+7+1 = 48, p2 10+5+4+3+6 = 28
check_port() { # NAME RX TX DST_IS_SRC
	jq_assert "counters of $1" "$(port_json "$1")" \
		".counters | .rx_packets == $2 and .tx_packets == $3 and .rx_bytes == $2 * 64
		 and .tx_bytes == $3 * 64 and .drop_dst_is_src == $4 and .drop_no_lan == 0
		 and .drop_runt == 0 and .drop_oversize == 0 and .drop_tx_full == 0
		 and .drop_rx_nombuf == 0"
}
check_port "$P0" 46 36 2
check_port "$P1" 34 48 0
check_port "$P2" 8 28 0
jq_assert "counters of LAN $L" "$(lan_json "$L")" \
	".macs == 3 and (.counters | .flooded == 26 and .unknown_unicast == 5 and .forwarded == 60
	 and .learned == 3 and .moved == 1 and .table_full == 0 and .aged == 0)"
fdb=$(sw_ok show-fdb "lan=$L")
jq_assert "show-fdb $L" "$fdb" \
	".used == 3 and .aging == 300 and .size >= 3 and
	 ([.entries[] | select(.lan == \"$L\") | {mac, port}] | sort_by(.mac)) ==
	 [{mac: \"$A\", port: \"$P2\"}, {mac: \"$B\", port: \"$P1\"}, {mac: \"$C\", port: \"$P2\"}]"
pass "port counters, LAN counters and FDB match the traffic exactly"
workers_check "after the traffic of step 2" exact

all=$(sw_ok show-counters)
ports=$(sw_ok show-ports)
lans=$(sw_ok show-lans)
for p in "$P0" "$P1" "$P2"; do
	[ "$(jq -cS ".ports[\"$p\"]" <<<"$all")" = \
		"$(jq -cS ".ports[] | select(.name == \"$p\") | .counters" <<<"$ports")" ] ||
		fail "show-counters and show-ports disagree on $p: $all / $ports"
done
[ "$(jq -cS ".lans[\"$L\"]" <<<"$all")" = "$(jq -cS ".lans[0].counters" <<<"$lans")" ] ||
	fail "show-counters and show-lans disagree on $L: $all / $lans"
jq_assert "show-counters workers" "$all" ".workers | type == \"array\" and length >= 1"
pass "show-counters agrees with show-ports and show-lans"

sw_ok clear-counters >/dev/null
jq_assert "ports after clear-counters" "$(sw_ok show-ports)" \
	"[.ports[] | select(.lan == \"$L\") | .counters[]] | length > 0 and all(. == 0)"
jq_assert "LAN after clear-counters" "$(lan_json "$L")" \
	"([.counters[]] | all(. == 0)) and .macs == 3"
pass "clear-counters zeroes counters and keeps the FDB"

r=$(sw_ok fdb-flush "lan=$L")
jq_assert "fdb-flush reply" "$r" ".flushed == 3"
jq_assert "show-fdb after flush" "$(sw_ok show-fdb "lan=$L")" ".used == 0 and (.entries | length) == 0"
# B was known on p1; after the flush a frame to B is unknown unicast again.
peer_run peer2 -q 150 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$P0" "$P1" "$P2")" \
	send 0 $A $B 5  expect 1 5  expect 2 5  expect-none 0 \
	send 1 $D $A 5  expect 0 5  expect-none 1  expect-none 2
jq_assert "LAN after flush" "$(lan_json "$L")" \
	".macs == 2 and .counters.unknown_unicast == 5 and .counters.flooded == 5 and .counters.forwarded == 5 and .counters.learned == 2"
pass "fdb-flush forgets MACs"

r=$(sw_ok set-aging seconds=1)
jq_assert "set-aging reply" "$r" ".aging == 1"
wait_until 10 sh -c "$SWCTL show-fdb lan=$L | jq -e '.used == 0'" ||
	fail "MACs did not age out within 10 s of set-aging 1: $(sw_ok show-fdb "lan=$L")"
jq_assert "LAN after aging" "$(lan_json "$L")" ".macs == 0 and .counters.aged == 2"
sw_ok set-aging seconds=300 >/dev/null
pass "aging removes idle MACs"

# Drop reasons: p3 is in the LAN with no peer (drop_link_down), frames of
# 1522 bytes pass and 1523 do not (drop_oversize, default --max-frame), a
# 12-byte frame is a runt, and p2 is detached before it sends (drop_no_lan).
P3=$PFX-p3
sw_ok port-add "name=$P3" kind=vhost "path=$TMP/p3.sock" >/dev/null
sw_ok attach "port=$P3" "lan=$L" >/dev/null
peer_run peer3 -q 150 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$P0" "$P1" "$P2")" \
	sh "$SWCTL clear-counters >/dev/null" \
	send-len 0 $A $BC 3 1522  expect 1 3  expect 2 3  expect-none 0 \
	send-len 0 $A $BC 2 1523  expect-none 1  expect-none 2 \
	send-len 0 $A $BC 2 12    expect-none 1  expect-none 2 \
	sh "$SWCTL detach port=$P2 >/dev/null" \
	send 2 $C $BC 4           expect-none 0  expect-none 1
jq_assert "drops at p0" "$(port_json "$P0")" \
	".counters | .drop_oversize == 2 and .drop_runt == 2 and .tx_packets == 0"
jq_assert "p1 got the 1522-byte frames" "$(port_json "$P1")" \
	".counters | .tx_packets == 3 and .tx_bytes == 3 * 1522"
jq_assert "drop_no_lan at p2" "$(port_json "$P2")" \
	".lan == null and .counters.drop_no_lan == 4 and .counters.tx_packets == 3"
jq_assert "drop_link_down at p3" "$(port_json "$P3")" \
	".link == \"down\" and .counters.drop_link_down == 3 and .counters.tx_packets == 0"
jq_assert "LAN counters with drops" "$(lan_json "$L")" ".counters.flooded == 3"
pass "frame size limits and drop reasons are counted"

# A LAN of mtu 9000: its own limit, 9022 bytes; L keeps 1522.
J=$PFX-J
for bad in mtu=67 mtu=9001 mtu=x mtu=true; do
	sw_err lan-add "name=$J" "$bad"
done
r=$(sw_ok lan-add "name=$J" mtu=9000)
jq_assert "lan-add mtu reply" "$r" ".lan.name == \"$J\" and .lan.mtu == 9000 and .lan.max_frame == 9022"
jq_assert "LAN without mtu: --max-frame" "$(lan_json "$L")" ".mtu == 1500 and .max_frame == 1522"
for i in 0 1; do
	sw_ok port-add "name=$PFX-j$i" kind=vhost "path=$TMP/j$i.sock" >/dev/null
	sw_ok attach "port=$PFX-j$i" "lan=$J" >/dev/null
done
J0=$PFX-j0 J1=$PFX-j1
peer_run peer4 -q 150 "$TMP/j0.sock" "$TMP/j1.sock" "$TMP/p0.sock" "$TMP/p1.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 wait-link 3 \
	wait-sh "$(ports_up_cmd "$J0" "$J1" "$P0" "$P1")" \
	sh "$SWCTL clear-counters >/dev/null" \
	send-len 0 $A $BC 3 9022  expect 1 3  expect-none 0 \
	send-len 1 $B $A 2 9022   expect 0 2  expect-none 1 \
	send-len 0 $A $B 2 4000   expect 1 2 \
	send-len 0 $A $BC 2 9023  expect-none 1 \
	send-len 2 $C $BC 2 9022  expect-none 3 \
	send-len 2 $C $BC 1 1522  expect 3 1
jq_assert "j0 in LAN $J" "$(port_json "$J0")" \
	".counters | .drop_oversize == 2 and .rx_packets == 7 and .tx_packets == 2 and .tx_bytes == 2 * 9022"
jq_assert "j1 in LAN $J" "$(port_json "$J1")" \
	".counters | .tx_packets == 5 and .tx_bytes == 3 * 9022 + 2 * 4000"
jq_assert "LAN $J counters" "$(lan_json "$J")" ".counters.forwarded == 4 and .counters.flooded == 3"
jq_assert "p0 in LAN L: 9022 bytes is oversize there" "$(port_json "$P0")" \
	".counters | .drop_oversize == 2 and .rx_packets == 3"
pass "a LAN of mtu 9000 forwards 9022-byte chained frames intact and drops 9023 bytes; L keeps 1522"

sw_ok port-del "name=$J0" >/dev/null
sw_ok port-del "name=$J1" >/dev/null
sw_ok lan-del "name=$J" >/dev/null

sw_ok port-del "name=$P2" >/dev/null
[ -e "$TMP/p2.sock" ] && fail "port-del left the vhost socket $TMP/p2.sock"
r=$(sw_ok lan-del "name=$L")
jq_assert "lan-del reply" "$r" ".detached | sort == ([\"$P0\", \"$P1\", \"$P3\"] | sort)"
jq_assert "ports after lan-del" "$(sw_ok show-ports)" \
	"[.ports[] | .lan] == [null, null, null]"
pass "port-del and lan-del"
exit 0
