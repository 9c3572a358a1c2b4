# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/switchd.sh: shared helpers for the vnl-switchd integration tests.
#
# A test sources this file, then calls `vnl_init NAME` first. From then on
# everything the test creates through these helpers (a private vnl-switchd,
# network namespaces, veth pairs, background processes, the temp dir) is
# removed by an EXIT trap, whatever way the test ends. The trap also stops
# the switch with SIGTERM (SIGKILL after 10 s) and fails the test if the
# switch did not exit in time or left its control socket behind.
#
# Conventions:
#   exit 0 pass, 1 fail (`fail MSG`), 77 skip (`skip MSG`, only when the host
#   lacks something: not root, no hugepages, no AF_XDP).
#   Names: $PFX is unique per run ("v" + test number + 4 hex digits, 7
#   chars), so interface, netns and switch object names never collide with
#   another run; interface names stay under 15 characters.
#
# Variables set by vnl_init: TEST_NAME, TMP (private temp dir), PFX.
# Variables set by switchd_start: SOCK (control socket), SWPID, and SWCTL
# (a shell command line for child processes: "$VNL_BUILD_DIR/vnl-swctl -s SOCK").
# Set by nsx_bg: BG_PID; by peer_start: PEER_PID. Programs: SWITCHD_BIN,
# SWCTL_BIN, VHOST_PEER, UDP_FLOW (all in VNL_BUILD_DIR).

set -u
set -o pipefail

VNL_SOURCE_DIR=${VNL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VNL_BUILD_DIR=${VNL_BUILD_DIR:-$VNL_SOURCE_DIR/build}
# shellcheck source=snmp.sh
. "$VNL_SOURCE_DIR/tests/lib/snmp.sh"
SWITCHD_BIN=$VNL_BUILD_DIR/vnl-switchd
SWCTL_BIN=$VNL_BUILD_DIR/vnl-swctl
VHOST_PEER=$VNL_BUILD_DIR/vhost_peer
# shellcheck disable=SC2034 # used by the tests
UDP_FLOW=$VNL_BUILD_DIR/udp_flow

TEST_NAME=
TMP=
PFX=
SOCK=
SWPID=
SWCTL=
_NETNS=()     # namespaces to delete
_LINKS=()     # host-side links to delete
_BG_PIDS=()   # background processes to stop
_FAILED=0     # set by fail() so the trap can print the switch log

# --- reporting ---------------------------------------------------------------

log() { echo "# $*"; }
pass() { echo "ok - $*"; }
# fail MSG: end the test as failed. Called in a subshell (a $(...) or a
# pipeline), it also signals the test's main shell, which then exits too.
fail() {
	_FAILED=1
	echo "FAIL: $*" >&2
	[ "$BASHPID" != "$$" ] && kill -USR1 $$ 2>/dev/null
	exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }

# soft_fail MSG: record a failure and go on (the test calls soft_check
# later), so one run reports every refused-input check that went wrong.
soft_fail() {
	echo "FAIL: $*" >&2
	echo "$*" >>"$TMP/soft-failures"
}

# soft_check WHAT: fail if soft_fail recorded anything.
soft_check() {
	[ -s "$TMP/soft-failures" ] || return 0
	fail "$(wc -l <"$TMP/soft-failures") $1 check(s) failed:
$(cut -c1-240 "$TMP/soft-failures")"
}

# need_cmd CMD...: fail (not skip) when a tool the test relies on is missing;
# they are all in the project's package list.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "missing command '$c' (see scripts/install)"
	done
}

# need_hugepages N: skip unless N free 2 MiB hugepages are there.
need_hugepages() {
	local free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge "$1" ] ||
		skip "needs $1 free 2 MiB hugepages, host has ${free:-0} (echo 1024 > /proc/sys/vm/nr_hugepages)"
}

# need_xdp: skip unless the kernel has AF_XDP sockets.
need_xdp() {
	grep -q ' xsk_' /proc/kallsyms 2>/dev/null || skip "kernel has no AF_XDP (XDP sockets) support"
}

# --- setup and teardown ------------------------------------------------------

# vnl_init NAME: check the basics, make TMP and PFX, install the cleanup trap.
vnl_init() {
	TEST_NAME=$1
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth, hugepages)"
	[ -x "$SWITCHD_BIN" ] || fail "$SWITCHD_BIN is not built"
	[ -x "$SWCTL_BIN" ] || fail "$SWCTL_BIN is not built"
	need_cmd jq ip socat
	TMP=$(mktemp -d "/tmp/vnl-$TEST_NAME.XXXXXX") || fail "mktemp"
	local n=${TEST_NAME%%-*}
	while :; do
		PFX=$(printf 'v%s%04x' "$n" $(((RANDOM << 1 ^ $$ ^ RANDOM) & 0xffff)))
		ip -o link show 2>/dev/null | grep -q ": $PFX" && continue
		ip netns list 2>/dev/null | grep -q "^$PFX" && continue
		break
	done
	trap _vnl_cleanup EXIT
	trap 'exit 1' INT TERM HUP USR1
	log "$TEST_NAME: prefix $PFX, temp dir $TMP"
}

# bg_track PID: stop PID (TERM, then KILL) at cleanup.
bg_track() { _BG_PIDS+=("$1"); }

# alive PID: true while PID runs (zombies count as gone).
alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# stop_pid PID [SIGNAL]: signal PID, wait up to 5 s, then SIGKILL.
stop_pid() {
	local pid=$1 i
	alive "$pid" || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

_vnl_cleanup() {
	local rc=$? p
	set +e
	trap - EXIT
	for p in "${_BG_PIDS[@]}"; do
		stop_pid "$p"
	done
	if [ -n "$SWPID" ]; then
		if ! switchd_stop; then
			[ "$rc" = 0 ] && rc=1
			_FAILED=1
		fi
	fi
	for p in "${_NETNS[@]}"; do
		ip netns del "$p" 2>/dev/null
	done
	for p in "${_LINKS[@]}"; do
		ip link del "$p" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] || [ "$_FAILED" = 1 ]; then
		for p in "$TMP"/*.log; do
			[ -f "$p" ] || continue
			echo "----- last lines of $(basename "$p") -----" >&2
			tail -n 40 "$p" >&2
		done
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	# DPDK runtime folders of our vhost peers (a peer killed by a signal
	# cannot remove its own).
	[ -n "$PFX" ] && rm -rf /var/run/dpdk/"$PFX"*
	[ "$rc" = 0 ] && echo "PASS: $TEST_NAME"
	exit "$rc"
}

# --- the switch --------------------------------------------------------------

# switchd_start [ARGS...]: start a private vnl-switchd on $TMP/sw.sock (main
# lcore 0, one worker on lcore 1) with extra ARGS; wait until it answers.
switchd_start() {
	SOCK=${SOCK:-$TMP/sw.sock}
	SWCTL="$SWCTL_BIN -s $SOCK"
	export SWCTL
	# VNL_SWITCHD_ARGS: extra options for a whole test run (e.g. two workers).
	# shellcheck disable=SC2086 # word splitting wanted
	"$SWITCHD_BIN" --socket "$SOCK" --main-core 0 --worker-cores 1 ${VNL_SWITCHD_ARGS:-} "$@" \
		>>"$TMP/switchd.log" 2>&1 &
	SWPID=$!
	local i
	for ((i = 0; i < 150; i++)); do
		alive "$SWPID" || { SWPID=; fail "vnl-switchd exited during start-up (args: $*)"; }
		"$SWCTL_BIN" -s "$SOCK" version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "vnl-switchd did not answer 'version' within 30 s"
}

# switchd_stop: SIGTERM the switch, wait up to 10 s (then SIGKILL and fail);
# fail if the control socket is still there after a clean exit.
switchd_stop() {
	local pid=$SWPID i
	[ -n "$pid" ] || return 0
	SWPID=
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "FAIL: vnl-switchd did not exit within 10 s of SIGTERM (killed)" >&2
		return 1
	fi
	wait "$pid" 2>/dev/null
	if [ -e "$SOCK" ]; then
		echo "FAIL: vnl-switchd left its control socket $SOCK after SIGTERM" >&2
		rm -f "$SOCK"
		return 1
	fi
	return 0
}

# swctl ARGS...: run vnl-swctl against the private switch.
swctl() { "$SWCTL_BIN" -s "$SOCK" "$@"; }

# sw_ok ARGS...: the request must succeed; prints the reply.
sw_ok() {
	local out rc
	out=$(swctl "$@" 2>"$TMP/swctl.err")
	rc=$?
	[ "$rc" = 0 ] && jq -e '.ok == true' >/dev/null 2>&1 <<<"$out" ||
		fail "vnl-swctl $*: exit $rc, reply: $out (expected ok:true)"
	printf '%s\n' "$out"
}

# _check_err DESC RC OUT: an error reply with exit status 1. With SOFT=1
# a mismatch is recorded by soft_fail instead of ending the test.
SOFT=0
_check_err() {
	[ "$2" = 1 ] && jq -e '.ok == false and (.error | type == "string" and length > 0)' \
		>/dev/null 2>&1 <<<"$3" && return 0
	local msg
	msg="$1: exit $2, reply: $(jq -c . <<<"$3" 2>/dev/null || echo "$3") (expected exit 1 and {\"ok\":false,\"error\":\"...\"})"
	[ "$SOFT" = 1 ] || fail "$msg"
	soft_fail "$msg"
	return 1
}

# sw_err ARGS...: the request must be refused with a non-empty error message.
sw_err() {
	local out rc
	out=$(swctl "$@" 2>"$TMP/swctl.err")
	rc=$?
	_check_err "vnl-swctl $*" "$rc" "$out" &&
		log "refused as expected: $* -> $(jq -c .error <<<"$out")"
}

# raw_err LINE: send LINE verbatim; it must be refused.
raw_err() {
	local out rc
	out=$(swctl --raw "$1" 2>"$TMP/swctl.err")
	rc=$?
	_check_err "vnl-swctl --raw '$1'" "$rc" "$out" &&
		log "refused as expected: ${1:0:80} -> $(jq -c .error <<<"$out")"
}

# jq_assert DESC JSON FILTER: FILTER must be true on JSON.
jq_assert() {
	jq -e "$3" >/dev/null 2>&1 <<<"$2" || fail "$1: jq '$3' is false on: $2"
}

# port_json NAME: the port's object from show-ports.
port_json() { sw_ok show-ports "name=$1" | jq -c '.ports[0]'; }

# lan_json NAME: the LAN's object from show-lans.
lan_json() { sw_ok show-lans "name=$1" | jq -c '.lans[0]'; }

# workers_check WHAT [exact]: in the runs with several workers
# (VNL_EXPECT_WORKERS=N, set by meson for the -2workers variants), show-workers
# lists N workers, each owning ports and each having received frames since
# the last clear-counters; with "exact", each worker's packets equal the sum
# of rx_packets of the ports it polls (no port was deleted since the clear).
# Without VNL_EXPECT_WORKERS it does nothing.
workers_check() {
	local n=${VNL_EXPECT_WORKERS:-} w both
	[ -n "$n" ] || return 0
	w=$(sw_ok show-workers)
	jq_assert "$1: show-workers lists $n workers" "$w" ".workers | length == $n"
	jq_assert "$1: every worker polls ports and received frames" "$w" \
		"[.workers[] | (.ports | length) > 0 and .packets > 0] | all"
	if [ "${2:-}" = exact ]; then
		both=$(jq -c -n --argjson w "$w" --argjson p "$(sw_ok show-ports)" '{w: $w, p: $p}')
		jq_assert "$1: each worker counted the frames of its ports" "$both" \
			".p.ports as \$ps | [.w.workers[] | .packets ==
			 ([.ports[] as \$n | \$ps[] | select(.name == \$n) | .counters.rx_packets] | add // 0)] | all"
	fi
	pass "$1: $n workers, frames per worker $(jq -c '[.workers[] | .packets]' <<<"$w")"
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# port_is_up NAME / port_is_down NAME: link state from show-ports.
port_is_up() { swctl show-ports "name=$1" | jq -e '.ports[0].link == "up"'; }
port_is_down() { swctl show-ports "name=$1" | jq -e '.ports[0].link == "down"'; }

# --- network namespaces --------------------------------------------------------

# ns_host IDX / ns_name IDX: the host-side veth and the namespace of pair IDX.
ns_host() { echo "${PFX}h$1"; }
ns_name() { echo "${PFX}-ns$1"; }

# ns_pair IDX CIDR: namespace ns_name IDX with eth0 at CIDR, linked by a veth
# pair to host interface ns_host IDX (up, IPv6 off so only the test talks).
# Transmit checksum offload is off in the namespace: AF_XDP on veth hands
# CHECKSUM_PARTIAL frames over with the checksum unfinished.
ns_pair() {
	local ns host
	ns=$(ns_name "$1")
	host=$(ns_host "$1")
	ip netns add "$ns" || fail "ip netns add $ns"
	_NETNS+=("$ns")
	ip link add "$host" type veth peer name "${PFX}e$1" || fail "ip link add $host"
	_LINKS+=("$host")
	ip link set "${PFX}e$1" netns "$ns" || fail "move ${PFX}e$1 to $ns"
	sysctl -qw "net.ipv6.conf.$host.disable_ipv6=1"
	ip link set "$host" up || fail "ip link set $host up"
	ip -n "$ns" link set "${PFX}e$1" name eth0 || fail "rename eth0 in $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" addr add "$2" dev eth0 || fail "address $2 in $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up || fail "eth0 up in $ns"
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 ||
		fail "ethtool -K eth0 tx off in $ns"
}

# tap_ns IDX CIDR: namespace ns_name IDX with a persistent tap eth0 (vnet_hdr)
# at CIDR, up (no carrier until a switch's tap port attaches), IPv6 off.
tap_ns() {
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || fail "ip netns add $ns"
	_NETNS+=("$ns")
	ip -n "$ns" tuntap add dev eth0 mode tap vnet_hdr || fail "ip tuntap add eth0 in $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" addr add "$2" dev eth0 || fail "address $2 in $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up || fail "eth0 up in $ns"
}

# snmp IDX PROTO FIELD: a counter of /proc/net/snmp in namespace IDX
# (e.g. snmp 3 Tcp InCsumErrors).
snmp() { nsx "$1" cat /proc/net/snmp | snmp_field "$2" "$3"; }

# veth_spare NAME: a veth pair NAME <-> NAME"p" left in the host namespace, up.
veth_spare() {
	ip link add "$1" type veth peer name "${1}p" || fail "ip link add $1"
	_LINKS+=("$1")
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" "net.ipv6.conf.${1}p.disable_ipv6=1"
	ip link set "$1" up && ip link set "${1}p" up || fail "ip link set $1 up"
}

# ns_mac IDX: MAC address of eth0 in namespace IDX.
ns_mac() { ip netns exec "$(ns_name "$1")" cat /sys/class/net/eth0/address; }

# nsx IDX CMD...: run CMD inside namespace IDX.
nsx() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# nsx_bg IDX CMD...: run CMD inside namespace IDX in the background; sets
# BG_PID to CMD's own pid (ip netns exec execs it), stopped at cleanup.
nsx_bg() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	bg_track "$BG_PID"
}

# ping_ok IDX ADDR [COUNT]: COUNT pings (default 5) from namespace IDX to
# ADDR must all be answered.
ping_ok() {
	local out
	out=$(nsx "$1" ping -n -q -c "${3:-5}" -i 0.2 -W 2 "$2" 2>&1)
	grep -q ' 0% packet loss' <<<"$out" ||
		fail "ping from $(ns_name "$1") to $2 lost packets: $(grep -E 'transmitted|rtt' <<<"$out" | tr '\n' ' ')"
}

# ping_fails IDX ADDR: no ping from namespace IDX to ADDR is answered.
ping_fails() {
	local out
	out=$(nsx "$1" ping -n -q -c 3 -i 0.2 -W 1 "$2" 2>&1)
	grep -q ' 0 received' <<<"$out" ||
		fail "ping from $(ns_name "$1") to $2 got answers across LANs: $(grep transmitted <<<"$out")"
}

# --- vhost peers ---------------------------------------------------------------

# peer_run NAME ARGS...: run vhost_peer in the foreground (output to
# $TMP/NAME.log, shown on failure); its DPDK file prefix is unique per run.
peer_run() {
	local name=$1
	shift
	[ -x "$VHOST_PEER" ] || fail "$VHOST_PEER is not built"
	"$VHOST_PEER" -P "${PFX}$name" "$@" >"$TMP/$name.log" 2>&1
	local rc=$?
	if [ "$rc" != 0 ]; then
		sed 's/^/#   /' "$TMP/$name.log"
		fail "vhost_peer '$name' failed (exit $rc), its output is above"
	fi
	log "vhost_peer $name: $(tail -n 1 "$TMP/$name.log")"
}

# peer_start NAME ARGS...: the same in the background; sets PEER_PID.
peer_start() {
	local name=$1
	shift
	[ -x "$VHOST_PEER" ] || fail "$VHOST_PEER is not built"
	"$VHOST_PEER" -P "${PFX}$name" "$@" >"$TMP/$name.log" 2>&1 &
	PEER_PID=$!
	bg_track "$PEER_PID"
}

# ports_up_cmd NAME...: a /bin/sh command line (for `vhost_peer wait-sh`) that
# succeeds once every named port shows link up.
ports_up_cmd() {
	local sel="" n
	for n in "$@"; do
		sel="$sel${sel:+ or }.name == \"$n\""
	done
	echo "$SWCTL show-ports | jq -e '[.ports[] | select($sel) | .link] | length == $# and all(. == \"up\")' >/dev/null"
}
