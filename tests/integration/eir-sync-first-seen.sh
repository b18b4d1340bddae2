#!/usr/bin/env bash
# Integration test of first-seen files in eir-sync on real files and
# processes: refused without a registry database, imported as an update
# that leaves the registry's seq alone (a delta still applies after it),
# re-imported (idempotent), the exports of three nodes in two orders
# (identical data, the earliest time of each IMEI), gzip input, refusals
# with file:line and nothing changed, every kind of registry import
# afterwards (native full, --force, DIRBS full list, pull of a full)
# keeping the first sightings, and a full import and a first-seen import
# at the same time: one waits for the other's lock, both are applied,
# nothing is lost or rolled back.
# Usage: eir-sync-first-seen.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
GEN=$B/lmdb-tools/eir-gen SYNC=$B/lmdb-tools/eir-sync DB=$B/lmdb-tools/eir-db FS=$B/tests/tools/eir-first-seen
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-sync-fs.XXXXXX")
pids=()
cleanup() {
	exec 3>&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
. "$SRC/tests/lib.sh"
expect_rc() { [ "$2" -eq "$3" ] && ok || bad "$1: exit $2, expected $3${4:+: $4}"; }
expect_in() { grep -qF -- "$3" <<<"$2" && ok || { bad "$1: '$3' not in:"; sed 's/^/    /' <<<"$2"; }; }
seq_of() { "$DB" --db "$1" stat 2>/dev/null | sed -n 's/^snapshot-seq: //p'; }
expect_seq() { local s; s=$(seq_of "$2"); [ "$s" = "$3" ] && ok || bad "$1: seq '$s', expected $3"; }
verify_ok() { local out; out=$("$DB" --db "$2" verify 2>&1) && ok || bad "$1: verify: $out"; }
status_of() { "$SYNC" --db "$1" status | sed -n "s/^$2: //p"; }
# expect_fs NAME DB EXPECTED_FILE: the database's first sightings are those.
expect_fs() {
	"$FS" "$2" >"$work/got" 2>&1 || { bad "$1: eir-first-seen failed: $(cat "$work/got")"; return; }
	cmp -s "$work/got" "$3" && ok || { bad "$1: first sightings differ from $3:"; diff "$3" "$work/got" | head -5 | sed 's/^/    /'; }
	local n; n=$(status_of "$2" first-seen)
	[ "$n" = "$(wc -l <"$3")" ] && ok || bad "$1: status says first-seen: '$n', $(wc -l <"$3") stored"
}
# The same FIFO trick as eir-sync-guards.sh: open fd 3 on the FIFO once the
# run in the background reads it (a watchdog gives up after 60 s).
open_fifo() {
	( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep 60 & s=$!; wait $s; : <"$work/fifo" ) &
	local dog=$!
	exec 3>"$work/fifo"
	kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
}

# Three nodes' exports over an overlapping pool of IMEIs, some in the
# registry and some not, with the forms a file may use (15 digits with the
# check digit, bare dates, an IMEI twice, a BOM and CRLF); and what a
# correct import of all of them holds: the earliest time of each IMEI.
python3 - "$work" <<'PY'
import calendar, random, sys, time
w = sys.argv[1]
rnd = random.Random(7)
def luhn(d):
    s = 0
    for i, c in enumerate(d):
        x = int(c) * (2 if i % 2 else 1)
        s += x - 9 if x > 9 else x
    return str((10 - s % 10) % 10)
pool = ['%014d' % (35000000000000 + rnd.randrange(10**8)) for _ in range(3000)]
pool += ['99000050000%03d' % k for k in range(40)]
best = {}
for node in (1, 2, 3):
    rows = []
    for imei in rnd.sample(pool, 1500):
        for _ in range(2 if rnd.random() < 0.02 else 1):
            t = calendar.timegm((2025, 1, 1, 0, 0, 0)) + rnd.randrange(300 * 86400)
            if rnd.random() < 0.1:
                t -= t % 86400
            rows.append((imei, t))
            best[imei] = min(best.get(imei, t), t)
    nl = '\r\n' if node == 2 else '\n'
    with open('%s/node%d.csv' % (w, node), 'w', newline='') as f:
        f.write(('\ufeff' if node == 2 else '') + 'imei,first_seen' + nl)
        for imei, t in rows:
            key = imei + luhn(imei) if rnd.random() < 0.2 else imei
            ts = time.strftime('%Y-%m-%d' if t % 86400 == 0 and rnd.random() < 0.5 else '%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))
            f.write('%s,%s%s' % (key, ts, nl))
            if node == 3 and rnd.random() < 0.01:
                f.write(nl)
        f.write('# end rows=%d%s' % (len(rows), nl))
    with open('%s/expect%d' % (w, node), 'w') as f:
        for imei in sorted(best):
            f.write('%s %s\n' % (imei, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(best[imei]))))
PY
N=20000
"$GEN" --count $N -o "$work/full1.csv"
"$GEN" --count $N --kind delta --base 1 --changes 500 -o "$work/d2.csv"
"$GEN" --count $N --seq 3 -o "$work/full3.csv"
"$GEN" --count $N --seq 6 -o "$work/full6.csv"

echo "== without a registry database: refused, nothing created"
db=$work/db
out=$("$SYNC" --db "$db" import "$work/node1.csv" 2>&1); expect_rc "no registry" $? 1 "$out"
expect_in "no registry" "$out" "$db holds no registry database yet: import a registry snapshot first"
[ ! -e "$db/current" ] && ok || bad "a refused first-seen import created a database"

echo "== import, re-import, the registry's seq left alone"
out=$("$SYNC" --db "$db" import "$work/full1.csv" 2>&1); expect_rc "full 1" $? 0 "$out"
out=$("$SYNC" --db "$db" import "$work/node1.csv" 2>&1); expect_rc "node1" $? 0 "$out"
expect_in "node1" "$out" "$work/node1.csv: applied first-seen file: "
expect_in "node1" "$out" "(the registry data stays at seq 1)"
expect_fs "node1" "$db" "$work/expect1"
expect_seq "node1 leaves the seq" "$db" 1
out=$("$SYNC" --db "$db" status)
expect_in "status" "$out" "first-seen-source: node1.csv"
expect_in "status" "$out" "kind: full"
expect_in "status" "$out" "last-result: applied"
when=$(status_of "$db" first-seen-imported)
[[ $when == 20[0-9][0-9]-*Z ]] && ok || bad "status first-seen-imported: '$when'"
out=$("$SYNC" --db "$db" import "$work/node1.csv" 2>&1); expect_rc "node1 again" $? 0 "$out"
expect_in "node1 again" "$out" " 0 new, 0 earlier, "
expect_fs "node1 again: idempotent" "$db" "$work/expect1"
# A registry delta based on the seq still applies: the chain is unbroken.
out=$("$SYNC" --db "$db" import "$work/d2.csv" 2>&1); expect_rc "delta after first-seen" $? 0 "$out"
expect_in "delta after first-seen" "$out" "applied delta seq 2"
expect_fs "delta keeps first sightings" "$db" "$work/expect1"
verify_ok "after node1" "$db"

echo "== three nodes in two orders: the same data"
out=$("$SYNC" --db "$db" import "$work/node2.csv" "$work/node3.csv" 2>&1); expect_rc "nodes 2, 3" $? 0 "$out"
expect_in "node 2" "$out" "$work/node2.csv: applied first-seen file"
expect_fs "nodes 1, 2, 3" "$db" "$work/expect3"
db2=$work/db2
gzip -c "$work/node1.csv" >"$work/node1.csv.gz"
out=$("$SYNC" --db "$db2" import "$work/full1.csv" "$work/node3.csv" "$work/node1.csv.gz" "$work/node2.csv" 2>&1)
expect_rc "nodes 3, 1 (gzip), 2" $? 0 "$out"
expect_in "gzip" "$out" "$work/node1.csv.gz: applied first-seen file"
expect_fs "nodes 3, 1, 2" "$db2" "$work/expect3"
out=$("$SYNC" --db "$db2" import "$work/node2.csv" "$work/node3.csv" "$work/node1.csv.gz" 2>&1)
expect_rc "all again" $? 0 "$out"
expect_fs "all again" "$db2" "$work/expect3"
expect_in "status source" "$(status_of "$db2" first-seen-source)" "node1.csv.gz"
verify_ok "nodes" "$db2"

echo "== refusals: file:line, nothing changed"
cp "$db/sync-status" "$work/status.before"
before=$(status_of "$db" first-seen-imported)
head -n -1 "$work/node3.csv" >"$work/trunc.csv"
lines=$(wc -l <"$work/trunc.csv")
out=$("$SYNC" --db "$db" import "$work/trunc.csv" 2>&1); expect_rc "truncated" $? 1 "$out"
expect_in "truncated" "$out" "$work/trunc.csv:$lines: no trailer '# end rows=N' after"
expect_in "truncated" "$out" "rows: truncated file?"
gzip -c "$work/trunc.csv" >"$work/trunc.csv.gz"
out=$("$SYNC" --db "$db" import "$work/trunc.csv.gz" 2>&1); expect_rc "truncated gzip" $? 1 "$out"
expect_in "truncated gzip" "$out" "$work/trunc.csv.gz:$lines: no trailer"
{ head -n 10 "$work/node1.csv"; echo '00000000000000,2025-02-30'; tail -n +11 "$work/node1.csv"; } >"$work/baddate.csv"
out=$("$SYNC" --db "$db" import "$work/baddate.csv" 2>&1); expect_rc "bad time" $? 1 "$out"
expect_in "bad time" "$out" "$work/baddate.csv:11: first_seen '2025-02-30' is not YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD"
future=$(date -u -d '+3 days' +%FT%TZ)
{ head -n 20 "$work/node1.csv"; echo "35000000000001,$future"; tail -n +21 "$work/node1.csv"; } >"$work/future.csv"
out=$("$SYNC" --db "$db" import "$work/future.csv" 2>&1); expect_rc "future" $? 1 "$out"
expect_in "future" "$out" "$work/future.csv:21: first_seen '$future' is more than a day in the future"
printf 'imei,first_seen\n35000000000001,2025-01-01\n352099001761482,2025-01-01\n# end rows=2\n' >"$work/badimei.csv"
out=$("$SYNC" --db "$db" --max-errors 5 import "$work/badimei.csv" 2>&1); expect_rc "bad IMEI (--max-errors does not apply)" $? 1 "$out"
expect_in "bad IMEI" "$out" "$work/badimei.csv:3: imei '352099001761482': IMEI check digit does not match"
expect_fs "refusals changed nothing" "$db" "$work/expect3"
[ "$(status_of "$db" first-seen-imported)" = "$before" ] && ok || bad "a refused file was recorded as imported"
expect_in "refusal recorded" "$(cat "$db/sync-status")" "last-result: refused"
expect_seq "refusals" "$db" 2
verify_ok "after refusals" "$db"

echo "== registry imports afterwards keep the first sightings"
out=$("$SYNC" --db "$db" import "$work/full3.csv" 2>&1); expect_rc "full 3" $? 0 "$out"
expect_seq "full 3" "$db" 3
expect_fs "after a full import" "$db" "$work/expect3"
expect_in "full keeps the source" "$(status_of "$db" first-seen-source)" "node3.csv"
out=$("$SYNC" --db "$db" --force import "$work/full1.csv" 2>&1); expect_rc "forced back to 1" $? 0 "$out"
expect_fs "after a forced older full" "$db" "$work/expect3"
"$GEN" --count 5000 --format dirbs-blacklist -o "$work/bl.csv"
out=$("$SYNC" --db "$db" --force import "$work/bl.csv" 2>&1); expect_rc "DIRBS full blacklist" $? 0 "$out"
expect_fs "after a DIRBS full list" "$db" "$work/expect3"
feed=$work/feed; mkdir -p "$feed"; cp "$work/full6.csv" "$feed/"; echo 'full 6 full6.csv' >"$feed/index"
out=$("$SYNC" --db "$db" --force pull "$feed" 2>&1); expect_rc "pull a full" $? 0 "$out"
expect_seq "pull" "$db" 6
expect_fs "after pull" "$db" "$work/expect3"
verify_ok "after the registry imports" "$db"

echo "== a full import and a first-seen import at the same time"
# Node 4 brings new IMEIs and earlier times for some known ones.
awk 'NR > 1 && NF && $0 !~ /^#/ { split($0, f, ","); if (++n % 7 == 0) print substr(f[1], 1, 14) ",2024-06-01T12:00:00Z" }' \
	"$work/node3.csv" >"$work/n4.rows"
for k in $(seq 0 9); do printf '9900005100%04d,2024-07-0%dT00:00:01Z\n' "$k" $((k % 9 + 1)); done >>"$work/n4.rows"
{ echo 'imei,first_seen'; cat "$work/n4.rows"; echo "# end rows=$(wc -l <"$work/n4.rows")"; } >"$work/node4.csv"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
d = dict(l.split() for l in open(w + '/expect3'))
for l in open(w + '/n4.rows'):
    imei, t = l.strip().split(',')
    d[imei] = min(d.get(imei, t), t)
with open(w + '/expect4', 'w') as f:
    for imei in sorted(d):
        f.write('%s %s\n' % (imei, d[imei]))
PY
mkfifo "$work/fifo"
# (a) The full import holds the lock mid-parse: the first-seen import is
# refused at once, and a retry loop (a timer's next run) gets it applied
# once the full one is published: into the new generation, not the old.
"$GEN" --count $N --seq 7 -o "$work/full7.csv"
"$SYNC" --db "$db" import "$work/fifo" >"$work/first.out" 2>&1 &
first=$!; pids+=("$first")
open_fifo
head -n 4000 "$work/full7.csv" >&3
out=$("$SYNC" --db "$db" import "$work/node4.csv" 2>&1); expect_rc "first-seen during a full" $? 3 "$out"
expect_in "first-seen during a full" "$out" "another writer holds the database ($db/writer.lock, process $first eir-sync)"
( while :; do "$SYNC" --db "$db" import "$work/node4.csv" >"$work/retry.out" 2>&1; rc=$?
	[ "$rc" -ne 3 ] && exit "$rc"; sleep 0.05; done ) 3>&- &
retry=$!; pids+=("$retry")
sleep 0.3
tail -n +4001 "$work/full7.csv" >&3
exec 3>&-
wait "$first"; expect_rc "the full import" $? 0 "$(cat "$work/first.out")"
wait "$retry"; expect_rc "the first-seen import, retried" $? 0 "$(cat "$work/retry.out")"
expect_seq "full 7 applied" "$db" 7
expect_fs "both applied" "$db" "$work/expect4"
verify_ok "race (a)" "$db"
# (b) The first-seen import holds the lock mid-parse: the full import is
# refused at once, its retry replaces the generation afterwards and
# carries over what the first-seen import wrote.
db3=$work/db3
out=$("$SYNC" --db "$db3" import "$work/full1.csv" "$work/node1.csv" 2>&1); expect_rc "race (b): setup" $? 0 "$out"
"$SYNC" --db "$db3" import "$work/fifo" >"$work/first.out" 2>&1 &
first=$!; pids+=("$first")
open_fifo
head -n 500 "$work/node3.csv" >&3
out=$("$SYNC" --db "$db3" import "$work/full3.csv" 2>&1); expect_rc "full during a first-seen import" $? 3 "$out"
expect_in "full during a first-seen import" "$out" "another writer holds the database"
( while :; do "$SYNC" --db "$db3" import "$work/full3.csv" >"$work/retry.out" 2>&1; rc=$?
	[ "$rc" -ne 3 ] && exit "$rc"; sleep 0.05; done ) 3>&- &
retry=$!; pids+=("$retry")
sleep 0.3
tail -n +501 "$work/node3.csv" >&3
exec 3>&-
wait "$first"; expect_rc "the first-seen import" $? 0 "$(cat "$work/first.out")"
wait "$retry"; expect_rc "the full import, retried" $? 0 "$(cat "$work/retry.out")"
expect_seq "race (b): full 3 applied" "$db3" 3
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
d = {}
for n in (1, 3):
    for line in open('%s/node%d.csv' % (w, n), encoding='utf-8-sig'):
        line = line.strip()
        if not line or line.startswith('#') or line == 'imei,first_seen':
            continue
        imei, t = line.split(',')
        if len(t) == 10:
            t += 'T00:00:00Z'
        d[imei[:14]] = min(d.get(imei[:14], t), t)
with open(w + '/expect13', 'w') as f:
    for imei in sorted(d):
        f.write('%s %s\n' % (imei, d[imei]))
PY
expect_fs "race (b): both applied" "$db3" "$work/expect13"
verify_ok "race (b)" "$db3"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
