#!/usr/bin/env bash
# Integration test of eird's registration in the NRF (TS 29.510) against
# the real open5gs NRF (../shared/peers/open5gs-nrf, started here on
# loopback): after start an AMF-style discovery returns eird's profile with
# its endpoint; the nfInstanceId survives a restart; after the NRF restarts
# eird is registered again within two heartbeats, answering AMFs all along;
# an NRF that is down at eird's start is registered with once it is up;
# after SIGTERM the discovery is empty.
# Usage: eird-nrf.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
PY=/usr/bin/python3
# The NRF: where the project's peers live beside it, or named by EIR_NRF_DIR.
NRF_DIR=${EIR_NRF_DIR:-}
for d in "$SRC/../shared/peers/open5gs-nrf" /work/shared/peers/open5gs-nrf; do
	[ -z "$NRF_DIR" ] && [ -x "$d/run.sh" ] && NRF_DIR=$d
done
if [ -z "$NRF_DIR" ]; then
	echo "SKIP: the open5gs NRF (shared/peers/open5gs-nrf) is not on this machine; set EIR_NRF_DIR"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-nrf.XXXXXX")
pid= nrf=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$nrf" ] && kill "$nrf" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

. "$SRC/tests/lib.sh"
check_heap

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
NRFPORT=$(free_port) NPORT=$(free_port) DPORT=$(free_port) VPORT=$(free_port)
HB=2
N5G_PORT=$NPORT eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" \
	"s|^ ! nrf http://127.0.0.1:7777| nrf http://127.0.0.1:$NRFPORT|" "s|^ ! nrf-heartbeat 10| nrf-heartbeat $HB|"
grep -q "^ nrf http://127.0.0.1:$NRFPORT" "$work/eird.cfg" || { echo "FAIL: test: no nrf line"; exit 1; }

start_nrf() {
	NRF_LOG_LEVEL=info "$NRF_DIR/run.sh" "$NRFPORT" "$work/nrf.log.$1" &
	nrf=$!
	wait_port "$NRFPORT" || { echo "FAIL: the NRF does not start"; cat "$work/nrf.log.$1"; exit 1; }
}
stop_nrf() { kill -KILL "$nrf" 2>/dev/null; wait "$nrf" 2>/dev/null; nrf=; }
start_eird() {
	"$EIRD" -c "$work/eird.cfg" >>"$work/eird.log" 2>&1 &
	pid=$!
	wait_port "$NPORT" || { echo "FAIL: eird does not listen"; tail -20 "$work/eird.log"; exit 1; }
}
discover() {	# prints the SearchResult
	curl -s --http2-prior-knowledge --max-time 3 \
		"http://127.0.0.1:$NRFPORT/nnrf-disc/v1/nf-instances?target-nf-type=5G_EIR&requester-nf-type=AMF"
}
# check_profile ID: the discovery holds exactly one 5G_EIR, ID, with our endpoint.
check_profile() {
	discover | $PY -c '
import json, sys
want_id, port = sys.argv[1], int(sys.argv[2])
r = json.load(sys.stdin)
nfs = r.get("nfInstances", [])
assert len(nfs) == 1, f"{len(nfs)} 5G_EIR instances: {nfs}"
p = nfs[0]
assert p["nfInstanceId"] == want_id, (p["nfInstanceId"], want_id)
assert p["nfType"] == "5G_EIR" and p["nfStatus"] == "REGISTERED", p
assert p.get("ipv4Addresses") == ["127.0.0.1"], p.get("ipv4Addresses")
svcs = p.get("nfServices") or list(p.get("nfServiceList", {}).values())
s = [s for s in svcs if s["serviceName"] == "n5g-eir-eic"]
assert len(s) == 1, svcs
s = s[0]
assert s["scheme"] == "http" and s["nfServiceStatus"] == "REGISTERED", s
assert {"apiVersionInUri": "v1"}.items() <= s["versions"][0].items(), s["versions"]
eps = s["ipEndPoints"]
assert any(e.get("ipv4Address") == "127.0.0.1" and e.get("port") == port for e in eps), eps
' "$1" "$NPORT"
}
registered_within() {	# SECONDS ID: poll the discovery
	local end=$(($(date +%s%N) + $1 * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		check_profile "$2" 2>/dev/null && return 0
		sleep 0.2
	done
	check_profile "$2"
	return 1
}
stat_nrf() { echo stats | socat -t 2 - "UNIX-CONNECT:$work/eird.sock" | sed -n 's/^peer[0-9]*:host=nrf,addr=[^,]*,state=//p'; }
amf() { curl -s --http2-prior-knowledge --max-time 2 "http://127.0.0.1:$NPORT/n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518"; }

# -- registered after start, with the endpoint an AMF uses
start_nrf 1
start_eird
[ -s "$work/db/n5g-nf-instance-id" ] && ok || bad "no nfInstanceId kept in the database directory"
ID=$(tr -d '\n' <"$work/db/n5g-nf-instance-id")
[[ "$ID" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] && ok || bad "nfInstanceId $ID is not a UUID v4"
registered_within 5 "$ID" && ok || bad "eird's profile not discovered after start: $(discover)"
[ "$(stat_nrf)" = registered ] && ok || bad "stats: the NRF peer is '$(stat_nrf)', want registered"
vt=$($PY "$SRC/tests/integration/vty_cmd.py" "$VPORT" "show n5g nrf" | tr -d '\r')
grep -q "^NRF http://127.0.0.1:$NRFPORT: registered" <<<"$vt" && grep -q "nfInstanceId $ID, heartbeat $HB s" <<<"$vt" &&
	ok || bad "show n5g nrf: $vt"
# Heartbeats keep it: still there after three periods.
sleep $((3 * HB))
check_profile "$ID" && ok || bad "dropped by the NRF after $((3 * HB)) s: heartbeats missing?"
grep -q 'No heartbeat' "$work/nrf.log.1" && bad "the NRF missed a heartbeat" || ok

# -- the same nfInstanceId after a restart of eird
kill "$pid"; wait "$pid" 2>/dev/null; pid=
start_eird
registered_within 5 "$ID" && ok || bad "another instance after eird restarted: $(discover)"

# -- the NRF restarts: eird answers AMFs meanwhile, and is back within two heartbeats
stop_nrf
[ "$(amf)" = '{"status":"GREYLISTED"}' ] && ok || bad "N5g-eir answer while the NRF is down: $(amf)"
sleep 1
start_nrf 2
t0=$(date +%s%N)
registered_within $((2 * HB + 1)) "$ID" && ok || bad "not registered again within two heartbeats ($((2 * HB)) s) of the NRF's restart"
echo "registered again $((($(date +%s%N) - t0) / 1000000)) ms after the NRF came back"
[ "$(amf)" = '{"status":"GREYLISTED"}' ] && ok || bad "N5g-eir answer after the NRF restart"

# -- SIGTERM: deregistered, the discovery empty
kill "$pid"; wait "$pid" 2>/dev/null; rc=$?; pid=
[ "$rc" = 0 ] && ok || bad "eird exit status $rc"
n=$(discover | $PY -c 'import json, sys; print(len(json.load(sys.stdin).get("nfInstances", [])))')
[ "$n" = 0 ] && ok || bad "$n 5G_EIR instances after SIGTERM: $(discover)"
grep -q 'deregistered from the NRF' "$work/eird.log" && ok || bad "eird did not log its deregistration"
grep -qi 'de-registered' "$work/nrf.log.2" && ok || bad "the NRF did not log a de-registration"

# -- the NRF down at eird's start: answers at once, registration once it is up
stop_nrf
t0=$(date +%s%N)
start_eird
[ "$(amf)" = '{"status":"GREYLISTED"}' ] && ok || bad "N5g-eir answer with no NRF at start"
echo "first answer $((($(date +%s%N) - t0) / 1000000)) ms after eird's start without an NRF"
[ "$(stat_nrf)" != registered ] && ok || bad "registered with no NRF"
sleep 2
start_nrf 3
registered_within 6 "$ID" && ok || bad "not registered once the NRF came up"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

# -- without nrf-heartbeat the profile asks for none: the NRF's own (10 s)
sed -i "/^ nrf-heartbeat $HB/d" "$work/eird.cfg"
start_eird
registered_within 5 "$ID" && ok || bad "not registered without nrf-heartbeat"
vt=$($PY "$SRC/tests/integration/vty_cmd.py" "$VPORT" "show n5g nrf" | tr -d '\r')
grep -q "nfInstanceId $ID, heartbeat 10 s" <<<"$vt" && ok || bad "without nrf-heartbeat: $vt, want the NRF's 10 s"
grep -q "heartbeat 10 s (the NRF's choice)" "$work/eird.log" && ok || bad "the NRF's heartbeat not logged as its choice"
kill "$pid"; wait "$pid" 2>/dev/null; pid=
e=$(grep -c 'ERROR' "$work/eird.log")
[ "$e" -le 4 ] && ok || bad "$e ERROR lines: retries should not flood the log"

if [ "$failed" -ne 0 ]; then
	echo "--- eird.log"; tail -40 "$work/eird.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
