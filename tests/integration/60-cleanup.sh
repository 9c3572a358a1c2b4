#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: vnl-switchd cleans up after itself. On SIGTERM it exits
# promptly and removes its control socket, its vhost server sockets and its
# XDP programs, even with a peer connected. After kill -9 the next start
# handles the stale control socket, and no hugepage file is left behind
# (the switch runs with --in-memory). A second switch does not take over the
# socket of a live one.
#
# Operations:
#   1. record /dev/hugepages; start a switch; add vhost server ports s0 s1, a
#      client-mode port c0, an afxdp port on namespace 1's veth and an
#      AF_PACKET one on namespace 2's; attach them to a LAN; connect a
#      vhost_peer to s0 (held)
#   2. SIGTERM: the switch exits within 10 s; the control socket, s0.sock
#      and s1.sock are gone; the veth has no XDP program left
#   3. start again, add a vhost port, kill -9: the control socket stays
#      (stale); /dev/hugepages holds no new file
#   4. start again on the same socket path: it answers; ports can be added
#   5. a second switch on the same socket path must fail to start, and the
#      first keeps answering on the socket

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 60-cleanup
need_hugepages 256
need_xdp
need_cmd ethtool

# Hugepage files on every hugetlbfs mount. Other programs on the host may
# add or remove their own meanwhile, so only two kinds count against the
# switch: files it had mapped, and new files with DPDK's default prefix
# "rte" (the switch sets no --file-prefix).
huge_mounts() { awk '$3 == "hugetlbfs" {print $2}' /proc/mounts; }
huge_files() {
	local mounts
	mapfile -t mounts < <(huge_mounts)
	find "${mounts[@]}" -maxdepth 1 -type f 2>/dev/null | sort
}
mapped_huge_files() { # PID
	local m
	for m in $(huge_mounts); do
		awk -v m="$m/" 'index($6, m) == 1 {print $6}' "/proc/$1/maps" 2>/dev/null
	done | sort -u
}
# check_huge WHEN MAPPED: fail if a mapped file or a new rte* file is left.
check_huge() {
	local f left=
	for f in $2; do
		[ -e "$f" ] && left="$left $f"
	done
	for f in $(comm -13 <(echo "$huge_before") <(huge_files)); do
		case $(basename "$f") in
		rte*) left="$left $f" ;;
		*) log "note: $f appeared meanwhile (not the switch's prefix)" ;;
		esac
	done
	[ -z "$left" ] || fail "$1 left hugepage files:$left"
}
xdp_on() { ip -d link show dev "$1" | grep -qE 'prog/xdp|xdpgeneric|xdpdrv|xdp '; }
huge_before=$(huge_files)

# --- 1. a switch with every kind of port, a peer connected ---
switchd_start
L=$PFX-L
sw_ok lan-add "name=$L" >/dev/null
sw_ok port-add "name=$PFX-s0" kind=vhost "path=$TMP/s0.sock" >/dev/null
sw_ok port-add "name=$PFX-s1" kind=vhost "path=$TMP/s1.sock" >/dev/null
sw_ok port-add "name=$PFX-c0" kind=vhost "path=$TMP/c0.sock" mode=client >/dev/null
ns_pair 1 10.77.60.1/24
ns_pair 2 10.77.60.2/24
r=$(sw_ok port-add "name=$PFX-x1" kind=afxdp "iface=$(ns_host 1)")
jq_assert "afxdp port" "$r" '.port.backend == "af_xdp"'
sw_ok port-add "name=$PFX-x2" kind=afxdp "iface=$(ns_host 2)" xdp=false >/dev/null
for p in s0 s1 c0 x1 x2; do
	sw_ok attach "port=$PFX-$p" "lan=$L" >/dev/null
done
xdp_on "$(ns_host 1)" || log "note: no XDP program visible on $(ns_host 1) while the port exists"
[ -S "$TMP/s0.sock" ] && [ -S "$TMP/s1.sock" ] || fail "vhost server sockets missing"
peer_start peer "$TMP/s0.sock" -- wait-link 0 hold
wait_until 15 port_is_up "$PFX-s0" || fail "peer did not connect: $(port_json "$PFX-s0")"

# --- 2. SIGTERM ---
pid=$SWPID
mapped=$(mapped_huge_files "$pid")
switchd_stop || fail "SIGTERM did not stop the switch cleanly (see above)"
pass "SIGTERM: exited within 10 s and removed the control socket"
for s in s0 s1; do
	[ -e "$TMP/$s.sock" ] && fail "SIGTERM left the vhost server socket $TMP/$s.sock"
done
pass "SIGTERM: vhost server sockets removed"
xdp_on "$(ns_host 1)" && fail "SIGTERM left an XDP program on $(ns_host 1): $(ip -d link show dev "$(ns_host 1)")"
ifindex=$(cat "/sys/class/net/$(ns_host 1)/ifindex")
ls -d /sys/fs/bpf/xdp/dispatch-"$ifindex"-* >/dev/null 2>&1 &&
	fail "SIGTERM left libxdp dispatcher pins for ifindex $ifindex in /sys/fs/bpf/xdp"
pass "SIGTERM: no XDP program left on the interface"
alive "$pid" && fail "switch process $pid still running"
stop_pid "$PEER_PID"
check_huge SIGTERM "$mapped"

# --- 3. kill -9 ---
switchd_start
sw_ok port-add "name=$PFX-k0" kind=vhost "path=$TMP/k0.sock" >/dev/null
mapped=$(mapped_huge_files "$SWPID")
[ -n "$mapped" ] && log "note: the switch maps hugepage files: $mapped"
kill -KILL "$SWPID"
wait "$SWPID" 2>/dev/null
SWPID=
[ -S "$SOCK" ] || log "note: no stale control socket after kill -9 (nothing to recover from)"
check_huge "kill -9" "$mapped"
pass "kill -9 leaves no hugepage file in /dev/hugepages"

# --- 4. start over a stale socket ---
rm -f "$TMP/k0.sock" # a stale vhost socket is not the switch's to judge
switchd_start
r=$(sw_ok version)
jq_assert "version after a stale socket" "$r" '(.version | length > 0) and (.dpdk | length > 0)'
sw_ok port-add "name=$PFX-k0" kind=vhost "path=$TMP/k0.sock" >/dev/null
jq_assert "fresh state after restart" "$(sw_ok show-ports)" "[.ports[].name] == [\"$PFX-k0\"]"
pass "a stale control socket is handled on the next start"

# --- 5. a second switch on a live socket ---
"$SWITCHD_BIN" --socket "$SOCK" --main-core 0 --worker-cores 1 >"$TMP/second.log" 2>&1 &
SECOND=$!
bg_track "$SECOND"
for ((i = 0; i < 300; i++)); do
	alive "$SECOND" || break
	sleep 0.1
done
if alive "$SECOND"; then
	fail "a second vnl-switchd on the live socket $SOCK is still running after 30 s"
fi
wait "$SECOND"
rc=$?
[ "$rc" != 0 ] || fail "a second vnl-switchd on a live socket exited 0"
r=$(sw_ok show-ports)
jq_assert "first switch still answers" "$r" "[.ports[].name] == [\"$PFX-k0\"]"
pass "a second switch does not take over a live control socket (exit $rc)"
exit 0
