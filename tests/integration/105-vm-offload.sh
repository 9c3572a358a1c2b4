#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: a VM's virtio-net NIC negotiates checksum and segmentation
# offloads with vnl-switchd's vhost port (issue 12): the guest's driver has
# CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4 and MRG_RXBUF and not HOST_TSO6;
# TCP between the VM and an ns node (the ns kind's default NIC) carries
# 20 MiB each way intact while the guest sends TSO frames through the switch
# (rx_gso_frames on its port), and the guest's TCP stack counts no checksum
# error.
#
# Operations:
#   1. lab L: LAN blue, vm v1 (tiny image), ns n1 10.105.0.2/24, both linked;
#      v1 ready, 10.105.0.1/24 inside it
#   2. the feature bits of v1's eth0 (/sys/class/net/eth0/device/features)
#   3. v1 -> n1: 20 MiB from the guest's /dev/urandom with busybox nc (the
#      tiny image has no iperf3 or socat), sha256 the same on both sides;
#      the switch counted rx_gso_frames on v1:0
#   4. n1 -> v1: 20 MiB the same way back, sha256 the same
#   5. v1's Tcp InCsumErrors did not change

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

vm_test_init 105-vm-offload
lab_new L v105
BOOT=240   # seconds a TCG boot may take on a loaded 2-core host
SIZE=20971520
export VNL_TIMEOUT=180  # a 20 MiB transfer under TCG on a loaded host

# --- 1. a VM and an ns node on one LAN --------------------------------------------------
must add lan blue >/dev/null
vnl_ok "add vm v1 --image tiny" add vm v1 --image tiny
[ "$RC" = 0 ] || bail "cannot add a VM: $ERR"
vnl_ok "add ns n1" add ns n1
vnl_ok "link v1:0 blue" link v1:0 blue
vnl_ok "link n1:0 blue --ip 10.105.0.2/24" link n1:0 blue --ip 10.105.0.2/24
vnl_ok "vnl wait v1 n1" wait --timeout $BOOT v1 n1
[ "$RC" = 0 ] || bail "v1 did not become ready: $ERR"
vm_ip v1 10.105.0.1/24
result $? "address set inside v1" "$(vnl exec v1 -- ip addr 2>&1)"
wait_for 20 vnl exec v1 -- ping -c 1 -W 2 10.105.0.2
check "ping v1 -> n1" vnl exec v1 -- ping -c 2 -W 3 10.105.0.2

# --- 2. negotiated features, as the guest's driver sees them ---------------------------
f=$(vnl exec v1 -- cat /sys/class/net/eth0/device/features)
bit() { [ "${f:$1:1}" = 1 ]; }
result "$(bit 0 && bit 1 && bit 7 && bit 11 && bit 15 && ! bit 12; echo $?)" \
	"v1's eth0 has CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4, MRG_RXBUF and not HOST_TSO6" "features: $f"

csum0=$(node_snmp v1 Tcp InCsumErrors)
gso0=$(json_of stats v1:0 | jq '.ports["v1:0"].rx_gso_frames // -1')

# --- 3. v1 -> n1 ----------------------------------------------------------------------
vnl exec n1 -- busybox nc -l -p 5105 -e sh -c "cat >$TMP/from-v1" &
rx=$!
bg_track "$rx"
wait_for 10 sh -c "'$VNL_BIN' --lab $L exec n1 -- cat /proc/net/tcp | grep -q ':13F1 00000000:0000 0A'"
sum_v1=$(vnl exec v1 -- sh -c "head -c $SIZE /dev/urandom >/tmp/f && busybox nc 10.105.0.2 5105 </tmp/f && sha256sum /tmp/f" | cut -d' ' -f1)
wait "$rx"
wait_for 10 test "$(stat -c %s "$TMP/from-v1" 2>/dev/null)" = "$SIZE"
result "$([ -n "$sum_v1" ] && [ "$(sha256sum <"$TMP/from-v1" | cut -d' ' -f1)" = "$sum_v1" ]; echo $?)" \
	"20 MiB v1 -> n1 with busybox nc: the same sha256" "v1 $sum_v1, n1 $(sha256sum <"$TMP/from-v1" 2>&1) $(stat -c %s "$TMP/from-v1" 2>&1)"
gso1=$(json_of stats v1:0 | jq '.ports["v1:0"].rx_gso_frames // -1')
result "$([ "$gso0" -ge 0 ] && [ "$gso1" -gt "$gso0" ]; echo $?)" \
	"the guest sent TSO frames: rx_gso_frames on v1:0 $gso0 -> $gso1" "$(json_of stats v1:0)"

# --- 4. n1 -> v1 ----------------------------------------------------------------------
head -c "$SIZE" /dev/urandom >"$TMP/to-v1"
vnl exec v1 -- busybox nc -l -p 5106 -e sh -c "cat >/tmp/g" &
rx=$!
bg_track "$rx"
wait_for 20 sh -c "'$VNL_BIN' --lab $L exec v1 -- cat /proc/net/tcp | grep -q ':13F2 00000000:0000 0A'"
vnl exec n1 -- busybox nc 10.105.0.1 5106 <"$TMP/to-v1"
wait "$rx"
wait_for 20 test "$(vnl exec v1 -- sh -c 'wc -c </tmp/g')" = "$SIZE"
sum_g=$(vnl exec v1 -- sha256sum /tmp/g | cut -d' ' -f1)
result "$([ "$sum_g" = "$(sha256sum <"$TMP/to-v1" | cut -d' ' -f1)" ]; echo $?)" \
	"20 MiB n1 -> v1 with busybox nc: the same sha256" "v1 $sum_g, sent $(sha256sum <"$TMP/to-v1")"
vnl exec v1 -- rm -f /tmp/f /tmp/g

# --- 5. no checksum error in the guest ------------------------------------------------
csum1=$(node_snmp v1 Tcp InCsumErrors)
result "$([ -n "$csum0" ] && [ "$csum1" = "$csum0" ]; echo $?)" \
	"v1's Tcp InCsumErrors unchanged ($csum0 -> $csum1)" "$(vnl exec v1 -- cat /proc/net/snmp)"
diag "v1:0 $(json_of stats v1:0 | jq -c '.ports["v1:0"] | {rx_packets, tx_packets, rx_gso_frames, tx_gso_frames, tx_csum_sw, drop_gso, drop_offload_bad}')"
diag "n1:0 $(json_of stats n1:0 | jq -c '.ports["n1:0"] | {rx_packets, tx_packets, rx_gso_frames, tx_gso_frames, tx_gso_segments, tx_csum_sw}')"

done_testing
