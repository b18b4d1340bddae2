#!/usr/bin/env bash
# bench-s13: eird's S13 throughput and latency against the baseline an EIR
# built on freeDiameter gets (fd-eir: libfdcore, static verdict), and what
# eird's counting (counters, latency histogram) costs: eird with
# `counting off` in the same run. Each server pinned to CPU 0 and eir-bench
# to CPU 1, alternating ROUNDS times; prints every run, medians and ratios.
# With EIRD_OTHER=PATH, another eird binary (an earlier version) runs in
# each round too, for a before/after ratio measured in the same run.
# Observations: every eird run records what it is asked (observed-db, the
# writer thread pinned to CPU 1 beside eir-bench) under the sample's
# `unknown-imei grace 30`, and one more run per round has `no observed-db`;
# each query carries the IMEI's own IMSI (eir-bench --imsi), so every IMEI
# of the list is a pair. After the rounds, eird with observations at half
# the median rate: its drops (want 0) and the store's bytes per pair.
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
eird_cfg "$W/eird.cfg" "$W/db" "$EPORT" "$VPORT" "s| logging level all notice| logging level all error|" \
	"s|^  ! unknown-imei grace 30 then blacklisted|  unknown-imei grace 30 then blacklisted|"
for i in $(seq 0 $((CONNS - 1))); do echo " peer bench-$i.example.net" >>"$W/eird.cfg"; done
sed 's|^ database .*|&\n counting off|' "$W/eird.cfg" >"$W/eird-nocount.cfg"
sed 's|^ observed-db .*| no observed-db|' "$W/eird.cfg" >"$W/eird-noobs.cfg"
# The baseline: freeDiameter admitting the bench peers through acl_wl.
FDCONF=$(fd_conf "$W/fd" eir.example.net "$FPORT" 30 "" "*.example.net")
run() {	# NAME PORT [EIR-BENCH OPTIONS] -> prints the bench output
	local name=$1 port=$2
	shift 2
	taskset -c 1 $B/tests/bench/eir-bench s13 --port "$port" --conns "$CONNS" --inflight "$INFL" \
		--seconds "$SECS" --warmup 2 --imeis "$W/imeis" --imsi "$@" | sed "s/^/$name: /"
}
eird_rates=() fd_rates=() nocount_rates=() other_rates=() noobs_rates=() eird_p99=() noobs_p99=()
EIRD=$B/eir/eird/eird
# The observation writer beside eir-bench on CPU 1, eird's answers on CPU 0.
pin_writer() {
	# The thread starts after the listeners: wait for it (not without observed-db).
	if grep -q '^ observed-db ' "$2"; then
		for _ in $(seq 100); do grep -qx eird-observe /proc/"$1"/task/*/comm 2>/dev/null && break; sleep 0.02; done
	fi
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = eird-observe ] && taskset -p -c 1 "${t##*/}" >/dev/null
	done
	return 0
}
# One run of a server: CONFIG NAME [EIR-BENCH OPTIONS] -> prints, sets $rate and $p99
run_eird() {
	local cfg=$1 name=$2
	shift 2
	rm -rf "$W/observed"
	taskset -c 0 "$EIRD" -c "$cfg" >"$W/eird.log" 2>&1 & p=$!; pids+=("$p")
	wait_port "$EPORT"
	pin_writer "$p" "$cfg"
	out=$(run "$name" "$EPORT" "$@"); echo "$out"
	rate=$(sed -n 's/.*answers\/s: \([0-9]*\).*/\1/p' <<<"$out")
	p99=$(sed -n 's/.*latency us: p50 [0-9]*, p99 \([0-9]*\).*/\1/p' <<<"$out")
	sleep 1.5	# the last batch written
	stats=$($B/eir/stats/eir-stat -s "$W/eird.sock" stats 2>/dev/null || true)
	kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
}
sval() { sed -n "s/^$1:\(.*\)$/\1/p" <<<"$stats"; }
for r in $(seq "$ROUNDS"); do
	# Alternate which eird runs first, so that position effects cancel.
	if [ $((r % 2)) = 1 ]; then
		run_eird "$W/eird.cfg" eird; eird_rates+=("$rate") eird_p99+=("$p99")
		echo "eird: observed $(sval observed_recorded) queries, $(sval observed_dropped) dropped, $(sval observed_pairs) pairs"
		run_eird "$W/eird-noobs.cfg" "eird observations off"; noobs_rates+=("$rate") noobs_p99+=("$p99")
		run_eird "$W/eird-nocount.cfg" "eird counting off"; nocount_rates+=("$rate")
	else
		run_eird "$W/eird-nocount.cfg" "eird counting off"; nocount_rates+=("$rate")
		run_eird "$W/eird-noobs.cfg" "eird observations off"; noobs_rates+=("$rate") noobs_p99+=("$p99")
		run_eird "$W/eird.cfg" eird; eird_rates+=("$rate") eird_p99+=("$p99")
		echo "eird: observed $(sval observed_recorded) queries, $(sval observed_dropped) dropped, $(sval observed_pairs) pairs"
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
mo=$(med "${noobs_rates[@]}") pe=$(med "${eird_p99[@]}") po=$(med "${noobs_p99[@]}")
echo "observations: eird $me answers/s (p99 $pe us) with them, $mo (p99 $po us) without: ratio $(awk -v a="$me" -v b="$mo" 'BEGIN { printf "%.3f", a / b }')"
# Half the load: every query recorded, none dropped.
half=$((me / 2))
run_eird "$W/eird.cfg" "eird at half load" --rate "$half"
echo "half load ($half/s): observed $(sval observed_recorded) queries, $(sval observed_dropped) dropped, $(sval observed_pairs) pairs, $(sval observed_bytes_per_pair) bytes per pair ($(sval observed_used_bytes) bytes used), last batch $(sval observed_last_batch_pairs) pairs in $(sval observed_last_batch_us) us, longest $(sval observed_max_batch_us) us"
if [ -n "${EIRD_OTHER:-}" ]; then
	mo=$(med "${other_rates[@]}")
	echo "against $EIRD_OTHER: eird $me, other $mo, ratio $(awk -v a="$me" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')"
fi
