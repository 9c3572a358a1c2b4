#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: every kind of bad control input listed in docs/switchd.md gets
# {"ok":false,"error":"<non-empty>"} (vnl-swctl exits 1), changes nothing,
# and never disturbs forwarding: malformed JSON, JSON that is not an object,
# missing or ill-typed cmd, unknown cmd, missing or ill-typed arguments, bad
# names, duplicate names, unknown ports and LANs, attach of an attached port,
# port-add on a missing interface or an unusable path, set-aging out of
# range, a line over 64 KiB (error, then the connection is closed), and
# clients that stall or disconnect mid-line or never read their replies.
#
# Operations:
#   1. start a private switch; LAN L with afxdp ports for namespaces 1 and 2
#      and vhost port v0; vhost port v1 unattached; empty LAN E; record
#      show-ports, show-lans and show-fdb's aging (without counters)
#   2. ping 1 -> 2 every 20 ms in the background for the whole barrage
#   3. send each bad request with `vnl-swctl --raw` (or socat for what
#      vnl-swctl cannot send) and check the error reply
#   4. check in-order replies to several requests in one write, the 64 KiB
#      limit, a stalled client, clients that hang up early; vnl-swctl exits
#      2 when the switch cannot be reached
#   5. the background ping lost nothing, a new ping passes, and the state
#      equals the one recorded in step 1

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 50-bad-input
need_hugepages 128
need_xdp
need_cmd ping ethtool timeout

switchd_start
L=$PFX-L
E=$PFX-E
N1=$PFX-n1 V0=$PFX-v0 V1=$PFX-v1
sw_ok lan-add "name=$L" >/dev/null
sw_ok lan-add "name=$E" >/dev/null
for i in 1 2; do
	ns_pair $i 10.77.50.$i/24
	sw_ok port-add "name=$PFX-n$i" kind=afxdp "iface=$(ns_host $i)" >/dev/null
	sw_ok attach "port=$PFX-n$i" "lan=$L" >/dev/null
	wait_until 10 port_is_up "$PFX-n$i" || fail "port $PFX-n$i not up: $(port_json "$PFX-n$i")"
done
sw_ok port-add "name=$V0" kind=vhost "path=$TMP/v0.sock" >/dev/null
sw_ok port-add "name=$V1" kind=vhost "path=$TMP/v1.sock" >/dev/null
sw_ok attach "port=$V0" "lan=$L" >/dev/null
ping_ok 1 10.77.50.2 2

# The names limit: 31 characters pass, 32 do not (checked below).
N31=$(printf 'b%.0s' $(seq 31))
N32=$(printf 'c%.0s' $(seq 32))
sw_ok lan-add "name=$N31" >/dev/null
sw_ok lan-del "name=$N31" >/dev/null

state() {
	{
		sw_ok show-ports | jq -cS '[.ports[] | del(.counters)] | sort_by(.name)'
		sw_ok show-lans | jq -cS '[.lans[] | del(.counters, .macs) | .ports |= sort] | sort_by(.name)'
		sw_ok show-fdb | jq -cS '{size, aging}'
	} | tr '\n' ' '
}
before=$(state)
log "state before: $before"

nsx_bg 1 ping -n -q -i 0.02 10.77.50.2 >"$TMP/ping.out" 2>&1
PING=$BG_PID

# From here on a failed check is recorded and the test goes on, so one run
# reports every bad input the switch mishandles; soft_check ends the test.
SOFT=1
# forwarding_ok AFTER: three quick pings must pass, twice in a row at
# most (a lost reply on a loaded host is not a break: a break persists);
# names the section that broke forwarding, if one does.
# Only the first break is reported: later ones are its consequence.
FWD_BROKEN=0
forwarding_ok() {
	local out
	[ "$FWD_BROKEN" = 0 ] || return 0
	for _ in 1 2; do
		out=$(nsx 1 ping -n -q -c 3 -i 0.1 -W 1 10.77.50.2 2>&1)
		grep -q ' 0% packet loss' <<<"$out" && return 0
	done
	FWD_BROKEN=1
	soft_fail "forwarding broken after $1: $(grep transmitted <<<"$out")"
}
# soft_assert DESC JSON FILTER: like jq_assert, recorded instead of fatal.
soft_assert() {
	jq -e "$3" >/dev/null 2>&1 <<<"$2" || soft_fail "$1: jq '$3' is false on: $2"
}

# --- malformed JSON and non-objects ---
for line in 'not json' '{' '{"cmd":' '{"cmd":"version"' '{"cmd":"version",}' \
	'{"cmd":"version"}}' '{"cmd":"version"} trailing' "{'cmd':'version'}" '{cmd:"version"}' \
	'[]' '[{"cmd":"version"}]' '"version"' '42' 'null' 'true'; do
	raw_err "$line"
done
log "done: malformed JSON and non-object JSON"
forwarding_ok "malformed JSON and non-object JSON"

# --- cmd missing, ill-typed or unknown ---
for line in '{}' '{"name":"x"}' '{"cmd":42}' '{"cmd":null}' '{"cmd":["version"]}' \
	'{"cmd":{"x":1}}' '{"cmd":true}' '{"cmd":""}' '{"cmd":"frobnicate"}' \
	'{"cmd":"VERSION"}' '{"cmd":"show"}' '{"cmd":"version "}' '{"cmd":"port"}'; do
	raw_err "$line"
done
log "done: missing, ill-typed and unknown cmd"
forwarding_ok "missing, ill-typed and unknown cmd"

# --- missing arguments ---
for line in '{"cmd":"port-add"}' "{\"cmd\":\"port-add\",\"name\":\"$PFX-z\"}" \
	'{"cmd":"port-add","kind":"vhost","path":"/tmp/x.sock"}' \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"vhost\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"afxdp\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"afxdp\",\"xdp\":false}" \
	'{"cmd":"port-del"}' '{"cmd":"lan-add"}' '{"cmd":"lan-del"}' '{"cmd":"attach"}' \
	"{\"cmd\":\"attach\",\"port\":\"$V1\"}" "{\"cmd\":\"attach\",\"lan\":\"$L\"}" \
	'{"cmd":"detach"}' '{"cmd":"set-aging"}'; do
	raw_err "$line"
done
log "done: missing arguments"
forwarding_ok "missing arguments"

# --- ill-typed arguments ---
for line in '{"cmd":"lan-add","name":5}' '{"cmd":"lan-add","name":null}' \
	'{"cmd":"lan-add","name":true}' '{"cmd":"lan-add","name":{}}' '{"cmd":"lan-add","name":["a"]}' \
	"{\"cmd\":\"port-add\",\"name\":7,\"kind\":\"vhost\",\"path\":\"$TMP/z.sock\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":5,\"path\":\"$TMP/z.sock\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"tap\",\"path\":\"$TMP/z.sock\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"VHOST\",\"path\":\"$TMP/z.sock\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"vhost\",\"path\":5}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"vhost\",\"path\":\"\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"vhost\",\"path\":\"$TMP/z.sock\",\"mode\":\"sideways\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"vhost\",\"path\":\"$TMP/z.sock\",\"mode\":1}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"afxdp\",\"iface\":7}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"afxdp\",\"iface\":\"$(ns_host 1)\",\"xdp\":\"false\"}" \
	"{\"cmd\":\"port-add\",\"name\":\"$PFX-z\",\"kind\":\"afxdp\",\"iface\":\"$(ns_host 1)\",\"xdp\":1}" \
	'{"cmd":"port-del","name":1}' "{\"cmd\":\"lan-del\",\"name\":[\"$E\"]}" \
	"{\"cmd\":\"attach\",\"port\":1,\"lan\":\"$L\"}" "{\"cmd\":\"attach\",\"port\":\"$V1\",\"lan\":[]}" \
	'{"cmd":"detach","port":false}' \
	'{"cmd":"set-aging","seconds":"10"}' '{"cmd":"set-aging","seconds":1.5}' \
	'{"cmd":"set-aging","seconds":true}' '{"cmd":"set-aging","seconds":null}' \
	'{"cmd":"show-ports","name":5}' '{"cmd":"show-lans","name":false}' \
	'{"cmd":"show-fdb","lan":3}' '{"cmd":"fdb-flush","lan":3}'; do
	raw_err "$line"
done
log "done: ill-typed arguments"
forwarding_ok "ill-typed arguments"

# --- bad names ---
for name in "$N32" "" "-x" ".x" "_x" ":x" "a b" "a/b" 'a\"b' 'a\\b' 'a\u0000b' 'a\tb' \
	'\u00e9t\u00e9' "a,b" "a=b" "a*" "a@b"; do
	raw_err "{\"cmd\":\"lan-add\",\"name\":\"$name\"}"
	raw_err "{\"cmd\":\"port-add\",\"name\":\"$name\",\"kind\":\"vhost\",\"path\":\"$TMP/z.sock\"}"
done
[ -e "$TMP/z.sock" ] && soft_fail "a refused port-add left $TMP/z.sock behind"
log "done: bad names"
forwarding_ok "bad names"

# --- duplicates, unknown names, attach of an attached port ---
sw_err lan-add "name=$L"
sw_err lan-add "name=$E"
sw_err port-add "name=$V0" kind=vhost "path=$TMP/other.sock"
sw_err port-add "name=$N1" kind=afxdp "iface=$(ns_host 2)"
[ -e "$TMP/other.sock" ] && soft_fail "a refused port-add left $TMP/other.sock behind"
sw_err port-del "name=$PFX-nope"
sw_err lan-del "name=$PFX-nope"
sw_err attach "port=$PFX-nope" "lan=$L"
sw_err attach "port=$V1" "lan=$PFX-nope"
sw_err detach "port=$PFX-nope"
sw_err show-ports "name=$PFX-nope"
sw_err show-lans "name=$PFX-nope"
sw_err show-fdb "lan=$PFX-nope"
sw_err fdb-flush "lan=$PFX-nope"
sw_err attach "port=$V0" "lan=$L"
sw_err attach "port=$V0" "lan=$E"
sw_err attach "port=$N1" "lan=$E"
log "done: duplicate and unknown names, attach of an attached port"
forwarding_ok "duplicate and unknown names, attach of an attached port"

# --- unusable interfaces and paths ---
touch "$TMP/regular-file"
mkdir -p "$TMP/dir"
long=$TMP/$(printf 'd%.0s' $(seq 120)).sock
# Each attempt has its own name, so one wrongly accepted does not mask the next.
sw_err port-add "name=$PFX-u1" kind=afxdp "iface=${PFX}zz"
sw_err port-add "name=$PFX-u2" kind=afxdp "iface=${PFX}zz" xdp=false
sw_err port-add "name=$PFX-u3" kind=vhost "path=$TMP/no-such-dir/z.sock"
sw_err port-add "name=$PFX-u4" kind=vhost "path=$TMP/dir"
sw_err port-add "name=$PFX-u5" kind=vhost "path=$TMP/regular-file"
sw_err port-add "name=$PFX-u6" kind=vhost "path=$long"
sw_err port-add "name=$PFX-u7" kind=vhost "path=$TMP/v0.sock"
forwarding_ok "unusable paths"
# One port per interface: a second AF_XDP port must be refused, not fall
# back to AF_PACKET while the failed attempt unhooks the first port's XDP
# program; a second AF_PACKET one would duplicate the first port's frames.
sw_err port-add "name=$PFX-u8" kind=afxdp "iface=$(ns_host 2)" xdp=false
sw_err port-add "name=$PFX-u9" kind=afxdp "iface=$(ns_host 1)"
[ -f "$TMP/regular-file" ] || soft_fail "a refused port-add removed the regular file it was pointed at"
[ -d "$TMP/dir" ] || soft_fail "a refused port-add removed the directory it was pointed at"
[ -S "$TMP/v0.sock" ] || soft_fail "a refused port-add removed the socket of port $V0"
log "done: missing interfaces, interfaces in use, unusable paths"
forwarding_ok "port-add on an interface that another port holds"

# --- set-aging out of range ---
for s in 0 -1 86401 1000000 -86400; do
	sw_err set-aging "seconds=$s"
done
r=$(sw_ok set-aging seconds=86400)
jq_assert "set-aging 86400" "$r" ".aging == 86400"
r=$(sw_ok set-aging seconds=1)
jq_assert "set-aging 1" "$r" ".aging == 1"
sw_ok set-aging seconds=300 >/dev/null
log "done: set-aging out of range"
forwarding_ok "set-aging out of range"

# --- several requests in one write: one reply each, in order ---
out=$(printf '{"cmd":"version"}\n{"cmd":"nope"}\n{"cmd":"show-lans","name":"%s"}\n' "$E" |
	socat -t 3 - "UNIX-CONNECT:$SOCK")
[ "$(wc -l <<<"$out")" = 3 ] || soft_fail "three requests in one write got: $out"
soft_assert "reply 1" "$(sed -n 1p <<<"$out")" '.ok == true and (.version | type == "string")'
soft_assert "reply 2" "$(sed -n 2p <<<"$out")" '.ok == false and (.error | length > 0)'
soft_assert "reply 3" "$(sed -n 3p <<<"$out")" ".ok == true and .lans[0].name == \"$E\""
log "done: one reply per request, in order"

# --- a NUL byte inside a line ---
out=$(printf '{"cmd":"version"\0}\n' | socat -t 3 - "UNIX-CONNECT:$SOCK")
soft_assert "NUL inside a line" "$out" '.ok == false and (.error | length > 0)'

# --- a line over 64 KiB: an error, then the connection is closed ---
t0=$SECONDS
out=$(socat -t 1 - "UNIX-CONNECT:$SOCK" 2>/dev/null < <(
	printf '{"cmd":"version","pad":"'
	head -c 70000 /dev/zero | tr '\0' a
	printf '"}\n{"cmd":"version"}\n'
	sleep 8
))
elapsed=$((SECONDS - t0))
[ "$(wc -l <<<"$out")" = 1 ] || soft_fail "a line over 64 KiB got $(wc -l <<<"$out") reply lines (expected one error, then close): ${out:0:300}"
soft_assert "line over 64 KiB" "$out" '.ok == false and (.error | length > 0)'
[ "$elapsed" -lt 6 ] || soft_fail "the switch kept the connection open after a line over 64 KiB"
log "done: a line over 64 KiB"
forwarding_ok "a line over 64 KiB"

# --- a client that stalls mid-line does not block others ---
socat -u - "UNIX-CONNECT:$SOCK" < <(printf '{"cmd":"vers'; sleep 10) &
STALL=$!
bg_track "$STALL"
sleep 0.3
timeout 3 "$SWCTL_BIN" -s "$SOCK" version >/dev/null || soft_fail "a client stalled mid-line blocks other clients"
stop_pid "$STALL"
log "done: a client stalled mid-line"

# --- clients that disconnect mid-line or never read their replies ---
for i in $(seq 10); do
	printf '{"cmd":"show-po' | socat -u - "UNIX-CONNECT:$SOCK"
	printf '{"cmd":"show-ports"}\n{"cmd":"show-counters"}\n{"cmd":"show-fdb"}\n' |
		socat -u - "UNIX-CONNECT:$SOCK"
	socat -u /dev/null "UNIX-CONNECT:$SOCK"
done
alive "$SWPID" || fail "vnl-switchd died after clients hung up early"
sw_ok version >/dev/null
log "done: clients that hang up early"
forwarding_ok "clients that hang up early"

# --- vnl-swctl cannot reach a switch: exit 2 ---
"$SWCTL_BIN" -s "$TMP/no-such.sock" version >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || soft_fail "vnl-swctl on a missing socket exited $rc (expected 2)"

# --- forwarding and state unchanged ---
# SIGINT makes ping print its summary; a request in flight at that moment
# is not a loss.
kill -INT "$PING"
wait "$PING"
ping_out=$(grep transmitted "$TMP/ping.out")
log "background ping: $ping_out"
read -r tx _ _ rx _ <<<"$ping_out"
[ "${tx:-0}" -ge 100 ] && [ "${rx:-0}" -ge $((tx - 1)) ] ||
	soft_fail "ping lost packets during the bad input: $ping_out"
ping_out=$(nsx 1 ping -n -q -c 5 -i 0.2 -W 2 10.77.50.2 2>&1)
grep -q ' 0% packet loss' <<<"$ping_out" ||
	soft_fail "ping after the bad input lost packets: $(grep transmitted <<<"$ping_out")"
after=$(state)
[ "$before" = "$after" ] || soft_fail "state changed: before $before after $after"
soft_check "bad-input"
pass "every bad input refused; forwarding never stopped; the state is unchanged"
exit 0
