#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: tap ports wait in their worker's epoll set (docs/switchd.md,
# "Threads"): idle taps cost the switch nothing (many idle taps keep it
# under the same CPU bound as none), a frame on a tap wakes a sleeping
# worker at once, and the set follows the ports: deleted ports (and the fd
# numbers their successors reuse) and a tap device deleted under its port
# neither break forwarding nor keep the worker awake. A functional bound,
# not a speed figure: before the epoll set, 256 idle taps cost ~25 % of a
# core on the test host (one read per tap per iteration), now ~2 %.
#
# Operations:
#   1. switch, --poll adaptive (default sleeps); no port: CPU over 3 s
#      below CPU_MAX % of one core
#   2. namespaces 1 and 2 with a tap eth0 on LAN A; namespace 3 with
#      N_IDLE taps (up, IPv6 off, nothing sends) as ports on LAN I: CPU
#      below CPU_MAX %; ping 1 -> 2
#   3. port-del of half the idle ports, port-del + port-add of t2 (its fd
#      number is reused): ping 1 -> 2, CPU below CPU_MAX %
#   4. a tap deleted in namespace 3 under its port: the port goes down
#      (the fd's error wakes the worker), CPU below CPU_MAX %, ping 1 -> 2
#   5. restart with --idle-sleep-max-us 100000 (sleeps up to 100 ms): after
#      idle seconds, ping 1 -> 2 every 0.7 s: median RTT below 20 ms (a
#      worker that slept through frames gives ~50 ms)

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 71-tap-idle
need_hugepages 128
need_cmd ping
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

N_IDLE=${N_IDLE:-256}
CPU_MAX=${CPU_MAX:-10}
NS3=$(ns_name 3)

# cpu_pct SECONDS: the switch's CPU (user + system) over SECONDS, in % of one core.
cpu_pct() {
	local t0 t1
	t0=$(sed 's/.*) //' "/proc/$SWPID/stat" | awk '{ print $12 + $13 }')
	sleep "$1"
	t1=$(sed 's/.*) //' "/proc/$SWPID/stat" | awk '{ print $12 + $13 }')
	echo $(((t1 - t0) * 100 / $1 / $(getconf CLK_TCK)))
}

# cpu_check WHAT: the idle switch stays below CPU_MAX %.
cpu_check() {
	local c
	c=$(cpu_pct 3)
	log "$1: switch CPU $c % of a core (bound $CPU_MAX %), $(sw_ok show-workers | jq -c '[.workers[] | {sleeps, iterations}]')"
	[ "$c" -lt "$CPU_MAX" ] || fail "$1: the idle switch used $c % of a core (bound $CPU_MAX %)"
}

add_tap() { # NAME NETNS IFACE LAN
	sw_ok port-add "name=$1" kind=tap "netns=/run/netns/$2" "iface=$3" >/dev/null
	sw_ok attach "port=$1" "lan=$4" >/dev/null
}

setup_ab() {
	sw_ok lan-add "name=$PFX-A" >/dev/null
	add_tap "$PFX-t1" "$(ns_name 1)" eth0 "$PFX-A"
	add_tap "$PFX-t2" "$(ns_name 2)" eth0 "$PFX-A"
}

# --- 1. no port ---
switchd_start --poll adaptive
sleep 1
cpu_check "no port"
pass "an idle switch without ports stays below $CPU_MAX % of a core"

# --- 2. many idle taps ---
tap_ns 1 10.77.71.1/24
tap_ns 2 10.77.71.2/24
ip netns add "$NS3" || fail "ip netns add $NS3"
_NETNS+=("$NS3")
ip netns exec "$NS3" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
setup_ab
sw_ok lan-add "name=$PFX-I" >/dev/null
for ((k = 0; k < N_IDLE; k++)); do
	if ! ip -n "$NS3" tuntap add dev "i$k" mode tap vnet_hdr || ! ip -n "$NS3" link set "i$k" up; then
		fail "tap i$k in $NS3"
	fi
	add_tap "$PFX-i$k" "$NS3" "i$k" "$PFX-I"
done
ping_ok 1 10.77.71.2 3
sleep 1
cpu_check "$N_IDLE idle taps"
pass "$N_IDLE idle tap ports keep the switch below $CPU_MAX % of a core"

# --- 3. ports leave the set ---
for ((k = 0; k < N_IDLE; k += 2)); do
	sw_ok port-del "name=$PFX-i$k" >/dev/null
done
sw_ok port-del "name=$PFX-t2" >/dev/null
add_tap "$PFX-t2" "$(ns_name 2)" eth0 "$PFX-A"
ping_ok 1 10.77.71.2 3
cpu_check "after $((N_IDLE / 2)) port-del and t2 re-added"
pass "deleted ports leave the epoll set; a re-added port (its fd number reused) forwards"

# --- 4. a tap deleted under its port ---
ip -n "$NS3" link del i1 || fail "ip link del i1 in $NS3"
wait_until 5 port_is_down "$PFX-i1" >/dev/null || fail "port $PFX-i1 still up after its tap was deleted: $(port_json "$PFX-i1")"
cpu_check "a deleted tap under port $PFX-i1"
ping_ok 1 10.77.71.2 3
pass "a tap deleted under its port: link down, no busy worker, others forward"
switchd_stop || fail "switch did not stop cleanly"

# --- 5. a frame wakes the sleeping worker ---
switchd_start --poll adaptive --idle-sleep-max-us 100000
setup_ab
ping_ok 1 10.77.71.2 2
sleep 2
out=$(nsx 1 ping -n -c 7 -i 0.7 -W 2 10.77.71.2 2>&1)
rtt=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | sort -n | sed -n 4p)
log "ping RTTs (ms): $(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | tr '\n' ' ')"
[ -n "$rtt" ] || fail "ping 1 -> 2 got fewer than 4 answers: $(grep transmitted <<<"$out")"
awk -v r="$rtt" 'BEGIN { exit !(r < 20) }' ||
	fail "median RTT $rtt ms with 100 ms sleeps: the worker slept through the frames"
pass "a frame on a tap wakes the sleeping worker (median RTT $rtt ms)"
exit 0
