#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: a lab of ns nodes built with the vnl CLI (real vnld, vnl-switchd,
# netns, veth, AF_XDP) forwards within a LAN and not across LANs; `vnl exec`
# runs in the node and passes its exit status, stdin and stdout; live edits
# (unlink, link) while a ping runs take effect at once and show follows them;
# a node's NICs exist whether linked or not (unlink pulls the cable: the
# interface stays, without carrier, address or switch port); show, show
# NAME, -j, stats, fdb, graph and events report the lab; -v shows the
# requests and replies, vnld.log has the logger's line format.
#
# Operations:
#   1. `vnl add lan blue` starts vnld; events streamed to a file from then on
#   2. nodes a, b on blue and c, d on red, all in ONE subnet (10.91.0.0/24),
#      so a ping across LANs can only fail because the switch keeps them apart
#   3. exec: status 7 comes back, stdin/stdout pass, runs in netns vnl.L.a
#   4. pings; show/-j; show -v; log-level debug/info/bad; stats counters grow;
#      fdb lists NODE:N with the MACs
#   5. a 0.05 s ping a -> b in the background; unlink b:0 (replies stop;
#      b's eth0 stays, NO-CARRIER, no address, no switch port b-0), link
#      b:0 again (replies resume); show at each step
#   6. graph dot/mermaid; events: node-added, link-up, link-down
#   7. NICs without links: e --nics 3 has eth0..eth2 from its creation, up
#      with NO-CARRIER, host ends down; d:1 (never linked) too; link e:2,
#      ping, unlink (eth2 stays, no address, no port), link again, ping;
#      del e leaves no netns and none of its three host veths
#   8. tap NICs (the default type; a..e above are --nic-type afxdp): ta, tb
#      on blue ping each other and a (tap <-> afxdp); show says tap, no host
#      end, the switch port is kind tap; unlink pulls the cable (NO-CARRIER,
#      no address, no port), link plugs it in; `link --nic-type afxdp`
#      overrides one NIC (a veth, made again with the same MAC); a LAN with
#      --mtu 9000 carries `ping -M do -s 8972` between tap nodes; eth0's
#      mtu changed inside a node: show -j mtu_mismatch, vnl show a one-line
#      warning, gone when it is the LAN's again
#   9. del of a node and of a LAN; stop leaves nothing of the lab

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 91-vnl-cli
lab_new L c91

# --- 1. the first add starts the lab -------------------------------------------
vnl_ok "vnl add lan blue starts vnld and adds the LAN" add lan blue
[ "$RC" = 0 ] || bail "cannot build the lab"
check "vnld runs with its pid file and socket" test -S "/run/vnetlab/$L/vnld.sock" -a -s "/run/vnetlab/$L/vnld.pid"
"$VNL_BIN" --lab "$L" events -j >"$TMP/events" 2>"$TMP/events.err" &
EVPID=$!
bg_track "$EVPID"
sleep 0.3   # let the stream subscribe before the changes it must see
vnl_ok "add lan red" add lan red
for n in a b c; do
	vnl_ok "add ns $n --nic-type afxdp" add ns "$n" --nic-type afxdp
done
vnl_ok "add ns d --nics 2 --nic-type afxdp" add ns d --nics 2 --nic-type afxdp
ip=1
for nl in a:0:blue b:0:blue c:0:red d:0:red; do
	IFS=: read -r n i lan <<<"$nl"
	vnl_ok "link $n:$i $lan --ip 10.91.0.$ip/24" link "$n:$i" "$lan" --ip "10.91.0.$ip/24"
	ip=$((ip + 1))
done
lab_record_ifs
check "netns vnl.$L.a .. d exist" test "$(lab_netns "$L" | tr '\n' ' ')" = "vnl.$L.a vnl.$L.b vnl.$L.c vnl.$L.d "
check "eth0 in vnl.$L.a has 10.91.0.1/24" sh -c "ip -n vnl.$L.a -br addr show dev eth0 | grep -q ' 10.91.0.1/24'"

# --- 2. exec -------------------------------------------------------------------
vnl exec a -- sh -c 'exit 7'
rc=$?
result $((rc != 7)) "exec passes the exit status back (7)" "got $rc"
vnl exec a -- true
result $? "exec of true exits 0"
out=$(echo hello-from-stdin | vnl exec a -- cat)
result $([ "$out" = hello-from-stdin ]; echo $?) "exec passes stdin and stdout" "got '$out'"
out=$(vnl exec a -- ip netns identify 2>&1)
result $([ "$out" = "vnl.$L.a" ]; echo $?) "exec runs in netns vnl.$L.a" "got '$out'"
out=$(vnl exec a -- sh -c 'echo to-stderr >&2' 2>&1 >/dev/null)
result $([ "$out" = to-stderr ]; echo $?) "exec passes stderr" "got '$out'"

# --- 3. forwarding -------------------------------------------------------------
check_ping "a pings b within blue" a 10.91.0.2
check_ping "c pings d within red" c 10.91.0.4
check_no_ping "a cannot reach c on red (same subnet, other LAN)" a 10.91.0.3
check_no_ping "d cannot reach b on blue (same subnet, other LAN)" d 10.91.0.2

# --- 4. show, stats, fdb -------------------------------------------------------
j=$(json_of show)
jcheck "show -j: LANs blue, red; nodes a..d; 4 links" "$j" \
	'([.lans[].name] | sort) == ["blue","red"] and ([.nodes[].name] | sort) == ["a","b","c","d"] and (.links | length) == 4'
jcheck "show -j: switch pid, 0 restarts" "$j" '.switch.pid > 0 and .switch.restarts == 0'
jcheck "show -j: d has 2 NICs, a's link carries its address" "$j" \
	'(.nodes[] | select(.name == "d") | .nics) == 2 and
	 (.nodes[] | select(.name == "a") | .links) == [{"nic":0,"lan":"blue","ip":"10.91.0.1/24","port":"a-0"}]'
jcheck "show -j: LAN blue links a:0 b:0" "$j" '(.lans[] | select(.name == "blue") | .links | sort) == ["a:0","b:0"]'
jcheck "show -j: links name their ports NODE-N" "$j" '[.links[] | .port == "\(.node)-\(.nic)"] | all'
out=$("$VNL_BIN" -j --lab "$L" show 2>&1)
result $([ "$(jq -S . <<<"$out" 2>/dev/null)" = "$(jq -S . <<<"$j")" ]; echo $?) "-j before the verb gives the same show" "$out"
# -v: vnl's debug lines (common/log.h) show the request and the reply on stderr.
run show a -v
result $([ "$RC" = 0 ] && grep -qE '^(\S+Z )?vnl debug client: -> \{"cmd":"show","name":"a"\}$' <<<"$ERR" &&
	grep -q 'vnl debug client: <- {"ok":true,' <<<"$ERR" && [ "$(grep -c . <<<"$ERR")" = 2 ]; echo $?) \
	"vnl show a -v: the request and the reply on stderr, one line each" "$ERR"
run show a
result $([ "$RC" = 0 ] && [ -z "$ERR" ]; echo $?) "... nothing without -v" "$ERR"
check "vnld.log lines: 'STAMP vnld[LAB] LEVEL SUBSYS: MESSAGE'" grep -qE \
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z vnld\[$L\] info main: serving /run/vnetlab/$L/vnld.sock" \
	"/run/vnetlab/$L/vnld.log"
# log-level: the running vnld's thresholds change at once; a bad spec is refused.
n0=$(grep -c "debug main: request" "/run/vnetlab/$L/vnld.log")
vnl_ok "log-level debug" log-level debug
vnl show a >/dev/null
n1=$(grep -c "debug main: request" "/run/vnetlab/$L/vnld.log")
check "at debug vnld logs the requests it reads ($n0 -> $n1 lines)" test "$n1" -gt "$n0"
vnl_ok "log-level info" log-level info
vnl show a >/dev/null
check "back at info it logs none" test "$(grep -c "debug main: request" "/run/vnetlab/$L/vnld.log")" = "$((n1 + 1))"
run log-level loud
result $([ "$RC" = 1 ] && grep -q "log level 'loud' is not" <<<"$ERR"; echo $?) "log-level loud is refused in one line" "$ERR"
j=$(json_of show a)
jcheck "show a -j: the node, its netns and eth0" "$j" \
	".node.name == \"a\" and .node.kind == \"ns\" and .node.netns == \"vnl.$L.a\" and
	 (.node.interfaces | map(.name)) == [\"eth0\"] and (.node.interfaces[0].host | test(\"^v[0-9a-f]{8}-0$\"))"
MAC_A=$(jq -r '.node.interfaces[0].mac' <<<"$j")
MAC_B=$(json_of show b | jq -r '.node.interfaces[0].mac')
real=$(ip netns exec "vnl.$L.a" cat /sys/class/net/eth0/address)
result $([ "$real" = "$MAC_A" ]; echo $?) "show a: mac is eth0's real MAC" "show: $MAC_A, eth0: $real"
jcheck "show blue -j: the LAN and its links" "$(json_of show blue)" '.lan.name == "blue" and (.lan.links | sort) == ["a:0","b:0"]'
run show
result $([ "$RC" = 0 ] && grep -qw blue <<<"$OUT" && grep -qw red <<<"$OUT" && grep -qw d <<<"$OUT"; echo $?) \
	"show (text) names the LANs and nodes" "exit $RC" "$OUT" "$ERR"
run show a
result $([ "$RC" = 0 ] && grep -qw blue <<<"$OUT" && grep -q 10.91.0.1 <<<"$OUT"; echo $?) \
	"show a (text) names its LAN and address" "exit $RC" "$OUT" "$ERR"

s1=$(json_of stats a:0)
jcheck "stats a:0 -j: the port, on blue, af_xdp, link up" "$s1" \
	'.ports["a:0"].lan == "blue" and .ports["a:0"].link == "up" and (.ports["a:0"].rx_packets | type) == "number"'
pings a 10.91.0.2 5 || diag "ping for the counters: $PING_OUT"
s2=$(json_of stats a:0)
d_rx=$(($(jq '.ports["a:0"].rx_packets' <<<"$s2") - $(jq '.ports["a:0"].rx_packets' <<<"$s1")))
d_tx=$(($(jq '.ports["a:0"].tx_packets' <<<"$s2") - $(jq '.ports["a:0"].tx_packets' <<<"$s1")))
result $((d_rx < 5 || d_tx < 5)) "stats a:0: rx and tx grow by at least the 5 pings" "rx +$d_rx, tx +$d_tx"
jcheck "stats a -j: the node's NIC" "$(json_of stats a)" '(.ports | keys) == ["a:0"]'
jcheck "stats blue -j: the LAN's counters" "$(json_of stats blue)" '.lans | has("blue")'
jcheck "stats -j: every port and LAN" "$(json_of stats)" \
	'(.ports | keys) == ["a:0","b:0","c:0","d:0"] and (.lans | keys | sort) == ["blue","red"]'
f=$(json_of fdb blue)
jcheck "fdb blue -j: a's and b's MACs as a:0 and b:0, nothing of red" "$f" \
	"([.entries[] | [.mac, .port]] | sort) == ([[\"$MAC_A\",\"a:0\"],[\"$MAC_B\",\"b:0\"]] | sort)"
run fdb blue
result $([ "$RC" = 0 ] && grep -q "a:0" <<<"$OUT" && grep -qi "$MAC_B" <<<"$OUT"; echo $?) "fdb blue (text) lists a:0 and b's MAC" "$OUT" "$ERR"

# --- 5. live edits while pinging ---------------------------------------------------
# replies: how many echo replies the background ping has printed so far.
replies() { grep -c 'bytes from' "$TMP/ping" 2>/dev/null; }
more_replies() { [ "$(replies)" -gt "$1" ]; }
vnl exec a -- ping -n -i 0.05 -W 1 -c 300 10.91.0.2 >"$TMP/ping" 2>&1 &
PINGPID=$!
bg_track "$PINGPID"
wait_for 5 more_replies 20
result $? "background ping a -> b runs" "$(tail -n 3 "$TMP/ping")"
vnl_ok "unlink b:0 while pinging" unlink b:0
sleep 0.3   # replies already in flight
n1=$(replies)
sleep 1
n2=$(replies)
result $((n2 != n1)) "no reply while b:0 is unlinked" "replies went from $n1 to $n2"
j=$(json_of show)
jcheck "show after unlink: b has no link, blue has only a:0" "$j" \
	'(.nodes[] | select(.name == "b") | .links) == [] and (.lans[] | select(.name == "blue") | .links) == ["a:0"] and (.links | length) == 3'
jcheck "show b after unlink: no link, eth0 still there without carrier" "$(json_of show b)" \
	'.node.links == [] and (.node.interfaces | map([.name, .up, .carrier])) == [["eth0", true, false]]'
check "after unlink: b's eth0 is in its netns, NO-CARRIER, without 10.91.0.2" sh -c \
	"ip -n vnl.$L.b -o link show dev eth0 | grep -q 'NO-CARRIER' && ! ip -n vnl.$L.b -o addr show dev eth0 | grep -q 10.91.0.2"
check "after unlink: the switch has no port b-0" sh -c \
	"'$SWCTL_BIN' -c -s /run/vnetlab/$L/switchd.sock show-ports | jq -e '[.ports[].name] | index(\"b-0\") == null'"
vnl_ok "link b:0 blue --ip 10.91.0.2/24 again while pinging" link b:0 blue --ip 10.91.0.2/24
wait_for 10 more_replies "$n2"
result $? "replies resume after the link" "$(tail -n 3 "$TMP/ping")"
check "after link: b's eth0 has carrier and 10.91.0.2/24 again" sh -c \
	"! ip -n vnl.$L.b -o link show dev eth0 | grep -q 'NO-CARRIER' && ip -n vnl.$L.b -o addr show dev eth0 | grep -q ' 10.91.0.2/24'"
jcheck "show after link: b:0 back on blue" "$(json_of show)" \
	'(.nodes[] | select(.name == "b") | .links) == [{"nic":0,"lan":"blue","ip":"10.91.0.2/24","port":"b-0"}] and
	 (.lans[] | select(.name == "blue") | .links | sort) == ["a:0","b:0"]'
lab_record_ifs
wait "$PINGPID"
summary=$(grep transmitted "$TMP/ping")
tx=$(awk '{print $1}' <<<"$summary")
rx=$(awk '{print $4}' <<<"$summary")
result $(((tx == 300 && rx > 0 && rx < tx) ? 0 : 1)) "background ping: losses only while unlinked" "$summary"
last=$(grep 'bytes from' "$TMP/ping" | tail -n 1 | sed 's/.*icmp_seq=\([0-9]*\).*/\1/')
result $((${last:-0} < 280)) "background ping answered up to its end" "last reply icmp_seq=$last"

# --- 6. graph, events --------------------------------------------------------------
run graph --format dot
result $([ "$RC" = 0 ] && grep -Eq '^(di)?graph' <<<"$OUT" && has_words "$OUT" a b c d blue red; echo $?) \
	"graph --format dot: a graph with the nodes and LANs" "exit $RC" "$OUT" "$ERR"
if [ "$RC" = 0 ] && command -v dot >/dev/null; then
	check "dot accepts the graph" dot -Tcanon -o /dev/null <(printf '%s\n' "$OUT")
fi
dot_out=$OUT
run graph
result $([ "$RC" = 0 ] && [ "$OUT" = "$dot_out" ]; echo $?) "graph without --format is dot" "$OUT" "$ERR"
run graph --format mermaid
result $([ "$RC" = 0 ] && grep -Eq '^(graph|flowchart)' <<<"$OUT" && has_words "$OUT" a b c d blue red; echo $?) \
	"graph --format mermaid: a flowchart with the nodes and LANs" "exit $RC" "$OUT" "$ERR"
run graph --format svg
if command -v dot >/dev/null; then
	result $([ "$RC" = 0 ] && grep -q '<svg' <<<"$OUT"; echo $?) "graph --format svg" "$ERR"
else
	result $([ "$RC" != 0 ] && grep -q dot <<<"$ERR"; echo $?) "graph --format svg without graphviz: an error naming dot" "exit $RC" "$ERR"
fi

ev() { jq -c -s "$1" "$TMP/events" 2>&1; }
result $(alive "$EVPID"; echo $?) "vnl events still streams" "$(cat "$TMP/events.err")"
jcheck "events: node-added for a, b, c, d" "$(ev '[.[] | select(.event == "node-added") | .node | if type == "object" then .name else . end] | sort')" '. == ["a","b","c","d"]'
jcheck "events: lan-added red" "$(ev '[.[] | select(.event == "lan-added")]')" 'map(.lan | if type == "object" then .name else . end) == ["red"]'
jcheck "events: link-up a:0 b:0 c:0 d:0 then b:0 again" "$(ev '[.[] | select(.event == "link-up") | "\(.node):\(.nic) \(.lan)"]')" \
	'. == ["a:0 blue","b:0 blue","c:0 red","d:0 red","b:0 blue"]'
jcheck "events: link-down b:0 blue" "$(ev '[.[] | select(.event == "link-down") | "\(.node):\(.nic) \(.lan)"]')" '. == ["b:0 blue"]'
jcheck "events: every line is an object with event first" "$(ev 'map(keys_unsorted[0])')" 'length > 10 and all(. == "event")'

# --- 7. NICs without links ------------------------------------------------------------
# nics_of NODE: the node's interfaces as "name,flags" words, sorted (@peer cut).
nics_of() { ip -n "vnl.$L.$1" -o link show | awk '{sub(/@.*/, "", $2); sub(/:$/, "", $2); print $2 "," $3}' | sort | tr '\n' ' '; }
vnl_ok "add ns e --nics 3 --nic-type afxdp (no link)" add ns e --nics 3 --nic-type afxdp
lab_record_ifs
# The kernel publishes a new link's carrier state a moment later (linkwatch).
three_nc() { [ "$(nics_of e | grep -o 'eth[0-9],<NO-CARRIER,BROADCAST,MULTICAST,UP>' | wc -l)" = 3 ]; }
wait_for 3 three_nc
out=$(nics_of e)
result $([ "$(sed 's/,[^ ]*//g' <<<"$out")" = "eth0 eth1 eth2 lo " ]; echo $?) "e has lo and eth0..eth2 before any link" "got '$out'"
result $([ "$(grep -o 'eth[0-9],<NO-CARRIER,BROADCAST,MULTICAST,UP>' <<<"$out" | wc -l)" = 3 ]; echo $?) \
	"e's eth0..eth2 are up with NO-CARRIER" "got '$out'"
j=$(json_of show e)
jcheck "show e: three interfaces with stable MACs, no carrier, no link" "$j" \
	'(.node.interfaces | map(.name)) == ["eth0","eth1","eth2"] and (.node.interfaces | all(.up and (.carrier | not))) and
	 (.node.interfaces | all(.mac | test("^02:"))) and .node.links == []'
HOSTS_E=$(jq -r '.node.interfaces[].host' <<<"$j")
left=
for h in $HOSTS_E; do ip -o link show dev "$h" | grep -q '[<,]UP[,>]' && left="$left $h"; done
result $([ "$(wc -w <<<"$HOSTS_E")" = 3 ] && [ -z "$left" ]; echo $?) "e's three host ends exist and are down" \
	"hosts: $HOSTS_E" "up:$left"
check "d:1, never linked, is in d as eth1 with NO-CARRIER" sh -c "ip -n vnl.$L.d -o link show dev eth1 | grep -q NO-CARRIER"
vnl_ok "link e:2 blue --ip 10.91.0.5/24" link e:2 blue --ip 10.91.0.5/24
check_ping "e pings a through eth2" e 10.91.0.1
vnl_ok "unlink e:2" unlink e:2
out=$(nics_of e)
result $(grep -q 'eth2,<NO-CARRIER,BROADCAST,MULTICAST,UP>' <<<"$out"; echo $?) "after unlink: eth2 is still in e, NO-CARRIER" "got '$out'"
out=$(ip -n "vnl.$L.e" -o -4 addr show dev eth2)
result $([ -z "$out" ]; echo $?) "after unlink: eth2 has no IPv4 address" "got '$out'"
check "after unlink: the switch has no port e-2" sh -c \
	"'$SWCTL_BIN' -c -s /run/vnetlab/$L/switchd.sock show-ports | jq -e '[.ports[].name] | index(\"e-2\") == null'"
check "after unlink: e cannot ping a" sh -c "! '$VNL_BIN' --lab $L exec e -- ping -n -c 1 -W 1 10.91.0.1"
vnl_ok "link e:2 blue --ip 10.91.0.5/24 again" link e:2 blue --ip 10.91.0.5/24
check_ping "e pings a again" e 10.91.0.1
jcheck "show e: eth2 has carrier, eth0 and eth1 still not" "$(json_of show e)" \
	'(.node.interfaces | map(.carrier)) == [false, false, true] and (.node.links | map(.nic)) == [2]'
vnl_ok "del e" del e
left=
for h in $HOSTS_E; do ip link show dev "$h" >/dev/null 2>&1 && left="$left $h"; done
result $([ -z "$left" ] && ! lab_netns "$L" | grep -q "\.e$"; echo $?) "del e: no netns vnl.$L.e, none of its host veths" "left:$left"

# --- 8. tap NICs -------------------------------------------------------------------
vnl_ok "add ns ta (tap, the default)" add ns ta
vnl_ok "add ns tb --nic-type tap" add ns tb --nic-type tap
vnl_ok "link ta:0 blue --ip 10.91.0.6/24" link ta:0 blue --ip 10.91.0.6/24
vnl_ok "link tb:0 blue --ip 10.91.0.7/24" link tb:0 blue --ip 10.91.0.7/24
check_ping "ta pings tb (tap -> tap)" ta 10.91.0.7
check_ping "ta pings a (tap -> afxdp)" ta 10.91.0.1
check_ping "a pings tb (afxdp -> tap)" a 10.91.0.7
jcheck "show ta: nic type tap, eth0 a tap without host end, carrier" "$(json_of show ta)" \
	'.node["nic-type"] == null and .node.nic_types == ["tap"] and (.node.interfaces | map([.name, .type, .host, .carrier])) == [["eth0","tap",null,true]]'
jcheck "show tb: nic-type tap given" "$(json_of show tb)" '.node["nic-type"] == "tap" and .node.nic_types == ["tap"]'
check "the switch: ta-0 is a tap port on blue in netns vnl.$L.ta" sh -c \
	"'$SWCTL_BIN' -c -s /run/vnetlab/$L/switchd.sock show-ports | jq -e '.ports[] | select(.name == \"ta-0\") | .kind == \"tap\" and .lan == \"blue\" and .netns == \"/run/netns/vnl.$L.ta\"'"
run show ta
result $([ "$RC" = 0 ] && grep -Eq '^ +eth0 +tap +blue' <<<"$OUT"; echo $?) "show ta (text): eth0's type is tap" "$OUT"
MAC_TA=$(ip netns exec "vnl.$L.ta" cat /sys/class/net/eth0/address)
vnl_ok "unlink tb:0" unlink tb:0
check "after unlink: tb's eth0 is a tap, NO-CARRIER, without 10.91.0.7" sh -c \
	"ip -d -n vnl.$L.tb -o link show dev eth0 | grep -q 'NO-CARRIER.* tun ' && ! ip -n vnl.$L.tb -o addr show dev eth0 | grep -q 10.91.0.7"
check "after unlink: the switch has no port tb-0" sh -c \
	"'$SWCTL_BIN' -c -s /run/vnetlab/$L/switchd.sock show-ports | jq -e '[.ports[].name] | index(\"tb-0\") == null'"
check_no_ping "ta cannot reach the unlinked tb" ta 10.91.0.7
vnl_ok "link tb:0 blue again" link tb:0 blue --ip 10.91.0.7/24
check_ping "ta pings tb again" ta 10.91.0.7
# A link's nic-type overrides the node's for that NIC.
vnl_ok "unlink ta:0" unlink ta:0
vnl_ok "link ta:0 blue --nic-type afxdp" link ta:0 blue --ip 10.91.0.6/24 --nic-type afxdp
j=$(json_of show ta)
jcheck "show ta: the link says nic-type afxdp, the NIC is a veth with a host end" "$j" \
	'.node.links[0]["nic-type"] == "afxdp" and .node.nic_types == ["afxdp"] and .node.interfaces[0].type == "afxdp" and (.node.interfaces[0].host | test("^v[0-9a-f]{8}-0$"))'
result $([ "$(ip netns exec "vnl.$L.ta" cat /sys/class/net/eth0/address)" = "$MAC_TA" ]; echo $?) "ta's eth0 keeps its MAC across the type change"
lab_record_ifs
check_ping "ta (now afxdp) pings tb (tap)" ta 10.91.0.7
run save -
result $(grep -q '{node: ta, nic: 0, lan: blue, ip: 10.91.0.6/24, nic-type: afxdp}' <<<"$OUT"; echo $?) \
	"save writes the override in the long link form" "$OUT"
vnl_ok "unlink ta:0" unlink ta:0
# A 9000-byte LAN between tap nodes.
vnl_ok "add lan jumbo --mtu 9000" add lan jumbo --mtu 9000
jcheck "show jumbo: mtu 9000" "$(json_of show jumbo)" '.lan.mtu == 9000'
vnl_ok "unlink tb:0" unlink tb:0
vnl_ok "link ta:0 jumbo (tap again)" link ta:0 jumbo --ip 10.91.9.1/24
vnl_ok "link tb:0 jumbo" link tb:0 jumbo --ip 10.91.9.2/24
check "ta's eth0 is a tap again, mtu 9000" sh -c "ip -d -n vnl.$L.ta -o link show dev eth0 | grep -q 'mtu 9000 .* tun '"
wait_for 10 vnl exec ta -- ping -n -q -c 1 -W 1 10.91.9.2
out=$(vnl exec ta -- ping -n -q -c 3 -i 0.2 -W 1 -M do -s 8972 10.91.9.2 2>&1)
result $(grep -q ' 0% packet loss' <<<"$out"; echo $?) "ta pings tb with 9000-byte packets, DF set (ping -M do -s 8972)" "$out"
jcheck "show ta: eth0 has its LAN's mtu, no mtu_mismatch" "$(json_of show ta)" '.node | has("mtu_mismatch") | not'
vnl_ok "ta's eth0 mtu 1500 from inside the node" exec ta -- ip link set dev eth0 mtu 1500
jcheck "show ta -j: mtu_mismatch eth0 1500 on jumbo 9000" "$(json_of show ta)" \
	'.node.mtu_mismatch == [{"nic": 0, "lan": "jumbo", "lan_mtu": 9000, "mtu": 1500}]'
out=$(vnl show 2>&1)
result $([ "$(grep -c warning <<<"$out")" = 1 ] && grep -q '^  warning: ta: eth0 mtu 1500, LAN jumbo 9000 (changed inside the node)$' <<<"$out"; echo $?) \
	"vnl show: one warning line, under the nodes" "$out"
out=$(vnl show ta 2>&1)
result $(sed -n 2p <<<"$out" | grep -q '^  warning: ta: eth0 mtu 1500, LAN jumbo 9000'; echo $?) "vnl show ta: the warning under the node's name" "$out"
vnl_ok "ta's eth0 mtu 9000 again" exec ta -- ip link set dev eth0 mtu 9000
out=$(vnl show 2>&1)
result $(! grep -q warning <<<"$out"; echo $?) "vnl show: no warning once the MTU is the LAN's" "$out"
vnl_ok "del ta" del ta
vnl_ok "del tb" del tb
vnl_ok "del jumbo" del jumbo
check "del ta, tb: their netns are gone" sh -c "! ip netns list | grep -Eq '^vnl\.$L\.t[ab]\b'"

# --- 9. del, stop --------------------------------------------------------------------
HOSTS_D=$(json_of show d | jq -r '.node.interfaces[].host')
vnl_ok "del d" del d
check "netns vnl.$L.d is gone" sh -c "! ip netns list | grep -q '^vnl\.$L\.d\b'"
left=
for h in $HOSTS_D; do ip link show dev "$h" >/dev/null 2>&1 && left="$left $h"; done
result $([ "$(wc -w <<<"$HOSTS_D")" = 2 ] && [ -z "$left" ]; echo $?) "del d: both host veths are gone (d:1 never linked)" \
	"hosts: $HOSTS_D" "left:$left"
ports=$("$SWCTL_BIN" -c -s "/run/vnetlab/$L/switchd.sock" show-ports | jq -c '[.ports[] | [.name, .lan]] | sort')
result $([ "$ports" = '[["a-0","blue"],["b-0","blue"],["c-0","red"]]' ]; echo $?) "del d: the switch keeps a-0, b-0, c-0 and drops d-0" "switch ports: $ports"
jcheck "del d: b keeps its NIC" "$(json_of show b)" '(.node.interfaces | length) == 1 and (.node.links | length) == 1'
vnl_ok "del red (c:0 goes with it)" del red
jcheck "show after del: d and red gone, c unlinked" "$(json_of show)" \
	'([.nodes[].name] | sort) == ["a","b","c"] and [.lans[].name] == ["blue"] and (.nodes[] | select(.name == "c") | .links) == []'
jcheck "events: node-deleted d, lan-deleted red" "$(ev '[.[] | select(.event | test("deleted")) | .event]')" \
	'index("node-deleted") != null and index("lan-deleted") != null'
check_ping "a still pings b" a 10.91.0.2
vnl_ok "stop" stop
wait_for 10 sh -c "! kill -0 $EVPID"
result $? "vnl events ends when the lab stops"
check "after stop: no netns of the lab" test -z "$(lab_netns "$L")"
check "after stop: no folders of the lab" test ! -e "/run/vnetlab/$L" -a ! -e "/var/lib/vnetlab/$L"
check "after stop: no process of the lab" test -z "$(lab_pids "$L")"
left=
for i in "${_HOSTIFS[@]}"; do ip link show dev "$i" >/dev/null 2>&1 && left="$left $i"; done
result $([ -z "$left" ]; echo $?) "after stop: no host veth of the lab" "left:$left"
done_testing
