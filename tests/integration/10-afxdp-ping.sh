#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: two network namespaces, each behind a veth pair whose host end
# is an `afxdp` port of vnl-switchd, talk through one LAN: ping and a counted
# UDP flow pass over AF_XDP, and ping passes over the AF_PACKET fallback
# (`"xdp":false`), which show-ports reports as backend af_packet. Frames
# also cross between vhost ports and both afxdp backends.
#
# Operations:
#   1. start a private switch; make namespaces 1 and 2 (10.77.10.1, .2/24)
#      and 3 and 4 (10.77.11.3, .4/24), tx checksum offload off inside
#   2. lan-add A mtu=9000; port-add afxdp on the host ends of 1 and 2; attach
#      to A; check the port objects (kind, backend af_xdp, iface, lan, link up)
#   3. ping 1 -> 2; udp_flow sends 2000 datagrams 1 -> 2: all distinct ones
#      but at most 1 % arrive, none twice; with the MTU of 1 and 2 raised to
#      the AF_XDP-on-veth limit (3506: the largest the veth peer of a
#      driver-mode XDP program takes), ping -M do -s 3478 passes (3520-byte
#      frames: chains of two mbufs in the switch)
#   4. check counters: the ports' rx/tx, LAN A's learned and forwarded, and
#      show-fdb maps each namespace's MAC to its port
#   5. lan-add B mtu=9000; port-add afxdp xdp=false on 3 and 4 (backend
#      af_packet); attach; ping 3 -> 4, and with MTU 9000 on 3 and 4,
#      ping -M do -s 8972 (9014-byte frames: chains of five mbufs)
#   6. mixed port kinds: a vhost port in each LAN; vhost_peer sends ARP
#      requests through it for namespace 2 (AF_XDP) and 4 (AF_PACKET) and
#      gets every reply back, so frames cross between vhost and both
#      afxdp backends complete, in both directions

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 10-afxdp-ping
need_hugepages 256
need_xdp
need_cmd ping ethtool

N=2000
# ping_big IDX ADDR SIZE: three pings of SIZE payload bytes, not fragmented, all answered.
ping_big() {
	local out
	out=$(nsx "$1" ping -n -q -M do -s "$3" -c 3 -i 0.2 -W 2 "$2" 2>&1)
	grep -q ' 0% packet loss' <<<"$out" ||
		fail "ping -M do -s $3 from $(ns_name "$1") to $2 failed: $(tr '\n' ' ' <<<"$out")"
}
[ -x "$UDP_FLOW" ] || fail "$UDP_FLOW is not built"
switchd_start
ns_pair 1 10.77.10.1/24
ns_pair 2 10.77.10.2/24
ns_pair 3 10.77.11.3/24
ns_pair 4 10.77.11.4/24

# --- AF_XDP ---
A=$PFX-A
P1=$PFX-x1
P2=$PFX-x2
sw_ok lan-add "name=$A" mtu=9000 >/dev/null
for i in 1 2; do
	r=$(sw_ok port-add "name=$PFX-x$i" kind=afxdp "iface=$(ns_host $i)")
	jq_assert "port-add afxdp reply" "$r" \
		".port.name == \"$PFX-x$i\" and .port.kind == \"afxdp\" and .port.backend == \"af_xdp\"
		 and .port.iface == \"$(ns_host $i)\" and .port.lan == null"
	sw_ok attach "port=$PFX-x$i" "lan=$A" >/dev/null
done
for p in "$P1" "$P2"; do
	wait_until 10 port_is_up "$p" || fail "port $p link not up: $(port_json "$p")"
	jq_assert "show-ports $p" "$(port_json "$p")" ".lan == \"$A\" and .backend == \"af_xdp\""
done
jq_assert "show-lans $A" "$(lan_json "$A")" ".ports | sort == ([\"$P1\", \"$P2\"] | sort)"
sw_ok clear-counters >/dev/null

ping_ok 1 10.77.10.2 5
pass "ping over AF_XDP"

nsx_bg 2 "$UDP_FLOW" recv 5001 "$N" 15000 "$TMP/ready" >"$TMP/udp-recv.json" 2>"$TMP/udp-recv.log"
RECV=$BG_PID
wait_until 5 test -e "$TMP/ready" || fail "udp_flow receiver did not start"
sent=$(nsx 1 "$UDP_FLOW" send 10.77.10.2 5001 "$N" 2000) || fail "udp_flow send failed: $sent"
wait "$RECV"
got=$(cat "$TMP/udp-recv.json")
log "udp: $sent -> $got"
jq_assert "udp sender" "$sent" ".sent == $N"
jq_assert "udp flow over AF_XDP (at most 1 % lost, none twice)" "$got" \
	".distinct >= $((N * 99 / 100)) and .received == .distinct"
pass "UDP flow over AF_XDP: $(jq .distinct <<<"$got")/$N datagrams"

# Counters: everything the receiver got went in at x1 and out at x2 as known
# unicast; both MACs were learned on their own ports.
distinct=$(jq .distinct <<<"$got")
jq_assert "counters of $P1" "$(port_json "$P1")" ".counters.rx_packets >= $distinct + 5"
jq_assert "counters of $P2" "$(port_json "$P2")" ".counters.tx_packets >= $distinct + 5"
jq_assert "counters of LAN $A" "$(lan_json "$A")" \
	".counters.learned == 2 and .counters.forwarded >= $distinct and .macs == 2"
fdb=$(sw_ok show-fdb "lan=$A")
for i in 1 2; do
	jq_assert "show-fdb has namespace $i" "$fdb" \
		"[.entries[] | select(.mac == \"$(ns_mac $i)\")] | length == 1 and .[0].port == \"$PFX-x$i\" and .[0].lan == \"$A\""
done
pass "counters and FDB agree with the flow"

# Frames at the AF_XDP-on-veth limit: the veth peer of a driver-mode XDP
# program takes an MTU of at most 3506 (one page minus XDP headroom and
# skb_shared_info); larger frames need generic mode (see docs/switchd.md).
XDP_MTU=3506
for i in 1 2; do
	jq_assert "x$i still in driver mode" "$(port_json "$PFX-x$i")" '.status | test("driver mode")'
	ip link set "$(ns_host $i)" mtu $XDP_MTU || fail "mtu $XDP_MTU on $(ns_host $i)"
	nsx $i ip link set eth0 mtu $XDP_MTU || fail "mtu $XDP_MTU on eth0 in $(ns_name $i)"
done
sw_ok clear-counters >/dev/null
ping_big 1 10.77.10.2 $((XDP_MTU - 28))
jq_assert "frames of $((XDP_MTU + 14)) bytes through x1 and x2" "$(port_json "$P1")" \
	".counters | .rx_bytes >= 3 * $((XDP_MTU + 14)) and .tx_bytes >= 3 * $((XDP_MTU + 14)) and .drop_oversize == 0"
pass "ping -M do -s $((XDP_MTU - 28)) over AF_XDP ($((XDP_MTU + 14))-byte frames)"

# --- AF_PACKET fallback ---
B=$PFX-B
sw_ok lan-add "name=$B" mtu=9000 >/dev/null
for i in 3 4; do
	r=$(sw_ok port-add "name=$PFX-x$i" kind=afxdp "iface=$(ns_host $i)" xdp=false)
	jq_assert "port-add xdp=false reply" "$r" \
		".port.kind == \"afxdp\" and .port.backend == \"af_packet\" and .port.iface == \"$(ns_host $i)\""
	sw_ok attach "port=$PFX-x$i" "lan=$B" >/dev/null
	wait_until 10 port_is_up "$PFX-x$i" || fail "port $PFX-x$i link not up: $(port_json "$PFX-x$i")"
	jq_assert "show-ports $PFX-x$i" "$(port_json "$PFX-x$i")" ".backend == \"af_packet\" and .lan == \"$B\""
done
ping_ok 3 10.77.11.4 5
pass "ping over the AF_PACKET fallback"
for i in 3 4; do
	ip link set "$(ns_host $i)" mtu 9000 || fail "mtu 9000 on $(ns_host $i)"
	nsx $i ip link set eth0 mtu 9000 || fail "mtu 9000 on eth0 in $(ns_name $i)"
done
sw_ok clear-counters >/dev/null
ping_big 3 10.77.11.4 8972
jq_assert "9014-byte frames through x3" "$(port_json "$PFX-x3")" \
	".counters | .rx_bytes >= 3 * 9014 and .tx_bytes >= 3 * 9014 and .drop_oversize == 0"
pass "ping -M do -s 8972 over the AF_PACKET fallback (9014-byte frames)"

# --- vhost <-> afxdp ---
for l in A B; do
	sw_ok port-add "name=$PFX-v$l" kind=vhost "path=$TMP/v$l.sock" >/dev/null
	sw_ok attach "port=$PFX-v$l" "lan=$PFX-$l" >/dev/null
done
peer_run arp -q 150 "$TMP/vA.sock" "$TMP/vB.sock" -- \
	wait-link 0 wait-link 1 \
	wait-sh "$(ports_up_cmd "$PFX-vA" "$PFX-vB")" \
	arp 0 02:00:00:10:00:aa 10.77.10.100 10.77.10.2 5 5 \
	arp 1 02:00:00:10:00:bb 10.77.11.100 10.77.11.4 5 5
jq_assert "vhost port in A" "$(port_json "$PFX-vA")" ".counters.rx_packets >= 5 and .counters.tx_packets >= 5"
pass "ARP between a vhost peer and namespaces behind AF_XDP and AF_PACKET"
workers_check "after ping and ARP"
exit 0
