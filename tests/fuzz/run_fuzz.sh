#!/bin/bash
# Objective: every decoder a peer or a file can reach survives any input,
# under ASan and UBSan: the agent protocol codec, the agent's and the host's
# receivers of agent frames, vnld's and vnl-switchd's JSON-lines requests,
# the topology file reader, the pcapng walker and vnl capture's printer,
# the topology round trip (save, load, save: equal or refused at input),
# the VXLAN underlay parser (the TARGETS list below).
# Operations: build each target with clang -fsanitize=fuzzer,address,undefined
# into BUILD/fuzz, run it for VNL_FUZZ_SECONDS (default 20) from its committed
# seed corpus tests/fuzz/corpus/NAME/ (new inputs go to a temp folder), TAP
# output: two lines per target (built, fuzzed). Arguments: target names to
# run (default all). Skips (1..0 # SKIP) only when clang or its libFuzzer
# runtime is absent (Debian: clang, libclang-rt-14-dev).
# bench/fuzz runs the same targets for longer and merges into the corpora.
set -u

src=${VNL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VNL_BUILD_DIR:-$src/build}
out=$build/fuzz
secs=${VNL_FUZZ_SECONDS:-20}
here=$src/tests/fuzz

# One line per target: NAME, then its sources (paths in the source tree),
# then compiler and linker words (-I paths are in the source tree). "pkg:NAME" stands for pkg-config's cflags
# and libs of NAME, "lib:NAME" for the meson build's static library libNAME.a
# (built by gcc, not instrumented: what the target calls into without fuzzing). The seed corpus is tests/fuzz/corpus/NAME/. To add a
# target, append a line (and commit a few seeds in its corpus folder).
TARGETS='
agentproto  tests/fuzz/agentproto_fuzz.c common/agentproto.c -Icommon
agentrx     tests/fuzz/agentrx_fuzz.c agent/log.c common/agentproto.c -Iagent -Icommon
switchctl   tests/fuzz/switchctl_fuzz.c dataplane/commands.c dataplane/args.c dataplane/registry.c dataplane/capture.c dataplane/capture_copy.c dataplane/pcapng_write.c dataplane/stats.c dataplane/config.c dataplane/fdb.c dataplane/counter_names.c dataplane/dp_log.c dataplane/port.c dataplane/offload.c dataplane/impair.c dataplane/impair_queue.c common/jsonl.c common/dispatch.c common/evloop.c common/unixsock.c common/err.c -DVNL_WITH_EAL -Idataplane -Icommon pkg:libdpdk pkg:json-c -lm
vmsession   tests/fuzz/vmsession_fuzz.c endpoints/vm_copy.c common/term.c common/agentproto.c common/err.c common/unixsock.c -Iendpoints/include -Iendpoints -Icommon -Imodel -Idaemon -Icli
vnldreq     tests/fuzz/vnldreq_fuzz.c model/topology.c common/jsonl.c lib:vnld_core lib:vnl_kinds lib:vnl_model lib:vnl_common -I. -Imodel -Idaemon -Icommon -Iendpoints/include pkg:json-c pkg:yaml-0.1 pkg:libmnl pkg:libcap
hostrx      tests/fuzz/hostrx_fuzz.c endpoints/vm_relay.c common/agentproto.c common/outq.c endpoints/vm_bootstrap.c endpoints/vm_qmp.c lib:vnld_core lib:vnl_kinds lib:vnl_model lib:vnl_common -I. -Imodel -Icommon -Iendpoints/include -Iendpoints pkg:json-c pkg:yaml-0.1 pkg:libmnl pkg:libcap
topofile    tests/fuzz/topofile_fuzz.c model/schema.c model/topology.c model/toposave.c model/topolayout.c model/impair_text.c model/vxlan_text.c lib:vnl_kinds lib:vnl_common -Imodel -Icommon -Iendpoints/include -Iendpoints pkg:yaml-0.1 pkg:json-c pkg:libmnl pkg:libcap
vxlan_parse tests/fuzz/vxlan_parse_fuzz.c -Idataplane
pcapng_read tests/fuzz/pcapng_read_fuzz.c common/pcapng_read.c common/err.c cli/pktline.c -Icommon -Icli
topo_roundtrip tests/fuzz/topo_roundtrip_fuzz.c model/schema.c model/topology.c model/topofile.c model/toposave.c model/topolayout.c model/impair_text.c model/vxlan_text.c lib:vnl_kinds lib:vnl_common -Imodel -Icommon -Iendpoints/include -Iendpoints pkg:yaml-0.1 pkg:json-c pkg:libmnl pkg:libcap
'

# fuzz_targets: the names, in order.
fuzz_targets() { awk 'NF { print $1 }' <<<"$TARGETS"; }

# fuzz_cmdline NAME: the clang arguments (sources and flags) of target NAME.
fuzz_cmdline() {
	local w
	for w in $(awk -v n="$1" '$1 == n { $1 = ""; print }' <<<"$TARGETS"); do
		case $w in
		pkg:*) pkg-config --cflags --libs "${w#pkg:}" ;;
		lib:*) echo "$build/lib${w#lib:}.a" ;;
		-I*) echo "-I$src/${w#-I}" ;;
		-*) echo "$w" ;;
		*) echo "$src/$w" ;;
		esac
	done
}

# fuzz_cc: the clang to use, empty when none.
fuzz_cc() {
	local c
	for c in clang clang-16 clang-15 clang-14; do
		command -v "$c" >/dev/null && { echo "$c"; return; }
	done
}

# fuzz_build CC NAME BIN ERRFILE: compile target NAME into BIN.
fuzz_build() {
	# shellcheck disable=SC2046 # the words of the command line
	"$1" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wextra -Werror -D_GNU_SOURCE -DVNL_VERSION='"fuzz"' \
		$(fuzz_cmdline "$2") -o "$3" 2>"$4"
}

# Sourced by bench/fuzz for the list and the build: stop here.
[[ ${BASH_SOURCE[0]} != "$0" ]] && return 0

cc=$(fuzz_cc)
if [[ -z $cc ]]; then
	echo "1..0 # SKIP clang not installed (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi
mkdir -p "$out" || { echo "Bail out! cannot make $out"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/t" && export TMPDIR=$tmp/t # the targets' own temporary files

# The runtime check: an empty target must link, else libFuzzer is missing.
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" 2>"$tmp/probe.err"; then
	echo "1..0 # SKIP $cc cannot link -fsanitize=fuzzer (libFuzzer runtime missing: libclang-rt-14-dev): $(head -1 "$tmp/probe.err")"
	exit 0
fi

names=("$@")
((${#names[@]})) || mapfile -t names < <(fuzz_targets)
echo "1..$((2 * ${#names[@]}))"
n=0 failed=0
for t in "${names[@]}"; do
	bin=$out/${t}_fuzz
	if [[ -z $(fuzz_cmdline "$t") ]]; then
		echo "not ok $((++n)) - $t: no such target (known: $(fuzz_targets | tr '\n' ' '))"
		echo "not ok $((++n)) - $t: fuzzing (not built)"
		failed=1
		continue
	fi
	if fuzz_build "$cc" "$t" "$bin" "$tmp/build.err"; then
		echo "ok $((++n)) - $t: built $bin with $cc"
	else
		sed 's/^/# /' "$tmp/build.err"
		echo "not ok $((++n)) - $t: build of the fuzz target with $cc"
		echo "not ok $((++n)) - $t: fuzzing (not built)"
		failed=1
		continue
	fi
	rm -rf "$tmp/corpus"
	mkdir "$tmp/corpus"
	# -artifact_prefix: a crash input lands in the build folder, to reproduce with "$bin FILE".
	if "$bin" "$tmp/corpus" "$here/corpus/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/$t-" >"$tmp/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
		echo "ok $((++n)) - $t: ${runs:-?} inputs in ${secs}s, no crash, no sanitizer report"
	else
		tail -40 "$tmp/fuzz.log" | sed 's/^/# /'
		echo "not ok $((++n)) - $t: fuzzing found a failure (input saved as $out/$t-*)"
		failed=1
	fi
done
exit "$failed"
