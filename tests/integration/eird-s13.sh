#!/usr/bin/env bash
# Integration test of eird's Diameter S13 front end over TCP on loopback:
# s13_raw.py (an independent Diameter encoder, the verified examples of docs/protocols.md
# ECR, every malformed-input kind, batching, watchdog, disconnect), then the
# VTY's `write terminal`, SIGHUP policy reload, a new database generation
# picked up while serving, and a clean stop.
# Usage: eird-s13.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-s13.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
HOST=mme.epc.mnc001.mcc001.3gppnetwork.org REALM=epc.mnc001.mcc001.3gppnetwork.org

. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" "s|peer mme1.example.net|peer $HOST|" \
	"s|  unknown-imei greylisted|  unknown-imei unknown|"

# The libosmocore statsd reporter ships eird's counters: a UDP listener on
# loopback records what arrives.
SPORT=$(free_port)
cat >>"$work/eird.cfg" <<STATS
stats interval 1
stats reporter statsd
 remote-ip 127.0.0.1
 remote-port $SPORT
 level global
 enable
STATS
python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', $SPORT))
with open(sys.argv[1], 'ab', buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b'\n')
" "$work/statsd.txt" &
statsd=$!

"$EIRD" -c "$work/eird.cfg" >"$work/eird.log" 2>&1 &
pid=$!
wait_port "$DPORT"

run_checker s13_raw.py timeout 120 python3 "$SRC/tests/integration/s13_raw.py" "$DPORT" "$HOST" "$REALM" \
	"$SRC/tests/integration/verdicts.txt" mme2.example.net

# Errors per kind, as s13_raw.py provoked them (stats socket).
st=$("$B/eir/stats/eir-stat" -s "$work/eird.sock" stats)
for kv in diameter_error_missing_avp:3 diameter_error_avp_unsupported:1 diameter_error_invalid_avp:2 \
	  diameter_error_command_unsupported:1 diameter_error_application_unsupported:1 \
	  diameter_error_header_bits:1 diameter_error_other:0 diameter_framing_error:1 diameter_cer_refused:2; do
	grep -qx "$kv" <<<"$st" && ok || bad "stats: want $kv, have $(grep "^${kv%:*}:" <<<"$st")"
done

vty() { python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "$1"; }
wt=$(vty "write terminal")
for line in "eir" " database $work/db" "  unknown-imei unknown" "  check-digit spare" "diameter" \
	    " origin-host eir.example.net" " listen tcp 127.0.0.1 $DPORT" " watchdog-interval 30" \
	    " peer $HOST" " peer mme2.example.net address 127.0.0.1"; do
	grep -qxF -- "$line" <<<"$(tr -d '\r' <<<"$wt")" && ok || bad "write terminal lacks '$line'"
done
# show diameter peers: a connected peer is listed by its Origin-Host and
# address, state open; once it has gone, as the allow-list has it, down.
python3 - "$SRC/tests/integration" "$DPORT" "$HOST" "$REALM" "$work/held" "$work/release" <<'PY' &
import os, socket, sys, time
sys.path.insert(0, sys.argv[1])
from s13_wire import cer, recv_msg
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), 5)
s.sendall(cer(sys.argv[3], sys.argv[4], product="s13-held"))
if recv_msg(s) is None:
    sys.exit("no CEA")
open(sys.argv[5], "w").close()
for _ in range(200):
    if os.path.exists(sys.argv[6]):
        break
    time.sleep(0.05)
s.close()
PY
held=$!
for _ in $(seq 100); do [ -e "$work/held" ] && break; sleep 0.05; done
peers=$(vty "show diameter peers" | tr -d '\r')
touch "$work/release"; wait "$held"
grep -Eq "^${HOST//./\\.} +127\.0\.0\.1 +open$" <<<"$peers" && ok || bad "show diameter peers: $HOST not open: $peers"
grep -Eq '^mme2\.example\.net +127\.0\.0\.1 +down$' <<<"$peers" && ok || bad "show diameter peers: mme2 not down: $peers"
sleep 0.2
peers=$(vty "show diameter peers" | tr -d '\r')
grep -Eq "^${HOST//./\\.} +any +down$" <<<"$peers" && ok || bad "show diameter peers: $HOST not down once gone: $peers"
grep -q "policy:" <<<"$(vty 'show rate-counters')" && ok || bad "show rate-counters lacks the policy counters"

# SIGHUP reloads the policy; a new generation is picked up while serving.
verdict() { python3 "$SRC/tests/integration/s13_one.py" "$DPORT" "$HOST" "$REALM" "$1"; }
[ "$(verdict 99000000000000)" = 5422 ] && ok || bad "unknown before reload: $(verdict 99000000000000)"
sed -i 's/  unknown-imei unknown/  unknown-imei blacklisted/' "$work/eird.cfg"
kill -HUP "$pid"; sleep 0.3
[ "$(verdict 99000000000000)" = 1 ] && ok || bad "unknown after SIGHUP: $(verdict 99000000000000)"
printf 'unknown-imei purple\n' >"$work/bad.cfg"
cp "$work/eird.cfg" "$work/good.cfg"; printf 'eir\n policy\n  unknown-imei purple\n' >>"$work/eird.cfg"
kill -HUP "$pid"; sleep 0.3
[ "$(verdict 99000000000000)" = 1 ] && ok || bad "a bad reload changed the policy"
grep -Eq "policy not reloaded .*eird.cfg:[0-9]+: 'unknown-imei purple' is not valid" "$work/eird.log" && ok || bad "bad reload not logged"
cp "$work/good.cfg" "$work/eird.cfg"
[ "$(verdict 35000000000002)" = 1 ] && ok || bad "blocked before the new full"
printf '# eir-snapshot version=1 kind=full seq=9 source=test created=2026-11-25\nimei,status,reason,valid_until,imsi\n35000000000002,active,,,\n# end rows=1\n' >"$work/new.csv"
"$SYNC" -q --db "$work/db" --force import "$work/new.csv" || bad "import of the new full"
[ "$(verdict 35000000000002)" = 0 ] && ok || bad "new generation not picked up: $(verdict 35000000000002)"

sleep 2.2
kill "$statsd" 2>/dev/null; wait "$statsd" 2>/dev/null
grep -aEq 'diameter\.0\.s13\.rx\.ecr:[1-9][0-9]*\|c' "$work/statsd.txt" && ok || bad "statsd: no s13:rx:ecr counter arrived"
grep -aEq 'eir\.0\.policy\.active:[1-9][0-9]*\|c' "$work/statsd.txt" && ok || bad "statsd: no policy branch counter arrived"
grep -aEq 'eird\.0\.s13\.latency\.p50:[1-9][0-9]*\|g' "$work/statsd.txt" && ok || bad "statsd: no latency gauge arrived"
grep -aEq 'eird\.0\.data\.up:1\|g' "$work/statsd.txt" && ok || bad "statsd: no data gauge arrived"

# The written configuration is a configuration: it starts eird again, and
# that eird writes the same back.
wt=$(vty "write terminal" | tr -d '\r')
sed -n '/^Current configuration:/,/^end$/p' <<<"$wt" | sed '1d;$d' >"$work/written.cfg"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] && ok || bad "eird exit status $rc on SIGTERM"
grep -q "eird stopping" "$work/eird.log" && ok || bad "no clean stop in the log"
"$EIRD" -c "$work/written.cfg" >"$work/eird2.log" 2>&1 &
pid=$!
wait_port "$VPORT"
wt2=$(vty "write terminal" | tr -d '\r' | sed -n '/^Current configuration:/,/^end$/p' | sed '1d;$d')
[ -s "$work/written.cfg" ] && [ "$wt2" = "$(cat "$work/written.cfg")" ] && ok ||
	bad "write terminal does not round-trip: $(diff <(echo "$wt2") "$work/written.cfg" | head -5)"
kill -TERM "$pid"; wait "$pid"; pid=

# No database yet (first start before eir-sync ran): answers follow policy
# failure (whitelisted) and the alarm is logged; once eir-sync has written
# the database, real verdicts follow within a second, without a restart.
sed -e "s|database $work/db|database $work/late-db|" "$work/eird.cfg" >"$work/late.cfg"
"$EIRD" -c "$work/late.cfg" >"$work/late.log" 2>&1 &
pid=$!
wait_port "$DPORT"
[ "$(verdict 35000000000002)" = 0 ] && ok || bad "no database: not the failure outcome"
grep -q "cannot open the database" "$work/late.log" && ok || bad "no database: no alarm in the log"
"$SYNC" -q --db "$work/late-db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" || bad "late import"
sleep 1.2
[ "$(verdict 35000000000002)" = 1 ] && ok || bad "database not picked up after it appeared: $(verdict 35000000000002)"
kill -TERM "$pid"; wait "$pid"; pid=

# SCTP: selectable by configuration; where the kernel has no SCTP, eird
# refuses to start and says why.
sed -e "s|listen tcp 127.0.0.1 $DPORT|listen sctp 127.0.0.1 $DPORT|" -e "s|^stats.*||" -e "/^ remote-\| level global\| enable/d" \
	"$work/eird.cfg" >"$work/sctp.cfg"
if python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	"$EIRD" -c "$work/sctp.cfg" >"$work/sctp.log" 2>&1 &
	pid=$!; sleep 0.5
	grep -q "listening on sctp 127.0.0.1 $DPORT" "$work/sctp.log" && ok || bad "sctp listener: $(tail -2 "$work/sctp.log")"
	kill -TERM "$pid"; wait "$pid"; pid=
else
	timeout 10 "$EIRD" -c "$work/sctp.cfg" >"$work/sctp.log" 2>&1; rc=$?
	[ "$rc" -eq 1 ] && ok || bad "no kernel SCTP: eird exit $rc, want 1"
	grep -q "cannot listen on sctp 127.0.0.1 $DPORT (does this kernel have SCTP?)" "$work/sctp.log" && ok ||
		bad "no kernel SCTP: no clear message: $(tail -2 "$work/sctp.log")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
