#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: container nodes (kind cnt) end to end with real crun, overlay,
# loop devices and AF_XDP: two containers of one image ping each other
# through vnl-switchd; a write in one is seen neither by the other nor in
# the image, and lands in its own overlay upper folder; a container's NICs
# are there from its creation, and unlink/link pull and plug the cable
# (the interface stays); exec, console and
# exec -t (through a pseudo-terminal), cp both ways; a topology file with
# containers and an ns node deploys and pings; containers survive kill -9
# of the switch and of vnld (same pid, adopted); del and stop leave no
# mount, loop device, netns, veth, crun state, process or cgroup.
#
# Both NIC types: c1 and d2 have tap NICs (the default), c2 and d1
# --nic-type afxdp (veths), so every ping crosses tap <-> afxdp or tap <-> tap.
#
# Operations:
#   1. busybox image built in TMP (VNL_IMAGES); lab L: c1 (--cmd, --env; tap),
#      c2 (afxdp, 2 NICs: eth0, eth1 with NO-CARRIER before any link) on blue,
#      10.96.0.1-2, c2:1 on red; pings; port counters grow; unlink c2:0
#      (eth0 stays in c2, NO-CARRIER, no address, no port c2-0; no ping),
#      link it again (pings)
#   2. c1 writes /root/f and removes /etc/profile: c2 and the image
#      (debugfs) unchanged; c1's ovl/upper has the file and the whiteout
#   3. exec: status 7, stdin, 127, stderr, hostname, env, --cmd's output
#   4. console and exec -t on a pty (python3 pty): MARK42, /dev/pts/N,
#      20 short exec -t outputs exactly as written
#   5. cp in and out (1 MiB random, cmp), failed cp leaves no DST/.vnl-tmp
#   6. kill -9 vnl-switchd, then vnld (and c2:1's host veth deleted) +
#      `vnl start`: same container pids, pings, c2's eth1 made again and
#      attached, no extra mount or loop device
#   7. del c2, then stop of L: nothing of them left
#   8. lab D (deploy of a file): d1, d2 (cnt) and n (ns) ping each other;
#      save - has image/cmd/env; a second deploy changes nothing; stop
#      leaves nothing; the image is unchanged (sha256, e2fsck)

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

cnt_test_init 96-cnt
lab_new L c96
lab_new D c96d
IMG=$CNT_IMAGE
IMG_SUM=$(sha256sum <"$IMG")
ST=/var/lib/vnetlab/$L/cnt

# count_lines TEXT: number of non-empty lines.
count_lines() { grep -c . <<<"$1"; }
# lab_mounts LAB: mount points under the lab's state folder.
lab_mounts() { awk -v d="/var/lib/vnetlab/$1/" 'index($5 "/", d) == 1 {print $5}' /proc/self/mountinfo | sort; }
cpid() { vnl show -j "$1" | jq -r '.node.pid // empty'; }

# --- 1. two containers of one image on one LAN ------------------------------------
vnl_ok "add cnt c1 --image busybox --cmd --env (starts the lab)" add cnt c1 --image busybox \
	--cmd 'echo started-$HOSTNAME > /tmp/started' --env COLOR=green --env 'GREETING=hello world'
[ "$RC" = 0 ] || bail "cannot add a container: $ERR"
vnl_ok "add cnt c2 --image busybox.ext4 --nics 2 --nic-type afxdp" add cnt c2 --image busybox.ext4 --nics 2 --nic-type afxdp
[ "$RC" = 0 ] || bail "cannot add a second container: $ERR"
# links_in NODE: "name,up|down,carrier|no-carrier" of the container's
# interfaces as it sees them (busybox ip), sorted.
links_in() {
	vnl exec "$1" -- ip -o link 2>&1 | awk '{sub(/@.*/, "", $2); sub(/:$/, "", $2);
		print $2 "," ($3 ~ /[<,]UP[,>]/ ? "up" : "down") "," ($3 ~ /NO-CARRIER/ ? "no-carrier" : "carrier")}' |
		sort | tr '\n' ' '
}
# The kernel publishes a new link's carrier state a moment later (linkwatch).
wait_for 3 sh -c "[ \"\$('$VNL_BIN' --lab $L exec c2 -- ip -o link | grep -c NO-CARRIER)\" = 2 ]"
out=$(links_in c2)
result $([ "$out" = "eth0,up,no-carrier eth1,up,no-carrier lo,up,carrier " ]; echo $?) \
	"c2 has lo, eth0 and eth1 before any link (up, NO-CARRIER)" "got '$out'"
must add lan blue >/dev/null
vnl_ok "link c1:0 blue --ip 10.96.0.1/24" link c1:0 blue --ip 10.96.0.1/24
vnl_ok "link c2:0 blue --ip 10.96.0.2/24" link c2:0 blue --ip 10.96.0.2/24
must add lan red >/dev/null
vnl_ok "link c2:1 red (no address)" link c2:1 red
lab_record_ifs

j=$(json_of show c1)
jcheck "show c1: cnt, running, pid, container vnl.$L.c1, image, cmd, env" "$j" \
	".node.kind == \"cnt\" and .node.state == \"running\" and .node.pid > 1 and .node.container == \"vnl.$L.c1\"
	 and .node.image == \"busybox\" and (.node.cmd | test(\"started\")) and .node.env == [\"COLOR=green\", \"GREETING=hello world\"]"
P1=$(jq -r '.node.pid // empty' <<<"$j")
P2=$(cpid c2)
[ -n "$P1" ] && [ -n "$P2" ] || bail "no container pids (c1 '$P1', c2 '$P2')"
result $([ "$(stat -L -c %i "/proc/$P1/ns/net")" = "$(stat -L -c %i "/run/netns/vnl.$L.c1")" ]; echo $?) \
	"c1's init runs in netns vnl.$L.c1"
check "crun lists vnl.$L.c1 and vnl.$L.c2 as running (root /run/vnetlab/$L/crun)" sh -c \
	"crun --root /run/vnetlab/$L/crun list | grep -E '^vnl\.$L\.c1 .*running' && crun --root /run/vnetlab/$L/crun list | grep -E '^vnl\.$L\.c2 .*running'"
loops=$(losetup -j "$IMG")
result $([ "$(count_lines "$loops")" = 2 ]; echo $?) "the image is on two loop devices (one per container)" "$loops"
result $([ "$(losetup -l -n -O RO -j "$IMG" | tr -d ' ' | sort -u)" = 1 ]; echo $?) "... both read-only" "$(losetup -l -j "$IMG")"
jcheck "show: c1's NIC is a tap, c2's are afxdp" "$(json_of show)" \
	'[.nodes[] | [.name, .nic_types]] == [["c1",["tap"]],["c2",["afxdp","afxdp"]]]'
check "c1's eth0 is a tap in its netns (no host end)" sh -c "ip -d -n vnl.$L.c1 -o link show dev eth0 | grep -q ' tun '"
check "c1's rootfs is an overlay over ovl/lower (ext4, ro)" sh -c \
	"[ \"\$(findmnt -n -o FSTYPE $ST/c1/rootfs)\" = overlay ] && findmnt -n -o FSTYPE,OPTIONS $ST/c1/ovl/lower | grep -E '^ext4 +ro'"
out=$(links_in c2)
result $([ "$out" = "eth0,up,carrier eth1,up,carrier lo,up,carrier " ]; echo $?) \
	"linked, c2's eth0 and eth1 have carrier" "got '$out'"

ports() { vnl stats -j | jq -c '[.ports["c1:0","c2:0"] | .rx_packets, .tx_packets]'; }
before=$(ports)
check_ping "c1 (tap) pings c2 (afxdp) through the switch" c1 10.96.0.2 5
check_ping "c2 (afxdp) pings c1 (tap)" c2 10.96.0.1 5
after=$(ports)
result $(jq -e -n --argjson b "$before" --argjson a "$after" '[range(4)] | all($a[.] >= $b[.] + 10)' >/dev/null; echo $?) \
	"c1:0 and c2:0 rx/tx counters grew by the pings (>= 10)" "before [c1 rx, c1 tx, c2 rx, c2 tx]: $before" "after: $after"
vnl_ok "unlink c2:0" unlink c2:0
out=$(links_in c2)
result $([ "$out" = "eth0,up,no-carrier eth1,up,carrier lo,up,carrier " ]; echo $?) "after unlink: eth0 is still in c2, NO-CARRIER" "got '$out'"
out=$(vnl exec c2 -- ip -o -4 addr show dev eth0 2>&1)
result $([ -z "$out" ]; echo $?) "after unlink: c2's eth0 has no IPv4 address" "got '$out'"
check "after unlink: the switch has no port c2-0" sh -c \
	"'$SWCTL_BIN' -c -s /run/vnetlab/$L/switchd.sock show-ports | jq -e '[.ports[].name] | index(\"c2-0\") == null'"
check "after unlink: c1 cannot ping c2" sh -c "! '$VNL_BIN' --lab $L exec c1 -- ping -c 1 -W 1 10.96.0.2"
jcheck "show c2: eth0 without carrier, eth1 with" "$(json_of show c2)" \
	'(.node.interfaces | map([.name, .carrier])) == [["eth0", false], ["eth1", true]] and (.node.links | map(.nic)) == [1]'
vnl_ok "link c2:0 blue --ip 10.96.0.2/24 again" link c2:0 blue --ip 10.96.0.2/24
check_ping "c1 pings c2 again" c1 10.96.0.2

# --- 2. writes stay in the writer's overlay ----------------------------------------
vnl exec c1 -- sh -c 'echo x > /root/f && rm /etc/profile'
result $? "c1 writes /root/f and removes /etc/profile"
out=$(vnl exec c1 -- sh -c 'cat /root/f; test -e /etc/profile && echo profile-there || echo profile-gone' 2>&1)
result $([ "$out" = $'x\nprofile-gone' ]; echo $?) "c1 sees its own changes" "got '$out'"
out=$(vnl exec c2 -- sh -c 'test -e /root/f && echo f-there || echo f-absent; test -s /etc/profile && echo profile-there' 2>&1)
result $([ "$out" = $'f-absent\nprofile-there' ]; echo $?) "c2 sees neither c1's file nor its removal" "got '$out'"
check "c1's write landed in $ST/c1/ovl/upper/root/f" sh -c "[ \"\$(cat $ST/c1/ovl/upper/root/f)\" = x ]"
check "c1's removal is a whiteout in its upper folder" test -c "$ST/c1/ovl/upper/etc/profile"
check "c2's upper folder has neither" test ! -e "$ST/c2/ovl/upper/root/f" -a ! -e "$ST/c2/ovl/upper/etc/profile"
out=$(debugfs -R 'stat /root/f' "$IMG" 2>&1)
result $(grep -q 'File not found' <<<"$out"; echo $?) "the image has no /root/f (debugfs stat)" "$out"
out=$(debugfs -R 'stat /etc/profile' "$IMG" 2>&1)
result $(grep -q 'Type: regular' <<<"$out"; echo $?) "the image still has /etc/profile (debugfs stat)" "$out"

# --- 3. exec --------------------------------------------------------------------
vnl exec c1 -- sh -c 'exit 7'
rc=$?
result $((rc != 7)) "exec passes the exit status back (7)" "got $rc"
out=$(echo hi | vnl exec c1 -- cat)
result $([ "$out" = hi ]; echo $?) "exec passes stdin and stdout" "got '$out'"
out=$(vnl exec c1 -- no-such-command 2>&1)
rc=$?
result $((rc != 127)) "exec of a missing command exits 127" "got $rc: $out"
out=$(vnl exec c1 -- sh -c 'echo to-stderr >&2' 2>&1 >/dev/null)
result $([ "$out" = to-stderr ]; echo $?) "exec passes stderr" "got '$out'"
out=$(vnl exec c1 -- hostname 2>&1)
result $([ "$out" = c1 ]; echo $?) "hostname in c1 is c1" "got '$out'"
out=$(vnl exec c1 -- sh -c 'echo "$COLOR|$GREETING"' 2>&1)
result $([ "$out" = "green|hello world" ]; echo $?) "--env values are in the container's environment" "got '$out'"
out=$(vnl exec c2 -- sh -c 'echo "${COLOR-unset}"' 2>&1)
result $([ "$out" = unset ]; echo $?) "... and not in c2's" "got '$out'"
out=$(vnl exec c1 -- cat /tmp/started 2>&1)
result $([ "$out" = started-c1 ]; echo $?) "--cmd ran in c1" "got '$out'"
out=$(vnl exec c1 -- sh -c 'ip addr add 192.0.2.1/32 dev lo && ip addr del 192.0.2.1/32 dev lo && echo done' 2>&1)
result $([ "$out" = done ]; echo $?) "the container has NET_ADMIN (ip addr add/del)" "got '$out'"
out=$(vnl exec c1 -- tty </dev/null 2>&1)
result $([ "$out" = "not a tty" ]; echo $?) "exec without -t has no terminal" "got '$out'"

# --- 4. console and exec -t on a pseudo-terminal --------------------------------------
out=$(pty_run 20 $'echo MARK$((6*7))-$(hostname)\nexit\n' "$VNL_BIN" --lab "$L" console c1 2>&1)
rc=$?
result $( [ "$rc" = 0 ] && grep -q 'MARK42-c1' <<<"$out"; echo $?) "console c1: a shell on a terminal runs 'echo MARK\$((6*7))-\$(hostname)'" \
	"exit $rc" "$out"
out=$(pty_run 15 '' "$VNL_BIN" --lab "$L" exec -t c1 -- tty 2>&1)
rc=$?
result $( [ "$rc" = 0 ] && grep -qE '^/dev/pts/[0-9]+'$'\r''?$' <<<"$out"; echo $?) "exec -t c1 -- tty prints /dev/pts/N" "exit $rc" "$out"
# crun's own --tty copy lost a short command's output to its log about one
# time in ten (endpoints/cnt_tty.c): 20 runs, each output exactly the command's.
bad=
for i in $(seq 20); do
	out=$(pty_run 15 '' "$VNL_BIN" --lab "$L" exec -t c1 -- echo "run-$i" 2>&1)
	[ "$out" = "run-$i"$'\r' ] || bad="$bad [$i: $(printf '%q' "$out")]"
done
result $([ -z "$bad" ]; echo $?) "exec -t 20 times: each output is exactly the command's (no crun log line)" "bad:$bad"
pty_run 15 '' "$VNL_BIN" --lab "$L" exec -t c1 -- sh -c 'exit 5' >/dev/null 2>&1
rc=$?
result $((rc != 5)) "exec -t passes the exit status back (5)" "got $rc"

# --- 5. cp ------------------------------------------------------------------------
head -c 1048576 /dev/urandom >"$TMP/rand" || bail "cannot make $TMP/rand"
printf 'line one\nline two\n' >"$TMP/small"
vnl_ok "cp a 1 MiB file into c1:/root/rand" cp "$TMP/rand" c1:/root/rand
out=$(vnl exec c1 -- md5sum /root/rand 2>&1 | awk '{print $1}')
result $([ "$out" = "$(md5sum <"$TMP/rand" | awk '{print $1}')" ]; echo $?) "... its content in c1 is the same (md5sum)" "got '$out'"
vnl_ok "cp c1:/root/rand out" cp c1:/root/rand "$TMP/rand.back"
check "... and back it is the same (cmp)" cmp "$TMP/rand" "$TMP/rand.back"
vnl_ok "cp a small file into c1's /tmp (its tmpfs)" cp "$TMP/small" c1:/tmp/small
out=$(vnl exec c1 -- cat /tmp/small 2>&1)
result $([ "$out" = "$(cat "$TMP/small")" ]; echo $?) "... c1 reads it" "got '$out'"
vnl_ok "cp c1:/etc/passwd out" cp c1:/etc/passwd "$TMP/passwd"
debugfs -R 'cat /etc/passwd' "$IMG" >"$TMP/passwd.img" 2>/dev/null
check "... same as the image's (debugfs cat)" sh -c "[ -s $TMP/passwd.img ] && cmp $TMP/passwd $TMP/passwd.img"
echo old >"$TMP/dst"
run cp c1:/no/such/file "$TMP/dst"
result $([ "$RC" != 0 ] && [ "$(count_lines "$ERR")" = 1 ] && grep -q /no/such/file <<<"$ERR"; echo $?) \
	"cp of a missing file out of c1 fails with one line naming it" "exit $RC" "stderr: $ERR"
check "... the host's DST is left as it was and there is no DST.vnl-tmp" sh -c \
	"[ \"\$(cat $TMP/dst)\" = old ] && [ ! -e $TMP/dst.vnl-tmp ]"
run cp c1:/no/such/file "$TMP/newdst"
result $([ "$RC" != 0 ] && [ ! -e "$TMP/newdst" ] && [ ! -e "$TMP/newdst.vnl-tmp" ]; echo $?) \
	"cp of a missing file to a new host path: neither DST nor DST.vnl-tmp" "exit $RC" "$(ls "$TMP")"
run cp "$TMP/no-such-file" c1:/root/y
result $([ "$RC" != 0 ] && [ "$(count_lines "$ERR")" = 1 ] && grep -q "$TMP/no-such-file" <<<"$ERR"; echo $?) \
	"cp of a missing host file into c1 fails with one line naming it" "exit $RC" "stderr: $ERR"
out=$(vnl exec c1 -- ls -a /root 2>&1 | tr '\n' ' ')
result $([ "$out" = ". .. f rand " ]; echo $?) "... c1's /root has no y nor y.vnl-tmp" "got '$out'"

# --- 6. the containers outlive the switch and vnld -----------------------------------
mounts_before=$(lab_mounts "$L")
SW=$(vnl show -j | jq -r .switch.pid)
kill -9 "$SW" || bail "kill -9 vnl-switchd $SW"
newsw() { local p; p=$(vnl show -j | jq -r '.switch.pid // empty'); [ -n "$p" ] && [ "$p" != "$SW" ] && alive "$p"; }
check "vnld starts a new switch after kill -9 of vnl-switchd" wait_for 20 newsw
result $([ "$(cpid c1) $(cpid c2)" = "$P1 $P2" ]; echo $?) "the containers run on with the same pids" \
	"before: $P1 $P2" "after: $(cpid c1) $(cpid c2)"
check_ping "c1 pings c2 again through the new switch" c1 10.96.0.2
VP=$(cat "/run/vnetlab/$L/vnld.pid")
H21=$(vnl show -j c2 | jq -r '.node.interfaces[] | select(.nic == 1) | .host')
kill -9 "$VP" || bail "kill -9 vnld $VP"
# A NIC lost while vnld is down (its host end deleted by hand): recovery makes it again.
check "c2:1's host end $H21 deleted by hand: eth1 is gone from c2" sh -c \
	"ip link del '$H21' && ! ip -n vnl.$L.c2 link show dev eth1 2>/dev/null"
check "vnld $VP is gone" wait_for 5 sh -c "! kill -0 $VP 2>/dev/null || grep -q '^State:.*Z' /proc/$VP/status"
vnl_ok "vnl start after kill -9 of vnld" start
result $([ "$(cpid c1) $(cpid c2)" = "$P1 $P2" ]; echo $?) "the new vnld adopts the containers (same pids)" \
	"before: $P1 $P2" "after: $(cpid c1) $(cpid c2)"
jcheck "both are running" "$(json_of show)" '[.nodes[] | select(.kind == "cnt") | .state] == ["running", "running"]'
check_ping "c2 pings c1 after vnld's restart" c2 10.96.0.1
out=$(links_in c2)
result $([ "$out" = "eth0,up,carrier eth1,up,carrier lo,up,carrier " ]; echo $?) \
	"recovery made c2's eth1 again and attached it (carrier)" "got '$out'"
jcheck "... on red, as the port c2-1" "$("$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" show-ports)" \
	"[.ports[] | select(.name == \"c2-1\") | .lan] == [\"red\"]"
mounts_after=$(lab_mounts "$L")
result $([ "$mounts_after" = "$mounts_before" ] && [ "$(count_lines "$mounts_before")" = 4 ]; echo $?) \
	"recovery mounted nothing more (2 lower + 2 rootfs)" "before: $mounts_before" "after: $mounts_after"
loops=$(losetup -j "$IMG")
result $([ "$(count_lines "$loops")" = 2 ]; echo $?) "recovery attached no more loop devices" "$loops"
out=$(vnl exec c1 -- cat /root/f 2>&1)
result $([ "$out" = x ]; echo $?) "c1's files are still there" "got '$out'"

# --- 7. del and stop leave nothing ---------------------------------------------------
# gone_cnt DESC LAB NODE PID: nothing of the container is left on the host.
gone_cnt() {
	local d=$1 l=$2 n=$3 pid=$4 left=
	left=$(awk -v p="/var/lib/vnetlab/$l/cnt/$n/" 'index($5 "/", p) == 1 {print "mount " $5}' /proc/self/mountinfo)
	ip netns list | grep -q "^vnl\.$l\.$n\b" && left="$left netns vnl.$l.$n"
	[ -e "/var/lib/vnetlab/$l/cnt/$n" ] && left="$left folder /var/lib/vnetlab/$l/cnt/$n"
	crun --root "/run/vnetlab/$l/crun" state "vnl.$l.$n" >/dev/null 2>&1 && left="$left crun-state vnl.$l.$n"
	alive "$pid" && left="$left process $pid"
	left="$left $(find /sys/fs/cgroup -maxdepth 3 -type d -name "vnl.$l.$n" 2>/dev/null | tr '\n' ' ')"
	result $([ -z "${left// /}" ]; echo $?) "$d" "left: $left"
}
IFS_C2=$(vnl show -j c2 | jq -r '.node.interfaces[].host')
C2LOOP=$(findmnt -n -o SOURCE "$ST/c2/ovl/lower")
vnl_ok "del c2" del c2
gone_cnt "del c2: no mount, netns, folder, crun state, process or cgroup of c2" "$L" c2 "$P2"
left=
for i in $IFS_C2; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
result $([ -n "$IFS_C2" ] && [ -z "$left" ]; echo $?) "del c2: its host veths are gone" "host ends: $IFS_C2" "left:$left"
loops=$(losetup -j "$IMG")
result $([ -n "$C2LOOP" ] && ! grep -q "^$C2LOOP:" <<<"$loops" && [ "$(count_lines "$loops")" = 1 ]; echo $?) \
	"del c2: its loop device ($C2LOOP) is detached, c1's is left" "$loops"
out=$(vnl exec c1 -- cat /root/f 2>&1)
result $([ "$out" = x ]; echo $?) "c1 still runs" "got '$out'"

# stopped LAB PIDS IFS: nothing of the stopped lab is left.
stopped() {
	local l=$1 pids=$2 ifs=$3 left= i
	check "$l: nothing of its containers is left (mounts, loops, crun, processes, cgroups)" test -z "$(cnt_leftovers "$l")"
	check "$l: no netns left" test -z "$(lab_netns "$l")"
	for i in $ifs; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
	result $([ -z "$left" ]; echo $?) "$l: no host veth left" "left:$left"
	check "$l: no /run/vnetlab/$l nor /var/lib/vnetlab/$l" test ! -e "/run/vnetlab/$l" -a ! -e "/var/lib/vnetlab/$l"
	left=
	for i in $pids; do alive "$i" && left="$left $i"; done
	result $([ -z "$left" ]; echo $?) "$l: container inits, vnld and switch are gone" "still running:$left"
	check "$l: no process with the lab on its command line" test -z "$(lab_pids "$l")"
}
pidsL="$P1 $(cat "/run/vnetlab/$L/vnld.pid") $(vnl show -j | jq -r .switch.pid)"
ifsL=$(vnl show -j | jq -r '.nodes[].interfaces[]?.host')
vnl_ok "stop lab $L" stop
stopped "$L" "$pidsL" "$ifsL"

# --- 8. deploy a topology file with containers (lab D) ---------------------------------
cat >"$TMP/topo.yaml" <<'EOF'
lans:
  - blue
nodes:
  - name: d1
    kind: cnt
    image: busybox
    cmd: echo deployed-$HOSTNAME > /tmp/started
    env: [COLOR=red, ANSWER=42]
    nic-type: afxdp
  - name: d2
    kind: cnt
    image: busybox
  - name: n
    kind: ns
links:
  - d1:0 blue 10.96.1.1/24
  - d2:0 blue 10.96.1.2/24
  - n:0 blue 10.96.1.3/24
EOF
LAB=$D run deploy -j "$TMP/topo.yaml"
result "$RC" "deploy of a file with two cnt nodes and an ns node" "exit $RC" "$ERR"
lab_record_ifs "$D"
jcheck "deploy created the LAN, three nodes and three links" "$OUT" \
	'(.created | sort) == (["lan blue","node d1","node d2","node n","link d1:0 blue","link d2:0 blue","link n:0 blue"] | sort)'
# d1 afxdp, d2 and n tap: both types both ways, and tap <-> tap.
for pair in d1:2 d1:3 d2:1 d2:3 n:1 n:2; do
	LAB=$D check_ping "deployed lab: ${pair%:*} pings 10.96.1.${pair#*:}" "${pair%:*}" "10.96.1.${pair#*:}"
done
out=$(LAB=$D vnl exec d1 -- sh -c 'cat /tmp/started; echo "$COLOR $ANSWER"' 2>&1)
result $([ "$out" = $'deployed-d1\nred 42' ]; echo $?) "d1's cmd ran and its env is set" "got '$out'"
save=$(LAB=$D vnl save - 2>&1)
result $(grep -A4 'name: d1' <<<"$save" | grep -q 'image: "\?busybox' &&
	grep -A4 'name: d1' <<<"$save" | grep -q 'cmd: "\?echo deployed-\$HOSTNAME > /tmp/started' &&
	grep -A4 'name: d1' <<<"$save" | grep -qE 'env: \["?COLOR=red"?, "?ANSWER=42"?\]' &&
	grep -A3 'name: d2' <<<"$save" | grep -q 'image: "\?busybox' &&
	grep -A5 'name: d1' <<<"$save" | grep -q 'nic-type: afxdp'; echo $?) "save - lists the image, cmd, env and nic-type" "$save"
DP="$(LAB=$D cpid d1) $(LAB=$D cpid d2)"
LAB=$D run deploy -j "$TMP/topo.yaml"
result $([ "$RC" = 0 ] && jq -e '.created == [] and .differs == [] and .extra == []' >/dev/null <<<"$OUT" &&
	[ "$(LAB=$D cpid d1) $(LAB=$D cpid d2)" = "$DP" ]; echo $?) \
	"deploying the same file again changes nothing (same container pids)" "exit $RC" "$OUT" "$ERR"
LAB=$D vnl save - >"$TMP/saved.yaml" 2>&1
check "the saved file deploys as is (nothing differs)" sh -c \
	"'$VNL_BIN' --lab '$D' deploy -j '$TMP/saved.yaml' | jq -e '.created == [] and .differs == []'"
pidsD="$DP $(cat "/run/vnetlab/$D/vnld.pid") $(LAB=$D vnl show -j | jq -r .switch.pid)"
ifsD=$(LAB=$D vnl show -j | jq -r '.nodes[].interfaces[]?.host')
LAB=$D vnl_ok "stop lab $D" stop
stopped "$D" "$pidsD" "$ifsD"
check "the image is unchanged (sha256)" test "$(sha256sum <"$IMG")" = "$IMG_SUM"
check "the image is a clean ext4 (e2fsck -fn)" e2fsck -fn "$IMG"
done_testing
