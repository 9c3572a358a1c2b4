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
# Operations (hosts h1, h2, h3: netns v9<PID>-hN, underlay v9ul with
# 192.0.2.N/24, 2001:db8::N/64 and an explicit ifindex, all in a Linux
# bridge in v9<PID>-net; labs L1, L2, L3 started inside them with nsenter
# --net):
#   1. the README's two-host commands as written there (hostN# vnl --lab hN
#      ARGS run as nsenter into hN, vnl --lab LN ARGS, from the source
#      folder): L1 deploys examples/h1.yaml in h1, L2 examples/h2.yaml in
#      h2, ping, show (its output as the README prints it), set lan, stats,
#      fdb; then ping a -> b and b -> a across the underlay
#   2. show -j: blue's mtu 1450, mtu_reason lowered, iface v9ul; a's eth0
#      has mtu 1450; `vnl show` prints the reason in words
#   2b. a cnt node k (busybox, as the cnt tests build it; skipped, saying
#      why, when the host cannot run containers) on blue pings b; its eth0
#      has mtu 1450
#   2c. IPv6 underlay: LAN six (vni 300) on L1 and L2 with remotes
#      2001:db8::2 / ::1, nodes a6 and b6 ping both ways; show -j: mtu 1430
#      lowered (70 over IPv6), a6's eth0 1430; per-remote rx/tx of
#      2001:db8::2 up by the pings sent; LAN sx (IPv6) set to no remote
#      stays IPv6, then an IPv4 remote makes its port again (IPv4, 1450)
#   (and `vnl add lan --help`, `vnl set lan --help`: every vxlan option,
#   the mtu default and ceiling)
#   3. `vnl add lan red --vxlan 200 --remote 192.0.2.2 --mtu 1500`: h1's
#      underlay at 1550, show says raised from 1500; `vnl set lan red --mtu
#      none`: the underlay back at 1500, red lowered to 1450; `vnl del red`:
#      1500
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
lab_new L1 v9a
lab_new L2 v9b
lab_new L3 v9c
P=v9$$
UL=v9ul                            # the underlay's name in every host (no real host has it)
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
		ip -n "$P-h$h" addr add "2001:db8::$h/64" dev "$UL" nodad &&
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

# A container on h1 (section 2b) when the host can run one: the busybox
# image built as the cnt tests do, in VNL_IMAGES before h1's vnld starts.
CNT_WHY=
if ! command -v crun >/dev/null 2>&1; then CNT_WHY="crun is not installed"
elif ! { grep -qw overlay /proc/filesystems || { modprobe overlay 2>/dev/null && grep -qw overlay /proc/filesystems; }; }; then
	CNT_WHY="the kernel has no overlayfs"
elif ! { [ -e /dev/loop-control ] || { modprobe loop 2>/dev/null && [ -e /dev/loop-control ]; }; }; then
	CNT_WHY="the kernel has no loop devices"
elif ! [ -x "$VNL_BUILD_DIR/vnl-init" ]; then CNT_WHY="vnl-init is not built"
elif ! out=$("$VNL_SOURCE_DIR/image_scripts/busybox-image" --out "$TMP/images" 2>&1) ||
	! [ -s "$TMP/images/busybox.ext4" ]; then
	CNT_WHY="no busybox image: $(tail -n 1 <<<"$out")"
else
	CNT_IMAGE=$TMP/images/busybox.ext4
	export VNL_IMAGES=$TMP/images
	trap _cnt_cleanup EXIT
fi
[ -z "$CNT_WHY" ] || diag "no container node: $CNT_WHY"

# --- 1. two hosts, one LAN: the README's commands, as written ---------------
run_in() { OUT=$(vh "$@" 2>"$TMP/run.err"); RC=$?; ERR=$(cat "$TMP/run.err"); }
# The sh block of "One lab across hosts": "hostN# vnl --lab hN ARGS" runs as
# vh N --lab LN ARGS from the source folder (examples/ as in a clone); the
# lines after "show" up to the next command are its output as printed there.
README_CMDS=$(awk '/^### One lab across hosts/ {s = 1} s && /^```sh/ {b = 1; next} b && /^```/ {exit} b' \
	"$VNL_SOURCE_DIR/README.md")
result "$(grep -q '^host1# vnl --lab h1 deploy' <<<"$README_CMDS"; echo $?)" "README: the two-host commands found" \
	"$README_CMDS"
SHOWN='' CUR=''
while IFS= read -r line; do
	if [[ $line =~ ^host([12])#\ vnl\ --lab\ h([12])\ ([^#]*[^#\ ]) ]]; then
		h=${BASH_REMATCH[1]}
		read -ra args <<<"${BASH_REMATCH[3]}"
		lab=$L1
		[ "$h" = 2 ] && lab=$L2
		# Two cores: h2's switch polls on the other one (vnld hands VNL_SWITCHD_ARGS on).
		sw=
		[ "$h" = 2 ] && sw="--worker-cores 1@0"
		OUT=$(cd "$VNL_SOURCE_DIR" && VNL_SWITCHD_ARGS=$sw vh "$h" --lab "$lab" "${args[@]}" 2>"$TMP/run.err")
		RC=$? ERR=$(cat "$TMP/run.err")
		result "$RC" "README: host$h# vnl --lab h$h ${args[*]}" "stdout: $OUT" "stderr: $ERR"
		[ "${args[0]}" = deploy ] && [ "$RC" != 0 ] && { stop_all; bail "cannot deploy: $ERR"; }
		[ "${args[0]}" = show ] && SHOWN=$OUT
		# what its comments promise: counters per remote, the REMOTE column
		[ "${args[0]}" = stats ] && result "$(grep -q '192\.0\.2\.2' <<<"$OUT"; echo $?)" "README: stats shows the remote" "$OUT"
		[ "${args[0]}" = fdb ] && result "$(grep -qw REMOTE <<<"$OUT"; echo $?)" "README: fdb has a REMOTE column" "$OUT"
		CUR=${args[0]}
	elif [ "$CUR" = show ] && [ "$line" != ... ]; then
		# as a basic regex: eth1 is this test's underlay; a MAC and an age are the run's
		re=$(sed -e 's/[][.*^$\\]/\\&/g' -e "s/eth1/$UL/g" \
			-e 's/[0-9a-f][0-9a-f]\(:[0-9a-f][0-9a-f]\)\{5\}/[0-9a-f:]\\{17\\}/' -e 's/rx [0-9]* s ago/rx [0-9]* s ago/' <<<"$line")
		result "$(grep -q "^$re\$" <<<"$SHOWN"; echo $?)" "README's show output: '$line'" "$SHOWN"
	fi
done <<<"$README_CMDS"
lab_record_ifs "$L1"
lab_record_ifs "$L2"
check_ping "a (h1) pings b (h2) over vxlan" a 10.0.0.2
LAB=$L2 check_ping "b (h2) pings a (h1)" b 10.0.0.1

# The help of the two vxlan verbs: every option the README's table names,
# the vxlan mtu default and ceiling.
H=$("$VNL_BIN" add lan --help 2>&1)
result "$(has_words "$H" --vxlan --remote --underlay --local --dstport --mtu 3456 3436 50 70; echo $?)" \
	"vnl add lan --help: the vxlan options, the mtu default and ceiling" "$H"
H=$("$VNL_BIN" set lan --help 2>&1)
result "$(has_words "$H" --remote --vxlan --underlay --local --dstport --mtu none 3456 3436; echo $?)" \
	"vnl set lan --help: every option, none, the vxlan ceiling" "$H"

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

# --- 2b. a container on h1 reaches b on h2 ---------------------------------
if [ -n "$CNT_WHY" ]; then
	ok "cnt k on blue: k (h1) pings b (h2) over vxlan # SKIP $CNT_WHY"
	ok "k's eth0 has mtu 1450 # SKIP $CNT_WHY"
else
	vnl_ok "add cnt k --image busybox, link k:0 blue" add cnt k --image busybox
	vnl_ok "link k:0 blue 10.0.0.11/24" link k:0 blue --ip 10.0.0.11/24
	check_ping "cnt k on blue: k (h1) pings b (h2) over vxlan" k 10.0.0.2
	M=$(vnl exec k -- cat /sys/class/net/eth0/mtu 2>&1)
	result "$([ "$M" = 1450 ]; echo $?)" "k's eth0 has mtu 1450" "got $M"
	vnl_ok "del k" del k
fi

# rcount LAN IP FIELD: counter FIELD of remote IP of LAN's vxlan port.
rcount() { vnl stats -j "$1" | jq -r "[.ports[\"$1:vxlan\"].remotes[] | select(.ip == \"$2\") | (.counters // .) | .$3] | first // 0"; }
# check_remote_pings LAN IP NODE ADDR N: N pings NODE -> ADDR move the rx
# and tx counters of remote IP of LAN by N..1.5 N (ARP, a late reply).
check_remote_pings() {
	local lan=$1 ip=$2 n=$5 rx0 tx0 rx1 tx1
	rx0=$(rcount "$lan" "$ip" rx_packets) tx0=$(rcount "$lan" "$ip" tx_packets)
	vnl exec "$3" -- ping -n -q -c "$n" -i 0.05 "$4" >/dev/null 2>&1
	rx1=$(rcount "$lan" "$ip" rx_packets) tx1=$(rcount "$lan" "$ip" tx_packets)
	result "$( ((rx1 - rx0 >= n && rx1 - rx0 <= n * 3 / 2 && tx1 - tx0 >= n && tx1 - tx0 <= n * 3 / 2)); echo $?)" \
		"stats $lan: remote $ip rx and tx up by $n..$((n * 3 / 2))" "rx $rx0 -> $rx1, tx $tx0 -> $tx1"
}

# --- 2c. an IPv6 underlay: LAN six on 2001:db8::/64 ----------------------------
vnl_ok "h1: add lan six --vxlan 300 --remote 2001:db8::2" add lan six --vxlan 300 --remote 2001:db8::2
LAB=$L2 vnl_ok "h2: add lan six --vxlan 300 --remote 2001:db8::1" add lan six --vxlan 300 --remote 2001:db8::1
vnl_ok "h1: node a6 on six" add ns a6
vnl_ok "h1: link a6:0 six" link a6:0 six --ip 10.6.0.1/24
LAB=$L2 vnl_ok "h2: node b6 on six" add ns b6
LAB=$L2 vnl_ok "h2: link b6:0 six" link b6:0 six --ip 10.6.0.2/24
lab_record_ifs "$L1"
lab_record_ifs "$L2"
check_ping "a6 (h1) pings b6 (h2) over an IPv6 underlay" a6 10.6.0.2
LAB=$L2 check_ping "b6 (h2) pings a6 (h1)" b6 10.6.0.1
jcheck "six: mtu 1430 (underlay 1500 less 70), lowered, local 2001:db8::1" "$(vnl show -j six)" \
	".lan.mtu == 1430 and .lan.vxlan.mtu_reason == \"lowered\" and .lan.vxlan.underlay_mtu == 1500 and .lan.vxlan.iface == \"$UL\" and .lan.vxlan.switch_local == \"2001:db8::1\""
M=$(vnl exec a6 -- ip -o link show dev eth0 2>&1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
result "$([ "$M" = 1430 ]; echo $?)" "a6's eth0 has mtu 1430" "got $M"
result "$(vnl show | grep -qF "mtu 1430 (lowered: underlay $UL mtu 1500, vxlan over IPv6 needs 70)"; echo $?)" \
	"vnl show says why (IPv6)" "$(vnl show)"
check_remote_pings six 2001:db8::2 a6 10.6.0.2 10

# A port left without remotes keeps its family: remotes of the other one
# make it again (a fix: they went to the old port and were refused there).
vnl_ok "add lan sx --vxlan 301 --remote 2001:db8::2" add lan sx --vxlan 301 --remote 2001:db8::2
vnl_ok "set lan sx --remote none" set lan sx --remote none
jcheck "sx without remotes: still IPv6, mtu 1430" "$(vnl show -j sx)" '.lan.mtu == 1430 and .lan.vxlan.family == "ipv6"'
vnl_ok "set lan sx --remote 192.0.2.2 (IPv4 now)" set lan sx --remote 192.0.2.2
jcheck "sx: IPv4, mtu 1450, remote 192.0.2.2 on its port" "$(vnl show -j sx)" \
	'.lan.mtu == 1450 and .lan.vxlan.family == "ipv4" and .lan.vxlan.switch_local == "192.0.2.1" and [.lan.vxlan.remotes[].ip] == ["192.0.2.2"]'
vnl_ok "del sx" del sx

# --- 3. the MTU, raised and put back -----------------------------------------
vnl_ok "add lan red with mtu 1500 over vxlan" add lan red --vxlan 200 --remote 192.0.2.2 --mtu 1500
result "$([ "$(ul_mtu 1)" = 1550 ]; echo $?)" "h1's underlay raised to 1550" "mtu $(ul_mtu 1)"
jcheck "show: red raised from 1500" "$(vnl show -j red)" \
	'.lan.mtu == 1500 and .lan.vxlan.mtu_reason == "raised" and .lan.vxlan.raised_from == 1500'
result "$(vnl show | grep -qF "mtu 1500 (underlay $UL mtu 1550, raised from 1500 for LAN red)"; echo $?)" \
	"vnl show says raised"
# ... as the README shows it (for its LAN blue on eth1; the backquotes are its)
# shellcheck disable=SC2016
RAISED=$(tr '\n' ' ' <"$VNL_SOURCE_DIR/README.md" | grep -o '`mtu 1500 (underlay eth1 mtu 1550, raised from[^`]*`' |
	tr -d '`' | sed -e "s/eth1/$UL/; s/LAN blue/LAN red/")
result "$([ -n "$RAISED" ] && vnl show | grep -qF "$RAISED"; echo $?)" "vnl show says raised as the README does" \
	"README: '$RAISED'" "$(vnl show)"
# --mtu none means the default, as on a fresh host: the raise goes, red
# gets the original underlay's mtu less the overhead.
vnl_ok "set lan red --mtu none" set lan red --mtu none
result "$([ "$(ul_mtu 1)" = 1500 ]; echo $?)" "... h1's underlay back at 1500" "mtu $(ul_mtu 1)"
jcheck "show: red lowered to 1450" "$(vnl show -j red)" \
	'.lan.mtu == 1450 and .lan.vxlan.mtu_reason == "lowered"'
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
check_remote_pings blue 192.0.2.2 a 10.0.0.2 20
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
