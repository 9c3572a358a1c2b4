# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# bench/lib.sh: what the bash benchmarks share (bench/tcp, bench/impair):
# messages, background processes, measurement windows with their noise
# check, and the samples with their medians and per-round ratios.
# Sourced, never run. The sourcing script provides:
#   SELF                 its name, for messages
#   WORK                 its temporary folder (window tick files)
#   PIDS=()              the processes it started (its cleanup stops them)
#   RETRIES, QUIET_WAIT  --retries, and how long wait_quiet waits (s)
#   NETNS, VM_PIDS, SW_PIDS  the current setup's namespaces, VM pids and
#                        switch processes (test_pids, win_begin, win_end)
#   PART SETUP TEST ROUND CLEAN RESULTS  what record() files a sample under
# Notes given with note() are in NOTES (the JSON's "notes").

NOTES=()            # sentences for the reader, also in the JSON
declare -A SEEN     # notes already given
NETNS=()
VM_PIDS=()
RESULTS=""          # "part setup test metric round value clean" per sample
ROUND=0
CLEAN=1
NOISE=""

log() { printf '%s: %s\n' "$SELF" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$SELF" "$*" >&2; }
die() { printf '%s: %s\n' "$SELF" "$1" >&2; exit "${2:-1}"; }
# note TEXT: tell the reader once (stderr now, the JSON's "notes" at the end).
note() {
	[ -n "${SEEN[$1]:-}" ] && return 0
	SEEN[$1]=1
	NOTES+=("$1")
	log "note: $1"
}

# ---------------------------------------------------------------- processes

bg_start() {
	"$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# bg_stop PID [SECONDS]: TERM, KILL after SECONDS (5); only pids started here.
bg_stop() {
	local pid=${1:-}
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq $((${2:-5} * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
}

# bg_wait PID SECONDS: wait for a process started here; stop it after SECONDS.
bg_wait() {
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && bg_stop "$1" 2
	wait "$1" 2>/dev/null
	local rc=$?
	forget_pid "$1"
	return $rc
}

wait_for() {  # wait_for SECONDS TEST...: poll TEST every 0.1 s
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}


# ---------------------------------------------------------------- windows
# A window is the middle of a running test: it opens once the traffic runs
# and closes before it stops, so every process it accounts for is alive at
# both ends. It measures, from /proc/stat and /proc/PID/stat:
#   sw_pct       utime+stime of the switch's processes, % of one core
#   softirq_pct  softirq of all cores, % of one core (steal_pct: the same)
#   busy_pct     all non-idle time of all cores, % of one core
#   others_pct   busy minus the processes of the test (its namespaces' or
#                VMs' processes, the switch, ksoftirqd, and the script's
#                children reaped in the window: a ping or a udp_flow that ran
#                inside it): other people's work.
# Above NOISE_LIMIT % of a core of others or steal the window is noisy: its
# sample is kept but flagged, the window runs again (--retries) once the
# host is quiet, and medians use the clean samples where a cell has any.

NOISE_LIMIT=10
SW_PIDS=()          # the switch's processes in this setup (none for bridge)
OURS=()             # the other processes of the test (set when the window opens)

# pid ticks, one line per pid (vanished pids are skipped).
ticks() {
	local p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk -v p="$p" '{ print p, $12 + $13 }'
	done
}

# The processes of the test: inside the setup's namespaces, or its VMs.
test_pids() {
	local n
	for n in "${NETNS[@]}"; do ip netns pids "$n" 2>/dev/null; done
	printf '%s\n' "${VM_PIDS[@]}" "${SW_PIDS[@]}"
	pgrep -x 'ksoftirqd/[0-9]+'
}

win_begin() {
	mapfile -t OURS < <(test_pids | sort -u | grep .)
	WIN_T0=$(date +%s.%N)
	WIN_STAT0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $8, $9 }' /proc/stat)
	ticks "${SW_PIDS[@]}" >"$WORK/sw.0"
	ticks "${OURS[@]}" >"$WORK/ours.0"
	WIN_CHILD0=$(child_ticks)
}
# Ticks of the script's reaped children and their reaped descendants
# (cutime + cstime of the main shell).
child_ticks() { sed 's/.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'; }

# delta FILE0 FILE1: ticks used by the pids alive at both ends.
delta() { awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { s += $2 - a[$1] } END { print s + 0 }' "$1" "$2"; }

# Sets WIN (an associative array of the figures above), NOISE and CLEAN;
# returns 0 if the window was clean.
declare -A WIN
win_end() {
	local t1 stat1 hz line
	t1=$(date +%s.%N)
	stat1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $8, $9 }' /proc/stat)
	ticks "${SW_PIDS[@]}" >"$WORK/sw.1"
	ticks "${OURS[@]}" >"$WORK/ours.1"
	hz=$(getconf CLK_TCK)
	line=$(awk -v a="$WIN_STAT0" -v b="$stat1" -v t0="$WIN_T0" -v t1="$t1" -v hz="$hz" \
		-v sw="$(delta "$WORK/sw.0" "$WORK/sw.1")" \
		-v ours="$(($(delta "$WORK/ours.0" "$WORK/ours.1") + $(child_ticks) - WIN_CHILD0))" \
		'BEGIN { split(a, x, " "); split(b, y, " "); d = (t1 - t0) * hz / 100
		busy = (y[1] - x[1]) / d; others = busy - ours / d; if (others < 0) others = 0
		printf "%.1f %.1f %.1f %.1f %.1f", sw / d, (y[2] - x[2]) / d, (y[3] - x[3]) / d, busy, others }')
	read -r "WIN[sw_pct]" "WIN[softirq_pct]" "WIN[steal_pct]" "WIN[busy_pct]" "WIN[others_pct]" <<<"$line"
	NOISE="others ${WIN[others_pct]}%, steal ${WIN[steal_pct]}% of a core"
	awk -v o="${WIN[others_pct]}" -v s="${WIN[steal_pct]}" -v l="$NOISE_LIMIT" 'BEGIN { exit !(o > l || s > l) }' &&
		CLEAN=0 || CLEAN=1
	[ $CLEAN -eq 1 ]
}

# CPU used by everything over one second, % of one core.
busy_now() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	echo "$a $b" | awk -v n="$(nproc)" '{ b = $3 - $1; i = $4 - $2; print (b + i > 0) ? int(100 * n * b / (b + i)) : 0 }'
}

# Wait up to QUIET_WAIT seconds for the cores to calm down.
wait_quiet() {
	local busy=0
	for _ in $(seq "$QUIET_WAIT"); do
		busy=$(busy_now)
		[ "$busy" -le "$NOISE_LIMIT" ] && return 0
	done
	log "  (the host stays busy: ${busy}% of a core used by others; going on)"
}

# with_retries LABEL CMD...: run again while CMD fails (1) or was noisy (2);
# 3 is a skip (a setup this host or this vnl cannot make), never retried.
with_retries() {
	local label=$1 try rc
	shift
	for try in $(seq 0 "$RETRIES"); do
		"$@"
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 3 ] || [ "$try" -eq "$RETRIES" ] && return $rc
		log "  $label: $([ $rc -eq 2 ] && echo "noisy window ($NOISE)" || echo failed), once more"
		wait_quiet
	done
}

# ---------------------------------------------------------------- results

# record METRIC VALUE: a sample of the current PART SETUP TEST and ROUND.
record() { [ -n "$2" ] && RESULTS+="$PART $SETUP $TEST $1 $ROUND $2 $CLEAN"$'\n'; }

# samples PART SETUP TEST METRIC: the clean samples, or all when none is.
samples() {
	printf '%s' "$RESULTS" | awk -v k="$1 $2 $3 $4" '$1" "$2" "$3" "$4 == k { i = n++; v[i] = $6; c[i] = $7; clean += $7 }
		END { for (i = 0; i < n; i++) if (c[i] || !clean) print v[i] }'
}

# stat KIND < numbers: median, min or max ("" when there are none).
stat() {
	sort -g | awk -v k="$1" '{ v[NR] = $1 } END { if (!NR) exit
		x = (k == "min") ? v[1] : (k == "max") ? v[NR] : (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		m = sprintf("%.3f", x); sub(/\.?0+$/, "", m); print m }'
}
median() { samples "$@" | stat median; }

# per_round PART SETUP TEST METRIC: "round value", the mean of a round's
# clean samples, else of all its samples (a retried window gives two).
per_round() {
	printf '%s' "$RESULTS" | awk -v k="$1 $2 $3 $4" '$1" "$2" "$3" "$4 == k {
		r = $5; all[r] += $6; n[r]++; if ($7) { cl[r] += $6; nc[r]++ } }
		END { for (r in n) print r, nc[r] ? cl[r] / nc[r] : all[r] / n[r] }'
}

# ratio PART A TEST B [METRIC]: median over rounds of A/B in the same round
# (METRIC gbps by default).
ratio() {
	join <(per_round "$1" "$2" "$3" "${5:-gbps}" | sort) <(per_round "$1" "$4" "$3" "${5:-gbps}" | sort) |
		awk '$3 > 0 { print $2 / $3 }' | stat median | awk '{ printf "%.2f", $1 }'
}


f() { [ -n "$1" ] && printf "%.${2}f" "$1" || echo -; }
minmax() { local lo hi; lo=$(samples "$@" | stat min) hi=$(samples "$@" | stat max); [ -n "$lo" ] && echo "$lo-$hi" || echo -; }

x() { [ -n "$1" ] && echo "${1}x" || echo -; }

# ---------------------------------------------------------------- JSON

# json_line --arg KEY VALUE...: one JSON object of the named values (a
# number where it reads as one, "" as null, else the string), then
# "samples" (every sample of RESULTS, "part_setup_test_metric": [values],
# the clean ones where a cell has any) and "notes".
json_line() {
	local samples notes
	samples=$(printf '%s' "$RESULTS" | jq -R -s -c '
		split("\n") | map(select(length > 0) | split(" "))
		| group_by(.[0:4]) | map({ key: (.[0][0:4] | join("_")),
			value: ((if any(.[6] == "1") then map(select(.[6] == "1")) else . end)
				| map(.[5] | tonumber)) }) | from_entries')
	notes=$(for n in "${NOTES[@]}"; do printf '%s\n' "$n"; done | jq -R . | jq -s -c .)
	jq -n -c "$@" --argjson samples "$samples" --argjson notes "$notes" '
		($ARGS.named | del(.samples, .notes)
			| with_entries(.value = (.value | if . == "" then null else (tonumber? // .) end)))
		+ { samples: $samples, notes: $notes }'
}
