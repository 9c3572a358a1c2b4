# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/vnl.sh: shared helpers for the vnl/vnld integration tests
# (tests/integration/9[1-9]-vnl-*.sh). They drive the real `vnl` CLI, which
# starts the real vnld and vnl-switchd; nothing is mocked.
#
# A test sources this file, calls `vnl_test_init NAME` and `lab_new VAR
# PREFIX` (one or more labs), then reports with the TAP helpers below and
# ends with `done_testing`. An EXIT trap tears every lab down whatever way
# the test ends: `vnl --lab L stop`, then whatever is still there (processes
# with the lab's name on their command line, killed by pid; netns vnl.L.*;
# host veths recorded with lab_record_ifs; /run/vnetlab/L, /var/lib/vnetlab/L).
#
# TAP: "ok N - ..." / "not ok N - ..." with details as "# " lines, the plan
# printed at the end. A check that fails does not stop the test (so one run
# shows every broken check); `bail` stops it ("Bail out!") when going on makes
# no sense. Skip: "1..0 # SKIP why" and exit $VNL_SKIP_STATUS (77 by default;
# meson's TAP protocol treats 77 as an error, so meson.build passes 0).
#
# Lab names are PREFIX + the shell's pid, so tests run in parallel with each
# other and with other suites. Host-side objects are only ever looked at
# through the lab (its netns, the veths whose peer is in them, its switch), never
# as a host-wide listing that a parallel test could change.

set -u
set -o pipefail

VNL_SOURCE_DIR=${VNL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VNL_BUILD_DIR=${VNL_BUILD_DIR:-$VNL_SOURCE_DIR/build}
# shellcheck source=snmp.sh
. "$VNL_SOURCE_DIR/tests/lib/snmp.sh"
VNL_BIN=${VNL_BIN:-$VNL_BUILD_DIR/vnl}
SWCTL_BIN=$VNL_BUILD_DIR/vnl-swctl
VNL_TIMEOUT=${VNL_TIMEOUT:-60}   # seconds any single vnl command may take

TEST_NAME=
TMP=
LAB=
_T=0           # TAP test number
_FAILS=0       # failed checks
_LABS=()       # labs to tear down
_BG_PIDS=()    # background processes to stop
_HOSTIFS=()    # host-side interface names seen in the labs, deleted at cleanup
_T0=$SECONDS

# --- TAP ---------------------------------------------------------------------

diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }
ok() { _T=$((_T + 1)); echo "ok $_T - $1"; }
# not_ok DESC [DETAIL...]: a failed check; the test goes on.
not_ok() {
	_T=$((_T + 1)); _FAILS=$((_FAILS + 1))
	echo "not ok $_T - $1"
	shift
	[ $# -gt 0 ] && diag "$(printf '%s\n' "$@" | cut -c1-400 | head -n 40)"
	return 0
}
# result RC DESC [DETAIL...]: ok when RC is 0.
result() {
	local rc=$1
	shift
	if [ "$rc" = 0 ]; then ok "$1"; else not_ok "$@"; fi
}
# check DESC CMD...: ok when CMD succeeds; its output is shown when it fails.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	result "$rc" "$desc" "exit $rc: $*" "$out"
}
# jcheck DESC JSON FILTER: ok when the jq FILTER is true on JSON. Empty JSON
# (a command that printed nothing) fails: jq 1.6's -e exits 0 on empty input.
jcheck() {
	if [[ $2 == *[![:space:]]* ]] && jq -e "$3" >/dev/null 2>&1 <<<"$2"; then ok "$1"; else
		not_ok "$1" "jq '$3' is not true on:" "$(cut -c1-1500 <<<"$2")"
	fi
}
# bail MSG: stop the whole test.
# In a subshell ($(...), a pipeline) it reports on stderr and signals the test.
bail() {
	_FAILS=$((_FAILS + 1))
	if [ "$BASHPID" != "$$" ]; then
		echo "Bail out! $*" >&2
		kill -USR1 $$
		exit 1
	fi
	echo "Bail out! $*"
	exit 1
}
skip_all() { echo "1..0 # SKIP $*"; exit "${VNL_SKIP_STATUS:-77}"; }
# done_testing: the plan, the run time, and the exit status.
done_testing() {
	echo "1..$_T"
	diag "$TEST_NAME: $_T checks, $_FAILS failed, $((SECONDS - _T0)) s"
	[ "$_FAILS" = 0 ] && exit 0
	exit 1
}

# --- setup and teardown ------------------------------------------------------

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || bail "missing command '$c' (see scripts/packages-test.txt)"
	done
}

# vnl_test_init NAME: check the host, make TMP, install the cleanup trap.
vnl_test_init() {
	TEST_NAME=$1
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, veth, AF_XDP)"
	grep -q ' xsk_' /proc/kallsyms 2>/dev/null || skip_all "kernel has no AF_XDP sockets"
	local free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge 64 ] || skip_all "needs free 2 MiB hugepages for vnl-switchd, host has ${free:-0}"
	for f in "$VNL_BIN" "$VNL_BUILD_DIR/vnld" "$VNL_BUILD_DIR/vnl-switchd" "$SWCTL_BIN"; do
		[ -x "$f" ] || bail "$f is not built"
	done
	need_cmd jq ip ping timeout cmp
	TMP=$(mktemp -d "/tmp/vnl-$TEST_NAME.XXXXXX") || bail "mktemp"
	trap _vnl_cleanup EXIT
	trap 'bail "interrupted"' INT TERM HUP
	trap 'bail "a helper bailed out in a subshell (its message is on stderr)"' USR1
	diag "$TEST_NAME: temp dir $TMP"
}

# lab_new VAR PREFIX: a fresh lab name PREFIX+pid in VAR (and in LAB when it
# is the first), torn down at exit. PREFIX + pid stays within 15 characters.
lab_new() {
	local name=$2$$
	[ -e "/run/vnetlab/$name" ] || [ -e "/var/lib/vnetlab/$name" ] && bail "lab $name exists already"
	_LABS+=("$name")
	printf -v "$1" '%s' "$name"
	[ -n "$LAB" ] || LAB=$name
	diag "lab $name"
}

# bg_track PID: stop PID at cleanup.
bg_track() { _BG_PIDS+=("$1"); }

# events_follow FILE: `vnl events -j` of the current lab in the background
# into FILE, returned once it is subscribed (it shows a LAN added after it
# started; that LAN, sync-N, is deleted again). Bails if it never shows one.
events_follow() {
	local f=$1 i
	vnl events -j >"$f" 2>&1 &
	bg_track $!
	for i in $(seq 50); do
		must add lan "sync-$i" >/dev/null
		wait_for 1 grep -q "\"sync-$i\"" "$f" && { must del "sync-$i" >/dev/null; return 0; }
		must del "sync-$i" >/dev/null
	done
	bail "vnl events shows nothing: $(head -c 300 "$f")"
}

# at_cleanup CMD...: run CMD (one eval'ed string) at exit, after the labs are
# torn down (a host setting a test changed, to put back whatever happens).
_AT_CLEANUP=()
at_cleanup() { _AT_CLEANUP+=("$*"); }

# alive PID: the process runs (a zombie counts as gone).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# lab_pids LAB: pids of running processes that carry the lab on their command
# line (vnld --lab LAB, vnl-switchd --socket /run/vnetlab/LAB/..., vnl --lab LAB).
lab_pids() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		cmd=$( { tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null) || continue
		case " $cmd" in
		*" --lab $1 "* | *" -l $1 "* | *"/run/vnetlab/$1/"*) alive "$p" && echo "$p" ;;
		esac
	done
}

# lab_netns LAB: the lab's network namespaces, sorted.
lab_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -F "vnl.$1." | sort; }

# lab_record_ifs: remember the host ends of the current lab's NICs (from
# vnl show -j), so cleanup removes them even if vnld does not.
lab_record_ifs() {
	local i
	for i in $("$VNL_BIN" --lab "${1:-$LAB}" show -j 2>/dev/null | jq -r '.nodes[]?.interfaces[]?.host' 2>/dev/null); do
		_HOSTIFS+=("$i")
	done
}

# dump_logs LAB: vnld's and the switch's logs as TAP comments.
dump_logs() {
	local f
	for f in "/run/vnetlab/$1/vnld.log" "/run/vnetlab/$1/switchd.log"; do
		[ -s "$f" ] || continue
		diag "----- last lines of $f -----"
		diag "$(tail -n 25 "$f")"
	done
}

# lab_teardown LAB: stop the lab through vnl (vnld's socket if vnl cannot),
# then remove whatever is left of it.
lab_teardown() {
	local l=$1 p i n
	if [ -S "/run/vnetlab/$l/vnld.sock" ]; then
		timeout 30 "$VNL_BIN" --lab "$l" stop >/dev/null 2>&1 ||
			timeout 30 "$SWCTL_BIN" -c -s "/run/vnetlab/$l/vnld.sock" stop >/dev/null 2>&1
	fi
	for ((i = 0; i < 100; i++)); do
		[ -z "$(lab_pids "$l")" ] && break
		sleep 0.1
	done
	for p in $(lab_pids "$l"); do
		echo "# cleanup: killing leftover pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		kill -9 "$p" 2>/dev/null
	done
	for n in $(lab_netns "$l"); do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "/run/vnetlab/$l" "/var/lib/vnetlab/$l"
}

_vnl_cleanup() {
	local rc=$? p l
	set +e
	trap - EXIT
	for p in "${_BG_PIDS[@]}"; do
		alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for l in "${_LABS[@]}"; do
		[ "$_FAILS" != 0 ] && dump_logs "$l"
		lab_teardown "$l"
	done
	for p in "${_HOSTIFS[@]}"; do
		ip link show dev "$p" >/dev/null 2>&1 && ip link del "$p" 2>/dev/null
	done
	for p in "${_AT_CLEANUP[@]}"; do
		eval "$p"
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}

# --- running vnl ---------------------------------------------------------------

# vnl ARGS...: the CLI on the current lab ($LAB; `LAB=x vnl ...` for another).
vnl() { timeout "$VNL_TIMEOUT" "$VNL_BIN" --lab "$LAB" "$@"; }

# run ARGS...: run vnl, keep stdout in OUT, stderr in ERR, status in RC.
OUT= ERR= RC=0
run() {
	OUT=$(vnl "$@" 2>"$TMP/run.err")
	RC=$?
	ERR=$(cat "$TMP/run.err")
}

# vnl_ok DESC ARGS...: vnl ARGS must succeed (ok/not ok line); OUT holds stdout.
vnl_ok() {
	local desc=$1
	shift
	run "$@"
	result "$RC" "$desc" "vnl $*: exit $RC" "stdout: $OUT" "stderr: $ERR"
}

# must ARGS...: vnl ARGS must succeed, else the test bails; prints stdout.
must() {
	run "$@"
	[ "$RC" = 0 ] || bail "vnl --lab $LAB $*: exit $RC: $ERR"
	printf '%s\n' "$OUT"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# --- pings ---------------------------------------------------------------------

PING_OUT=
# pings NODE ADDR [COUNT]: true when COUNT pings (3) from NODE to ADDR all come
# back. Waits up to 10 s for a first answer (a fresh link, a restarted switch).
pings() {
	wait_for 10 vnl exec "$1" -- ping -n -q -c 1 -W 1 "$2"
	PING_OUT=$(vnl exec "$1" -- ping -n -q -c "${3:-3}" -i 0.2 -W 1 "$2" 2>&1)
	local rc=$?
	PING_OUT=$(grep -E 'transmitted|rtt|rror|vnl' <<<"$PING_OUT")
	[ "$rc" = 0 ] && grep -q ' 0% packet loss' <<<"$PING_OUT"
}
# no_pings NODE ADDR: true when pings were sent from NODE to ADDR and none came back.
no_pings() {
	PING_OUT=$(vnl exec "$1" -- ping -n -q -c 3 -i 0.2 -W 1 "$2" 2>&1)
	local rc=$?
	PING_OUT=$(grep -E 'transmitted|rtt|rror|vnl' <<<"$PING_OUT")
	[ "$rc" != 0 ] && grep -q '3 packets transmitted, 0 received' <<<"$PING_OUT"
}
# check_ping DESC NODE ADDR [COUNT] / check_no_ping DESC NODE ADDR: as TAP lines.
check_ping() {
	local d=$1
	shift
	if pings "$@"; then ok "$d"; else not_ok "$d" "vnl exec $1 -- ping $2: $PING_OUT"; fi
}
check_no_ping() {
	local d=$1
	shift
	if no_pings "$@"; then ok "$d"; else not_ok "$d" "vnl exec $1 -- ping $2: $PING_OUT"; fi
}

# --- state of a lab ------------------------------------------------------------

# lab_snapshot [LAB]: everything a refused request must leave as it was:
# the saved topology, `show -j`, the lab's netns and the links and addresses
# inside them, the host veths whose peers are in them, the switch's ports and
# LANs. Bails when vnl cannot answer (an empty snapshot would compare equal).
lab_snapshot() {
	local l=${1:-$LAB} n s save show
	save=$(LAB=$l vnl save - 2>&1) || bail "vnl --lab $l save - failed: $save"
	show=$(LAB=$l vnl show -j 2>&1 | jq -S . 2>&1) || bail "vnl --lab $l show -j failed: $show"
	echo "== save"
	echo "$save"
	echo "== show"
	echo "$show"
	echo "== netns"
	for n in $(lab_netns "$l"); do
		echo "-- $n"
		ip -n "$n" -br link | awk '{print $1, $3}' | sort
		ip -n "$n" -br addr | awk '{$2=""; print}' | sort
	done
	echo "== host veths"
	ip -o link show | grep -F "link-netns vnl.$l." | awk '{print $2}' | sort
	echo "== switch"
	s=/run/vnetlab/$l/switchd.sock
	"$SWCTL_BIN" -c -s "$s" show-ports | jq -c '[.ports[] | [.name, .lan]] | sort'
	"$SWCTL_BIN" -c -s "$s" show-lans | jq -c '[.lans[] | [.name, (.ports | sort)]] | sort'
}

# json_of ARGS...: `vnl ARGS -j` output, or bail.
json_of() {
	local o
	o=$(vnl "$@" -j 2>&1) && jq -e . >/dev/null 2>&1 <<<"$o" || bail "vnl $* -j: not JSON: $o"
	printf '%s\n' "$o"
}

# node_snmp NODE PROTO FIELD: a counter of /proc/net/snmp inside NODE of
# the lab (e.g. node_snmp v1 Tcp InCsumErrors).
node_snmp() { vnl exec "$1" -- cat /proc/net/snmp | snmp_field "$2" "$3"; }

# has_words TEXT WORD...: every WORD appears in TEXT as a whole word.
has_words() {
	local t=$1 w
	shift
	for w in "$@"; do
		grep -qw -- "$w" <<<"$t" || return 1
	done
}

# --- container nodes (cnt) -----------------------------------------------------
# For the cnt tests (tests/integration/9[67]-cnt*.sh). Each test builds its own
# busybox image in TMP and points VNL_IMAGES at it, so the vnld that the first
# vnl command starts finds it (vnld inherits VNL_IMAGES from that vnl).

CNT_IMAGE=

# cnt_test_init NAME: vnl_test_init, then skip when the host lacks crun,
# overlayfs or loop devices; build the busybox image (CNT_IMAGE) and export
# VNL_IMAGES; put cnt_teardown in front of the EXIT trap.
cnt_test_init() {
	vnl_test_init "$1"
	command -v crun >/dev/null 2>&1 || skip_all "crun is not installed (apt-get install crun)"
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
	grep -qw overlay /proc/filesystems || skip_all "the kernel has no overlayfs"
	[ -e /dev/loop-control ] || modprobe loop 2>/dev/null
	[ -e /dev/loop-control ] || skip_all "the kernel has no loop devices (/dev/loop-control)"
	need_cmd losetup findmnt debugfs python3
	[ -x "$VNL_BUILD_DIR/vnl-init" ] || bail "$VNL_BUILD_DIR/vnl-init is not built"
	local out t0=$SECONDS
	out=$("$VNL_SOURCE_DIR/image_scripts/busybox-image" --out "$TMP/images" 2>&1) ||
		bail "busybox-image --out $TMP/images failed: $(tail -n 5 <<<"$out")"
	CNT_IMAGE=$TMP/images/busybox.ext4
	[ -s "$CNT_IMAGE" ] || bail "busybox-image made no $CNT_IMAGE"
	export VNL_IMAGES=$TMP/images
	diag "busybox image $CNT_IMAGE built in $((SECONDS - t0)) s"
	trap _cnt_cleanup EXIT
}

# cnt_leftovers LAB: one line per thing of the lab's containers still on the
# host (empty when none): mounts under its state folder, loop devices of
# CNT_IMAGE, its crun state root, processes with vnl.LAB. on their command
# line, cgroup folders vnl.LAB.* (any hierarchy, hybrid hosts included).
cnt_leftovers() {
	local l=$1 p cmd
	awk -v d="/var/lib/vnetlab/$l/" 'index($5 "/", d) == 1 {print "mount " $5}' /proc/self/mountinfo
	[ -n "$CNT_IMAGE" ] && losetup -j "$CNT_IMAGE" 2>/dev/null | sed 's/^/loop /'
	[ -e "/run/vnetlab/$l/crun" ] && echo "crun state /run/vnetlab/$l/crun"
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		cmd=$( { tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null) || continue
		case "$cmd" in *"vnl.$l."*) alive "$p" && echo "process $p: $cmd" ;; esac
	done
	find /sys/fs/cgroup -maxdepth 3 -type d -name "vnl.$l.*" 2>/dev/null | sed 's/^/cgroup /'
}

# cnt_teardown LAB: vnl stop, then remove what is left of the lab's
# containers (crun delete --force, unmount deepest first, cgroup folders),
# before lab_teardown removes its folders (never rm -rf through a mount).
cnt_teardown() {
	local l=$1 id m
	if [ -S "/run/vnetlab/$l/vnld.sock" ]; then
		timeout 30 "$VNL_BIN" --lab "$l" stop >/dev/null 2>&1
	fi
	if [ -d "/run/vnetlab/$l/crun" ]; then
		for id in $(crun --root "/run/vnetlab/$l/crun" list -q 2>/dev/null); do
			echo "# cleanup: crun delete --force $id"
			timeout 10 crun --root "/run/vnetlab/$l/crun" delete --force "$id" >/dev/null 2>&1
		done
	fi
	for m in $(awk -v d="/var/lib/vnetlab/$l/" 'index($5 "/", d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		echo "# cleanup: umount $m"
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	find /sys/fs/cgroup -maxdepth 3 -depth -type d -name "vnl.$l.*" -exec rmdir {} \; 2>/dev/null
}

_cnt_cleanup() {
	local rc=$? l
	set +e
	for l in "${_LABS[@]}"; do
		[ "$_FAILS" != 0 ] && dump_logs "$l"
		cnt_teardown "$l"
	done
	_FAILS=0   # logs shown once
	(exit "$rc")
	_vnl_cleanup
}

# pty_run TIMEOUT INPUT CMD...: run CMD on a new pseudo-terminal (python3's
# pty module), type INPUT once it has printed something (or after 1 s),
# print everything it wrote; exit with its status (124 when it outlived
# TIMEOUT seconds and was killed).
pty_run() {
	python3 - "$@" <<'PY'
import os, pty, select, sys, time
tmo, inp, cmd = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, sent, t0, st = b"", not inp, time.time(), None
while st is None:
    if time.time() - t0 > tmo:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(out + b"\n[pty_run: timeout]\n")
        sys.exit(124)
    r = select.select([fd], [], [], 0.1)[0]
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        out += d
    if not sent and (out or time.time() - t0 > 1):
        os.write(fd, inp)
        sent = True
    p, s = os.waitpid(pid, os.WNOHANG)
    if p:
        st = s
while select.select([fd], [], [], 0.2)[0]:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
