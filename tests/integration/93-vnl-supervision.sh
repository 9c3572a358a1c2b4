#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vnld supervises its switch and survives its own death. kill -9
# of vnl-switchd: vnld starts a new one (restarts 1), pushes the lab again,
# and ping works without any node being touched. kill -9 of vnld, then
# `vnl start`: the lab is intact (same topology, the running switch adopted,
# same netns and veths), ping works. Crash debris: with vnld dead, a stray
# netns vnl.L.ghost is made and b's netns deleted by hand; `vnl start`
# removes ghost and makes b again, and b pings. Changes made while the switch
# is down (after its death, before vnld's restart timer) are accepted and in
# the restarted switch. vnld killed right after it forked a new switch: the
# next vnld ends with one switch, shown, pushed, and `vnl stop` leaves none.
# `vnl start` right after kill -9 of vnld (its socket still listening while
# the kernel closes its files) starts a new vnld. A stray vnl-switchd of the
# lab (its command line) is stopped by `vnl start` and by `vnl stop`.
#
# Operations: a lab from the CLI (a, b on blue; c on red); `vnl events -j`
# in the background; identities of nodes are netns inodes and host veth
# ifindexes, compared before and after.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 93-vnl-supervision
lab_new L c93
RUN=/run/vnetlab/$L

must add lan blue >/dev/null
must add lan red >/dev/null
for n in a b c; do must add ns "$n" >/dev/null; done
must link a:0 blue --ip 10.93.0.1/24 >/dev/null
must link b:0 blue --ip 10.93.0.2/24 >/dev/null
must link c:0 red --ip 10.93.0.3/24 >/dev/null
lab_record_ifs
check_ping "a pings b" a 10.93.0.2
"$VNL_BIN" --lab "$L" events -j >"$TMP/events" 2>"$TMP/events.err" &
bg_track $!
sleep 0.3

# identity IN: netns inodes and host veth ifindexes of the lab's nodes.
identity() {
	local n i
	for n in $(lab_netns "$L"); do echo "$n $(stat -L -c %i "/run/netns/$n")"; done
	for i in $(vnl show -j | jq -r '.nodes[].interfaces[].host'); do echo "$i $(cat "/sys/class/net/$i/ifindex" 2>&1)"; done
}
topo() { vnl save - 2>&1; }
# The switch's ports as [[name, lan]...], sorted; ports_are: equal to $1
# (waited for: `version` answers before vnld's push is through).
sw_ports() { "$SWCTL_BIN" -c -s "$RUN/switchd.sock" show-ports | jq -c '[.ports[] | [.name, .lan]] | sort'; }
ports_are() { [ "$(sw_ports)" = "$1" ]; }
id0=$(identity)
topo0=$(topo)
[ -n "$id0" ] && [ -n "$topo0" ] || bail "cannot read the lab: $id0 $topo0"

# --- kill -9 of the switch ---------------------------------------------------------
sw=$(vnl show -j | jq -r .switch.pid)
alive "$sw" || bail "switch pid '$sw' from show -j does not run"
kill -9 "$sw"
sw_restarted() {
	local j
	j=$(vnl show -j) || return 1
	jq -e ".switch.pid != $sw and .switch.pid > 0 and .switch.restarts == 1" <<<"$j" >/dev/null &&
		"$SWCTL_BIN" -s "$RUN/switchd.sock" version >/dev/null 2>&1
}
wait_for 20 sw_restarted
result $? "kill -9 of the switch: vnld starts a new one, restarts 1" "$(vnl show -j | jq -c .switch)"
sw2=$(vnl show -j | jq -r .switch.pid)
check "the new switch runs" alive "$sw2"
wait_for 5 ports_are '[["a-0","blue"],["b-0","blue"],["c-0","red"]]'
ports=$(sw_ports)
result $([ "$ports" = '[["a-0","blue"],["b-0","blue"],["c-0","red"]]' ]; echo $?) "the lab's ports and LANs are pushed to the new switch" "$ports"
check_ping "a pings b again after the switch restart" a 10.93.0.2
check_no_ping "c still cannot reach a (LANs pushed as they were)" c 10.93.0.1
result $([ "$(identity)" = "$id0" ]; echo $?) "no node was touched (same netns, same veths)" "$(diff <(echo "$id0") <(identity))"
result $([ "$(topo)" = "$topo0" ]; echo $?) "topology unchanged"
jcheck "events: switch-down then switch-ready" "$(jq -c -s '[.[] | select(.event | test("^switch")) | .event]' "$TMP/events")" \
	'index("switch-down") != null and index("switch-ready") != null and index("switch-down") < index("switch-ready")'

# --- kill -9 of vnld --------------------------------------------------------------------
vpid=$(cat "$RUN/vnld.pid" 2>/dev/null)
alive "${vpid:-0}" || bail "vnld pid '$vpid' from $RUN/vnld.pid does not run"
kill -9 "$vpid"
wait_for 5 sh -c "! kill -0 $vpid 2>/dev/null || grep -q '^State:.*Z' /proc/$vpid/status"
run show
result $([ "$RC" != 0 ] && [ -n "$ERR" ]; echo $?) "with vnld dead, vnl show fails with a message" "exit $RC" "$ERR"
check "the switch outlives vnld" alive "$sw2"
vnl_ok "vnl start after kill -9 of vnld" start
vpid2=$(cat "$RUN/vnld.pid" 2>/dev/null)
result $( [ "$vpid2" != "$vpid" ] && alive "${vpid2:-0}"; echo $?) "a new vnld runs" "pid file: $vpid2"
jcheck "the new vnld adopted the running switch" "$(vnl show -j)" ".switch.pid == $sw2"
result $([ "$(topo)" = "$topo0" ]; echo $?) "topology intact after the vnld restart" "$(diff <(echo "$topo0") <(topo))"
result $([ "$(identity)" = "$id0" ]; echo $?) "nodes intact (same netns, same veths)" "$(diff <(echo "$id0") <(identity))"
check_ping "a pings b after the vnld restart" a 10.93.0.2
vnl_ok "edits work after the restart: add ns d" add ns d
vnl_ok "link d:0 blue" link d:0 blue --ip 10.93.0.4/24
check_ping "d pings a" d 10.93.0.1
lab_record_ifs
must del d >/dev/null

# --- crash debris ---------------------------------------------------------------------------
id0=$(identity | grep -v "vnl\.$L\.b ")
vpid=$(cat "$RUN/vnld.pid")
kill -9 "$vpid"
wait_for 5 sh -c "! kill -0 $vpid 2>/dev/null || grep -q '^State:.*Z' /proc/$vpid/status"
ip netns add "vnl.$L.ghost" || bail "ip netns add vnl.$L.ghost"
ip netns del "vnl.$L.b" || bail "ip netns del vnl.$L.b"
vnl_ok "vnl start with debris (a stray netns, a node's netns gone)" start
check "the stray netns vnl.$L.ghost is removed" sh -c "! ip netns list | grep -q '^vnl\.$L\.ghost\b'"
check "b's netns is made again" test -e "/run/netns/vnl.$L.b"
check "b's eth0 has its address again" sh -c "ip -n vnl.$L.b -br addr show dev eth0 | grep -q ' 10.93.0.2/24'"
result $([ "$(topo)" = "$topo0" ]; echo $?) "topology intact after the debris start" "$(diff <(echo "$topo0") <(topo))"
jcheck "show: b linked with one interface" "$(vnl show b -j)" '(.node.interfaces | length) == 1 and .node.links[0].lan == "blue"'
wait_for 5 ports_are '[["a-0","blue"],["b-0","blue"],["c-0","red"]]'
ports=$(sw_ports)
result $([ "$ports" = '[["a-0","blue"],["b-0","blue"],["c-0","red"]]' ]; echo $?) "the switch has b-0 again (stale port replaced)" "$ports"
lab_record_ifs
check_ping "a pings the remade b" a 10.93.0.2
check_ping "b pings a" b 10.93.0.1
id1=$(identity | grep -v "vnl\.$L\.b ")
# b's veth is new; a's and c's must be the very same ones.
result $([ "$(grep -v "$(vnl show b -j | jq -r '.node.interfaces[0].host')" <<<"$id1")" = \
	"$(grep -v "$(vnl show b -j | jq -r '.node.interfaces[0].host')" <<<"$id0")" ]; echo $?) \
	"a and c were not touched by the recovery" "$(diff <(echo "$id0") <(echo "$id1"))"

# --- changes while the switch is down ---------------------------------------------
# Between the switch's death and vnld's restart timer (1 s) a change is
# accepted: the model and the kernel change, lab_push applies the rest.
must add ns e >/dev/null
must add ns f >/dev/null
sw=$(vnl show -j | jq -r .switch.pid)
restarts=$(vnl show -j | jq -r .switch.restarts)
kill -9 "$sw"
sw_down() { vnl show -j | jq -e '.switch.pid == 0'; }
wait_for 5 sw_down
vnl_ok "add lan while the switch is down" add lan green
vnl_ok "link e:0 while the switch is down" link e:0 green --ip 10.93.0.5/24
vnl_ok "link f:0 while the switch is down" link f:0 green --ip 10.93.0.6/24
diag "switch pid after the changes: $(vnl show -j | jq -c .switch) (0: they all ran while it was down)"
sw_back() {
	vnl show -j | jq -e ".switch.pid > 0 and .switch.restarts == $((restarts + 1))" >/dev/null &&
		"$SWCTL_BIN" -s "$RUN/switchd.sock" version >/dev/null 2>&1
}
wait_for 20 sw_back
result $? "the switch is back" "$(vnl show -j | jq -c .switch)"
wait_for 5 ports_are '[["a-0","blue"],["b-0","blue"],["c-0","red"],["e-0","green"],["f-0","green"]]'
ports=$(sw_ports)
result $([ "$ports" = '[["a-0","blue"],["b-0","blue"],["c-0","red"],["e-0","green"],["f-0","green"]]' ]; echo $?) \
	"the changes made while it was down are in the restarted switch" "$ports"
jcheck "show: e and f linked to green" "$(vnl show -j)" '[.links[] | select(.lan == "green") | .node] | sort == ["e", "f"]'
lab_record_ifs
check_ping "e pings f over the LAN added while the switch was down" e 10.93.0.6
check_no_ping "e cannot reach a (other LAN)" e 10.93.0.1
vnl_ok "del e" del e
vnl_ok "del f" del f
vnl del green >/dev/null 2>&1

# --- vnld killed while it restarts the switch -----------------------------------------
# The switch it had just forked (not answering yet) must be adopted or stopped
# by the next vnld, never talked to as someone else's, never left behind.
sw=$(vnl show -j | jq -r .switch.pid)
vpid=$(cat "$RUN/vnld.pid")
kill -9 "$sw"
orphan=
for ((i = 0; i < 500; i++)); do
	orphan=$(pgrep -f -- "--socket $RUN/switchd.sock" | grep -vx "$sw" | head -n 1)
	[ -n "$orphan" ] && break
	sleep 0.01
done
kill -9 "$vpid"
[ -n "$orphan" ] || bail "vnld forked no new switch within 5 s"
wait_for 5 sh -c "! kill -0 $vpid 2>/dev/null || grep -q '^State:.*Z' /proc/$vpid/status"
answered=$("$SWCTL_BIN" -s "$RUN/switchd.sock" version >/dev/null 2>&1 && echo yes || echo no)
diag "vnld killed right after it forked switch pid $orphan (answering already: $answered)"
vnl_ok "vnl start after vnld died in a switch restart" start
sleep 3
j1=$(vnl show -j)
sleep 2
j2=$(vnl show -j)
swp=$(jq -r .switch.pid <<<"$j2")
jcheck "one switch, running, no restart loop" "[$j1, $j2]" \
	'.[0].switch.pid > 0 and .[0].switch.pid == .[1].switch.pid and .[0].switch.restarts == .[1].switch.restarts'
result $([ "$(pgrep -f -- "--socket $RUN/switchd.sock" | sort | tr '\n' ' ')" = "$swp " ]; echo $?) \
	"the only vnl-switchd of the lab is the one vnld shows" "shown: $swp" \
	"running: $(pgrep -f -- "--socket $RUN/switchd.sock" | tr '\n' ' ')"
wait_for 5 ports_are '[["a-0","blue"],["b-0","blue"],["c-0","red"]]'
ports=$(sw_ports)
result $([ "$ports" = '[["a-0","blue"],["b-0","blue"],["c-0","red"]]' ]; echo $?) "the lab is pushed to the switch that serves its socket" "$ports"
check_ping "a pings b after the restart-time crash" a 10.93.0.2

# --- vnl start while a killed vnld still has its socket ---------------------------------
# A vnld killed a moment ago keeps its listener (and takes connections) until
# the kernel has closed its files: `vnl start` right after `kill -9` must not
# take it for a live vnld. The stand-in for that moment holds vnld.pid's lock
# and a listener on vnld.sock, never answers, and exits after 2 s.
vpid=$(cat "$RUN/vnld.pid")
kill -9 "$vpid"
wait_for 5 sh -c "! kill -0 $vpid 2>/dev/null || grep -q '^State:.*Z' /proc/$vpid/status"
rm -f "$RUN/vnld.sock"
python3 - "$RUN" <<'PY' &
import fcntl, socket, sys, time
run = sys.argv[1]
lock = open(run + "/vnld.pid", "a")
fcntl.flock(lock, fcntl.LOCK_EX)
s = socket.socket(socket.AF_UNIX)
s.bind(run + "/vnld.sock")
s.listen(16)
time.sleep(2)
PY
bg_track $!
wait_for 5 test -S "$RUN/vnld.sock" || bail "the stand-in of a dying vnld did not listen"
run start -j
jcheck "vnl start beside a dying vnld's socket starts a new vnld" "$OUT" '.started == true and .pid > 0'
vnl_ok "the new vnld serves the lab" show
jcheck "... with the running switch adopted" "$(vnl show -j)" ".switch.pid == $swp"

# --- a stray vnl-switchd of the lab ------------------------------------------------------
# A vnl-switchd whose command line names the lab's socket (here it serves
# another one: the last --socket wins) is the lab's: vnl start stops it
# beside the switch it adopts, and vnl stop stops it too.
stray() {
	"$VNL_BUILD_DIR/vnl-switchd" --socket "$RUN/switchd.sock" --no-huge --mbufs 2047 \
		--socket "$TMP/stray$1.sock" >"$TMP/stray$1.log" 2>&1 &
	echo $!
}
gone() { ! alive "$1"; }
vpid=$(cat "$RUN/vnld.pid")
kill -9 "$vpid"
wait_for 5 sh -c "! kill -0 $vpid 2>/dev/null || grep -q '^State:.*Z' /proc/$vpid/status"
s1=$(stray 1)
bg_track "$s1"
wait_for 20 test -S "$TMP/stray1.sock" || bail "the stray switch did not start: $(tail -n 3 "$TMP/stray1.log")"
vnl_ok "vnl start with a stray vnl-switchd of the lab running" start
wait_for 15 gone "$s1"
result $? "vnl start stops the stray" "pid $s1: $(tr '\0' ' ' <"/proc/$s1/cmdline" 2>/dev/null)"
jcheck "the recorded switch is adopted, not the stray" "$(vnl show -j)" ".switch.pid == $swp"
s2=$(stray 2)
bg_track "$s2"
wait_for 20 test -S "$TMP/stray2.sock" || bail "the stray switch did not start: $(tail -n 3 "$TMP/stray2.log")"

vnl_ok "stop" stop
check "after stop: no vnl-switchd of the lab (the stray neither)" test -z "$(pgrep -f -- "--socket $RUN/switchd.sock")"
check "after stop: no process of the lab" test -z "$(lab_pids "$L")"
check "after stop: no netns of the lab" test -z "$(lab_netns "$L")"
done_testing
