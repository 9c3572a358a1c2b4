#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: a vhost port in mode client connects to a peer that serves the
# socket, follows the peer across restarts by itself (a clean exit and a
# kill -9), and traffic flows after each reconnection.
#
# Operations:
#   1. start a private switch; lan-add L; port-add c0 (vhost, mode=client,
#      path in TMP: nobody listens yet, link down) and s1 (vhost server);
#      attach both
#   2. run 1: vhost_peer serves c0's socket (server=1) and connects to s1;
#      wait for both links up in show-ports; counted frames both ways; the
#      port counters match
#   3. the peer exits: c0 goes down; run 2 (a restart): c0 comes up again
#      without any command, traffic flows
#   4. run 3 holds the ports and is killed with SIGKILL: c0 goes down; run 4
#      (after removing the stale socket file, as any restarted server must)
#      gets c0 up again and traffic flows
#   5. the other side restarts: a peer serves two sockets for client ports
#      k0 k1 and passes traffic; the switch is stopped (SIGTERM) and started
#      again with the same ports; the peer, still running, sees the new
#      switch connect and traffic flows again

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 21-vhost-client-reconnect
need_hugepages 256

switchd_start
L=$PFX-L
C0=$PFX-c0
S1=$PFX-s1
sw_ok lan-add "name=$L" >/dev/null
r=$(sw_ok port-add "name=$C0" kind=vhost "path=$TMP/c0.sock" mode=client)
jq_assert "port-add client reply" "$r" \
	".port.kind == \"vhost\" and .port.mode == \"client\" and .port.path == \"$TMP/c0.sock\" and .port.link == \"down\""
[ -e "$TMP/c0.sock" ] && fail "a client-mode port must not create its socket"
sw_ok port-add "name=$S1" kind=vhost "path=$TMP/s1.sock" >/dev/null
sw_ok attach "port=$C0" "lan=$L" >/dev/null
sw_ok attach "port=$S1" "lan=$L" >/dev/null

A=02:00:00:21:00:0a
B=02:00:00:21:00:0b

# traffic_run NAME: one peer life with 50 frames each way, counters checked.
traffic_run() {
	peer_run "$1" -q 150 "$TMP/c0.sock,server" "$TMP/s1.sock" -- \
		wait-link 1 \
		wait-sh "$(ports_up_cmd "$C0" "$S1")" \
		wait-link 0 \
		sh "$SWCTL clear-counters >/dev/null" \
		send 0 $A $B 50  expect 1 50  expect-none 0 \
		send 1 $B $A 50  expect 0 50  expect-none 1
	jq_assert "$C0 counters after $1" "$(port_json "$C0")" \
		".counters.rx_packets == 50 and .counters.tx_packets == 50"
	jq_assert "$S1 counters after $1" "$(port_json "$S1")" \
		".counters.rx_packets == 50 and .counters.tx_packets == 50"
}

traffic_run run1
pass "client-mode port connects to a serving peer; traffic flows"

wait_until 10 port_is_down "$C0" || fail "$C0 still up after the peer exited: $(port_json "$C0")"
rm -f "$TMP/c0.sock"
traffic_run run2
pass "the port reconnected by itself after a peer restart"

wait_until 10 port_is_down "$C0" || fail "$C0 still up after the peer exited: $(port_json "$C0")"
rm -f "$TMP/c0.sock"
peer_start run3 "$TMP/c0.sock,server" "$TMP/s1.sock" -- wait-link 0 wait-link 1 hold
wait_until 15 port_is_up "$C0" || fail "$C0 did not come up for run 3: $(port_json "$C0")"
kill -KILL "$PEER_PID"
wait "$PEER_PID" 2>/dev/null
wait_until 10 port_is_down "$C0" || fail "$C0 still up after the peer was killed: $(port_json "$C0")"
wait_until 10 port_is_down "$S1" || fail "$S1 still up after the peer was killed: $(port_json "$S1")"
rm -f "$TMP/c0.sock"
traffic_run run4
pass "the port reconnected by itself after the peer was killed"

# --- the switch restarts under a running peer ---
K0=$PFX-k0
K1=$PFX-k1
add_k_ports() {
	local k
	for k in 0 1; do
		sw_ok port-add "name=$PFX-k$k" kind=vhost "path=$TMP/k$k.sock" mode=client >/dev/null
		sw_ok attach "port=$PFX-k$k" "lan=$L" >/dev/null
	done
}
add_k_ports
# Fresh MACs: A and B are still learned on c0 and s1, which have no peer now.
E=02:00:00:21:00:0e
F=02:00:00:21:00:0f
peer_start run5 -t 30000 -q 150 "$TMP/k0.sock,server" "$TMP/k1.sock,server" -- \
	wait-sh "$(ports_up_cmd "$K0" "$K1")"  wait-link 0  wait-link 1 \
	send 0 $E $F 20  expect 1 20  expect-none 0 \
	send 1 $F $E 20  expect 0 20  expect-none 1 \
	sh "touch $TMP/phase1-done" \
	wait-sh "test -e $TMP/switch-restarted" \
	wait-sh "$(ports_up_cmd "$K0" "$K1")"  wait-link 0  wait-link 1 \
	send 0 $E $F 30  expect 1 30  expect-none 0 \
	send 1 $F $E 30  expect 0 30  expect-none 1
RUN5=$PEER_PID
wait_until 40 test -e "$TMP/phase1-done" || fail "run 5 did not pass traffic before the restart"
switchd_stop || fail "the switch did not stop cleanly"
switchd_start
sw_ok lan-add "name=$L" >/dev/null
add_k_ports
touch "$TMP/switch-restarted"
wait "$RUN5"
rc=$?
if [ "$rc" != 0 ]; then
	sed 's/^/#   /' "$TMP/run5.log"
	fail "run 5 failed after the switch restarted (exit $rc)"
fi
jq_assert "$K0 after the switch restart" "$(port_json "$K0")" \
	".counters.rx_packets == 30 and .counters.tx_packets == 30"
pass "a running peer serves the restarted switch; traffic flows again"
exit 0
