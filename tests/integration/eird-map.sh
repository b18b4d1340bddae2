#!/usr/bin/env bash
# Integration test of eird's MAP front end through a real osmo-stp on
# loopback (SCCP over IPA): a test MSC on libosmo-sigtran (map-msc) sends
# CheckIMEI v1, v2 and v3 Begins that map_check.py encodes independently of
# eird, for IMEIs of every status, the vendor variants with an IMSI, and bad
# TCAP; map_check.py checks every answer field by field. tshark, the wire
# oracle, decodes the captured IPA/SCCP/TCAP as checkIMEI with the right
# equipmentStatus. Then the stats socket's MAP counters and `write terminal`.
# Usage: eird-map.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen MSC=$B/tests/tools/map-msc
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-map.XXXXXX")
pid= stp= cap=
cleanup() {
	for p in $pid $stp $cap; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

. "$SRC/tests/lib.sh"
check_heap
command -v osmo-stp >/dev/null || { echo "FAIL: osmo-stp is not installed"; exit 1; }
# osmo-stp 1.6 binds its VTY to port 4239 whatever the configuration says:
# one such test at a time.
stp_lock
if python3 -c "import socket; socket.create_connection(('127.0.0.1', 4239), 1)" 2>/dev/null; then
	echo "FAIL: 127.0.0.1:4239 is taken (another osmo-stp?); the test's osmo-stp needs it"; exit 1
fi
DPORT=$(free_port) VPORT=$(free_port) SPORT=$(free_port)
export MAP_STP_PORT=$SPORT

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" "s|  unknown-imei greylisted|  unknown-imei unknown|"
stp_cfg "$work/osmo-stp.cfg" "$SPORT"

# Capture before anything connects, so the whole exchange is on record.
# (9>&-: no child keeps the osmo-stp turn's lock after the test.)
tshark -i lo -f "tcp port $SPORT" -w "$work/map.pcap" -q >/dev/null 2>"$work/tshark.log" 9>&- &
cap=$!
for _ in $(seq 50); do grep -q "Capturing on" "$work/tshark.log" 2>/dev/null && break; sleep 0.1; done

osmo-stp -c "$work/osmo-stp.cfg" >"$work/stp.log" 2>&1 9>&- &
stp=$!
wait_port "$SPORT" || { echo "FAIL: osmo-stp does not listen"; cat "$work/stp.log"; exit 1; }
"$EIRD" -c "$work/eird.cfg" >"$work/eird.log" 2>&1 9>&- &
pid=$!
wait_port "$DPORT" || { echo "FAIL: eird does not start"; cat "$work/eird.log"; exit 1; }
# The ASP towards the STP is up once the stats socket says so.
for _ in $(seq 100); do
	"$B/eir/stats/eir-stat" -s "$work/eird.sock" stats 2>/dev/null | grep -Eq '^peer0:host=asp-eir,addr=[^,]+,state=active$' && break
	sleep 0.1
done
"$B/eir/stats/eir-stat" -s "$work/eird.sock" stats | grep -Eq '^peer0:host=asp-eir,addr=[^,]+,state=active$' && ok ||
	{ bad "eird's ASP is not active"; tail -20 "$work/eird.log" "$work/stp.log"; }

run_checker map_check.py timeout 300 python3 "$SRC/tests/integration/map_check.py" "$MSC" "$SPORT" \
	"$SRC/tests/integration/verdicts.txt" "$work/sent.json"
kill -0 "$pid" 2>/dev/null && ok || bad "eird died"

# The stats socket counts what was sent, per version and verdict.
stats=$("$B/eir/stats/eir-stat" -s "$work/eird.sock" stats)
val() { sed -n "s/^$1:\([0-9]*\)$/\1/p" <<<"$stats"; }
want() { python3 -c "import json,sys; print(json.load(open('$work/sent.json'))['$1'])"; }
# map_check.py's extra requests: AC v4 (refused), opcode 44, two missing
# IMEIs, BMUEF (all v2/v3), garbage, broken components, Continue, one
# whitelisted v2 after the errors, one from a GT-only caller (v2, white).
[ "$(val map_rx_checkimei_v1)" = "$(want v1)" ] && ok || bad "v1 invokes $(val map_rx_checkimei_v1), want $(want v1)"
[ "$(val map_rx_checkimei_v2)" = $(($(want v2) + 3)) ] && ok || bad "v2 invokes $(val map_rx_checkimei_v2), want $(want v2)+3"
[ "$(val map_rx_checkimei_v3)" = $(($(want v3) + 2)) ] && ok || bad "v3 invokes $(val map_rx_checkimei_v3), want $(want v3)+2"
[ "$(val map_tx_whitelisted)" = $(($(want white) + 2)) ] && ok || bad "whitelisted $(val map_tx_whitelisted)"
[ "$(val map_tx_blacklisted)" = "$(want black)" ] && ok || bad "blacklisted $(val map_tx_blacklisted)"
[ "$(val map_tx_greylisted)" = "$(want grey)" ] && ok || bad "greylisted $(val map_tx_greylisted)"
[ "$(val map_tx_unknown_equipment)" = "$(want unknown)" ] && ok || bad "unknown-equipment $(val map_tx_unknown_equipment)"
[ "$(val map_tx_ac_refused)" = 1 ] && ok || bad "ac-refused $(val map_tx_ac_refused)"
[ "$(val map_tx_reject)" = 4 ] && ok || bad "rejects $(val map_tx_reject), want 4"
[ "$(val map_tx_data_missing)" = 1 ] && ok || bad "data-missing $(val map_tx_data_missing)"
[ "$(val map_tx_p_abort)" = 1 ] && ok || bad "p-aborts $(val map_tx_p_abort)"
[ "$(val map_rx_discarded)" = 1 ] && ok || bad "discarded $(val map_rx_discarded)"
[ "$(val map_error_operation)" = 1 ] && ok || bad "error:operation $(val map_error_operation)"
[ "$(val map_error_argument)" = 2 ] && ok || bad "error:argument $(val map_error_argument)"
# The answer to the GT-only caller comes back (UDTS): counted, not lost.
[ "$(val map_tx_unroutable)" = 1 ] && ok || bad "unroutable $(val map_tx_unroutable), want 1"
total=$(python3 -c "import json; d=json.load(open('$work/sent.json')); print(d['v1']+d['v2']+d['v3'])")
[ "$(val map_latency_count)" -ge "$total" ] && ok || bad "latency samples $(val map_latency_count) < $total"
"$B/eir/stats/eir-stat" -s "$work/eird.sock" prometheus | grep -q '^eir_map_rx_checkimei_v2_total [1-9]' && ok ||
	bad "prometheus lacks the MAP counters"
"$B/eir/stats/eir-stat" -s "$work/eird.sock" json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['map']['peers'][0]['host']=='asp-eir' and d['map']['peers'][0]['state']=='active' and d['map']['asp_up']==1 and d['map']['latency']['count']>0" &&
	ok || bad "json lacks the MAP section"

# The gauges as libosmocore stat items (VTY `show stats`, statsd).
sleep 1.2
shown=$(python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "show stats" | tr -d '\r')
grep -Eq 'ASP towards the STP is active: +1 *$' <<<"$shown" && ok || bad "show stats: ASP not up: $shown"
grep -Eq 'MAP latency, 50th percentile: +[1-9][0-9]* us' <<<"$shown" && ok || bad "show stats lacks the MAP latency"

# The configuration prints back with the cs7 and map nodes.
wt=$(python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "write terminal" | tr -d '\r')
for l in "cs7 instance 0" " point-code 0.23.5" "  routing-key 0 0.23.5" "map" " ssn 9" " max-version 3" " reply-point-code 0.23.0"; do
	grep -qxF -- "$l" <<<"$wt" && ok || bad "write terminal lacks '$l'"
done

# tshark, the wire oracle.
sleep 1
kill "$cap" 2>/dev/null; wait "$cap" 2>/dev/null; cap=
# IPA is decoded on the STP's port (only its default port is automatic).
ts() { tshark -r "$work/map.pcap" -d "tcp.port==$SPORT,gsm_ipa" "$@" 2>/dev/null; }
n_begin=$(ts -Y 'tcap.begin_element && gsm_old.localValue == 43' | wc -l)
# Both hops (MSC->STP, STP->eird) of every checkIMEI Begin: the test cases,
# AC v4, BMUEF, the two without IMEI, the one after the errors, the GT one.
n_req=$(python3 -c "import json; d=json.load(open('$work/sent.json')); print(2*(d['v1']+d['v2']+d['v3']+6))")
[ "$n_begin" = "$n_req" ] && ok || bad "tshark saw $n_begin checkIMEI Begins, want $n_req"
# equipmentStatus of every answer eird sent: tshark's decode against ours.
got=$(ts -Y 'tcap.end_element && gsm_map.ms.equipmentStatus' -T fields -e gsm_map.ms.equipmentStatus | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
want_es=$(python3 -c "
import json; d=json.load(open('$work/sent.json'))
# On both hops (eird->STP, STP->MSC); whitelisted also after the errors and
# to the GT caller, whose answer the MSC's stack cannot route on GT and
# returns in a UDTS (both hops again).
print(' '.join(f'{k}={v}' for k, v in ((0, 2*(d['white']+2)+2), (1, 2*d['black']), (2, 2*d['grey'])) if v))")
[ "$got" = "$want_es " ] && ok || bad "tshark equipmentStatus counts '$got', want '$want_es'"
# The answer to the GT-only caller leaves eird addressed to its global title.
ts -Y 'tcap.end_element && tcap.dtid == 00:00:67:67 && sccp.called.digits == "491700000001" && sccp.called.ri == 0 && sccp.called.pc == 184' | grep -q . && ok ||
	bad "tshark: no answer routed on GT 491700000001 via the STP (PC 0.23.0 = 184)"
ts -Y 'tcap.abort_element' -V | grep -q 'dialogue-service-user: application-context-name-not-supported' && ok ||
	bad "tshark: no AC-not-supported abort"

kill "$pid"; wait "$pid" 2>/dev/null; pid=
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
