#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: VXLAN end to end through one vnl-switchd playing two hosts
# (docs/plans/vxlan.md section 4, 33-vxlan steps 1, 2, 3, 5, 6, 9): frames
# from tap nodes are encapsulated to the remotes their MACs were learned
# through, floods are replicated to every remote once (head-end
# replication), never from one remote to another (split horizon), remotes
# follow the kernel's routes and neighbours (failed when the peer goes
# away, resolved again when it is back, a new MAC followed), vxlan-set
# changes remotes live, and everything goes with the ports.
#
# Operations:
#   1. the underlay network (tests/lib/vxlan.sh): hosts H1, H2, H3 on one
#      bridge, 192.0.2.1-3/24; tap nodes A, B, C (10.77.34.1-3/24, mtu
#      1450); LAN a (mtu 1450) = tap A + tap C + vxlan va (vni 100, via H1's
#      u1, remotes .2 and .3); LAN b (mtu 1450) = tap B + vxlan vb (vni
#      100, via H2's u2, remote .1); H3 = a kernel UDP socket on 4789
#   2. both vxlan ports' remotes resolve to the peers' MACs; ping A <-> B
#      both ways; show-fdb: A's MAC on vb through 192.0.2.1, B's on va
#      through 192.0.2.2; learned counts; the underlay steered; the hosts'
#      own ping on the underlay works meanwhile; va's vx_kicks (sendto
#      calls) > 0 and at most its outer frames
#   3. 20 MiB over TCP A -> B (tap TSO: segmented by the switch before
#      encapsulation, tx_gso_frames > 0 on va), sha256 equal; per-remote
#      tx counters add up to va's tx_packets; H2's underlay merged the
#      decapsulated segments (GRO: rx_gro_out < rx_gro_in, no bad checksum)
#      so vb received fewer frames than its remote's segments
#   4. flood: one UDP broadcast from A: C gets it once, B once (through
#      H2), H3's socket once; va: vx_flood_copies 2, one copy per remote;
#      B's frames never go from vb's remote back out (split horizon: the
#      LAN b floods to B only)
#   5. (not in -2workers) H2's u2 down and H1's entry for it flushed: va's
#      remote .2 `failed` within 10 s, a ping to B counts drop_vx_no_neigh
#      on va and its remote; u2 up: `resolved` again and ping works; H2's
#      u2 gets a new MAC: the remote's MAC and template follow, ping works
#   6. (not in -2workers) split horizon: a broadcast from remote .3 (a VXLAN
#      frame from H3's kernel) reaches A and C, never a remote; its frame to
#      B's MAC (behind .2) is dropped (drop_dst_is_src). vxlan-set: MAC X
#      learned through .3, then remote [.2]: the MAC is gone from show-fdb at
#      once, .2 keeps index 0 and its counters, a flood makes 1 copy; back
#      to [.2, .3]: .3 gets index 1 with zero counters and resolves;
#      refusals: not a vxlan port, a bad address, the other family, twice
#   6b. (not in -2workers) a frame from MAC Y through .3 delayed on va's out
#      while vxlan-set replaces .3 by .9: .9 takes a fresh index, not .3's;
#      Y is learned under the freed index (no remote); .3 back at index 1
#      takes Y's entry with it
#   6c. (not in -2workers) route events in H1: 50 routes through another
#      link that hold no remote make no rescan (`neigh_rescans` of the
#      underlay), 16 that hold remotes one or two; a route to .3 through
#      the other link: wrong-interface, resolved again when it goes
#   7. (not in -2workers) the IPv6 underlay: tap nodes D, E (mtu 1430) on
#      LANs a6/b6 with vxlan ports (vni 200) over 2001:db8::1 <-> ::2 on the
#      same interfaces: resolved by ND, ping both ways, on the wire hop
#      limit 64 and a right UDP checksum (tcpdump -vv), 20 MiB TCP D -> E
#      with the same sha256, no drop_vx_csum at the receiving underlay
#   8. port-del of every vxlan port: no underlay port, no XDP program, no
#      reserved socket; mbufs back to the count after the first ping (give
#      or take the taps' rx stashes)
# With VNL_EXPECT_WORKERS=2 (34-vxlan-2workers): steps 1-4 and 8, tx of
# both vxlan ports through their underlays' shared lock from two workers.

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"
# shellcheck source=../lib/vxlan.sh
. "$VNL_SOURCE_DIR/tests/lib/vxlan.sh"

vnl_init 34-vxlan
need_hugepages 256
need_xdp
need_cmd tcpdump python3 ss sha256sum ethtool
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

# --- 1. network, nodes, switch ---
vx_net "vp$$" 3
vx_pins_on_exit $((VX_IDX + 2)) $((VX_IDX + 4)) $((VX_IDX + 6))
H1=${VX_H}1 H2=${VX_H}2 H3=${VX_H}3
switchd_start
for i in 1 2 3; do
	tap_ns "$i" "10.77.34.$i/24"
	ip -n "$(ns_name $i)" link set eth0 mtu 1450 || fail "mtu 1450 in $(ns_name $i)"
done
A=$PFX-a B=$PFX-b VA=$PFX-va VB=$PFX-vb
sw_ok lan-add "name=$A" mtu=1450 >/dev/null
sw_ok lan-add "name=$B" mtu=1450 >/dev/null
for i in 1 2 3; do
	sw_ok port-add "name=$PFX-t$i" kind=tap "netns=/run/netns/$(ns_name $i)" iface=eth0 >/dev/null
done
sw_ok port-add "name=$VA" kind=vxlan vni=100 'remote:=["192.0.2.2","192.0.2.3"]' iface=u1 "netns=/run/netns/$H1" >/dev/null
sw_ok port-add "name=$VB" kind=vxlan vni=100 'remote:=["192.0.2.1"]' iface=u2 "netns=/run/netns/$H2" >/dev/null
for p in t1 t3 va; do sw_ok attach "port=$PFX-$p" "lan=$A" >/dev/null; done
for p in t2 vb; do sw_ok attach "port=$PFX-$p" "lan=$B" >/dev/null; done
for i in 1 2 3; do
	wait_until 10 port_is_up "$PFX-t$i" || fail "$PFX-t$i not up"
done
# H3: a plain kernel socket on 4789 counts what reaches it (Udp InDatagrams).
ip netns exec "$H3" socat -u UDP-RECV:4789 OPEN:/dev/null &
bg_track $!
h3_udp() { ip netns exec "$H3" cat /proc/net/snmp | snmp_field Udp InDatagrams; }

# remote_is PORT IP STATE: the remote IP of vxlan port PORT is in STATE.
remote_is() {
	swctl show-ports "name=$1" | jq -e --arg ip "$2" --arg st "$3" \
		'.ports[0].remotes[] | select(.ip == $ip) | .state == $st'
}
# remote_json PORT IP: that remote's object.
remote_json() { port_json "$1" | jq -c --arg ip "$2" '.remotes[] | select(.ip == $ip)'; }

# wire_ping FILE N1 ADDR1 N2 ADDR2 FILTER...: ping node N1 -> ADDR1 and N2 ->
# ADDR2 while tcpdump -vv records the first 4 VXLAN frames (FILTER) leaving
# the bridge towards H2 (its port p2) into FILE: what we put on the wire.
wire_ping() {
	local f=$1 pid
	ip netns exec "$VX_NET" tcpdump -i p2 -nn -vv -c 4 -Q out "${@:6}" >"$f" 2>&1 &
	pid=$!
	bg_track "$pid"
	sleep 1
	ping_ok "$2" "$3" 5
	ping_ok "$4" "$5" 5
	wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || fail "tcpdump on p2 saw fewer than 4 VXLAN frames: $(cat "$f")"
}

# wire_has FILE RE...: each RE matches exactly 4 lines of FILE (one per frame).
wire_has() {
	local f=$1 re
	for re in "${@:2}"; do
		[ "$(grep -c "$re" "$f")" = 4 ] || fail "on the wire, '$re' in $(grep -c "$re" "$f") frames of 4: $(cat "$f")"
	done
}

# transfer N1 N2 ADDR PORT: 20 MiB ($TMP/src) from node N1 to ADDR:PORT in
# node N2 over TCP; what arrives must have the sha256 $sum.
transfer() {
	local srv
	nsx "$2" timeout 60 socat -u "TCP-LISTEN:$4,reuseaddr" "OPEN:$TMP/dst,creat,trunc" &
	srv=$!
	bg_track "$srv"
	wait_until 5 nsx "$2" sh -c "ss -ltn | grep -q :$4" || fail "socat did not listen in $(ns_name "$2")"
	nsx "$1" timeout 60 socat -u "OPEN:$TMP/src" "TCP:$3:$4" || fail "sending 20 MiB $1 -> $2"
	wait "$srv"
	[ "$(sha256sum <"$TMP/dst" | cut -d' ' -f1)" = "$sum" ] || fail "20 MiB $1 -> $2: sha256 differs"
}

# --- 2. resolution, ping, learning ---
for r in "$VA 192.0.2.2" "$VA 192.0.2.3" "$VB 192.0.2.1"; do
	# shellcheck disable=SC2086 # two words
	wait_until 10 remote_is $r resolved || fail "remote not resolved: $r: $(port_json "${r% *}" | jq -c .remotes)"
done
jq_assert "va's remotes: the peers' MACs, indexes in order" "$(port_json "$VA")" \
	"[.remotes[] | [.ip, .index, .mac, .via]] ==
	 [[\"192.0.2.2\", 0, \"$(vx_mac 2)\", \"192.0.2.2\"], [\"192.0.2.3\", 1, \"$(vx_mac 3)\", \"192.0.2.3\"]]"
jq_assert "vb's remote" "$(remote_json "$VB" 192.0.2.1)" ".index == 0 and .mac == \"$(vx_mac 1)\""
pass "remotes resolved through the hosts' kernels: va -> .2 $(vx_mac 2), .3 $(vx_mac 3); vb -> .1 $(vx_mac 1)"
sw_ok clear-counters >/dev/null
wire_ping "$TMP/wire4.log" 1 10.77.34.2 2 10.77.34.1 udp dst port 4789
# "IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto UDP (17), length 134)
#  192.0.2.1.45678 > 192.0.2.2.4789: [no cksum] VXLAN, flags [I] (0x08), vni 100"
wire_has "$TMP/wire4.log" 'ttl 64, id 0, offset 0, flags \[DF\], proto UDP' \
	'192\.0\.2\.1\.[0-9]* > 192\.0\.2\.2\.4789: \[no cksum\] VXLAN, flags \[I\] (0x08), vni 100'
for sp in $(grep -o '192\.0\.2\.1\.[0-9]* >' "$TMP/wire4.log" | cut -d. -f5 | cut -d' ' -f1); do
	[ "$sp" -ge 32768 ] && [ "$sp" -le 60999 ] || fail "source port $sp outside 32768..60999"
done
# The ping's frames left through the underlay's tx kicks: a sendto each
# burst at least, never more than a burst's frames.
jq_assert "va's tx kicks counted, at most one per outer frame" "$(port_json "$VA")" \
	".counters.vx_kicks > 0 and .counters.vx_kicks <= ([.remotes[].counters.tx_packets] | add)"
fdb=$(sw_ok show-fdb)
jq_assert "A's MAC on vb through 192.0.2.1" "$fdb" \
	"[.entries[] | select(.mac == \"$(ns_mac 1)\" and .lan == \"$B\")] | length == 1 and .[0].port == \"$VB\"
	 and .[0].remote == \"192.0.2.1\""
jq_assert "B's MAC on va through 192.0.2.2" "$fdb" \
	"[.entries[] | select(.mac == \"$(ns_mac 2)\" and .lan == \"$A\")] | length == 1 and .[0].port == \"$VA\"
	 and .[0].remote == \"192.0.2.2\""
jq_assert "tap entries have no remote" "$fdb" \
	"[.entries[] | select(.port == \"$PFX-t1\")] | length == 1 and (.[0] | has(\"remote\") | not)"
jq_assert "learned in both LANs" "$(lan_json "$B")" ".counters.learned >= 2"
jq_assert "the underlay steered" "$(port_json "@$H1:u1")" ".xdp.steered > 0"
ip netns exec "$H1" ping -n -q -c 3 -i 0.2 -W 2 192.0.2.2 >"$TMP/uping.log" 2>&1 ||
	fail "the hosts' own ping on the underlay: $(cat "$TMP/uping.log")"
# Buffers in use now that the taps' rx stashes are filled (fd_io.h: each
# lcore's stash holds between a read's need and 68 more): the level the
# switch must come back to, give or take that.
mbufs0=$(sw_ok show-workers | jq .mbufs.in_use)
pass "ping A <-> B through two VTEPs of one switch (on the wire: DF, TTL 64, id 0, no UDP checksum, source ports in range); MACs learned with their remotes; host ping on the underlay"

# --- 3. TCP, segmented before encapsulation ---
head -c $((20 << 20)) /dev/urandom >"$TMP/src"
sum=$(sha256sum <"$TMP/src" | cut -d' ' -f1)
sw_ok clear-counters >/dev/null
transfer 1 2 10.77.34.2 5340
va=$(port_json "$VA")
jq_assert "va segmented TSO frames, sent them all" "$va" \
	".counters.tx_gso_frames > 0 and .counters.drop_vx_too_big == 0 and .counters.drop_tx_refused == 0
	 and ([.remotes[].counters.tx_packets] | add) >= .counters.tx_packets
	 and .remotes[0].counters.tx_packets > 10000"
log "va: $(jq -c '.counters | {tx_packets, tx_gso_frames, vx_flood_copies, vx_encap_cycles, vx_kick_cycles, vx_kicks, drop_tx_full}' <<<"$va")"
ul2=$(port_json "@$H2:u2")
jq_assert "H2's underlay merged B's segments (GRO), none with a bad checksum" "$ul2" \
	".counters.rx_gro_out > 0 and .counters.rx_gro_out < .counters.rx_gro_in and .counters.rx_gro_csum_bad == 0"
jq_assert "vb received fewer frames than its remote's segments" "$(port_json "$VB")" \
	".counters.rx_packets < .remotes[0].counters.rx_packets"
log "@$H2:u2: $(jq -c '.counters | {rx_gro_in, rx_gro_out, rx_gro_csum_bad, rx_gro_cycles, vx_decap_cycles}' <<<"$ul2")"
pass "20 MiB A -> B over TCP: same sha256; $(jq .counters.tx_gso_frames <<<"$va") TSO frames segmented before encapsulation; $(jq .counters.rx_gro_in <<<"$ul2") segments merged into $(jq .counters.rx_gro_out <<<"$ul2") frames after decapsulation"
workers_check "after TCP"

# --- 4. flood: one copy per remote ---
# bcast: one UDP broadcast from A (its eth0's broadcast address).
bcast() {
	nsx 1 socat -u - UDP-DATAGRAM:10.77.34.255:9,broadcast <<<"vp flood" || fail "broadcast from A"
}
sleep 1
sw_ok clear-counters >/dev/null
u0=$(h3_udp)
bcast
wait_until 5 sh -c "$SWCTL show-ports name=$PFX-t2 | jq -e '.ports[0].counters.tx_packets >= 1'" ||
	fail "the broadcast did not reach B: $(port_json "$PFX-t2" | jq -c .counters)"
sleep 0.5
va=$(port_json "$VA")
jq_assert "va: two copies, one per remote" "$va" \
	".counters.vx_flood_copies == 2 and .counters.tx_packets == 1 and
	 [.remotes[].counters.tx_packets] == [1, 1] and .counters.drop_vx_no_neigh == 0"
jq_assert "C got it once" "$(port_json "$PFX-t3")" ".counters.tx_packets == 1"
jq_assert "B got it once" "$(port_json "$PFX-t2")" ".counters.tx_packets == 1"
jq_assert "vb received it from .1 and sent nothing back out" "$(port_json "$VB")" \
	".counters.rx_packets == 1 and .remotes[0].counters.rx_packets == 1 and .counters.tx_packets == 0"
[ "$(h3_udp)" = $((u0 + 1)) ] || fail "H3's socket got $(($(h3_udp) - u0)) datagrams, want 1"
pass "flood: one copy each to H2 (-> B) and H3, C once; split horizon at vb"

# --- 4b. a flood burst of more than 32 copies leaves at once (copy mode
# sends at most 32 per sendto: the kick loops) ---
# va gets 4 remotes (.4 and .5: more addresses of H3); one UDP broadcast
# datagram of S bytes leaves A as ceil(S / 1424) IP fragments written to the
# tap in one go: 15 and 45 fragments, 60 and 180 copies. Every fragment must
# reach B (t2) and H3's u3 (3 copies each), with no further traffic to push
# stranded copies out.
for a in 4 5; do
	ip -n "$H3" addr add "192.0.2.$a/24" dev u3 || fail "192.0.2.$a on u3"
done
sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.3","192.0.2.4","192.0.2.5"]' >/dev/null
for a in 4 5; do
	wait_until 10 remote_is "$VA" "192.0.2.$a" resolved || fail "remote .$a not resolved: $(remote_json "$VA" "192.0.2.$a")"
done
h3_rx() { ip -n "$H3" -s -j link show u3 | jq '.[0].stats64.rx.packets'; }
# burst_arrived FRAGS R0: B got FRAGS fragments, H3's u3 3 x FRAGS VXLAN frames since R0.
burst_arrived() {
	[ "$(port_json "$PFX-t2" | jq .counters.tx_packets)" -ge "$1" ] && [ "$(h3_rx)" -ge $(($2 + 3 * $1)) ]
}
for size in 20000 63000; do
	frags=$(((size + 8 + 1423) / 1424))
	sleep 0.5
	sw_ok clear-counters >/dev/null
	r0=$(h3_rx)
	nsx 1 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(b"f" * int(sys.argv[1]), ("10.77.34.255", 9))' "$size" || fail "a $size-byte broadcast from A"
	wait_until 5 burst_arrived "$frags" "$r0" ||
		fail "$size bytes ($frags fragments x 4 remotes): B got $(port_json "$PFX-t2" | jq .counters.tx_packets) fragments,
		      H3 got $(($(h3_rx) - r0)) of $((3 * frags)); va: $(port_json "$VA" | jq -c '.counters | {tx_packets, vx_flood_copies, drop_tx_full}')"
	jq_assert "va: $frags frames, $((frags * 4)) copies" "$(port_json "$VA")" \
		".counters.tx_packets == $frags and .counters.vx_flood_copies == $((frags * 4)) and .counters.drop_tx_full == 0"
done
sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.3"]' >/dev/null
for a in 4 5; do ip -n "$H3" addr del "192.0.2.$a/24" dev u3; done
pass "flood bursts of 15 and 45 frames to 4 remotes (60 and 180 copies): all sent with no further traffic"

if [ -z "${VNL_EXPECT_WORKERS:-}" ]; then
	# --- 5. the remote goes away and comes back; a new MAC ---
	# The kernel finds a dead neighbour only when its entry is STALE and
	# probed (our re-probe every 30 s, then its own probes): flushing H1's
	# entry makes it resolve .2 again at once, and fail.
	ip -n "$H2" link set u2 down || fail "u2 down"
	ip -n "$H1" neigh flush to 192.0.2.2 dev u1
	wait_until 10 remote_is "$VA" 192.0.2.2 failed || fail "remote .2 not failed: $(remote_json "$VA" 192.0.2.2)"
	sw_ok clear-counters >/dev/null
	nsx 1 ping -n -q -c 2 -i 0.2 -W 1 10.77.34.2 >/dev/null 2>&1 && fail "ping A -> B with H2 down"
	jq_assert "copies for .2 counted, not sent" "$(port_json "$VA")" \
		".counters.drop_vx_no_neigh >= 2 and .remotes[0].counters.drop_no_neigh >= 2
		 and .remotes[0].counters.tx_packets == 0"
	pass "H2 down: remote .2 failed, frames to it counted drop_vx_no_neigh (port and remote)"
	ip -n "$H2" link set u2 up || fail "u2 up"
	# A remote in use is retried every 5 s (neigh.h): keep pinging.
	wait_until 20 nsx 1 ping -n -q -c 1 -W 1 10.77.34.2 ||
		fail "no ping A -> B after u2 came back: $(remote_json "$VA" 192.0.2.2)"
	wait_until 10 remote_is "$VA" 192.0.2.2 resolved || fail "remote .2: $(remote_json "$VA" 192.0.2.2)"
	ping_ok 2 10.77.34.1 3
	pass "u2 up: remote .2 resolved again, ping both ways"
	ip -n "$H2" link set u2 address 02:00:00:34:00:02 || fail "new MAC on u2"
	# H2 asks H1 for its address: H1's kernel takes the new MAC (an ARP
	# request updates the sender's entry).
	ip -n "$H2" neigh flush dev u2
	ip netns exec "$H2" ping -n -q -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 || fail "ping H2 -> H1 after the MAC change"
	wait_until 5 sh -c "$SWCTL show-ports name=$VA | jq -e '.ports[0].remotes[0].mac == \"02:00:00:34:00:02\"'" ||
		fail "va did not follow u2's new MAC: $(remote_json "$VA" 192.0.2.2)"
	ping_ok 1 10.77.34.2 3
	ping_ok 2 10.77.34.1 3
	pass "u2's new MAC followed by va's template; ping both ways"

	# --- 6. split horizon, vxlan-set ---
	# H3's kernel sends a broadcast from MAC X in VXLAN: va learns X
	# through .3 and floods it to A and C only, never to a remote.
	sw_ok clear-counters >/dev/null
	zeros=$(printf '00%.0s' {1..46})
	vx_send 3 192.0.2.3 192.0.2.1 "0800000000006400ffffffffffff02003400000388b5$zeros"
	wait_until 5 sh -c "$SWCTL show-fdb lan=$A | jq -e '[.entries[] | select(.mac == \"02:00:34:00:00:03\")][0].remote == \"192.0.2.3\"'" ||
		fail "MAC X not learned through .3: $(sw_ok show-fdb "lan=$A" | jq -c .entries)"
	# ... and a frame from X to B's MAC (learned through .2) is not sent on.
	vx_send 3 192.0.2.3 192.0.2.1 "0800000000006400$(ns_mac 2 | tr -d :)02003400000388b5$zeros"
	wait_until 5 sh -c "$SWCTL show-ports name=$VA | jq -e '.ports[0].counters.rx_packets == 2'" ||
		fail "va did not receive both frames from .3: $(port_json "$VA" | jq -c .counters)"
	jq_assert "split horizon: nothing from .3 to another remote" "$(port_json "$VA")" \
		".counters.tx_packets == 0 and .counters.vx_flood_copies == 0 and .counters.drop_dst_is_src == 1
		 and .remotes[1].counters.rx_packets == 2"
	jq_assert "the broadcast reached A" "$(port_json "$PFX-t1")" ".counters.tx_packets == 1"
	pass "split horizon: a broadcast from remote .3 went to A and C only, a frame to B's MAC (behind .2) was dropped"
	before=$(remote_json "$VA" 192.0.2.2)
	r=$(sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2"]')
	jq_assert "vxlan-set reply" "$r" "[.port.remotes[] | [.ip, .index]] == [[\"192.0.2.2\", 0]]"
	jq_assert "MAC X forgotten at once" "$(sw_ok show-fdb "lan=$A")" \
		"[.entries[] | select(.mac == \"02:00:34:00:00:03\")] | length == 0"
	jq_assert ".2 kept its counters and MAC" "$(remote_json "$VA" 192.0.2.2)" \
		".counters == $(jq -c .counters <<<"$before") and .mac == $(jq .mac <<<"$before") and .state == \"resolved\""
	sw_ok clear-counters >/dev/null
	u0=$(h3_udp)
	bcast
	wait_until 5 sh -c "$SWCTL show-ports name=$VA | jq -e '.ports[0].counters.tx_packets == 1'" || fail "no flood after vxlan-set"
	jq_assert "one copy now" "$(port_json "$VA")" ".counters.vx_flood_copies == 1"
	sleep 0.5
	[ "$(h3_udp)" = "$u0" ] || fail "H3 still got the flood after its removal"
	r=$(sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.3"]')
	jq_assert "back: .3 at index 1, counters zero" "$r" \
		"[.port.remotes[] | [.ip, .index]] == [[\"192.0.2.2\", 0], [\"192.0.2.3\", 1]]
		 and ([.port.remotes[1].counters[]] | add) == 0"
	wait_until 10 remote_is "$VA" 192.0.2.3 resolved || fail ".3 not resolved again: $(remote_json "$VA" 192.0.2.3)"
	SOFT=1
	sw_err vxlan-set "name=$PFX-t1" 'remote:=["192.0.2.2"]'
	sw_err vxlan-set "name=$VA" 'remote:=["192.0.2.300"]'
	sw_err vxlan-set "name=$VA" 'remote:=["2001:db8::2"]'
	sw_err vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.2"]'
	sw_err vxlan-set "name=$VA" remote=192.0.2.2
	sw_err vxlan-set "name=$PFX-none" 'remote:=[]'
	soft_check "vxlan-set refusals"
	# shellcheck disable=SC2034 # read by switchd.sh's _check_err
	SOFT=0
	jq_assert "refusals changed nothing" "$(port_json "$VA")" \
		"[.remotes[] | [.ip, .index]] == [[\"192.0.2.2\", 0], [\"192.0.2.3\", 1]]"
	pass "vxlan-set: removed remote's MACs gone at once, kept remote's counters kept, re-added remote fresh; refusals"

	# --- 6b. an index freed by vxlan-set and impairment-delayed frames ---
	# A broadcast from MAC Y through .3 is held 1.5 s by a delay on va's
	# out; meanwhile va's remotes become [.2, .9]: .9 must not take the
	# index .3 just freed (1), so Y, learned under 1 when its frame leaves,
	# names no remote; back to [.2, .3]: .3 takes 1 again, and Y's entry
	# made under it since goes with it.
	Y=02:00:34:00:00:04
	y_fdb() { sw_ok show-fdb "lan=$A" | jq -c --arg y "$Y" '[.entries[] | select(.mac == $y)]'; }
	sw_ok impair-set "port=$VA" dir=out delay_ns=1500000000 >/dev/null
	vx_send 3 192.0.2.3 192.0.2.1 "0800000000006400ffffffffffff$(tr -d : <<<"$Y")88b5$zeros"
	wait_until 5 sh -c "$SWCTL show-ports name=$VA | jq -e '.ports[0].impair.queued.out == 1'" ||
		fail "Y's frame not held by the delay: $(port_json "$VA" | jq -c .impair)"
	r=$(sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.9"]')
	jq_assert "a new remote does not take an index freed by the same vxlan-set" "$r" \
		"[.port.remotes[] | [.ip, .index]] == [[\"192.0.2.2\", 0], [\"192.0.2.9\", 2]]"
	wait_until 5 sh -c "$SWCTL show-fdb lan=$A | jq -e '[.entries[] | select(.mac == \"$Y\")] | length == 1'" ||
		fail "Y not learned once its frame left the delay: $(y_fdb)"
	jq_assert "Y, learned under the freed index, names no remote" "$(y_fdb)" ".[0].port == \"$VA\" and .[0].remote == null"
	sw_ok impair-clear "port=$VA" >/dev/null
	r=$(sw_ok vxlan-set "name=$VA" 'remote:=["192.0.2.2","192.0.2.3"]')
	jq_assert ".3 back at index 1" "$r" "[.port.remotes[] | [.ip, .index]] == [[\"192.0.2.2\", 0], [\"192.0.2.3\", 1]]"
	jq_assert "Y's entry under index 1 gone when .3 took it" "$(y_fdb)" "length == 0"
	wait_until 10 remote_is "$VA" 192.0.2.3 resolved || fail ".3 not resolved again: $(remote_json "$VA" 192.0.2.3)"
	pass "vxlan-set with frames delayed: no index freed by the call reused; entries learned under a freed index go when it is reused"

	# --- 6c. route events: filtered, coalesced into one rescan a tick ---
	# H1 gets a second link (veth vl0/vl1, 198.18.0.1/24, no IPv6): 50
	# routes through it that hold no remote make no rescan of u1's remotes;
	# 8 routes that hold .2 or .3 added and removed in one burst make one
	# (two if a tick falls inside); a /32 to .3 through vl0 makes .3
	# wrong-interface, its removal resolved again.
	rescans() { port_json "@$H1:u1" | jq .neigh_rescans; }
	ip -n "$H1" link add vl0 type veth peer name vl1 || fail "veth vl0 in $H1"
	for l in vl0 vl1; do
		ip netns exec "$H1" sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
		ip -n "$H1" link set "$l" up || fail "$l up"
	done
	ip -n "$H1" addr add 198.18.0.1/24 dev vl0 || fail "198.18.0.1 on vl0"
	sleep 2.5  # the links' events: a rescan at the next tick
	n0=$(rescans)
	for i in $(seq 1 50); do echo "route add 198.51.100.$i/32 via 198.18.0.2 dev vl0"; done >"$TMP/routes"
	ip -n "$H1" -batch "$TMP/routes" || fail "50 routes through vl0"
	sleep 2.5
	[ "$(rescans)" = "$n0" ] || fail "50 routes that hold no remote made $(($(rescans) - n0)) rescans"
	{
		for l in 25 26 27 28 29 30; do echo "route add 192.0.2.0/$l dev u1"; done
		echo "route add 192.0.2.2/31 dev u1"
		echo "route add 192.0.2.3/32 dev u1"
		for l in 25 26 27 28 29 30; do echo "route del 192.0.2.0/$l dev u1"; done
		echo "route del 192.0.2.2/31 dev u1"
		echo "route del 192.0.2.3/32 dev u1"
	} >"$TMP/routes"
	ip -n "$H1" -batch "$TMP/routes" || fail "8 routes to the remotes added and removed"
	sleep 2.5
	n1=$(rescans)
	[ $((n1 - n0)) -ge 1 ] && [ $((n1 - n0)) -le 2 ] || fail "16 route events that hold remotes made $((n1 - n0)) rescans, want 1 or 2"
	ip -n "$H1" route add 192.0.2.3/32 via 198.18.0.2 dev vl0 || fail "a route to .3 through vl0"
	wait_until 5 remote_is "$VA" 192.0.2.3 wrong-interface || fail ".3 not wrong-interface: $(remote_json "$VA" 192.0.2.3)"
	ip -n "$H1" route del 192.0.2.3/32 via 198.18.0.2 dev vl0
	wait_until 5 remote_is "$VA" 192.0.2.3 resolved || fail ".3 not resolved again: $(remote_json "$VA" 192.0.2.3)"
	ip -n "$H1" link del vl0
	ping_ok 1 10.77.34.2 3
	pass "route events: 50 routes elsewhere 0 rescans, 16 events for the remotes $((n1 - n0)); wrong-interface and back within a tick or two"

	# --- 7. the IPv6 underlay ---
	for i in 4 5; do
		tap_ns "$i" "10.77.36.$i/24"
		ip -n "$(ns_name $i)" link set eth0 mtu 1430 || fail "mtu 1430 in $(ns_name $i)"
		sw_ok port-add "name=$PFX-t$i" kind=tap "netns=/run/netns/$(ns_name $i)" iface=eth0 >/dev/null
	done
	A6=$PFX-a6 B6=$PFX-b6 VA6=$PFX-va6 VB6=$PFX-vb6
	sw_ok lan-add "name=$A6" mtu=1430 >/dev/null
	sw_ok lan-add "name=$B6" mtu=1430 >/dev/null
	r=$(sw_ok port-add "name=$VA6" kind=vxlan vni=200 'remote:=["2001:db8::2"]' iface=u1 "netns=/run/netns/$H1")
	jq_assert "IPv6 vxlan port" "$r" '.port.family == "ipv6" and .port.local == "2001:db8::1" and .port.overhead == 70'
	sw_ok port-add "name=$VB6" kind=vxlan vni=200 'remote:=["2001:db8::1"]' iface=u2 "netns=/run/netns/$H2" >/dev/null
	for p in t4 va6; do sw_ok attach "port=$PFX-$p" "lan=$A6" >/dev/null; done
	for p in t5 vb6; do sw_ok attach "port=$PFX-$p" "lan=$B6" >/dev/null; done
	wait_until 10 remote_is "$VA6" 2001:db8::2 resolved || fail "IPv6 remote: $(remote_json "$VA6" 2001:db8::2)"
	wait_until 10 remote_is "$VB6" 2001:db8::1 resolved || fail "IPv6 remote: $(remote_json "$VB6" 2001:db8::1)"
	jq_assert "resolved by ND to u2's MAC" "$(remote_json "$VA6" 2001:db8::2)" ".mac == \"$(vx_mac 2)\""
	wire_ping "$TMP/wire6.log" 4 10.77.36.5 5 10.77.36.4 ip6 and udp dst port 4789
	wire_has "$TMP/wire6.log" 'hlim 64, next-header UDP' \
		'2001:db8::1\.[0-9]* > 2001:db8::2\.4789: \[udp sum ok\] VXLAN, flags \[I\] (0x08), vni 200'
	transfer 4 5 10.77.36.5 5346
	jq_assert "no IPv6 checksum refused at H2" "$(port_json "@$H2:u2")" ".counters.drop_vx_csum == 0"
	pass "IPv6 underlay: ND, ping both ways, UDP checksums right on the wire and at the receiver, 20 MiB TCP same sha256"
	for p in "$VA6" "$VB6"; do sw_ok port-del "name=$p" >/dev/null; done
fi

# --- 8. cleanup ---
for p in "$VA" "$VB"; do sw_ok port-del "name=$p" >/dev/null; done
jq_assert "no underlay port left" "$(sw_ok show-ports)" '[.ports[].name | select(startswith("@"))] | length == 0'
for i in 1 2; do
	ip -n "${VX_H}$i" -d link show dev "u$i" | grep -q 'prog/xdp' && fail "XDP program left on u$i"
	ip netns exec "${VX_H}$i" ss -Huln | grep -q ":4789" && fail "reserved UDP socket left in ${VX_H}$i"
done
slack=$((68 * ${VNL_EXPECT_WORKERS:-1}))
wait_until 5 sh -c "$SWCTL show-workers | jq -e '.mbufs.in_use <= $mbufs0 + $slack'" ||
	fail "mbufs in use $(sw_ok show-workers | jq .mbufs.in_use), $mbufs0 after the first ping (+ $slack of tap stashes)"
pass "port-del: underlays, programs and reserved sockets gone; mbufs in use $(sw_ok show-workers | jq .mbufs.in_use) ($mbufs0 after the first ping)"
exit 0
