#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: nothing a user types makes a lab that can no longer be
# recovered or cleaned (issue 10, class 1).
# (a) A --cmd, --image or --env holding a control character or bytes that
#     are not UTF-8 is refused at the door with a one-line error naming the
#     field, and leaves nothing; a cmd and env full of characters YAML would
#     reinterpret (quotes, '#', ': ', tab, newline, NBSP, LS, yes, ~, ...)
#     survive a kill -9 of vnld and its restart unchanged, and `vnl show`
#     and `vnl save` work after it.
# (b) A lab (two ns nodes, a container, a LAN, links, and the folders and
#     process of a VM made by hand) whose state files are
#     then overwritten with garbage bytes, vnld killed: vnld refuses to serve
#     it (one line naming `vnl stop`) and touches nothing; `vnl stop` cleans
#     it from what is on the host, says what it found, and leaves no netns,
#     veth, mount, loop device, crun state, process (switch included) or
#     folder.
#
# Operations: lab L; refusals compared with a snapshot; kill -9 of vnld;
# `vnl start`; garbage written over topology.yaml and runtime.json; vnl stop.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

cnt_test_init 100-unreadable-state
lab_new L c100

must add lan blue >/dev/null
must add ns n1 >/dev/null
must link n1:0 blue --ip 10.100.0.1/24 >/dev/null
lab_record_ifs
BEFORE=$(lab_snapshot)

# refused DESC PATTERN NODE ARGS...: vnl ARGS fails with one line on stderr
# matching PATTERN; the lab is as before and NODE left nothing.
refused() {
	local d=$1 pat=$2 n=$3 after
	shift 3
	run "$@"
	result $([ "$RC" != 0 ] && [ "$(grep -c . <<<"$ERR")" = 1 ] && grep -qE -- "$pat" <<<"$ERR"; echo $?) \
		"$d: one-line error" "exit $RC" "stderr: $ERR" "wanted: /$pat/"
	after=$(lab_snapshot)
	result $([ "$after" = "$BEFORE" ] && ! lab_netns "$L" | grep -q "\.$n$" &&
		[ ! -e "/var/lib/vnetlab/$L/cnt/$n" ]; echo $?) \
		"$d: nothing changed, no debris" "$(diff <(echo "$BEFORE") <(echo "$after"))"
}

RULE="valid UTF-8 without control characters"
refused "--cmd with a lone byte 0x85 (the issue's case)" "node 'b1': cmd: invalid UTF-8.*$RULE" b1 \
	add cnt b1 --image busybox --cmd "$(printf 'echo \x85')"
refused "--cmd with the C1 control U+0085" "node 'b2': cmd: control character U\+0085.*$RULE" b2 \
	add cnt b2 --image busybox --cmd "$(printf 'echo \xc2\x85')"
refused "--cmd with ESC" "node 'b3': cmd: control character U\+001B" b3 \
	add cnt b3 --image busybox --cmd "$(printf 'echo \033[31m')"
refused "--cmd with a carriage return" "node 'b4': cmd: control character U\+000D" b4 \
	add cnt b4 --image busybox --cmd "$(printf 'echo a\rb')"
refused "--cmd in Latin-1" "node 'b5': cmd: invalid UTF-8" b5 \
	add cnt b5 --image busybox --cmd "$(printf 'echo caf\xe9')"
refused "--image with a C1 control" "node 'b6': image: control character U\+009B" b6 \
	add cnt b6 --image "$(printf 'busy\xc2\x9bbox')"
# vnl checks --env itself (the same rule, from the model): a usage error,
# whose first line says it.
refused_usage() {
	local d=$1 pat=$2 n=$3 after
	shift 3
	run "$@"
	result $([ "$RC" != 0 ] && head -n 1 <<<"$ERR" | grep -qE -- "$pat"; echo $?) \
		"$d: refused" "exit $RC" "stderr: $ERR" "wanted first line: /$pat/"
	after=$(lab_snapshot)
	result $([ "$after" = "$BEFORE" ] && ! lab_netns "$L" | grep -q "\.$n$"; echo $?) \
		"$d: nothing changed" "$(diff <(echo "$BEFORE") <(echo "$after"))"
}
refused_usage "--env value with DEL" "env entry: control character U\+007F.*$RULE" b7 \
	add cnt b7 --image busybox --env "$(printf 'A=x\x7f')"
refused_usage "--env value not UTF-8" "env entry: invalid UTF-8.*$RULE" b8 \
	add cnt b8 --image busybox --env "$(printf 'A=\xff\xfe')"

# 600 000 '"' in a single-quoted cmd: a 600 kB file whose saved form (each
# '"' escaped) would take 1.2 MB, more than a state file may hold.
python3 -c 'import sys; open(sys.argv[1], "w").write("nodes:\n  - name: big\n    kind: cnt\n    image: busybox\n    cmd: \x27" + "\"" * 600000 + "\x27\n")' "$TMP/huge.yaml"
refused "deploy of a file whose saved form would pass 1 MiB" "huge\.yaml:2:5: lab too large: its saved topology would exceed 1048576 bytes" \
	big deploy "$TMP/huge.yaml"

# --- (a) what is accepted survives a restart of vnld ---------------------------------
CMD=$(printf ' sleep 3600 # "q" \\ %s: - yes ~ null 0x1f [a] {b: c} &x *y !t %%d |\t>tab \xc3\xa9 \xc2\xa0nbsp \xe2\x80\xa8ls \xef\xbb\xbfbom\n: second line ' "'s'")
ENV1=$(printf 'E1=a: b # c "d" \\ \t\xc2\xa0')
ENV2='E2=~'
vnl_ok "a container with a cmd and env YAML would reinterpret" add cnt c1 --image busybox --cmd "$CMD" \
	--env "$ENV1" --env "$ENV2"
must link c1:0 blue --ip 10.100.0.3/24 >/dev/null
lab_record_ifs
P1=$(vnl show -j c1 | jq -r '.node.pid // empty')
[ -n "$P1" ] || bail "c1 has no pid"
SHOW1=$(vnl show -j | jq -S .)
SAVE1=$(vnl save -)

vpid=$(cat "/run/vnetlab/$L/vnld.pid")
kill -9 "$vpid"
wait_for 10 sh -c "! kill -0 $vpid 2>/dev/null"
vnl_ok "vnl start after kill -9 of vnld (the state file loads)" start
got=$(vnl show -j c1 | jq -r .node.cmd)
result $([ "$got" = "$CMD" ]; echo $?) "cmd unchanged after the restart" \
	"sent: $(printf %s "$CMD" | od -c | head -5)" "got:  $(printf %s "$got" | od -c | head -5)"
got=$(vnl show -j c1 | jq -r '.node.env | join("|")')
result $([ "$got" = "$ENV1|$ENV2" ]; echo $?) "env unchanged after the restart" "got: $got"
result $([ "$(vnl show -j | jq -S .)" = "$SHOW1" ]; echo $?) "vnl show -j is the same as before" \
	"$(diff <(echo "$SHOW1") <(vnl show -j | jq -S .))"
result $([ "$(vnl show -j c1 | jq -r .node.pid)" = "$P1" ]; echo $?) "the container runs on (same pid)"
result $([ "$(vnl save -)" = "$SAVE1" ]; echo $?) "vnl save gives the same bytes" \
	"$(diff <(echo "$SAVE1") <(vnl save -))"
# runtime.json garbled: the next vnld finds the running switch by its socket
# and adopts it (no second switch beside it).
SW1=$(vnl show -j | jq -r .switch.pid)
vpid=$(cat "/run/vnetlab/$L/vnld.pid")
kill -9 "$vpid"
wait_for 10 sh -c "! kill -0 $vpid 2>/dev/null"
head -c 64 /dev/urandom >"/var/lib/vnetlab/$L/runtime.json"
vnl_ok "vnl start with runtime.json garbled" start
nsw=$(for p in $(lab_pids "$L"); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done | grep -c vnl-switchd)
result $([ "$(vnl show -j | jq -r .switch.pid)" = "$SW1" ] && [ "$nsw" = 1 ]; echo $?) \
	"... the running switch is adopted (pid $SW1), no second one" "switch pid now $(vnl show -j | jq -r .switch.pid), $nsw switches"

# The `vnl save` file deploys into another lab with the same strings.
lab_new L2 d100
vnl save - >"$TMP/saved.yaml"
LAB=$L2 vnl_ok "the saved file deploys into another lab" deploy "$TMP/saved.yaml"
got=$(LAB=$L2 vnl show -j c1 | jq -r .node.cmd)
result $([ "$got" = "$CMD" ]; echo $?) "... with the same cmd" "got: $(printf %s "$got" | od -c | head -5)"
LAB=$L2 vnl_ok "... and stops" stop

# --- (b) a state file that cannot be read --------------------------------------------
must add ns n2 >/dev/null
must link n2:0 blue --ip 10.100.0.2/24 >/dev/null
lab_record_ifs
check_ping "n2 pings c1 before the state is broken" n2 10.100.0.3 1
IFS_ALL=$(vnl show -j | jq -r '.nodes[].interfaces[]?.host')
NETNS=$(lab_netns "$L" | wc -l)
SWPID=$(vnl show -j | jq -r '.switch.pid // empty')
[ "$NETNS" = 3 ] && [ -n "$SWPID" ] || bail "lab not as expected: $NETNS netns, switch pid '$SWPID'"
vpid=$(cat "/run/vnetlab/$L/vnld.pid")
kill -9 "$vpid"
wait_for 10 sh -c "! kill -0 $vpid 2>/dev/null"
# A VM's leftovers as vm.c names them: its folders, and a "qemu" (its
# command line names the node the way qemu's -name does) in its pid file.
mkdir -p "/var/lib/vnetlab/$L/vm/v9" "/run/vnetlab/$L/vm/v9"
touch "/var/lib/vnetlab/$L/vm/v9/disk.qcow2"
python3 -c 'import time; time.sleep(600)' "vnl.$L.v9,process=vnl.$L.v9" &
QPID=$!
bg_track "$QPID"
echo "$QPID" >"/run/vnetlab/$L/vm/v9/qemu.pid"
ST=/var/lib/vnetlab/$L
{ printf 'nodes:\n  - name: \x85\x00\xff'; head -c 300 /dev/urandom; } >"$ST/topology.yaml"
head -c 64 /dev/urandom >"$ST/runtime.json"

run start
result $([ "$RC" != 0 ] && grep -q "state unreadable, lab not served" <<<"$ERR" && grep -q "vnl --lab $L stop" <<<"$ERR"; echo $?) \
	"vnl start refuses a lab whose state cannot be read, naming vnl stop" "exit $RC" "stderr: $ERR"
result $([ "$(lab_netns "$L" | wc -l)" = "$NETNS" ] && alive "$P1" && alive "$SWPID" && alive "$QPID"; echo $?) \
	"... and leaves the lab as it is (netns, container, switch)" "$(lab_netns "$L")"
check "... and keeps the unreadable file" grep -q 'name: ' "$ST/topology.yaml"

run stop
OUTERR="$OUT $ERR"
result $([ "$RC" = 0 ]; echo $?) "vnl stop cleans a lab whose state cannot be read" "exit $RC" \
	"stdout: $OUT" "stderr: $ERR"
result $(grep -q "state unreadable" <<<"$OUTERR" &&
	grep -qE "cleaning from the host: 3 netns, 1 container, 1 VM, [0-9]+ mounts?, the switch \(pid $SWPID\)" <<<"$OUTERR"
	echo $?) "vnl stop says what it found" "$OUTERR"
check "stop: nothing of the container is left (mounts, loops, crun, processes, cgroups)" \
	test -z "$(cnt_leftovers "$L")"
check "stop: no netns left" test -z "$(lab_netns "$L")"
left=
for i in $IFS_ALL; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
result $([ -z "$left" ]; echo $?) "stop: no host veth left" "left:$left"
left=
for i in $P1 $SWPID $QPID $(lab_pids "$L"); do alive "$i" && left="$left $i"; done
result $([ -z "$left" ]; echo $?) "stop: container, VM, switch and vnld are gone" "still running:$left"
check "stop: no /run/vnetlab/$L nor /var/lib/vnetlab/$L" test ! -e "/run/vnetlab/$L" -a ! -e "/var/lib/vnetlab/$L"
done_testing
