#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: `vnl capture` end to end (issue 13): the switch writes pcapng
# into a pipe vnl made and passed through vnld; vnl copies whole blocks to a
# file, stdout or a printer. Interfaces are named NODE:N and described with
# their LAN; per frame the direction as the node sees it; counts exact; a
# LAN capture shows each frame once; -c ends the capture; Ctrl-C leaves a
# valid file with statistics blocks; vnl show lists a running capture and
# not an ended one; errors are one clear line (unknown node, unlinked NIC,
# LAN, bad filter in libpcap's words and -s 0 with exit 2); the switch
# killed mid-capture ends vnl with 1 and the next capture works. tshark
# reads the frames of every kind of switch port a node's NIC can be: tap
# (ns and cnt by default), afxdp (--nic-type afxdp) and, when qemu is
# there, a VM's vhost-user port: per interface and direction the right ICMP
# types and counts, the names and descriptions vnld gave.
#
# Operations:
#   1. lab L: LAN blue, ns a 10.106.0.1/24, busybox cnt c 10.106.0.2/24,
#      ns x 10.106.0.4/24 with --nic-type afxdp (and tiny vm v
#      10.106.0.3/24, booting meanwhile)
#   2. capture a:0 c:0 -f icmp -c 80 -w F during 20 pings a -> c: vnl ends
#      by itself; `vnl capture -r F -j`: 80 packets, 20 per (interface,
#      direction), requests out of a and into c, one ISB per interface;
#      IDBs a:0, c:0 with "LAN blue"; tshark (when installed) reads the
#      same 20 per interface, direction and ICMP type (both tap ports)
#   2b. afxdp: capture a:0 x:0 -c 80 during 20 pings a -> x; x:0's port is
#      af_xdp; tshark: 20 requests inbound on x:0, 20 replies outbound,
#      the description "LAN blue, ns node x eth0"; nothing dropped (ISB)
#   3. capture blue -f icmp -c 40: each frame once (every packet `out`);
#      -s 64 --dir in: caplen 64 of 98, only replies; --duration 2 ends
#   4. live: capture a:0 -w - | vnl capture -r - -j (and | tshark -r -)
#   5. lines: without tshark in PATH, pktline's; with it, tshark's
#   6. SIGINT: the file ends with ISBs; show -j lists the capture while it
#      runs, not after; with the switch stopped (SIGSTOP) show answers in
#      under 2 s, captures_error in place of the list
#   7. errors: zz:0, u:1 (not linked), nolan, -f 'tcp port' (2), -s 0 (2);
#      no file left by a refused -w, an existing one unchanged
#   8. kill -9 of vnl-switchd mid-capture: vnl exits 1 "vnl-switchd
#      stopped"; after the restart a capture works again
#   9. (qemu) capture v:0 -f icmp -c 8 during 4 pings a -> v: 8 packets,
#      IDB "vm node v"; the port is vhost-user; tshark: 4 requests
#      inbound, 4 replies outbound, the description

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"
. "$VNL_SOURCE_DIR/tests/lib/tshark.sh"

HAVE_VM=0
if command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v qemu-img >/dev/null 2>&1; then
	vm_test_init 106-vnl-capture
	HAVE_VM=1
else
	cnt_test_init 106-vnl-capture
fi
lab_new L cc106
BOOT=240
HAVE_TSHARK=0
command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=1

# blocks FILE: the file's blocks as one JSON array (vnl's own reader, no lab).
blocks() { timeout 30 "$VNL_BIN" capture -r "$1" -j | jq -s .; }
# captures: how many captures vnl show lists.
captures() { vnl show -j | jq '.captures | length'; }
# listed: true once vnl show lists a capture (20 s at most).
listed() { wait_for 20 sh -c "[ \"\$('$VNL_BIN' --lab $LAB show -j | jq '.captures | length')\" -ge 1 ]"; }
# capture_bg OUTVAR ARGS...: vnl capture ARGS in the background (stderr in
# TMP/bg.err), its pid in OUTVAR, returned once show lists the capture.
capture_bg() {
	local var=$1 p
	shift
	"$VNL_BIN" --lab "$LAB" capture "$@" 2>"$TMP/bg.err" &
	p=$!
	bg_track "$p"
	printf -v "$var" '%s' "$p"
	listed || not_ok "capture $* is listed by vnl show" "$(cat "$TMP/bg.err")"
}
# wait_exit PID SECONDS: its exit status, or 124 after SECONDS (then killed).
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	alive "$1" && { kill -9 "$1"; wait "$1"; return 124; }
	wait "$1"
}
# during N CMD...: CMD (a command or a function of this file) in the
# background; once a capture is listed, N pings a -> c (or DST) 0.1 s apart;
# CMD's exit status in RC (124: still running after 20 s, killed).
during() {
	local n=$1 p
	shift
	"$@" &
	p=$!
	bg_track "$p"
	listed || not_ok "$* starts a capture that vnl show lists" "$(vnl show -j 2>&1 | jq -c '{captures, captures_error}' 2>&1)"
	vnl exec a -- ping -n -q -c "$n" -i 0.1 -W 2 "${DST:-10.106.0.2}" >/dev/null
	wait_exit "$p" 20
	RC=$?
}
# cap ARGS...: vnl capture on lab L, stderr in TMP/cap.err.
cap() { "$VNL_BIN" --lab "$L" capture "$@" 2>"$TMP/cap.err"; }
# backend NODE:N: the switch backend of the NIC's port (tap, af_xdp, vhost-user).
backend() { vnl stats -j "$1" | jq -r ".ports[\"$1\"].backend"; }
# tshark_reads DESC FILE TALLY: tshark's icmp_tally of FILE is TALLY (an echo_tally).
tshark_reads() {
	local t
	t=$(icmp_tally "$2")
	result "$([ "$t" = "$3" ]; echo $?)" "$1" "tshark: $(tr '\n' ' ' <<<"$t")" "want: $(tr '\n' ' ' <<<"$3")"
}

# --- 1. the lab -------------------------------------------------------------------
must add lan blue >/dev/null
vnl_ok "add ns a" add ns a
vnl_ok "add cnt c" add cnt c --image busybox
vnl_ok "link a:0 blue" link a:0 blue --ip 10.106.0.1/24
vnl_ok "link c:0 blue" link c:0 blue --ip 10.106.0.2/24
vnl_ok "add ns x --nic-type afxdp" add ns x --nic-type afxdp
vnl_ok "link x:0 blue" link x:0 blue --ip 10.106.0.4/24
if ((HAVE_VM)); then
	vnl_ok "add vm v (tiny), boots meanwhile" add vm v --image tiny
	vnl_ok "link v:0 blue" link v:0 blue
fi
check_ping "ping a -> c" a 10.106.0.2
check_ping "ping a -> x (afxdp)" a 10.106.0.4

# --- 2. two NICs, counted, named ------------------------------------------------------
F=$TMP/two.pcapng
during 20 cap a:0 c:0 -f icmp -c 80 -w "$F"
result "$RC" "capture a:0 c:0 -c 80 ends by itself after 20 pings (exit 0)" "exit $RC: $(cat "$TMP/cap.err")"
b=$(blocks "$F")
jcheck "80 packets, 20 per interface and direction, requests out of a and into c" "$b" '
	[.[] | select(.block == "EPB")] as $p | ($p | length) == 80 and
	([$p[] | select(.name == "a:0" and .dir == "out" and (.summary | test("echo request")))] | length) == 20 and
	([$p[] | select(.name == "a:0" and .dir == "in" and (.summary | test("echo reply")))] | length) == 20 and
	([$p[] | select(.name == "c:0" and .dir == "in" and (.summary | test("echo request")))] | length) == 20 and
	([$p[] | select(.name == "c:0" and .dir == "out" and (.summary | test("echo reply")))] | length) == 20'
jcheck "interfaces a:0 and c:0 with their MACs, described with LAN blue, ns and cnt" "$b" "
	[.[] | select(.block == \"IDB\") | .mac] == [$(vnl show -j a | jq '.node.interfaces[0].mac'), $(vnl show -j c | jq '.node.interfaces[0].mac')]"
jcheck "interfaces a:0 and c:0, described with LAN blue, ns and cnt" "$b" '
	[.[] | select(.block == "IDB") | [.name, .description]] ==
	[["a:0", "LAN blue, ns node a eth0"], ["c:0", "LAN blue, cnt node c eth0"]]'
jcheck "one statistics block per interface, nothing dropped, 40 matched each" "$b" '
	[.[] | select(.block == "ISB")] | length == 2 and all(.ifdrop == 0) and all((.filteraccept // 40) == 40)'
jcheck "timestamps in ns, increasing, within the last minute" "$b" "
	[.[] | select(.block == \"EPB\") | .ts_ns] as \$t | (\$t | sort) == \$t and
	(\$t[0] > ($(date +%s) - 60) * 1000000000)"
if ((HAVE_TSHARK)); then
	tshark_reads "tshark reads it: 20 requests out of a:0 and into c:0, 20 replies the other way (tap ports)" \
		"$F" "$(echo_tally 20 a:0 out c:0 in)"
else
	diag "tshark not installed: the files are read by vnl only"
fi

# --- 2b. an afxdp NIC -------------------------------------------------------------------
result "$([ "$(backend x:0)/$(backend a:0)" = af_xdp/tap ]; echo $?)" "x:0 is an af_xdp port, a:0 a tap port" \
	"x:0 $(backend x:0), a:0 $(backend a:0)"
F=$TMP/afxdp.pcapng
DST=10.106.0.4 during 20 cap a:0 x:0 -f icmp -c 80 -w "$F"
result "$RC" "capture a:0 x:0 -c 80 ends after 20 pings a -> x" "exit $RC: $(cat "$TMP/cap.err")"
jcheck "afxdp: 40 packets of x:0, 20 per direction, one ISB per interface, nothing dropped" "$(blocks "$F")" '
	([.[] | select(.block == "EPB" and .name == "x:0")] | group_by(.dir) | map(length)) == [20, 20] and
	([.[] | select(.block == "ISB")] | length == 2 and all(.ifdrop == 0))'
if ((HAVE_TSHARK)); then
	tshark_reads "tshark: 20 requests into x:0 (afxdp), 20 replies out of it; a:0 the other way" \
		"$F" "$(echo_tally 20 a:0 out x:0 in)"
	t=$(if_descriptions "$F")
	result "$([ "$t" = "$(printf 'LAN blue, ns node a eth0\nLAN blue, ns node x eth0')" ]; echo $?)" \
		"tshark: the descriptions of a:0 and x:0" "$t"
fi

# --- 3. a LAN: each frame once ---------------------------------------------------------
F=$TMP/lan.pcapng
during 20 cap blue -f icmp -c 40 -w "$F"
result "$RC" "capture blue -c 40 ends after 20 pings" "$(cat "$TMP/cap.err")"
jcheck "LAN capture: 40 packets, all out, 20 of a:0 and 20 of c:0" "$(blocks "$F")" '
	[.[] | select(.block == "EPB")] as $p | ($p | length) == 40 and all($p[]; .dir == "out") and
	([$p[] | select(.name == "a:0")] | length) == 20 and ([$p[] | select(.name == "c:0")] | length) == 20'

# -s, --dir, --duration
F=$TMP/snap.pcapng
during 2 cap a:0 -f icmp -s 64 --dir in -c 2 -w "$F"
jcheck "-s 64 --dir in: 2 replies into a, 64 of 98 bytes kept, IDB snaplen 64" "$(blocks "$F")" '
	([.[] | select(.block == "EPB")] | length == 2 and all(.dir == "in" and .caplen == 64 and .len == 98)) and
	([.[] | select(.block == "IDB")][0].snaplen == 64)'
t0=$SECONDS
cap a:0 --duration 2 -w "$TMP/dur.pcapng"
rc=$?
result "$([ "$rc" = 0 ] && [ $((SECONDS - t0)) -le 5 ]; echo $?)" "--duration 2 ends within 5 s (exit 0)" \
	"exit $rc after $((SECONDS - t0)) s: $(cat "$TMP/cap.err")"
jcheck "--duration: the file ends with the ISB" "$(blocks "$TMP/dur.pcapng")" '.[-1].block == "ISB"'

# --- 4. live through stdout -------------------------------------------------------------
to_vnl() { cap a:0 -f icmp -c 10 -w - | timeout 30 "$VNL_BIN" capture -r - -j >"$TMP/live.json"; }
to_tshark() { cap a:0 -f icmp -c 10 -w - | timeout 30 tshark -n -l -r - 2>/dev/null >"$TMP/live.txt"; }
during 5 to_vnl
jcheck "capture a:0 -w - | vnl capture -r - : 10 packets and the ISB, live" "$(jq -s . "$TMP/live.json")" '
	([.[] | select(.block == "EPB")] | length) == 10 and ([.[] | select(.block == "ISB")] | length) == 1'
if ((HAVE_TSHARK)); then
	during 5 to_tshark
	result "$(grep -c ICMP "$TMP/live.txt" | grep -qx 10; echo $?)" "capture a:0 -w - | tshark -r - : 10 ICMP lines" \
		"$(cat "$TMP/live.txt")"
fi

# --- 5. lines ------------------------------------------------------------------------------
mkdir -p "$TMP/nopath"
lines() { PATH=$1 cap a:0 -f icmp -c 4 >"$TMP/lines.txt"; }
during 2 lines "$TMP/nopath"
result "$(grep -cE '^[0-9:.]+ a:0 (in|out) ([0-9a-f]{2}:){5}[0-9a-f]{2} > .*, IP 10\.106\.0\.[12] > 10\.106\.0\.[12]: ICMP echo (request|reply), id [0-9]+, seq [12], length 64$' "$TMP/lines.txt" | grep -qx 4; echo $?)" \
	"without tshark: 4 tcpdump-style lines (TIME a:0 DIR MAC > MAC, IP ...: ICMP echo ...)" \
	"$(cat "$TMP/lines.txt" "$TMP/cap.err")"
if ((HAVE_TSHARK)); then
	during 2 lines "$PATH"
	result "$(grep -E ' a:0 (Inbound|Outbound) .*ICMP' "$TMP/lines.txt" | grep -c . | grep -qx 4; echo $?)" \
		"with tshark: its 4 lines, with the interface and direction" "$(cat "$TMP/lines.txt" "$TMP/cap.err")"
fi

# --- 6. Ctrl-C ----------------------------------------------------------------------------------
F=$TMP/int.pcapng
capture_bg pid a:0 -w "$F"
jcheck "vnl show -j lists the running capture (a:0, owner vnl)" "$(json_of show)" \
	'.captures | length == 1 and .[0].interfaces[0].name == "a:0" and (.[0].owner | test("^vnl pid"))'
run show
result "$(grep -q '^captures (1)' <<<"$OUT"; echo $?)" "vnl show prints a captures section" "$OUT"
# A stuck switch holds show's optional captures part LAB_CAPTURE_SHOW_MS (0.5 s), not 5 s.
spid=$(vnl show -j | jq '.switch.pid')
kill -STOP "$spid"
t0=$(date +%s%N)
OUT=$(vnl show -j 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$spid"
result "$([ "$ms" -lt 2000 ] && jq -e '(.captures_error | test("did not")) and (.nodes | length) >= 2' <<<"$OUT" >/dev/null; echo $?)" \
	"a stopped switch: vnl show answers in ${ms} ms (< 2000) with captures_error and the rest" "$OUT"
vnl exec a -- ping -n -q -c 3 -i 0.1 -W 2 10.106.0.2 >/dev/null
kill -INT "$pid"
wait_exit "$pid" 10
result $? "SIGINT: vnl exits 0" "$(cat "$TMP/bg.err")"
jcheck "the file ends with an ISB that counts the frames seen (>= 6)" "$(blocks "$F")" \
	'.[-1].block == "ISB" and .[-1].ifrecv >= 6 and ([.[] | select(.block == "EPB")] | length) >= 6'
wait_for 5 sh -c "[ \"\$('$VNL_BIN' --lab $L show -j | jq '.captures | length')\" = 0 ]"
result $? "vnl show lists no capture after it ended" "$(vnl show -j | jq -c .captures)"

# --- 7. errors ------------------------------------------------------------------------------------
must add ns u --nics 2 >/dev/null
must link u:0 blue >/dev/null
err_case() { # DESC RC PATTERN ARGS...
	local d=$1 want=$2 pat=$3
	shift 3
	run capture "$@"
	result "$([ "$RC" = "$want" ] && grep -qE -- "$pat" <<<"$ERR" && [ "$(grep -c . <<<"$ERR")" -le 2 ]; echo $?)" \
		"$d: exit $want, '$pat'" "exit $RC" "$ERR"
}
err_case "unknown node" 1 "no node named 'zz'" zz:0
err_case "a NIC the node lacks" 1 "node u has no NIC 5" u:5
err_case "an unlinked NIC" 1 "u:1 is not linked" u:1
err_case "an unknown LAN" 1 "no LAN named 'nolan'" nolan
err_case "a bad filter, in libpcap's words" 2 "syntax error" a:0 -f 'tcp port'
err_case "-s 0" 2 "snapshot length must be in 64" a:0 -s 0
err_case "a refused capture with -w" 1 "no node named 'zz'" zz:0 -w "$TMP/refused.pcapng"
result "$([ ! -e "$TMP/refused.pcapng" ]; echo $?)" "a refused capture leaves no file"
echo keep >"$TMP/kept"
run capture zz:0 -w "$TMP/kept"
result "$([ "$RC" = 1 ] && [ "$(cat "$TMP/kept")" = keep ]; echo $?)" "a refused capture leaves an existing -w file as it was"
result "$([ "$(captures)" = 0 ]; echo $?)" "no capture runs after the refusals"

# --- 8. the switch killed mid-capture -------------------------------------------------------------
spid=$(vnl show -j | jq '.switch.pid')
capture_bg pid a:0 -w "$TMP/killed.pcapng"
kill -9 "$spid"
wait_exit "$pid" 10
rc=$?
result "$([ "$rc" = 1 ] && grep -q "vnl-switchd stopped" "$TMP/bg.err"; echo $?)" \
	"the switch killed: vnl exits 1, 'vnl-switchd stopped'" "exit $rc: $(cat "$TMP/bg.err")"
wait_for 30 sh -c "p=\$('$VNL_BIN' --lab $L show -j | jq '.switch.pid'); [ \"\$p\" -gt 0 ] && [ \"\$p\" != $spid ]" ||
	not_ok "the switch came back" "$(vnl show -j | jq -c .switch)"
wait_for 20 vnl exec a -- ping -n -q -c 1 -W 1 10.106.0.2
F=$TMP/again.pcapng
during 2 cap a:0 -f icmp -c 4 -w "$F"
jcheck "after the restart a capture works (4 packets, 1 ISB)" "$(blocks "$F")" \
	'([.[] | select(.block == "EPB")] | length) == 4 and ([.[] | select(.block == "ISB")] | length) == 1'

# --- 9. a VM's NIC -------------------------------------------------------------------------------
if ((HAVE_VM)); then
	vnl_ok "vnl wait v" wait --timeout $BOOT v
	vm_ip v 10.106.0.3/24
	wait_for 30 vnl exec a -- ping -n -q -c 1 -W 1 10.106.0.3
	F=$TMP/vm.pcapng
	capture_bg pid v:0 -f icmp -c 8 -w "$F"
	vnl exec a -- ping -n -q -c 4 -i 0.2 -W 3 10.106.0.3 >/dev/null
	wait_exit "$pid" 30
	b=$(blocks "$F")
	jcheck "v:0: 8 packets (4 in, 4 out), interface described as the vm's" "$b" '
		([.[] | select(.block == "EPB" and .name == "v:0")] | group_by(.dir) | map(length)) == [4, 4] and
		([.[] | select(.block == "IDB")][0].description == "LAN blue, vm node v eth0")'
	jcheck "v:0's IDB has the VM NIC's MAC" "$b" \
		"[.[] | select(.block == \"IDB\")][0].mac == $(vnl show -j v | jq '.node.interfaces[0].mac')"
	result "$([ "$(backend v:0)" = vhost-user ]; echo $?)" "v:0 is a vhost-user port" "$(backend v:0)"
	if ((HAVE_TSHARK)); then
		tshark_reads "tshark: 4 requests into v:0 (vhost-user), 4 replies out of it" "$F" "$(echo_tally 4 v:0 in)"
		result "$([ "$(if_descriptions "$F")" = "LAN blue, vm node v eth0" ]; echo $?)" \
			"tshark: the description of v:0" "$(if_descriptions "$F")"
	fi
else
	diag "qemu not installed: no VM case"
fi

done_testing
