#!/usr/bin/env bash
# Integration test of observations, grace periods and monitor mode against
# real peers: the freeDiameter MME (fd-mme) over S13 and the test MSC
# (map-msc) through a real osmo-stp over MAP ask about unknown and
# registered IMEIs under `unknown-imei grace 30` / `registered grace 30`.
# eir-db observed shows each pair with its interface, count and times; a
# first-seen import moves the boundary; eird restarted with its clock 31
# days ahead (EIR_CLOCK_OFFSET, the test aid) keeps the observations and
# answers BLACKLISTED over S13 and MAP; monitor mode, per interface then
# global, answers WHITELISTED on the wire while the stats and the
# observations keep the BLACKLISTED enforce would send; a DIRBS export is
# checked against DIRBS-Core's operator schema.
# Usage: eird-observed.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen DB=$B/lmdb-tools/eir-db
STAT=$B/eir/stats/eir-stat MSC=$B/tests/tools/map-msc
fdmme=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$B/tests/tools/fd-mme")
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-obs.XXXXXX")
eird= stp=
cleanup() { kill $eird $stp 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
. "$SRC/tests/lib.sh"
check_heap
command -v osmo-stp >/dev/null || { echo "FAIL: osmo-stp is not installed"; exit 1; }
stp_lock
if python3 -c "import socket; socket.create_connection(('127.0.0.1', 4239), 1)" 2>/dev/null; then
	echo "FAIL: 127.0.0.1:4239 is taken (another osmo-stp?); the test's osmo-stp needs it"; exit 1
fi
DPORT=$(free_port) VPORT=$(free_port) SPORT=$(free_port)
export MAP_STP_PORT=$SPORT
OBS=$work/observed

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
# The sample's commented grace lines, uncommented; batches every 100 ms.
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" "s|peer mme1.example.net|peer mme.example.net|" \
	"s|^  ! unknown-imei grace 30 then blacklisted|  unknown-imei grace 30 then blacklisted|" \
	"s|^  ! registered grace 30 then blacklisted|  registered grace 30 then blacklisted|" \
	"s|^ observed-retention 400| observed-retention 400\n observed-batch-interval 100|"
grep -qx "  unknown-imei grace 30 then blacklisted" "$work/eird.cfg" && grep -qx "  registered grace 30 then blacklisted" "$work/eird.cfg" ||
	{ echo "FAIL: test: the sample's grace lines were not uncommented"; exit 1; }
stp_cfg "$work/osmo-stp.cfg" "$SPORT"
# (9>&-: no child keeps the osmo-stp turn's lock after the test.)
start_stp() {
	osmo-stp -c "$work/osmo-stp.cfg" >>"$work/stp.log" 2>&1 9>&- &
	stp=$!
	wait_port "$SPORT" || { echo "FAIL: osmo-stp does not listen"; cat "$work/stp.log"; exit 1; }
}
# osmo-stp 1.6 crashes (SIGSEGV) after some ten dynamic ASPs have come and
# gone (each eird start and each map-msc run is one). So every eird start
# gets a fresh osmo-stp, and one that exited anyway is said on stderr with
# its status and started again: eird is what this test checks.
restart_stp() {
	if kill -0 "$stp" 2>/dev/null; then
		kill "$stp"
		wait "$stp" 2>/dev/null
	else
		wait "$stp" 2>/dev/null
		echo "NOTE: osmo-stp exited (status $?); its last lines: $(tail -3 "$work/stp.log" | tr '\n' '|')" >&2
	fi
	start_stp
}
wait_asp() {
	for _ in $(seq 100); do
		"$STAT" -s "$work/eird.sock" stats 2>/dev/null | grep -Eq '^peer0:host=asp-eir,addr=[^,]+,state=active$' && return 0
		sleep 0.1
	done
	return 1
}
start_stp

# start_eird [OFFSET]: eird with its grace clock moved by OFFSET; waits for
# S13 and for the ASP towards the STP.
start_eird() {
	restart_stp
	EIR_CLOCK_OFFSET=${1:-} "$EIRD" -c "$work/eird.cfg" >>"$work/eird.log" 2>&1 9>&- &
	eird=$!
	wait_port "$DPORT" || { echo "FAIL: eird does not start"; tail "$work/eird.log"; exit 1; }
	wait_asp || bad "eird's ASP is not active: $(tail -5 "$work/stp.log")"
}
# A clean stop: exit 0 (under the sanitizers, no report either).
stop_eird() {
	kill "$eird"
	wait "$eird" 2>/dev/null
	local rc=$?
	eird=
	[ "$rc" -eq 0 ] && ! grep -q 'Sanitizer' "$work/eird.log" && ok || bad "eird's stop: exit $rc: $(grep -A5 Sanitizer "$work/eird.log" | head -20)"
}

mme=$(fd_conf "$work/fd-mme" mme.example.net "$(free_port)" 30 "$DPORT") || { echo "FAIL: freeDiameter configuration"; exit 1; }
# s13 "IMEI SV IMSI"...: the Equipment-Status per query, one per line.
s13() {
	printf '%s\n' "$@" >"$work/q"
	timeout 60 "${fdmme[@]}" "$mme" eir.example.net "$work/q" 2>>"$work/fd.err" | awk 'NF == 3 {print $3}'
}
# map VERSION IMEI[:IMSI]...: equipmentStatus per query.
# map VERSION IMEI[:IMSI]...: equipmentStatus per query, one per line, in
# $work/map.out (not in a subshell: a restarted osmo-stp stays this shell's).
map() {
	local try
	for try in 1 2; do
		kill -0 "$stp" 2>/dev/null || { restart_stp; wait_asp; }
		timeout 60 python3 "$SRC/tests/integration/map_ask.py" "$MSC" "$SPORT" "$@" >"$work/map.out" 2>>"$work/msc.err" && return
		kill -0 "$stp" 2>/dev/null && break	# once more only when the STP went away under the MSC
	done
	echo "map-msc failed (osmo-stp $(kill -0 "$stp" 2>/dev/null && echo running || echo GONE)): $(tail -3 "$work/msc.err")" >&2
}
mapgot() { tr '\n' ' ' <"$work/map.out"; }
val() { "$STAT" -s "$work/eird.sock" stats | sed -n "s/^$1:\(.*\)$/\1/p"; }
# obs: the csv export of the whole store, one row per pair.
obs() { "$DB" observed export --since 2000-01-01 --until 2100-01-01 --format csv --observed "$OBS"; }
# row IMEI IMSI FIELD: one field of a pair from the csv export.
row() {
	obs | python3 -c "
import csv, sys
for r in csv.DictReader(sys.stdin):
    if r['imei'] == '$1' and r['imsi'] == '$2':
        print(r['$3'])"
}
# Wait until the writer has the pairs on disk (batches every 100 ms).
settle() { sleep 0.4; }

U1=99000000000011 U2=99000000000022 U3=99000000000033 U4=99000000000044 U5=99000000000055 U6=99000000000066
U7=99000000000077
REG=490154203237518 ACT=35209900176148 A=001010000000101 C=001010000000202

start_eird
t0=$(date +%s)
# -- unknown and registered IMEIs in grace: greylisted on both interfaces
got=$(s13 "$U1 - $A" "$U1 - $C" "$U2 - -" "$REG - $A" "$ACT - $A" "$U6 - $A" | tr '\n' ' ')
[ "$got" = "2 2 2 2 0 2 " ] && ok || bad "S13 within grace: '$got', want '2 2 2 2 0 2'"
map 3 "$U1:$A" "$U3"; got=$(mapgot)
[ "$got" = "2 2 " ] && ok || bad "MAP within grace: '$got', want '2 2'"
t1=$(date +%s)
settle

# -- eir-db observed: the pairs with interface, counts and times
[ "$(row $U1 $A count)" = 2 ] && ok || bad "U1/A count $(row $U1 $A count), want 2 (S13 then MAP)"
[ "$(row $U1 $A interface)" = map ] && ok || bad "U1/A last interface $(row $U1 $A interface), want map"
[ "$(row $U1 $C interface)" = s13 ] && ok || bad "U1/C interface $(row $U1 $C interface), want s13"
[ "$(row $U1 $C count)" = 1 ] && ok || bad "U1/C count $(row $U1 $C count)"
[ "$(row $U2 '' count)" = 1 ] && ok || bad "U2 without IMSI: count $(row $U2 '' count)"
[ "$(row $U3 '' interface)" = map ] && ok || bad "U3 interface $(row $U3 '' interface), want map"
[ "$(row $U1 $A verdict)" = greylisted ] && [ "$(row $U1 $A branch)" = unknown ] && ok ||
	bad "U1/A verdict $(row $U1 $A verdict) branch $(row $U1 $A branch)"
[ "$(row ${REG:0:14} $A branch)" = registered ] && ok || bad "registered pair branch $(row ${REG:0:14} $A branch)"
[ "$(row $ACT $A verdict)" = whitelisted ] && ok || bad "active pair verdict $(row $ACT $A verdict)"
python3 - "$t0" "$t1" "$(row $U1 $A first_seen)" "$(row $U1 $A last_seen)" <<'PY' && ok || bad "U1/A times $(row $U1 $A first_seen) $(row $U1 $A last_seen) outside [$t0, $t1]"
import datetime, sys
t0, t1 = int(sys.argv[1]), int(sys.argv[2])
ts = [datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp() for s in sys.argv[3:5]]
sys.exit(0 if t0 <= ts[0] <= ts[1] <= t1 else 1)
PY
out=$("$DB" observed get "$U1" --observed "$OBS")
rc=$?
[ $rc -eq 0 ] && grep -q "$A" <<<"$out" && grep -q "$C" <<<"$out" && ok || bad "observed get $U1 (exit $rc): $out"
"$DB" observed get "$U4" --observed "$OBS" >/dev/null 2>&1
[ $? -eq 1 ] && ok || bad "observed get of a never seen IMEI: exit 1 expected"
out=$("$DB" observed get --imsi "$A" --observed "$OBS")
for i in $U1 ${REG:0:14} $ACT $U6; do grep -q "$i" <<<"$out" || bad "observed get --imsi $A lacks $i: $out"; done
grep -q "$U2" <<<"$out" && bad "observed get --imsi $A shows $U2" || ok
[ "$(val observed_recorded)" = 8 ] && ok || bad "observed_recorded $(val observed_recorded), want 8"
[ "$(val observed_new_imeis)" = 6 ] && ok || bad "observed_new_imeis $(val observed_new_imeis), want 6"
[ "$(val grace_first_sightings)" = 5 ] && ok || bad "grace_first_sightings $(val grace_first_sightings), want 5 (U1 U2 U3 U6 REG)"
[ "$(val grace_in_grace)" = 7 ] && ok || bad "grace_in_grace $(val grace_in_grace), want 7"
[ "$(val observed_pairs)" -ge 7 ] && ok || bad "observed_pairs $(val observed_pairs)"

# -- a first-seen import from the other nodes moves the boundary: U5 seen
# elsewhere 40 days ago, U6 (seen here today) 35 days ago
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
printf 'imei,first_seen\n%s,%s\n%s,%s\n# end rows=2\n' "$U5" "$(iso $((t0 - 40 * 86400)))" \
	"$U6" "$(iso $((t0 - 35 * 86400)))" >"$work/first-seen.csv"
"$SYNC" -q --db "$work/db" import "$work/first-seen.csv" && ok || bad "eir-sync import of a first-seen file"
"$DB" --db "$work/db" stat | grep -qx "first-seen: 2" && ok || bad "eir-db stat: $("$DB" --db "$work/db" stat | grep first-seen)"
got=$(s13 "$U5 - $A" "$U6 - $A" "$U2 - -" | tr '\n' ' ')
[ "$got" = "1 1 2 " ] && ok || bad "after the first-seen import: '$got', want '1 1 2' (U5, U6 expired; U2 in grace)"
settle
[ "$(row $U6 $A branch)" = grace-expired ] && ok || bad "U6 branch $(row $U6 $A branch), want grace-expired"

# -- a crash loses at most the interval in memory: U7, answered, then kill -9
got=$(s13 "$U7 - $A")
[ "$got" = 2 ] && ok || bad "U7: '$got', want 2"
settle
kill -9 "$eird"; wait "$eird" 2>/dev/null; eird=
[ "$(row $U7 $A count)" = 1 ] && ok || bad "U7 lost in the crash: count '$(row $U7 $A count)', want 1"
start_eird
before=$(obs | grep "^$U1,")

# -- restart 31 days later: the observations are kept, the grace is over
stop_eird
[ "$(obs | grep "^$U1,")" = "$before" ] && ok || bad "the observations of $U1 changed across the stop"
start_eird +31d
[ "$(obs | grep "^$U1,")" = "$before" ] && ok || bad "the observations of $U1 changed across the restart"
got=$(s13 "$U1 - $A" "$REG - $A" "$U4 - $A" "$ACT - $A" | tr '\n' ' ')
[ "$got" = "1 1 2 0 " ] && ok || bad "S13 31 days on: '$got', want '1 1 2 0'"
map 3 "$U3" "$U1:$C"; got=$(mapgot)
[ "$got" = "1 1 " ] && ok || bad "MAP 31 days on: '$got', want '1 1'"
[ "$(val grace-expired)" = 4 ] && ok || bad "policy grace-expired $(val grace-expired), want 4"
# eir-db check decides as eird does, from the same sightings and clock.
out=$(EIR_CLOCK_OFFSET=+31d "$DB" --db "$work/db" check "$U1" --policy "$work/eird.cfg" --observed "$OBS")
grep -qx "verdict: blacklisted" <<<"$out" && grep -qx "branch: grace-expired" <<<"$out" &&
	grep -qx "first-seen: $(row $U1 $A first_seen)" <<<"$out" && ok || bad "eir-db check 31 days on: $out"
out=$("$DB" --db "$work/db" check "$U1" --policy "$work/eird.cfg" --observed "$OBS")
grep -qx "verdict: greylisted" <<<"$out" && grep -q "^grace-end: " <<<"$out" && ok || bad "eir-db check today: $out"
[ "$(val grace_expired)" = 4 ] && ok || bad "grace_expired $(val grace_expired), want 4"

# -- the notification events (notify-spool): one per (pair, kind, cut-off
# date) across intervals, interfaces and restarts, with the cut-off date
events() { cat "$work"/notify/*.jsonl 2>/dev/null; }
settle
events >"$work/events.jsonl"
python3 - "$work/events.jsonl" "$t0" "$U1" "$A" "$C" "$U2" "$U3" "$U6" <<'PY' && ok || bad "notification events: see above"
import collections, datetime, json, sys
t0 = int(sys.argv[2]); U1, A, C, U2, U3, U6 = sys.argv[3:9]
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ids = collections.Counter((e["imei"], e["imsi"], e["kind"], e["cutoff"]) for e in ev)
dup = [k for k, n in ids.items() if n > 1]
day = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).date().isoformat()
want = {(U1, A, "grace", day(t0 + 30 * 86400)), (U1, C, "grace", day(t0 + 30 * 86400)),
        (U2, "", "grace", day(t0 + 30 * 86400)), (U3, "", "grace", day(t0 + 30 * 86400)),
        (U1, A, "cut-off", day(t0 + 30 * 86400)), (U3, "", "cut-off", day(t0 + 30 * 86400)),
        (U6, A, "cut-off", day(t0 - 5 * 86400))}
missing = want - set(ids)
g = [e for e in ev if (e["imei"], e["imsi"], e["kind"]) == (U1, A, "grace")]
bad = dup or missing or not g or g[0]["days"] != 30 or g[0]["iface"] != "s13" or g[0]["source"] != "eird" \
      or g[0]["reason"] != "unknown-imei" or g[0]["grace_end"] % 86400 != 0
if bad:
    print("duplicates:", dup, "missing:", sorted(missing), "U1/A grace:", g, file=sys.stderr)
    print("\n".join(json.dumps(e) for e in ev), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
nev=$(events | wc -l)
[ "$(val notify_cut_off)" -ge 3 ] && [ "$(val notify_errors)" = 0 ] && ok ||
	bad "notify_cut_off $(val notify_cut_off) (want at least U1/A, U1/C, U3 since this start), notify_errors $(val notify_errors)"

# -- monitor mode on S13 only (the sample's commented lines), then everywhere
sed -i -e 's|^ ! policy$| policy|' -e 's|^ !  mode monitor$|  mode monitor|' "$work/eird.cfg"
grep -qx "  mode monitor" "$work/eird.cfg" || bad "test: the sample's diameter policy lines were not uncommented"
kill -HUP "$eird"
sleep 0.5
got=$(s13 "$U1 - $A" | tr '\n' ' ')
[ "$got" = "0 " ] && ok || bad "S13 in monitor mode: '$got', want 0 (whitelisted on the wire)"
map 3 "$U3"; got=$(mapgot)
[ "$got" = "1 " ] && ok || bad "MAP still enforcing: '$got', want 1"
[ "$(val would_blacklist_grace-expired)" = 1 ] && ok || bad "would_blacklist_grace-expired $(val would_blacklist_grace-expired), want 1"
[ "$(val mode_s13)" = monitor ] && [ "$(val mode_map)" = enforce ] && ok || bad "modes $(val mode_s13) $(val mode_map)"
sed -i 's|^  mode enforce$|  mode monitor|' "$work/eird.cfg"
kill -HUP "$eird"
sleep 0.5
map 3 "$U3"; got=$(mapgot)
[ "$got" = "0 " ] && ok || bad "MAP in global monitor mode: '$got', want 0"
settle
[ "$(events | wc -l)" = "$nev" ] && ok || bad "events written in monitor mode: $(events | tail -n +$((nev + 1)))"
[ "$(val would_blacklist_grace-expired)" = 2 ] && ok || bad "would_blacklist_grace-expired $(val would_blacklist_grace-expired), want 2"
sent_w=$(val sent_whitelisted) dec_b=$(val decided_blacklisted)
[ "$sent_w" -ge 3 ] && [ "$dec_b" -ge 6 ] && ok || bad "verdict mix: sent whitelisted $sent_w, decided blacklisted $dec_b"
view=$("$STAT" -s "$work/eird.sock" view)
grep -q "mode: s13 monitor, map monitor" <<<"$view" && grep -Eq "would_blacklist_grace-expired +2" <<<"$view" && ok ||
	bad "eir-stat view lacks the modes or the would-be verdicts: $view"
"$STAT" -s "$work/eird.sock" prometheus | grep -q '^eir_monitor_would_blacklist_total{branch="grace-expired"} 2$' && ok ||
	bad "prometheus lacks eir_monitor_would_blacklist_total"
settle
[ "$(row $U1 $A verdict)" = whitelisted ] && [ "$(row $U1 $A would)" = blacklisted ] && ok ||
	bad "U1/A in monitor mode: sent $(row $U1 $A verdict), would $(row $U1 $A would)"

# -- typed on the telnet VTY, the policy is in force at once
python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "configure terminal;eir;policy;mode enforce" >/dev/null
python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "configure terminal;diameter;policy;no mode" >/dev/null
got=$(s13 "$U1 - $A")
[ "$got" = 1 ] && [ "$(val mode_s13)" = enforce ] && ok || bad "enforce typed on the VTY: '$got', mode $(val mode_s13)"
python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "configure terminal;diameter;policy;unknown-imei whitelisted" >/dev/null
got=$(s13 "$U4 - $A")
[ "$got" = 0 ] && ok || bad "an S13 unknown-imei typed on the VTY: '$got', want 0"

# -- the DIRBS operator dump, against DIRBS-Core's schema
day=$(date -u -d "@$t0" +%Y-%m-%d)
"$DB" observed export --since "$day" --format dirbs -o "$work/dirbs.csv" --observed "$OBS" && ok || bad "dirbs export"
python3 "$SRC/tests/integration/dirbs_schema_check.py" "$work/dirbs.csv" && ok || bad "the dirbs export fails the schema"
grep -q "$U1" "$work/dirbs.csv" && grep -q "$A" "$work/dirbs.csv" && ok || bad "the dirbs export lacks $U1/$A"
# -- and the first-seen export, as eir-sync imports it elsewhere
"$DB" observed export --since "$day" --format first-seen -o "$work/fs.csv" --observed "$OBS" && ok || bad "first-seen export"
"$SYNC" -q --db "$work/db" import "$work/fs.csv" && ok || bad "eir-sync cannot import the first-seen export: $(head -3 "$work/fs.csv")"

kill -0 "$eird" && ok || bad "eird died"
stop_eird
grep -q "observation store closed" "$work/eird.log" && ok || bad "no clean close of the observation store"

# -- a bounded batch: observed-queue 1000 and 1200 distinct pairs in one
# interval: all 1200 queued, 1000 kept for the batch, 200 dropped and
# said, none waited for; the 1000 are written at the stop.
sed -e 's|^ observed-batch-interval 100| observed-batch-interval 60000\n observed-queue 1000|' \
	-e 's|^  mode monitor|  mode enforce|' "$work/eird.cfg" >"$work/small.cfg"
cp "$work/eird.cfg" "$work/normal.cfg"
cp "$work/small.cfg" "$work/eird.cfg"
start_eird
seq 1200 | awk '{ printf "98%012d - 00101%010d\n", $1, $1 }' >"$work/many"
timeout 120 "${fdmme[@]}" "$mme" eir.example.net "$work/many" >"$work/many.out" 2>>"$work/fd.err"
[ "$(awk 'NF == 3 && $3 == 2' "$work/many.out" | wc -l)" = 1200 ] && ok || bad "1200 answers in grace: $(awk 'NF == 3' "$work/many.out" | wc -l)"
# (The queue of 1000 queries may overflow too when the writer lags: then
# more are dropped, never fewer, and recorded + dropped is still 1200.)
for _ in $(seq 20); do [ "$(val observed_dropped)" -ge 200 ] && break; sleep 0.1; done
[ "$(val observed_dropped)" -ge 200 ] && [ $(($(val observed_recorded) + $(val observed_dropped))) -ge 1200 ] && ok ||
	bad "bounded batch: recorded $(val observed_recorded), dropped $(val observed_dropped), want >= 200 dropped of 1200"
grep -q "observation batch full (observed-queue 1000" "$work/eird.log" && ok || bad "the drops are not logged"
stop_eird
[ "$(obs | grep -c '^98')" = 1000 ] && ok || bad "the batch written at the stop: $(obs | grep -c '^98') pairs, want 1000"

# -- retention: 500 days on, every pair is past observed-retention 400
cp "$work/normal.cfg" "$work/eird.cfg"
start_eird +500d
for _ in $(seq 50); do [ "$(obs | wc -l)" = 1 ] && [ "$(val observed_expired)" -ge 1000 ] && break; sleep 0.2; done
[ "$(obs | wc -l)" = 1 ] && ok || bad "after 500 days $(($(obs | wc -l) - 1)) pairs remain, want 0"
[ "$(val observed_expired)" -ge 1000 ] && ok || bad "observed_expired $(val observed_expired)"
"$DB" observed get "$U1" --observed "$OBS" >/dev/null 2>&1
[ $? -eq 1 ] && ok || bad "$U1 still observed after 500 days"
stop_eird

# -- a store that cannot be opened (its parent is a file): eird answers,
# says so, and keeps the grace periods it starts in memory: the second
# query of a new IMEI, intervals later, is no new first sighting.
sed -e "s|^ observed-db .*| observed-db $work/full.csv/observed|" -e 's|^  mode monitor|  mode enforce|' \
	"$work/normal.cfg" >"$work/eird.cfg"
start_eird
U8=99000000000088
[ "$(s13 "$U8 - $A")" = 2 ] && ok || bad "U8 without a store: not greylisted"
sleep 0.5
[ "$(s13 "$U8 - $C")" = 2 ] && ok || bad "U8 again without a store: not greylisted"
[ "$(val observed_state)" = unavailable ] && ok || bad "observed_state $(val observed_state), want unavailable"
[ "$(val grace_first_sightings)" = 1 ] && ok || bad "grace_first_sightings $(val grace_first_sightings), want 1: the grace start was forgotten"
grep -q "observation store $work/full.csv/observed: " "$work/eird.log" && ok || bad "the unavailable store is not logged"
# Typed on the VTY meanwhile, `no observed-db` changes nothing that runs.
python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "configure terminal;eir;no observed-db" >/dev/null
sleep 1.2
kill -0 "$eird" 2>/dev/null && [ "$(s13 "$U8 - $A")" = 2 ] && ok || bad "eird after \`no observed-db' typed on the VTY"
stop_eird
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
