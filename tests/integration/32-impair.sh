#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: netem's impairments in vnl-switchd's fast path (impair-set /
# impair-clear, docs/switchd.md "Impairments") do what their settings say,
# measured by the nodes: delay within 0.5 ms at the median (ping RTT and
# one-way), jitter within its bounds with the spread of its distribution,
# loss, Gilbert-Elliott, duplicate and reorder within 1 point over their
# datagrams and equal to the switch's counters, a rate within 5 % with TCP,
# TSO frames kept whole by a delay and cut by a rate; a change under traffic
# loses nothing, impair-clear restores the base RTT and every mbuf comes
# back. This host has no netem (kernel without sch_netem): accuracy is
# checked against the settings, not against netem.
#
# Operations:
#   1. a private switch; namespaces A and B with persistent taps (tap ports)
#      on one LAN (iperf3 pins cubic: the host's default is bbr); base RTT
#      (ping -i 0.01) and base one-way delay (udp_flow), measured again
#      before each timing check (the host's load moves them)
#   2. delay 20 ms on A out: median RTT - base in 20 +- 0.5 ms, udp_flow
#      one-way median 20 +- 0.5 ms; the same with delay 20 ms on B in
#      (with two workers through the handoff ring); delay 100 us on B in at
#      200 datagrams/s: one-way median base + 0.1 ms, -0.02 +0.18 ms; delay
#      1 ms on B in under a burst of 200000 datagrams at up to 200000/s:
#      imp_in_queue_full 0
#   3. delay 20 ms jitter 2 ms on A out, uniform then normal: no one-way
#      delay under 20 - 2 (uniform) or 20 - 7.34 ms (normal) - 0.3, the
#      median 20 +- 1 ms, IQR 2 ms (uniform) or 2.70 ms (normal) +- 15 %
#      widened by the IQR of the base flow just before (the host's noise),
#      datagrams overtaken; the tail is reported (a loaded host wakes late,
#      with or without jitter); a failed measurement is taken once more
#   4. loss 1 % and 10 % over 20000 datagrams (5000/s): lost fraction within
#      1 point of the setting and equal to imp_out_lost (ARP aside); gemodel
#      5 % 50 %: 9.09 % +- 1 point
#   5. duplicate 5 % (with delay 10 ms): within 1 point, = imp_out_duplicated;
#      reorder 25 % (delay 10 ms): early datagrams within 1 point of 25 %, =
#      imp_out_reordered
#   6. rate 50 mbit on A out, TCP A -> B (iperf3 -t 5, the first second
#      omitted; a miss measured once more, as the UDP check): goodput
#      within 5 % of 50 x 1448 / 1514, A's tx_gso_frames
#      > 0 (a rate segments on entry); UDP offered at 100 Mbit/s: received
#      within 5 % of 50 x 1400 / 1442, the excess counted imp_out_rate_dropped;
#      delay 5 ms only: rx_gso_frames > 0 and tx_gso_frames 0 (TSO frames
#      delayed whole)
#   7. delay 20 -> 5 ms under a udp_flow stream: nothing lost; impair-clear:
#      RTT back to base (+ 0.5 ms), no frame queued, mbufs in use back
#   8. delay 500 ms on A out and B in under a stream, then port-del A and B
#      with the frames queued: mbufs back, imp_mbufs 0, the switch answers
#   With VNL_EXPECT_WORKERS=2 (the -2workers variant: A and B on different
#   workers, B's in frames from A's worker go through the handoff ring):
#   steps 1, 2, 6, 7 and 8 only.

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 32-impair
need_hugepages 256
need_cmd ping iperf3 awk sort
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

switchd_start
A=$PFX-A
B=$PFX-B
TWO=${VNL_EXPECT_WORKERS:-1}

tap_ns 1 10.77.32.1/24
tap_ns 2 10.77.32.2/24
sw_ok lan-add "name=$PFX-L" >/dev/null
for i in 1 2; do
	p=$PFX-$([ "$i" = 1 ] && echo A || echo B)
	sw_ok port-add "name=$p" kind=tap "netns=/run/netns/$(ns_name "$i")" iface=eth0 >/dev/null
	sw_ok attach "port=$p" "lan=$PFX-L" >/dev/null
	wait_until 5 port_is_up "$p" || fail "port $p not up"
done
# Static neighbours: no ARP exchange is impaired mid-test (a resolution
# delayed 500 ms would hold the datagrams in the sender's kernel).
nsx 1 ip neigh replace 10.77.32.2 lladdr "$(ns_mac 2)" dev eth0 nud permanent || fail "static neighbour in 1"
nsx 2 ip neigh replace 10.77.32.1 lladdr "$(ns_mac 1)" dev eth0 nud permanent || fail "static neighbour in 2"
ping_ok 1 10.77.32.2 3

# --- helpers ---------------------------------------------------------------

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# quartiles: "Q1 Q3 MIN P90 P99 MAX" of the numbers on stdin.
quartiles() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int(NR / 4) + 1], v[int(3 * NR / 4) + 1], v[1], v[int(0.9 * NR) + 1],
		v[int(0.99 * NR) + 1], v[NR] }'
}

# rtt_median COUNT: the median RTT (ms) of COUNT pings A -> B, 10 ms apart.
rtt_median() {
	nsx 1 ping -n -c "$1" -i 0.01 -W 2 10.77.32.2 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | median
}

# within VALUE WANT TOL: |VALUE - WANT| <= TOL.
within() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; exit !(d <= t && -d <= t) }'; }

# counter PORT NAME: a port counter.
counter() { swctl show-ports "name=$1" | jq -r ".ports[0].counters.$2"; }

# imp PORT DIR KEY=VALUE...: impair-set; clear: imp PORT clear [DIR].
imp() {
	local port=$1 dir=$2
	shift 2
	if [ "$dir" = clear ]; then
		sw_ok impair-clear "port=$port" ${1:+"dir=$1"} >/dev/null
	else
		sw_ok impair-set "port=$port" "dir=$dir" "$@" >/dev/null
	fi
}

# flow PPS SECONDS: a udp_flow stream A -> B; sets FLOW (the sink's final
# JSON) and DELAYS (one-way delays file: "SEQ US" per datagram).
flow_n=0
flow() {
	local pid
	flow_n=$((flow_n + 1))
	DELAYS=$TMP/delays.$flow_n
	rm -f "$TMP/ready"
	nsx_bg 2 "$UDP_FLOW" sink 5032 "$TMP/runs.$flow_n" "$TMP/ready" "$DELAYS" >"$TMP/sink.$flow_n" 2>&1
	pid=$BG_PID
	wait_until 5 test -e "$TMP/ready" || fail "udp_flow sink did not start"
	nsx 1 "$UDP_FLOW" stream 10.77.32.2 5032 "$1" "$2" >"$TMP/stream.$flow_n" || fail "udp_flow stream failed"
	sleep 0.3 # the last delayed datagrams
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	FLOW=$(tail -n 1 "$TMP/sink.$flow_n")
	jq -e '.received >= 0' >/dev/null 2>&1 <<<"$FLOW" || fail "udp_flow sink: $(cat "$TMP/sink.$flow_n")"
}

# one_way_median: the median one-way delay (ms) of the last flow.
one_way_median() { awk '{ print $2 / 1000 }' "$DELAYS" | median; }

# rebase: base_rtt and base_ow, the medians without impairment, measured
# again right before each timing check: the host's load moves them.
rebase() {
	base_rtt=$(rtt_median 100) || fail "no base RTT"
	flow 2000 1
	base_ow=$(one_way_median) || fail "no base one-way delay"
}

# --- 1. base ------------------------------------------------------------------
rebase
mbufs0=$(sw_ok show-workers | jq '.mbufs.in_use')
pass "base: RTT median $base_rtt ms, one-way median $base_ow ms, mbufs in use $mbufs0"

# --- 2. delay -------------------------------------------------------------------
# check_delay WHAT: RTT and one-way medians 20 ms above the base, +- 0.5 ms.
check_delay() {
	local rtt ow
	rtt=$(rtt_median 200) || fail "$1: no RTT"
	within "$rtt" "$(awk -v b="$base_rtt" 'BEGIN { print b + 20 }')" 0.5 ||
		fail "$1: RTT median $rtt ms, expected base $base_rtt + 20 +- 0.5"
	flow 2000 1
	ow=$(one_way_median)
	within "$ow" "$(awk -v b="$base_ow" 'BEGIN { print b + 20 }')" 0.5 ||
		fail "$1: one-way median $ow ms, expected base $base_ow + 20 +- 0.5"
	jq_assert "$1: nothing lost" "$FLOW" '.lost == 0 and .dup == 0'
	read -r _ _ lo p90 p99 hi < <(awk '{ print $2 / 1000 }' "$DELAYS" | quartiles)
	pass "$1: RTT median $rtt ms, one-way median $ow ms (base $base_rtt, $base_ow); one-way from $lo, p90 $p90, p99 $p99, max $hi ms"
}
imp "$A" out delay_ns=20000000
r=$(port_json "$A")
jq_assert "show-ports impair" "$r" '.impair.out.delay_ns == 20000000 and (.impair.out.seed | type == "number") and .impair.in == null'
check_delay "delay 20 ms on A out"
jq_assert "A counters" "$(port_json "$A")" '.counters.imp_out_delayed > 2000 and .counters.imp_out_lost == 0'
imp "$A" clear
rebase
imp "$B" in delay_ns=20000000
check_delay "delay 20 ms on B in"
jq_assert "B counters" "$(port_json "$B")" '.counters.imp_in_delayed > 2000'
imp "$B" clear
# A short delay on B in: with two workers its frames come through the
# handoff ring, which its owner empties within IMP_HANDOFF_POLL_US (50 us)
# of a sleep, not --idle-sleep-max-us (500 us) late. 200 datagrams/s: the
# owner sleeps between them. Allowed: the 50 us and two wake-ups of a
# loaded host (~0.12 ms over the delay here; ~0.24 when the ring waited
# out the owner's 500 us sleeps).
# short_try: one measurement; SHORT_ERR says what was off (empty: good).
short_try() {
	local ow
	SHORT_ERR=
	rebase
	imp "$B" in delay_ns=100000
	flow 200 2
	ow=$(one_way_median)
	imp "$B" clear
	awk -v v="$ow" -v b="$base_ow" 'BEGIN { exit !(v >= b + 0.1 - 0.02 && v <= b + 0.1 + 0.18) }' ||
		SHORT_ERR="one-way median $ow ms, expected base $base_ow + 0.1, -0.02 +0.18"
	SHORT_MSG="one-way median $ow ms (base $base_ow)"
}
short_try
if [ -n "$SHORT_ERR" ]; then
	log "delay 100 us on B in, first try: $SHORT_ERR (a loaded host? once more)"
	short_try
	[ -z "$SHORT_ERR" ] || fail "delay 100 us on B in: $SHORT_ERR"
fi
pass "delay 100 us on B in: $SHORT_MSG"
# A burst far faster than one handoff burst per owner iteration: the owner
# takes its ring empty each time, so none is dropped for a full ring (1 ms:
# what it holds stays under limit, 1000, which counts queue_full too).
# burst_try: one burst; BURST_FULL = the frames the ring dropped. Two
# workers on one CPU here: a loaded host can keep the owner off it for
# milliseconds (the ring holds 5 ms of this burst): a miss is tried again.
burst_try() {
	local c0
	c0=$(counter "$B" imp_in_queue_full)
	imp "$B" in delay_ns=1000000
	flow 200000 1
	imp "$B" clear
	BURST_FULL=$(($(counter "$B" imp_in_queue_full) - c0))
}
burst_try
if [ "$BURST_FULL" != 0 ]; then
	log "delay 1 ms on B in, a burst at up to 200000/s, first try: imp_in_queue_full $BURST_FULL (a loaded host? once more)"
	burst_try
	[ "$BURST_FULL" = 0 ] ||
		fail "delay 1 ms on B in, a burst at up to 200000/s: imp_in_queue_full $BURST_FULL; sink $FLOW"
fi
pass "delay 1 ms on B in, a burst at up to 200000/s: $(jq .received <<<"$FLOW") received, imp_in_queue_full 0"

# --- 3. jitter -----------------------------------------------------------------
# jitter_try DIST IQR SEED: one measurement of delay 20 ms jitter 2 ms DIST
# on A out after a fresh base; JITTER_ERR says what was off (empty: all
# good). Never early; the median within 1 ms and the IQR within 15 % plus
# the spread the host adds without any impairment (IQR0 of the base flow):
# each frame is due at its own time, so an adaptive worker wakes for each
# (a constant-rate stream under a plain delay shares the rx wake-ups), and
# a loaded host wakes it a few hundred microseconds late; the tail is
# reported only. The exact spread is impair-queue's (system test).
jitter_try() {
	local iqr med
	JITTER_ERR=
	imp "$A" clear
	rebase
	read -r q1 q3 _ < <(awk '{ print $2 / 1000 }' "$DELAYS" | quartiles)
	IQR0=$(awk -v a="$q1" -v b="$q3" 'BEGIN { print b - a }')
	imp "$A" out delay_ns=20000000 jitter_ns=2000000 "dist=$1" "seed=$3"
	flow 2000 2
	read -r q1 q3 lo p90 p99 hi < <(awk '{ print $2 / 1000 }' "$DELAYS" | quartiles)
	iqr=$(awk -v a="$q1" -v b="$q3" 'BEGIN { print b - a }')
	med=$(one_way_median)
	jq -e '.lost == 0 and .early > 0' >/dev/null <<<"$FLOW" || JITTER_ERR="$JITTER_ERR lost or no reordering: $FLOW;"
	awk -v lo="$lo" -v b="$base_ow" -v j="$(awk -v d="$1" 'BEGIN { print d == "normal" ? 7.34 : 2 }')" \
		'BEGIN { exit !(lo >= 20 - j - 0.3) }' || JITTER_ERR="$JITTER_ERR a one-way delay of $lo ms (early);"
	within "$med" "$(awk -v b="$base_ow" 'BEGIN { print b + 20 }')" 1 ||
		JITTER_ERR="$JITTER_ERR median $med ms, expected $base_ow + 20 +- 1;"
	within "$iqr" "$2" "$(awk -v e="$2" -v n="$IQR0" 'BEGIN { print 0.15 * e + n }')" ||
		JITTER_ERR="$JITTER_ERR IQR $iqr ms ($q1..$q3), expected $2 +- 15 % + $IQR0;"
	JITTER_MSG="one-way from $lo ms, median $med, IQR $iqr ($q1..$q3, base IQR $IQR0), p90 $p90, p99 $p99, max $hi ms, $(jq .early <<<"$FLOW") early"
}

# check_jitter DIST IQR: jitter_try, once more when the host got in the way.
check_jitter() {
	jitter_try "$1" "$2" 1
	if [ -n "$JITTER_ERR" ]; then
		log "jitter 2 ms $1, first try:$JITTER_ERR (a loaded host? once more)"
		jitter_try "$1" "$2" 2
		[ -z "$JITTER_ERR" ] || fail "jitter 2 ms $1:$JITTER_ERR $JITTER_MSG"
	fi
	pass "jitter 2 ms $1: $JITTER_MSG"
}
if [ "$TWO" = 1 ]; then
	check_jitter uniform 2
	check_jitter normal 2.698
	imp "$A" clear
fi

# --- 4. loss ---------------------------------------------------------------------
# check_frac WHAT JSONKEY PERCENT COUNTER [SLACK]: the flow's fraction (of
# 20000) within 1 point of PERCENT and equal to A's COUNTER delta, give or
# take SLACK frames the switch counted and the sink could not see (default
# 3: a ping's or an IPv4 neighbour probe's).
check_frac() {
	local got c1 pct slack=${5:-3}
	got=$(jq -r ".$2" <<<"$FLOW")
	c1=$(counter "$A" "$4")
	pct=$(awk -v g="$got" 'BEGIN { printf "%.3f", 100 * g / 20000 }')
	within "$pct" "$3" 1 ||
		fail "$1: $got of 20000 = $pct %, expected $3 +- 1 point; sink $FLOW; stream $(cat "$TMP/stream.$flow_n"); A $(port_json "$A" | jq -c '.counters | with_entries(select(.value > 0))'); workers $(sw_ok show-workers | jq -c '[.workers[] | {imp_mbufs, imp_mbufs_max}]')"
	[ "$((c1 - c0))" -ge "$got" ] && [ "$((c1 - c0))" -le "$((got + slack))" ] ||
		fail "$1: the sink saw $got, the switch counted $4 $((c1 - c0))"
	pass "$1: $pct % ($got of 20000), $4 $((c1 - c0))"
}
if [ "$TWO" = 1 ]; then
	c0=$(counter "$A" imp_out_lost)
	imp "$A" out loss_ppm=10000 seed=3
	flow 5000 4
	check_frac "loss 1 %" lost 1 imp_out_lost
	c0=$(counter "$A" imp_out_lost)
	imp "$A" out loss_ppm=100000 seed=4
	flow 5000 4
	check_frac "loss 10 %" lost 10 imp_out_lost
	c0=$(counter "$A" imp_out_lost)
	imp "$A" out gemodel:='[50000,500000]' seed=5
	flow 5000 4
	check_frac "gemodel 5 % 50 %" lost 9.09 imp_out_lost

	# --- 5. duplicate, reorder ---
	c0=$(counter "$A" imp_out_duplicated)
	imp "$A" out delay_ns=10000000 dup_ppm=50000 seed=6
	flow 5000 4
	check_frac "duplicate 5 %" dup 5 imp_out_duplicated
	c0=$(counter "$A" imp_out_reordered)
	imp "$A" out delay_ns=10000000 reorder_ppm=250000 seed=7
	flow 5000 4
	jq_assert "reorder: nothing lost" "$FLOW" '.lost == 0'
	# A frame sent at once with nothing queued ahead of it (the stream's
	# first ones) overtakes nothing: counted, not early.
	check_frac "reorder 25 %" early 25 imp_out_reordered 20
	imp "$A" clear
fi

# --- 6. rate and offloads ------------------------------------------------------
# iperf_ab ARGS...: iperf3 A -> B; prints the receiver's Mbit/s.
iperf_ab() {
	local out
	nsx_bg 2 iperf3 -s -1 -p 5232 >"$TMP/iperf-s.log" 2>&1
	wait_until 5 nsx 2 sh -c 'ss -ltn | grep -q :5232' || fail "iperf3 server did not start"
	out=$(nsx 1 iperf3 -c 10.77.32.2 -p 5232 -C cubic -J "$@") || fail "iperf3 $* failed: $(tail -c 400 <<<"$out")"
	wait "$BG_PID" 2>/dev/null
	jq -r '.end.sum_received.bits_per_second / 1e6 * 100 | round / 100' <<<"$out"
}
sw_ok clear-counters >/dev/null
imp "$A" out delay_ns=5000000
g=$(iperf_ab -t 2) || exit 1
jq_assert "delay only: TSO frames delayed whole" "$(port_json "$A")" \
	'.counters.rx_gso_frames > 0 and .counters.tx_gso_frames == 0 and .counters.imp_out_delayed > 0'
pass "delay 5 ms, TCP A -> B: $g Mbit/s, TSO frames kept whole"
sw_ok clear-counters >/dev/null
imp "$A" out rate_bps=50000000
# in_rate VALUE WANT: VALUE within 5 % of WANT.
in_rate() { awk -v g="$1" -v w="$2" 'BEGIN { exit !(g >= 0.95 * w && g <= 1.05 * w) }'; }
# A single iperf3 run on a loaded host can lose its CPU for a while: a miss
# is measured once more (both reported), as the jitter checks do.
want=$(awk 'BEGIN { print 50 * 1448 / 1514 }')
g=$(iperf_ab -t 5 -O 1) || exit 1
if ! in_rate "$g" "$want"; then
	log "rate 50 mbit: TCP goodput $g Mbit/s, expected $want +- 5 % (a loaded host? once more)"
	g1=$g
	g=$(iperf_ab -t 5 -O 1) || exit 1
	in_rate "$g" "$want" || fail "rate 50 mbit: TCP goodput $g1 then $g Mbit/s, expected $want +- 5 %"
fi
jq_assert "rate: TSO frames cut on entry" "$(port_json "$A")" '.counters.tx_gso_frames > 0'
pass "rate 50 mbit, TCP A -> B: $g Mbit/s (expected $want +- 5 %), TSO frames segmented on entry"
# UDP offered at twice the rate: what arrives is the rate, the rest is the
# shaper's drops (1400-byte datagrams: 1442-byte frames).
want=$(awk 'BEGIN { print 50 * 1400 / 1442 }')
out=$(iperf_ab -u -b 100M -l 1400 -t 4) || exit 1
if ! in_rate "$out" "$want"; then
	log "rate 50 mbit, UDP at 100 Mbit/s: $out Mbit/s received, expected $want +- 5 % (a loaded host? once more)"
	out1=$out
	out=$(iperf_ab -u -b 100M -l 1400 -t 4) || exit 1
	in_rate "$out" "$want" ||
		fail "rate 50 mbit, UDP at 100 Mbit/s: $out1 then $out Mbit/s received, expected $want +- 5 %"
fi
jq_assert "rate: the excess dropped by the shaper" "$(port_json "$A")" '.counters.imp_out_rate_dropped > 1000'
pass "rate 50 mbit, UDP offered at 100 Mbit/s: $out Mbit/s received (expected $want +- 5 %), $(counter "$A" imp_out_rate_dropped) rate_dropped"
workers_check "after iperf3"

# --- 7. change under traffic, clear ---------------------------------------------
imp "$A" out delay_ns=20000000
flow_n=$((flow_n + 1))
rm -f "$TMP/ready"
nsx_bg 2 "$UDP_FLOW" sink 5032 "$TMP/runs.x" "$TMP/ready" >"$TMP/sink.x" 2>&1
pid=$BG_PID
wait_until 5 test -e "$TMP/ready" || fail "udp_flow sink did not start"
nsx_bg 1 "$UDP_FLOW" stream 10.77.32.2 5032 2000 2 >"$TMP/stream.x"
spid=$BG_PID
sleep 1
imp "$A" out delay_ns=5000000
wait "$spid" 2>/dev/null
sleep 0.3
kill -TERM "$pid"
wait "$pid" 2>/dev/null
FLOW=$(tail -n 1 "$TMP/sink.x")
jq_assert "delay 20 -> 5 ms under a stream: nothing lost" "$FLOW" '.lost == 0 and .received == 4000'
pass "delay 20 -> 5 ms under a 2000/s stream: 4000 of 4000 received"
imp "$A" clear
wait_until 3 sh -c "$SWCTL show-ports name=$A | jq -e '.ports[0].impair == null'" || fail "impair still shown after clear"
rtt=$(rtt_median 100)
within "$rtt" "$base_rtt" 0.5 || fail "after impair-clear: RTT median $rtt ms, base $base_rtt"
sleep 1.5 # the tick frees the retired states
wait_until 5 sh -c "[ \$($SWCTL show-workers | jq '.mbufs.in_use') -le $((mbufs0 + 64)) ]" ||
	fail "mbufs in use $(sw_ok show-workers | jq '.mbufs.in_use'), before the test $mbufs0"
jq_assert "no mbuf held by delay queues" "$(sw_ok show-workers)" '[.workers[].imp_mbufs] | all(. == 0)'
pass "impair-clear: RTT $rtt ms (base $base_rtt), mbufs back"

# --- 8. ports deleted with frames queued ---------------------------------------
imp "$A" out delay_ns=500000000
imp "$B" in delay_ns=500000000
nsx_bg 1 "$UDP_FLOW" stream 10.77.32.2 5032 2000 1 >"$TMP/stream.y"
spid=$BG_PID
sleep 0.6
q=$(port_json "$A" | jq '.impair.queued.out')
[ "$q" -gt 100 ] || fail "delay 500 ms under a stream: only $q frames queued on A"
sw_ok port-del "name=$A" >/dev/null
sw_ok port-del "name=$B" >/dev/null
wait "$spid" 2>/dev/null
wait_until 5 sh -c "[ \$($SWCTL show-workers | jq '.mbufs.in_use') -le $((mbufs0 + 64)) ]" ||
	fail "after port-del with queued frames: mbufs in use $(sw_ok show-workers | jq '.mbufs.in_use'), before $mbufs0"
jq_assert "no mbuf held by delay queues" "$(sw_ok show-workers)" '[.workers[].imp_mbufs] | all(. == 0)'
pass "ports deleted with $q frames queued: mbufs back, the switch answers"
