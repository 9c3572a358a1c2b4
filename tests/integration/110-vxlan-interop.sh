#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vnl's VXLAN talks to other implementations (issue 15,
# docs/plans/vxlan.md section 4, "109-vxlan-interop", numbered 110): a vnl
# lab in host h1 shares LAN blue (VNI 100) with a Linux kernel vxlan device
# in a Linux bridge (h2) and, when Open vSwitch is installed, with OVS
# userspace (h3); without OVS, h3 is a second kernel host.
#
# Operations (hosts h1..h3 from tests/lib/vxlan.sh's vx_net: netns
# vi<PID>-hN, underlay uN with 192.0.2.N/24, UDP-tunnel GSO off; nodes b
# and c in netns vi<PID>-b, vi<PID>-c behind h2's and h3's bridges; the lab
# deployed inside h1 with nsenter --net; Linux peers with checksum offload
# off on their underlay veth, as with GSO):
#   1. deploy (blue: vni 100, remotes .2 and .3): a <-> b and a <-> c ping
#      both ways
#   2. split horizon: b and c do not reach each other through h1
#   3. MACs learned both sides: `vnl fdb blue` has b's MAC behind .2 and
#      c's behind .3; `bridge fdb show dev vxlan0` on h2 has a's MAC with
#      dst 192.0.2.1; OVS: `ovs-appctl fdb/show br-int` has it on port vx
#   4. 20 MiB over TCP a -> b, b -> a, a -> c: same sha256
#   5. one broadcast frame from a: h2's vxlan0 rx +1, h3's +1 (OVS: port
#      vx's rx from ovs-ofctl dump-ports)
#   6. on the wire (tcpdump on h1's bridge port p1): DF set, UDP checksum 0,
#      source ports in 32768..60999
#   6b. IPv6 underlay: LAN green (VNI 200, remotes 2001:db8::2 and ::3)
#      with h2's vxlan6 and node d: mtu 1430, ping both ways, 20 MiB TCP,
#      UDP checksums right on the wire; OVS: h3's br-int6 (vx6 over
#      2001:db8::3 on br-phy) and node e: ping both ways, 20 MiB e -> a
#   7. malformed datagrams from h2's kernel socket: counted on h1's
#      underlay (drop_vx_flags, drop_vx_short, drop_vx_vni), ping goes on
#   8. h3 goes away (underlay down): frames for it counted drop_no_neigh,
#      the switch alive, a <-> b unaffected

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
# shellcheck source=../lib/vxlan.sh
. "$VNL_SOURCE_DIR/tests/lib/vxlan.sh"

vnl_test_init 110-vxlan-interop
[ -f "$VNL_SOURCE_DIR/dataplane/port_vxlan.c" ] || skip_all "this tree's switch has no vxlan ports"
need_cmd nsenter tcpdump socat sha256sum python3 bridge
lab_new L1 vi
P=vi$$

# vx_net's needs (tests/lib/switchd.sh's, which this test does not use).
_NETNS=()
# shellcheck disable=SC2317 # called by vx_net
fail() { bail "$*"; }
OVS_PIDS=()
# shellcheck disable=SC2317 # called at cleanup
vi_cleanup() {
	local p n
	for p in "${OVS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait_for 5 bash -c "! kill -0 $p" || kill -KILL "$p" 2>/dev/null
	done
	for n in "${_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
}
at_cleanup vi_cleanup
vx_net "$P" 3

# vh N ARGS...: vnl run inside host N (its vnld and switch start there).
vh() { local h=$1; shift; timeout "$VNL_TIMEOUT" nsenter --net="/run/netns/$VX_H$h" "$VNL_BIN" "$@"; }
# sw ARGS...: the lab's switch.
sw() { timeout 20 "$SWCTL_BIN" -c -s "/run/vnetlab/$L1/switchd.sock" "$@"; }
# nx NODE CMD...: CMD in node NODE (b or c) of a kernel/OVS host.
nx() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# kernel_host I NODE ADDR: host I as Linux does VXLAN: vxlan0 (VNI 100,
# dstport 4789, dev uI, remote h1) and a veth to node NODE (ADDR/24) in a
# Linux bridge. Checksum offload off on uI: a veth hands on CHECKSUM_PARTIAL
# frames unfinished, and an XDP program on the other end reads the bytes
# (a real NIC would fill them in; vx_net already turned UDP-tunnel GSO off).
kernel_host() {
	local i=$1 n=$2 h=$VX_H$1
	ip netns exec "$h" ethtool -K "u$i" tx off >/dev/null || bail "ethtool -K u$i tx off in $h"
	ip netns add "$P-$n" || bail "ip netns add $P-$n"
	_NETNS+=("$P-$n")
	{ ip -n "$h" link add vxlan0 type vxlan id 100 dstport 4789 dev "u$i" local "192.0.2.$i" remote 192.0.2.1 &&
		ip -n "$h" link add br0 type bridge &&
		ip -n "$h" link set vxlan0 master br0 &&
		ip -n "$h" link add vn type veth peer name eth0 netns "$P-$n" &&
		ip -n "$h" link set vn mtu 1450 master br0 up &&
		ip -n "$h" link set vxlan0 up && ip -n "$h" link set br0 up &&
		ip -n "$P-$n" link set lo up &&
		ip -n "$P-$n" link set eth0 mtu 1450 up &&
		ip -n "$P-$n" addr add "$3/24" dev eth0; } || bail "kernel vxlan host h$i"
}
kernel_host 2 b 10.0.0.2
# IPv6: h2 again, vxlan6 (VNI 200, over 2001:db8::/64; Linux sends and
# wants UDP checksums there) in bridge br6 with a veth to node d.
ip netns add "$P-d" || bail "ip netns add $P-d"
_NETNS+=("$P-d")
{ ip -n "$VX_H"2 link add vxlan6 type vxlan id 200 dstport 4789 dev u2 local 2001:db8::2 remote 2001:db8::1 &&
	ip -n "$VX_H"2 link add br6 type bridge && ip -n "$VX_H"2 link set vxlan6 master br6 &&
	ip -n "$VX_H"2 link add vn6 type veth peer name eth0 netns "$P-d" &&
	ip -n "$VX_H"2 link set vn6 mtu 1430 master br6 up &&
	ip -n "$VX_H"2 link set vxlan6 up && ip -n "$VX_H"2 link set br6 up &&
	ip -n "$P-d" link set lo up && ip -n "$P-d" link set eth0 mtu 1430 up &&
	ip -n "$P-d" addr add 10.0.6.2/24 dev eth0; } || bail "IPv6 kernel vxlan in h2"

# ovs_host I NODE ADDR: host I as Open vSwitch userspace does VXLAN: a
# private ovsdb-server and ovs-vswitchd (run inside host I: its routes and
# neighbours are host I's), netdev bridges br-phy (the underlay uI and the
# address, moved from uI to br-phy's tap) and br-int (port vx: vxlan,
# remote h1, key 100; port vn: a veth to node NODE).
OVS_DIR=
ovsv() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovsa() { ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" "$@"; }
ovs_host() {
	local i=$1 n=$2 h=$VX_H$1
	OVS_DIR=$TMP/ovs
	mkdir -p "$OVS_DIR"
	export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR
	ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema >/dev/null || return 1
	ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
		--log-file="$OVS_DIR/ovsdb-server.log" --no-chdir -vconsole:off 2>"$OVS_DIR/ovsdb-server.stderr" &
	OVS_PIDS+=("$!")
	wait_for 30 test -S "$OVS_DIR/db.sock" || return 1
	ovsv --no-wait init || return 1
	nsenter --net="/run/netns/$h" ovs-vswitchd "unix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" \
		--log-file="$OVS_DIR/ovs-vswitchd.log" --no-chdir -vconsole:off 2>"$OVS_DIR/ovs-vswitchd.stderr" &
	OVS_PIDS+=("$!")
	wait_for 30 test -S "$OVS_DIR/ovs-vswitchd.ctl" || return 1
	ip netns add "$P-$n" || return 1
	_NETNS+=("$P-$n")
	ip -n "$h" link add vn type veth peer name eth0 netns "$P-$n" || return 1
	# OVS's system ports read frames with AF_PACKET, bytes as they are: no
	# 64 KB TCP segments, no checksums left to an offload.
	ip netns exec "$P-$n" ethtool -K eth0 tx off tso off gso off >/dev/null || return 1
	{ ip -n "$h" link set vn mtu 1450 up && ip -n "$P-$n" link set lo up &&
		ip -n "$P-$n" link set eth0 mtu 1450 up && ip -n "$P-$n" addr add "$3/24" dev eth0; } || return 1
	ovsv add-br br-phy -- set bridge br-phy datapath_type=netdev -- add-port br-phy "u$i" || return 1
	{ ip -n "$h" addr flush dev "u$i" && ip -n "$h" addr add "192.0.2.$i/24" dev br-phy &&
		ip -n "$h" link set br-phy up; } || return 1
	ovsv add-br br-int -- set bridge br-int datapath_type=netdev \
		-- add-port br-int vx -- set interface vx type=vxlan options:remote_ip=192.0.2.1 options:key=100 \
		-- add-port br-int vn || return 1
	ip -n "$h" link set br-int up
	# IPv6: 2001:db8::I on br-phy too; br-int6 (port vx6: vxlan, remote
	# 2001:db8::1, key 200; port vn6: a veth to node e, 10.0.6.3).
	ip netns add "$P-e" || return 1
	_NETNS+=("$P-e")
	{ ip -n "$h" addr add "2001:db8::$i/64" dev br-phy nodad &&
		ip -n "$h" link add vn6 type veth peer name eth0 netns "$P-e" &&
		ip -n "$h" link set vn6 mtu 1430 up && ip -n "$P-e" link set lo up &&
		ip -n "$P-e" link set eth0 mtu 1430 up && ip -n "$P-e" addr add 10.0.6.3/24 dev eth0; } || return 1
	ip netns exec "$P-e" ethtool -K eth0 tx off tso off gso off >/dev/null || return 1
	ovsv add-br br-int6 -- set bridge br-int6 datapath_type=netdev \
		-- add-port br-int6 vx6 -- set interface vx6 type=vxlan options:remote_ip=2001:db8::1 options:key=200 \
		-- add-port br-int6 vn6 || return 1
	ip -n "$h" link set br-int6 up
}
if command -v ovs-vswitchd >/dev/null && command -v ovsdb-server >/dev/null && [ -r /usr/share/openvswitch/vswitch.ovsschema ]; then
	H3KIND=ovs
	ovs_host 3 c 10.0.0.3 || bail "Open vSwitch in h3 did not start: $(tail -n 5 "$OVS_DIR"/*.log 2>/dev/null)"
else
	# The OVS half needs openvswitch-switch (scripts/packages-test.txt).
	diag "SKIP the OVS half: Open vSwitch is not installed; h3 is a second Linux host"
	H3KIND=kernel
	kernel_host 3 c 10.0.0.3
fi

cat >"$TMP/h1.yaml" <<'EOF'
lans:
  - name: blue
    vxlan:
      vni: 100
      remote: [192.0.2.2, 192.0.2.3]
  - name: green
    vxlan:
      vni: 200
      remote: ["2001:db8::2", "2001:db8::3"]
nodes:
  - name: a
    kind: ns
    nics: 2
links:
  - a:0 blue 10.0.0.1/24
  - a:1 green 10.0.6.1/24
EOF

# --- 1. deploy, ping ----------------------------------------------------------
OUT=$(vh 1 --lab "$L1" deploy "$TMP/h1.yaml" 2>&1)
RC=$?
result "$RC" "the lab deploys in h1" "$OUT"
[ "$RC" = 0 ] || bail "cannot deploy: $OUT"
lab_record_ifs "$L1"
# nping NODE ADDR: NODE (b or c) pings ADDR (waits up to 10 s for a first answer).
nping() { wait_for 10 nx "$1" ping -n -q -c 1 -W 1 "$2" && nx "$1" ping -n -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
check_ping "a (vnl) pings b (Linux vxlan)" a 10.0.0.2
result "$(nping b 10.0.0.1; echo $?)" "b (Linux vxlan) pings a (vnl)"
check_ping "a (vnl) pings c ($H3KIND)" a 10.0.0.3
result "$(nping c 10.0.0.1; echo $?)" "c ($H3KIND) pings a (vnl)"

# --- 2. split horizon ------------------------------------------------------------
result "$(! nx b ping -n -q -c 3 -i 0.2 -W 1 10.0.0.3 >/dev/null 2>&1; echo $?)" \
	"split horizon: b does not reach c through h1"
result "$(! nx c ping -n -q -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null 2>&1; echo $?)" \
	"split horizon: c does not reach b through h1"

# --- 3. MACs learned on both sides ----------------------------------------------------
BMAC=$(nx b cat /sys/class/net/eth0/address)
AMAC=$(vnl show -j a | jq -r '.node.interfaces[0].mac')
jcheck "vnl fdb blue: b's MAC behind remote 192.0.2.2" "$(vnl fdb -j blue)" \
	"any(.entries[]; .mac == \"$BMAC\" and .remote == \"192.0.2.2\")"
F=$(bridge -n "$VX_H"2 fdb show dev vxlan0)
result "$(grep -q "^$AMAC .*dst 192.0.2.1" <<<"$F"; echo $?)" "h2 learned a's MAC ($AMAC) on vxlan0 behind 192.0.2.1" "$F"
CMAC=$(nx c cat /sys/class/net/eth0/address)
jcheck "vnl fdb blue: c's MAC behind remote 192.0.2.3" "$(vnl fdb -j blue)" \
	"any(.entries[]; .mac == \"$CMAC\" and .remote == \"192.0.2.3\")"
if [ "$H3KIND" = ovs ]; then
	F=$(ovsa fdb/show br-int)
	VXNO=$(ovsv get interface vx ofport)
	result "$(awk -v p="$VXNO" -v m="$AMAC" '$1 == p && $3 == m {f = 1} END {exit !f}' <<<"$F"; echo $?)" \
		"OVS learned a's MAC ($AMAC) on br-int's vx (port $VXNO)" "$F"
fi

# --- 4. TCP ----------------------------------------------------------------------------
head -c $((20 << 20)) /dev/urandom >"$TMP/src" || bail "20 MiB of random"
SUM=$(sha256sum <"$TMP/src" | cut -d' ' -f1)
# tcp_check DESC RECEIVER-CMD-PREFIX SENDER-CMD-PREFIX ADDR PORT: 20 MiB
# through TCP; what arrived has the source's sha256.
tcp_check() {
	local desc=$1 rx=$2 tx=$3 addr=$4 port=$5 pid got
	# shellcheck disable=SC2086 # a command prefix, several words
	$rx timeout 60 socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$TMP/dst.$port,creat,trunc" &
	pid=$!
	bg_track "$pid"
	wait_for 5 bash -c "$rx ss -Htln 'sport = :$port' | grep -q ."
	# shellcheck disable=SC2086 # a command prefix, several words
	$tx timeout 60 socat -u "OPEN:$TMP/src" "TCP:$addr:$port"
	wait "$pid"
	got=$(sha256sum <"$TMP/dst.$port" | cut -d' ' -f1)
	result "$([ "$got" = "$SUM" ]; echo $?)" "$desc: same sha256" "got $got ($(stat -c %s "$TMP/dst.$port") bytes)"
	rm -f "$TMP/dst.$port"
}
tcp_check "20 MiB a -> b over TCP" "ip netns exec $P-b" "vnl exec a --" 10.0.0.2 5101
tcp_check "20 MiB b -> a over TCP" "vnl exec a --" "ip netns exec $P-b" 10.0.0.1 5102
tcp_check "20 MiB a -> c ($H3KIND) over TCP" "ip netns exec $P-c" "vnl exec a --" 10.0.0.3 5103
tcp_check "20 MiB c ($H3KIND) -> a over TCP" "vnl exec a --" "ip netns exec $P-c" 10.0.0.1 5105

# --- 5. a broadcast reaches each host once ------------------------------------------
# vx_rx I: rx packets of host I's vxlan0 (OVS: of its port vx, read live).
vx_rx() {
	if [ "$1" = 3 ] && [ "$H3KIND" = ovs ]; then
		ovs-ofctl dump-ports br-int vx | sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p'
	else
		ip -n "$VX_H$1" -s -j link show dev vxlan0 | jq '.[0].stats64.rx.packets'
	fi
}
# One frame to ff:ff:ff:ff:ff:ff, ethertype 0x88b5 (local experimental), from
# a's eth0; a node's own chatter (ND, ARP) may land in the same window: retried.
# bcast [NODE]: from a, or from NODE (b or c).
bcast() {
	local ex=(vnl exec a --)
	[ -n "${1:-}" ] && ex=(ip netns exec "$P-$1")
	"${ex[@]}" python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
mac = open("/sys/class/net/eth0/address").read().strip().replace(":", "")
s.send(bytes.fromhex("ffffffffffff" + mac + "88b5") + bytes(46))'
}
# OVS's port counters trail the traffic before (the TCP): wait until they stand still.
# shellcheck disable=SC2317 # called by wait_for
steady() { local x; x=$(vx_rx 3); sleep 0.5; [ "$(vx_rx 3)" = "$x" ]; }
for try in 1 2 3 4 5; do
	wait_for 10 steady
	R2=$(vx_rx 2) R3=$(vx_rx 3)
	bcast || bail "cannot send the broadcast from a"
	sleep 1
	D2=$(($(vx_rx 2) - R2)) D3=$(($(vx_rx 3) - R3))
	[ "$D2" = 1 ] && [ "$D3" = 1 ] && break
	diag "broadcast try $try: h2 +$D2, h3 +$D3"
done
result "$([ "$D2" = 1 ]; echo $?)" "a broadcast from a: h2's vxlan0 rx +1" "+$D2"
result "$([ "$D3" = 1 ]; echo $?)" "a broadcast from a: h3 got it once" "+$D3"
# pcount NAME COUNTER: COUNTER of the lab switch's port NAME.
pcount() { sw show-ports "name=$1" | jq ".ports[0].counters.$2"; }
for try in 1 2 3 4 5; do
	R=$(pcount blue:vxlan rx_packets) T=$(pcount a-0 tx_packets)
	bcast b || bail "cannot send the broadcast from b"
	sleep 1
	DR=$(($(pcount blue:vxlan rx_packets) - R)) DT=$(($(pcount a-0 tx_packets) - T))
	[ "$DR" = 1 ] && [ "$DT" = 1 ] && break
	diag "broadcast from b, try $try: blue:vxlan rx +$DR, a-0 tx +$DT"
done
result "$([ "$DR" = 1 ] && [ "$DT" = 1 ]; echo $?)" "a broadcast from b reaches a once (blue:vxlan rx +1, a-0 tx +1)" \
	"rx +$DR, tx +$DT"

# --- 6. on the wire -----------------------------------------------------------------------
# wire FILE N ADDR FILTER...: N pings from a to ADDR while tcpdump -vv on p1
# (h1's underlay, the bridge's end) writes N frames of FILTER to FILE.
wire() {
	local f=$1 n=$2 addr=$3 td
	shift 3
	ip netns exec "$VX_NET" tcpdump -i p1 -nn -vv -c "$n" -Q in "$@" >"$f" 2>&1 &
	td=$!
	bg_track "$td"
	sleep 1
	vnl exec a -- ping -n -q -c "$n" -i 0.2 "$addr" >/dev/null 2>&1
	wait_for 5 bash -c "! kill -0 $td 2>/dev/null"
}
wire "$TMP/wire" 6 10.0.0.2 udp dst port 4789 and dst host 192.0.2.2
N=$(grep -c 'VXLAN' "$TMP/wire")
result "$([ "$N" = 6 ]; echo $?)" "tcpdump on p1 saw 6 VXLAN frames to h2" "$(cat "$TMP/wire")"
result "$([ "$(grep -c 'flags \[DF\], proto UDP' "$TMP/wire")" = "$N" ]; echo $?)" "on the wire: DF set" "$(cat "$TMP/wire")"
result "$([ "$(grep -c 'no cksum' "$TMP/wire")" = "$N" ]; echo $?)" "on the wire: UDP checksum 0" "$(cat "$TMP/wire")"
PORTS=$(sed -n 's/.*192\.0\.2\.1\.\([0-9]*\) > 192\.0\.2\.2\.4789.*/\1/p' "$TMP/wire")
result "$([ "$(wc -l <<<"$PORTS")" = "$N" ] && awk '$1 < 32768 || $1 > 60999 {bad = 1} END {exit bad}' <<<"$PORTS"; echo $?)" \
	"on the wire: source ports in 32768..60999" "$(tr '\n' ' ' <<<"$PORTS")"
result "$([ "$(sort -u <<<"$PORTS" | wc -l)" = 1 ]; echo $?)" "on the wire: one source port for one flow" "$(tr '\n' ' ' <<<"$PORTS")"
# Another inner flow (a -> c): another source port.
wire "$TMP/wire3" 3 10.0.0.3 udp dst port 4789 and dst host 192.0.2.3
PORT3=$(sed -n 's/.*192\.0\.2\.1\.\([0-9]*\) > 192\.0\.2\.3\.4789.*/\1/p' "$TMP/wire3" | sort -u)
result "$([ "$(wc -l <<<"$PORT3")" = 1 ] && [ -n "$PORT3" ] && [ "$PORT3" != "$(head -n 1 <<<"$PORTS")" ]; echo $?)" \
	"on the wire: another flow (a -> c), another source port" "a -> b: $(head -n 1 <<<"$PORTS"), a -> c: $PORT3"

# --- 6b. IPv6 underlay ----------------------------------------------------------------------
jcheck "green over IPv6: mtu 1430 (70 of overhead)" "$(vnl show -j green)" '.lan.mtu == 1430'
check_ping "a (vnl) pings d (Linux vxlan over IPv6)" a 10.0.6.2
result "$(nping d 10.0.6.1; echo $?)" "d (Linux vxlan over IPv6) pings a (vnl)"
if [ "$H3KIND" = ovs ]; then
	check_ping "a (vnl) pings e (OVS over IPv6)" a 10.0.6.3
	result "$(nping e 10.0.6.1; echo $?)" "e (OVS over IPv6) pings a (vnl)"
	tcp_check "20 MiB e (OVS over IPv6) -> a over TCP" "vnl exec a --" "ip netns exec $P-e" 10.0.6.1 5106
fi
tcp_check "20 MiB a -> d over TCP, IPv6 underlay" "ip netns exec $P-d" "vnl exec a --" 10.0.6.2 5104
wire "$TMP/wire6" 4 10.0.6.2 ip6 and udp dst port 4789
result "$([ "$(grep -c '2001:db8::1\.[0-9]* > 2001:db8::2\.4789: \[udp sum ok\] VXLAN, flags \[I\] (0x08), vni 200' "$TMP/wire6")" = 4 ]; echo $?)" \
	"on the IPv6 wire: 4 frames to h2, UDP checksum right" "$(cat "$TMP/wire6")"

# --- 7. malformed datagrams from h2's kernel ----------------------------------------------
# ucount NAME: counter NAME summed over the switch's underlay ports.
ucount() { sw show-ports | jq "[.ports[] | select(.name | startswith(\"@\")) | .counters.$1] | add // 0"; }
inner=ffffffffffff$(tr -d : <<<"$BMAC")88b5$(printf '00%.0s' $(seq 46))
F0=$(ucount drop_vx_flags) S0=$(ucount drop_vx_short) V0=$(ucount drop_vx_vni)
vx_send 2 192.0.2.2 192.0.2.1 "0c00000000006400$inner"   # flags: I and a reserved bit
vx_send 2 192.0.2.2 192.0.2.1 "0800000000006400ffff"     # inner frame < 14 bytes
vx_send 2 192.0.2.2 192.0.2.1 "0800000000006500$inner"   # VNI 101: none here
wait_for 5 bash -c "[ \"\$($SWCTL_BIN -c -s /run/vnetlab/$L1/switchd.sock show-ports | jq '[.ports[] | select(.name | startswith(\"@\")) | .counters.drop_vx_vni] | add')\" -gt $V0 ]"
F1=$(ucount drop_vx_flags) S1=$(ucount drop_vx_short) V1=$(ucount drop_vx_vni)
result "$([ $((F1 - F0)) = 1 ] && [ $((S1 - S0)) = 1 ] && [ $((V1 - V0)) = 1 ]; echo $?)" \
	"malformed from h2's kernel: drop_vx_flags, drop_vx_short, drop_vx_vni +1 each" \
	"flags $F0 -> $F1, short $S0 -> $S1, vni $V0 -> $V1"
check_ping "a still pings b" a 10.0.0.2

# --- 8. a remote goes away -------------------------------------------------------------------
SW0=$(vnl show -j | jq -r .switch.pid)
ip -n "$VX_H"3 link set u3 down || bail "u3 down"
ip -n "$VX_H"1 neigh flush to 192.0.2.3 dev u1
rstate() { sw show-ports name=blue:vxlan | jq -r ".ports[0].remotes[] | select(.ip == \"192.0.2.3\") | .$1"; }
wait_for 10 bash -c "[ \"\$($SWCTL_BIN -c -s /run/vnetlab/$L1/switchd.sock show-ports name=blue:vxlan | jq -r '.ports[0].remotes[] | select(.ip == \"192.0.2.3\") | .state')\" != resolved ]"
N0=$(rstate counters.drop_no_neigh)
bcast
sleep 0.5
N1=$(rstate counters.drop_no_neigh)
result "$([ "$(rstate state)" != resolved ] && [ "$((N1 - N0))" -ge 1 ]; echo $?)" \
	"h3 gone: remote 192.0.2.3 not resolved, a flood's copy for it counted drop_no_neigh" \
	"state $(rstate state), drop_no_neigh $N0 -> $N1"
check_ping "h3 gone: a still pings b" a 10.0.0.2
result "$(nping b 10.0.0.1; echo $?)" "h3 gone: b still pings a"
result "$([ "$(vnl show -j | jq -r .switch.pid)" = "$SW0" ]; echo $?)" "h3 gone: the same switch (no crash)"

vh 1 --lab "$L1" stop >/dev/null 2>&1
result "$([ -z "$(lab_pids "$L1")" ] && ! ip -n "$VX_H"1 -d link show dev u1 | grep -q 'prog/xdp'; echo $?)" \
	"stop: nothing left of the lab, no XDP program on u1"
done_testing
