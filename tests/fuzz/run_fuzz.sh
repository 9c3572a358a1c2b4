#!/bin/bash
# Objective: the decoders and parsers survive any input, under ASan and
# UBSan, and what they decode encodes back to the same bytes:
#   agentproto_fuzz       the agent protocol decoder and parsers
#   topo_roundtrip_fuzz   topologies with random bytes in every string field:
#                         refused by the model, or saved, loaded back equal
#                         and saved again byte-identical (issue 10)
# Operations: build each target of the list below with clang
# -fsanitize=fuzzer,address,undefined into the build folder, run each for
# VNL_FUZZ_SECONDS (default 20) from its committed seed corpus (new inputs
# go to a temp folder), TAP output, two lines per target. Skips (1..0 # SKIP)
# only when clang or its libFuzzer runtime is absent (Debian: clang,
# libclang-rt-14-dev).
set -u

src=${VNL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${VNL_BUILD_DIR:-/tmp}/fuzz
secs=${VNL_FUZZ_SECONDS:-20}
here=$src/tests/fuzz

cc=
for c in clang clang-16 clang-15 clang-14; do
	if command -v "$c" >/dev/null; then cc=$c; break; fi
done
if [[ -z $cc ]]; then
	echo "1..0 # SKIP clang not installed (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi
mkdir -p "$out" || { echo "Bail out! cannot make $out"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The runtime check: an empty target must link, else libFuzzer is missing.
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" 2>"$tmp/probe.err"; then
	echo "1..0 # SKIP $cc cannot link -fsanitize=fuzzer (libFuzzer runtime missing: libclang-rt-14-dev): $(head -1 "$tmp/probe.err")"
	exit 0
fi

# The targets, one line each: NAME|CFLAGS|SOURCES (from the source folder)|LIBS.
# A target's seed corpus is tests/fuzz/corpus/NAME/ (agentproto_fuzz's is
# tests/fuzz/corpus/ itself, from before there were several).
targets=(
	"agentproto_fuzz|-I$src/common|tests/fuzz/agentproto_fuzz.c common/agentproto.c|"
	"topo_roundtrip_fuzz|-I$src/controlplane|tests/fuzz/topo_roundtrip_fuzz.c controlplane/topology.c controlplane/topofile.c controlplane/toposave.c|-lyaml"
)

echo "1..$((2 * ${#targets[@]}))"
n=0 failed=0
for t in "${targets[@]}"; do
	IFS='|' read -r name cflags sources libs <<<"$t"
	bin=$out/$name
	corpus=$here/corpus/$name
	[ -d "$corpus" ] || corpus=$here/corpus
	srcs=()
	for f in $sources; do srcs+=("$src/$f"); done
	n=$((n + 1))
	# shellcheck disable=SC2086 # cflags and libs are word lists
	if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wextra -Werror -D_GNU_SOURCE $cflags "${srcs[@]}" $libs -o "$bin" 2>"$tmp/build.err"; then
		echo "ok $n - $name: built $bin with $cc"
	else
		sed 's/^/# /' "$tmp/build.err"
		echo "not ok $n - $name: build with $cc"
		n=$((n + 1))
		echo "not ok $n - $name: fuzzing (not built)"
		failed=1
		continue
	fi
	n=$((n + 1))
	rm -rf "$tmp/corpus" && mkdir "$tmp/corpus"
	# -artifact_prefix: a crash input lands in the build folder, to reproduce with "$bin FILE".
	if "$bin" "$tmp/corpus" "$corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" >"$tmp/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
		echo "ok $n - $name: ${runs:-?} inputs in ${secs}s, no crash, no sanitizer report"
	else
		tail -40 "$tmp/fuzz.log" | sed 's/^/# /'
		echo "not ok $n - $name: fuzzing found a failure (input saved under $out/$name-*)"
		failed=1
	fi
done
exit $failed
