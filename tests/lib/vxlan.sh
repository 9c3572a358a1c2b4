# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/lib/vxlan.sh: the VXLAN underlay network of the switch-level tests
# (docs/plans/vxlan.md section 4), on top of tests/lib/switchd.sh (source
# that first: its EXIT trap removes the namespaces made here).
#
# vx_net NAME N: namespace NAME-net with a Linux bridge br0 (the wire), and
# "hosts" NAME-h1 .. NAME-hN, each with a veth uI (in the host) whose peer
# pI is a port of br0: 192.0.2.I/24 and 2001:db8::I/64 (nodad) on uI, up,
# UDP-tunnel GSO off (a Linux peer must not send 64 KB outer frames to an
# XDP program, plan section 1). Every uI/pI gets an explicit ifindex from
# VX_IDX (set here, distinct per run): libxdp pins its dispatcher by ifindex
# in the one bpffs of the host, so two namespaces must not share an index.
# Sets VX_NET (the bridge's namespace) and VX_H (the host namespaces'
# prefix: host I is "$VX_H$I").

VX_NET=
VX_H=
VX_IDX=

vx_net() {
	local name=$1 n=$2 i
	[ "$n" -le 7 ] || fail "vx_net: at most 7 hosts"
	VX_NET=$name-net
	VX_H=$name-h
	VX_IDX=$((100000 + ($$ % 100000) * 16))  # 16 indexes per pid: hosts 1..7
	ip netns add "$VX_NET" || fail "ip netns add $VX_NET"
	_NETNS+=("$VX_NET")
	ip -n "$VX_NET" link set lo up
	ip -n "$VX_NET" link add br0 type bridge || fail "bridge in $VX_NET"
	ip -n "$VX_NET" link set br0 up
	for ((i = 1; i <= n; i++)); do
		ip netns add "$VX_H$i" || fail "ip netns add $VX_H$i"
		_NETNS+=("$VX_H$i")
		ip -n "$VX_H$i" link set lo up
		ip -n "$VX_H$i" link add "u$i" index $((VX_IDX + i * 2)) type veth \
			peer name "p$i" index $((VX_IDX + i * 2 + 1)) netns "$VX_NET" ||
			fail "veth u$i (index $((VX_IDX + i * 2))) in $VX_H$i"
		ip -n "$VX_NET" link set "p$i" master br0 up || fail "p$i into br0"
		# IPv6 addresses stay when a test takes the link down and up.
		ip netns exec "$VX_H$i" sysctl -qw "net.ipv6.conf.u$i.keep_addr_on_down=1"
		ip -n "$VX_H$i" addr add "192.0.2.$i/24" dev "u$i" || fail "192.0.2.$i on u$i"
		ip -n "$VX_H$i" addr add "2001:db8::$i/64" dev "u$i" nodad || fail "2001:db8::$i on u$i"
		ip netns exec "$VX_H$i" ethtool -K "u$i" tx-udp_tnl-segmentation off \
			tx-udp_tnl-csum-segmentation off >/dev/null 2>&1
		ip -n "$VX_H$i" link set "u$i" up || fail "u$i up"
	done
}

# vx_send I SRC DST PAYLOAD_HEX [PORT]: one UDP datagram from SRC (an
# address of host I) to DST:PORT (4789), sent by host I's kernel.
vx_send() {
	ip netns exec "$VX_H$1" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], int(sys.argv[4])))' "$2" "$3" "$4" "${5:-4789}" ||
		fail "sending from $2 in $VX_H$1"
}

# vx_mac I: the MAC of uI in host I.
vx_mac() { ip netns exec "$VX_H$1" cat "/sys/class/net/u$1/address"; }

# vx_pins_on_exit IDX...: libxdp pins its dispatcher per ifindex in the
# host's one bpffs, and a run that ends with our program attached (a
# failure, a killed switch) leaves those pins behind. Installs the EXIT
# trap: stop the switch, delete the namespaces (their interfaces), remove
# the pins of the ifindexes IDX (accumulated over calls), then
# switchd.sh's cleanup. After vnl_init.
_VX_PINS=()
vx_pins_on_exit() {
	_VX_PINS+=("$@")
	trap _vx_cleanup EXIT
}

# shellcheck disable=SC2317 # called by the EXIT trap
_vx_cleanup() {
	local rc=$? p
	if [ -n "$SWPID" ] && ! switchd_stop; then
		rc=1
		_FAILED=1
	fi
	for p in "${_NETNS[@]}"; do
		ip netns del "$p" 2>/dev/null
	done
	for p in "${_VX_PINS[@]}"; do
		rm -rf /sys/fs/bpf/xdp/dispatch-"$p"-*
	done
	(exit "$rc")
	_vnl_cleanup
}
