#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: kernel TCP between ns nodes of both NIC types in one lab, built
# with vnl (real vnld, vnl-switchd, taps, veths, AF_XDP): for every ordered
# pair of types {tap, afxdp} x {tap, afxdp} a stream and a file transfer are
# correct end to end, whatever offload path the switch takes in between
# (tap -> tap: GSO frames passed through whole; tap -> afxdp: segmented and
# checksummed in the switch; afxdp -> tap and afxdp -> afxdp: plain frames),
# also while the frames are flooded and the MAC table forgets them.
#
# Operations:
#   1. LAN blue; ns nodes t1, t2 (tap, the default) and x1, x2 (--nic-type
#      afxdp), one subnet; show names each NIC's type; the switch's ports
#      have kinds tap and afxdp
#   2. per ordered pair (t1->t2, t1->x1, x1->t2, x1->x2): `iperf3 -t 2` moves
#      data; a 20 MiB socat transfer arrives with the same sha256; the
#      receiver's Tcp InCsumErrors does not grow; on afxdp receivers
#      `tcpdump -vv -c 200` of the transfer shows no "incorrect" checksum
#   3. flood: a third member t3 on blue, and the switch's FDB flushed every
#      200 ms during a t1 -> x1 transfer (GSO frames flooded to a tap and
#      segmented for the afxdp port at once): same sha256, no InCsumErrors
#      on x1 nor t3
#   4. every port: drop_gso and drop_offload_bad stay 0; the tap ports have
#      offloads rx and tx csum,tso4 (show-ports), t1's counts rx_gso_frames
#      > 0 (TSO from the node)
#   5. stop leaves nothing of the lab
#
# Variant 24-tcp-kinds-2workers (meson: VNL_SWITCHD_ARGS="--worker-cores
# 1@1,2@1", which vnld hands to the switch, VNL_EXPECT_WORKERS=2): ports
# alternate between the two workers in the order they are added (t1-0, x1-0
# and t3-0 on one, t2-0 and x2-0 on the other), so step 2 runs only the
# pairs that cross workers with each offload path: t1 -> t2 (GSO frames
# passed whole to the other worker's tap) and t1 -> x2 (segmented and
# checksummed for the other worker's afxdp port); steps 3-5 as above, and
# show-workers lists 2 workers that both polled ports and received frames.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 24-tcp-kinds
need_cmd iperf3 socat tcpdump sha256sum
lab_new L k24
SOCK=/run/vnetlab/$L/switchd.sock

# nsx NODE CMD...: CMD in the node's netns (host tools: iperf3, socat, tcpdump).
nsx() { local n=$1; shift; ip netns exec "vnl.$L.$n" "$@"; }
addr_of() { case $1 in t1) echo 10.24.0.1 ;; t2) echo 10.24.0.2 ;; x1) echo 10.24.0.3 ;; x2) echo 10.24.0.4 ;; t3) echo 10.24.0.5 ;; esac; }
type_of() { case $1 in t*) echo tap ;; *) echo afxdp ;; esac; }
counters() { "$SWCTL_BIN" -c -s "$SOCK" show-counters; }

# --- 1. the lab ---------------------------------------------------------------------
vnl_ok "add lan blue" add lan blue
[ "$RC" = 0 ] || bail "cannot build the lab"
for n in t1 t2 x1 x2; do
	if [ "$(type_of $n)" = tap ]; then
		vnl_ok "add ns $n (tap, the default)" add ns "$n"
	else
		vnl_ok "add ns $n --nic-type afxdp" add ns "$n" --nic-type afxdp
	fi
	vnl_ok "link $n:0 blue --ip $(addr_of $n)/24" link "$n:0" blue --ip "$(addr_of $n)/24"
done
j=$(json_of show)
jcheck "show -j: each node's effective NIC type" "$j" \
	'[.nodes[] | [.name, .nic_types[0]]] == [["t1","tap"],["t2","tap"],["x1","afxdp"],["x2","afxdp"]]'
jcheck "the switch: tap ports for t1, t2, afxdp for x1, x2" "$("$SWCTL_BIN" -c -s "$SOCK" show-ports)" \
	'[.ports[] | [.name, .kind]] | sort == [["t1-0","tap"],["t2-0","tap"],["x1-0","afxdp"],["x2-0","afxdp"]]'
head -c $((20 << 20)) /dev/urandom >"$TMP/src"
SRC_SUM=$(sha256sum <"$TMP/src" | cut -d' ' -f1)

# --- 2. every ordered pair -----------------------------------------------------------
# transfer FROM TO PORT: 20 MiB from FROM to TO with socat; true when the
# sha256 of what TO received is the source's (tcpdump on afxdp receivers).
transfer() {
	local from=$1 to=$2 port=$3 got
	rm -f "$TMP/dst"
	nsx "$to" timeout 60 socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$TMP/dst,creat,trunc" &
	local srv=$!
	bg_track "$srv"
	wait_for 5 nsx "$to" sh -c "ss -ltn | grep -q :$port"
	nsx "$from" timeout 60 socat -u "OPEN:$TMP/src" "TCP:$(addr_of "$to"):$port"
	wait "$srv"
	got=$(sha256sum <"$TMP/dst" | cut -d' ' -f1)
	[ "$got" = "$SRC_SUM" ]
}

port=5240
PAIRS="t1:t2 t1:x1 x1:t2 x1:x2"
[ -n "${VNL_EXPECT_WORKERS:-}" ] && PAIRS="t1:t2 t1:x2"
for pair in $PAIRS; do
	from=${pair%:*} to=${pair#*:}
	what="$(type_of "$from") -> $(type_of "$to") ($from -> $to)"
	e0=$(node_snmp "$to" Tcp InCsumErrors)
	port=$((port + 1))
	nsx "$to" timeout 20 iperf3 -s -1 -p "$port" >"$TMP/iperf-s.log" 2>&1 &
	bg_track $!
	wait_for 5 nsx "$to" sh -c "ss -ltn | grep -q :$port"
	out=$(nsx "$from" timeout 20 iperf3 -c "$(addr_of "$to")" -p "$port" -t 2 -J 2>&1)
	bps=$(jq -r '.end.sum_received.bits_per_second // 0' <<<"$out" 2>/dev/null)
	result $([ "${bps%.*}" -gt 1000000 ] 2>/dev/null; echo $?) "$what: iperf3 -t 2 ($(awk -v b="${bps:-0}" 'BEGIN { printf "%.2f", b / 1e9 }') Gbit/s, loaded host)" \
		"$(tail -c 400 <<<"$out")"
	if [ "$(type_of "$to")" = afxdp ]; then
		nsx "$to" timeout 30 tcpdump -vv -nn -c 200 -i eth0 "tcp port $((port + 100))" >"$TMP/tcpdump" 2>"$TMP/tcpdump.err" &
		dump=$!
		sleep 0.5
	fi
	transfer "$from" "$to" $((port + 100))
	result $? "$what: 20 MiB by socat, same sha256"
	if [ "$(type_of "$to")" = afxdp ]; then
		wait "$dump"
		n=$(grep -c 'cksum' "$TMP/tcpdump")
		result $([ "$n" -ge 100 ] && ! grep -q incorrect "$TMP/tcpdump"; echo $?) \
			"$what: tcpdump -vv on the afxdp receiver: $n checksums shown, none incorrect" \
			"$(grep incorrect "$TMP/tcpdump" | head -n 3)" "$(tail -n 2 "$TMP/tcpdump.err")"
	fi
	e1=$(node_snmp "$to" Tcp InCsumErrors)
	result $([[ $e0 =~ ^[0-9]+$ && $e1 = "$e0" ]]; echo $?) "$what: InCsumErrors of $to unchanged ($e0)" "now $e1"
done

# --- 3. flooded, the FDB flushed every 200 ms ---------------------------------------
vnl_ok "add ns t3 (a third member)" add ns t3
vnl_ok "link t3:0 blue" link t3:0 blue --ip "$(addr_of t3)/24"
ex=$(node_snmp x1 Tcp InCsumErrors)
e3=$(node_snmp t3 Tcp InCsumErrors)
( while :; do "$SWCTL_BIN" -s "$SOCK" fdb-flush >/dev/null 2>&1; sleep 0.2; done ) &
FLUSHER=$!
bg_track "$FLUSHER"
t3tx() { counters | jq '.ports["t3-0"].tx_packets // 0'; }
f0=$(t3tx)
nsx x1 timeout 20 iperf3 -s -1 -p 5298 >"$TMP/iperf-s.log" 2>&1 &
bg_track $!
wait_for 5 nsx x1 sh -c "ss -ltn | grep -q :5298"
out=$(nsx t1 timeout 20 iperf3 -c "$(addr_of x1)" -p 5298 -t 2 -J 2>&1)
result $(jq -e '.end.sum_received.bytes > 0' <<<"$out" >/dev/null 2>&1; echo $?) \
	"tap -> afxdp, FDB flushed every 200 ms: iperf3 -t 2 moves data" "$(tail -c 300 <<<"$out")"
transfer t1 x1 5299
result $? "tap -> afxdp, flooded to t3, FDB flushed every 200 ms: 20 MiB, same sha256"
kill "$FLUSHER" 2>/dev/null
wait "$FLUSHER" 2>/dev/null
f1=$(t3tx)
result $([ $((f1 - f0)) -gt 0 ]; echo $?) "the flushes took effect: t3's port sent $((f1 - f0)) flooded frames"
result $([[ $ex =~ ^[0-9]+$ && $e3 =~ ^[0-9]+$ && $(node_snmp x1 Tcp InCsumErrors) = "$ex" &&
	$(node_snmp t3 Tcp InCsumErrors) = "$e3" ]]; echo $?) \
	"flood: InCsumErrors unchanged on x1 ($ex) and t3 ($e3)" "x1 $(node_snmp x1 Tcp InCsumErrors), t3 $(node_snmp t3 Tcp InCsumErrors)"

# --- 4. switch counters ------------------------------------------------------------------
c=$(counters)
diag "$(jq -c '.ports | to_entries | map({(.key): {rx_gso_frames: .value.rx_gso_frames, tx_gso_frames: .value.tx_gso_frames, tx_gso_segments: .value.tx_gso_segments, drop_gso: .value.drop_gso, drop_offload_bad: .value.drop_offload_bad}}) | add' <<<"$c" 2>&1)"
jcheck "no port counts drop_gso or drop_offload_bad" "$c" \
	'[.ports[] | (.drop_gso // 0) + (.drop_offload_bad // 0)] | add == 0'
ports=$("$SWCTL_BIN" -c -s "$SOCK" show-ports)
jcheck "tap ports t1-0, t2-0, t3-0: offload rx and tx csum,tso4" "$ports" \
	'[.ports[] | select(.kind == "tap") | {(.name): .offload}] | add ==
	 {"t1-0": {rx: "csum,tso4", tx: "csum,tso4"}, "t2-0": {rx: "csum,tso4", tx: "csum,tso4"},
	  "t3-0": {rx: "csum,tso4", tx: "csum,tso4"}}'
jcheck "tap sender's port t1-0: rx_gso_frames > 0 (TSO from the node)" "$c" \
	'.ports["t1-0"].rx_gso_frames > 0'
if [ -n "${VNL_EXPECT_WORKERS:-}" ]; then
	w=$("$SWCTL_BIN" -c -s "$SOCK" show-workers)
	jcheck "$VNL_EXPECT_WORKERS workers, each polls ports and received frames" "$w" \
		".workers | length == $VNL_EXPECT_WORKERS and all(.[]; (.ports | length) > 0 and .packets > 0)"
	jcheck "t1-0 and t2-0 are polled by different workers" "$w" \
		'[.workers[] | select(.ports | index("t1-0") or index("t2-0"))] | length == 2'
fi

# --- 5. stop -----------------------------------------------------------------------------
vnl_ok "stop" stop
check "after stop: no netns of the lab" test -z "$(lab_netns "$L")"
check "after stop: no process of the lab" test -z "$(lab_pids "$L")"
done_testing
