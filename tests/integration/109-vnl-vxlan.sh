#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: one LAN across hosts through the real vnl, vnld and switch
# (issue 15, docs/plans/vxlan.md section 4, "108-vnl-vxlan", numbered 109):
# two labs, each in its own "host" (a netns holding an underlay veth into a
# shared bridge), deployed from the README's two files, reach each other
# over VXLAN; vnld decides the LAN's MTU from the underlay (lowered, or the
# underlay raised and put back); remotes change live; the per-remote
# counters, the FDB's remote column and `vnl save` say what happened; a
# killed switch comes back with the vxlan port; bad input is refused with
# one line and changes nothing; `vnl stop` leaves no process, no XDP
# program and the underlay's MTU as it was.
#
# Operations (hosts h1, h2, h3: netns vm15<PID>-hN, underlay vm15ul with
# 192.0.2.N/24 and an explicit ifindex, all in a Linux bridge in
# vm15<PID>-net; labs L1, L2, L3 started inside them with nsenter --net):
#   1. L1 deploys examples/h1.yaml in h1, L2 examples/h2.yaml in h2:
#      ping a -> b and b -> a across the underlay
#   2. show -j: blue's mtu 1450, mtu_reason lowered, iface vm15ul; a's eth0
#      has mtu 1450; `vnl show` prints the reason in words
#   3. `vnl add lan red --vxlan 200 --remote 192.0.2.2 --mtu 1500`: h1's
#      underlay at 1550, show says raised from 1500; `vnl del red`: 1500
#   4. L3 in h3 (node c, remote 192.0.2.1); `vnl set lan blue --remote
#      192.0.2.2,192.0.2.3` on L1 (live): c pings a; c's MAC in `vnl fdb
#      blue` with remote 192.0.2.3; set back to 192.0.2.2: its MACs gone
#   5. 20 pings a -> b: `vnl stats blue` per-remote rx and tx of 192.0.2.2
#      went up by 20..30
#   6. `vnl save` -> `vnl deploy` of it: nothing created, nothing differs
#   7. kill -9 of L1's switch: the restarted one has blue:vxlan, ping resumes
#   8. errors on L1 (`--vxlan 0`, `--remote fe80::1`, mixed families,
#      unknown underlay, `--local` not on the interface, `--mtu 9000`):
#      one-line errors, exit 1 or 2, the lab unchanged (lab_snapshot)
#   8b. red (mtu 1500) again, vnld killed -9 and started again in h1: red
#      still raised from 1500 (underlay-mtu.json), ping goes on
#   9. vnld of L1 killed again, `vnl stop` of the three labs (L1's by
#      vnld --cleanup): no process, no XDP program on the underlays, their
#      MTU 1500 (h1's put back from red's raise by the scavenger)

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 109-vnl-vxlan
# The switch side (issue 15 steps 5-6: port kind vxlan, vxlan-set) is its own
# branch until merged: without it there is nothing to run.
[ -f "$VNL_SOURCE_DIR/dataplane/port_vxlan.c" ] || skip_all "this tree's switch has no vxlan ports yet (dataplane/port_vxlan.c)"
need_cmd nsenter
lab_new L1 vm15a
lab_new L2 vm15b
lab_new L3 vm15c
P=vm15$$
UL=vm15ul                          # the underlay's name in every host (no real host has it)
IDX=$((30000 + ($$ % 5000) * 4))   # explicit ifindexes: libxdp pins by ifindex (plan 1)

# --- the underlay network: three hosts on one bridge ----------------------
ip netns add "$P-net" || bail "ip netns add $P-net"
at_cleanup "ip netns del $P-net 2>/dev/null"
{ ip -n "$P-net" link add br0 type bridge && ip -n "$P-net" link set br0 up; } || bail "bridge"
for h in 1 2 3; do
	ip netns add "$P-h$h" || bail "ip netns add $P-h$h"
	at_cleanup "ip netns del $P-h$h 2>/dev/null"
	ip -n "$P-h$h" link add "$UL" index $((IDX + h)) type veth peer name "p$h" netns "$P-net" ||
		bail "underlay veth of h$h"
	{ ip -n "$P-net" link set "p$h" master br0 up &&
		ip -n "$P-h$h" addr add "192.0.2.$h/24" dev "$UL" &&
		ip -n "$P-h$h" link set "$UL" up && ip -n "$P-h$h" link set lo up; } || bail "underlay of h$h"
done

# vh N ARGS...: vnl run inside host N (its vnld and switch start there).
vh() { local h=$1; shift; timeout "$VNL_TIMEOUT" nsenter --net="/run/netns/$P-h$h" "$VNL_BIN" "$@"; }
# ul_mtu N: the MTU of host N's underlay.
ul_mtu() { ip -n "$P-h$1" -o link show dev "$UL" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }
# The labs stop inside their hosts (a vnld --cleanup put back MTUs in its
# own netns), before the lib's teardown.
stop_all() {
	vh 1 --lab "$L1" stop >/dev/null 2>&1
	vh 2 --lab "$L2" stop >/dev/null 2>&1
	vh 3 --lab "$L3" stop >/dev/null 2>&1
}

# The README's files, as they are.
for h in 1 2; do
	f=$VNL_SOURCE_DIR/examples/h$h.yaml
	[ -r "$f" ] || bail "$f missing"
done

# --- 1. two hosts, one LAN -------------------------------------------------
run_in() { OUT=$(vh "$@" 2>"$TMP/run.err"); RC=$?; ERR=$(cat "$TMP/run.err"); }
run_in 1 --lab "$L1" deploy "$VNL_SOURCE_DIR/examples/h1.yaml"
result "$RC" "L1 deploys examples/h1.yaml in h1" "$ERR"
# Two cores: h2's switch polls on the other one (vnld hands VNL_SWITCHD_ARGS on).
VNL_SWITCHD_ARGS="--worker-cores 1@0" run_in 2 --lab "$L2" deploy "$VNL_SOURCE_DIR/examples/h2.yaml"
result "$RC" "L2 deploys examples/h2.yaml in h2" "$ERR"
[ "$RC" = 0 ] || { stop_all; bail "cannot deploy: $ERR"; }
lab_record_ifs "$L1"
lab_record_ifs "$L2"
check_ping "a (h1) pings b (h2) over vxlan" a 10.0.0.2
LAB=$L2 check_ping "b (h2) pings a (h1)" b 10.0.0.1

# --- 2. the MTU, lowered -----------------------------------------------------
S=$(vnl show -j blue)
jcheck "blue: mtu 1450, lowered, underlay $UL at 1500" "$S" \
	".lan.mtu == 1450 and .lan.vxlan.mtu_reason == \"lowered\" and .lan.vxlan.iface == \"$UL\" and .lan.vxlan.underlay_mtu == 1500"
# (sysfs in a node is the host's: ip reads the node's netns)
M=$(vnl exec a -- ip -o link show dev eth0 2>&1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
result "$([ "$M" = 1450 ]; echo $?)" "a's eth0 has mtu 1450" "got $M"
run show
result "$(grep -qF "mtu 1450 (lowered: underlay $UL mtu 1500, vxlan over IPv4 needs 50)" <<<"$OUT"; echo $?)" \
	"vnl show says why" "$OUT"
result "$(grep -q '192.0.2.2  resolved' <<<"$OUT"; echo $?)" "vnl show: the remote resolved" "$OUT"

# --- 3. the MTU, raised and put back -----------------------------------------
vnl_ok "add lan red with mtu 1500 over vxlan" add lan red --vxlan 200 --remote 192.0.2.2 --mtu 1500
result "$([ "$(ul_mtu 1)" = 1550 ]; echo $?)" "h1's underlay raised to 1550" "mtu $(ul_mtu 1)"
jcheck "show: red raised from 1500" "$(vnl show -j red)" \
	'.lan.mtu == 1500 and .lan.vxlan.mtu_reason == "raised" and .lan.vxlan.raised_from == 1500'
result "$(vnl show | grep -qF "mtu 1500 (underlay $UL mtu 1550, raised from 1500 for LAN red)"; echo $?)" \
	"vnl show says raised"
vnl_ok "del red" del red
result "$([ "$(ul_mtu 1)" = 1500 ]; echo $?)" "h1's underlay back at 1500" "mtu $(ul_mtu 1)"

# --- 4. a third host, live -----------------------------------------------------
sed -e 's/name: b$/name: c/; s/b:0 blue 10.0.0.2/c:0 blue 10.0.0.3/' \
	"$VNL_SOURCE_DIR/examples/h2.yaml" >"$TMP/h3.yaml"
run_in 3 --lab "$L3" deploy "$TMP/h3.yaml"
result "$RC" "L3 deploys in h3" "$ERR"
lab_record_ifs "$L3"
vnl_ok "set lan blue --remote 192.0.2.2,192.0.2.3 (live)" set lan blue --remote 192.0.2.2,192.0.2.3
LAB=$L3 check_ping "c (h3) pings a (h1)" c 10.0.0.1
check_ping "b still pings a's LAN: a pings b" a 10.0.0.2
CMAC=$(LAB=$L3 vnl show -j c | jq -r '.node.interfaces[0].mac')
jcheck "fdb blue: c's MAC behind remote 192.0.2.3" "$(vnl fdb -j blue)" \
	"any(.entries[]; .mac == \"$CMAC\" and .remote == \"192.0.2.3\")"
vnl_ok "set lan blue --remote 192.0.2.2 (h3 out)" set lan blue --remote 192.0.2.2
wait_for 5 bash -c "! $VNL_BIN --lab $L1 fdb -j blue | grep -q '$CMAC'"
jcheck "fdb blue: c's MAC gone with its remote" "$(vnl fdb -j blue)" \
	"all(.entries[]; .mac != \"$CMAC\") and all(.entries[]; .remote != \"192.0.2.3\")"
LAB=$L3 check_no_ping "c cannot reach a any more" c 10.0.0.1

# --- 5. per-remote counters ------------------------------------------------------
rcount() { vnl stats -j blue | jq -r "[.ports[\"blue:vxlan\"].remotes[] | select(.ip == \"192.0.2.2\") | (.counters // .) | .$1] | first // 0"; }
RX0=$(rcount rx_packets) TX0=$(rcount tx_packets)
vnl exec a -- ping -n -q -c 20 -i 0.05 10.0.0.2 >/dev/null 2>&1
RX1=$(rcount rx_packets) TX1=$(rcount tx_packets)
result "$([ $((RX1 - RX0)) -ge 20 ] && [ $((RX1 - RX0)) -le 30 ] && [ $((TX1 - TX0)) -ge 20 ] && [ $((TX1 - TX0)) -le 30 ]; echo $?)" \
	"stats blue: remote 192.0.2.2 rx and tx up by 20..30" "rx $RX0 -> $RX1, tx $TX0 -> $TX1"
run stats blue
result "$(grep -q 'remotes of blue:vxlan' <<<"$OUT"; echo $?)" "vnl stats prints a table per remote" "$OUT"

# --- 6. save round trip ----------------------------------------------------------
run save "$TMP/saved.yaml"
D=$(vnl deploy -j "$TMP/saved.yaml" 2>&1)
jcheck "save -> deploy: nothing created, nothing differs" "$D" '(.created | length) == 0 and (.differs | length) == 0'
result "$(grep -q 'vni: 100' "$TMP/saved.yaml"; echo $?)" "the saved file has the vxlan" "$(cat "$TMP/saved.yaml")"

# --- 7. a killed switch ------------------------------------------------------------
SW0=$(vnl show -j | jq -r .switch.pid)
kill -9 "$SW0" 2>/dev/null
wait_for 20 bash -c "[ \"\$($VNL_BIN --lab $L1 show -j | jq -r '.switch.pid')\" != $SW0 ] && $SWCTL_BIN -c -s /run/vnetlab/$L1/switchd.sock show-ports name=blue:vxlan >/dev/null"
check_ping "after kill -9 of h1's switch: a pings b again" a 10.0.0.2

# --- 8. bad input ----------------------------------------------------------------------
# What a refusal must leave: the saved lab and show -j without the
# switch's live per-remote view (counters, last frame).
vx_snapshot() { vnl save - && vnl show -j | jq -S 'del(.lans[].vxlan.remotes) | del(.switch) | del(.nodes[].interfaces)'; }
SNAP=$(vx_snapshot)
# bad EXIT DESC ARGS...: refused with EXIT and "vnl: ..." first (a usage
# error, exit 2, adds the synopsis; exit 1 is one line).
bad() { local want=$1 desc=$2; shift 2; run "$@"
	result "$([ "$RC" = "$want" ] && grep -q '^vnl: ..' <<<"$ERR" && { [ "$RC" = 2 ] || [ "$(wc -l <<<"$ERR")" = 1 ]; }; echo $?)" \
		"$desc: exit $want, one line" "exit $RC: $ERR"; }
bad 2 "--vxlan 0" add lan e1 --vxlan 0 --remote 192.0.2.2
bad 1 "--remote fe80::1" add lan e1 --vxlan 5 --remote fe80::1
bad 2 "mixed families" add lan e1 --vxlan 5 --remote 192.0.2.2,2001:db8::2
bad 1 "unknown underlay" add lan e1 --vxlan 5 --underlay nosuch0
bad 1 "--local not on the interface" add lan e1 --vxlan 5 --remote 192.0.2.2 --local 192.0.2.99
bad 1 "--mtu 9000 over vxlan" add lan e1 --vxlan 5 --remote 192.0.2.2 --mtu 9000
result "$(grep -q 'at most 3456' <<<"$ERR"; echo $?)" "mtu 9000: says the ceiling" "$ERR"
bad 1 "set lan blue --mtu 1400 under its links" set lan blue --mtu 1400
AFTER=$(vx_snapshot)
result "$([ "$AFTER" = "$SNAP" ]; echo $?)" "the lab unchanged by every refusal" "$(diff <(echo "$SNAP") <(echo "$AFTER"))"
result "$([ "$(ul_mtu 1)" = 1500 ]; echo $?)" "h1's underlay still 1500"

kill_vnld() {
	local p
	for p in $(lab_pids "$1"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q '^[^ ]*vnld ' && kill -9 "$p"
	done
}
# --- 8b. a raise outlives vnld: recorded, put back by stop ------------------------------------
vnl_ok "add lan red with mtu 1500 again" add lan red --vxlan 200 --remote 192.0.2.2 --mtu 1500
kill_vnld "$L1"
wait_for 10 bash -c "! [ -S /run/vnetlab/$L1/vnld.sock ] || ! $SWCTL_BIN -c -s /run/vnetlab/$L1/vnld.sock version"
vh 1 --lab "$L1" start >/dev/null 2>&1   # a new vnld, in h1, adopts the switch
S=$(vnl show -j red 2>&1)
jcheck "after kill -9 of vnld: red still raised from 1500, h1's underlay 1550" "$S" \
	".lan.vxlan.mtu_reason == \"raised\" and .lan.vxlan.raised_from == 1500 and $(ul_mtu 1) == 1550"
check_ping "and a still pings b" a 10.0.0.2
# vnld gone for good: the stop below is vnld --cleanup's (scavenge_restore_mtus).
kill_vnld "$L1"

# --- 9. stop ------------------------------------------------------------------------------
stop_all
for h in 1 2 3; do
	result "$([ "$(ul_mtu $h)" = 1500 ] && ! ip -n "$P-h$h" -d link show dev "$UL" | grep -q 'prog/xdp'; echo $?)" \
		"stop: h$h's underlay at 1500, no XDP program" "$(ip -n "$P-h$h" -d link show dev "$UL")"
done
for l in "$L1" "$L2" "$L3"; do
	result "$([ -z "$(lab_pids "$l")" ] && [ -z "$(lab_netns "$l")" ]; echo $?)" "stop: nothing left of $l" \
		"$(lab_pids "$l") $(lab_netns "$l")"
done
done_testing
