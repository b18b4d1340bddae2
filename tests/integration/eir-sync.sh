#!/usr/bin/env bash
# Integration test of eir-sync and eir-gen on real files: full and delta
# imports while a reader process checks every answer against the seq it
# read, every refusal (file:line, nothing applied), kill -9 during a full
# import and during a delta, and pull from a directory and from a real HTTP
# server (python3 -m http.server on loopback).
# Usage: eir-sync.sh BUILD_ROOT   (the source root is this script's ../..)
set -u
B=$1 SRC=$(cd "$(dirname "$0")/../.." && pwd)
GEN=$B/lmdb-tools/eir-gen SYNC=$B/lmdb-tools/eir-sync DB=$B/lmdb-tools/eir-db PROBE=$B/tests/tools/eir-probe
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-sync-it.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
db=$work/db
. "$SRC/tests/lib.sh"
expect_rc() { [ "$2" -eq "$3" ] && ok || bad "$1: exit $2, expected $3${4:+: $4}"; }
expect_in() { grep -qF -- "$3" <<<"$2" && ok || { bad "$1: '$3' not in:"; sed 's/^/    /' <<<"$2"; }; }
seq_of() { "$DB" --db "$1" stat 2>/dev/null | sed -n 's/^snapshot-seq: //p'; }
verify_ok() { local out; out=$("$DB" --db "$2" verify 2>&1) && ok || bad "$1: verify: $out"; }

N=200000 PROBES=40
probe_date() { date -u -d "@$((1767225600 + $1 * 86400))" +%F; }
# gen_full SEQ OUT [COUNT]: eir-gen's full plus the probe IMEIs for SEQ.
gen_full() {
	local seq=$1 out=$2 n=${3:-$N} tmp=$work/gen.tmp d
	"$GEN" --count "$n" --seq "$seq" -o "$tmp" || return 1
	d=$(probe_date "$seq")
	{ head -n -1 "$tmp"
	  for k in $(seq 0 $((PROBES - 1))); do printf '990000500000%02d,traveller,probe,%s,\n' "$k" "$d"; done
	  echo "# end rows=$(( $(tail -n 1 "$tmp" | sed 's/.*rows=//') + PROBES ))"
	} >"${out%.gz}"
	[[ $out == *.gz ]] && gzip -f "${out%.gz}"
	rm -f "$tmp"
}
# gen_delta BASE CHANGES OUT: eir-gen's delta plus the probes set to BASE+1.
gen_delta() {
	local base=$1 changes=$2 out=$3 tmp=$work/gen.tmp d
	"$GEN" --count "$N" --kind delta --base "$base" --changes "$changes" -o "$tmp" || return 1
	d=$(probe_date $((base + 1)))
	{ head -n -1 "$tmp"
	  for k in $(seq 0 $((PROBES - 1))); do printf 'set,990000500000%02d,traveller,probe,%s,\n' "$k" "$d"; done
	  echo "# end rows=$(( $(tail -n 1 "$tmp" | sed 's/.*rows=//') + PROBES ))"
	} >"$out"
	rm -f "$tmp"
}

echo "== full, deltas and a replacing full while a reader runs"
"$PROBE" "$db" "$PROBES" "$work/stop" >"$work/probe.out" 2>&1 &
probe=$!; pids+=("$probe")
gen_full 1 "$work/full1.csv.gz"
out=$("$SYNC" --db "$db" import "$work/full1.csv.gz" 2>&1); expect_rc "full 1" $? 0 "$out"
for s in 1 2 3; do
	gen_delta "$s" 20000 "$work/d$((s + 1)).csv"
	out=$("$SYNC" --db "$db" import "$work/d$((s + 1)).csv" 2>&1); expect_rc "delta $((s + 1))" $? 0 "$out"
done
gen_full 5 "$work/full5.csv"
out=$("$SYNC" --db "$db" import "$work/full5.csv" 2>&1); expect_rc "full 5" $? 0 "$out"
gen_delta 5 20000 "$work/d6.csv"
out=$("$SYNC" --db "$db" import "$work/d6.csv" 2>&1); expect_rc "delta 6" $? 0 "$out"
touch "$work/stop"; wait "$probe"; rc=$?
expect_rc "reader saw no error and no mixed state" $rc 0 "$(cat "$work/probe.out")"
pout=$(cat "$work/probe.out")
reopens=$(sed -n 's/.*reopens=\([0-9]*\).*/\1/p' <<<"$pout"); seqs=$(sed -n 's/.*seqs=\([0-9]*\).*/\1/p' <<<"$pout")
[ "${reopens:-0}" -ge 1 ] && [ "${seqs:-0}" -ge 2 ] && ok || bad "reader did not follow the imports: $pout"
[ "$(seq_of "$db")" = 6 ] && ok || bad "seq after chain: $(seq_of "$db")"
verify_ok "after chain" "$db"
out=$("$SYNC" --db "$db" import "$work/d6.csv" 2>&1); expect_rc "re-import is a no-op" $? 0
expect_in "re-import" "$out" "nothing to do: database already at seq 6"

echo "== refusals: nothing applied, file:line named"
# Another producer's delta 3: not the one applied, so not a no-op.
gen_delta 2 100 "$work/d3b.csv"; sed -i '1s/source=[^ ]*/source=elsewhere/' "$work/d3b.csv"
out=$("$SYNC" --db "$db" import "$work/d3b.csv" 2>&1); expect_rc "broken chain" $? 1
expect_in "broken chain" "$out" "delta applies to seq 2 but the database is at seq 6: expected a delta with base=6"
gen_delta 6 100 "$work/d7.csv"
sed '10s/,[a-z]*,/,purple,/' "$work/d7.csv" >"$work/d7bad.csv"
out=$("$SYNC" --db "$db" import "$work/d7bad.csv" 2>&1); expect_rc "bad row" $? 1
expect_in "bad row" "$out" "$work/d7bad.csv:10: unknown status 'purple'"
[ "$(seq_of "$db")" = 6 ] && ok || bad "bad row applied something"
out=$("$SYNC" --db "$db" --max-errors 1 import "$work/d7bad.csv" 2>&1); expect_rc "max-errors" $? 0 "$out"
expect_in "max-errors" "$out" "d7bad.csv:10: unknown status 'purple'"
expect_in "max-errors" "$out" "(row skipped, 1 of at most 1)"
expect_in "max-errors" "$out" "applied delta seq 7: 139 rows, 1 skipped"
[ "$(seq_of "$db")" = 7 ] && ok || bad "max-errors did not apply"
head -n -1 "$work/full5.csv" >"$work/trunc.csv"
out=$("$SYNC" --db "$db" --force import "$work/trunc.csv" 2>&1); expect_rc "truncated" $? 1
expect_in "truncated" "$out" "truncated file?"
hdr='# eir-snapshot version=1 kind=full seq=50 source=test created=2026-11-25'
printf '%s\nimei,status,reason,valid_until,imsi\n35209900176148,active,,,\n352099001761481,blocked,,,\n# end rows=2\n' "$hdr" >"$work/dup.csv"
out=$("$SYNC" --db "$db" import "$work/dup.csv" 2>&1); expect_rc "duplicate" $? 1
expect_in "duplicate" "$out" "$work/dup.csv:4: duplicate IMEI 35209900176148 (first at line 3)"
printf '%s\nimei,status,reason,valid_until,imsi\n35209900,blocked,,,\n35209900500000-35209901000000,tracked,,,\n# end rows=2\n' "$hdr" >"$work/overlap.csv"
out=$("$SYNC" --db "$db" import "$work/overlap.csv" 2>&1); expect_rc "overlap" $? 1
expect_in "overlap" "$out" "$work/overlap.csv:4: range 35209900500000-35209901000000 overlaps line 3"
gen_full 60 "$work/half.csv" $((N / 2))
out=$("$SYNC" --db "$db" import "$work/half.csv" 2>&1); expect_rc "shrink guard" $? 1
expect_in "shrink guard" "$out" "(more than --max-shrink 10%); use --force if that is right"
[ "$(seq_of "$db")" = 7 ] && ok || bad "shrink guard applied something"
out=$("$SYNC" --db "$db" import "$work/full1.csv.gz" 2>&1); expect_rc "older full applied before" $? 0 "$out"
expect_in "older full applied before" "$out" "nothing to do: $work/full1.csv.gz: seq 1 was applied already"
zcat "$work/full1.csv.gz" | sed '1s/source=[^ ]*/source=elsewhere/' >"$work/full1b.csv"
out=$("$SYNC" --db "$db" import "$work/full1b.csv" 2>&1); expect_rc "older full" $? 1
expect_in "older full" "$out" "snapshot seq 1 is older than the database's seq 7"
out=$("$SYNC" --db "$db" import --max-shrink 60 "$work/half.csv" 2>&1); expect_rc "max-shrink 60" $? 0 "$out"
[ "$(seq_of "$db")" = 60 ] && ok || bad "max-shrink 60 did not apply"
out=$("$SYNC" --db "$db" import "$work/nonexistent.csv" 2>&1); expect_rc "missing file" $? 1
out=$("$SYNC" --db "$db" status)
expect_in "status" "$out" "last-result: refused"
expect_in "status" "$out" "seq: 60"
verify_ok "after refusals" "$db"
out=$("$SYNC" --db "$db" frobnicate 2>&1); expect_rc "usage" $? 2

# A delta that moves a range: the old rule goes before the new one comes.
printf '# eir-snapshot version=1 kind=delta seq=61 base=60 source=t created=2026-11-25\nop,imei,status,reason,valid_until,imsi\nset,86000000000000-86000000999999,blocked,counterfeit,,\n# end rows=1\n' >"$work/r61.csv"
printf '# eir-snapshot version=1 kind=delta seq=62 base=61 source=t created=2026-11-25\nop,imei,status,reason,valid_until,imsi\nset,85999999500000-86000000499999,blocked,counterfeit,,\ndel,86000000000000-86000000999999,,,,\n# end rows=2\n' >"$work/r62.csv"
out=$("$SYNC" --db "$db" import "$work/r61.csv" "$work/r62.csv" 2>&1); expect_rc "range move" $? 0 "$out"
expect_in "range move" "$("$DB" --db "$db" get 85999999600000)" "range: 85999999500000-86000000499999 blocked counterfeit"
"$DB" --db "$db" get 86000000600000 >/dev/null; expect_rc "old range gone" $? 1

echo "== kill -9 during a full import and during a delta"
N=1500000
gen_full 70 "$work/big70.csv"
gen_delta 70 400000 "$work/big71.csv"
landed=0
for delay in 0.05 0.3 0.8; do
	"$SYNC" --db "$db" --force import "$work/big70.csv" >/dev/null 2>&1 &
	p=$!; sleep "$delay"
	kill -9 "$p" 2>/dev/null && landed=$((landed + 1)); wait "$p" 2>/dev/null
	s=$(seq_of "$db"); { [ "$s" = 62 ] || [ "$s" = 70 ]; } && ok || bad "after kill in full: seq '$s'"
	verify_ok "after kill in full ($delay s)" "$db"
	[ "$s" = 70 ] && break
done
out=$("$SYNC" --db "$db" --force import "$work/big70.csv" 2>&1); expect_rc "re-run full" $? 0 "$out"
[ "$(seq_of "$db")" = 70 ] && ok || bad "re-run full"
[ "$(ls -d "$db"/gen-* | wc -l)" = 1 ] && ok || bad "leftover generations: $(ls "$db")"
for delay in 0.2 0.6 1.2; do
	"$SYNC" --db "$db" import "$work/big71.csv" >/dev/null 2>&1 &
	p=$!; sleep "$delay"
	kill -9 "$p" 2>/dev/null && landed=$((landed + 1)); wait "$p" 2>/dev/null
	s=$(seq_of "$db"); { [ "$s" = 70 ] || [ "$s" = 71 ]; } && ok || bad "after kill in delta: seq '$s'"
	verify_ok "after kill in delta ($delay s)" "$db"
	[ "$s" = 71 ] && break
done
[ "$landed" -ge 2 ] && ok || bad "only $landed kills landed during an import"
out=$("$SYNC" --db "$db" import "$work/big71.csv" 2>&1); rc=$?
expect_rc "re-run delta" $rc 0 "$out"
[ "$(seq_of "$db")" = 71 ] && ok || bad "re-run delta"
verify_ok "after re-runs" "$db"

echo "== pull from a directory"
N=50000
feed=$work/feed; mkdir -p "$feed"
gen_full 1 "$feed/full-1.csv.gz"
gen_delta 1 500 "$feed/delta-2.csv"; gen_delta 2 500 "$feed/delta-3.csv"
printf '# registry feed\nfull 1 full-1.csv.gz\ndelta 2 1 delta-2.csv\ndelta 3 2 delta-3.csv\n' >"$feed/index"
pdb=$work/pulldb
out=$("$SYNC" --db "$pdb" pull "$feed" 2>&1); expect_rc "pull" $? 0 "$out"
[ "$(seq_of "$pdb")" = 3 ] && ok || bad "pull reached seq $(seq_of "$pdb")"
out=$("$SYNC" --db "$pdb" pull "$feed" 2>&1); expect_rc "pull again" $? 0
expect_in "pull again" "$out" "nothing to do"
gen_delta 3 500 "$feed/delta-4.csv"; echo "delta 4 3 delta-4.csv" >>"$feed/index"
out=$("$SYNC" --db "$pdb" pull "$feed" 2>&1); expect_rc "pull new delta" $? 0 "$out"
expect_in "pull new delta" "$out" "applied delta seq 4"
[ "$(grep -c applied <<<"$out")" = 1 ] && ok || bad "pull re-applied files: $out"
# Broken chain: the feed moved on to full 10; no delta starts at 4.
feed2=$work/feed2; mkdir -p "$feed2"
gen_full 10 "$feed2/full-10.csv"; gen_delta 10 500 "$feed2/delta-11.csv"
printf 'full 1 full-1.csv.gz\nfull 10 full-10.csv\ndelta 11 10 delta-11.csv\n' >"$feed2/index"
cp "$feed/full-1.csv.gz" "$feed2/"
out=$("$SYNC" --db "$pdb" pull "$feed2" 2>&1); expect_rc "pull broken chain" $? 0 "$out"
expect_in "pull broken chain" "$out" "applied full seq 10"
[ "$(seq_of "$pdb")" = 11 ] && ok || bad "broken chain reached seq $(seq_of "$pdb")"
printf 'delta 12 11 delta-11.csv\n' >>"$feed2/index"
out=$("$SYNC" --db "$pdb" pull "$feed2" 2>&1); expect_rc "index lies" $? 1
expect_in "index lies" "$out" "header does not match the index entry (delta seq 12)"
printf 'full one full-1.csv\n' >"$work/badindex"; mkdir -p "$work/feed3"; cp "$work/badindex" "$work/feed3/index"
out=$("$SYNC" --db "$pdb" pull "$work/feed3" 2>&1); expect_rc "bad index" $? 1
expect_in "bad index" "$out" "index:1: expected"
verify_ok "after pulls" "$pdb"

echo "== pull over HTTP from python3 -m http.server on loopback"
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 --directory "$feed" "$port" >"$work/http.log" 2>&1 &
http=$!; pids+=("$http")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/index" >/dev/null 2>&1 && break; sleep 0.1; done
hdb=$work/httpdb
out=$("$SYNC" --db "$hdb" pull "http://127.0.0.1:$port/" 2>&1); expect_rc "http pull" $? 0 "$out"
[ "$(seq_of "$hdb")" = 4 ] && ok || bad "http pull reached seq $(seq_of "$hdb")"
grep -q 'GET /delta-4.csv' "$work/http.log" && ok || bad "server log shows no GET of delta-4"
out=$("$SYNC" --db "$hdb" pull "http://127.0.0.1:$port" 2>&1); expect_rc "http pull again" $? 0
expect_in "http pull again" "$out" "nothing to do"
[ -z "$(ls -A "$hdb" | grep '^\.pull-')" ] && ok || bad "downloads left behind"
out=$("$SYNC" --db "$work/x" pull "http://127.0.0.1:$port/nothing-here" 2>&1); expect_rc "http 404" $? 3
expect_in "http 404" "$out" "404"
verify_ok "after http" "$hdb"

echo "== DIRBS operator lists"
ddb=$work/dirbsdb
chk() { "$DB" --db "$ddb" check "$@" | grep -E '^(verdict|branch):' | tr '\n' ' '; }
printf 'imei,block_date,reasons\r\n35209900176148,20260115,Stolen|Lost\r\n35000000000002,20260101,Counterfeit\r\n35000000000003,20260101,Stolen\r\n' >"$work/bl.csv"
printf 'imei,imsi,msisdn\n35209900176148,001010000000001,491700000001\n35000000000009,001010000000002,\n' >"$work/ex.csv"
out=$("$SYNC" --db "$ddb" import "$work/bl.csv" "$work/ex.csv" 2>&1); expect_rc "dirbs lists" $? 0 "$out"
expect_in "dirbs lists" "$out" "applied DIRBS list as seq 2"
expect_in "dirbs blocked" "$(chk 35000000000002)" "verdict: blacklisted branch: blocked"
expect_in "dirbs exception" "$(chk 35209900176148 --imsi 001010000000001)" "verdict: whitelisted branch: paired-exception"
expect_in "dirbs other imsi" "$(chk 35209900176148 --imsi 001010000000005)" "verdict: blacklisted branch: blocked"
expect_in "dirbs reason" "$("$DB" --db "$ddb" get 35209900176148)" "reason: Stolen"
printf 'imei,block_date,reasons,change_type\n35000000000002,20260101,Counterfeit,unblocked\n35209900176148,20260101,Stolen,unblocked\n35000000000004,20260301,Lost,blocked\n35000000000003,20260301,Cloned,changed\n' >"$work/bld.csv"
out=$("$SYNC" --db "$ddb" import "$work/bld.csv" 2>&1); expect_rc "dirbs blacklist delta" $? 0 "$out"
expect_in "dirbs unblocked" "$(chk 35000000000002)" "branch: unknown"
expect_in "dirbs unblocked keeps pairs" "$("$DB" --db "$ddb" get 35209900176148)" "status: active"
expect_in "dirbs changed" "$("$DB" --db "$ddb" get 35000000000003)" "reason: Cloned"
printf 'imei,imsi,change_type\n35000000000009,001010000000002,removed\n35000000000004,001010000000007,added\n' >"$work/exd.csv"
out=$("$SYNC" --db "$ddb" import "$work/exd.csv" 2>&1); expect_rc "dirbs exceptions delta" $? 0 "$out"
"$DB" --db "$ddb" get 35000000000009 >/dev/null; expect_rc "exception-only record removed" $? 1
expect_in "dirbs added" "$(chk 35000000000004 --imsi 001010000000007)" "branch: paired-exception"
out=$("$SYNC" --db "$ddb" import "$work/bld.csv" 2>&1); expect_rc "dirbs delta twice" $? 1
expect_in "dirbs delta twice" "$out" "bld.csv:2: unblocked IMEI 35000000000002 is not blocked"
printf 'imei,block_date,reasons\n35000000000004,20261301,Lost\n' >"$work/blbad.csv"
out=$("$SYNC" --db "$ddb" import "$work/blbad.csv" 2>&1); expect_rc "dirbs bad date" $? 1
expect_in "dirbs bad date" "$out" "blbad.csv:2: block_date '20261301' is not a date"
printf 'imei,block_date,reasons\n352099001761481,20260101,Lost\n' >"$work/blbad2.csv"
out=$("$SYNC" --db "$ddb" import "$work/blbad2.csv" 2>&1); expect_rc "dirbs 15 digits" $? 1
expect_in "dirbs 15 digits" "$out" "blbad2.csv:2: imei '352099001761481' must be 14 digits (DIRBS normalised)"
"$GEN" --count 20000 --format dirbs-blacklist -o "$work/genbl.csv.gz"
"$GEN" --count 10000 --seed 5 --format dirbs-exceptions -o "$work/genex.csv"
out=$("$SYNC" --db "$ddb" import "$work/genbl.csv.gz" "$work/genex.csv" 2>&1); expect_rc "eir-gen dirbs lists" $? 0 "$out"
blocked=$("$DB" --db "$ddb" stat | sed -n 's/^imeis-blocked: //p')
[ "$blocked" = 20000 ] && ok || bad "blocked after full DIRBS blacklist: $blocked (the list replaces the blocked set)"
"$GEN" --count 15000 --format dirbs-blacklist -o "$work/genbl2.csv"
out=$("$SYNC" --db "$ddb" import "$work/genbl2.csv" 2>&1); expect_rc "dirbs shrink guard" $? 1
expect_in "dirbs shrink guard" "$out" "it would shrink by 25.0%"
verify_ok "after DIRBS" "$ddb"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
