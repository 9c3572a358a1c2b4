#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: what guests can make the host hold is bounded (issue 10):
# containers run under a memory and a pids limit (defaults, or --mem/--pids,
# saved and shown, applied by crun in the real cgroup); a fork bomb stops at
# the pids limit and a memory hog is OOM-killed inside its container while
# the lab goes on; the host ends of node NICs carry no address (IPv6 off,
# no fe80::) and no node reaches the host's own stack through them, with
# the switch up and with the switch (and vnld) killed, when every frame a
# node sends reaches the host's stack; a container's console log and
# vnld's log stay under their cap; `vnl cp` out of a container masks modes
# and never follows a symlink planted at its temp name.
#
# Operations:
#   1. lab L: c1 (--mem 64 --pids 64), c2 (defaults), n1 (ns); show -j,
#      show, save - carry mem/pids; the cgroup files say 64 MiB / 64 and
#      512 MiB / 1024; --pids 5, --mem 8 and --pids on ns are refused with
#      one line
#   2. fork bomb in c1: stops at 64 tasks (pids.current), forks fail; c1
#      still execs afterwards; dd with a 128 MiB buffer in c1 is killed
#      (status 137, oom_kill counted), c1 and c2 still run and ping
#   3. n1 and c2 each alone on a LAN: their host ends have no inet6 address
#      and disable_ipv6=1; ping ff02::1%eth0 and the host end's EUI-64
#      fe80:: get no answer from the host; ARP for a host address and a
#      ping to it through eth0 get no answer; the same after kill -9 of
#      vnld and vnl-switchd (frames then go to the host's stack); vnl start
#   4. a container writing its console log at full speed: console.log stays
#      under the cap, one console.log.1 kept, its vnl-logcap outlives kill -9
#      of vnld and ends with the container; vnld.log the same (checked after
#      each second); 60 clients sending junk frames give at most 5 lines
#   5. vnl cp out of c1: a setuid, world-writable file arrives masked by
#      the umask; a symlink at DST.vnl-tmp is not followed

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

cnt_test_init 102-bounds
lab_new L b100
# Logs are capped at LOGCAP_MAX (1 MiB); the test lowers it (the vnld the
# first vnl starts inherits it, and the vnl-logcap it starts).
CAP=65536
export VNL_LOG_MAX=$CAP

count_lines() { grep -c . <<<"$1"; }
# cg_file CONTROLLER ID FILE: the container's cgroup file (v1 hierarchy, or unified).
cg_file() {
	if [ -e "/sys/fs/cgroup/$1/$2/$3" ]; then echo "/sys/fs/cgroup/$1/$2/$3"; else echo "/sys/fs/cgroup/$2/$3"; fi
}
mem_limit() {
	local f
	f=$(cg_file memory "vnl.$L.$1" memory.limit_in_bytes)
	[ -e "$f" ] || f=$(cg_file memory "vnl.$L.$1" memory.max)
	cat "$f" 2>/dev/null
}
pids_max() { cat "$(cg_file pids "vnl.$L.$1" pids.max)" 2>/dev/null; }
pids_current() { cat "$(cg_file pids "vnl.$L.$1" pids.current)" 2>/dev/null; }
oom_kills() {
	local f
	f=$(cg_file memory "vnl.$L.$1" memory.oom_control)
	[ -e "$f" ] || f=$(cg_file memory "vnl.$L.$1" memory.events)
	awk '$1 == "oom_kill" {print $2}' "$f" 2>/dev/null
}

# --- 1. limits: defaults, options, shown, saved, applied ---------------------------
vnl_ok "add cnt c1 --mem 64 --pids 64 (starts the lab)" add cnt c1 --image busybox --mem 64 --pids 64
[ "$RC" = 0 ] || bail "cannot add a container: $ERR"
vnl_ok "add cnt c2 (default limits, afxdp: a host end)" add cnt c2 --image busybox --nic-type afxdp
vnl_ok "add ns n1 --nic-type afxdp (a host end)" add ns n1 --nic-type afxdp
j=$(json_of show c1)
jcheck "show -j c1: mem 64, pids 64, and the cgroup's limits read back" "$j" \
	'.node.mem == 64 and .node.pids == 64 and .node.mem_limit_mb == 64 and .node.pids_limit == 64'
jcheck "show -j c2: the default limits read back from its cgroup" "$(json_of show c2)" \
	'.node.mem_limit_mb == 512 and .node.pids_limit == 1024'
out=$(vnl show c1 2>&1)
result $(grep -Eq '^ *pids +64$' <<<"$out" && grep -Eq '^ *mem +64$' <<<"$out"; echo $?) "show c1 prints mem and pids" "$out"
out=$(vnl save - 2>&1)
result $(grep -A6 'name: c1' <<<"$out" | grep -q 'pids: 64' && grep -A6 'name: c1' <<<"$out" | grep -q 'mem: 64'; echo $?) \
	"save - has c1's mem and pids" "$out"
result $([ "$(mem_limit c1)" = $((64 << 20)) ] && [ "$(pids_max c1)" = 64 ]; echo $?) \
	"c1's cgroup: memory limit 64 MiB, pids.max 64" "memory $(mem_limit c1), pids $(pids_max c1)"
result $([ "$(mem_limit c2)" = $((512 << 20)) ] && [ "$(pids_max c2)" = 1024 ]; echo $?) \
	"c2's cgroup: the defaults, 512 MiB and 1024 tasks" "memory $(mem_limit c2), pids $(pids_max c2)"
run add cnt x --image busybox --pids 5
result $([ "$RC" = 2 ] && head -n 1 <<<"$ERR" | grep -q '^vnl: --pids must be a number in 16..4194304'; echo $?) \
	"--pids 5 refused (usage error) naming the range" "exit $RC" "$ERR"
run add cnt x --image busybox --mem 8
result $([ "$RC" != 0 ] && [ "$(count_lines "$ERR")" = 1 ] && grep -q '16..1048576' <<<"$ERR"; echo $?) \
	"--mem 8 on a cnt refused with one line naming the range" "exit $RC" "$ERR"
run add ns x --pids 100
result $([ "$RC" != 0 ] && [ "$(count_lines "$ERR")" = 1 ] && grep -q 'pids is for kind cnt' <<<"$ERR"; echo $?) \
	"--pids on an ns node refused with one line" "exit $RC" "$ERR"
jcheck "... and no node x was made" "$(json_of show)" '[.nodes[].name] == ["c1", "c2", "n1"]'

# --- 2. a fork bomb and a memory hog stay inside c1 ----------------------------------
ev0=$(awk '$1 == "max" {print $2}' "$(cg_file pids "vnl.$L.c1" pids.events)")
# The host samples c1's task count while the bomb runs (ash gives up at its first failed fork).
( peak=0; for _ in $(seq 300); do c=$(pids_current c1); [ "${c:-0}" -gt "$peak" ] && peak=$c; echo "$peak" >"$TMP/peak"; sleep 0.01; done ) &
bg_track $!
sampler=$!
out=$(vnl exec c1 -- sh -c 'for i in $(seq 300); do sleep 4 & done; echo unreachable' 2>&1)
sleep 0.5
kill "$sampler" 2>/dev/null
ev1=$(awk '$1 == "max" {print $2}' "$(cg_file pids "vnl.$L.c1" pids.events)")
peak=$(cat "$TMP/peak")
result $([ "${peak:-0}" -le 64 ] && [ "${ev1:-0}" -gt "${ev0:-0}" ] && ! grep -q unreachable <<<"$out"; echo $?) \
	"fork bomb in c1: forks fail at the pids limit (peak $peak tasks, pids.events max $ev0 -> $ev1)" "$out"
check "... c2 and the host fork on" vnl exec c2 -- sh -c 'sleep 0 & wait'
check "... c1 execs again once its sleeps end" wait_for 20 vnl exec c1 -- true
o0=$(oom_kills c1)
vnl exec c1 -- dd if=/dev/zero of=/dev/null bs=128M count=1 >"$TMP/dd.out" 2>&1
rc=$?
result $([ "$rc" = 137 ] && [ "$(oom_kills c1)" -gt "${o0:-0}" ]; echo $?) \
	"dd with a 128 MiB buffer in c1 (limit 64 MiB) is OOM-killed inside c1" \
	"status $rc, oom_kill $o0 -> $(oom_kills c1)" "$(cat "$TMP/dd.out")"
jcheck "c1 and c2 still run" "$(json_of show)" '[.nodes[] | select(.kind == "cnt") | .state] == ["running", "running"]'
must add lan blue >/dev/null
vnl_ok "link c1:0 blue" link c1:0 blue --ip 10.100.9.1/24
vnl_ok "link c2:0 blue" link c2:0 blue --ip 10.100.9.2/24
check_ping "c1 pings c2 after the OOM kill" c1 10.100.9.2
vnl_ok "unlink c2:0 (for part 3)" unlink c2:0
vnl_ok "del c1" del c1

# --- 3. the host ends are no way into the host ----------------------------------------
must add lan solo1 >/dev/null
must add lan solo2 >/dev/null
vnl_ok "link n1:0 solo1 (alone)" link n1:0 solo1 --ip 10.100.0.1/24
vnl_ok "link c2:0 solo2 (alone)" link c2:0 solo2 --ip 10.100.1.1/24
lab_record_ifs
HOSTIP=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$HOSTIP" ] || HOSTIP=$(ip -4 -o addr show scope global | awk '{sub(/\/.*/, "", $4); print $4; exit}')
diag "a host address: ${HOSTIP:-none}"
# host_end NODE: the host end of the node's eth0.
host_end() { vnl show -j "$1" | jq -r '.node.interfaces[] | select(.nic == 0) | .host'; }
# eui64 MAC: the fe80:: address the kernel would give an interface with MAC.
eui64() {
	local IFS=: m
	read -ra m <<<"$1"
	printf 'fe80::%x:%x:%x:%x\n' $(((0x${m[0]} ^ 2) << 8 | 0x${m[1]})) $((0x${m[2]} << 8 | 0xff)) \
		$((0xfe << 8 | 0x${m[3]})) $((0x${m[4]} << 8 | 0x${m[5]}))
}
# isolated WHEN NODE: the host answers nothing the node sends through eth0.
isolated() {
	local when=$1 n=$2 ns=vnl.$L.$2 h=$3 mac own out from
	[ -n "$h" ] && [ "$h" != null ] || { not_ok "$when: $n has a host end" "$(vnl show -j "$n")"; return; }
	out=$(ip -6 -o addr show dev "$h" 2>&1)
	result $([ -z "$out" ] && [ "$(cat "/proc/sys/net/ipv6/conf/$h/disable_ipv6")" = 1 ] &&
		[ "$(cat "/proc/sys/net/ipv6/conf/$h/accept_ra")" = 0 ]; echo $?) \
		"$when: $n's host end $h has no inet6 address, IPv6 off, no RA" "$out"
	out=$(ip -4 -o addr show dev "$h" 2>&1)
	result $([ -z "$out" ]; echo $?) "$when: ... and no IPv4 address" "$out"
	own=$(ip -n "$ns" -6 -o addr show dev eth0 scope link | awk '{sub(/\/.*/, "", $4); print $4}')
	out=$(ip netns exec "$ns" ping -6 -n -c 3 -i 0.3 -W 1 "ff02::1%eth0" 2>&1)
	from=$(sed -n 's/.* from \([0-9a-f:]*\).*/\1/p' <<<"$out" | sort -u | grep -vx "${own:-none}")
	result $([ -z "$from" ]; echo $?) "$when: ping ff02::1%eth0 from $n: no answer but its own" \
		"own $own, answers from: $from" "$out"
	mac=$(cat "/sys/class/net/$h/address")
	out=$(ip netns exec "$ns" ping -6 -n -c 2 -i 0.3 -W 1 "$(eui64 "$mac")%eth0" 2>&1)
	result $(grep -q ' 0 received' <<<"$out"; echo $?) "$when: ping $(eui64 "$mac") (the host end's EUI-64) from $n: no answer" "$out"
	[ -n "$HOSTIP" ] || return
	out=$(ip netns exec "$ns" busybox arping -I eth0 -c 2 -w 2 "$HOSTIP" 2>&1)
	result $(grep -Eq 'Received 0 (reply|response)' <<<"$out"; echo $?) "$when: ARP for the host's $HOSTIP from $n: no reply" "$out"
	ip -n "$ns" neigh replace "$HOSTIP" lladdr "$mac" dev eth0 nud permanent
	ip -n "$ns" route replace "$HOSTIP/32" dev eth0
	out=$(ip netns exec "$ns" ping -n -c 2 -i 0.3 -W 1 "$HOSTIP" 2>&1)
	result $(grep -q ' 0 received' <<<"$out"; echo $?) "$when: ping $HOSTIP sent to the host end's MAC from $n: no answer" "$out"
	ip -n "$ns" route del "$HOSTIP/32" dev eth0 2>/dev/null
	ip -n "$ns" neigh del "$HOSTIP" dev eth0 2>/dev/null
}
H1=$(host_end n1)
H2=$(host_end c2)
isolated "switch up" n1 "$H1"
isolated "switch up" c2 "$H2"
VP=$(cat "/run/vnetlab/$L/vnld.pid")
SW=$(vnl show -j | jq -r .switch.pid)
kill -9 "$VP" && wait_for 5 sh -c "! kill -0 $VP 2>/dev/null" && kill -9 "$SW" ||
	bail "kill -9 of vnld $VP and vnl-switchd $SW"
wait_for 5 sh -c "! kill -0 $SW 2>/dev/null"
isolated "switch killed" n1 "$H1"
isolated "switch killed" c2 "$H2"
vnl_ok "vnl start after kill -9 of vnld and the switch" start

# --- 4. logs a guest (or a flood) can grow ----------------------------------------------
D=/var/lib/vnetlab/$L/cnt/c3
vnl_ok "add cnt c3 --cmd 'yes' (writes its console log at full speed)" add cnt c3 --image busybox \
	--cmd 'yes 0123456789abcdefghijklmnopqrstuvwxyz'
peak=0 peak1=0
for _ in $(seq 30); do
	s0=$(stat -c %s "$D/console.log" 2>/dev/null || echo 0)
	s1=$(stat -c %s "$D/console.log.1" 2>/dev/null || echo 0)
	[ "$s0" -gt "$peak" ] && peak=$s0
	[ "$s1" -gt "$peak1" ] && peak1=$s1
	sleep 0.1
done
result $([ "$peak" -le "$CAP" ] && [ "$peak1" -gt 0 ] && [ "$peak1" -le "$CAP" ]; echo $?) \
	"c3's console.log stays within the cap $CAP (peak $peak), console.log.1 holds the previous (peak $peak1)" \
	"$(ls -l "$D" 2>&1)"
check "... and its newest lines are there" sh -c "cat '$D/console.log.1' '$D/console.log' | tail -c 200 | grep -q 0123456789abcdef"
LC=$(for p in /proc/[0-9]*; do tr "\0" " " <"$p/cmdline" 2>/dev/null | grep -q "^$VNL_BUILD_DIR/vnl-logcap $D/console.log" && echo "${p#/proc/}"; done)
result $([ -n "$LC" ]; echo $?) "a vnl-logcap writes it (pid $LC)"
VP=$(cat "/run/vnetlab/$L/vnld.pid")
kill -9 "$VP" && wait_for 5 sh -c "! kill -0 $VP 2>/dev/null" || bail "kill -9 vnld $VP"
m0=$(stat -c %Y.%s "$D/console.log" "$D/console.log.1" | tr '\n' ' ')
sleep 1.5
m1=$(stat -c %Y.%s "$D/console.log" "$D/console.log.1" | tr '\n' ' ')
result $(kill -0 "$LC" && [ "$m0" != "$m1" ] && [ "$(stat -c %s "$D/console.log")" -le "$CAP" ]; echo $?) \
	"... it outlives kill -9 of vnld: the log goes on, within the cap" "before $m0" "after  $m1"
vnl_ok "vnl start after kill -9 of vnld" start
result $([ "$(for p in /proc/[0-9]*; do tr "\0" " " <"$p/cmdline" 2>/dev/null | grep -q "^$VNL_BUILD_DIR/vnl-logcap $D/console.log" && echo x; done | wc -l)" = 1 ]; echo $?) \
	"... the new vnld adopts c3 without a second writer"
vnl_ok "del c3" del c3
check "... its vnl-logcap ended with the container" wait_for 5 sh -c "! kill -0 $LC 2>/dev/null"

LOGF=/run/vnetlab/$L/vnld.log
# flood_vnld N: N refused requests on one connection (each logs a line).
flood_vnld() {
	python3 - "/run/vnetlab/$L/vnld.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
for i in range(int(sys.argv[2])):
    f.write(b'{"cmd": "node-add", "name": "zz%d", "kind": "bogus-kind-to-fill-the-log"}\n' % i); f.flush(); f.readline()
PY
}
peak=0
for _ in 1 2 3 4 5; do
	flood_vnld 500
	sleep 1.3
	s0=$(stat -c %s "$LOGF")
	[ "$s0" -gt "$peak" ] && peak=$s0
done
s1=$(stat -c %s "$LOGF.1" 2>/dev/null || echo 0)
result $([ "$peak" -le "$CAP" ] && [ "$s1" -gt 0 ] && [ "$s1" -le $((CAP + 60000)) ]; echo $?) \
	"2500 logged refusals: vnld.log back under the cap $CAP after each cron (peak $peak), vnld.log.1 $s1" \
	"$(ls -l /run/vnetlab/$L/)"
sleep 1.2
flood_vnld 1
result $(vnl show >/dev/null && grep -q 'bogus-kind' "$LOGF"; echo $?) "... vnld still answers and still logs into vnld.log" \
	"$(tail -n 3 "$LOGF")"
# Malformed frames on the session socket, from 60 connections: 5 lines, then a count.
n0=$(grep -c 'malformed' "$LOGF")
python3 - "/run/vnetlab/$L/agent.sock" <<'PY'
import socket, sys, time
for i in range(60):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"\xff" * 64 + b"junk" * 16)
    time.sleep(0.01); s.close()
PY
sleep 0.5
n1=$(grep -c 'malformed' "$LOGF")
result $([ $((n1 - n0)) -ge 1 ] && [ $((n1 - n0)) -le 5 ]; echo $?) \
	"60 clients sending junk: $((n1 - n0)) lines about malformed frames in vnld.log (at most 5 per 10 s)" \
	"$(grep -E 'malformed|suppressed' "$LOGF" | tail -n 8)"

# --- 5. vnl cp out of a container -------------------------------------------------------
umask 022
must exec c2 -- sh -c 'echo secret > /root/su && chmod 7777 /root/su' >/dev/null
echo victim >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/got.vnl-tmp"
vnl_ok "cp c2:/root/su (mode 7777) to the host" cp c2:/root/su "$TMP/got"
result $([ "$(stat -c %a "$TMP/got")" = 755 ] && [ "$(cat "$TMP/got")" = secret ]; echo $?) \
	"... arrives as 755 under umask 022 (no set-id, sticky or world-write bit)" "$(stat -c %a "$TMP/got")"
result $([ "$(cat "$TMP/victim")" = victim ]; echo $?) \
	"... a symlink planted at DST.vnl-tmp is not followed" "victim now: $(cat "$TMP/victim")"
ln -sf "$TMP/victim" "$TMP/got2"
vnl_ok "cp onto a symlink on the host" cp c2:/root/su "$TMP/got2"
result $([ -f "$TMP/got2" ] && [ ! -L "$TMP/got2" ] && [ "$(cat "$TMP/victim")" = victim ]; echo $?) \
	"... the symlink is replaced, its target untouched" "$(ls -l "$TMP/got2")"
result $(! ls -a "$TMP" | grep -q '\.vnl-[A-Za-z0-9]\{6\}$'; echo $?) "... no temporary file left" "$(ls -a "$TMP")"

done_testing
