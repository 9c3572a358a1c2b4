#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Objective: session clients that misbehave on vnld's session socket
# (agent.sock) cannot crash vnld or wedge the relay: a client that floods
# OPENs and never reads is dropped when its queue is full, whatever frame
# reaches the cap (a CLOSE ending a session vnld refuses, a CLOSE answering
# a cancel of a waiting session, a PONG); a client that leaves with
# sessions waiting for a guest; a client whose waiting sessions time out
# while it does not read.  After each, vnld is the same process, says in
# its log why it dropped the client, and a well-behaved client is served.
#
# Operations:
#   1. lab L; vm n1 on an empty qcow2 (nothing to boot), halted: a VM node
#      that is never ready, so every OPEN for it is refused or waits
#   2. flood: OPEN n1 wait_ms 0 on fresh channels, never reading, until
#      vnld drops the connection (its 8 MiB queue full of CLOSEs)
#   3. flood: OPEN n1 wait_ms 60 s then CLOSE of that channel, never reading
#   4. flood: PINGs among waiting OPENs, never reading
#   5. 200 waiting OPENs (wait_ms 300 ms) then a PING flood, never reading:
#      the timeouts end sessions of a client that is being dropped
#   6. 200 waiting OPENs, then the client closes its socket at once
#   after each: vnld's pid unchanged; `vnl exec n1` refused with "not ready";
#   at the end the log says the flooding clients were dropped; stop: no
#   vnld left

. "${VNL_SOURCE_DIR:-$(dirname "$0")/../..}/tests/lib/vnl.sh"

vnl_test_init 89-relay-sessions
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
need_cmd python3
lab_new L r89

mkdir -p "$TMP/images"
qemu-img create -q -f qcow2 "$TMP/images/empty.qcow2" 16M || bail "qemu-img create failed"
export VNL_IMAGES=$TMP/images

# --- 1. a VM node that is never ready ---------------------------------------------------
vnl_ok "add vm n1 on an empty image" add vm n1 --image empty
vnl_ok "halt n1" halt n1
SOCK=/run/vnetlab/$L/agent.sock
PID=$(cat "/run/vnetlab/$L/vnld.pid" 2>/dev/null)
[ -S "$SOCK" ] && [ -n "$PID" ] || bail "no session socket or vnld pid for lab $L"

# client MODE: one misbehaving client on the session socket (see the header).
# Prints how it ended ("dropped after N bytes", "closed", "timeout").
client() {
	timeout 60 python3 - "$SOCK" "$1" <<'EOF'
import socket, struct, sys, time
path, mode = sys.argv[1], sys.argv[2]

def frame(typ, chan, payload=b""):
    return b"VL" + struct.pack("<BBII", 1, typ, chan, len(payload)) + payload

PING, OPEN, CLOSE = 2, 4, 11
def open_(chan, wait_ms):
    # op INFO, no flags, no terminal size, wait_ms, target "n1"
    return frame(OPEN, chan, struct.pack("<BBHHI", 6, 0, 0, 0, wait_ms) + b"n1\0")
def close_(chan):
    return frame(CLOSE, chan, struct.pack("<i", -125) + b"\0")
def ping(seq):
    return frame(PING, 0, struct.pack("<Q", seq))

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # not reading: fill up soon
s.connect(path)
s.settimeout(20)
sent, chan = 0, 1
def send(b):
    global sent
    s.sendall(b)
    sent += len(b)
try:
    if mode in ("tick", "leave"):
        send(b"".join(open_(c, 300 if mode == "tick" else 60000) for c in range(1, 201)))
        chan = 201
        if mode == "leave":
            s.close()
            print("closed")
            sys.exit(0)
        time.sleep(0.1)
    t0 = time.time()
    while time.time() - t0 < 40:
        if mode == "refused":
            b = b"".join(open_(chan + i, 0) for i in range(64))
        elif mode == "cancel":
            b = b"".join(open_(chan + i, 60000) + close_(chan + i) for i in range(64))
        elif mode == "mixed":
            b = b"".join(ping(chan + i) + ping(chan + i) + open_(chan + i, 60000) for i in range(64))
        else:  # tick
            b = b"".join(ping(chan + i) for i in range(256))
        chan = chan + 256 if chan < 0x7fff0000 else 1
        send(b)
    print("timeout after %d bytes" % sent)
except (BrokenPipeError, ConnectionResetError):
    print("dropped after %d bytes" % sent)
except socket.timeout:
    print("timeout after %d bytes (vnld stopped reading)" % sent)
EOF
}

# The same vnld runs (a zombie does not count: vnld may be a child of the test's shell).
running() { [ -n "$(awk '$1 == "State:" && $2 != "Z"' "/proc/$1/status" 2>/dev/null)" ]; }
alive_same() { [ "$(cat "/run/vnetlab/$L/vnld.pid" 2>/dev/null)" = "$PID" ] && running "$PID"; }

served() {
	run exec n1 -- true
	[ "$RC" != 0 ] && grep -q "not ready" <<<"$ERR"
}

for mode in refused cancel mixed tick leave; do
	out=$(client "$mode" 2>&1)
	diag "client $mode: $out"
	case $mode in
	leave) check "client $mode: it left" grep -q "^closed" <<<"$out" ;;
	*) check "client $mode: vnld dropped the client that did not read" grep -q "^dropped after" <<<"$out" ;;
	esac
	check "client $mode: vnld is the same process" alive_same
	check "client $mode: another client is served (exec refused: not ready)" served
done
check "vnld's log says why it dropped clients" grep -q "does not read" "/run/vnetlab/$L/vnld.log"
check "no sanitizer or glibc report in vnld's log" \
	bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error:|double free|corrupted' '/run/vnetlab/$L/vnld.log'"
vnl_ok "stop" stop
gone() { ! running "$PID"; }
check "vnld is gone after stop" wait_for 10 gone

done_testing
