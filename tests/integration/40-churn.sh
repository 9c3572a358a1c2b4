#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: reconfiguration never disturbs traffic on other ports. While
# ports are added and removed, LANs are added and removed, and ports are
# attached and detached over and over (also in and out of the LAN that
# carries the traffic), a counted vhost stream loses no frame and sees no
# duplicate, and a fast ping between two namespaces loses nothing.
#
# Operations:
#   1. start a private switch; LAN F with vhost ports f0 f1 and afxdp ports
#      for namespaces 1 and 2; two spare veth pairs for churned afxdp ports
#   2. in the background, a churn loop for as long as the traffic runs:
#      lan-add, port-add (vhost server, vhost client, afxdp, afxdp xdp=false,
#      and a vhost client port whose peer, a second vhost_peer, is serving,
#      so every round connects and tears down a live vhost device), attach
#      to the new LAN or to F, detach, re-attach, lan-del with ports
#      attached, port-del; every request must succeed
#   3. meanwhile vhost_peer streams 2000 frames/s each way f0 <-> f1 for
#      15 s (exact counts), and namespace 1 pings namespace 2 every 10 ms
#      (0 % loss)
#   4. the churn did at least 5 rounds with no error; afterwards only the
#      objects of step 1 remain

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 40-churn
need_hugepages 256
need_xdp
need_cmd ping ethtool

SECS=15
[ -x "$VHOST_PEER" ] || fail "$VHOST_PEER is not built"
switchd_start
F=$PFX-F
sw_ok lan-add "name=$F" >/dev/null
for i in 0 1; do
	sw_ok port-add "name=$PFX-f$i" kind=vhost "path=$TMP/f$i.sock" >/dev/null
	sw_ok attach "port=$PFX-f$i" "lan=$F" >/dev/null
done
for i in 1 2; do
	ns_pair $i 10.77.40.$i/24
	sw_ok port-add "name=$PFX-n$i" kind=afxdp "iface=$(ns_host $i)" >/dev/null
	sw_ok attach "port=$PFX-n$i" "lan=$F" >/dev/null
	wait_until 10 port_is_up "$PFX-n$i" || fail "port $PFX-n$i not up: $(port_json "$PFX-n$i")"
done
veth_spare "${PFX}s0"
veth_spare "${PFX}s1"
ping_ok 1 10.77.40.2 2
# The serving peer for the churned live vhost port: it only drains floods.
peer_start gpeer -q 100 "$TMP/g.sock,server" -- hold
GPEER=$PEER_PID
wait_until 10 test -S "$TMP/g.sock" || fail "the serving vhost_peer did not create $TMP/g.sock"
before_ports=$(sw_ok show-ports | jq -cS '[.ports[] | {name, kind, lan}] | sort_by(.name)')
before_lans=$(sw_ok show-lans | jq -cS '[.lans[] | {name, ports: (.ports | sort)}] | sort_by(.name)')

# churn: one request; a failure is recorded, not fatal, so the traffic
# finishes and the test reports everything.
churn_req() {
	local out
	if ! out=$("$SWCTL_BIN" -s "$SOCK" "$@" 2>&1) || ! jq -e '.ok == true' >/dev/null 2>&1 <<<"$out"; then
		echo "vnl-swctl $* -> $out" >>"$TMP/churn-errors"
	fi
}

churn() {
	local n=0 c l
	while [ ! -e "$TMP/stop" ]; do
		c=$PFX-c$n
		l=$PFX-C$n
		churn_req lan-add "name=$l"
		churn_req port-add "name=$c-s" kind=vhost "path=$TMP/c$n.sock"
		churn_req port-add "name=$c-c" kind=vhost "path=$TMP/c$n-client.sock" mode=client
		churn_req port-add "name=$c-x" kind=afxdp "iface=${PFX}s0"
		churn_req port-add "name=$c-p" kind=afxdp "iface=${PFX}s1" xdp=false
		churn_req port-add "name=$c-g" kind=vhost "path=$TMP/g.sock" mode=client
		churn_req attach "port=$c-g" "lan=$F"
		churn_req attach "port=$c-s" "lan=$l"
		churn_req attach "port=$c-c" "lan=$F"
		churn_req attach "port=$c-x" "lan=$l"
		churn_req attach "port=$c-p" "lan=$F"
		churn_req show-ports
		churn_req detach "port=$c-c"
		churn_req attach "port=$c-c" "lan=$l"
		churn_req detach "port=$c-p"
		churn_req detach "port=$c-s"
		churn_req attach "port=$c-s" "lan=$F"
		churn_req detach "port=$c-s"
		churn_req attach "port=$c-s" "lan=$l"
		churn_req lan-del "name=$l"
		churn_req detach "port=$c-g"
		churn_req port-del "name=$c-g"
		churn_req port-del "name=$c-p"
		churn_req port-del "name=$c-x"
		churn_req port-del "name=$c-c"
		churn_req port-del "name=$c-s"
		n=$((n + 1))
		echo "$n" >"$TMP/churn-rounds"
	done
}

: >"$TMP/churn-errors"
churn &
CHURN=$!
bg_track "$CHURN"
nsx_bg 1 ping -n -q -i 0.01 -c $((SECS * 100)) -W 2 10.77.40.2 >"$TMP/ping.out" 2>&1
PING=$BG_PID

A=02:00:00:40:00:0a
B=02:00:00:40:00:0b
"$VHOST_PEER" -P "${PFX}stream" -q 500 "$TMP/f0.sock" "$TMP/f1.sock" -- \
	wait-link 0 wait-link 1 \
	wait-sh "$(ports_up_cmd "$PFX-f0" "$PFX-f1")" \
	send 0 $A ff:ff:ff:ff:ff:ff 1  expect 1 1 \
	send 1 $B ff:ff:ff:ff:ff:ff 1  expect 0 1 \
	stream 0 $A 1 $B $SECS 2000 >"$TMP/stream.log" 2>&1
stream_rc=$?
grep -E '^vhost_peer.*(sent|passed|FAIL)' "$TMP/stream.log" | sed 's/^/#   /'
wait "$PING"
ping_out=$(cat "$TMP/ping.out")
touch "$TMP/stop"
wait "$CHURN"

rounds=$(cat "$TMP/churn-rounds" 2>/dev/null || echo 0)
log "churn rounds: $rounds; ping: $(grep transmitted <<<"$ping_out")"
[ -s "$TMP/churn-errors" ] && fail "churn requests failed: $(head -n 5 "$TMP/churn-errors")"
[ "$rounds" -ge 5 ] || fail "only $rounds churn rounds ran during the traffic (expected at least 5)"
pass "$rounds churn rounds, every request accepted"
if ! alive "$GPEER"; then
	sed 's/^/#   /' "$TMP/gpeer.log"
	log "note: the serving vhost_peer for the churned port exited early (see above)"
fi
live=$(grep -c "$PFX-c[0-9]*-g: .*peer connected" "$TMP/switchd.log")
log "live vhost connections made and torn down during the churn: $live"
[ "$live" -ge 1 ] || fail "the churned client port never connected to its serving peer"
[ "$stream_rc" = 0 ] || fail "the vhost stream lost or duplicated frames while churning (see above)"
pass "vhost stream f0 <-> f1: exact counts while churning"
grep -q ' 0% packet loss' <<<"$ping_out" || fail "ping lost packets while churning: $ping_out"
pass "ping every 10 ms: 0 % loss while churning"

after_ports=$(sw_ok show-ports | jq -cS '[.ports[] | {name, kind, lan}] | sort_by(.name)')
after_lans=$(sw_ok show-lans | jq -cS '[.lans[] | {name, ports: (.ports | sort)}] | sort_by(.name)')
[ "$before_ports" = "$after_ports" ] || fail "ports changed: before $before_ports after $after_ports"
[ "$before_lans" = "$after_lans" ] || fail "LANs changed: before $before_lans after $after_lans"
for f in "$TMP"/c*.sock; do
	[ -e "$f" ] && fail "port-del left a vhost socket behind: $f"
done
jq_assert "no drops on the stream ports" "$(port_json "$PFX-f1")" \
	".counters.drop_tx_full == 0 and .counters.drop_rx_nombuf == 0"
pass "only the original ports and LANs remain"
workers_check "after the churn"
exit 0
