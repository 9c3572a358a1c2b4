#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the lab in a browser (issue 14), in a real browser: Debian's
# chromium, headless, driven by playwright-core (tests/browser/web.test.mjs)
# against the real vnl-web, vnl, vnld and vnl-switchd. What a user does with
# the mouse changes the lab as `vnl` would, and what `vnl` does shows on the
# canvas; a wrong action shows its error; every WebSocket needs the token.
#
# Operations: vnl-web on 0.0.0.0 (any free port). In the page: start the lab,
# deploy a file (a, b on blue; a layout for a and blue, none for b); drag an ns node, a LAN, then the node onto
# the LAN (`vnl show` has them); a terminal on a runs commands in a; a vm
# (tiny image, when built) boots on the canvas and, with every iptables
# chain on DROP, still has a terminal; `vnl
# add`/`vnl del` in a shell, a second tab's edit: the canvas follows; a
# name that exists shows vnld's error next to the drop; traffic colours a
# link; the token is needed from everywhere (Jupyter's model: vnl-web is
# root, a terminal a root shell): this host without it, another origin, a
# name rebound to 127.0.0.1 (127.evil.example) and another host without it
# are refused, raw upgrades too, as are upgrades to vnl-web's other
# protocols. A link's menu impairs it (vnl impair prints it, the ping RTT
# grows by the delay, vnld's error on a bad value, clear) and captures it
# (vnl-web's vnl capture child; the download is pcapng with the pings,
# served once; one stopped at --capture-max is whole; two per tab; the tab
# gone, they stop and their files go); a LAN's menu captures every port
# with a filter (vnl capture -f; a bad one shows vnl's error by the LAN).
# A new user builds the demo lab's ns part (examples/two-lans.yaml) with
# the mouse alone in a lab started from the page: 2 LANs, 5 nodes (r with 2
# NICs), 6 links with addresses; a's terminal pings b; `vnl show` then
# equals what `vnl deploy examples/two-lans.yaml` makes.
# A tab that floods requests, terminals and starts without
# reading keeps vnl-web's fds, children and memory bounded, and the lab
# answers meanwhile. A deploy whose layout cannot be saved still deploys.
# vnl-web killed (SIGKILL) with a capture running: the capture ends with it
# and the next vnl-web removes its folder; SIGHUP ends vnl-web cleanly.
# Screenshots of each step: build/meson-logs/108-web/.

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

CHROMIUM=${VNL_CHROMIUM:-/usr/bin/chromium}
BROWSER_DIR=$VNL_SOURCE_DIR/tests/browser
[ -x "$CHROMIUM" ] || skip_all "no chromium at $CHROMIUM (apt-get install chromium; scripts/packages-test.txt)"
command -v node >/dev/null || skip_all "no node (apt-get install nodejs)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] && [ -d "$VNL_SOURCE_DIR/web/ui/node_modules/cytoscape" ] ||
	bail "npm packages missing: scripts/test fetches them (or npm ci in web/ui and tests/browser)"
[ -x "$VNL_BUILD_DIR/vnl-web" ] || bail "vnl-web is not built"

vnl_test_init 108-web
lab_new L wb
lab_new D wbd

SHOTS=$VNL_BUILD_DIR/meson-logs/108-web
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
cat >"$TMP/lab.yaml" <<'YAML'
lans:
  - blue
nodes:
  - name: a
    kind: ns
  - name: b
    kind: ns
links:
  - a:0 blue 10.108.1.1/24
  - b:0 blue 10.108.1.2/24
layout:
  a: [150, 320]
  blue: [300, 200]
YAML

# Under ASan (scripts/test's sanitized pass) freed memory waits in a 256 MiB
# quarantine, which the RSS bound of the flood step would count: keep it small.
# Captures stop at 64 KiB here (the pings of the capture step are ~2 KiB):
# `vnl web` passes --capture-max on to vnl-web, which it becomes (same pid).
WEB_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:quarantine_size_mb=8}
out=$("$VNL_BIN" web --capture-max 0 2>&1) rc=$?
[ "$rc" = 2 ] && [[ $out = *"--capture-max takes KiB"* ]] && ok "vnl web --capture-max 0: refused by vnl-web (exit 2)" ||
	not_ok "vnl web --capture-max 0 is refused" "exit $rc: $out"
ASAN_OPTIONS=${WEB_ASAN:-${ASAN_OPTIONS:-}} "$VNL_BIN" web --listen 0.0.0.0:0 --capture-max 64 >"$TMP/web.log" 2>&1 &
WEBPID=$!
bg_track $WEBPID
wait_for 10 grep -q token "$TMP/web.log" || bail "vnl-web did not start: $(cat "$TMP/web.log")"
PORT=$(sed -n 's|.*http://[^ ]*:\([0-9]*\)/.*|\1|p' "$TMP/web.log" | head -1)
TOKEN=$(sed -n 's/^vnl-web: token \([0-9a-f]*\).*/\1/p' "$TMP/web.log")
# The host's own address that is not the loopback: "another host" to vnl-web.
HOSTIP=$(ip -4 -o addr show scope global | awk '{sub(/\/.*/, "", $4); print $4; exit}')
diag "vnl-web on port $PORT, off-localhost address ${HOSTIP:-none}; screenshots in $SHOTS"

# A vm node too when the tiny VM image (scripts/test builds it) and qemu are here.
VM_IMAGE=
if [ -s "${VNL_IMAGES:-/var/lib/vnetlab-images}/tiny.qcow2" ] && command -v qemu-system-x86_64 >/dev/null; then
	VM_IMAGE=tiny
fi

# The browser steps print TAP lines numbered from here and leave their count.
export URL="http://127.0.0.1:$PORT/" OFFHOST=${HOSTIP:+http://$HOSTIP:$PORT/} TOKEN LAB=$L VNL=$VNL_BIN \
	TOPO=$TMP/lab.yaml SHOTS CHROMIUM WEBPID VM_IMAGE TAP_FIRST=$((_T + 1)) TAP_COUNT=$TMP/count \
	DEMO_LAB=$D DEMO_TOPO=$VNL_SOURCE_DIR/examples/two-lans.yaml
timeout 260 node "$BROWSER_DIR/web.test.mjs" || not_ok "the browser steps ended early (status $?)"
_T=$((_T + $(cat "$TMP/count" 2>/dev/null || echo 0)))
lab_record_ifs "$L"
lab_record_ifs "$D"

# upgrade HOST PROTOCOL QUERY: the HTTP status of a raw WebSocket upgrade
# to vnl-web from this host, Origin http://HOST (101: accepted).
upgrade() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H "Host: $1" -H "Origin: http://$1" \
		-H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
		-H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" ${2:+-H "Sec-WebSocket-Protocol: $2"} \
		"http://127.0.0.1:$PORT/ws$3"
}
# refused_upgrade DESC HOST PROTOCOL QUERY
refused_upgrade() {
	local code
	code=$(upgrade "$2" "$3" "$4")
	[ "$code" != 101 ] && ok "raw upgrade refused: $1 (status ${code:-none})" || not_ok "raw upgrade refused: $1" "status $code"
}
code=$(upgrade "127.0.0.1:$PORT" vnl "?token=$TOKEN")
[ "$code" = 101 ] && ok "raw upgrade from this host with the token: accepted" || not_ok "raw upgrade with the token" "status $code"
refused_upgrade "this host, no token" "127.0.0.1:$PORT" vnl ""
refused_upgrade "this host, localhost, no token" "localhost:$PORT" vnl ""
refused_upgrade "a token one character longer" "127.0.0.1:$PORT" vnl "?token=${TOKEN}0"
refused_upgrade "Host 127.evil.example (rebinding), no token" "127.evil.example:$PORT" vnl ""
refused_upgrade "protocol vnl-chan, with the token" "127.0.0.1:$PORT" vnl-chan "?token=$TOKEN"
refused_upgrade "protocol http, with the token" "127.0.0.1:$PORT" http "?token=$TOKEN"
refused_upgrade "protocol dl, with the token" "127.0.0.1:$PORT" dl "?token=$TOKEN"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$PORT/dl/$TOKEN")
[ "$code" = 404 ] && ok "a download URL nobody was given: 404" || not_ok "an unknown download URL" "status $code"
refused_upgrade "no protocol, with the token" "127.0.0.1:$PORT" "" "?token=$TOKEN"

# A tab that asks and never reads.
nfds() { ls "/proc/$WEBPID/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$WEBPID/status"; }
nterms() { pgrep -fc "vnl --lab $L exec -t a" || true; }
FDS0=$(nfds) RSS0=$(rss_kb)
node "$BROWSER_DIR/flood.mjs" "$PORT" "$TOKEN" "$L" a 14 >"$TMP/flood.log" 2>&1 &
bg_track $!
wait_for 20 grep -q flooding "$TMP/flood.log" || not_ok "the flooding tab connected" "$(cat "$TMP/flood.log")"
max_fds=0 max_rss=0 max_terms=0 shows=0
for i in $(seq 8); do
	sleep 1
	f=$(nfds) r=$(rss_kb) t=$(nterms)
	[ "$f" -gt "$max_fds" ] && max_fds=$f
	[ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
	[ "$t" -gt "$max_terms" ] && max_terms=$t
	timeout 10 "$VNL_BIN" --lab "$L" show >/dev/null 2>&1 && shows=$((shows + 1))
done
diag "flood: $(cat "$TMP/flood.log"); vnl-web fds $FDS0 -> max $max_fds, RSS ${RSS0} kB -> max $max_rss kB, terminals max $max_terms"
# 64 requests, 8 terminals (pty + its vnl's fds), 1 start, the flooding socket: ~90.
[ "$max_fds" -le $((FDS0 + 100)) ] && ok "a flooding tab keeps vnl-web's fds bounded ($FDS0 -> max $max_fds)" ||
	not_ok "a flooding tab keeps vnl-web's fds bounded" "$FDS0 -> max $max_fds"
[ "$max_rss" -le $((RSS0 + 80 * 1024)) ] && ok "a flooding tab keeps vnl-web's memory bounded (RSS $RSS0 -> max $max_rss kB)" ||
	not_ok "a flooding tab keeps vnl-web's memory bounded" "RSS $RSS0 -> max $max_rss kB"
[ "$max_terms" -le 8 ] && [ "$max_terms" -ge 1 ] && ok "a flooding tab gets at most 8 terminals ($max_terms)" ||
	not_ok "a flooding tab gets 1..8 terminals" "$max_terms"
[ "$shows" = 8 ] && ok "the lab answers vnl show during the flood (8 of 8)" || not_ok "vnl show during the flood" "$shows of 8"
code=$(upgrade "127.0.0.1:$PORT" vnl "?token=$TOKEN")
[ "$code" = 101 ] && ok "vnl-web still accepts a tab during the flood" || not_ok "a tab during the flood" "status $code"
flood_gone() { [ "$(nfds)" -le $((FDS0 + 2)) ] && [ "$(nterms)" = 0 ]; }
wait_for 30 flood_gone &&
	ok "the flooding tab gone: its fds and terminals are too" ||
	not_ok "the flooding tab's fds and terminals go with it" "fds $(nfds) (before $FDS0)" "$(pgrep -af "vnl --lab $L exec")"
alive "$WEBPID" && ok "vnl-web runs on" || not_ok "vnl-web runs on" "$(tail -5 "$TMP/web.log")"

# A deploy whose layout cannot be saved (the lab's state folder immutable,
# for one `vnl deploy`): the lab is deployed all the same, subscribers get
# `deployed`, and vnld logs the lost layout once.
STATE=/var/lib/vnetlab/$L
events_follow "$TMP/events.json"
trap 'chattr -i "$STATE"; bail "interrupted"' INT TERM HUP
if chattr +i "$STATE" 2>/dev/null; then
	run deploy "$TMP/lab.yaml"
	chattr -i "$STATE"
	trap 'bail "interrupted"' INT TERM HUP
	[ "$RC" = 0 ] && ok "a deploy whose layout cannot be saved still succeeds" ||
		not_ok "a deploy whose layout cannot be saved still succeeds" "exit $RC: $ERR"
	wait_for 5 grep -q '"deployed"' "$TMP/events.json" && ok "... and sends its deployed event" ||
		not_ok "... and sends its deployed event" "$(tail -3 "$TMP/events.json")"
	n=$(grep -c "layout is kept only in part" "/run/vnetlab/$L/vnld.log")
	[ "$n" = 1 ] && ok "... and vnld logs the lost layout once" || not_ok "vnld logs the lost layout once" "$n lines"
else
	trap 'bail "interrupted"' INT TERM HUP
	diag "chattr +i refused on $STATE: the deploy-layout step is left out"
fi
[ -n "$(ls "$SHOTS"/*.png 2>/dev/null)" ] && ok "screenshots kept in $SHOTS" || not_ok "no screenshot in $SHOTS"
grep -q "refused a WebSocket" "$TMP/web.log" && ok "vnl-web logged the refused WebSockets" ||
	not_ok "vnl-web did not log a refusal" "$(cat "$TMP/web.log")"

# vnl-web killed with a capture running (no cleanup of its own): its vnl
# capture child goes with it (SIGTERM: PR_SET_PDEATHSIG) and the switch's
# capture ends; the folder it leaves is removed by the next vnl-web.
cap_procs() { pgrep -fc "vnl --lab $L capture" || true; }
no_capture() { [ "$(cap_procs)" = 0 ] && [ "$("$VNL_BIN" --lab "$L" show -j | jq '.captures | length')" = 0 ]; }
node "$BROWSER_DIR/cap.mjs" "$PORT" "$TOKEN" "$L" a:0 30 >"$TMP/cap1.log" 2>&1 &
bg_track $!
wait_for 10 grep -q capturing "$TMP/cap1.log" || not_ok "a capture from a raw tab" "$(cat "$TMP/cap1.log")"
# The hard bound on its file: RLIMIT_FSIZE at 2 x 64 KiB + 1 MiB, SIGXFSZ
# ignored (a write past it fails; the size tick stops it long before).
CAPCHILD=$(pgrep -f "vnl --lab $L capture a:0" | head -1)
lim=$(awk '/^Max file size/ {print $4}' "/proc/$CAPCHILD/limits" 2>/dev/null)
ign=$(awk '/^SigIgn/ {print $2}' "/proc/$CAPCHILD/status" 2>/dev/null)
[ "$lim" = 1179648 ] && (((0x${ign:-0} >> 24) & 1)) && ok "a capture child's files are limited to 1179648 bytes, SIGXFSZ ignored" ||
	not_ok "a capture child's file size limit" "pid ${CAPCHILD:-none}: limit ${lim:-none}, SigIgn ${ign:-none}"
DEAD=$(ls -d /tmp/vnl-web-"$WEBPID".* 2>/dev/null)
kill -KILL "$WEBPID"
wait "$WEBPID" 2>/dev/null
wait_for 10 no_capture && ok "vnl-web killed: its capture child and the switch's capture end with it" ||
	not_ok "vnl-web killed: its capture ends" "$(pgrep -af "vnl --lab $L capture")" "$("$VNL_BIN" --lab "$L" show -j | jq -c .captures)"
# start_web LOG: another vnl-web on this host's loopback, any port; WEB2, PORT2, TOKEN2.
start_web() {
	ASAN_OPTIONS=${WEB_ASAN:-${ASAN_OPTIONS:-}} "$VNL_BUILD_DIR/vnl-web" --listen 127.0.0.1:0 >"$1" 2>&1 &
	WEB2=$!
	bg_track $WEB2
	wait_for 10 grep -q token "$1" || bail "vnl-web did not start: $(cat "$1")"
	PORT2=$(sed -n 's|.*http://[^ ]*:\([0-9]*\)/.*|\1|p' "$1" | head -1)
	TOKEN2=$(sed -n 's/^vnl-web: token \([0-9a-f]*\).*/\1/p' "$1")
}
start_web "$TMP/web2.log"
[ -n "$DEAD" ] && [ ! -e "$DEAD" ] && ok "the next vnl-web removes the killed one's capture folder" ||
	not_ok "the next vnl-web removes the killed one's capture folder" "${DEAD:-no folder was made}: $(ls -la "$DEAD" 2>&1)"
# SIGHUP (the terminal of `vnl web` closed) ends vnl-web as SIGTERM does.
node "$BROWSER_DIR/cap.mjs" "$PORT2" "$TOKEN2" "$L" blue 30 >"$TMP/cap2.log" 2>&1 &
bg_track $!
wait_for 10 grep -q capturing "$TMP/cap2.log" || not_ok "a LAN capture from a raw tab" "$(cat "$TMP/cap2.log")"
DIR2=$(ls -d /tmp/vnl-web-"$WEB2".* 2>/dev/null)
kill -HUP "$WEB2"
wait_for 10 eval '! alive $WEB2' && wait_for 10 no_capture && [ -n "$DIR2" ] && [ ! -e "$DIR2" ] &&
	ok "SIGHUP ends vnl-web: its capture stopped, its folder removed" ||
	not_ok "SIGHUP ends vnl-web cleanly" "alive: $(alive "$WEB2" && echo yes), folder ${DIR2:-none}" "$(tail -3 "$TMP/web2.log")"
done_testing
