#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the kinds' schemas (endpoints/*.c, struct topo_kind) are what
# vnl and vnld know of kinds and their options: `vnl __complete kinds` and
# `vnl __complete options KIND`, `vnl add --help`, the bash completion,
# `vnl add`'s checks, vnld's node-add (options by name and type, an option
# of another kind refused naming its kinds), and `vnl show`/`save` print
# the options by their schema names.
#
# Operations:
#   1. __complete kinds / options [KIND], add --help: words and lines from the
#      schemas (ns has none; cnt image cmd env mem pids; vm image mem cpus)
#   2. completion/vnl.bash (with bash-completion's helpers): the options it
#      offers after `vnl add KIND NODE --` are that kind's, values are skipped
#   3. vnl add ns x --pids 100: refused by vnl naming cnt, no lab started;
#      --mem abc and --env =x are usage errors
#   4. a lab: raw node-add requests with another kind's option, an unknown
#      member, a list where a number goes: refused; a cnt node's options
#      (vnl add, file form) read back from show -j and save by their names

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 104-vnl-kinds
lab_new L k104
SOCK=/run/vnetlab/$L/vnld.sock

# lines CMD...: CMD's stdout on one line, words separated by spaces.
lines() { "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }

# --- 1. completion words and help from the schemas ------------------------------------
out=$(lines vnl __complete kinds)
result $([ "$out" = "ns cnt vm" ]; echo $?) "__complete kinds: the table's order" "$out"
out=$(lines vnl __complete options ns)
result $([ "$out" = "--nics --nic-type -n" ]; echo $?) "__complete options ns: --nics and --nic-type" "$out"
out=$(lines vnl __complete options cnt)
result $([ "$out" = "--nics --image --cmd --env --mem --pids --nic-type -n -i -c -e -m" ]; echo $?) \
	"__complete options cnt: its schema's options, then their letters" "$out"
out=$(lines vnl __complete options vm)
result $([ "$out" = "--nics --image --mem --cpus -n -i -m" ]; echo $?) "__complete options vm" "$out"
out=$(lines vnl __complete options)
result $([ "$out" = "--nics --nic-type --image --cmd --env --mem --pids --cpus -n -i -c -e -m" ]; echo $?) \
	"__complete options: every kind's, each once" "$out"
out=$(lines vnl __complete values nic-type)
result $([ "$out" = "tap afxdp" ]; echo $?) "__complete values nic-type: the words of the choice" "$out"
run __complete frobs
result $([ "$RC" = 2 ] && grep -q "options" <<<"$ERR"; echo $?) "__complete of an unknown list: usage error" "$ERR"
run add --help
result $([ "$RC" = 0 ] && grep -q '^       vnl add cnt NODE \[--nics N\] \[--image IMG\] \[--cmd CMD\] \[--env K=V\]\.\.\. \[--mem MB\] \[--pids N\] \[--nic-type TYPE\]$' <<<"$OUT" &&
	grep -q -- '--nic-type TYPE  *switch port of the NICs: tap .* \[tap\]$' <<<"$OUT" && grep -q '^Usage: vnl add lan LAN \[--mtu N\] \[--vxlan VNI --remote IP\[,IP\.\.\.\] \[--underlay IFACE\] \[--local IP\] \[--dstport N\]\]$' <<<"$OUT" &&
	grep -q '^Kind vm: ' <<<"$OUT" && grep -q -- '--pids N  *most tasks, 16\.\.4194304 \[1024\]$' <<<"$OUT" &&
	grep -q -- '--cpus N  *virtual cpus, 1\.\.256 \[1\]$' <<<"$OUT"; echo $?) \
	"add --help: a synopsis per kind and each option with its range and default" "$OUT"

# --- 2. the bash completion asks the schemas --------------------------------------------
if [ -r /usr/share/bash-completion/bash_completion ]; then
	cat >"$TMP/compl.sh" <<EOS
source /usr/share/bash-completion/bash_completion
source "$VNL_SOURCE_DIR/completion/vnl.bash"
comp() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="\${COMP_WORDS[*]}"
	COMP_POINT=\${#COMP_LINE}; COMPREPLY=(); _vnl; echo "\${COMPREPLY[*]}"; }
comp "$VNL_BIN" add vm v1 --
comp "$VNL_BIN" add cnt c1 --
comp "$VNL_BIN" add --mem 5 cnt c1 --p
comp "$VNL_BIN" add cnt c1 -i img --c
comp "$VNL_BIN" add ""
EOS
	mapfile -t c < <(bash "$TMP/compl.sh" 2>&1)
	# After the global options (..., --help): the kind's.
	result $([ "${c[0]#*--help }" = "--nics --image --mem --cpus" ]; echo $?) \
		"completion: add vm NODE -- offers vm's options" "${c[0]-}"
	result $([ "${c[1]#*--help }" = "--nics --image --cmd --env --mem --pids --nic-type" ]; echo $?) \
		"completion: add cnt NODE -- offers cnt's options" "${c[1]-}"
	result $([ "${c[2]-}" = "--pids" ] && [ "${c[3]-}" = "--cmd" ]; echo $?) \
		"completion: the values of --mem and -i are skipped" "${c[2]-} / ${c[3]-}"
	result $([ "${c[4]-}" = "lan ns cnt vm" ]; echo $?) "completion: add offers lan and the kinds" "${c[4]-}"
else
	ok "completion: skipped (no bash-completion)"
fi

# --- 3. vnl add's checks, before any lab --------------------------------------------------
run add ns x --pids 100
result $([ "$RC" = 1 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -q "node 'x': pids is for kind cnt, not ns" <<<"$ERR" &&
	[ ! -e "/run/vnetlab/$L" ]; echo $?) "add ns --pids: refused by vnl, one line naming cnt, no lab started" "$ERR"
run add vm x --cmd true
result $([ "$RC" = 1 ] && grep -q "cmd is for kind cnt, not vm" <<<"$ERR"; echo $?) "add vm --cmd: refused naming cnt" "$ERR"
run add cnt x --mem abc
result $([ "$RC" = 2 ] && grep -q "^vnl: --mem must be a number in 1..1048576, not 'abc'" <<<"$ERR"; echo $?) \
	"--mem abc: usage error with the kinds' widest range" "$ERR"
run add cnt x --env =x
result $([ "$RC" = 2 ] && grep -q "^vnl: --env =x: bad env entry" <<<"$ERR"; echo $?) "--env =x: usage error" "$ERR"
run add bridge x
result $([ "$RC" = 2 ] && grep -q "'bridge' is not lan or a node kind (ns, cnt, vm)" <<<"$ERR"; echo $?) \
	"add bridge: the kinds named from the table" "$ERR"

# --- 4. vnld's node-add by the schema -----------------------------------------------------
must add lan blue >/dev/null
# raw LINE PATTERN: vnld refuses LINE with an error matching PATTERN.
raw() {
	local out
	out=$(timeout 20 "$SWCTL_BIN" -s "$SOCK" --raw "$1" 2>/dev/null)
	result $(jq -e --arg p "$2" '.ok == false and (.error | test($p))' >/dev/null 2>&1 <<<"$out"; echo $?) \
		"node-add refused: ${1:0:70}" "$out"
}
raw '{"cmd":"node-add","name":"x","kind":"ns","pids":100}' "node 'x': pids is for kind cnt, not ns"
raw '{"cmd":"node-add","name":"x","kind":"cnt","cpus":1}' "node 'x': cpus is for kind vm, not cnt"
raw '{"cmd":"node-add","name":"x","kind":"ns","image":"a"}' "image is for kinds cnt and vm, not ns"
raw '{"cmd":"node-add","name":"x","kind":"ns","colour":"red"}' "unknown argument 'colour' for node-add"
raw '{"cmd":"node-add","name":"x","kind":"cnt","pids":[1]}' "argument 'pids' must be an integer"
raw '{"cmd":"node-add","name":"x","kind":"cnt","pids":15}' "argument 'pids' must be in 16..4194304"
raw '{"cmd":"node-add","name":"x","kind":"cnt","env":"A=1"}' "argument 'env' must be a list of KEY=VALUE strings"
raw '{"cmd":"node-add","name":"x","kind":"cnt","command":""}' "node 'x': cmd must not be empty"
raw '{"cmd":"node-add","name":"x","kind":"box"}' "unknown node kind 'box' \\(kinds: ns, cnt, vm\\)"
jcheck "... and no node x was made" "$(json_of show)" '.nodes == []'

cat >"$TMP/lab.yaml" <<'EOY'
nodes:
  - name: n1
    kind: ns
    nics: 2
EOY
vnl_ok "deploy a file with an ns node" deploy "$TMP/lab.yaml"
out=$(vnl save - 2>&1)
result $(grep -A3 'name: n1' <<<"$out" | grep -q 'nics: 2'; echo $?) "save writes it back" "$out"
done_testing
