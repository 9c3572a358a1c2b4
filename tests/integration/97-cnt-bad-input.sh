#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: every bad `vnl add cnt` (and a deploy with a bad cnt node) is
# refused with a one-line error that says what is wrong, a non-zero exit, and
# no debris: no netns, mount, loop device, state folder, crun state or cgroup
# of the refused node, and the lab (save -, show -j, netns, veths, switch)
# exactly as before. Then the lab still adds a good container, and its stop
# leaves nothing.
#
# Operations: lab L with LAN blue and container ok1 (busybox, 10.97.0.1).
# Refused: an image name not in $VNL_IMAGES, a text file and a file of
# zeros as images (absolute paths), a truncated ext4 image (the mount
# fails after the loop device is attached), no --image, a name in use (a
# node, a LAN), relative paths (../x, busybox/../busybox), a missing
# absolute path, a folder, bad --env entries; deploy of files with a cnt node
# whose image is missing or not given; no loop device for vnld (below).
# Each time: state compared with the snapshot taken before.
#
# No free loop device: a real exhaustion cannot be made on a shared host:
# loop-control makes a new device whenever none is free (max_loop only
# limits the probing of unused /dev/loopN nodes), up to 2^20 minors. The
# closest real condition is the kernel refusing vnld every loop device: vnld
# is moved into a devices cgroup (v1) that denies loop-control (c 10:237)
# and the loop block devices (b 7:*), and moved back right after (the
# cgroup is removed at exit whatever happens). Skipped without a v1 devices
# hierarchy.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

cnt_test_init 97-cnt-bad-input
lab_new L c97
IMG=$CNT_IMAGE
IMGDIR=$TMP/images

must add lan blue >/dev/null
must add cnt ok1 --image busybox >/dev/null
must link ok1:0 blue --ip 10.97.0.1/24 >/dev/null
lab_record_ifs
P1=$(vnl show -j ok1 | jq -r '.node.pid // empty')
[ -n "$P1" ] || bail "ok1 has no pid"

echo 'not an image' >"$TMP/text.txt"
truncate -s 1M "$TMP/zeros.img"
head -c 4M "$IMG" >"$TMP/truncated.ext4"
mkdir "$TMP/folder"

# cnt_state: the host-side state of the lab's containers (mounts under the
# lab's state folder, loop devices of the image, folders under cnt/, crun's
# containers, cgroup folders), added to lab_snapshot.
cnt_state() {
	echo "== mounts"
	awk -v d="/var/lib/vnetlab/$L/" 'index($5 "/", d) == 1 {print $5, $10}' /proc/self/mountinfo | sort
	echo "== loops"
	losetup -j "$IMG" | cut -d: -f1 | sort
	losetup -j "$TMP/truncated.ext4" | cut -d: -f1 | sort
	echo "== folders"
	ls -a "/var/lib/vnetlab/$L/cnt"
	echo "== crun"
	crun --root "/run/vnetlab/$L/crun" list -q 2>&1 | sort
	echo "== cgroups"
	find /sys/fs/cgroup -maxdepth 3 -type d -name "vnl.$L.*" | sort
}
snapshot() { lab_snapshot; cnt_state; }
BEFORE=$(snapshot)
grep -q "vnl.$L.ok1" <<<"$BEFORE" || bail "the snapshot does not show ok1: $BEFORE"

# refused DESC PATTERN NODE ARGS...: `vnl ARGS` fails with one line on stderr
# matching the extended regex PATTERN, and nothing changes; no netns or state
# folder of NODE (- when NODE is a name in use).
refused() {
	local d=$1 pat=$2 n=$3 after
	shift 3
	run "$@"
	result $([ "$RC" != 0 ] && [ "$(grep -c . <<<"$ERR")" = 1 ] && grep -qE -- "$pat" <<<"$ERR"; echo $?) \
		"$d: one-line error" "vnl $*: exit $RC" "stderr: $ERR" "wanted: /$pat/"
	after=$(snapshot)
	result $([ "$after" = "$BEFORE" ] && { [ "$n" = - ] || { ! ip netns list | grep -q "^vnl\.$L\.$n\b" &&
		[ ! -e "/var/lib/vnetlab/$L/cnt/$n" ]; }; }; echo $?) \
		"$d: nothing changed, no debris" "$(diff <(echo "$BEFORE") <(echo "$after"))"
}
# refused_usage DESC PATTERN NODE ARGS...: a usage error (the CLI's own
# check): non-zero exit, the first stderr line matches PATTERN, nothing changes.
refused_usage() {
	local d=$1 pat=$2 n=$3 after
	shift 3
	run "$@"
	result $([ "$RC" != 0 ] && head -n 1 <<<"$ERR" | grep -qE -- "$pat"; echo $?) \
		"$d: refused" "vnl $*: exit $RC" "stderr: $ERR" "wanted first line: /$pat/"
	after=$(snapshot)
	result $([ "$after" = "$BEFORE" ] && ! ip netns list | grep -q "^vnl\.$L\.$n\b"; echo $?) \
		"$d: nothing changed" "$(diff <(echo "$BEFORE") <(echo "$after"))"
}

refused "image name not in the images folder" "no image 'nosuch' in $IMGDIR" b1 add cnt b1 --image nosuch
refused "a text file as image" "$TMP/text.txt.*not an ext4 image" b2 add cnt b2 --image "$TMP/text.txt"
refused "a file of zeros as image" "$TMP/zeros.img.*not an ext4 image" b3 add cnt b3 --image "$TMP/zeros.img"
refused "a truncated ext4 image (mount fails)" "truncated\.ext4" b4 add cnt b4 --image "$TMP/truncated.ext4"
refused "add cnt without --image" "needs an image.*$IMGDIR" b5 add cnt b5
refused "a node name in use" "name 'ok1' is in use" - add cnt ok1 --image busybox
refused "a LAN name in use" "name 'blue' is in use" blue add cnt blue --image busybox
refused "a relative path ../x" "'\.\./x'.*(absolute path|$IMGDIR)" b6 add cnt b6 --image ../x
refused "a relative path busybox/../busybox" "busybox/\.\./busybox.*(absolute path|$IMGDIR)" b7 add cnt b7 --image busybox/../busybox
refused "an absolute path that does not exist" "$TMP/nonexist\.ext4.*(No such file|not found|does not exist)" b8 \
	add cnt b8 --image "$TMP/nonexist.ext4"
refused "a folder as image" "$TMP/folder.*not a regular file" b9 add cnt b9 --image "$TMP/folder"
refused_usage "--env without =" "NOEQ.*KEY=VALUE" b10 add cnt b10 --image busybox --env NOEQ
refused_usage "--env with an empty key" "=x.*KEY=VALUE" b11 add cnt b11 --image busybox --env =x

cat >"$TMP/missing.yaml" <<'EOF'
lans:
  - green
nodes:
  - name: f1
    kind: ns
  - name: f2
    kind: cnt
    image: nosuch
links:
  - f1:0 green 10.97.1.1/24
  - f2:0 green 10.97.1.2/24
EOF
refused "deploy: a cnt node with a missing image" "no image 'nosuch'" f2 deploy "$TMP/missing.yaml"
check "... f1 (made before f2 failed) is gone too" test -z "$(lab_netns "$L" | grep -E "\.f1$")"
sed 's/^    image: nosuch$//' "$TMP/missing.yaml" >"$TMP/noimage.yaml"
grep -q nosuch "$TMP/noimage.yaml" && bail "sed did not remove the image line"
refused "deploy: a cnt node without an image" "f2.*(needs an image|image)" f2 deploy "$TMP/noimage.yaml"

DEVCG=/sys/fs/cgroup/devices
if [ -w "$DEVCG/cgroup.procs" ] && [ "$(stat -f -c %T "$DEVCG" 2>/dev/null)" = cgroupfs ]; then
	VP=$(cat "/run/vnetlab/$L/vnld.pid")
	VCG=$(awk -F: '$2 == "devices" {print $3}' "/proc/$VP/cgroup")
	NOLOOP=$DEVCG/vnl-noloop-$$
	# noloop_end: vnld back where it was, the cgroup gone (also at exit).
	noloop_end() {
		[ -d "$NOLOOP" ] || return 0
		local p
		for p in $(cat "$NOLOOP/cgroup.procs" 2>/dev/null); do echo "$p" >"$DEVCG${VCG%/}/cgroup.procs"; done
		rmdir "$NOLOOP"
	}
	at_cleanup noloop_end
	mkdir "$NOLOOP" && echo 'c 10:237 rwm' >"$NOLOOP/devices.deny" && echo 'b 7:* rwm' >"$NOLOOP/devices.deny" &&
		echo "$VP" >"$NOLOOP/cgroup.procs" || bail "cannot deny loop devices to vnld through $NOLOOP"
	refused "no loop device for vnld (loop-control denied)" "b12.*/dev/loop-control.*(not permitted|denied)" b12 \
		add cnt b12 --image busybox
	check "... no loop device of the image was attached for it" test "$(losetup -j "$IMG" | wc -l)" = 1
	noloop_end
	check "vnld is back in its devices cgroup ($VCG), $NOLOOP is gone" sh -c \
		"[ \"\$(awk -F: '\$2 == \"devices\" {print \$3}' /proc/$VP/cgroup)\" = '$VCG' ] && [ ! -e '$NOLOOP' ]"
else
	ok "no loop device for vnld # SKIP no writable v1 devices cgroup hierarchy at $DEVCG"
fi

out=$(vnl exec ok1 -- hostname 2>&1)
result $([ "$out" = ok1 ] && [ "$(vnl show -j ok1 | jq -r .node.pid)" = "$P1" ]; echo $?) \
	"ok1 runs on, same pid, after all refusals" "got '$out'"
vnl_ok "a good container is still added" add cnt good --image "$IMG"
vnl_ok "... and linked" link good:0 blue --ip 10.97.0.2/24
lab_record_ifs
check_ping "... and pings ok1" good 10.97.0.1

ifs=$(vnl show -j | jq -r '.nodes[].interfaces[]?.host')
pids="$P1 $(vnl show -j good | jq -r .node.pid) $(cat "/run/vnetlab/$L/vnld.pid")"
vnl_ok "stop" stop
check "stop: nothing of the containers is left (mounts, loops, crun, processes, cgroups)" test -z "$(cnt_leftovers "$L")"
check "stop: no loop device of the truncated image" test -z "$(losetup -j "$TMP/truncated.ext4")"
check "stop: no netns left" test -z "$(lab_netns "$L")"
left=
for i in $ifs; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
result $([ -z "$left" ]; echo $?) "stop: no host veth left" "left:$left"
left=
for i in $pids; do alive "$i" && left="$left $i"; done
result $([ -z "$left" ]; echo $?) "stop: container inits and vnld are gone" "still running:$left"
check "stop: no /run/vnetlab/$L nor /var/lib/vnetlab/$L" test ! -e "/run/vnetlab/$L" -a ! -e "/var/lib/vnetlab/$L"
done_testing
