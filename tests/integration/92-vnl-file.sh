#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: topology files through the real CLI, vnld and switch: deploy of
# examples/two-lans.yaml builds a lab that pings within a LAN and, with
# routes, through r; deploying again creates nothing; save -> destroy ->
# deploy -> save gives the same file and the same lab; a file that differs
# is reported (differs, extra) and what differs is left alone; malformed
# files are refused with the line and change nothing; a deploy that fails
# half way removes what it created.
#
# Operations:
#   1. deploy (relative path, auto-start); created list; pings; routes via r
#   2. deploy again; save F1; destroy; deploy F1; save F2; cmp; ping
#   3. a differing file: created/differs/extra and the lab's values kept
#   4. five malformed files: error with FILE:LINE, snapshot unchanged
#   5. `ip netns add vnl.L.z` by hand, deploy a file whose node z comes after
#      new nodes p, q: refused, p and q removed, snapshot unchanged
#   6. a file with both NIC types (node option, link override) and a LAN of
#      mtu 9000: the switch's LANs and port kinds follow it; tap nodes ping
#      with 9000-byte packets (ping -M do -s 8972), afxdp ones on the 1500
#      LAN; an impaired link (delay both ways, jitter in) reaches the switch
#      and the pings; save -> destroy -> deploy -> save gives the same file

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 92-vnl-file
lab_new L c92
EX=$VNL_SOURCE_DIR/examples/two-lans.yaml
[ -r "$EX" ] || bail "$EX is missing"

# --- 1. deploy the example -----------------------------------------------------
run deploy -j "$(realpath --relative-to=. "$EX")"
[ "$RC" = 0 ] || bail "vnl deploy $EX: exit $RC: $ERR"
ok "deploy of examples/two-lans.yaml (relative path) starts the lab"
lab_record_ifs
jcheck "deploy created 2 LANs, 5 nodes, 6 links" "$OUT" \
	'(.created | sort) == (["lan blue","lan red","node a","node b","node c","node d","node r",
	  "link a:0 blue","link b:0 blue","link c:0 red","link d:0 red","link r:0 blue","link r:1 red"] | sort)
	 and .differs == [] and .extra == []'
check "netns of a, b, c, d, r" test "$(lab_netns "$L" | tr '\n' ' ')" = "vnl.$L.a vnl.$L.b vnl.$L.c vnl.$L.d vnl.$L.r "
check_ping "a pings b on blue" a 10.0.1.2
check_ping "d pings c on red" d 10.0.2.1
check_ping "a pings r's blue leg" a 10.0.1.254
vnl exec a -- ping -n -c 1 -W 1 10.0.2.1 >/dev/null 2>&1
result $((! $?)) "a cannot reach c before the routes are added"
vnl exec r -- sysctl -qw net.ipv4.ip_forward=1 &&
	vnl exec a -- ip route add default via 10.0.1.254 &&
	vnl exec c -- ip route add default via 10.0.2.254
result $? "routes through r added with vnl exec"
s1=$(json_of stats r)
check_ping "a pings c through r" a 10.0.2.1 5
s2=$(json_of stats r)
grow() { echo $(($(jq ".ports[\"$1\"].$2" <<<"$s2") - $(jq ".ports[\"$1\"].$2" <<<"$s1"))); }
result $(($(grow r:0 rx_packets) < 5 || $(grow r:1 tx_packets) < 5)) "the pings crossed r (r:0 rx, r:1 tx grew)" \
	"r:0 rx +$(grow r:0 rx_packets), r:1 tx +$(grow r:1 tx_packets)"

# --- 2. idempotence, save/destroy/deploy -------------------------------------------
before=$(lab_snapshot)
run deploy -j "$EX"
jcheck "deploy again: nothing created, nothing differs" "$OUT" '.created == [] and .differs == [] and .extra == []'
result $([ "$(lab_snapshot)" = "$before" ]; echo $?) "deploy again changes nothing" "$(diff <(echo "$before") <(lab_snapshot))"
vnl_ok "save F1" save "$TMP/f1.yaml"
run save -
result $([ "$RC" = 0 ] && [ "$OUT" = "$(cat "$TMP/f1.yaml")" ]; echo $?) "save - prints what save FILE wrote" "$ERR"
show1=$(json_of show | jq -S '{lans, links, nodes: [.nodes[] | del(.interfaces, .netns_exists)]}')
run destroy -j
result "$RC" "destroy" "$ERR"
jcheck "destroy removed 5 nodes, 2 LANs, 6 links" "$OUT" '.removed.nodes == 5 and .removed.lans == 2 and .removed.links == 6'
jcheck "show after destroy: empty lab, switch still there" "$(json_of show)" '.nodes == [] and .lans == [] and .links == [] and .switch.pid > 0'
check "destroy removed every netns of the lab" test -z "$(lab_netns "$L")"
check "destroy removed the host veths" test -z "$(ip -o link show | grep -F "link-netns vnl.$L.")"
run deploy -j "$TMP/f1.yaml"
jcheck "deploy F1 creates the 13 objects again" "$OUT" '(.created | length) == 13 and .differs == [] and .extra == []'
vnl_ok "save F2" save "$TMP/f2.yaml"
check "F1 and F2 are identical" cmp "$TMP/f1.yaml" "$TMP/f2.yaml"
show2=$(json_of show | jq -S '{lans, links, nodes: [.nodes[] | del(.interfaces, .netns_exists)]}')
result $([ "$show1" = "$show2" ]; echo $?) "the redeployed lab equals the first one (show -j)" "$(diff <(echo "$show1") <(echo "$show2"))"
check_ping "a pings b after the redeploy" a 10.0.1.2
lab_record_ifs

# --- 3. a file that differs ----------------------------------------------------------
cat >"$TMP/differs.yaml" <<'EOF'
lans:
  - blue
  - red
  - green
nodes:
  - name: a
    kind: ns
    nics: 3
  - name: b
    kind: ns
  - name: x
    kind: ns
links:
  - a:0 blue 10.0.1.99/24
  - b:0 red 10.0.1.2/24
  - x:0 green 10.5.0.1/24
EOF
run deploy -j "$TMP/differs.yaml"
result "$RC" "deploy of a differing file succeeds" "$ERR"
jcheck "differing file: creates green, x, x:0" "$OUT" '(.created | sort) == (["lan green","node x","link x:0 green"] | sort)'
jcheck "differing file: differs names a's NICs, a:0's address, b:0's LAN" "$OUT" \
	'(.differs | length) == 3 and any(.differs[]; test("node a") and test("NIC"))
	 and any(.differs[]; test("a:0") and test("10.0.1.99")) and any(.differs[]; test("b:0") and test("red"))'
jcheck "differing file: extra lists c, d, r and their links" "$OUT" \
	'(.extra | sort) == (["node c","node d","node r","link c:0 red","link d:0 red","link r:0 blue","link r:1 red"] | sort)'
j=$(json_of show)
jcheck "what differs is left as the lab had it" "$j" \
	'(.nodes[] | select(.name == "a") | .nics) == 1 and
	 (.links[] | select(.node == "a") | .ip) == "10.0.1.1/24" and (.links[] | select(.node == "b") | .lan) == "blue"'
jcheck "extra objects are kept" "$j" '([.nodes[].name] | sort) == ["a","b","c","d","r","x"]'
check "a's address is still 10.0.1.1/24" sh -c "ip -n vnl.$L.a -br addr show dev eth0 | grep -q ' 10.0.1.1/24'"
lab_record_ifs
must del x >/dev/null
must del green >/dev/null
run save -
result $([ "$OUT" = "$(cat "$TMP/f1.yaml")" ]; echo $?) "after del x, green the lab is F1 again" "$(diff "$TMP/f1.yaml" <(echo "$OUT"))"

# --- 4. malformed files ----------------------------------------------------------------
# bad_file DESC LINE: deploy $TMP/bad.yaml must fail, name the file and LINE
# on one line, and leave the lab as it was.
before=$(lab_snapshot)
bad_file() {
	run deploy "$TMP/bad.yaml"
	result $([ "$RC" != 0 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -q "bad.yaml:$2:" <<<"$ERR"; echo $?) \
		"malformed file ($1): one-line error naming line $2" "exit $RC" "stderr: $ERR"
	after=$(lab_snapshot)
	result $([ "$after" = "$before" ]; echo $?) "malformed file ($1): lab unchanged" "$(diff <(echo "$before") <(echo "$after"))"
}
printf 'lans:\n  - blue\n  - green\nnodes: [\n  - name: p\n' >"$TMP/bad.yaml"
run deploy "$TMP/bad.yaml"
result $([ "$RC" != 0 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -Eq "bad.yaml:[0-9]+:" <<<"$ERR"; echo $?) \
	"malformed file (bad YAML): one-line error with a line" "exit $RC" "stderr: $ERR"
result $([ "$(lab_snapshot)" = "$before" ]; echo $?) "malformed file (bad YAML): lab unchanged"
printf 'lans:\n  - green\nnodes:\n  - name: p\n    kind: ns\n    colour: red\n' >"$TMP/bad.yaml"
bad_file "unknown key" 6
printf 'lans:\n  - green\nnodes:\n  - name: p\n    kind: ns\n  - name: Pq\n    kind: ns\n' >"$TMP/bad.yaml"
bad_file "bad name" 6
printf 'lans:\n  - green\nnodes:\n  - name: p\n    kind: ns\nlinks:\n  - p:0 green\n  - zz:0 green\n' >"$TMP/bad.yaml"
bad_file "link to an unknown node" 8
printf 'lans:\n  - green\nnodes:\n  - name: p\n\tkind: ns\n' >"$TMP/bad.yaml"
bad_file "tab character" 5
printf 'lans:\n  - green\nnodes:\n  - name: p\n    kind: ns\n    nics: 40\n' >"$TMP/bad.yaml"
bad_file "nics out of range" 6
printf 'lans:\n  - green\nnodes:\n  - name: p\n    kind: ns\nlinks:\n  - p:0 green 300.1.1.1/24\n' >"$TMP/bad.yaml"
bad_file "bad address" 7
run deploy "$TMP/no-such-file.yaml"
result $([ "$RC" != 0 ] && grep -q "no-such-file.yaml" <<<"$ERR"; echo $?) "deploy of a missing file: error naming it" "exit $RC" "$ERR"

# --- 5. a deploy that fails half way -------------------------------------------------
ip netns add "vnl.$L.z" || bail "ip netns add vnl.$L.z"
before=$(lab_snapshot)
cat >"$TMP/half.yaml" <<'EOF'
lans:
  - blue
  - green
nodes:
  - name: p
    kind: ns
  - name: q
    kind: ns
    nics: 2
  - name: z
    kind: ns
links:
  - p:0 green 10.9.0.1/24
  - q:0 green
  - q:1 blue
  - z:0 green
EOF
run deploy "$TMP/half.yaml"
result $([ "$RC" != 0 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -q "vnl.$L.z" <<<"$ERR"; echo $?) \
	"deploy failing at node z: one-line error naming its netns" "exit $RC" "stderr: $ERR"
after=$(lab_snapshot)
result $([ "$after" = "$before" ]; echo $?) "failed deploy removed green, p, q and their links" "$(diff <(echo "$before") <(echo "$after"))"
check "failed deploy: no netns of p or q" test -z "$(lab_netns "$L" | grep -E "\.(p|q)$")"
check "failed deploy left the hand-made netns vnl.$L.z alone" sh -c "ip netns list | grep -q '^vnl\.$L\.z\b'"
ip netns del "vnl.$L.z"
check_ping "the lab still works: a pings b" a 10.0.1.2

# --- 6. NIC types and LAN mtu --------------------------------------------------------
cat >"$TMP/kinds.yaml" <<'EOF'
lans:
  - {name: jumbo, mtu: 9000}
  - plain
nodes:
  - {name: t1, kind: ns}
  - {name: t2, kind: ns, nic-type: tap}
  - {name: x1, kind: ns, nic-type: afxdp}
  - {name: m, kind: ns, nics: 2}
links:
  - t1:0 jumbo 10.92.9.1/24
  - node: t2
    nic: 0
    lan: jumbo
    ip: 10.92.9.2/24
    impair:
      delay: 5ms
      in:
        jitter: 1ms
  - x1:0 plain 10.92.1.1/24
  - {node: m, nic: 0, lan: plain, ip: 10.92.1.2/24, nic-type: afxdp}
  - m:1 jumbo 10.92.9.3/24
EOF
run deploy -j "$TMP/kinds.yaml"
jcheck "deploy of a file with both NIC types and a 9000 LAN" "$OUT" '(.created | length) == 11 and .differs == []'
lab_record_ifs
jcheck "the switch: LAN jumbo mtu 9000, plain 1500" "$("$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" show-lans)" \
	'[.lans[] | select(.name == "jumbo" or .name == "plain") | [.name, .mtu]] | sort == [["jumbo",9000],["plain",1500]]'
jcheck "the switch: tap ports t1-0 t2-0 m-1, afxdp ports x1-0 m-0" "$("$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" show-ports)" \
	'[.ports[] | select(.name | test("^(t1|t2|x1|m)-")) | [.name, .kind]] | sort ==
	 [["m-0","afxdp"],["m-1","tap"],["t1-0","tap"],["t2-0","tap"],["x1-0","afxdp"]]'
jcheck "show m: NIC types afxdp (the link's) and tap (the default)" "$(json_of show m)" '.node.nic_types == ["afxdp","tap"]'
jcheck "the switch: t2-0 impaired as the file says (delay 5ms both ways, jitter 1ms in)" \
	"$("$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" show-ports)" \
	'[.ports[] | select(.name == "t2-0")][0].impair | .out.delay_ns == 5000000 and .out.jitter_ns == null and
	 .in.delay_ns == 5000000 and .in.jitter_ns == 1000000'
wait_for 10 vnl exec t1 -- ping -n -q -c 1 -W 1 10.92.9.2
for dst in 10.92.9.2 10.92.9.3; do
	out=$(vnl exec t1 -- ping -n -q -c 3 -i 0.2 -W 1 -M do -s 8972 "$dst" 2>&1)
	result $(grep -q ' 0% packet loss' <<<"$out"; echo $?) "t1 pings $dst on jumbo with 9000-byte packets (ping -M do -s 8972)" "$out"
done
check_ping "x1 pings m on plain (afxdp -> afxdp)" x1 10.92.1.2
rtt=$(vnl exec t1 -- ping -n -q -c 5 -i 0.05 -W 1 10.92.9.2 2>&1 | sed -n 's|^rtt [^=]*= \([0-9.]*\)/.*|\1|p')
result $(awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 8.5) }'; echo $?) "t1 -> t2 through the impaired link: RTT >= 8.5 ms (min $rtt ms)"
run save "$TMP/f3.yaml"
result $([ "$RC" = 0 ] && grep -q '{name: jumbo, mtu: 9000}' "$TMP/f3.yaml" && grep -q '    nic-type: afxdp' "$TMP/f3.yaml" &&
	grep -q '{node: m, nic: 0, lan: plain, ip: 10.92.1.2/24, nic-type: afxdp}' "$TMP/f3.yaml" &&
	[ "$(grep -c 'nic-type' "$TMP/f3.yaml")" = 3 ] &&
	grep -A7 -- '- node: t2' "$TMP/f3.yaml" | tr '\n' '|' | grep -q 'impair:|      delay: 5ms|      in:|        jitter: 1ms|'; echo $?) \
	"save: the LAN's mtu, the nodes' and the link's nic-type, the link's impair, nothing not given" "$(cat "$TMP/f3.yaml")"
vnl_ok "destroy" destroy
run deploy -j "$TMP/f3.yaml"
result "$RC" "deploy of the saved file" "$ERR"
run save "$TMP/f4.yaml"
check "save -> destroy -> deploy -> save: the same file" cmp "$TMP/f3.yaml" "$TMP/f4.yaml"
out=$(vnl exec t1 -- ping -n -q -c 3 -i 0.2 -W 1 -M do -s 8972 10.92.9.2 2>&1)
result $(grep -q ' 0% packet loss' <<<"$out"; echo $?) "after the redeploy: t1 pings t2 with 9000-byte packets" "$out"
done_testing
