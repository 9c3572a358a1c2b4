#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 111-vm-features: vnl-switchd killed (again and again) while a VM's guest
# probes its virtio-net card. qemu 7.2 does not pass the features the guest
# acks while its vhost-user backend is away to the backend and, on
# reconnect, replays the set it saved (none): the port negotiates
# 0x40000000 and the guest drops every frame. vnld reports it
# (`nic_features_lost`, vnl show's warning) and repairs it by itself: the
# guest's agent rebinds the NIC's virtio device and puts its addresses and
# routes back (docs/vnld.md).
#
# Operations (lab L: ns a, tiny vm v on LAN blue; vnld with
# VNL_NIC_REPAIR_SETTLE_S=15: the test sets v's address before the repair):
#   1. v started; whenever the switch is up and v-0 has not negotiated
#      VERSION_1, the switch is killed, until v is ready
#   2. v-0's features: 0x40000000 -> vnl show -j v has nic_features_lost
#      [0] and nic_repair [{nic 0, state waiting}], vnl show v prints the
#      warning, vnld logged it once
#   3. v's eth0 gets 10.111.0.2/24 and a route to 10.112.0.0/24 (vnl exec),
#      before vnld's repair starts
#   4. no vnl command: within 60 s v-0 has its features again (the switch
#      says so); vnl show -j v: no nic_features_lost, nic_repairs 1; vnld
#      logged one repair; eth0 still has its address and route, and a
#      pings v
. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"
. "$VNL_SOURCE_DIR/tests/lib/vm.sh"

vm_test_init 111-vm-features
BOOT=200
export VNL_NIC_REPAIR_SETTLE_S=15 # vnld (started by the first vnl below) repairs 15 s after v is ready
lab_new L nf
SW() { "$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" "$@" 2>/dev/null || echo '{"unreachable":true}'; }
feat() { SW show-ports | jq -r '[.ports[]? | select(.name == "v-0")][0].features // empty'; }
# healed: v-0 has virtio features (more than bit 30), as the switch says.
healed() { case "$(feat)" in 0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) return 0 ;; esac; return 1; }

must add lan blue >/dev/null
must add ns a >/dev/null
must link a:0 blue --ip 10.111.0.1/24 >/dev/null
must add vm v --image tiny >/dev/null
must link v:0 blue >/dev/null
# --- 1. the switch killed during the guest's probe ---------------------------
end=$((SECONDS + BOOT)) kills=0
while [ $SECONDS -lt $end ]; do
	[ "$(vm_state v)" = ready ] && break
	healed && break
	pid=$(vnl show -j | jq -r '.switch.pid // 0')
	[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	sleep 0.1
done
diag "switch killed $kills times; v: $(vm_state v), v-0 features $(feat)"
wait_for 30 sh -c "[ -n \"\$(\"$SWCTL_BIN\" -c -s /run/vnetlab/$L/switchd.sock show-ports 2>/dev/null | jq -r '.ports[]? | select(.name == \"v-0\") | .features')\" ]"
wait_for 20 sh -c "[ \"\$(\"$VNL_BIN\" --lab $L show -j v | jq -r .node.state)\" = ready ]"
f=$(feat)
diag "after: v $(vm_state v), v-0 features $f"
if [ "$f" = 0x40000000 ]; then
	jcheck "v-0 negotiated no features: vnl show -j v lists nic 0" "$(json_of show v)" '.node.nic_features_lost == [0]'
	jcheck "vnld waits to repair it (the guest settles)" "$(json_of show v)" \
		'.node.nic_repair[0].nic == 0 and .node.nic_repair[0].tries == 0 and .node.nic_repairs == 0'
	run show v
	check "vnl show v warns" grep -q "eth0: nic negotiated no features after a switch restart: vnld repairs it" <<<"$OUT"
	check "vnld logged it once" test "$(grep -c "negotiated no virtio features" "/run/vnetlab/$L/vnld.log")" = 1
	# --- 3. v's own configuration, before the repair -------------------------
	vm_ip v 10.111.0.2/24
	vnl exec v -- ip route add 10.112.0.0/24 via 10.111.0.1
	check "v's address and route were set before vnld's repair" \
		test "$(grep -c "repaired\|repair failed" "/run/vnetlab/$L/vnld.log")" = 0
	# --- 4. vnld repairs it, no vnl command --------------------------------------
	t0=$SECONDS
	check "v-0 negotiates its features again within 60 s, by vnld's repair" wait_for 60 healed
	diag "repaired after $((SECONDS - t0)) s: v-0 features $(feat); $(grep -h "NIC 0" "/run/vnetlab/$L/vnld.log" | tail -n 2)"
	jcheck "the warning is gone, nic_repairs 1" "$(json_of show v)" \
		'.node.nic_features_lost == null and .node.nic_repair == null and .node.nic_repairs == 1'
	check "vnld logged one repair with its outcome" test "$(grep -c "node v: NIC 0 repaired (try 1): eth0: " "/run/vnetlab/$L/vnld.log")" = 1
	run exec v -- ip addr show eth0
	check "eth0 kept its address" grep -q "inet 10.111.0.2/24" <<<"$OUT"
	run exec v -- ip route
	check "eth0 kept its route" grep -q "10.112.0.0/24 via 10.111.0.1" <<<"$OUT"
	check "a pings v after the repair" wait_for 10 vnl exec a -- ping -c 1 -W 1 10.111.0.2
else
	ok "# SKIP the guest probed its card while the switch was up (features $f): not reproduced"
fi
done_testing
