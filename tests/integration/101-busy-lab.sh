#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: one slow child never stalls the lab (issue 10, class 2). While
# a long `vnl exec` runs in a VM, vnld deletes a container whose process
# ignores SIGTERM (~5 s), starts a VM whose qemu is slow to start, and
# restarts a kill -9'd switch; meanwhile the exec's output stays complete
# and in order with the right status, the VM never leaves `ready`, `vnl
# show` answers within SHOW_MAX_MS, events keep coming, and a change sent
# during the delete is held and done after it.
#
# Operations:
#   1. image "stubborn": busybox plus a /bin/tini (so vnl-init, which exits
#      on TERM, is not used) that is a shell ignoring TERM; lab L: LAN blue,
#      vm a1 (tiny) on blue, cnt s1 (stubborn, --cmd traps and ignores TERM);
#      vnl events in the background; wait a1 ready
#   2. exec in a1: a counter every 100 ms, N lines, exit 3 (background);
#      it must still run after each step below
#   3. a. del s1 (takes the 5 s stop timeout), with `add lan late` sent
#         during it (held, then done); show probed every 100 ms
#      b. add vm a2 with VNL_QEMU pointing at a wrapper that sleeps 6 s
#         before it execs qemu; show probed
#      c. kill -9 vnl-switchd; wait for the restart; show probed
#   4. the exec: 120 lines 0..119 in order, status 3; a1 only ever `ready`
#      after its boot; events of each step seen (node-deleted, node-added,
#      switch-down, lan-added late); stop leaves nothing

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

vm_test_init 101-busy-lab
lab_new L b100
BOOT=240          # seconds a TCG boot may take on a loaded 2-core host
SHOW_MAX_MS=${SHOW_MAX_MS:-1500} # a show takes ~30 ms; a stalled vnld takes seconds
N=${N:-300}

# qemu through a wrapper that sleeps $TMP/qemu-delay seconds first (vm_qemu.c: VNL_QEMU).
cat >"$TMP/slow-qemu" <<EOS
#!/bin/sh
sleep "\$(cat "$TMP/qemu-delay" 2>/dev/null || echo 0)"
exec qemu-system-x86_64 "\$@"
EOS
chmod +x "$TMP/slow-qemu"
echo 0 >"$TMP/qemu-delay"
export VNL_QEMU=$TMP/slow-qemu

quiet() { "$@" >/dev/null; }
# exec_runs STEP: the exec in a1 still runs (so STEP happened during it),
# and printed lines meanwhile (since exec_mark).
exec_mark() { MARK=$(grep -c . "$TMP/exec.out"); }
exec_runs() {
	local now
	now=$(grep -c . "$TMP/exec.out")
	check "the exec in a1 still runs after $1" kill -0 "$EXEC"
	check "and its output went on during it (line $MARK to $now)" test "$now" -gt $((MARK + 2))
}
ms() { echo $(($(date +%s%N) / 1000000)); }
# probe FILE: `vnl show` every 100 ms, its latency in ms per line, until killed.
probe() {
	local t0
	while :; do
		t0=$(ms)
		vnl show -j >/dev/null 2>&1 || echo "fail"
		echo $(($(ms) - t0))
		sleep 0.1
	done >"$1"
}
# probed DESC FILE CMD...: run CMD (status in RC) while probe writes FILE; then
# check the slowest show of that time.
probed() {
	local desc=$1 f=$2 p max n
	shift 2
	probe "$f" &
	p=$!
	bg_track $p
	"$@"
	RC=$?
	sleep 0.3
	kill $p 2>/dev/null
	wait $p 2>/dev/null
	max=$(grep -v fail "$f" | sort -n | tail -n 1)
	n=$(grep -c . "$f")
	if grep -q fail "$f"; then
		not_ok "show during $desc" "a show failed"
	elif [ -n "$max" ] && [ "$max" -le "$SHOW_MAX_MS" ]; then
		ok "show answered within $SHOW_MAX_MS ms during $desc ($n probes, slowest $max ms)"
	else
		not_ok "show answered within $SHOW_MAX_MS ms during $desc ($n probes, slowest ${max:-none} ms)" "$(tr '\n' ' ' <"$f")"
	fi
}

# --- 1. a VM and a stubborn container -----------------------------------------------
# With a tini in the image, cnt runs it as pid 1 instead of vnl-init; this
# one ignores TERM, as does everything it starts.
cp "$CNT_IMAGE" "$TMP/images/stubborn.ext4"
printf '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 1; done\n' >"$TMP/tini"
debugfs -w -R "write $TMP/tini /bin/tini" "$TMP/images/stubborn.ext4" >/dev/null 2>&1
debugfs -w -R "sif /bin/tini mode 0100755" "$TMP/images/stubborn.ext4" >/dev/null 2>&1
debugfs -R "stat /bin/tini" "$TMP/images/stubborn.ext4" 2>/dev/null | grep -q "Mode:  0755" ||
	bail "cannot put /bin/tini into the stubborn image"
must add lan blue >/dev/null
events_follow "$TMP/events"
vnl_ok "add vm a1 --image tiny" add vm a1 --image tiny
[ "$RC" = 0 ] || bail "cannot add a VM: $ERR"
vnl_ok "add cnt s1 whose processes ignore SIGTERM" add cnt s1 --image stubborn \
	--cmd 'trap "" TERM; while :; do sleep 1; done'
vnl_ok "link a1:0 blue" link a1:0 blue
lab_record_ifs
vnl_ok "a1 and s1 ready" wait --timeout $BOOT a1 s1
[ "$RC" = 0 ] || bail "a1 did not become ready: $ERR"

# --- 2. a long exec -------------------------------------------------------------------
vnl exec a1 -- sh -c "i=0; while [ \$i -lt $N ]; do echo \$i; i=\$((i+1)); sleep 0.1; done; exit 3" \
	>"$TMP/exec.out" 2>"$TMP/exec.err" &
EXEC=$!
bg_track $EXEC
wait_for 30 grep -q '^2$' "$TMP/exec.out" || bail "the exec in a1 does not run: $(cat "$TMP/exec.err")"

# --- 3a. delete the stubborn container ------------------------------------------------
exec_mark
t0=$(ms)
( sleep 1; vnl add lan late >"$TMP/late.out" 2>&1; echo $? >"$TMP/late.rc" ) &
LATE=$!
probed "the delete of a container that ignores SIGTERM" "$TMP/probe.del" quiet vnl del s1
took=$(($(ms) - t0))
result "$RC" "del s1 ($took ms)"
check "the delete waited for the TERM timeout (it is a real stubborn child)" test "$took" -ge 4000
exec_runs "the delete"
wait $LATE
check "a lan-add sent during the delete was held, then done" test "$(cat "$TMP/late.rc")" = 0
jcheck "lan late exists" "$(json_of show late)" '.lan.name == "late"'
check "and it came after the delete (node-deleted before lan-added late)" \
	sh -c "jq -c 'select(.event == \"node-deleted\" or (.event == \"lan-added\" and .lan == \"late\")) | .event' '$TMP/events' | tr -d '\"' | tr '\n' ' ' | grep -q 'node-deleted lan-added'"

# --- 3b. a slow qemu ------------------------------------------------------------------
echo 6 >"$TMP/qemu-delay"
exec_mark
t0=$(ms)
probed "the start of a VM whose qemu takes 6 s to start" "$TMP/probe.vm" quiet vnl add vm a2 --image tiny
took=$(($(ms) - t0))
result "$RC" "add vm a2 with a slow qemu ($took ms)"
check "the add waited for the slow qemu" test "$took" -ge 5000
echo 0 >"$TMP/qemu-delay"
exec_runs "the slow start"

# --- 3c. the switch restarts ----------------------------------------------------------
swpid=$(vnl show -j | jq -r '.switch.pid')
restarts=$(vnl show -j | jq -r '.switch.restarts')
restart_wait() {
	kill -9 "$swpid"
	local end=$((SECONDS + 60)) p
	while [ $SECONDS -lt $end ]; do
		p=$(vnl show -j | jq -r --argjson r "$restarts" 'select(.switch.restarts > $r) | .switch.pid')
		[ -n "$p" ] && [ "$p" != 0 ] && return 0
		sleep 0.2
	done
	return 1
}
exec_mark
probed "a restart of the switch (kill -9)" "$TMP/probe.sw" restart_wait
result "$RC" "the switch was restarted"
exec_runs "the switch restart"

# --- 4. the exec and the VM lived through it all --------------------------------------
wait_for 120 sh -c "! kill -0 $EXEC 2>/dev/null"
wait $EXEC
st=$?
check "the exec exited with its own status 3 (got $st)" test "$st" = 3
expect=$(seq 0 $((N - 1)))
check "the exec's output is complete and in order ($(grep -c . "$TMP/exec.out") lines)" \
	test "$(cat "$TMP/exec.out")" = "$expect"
[ -s "$TMP/exec.err" ] && diag "exec stderr: $(head -c 400 "$TMP/exec.err")"
states=$(jq -r 'select(.event == "node-state" and .node == "a1") | .state' "$TMP/events" | tr '\n' ' ')
after=$(jq -r 'select(.event == "node-state" and .node == "a1") | .state' "$TMP/events" | sed -n '/^ready$/,$p' | sort -u | tr '\n' ' ')
check "a1 never left ready after its boot (states: $states)" test "$after" = "ready "
check "a1 is ready now" test "$(vm_state a1)" = ready
check "vnld never marked a1 lost" sh -c "! grep -q 'vm a1: .*-> lost' /run/vnetlab/$L/vnld.log"
for e in '"node-deleted".*"s1"' '"node-added".*"a2"' '"switch-down"'; do
	check "events: $e" grep -q "$e" "$TMP/events"
done
must add lan final >/dev/null
wait_for 5 grep -q '"final"' "$TMP/events"
check "the event stream is still alive" grep -q '"final"' "$TMP/events"

vnl_ok "stop" stop
left=$( (vm_leftovers "$L"; cnt_leftovers "$L"; ls -d "/run/vnetlab/$L" "/var/lib/vnetlab/$L" 2>/dev/null) | sort -u)
check "nothing of the lab is left after stop" test -z "$left"
[ -n "$left" ] && diag "$left"

done_testing
