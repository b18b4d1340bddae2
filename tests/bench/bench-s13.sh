#!/usr/bin/env bash
# bench-s13: eird's S13 throughput and latency against the baseline an EIR
# built on freeDiameter gets (fd-eir: libfdcore, static verdict), and what
# eird's counting (counters, latency histogram) costs: eird with
# `counting off` in the same run. Each server pinned to CPU 0 and eir-bench
# to CPU 1, alternating ROUNDS times; prints every run, medians and ratios.
# With EIRD_OTHER=PATH, another eird binary (an earlier version) runs in
# each round too, for a before/after ratio measured in the same run.
# Usage: tests/bench/bench-s13.sh [COUNT] [CONNS] [INFLIGHT] [SECONDS] [ROUNDS]
#        (defaults 10000000 16 16 10 3; needs a build in ./build with tests)
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000000} CONNS=${2:-16} INFL=${3:-16} SECS=${4:-10} ROUNDS=${5:-3}
B=build
W=$(mktemp -d "${TMPDIR:-/var/tmp}/eir-bench-s13.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
ninja -C $B >/dev/null
SRC=$PWD
. tests/lib.sh

bench_data "$W" "$N"

EPORT=$(free_port) VPORT=$(free_port) FPORT=$(free_port)
eird_cfg "$W/eird.cfg" "$W/db" "$EPORT" "$VPORT" "s| logging level all notice| logging level all error|"
for i in $(seq 0 $((CONNS - 1))); do echo " peer bench-$i.example.net" >>"$W/eird.cfg"; done
sed 's|^ database .*|&\n counting off|' "$W/eird.cfg" >"$W/eird-nocount.cfg"
# The baseline: freeDiameter admitting the bench peers through acl_wl.
FDCONF=$(fd_conf "$W/fd" eir.example.net "$FPORT" 30 "" "*.example.net")
run() {	# NAME PORT -> prints the bench output, records answers/s
	taskset -c 1 $B/tests/bench/eir-bench s13 --port "$2" --conns "$CONNS" --inflight "$INFL" \
		--seconds "$SECS" --warmup 2 --imeis "$W/imeis" | sed "s/^/$1: /"
}
eird_rates=() fd_rates=() nocount_rates=() other_rates=()
EIRD=$B/eir/eird/eird
# One run of a server: CONFIG_OR_FD NAME ARRAY
run_eird() {	# CFG NAME -> prints, sets $rate
	taskset -c 0 "$EIRD" -c "$1" >"$W/eird.log" 2>&1 & p=$!; pids+=("$p")
	wait_port "$EPORT"
	out=$(run "$2" "$EPORT"); echo "$out"
	rate=$(sed -n 's/.*answers\/s: \([0-9]*\).*/\1/p' <<<"$out")
	kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
}
for r in $(seq "$ROUNDS"); do
	# Alternate which eird runs first, so that position effects cancel.
	if [ $((r % 2)) = 1 ]; then
		run_eird "$W/eird.cfg" eird; eird_rates+=("$rate")
		run_eird "$W/eird-nocount.cfg" "eird counting off"; nocount_rates+=("$rate")
	else
		run_eird "$W/eird-nocount.cfg" "eird counting off"; nocount_rates+=("$rate")
		run_eird "$W/eird.cfg" eird; eird_rates+=("$rate")
	fi
	if [ -n "${EIRD_OTHER:-}" ]; then
		EIRD=$EIRD_OTHER; run_eird "$W/eird.cfg" "eird other"; other_rates+=("$rate"); EIRD=$B/eir/eird/eird
	fi
	taskset -c 0 $B/tests/bench/fd-eir "$FDCONF" >"$W/fd.log" 2>&1 & p=$!; pids+=("$p")
	wait_port "$FPORT"
	out=$(run fd-eir "$FPORT"); echo "$out"
	fd_rates+=("$(sed -n 's/.*answers\/s: \([0-9]*\).*/\1/p' <<<"$out")")
	kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
me=$(med "${eird_rates[@]}") mf=$(med "${fd_rates[@]}") mn=$(med "${nocount_rates[@]}")
echo "median answers/s: eird $me, freeDiameter baseline $mf, ratio $(awk -v a="$me" -v b="$mf" 'BEGIN { printf "%.1f", a / b }')"
echo "counting cost: eird $me with counting, $mn without: $(awk -v a="$me" -v b="$mn" 'BEGIN { printf "%.1f", 100 * (b - a) / b }')% of throughput"
if [ -n "${EIRD_OTHER:-}" ]; then
	mo=$(med "${other_rates[@]}")
	echo "against $EIRD_OTHER: eird $me, other $mo, ratio $(awk -v a="$me" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')"
fi
