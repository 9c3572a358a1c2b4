#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: a VM's serial console log is capped (issue 10): qemu writes
# ttyS0's log into vnl-logcap's pipe (/dev/fdset), and a guest writing its
# serial port at full speed leaves console.log within the cap plus one
# console.log.1; qemu's own stdout and stderr (qemu.log) go through a
# vnl-logcap too; the writers are recorded and end with qemu (one kept
# alive by a stray is stopped), leaving nothing behind.
#
# Operations:
#   1. lab L (VNL_LOG_MAX=65536): vm v1 (tiny), ready; qemu's command line
#      logs ttyS0 to /dev/fdset/1, a vnl-logcap writes console.log; qemu's
#      fds 1 and 2 are the pipe another vnl-logcap reads (its stdin) and
#      writes to qemu.log, which has vnld's "starting qemu" line
#   2. the guest writes 320 KB to /dev/ttyS0: console.log never passes the
#      cap (sampled), console.log.1 holds the previous part, the newest
#      line is in console.log, v1 still runs commands
#      vnld recorded both writers' pids and start times in the run folder
#   3. vnl stop, with qemu.log's pipe held open by the test (a stray): no
#      qemu, no vnl-logcap of the lab left (that one is stopped after 2 s)

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

CAP=65536
export VNL_LOG_MAX=$CAP
vm_test_init 103-vm-bounds
lab_new L v101
BOOT=240
D=/var/lib/vnetlab/$L/vm/v1

# logcap_pids FILE: vnl-logcap processes writing FILE.
logcap_pids() {
	local p
	for p in /proc/[0-9]*; do
		tr "\0" " " <"$p/cmdline" 2>/dev/null | grep -q "vnl-logcap $1 *$" && echo "${p#/proc/}"
	done
}

# --- 1. a VM whose console log goes through vnl-logcap ------------------------------
vnl_ok "add vm v1 --image tiny" add vm v1 --image tiny
[ "$RC" = 0 ] || bail "cannot add a VM: $ERR"
vnl_ok "vnl wait v1" wait --timeout $BOOT v1
[ "$RC" = 0 ] || bail "v1 did not become ready: $ERR"
QP=$(vnl show -j v1 | jq -r '.node.qemu_pid // 0')
check "qemu logs ttyS0 through /dev/fdset/1" sh -c "tr '\\0' ' ' </proc/$QP/cmdline | grep -q 'logfile=/dev/fdset/1'"
LC=$(logcap_pids "$D/console.log")
result $([ -n "$LC" ] && [ "$LC" -gt 0 ] 2>/dev/null; echo $?) "a vnl-logcap writes $D/console.log (pid $LC)"
QLC=$(logcap_pids "$D/qemu.log")
QERR=$(readlink "/proc/$QP/fd/2")
result $([ -n "$QLC" ] && [ "$QLC" -gt 0 ] 2>/dev/null && [[ $QERR == pipe:* ]] &&
	[ "$(readlink "/proc/$QP/fd/1")" = "$QERR" ] && [ "$(readlink "/proc/$QLC/fd/0")" = "$QERR" ]; echo $?) \
	"qemu's stdout and stderr are the pipe of the vnl-logcap writing $D/qemu.log (pid $QLC)" \
	"qemu fd 1 $(readlink "/proc/$QP/fd/1"), fd 2 $QERR; vnl-logcap '$QLC' fd 0 $(readlink "/proc/$QLC/fd/0" 2>&1)"
check "... and qemu.log has vnld's 'starting qemu' line" grep -q '^---- [0-9]*: starting qemu' "$D/qemu.log"
R=/run/vnetlab/$L/vm/v1
start_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
check "vnld recorded both writers (pid, start time) in the run folder" \
	test "$(cat "$R/qemu-log.pid" 2>&1) / $(cat "$R/console-log.pid" 2>&1)" = "$QLC $(start_of "$QLC") / $LC $(start_of "$LC")"

# --- 2. the guest floods its serial port -----------------------------------------------
vnl exec v1 -- sh -c 'i=0; while [ $i -lt 5000 ]; do echo "line $i 0123456789abcdefghijklmnopqrstuvwxyz"; i=$((i + 1)); done >/dev/ttyS0; echo LAST-LINE-42 >/dev/ttyS0' &
bg_track $!
flood=$!
peak=0
while kill -0 "$flood" 2>/dev/null; do
	s0=$(stat -c %s "$D/console.log" 2>/dev/null || echo 0)
	[ "$s0" -gt "$peak" ] && peak=$s0
	sleep 0.05
done
wait_for 10 grep -q LAST-LINE-42 "$D/console.log"
s1=$(stat -c %s "$D/console.log.1" 2>/dev/null || echo 0)
result $([ "$peak" -le "$CAP" ] && [ "$s1" -gt $((CAP / 2)) ] && [ "$s1" -le "$CAP" ]; echo $?) \
	"320 KB on ttyS0: console.log stayed within $CAP (peak $peak), console.log.1 $s1" "$(ls -l "$D")"
check "... the newest line is in console.log" grep -q LAST-LINE-42 "$D/console.log"
check "... and v1 still runs commands" vnl exec v1 -- true

# --- 3. stop: nothing of it left ------------------------------------------------------
exec 9>"/proc/$QLC/fd/0" # a stray writer of qemu.log's pipe: its vnl-logcap outlives qemu
vnl_ok "vnl stop" stop
check "no vnl-logcap of the lab left (qemu.log's, its pipe held by a stray, was stopped)" \
	wait_for 10 sh -c "! ps -eo args | grep -q '^[^ ]*vnl-logcap /var/lib/vnetlab/$L/'"
exec 9>&-
check "no qemu of the lab left" test -z "$(vm_leftovers "$L")"

done_testing
