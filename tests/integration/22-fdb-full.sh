#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the MAC table is bounded (--fdb-size). When it is full, new
# MACs are not learned (`table_full` counts them), frames to them are
# flooded, and learned MACs still go to their one port. Flushing makes room.
#
# Operations:
#   1. start a switch with --fdb-size 16; LAN L with vhost ports p0 p1 p2
#   2. vhost_peer: p0 sends one broadcast from each of 20 source MACs
#      (each reaches p1 and p2); show-fdb: used 16; LAN: learned 16,
#      table_full 4
#   3. p1 sends to the 18th MAC (not learned): flooded to p0 and p2; p1
#      sends to the 1st MAC (learned): p0 only
#   4. fdb-flush; a new MAC is learned again

# shellcheck source=../lib/switchd.sh
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/switchd.sh"

vnl_init 22-fdb-full
need_hugepages 256

switchd_start --fdb-size 16
L=$PFX-L
sw_ok lan-add "name=$L" >/dev/null
for i in 0 1 2; do
	sw_ok port-add "name=$PFX-p$i" kind=vhost "path=$TMP/p$i.sock" >/dev/null
	sw_ok attach "port=$PFX-p$i" "lan=$L" >/dev/null
done
jq_assert "show-fdb size" "$(sw_ok show-fdb)" ".size == 16 and .used == 0"

mac() { printf '02:00:00:22:00:%02x' "$1"; }
BC=ff:ff:ff:ff:ff:ff
B=02:00:00:22:01:0b
steps=()
for i in $(seq 1 20); do
	steps+=(send 0 "$(mac "$i")" "$BC" 1 expect 1 1 expect 2 1)
done
peer_run fill -q 100 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$PFX-p0" "$PFX-p1" "$PFX-p2")" \
	sh "$SWCTL clear-counters >/dev/null" \
	"${steps[@]}" expect-none 0
jq_assert "show-fdb when full" "$(sw_ok show-fdb "lan=$L")" ".used == 16 and (.entries | length) == 16"
jq_assert "LAN counters when full" "$(lan_json "$L")" \
	".macs == 16 and .counters.learned == 16 and .counters.table_full == 4"
pass "learning stops at --fdb-size and table_full counts the rest"

# B (from p1) cannot be learned either; MAC 18 is unknown, MAC 1 is known.
peer_run use -q 150 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$PFX-p0" "$PFX-p1" "$PFX-p2")" \
	send 1 $B "$(mac 18)" 5  expect 0 5  expect 2 5  expect-none 1 \
	send 1 $B "$(mac 1)" 7   expect 0 7  expect-none 1  expect-none 2
jq_assert "LAN counters after use" "$(lan_json "$L")" \
	".counters.unknown_unicast == 5 and .counters.forwarded == 7 and .counters.learned == 16"
pass "frames to unlearned MACs are flooded, learned ones still forwarded"

r=$(sw_ok fdb-flush)
jq_assert "fdb-flush" "$r" ".flushed == 16"
peer_run relearn -q 150 "$TMP/p0.sock" "$TMP/p1.sock" "$TMP/p2.sock" -- \
	wait-link 0 wait-link 1 wait-link 2 \
	wait-sh "$(ports_up_cmd "$PFX-p0" "$PFX-p1" "$PFX-p2")" \
	send 1 $B $BC 1  expect 0 1  expect 2 1 \
	send 0 "$(mac 1)" $B 3  expect 1 3  expect-none 2  expect-none 0
jq_assert "show-fdb after flush" "$(sw_ok show-fdb "lan=$L")" \
	"([.entries[] | {mac, port}] | sort_by(.mac)) == [{mac: \"$(mac 1)\", port: \"$PFX-p0\"}, {mac: \"$B\", port: \"$PFX-p1\"}]"
pass "after fdb-flush MACs are learned again"
exit 0
