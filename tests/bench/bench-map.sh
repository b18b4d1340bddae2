#!/usr/bin/env bash
# bench-map: eird's MAP CheckIMEI rate through osmo-stp (SCCP over IPA on
# loopback) against the STP's relay limit, measured in the same run with a
# trivial SCCP user that echoes every message (map-msc echo) in eird's
# place, and eird's CPU time per CheckIMEI (from /proc, over the answers the
# load generator counted, sampled inside the measured window), beside the
# echo user's: the part of it that the SCCP/IPA stack costs anyway. eird
# (or the echo user) alone on CPU 1; osmo-stp and the load generator on
# CPU 0. Alternates ROUNDS times; prints every run, medians and the ratio.
# Usage: tests/bench/bench-map.sh [COUNT] [INFLIGHT] [SECONDS] [ROUNDS]
#        (defaults 10000000 256 10 3; needs a build in ./build with tests)
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000000} INFL=${2:-256} SECS=${3:-10} ROUNDS=${4:-3}
B=build
W=$(mktemp -d "${TMPDIR:-/var/tmp}/eir-bench-map.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
ninja -C $B >/dev/null
SRC=$PWD
. tests/lib.sh

bench_data "$W" "$N"

SPORT=$(free_port) EPORT=$(free_port) VPORT=$(free_port)
export MAP_STP_PORT=$SPORT
eird_cfg "$W/eird.cfg" "$W/db" "$EPORT" "$VPORT" "s| logging level all notice| logging level all error|"
stp_cfg "$W/osmo-stp.cfg" "$SPORT"
sed -i 's| logging level all notice| logging level all error|' "$W/osmo-stp.cfg"
# eird and the echo user take turns as the EIR: one IPA unit name for both
# (the echo user is a libosmo-sigtran simple client, "asp-clnt-eir").
sed -i 's/asp-eir/asp-clnt-eir/g' "$W/eird.cfg" "$W/osmo-stp.cfg"
taskset -c 0 osmo-stp -c "$W/osmo-stp.cfg" >"$W/stp.log" 2>&1 & pids+=("$!")
wait_port "$SPORT"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now() { date +%s.%N; }
# load NAME PID: runs the load, samples PID's CPU time inside the measured
# window (after the warm-up, before the end); prints the bench output and
# the CPU per message; sets $rate and $us.
load() {
	taskset -c 0 $B/tests/bench/eir-bench map --stp "$SPORT" --inflight "$INFL" --seconds "$SECS" \
		--warmup 2 --imeis "$W/imeis" >"$W/load.out" & lp=$!
	sleep 3
	c0=$(cpu_ticks "$2") t0=$(now)
	sleep $((SECS - 2))
	c1=$(cpu_ticks "$2") t1=$(now)
	wait "$lp"
	sed "s/^/$1: /" "$W/load.out"
	rate=$(sed -n 's/.*answers\/s: \([0-9]*\).*/\1/p' "$W/load.out")
	us=$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v r="$rate" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.2f", c * 1e6 / hz / (r * (t1 - t0)) }')
	echo "$1: CPU per message $us us ($((c1 - c0)) ticks in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
}
eird_rates=() echo_rates=() eird_us=() echo_us=()
run_eird() {
	taskset -c 1 $B/eir/eird/eird -c "$W/eird.cfg" >"$W/eird.log" 2>&1 & p=$!; pids+=("$p")
	wait_port "$EPORT"
	for _ in $(seq 100); do $B/eir/stats/eir-stat -s "$W/eird.sock" stats | grep -Eq '^peer0:host=asp-clnt-eir,addr=[^,]+,state=active$' && break; sleep 0.1; done
	load eird "$p"; eird_rates+=("$rate") eird_us+=("$us")
	kill "$p"; wait "$p" 2>/dev/null || true
}
run_echo() {
	taskset -c 1 $B/tests/tools/map-msc --stp "$SPORT" --pc 0.23.5 --name eir echo >"$W/echo.log" 2>&1 & p=$!; pids+=("$p")
	for _ in $(seq 100); do grep -q 'echo ready' "$W/echo.log" && break; sleep 0.1; done
	load "echo user" "$p"; echo_rates+=("$rate") echo_us+=("$us")
	kill "$p"; wait "$p" 2>/dev/null || true
}
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then run_eird; run_echo; else run_echo; run_eird; fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
me=$(median "${eird_rates[@]}") mo=$(median "${echo_rates[@]}")
ce=$(median "${eird_us[@]}") co=$(median "${echo_us[@]}")
echo "median eird: $me answers/s; STP relay with an echo user: $mo/s; ratio $(awk -v a="$me" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')"
echo "median CPU per message: eird $ce us per CheckIMEI; echo user $co us (the SCCP/IPA stack alone)"
