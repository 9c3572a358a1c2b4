#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: VM nodes end to end with real qemu (TCG here), the real switch
# and the real guest agent on the tiny image: boot to `ready` through the
# hvc0 bootstrap with no IP configuration; ping VM to VM and VM to
# container through vnl-switchd; exec (statuses, stdin), exec -t and shell
# on a pseudo-terminal, cp both ways (file and folder, content checked);
# with every iptables chain set to DROP the network is cut and exec still
# works; a guest reboot and a killed agent come back to `ready` by
# themselves; kill -9 of vnl-switchd: NICs reconnect and ping resumes with
# the same qemu; kill -9 of vnld: the next one adopts the running VMs; 16
# parallel exec sessions; a flood on one session does not stall another;
# malformed frames on the session socket; halt and reboot; del and stop
# leave no qemu, socket or file.
#
# Operations:
#   1. lab L: LAN blue; vm a1, vm a2 (tiny), cnt c1 (busybox) on blue;
#      vnl wait; show: ready, qemu pid, MACs; 10.98.0.1-3 set
#   2. pings a1->a2, a2->a1, a1->c1, c1->a2; unlink a2:0: no carrier in
#      a2, no ping; link again: carrier, ping
#   3. exec: status 7, stdin through cat, 127, stderr apart; -t: a tty;
#      shell on a pty runs a command and exits; console (ttyS0) on a pty
#      answers and Ctrl-] leaves it; vnl events showed the states
#   4. cp: 2 MiB random in and out (cmp), a folder with -r in and out
#   5. iptables -P INPUT/OUTPUT DROP, -F in a1: ping a1->a2 fails, exec
#      and cp still work; policies back to ACCEPT, ping again
#   6. 16 parallel exec; `cat /dev/zero` into a reader that never reads
#      while another exec answers within 5 s; vnld's memory stays bounded
#   7. garbage, a bad version and a truncated frame on agent.sock: vnld
#      lives, exec works
#   8. kill -9 vnl-switchd: restarted, same qemu pids, ping a1->a2 resumes
#   9. kill -9 vnld, vnl start: same qemu pids, a1 ready at once, exec
#  10. reboot inside a2 (busybox reboot): leaves ready, back to ready by
#      itself; the agent of a1 killed: lost, then ready by itself; junk
#      written on a1's agent port from inside the guest: logged, ready again
#  11. a2:0 moved to LAN jumbo (mtu 9000): show a2 -j has mtu_mismatch
#      (qemu gave it 1500), vnl show a one-line warning; vnl halt a2:
#      stopped, no qemu; vnl reboot a2: ready again, its qemu's NIC has
#      host_mtu=9000, the guest's eth0 mtu 9000, no mtu_mismatch; a2:0 back
#      on blue: mtu_mismatch [blue 1500, 9000] in the lab's show -j; vnl
#      reboot a1 (reset): ready again
#  12. vnl del a2: no qemu, socket or file of a2; vnl stop: nothing of
#      the lab left (processes, sockets, files)

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

vm_test_init 98-vm
lab_new L v98
BOOT=240   # seconds a TCG boot may take on a loaded 2-core host

qpid() { vnl show -j "$1" | jq -r '.node.qemu_pid // 0'; }

# --- 1. two VMs and a container on one LAN -----------------------------------------
must add lan blue >/dev/null
events_follow "$TMP/events"
vnl_ok "add vm a1 --image tiny" add vm a1 --image tiny
[ "$RC" = 0 ] || bail "cannot add a VM: $ERR"
vnl_ok "add vm a2 --image tiny --mem 192" add vm a2 --image tiny --mem 192
vnl_ok "add cnt c1 --image busybox" add cnt c1 --image busybox
vnl_ok "link a1:0 blue" link a1:0 blue
vnl_ok "link a2:0 blue" link a2:0 blue
vnl_ok "link c1:0 blue --ip 10.98.0.3/24" link c1:0 blue --ip 10.98.0.3/24
lab_record_ifs
t0=$SECONDS
vnl_ok "vnl wait a1 c1 a2 (boot and bootstrap, no IP anywhere; a container is ready as it is)" wait --timeout $BOOT a1 c1 a2
[ "$RC" = 0 ] || bail "the VMs did not become ready: $ERR"
diag "both VMs ready $((SECONDS - t0)) s after linking"
ev=$(jq -c 'select(.event == "node-state" and .node == "a1") | .state' "$TMP/events" 2>/dev/null | tr -d '"' | tr '\n' ' ')
check "vnl events showed a1 go booting, bootstrapping, ready ($ev)" grep -q "booting bootstrapping ready" <<<"$ev"
j=$(json_of show a1)
jcheck "show a1: vm, ready, qemu pid, agent, interface MAC and vhost socket" "$j" \
	'.node.kind == "vm" and .node.state == "ready" and .node.qemu_pid > 1 and (.node.agent | test("vnl-agent"))
	 and (.node.interfaces[0].mac | test("^02:")) and (.node.interfaces[0].vhost | test("vhost/a1-0.sock$"))'
check "a1's hostname is its node name" test "$(vnl exec a1 -- hostname)" = a1
P1=$(qpid a1) P2=$(qpid a2)
vm_ip a1 10.98.0.1/24 && vm_ip a2 10.98.0.2/24
result $? "addresses set inside a1 and a2 through exec" "$(vnl exec a1 -- ip addr 2>&1)"

# --- 2. pings through the switch ------------------------------------------------------
vping() { vnl exec "$1" -- ping -c 2 -W 3 "$2" >/dev/null 2>&1 || vnl exec "$1" -- ping -c 3 -W 3 "$2" >/dev/null 2>&1; }
check "ping a1 -> a2" vping a1 10.98.0.2
check "ping a2 -> a1" vping a2 10.98.0.1
check "ping a1 -> c1 (VM to container)" vping a1 10.98.0.3
check "ping c1 -> a2 (container to VM)" vnl exec c1 -- ping -c 2 -W 3 10.98.0.2
j=$(json_of stats a1:0)
jcheck "stats a1:0: vhost backend, packets both ways" "$j" \
	'.ports["a1:0"].rx_packets > 0 and .ports["a1:0"].tx_packets > 0'

vnl_ok "unlink a2:0" unlink a2:0
wait_for 10 sh -c "[ \"\$('$VNL_BIN' --lab $L exec a2 -- cat /sys/class/net/eth0/carrier)\" = 0 ]"
check "unlinked, a2's eth0 has no carrier (the cable is out)" test "$(vnl exec a2 -- cat /sys/class/net/eth0/carrier)" = 0
run exec a1 -- ping -c 1 -W 1 10.98.0.2
check "unlinked, a1 cannot ping a2" test "$RC" != 0
vnl_ok "link a2:0 blue again" link a2:0 blue
wait_for 10 sh -c "[ \"\$('$VNL_BIN' --lab $L exec a2 -- cat /sys/class/net/eth0/carrier)\" = 1 ]"
check "linked again, a2's eth0 has carrier" test "$(vnl exec a2 -- cat /sys/class/net/eth0/carrier)" = 1
check "linked again, ping a1 -> a2" vping a1 10.98.0.2

# --- 3. exec, exec -t, shell ----------------------------------------------------------
run exec a1 -- sh -c 'echo out; echo err >&2; exit 7'
check "exec passes the exit status (7)" test "$RC" = 7
check "exec keeps stdout and stderr apart" test "$OUT|$ERR" = "out|err"
out=$(printf 'line1\nline2\n' | vnl exec a1 -- cat)
check "exec passes stdin" test "$out" = "$(printf 'line1\nline2')"
run exec a1 -- no-such-command
check "exec of a missing command: 127, named on stderr" test "$RC" = 127 -a -n "$(grep no-such-command <<<"$ERR")"
out=$(pty_run 30 "" "$VNL_BIN" --lab "$L" exec -t a1 -- tty)
check "exec -t: the command has a terminal (/dev/pts/N)" grep -q "/dev/pts/" <<<"$out"
out=$(pty_run 30 $'echo MARK$((40+2))\nexit 3\n' "$VNL_BIN" --lab "$L" shell a1)
rc=$?
check "shell on a pty runs what is typed" grep -q MARK42 <<<"$out"
check "shell passes the shell's exit status (3)" test "$rc" = 3

out=$(printf '%s\n' '1 echo CON$((40+2))\r' '3 \x1d' | pty_script 30 "$VNL_BIN" --lab "$L" console a1)
rc=$?
check "console: a1's ttyS0 shell answers" grep -q "CON42" <<<"$out"
check "console: Ctrl-] leaves it (exit 0)" test "$rc" = 0

# --- 4. cp ----------------------------------------------------------------------------
head -c 2097152 /dev/urandom >"$TMP/f"
vnl_ok "cp a file into a1" cp "$TMP/f" a1:/tmp/f
vnl_ok "cp it back out" cp a1:/tmp/f "$TMP/f.back"
check "the copy back is the same bytes" cmp "$TMP/f" "$TMP/f.back"
check "the file in a1 has the same sha256" test "$(vnl exec a1 -- sha256sum /tmp/f | cut -d' ' -f1)" = "$(sha256sum <"$TMP/f" | cut -d' ' -f1)"
mkdir -p "$TMP/tree/sub" && echo one >"$TMP/tree/a" && echo two >"$TMP/tree/sub/b"
vnl_ok "cp -r a folder into a1" cp -r "$TMP/tree" a1:/tmp/
vnl_ok "cp -r it back out" cp -r a1:/tmp/tree "$TMP/tree.back"
check "the folder came back whole" diff -r "$TMP/tree" "$TMP/tree.back"
run cp a1:/no/such/file "$TMP/none"
check "cp of a missing file fails and leaves nothing" test "$RC" = 1 -a ! -e "$TMP/none"

# --- 5. every firewall chain DROP: no network, the agent still works ----------------------
run exec a1 -- sh -c 'iptables -P INPUT DROP && iptables -P OUTPUT DROP && iptables -P FORWARD DROP && iptables -F'
result "$RC" "iptables: every chain DROP in a1" "$ERR"
run exec a1 -- ping -c 2 -W 2 10.98.0.2
check "with DROP, a1 cannot ping a2" test "$RC" != 0
check "with DROP, exec still works" test "$(vnl exec a1 -- echo reachable)" = reachable
echo dropped >"$TMP/d"
vnl_ok "with DROP, cp still works" cp "$TMP/d" a1:/tmp/d
vnl exec a1 -- sh -c 'iptables -P INPUT ACCEPT; iptables -P OUTPUT ACCEPT; iptables -P FORWARD ACCEPT' >/dev/null 2>&1
check "policies ACCEPT again: ping a1 -> a2" vping a1 10.98.0.2

# --- 6. many sessions; a flood does not stall the others ----------------------------------
for i in $(seq 16); do
	vnl exec a1 -- sh -c "sleep 1; echo s$i" >"$TMP/par.$i" 2>&1 &
done
wait
n=$(cat "$TMP"/par.* | grep -c '^s[0-9]*$')
check "16 parallel exec sessions all answered ($n)" test "$n" = 16
( vnl exec a1 -- cat /dev/zero | sleep 12 ) >/dev/null 2>&1 &
flood=$!
sleep 2
t0=$(date +%s%N)
out=$(timeout 5 "$VNL_BIN" --lab "$L" exec a1 -- echo alive)
ms=$((($(date +%s%N) - t0) / 1000000))
check "during a flood on another session, exec answers ($ms ms)" test "$out" = alive
vpid=$(cat "/run/vnetlab/$L/vnld.pid")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$vpid/status")
check "vnld's memory stays bounded during the flood (${rss} KiB)" test "$rss" -lt 65536
wait "$flood"

# --- 7. malformed frames on the session socket ----------------------------------------
printf 'garbage garbage garbage\n' | timeout 3 socat - "UNIX-CONNECT:/run/vnetlab/$L/agent.sock" >/dev/null 2>&1
printf 'VL\x09\x04\x01\x00\x00\x00\x00\x00\x00\x00' | timeout 3 socat - "UNIX-CONNECT:/run/vnetlab/$L/agent.sock" >/dev/null 2>&1
printf 'VL\x01\x04\x01\x00\x00\x00\xff\x00\x00\x00abc' | timeout 3 socat - "UNIX-CONNECT:/run/vnetlab/$L/agent.sock" >/dev/null 2>&1
check "after malformed frames vnld runs" alive "$vpid"
check "after malformed frames exec works" test "$(vnl exec a1 -- echo fine)" = fine

# --- 8. kill -9 of the switch ----------------------------------------------------------
sw=$(vnl show -j | jq -r .switch.pid)
kill -9 "$sw"
wait_for 30 sh -c "[ \"\$('$VNL_BIN' --lab $L show -j | jq -r .switch.pid)\" != $sw ]"
resumed=no
for i in $(seq 20); do vnl exec a1 -- ping -c 1 -W 1 10.98.0.2 >/dev/null 2>&1 && { resumed=yes; break; }; sleep 1; done
check "after kill -9 of the switch, ping a1 -> a2 resumes" test $resumed = yes
check "... with the same qemu processes" test "$(qpid a1) $(qpid a2)" = "$P1 $P2"

# --- 9. kill -9 of vnld ---------------------------------------------------------------
kill -9 "$vpid"
vnl_ok "vnl start after kill -9 of vnld" start
vm_wait_state 20 a1 ready
check "the new vnld finds a1 ready (its agent answers again)" test "$(vm_state a1)" = ready
check "same qemu processes after the vnld restart" test "$(qpid a1) $(qpid a2)" = "$P1 $P2"
check "exec works through the new vnld" test "$(vnl exec a2 -- echo again)" = again

# --- 10. guest reboot and a killed agent come back by themselves ------------------------
vnl exec a2 -- reboot >/dev/null 2>&1
vm_wait_state 60 a2 booting || vm_wait_state 30 a2 lost
check "a reboot inside a2 takes it out of ready ($(vm_state a2))" test "$(vm_state a2)" != ready
vnl_ok "a2 is back to ready by itself" wait --timeout $BOOT a2
check "a2 rebooted (uptime below 100 s)" test "$(vnl exec a2 -- cut -d. -f1 /proc/uptime)" -lt 100
check "a2 is still the same qemu" test "$(qpid a2)" = "$P2"
vnl exec a1 -- sh -c 'kill -9 $(cat /run/vnl-agent.pid)' >/dev/null 2>&1
wait_for 30 grep -q "vm a1: ready -> lost" "/run/vnetlab/$L/vnld.log"
check "a killed agent: a1 goes lost" grep -q "vm a1: ready -> lost" "/run/vnetlab/$L/vnld.log"
vnl_ok "a1 is back to ready by itself (knocked again)" wait --timeout 120 a1
# Garbage from the guest side of the agent port: a detached script in a1
# stops the agent, writes junk on the port, starts the agent again.
vnl exec a1 -- sh -c 'setsid sh -c "sleep 1; kill \$(cat /run/vnl-agent.pid); sleep 1;
	printf \"VLjunk\\001\\377\\377garbage-from-the-guest\" > /dev/virtio-ports/org.vnetlab.agent;
	/run/vnl/vnl-agent --daemon" </dev/null >/dev/null 2>&1 &' >/dev/null 2>&1
wait_for 30 grep -q "agent link: .* malformed" "/run/vnetlab/$L/vnld.log"
check "vnld logs the malformed bytes from the guest's agent port" grep -q "vm a1: agent link: .* malformed" "/run/vnetlab/$L/vnld.log"
sleep 1
vnl_ok "a1 ready after the junk and the new agent" wait --timeout 120 a1
check "exec on a1 after the junk" test "$(vnl exec a1 -- echo clean)" = clean

# --- 11. halt and reboot -----------------------------------------------------------------
vnl_ok "add lan jumbo --mtu 9000" add lan jumbo --mtu 9000
vnl_ok "unlink a2:0" unlink a2:0
vnl_ok "link a2:0 jumbo (9000)" link a2:0 jumbo
jcheck "a2's qemu gave eth0 1500: show a2 -j says mtu_mismatch" "$(json_of show a2)" \
	'.node.mtu_mismatch == [{"nic": 0, "lan": "jumbo", "lan_mtu": 9000, "mtu": 1500}]'
out=$(vnl show 2>&1)
result $(grep -q '^  warning: a2: eth0 mtu 1500, LAN jumbo 9000 (a VM takes' <<<"$out"; echo $?) \
	"vnl show: a one-line warning under the nodes" "$out"
vnl_ok "halt a2" halt a2
j=$(json_of show a2)
jcheck "halted a2: stopped, no qemu" "$j" '.node.state == "stopped" and .node.qemu_pid == 0 and .node.halted'
check "no qemu of a2 runs" test -z "$(pgrep -f "vnl.$L.a2,")"
vnl_ok "reboot a2 starts it" reboot a2
vnl_ok "a2 ready after reboot" wait --timeout $BOOT a2
QP=$(vnl show -j a2 | jq -r .node.qemu_pid)
check "a2's qemu: NIC 0 linked to jumbo at start has host_mtu=9000" sh -c \
	"tr '\\0' '\\n' </proc/$QP/cmdline | grep -q '^virtio-net-pci,netdev=net0,.*,host_mtu=9000'"
out=$(vnl exec a2 -- cat /sys/class/net/eth0/mtu 2>&1)
result $([ "$out" = 9000 ]; echo $?) "the guest took it: a2's eth0 mtu 9000" "got '$out'"
jcheck "after the reboot: no mtu_mismatch" "$(json_of show a2)" '.node | has("mtu_mismatch") | not'
vnl_ok "unlink a2:0" unlink a2:0
vnl_ok "link a2:0 blue again" link a2:0 blue
jcheck "a2 (host_mtu 9000) on blue: mtu_mismatch in the lab's show -j" "$(json_of show)" \
	'[.nodes[] | select(.name == "a2") | .mtu_mismatch[] | [.lan, .lan_mtu, .mtu]] == [["blue", 1500, 9000]]'
vnl_ok "reboot a1 (reset through QMP)" reboot a1
vnl_ok "a1 ready after its reset" wait --timeout $BOOT a1
vm_ip a1 10.98.0.1/24 && vm_ip a2 10.98.0.2/24 # the tiny image's root is RAM: set again
check "ping a2 -> c1 after all that" vping a2 10.98.0.3
check "ping a1 -> a2 after all that" vping a1 10.98.0.2

# --- 12. del and stop leave nothing ------------------------------------------------------
vnl_ok "del a2" del a2
left=$(vm_leftovers "$L" | grep -F "a2" || true)
check "nothing of a2 is left" test -z "$left"
[ -n "$left" ] && diag "$left"
vnl_ok "stop" stop
left=$( (vm_leftovers "$L"; cnt_leftovers "$L"; ls -d "/run/vnetlab/$L" "/var/lib/vnetlab/$L" 2>/dev/null) | sort -u)
check "nothing of the lab is left after stop" test -z "$left"
[ -n "$left" ] && diag "$left"

done_testing
