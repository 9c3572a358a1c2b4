#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: `tap` ports attach vnl-switchd to persistent taps that live
# inside network namespaces (a node's eth0, made there under its final
# name): the switch's fd is the cable (carrier on at port-add, NO-CARRIER at
# port-del and when the switch dies, the device stays), frames cross both
# ways, a TCP stream runs, and a restarted switch re-attaches to the same
# devices. Offloads: the node's TSO frames (64 KiB) and partial checksums
# cross tap -> tap untouched (rx_gso_frames > 0, tx_gso_frames 0, no
# checksum errors in either stack); with "offload": false the kernel
# segments before the switch reads, and frames for that port are segmented
# by the switch; tap -> afxdp: the switch segments and checksums (every
# frame correct at the receiver); "vnet" (the removed AF_PACKET +
# PACKET_VNET_HDR prototype) is refused as an unknown argument.
#
# Operations:
#   1. start a private switch; namespaces 1 and 2 with a persistent tap eth0
#      each (`ip tuntap add ... vnet_hdr`), 10.77.12.1/.2/24, up: NO-CARRIER
#   2. lan-add; port-add kind=tap netns=/run/netns/NS iface=eth0; check the
#      port objects (offload rx/tx csum,tso4); attach; LOWER_UP in both
#   3. refusals: the same tap again (busy), a missing tap (and no device
#      made), a missing netns, a host veth that is not a tap
#   4. ping both ways; iperf3 -t 3 1 -> 2 and -R: rx_gso_frames > 0 on the
#      sender's port, tx_gso_frames 0, Tcp InCsumErrors delta 0 in both
#      namespaces, no drops, phdr_other 0 (the kernel's partial checksums
#      hold the pseudo-header with length); t1 re-added with offload=false:
#      rx "none", rx_gso_frames stays 0, 2 -> 1 is segmented by the switch
#      (t1 tx_gso_frames > 0), traffic works; a 4 KB ping with eth0 mtu 9000
#      is dropped as oversize (the LAN's 1522 limit); a LAN of mtu 9000:
#      ping -M do -s 8972 both ways; tap -> afxdp: namespace 3 on a veth
#      with an afxdp port: iperf3 1 -> 3, x3 tx_gso_segments > 0,
#      InCsumErrors delta 0, tcpdump -vv in 3 sees no "incorrect" checksum
#      (skipped without tcpdump); port-add afxdp xdp=false vnet=true:
#      "unknown argument 'vnet'", no port made; eth0 down in namespace 2:
#      t2 link down, drop_link_down; up: traffic again
#   5. port-del 1: NO-CARRIER in 1, eth0 still there; re-add: ping again
#   6. kill -9 the switch: NO-CARRIER in both; start again, re-add, ping
#   7. no debris: no stray interface in the host

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 11-tap-ports
need_hugepages 256
need_cmd ping iperf3 ethtool
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

switchd_start

# carrier IDX: eth0 of namespace IDX has carrier (LOWER_UP).
carrier() { ip -n "$(ns_name "$1")" link show eth0 | grep -q 'LOWER_UP'; }
no_carrier() { ip -n "$(ns_name "$1")" link show eth0 | grep -q 'NO-CARRIER'; }

# add_tap IDX [offload=false]: port-add tap t<IDX> on eth0 of namespace IDX,
# check the reply, attach to LAN A.
add_tap() {
	local i=$1 r ol='"csum,tso4"'
	shift
	[ "$*" = offload=false ] && ol='"none"'
	r=$(sw_ok port-add "name=$PFX-t$i" kind=tap "netns=/run/netns/$(ns_name "$i")" iface=eth0 "$@")
	jq_assert "port-add tap reply" "$r" \
		".port.kind == \"tap\" and .port.backend == \"tap\" and .port.iface == \"eth0\"
		 and .port.netns == \"/run/netns/$(ns_name "$i")\" and .port.offload.rx == $ol
		 and .port.offload.tx == $ol"
	sw_ok attach "port=$PFX-t$i" "lan=$A" >/dev/null
}

# add_ports: lan-add, port-add both taps, attach.
A=$PFX-A
add_ports() {
	local i
	sw_ok lan-add "name=$A" >/dev/null
	for i in 1 2; do
		add_tap "$i"
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

# iperf SRV ADDR [ARGS...]: a 3 s TCP stream from namespace 1 to ADDR in
# namespace SRV (-R: the other way); prints Gbit/s; fails when either stack
# counted TCP checksum errors meanwhile.
iperf() {
	local srv=$1 addr=$2 out e1 e2
	shift 2
	e1=$(snmp 1 Tcp InCsumErrors) e2=$(snmp "$srv" Tcp InCsumErrors)
	[[ $e1 =~ ^[0-9]+$ && $e2 =~ ^[0-9]+$ ]] || fail "no Tcp InCsumErrors in /proc/net/snmp: '$e1' '$e2'"
	nsx_bg "$srv" iperf3 -s -1 -p 5211 >"$TMP/iperf-s.log" 2>&1
	wait_until 5 nsx "$srv" sh -c 'ss -ltn | grep -q :5211' || fail "iperf3 server did not start"
	out=$(nsx 1 iperf3 -c "$addr" -p 5211 -t 3 -J "$@") || fail "iperf3 $* failed: $(tail -c 400 <<<"$out")"
	wait "$BG_PID" 2>/dev/null
	jq -e '.end.sum_received.bytes > 1000000' >/dev/null <<<"$out" ||
		fail "iperf3 $*: too little received: $(jq -c .end.sum_received <<<"$out")"
	if [ "$(snmp 1 Tcp InCsumErrors)" != "$e1" ] || [ "$(snmp "$srv" Tcp InCsumErrors)" != "$e2" ]; then
		fail "iperf3 1 <-> $srv $*: TCP InCsumErrors rose: $e1 -> $(snmp 1 Tcp InCsumErrors), $e2 -> $(snmp "$srv" Tcp InCsumErrors)"
	fi
	jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' <<<"$out"
}
g=$(iperf 2 10.77.12.2) || exit 1
jq_assert "t1 after 1 -> 2" "$(port_json "$PFX-t1")" ".counters.rx_gso_frames > 0 and .phdr_other == 0"
pass "iperf3 1 -> 2: $g Gbit/s, TSO frames from 1, no checksum errors"
g=$(iperf 2 10.77.12.2 -R) || exit 1
jq_assert "t2 after 2 -> 1" "$(port_json "$PFX-t2")" ".counters.rx_gso_frames > 0 and .phdr_other == 0"
pass "iperf3 2 -> 1 (-R): $g Gbit/s, TSO frames from 2, no checksum errors"
for i in 1 2; do
	jq_assert "counters of t$i" "$(port_json "$PFX-t$i")" \
		".counters.rx_packets > 100 and .counters.tx_packets > 100 and .counters.drop_link_down == 0
		 and .counters.drop_oversize == 0 and .counters.drop_runt == 0 and .counters.tx_gso_frames == 0
		 and .counters.tx_csum_sw == 0 and .counters.drop_gso == 0 and .counters.drop_offload_bad == 0"
done
pass "counters: frames both ways, TSO frames passed through whole (tx_gso_frames 0), no drops"
workers_check "after iperf3"

# offload=false on t1: the kernel segments what node 1 sends before our
# reads; what node 2 sends in 64 KiB frames the switch cuts for t1.
sw_ok port-del "name=$PFX-t1" >/dev/null
add_tap 1 offload=false
wait_until 5 port_is_up "$PFX-t1" || fail "t1 not up after re-add with offload=false"
sw_ok clear-counters >/dev/null
g=$(iperf 2 10.77.12.2) || exit 1
g2=$(iperf 2 10.77.12.2 -R) || exit 1
jq_assert "t1 with offload=false" "$(port_json "$PFX-t1")" \
	".offload_requested == false and .counters.rx_gso_frames == 0 and .counters.tx_gso_frames > 0
	 and .counters.tx_gso_segments > .counters.tx_gso_frames and .counters.drop_gso == 0"
jq_assert "t2 beside it" "$(port_json "$PFX-t2")" ".counters.rx_gso_frames > 0 and .counters.tx_gso_frames == 0"
pass "offload=false: rx_gso_frames 0 on t1, 1 -> 2 $g Gbit/s, 2 -> 1 $g2 Gbit/s (segmented by the switch)"
sw_ok port-del "name=$PFX-t1" >/dev/null
add_tap 1
wait_until 5 port_is_up "$PFX-t1" || fail "t1 not up after re-add"

# A frame longer than the switch takes (eth0 mtu 9000, --max-frame 1522) is
# read whole and dropped as oversize (LAN limit 1522): nothing of it goes out.
ip -n "$(ns_name 1)" link set eth0 mtu 9000 || fail "mtu 9000 on eth0 in $(ns_name 1)"
before=$(port_json "$PFX-t2" | jq .counters.tx_bytes)
nsx 1 ping -n -q -c 3 -i 0.2 -W 1 -s 4000 10.77.12.2 >/dev/null 2>&1 && fail "a 4028-byte ping crossed"
jq_assert "oversize drops on t1" "$(port_json "$PFX-t1")" ".counters.drop_oversize >= 3"
# (an ARP probe may cross meanwhile: count bytes, not frames)
jq_assert "nothing of them left at t2" "$(port_json "$PFX-t2")" ".counters.tx_bytes - $before < 1000"
ip -n "$(ns_name 1)" link set eth0 mtu 1500
ping_ok 1 10.77.12.2 2
pass "frames above --max-frame from a tap: dropped as oversize, the port goes on"

# A LAN of mtu 9000: jumbo frames both ways, not fragmented (DF).
sw_ok lan-add "name=$PFX-J" mtu=9000 >/dev/null
for i in 1 2; do
	sw_ok detach "port=$PFX-t$i" >/dev/null
	sw_ok attach "port=$PFX-t$i" "lan=$PFX-J" >/dev/null
	ip -n "$(ns_name $i)" link set eth0 mtu 9000 || fail "mtu 9000 on eth0 in $(ns_name $i)"
done
for i in 1 2; do
	out=$(nsx "$i" ping -n -q -c 3 -i 0.2 -W 2 -M "do" -s 8972 "10.77.12.$((3 - i))" 2>&1)
	grep -q ' 0% packet loss' <<<"$out" || fail "ping -M do -s 8972 from $i on a 9000 LAN: $out"
done
for i in 1 2; do
	ip -n "$(ns_name $i)" link set eth0 mtu 1500
	sw_ok detach "port=$PFX-t$i" >/dev/null
	sw_ok attach "port=$PFX-t$i" "lan=$A" >/dev/null
done
ping_ok 1 10.77.12.2 2
pass "LAN of mtu 9000: ping -M do -s 8972 both ways"

# tap -> afxdp: namespace 3 on a veth with an afxdp port; the switch cuts
# node 1's 64 KiB frames and completes their checksums for it.
ns_pair 3 10.77.12.3/24
r=$(sw_ok port-add "name=$PFX-x3" kind=afxdp "iface=$(ns_host 3)")
jq_assert "afxdp port" "$r" '.port.kind == "afxdp"'
sw_ok attach "port=$PFX-x3" "lan=$A" >/dev/null
ping_ok 1 10.77.12.3 3
sw_ok clear-counters >/dev/null
TCPDUMP_PID=
if command -v tcpdump >/dev/null; then
	nsx_bg 3 tcpdump -i eth0 -vv -nn -c 200 tcp >"$TMP/tcpdump.log" 2>&1
	TCPDUMP_PID=$BG_PID
	sleep 1
fi
g=$(iperf 3 10.77.12.3) || exit 1
jq_assert "x3 after tap -> afxdp" "$(port_json "$PFX-x3")" ".counters.tx_gso_segments > 0 and .counters.drop_gso == 0"
jq_assert "t1 sent TSO frames" "$(port_json "$PFX-t1")" ".counters.rx_gso_frames > 0"
if [ -n "$TCPDUMP_PID" ]; then
	wait_until 5 sh -c "! kill -0 $TCPDUMP_PID 2>/dev/null" || stop_pid "$TCPDUMP_PID" INT
	n=$(grep -c 'cksum' "$TMP/tcpdump.log")
	[ "$n" -ge 100 ] || fail "tcpdump in 3 saw only $n checksummed lines: $(tail -n 3 "$TMP/tcpdump.log")"
	grep -q incorrect "$TMP/tcpdump.log" &&
		fail "tcpdump in 3 saw bad checksums: $(grep -m 3 incorrect "$TMP/tcpdump.log")"
	pass "tap -> afxdp: $g Gbit/s, segmented by the switch; tcpdump checked $n frames: no incorrect checksum"
else
	pass "tap -> afxdp: $g Gbit/s, segmented by the switch (tcpdump check skipped: no tcpdump on this host)"
fi

# The AF_PACKET + PACKET_VNET_HDR prototype is gone: "vnet" is refused
# like any unknown key, and no port is made.
out=$(swctl port-add "name=$PFX-p3" kind=afxdp "iface=$(ns_host 3)" xdp=false vnet=true 2>/dev/null)
jq_assert "port-add vnet=true" "$out" '.ok == false and .error == "unknown argument '"'vnet'"' for port-add"'
sw_err show-ports "name=$PFX-p3"
pass "port-add with \"vnet\": refused as an unknown argument, no port made"
sw_ok port-del "name=$PFX-x3" >/dev/null
ip netns del "$(ns_name 3)" # takes the veth pair with it
wait_until 5 sh -c "! ip -o link show | grep -q '$PFX'" || fail "the veth of namespace 3 stayed"

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
