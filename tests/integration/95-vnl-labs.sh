#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: two labs side by side, with the same node names, LAN names and
# addresses, do not see each other: each pings its own nodes only, and
# traffic of one leaves the other's counters alone. `vnl stop` of one leaves
# the other working; after both are stopped nothing of them remains (netns,
# host veths, folders, processes), and `vnl stop` again is fine.
#
# Operations: lab 1: a 10.95.0.1, b 10.95.0.2 on blue. Lab 2: the same plus
# c 10.95.0.3 (IPv6 off in lab 2's nodes so they stay silent). From lab 1's
# a, ping 10.95.0.3 (only lab 2 has it): no answer, lab 2's tx counters and
# fdb unchanged. Host veth names and pids recorded before each stop.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 95-vnl-labs
lab_new L1 c95a
lab_new L2 c95b
lab_new L3 c95n   # never started

for l in "$L1" "$L2"; do
	LAB=$l must add lan blue >/dev/null
	LAB=$l must add ns a --nic-type afxdp >/dev/null
	LAB=$l must add ns b --nic-type afxdp >/dev/null
	LAB=$l must link a:0 blue --ip 10.95.0.1/24 >/dev/null
	LAB=$l must link b:0 blue --ip 10.95.0.2/24 >/dev/null
done
LAB=$L2 must add ns c --nic-type afxdp >/dev/null
LAB=$L2 must link c:0 blue --ip 10.95.0.3/24 >/dev/null
lab_record_ifs "$L1"
lab_record_ifs "$L2"
for n in a b c; do
	LAB=$L2 vnl exec "$n" -- sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1 ||
		bail "cannot turn IPv6 off in $L2's $n"
done

j1=$(LAB=$L1 vnl show -j) && j2=$(LAB=$L2 vnl show -j) || bail "show -j of the labs"
result $([ "$(jq .switch.pid <<<"$j1")" != "$(jq .switch.pid <<<"$j2")" ]; echo $?) "each lab has its own switch"
IF1=$(jq -r '.nodes[].interfaces[].host' <<<"$j1" | sort)
IF2=$(jq -r '.nodes[].interfaces[].host' <<<"$j2" | sort)
result $([ "$(comm -12 <(echo "$IF1") <(echo "$IF2"))" = "" ] && [ "$(wc -l <<<"$IF1")" = 2 ] && [ "$(wc -l <<<"$IF2")" = 3 ]; echo $?) \
	"the labs' host veths are distinct" "$IF1" "$IF2"
MACS2=$(jq -r '.nodes[].interfaces[].mac' <<<"$j2" | sort)
result $([ -z "$(comm -12 <(jq -r '.nodes[].interfaces[].mac' <<<"$j1" | sort) <(echo "$MACS2"))" ]; echo $?) "the labs' MACs are distinct"

LAB=$L1 check_ping "lab 1: a pings b" a 10.95.0.2
LAB=$L2 check_ping "lab 2: a pings b" a 10.95.0.2
LAB=$L2 check_ping "lab 2: a pings c" a 10.95.0.3
LAB=$L2 check_ping "lab 2: b pings c" b 10.95.0.3
sleep 1   # let lab 2's last replies be counted
txs() { LAB=$L2 vnl stats -j | jq -c '[.ports | to_entries[] | [.key, .value.tx_packets]]'; }
tx_before=$(txs)
fdb_before=$(LAB=$L2 vnl fdb blue -j | jq -c '[.entries[] | .mac] | sort')
LAB=$L1 check_no_ping "lab 1: a cannot reach 10.95.0.3 (only lab 2 has it)" a 10.95.0.3
tx_after=$(txs)
result $([ "$tx_after" = "$tx_before" ] && [ "$tx_before" != "" ]; echo $?) "lab 2's tx counters did not move" "before: $tx_before" "after:  $tx_after"
jcheck "lab 2's fdb has only its own MACs" "$(LAB=$L2 vnl fdb blue -j)" \
	"([.entries[].mac] | sort) == $(jq -R . <<<"$MACS2" | jq -s -c .)"
result $([ "$(LAB=$L2 vnl fdb blue -j | jq -c '[.entries[] | .mac] | sort')" = "$fdb_before" ]; echo $?) "lab 2's fdb did not change"
jcheck "lab 1's fdb has only a:0 and b:0" "$(LAB=$L1 vnl fdb blue -j)" '([.entries[].port] | sort) == ["a:0","b:0"]'
jcheck "lab 1 knows nothing of c" "$(LAB=$L1 vnl show -j)" '([.nodes[].name] | sort) == ["a","b"]'

# gone LAB IFS PIDS: nothing of the stopped lab is left.
gone() {
	local l=$1 ifs=$2 pids=$3 i left=
	check "$l: no netns left" test -z "$(lab_netns "$l")"
	for i in $ifs; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
	result $([ -z "$left" ]; echo $?) "$l: no host veth left" "left:$left"
	check "$l: no /run/vnetlab/$l" test ! -e "/run/vnetlab/$l"
	check "$l: no /var/lib/vnetlab/$l" test ! -e "/var/lib/vnetlab/$l"
	check "$l: no process with the lab on its command line" test -z "$(lab_pids "$l")"
	left=
	for i in $pids; do alive "$i" && left="$left $i"; done
	result $([ -z "$left" ]; echo $?) "$l: its vnld and switch are gone" "still running:$left"
}
pids1="$(cat "/run/vnetlab/$L1/vnld.pid") $(jq .switch.pid <<<"$j1")"
pids2="$(cat "/run/vnetlab/$L2/vnld.pid") $(jq .switch.pid <<<"$j2")"

LAB=$L1 vnl_ok "vnl --lab $L1 stop" stop
gone "$L1" "$IF1" "$pids1"
LAB=$L2 check_ping "lab 2 still works: a pings c" a 10.95.0.3
LAB=$L2 check_ping "lab 2 still works: b pings a" b 10.95.0.1
jcheck "lab 2 is whole" "$(LAB=$L2 vnl show -j)" '([.nodes[].name] | sort) == ["a","b","c"] and (.links | length) == 3'
LAB=$L2 vnl_ok "vnl --lab $L2 stop" stop
gone "$L2" "$IF2" "$pids2"
LAB=$L1 vnl_ok "vnl stop of a stopped lab is fine" stop
check "... and makes nothing" test ! -e "/run/vnetlab/$L1" -a ! -e "/var/lib/vnetlab/$L1" -a -z "$(lab_pids "$L1")"
run --lab "$L3" show
result $([ "$RC" != 0 ] && [ -n "$ERR" ] && [ ! -e "/run/vnetlab/$L3" ]; echo $?) "show of a lab that does not run: an error, nothing started" "exit $RC" "$ERR"
done_testing
