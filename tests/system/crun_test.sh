#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the config.json of endpoints/oci.c runs under the real crun:
# the container gets the given hostname, lives in OUR named netns (sees its
# address), has NET_ADMIN in effect, passes exec exit statuses back, and
# kill + delete leave no crun state and no process.
#
# Operations:
#   1. host: setup_cgroup_for_crun (scripts/lib/host-setup.sh), else skip
#   2. a busybox rootfs folder; netns vtcPID with a veth end 10.77.0.2/24
#   3. oci_gen writes the bundle's config.json; crun run -d
#   4. exec: hostname, ip addr, ip link set lo down, sh -c 'exit 3'
#   5. crun kill + delete; the state root is empty, the process gone;
#      the trap removes the netns and the check follows it
#
# TAP output; a host without root, crun or busybox prints "1..0 # SKIP".

SRC=${VNL_SOURCE_DIR:-$(dirname "$0")/../..}
BUILD=${VNL_BUILD_DIR:-$SRC/build}
OCI_GEN=$BUILD/oci_gen
T=0 FAILED=0

ok()      { T=$((T + 1)); echo "ok $T - $1"; }
not_ok()  { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - $1"; [[ -z $2 ]] || echo "# $2"; }
check()   { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[[ $(id -u) == 0 ]] || skip_all "needs root"
command -v crun >/dev/null || skip_all "crun is not installed"
[[ -x /bin/busybox ]] || skip_all "busybox-static (/bin/busybox) is not installed"
[[ -x $OCI_GEN ]] || skip_all "$OCI_GEN is not built"
. "$SRC/scripts/lib/host-setup.sh"
setup_cgroup_for_crun >/dev/null 2>"${TMPDIR:-/tmp}/crun_test.$$.err" ||
	skip_all "cgroup layout not usable by crun: $(<"${TMPDIR:-/tmp}/crun_test.$$.err")"
rm -f "${TMPDIR:-/tmp}/crun_test.$$.err"

TMP=$(mktemp -d /tmp/crun_test.XXXXXX)
STATE=$TMP/state BUNDLE=$TMP/bundle ROOTFS=$TMP/rootfs
NAME=vtcrun$$ NS=vtcrun$$ HOST=vtc$$a INNER=vtc$$b
SLEEP=$((100000 + $$))   # a sleep length that names our container's init
HN=vtbox$$

cleanup() {
	crun --root "$STATE" kill "$NAME" KILL 2>/dev/null
	crun --root "$STATE" delete -f "$NAME" 2>/dev/null
	ip link del "$HOST" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- 2. rootfs and netns ------------------------------------------------------
mkdir -p "$ROOTFS"/{bin,proc,dev,sys,run,tmp,etc} "$BUNDLE" "$STATE"
cp /bin/busybox "$ROOTFS/bin/busybox"
for a in sh sleep ip hostname cat ping; do ln -s busybox "$ROOTFS/bin/$a"; done
ip netns add "$NS" &&
	ip link add "$HOST" type veth peer name "$INNER" netns "$NS" &&
	ip -n "$NS" addr add 10.77.0.2/24 dev "$INNER" &&
	ip -n "$NS" link set "$INNER" up && ip -n "$NS" link set lo up
check "netns $NS with $INNER 10.77.0.2/24" test $? = 0

# --- 3. config.json and run ---------------------------------------------------
check "oci_gen writes the bundle's config.json" \
	"$OCI_GEN" --root "$ROOTFS" --netns "/run/netns/$NS" --hostname "$HN" --env VNL_TEST=1 \
	--bundle "$BUNDLE" -- /bin/sleep "$SLEEP"
# The container inherits run's stdio: keep meson's pipes out of it.
crun --root "$STATE" run -d --bundle "$BUNDLE" "$NAME" </dev/null >/dev/null 2>"$TMP/run.err"
rc=$?
if [[ $rc != 0 ]]; then
	not_ok "crun run -d starts the container" "$(<"$TMP/run.err")"
	echo "1..$T"
	exit 1
fi
ok "crun run -d starts the container"
state=$(crun --root "$STATE" state "$NAME" 2>&1)
check "crun state says running" grep -q '"status": *"running"' <<<"$state"

# --- 4. exec --------------------------------------------------------------------
out=$(crun --root "$STATE" exec "$NAME" hostname 2>&1)
check "exec hostname gives $HN (got '$out')" test "$out" = "$HN"
out=$(crun --root "$STATE" exec "$NAME" ip addr 2>&1)
check "exec ip addr shows the netns' 10.77.0.2/24 on $INNER" grep -q "inet 10.77.0.2/24 .*$INNER" <<<"$out"
out=$(crun --root "$STATE" exec "$NAME" cat /proc/1/cmdline 2>&1 | tr '\0' ' ')
check "the container's pid 1 is its init (got '$out')" test "$out" = "/bin/sleep $SLEEP "
out=$(crun --root "$STATE" exec "$NAME" sh -c 'echo $VNL_TEST $TERM' 2>&1)
check "exec sees the config's environment (got '$out')" test "$out" = "1 xterm"
crun --root "$STATE" exec "$NAME" ip link set lo down 2>"$TMP/exec.err"
rc=$? err=$(<"$TMP/exec.err")
check "exec ip link set lo down works (NET_ADMIN effective)${err:+: $err}" test $rc = 0
check "lo is down in the netns, seen from the host" \
	sh -c "ip -n '$NS' -o link show lo | grep -qv 'state UP'"
crun --root "$STATE" exec "$NAME" sh -c 'exit 3' 2>/dev/null
rc=$?
check "exec passes the exit status back (3, got $rc)" test "$rc" = 3

# --- 5. kill, delete, nothing left ------------------------------------------------
crun --root "$STATE" kill "$NAME" KILL 2>"$TMP/kill.err"
rc=$? err=$(<"$TMP/kill.err")
check "crun kill${err:+: $err}" test $rc = 0
for _ in $(seq 50); do
	grep -q '"status": *"stopped"' <<<"$(crun --root "$STATE" state "$NAME" 2>/dev/null)" && break
	sleep 0.1
done
crun --root "$STATE" delete "$NAME" 2>"$TMP/del.err"
rc=$? err=$(<"$TMP/del.err")
check "crun delete${err:+: $err}" test $rc = 0
check "crun state root is empty" test -z "$(ls -A "$STATE")"
# Anchored: the pattern must not match the pgrep command line itself.
check "no process of the container is left" sh -c "! pgrep -f '^/bin/sleep $SLEEP' >/dev/null"
cleanup
trap - EXIT
check "netns $NS is removed" sh -c "! ip netns list | grep -qw '$NS'"
check "veth $HOST is removed" sh -c "! ip link show '$HOST' 2>/dev/null | grep -q ."

echo "1..$T"
((FAILED == 0))
