#!/usr/bin/env bash
# eird as an operator meets it: every `logging level` name the docs and the
# sample mention is accepted; a bad configuration line stops eird with
# file:line; SIGHUP gives exactly the policy a restart gives; the rate
# counters have rates; a first start before the first import logs its alarm
# once; a new database generation is logged at notice level.
# Usage: eird-config.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-config.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
HOST=mme1.example.net REALM=example.net

. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)
"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT"
vty() { python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "$1"; }
verdict() { python3 "$SRC/tests/integration/s13_one.py" "$DPORT" "$HOST" "$REALM" "$1"; }
stop() { kill -TERM "$pid"; wait "$pid"; pid=; }

# Every log category the documentation names is one eird takes.
names=$(cat "$SRC"/README.md "$SRC"/docs/*.md "$SRC"/conf/eird.cfg "$SRC"/man/eird*.[58] |
	grep -oE 'logging level [a-z0-9_-]+' | awk '{print $3}' | sort -u)
[ "$(wc -w <<<"$names")" -ge 5 ] && ok || bad "the docs name too few log categories: $names"
for n in $names; do
	sed "s|^ logging level all notice| logging level all notice\n logging level $n info|" "$work/eird.cfg" >"$work/log.cfg"
	"$EIRD" -c "$work/log.cfg" >"$work/log.log" 2>&1 &
	pid=$!
	if wait_port "$VPORT" && kill -0 "$pid" 2>/dev/null; then
		vty "logging enable;logging level $n debug" | grep -q '%' && bad "VTY refuses 'logging level $n debug'" || ok
		stop
	else
		bad "documented 'logging level $n' stops eird: $(head -3 "$work/log.log")"; wait "$pid"; pid=
	fi
done

# A bad line stops eird at start, naming file, line and line text.
sed 's|^ watchdog-interval 30| watchdog-interval 2|' "$work/eird.cfg" >"$work/bad.cfg"
line=$(grep -n '^ watchdog-interval 2' "$work/bad.cfg" | cut -d: -f1)
timeout 10 "$EIRD" -c "$work/bad.cfg" >"$work/bad.log" 2>&1; rc=$?
[ "$rc" = 1 ] && ok || bad "a bad config line: exit $rc, want 1"
grep -qF "eird: $work/bad.cfg:$line: 'watchdog-interval 2' is not valid here" "$work/bad.log" && ok ||
	bad "a bad config line is not named by file:line: $(tail -2 "$work/bad.log")"
printf 'eir\n database %s\n policy\n  unknown-imei purple\n' "$work/db" >"$work/bad2.cfg"
timeout 10 "$EIRD" -c "$work/bad2.cfg" >"$work/bad2.log" 2>&1
grep -qF "bad2.cfg:4: 'unknown-imei purple' is not valid here" "$work/bad2.log" && ok ||
	bad "a bad policy value is not named by file:line: $(tail -2 "$work/bad2.log")"

# The file eird read is its startup config (show startup-config, write file).
"$EIRD" -c "$work/eird.cfg" >"$work/sc.log" 2>&1 &
pid=$!
wait_port "$VPORT"
vty "show startup-config" | grep -q "origin-host eir.example.net" && ok ||
	bad "show startup-config does not show the file eird read: $(vty 'show startup-config' | head -3)"
stop

# SIGHUP: exactly the policy a restart gives.
sed 's|^  unknown-imei greylisted|  unknown-imei unknown|' "$work/eird.cfg" >"$work/hup.cfg"
"$EIRD" -c "$work/hup.cfg" >"$work/hup.log" 2>&1 &
pid=$!
wait_port "$DPORT"
[ "$(verdict 99000000000000)" = 5422 ] && ok || bad "unknown-imei unknown at start: $(verdict 99000000000000)"
sed -i '/^  unknown-imei /d' "$work/hup.cfg"		# deleted: back to the default, greylisted
kill -HUP "$pid"; sleep 0.3
[ "$(verdict 99000000000000)" = 2 ] && ok || bad "a deleted policy line kept its value after SIGHUP: $(verdict 99000000000000)"
sed -i '/^ policy$/,/^  time-zone/d' "$work/hup.cfg"	# no policy node at all: the defaults
grep -q '^ policy' "$work/hup.cfg" && bad "test setup: policy node still there"
kill -HUP "$pid"; sleep 0.3
grep -q "policy not reloaded" "$work/hup.log" && bad "a valid eird.cfg without a policy node was refused: $(grep 'not reloaded' "$work/hup.log")" || ok
[ "$(grep -c 'policy reloaded' "$work/hup.log")" = 2 ] && ok || bad "reloads not logged: $(grep -c 'policy reloaded' "$work/hup.log")"
[ "$(verdict 99000000000000)" = 2 ] && ok || bad "defaults after a reload without policy node: $(verdict 99000000000000)"

# The rate counters have rates: traffic for 3 s, sampled meanwhile.
python3 - "$DPORT" "$HOST" "$REALM" "$SRC/tests/integration" <<'PY' &
import socket, sys, time
sys.path.insert(0, sys.argv[4])
from s13_wire import cer, ecr, recv_msg
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(cer(sys.argv[2], sys.argv[3])); recv_msg(s)
one = ecr("35209900176148", sys.argv[2], sys.argv[3])
t = time.time()
while time.time() - t < 3.5:
    s.sendall(one * 50)
    for _ in range(50):
        recv_msg(s)
PY
load=$!
best=0
for i in 1 2 3 4 5 6; do
	sleep 0.5
	r=$(vty "show rate-counters" | tr -d '\r' | grep -m1 'ME-Identity-Check requests received' | grep -oE '[0-9]+/s' | head -1)
	r=${r%/s}; [ "${r:-0}" -gt "$best" ] && best=$r
done
wait "$load"
[ "$best" -gt 0 ] && ok || bad "show rate-counters shows no per-second rate under load"
stop

# SIGHUP re-reads the whole file but applies only the policy: the listener,
# peers and libraries' blocks stay as they run (no second listener), and a
# bad line anywhere (here in the diameter node) refuses the whole reload.
"$EIRD" -c "$work/eird.cfg" >"$work/whole.log" 2>&1 &
pid=$!
wait_port "$DPORT"
before=$(vty "show running-config" | tr -d '\r' | grep -v '^!\|^Current\|^$')
kill -HUP "$pid"; sleep 0.3
after=$(vty "show running-config" | tr -d '\r' | grep -v '^!\|^Current\|^$')
[ "$before" = "$after" ] && ok || bad "SIGHUP changed what runs: $(diff <(echo "$before") <(echo "$after"))"
[ "$(grep -c '^ listen ' <<<"$after")" = 1 ] && ok || bad "SIGHUP added a listener: $(grep '^ listen' <<<"$after")"
sed -e 's|^  unknown-imei greylisted|  unknown-imei blacklisted|' -e 's|^ watchdog-interval 30| watchdog-interval 2|' \
	"$work/eird.cfg" >"$work/whole.cfg"
cp "$work/whole.cfg" "$work/eird.cfg.new"
cp "$work/eird.cfg" "$work/eird.cfg.good"; cp "$work/whole.cfg" "$work/eird.cfg"
kill -HUP "$pid"; sleep 0.3
cp "$work/eird.cfg.good" "$work/eird.cfg"
[ "$(verdict 99000000000000)" = 2 ] && ok || bad "a reload with a bad diameter line changed the policy: $(verdict 99000000000000)"
line=$(grep -n '^ watchdog-interval 2' "$work/whole.cfg" | cut -d: -f1)
grep -qF "policy not reloaded (the running configuration stays): $work/eird.cfg:$line: 'watchdog-interval 2'" "$work/whole.log" && ok ||
	bad "the refused reload does not name file:line: $(grep 'not reloaded' "$work/whole.log")"
stop

# IPv6: the CEA's Host-IP-Address is the address the peer reached (::1, not
# 0.0.0.0); the allow-list compares addresses, not strings (a v4-mapped
# form matches the IPv4 peer); a malformed address is refused at start.
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	sed -e "s|^ listen tcp 127.0.0.1 $DPORT| listen tcp ::1 $DPORT|" \
	    -e "s|^ peer mme2.example.net address 127.0.0.1| peer mme2.example.net address 0:0:0:0:0:0:0:1|" \
	    "$work/eird.cfg" >"$work/v6.cfg"
	"$EIRD" -c "$work/v6.cfg" >"$work/v6.log" 2>&1 &
	pid=$!
	sleep 0.5; for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('::1', $DPORT), 1)" 2>/dev/null && break; sleep 0.1; done
	out=$(python3 - "$DPORT" "$SRC/tests/integration" <<'PY'
import socket, sys, ipaddress
sys.path.insert(0, sys.argv[2])
from s13_wire import cer, recv_msg, parse, get, u32
for host in ("mme1.example.net", "mme2.example.net"):
    s = socket.create_connection(("::1", int(sys.argv[1])), 5)
    s.sendall(cer(host, "example.net"))
    h, avps = parse(recv_msg(s))
    ips = [d for c, v, f, d in avps if c == 257]
    print(host, u32(get(avps, 268)), " ".join(str(ipaddress.ip_address(d[2:])) + "/" + str(int.from_bytes(d[:2], "big")) for d in ips))
    s.close()
PY
)
	grep -qx "mme1.example.net 2001 ::1/2" <<<"$out" && ok || bad "IPv6 CEA: want Result-Code 2001 and Host-IP-Address ::1 (family 2): $out"
	grep -qx "mme2.example.net 2001 ::1/2" <<<"$out" && ok || bad "allow-list address 0:0:0:0:0:0:0:1 does not match ::1: $out"
	stop
else
	echo "note: no IPv6 loopback here; the IPv6 case is not run"
fi
sed -e "s|^ peer mme2.example.net address 127.0.0.1| peer mme2.example.net address ::ffff:127.0.0.1|" "$work/eird.cfg" >"$work/v4m.cfg"
"$EIRD" -c "$work/v4m.cfg" >"$work/v4m.log" 2>&1 &
pid=$!
wait_port "$DPORT"
out=$(python3 - "$DPORT" "$SRC/tests/integration" <<'PY'
import socket, sys
sys.path.insert(0, sys.argv[2])
from s13_wire import cer, recv_msg, parse, get, u32
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(cer("mme2.example.net", "example.net"))
print(u32(get(parse(recv_msg(s))[1], 268)))
PY
)
[ "$out" = 2001 ] && ok || bad "allow-list ::ffff:127.0.0.1 does not match 127.0.0.1: CEA $out"
stop
sed -e "s|^ peer mme2.example.net address 127.0.0.1| peer mme2.example.net address 127.0.0.256|" "$work/eird.cfg" >"$work/badaddr.cfg"
line=$(grep -n 'address 127.0.0.256' "$work/badaddr.cfg" | cut -d: -f1)
timeout 10 "$EIRD" -c "$work/badaddr.cfg" >"$work/badaddr.log" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -qF "badaddr.cfg:$line: 'peer mme2.example.net address 127.0.0.256'" "$work/badaddr.log" && ok ||
	bad "a malformed peer address: exit $rc: $(tail -2 "$work/badaddr.log")"

# First start before the first import: one alarm that says what to do,
# not one a second; then the database and each new generation at notice.
sed "s|database $work/db|database $work/late|" "$work/eird.cfg" >"$work/late.cfg"
"$EIRD" -c "$work/late.cfg" >"$work/late.log" 2>&1 &
pid=$!
wait_port "$DPORT"
verdict 35000000000002 >/dev/null
sleep 3.5
verdict 35000000000002 >/dev/null
n=$(grep -c 'cannot open the database\|still no database' "$work/late.log")
[ "$n" = 1 ] && ok || bad "no database: $n alarm lines in 3.5 s, want 1"
n=$(grep -c ' DDB ' "$work/late.log")
[ "$n" = 1 ] && ok || bad "no database: $n database log lines in 3.5 s (the stats gauges too), want 1"
grep -q 'cannot open the database.*create it with eir-sync' "$work/late.log" && ok || bad "the alarm does not say what to do"
"$SYNC" -q --db "$work/late" import "$work/full.csv" || bad "late import"
sleep 1.3
grep -q "database $work/late open" "$work/late.log" && ok || bad "the database appearing is not logged"
printf '# eir-snapshot version=1 kind=full seq=7 source=test-feed created=2026-11-25\nimei,status,reason,valid_until,imsi\n35000000000002,active,,,\n# end rows=1\n' >"$work/new.csv"
"$SYNC" -q --db "$work/late" --force import "$work/new.csv" || bad "import of a new full"
verdict 35000000000002 >/dev/null
# (The log is at `logging level all notice`: an INFO line would not be there.)
grep -q "database: generation .*gen-2 in service, snapshot seq 7 (full, test-feed)" "$work/late.log" && ok ||
	bad "a new generation is not logged: $(grep DDB "$work/late.log" | tail -2)"
stop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
