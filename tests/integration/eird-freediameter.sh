#!/usr/bin/env bash
# Integration test of eird against a real Diameter peer: fd-mme, an MME's S13
# side on freeDiameter (libfdcore). CER/CEA, ME-Identity-Checks for IMEIs of
# every status and policy branch, watchdogs both ways (Tw 6 s on each side),
# DPR/DPA at shutdown; a freeDiameter peer that is not allow-listed is
# refused. tshark decodes the capture as the wire oracle: command 324 and
# the Equipment-Status of every answer.
# Usage: eird-freediameter.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
# Under the sanitizers, leaks inside freeDiameter's own TLS setup are not
# ours to judge: leak checking stays on for eird, off for the test peer.
fdmme=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$B/tests/tools/fd-mme")
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-fd.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" "$SRC/scripts/demo-delta.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" "s|peer mme1.example.net|peer mme.example.net|" \
	"s|  unknown-imei greylisted|  unknown-imei unknown|" "s| watchdog-interval 30| watchdog-interval 6|"

# An MME on freeDiameter: IDENTITY PORT TW -> its configuration file.
mme_conf() { fd_conf "$work/fd-$1-$2" "$1" "$2" "$3" "$DPORT" || bad "freeDiameter configuration"; }

tshark -i lo -f "tcp port $DPORT" -w "$work/s13.pcap" -q >/dev/null 2>"$work/tshark.log" &
pids+=($!)
"$EIRD" -c "$work/eird.cfg" >"$work/eird.log" 2>&1 &
eird=$!; pids+=("$eird")
wait_port "$DPORT"
for _ in $(seq 50); do grep -q "Capturing on" "$work/tshark.log" 2>/dev/null && break; sleep 0.1; done

# Queries "IMEI SV IMSI" and the expected result: Equipment-Status or E5422.
cat >"$work/cases" <<'CASES'
35209900176148 23 - 0 active
490154203237518 01 - 2 registered
35809101685355 - - 0 traveller
35000000000001 - - 2 expired
35000000000002 - - 1 blocked
35000000000003 - - 2 tracked
35000000000004 - - 0 exempt
35000000000005 - 001010000000001 0 paired-exception
35000000000005 - 001010000000009 1 blocked
35000000000006 - 001010000000009 2 pair-mismatch
86000000123456 - - 1 range
99000000000000 - - E5422 unknown
352099001761487 - - 1 invalid
CASES
awk '{print $1, $2, $3}' "$work/cases" >"$work/queries"
# Watchdogs, one direction at a time (whoever fires first resets the other):
# here eird's Tw is 6 s and freeDiameter's 30 s, so eird sends DWR.
out=$(timeout 120 "${fdmme[@]}" "$(mme_conf mme.example.net "$(free_port)" 30)" eir.example.net "$work/queries" 10 2>"$work/fd.err")
rc=$?
[ "$rc" -eq 0 ] && ok || bad "fd-mme exit $rc: $(tail -5 "$work/fd.err")"
while read -r imei sv imsi want branch; do
	got=$(awk -v i="$imei" -v s="$imsi" '$1 == i && $2 == s {print $3; exit}' <<<"$out")
	[ "$got" = "$want" ] && ok || bad "$branch ($imei $imsi): got '$got', want '$want'"
done <"$work/cases"
grep -qx "open" <<<"$out" && ok || bad "the connection did not survive eird's watchdog"

vty() { python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "$1"; }
ctrs=$(vty "show rate-counters" | tr -d '\r')
counter() { sed -n "s/^ *$1: *\([0-9]*\) .*/\1/p" <<<"$ctrs" | head -1; }
[ "$(counter diameter:tx:dwr)" -ge 1 ] 2>/dev/null && ok || bad "eird sent no DWR"
[ "$(counter s13:rx:ecr)" = 13 ] && ok || bad "ECR counter: '$(counter s13:rx:ecr)'"
[ "$(counter s13:tx:unknown)" = 1 ] && ok || bad "5422 counter: '$(counter s13:tx:unknown)'"
[ "$(counter policy:pair-mismatch)" = 1 ] && ok || bad "policy branch counter: '$(counter policy:pair-mismatch)'"
[ "$(counter diameter:watchdog-close)" = 0 ] && ok || bad "a watchdog closed the connection"
sleep 0.5
grep -q "mme.example.net: disconnect (cause" "$work/eird.log" && ok || bad "no DPR from freeDiameter at shutdown"

# The other direction: eird's Tw raised to 30 s at run time (VTY), a
# freeDiameter peer with Tw 6 s sends DWR and eird answers.
vty "configure terminal;diameter;watchdog-interval 30;end" >/dev/null
echo "35209900176148 - -" >"$work/one"
out2=$(timeout 120 "${fdmme[@]}" "$(mme_conf mme.example.net "$(free_port)" 6)" eir.example.net "$work/one" 10 2>>"$work/fd.err")
grep -qx "open" <<<"$out2" && ok || bad "the connection did not survive freeDiameter's watchdog"
ctrs=$(vty "show rate-counters" | tr -d '\r')
[ "$(counter diameter:rx:dwr)" -ge 1 ] 2>/dev/null && ok || bad "eird received no DWR from freeDiameter"
[ "$(counter diameter:watchdog-close)" = 0 ] && ok || bad "a watchdog closed a connection"
[ "$(counter s13:rx:ecr)" = 14 ] && ok || bad "ECR counter after the second peer: '$(counter s13:rx:ecr)'"

# A freeDiameter peer that is not allow-listed is refused.
out=$(timeout 60 "${fdmme[@]}" "$(mme_conf intruder.example.net "$(free_port)" 30)" eir.example.net "$work/queries" 2>/dev/null)
rc=$?
[ "$rc" -eq 3 ] && ok || bad "intruder: fd-mme exit $rc ($out)"
grep -q "unknown peer intruder.example.net refused" "$work/eird.log" && ok || bad "intruder not refused in the log"

# tshark, the wire oracle: every ECA is command 324 with the expected status.
sleep 0.5
kill "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null
fields=$(tshark -r "$work/s13.pcap" -d "tcp.port==$DPORT,diameter" -Y 'diameter.cmd.code == 324 && diameter.flags.request == 0' \
	-T fields -e diameter.cmd.code -e diameter.Equipment-Status -e diameter.Experimental-Result-Code 2>/dev/null)
[ "$(wc -l <<<"$fields")" = 14 ] && ok || bad "tshark saw $(wc -l <<<"$fields") ECAs, want 14"
want="$(awk '{print $4}' "$work/cases" | sed 's/^E//' | tr '\n' ' ')0 "	# + the second peer's query
got=$(awk -F'\t' '{print ($2 != "" ? $2 : $3)}' <<<"$fields" | tr '\n' ' ')
[ "$got" = "$want" ] && ok || bad "tshark statuses '$got', want '$want'"
ceas=$(tshark -r "$work/s13.pcap" -d "tcp.port==$DPORT,diameter" -Y 'diameter.cmd.code == 257 && diameter.flags.request == 0' \
	-T fields -e diameter.Result-Code 2>/dev/null | tr '\n' ' ')
# freeDiameter retries a refused connection: one 3010 or more.
grep -Eq '^2001 2001 (3010 )+$' <<<"$ceas" && ok || bad "tshark: CEAs '$ceas', want 2001, 2001, then 3010 for the intruder"

# The NOC view: every counter through the stats socket, in all three
# formats, against what this test sent (the case table plus the second
# peer's one active IMEI); then clients misbehaving.
expect=$(awk 'BEGIN { b["active"] = 1; w = 1 }
	{ b[$5]++; if ($4 == "0") w++; else if ($4 == "1") k++; else if ($4 == "2") g++; else u++ }
	END {
		printf "{\"s13_rx_ecr\": %d, \"latency_count\": %d, \"s13_tx_whitelisted\": %d, \"s13_tx_blacklisted\": %d, \"s13_tx_greylisted\": %d, \"s13_tx_unknown\": %d, \"failure\": 0",
			NR + 1, NR + 1, w, k, g, u
		for (x in b) printf ", \"%s\": %d", x, b[x]
		print "}"
	}' "$work/cases")
run_checker stats_check.py timeout 120 python3 "$SRC/tests/integration/stats_check.py" "$B/eir/stats/eir-stat" "$work/eird.sock" "$expect"
watch=$("$B/eir/stats/eir-stat" -s "$work/eird.sock" --watch 0.2 --count 2)
[ "$(grep -c '^S13 ' <<<"$watch")" = 2 ] && grep -q '^policy branch  *total  *per second' <<<"$watch" && ok ||
	bad "eir-stat --watch: $watch"
"$B/eir/stats/eir-stat" -s "$work/nothing.sock" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 1 ] && ok || bad "eir-stat without eird: exit $rc"

kill -TERM "$eird"; wait "$eird"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "eird exit $rc"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
