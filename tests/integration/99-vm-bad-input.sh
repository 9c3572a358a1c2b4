#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: bad input and failures around VM nodes give one clear line and
# leave nothing behind: no image, a missing image, a file that is not
# qcow2, a name in use, an address on a VM link, verbs a kind does not
# have; a guest that never gives a shell on hvc0 is reported as no-shell
# with what to do, and is not reset; a qemu killed under vnld is reported
# stopped (exec says so), and vnl reboot brings it back; a topology file
# with a VM deploys, saves and stops clean.
#
# Operations:
#   1. lab L: add vm without --image / with a missing image / with a text
#      file as image / with a name in use; shell, halt, reboot on a cnt
#      node; exec on a missing node: each refused with one line; no vm
#      folder, socket or qemu left
#   2. vm n1 on a copy of tiny.qcow2 without kernel sidecars (nothing to
#      boot), VNL_GUEST_SHELL_S=8: state no-shell, info names hvc0 and the
#      image README; exec says not ready; same qemu pid later (no reset);
#      link --ip on n1 refused with one line, no link left
#   3. vm a1 (tiny) ready; kill -9 its qemu: state stopped, info says qemu
#      exited; exec refused with the state; reboot a1: ready again; kill -9
#      of vnld and qemu at once, vnl start: a1 runs and is ready again
#   4. deploy a file with vm d1 + LAN: created, ready, save has the vm and
#      its image; stop leaves nothing

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

vm_test_init 99-vm-bad-input
lab_new L v99
export VNL_GUEST_SHELL_S=8   # vnld (started by the first vnl below) reports no-shell after 8 s
BOOT=240

# refused DESC PATTERN ARGS...: vnl ARGS fails with one line matching PATTERN.
refused() {
	local desc=$1 pat=$2
	shift 2
	run "$@"
	if [ "$RC" != 0 ] && [ "$(grep -c . <<<"$ERR")" = 1 ] && grep -Eq "$pat" <<<"$ERR"; then
		ok "$desc"
	else
		not_ok "$desc" "vnl $*: exit $RC" "stderr: $ERR"
	fi
}

# --- 1. refused at once ---------------------------------------------------------------
must add lan blue >/dev/null
must add cnt c1 --image busybox >/dev/null
refused "add vm without --image" "needs an image" add vm v1
refused "add vm with a missing image names where it looked" "no VM image 'nope'.*nope.qcow2" add vm v1 --image nope
echo "not a disk" >"$TMP/images/text.qcow2"
refused "add vm with a text file as image" "not a qcow2" add vm v1 --image text
refused "add vm with a relative path" "a name, or an absolute path" add vm v1 --image ../x
refused "add vm with a name in use" "in use" add vm c1 --image tiny
refused "shell on a cnt node" "has no shell of its own" shell c1
refused "halt of a cnt node" "only vm nodes" halt c1
refused "reboot of a cnt node" "only vm nodes" reboot c1
refused "exec on a missing node" "no node" exec nosuch -- true
check "no vm folder, socket or qemu after the refusals" test -z "$(vm_leftovers "$L")"
check "the refused v1 is not in the lab" test -z "$(vnl show -j | jq -r '.nodes[] | select(.name == "v1") | .name')"

# --- 2. a guest that never gives a shell -------------------------------------------------
cp "$TMP/images/tiny.qcow2" "$TMP/images/noboot.qcow2"
vnl_ok "add vm n1 on an image with nothing to boot" add vm n1 --image noboot
P=$(vnl show -j n1 | jq -r .node.qemu_pid)
vm_wait_state 60 n1 no-shell
j=$(json_of show n1)
jcheck "n1 is no-shell, and the info says what the image lacks" "$j" \
	'.node.state == "no-shell" and (.node.state_info | test("hvc0")) and (.node.state_info | test("README"))'
refused "exec on n1 says it is not ready, and why" "not ready \\(state no-shell" exec n1 -- true
run wait --timeout 3 n1
check "wait --timeout 3 on n1 fails with its state (after its progress line)" \
	test "$RC" = 1 -a -n "$(tail -n 1 <<<"$ERR" | grep 'not ready after 3 s (state no-shell)')"
sleep 2
check "n1 was not reset behind the user's back (same qemu, no reset in the log)" \
	test "$(vnl show -j n1 | jq -r .node.qemu_pid)" = "$P" -a -z "$(grep 'vm n1: .*reset' "/run/vnetlab/$L/vnld.log")"
# The vm kind's nic_attach refuses an address; the link is not made.
refused "link --ip on a vm: its addresses are set in the guest" "n1 is a vm: its addresses are set inside the" \
	link n1:0 blue --ip 10.99.0.1/24
refused "link --nic-type on a vm: VM NICs are vhost-user" "link n1:0: nic-type does not apply to kind vm" \
	link n1:0 blue --nic-type tap
check "the refused links are not in the lab" test -z "$(vnl show -j | jq -r '.links[] | select(.node == "n1") | .node')"
vnl_ok "del n1" del n1

# --- 3. qemu dies -------------------------------------------------------------------------
vnl_ok "add vm a1" add vm a1 --image tiny
vnl_ok "a1 ready" wait --timeout $BOOT a1
kill -9 "$(vnl show -j a1 | jq -r .node.qemu_pid)"
vm_wait_state 10 a1 stopped
j=$(json_of show a1)
jcheck "a killed qemu: a1 stopped, info says qemu exited" "$j" '.node.state == "stopped" and (.node.state_info | test("qemu exited"))'
refused "exec on the stopped a1 says so" "not ready \\(state stopped" exec a1 -- true
vnl_ok "reboot a1 starts it again" reboot a1
vnl_ok "a1 ready again" wait --timeout $BOOT a1
check "exec on a1 again" test "$(vnl exec a1 -- echo up)" = up
# vnld and qemu die together (a crash, or a host reboot): the next vnld
# starts the VM again once the switch holds its ports.
kill -9 "$(cat "/run/vnetlab/$L/vnld.pid")" "$(vnl show -j a1 | jq -r .node.qemu_pid)"
sleep 1
vnl_ok "vnl start after vnld and qemu died" start
vnl_ok "a1 runs and is ready again" wait --timeout $BOOT a1

# --- 4. a topology file with a vm -----------------------------------------------------------
LAB=$L vnl destroy >/dev/null 2>&1
cat >"$TMP/lab.yaml" <<EOF
lans:
  - net
nodes:
  - name: d1
    kind: vm
    image: tiny
    mem: 200
links:
  - d1:0 net
EOF
vnl_ok "deploy a file with a vm" deploy "$TMP/lab.yaml"
vnl_ok "the deployed vm gets ready" wait --timeout $BOOT d1
out=$(vnl save -)
check "save has the vm, its image and memory" test "$(grep -cE 'kind: vm|image: "?tiny"?$|mem: 200' <<<"$out")" = 3
vnl_ok "stop" stop
left=$( (vm_leftovers "$L"; ls -d "/run/vnetlab/$L" "/var/lib/vnetlab/$L" 2>/dev/null) | sort -u)
check "nothing of the lab is left after stop" test -z "$left"
[ -n "$left" ] && diag "$left"

done_testing
