#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: `tap` ports attach vnl-switchd to persistent taps that live
# inside network namespaces (a node's eth0, made there under its final
# name): the switch's fd is the cable (carrier on at port-add, NO-CARRIER at
# port-del and when the switch dies, the device stays), frames cross both
# ways, a TCP stream runs, and a restarted switch re-attaches to the same
# devices. Offloads are not wired yet: plain frames (show-ports offload
# "none").
#
# Operations:
#   1. start a private switch; namespaces 1 and 2 with a persistent tap eth0
#      each (`ip tuntap add ... vnet_hdr`), 10.77.12.1/.2/24, up: NO-CARRIER
#   2. lan-add; port-add kind=tap netns=/run/netns/NS iface=eth0 (port 2
#      with offload=false); check the port objects; attach; LOWER_UP in both
#   3. refusals: the same tap again (busy), a missing tap (and no device
#      made), a missing netns, a host veth that is not a tap
#   4. ping both ways; iperf3 -t 3 1 -> 2 and -R; counters show the frames
#      and no drops on the tap ports; a 4 KB ping with eth0 mtu 9000 is
#      dropped as oversize (the LAN's 1522 limit), then traffic goes on; eth0
#      down in namespace 2: t2 link down, drop_link_down; up: traffic again
#   5. port-del 1: NO-CARRIER in 1, eth0 still there; re-add: ping again
#   6. kill -9 the switch: NO-CARRIER in both; start again, re-add, ping
#   7. no debris: no stray interface in the host

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 11-tap-ports
need_hugepages 256
need_cmd ping iperf3
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

switchd_start

# tap_ns IDX CIDR: namespace ns_name IDX with a persistent tap eth0 at CIDR, up.
tap_ns() {
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || fail "ip netns add $ns"
	_NETNS+=("$ns")
	ip -n "$ns" tuntap add dev eth0 mode tap vnet_hdr || fail "ip tuntap add eth0 in $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" addr add "$2" dev eth0 || fail "address $2 in $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up || fail "eth0 up in $ns"
}

# carrier IDX: eth0 of namespace IDX has carrier (LOWER_UP).
carrier() { ip -n "$(ns_name "$1")" link show eth0 | grep -q 'LOWER_UP'; }
no_carrier() { ip -n "$(ns_name "$1")" link show eth0 | grep -q 'NO-CARRIER'; }

# add_ports: lan-add, port-add both taps (2 with offload=false), attach.
A=$PFX-A
add_ports() {
	local i r extra
	sw_ok lan-add "name=$A" >/dev/null
	for i in 1 2; do
		extra=
		[ "$i" = 2 ] && extra=offload=false
		# shellcheck disable=SC2086 # extra is one word or none
		r=$(sw_ok port-add "name=$PFX-t$i" kind=tap "netns=/run/netns/$(ns_name $i)" iface=eth0 $extra)
		jq_assert "port-add tap reply" "$r" \
			".port.kind == \"tap\" and .port.backend == \"tap\" and .port.iface == \"eth0\"
			 and .port.netns == \"/run/netns/$(ns_name $i)\" and .port.offload == \"none\""
		sw_ok attach "port=$PFX-t$i" "lan=$A" >/dev/null
	done
	for i in 1 2; do
		wait_until 5 carrier "$i" || fail "eth0 in $(ns_name $i) has no carrier after port-add"
		wait_until 5 port_is_up "$PFX-t$i" || fail "port $PFX-t$i not up: $(port_json "$PFX-t$i")"
	done
}

# --- 1. namespaces with persistent taps ---
tap_ns 1 10.77.12.1/24
tap_ns 2 10.77.12.2/24
for i in 1 2; do
	no_carrier "$i" || fail "eth0 in $(ns_name $i) has carrier before any port-add"
done
pass "persistent taps up without carrier before port-add"

# --- 2. ports ---
add_ports
jq_assert "show-ports t1" "$(port_json "$PFX-t1")" \
	".lan == \"$A\" and .link == \"up\" and .offload_requested == true"
jq_assert "show-ports t2 (offload=false)" "$(port_json "$PFX-t2")" ".offload_requested == false"
pass "tap ports attached: carrier on in both namespaces"

# --- 3. refusals ---
sw_err port-add "name=$PFX-dup" kind=tap "netns=/run/netns/$(ns_name 1)" iface=eth0
sw_err port-add "name=$PFX-miss" kind=tap "netns=/run/netns/$(ns_name 1)" iface=nosuch0
ip -n "$(ns_name 1)" link show nosuch0 >/dev/null 2>&1 && fail "a refused port-add left a device nosuch0"
sw_err port-add "name=$PFX-nons" kind=tap "netns=/run/netns/$PFX-none" iface=eth0
sw_err port-add "name=$PFX-lo" kind=tap "netns=/run/netns/$(ns_name 1)" iface=lo
sw_err port-add "name=$PFX-bad" kind=tap "netns=/run/netns/$(ns_name 1)" iface=other0 offload=maybe
pass "refused: busy tap, missing tap, missing netns, not a tap, bad offload"

# --- 4. traffic ---
sw_ok clear-counters >/dev/null
ping_ok 1 10.77.12.2 5
ping_ok 2 10.77.12.1 5
pass "ping both ways through tap ports"

# iperf3 DIR...: a 3 s TCP stream from 1 to 2 (-R: 2 to 1); prints Gbit/s.
iperf() {
	local out
	nsx_bg 2 iperf3 -s -1 -p 5211 >"$TMP/iperf-s.log" 2>&1
	wait_until 5 nsx 2 sh -c 'ss -ltn | grep -q :5211' || fail "iperf3 server did not start"
	out=$(nsx 1 iperf3 -c 10.77.12.2 -p 5211 -t 3 -J "$@") || fail "iperf3 $* failed: $(tail -c 400 <<<"$out")"
	wait "$BG_PID" 2>/dev/null
	jq -e '.end.sum_received.bytes > 1000000' >/dev/null <<<"$out" ||
		fail "iperf3 $*: too little received: $(jq -c .end.sum_received <<<"$out")"
	jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' <<<"$out"
}
g=$(iperf) || exit 1
pass "iperf3 1 -> 2: $g Gbit/s"
g=$(iperf -R) || exit 1
pass "iperf3 2 -> 1 (-R): $g Gbit/s"
for i in 1 2; do
	jq_assert "counters of t$i" "$(port_json "$PFX-t$i")" \
		".counters.rx_packets > 1000 and .counters.tx_packets > 1000 and .counters.drop_link_down == 0
		 and .counters.drop_oversize == 0 and .counters.drop_runt == 0"
done
pass "counters: frames both ways, no drops"
workers_check "after iperf3"

# A frame longer than the switch takes (eth0 mtu 9000, --max-frame 1522) is
# read whole and dropped as oversize (LAN limit 1522): nothing of it goes out.
ip -n "$(ns_name 1)" link set eth0 mtu 9000 || fail "mtu 9000 on eth0 in $(ns_name 1)"
before=$(port_json "$PFX-t2" | jq .counters.tx_packets)
nsx 1 ping -n -q -c 3 -i 0.2 -W 1 -s 4000 10.77.12.2 >/dev/null 2>&1 && fail "a 4028-byte ping crossed"
jq_assert "oversize drops on t1" "$(port_json "$PFX-t1")" ".counters.drop_oversize >= 3"
jq_assert "nothing of them left at t2" "$(port_json "$PFX-t2")" ".counters.tx_packets == $before"
ip -n "$(ns_name 1)" link set eth0 mtu 1500
ping_ok 1 10.77.12.2 2
pass "frames above --max-frame from a tap: dropped as oversize, the port goes on"

# eth0 down inside the node: writes fail with EIO, the port shows link down
# and counts drop_link_down; eth0 up again: the next write brings it back.
ip -n "$(ns_name 2)" link set eth0 down
nsx 1 ping -n -q -c 3 -i 0.2 -W 1 10.77.12.2 >/dev/null 2>&1
jq_assert "t2 with eth0 down in the node" "$(port_json "$PFX-t2")" \
	".link == \"down\" and .counters.drop_link_down >= 1"
ip -n "$(ns_name 2)" link set eth0 up
nsx 1 ping -n -q -c 5 -i 0.2 -W 1 10.77.12.2 >/dev/null 2>&1
wait_until 5 port_is_up "$PFX-t2" || fail "t2 still down after eth0 came up: $(port_json "$PFX-t2")"
ping_ok 1 10.77.12.2 3
pass "eth0 down in the node: link down, drop_link_down counted; up again: traffic resumes"

# --- 5. port-del and re-add ---
sw_ok port-del "name=$PFX-t1" >/dev/null
wait_until 5 no_carrier 1 || fail "eth0 in $(ns_name 1) still has carrier after port-del"
ip -n "$(ns_name 1)" -d link show eth0 | grep -q 'tap.*persist' ||
	fail "eth0 in $(ns_name 1) changed after port-del: $(ip -n "$(ns_name 1)" -d link show eth0)"
ping_fails 1 10.77.12.2
pass "port-del: NO-CARRIER, the device stays, no traffic"
sw_ok port-add "name=$PFX-t1" kind=tap "netns=/run/netns/$(ns_name 1)" iface=eth0 >/dev/null
sw_ok attach "port=$PFX-t1" "lan=$A" >/dev/null
wait_until 5 carrier 1 || fail "no carrier after re-add"
ping_ok 1 10.77.12.2 3
pass "re-added: carrier and ping again"

# --- 6. the switch dies, a new one re-attaches ---
kill -KILL "$SWPID"
wait "$SWPID" 2>/dev/null
SWPID=
for i in 1 2; do
	wait_until 5 no_carrier "$i" || fail "eth0 in $(ns_name $i) kept carrier after kill -9 of the switch"
	ip -n "$(ns_name $i)" link show eth0 >/dev/null || fail "eth0 in $(ns_name $i) gone with the switch"
done
pass "kill -9 of the switch: NO-CARRIER, devices stay"
switchd_start
add_ports
ping_ok 1 10.77.12.2 3
ping_ok 2 10.77.12.1 3
pass "a new switch re-attaches: traffic resumes"

# --- 7. debris ---
ip -o link show | grep -q "$PFX" && fail "host interfaces with our prefix: $(ip -o link show | grep "$PFX")"
ip -o link show type tun | grep -q ' eth0[:@]' && fail "a tap eth0 appeared in the host: $(ip -o link show type tun)"
pass "no interface appeared in the host namespace"
exit 0
