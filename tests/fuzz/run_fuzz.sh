#!/bin/bash
# Objective: the agent protocol decoder and parsers survive any input, under
# ASan and UBSan, and encoding what they parse gives the same bytes back.
# Operations: build tests/fuzz/agentproto_fuzz.c with clang
# -fsanitize=fuzzer,address,undefined into the build folder, run it for
# VNL_FUZZ_SECONDS (default 20) from the committed seed corpus (new inputs
# go to a temp folder), TAP output. Skips (1..0 # SKIP) only when clang or
# its libFuzzer runtime is absent (Debian: clang, libclang-rt-14-dev).
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

echo "1..2"
bin=$out/agentproto_fuzz
if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Werror -D_GNU_SOURCE -I"$src/common" \
	"$here/agentproto_fuzz.c" "$src/common/agentproto.c" -o "$bin" 2>"$tmp/build.err"; then
	echo "ok 1 - built $bin with $cc"
else
	sed 's/^/# /' "$tmp/build.err"
	echo "not ok 1 - build of the fuzz target with $cc"
	echo "not ok 2 - fuzzing (not built)"
	exit 1
fi

mkdir "$tmp/corpus"
# -artifact_prefix: a crash input lands in the build folder, to reproduce with "$bin FILE".
if "$bin" "$tmp/corpus" "$here/corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$out/" >"$tmp/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
	echo "ok 2 - ${runs:-?} inputs in ${secs}s, no crash, no sanitizer report"
else
	tail -40 "$tmp/fuzz.log" | sed 's/^/# /'
	echo "not ok 2 - fuzzing found a failure (input saved under $out/)"
	exit 1
fi
