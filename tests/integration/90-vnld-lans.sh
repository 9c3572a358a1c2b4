#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vnld (first version: LANs only) against its real vnl-switchd:
# requests and refusals, supervision (kill -9 of the switch: restarted, LANs
# pushed again), restart of vnld itself (kill -9: the next vnld adopts the
# running switch, same pid, state intact), a second vnld for the same lab is
# refused, and "stop" leaves no process, socket or file of the lab.
#
# Operations: vnld --lab <unique> in the background; requests with vnl-swctl
# on /run/vnetlab/LAB/vnld.sock (same JSON-lines shape as the switch).

set -u
B=${VNL_BUILD_DIR:?}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
L=it$$
RUN=/run/vnetlab/$L STATE=/var/lib/vnetlab/$L
V=
fail() { echo "not ok - $*"; exit 1; }
pass() { echo "ok - $*"; }
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat" 2>/dev/null; }
cleanup() {
	[ -n "$V" ] && kill -9 "$V" 2>/dev/null
	pkill -9 -f "$RUN/switchd.sock" 2>/dev/null
	rm -rf "$RUN" "$STATE"
}
trap cleanup EXIT
q() { "$B/vnl-swctl" -c -s "$RUN/vnld.sock" "$@"; }
start_vnld() {
	"$B/vnld" --lab "$L" >>"/tmp/vnld-$L.log" 2>&1 &
	V=$!
	for _ in $(seq 150); do q version >/dev/null 2>&1 && return 0; sleep 0.2; done
	fail "vnld did not answer: $(tail -5 /tmp/vnld-$L.log)"
}

start_vnld
q lan-add name=blue >/dev/null || fail "lan-add blue"
q lan-add name=red >/dev/null || fail "lan-add red"
out=$(q lan-add name=blue 2>/dev/null); [ $? -eq 1 ] && grep -q "in use" <<<"$out" || fail "duplicate refused: $out"
out=$(q lan-add name=Bad_Name 2>/dev/null); grep -q "names are" <<<"$out" || fail "bad name refused with the rule: $out"
out=$(q lan-add name=x nme=y 2>/dev/null); grep -q "unknown argument" <<<"$out" || fail "unknown argument refused: $out"
out=$(q lan-del name=nope 2>/dev/null); grep -q "no LAN" <<<"$out" || fail "unknown LAN refused: $out"
out=$("$B/vnl-swctl" -c -s "$RUN/vnld.sock" --raw '{"cmd":"show",}' 2>/dev/null); grep -q "malformed JSON" <<<"$out" || fail "malformed JSON refused: $out"
[ "$(q show | jq -c '[.lans[].name]')" = '["blue","red"]' ] || fail "show lists blue, red"
pass "requests and refusals"
"$B/vnld" --lab "$L" >/dev/null 2>&1 && fail "a second vnld for the lab started"
pass "a second vnld for the lab is refused"

sw=$(q show | jq .switch.pid)
kill -9 "$sw"
for _ in $(seq 50); do
	new=$(q show | jq .switch.pid)
	# The new switch answers before vnld's push is through: wait for the LANs.
	[ "$new" != "$sw" ] && [ "$new" != 0 ] &&
		[ "$("$B/vnl-swctl" -c -s "$RUN/switchd.sock" show-lans 2>/dev/null | jq -c '[.lans[].name] | sort')" = '["blue","red"]' ] && break
	sleep 0.2
done
[ "$(q show | jq .switch.restarts)" = 1 ] || fail "switch restarted once"
[ "$("$B/vnl-swctl" -c -s "$RUN/switchd.sock" show-lans | jq -c '[.lans[].name] | sort')" = '["blue","red"]' ] ||
	fail "LANs pushed to the new switch"
pass "kill -9 of the switch: restarted, LANs pushed again"

sw=$(q show | jq .switch.pid)
kill -9 "$V"; wait "$V" 2>/dev/null
start_vnld
[ "$(q show | jq .switch.pid)" = "$sw" ] || fail "the new vnld adopted switch $sw"
[ "$(q show | jq -c '[.lans[].name]')" = '["blue","red"]' ] || fail "state intact after kill -9 of vnld"
q lan-del name=red >/dev/null || fail "lan-del after adoption"
[ "$("$B/vnl-swctl" -c -s "$RUN/switchd.sock" show-lans | jq -c '[.lans[].name]')" = '["blue"]' ] || fail "lan-del reached the switch"
pass "kill -9 of vnld: the next one adopts the lab"

q stop >/dev/null || fail "stop"
for _ in $(seq 100); do kill -0 "$V" 2>/dev/null || break; sleep 0.1; done
kill -0 "$V" 2>/dev/null && fail "vnld still runs after stop"
# An adopted switch is an orphan: exited, it may stay a zombie until init reaps it.
alive "$sw" && fail "switch still runs after stop"
[ -e "$RUN" ] && fail "left $RUN: $(ls "$RUN")"
[ -e "$STATE" ] && fail "left $STATE"
V=
pass "stop leaves no process, socket or file"
rm -f "/tmp/vnld-$L.log"
