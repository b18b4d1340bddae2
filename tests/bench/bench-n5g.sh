#!/usr/bin/env bash
# bench-n5g: eird's N5g-eir front end (TS 29.511 GetEquipmentStatus over
# HTTP/2 cleartext, prior knowledge) under h2load, against the baseline of
# h2o (one thread) serving a static file of the size of eird's answer
# ({"status":"WHITELISTED"}, 24 bytes) over h2c on the same path: what a
# plain fast HTTP/2 server costs per request on this machine. eird reads a
# database of COUNT IMEIs; the URIs come from the seeded list of
# bench_data (half of the IMEIs present), as the open5gs AMF writes them:
# pei=imeisv-<14 digits>00 (three in four) or imei-<14 digits + Luhn check
# digit>, supi=imsi-<15 digits>. Each server pinned to CPU 0, h2load
# (-t 1) to CPU 1; three load shapes: -c 16 -m 16 (the main figure),
# -c 1 -m 1 (an idle AMF: latency), -c 64 -m 100; eird and h2o alternate
# within each shape, which one goes first changing every round.
# Each server and shape gets two h2load runs of -D SECONDS after
# --warm-up-time 2 on the same server process: the first for req/s and
# the CPU both sides use, the second with h2load's per-request log
# (--log-file) for latency p50/p99/p99.9 and the answers by status. The
# log costs h2load a write() per request, which would cap the throughput
# it can drive, hence the two runs.
# Prints every run, then medians over ROUNDS and the eird/h2o ratio for
# -c 16 -m 16 (target: at least 0.60).
# eird's answers: 200 for a verdict, 404 ERROR_EQUIPMENT_UNKNOWN where the
# policy calls the IMEI unknown (conf/eird.cfg's n5g node says
# `unknown-imei unknown`: the absent half); both are counted, anything
# else is an error. h2o: anything but 200 is an error.
# Usage: tests/bench/bench-n5g.sh [COUNT] [SECONDS] [ROUNDS]
#        (defaults 10000000 10 3; needs a build in ./build with tests,
#        h2load (nghttp2-client) and h2o)
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000000} SECS=${2:-10} ROUNDS=${3:-3}
[ "$SECS" -ge 2 ] || { echo "bench-n5g: SECONDS at least 2"; exit 1; }
B=build
SHAPES=("16 16" "1 1" "64 100")	# -c CLIENTS -m STREAMS; the first is the main figure
for t in h2load h2o taskset; do
	command -v "$t" >/dev/null || { echo "bench-n5g: $t is missing (Debian: nghttp2-client, h2o, util-linux)"; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/var/tmp}/eir-bench-n5g.XXXXXX")
pids=()	# what runs now
forget() {	# PID: it has been waited for
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}
# A process and what it started (h2o's crash-handler helper), by pid.
stop() {
	local kids
	kids=$(ps -o pid= --ppid "$1" 2>/dev/null || true)
	kill "$1" $kids 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget "$1"
}
trap 'for p in "${pids[@]}"; do stop "$p"; done; rm -rf "$W"' EXIT
ninja -C $B >/dev/null
SRC=$PWD
. tests/lib.sh

bench_data "$W" "$N"

NPORT=$(free_port) HPORT=$(free_port) EPORT=$(free_port) VPORT=$(free_port)
N5G_PORT=$NPORT eird_cfg "$W/eird.cfg" "$W/db" "$EPORT" "$VPORT" "s| logging level all notice| logging level all error|"
# Where eird_cfg does not write the n5g node (an older tests/lib.sh).
grep -q '^n5g' "$W/eird.cfg" || cat >>"$W/eird.cfg" <<CFG
n5g
 listen 127.0.0.1 $NPORT
 max-concurrent-streams 128
 max-connections 1024
 idle-timeout 60
CFG
grep -qx " listen 127.0.0.1 $NPORT" "$W/eird.cfg" || { echo "bench-n5g: the n5g node does not listen on $NPORT"; exit 1; }

# The URIs, one per line (h2load -i: each client walks the list from the
# top; only the first line's host and port count).
awk -v port="$NPORT" '
function luhn(d,   i, s, v) {	# TS 23.003 B.2
	s = 0
	for (i = 14; i >= 1; i--) {
		v = substr(d, i, 1) + 0
		if ((15 - i) % 2 == 1) { v *= 2; if (v > 9) v -= 9 }
		s += v
	}
	return (10 - s % 10) % 10
}
{
	# In pairs (absent, present): the form changes every second pair.
	pei = (int((NR - 1) / 2) % 4 == 3) ? "imei-" $1 luhn($1) : "imeisv-" $1 "00"
	printf "http://127.0.0.1:%d/n5g-eir-eic/v1/equipment-status?pei=%s&supi=imsi-001010%09d\n", port, pei, NR
}' "$W/imeis" >"$W/uris-eird"
sed "s|^http://127.0.0.1:$NPORT/|http://127.0.0.1:$HPORT/|" "$W/uris-eird" >"$W/uris-h2o"
echo "URIs: $(wc -l <"$W/uris-eird"), e.g. $(sed -n 2p "$W/uris-eird")"

# The baseline: h2o, one thread, the same path answered from a file.
printf '{"status":"WHITELISTED"}' >"$W/status.json"
cat >"$W/h2o.conf" <<H2O
listen:
  host: 127.0.0.1
  port: $HPORT
num-threads: 1
$([ "$(id -u)" = 0 ] && echo "user: root")
error-log: $W/h2o.log
file.etag: OFF
hosts:
  default:
    paths:
      /n5g-eir-eic/v1/equipment-status:
        file.file: $W/status.json
H2O

TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }	# utime + stime of a process
# start NAME: the server on CPU 0; sets $spid and $port.
start() {
	if [ "$1" = eird ]; then
		taskset -c 0 $B/eir/eird/eird -c "$W/eird.cfg" >"$W/eird.log" 2>&1 & spid=$!
		port=$NPORT
	else
		taskset -c 0 h2o -c "$W/h2o.conf" >>"$W/h2o.log" 2>&1 & spid=$!
		port=$HPORT
	fi
	pids+=("$spid")
	wait_port "$port" || { echo "bench-n5g: $1 does not listen on $port"; cat "$W/$1.log"; exit 1; }
}

# load NAME C M [LOG]: one h2load run against the server started last;
# its output in $W/h2load.out. Sets cpu_s and cpu_l, the CPU percentages
# of the server and of h2load, from 0.5 s after the warm-up to 0.5 s
# before the end.
load() {
	taskset -c 1 h2load -t 1 -c "$2" -m "$3" -D "$SECS" --warm-up-time 2 ${4:+--log-file="$4"} \
		-i "$W/uris-$1" >"$W/h2load.out" 2>&1 & local hp=$!
	pids+=("$hp")
	local s0 l0 t0 s1 l1 t1 rc=0
	sleep 2.5
	s0=$(cpu_ticks "$spid") l0=$(cpu_ticks "$hp") t0=$(date +%s%N)
	sleep $((SECS - 1))
	s1=$(cpu_ticks "$spid") l1=$(cpu_ticks "$hp") t1=$(date +%s%N)
	wait "$hp" || rc=$?
	forget "$hp"
	[ "$rc" = 0 ] || { echo "bench-n5g: h2load exit $rc"; cat "$W/h2load.out"; exit 1; }
	cpu_s=$(( (s1 - s0) * 100000000000 / TCK / (t1 - t0) ))
	cpu_l=$(( (l1 - l0) * 100000000000 / TCK / (t1 - t0) ))
}
# From h2load's output: "finished in 10.00s, 123456.70 req/s, ..." (over
# the main duration), "requests: T total, S started, D done, OK
# succeeded, F failed, E errored, TO timeout" (failed counts the statuses
# other than 2xx and 3xx too, 404 included) and "status codes: A 2xx,
# B 3xx, C 4xx, D 5xx".
# Sets rate, errored, timeout, c2xx, c3xx, c4xx, c5xx.
parse_out() {
	local o=$W/h2load.out
	rate=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$o")
	read -r errored timeout <<<"$(sed -n 's/^requests: .* \([0-9][0-9]*\) errored, \([0-9][0-9]*\) timeout$/\1 \2/p' "$o")"
	read -r c2xx c3xx c4xx c5xx <<<"$(sed -n 's/^status codes: \([0-9]*\) 2xx, \([0-9]*\) 3xx, \([0-9]*\) 4xx, \([0-9]*\) 5xx$/\1 \2 \3 \4/p' "$o")"
	[ -n "$rate" ] && [ -n "$timeout" ] && [ -n "$c5xx" ] || { echo "bench-n5g: cannot read h2load's output"; cat "$o"; exit 1; }
}

# run NAME C M ROUND: the two runs against NAME; prints them and appends
# "req/s p50 p99 errors" to $W/res.NAME.C.M.
run() {
	local name=$1 c=$2 m=$3 r=$4 log=$W/requests.tsv
	local rate1 rate2 cs cl err1 err2 n200 n404 nother p50 p99 p999
	start "$name"
	# 1. Throughput. An answer other than 200 (eird: 200 or 404, told
	# apart in the second run) is an error.
	load "$name" "$c" "$m"
	parse_out
	rate1=$rate cs=$cpu_s cl=$cpu_l
	err1=$((errored + timeout + c3xx + c5xx))
	[ "$name" = h2o ] && err1=$((err1 + c4xx))
	# 2. Latency, from the per-request log of the main duration: start
	# (us since the epoch), status (-1: the stream failed), us until the
	# end of the response. Percentiles by nearest rank.
	load "$name" "$c" "$m" "$log"
	stop "$spid"
	parse_out
	rate2=$rate
	read -r n200 n404 nother <<<"$(awk '{ n[$2 == 200 ? "200" : $2 == 404 ? "404" : "other"]++ }
		END { printf "%d %d %d", n["200"], n["404"], n["other"] }' "$log")"
	[ "$name" = h2o ] && { nother=$((nother + n404)); n404=0; }
	err2=$((errored + timeout + nother))
	read -r p50 p99 p999 <<<"$(cut -f3 "$log" | sort -n | awk '{ a[NR] = $1 }
		function at(p,   k) { k = int(NR * p); if (k < NR * p) k++; return k ? a[k] : 0 }
		END { printf "%d %d %d", at(0.5), at(0.99), at(0.999) }')"
	rm -f "$log"
	printf '%-4s -c %-2s -m %-3s round %d: %7.0f req/s, CPU %s %d%% h2load %d%%, errors %d | logged: %7.0f req/s, p50 %6d p99 %6d p99.9 %6d us, 200: %d, 404: %d, errors %d\n' \
		"$name" "$c" "$m" "$r" "$rate1" "$name" "$cs" "$cl" "$err1" "$rate2" "$p50" "$p99" "$p999" "$n200" "$n404" "$err2"
	echo "$rate1 $p50 $p99 $((err1 + err2))" >>"$W/res.$name.$c.$m"
}

for r in $(seq "$ROUNDS"); do
	for s in "${SHAPES[@]}"; do
		read -r c m <<<"$s"
		if [ $((r % 2)) = 1 ]; then run eird "$c" "$m" "$r"; run h2o "$c" "$m" "$r"
		else run h2o "$c" "$m" "$r"; run eird "$c" "$m" "$r"; fi
	done
done

med() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "medians over $ROUNDS round(s), $N IMEIs, $SECS s per run:"
printf '%-14s %-5s %10s %8s %8s %7s\n' shape server req/s "p50 us" "p99 us" errors
for s in "${SHAPES[@]}"; do
	read -r c m <<<"$s"
	for name in eird h2o; do
		f=$W/res.$name.$c.$m
		printf '%-14s %-5s %10.0f %8.0f %8.0f %7d\n' "-c $c -m $m" "$name" "$(cut -d' ' -f1 "$f" | med)" \
			"$(cut -d' ' -f2 "$f" | med)" "$(cut -d' ' -f3 "$f" | med)" "$(awk '{ e += $4 } END { print e }' "$f")"
	done
done
read -r c m <<<"${SHAPES[0]}"
me=$(cut -d' ' -f1 "$W/res.eird.$c.$m" | med) mh=$(cut -d' ' -f1 "$W/res.h2o.$c.$m" | med)
echo "ratio eird / h2o at -c $c -m $m: $(awk -v a="$me" -v b="$mh" 'BEGIN { printf "%.2f", a / b }') (target at least 0.60)"
