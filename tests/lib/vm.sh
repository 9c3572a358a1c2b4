# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/vm.sh: helpers for the VM integration tests (98-vm*, after
# tests/lib/vnl.sh). The tests run real qemu (TCG unless the host has a
# usable KVM) on the tiny image of image_scripts/vm-tiny-image.

# vm_test_init NAME: cnt_test_init (busybox image in TMP/images, for the
# container on the VMs' LAN) plus qemu and the tiny VM image. The tiny
# image is built into the default image folder when it is not there
# (image_scripts/vm-tiny-image is idempotent and locked), then linked into
# TMP/images, so VNL_IMAGES finds both.
vm_test_init() {
	cnt_test_init "$1"
	command -v qemu-system-x86_64 >/dev/null 2>&1 || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
	command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
	need_cmd socat sha256sum
	[ -x "$VNL_BUILD_DIR/vnl-agent" ] || bail "$VNL_BUILD_DIR/vnl-agent is not built"
	local dir=/var/lib/vnetlab-images out t0=$SECONDS f
	if [ ! -s "$dir/tiny.qcow2" ]; then
		out=$("$VNL_SOURCE_DIR/image_scripts/vm-tiny-image" --out "$dir" 2>&1) ||
			bail "vm-tiny-image failed: $(tail -n 5 <<<"$out")"
		diag "tiny VM image built in $((SECONDS - t0)) s"
	fi
	for f in "$dir"/tiny.*; do
		ln -sf "$f" "$TMP/images/"
	done
	[ -s "$TMP/images/tiny.qcow2" ] || bail "no tiny VM image in $dir"
	diag "accel: $([ -e /dev/kvm ] && [ ! -e /run/vnetlab/kvm-unusable ] && echo kvm || echo tcg)"
}

# vm_state NODE: the node's state (ready, booting, ...).
vm_state() { vnl show -j "$1" 2>/dev/null | jq -r '.node.state // empty'; }

# vm_wait_state SECONDS NODE STATE: until NODE is in STATE.
vm_wait_state() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ "$(vm_state "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# vm_ip NODE CIDR: give eth0 of the VM an address and bring it up.
vm_ip() { vnl exec "$1" -- sh -c "ip addr add $2 dev eth0 && ip link set eth0 up"; }

# vm_leftovers LAB: one line per thing of the lab's VMs still on the host:
# processes with /run/vnetlab/LAB/ or vnl.LAB. on their command line, files
# under its vm/ and vhost/ folders.
vm_leftovers() {
	local l=$1 p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		cmd=$( { tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null) || continue
		case "$cmd" in *qemu*"vnl.$l."*) alive "$p" && echo "process $p: ${cmd:0:120}" ;; esac
	done
	find "/run/vnetlab/$l/vm" "/run/vnetlab/$l/vhost" "/var/lib/vnetlab/$l/vm" -mindepth 1 2>/dev/null | sed 's/^/file /'
}

# pty_script TIMEOUT CMD... with STEPS on stdin: run CMD on a new
# pseudo-terminal; each line of stdin is "SECONDS TEXT": wait that long,
# then type TEXT (python escapes: \r, \x1d). Prints what CMD wrote; exits
# with its status (124 when killed at TIMEOUT).
pty_script() {
	python3 -c '
import os, pty, select, sys, time
tmo, cmd = float(sys.argv[1]), sys.argv[2:]
steps = [l.rstrip("\n").split(" ", 1) for l in open("/dev/stdin") if l.strip()]
steps = [(float(s[0]), s[1].encode().decode("unicode_escape").encode()) for s in steps]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, t0, st, nxt = b"", time.time(), None, time.time()
while st is None:
    if time.time() - t0 > tmo:
        os.kill(pid, 9); os.waitpid(pid, 0)
        sys.stdout.buffer.write(out + b"\n[pty_script: timeout]\n"); sys.exit(124)
    if steps and time.time() >= nxt + steps[0][0]:
        os.write(fd, steps[0][1]); steps.pop(0); nxt = time.time()
    if select.select([fd], [], [], 0.1)[0]:
        try:
            out += os.read(fd, 4096)
        except OSError:
            pass
    p, s = os.waitpid(pid, os.WNOHANG)
    if p:
        st = s
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
' "$@"
}
