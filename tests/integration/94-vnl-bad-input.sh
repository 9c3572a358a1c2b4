#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: every kind of bad input, through the CLI and raw on vnld's
# socket, is refused with a clear one-line error and a non-zero exit, and
# changes nothing: the saved topology, show -j, the lab's netns and what is
# inside them, the host veths whose peers are in them, and the switch's
# ports and LANs are compared before and after each refusal.
#
# Operations: a lab with LANs blue, red, jumbo (mtu 9000) and nodes a (2
# NICs), b (tap NICs), x9 (afxdp); a:0 and b:0 on blue. Then, one by one:
# bad names, duplicates, unknown objects, bad NODE:N, bad --ip, bad
# --nic-type and --mtu (a word that is no type, nic-type on a vm, mtu 9001,
# an afxdp NIC on the 9000 LAN), unknown verbs and options, kinds not available yet,
# exec on a missing node, malformed requests with vnl-swctl --raw (not
# JSON, array, no cmd, unknown cmd/argument, wrong types, a 70 KiB line).
# The 15-character boundary is checked to be accepted, so the name rule
# cannot pass by refusing everything.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 94-vnl-bad-input
lab_new L c94
SOCK=/run/vnetlab/$L/vnld.sock

must add lan blue >/dev/null
must add lan red >/dev/null
must add ns a --nics 2 >/dev/null
must add ns b >/dev/null
must add lan jumbo --mtu 9000 >/dev/null
must add ns x9 --nic-type afxdp >/dev/null
must link a:0 blue --ip 10.94.0.1/24 >/dev/null
must link b:0 blue --ip 10.94.0.2/24 >/dev/null
lab_record_ifs
BEFORE=$(lab_snapshot)

# unchanged DESC: the lab is as it was at the start.
unchanged() {
	local now
	now=$(lab_snapshot)
	[ "$now" = "$BEFORE" ] && return 0
	not_ok "$1: the lab changed" "$(diff <(echo "$BEFORE") <(echo "$now"))"
	BEFORE=$now
	return 1
}

# refuse [PATTERN --] ARGS...: vnl ARGS must exit non-zero with stderr whose
# first line is "vnl: <message>" (exit 1: that one line only; exit 2, a usage
# error, may add the synopsis), matching the extended regex PATTERN if given,
# print nothing on stdout, and change nothing.
refuse() {
	local pat=
	if [ $# -ge 2 ] && [ "$2" = -- ]; then pat=$1; shift 2; fi
	run "$@"
	local first why=
	first=$(head -n 1 <<<"$ERR")
	if [ "$RC" = 0 ]; then why="exit 0"
	elif [ "$RC" -gt 2 ]; then why="exit $RC (expected 1 or 2)"
	elif ! grep -Eq '^vnl: .{8,}' <<<"$first"; then why="first stderr line is not 'vnl: <message>'"
	elif [ "$RC" = 1 ] && [ "$(wc -l <<<"$ERR")" != 1 ]; then why="more than one line on stderr"
	elif [ -n "$pat" ] && ! grep -Eqi -- "$pat" <<<"$first"; then why="message does not match /$pat/"
	elif [ -n "$OUT" ]; then why="something on stdout"
	fi
	if [ -z "$why" ]; then
		unchanged "vnl $*" && ok "refused: vnl $* -> $first"
	else
		not_ok "refused: vnl $*" "$why; exit $RC" "stdout: $OUT" "stderr: $ERR"
		unchanged "vnl $*"
	fi
}

RULE='\[a-z0-9\]|at most 15'
# --- bad names ------------------------------------------------------------------
refuse "$RULE" -- add lan Blue
refuse "$RULE" -- add ns A
refuse "$RULE" -- add lan abcdefghijklmnop
refuse "$RULE" -- add ns abcdefghijklmnop
refuse "$RULE" -- add ns -- -x
refuse "$RULE" -- add lan -- _x
refuse "$RULE" -- add lan a.b
refuse "$RULE" -- add ns a/b
refuse "$RULE" -- add lan ""
refuse "$RULE" -- add ns "a b"
refuse "$RULE" -- add lan "é"
refuse add ns
refuse add lan
refuse add
run --lab Bad_Lab show
result $([ "$RC" != 0 ] && grep -Eq "$RULE" <<<"$ERR" && [ ! -e /run/vnetlab/Bad_Lab ]; echo $?) "refused: a bad lab name" "exit $RC" "$ERR"
vnl_ok "a 15-character name is accepted" add lan abcdefghijklmno
must del abcdefghijklmno >/dev/null
vnl_ok "a name with - and _ is accepted" add lan 0a-b_c
must del 0a-b_c >/dev/null
unchanged "add then del" && ok "add then del leaves the lab as it was"

# --- duplicates ------------------------------------------------------------------------
refuse 'blue' -- add ns blue
refuse '\ba\b' -- add lan a
refuse 'blue' -- add lan blue
refuse '\ba\b' -- add ns a
refuse add ns a --nics 3

# --- unknown objects ----------------------------------------------------------------------
refuse 'nope' -- del nope
refuse 'nope' -- show nope
refuse 'nope' -- link nope:0 blue
refuse 'nope' -- link a:1 nope
refuse 'nope' -- unlink nope:0
refuse 'nope' -- stats nope:0
refuse 'nope' -- stats nope
refuse 'nope' -- fdb nope
refuse fdb a
refuse 'NIC|nic|interface' -- link a:2 red
refuse 'NIC|nic|interface' -- link b:1 red
refuse 'NIC|nic|interface' -- stats a:9
refuse 'a:0|linked|blue' -- link a:0 red
refuse 'a:0|linked|blue' -- link a:0 blue
refuse 'a:1|linked|not' -- unlink a:1
refuse 'nope' -- exec nope -- true
refuse exec a
refuse exec

# --- bad NODE:N -------------------------------------------------------------------------------
for spec in a a: :0 a:x a:-1 a:0:1 A:0 a:1x a:99999999999 "a :0"; do
	refuse link "$spec" red
done
refuse unlink a
refuse unlink a:
refuse stats a:z
refuse link a:1
refuse link a:1 red blue

# --- bad --ip ---------------------------------------------------------------------------------
for addr in 300.1.1.1/24 10.0.0.1/33 10.0.0.1/0 10.0.0.1 10.0.0/24 1.2.3.4.5/24 abc /24 10.0.0.1/ "10.0.0.1/24 x"; do
	refuse link a:1 red --ip "$addr"
done
refuse link a:1 red --ip

# --- bad --nic-type and --mtu (issue 12) -------------------------------------------------------
refuse 'one of tap, afxdp' -- add ns x --nic-type veth
refuse 'one of tap, afxdp' -- add cnt x --image i --nic-type TAP
refuse 'nic-type is for kinds ns and cnt, not vm' -- add vm x --image i --nic-type tap
refuse add ns x --nic-type
refuse '68\.\.9000' -- add lan x --mtu 9001
refuse '68\.\.9000' -- add lan x --mtu 67
refuse '68\.\.9000' -- add lan x --mtu big
refuse 'mtu is for LANs' -- add ns x --mtu 9000
refuse "add lan: --nic-type is a node's option" -- add lan x --nic-type tap
# vxlan LANs (issue 15): what the CLI and vnld refuse without the switch
refuse '1\.\.16777215' -- add lan x --vxlan 0 --remote 192.0.2.2
refuse 'need --vxlan VNI' -- add lan x --remote 192.0.2.2
refuse "bad address '192\.0\.2\.300'" -- add lan x --vxlan 5 --remote 192.0.2.300
refuse 'one family per LAN' -- add lan x --vxlan 5 --remote 192.0.2.2,2001:db8::2
refuse 'given twice' -- add lan x --vxlan 5 --remote 192.0.2.2,192.0.2.2
refuse 'remote fe80::1 is link-local' -- add lan x --vxlan 5 --remote fe80::1
refuse 'remote 239\.1\.1\.1 is multicast' -- add lan x --vxlan 5 --remote 239.1.1.1
refuse 'is local and a remote' -- add lan x --vxlan 5 --remote 192.0.2.2 --local 192.0.2.2
refuse 'needs an underlay' -- add lan x --vxlan 5
refuse 'no interface vm15nosuch' -- add lan x --vxlan 5 --underlay vm15nosuch
refuse 'at most 3456' -- add lan x --vxlan 5 --remote 192.0.2.2 --mtu 9000
refuse 'bad underlay' -- add lan x --vxlan 5 --underlay 'a:b'
refuse 'is for LANs' -- add ns x --remote 192.0.2.2
refuse 'nothing to change' -- set lan blue
refuse "no LAN named 'nosuch'" -- set lan nosuch --remote 192.0.2.2
refuse 'cannot be set' -- set node a --remote 192.0.2.2
refuse "one of tap, afxdp, not 'veth'" -- link a:1 red --nic-type veth
refuse 'nic-type' -- link a:1 red --nic-type 'a b'
refuse '3506.*nic-type tap' -- link x9:0 jumbo
refuse '3506.*nic-type tap' -- link a:1 jumbo --nic-type afxdp
refuse '3506.*nic-type tap' -- link x9:0 jumbo --nic-type afxdp --ip 10.94.9.2/24
check "the refused afxdp link left a:1 a tap" sh -c "ip -d -n vnl.$L.a -o link show dev eth1 | grep -q ' tun '"

# --- unknown verbs and options -------------------------------------------------------------
refuse frobnicate
refuse Show
refuse sh
refuse show --bogus
refuse --bogus show
refuse show a b
refuse add ns x --nics 0
refuse add ns x --nics 33
refuse add ns x --nics abc
refuse add ns x --nics
refuse add lan x --nics 2
refuse add bridge x
refuse graph --format png
refuse deploy
refuse stats a:0 b:0

# --- kinds of later issues ----------------------------------------------------------------
refuse 'cnt' -- add cnt x
refuse 'vm' -- add vm x

# --- malformed requests on the socket -------------------------------------------------------
# raw LINE [PATTERN]: vnl-swctl --raw LINE gets {"ok":false,"error":...}
# (matching PATTERN), exit 1, and nothing changes.
raw() {
	local out rc
	out=$(timeout 20 "$SWCTL_BIN" -s "$SOCK" --raw "$1" 2>"$TMP/raw.err")
	rc=$?
	if [ "$rc" = 1 ] && jq -e --arg p "${2:-.}" '.ok == false and (.error | type == "string" and length > 5 and test($p; "i"))' \
		>/dev/null 2>&1 <<<"$out"; then
		unchanged "raw ${1:0:60}" && ok "refused on the socket: ${1:0:60} -> $(jq -c .error <<<"$out")"
	else
		not_ok "refused on the socket: ${1:0:60}" "exit $rc" "reply: ${out:0:300}" "$(cat "$TMP/raw.err")"
		unchanged "raw ${1:0:60}"
	fi
}
raw 'hello' 'json'
raw '{"cmd":"show",}' 'json'
raw '["show"]' 'object'
raw '"show"' 'object'
raw '{}' 'cmd'
raw '{"name":"blue"}' 'cmd'
raw '{"cmd":"frobnicate"}' 'unknown'
raw '{"cmd":5}' 'cmd|string'
raw '{"cmd":"show","bogus":1}' 'bogus'
raw '{"cmd":"lan-add","name":"x","nme":"y"}' 'nme'
raw '{"cmd":"lan-add"}' 'name'
raw '{"cmd":"lan-add","name":5}' 'name'
raw '{"cmd":"node-add","name":"x","kind":"ns","nics":"x"}' 'nics'
raw '{"cmd":"node-add","name":"x","kind":"ns","nics":0}' 'nics'
raw '{"cmd":"node-add","name":"x","kind":"ns","nics":1.5}' 'nics'
raw '{"cmd":"node-add","name":"x"}' 'kind'
raw '{"cmd":"node-add","name":"x","kind":"bogus"}' 'kind'
raw '{"cmd":"link","node":"a","nic":"x","lan":"red"}' 'nic'
raw '{"cmd":"link","node":"a","nic":1,"lan":"red","ip":7}' 'ip'
raw '{"cmd":"link","node":"a","nic":-1,"lan":"red"}' 'nic'
raw '{"cmd":"unlink","node":"a"}' 'nic'
raw '{"cmd":"del","name":null}' 'name'
raw '{"cmd":"deploy","file":"relative.yaml"}' 'absolute'
raw '{"cmd":"fdb"}' 'lan'
raw '{"cmd":"lan-add","name":"x","mtu":9001}' 'mtu'
raw '{"cmd":"lan-add","name":"x","mtu":"9000"}' 'mtu'
raw '{"cmd":"link","node":"a","nic":1,"lan":"red","nic-type":"packet"}' 'nic-type'
raw '{"cmd":"link","node":"a","nic":1,"lan":"red","nic-type":5}' 'nic-type'
raw '{"cmd":"node-add","name":"x","kind":"ns","nic-type":"veth"}' 'nic-type'
# layout (vnl web's positions): every malformed entry refused, none set.
raw '{"cmd":"layout","positions":[1,2]}' 'positions'
raw '{"cmd":"layout","positions":{"a":0}}' "layout of 'a'"
raw '{"cmd":"layout","positions":{"a":{"x":1}}}' "layout of 'a'"
raw '{"cmd":"layout","positions":{"a":[1]}}' "layout of 'a'"
raw '{"cmd":"layout","positions":{"a":[1,"2"]}}' "layout of 'a'"
raw '{"cmd":"layout","positions":{"a":[-9223372036854775808,0]}}' 'x and y'
raw '{"cmd":"layout","positions":{"a":[0,9223372036854775807]}}' 'x and y'
raw '{"cmd":"layout","positions":{"a":[1,2],"blue":[3,1000001]}}' 'x and y'
raw '{"cmd":"layout","positions":{"a":[1,2],"nosuch":[3,4]}}' 'nosuch'
big=$(printf '{"cmd":"lan-add","name":"x","pad":"%s"}' "$(head -c 71680 /dev/zero | tr '\0' x)")
raw "$big" 'long|large|65536'
check "vnld still answers after the malformed requests" "$SWCTL_BIN" -s "$SOCK" version
unchanged "everything above" && ok "the lab is as it was"
check_ping "the lab still works: a pings b" a 10.94.0.2
done_testing
