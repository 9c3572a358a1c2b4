#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vhost ports carry checksum and segmentation offloads end to
# end. A 64000-byte TCP frame that a peer sends as one TSO frame reaches a
# peer that takes TSO as the same one frame (its segment size kept, nothing
# segmented in the switch), and every other kind of port as valid segments
# (a plain vhost peer, an AF_XDP namespace), and a tap namespace as the one
# frame (tap offloads: the namespace's stack gets it without a checksum
# error); flooded, each member gets its own form and the TSO peer
# still gets one frame; an FDB move changes the form with the port; a TSO
# frame whose segments would exceed the LAN's limit is drop_oversize; an IPv6
# partial checksum to AF_XDP is completed; TSO6 from a peer is refused
# (drop_offload_bad). Every counter is checked exactly.
#
# Operations:
#   1. start a private switch; lan-add L mtu 1500; vhost ports t0 t1 (peers
#      with ",tso") and t2 (plain peer), afxdp x3 (namespace 3, veth), tap k4
#      (namespace 4, persistent tap); show-ports: features and offload of
#      each vhost port; the namespaces learn each other (ping), blackhole
#      routes keep their stacks from answering the test frames
#   2. tcpdump -e -vv in namespaces 3 and 4; vhost_peer, after learning:
#      TSO t0 -> t1, -> t2, -> x3, -> k4; unknown unicast (flood to all four
#      kinds at once); B moves to t2 and back, the TSO frame follows it;
#      MSS 1469 (segments of 1523 bytes on a LAN of 1522) dropped; IPv6
#      partial checksum to x3; TSO over IPv6 refused
#   3. exact counters of every port and the LAN; tcpdump in 3: every segment
#      "correct" and at most 1514 bytes, the payloads add up; in 4 two
#      whole frames, the payloads add up; Tcp InCsumErrors unchanged in both namespaces, InSegs
#      grew; show-workers: no indirect mbuf left in use
#   4. port-add offload=false: features without any offload bit

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 23-offload
need_hugepages 256
need_xdp
need_cmd tcpdump ping
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

switchd_start
L=$PFX-L
sw_ok lan-add "name=$L" mtu=1500 >/dev/null
for i in 0 1 2; do
	sw_ok port-add "name=$PFX-t$i" kind=vhost "path=$TMP/t$i.sock" >/dev/null
	sw_ok attach "port=$PFX-t$i" "lan=$L" >/dev/null
done
ns_pair 3 10.23.0.3/24
sw_ok port-add "name=$PFX-x3" kind=afxdp "iface=$(ns_host 3)" >/dev/null
tap_ns 4 10.23.0.4/24
sw_ok port-add "name=$PFX-k4" kind=tap "netns=/run/netns/$(ns_name 4)" iface=eth0 >/dev/null
for p in x3 k4; do
	sw_ok attach "port=$PFX-$p" "lan=$L" >/dev/null
done
T0=$PFX-t0 T1=$PFX-t1 T2=$PFX-t2 X3=$PFX-x3 K4=$PFX-k4
wait_until 10 port_is_up "$X3" && wait_until 10 port_is_up "$K4" ||
	fail "namespace ports not up: $(sw_ok show-ports)"

A=02:00:00:23:00:0a
B=02:00:00:23:00:0b
C=02:00:00:23:00:0c
U=02:00:00:23:00:ee
BC=ff:ff:ff:ff:ff:ff
M3=$(ns_mac 3)
M4=$(ns_mac 4)
# The namespaces learn each other (static neighbours: no ARP later), then
# never answer the test frames: no route back to the peers' addresses (no
# ARP, no RST), no reverse-path drop.
for i in 3 4; do
	nsx "$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	nsx "$i" ip route add blackhole 10.23.0.1/32 || fail "blackhole route in $(ns_name $i)"
done
nsx 3 ip neigh replace 10.23.0.4 lladdr "$M4" dev eth0 nud permanent || fail "neighbour in 3"
nsx 4 ip neigh replace 10.23.0.3 lladdr "$M3" dev eth0 nud permanent || fail "neighbour in 4"
ping_ok 3 10.23.0.4 2

# tcpdump in namespace IDX of this run's TCP frames, into $TMP/tdIDX.txt.
for i in 3 4; do
	nsx_bg "$i" tcpdump -i eth0 -nn -e -vv -l -s 0 "tcp port 22094" >"$TMP/td$i.txt" 2>"$TMP/td$i.err"
	wait_until 10 grep -q 'listening on' "$TMP/td$i.err" || fail "tcpdump in $(ns_name $i) did not start"
done
declare -A segs0 csum0
for i in 3 4; do
	segs0[$i]=$(snmp "$i" Tcp InSegs) csum0[$i]=$(snmp "$i" Tcp InCsumErrors)
done

# 64000 bytes in segments of 1448: 44 full ones and one of 288.
N=64000 MSS=1448 SEGS=45
peer_run tcp -q 200 "$TMP/t0.sock,tso" "$TMP/t1.sock,tso" "$TMP/t2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$T0" "$T1" "$T2")" \
	send 1 $B $BC 1  send 2 $C $BC 1  send 0 $A $BC 1 \
	expect 0 2  expect 1 2  expect 2 2 \
	sh "$SWCTL show-ports >$TMP/ports-live.json" \
	sh "$SWCTL clear-counters >/dev/null" \
	send-tcp 0 $A $B $N $MSS        expect-tcp 1 1 $N $MSS  expect-tcp 2 0 0 $MSS \
	send-tcp 0 $A $C $N $MSS        expect-tcp 2 $SEGS $N $MSS  expect-tcp 1 0 0 $MSS \
	send-tcp 0 $A "$M3,10.23.0.3" $N $MSS \
	send-tcp 0 $A "$M4,10.23.0.4" $N $MSS  expect-tcp 1 0 0 $MSS  expect-tcp 2 0 0 $MSS \
	send-tcp 0 $A $U $N $MSS        expect-tcp 1 1 $N $MSS  expect-tcp 2 $SEGS $N $MSS \
	send 2 $B $BC 1  expect 0 1  expect 1 1 \
	send-tcp 0 $A $B $N $MSS        expect-tcp 2 $SEGS $N $MSS  expect-tcp 1 0 0 $MSS \
	send 1 $B $BC 1  expect 0 1  expect 2 1 \
	send-tcp 0 $A $B $N $MSS        expect-tcp 1 1 $N $MSS  expect-tcp 2 0 0 $MSS \
	send-tcp 0 $A $B $N 1469        expect-tcp 1 0 0 1469 \
	send-tcp 0 $A,fd00:23::1 "$M3,fd00:23::3" 1000 0 \
	send-tcp 0 $A,fd00:23::1 $B,fd00:23::2 $N $MSS  expect-tcp 1 0 0 $MSS \
	sleep 500
pass "TSO peer: one frame to a TSO peer, $SEGS valid segments to a plain peer, flood and FDB move"

# Negotiated features (while the peers were connected): the tso peers have CSUM (0), GUEST_CSUM (1),
# GUEST_TSO4 (7), GUEST_TSO6 (8), never HOST_TSO6 (12); the plain peer none.
has_bits() { # FEATURES BIT...: every BIT set
	local f=$(($1)) b
	shift
	for b in "$@"; do (((f >> b) & 1)) || return 1; done
}
live() { jq -c ".ports[] | select(.name == \"$1\")" "$TMP/ports-live.json"; }
for p in "$T0" "$T1"; do
	j=$(live "$p")
	f=$(jq -r .features <<<"$j")
	has_bits "$f" 0 1 7 8 15 && ! has_bits "$f" 12 || fail "features of $p: $f"
	jq_assert "offload of $p" "$j" '.offload == {rx: "csum", tx: "csum,tso4,tso6"} and .offload_requested == true'
done
f=$(live "$T2" | jq -r .features)
! has_bits "$f" 0 && ! has_bits "$f" 1 && ! has_bits "$f" 7 || fail "features of the plain peer's $T2: $f"
jq_assert "offload of $T2" "$(live "$T2")" '.offload == {rx: "none", tx: "none"}'
pass "show-ports: negotiated features and offloads per vhost port"

# Expected, after clear-counters (t0 sends every TCP frame):
#  t0 rx: 8 IPv4 TSO frames (7 forwarded or flooded + 1 oversize) + 1 IPv6
#         partial; the IPv6 TSO frame is drop_offload_bad before it counts
#  t1 tx: 3 whole frames (to B twice, the flood) + 1 test frame (B's move)
#  t2 tx: 3 x 45 segments (to C, the flood, to B after the move) + 1
#  x3 tx: 2 x 45 segments (direct, flood) + the IPv6 frame completed + 2
#  k4 tx: direct + flood, whole (TSO to the tap: nothing segmented) + 2
#  LAN: forwarded 7 (B, C, x3, k4, B on t2, B on t1, IPv6 to x3), flooded 3
jq_assert "t0 counters" "$(port_json "$T0")" \
	".counters | .rx_packets == 9 and .rx_gso_frames == 8 and .drop_oversize == 1
	 and .drop_offload_bad == 1 and .tx_packets == 2 and .tx_gso_frames == 0"
jq_assert "t1 counters" "$(port_json "$T1")" \
	".counters | .tx_packets == 4 and .tx_gso_frames == 0 and .tx_gso_segments == 0 and .tx_csum_sw == 0
	 and .drop_gso == 0 and .rx_packets == 1"
jq_assert "t2 counters" "$(port_json "$T2")" \
	".counters | .tx_packets == 3 * $SEGS + 1 and .tx_gso_frames == 3 and .tx_gso_segments == 3 * $SEGS
	 and .tx_csum_sw == 3 * $SEGS and .drop_gso == 0 and .rx_packets == 1"
jq_assert "x3 counters" "$(port_json "$X3")" \
	".counters | .tx_packets == 2 * $SEGS + 1 + 2 and .tx_gso_frames == 2 and .tx_gso_segments == 2 * $SEGS
	 and .tx_csum_sw == 2 * $SEGS + 1 and .drop_gso == 0 and .drop_tx_full == 0 and .rx_packets == 0"
jq_assert "k4 counters (whole frames)" "$(port_json "$K4")" \
	".offload == {rx: \"csum,tso4\", tx: \"csum,tso4\"} and (.counters | .tx_packets == 2 + 2
	 and .tx_gso_frames == 0 and .tx_gso_segments == 0 and .tx_csum_sw == 0 and .drop_gso == 0
	 and .drop_offload_bad == 0 and .drop_tx_full == 0 and .rx_packets == 0)"
jq_assert "LAN counters" "$(lan_json "$L")" \
	".counters | .forwarded == 7 and .flooded == 3 and .unknown_unicast == 1 and .moved == 2"
pass "exact counters: segmented for t2 and x3 only, whole for t1 and k4, oversize and TSO6 dropped"
workers_check "after the TCP frames"

# What the namespaces saw. Namespace 3 (AF_XDP): only complete segments of
# at most 1514 bytes on the wire, each checksum correct, IPv4 and IPv6.
sleep 0.5
td3=$TMP/td3.txt td4=$TMP/td4.txt
frames3=$(grep -c 'ethertype IPv' "$td3")
correct3=$(grep -c 'cksum 0x[0-9a-f]* (correct)' "$td3")
bytes3=$(grep -o 'length [0-9]*$' "$td3" | awk '{s += $2} END {print s + 0}')
maxlen3=$(grep -o 'ethertype IPv[46] ([^)]*), length [0-9]*' "$td3" | awk '{print $NF}' | sort -n | tail -1)
[ "$frames3" = $((2 * SEGS + 1)) ] && [ "$correct3" = "$frames3" ] && [ "$bytes3" = $((2 * N + 1000)) ] &&
	[ "${maxlen3:-0}" -le 1514 ] && ! grep -q incorrect "$td3" ||
	fail "namespace 3 (afxdp) saw $frames3 frames, $correct3 with a correct checksum, $bytes3 payload bytes, largest $maxlen3 bytes (expected $((2 * SEGS + 1)), all, $((2 * N + 1000)), <= 1514): $(head -c 1500 "$td3")"
grep -q 'ethertype IPv6 .*cksum 0x[0-9a-f]* (correct)' "$td3" || fail "namespace 3: the IPv6 frame was not completed: $(grep IPv6 "$td3")"
pass "afxdp namespace: $frames3 frames, every checksum correct, at most $maxlen3 bytes, $bytes3 payload bytes"

# Namespace 4 (tap): both TSO frames arrived whole (GSO frames with a partial
# checksum), the payload of each one frame.
frames4=$(grep -c 'ethertype IPv' "$td4")
bytes4=$(grep -o 'length [0-9]*$' "$td4" | awk '{s += $2} END {print s + 0}')
[ "$frames4" = 2 ] && [ "$bytes4" = $((2 * N)) ] ||
	fail "namespace 4 (tap) saw $frames4 frames, $bytes4 payload bytes (expected 2 whole ones, $((2 * N))): $(head -c 1500 "$td4")"
pass "tap namespace: $frames4 whole frames, $bytes4 payload bytes"

for i in 3 4; do
	segs=$(snmp "$i" Tcp InSegs) csum=$(snmp "$i" Tcp InCsumErrors)
	[ "$csum" = "${csum0[$i]}" ] || fail "namespace $i: Tcp InCsumErrors went from ${csum0[$i]} to $csum"
	[ "$segs" -gt "${segs0[$i]}" ] ||
		fail "namespace $i: Tcp InSegs did not grow (${segs0[$i]} -> $segs): the stack got nothing"
done
pass "both namespaces' TCP stacks took the frames without a checksum error"

jq_assert "show-workers: no segment left in flight" "$(sw_ok show-workers)" \
	".mbufs.indirect_in_use == 0 and .mbufs.in_use < .mbufs.size"
pass "show-workers: indirect_in_use 0 after the traffic"

# offload=false: the port offers no offload at all, so a peer that wants
# LRO cannot even configure itself.
sw_ok port-add "name=$PFX-t5" kind=vhost "path=$TMP/t5.sock" offload=false >/dev/null
"$VHOST_PEER" -P "${PFX}off" -t 3000 "$TMP/t5.sock,tso" -- wait-link 0 >"$TMP/off.log" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q 'a tso port needs' "$TMP/off.log" ||
	fail "a tso peer on an offload=false port: exit $rc (expected 2, offloads refused): $(cat "$TMP/off.log")"
jq_assert "offload=false port" "$(port_json "$PFX-t5")" '.offload_requested == false and .offload.tx == "none"'
pass "offload=false: no offload feature offered (a tso peer is refused LRO)"
exit 0
