#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the worker's poll modes behave as documented, as a functional
# check (no speed assertion): with --poll adaptive an idle worker sleeps
# (show-workers `sleeps` keeps increasing) and still forwards when traffic
# comes; with --poll busy it never sleeps (`sleeps` stays 0) and keeps
# iterating. show-workers also reports the packet pool (`mbufs` size and
# in_use).
#
# Operations:
#   1. start a switch with --poll adaptive; LAN with afxdp ports for
#      namespaces 1 and 2 and an unconnected vhost port
#   2. no traffic: show-workers twice, 2 s apart: poll "adaptive", sleeps
#      and iterations grow
#   3. ping 1 -> 2 passes (the sleeping worker wakes up for traffic)
#   4. restart with --poll busy, same ports: poll "busy", sleeps stays 0
#      across 2 s while iterations grow

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 70-idle-poll
need_hugepages 128
need_xdp
need_cmd ping ethtool

ns_pair 1 10.77.70.1/24
ns_pair 2 10.77.70.2/24

setup_lan() {
	local i
	sw_ok lan-add "name=$PFX-L" >/dev/null
	for i in 1 2; do
		sw_ok port-add "name=$PFX-n$i" kind=afxdp "iface=$(ns_host $i)" >/dev/null
		sw_ok attach "port=$PFX-n$i" "lan=$PFX-L" >/dev/null
		wait_until 10 port_is_up "$PFX-n$i" || fail "port $PFX-n$i not up: $(port_json "$PFX-n$i")"
	done
	sw_ok port-add "name=$PFX-v0" kind=vhost "path=$TMP/v0.sock" >/dev/null
	sw_ok attach "port=$PFX-v0" "lan=$PFX-L" >/dev/null
}

# workers_sum FIELD: FIELD summed over all workers.
workers_sum() { sw_ok show-workers | jq "[.workers[].$1] | add"; }

# --- adaptive ---
switchd_start --poll adaptive
setup_lan
w=$(sw_ok show-workers)
log "show-workers: $(jq -c '.workers[0]' <<<"$w")"
jq_assert "show-workers (adaptive)" "$w" \
	'(.workers | length) >= 1 and all(.workers[]; .poll == "adaptive") and (.tsc_hz > 0)
	 and ([.workers[].ports[]] | length) == 3
	 and (.mbufs.size > 0) and (.mbufs.in_use | type) == "number" and .mbufs.in_use <= .mbufs.size'
s1=$(workers_sum sleeps)
i1=$(workers_sum iterations)
sleep 2
s2=$(workers_sum sleeps)
i2=$(workers_sum iterations)
log "adaptive, idle 2 s: sleeps $s1 -> $s2, iterations $i1 -> $i2"
[ "$s2" -gt "$s1" ] || fail "--poll adaptive: sleeps did not increase while idle ($s1 -> $s2)"
[ "$i2" -gt "$i1" ] || fail "--poll adaptive: iterations did not increase ($i1 -> $i2)"
pass "adaptive polling sleeps while idle"
ping_ok 1 10.77.70.2 5
pass "adaptive polling still forwards"
switchd_stop || fail "switch did not stop cleanly"

# --- busy --- (the vhost socket is 60-cleanup's business: start clean)
rm -f "$TMP/v0.sock"
switchd_start --poll busy
setup_lan
w=$(sw_ok show-workers)
jq_assert "show-workers (busy)" "$w" '(.workers | length) >= 1 and all(.workers[]; .poll == "busy")'
s1=$(workers_sum sleeps)
i1=$(workers_sum iterations)
sleep 2
s2=$(workers_sum sleeps)
i2=$(workers_sum iterations)
log "busy, idle 2 s: sleeps $s1 -> $s2, iterations $i1 -> $i2"
[ "$s1" = 0 ] && [ "$s2" = 0 ] || fail "--poll busy: sleeps should stay 0 ($s1 -> $s2)"
[ "$i2" -gt "$i1" ] || fail "--poll busy: iterations did not increase ($i1 -> $i2)"
ping_ok 1 10.77.70.2 3
pass "busy polling never sleeps and forwards"
exit 0
