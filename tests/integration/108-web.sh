#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: the lab in a browser (issue 14), in a real browser: Debian's
# chromium, headless, driven by playwright-core (tests/browser/web.test.mjs)
# against the real vnl-web, vnl, vnld and vnl-switchd. What a user does with
# the mouse changes the lab as `vnl` would, and what `vnl` does shows on the
# canvas; a wrong action shows its error; off localhost needs the token.
#
# Operations: vnl-web on 0.0.0.0 (any free port). In the page: start the lab,
# deploy a file (a, b on blue; a layout for a and blue, none for b); drag an ns node, a LAN, then the node onto
# the LAN (`vnl show` has them); a terminal on a runs commands in a; a vm
# (tiny image, when built) boots on the canvas and, with every iptables
# chain on DROP, still has a terminal; `vnl
# add`/`vnl del` in a shell, a second tab's edit: the canvas follows; a
# name that exists shows vnld's error next to the drop; traffic colours a
# link; another origin, a name rebound to 127.0.0.1 and another host
# without the token are refused.
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

"$VNL_BUILD_DIR/vnl-web" --listen 0.0.0.0:0 >"$TMP/web.log" 2>&1 &
bg_track $!
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
	TOPO=$TMP/lab.yaml SHOTS CHROMIUM VM_IMAGE TAP_FIRST=$((_T + 1)) TAP_COUNT=$TMP/count
timeout 170 node "$BROWSER_DIR/web.test.mjs" || not_ok "the browser steps ended early (status $?)"
_T=$((_T + $(cat "$TMP/count" 2>/dev/null || echo 0)))
lab_record_ifs "$L"
[ -n "$(ls "$SHOTS"/*.png 2>/dev/null)" ] && ok "screenshots kept in $SHOTS" || not_ok "no screenshot in $SHOTS"
grep -q "refused a WebSocket" "$TMP/web.log" && ok "vnl-web logged the refused WebSockets" ||
	not_ok "vnl-web did not log a refusal" "$(cat "$TMP/web.log")"
done_testing
