#!/usr/bin/env bash
# Integration test of eir-sync's guards on real files and processes: one
# writer at a time (two real runs, the first held mid-parse on a FIFO),
# decompression bombs and damaged compressed files, re-running an applied
# import list, feed locations and their exit codes, --max-shrink with a
# percent sign, a full file system (a 2 MiB tmpfs), and the options that
# eir-sync and eir-gen document.
# Usage: eir-sync-guards.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
GEN=$B/lmdb-tools/eir-gen SYNC=$B/lmdb-tools/eir-sync DB=$B/lmdb-tools/eir-db
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-sync-guards.XXXXXX")
pids=() mnt=
cleanup() {
	exec 3>&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
. "$SRC/tests/lib.sh"
expect_rc() { [ "$2" -eq "$3" ] && ok || bad "$1: exit $2, expected $3${4:+: $4}"; }
expect_in() { grep -qF -- "$3" <<<"$2" && ok || { bad "$1: '$3' not in:"; sed 's/^/    /' <<<"$2"; }; }
expect_seq() { local s; s=$("$DB" --db "$2" stat 2>/dev/null | sed -n 's/^snapshot-seq: //p'); [ "$s" = "$3" ] && ok || bad "$1: seq '$s', expected $3"; }
verify_ok() { local out; out=$("$DB" --db "$2" verify 2>&1) && ok || bad "$1: verify: $out"; }
set_source() { sed "1s/source=[^ ]*/source=$1/"; }
# Open fd 3 on the FIFO: this returns once the run in the background has
# opened it for reading (a watchdog opens it after 60 s should that run
# die first, so that the test fails instead of hanging).
open_fifo() {
	( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep 60 & s=$!; wait $s; : <"$work/fifo" ) &
	local dog=$!
	exec 3>"$work/fifo"
	kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
}

N=3000
"$GEN" --count $N -o "$work/full1.csv"
"$GEN" --count $N --kind delta --base 1 --changes 1000 -o "$work/d2.csv"
"$GEN" --count $N --kind delta --base 2 --changes 1000 -o "$work/d3.csv"

echo "== one writer at a time: a second run fails with exit 3 while the first parses"
db=$work/race
out=$("$SYNC" --db "$db" import "$work/full1.csv" 2>&1); expect_rc "race: full 1" $? 0 "$out"
# A one-row delta for the same base, naming an IMEI the big one does not.
printf '# eir-snapshot version=1 kind=delta seq=2 base=1 source=other created=2026-11-25\nop,imei,status,reason,valid_until,imsi\nset,99000050000001,blocked,stolen,,\n# end rows=1\n' >"$work/d2-small.csv"
mkdir -p "$work/feed"; cp "$work/d2-small.csv" "$work/feed/"; echo 'delta 2 1 d2-small.csv' >"$work/feed/index"
mkfifo "$work/fifo"
"$SYNC" --db "$db" import "$work/fifo" >"$work/first.out" 2>&1 &
first=$!; pids+=("$first")
# The first run opens its input only after taking the lock.
open_fifo
head -n 400 "$work/d2.csv" >&3
out=$("$SYNC" --db "$db" import "$work/d2-small.csv" 2>&1); expect_rc "race: second import" $? 3 "$out"
expect_in "race: second import" "$out" "another writer holds the database ($db/writer.lock, process $first eir-sync)"
out=$("$SYNC" --db "$db" pull "$work/feed" 2>&1); expect_rc "race: pull" $? 3 "$out"
expect_in "race: pull" "$out" "another writer holds the database"
# The refused runs leave the status file to the run that holds the lock.
grep -q 'another writer' "$db/sync-status" && bad "race: a refused run wrote the status file: $(cat "$db/sync-status")" || ok
tail -n +401 "$work/d2.csv" >&3
exec 3>&-
wait "$first"; expect_rc "race: first import" $? 0 "$(cat "$work/first.out")"
expect_seq "race: after the delta" "$db" 2
"$DB" --db "$db" get 99000050000001 >/dev/null 2>&1; expect_rc "race: the second delta was not applied on the same base" $? 1
verify_ok "race: delta" "$db"
# A full seq 3 held mid-parse; a full seq 5 meanwhile must not commit
# first and then be rolled back to 3.
"$GEN" --count $N --seq 3 -o "$work/full3.csv"; "$GEN" --count $N --seq 5 -o "$work/full5.csv"
"$SYNC" --db "$db" import "$work/fifo" >"$work/first.out" 2>&1 &
first=$!; pids+=("$first")
open_fifo
head -n 400 "$work/full3.csv" >&3
out=$("$SYNC" --db "$db" import "$work/full5.csv" 2>&1); expect_rc "race: full 5 during full 3" $? 3 "$out"
tail -n +401 "$work/full3.csv" >&3
exec 3>&-
wait "$first"; expect_rc "race: full 3" $? 0 "$(cat "$work/first.out")"
expect_seq "race: full 3 applied" "$db" 3
out=$("$SYNC" --db "$db" import "$work/full5.csv" 2>&1); expect_rc "race: full 5 afterwards" $? 0 "$out"
expect_seq "race: full 5 applied" "$db" 5
out=$("$SYNC" --db "$db" import "$work/full3.csv" 2>&1); expect_rc "race: full 3 again" $? 0 "$out"
expect_seq "race: no rollback to 3" "$db" 5
verify_ok "race: fulls" "$db"

echo "== decompression bombs, nested compression, trailing data"
db=$work/bomb
out=$("$SYNC" --db "$db" import "$work/full1.csv" 2>&1); expect_rc "bomb: full 1" $? 0 "$out"
gzip -c "$work/d2.csv" | gzip -c >"$work/double.csv.gz"
out=$("$SYNC" --db "$db" import "$work/double.csv.gz" 2>&1); expect_rc "double gzip" $? 1 "$out"
expect_in "double gzip" "$out" "$work/double.csv.gz: nested compression (gzip inside gzip): refused"
gzip -c "$work/d2.csv" >"$work/d2.csv.gz"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").write(sys.argv[2], "d2.csv.gz")' "$work/gz.zip" "$work/d2.csv.gz"
out=$("$SYNC" --db "$db" import "$work/gz.zip" 2>&1); expect_rc "gzip in zip" $? 1 "$out"
expect_in "gzip in zip" "$out" "$work/gz.zip: nested compression (gzip inside zip): refused"
{ cat "$work/d2.csv.gz"; echo 'trailing garbage'; } >"$work/trailing.csv.gz"
out=$("$SYNC" --db "$db" import "$work/trailing.csv.gz" 2>&1); expect_rc "trailing data" $? 1 "$out"
expect_in "trailing data" "$out" "$work/trailing.csv.gz:"
expect_in "trailing data" "$out" ": 17 bytes of trailing data after the gzip stream"
# 200000 rows of the same row compress to a few hundred KiB.
{ echo '# eir-snapshot version=1 kind=delta seq=2 base=1 source=bomb created=2026-11-25'
  echo 'op,imei,status,reason,valid_until,imsi'
  yes 'set,99000050000001,blocked,stolen,,' | head -n 200000
  echo '# end rows=200000'; } | gzip -9 >"$work/bomb.csv.gz"
out=$("$SYNC" --db "$db" --max-bytes 1M import "$work/bomb.csv.gz" 2>&1); expect_rc "max-bytes" $? 1 "$out"
expect_in "max-bytes" "$out" "$work/bomb.csv.gz:"
expect_in "max-bytes" "$out" ": expands to more than 1048576 bytes (--max-bytes 1M)"
out=$("$SYNC" --db "$db" --max-rows 1000 import "$work/bomb.csv.gz" 2>&1); expect_rc "max-rows" $? 1 "$out"
expect_in "max-rows" "$out" "$work/bomb.csv.gz:1003: more than 1000 rows (--max-rows 1000)"
out=$("$SYNC" --db "$db" --max-rows 1000 import "$work/full3.csv" 2>&1); expect_rc "max-rows full" $? 1 "$out"
expect_in "max-rows full" "$out" "$work/full3.csv:1003: more than 1000 rows (--max-rows 1000)"
printf 'imei,block_date,reasons\n35000000000002,20260101,Counterfeit\n35000000000003,20260101,Stolen\n35000000000004,20260101,Lost\n' >"$work/bl.csv"
out=$("$SYNC" --db "$db" --max-rows 2 import "$work/bl.csv" 2>&1); expect_rc "max-rows DIRBS" $? 1 "$out"
expect_in "max-rows DIRBS" "$out" "$work/bl.csv:4: more than 2 rows (--max-rows 2)"
out=$("$SYNC" --db "$db" --max-bytes 12Q import "$work/d2.csv" 2>&1); expect_rc "max-bytes usage" $? 2 "$out"
expect_seq "bombs left the database alone" "$db" 1
verify_ok "after bombs" "$db"
out=$("$SYNC" --db "$db" --max-bytes 2M --max-rows 1000 import "$work/d2.csv.gz" 2>&1); expect_rc "within the limits" $? 0 "$out"
expect_seq "within the limits" "$db" 2

echo "== re-running an applied import list"
db=$work/rerun
out=$("$SYNC" --db "$db" import "$work/full1.csv" "$work/d2.csv" "$work/d3.csv" 2>&1); expect_rc "list" $? 0 "$out"
out=$("$SYNC" --db "$db" import "$work/full1.csv" "$work/d2.csv" "$work/d3.csv" 2>&1); expect_rc "list again" $? 0 "$out"
expect_in "list again" "$out" "nothing to do: $work/full1.csv: seq 1 was applied already (source eir-gen-seed1); the database is at seq 3"
expect_in "list again" "$out" "nothing to do: $work/d2.csv: seq 2 was applied already"
expect_in "list again" "$out" "nothing to do: database already at seq 3"
expect_seq "list again" "$db" 3
"$GEN" --count $N --kind delta --base 3 --changes 1000 -o "$work/d4.csv"
out=$("$SYNC" --db "$db" import "$work/full1.csv" "$work/d2.csv" "$work/d3.csv" "$work/d4.csv" 2>&1); expect_rc "list plus one" $? 0 "$out"
expect_in "list plus one" "$out" "applied delta seq 4"
set_source elsewhere <"$work/full1.csv" >"$work/full1-other.csv"
out=$("$SYNC" --db "$db" import "$work/full1-other.csv" 2>&1); expect_rc "older full that differs" $? 1 "$out"
expect_in "older full that differs" "$out" "snapshot seq 1 is older than the database's seq 4 and not the one applied as seq 1 (source eir-gen-seed1"
set_source elsewhere <"$work/d2.csv" >"$work/d2-other.csv"
out=$("$SYNC" --db "$db" import "$work/d2-other.csv" 2>&1); expect_rc "older delta that differs" $? 1 "$out"
expect_in "older delta that differs" "$out" "delta applies to seq 1 but the database is at seq 4: expected a delta with base=4"
# Forced back to seq 1: what came after it is no longer applied.
out=$("$SYNC" --db "$db" --force import "$work/full1.csv" 2>&1); expect_rc "forced back" $? 0 "$out"
out=$("$SYNC" --db "$db" import "$work/full1.csv" "$work/d2.csv" "$work/d3.csv" 2>&1); expect_rc "list after going back" $? 0 "$out"
expect_in "list after going back" "$out" "applied delta seq 3"
expect_seq "list after going back" "$db" 3
verify_ok "rerun" "$db"

echo "== status and feed locations"
out=$("$SYNC" --db "$work/typo" status 2>&1); expect_rc "status of a missing directory" $? 3 "$out"
expect_in "status of a missing directory" "$out" "$work/typo: no such database directory"
[ ! -e "$work/typo" ] && ok || bad "status created $work/typo"
mkdir "$work/empty"
out=$("$SYNC" --db "$work/empty" status 2>&1); expect_rc "status of an empty directory" $? 0 "$out"
expect_in "status of an empty directory" "$out" "state: empty"
out=$("$SYNC" --db "$work/p1" pull "$work/no-feed" 2>&1); expect_rc "missing feed directory" $? 3 "$out"
expect_in "missing feed directory" "$out" "$work/no-feed: feed directory: No such file or directory"
out=$("$SYNC" --db "$work/p1" pull "ftp://127.0.0.1/feed/" 2>&1); expect_rc "ftp feed" $? 2 "$out"
expect_in "ftp feed" "$out" "unsupported scheme 'ftp'"
hf=$work/http-mirror; mkdir -p "$hf"
cp "$work/full1.csv" "$work/d2.csv" "$hf/"; printf 'full 1 full1.csv\ndelta 2 1 d2.csv\ndelta 3 2 d3.csv\n' >"$hf/index"
out=$("$SYNC" --db "$work/p2" pull "file://$hf" 2>&1); expect_rc "file:// feed, a file missing" $? 3 "$out"
expect_in "file:// feed, a file missing" "$out" "$hf/d3.csv: No such file or directory"
expect_seq "file:// feed" "$work/p2" 2
# A directory whose name starts with "http" is still a directory, and its
# files stay where they are.
cp "$work/d3.csv" "$hf/"
out=$(cd "$work" && "$SYNC" --db p2 pull http-mirror 2>&1); expect_rc "http-named directory feed" $? 0 "$out"
expect_seq "http-named directory feed" "$work/p2" 3
[ -f "$hf/full1.csv" ] && [ -f "$hf/d2.csv" ] && [ -f "$hf/d3.csv" ] && ok ||
	bad "pull removed files from the feed directory: $(ls "$hf")"
# An HTTP download is bounded by --max-bytes too: a real HTTP server on
# loopback serves a file larger than the limit.
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$hf" && exec python3 -m http.server --bind 127.0.0.1 "$hport") >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $hport), 1)" 2>/dev/null && break; sleep 0.1; done
out=$("$SYNC" --db "$work/p3" --max-bytes 1K pull "http://127.0.0.1:$hport/" 2>&1); rc=$?
[ "$rc" -ne 0 ] && ok || bad "an HTTP file over --max-bytes was taken: $out"
expect_in "HTTP download over --max-bytes" "$out" "larger than 1024 bytes (--max-bytes): refused"
[ ! -e "$work/p3/current" ] && ok || bad "a refused download created a database"

echo "== --max-shrink takes a percent sign; the shipped example means what it says"
db=$work/shrink
"$GEN" --count $N --seq 2 -o "$work/full2.csv"
"$GEN" --count $((N * 94 / 100)) --seq 2 -o "$work/full2-94.csv"
out=$("$SYNC" --db "$db" import "$work/full1.csv" 2>&1); expect_rc "shrink: full 1" $? 0 "$out"
out=$("$SYNC" --db "$db" --max-shrink 5% import "$work/full2-94.csv" 2>&1); expect_rc "max-shrink 5%" $? 1 "$out"
expect_in "max-shrink 5%" "$out" "(more than --max-shrink 5%); use --force if that is right"
out=$("$SYNC" --db "$db" --max-shrink 7% import "$work/full2-94.csv" 2>&1); expect_rc "max-shrink 7%" $? 0 "$out"
out=$("$SYNC" --db "$db" --max-shrink 5%% import "$work/full2.csv" 2>&1); expect_rc "max-shrink 5%%" $? 2 "$out"
# The sample's example, a few percent, lets a 2% shrink through.
opts=$(sed -n 's/^#.*e\.g\. \(--max-shrink [0-9]*%\).*/\1/p' "$SRC/debian/eir-sync.conf")
[ -n "$opts" ] && ok || bad "debian/eir-sync.conf: no '--max-shrink N%' example"
grep -q -- '--max-shrink 0\.' "$SRC/debian/eir-sync.conf" && bad "debian/eir-sync.conf still suggests a fraction" || ok
"$GEN" --count $((N * 94 / 100 * 98 / 100)) --seq 3 -o "$work/full3-98.csv"
# shellcheck disable=SC2086
out=$("$SYNC" --db "$db" ${opts:---max-shrink 0.05} import "$work/full3-98.csv" 2>&1); expect_rc "the sample's --max-shrink" $? 0 "$out"

echo "== a full file system"
mnt=$work/mnt; mkdir -p "$mnt"
if mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
	"$GEN" --count 1000 -o "$work/small.csv"; "$GEN" --count 150000 --seq 2 -o "$work/big.csv"
	out=$("$SYNC" --db "$mnt/db" import "$work/small.csv" 2>&1); expect_rc "tmpfs: small full" $? 0 "$out"
	out=$("$SYNC" --db "$mnt/db" import "$work/big.csv" 2>&1); expect_rc "tmpfs: full that does not fit" $? 3 "$out"
	expect_in "tmpfs: full that does not fit" "$out" "No space left on device"
	expect_seq "tmpfs: old data in service" "$mnt/db" 1
	verify_ok "tmpfs" "$mnt/db"
	[ "$(ls -d "$mnt"/db/gen-* | wc -l)" = 1 ] && ok || bad "tmpfs: half-written generation left: $(ls "$mnt/db")"
	umount "$mnt"; mnt=
else
	echo "note: cannot mount a tmpfs here (not root?): full file system not tested"
fi

echo "== every option of --help is in the manual page"
for t in eir-sync:man/eir-sync.8 eir-gen:man/eir-gen.1 eir-db:man/eir-db.1; do
	tool=${t%%:*} page=$SRC/${t#*:}
	for opt in $("$B/lmdb-tools/$tool" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "${opt//-/\\-}" "$page" && ok || bad "$tool $opt is not in ${t#*:}"
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
