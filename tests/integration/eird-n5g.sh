#!/usr/bin/env bash
# Integration test of eird's N5g-eir front end (HTTP/2) on loopback, with
# clients eird shares no code with: curl and nghttp for every status and
# error (n5g_cases.py), python3-h2 for the HTTP/2 behaviour (n5g_h2.py:
# SETTINGS, PING, multiplexing, refused streams, idle timeout, congestion,
# misbehaving peers, GOAWAY at the stop), an AMF-like python3-httpx client
# (amf_client.py), an h2load smoke run, tshark decoding the capture, TLS
# with ALPN h2, the per-interface policy over SIGHUP, and the stats.
# Usage: eird-n5g.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
PY=/usr/bin/python3	# Debian's, with python3-h2 and python3-httpx
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-n5g.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

. "$SRC/tests/lib.sh"
check_heap
T=$SRC/tests/integration

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=eir.example.net" -keyout "$work/key.pem" \
	-out "$work/cert.pem" -days 2 >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }

# start_eird CFG: eird in the background, its pid in $pid (and pidfile).
start_eird() {
	"$EIRD" -c "$1" >>"$work/eird.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	echo "$pid" >"$work/eird.pid"
}
stop_eird() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
stat_of() {	# KEY: a value from the stats socket's text
	echo stats | socat -t 2 - "UNIX-CONNECT:$work/eird.sock" | sed -n "s/^$1:\(.*\)/\1/p" | head -1
}

NPORT=$(free_port) TPORT=$(free_port) DPORT=$(free_port) VPORT=$(free_port) N6PORT=$(free_port)
N5G_PORT=$NPORT eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" \
	"s|  unknown-imei greylisted|  unknown-imei unknown|" \
	"s|^ idle-timeout 60| idle-timeout 3|" \
	"s|^ listen 127.0.0.1 $NPORT|&\n listen ::1 $N6PORT\n listen tls 127.0.0.1 $TPORT\n tls certificate $work/cert.pem\n tls key $work/key.pem|"
start_eird "$work/eird.cfg"
wait_port "$NPORT" || { echo "FAIL: eird does not listen"; cat "$work/eird.log"; exit 1; }
wait_port "$TPORT"
BASE=http://127.0.0.1:$NPORT

# -- every status and error, with curl and nghttp, over h2c; then over TLS
run_checker n5g_cases.py $PY "$T/n5g_cases.py" "$BASE" "$T/verdicts.txt"
run_checker "n5g_cases.py tls" $PY "$T/n5g_cases.py" "https://127.0.0.1:$TPORT" "$T/verdicts.txt" --tls --only-curl
# TLS: ALPN h2 is the only protocol; a client without it is refused.
v=$(curl -s -k --http2 -o /dev/null -w '%{http_version}' "https://127.0.0.1:$TPORT/n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518")
[ "$v" = 2 ] && ok || bad "TLS: curl negotiated HTTP/$v, want 2 (ALPN h2)"
curl -s -k --http1.1 -o /dev/null "https://127.0.0.1:$TPORT/n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518" &&
	bad "TLS: an HTTP/1.1-only client was served" || ok
# A client without ALPN at all completes a TLS handshake, but not HTTP/2.
echo | timeout 5 openssl s_client -connect "127.0.0.1:$TPORT" -quiet >/dev/null 2>&1
# Only those two are failed handshakes: the successful TLS connections
# closed by curl, and wait_port's probe, are not.
[ "$(stat_of n5g_tls_handshake_failed)" = 2 ] && ok || bad "n5g_tls_handshake_failed: $(stat_of n5g_tls_handshake_failed), want 2"

# IPv6
a=$(curl -s -g --http2-prior-knowledge "http://[::1]:$N6PORT/n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518")
[ "$a" = '{"status":"GREYLISTED"}' ] && ok || bad "over IPv6 ::1: $a"

# -- the AMF: what open5gs sends, read as open5gs reads it
if [ -f "$T/amf_client.py" ] && [ -f "$T/amf_cases.txt" ]; then
	run_checker amf_client.py $PY "$T/amf_client.py" --url "$BASE" "$T/amf_cases.txt"
fi

# -- HTTP/2 behaviour
run_checker "h2 settings" $PY "$T/n5g_h2.py" settings "$NPORT" 128 8192
run_checker "h2 ping" $PY "$T/n5g_h2.py" ping "$NPORT"
run_checker "h2 multiplex" $PY "$T/n5g_h2.py" multiplex "$NPORT" 35209900176148 99000000000000
run_checker "h2 refuse" $PY "$T/n5g_h2.py" refuse "$NPORT" 128
run_checker "h2 idle" $PY "$T/n5g_h2.py" idle "$NPORT" 3
run_checker "h2 protocol" $PY "$T/n5g_h2.py" protocol "$NPORT"
# HTTP/1.1, DATA on stream 0, bad HPACK, and streams over the limit after the SETTINGS ACK
[ "$(stat_of n5g_conn_protocol_error)" = 4 ] && ok || bad "n5g_conn_protocol_error: $(stat_of n5g_conn_protocol_error), want 4"
run_checker "h2 abuse" $PY "$T/n5g_h2.py" abuse "$NPORT" 3
[ "$(stat_of n5g_conn_stalled)" -ge 1 ] 2>/dev/null && ok || bad "n5g_conn_stalled: $(stat_of n5g_conn_stalled): the unread PINGs were not closed as stalled"

# -- h2load: a smoke run over a list of URIs, no errors
awk '!/^#/ && NF { d = substr($1, 1, 14); printf "http://127.0.0.1:'"$NPORT"'/n5g-eir-eic/v1/equipment-status?pei=imeisv-%s00\n", d }' \
	"$T/verdicts.txt" >"$work/uris"
out=$(h2load -n 20000 -c 4 -m 8 -t 1 -i "$work/uris" 2>&1)
grep -E '^requests:|^status codes:' <<<"$out"
# (h2load counts the 404s of unknown IMEIs as failed: they are answers.)
unknown=$(awk '!/^#/ && NF && $3 == 5422' "$T/verdicts.txt" | wc -l) rows=$(awk '!/^#/ && NF' "$T/verdicts.txt" | wc -l)
grep -qE '^requests: 20000 total, 20000 started, 20000 done, [0-9]+ succeeded, [0-9]+ failed, 0 errored, 0 timeout' <<<"$out" &&
	ok || bad "h2load: errors: $(grep '^requests:' <<<"$out")"
c4=$(sed -n 's/^status codes: [0-9]* 2xx, 0 3xx, \([0-9]*\) 4xx, 0 5xx/\1/p' <<<"$out")
[ -n "$c4" ] && [ $((c4 * rows / unknown)) -ge 19000 ] && [ $((c4 * rows / unknown)) -le 21000 ] && ok ||
	bad "h2load: status codes: $(grep '^status codes' <<<"$out") ($unknown of $rows URIs are unknown IMEIs)"

# -- tshark decodes the exchange: path, :status, the JSON status
timeout 15 tshark -q -i lo -f "tcp port $NPORT" -w "$work/n5g.pcapng" >/dev/null 2>&1 &
tpid=$!
sleep 2
curl -s --http2-prior-knowledge -o /dev/null "$BASE/n5g-eir-eic/v1/equipment-status?pei=imeisv-3500000000000200&supi=imsi-001010000000001"
curl -s --http2-prior-knowledge -o /dev/null "$BASE/n5g-eir-eic/v1/equipment-status?pei=imei-990000000000000"
sleep 1
kill -INT "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
dec=$(tshark -r "$work/n5g.pcapng" -d "tcp.port==$NPORT,http2" -Y http2 -T fields -E separator='|' \
	-e http2.headers.path -e http2.headers.status -e http2.headers.content_type -e json.value.string 2>/dev/null)
grep -q '^/n5g-eir-eic/v1/equipment-status?pei=imeisv-3500000000000200&supi=imsi-001010000000001|' <<<"$dec" &&
	ok || bad "tshark: the request path not decoded: $dec"
grep -q '^|200|application/json|BLACKLISTED$' <<<"$dec" && ok || bad "tshark: 200 BLACKLISTED not decoded: $dec"
grep -q '^|404|application/problem+json|.*ERROR_EQUIPMENT_UNKNOWN' <<<"$dec" && ok ||
	bad "tshark: 404 ERROR_EQUIPMENT_UNKNOWN not decoded: $dec"

# -- the per-interface policy, reloaded on SIGHUP
q() { curl -s --http2-prior-knowledge "$BASE/n5g-eir-eic/v1/equipment-status?pei=$1"; }
[ "$(q imei-990000000000000)" = '{"status":"GREYLISTED"}' ] && bad "unknown IMEI greylisted before the reload" || ok
sed -i 's|^  unknown-imei unknown$|  unknown-imei greylisted|' "$work/eird.cfg"	# the n5g node's
sed -i '0,/^  unknown-imei greylisted$/s||  unknown-imei unknown|' "$work/eird.cfg"	# the eir node's stays
grep -A30 '^n5g' "$work/eird.cfg" | grep -q '^  unknown-imei greylisted' || bad "test: sed of the n5g policy"
kill -HUP "$pid"; sleep 0.5
[ "$(q imei-990000000000000)" = '{"status":"GREYLISTED"}' ] && ok || bad "n5g unknown-imei greylisted not applied: $(q imei-990000000000000)"
[ "$(q mac-00-1b-63-84-45-e6)" = '{"status":"GREYLISTED"}' ] && ok || bad "a MAC PEI does not follow the n5g unknown-imei"
# S13 keeps the global policy (unknown: 5422): the override is N5g's only.
grep -q 'policy reloaded' "$work/eird.log" && ok || bad "no reload logged"
s13=$(python3 "$T/s13_one.py" "$DPORT" mme1.example.net example.net 99000000000000)
[ "$s13" = 5422 ] && ok || bad "S13 after the n5g override: $s13, want 5422"

# -- the stats: counters, connections, latency
[ "$(stat_of n5g_rx_request)" -gt 20000 ] 2>/dev/null && ok || bad "n5g_rx_request: $(stat_of n5g_rx_request)"
[ "$(stat_of n5g_tx_unknown)" -ge 1 ] 2>/dev/null && ok || bad "n5g_tx_unknown: $(stat_of n5g_tx_unknown)"
[ "$(stat_of n5g_error_pei_missing)" -ge 2 ] 2>/dev/null && ok || bad "n5g_error_pei_missing: $(stat_of n5g_error_pei_missing)"
[ "$(stat_of n5g_rx_ping)" -ge 20 ] 2>/dev/null && ok || bad "n5g_rx_ping: $(stat_of n5g_rx_ping)"
[ "$(stat_of n5g_tx_rst_stream)" -ge 50 ] 2>/dev/null && ok || bad "n5g_tx_rst_stream: $(stat_of n5g_tx_rst_stream)"
[ "$(stat_of n5g_conn_idle_timeout)" -ge 1 ] 2>/dev/null && ok || bad "n5g_conn_idle_timeout: $(stat_of n5g_conn_idle_timeout)"
[ "$(stat_of n5g_latency_count)" -gt 20000 ] 2>/dev/null && [ -n "$(stat_of n5g_latency_p99_us)" ] && ok || bad "n5g latency: $(stat_of n5g_latency_count)"
echo json | socat -t 2 - "UNIX-CONNECT:$work/eird.sock" | $PY -c '
import json, sys
j = json.load(sys.stdin)
n = j["n5g"]
assert n["n5g_tx_200"] > 0 and n["latency"]["count"] > 0, n
' && ok || bad "json: no n5g section"
echo prometheus | socat -t 2 - "UNIX-CONNECT:$work/eird.sock" | grep -q '^eir_n5g_tx_whitelisted_total ' && ok ||
	bad "prometheus: eir_n5g_tx_whitelisted_total"
es=$("$B/eir/stats/eir-stat" -s "$work/eird.sock" view)
grep -qE "^n5g_rx_request +$(stat_of n5g_rx_request) " <<<"$es" && grep -q '^N5g-eir ' <<<"$es" && ok ||
	bad "eir-stat: no N5g-eir view: $es"
vt=$($PY "$T/vty_cmd.py" "$VPORT" "show n5g connections")
grep -q '^address' <<<"$vt" && ok || bad "show n5g connections: $vt"
# write terminal prints the node back, the policy override with it.
wt=$($PY "$T/vty_cmd.py" "$VPORT" "write terminal" | tr -d "\r" | sed -n '/^n5g$/,/^[^ ]/p')
want="n5g
 listen 127.0.0.1 $NPORT
 listen ::1 $N6PORT
 listen tls 127.0.0.1 $TPORT
 tls certificate $work/cert.pem
 tls key $work/key.pem
 max-concurrent-streams 128
 max-connections 1024
 idle-timeout 3
 policy
  unknown-imei greylisted"
[ "$(head -n 11 <<<"$wt")" = "$want" ] && ok || bad "write terminal: $wt"
# A bad line in the n5g node refuses the whole reload: the override stays.
cp "$work/eird.cfg" "$work/eird.cfg.good"
sed -i 's|^  unknown-imei greylisted$|  unknown-imei blacklisted|; s|^ max-connections 1024| max-connections lots|' "$work/eird.cfg"
kill -HUP "$pid"; sleep 0.5
[ "$(q imei-990000000000000)" = '{"status":"GREYLISTED"}' ] && ok || bad "a refused reload changed the n5g policy"
grep -q "policy not reloaded.*eird.cfg:[0-9]*: 'max-connections lots'" "$work/eird.log" && ok || bad "refused reload: no file:line"
cp "$work/eird.cfg.good" "$work/eird.cfg"

# -- GOAWAY at a clean stop, with the answers given written out
run_checker "h2 goaway" $PY "$T/n5g_h2.py" goaway "$NPORT" "$work/eird.pid"
wait "$pid" 2>/dev/null
rc=$?
[ "$rc" = 0 ] && ok || bad "eird exit status $rc after SIGTERM"

# -- limits: max-connections 2
N5G_PORT=$NPORT eird_cfg "$work/limits.cfg" "$work/db" "$DPORT" "$VPORT" "s|^ max-connections 1024| max-connections 2|"
start_eird "$work/limits.cfg"
wait_port "$NPORT"
run_checker "h2 congestion" $PY "$T/n5g_h2.py" congestion "$NPORT" 2
# idle-timeout 60 here: a connection that sends nothing goes after 10 s.
run_checker "h2 silent" $PY "$T/n5g_h2.py" silent "$NPORT" 10
[ "$(stat_of n5g_tx_503)" -ge 1 ] 2>/dev/null && ok || bad "n5g_tx_503: $(stat_of n5g_tx_503)"
stop_eird

# -- the samples' commented n5g lines are valid when uncommented (the TLS
# files replaced by this test's, the NRF by one that is down)
N5G_PORT=$NPORT eird_cfg "$work/sample.cfg" "$work/db" "$DPORT" "$VPORT" \
	'/^n5g$/,/^[^ ]/s/^ ! \(listen tls\|tls \|nrf\)/ \1/' \
	"s| listen tls 127.0.0.1 8443| listen tls 127.0.0.1 $TPORT|" \
	"s| tls certificate /etc/eir/n5g-cert.pem| tls certificate $work/cert.pem|" \
	"s| tls key /etc/eir/n5g-key.pem| tls key $work/key.pem|" \
	"s| nrf http://127.0.0.1:7777| nrf http://127.0.0.1:$(free_port)|"
grep -q '^ nrf-advertise 192.0.2.10' "$work/sample.cfg" && grep -q "^ listen tls 127.0.0.1 $TPORT" "$work/sample.cfg" ||
	bad "test: the sample's n5g lines were not uncommented"
start_eird "$work/sample.cfg"
wait_port "$TPORT" && [ "$(curl -s -k --http2 "https://127.0.0.1:$TPORT/n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518")" = \
	'{"status":"GREYLISTED"}' ] && ok || bad "the sample with its n5g lines uncommented: $(tail -3 "$work/eird.log")"
# idle-timeout typed on the VTY applies to the open connections at once
run_checker "h2 vty idle-timeout" $PY "$T/n5g_h2.py" vtyidle "$NPORT" "$VPORT"
stop_eird

# -- the descriptor budget: with 256 descriptors, fewer connections, said at start
N5G_PORT=$NPORT eird_cfg "$work/fd.cfg" "$work/db" "$DPORT" "$VPORT"
(ulimit -n 256; exec "$EIRD" -c "$work/fd.cfg") >"$work/fd.log" 2>&1 &
pid=$!; pids+=("$pid")
wait_port "$NPORT"
grep -q 'max-connections 1024 needs 1104 file descriptors, the limit is 256 .*serving at most 176 connections' "$work/fd.log" &&
	ok || bad "no descriptor budget at start: $(grep -i descriptor "$work/fd.log")"
stop_eird

# -- a bad configuration stops eird with file:line
N5G_PORT=$NPORT eird_cfg "$work/bad.cfg" "$work/db" "$DPORT" "$VPORT" "s|^ listen 127.0.0.1 $NPORT| listen 127.0.0.256 $NPORT|"
"$EIRD" -c "$work/bad.cfg" >"$work/bad.log" 2>&1 && bad "eird started with listen 127.0.0.256" ||
	{ grep -q "bad.cfg:[0-9]*: 'listen 127.0.0.256" "$work/bad.log" && ok || bad "no file:line for a bad listen: $(cat "$work/bad.log")"; }
N5G_PORT=$NPORT eird_cfg "$work/notls.cfg" "$work/db" "$DPORT" "$VPORT" "s|^ listen 127.0.0.1 $NPORT| listen tls 127.0.0.1 $NPORT|"
"$EIRD" -c "$work/notls.cfg" >"$work/notls.log" 2>&1 && bad "eird started listen tls without a certificate" ||
	{ grep -q "needs .tls certificate" "$work/notls.log" && ok || bad "listen tls without certificate: $(cat "$work/notls.log")"; }

if [ "$failed" -ne 0 ]; then
	echo "--- eird.log"; tail -50 "$work/eird.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
