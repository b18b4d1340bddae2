#!/usr/bin/env bash
# bench-sync: eir-gen and eir-sync at scale, and what imports do to readers.
#   1. eir-gen writes a full snapshot of COUNT IMEIs (gzip); timed.
#   2. eir-sync imports it into an empty database: time, rows/s, peak RSS,
#      bytes per IMEI on disk.
#   3. bench-reader runs idle (the baseline), then during a second full
#      import and during a delta of CHANGES rows; lookups/s compared.
# Usage: tests/bench/bench-sync.sh [COUNT] [CHANGES] [WORKDIR]
#        (defaults 100000000, 1000000, /var/tmp/eir-bench-sync; needs a build in ./build)
set -eu
cd "$(dirname "$0")/../.."
N=${1:-100000000} M=${2:-1000000} W=${3:-/var/tmp/eir-bench-sync}
B=build/lmdb-tools R=build/tests/bench/bench-reader
ninja -C build >/dev/null
rm -rf "$W"; mkdir -p "$W"; trap 'rm -rf "$W"' EXIT
t() { local s=$(date +%s.%N); "$@"; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

echo "records: $N, delta changes: $M"
gen=$(t "$B/eir-gen" --count "$N" --seq 1 -o "$W/full1.csv.gz")
echo "eir-gen full:        ${gen}s ($(du -h "$W/full1.csv.gz" | cut -f1) gzip), $(calc "$N / $gen") rows/s"
out=$("$B/eir-sync" --db "$W/db" -v import "$W/full1.csv.gz")
echo "import full:         $(sed -n 's/.*applied full seq 1: //p' <<<"$out")"
echo "import rows/s:       $(sed -n 's/^rows\/s: //p' <<<"$out")"
echo "import peak RSS:     $(( $(sed -n 's/^peak-rss-kib: //p' <<<"$out") / 1024 )) MiB"
size=$(stat -c %s "$(readlink -f "$W/db/current")/data.mdb")
echo "data file:           $size bytes, $(calc "$size / ($N + 3)") bytes per IMEI"
full_s=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$out")
dur=$(calc "$full_s + 2")

echo "reader idle:         $("$R" "$W/db" "$dur")"
"$B/eir-gen" --count "$N" --seq 2 -o "$W/full2.csv.gz"
"$R" "$W/db" "$dur" >"$W/r.full" & r=$!
sleep 1; out=$("$B/eir-sync" --db "$W/db" import "$W/full2.csv.gz"); wait "$r"
echo "reader during full:  $(cat "$W/r.full")"
"$B/eir-gen" --count "$N" --kind delta --base 2 --changes "$M" -o "$W/delta3.csv.gz"
"$R" "$W/db" 8 >"$W/r.delta" & r=$!
sleep 1; out=$("$B/eir-sync" --db "$W/db" -v import "$W/delta3.csv.gz"); wait "$r"
echo "import delta:        $(sed -n 's/.*applied delta seq 3: //p' <<<"$out")"
echo "reader during delta: $(cat "$W/r.delta")"
