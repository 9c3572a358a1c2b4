#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the VXLAN underlay's receive side (docs/plans/vxlan.md step
# 5a): a vxlan port on a host interface in another netns steers VXLAN to
# the switch with our XDP program, decapsulates it into its LAN and learns
# the inner source MAC with its remote; the host's own traffic on that
# interface still works; every malformed kind is counted exactly and
# nothing of it forwarded; port-add refuses bad requests with one-line
# errors and leaves nothing; port-del removes the program, the keys, the
# reserved socket and the underlay port, and gives every buffer back.
#
# Operations:
#   1. the underlay network (plan section 4): netns NET with a Linux bridge,
#      hosts H1 and H2 each with a veth into it (explicit ifindexes, so
#      libxdp's dispatcher pins of two netns cannot collide), 192.0.2.1 and
#      .2/24; a tap node A (10.77.33.1/24); one switch; LAN a (mtu 1450) =
#      tap A + vxlan port (vni 100, remote 192.0.2.2, iface H1's end in H1)
#   2. show-ports: the vxlan port (vni, local 192.0.2.1 from the route,
#      remote resolving, underlay @NETNS:IFACE) and the underlay (program
#      attached, key 192.0.2.1:4789, VNI 100); `ip -d link` in H1 shows the
#      program, `ss` the reserved UDP socket
#   3. H2's kernel UDP socket sends one valid VXLAN datagram with an inner
#      broadcast: tcpdump on A counts exactly 1; the tap port sent 1; the
#      MAC is learned on the vxlan port (with remote 192.0.2.2 where
#      show-fdb says it); the remote's rx counters and last_rx; steered >= 1;
#      ping H1 -> H2 on the underlay works while the program runs
#   4. malformed, from H2: 7-byte payload, 8 + 13, flags 0x00, flags 0x0c,
#      VNI 999, reserved byte set, a valid one from an alias address that is
#      not a remote, a wrong IPv4 header checksum, one to another MAC:
#      drop_vx_short 2, drop_vx_flags 3, drop_vx_vni 1, drop_vx_csum 1,
#      drop_vx_not_host 1 on the underlay, drop_vx_remote 1 on the vxlan port; A sees none of them
#      (tcpdump by their source MAC), the LAN flooded nothing more
#   4b. IPv6 on the same underlay: a vxlan port with an IPv6 remote adds
#      the key [2001:db8::1]:4789; a datagram from H2's kernel is received
#      from its remote; one with UDP checksum 0 (raw socket) is drop_vx_csum
#   5. port-add errors: unknown iface, local not on the iface, VNI taken,
#      UDP port held by a kernel vxlan device (up in H1), mixed families,
#      an interface of nine rx queues (the count and the ethtool -L hint),
#      LAN mtu 1500 over a 1500 underlay (attach): one-line errors, the
#      port list unchanged
#   5b. an afxdp port-add on an underlay's interface (our netns) is refused
#      before it detaches anything: the program stays, VXLAN still received;
#      a vxlan port added while the underlay's carrier is down is down, up
#      with the carrier
#   5c. an underlay of two rx queues (plan step 9): a veth m1 (H1) <-> m2
#      (H2), two queues each way; with a foreign AF_XDP socket on m1's queue
#      1 the port-add fails halfway (queue 0's socket opened) naming the
#      queue, and leaves no program, socket or fd; without it, one socket
#      per queue (show: queues 2, sockets), and 24 datagrams from 24 UDP
#      source ports (m2's kernel picks the tx queue, so m1's rx queue, by
#      flow hash) land on both sockets and are all decapsulated; port-del
#      leaves no fd
#   6. port-del: no underlay port, no program (`ip -d link`), no reserved
#      socket, mbufs in use back to the count before step 3
#   7. port-add again, kill -9 the switch: the program stays (host ping on
#      the underlay still works); a new switch's port-add removes it (logged)
#      and its port-del leaves none
#   8. SIGTERM with a vxlan port present: a clean exit (the ports close
#      before the control loop is freed: under ASan no report), no program,
#      no reserved socket

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"
# shellcheck source=../lib/vxlan.sh
. "$VNL_SOURCE_DIR/tests/lib/vxlan.sh"

vnl_init 33-vxlan-underlay
need_hugepages 256
need_xdp
need_cmd tcpdump python3 ss
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

# --- 1. the underlay network and the switch ---
U=vu$$
NET=$U-net
H1=$U-h1
H2=$U-h2
# ifindexes: distinct per run (PID-based), for libxdp's dispatcher pins
IDX=$((20000 + ($$ % 9000) * 8))  # 8 per pid: u1 p1 u2 p2 (2..5), m1 m2 (6, 7)
vu_netns() {
	ip netns add "$1" || fail "ip netns add $1"
	_NETNS+=("$1")
	ip -n "$1" link set lo up
}
vu_netns "$NET"
ip -n "$NET" link add br0 type bridge || fail "bridge in $NET"
ip -n "$NET" link set br0 up
# A plain wire: br_netfilter (where loaded) would drop step 4's frame with a
# wrong IPv4 header checksum before it reaches H1.
ip netns exec "$NET" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
for h in 1 2; do
	vu_netns "$U-h$h"
	ip -n "$U-h$h" link add "u$h" index $((IDX + h * 2)) type veth \
		peer name "p$h" index $((IDX + h * 2 + 1)) netns "$NET" ||
		fail "veth u$h (index $((IDX + h * 2))) in $U-h$h"
	ip -n "$NET" link set "p$h" master br0 up || fail "p$h into br0"
	ip -n "$U-h$h" addr add "192.0.2.$h/24" dev "u$h" || fail "address of u$h"
	ip -n "$U-h$h" link set "u$h" up || fail "u$h up"
	# As plan section 4: no UDP-tunnel GSO on the Linux side of an underlay.
	ip netns exec "$U-h$h" ethtool -K "u$h" tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off \
		>/dev/null 2>&1
done

# libxdp's dispatcher pins of our indexes go at exit (tests/lib/vxlan.sh).
vx_pins_on_exit $((IDX + 2)) $((IDX + 4))

switchd_start
tap_ns 1 10.77.33.1/24
A=$PFX-a
TA=$PFX-ta
VX=$PFX-vx
UL="@$H1:u1"
sw_ok lan-add "name=$A" mtu=1450 >/dev/null
sw_ok port-add "name=$TA" kind=tap "netns=/run/netns/$(ns_name 1)" iface=eth0 >/dev/null
r=$(sw_ok port-add "name=$VX" kind=vxlan vni=100 'remote:=["192.0.2.2"]' iface=u1 "netns=/run/netns/$H1")
jq_assert "port-add vxlan reply" "$r" \
	".port.kind == \"vxlan\" and .port.vni == 100 and .port.local == \"192.0.2.1\" and .port.dstport == 4789
	 and .port.underlay == \"$UL\" and .port.family == \"ipv4\" and .port.overhead == 50
	 and (.port.remotes | length == 1) and .port.remotes[0].ip == \"192.0.2.2\" and .port.remotes[0].index == 0"
sw_ok attach "port=$TA" "lan=$A" >/dev/null
sw_ok attach "port=$VX" "lan=$A" >/dev/null
wait_until 10 port_is_up "$TA" || fail "$TA not up"

# --- 2. what the underlay holds ---
ul=$(port_json "$UL")
jq_assert "underlay port" "$ul" \
	".kind == \"underlay\" and .iface == \"u1\" and .ifindex == $((IDX + 2)) and .queues == 1 and .mtu == 1500
	 and .keys == [\"192.0.2.1:4789\"] and .vnis == [{\"vni\": 100, \"port\": \"$VX\"}] and .lan == null
	 and .xdp.program == \"vnl_vxlan_steer\" and .xdp.id > 0"
ip -n "$H1" -d link show dev u1 | grep -q 'prog/xdp' || fail "no XDP program on u1: $(ip -n "$H1" -d link show dev u1)"
ip netns exec "$H1" ss -Hulnp | grep -q '192.0.2.1:4789' ||
	fail "no reserved UDP socket on 192.0.2.1:4789: $(ip netns exec "$H1" ss -Huln)"
jq_assert "show-workers skips the vxlan port" "$(sw_ok show-workers)" \
	"[.workers[].ports[]] | (index(\"$VX\") == null) and (index(\"$UL\") != null)"
pass "vxlan port $VX on $UL: program $(jq .xdp.id <<<"$ul") in $(jq -r .xdp.mode <<<"$ul") mode, key 192.0.2.1:4789"

# --- 3. one valid frame from H2's kernel ---
# vx_send SRC PAYLOAD_HEX: one UDP datagram from SRC (in H2) to 192.0.2.1:4789.
vx_send() {
	ip netns exec "$H2" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex(sys.argv[2]), ("192.0.2.1", 4789))' "$1" "$2" || fail "sending from $1 in $H2"
}
HDR=0800000000006400              # flags 0x08, VNI 100, reserved 0
INNER_OK=ffffffffffff02000000990188b5$(printf '00%.0s' {1..46})
INNER_BAD=ffffffffffff02000000990288b5$(printf '00%.0s' {1..46})
mbufs0=$(sw_ok show-workers | jq .mbufs.in_use)

nsx_bg 1 tcpdump -i eth0 -n -U -w "$TMP/a.pcap" ether src 02:00:00:00:99:01 or ether src 02:00:00:00:99:02
TCPD=$BG_PID
sleep 1
sw_ok clear-counters >/dev/null
vx_send 192.0.2.2 "$HDR$INNER_OK"
wait_until 5 sh -c "$SWCTL show-ports name=$TA | jq -e '.ports[0].counters.tx_packets == 1'" ||
	fail "the decapsulated frame did not reach $TA: $(port_json "$TA" | jq -c .counters)"
fdb=$(sw_ok show-fdb "lan=$A")
jq_assert "inner MAC learned on the vxlan port" "$fdb" \
	"[.entries[] | select(.mac == \"02:00:00:00:99:01\")] | length == 1 and .[0].port == \"$VX\"
	 and ((.[0].remote // \"192.0.2.2\") == \"192.0.2.2\")"
vxj=$(port_json "$VX")
jq_assert "remote's rx counters" "$vxj" \
	".remotes[0].counters.rx_packets == 1 and .remotes[0].counters.rx_bytes == 60 and .remotes[0].last_rx != null
	 and .counters.rx_packets == 1 and .counters.drop_vx_remote == 0"
jq_assert "steered" "$(port_json "$UL")" ".xdp.steered >= 1 and .counters.drop_vx_short == 0"
ip netns exec "$H1" ping -n -q -c 3 -i 0.2 -W 2 192.0.2.2 >"$TMP/ping.log" 2>&1 ||
	fail "ping H1 -> H2 on the underlay while steering: $(cat "$TMP/ping.log")"
pass "a VXLAN frame from H2's kernel: decapsulated to A, learned on $VX; host ping on the underlay works"

# --- 4. malformed ---
flooded0=$(lan_json "$A" | jq .counters.flooded)
vx_send 192.0.2.2 08000000000064                          # 7 bytes: no room for a header
vx_send 192.0.2.2 "$HDR${INNER_BAD:0:26}"                  # inner frame of 13 bytes
vx_send 192.0.2.2 "0000000000006400$INNER_BAD"             # flags 0x00
vx_send 192.0.2.2 "0c00000000006400$INNER_BAD"             # flags 0x0c
vx_send 192.0.2.2 "080000000003e700$INNER_BAD"             # VNI 999
vx_send 192.0.2.2 "0800000000006401$INNER_BAD"             # reserved byte after the VNI
ip -n "$H2" addr add 192.0.2.12/24 dev u2 || fail "alias on u2"
vx_send 192.0.2.12 "$HDR$INNER_BAD"                        # valid, from an address not a remote
# vx_raw DST_MAC CSUM PAYLOAD_HEX: 192.0.2.2 -> 192.0.2.1:4789 written whole
# on H2's u2 (AF_PACKET), its IPv4 header checksum right (CSUM ok) or not.
vx_raw() {
	ip netns exec "$H2" python3 -c '
import socket, struct, sys
p = bytes.fromhex(sys.argv[3])
udp = struct.pack("!HHHH", 40000, 4789, 8 + len(p), 0) + p
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                 socket.inet_aton("192.0.2.2"), socket.inet_aton("192.0.2.1"))
c = sum(struct.unpack("!10H", ip))
c = (c & 0xffff) + (c >> 16)
c = ~((c & 0xffff) + (c >> 16)) & 0xffff
if sys.argv[2] != "ok":
    c ^= 0x0101
ip = ip[:10] + struct.pack("!H", c) + ip[12:]
src = bytes.fromhex(open("/sys/class/net/u2/address").read().strip().replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("u2", 0))
s.send(bytes.fromhex(sys.argv[1].replace(":", "")) + src + b"\x08\x00" + ip + udp)' "$@" ||
		fail "raw frame from $H2"
}
U1MAC=$(ip netns exec "$H1" cat /sys/class/net/u1/address)
vx_raw "$U1MAC" bad "$HDR$INNER_BAD"                       # IPv4 header checksum wrong
vx_raw 02:00:00:00:00:77 ok "$HDR$INNER_BAD"               # to another host's MAC (flooded by br0)
want_ul='.counters | .drop_vx_short == 2 and .drop_vx_flags == 3 and .drop_vx_vni == 1 and .drop_vx_csum == 1
	 and .drop_vx_not_host == 1'
wait_until 5 sh -c "$SWCTL show-ports name=$UL | jq -e '.ports[0] | $want_ul'" ||
	fail "underlay counters: $(port_json "$UL" | jq -c '.counters | with_entries(select(.key | test("vx")))')"
jq_assert "drop_vx_remote on the vxlan port" "$(port_json "$VX")" \
	".counters.drop_vx_remote == 1 and .counters.rx_packets == 1 and .remotes[0].counters.rx_packets == 1"
jq_assert "nothing more flooded" "$(lan_json "$A")" ".counters.flooded == $flooded0"
jq_assert "$TA sent nothing more" "$(port_json "$TA")" ".counters.tx_packets == 1"
sleep 0.5
stop_pid "$TCPD" INT
# One line per frame (an unknown ethertype adds indented hex lines).
n_ok=$(tcpdump -n -r "$TMP/a.pcap" ether src 02:00:00:00:99:01 2>/dev/null | grep -vc '^[[:space:]]')
n_bad=$(tcpdump -n -r "$TMP/a.pcap" ether src 02:00:00:00:99:02 2>/dev/null | grep -vc '^[[:space:]]')
[ "$n_ok" = 1 ] && [ "$n_bad" = 0 ] || fail "tcpdump on A: $n_ok valid frame(s) (want 1), $n_bad malformed (want 0)"
pass "malformed: short 2, flags 3, vni 1, IPv4 header checksum 1, another MAC 1 on $UL, remote 1 on $VX; A saw the 1 valid frame only"

# --- 4b. IPv6 on the same underlay: a second key, the UDP checksum checked ---
ip -n "$H1" addr add 2001:db8::1/64 dev u1 nodad || fail "IPv6 address of u1"
ip -n "$H2" addr add 2001:db8::2/64 dev u2 nodad || fail "IPv6 address of u2"
# H2's kernel must finish its UDP checksums (a veth leaves them partial).
ip netns exec "$H2" ethtool -K u2 tx off >/dev/null || fail "ethtool -K u2 tx off"
VX6=$PFX-vx6
sw_ok lan-add "name=$PFX-b" mtu=1430 >/dev/null
r=$(sw_ok port-add "name=$VX6" kind=vxlan vni=200 'remote:=["2001:db8::2"]' iface=u1 local=2001:db8::1 \
	"netns=/run/netns/$H1")
jq_assert "port-add vxlan IPv6" "$r" '.port.family == "ipv6" and .port.overhead == 70 and .port.underlay == "'"$UL"'"'
sw_ok attach "port=$VX6" "lan=$PFX-b" >/dev/null
jq_assert "two keys" "$(port_json "$UL")" '.keys | sort == ["192.0.2.1:4789", "[2001:db8::1]:4789"]'
# vx6_send PAYLOAD_HEX [raw]: from 2001:db8::2 to [2001:db8::1]:4789, by a UDP
# socket (the kernel's checksum) or, with raw, a raw socket whose UDP header
# carries checksum 0 (refused on IPv6).
vx6_send() {
	ip netns exec "$H2" python3 -c '
import socket, struct, sys
p = bytes.fromhex(sys.argv[1])
if len(sys.argv) > 2:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind(("2001:db8::2", 0))
    s.sendto(struct.pack("!HHHH", 40000, 4789, 8 + len(p), 0) + p, ("2001:db8::1", 0))
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("2001:db8::2", 0))
    s.sendto(p, ("2001:db8::1", 4789))' "$@" || fail "sending IPv6 from $H2"
}
vx6_send "080000000000c800$INNER_OK"
vx6_send "080000000000c800$INNER_OK" raw
wait_until 5 sh -c "$SWCTL show-ports name=$VX6 | jq -e '.ports[0].remotes[0].counters.rx_packets == 1'" ||
	fail "IPv6 VXLAN frame not received on $VX6: $(port_json "$VX6" | jq -c '.remotes')"
wait_until 5 sh -c "$SWCTL show-ports name=$UL | jq -e '.ports[0].counters.drop_vx_csum == 2'" ||
	fail "IPv6 checksum 0 not counted: $(port_json "$UL" | jq -c '.counters | with_entries(select(.key | test("vx")))')"
jq_assert "$TA saw nothing of LAN b" "$(port_json "$TA")" ".counters.tx_packets == 1"
pass "IPv6: key [2001:db8::1]:4789, a datagram from H2 received on $VX6, a zero UDP checksum counted drop_vx_csum"

# --- 5. port-add errors ---
nports=$(sw_ok show-ports | jq '.ports | length')
SOFT=1
sw_err port-add "name=$PFX-e1" kind=vxlan vni=101 'remote:=["192.0.2.2"]' iface=nope "netns=/run/netns/$H1"
sw_err port-add "name=$PFX-e2" kind=vxlan vni=102 'remote:=["192.0.2.2"]' iface=u1 local=192.0.2.99 \
	"netns=/run/netns/$H1"
sw_err port-add "name=$PFX-e3" kind=vxlan vni=100 'remote:=["192.0.2.2"]' iface=u1 "netns=/run/netns/$H1"
sw_err port-add "name=$PFX-e4" kind=vxlan vni=104 'remote:=["192.0.2.2","2001:db8::2"]' iface=u1 \
	"netns=/run/netns/$H1"
ip -n "$H1" link add vk type vxlan id 42 dstport 4790 local 192.0.2.1 dev u1 || fail "kernel vxlan in $H1"
ip -n "$H1" link set vk up || fail "kernel vxlan up"
out=$(swctl port-add "name=$PFX-e5" kind=vxlan vni=105 'remote:=["192.0.2.2"]' iface=u1 dstport=4790 \
	"netns=/run/netns/$H1")
_check_err "port-add with UDP port 4790 held by a kernel vxlan device" $? "$out" &&
	{ jq -e '.error | test("in use on the host")' >/dev/null <<<"$out" ||
		soft_fail "kernel vxlan: message does not say the port is in use: $out"; }
ip -n "$H1" link del vk
ip -n "$H1" link add m9 numrxqueues 9 numtxqueues 9 type veth peer name m9p numrxqueues 9 numtxqueues 9 ||
	fail "nine-queue veth in $H1"
ip -n "$H1" addr add 198.51.100.1/24 dev m9 && ip -n "$H1" link set m9 up && ip -n "$H1" link set m9p up ||
	fail "m9 up in $H1"
out=$(swctl port-add "name=$PFX-e6" kind=vxlan vni=106 'remote:=["198.51.100.2"]' iface=m9 "netns=/run/netns/$H1")
_check_err "port-add on an interface of nine rx queues" $? "$out" &&
	{ jq -e '.error | test("9 rx queues") and test("at most 8") and test("ethtool -L m9 rx 8")' >/dev/null <<<"$out" ||
		soft_fail "nine rx queues: message does not give the count and how to have 8: $out"; }
ip -n "$H1" link del m9
sw_ok lan-add "name=$PFX-big" mtu=1500 >/dev/null
out=$(swctl attach "port=$VX" "lan=$PFX-big")
_check_err "attach to a LAN of mtu 1500 over a 1500 underlay" $? "$out" &&
	{ jq -e '.error | test("1550") and test("mtu 1500")' >/dev/null <<<"$out" ||
		soft_fail "attach over MTU: message does not give both numbers: $out"; }
soft_check "port-add refusals"
SOFT=0
jq_assert "no port left by the refusals" "$(sw_ok show-ports)" ".ports | length == $nports"
jq_assert "underlay unchanged" "$(port_json "$UL")" \
	"(.keys | length) == 2 and (.vnis | length) == 2"
pass "port-add refusals: unknown iface, local not on it, VNI taken, mixed families, UDP port in use, nine rx queues; attach over MTU"

# --- 5b. an afxdp port-add on an underlay's interface is refused first ---
# The underlay in the switch's own netns: node 2's veth (ns_pair: its host
# end in our netns) with 10.77.233.101/24; the vxlan port's remote is node
# 2 (10.77.233.2). afxdp port-add on that interface must be refused before
# it detaches anything: the program stays and VXLAN from node 2 is still
# steered to the vxlan port (its remote's rx counter: no LAN needed).
ns_pair 2 10.77.233.2/24
HI=$(ns_host 2)
ip addr add 10.77.233.101/24 dev "$HI" || fail "address on $HI"
VXO=$PFX-vo
sw_ok port-add "name=$VXO" kind=vxlan vni=300 'remote:=["10.77.233.2"]' "iface=$HI" >/dev/null
wait_until 10 sh -c "$SWCTL show-ports name=$VXO | jq -e '.ports[0].remotes[0].state == \"resolved\"'" ||
	fail "remote 10.77.233.2 not resolved: $(port_json "$VXO" | jq -c .remotes)"
# vxo_send: one VXLAN datagram (VNI 300, an inner broadcast) from node 2.
vxo_send() {
	nsx 2 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(bytes.fromhex("0800000000012c00" + "ff" * 6 + "02000000bb02" + "0800" + "00" * 46), ("10.77.233.101", 4789))' ||
		fail "VXLAN datagram from node 2"
}
vxo_rx() { port_json "$VXO" | jq .remotes[0].counters.rx_packets; }
vxo_send
wait_until 5 sh -c "[ \$($SWCTL show-ports name=$VXO | jq .ports[0].remotes[0].counters.rx_packets) -ge 1 ]" ||
	fail "no VXLAN received on $VXO: $(port_json "@$HI" | jq -c .xdp)"
rx0=$(vxo_rx)
out=$(swctl port-add "name=$PFX-xa" kind=afxdp "iface=$HI")
_check_err "afxdp port-add on the underlay's interface" $? "$out" ||
	fail "afxdp port-add on $HI (held by @$HI) was not refused"
ip -d link show dev "$HI" | grep -q 'prog/xdp' || fail "the refused afxdp port-add removed the program: $(ip -d link show dev "$HI")"
jq -e --arg u "@$HI" '.error | test("used by port") and contains($u)' >/dev/null <<<"$out" ||
	fail "the refusal does not name the underlay: $out"
vxo_send
wait_until 5 sh -c "[ \$($SWCTL show-ports name=$VXO | jq .ports[0].remotes[0].counters.rx_packets) -ge $((rx0 + 1)) ]" ||
	fail "VXLAN not received after the refused afxdp port-add: $(port_json "@$HI" | jq -c '.xdp')"
# A vxlan port added while the underlay's carrier is down is down, and
# comes up with the carrier (it was up at port-add).
nsx 2 ip link set eth0 down || fail "eth0 down in $(ns_name 2)"
wait_until 10 port_is_down "@$HI" || fail "@$HI not down with its carrier: $(port_json "@$HI" | jq -c .link)"
sw_ok port-add "name=$VXO-2" kind=vxlan vni=301 'remote:=["10.77.233.2"]' "iface=$HI" >/dev/null
jq_assert "a vxlan port added on a down underlay is down" "$(port_json "$VXO-2")" '.link == "down"'
nsx 2 ip link set eth0 up || fail "eth0 up in $(ns_name 2)"
wait_until 10 port_is_up "$VXO-2" || fail "$VXO-2 not up with the carrier: $(port_json "$VXO-2" | jq -c .link)"
sw_ok port-del "name=$VXO-2" >/dev/null
sw_ok port-del "name=$VXO" >/dev/null
ip -d link show dev "$HI" | grep -q 'prog/xdp' && fail "XDP program left on $HI: $(ip -d link show dev "$HI")"
pass "afxdp port-add on an underlay's interface refused (names @$HI) before detaching: program kept, VXLAN still received; a vxlan port added with the carrier down is down until it is up"

# --- 5c. an underlay of two rx queues ---
ip -n "$H1" link add m1 index $((IDX + 6)) numrxqueues 2 numtxqueues 2 type veth \
	peer name m2 index $((IDX + 7)) numrxqueues 2 numtxqueues 2 netns "$H2" ||
	fail "two-queue veth m1 (index $((IDX + 6))) in $H1"
vx_pins_on_exit $((IDX + 6))
ip -n "$H1" addr add 198.51.100.1/24 dev m1 && ip -n "$H1" link set m1 up &&
	ip -n "$H2" addr add 198.51.100.2/24 dev m2 && ip -n "$H2" link set m2 up || fail "m1, m2 up"
ip netns exec "$H2" ethtool -K m2 tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off >/dev/null 2>&1
VQ=$PFX-vq
VQUL="@$H1:m1"
# sw_fds FILE: how many fds of the switch point at each kind of object
# (socket, anon_inode:bpf-map, ...: numbers and inodes left out, an fd may
# be closed and another opened meanwhile); without the bpf-prog ones:
# libxdp 1.3.1 (Debian 12) keeps the fd of the dispatcher it looked up to
# detach our program (xdp-tools issue 343, fixed in 1.4), one per underlay closed.
sw_fds() {
	find "/proc/$SWPID/fd" -mindepth 1 -printf '%l\n' | grep -v 'bpf-prog' | sed 's/\[[0-9]*\]//' |
		sort | uniq -c >"$1"
}
# sw_vm: the switch's virtual memory in KiB (an AF_XDP umem is 8 MiB).
sw_vm() { awk '/^VmSize/ { print $2 }' "/proc/$SWPID/status"; }
# A foreign AF_XDP socket (copy mode, its own small umem) on queue 1 of m1,
# for at most 30 s: the switch's socket of queue 1 is refused as busy.
ip netns exec "$H1" python3 -c '
import ctypes, mmap, socket, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AF_XDP, SOL_XDP, SIZE = 44, 283, 16 * 4096
fd = libc.socket(AF_XDP, socket.SOCK_RAW, 0)
area = mmap.mmap(-1, SIZE)
addr = ctypes.addressof(ctypes.c_char.from_buffer(area))
def opt(name, val):
    if libc.setsockopt(fd, SOL_XDP, name, val, len(val)) < 0:
        sys.exit("setsockopt %d: errno %d" % (name, ctypes.get_errno()))
opt(4, struct.pack("QQIIII", addr, SIZE, 4096, 0, 0, 0))       # XDP_UMEM_REG
for name in (5, 6, 2):                                        # fill, completion, rx rings
    opt(name, struct.pack("I", 4))
sa = struct.pack("HHIII", AF_XDP, 2, socket.if_nametoindex(sys.argv[1]), int(sys.argv[2]), 0)  # XDP_COPY
if libc.bind(fd, sa, len(sa)) < 0:
    sys.exit("bind: errno %d" % ctypes.get_errno())
print("bound", flush=True)
time.sleep(30)' m1 1 >"$TMP/xsk-hold.log" 2>&1 &
HOLD=$!
bg_track "$HOLD"
wait_until 5 grep -q bound "$TMP/xsk-hold.log" || fail "foreign AF_XDP socket on m1 queue 1: $(cat "$TMP/xsk-hold.log")"
sw_fds "$TMP/fds0"
vm0=$(sw_vm)
out=$(swctl port-add "name=$VQ" kind=vxlan vni=400 'remote:=["198.51.100.2"]' iface=m1 "netns=/run/netns/$H1")
_check_err "port-add with m1's queue 1 held by another socket" $? "$out"
jq -e '.error | test("rx queue 1") and test("busy")' >/dev/null <<<"$out" ||
	fail "queue 1 busy: the message does not name the queue: $out"
ip -n "$H1" -d link show dev m1 | grep -q 'prog/xdp' && fail "XDP program left on m1 by the failed port-add"
jq_assert "no port left by the failed port-add" "$(sw_ok show-ports)" \
	"[.ports[].name] | (index(\"$VQ\") == null) and (index(\"$VQUL\") == null)"
sw_fds "$TMP/fds1"
diff "$TMP/fds0" "$TMP/fds1" >/dev/null || fail "fds left by the failed port-add: $(diff "$TMP/fds0" "$TMP/fds1")"
[ $(($(sw_vm) - vm0)) -lt 8192 ] || fail "memory left by the failed port-add: VmSize $(sw_vm) KiB, $vm0 before"
stop_pid "$HOLD"
r=$(sw_ok port-add "name=$VQ" kind=vxlan vni=400 'remote:=["198.51.100.2"]' iface=m1 "netns=/run/netns/$H1")
jq_assert "two sockets" "$(port_json "$VQUL")" \
	'.queues == 2 and ([.sockets[].queue] == [0, 1]) and .xdp.id > 0 and .xdp.mode == "driver"'
# 24 datagrams (VNI 400, an inner broadcast), each from a new socket: 24
# source ports, so 24 flow hashes for m2's tx queue choice.
ip netns exec "$H2" python3 -c '
import socket
for i in range(24):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.51.100.2", 0))
    s.sendto(bytes.fromhex("0800000000019000" + "ff" * 6 + "02000000cc%02x" % i + "0800" + "00" * 46),
             ("198.51.100.1", 4789))
    s.close()' || fail "datagrams from m2"
wait_until 5 sh -c "$SWCTL show-ports name=$VQ | jq -e '.ports[0].remotes[0].counters.rx_packets == 24'" ||
	fail "not all 24 datagrams decapsulated: $(port_json "$VQ" | jq -c .remotes[0].counters) sockets $(port_json "$VQUL" | jq -c .sockets)"
ulq=$(port_json "$VQUL")
jq_assert "both queues received, 24 in all" "$ulq" \
	'([.sockets[].rx_frames] | add) == 24 and all(.sockets[]; .rx_frames >= 1 and .rx_dropped == 0)'
sw_fds "$TMP/fds2"
vm2=$(sw_vm)
sw_ok port-del "name=$VQ" >/dev/null
ip -n "$H1" -d link show dev m1 | grep -q 'prog/xdp' && fail "XDP program left on m1"
sw_fds "$TMP/fds3"
diff "$TMP/fds0" "$TMP/fds3" >/dev/null || fail "fds left by port-del: $(diff "$TMP/fds0" "$TMP/fds3")"
[ $(($(sw_vm) - vm0)) -lt 8192 ] || fail "memory left by port-del: VmSize $(sw_vm) KiB, $vm0 before, $vm2 with the port"
ip -n "$H1" link del m1
pass "two rx queues: a busy queue 1 refused (named) leaving nothing; then frames per socket $(jq -c '[.sockets[].rx_frames]' <<<"$ulq"), all 24 decapsulated; port-del closed $(($(awk '{ n += $1 } END { print n }' "$TMP/fds2") - $(awk '{ n += $1 } END { print n }' "$TMP/fds0"))) fds and $(((vm2 - $(sw_vm)) / 1024)) MiB"

# --- 6. port-del ---
sw_ok port-del "name=$VX6" >/dev/null
jq_assert "the IPv6 key went with $VX6" "$(port_json "$UL")" '.keys == ["192.0.2.1:4789"]'
sw_ok port-del "name=$VX" >/dev/null
jq_assert "the underlay port went with the last vxlan port" "$(sw_ok show-ports)" \
	"[.ports[].name] | index(\"$UL\") == null"
ip -n "$H1" -d link show dev u1 | grep -q 'prog/xdp' && fail "XDP program left on u1: $(ip -n "$H1" -d link show dev u1)"
ip netns exec "$H1" ss -Huln | grep -q '192.0.2.1:4789' && fail "reserved UDP socket left: $(ip netns exec "$H1" ss -Huln)"
wait_until 5 sh -c "$SWCTL show-workers | jq -e '.mbufs.in_use == $mbufs0'" ||
	fail "mbufs in use $(sw_ok show-workers | jq .mbufs.in_use), $mbufs0 before"
ip netns exec "$H1" ping -n -q -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null 2>&1 || fail "underlay ping after port-del"
pass "port-del: underlay, program, key and socket gone; mbufs back ($mbufs0)"

# --- 7. what a crash leaves, and the next switch removes ---
sw_ok port-add "name=$VX" kind=vxlan vni=100 'remote:=["192.0.2.2"]' iface=u1 "netns=/run/netns/$H1" >/dev/null
kill -KILL "$SWPID"
wait "$SWPID" 2>/dev/null
SWPID=
rm -f "$SOCK"
ip -n "$H1" -d link show dev u1 | grep -q 'prog/xdp' || fail "no program left on u1 by the killed switch"
ip netns exec "$H1" ping -n -q -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null 2>&1 || fail "underlay ping with a stale program"
switchd_start
sw_ok port-add "name=$VX" kind=vxlan vni=100 'remote:=["192.0.2.2"]' iface=u1 "netns=/run/netns/$H1" >/dev/null
grep -q "removed 1 stale vnl_vxlan_steer" "$TMP/switchd.log" ||
	fail "the stale program was not reported removed: $(grep -i stale "$TMP/switchd.log")"
jq_assert "one program after the restart" "$(port_json "$UL")" ".xdp.id > 0 and .keys == [\"192.0.2.1:4789\"]"
sw_ok port-del "name=$VX" >/dev/null
ip -n "$H1" -d link show dev u1 | grep -q 'prog/xdp' && fail "XDP program left on u1 after the restart's port-del"
pass "kill -9 leaves the program (host traffic passes); the next underlay on u1 removed it"

# --- 8. a normal stop with a vxlan port present ---
sw_ok port-add "name=$VX" kind=vxlan vni=100 'remote:=["192.0.2.2"]' iface=u1 "netns=/run/netns/$H1" >/dev/null
switchd_stop || fail "the switch did not stop cleanly with a vxlan port present"
ip -n "$H1" -d link show dev u1 | grep -q 'prog/xdp' && fail "XDP program left on u1 by a normal stop"
ip netns exec "$H1" ss -Huln | grep -q '192.0.2.1:4789' && fail "reserved UDP socket left by a normal stop"
pass "SIGTERM with a vxlan port: ports closed before the control loop went (program, socket gone)"
exit 0
