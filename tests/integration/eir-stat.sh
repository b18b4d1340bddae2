#!/usr/bin/env bash
# Integration test of eir-stat against a real eird on loopback: argument
# errors (exit 2, the option and value named), the raw answers unchanged,
# human-readable ages against a snapshot created a known time ago, one-shot
# failure without eird or with an answer cut short, and the live view
# (--watch, output to a file) living through an eird restart: it reports
# eird unreachable and keeps retrying, resumes with the restart noted and
# the rates started again, notices a counter reset, and ends cleanly on
# SIGINT and SIGTERM. Also draws in place under a pseudo-terminal.
# Usage: eir-stat.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync STAT=$B/eir/stats/eir-stat
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-stat.XXXXXX")
pid= wpid= fpid=
cleanup() {
	[ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
HOST=mme1.example.net REALM=example.net
SOCK=$work/eird.sock

. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)

# A snapshot created 6 days 19 hours 30 minutes ago, and eir-sync's record
# of a refused attempt 12m 5s ago after a success 3h 4m 30s ago.
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
created=$(iso $((now - 6 * 86400 - 19 * 3600 - 1800)))
{
	echo "# eir-snapshot version=1 kind=full seq=7 source=stat-test created=$created"
	echo "imei,status,reason,valid_until,imsi"
	echo "35000000000002,active,,,"
	echo "35000000000010,blocked,stolen,,"
	echo "# end rows=2"
} >"$work/full.csv"
"$SYNC" -q --db "$work/db" import "$work/full.csv" || { echo "FAIL: cannot build the database"; exit 1; }
attempt=$(iso $((now - 725))) success=$(iso $((now - 3 * 3600 - 4 * 60 - 30)))
printf 'last-attempt: %s\nlast-command: import x.csv\nlast-result: refused\nlast-message: seq 6 is older\nlast-success: %s\n' \
	"$attempt" "$success" >"$work/db/sync-status"
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT"

start_eird() {
	"$EIRD" -c "$work/eird.cfg" >>"$work/eird.log" 2>&1 &
	pid=$!
	wait_port "$DPORT" || return 1
	for _ in $(seq 50); do
		timeout 5 "$STAT" -s "$SOCK" stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
stop_eird() { kill -TERM "$pid"; wait "$pid"; pid=; }
verdict() { python3 "$SRC/tests/integration/s13_one.py" "$DPORT" "$HOST" "$REALM" "$1" >/dev/null; }

start_eird || { echo "FAIL: eird did not start: $(tail -3 "$work/eird.log")"; exit 1; }

# 1. Argument errors: exit 2, nothing on stdout, the option and the value
# named, a usage hint.
usage_err() {
	local want=$1
	shift
	timeout 5 "$STAT" -s "$SOCK" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$work/out" ] && grep -qF -- "$want" "$work/err" &&
		grep -qF "Try 'eir-stat --help'" "$work/err"; then
		ok
	else
		bad "eir-stat $*: exit $rc (want 2), stderr '$(head -c 300 "$work/err")', stdout $(wc -c <"$work/out") bytes"
	fi
}
usage_err "--watch 'abc': not a number of seconds" --watch abc
usage_err "--watch '0': out of range" --watch 0
usage_err "--watch '-1'" --watch -1
usage_err "--watch '1x': not a number" -w 1x
usage_err "--watch '1e3': not a number" --watch 1e3
usage_err "--watch '': not a number" --watch=
usage_err "--watch '0.05': out of range" --watch 0.05
usage_err "--watch '86401': out of range" --watch 86401
usage_err "option '--watch' needs a value" --watch
usage_err "--count '0': out of range" --watch 1 --count 0
usage_err "--count 'two': not a whole number" --watch 1 --count two
usage_err "--count '1.5': not a whole number" --watch 1 -n 1.5
usage_err "--count needs --watch" --count 2
usage_err "unknown command 'statz'" statz
usage_err "unexpected argument 'json'" stats json
usage_err "unknown option '--bogus'" --bogus
usage_err "--watch shows the live view and takes no command but stats or view (got 'json')" --watch 1 json
usage_err "--socket: empty path" -s ""
timeout 5 "$STAT" --help >"$work/out" 2>&1 && grep -q '^Usage: eir-stat' "$work/out" && grep -q -- '--watch SECS' "$work/out" &&
	ok || bad "--help: $(head -3 "$work/out")"
out=$(timeout 5 "$STAT" -s "$SOCK" --watch 0.2 --count 2); rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c '^S13 ' <<<"$out")" = 2 ] && [ "$(grep -c '^--$' <<<"$out")" = 2 ] && ok ||
	bad "--watch 0.2 --count 2: exit $rc, $(grep -c '^S13 ' <<<"$out") views"
# `stats --watch` is the live view, as it always was.
out=$(timeout 5 "$STAT" -s "$SOCK" stats --watch 0.2 --count 1); rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c '^S13 ' <<<"$out")" = 1 ] && ok || bad "stats --watch 0.2 --count 1: exit $rc: $(head -3 <<<"$out")"

# 2. The raw answers stay as they are, seconds as plain numbers.
want_age=$((6 * 86400 + 19 * 3600 + 1800))
st=$(timeout 5 "$STAT" -s "$SOCK" stats); rc=$?
age=$(sed -n 's/^snapshot_age_seconds:\([0-9][0-9]*\)$/\1/p' <<<"$st")
[ "$rc" -eq 0 ] && [ -n "$age" ] && [ "$age" -ge "$want_age" ] && [ "$age" -le $((want_age + 120)) ] && ok ||
	bad "stats: snapshot_age_seconds '$age', want about $want_age"
grep -qE '^uptime_seconds:[0-9]+$' <<<"$st" && grep -qx "snapshot_created:$created" <<<"$st" &&
	grep -qx "sync_last_attempt:$attempt" <<<"$st" && ok || bad "stats: uptime or times not raw: $(head -20 <<<"$st")"
grep -qE '[0-9]+[dhms] [0-9]+[dhms]' <<<"$st" && bad "stats has human durations" || ok
timeout 5 "$STAT" -s "$SOCK" prometheus | grep -qE '^eir_snapshot_age_seconds [0-9]+$' && ok ||
	bad "prometheus: no plain eir_snapshot_age_seconds"
timeout 5 "$STAT" -s "$SOCK" json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert isinstance(d["data"]["snapshot_age_seconds"], int) and isinstance(d["server"]["uptime_seconds"], int)' &&
	ok || bad "json: ages not integers"

# 3. The page once (view): durations as people read them.
view=$(timeout 5 "$STAT" -s "$SOCK" view); rc=$?
[ "$rc" -eq 0 ] && ok || bad "view: exit $rc"
grep -qE '^eird [^ ]+  pid [0-9]+  up [0-9]+s  ' <<<"$view" && ok || bad "view: header: $(head -1 <<<"$view")"
grep -qF "data: seq 7 (full) from stat-test, created $created, age 6d 19h, 2 IMEIs" <<<"$view" && ok ||
	bad "view: data line: $(grep '^data:' <<<"$view")"
# The allow-listed peers without a connection, from the indexed peer keys.
grep -qE '^  mme1\.example\.net +any +down$' <<<"$view" && ok || bad "view: peer mme1 not listed as down: $(grep -A3 '^peers open' <<<"$view")"
grep -qE '^  mme2\.example\.net +127\.0\.0\.1 +down$' <<<"$view" && ok || bad "view: peer mme2 not listed as down"
grep -qE "^sync: last attempt $attempt \(12m [0-9]+s ago\) refused, last success $success \(3h 4m ago\); seq 6 is older$" <<<"$view" &&
	ok || bad "view: sync line: $(grep '^sync:' <<<"$view")"
grep -qE '^s13_rx_ecr +0 +-$' <<<"$view" && ok || bad "view: no rate without a previous view: $(grep '^s13_rx_ecr' <<<"$view")"
grep -q '^--$' <<<"$view" && bad "view: block separator in a one-shot page" || ok

# 4. Without eird: one-shot fails fast with a clear error.
for cmd in stats view; do
	t0=$(date +%s%N)
	timeout 10 "$STAT" -s "$work/none.sock" "$cmd" >"$work/out" 2>"$work/err"; rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$rc" -eq 1 ] && [ ! -s "$work/out" ] && [ "$ms" -lt 2000 ] &&
		grep -qF "cannot connect to $work/none.sock: No such file or directory" "$work/err" && ok ||
		bad "$cmd without eird: exit $rc after $ms ms, '$(cat "$work/err")'"
done
timeout 10 "$STAT" -s "$work/none.sock" --watch 0.2 --count 2 >"$work/out" 2>&1; rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c '^eird UNREACHABLE since' "$work/out")" = 2 ] && ok ||
	bad "--count 2 without eird: exit $rc, $(head -3 "$work/out")"

# A stats socket that closes in the middle of its answer is no answer.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    c.recv(100)
    c.sendall(b"# server\nversion:0\npid:1\n")
    c.close()' "$work/half.sock" &
fpid=$!
for _ in $(seq 50); do [ -S "$work/half.sock" ] && break; sleep 0.1; done
timeout 10 "$STAT" -s "$work/half.sock" stats >"$work/out" 2>"$work/err"; rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$work/out" ] && grep -qF "closed the connection in the middle of an answer" "$work/err" && ok ||
	bad "stats cut short: exit $rc, '$(cat "$work/err")', stdout $(wc -c <"$work/out") bytes"
timeout 10 "$STAT" -s "$work/half.sock" --watch 0.2 --count 2 >"$work/out" 2>&1; rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c '^  eird closed the connection in the middle of an answer$' "$work/out")" = 2 ] && ok ||
	bad "--watch, answers cut short: exit $rc, $(head -3 "$work/out")"
kill "$fpid"; wait "$fpid" 2>/dev/null; fpid=

# 5. The live view, written to a file, through an eird restart.
W=$work/watch.out
pages() { grep -c '^--$' "$W"; }
page() { awk -v n="$1" 'BEGIN { b = 1 } /^--$/ { b++; next } b == n' "$W"; }
# wait_page FROM REGEX: the number of the first complete page after FROM
# that matches, within 10 s (no longer once the view has ended).
wait_page() {
	local alive n
	for _ in $(seq 100); do
		alive=0
		[ -n "$wpid" ] && kill -0 "$wpid" 2>/dev/null && alive=1
		n=$(pages)
		for ((i = $1 + 1; i <= n; i++)); do
			page "$i" | grep -qE -- "$2" && { echo "$i"; return 0; }
		done
		[ "$alive" = 1 ] || return 1
		sleep 0.1
	done
	return 1
}
"$STAT" -s "$SOCK" --watch 1 >"$W" 2>"$work/watch.err" &
wpid=$!
p1=$(wait_page 0 '^S13 ') || bad "live view: no first page: $(head -5 "$W")"
for i in 1 2 3; do verdict 35000000000002; done
p=$(wait_page "${p1:-0}" '^s13_rx_ecr +3 ') && ok || bad "live view: the 3 requests never show"
page "${p:-1}" | grep -q 'age 6d 19h' && page "${p:-1}" | grep -qE 'up [0-9]+s  ' && ok ||
	bad "live view: ages: $(page "${p:-1}" | head -3)"
rates=$(for ((i = ${p1:-1} + 1; i <= $(pages); i++)); do page "$i" | awk '$1 == "s13_rx_ecr" { print $3 }'; done)
grep -qE '^[1-9][0-9]*$' <<<"$rates" && ! grep -qv '^[0-9][0-9]*$' <<<"$rates" && ok ||
	bad "live view: s13_rx_ecr rates '$(echo $rates)'"
old_pid=$pid
before=$(pages)
stop_eird
d=$(wait_page "$before" '^eird UNREACHABLE since') && ok || bad "live view: eird gone, not reported: $(tail -n 3 "$W" "$work/watch.err")"
sleep 2.5
kill -0 "$wpid" 2>/dev/null && ok || { bad "live view: exited when eird stopped: $(tail -n 3 "$W" "$work/watch.err")"; wpid=; }
down=$(for ((i = ${d:-1}; i <= $(pages); i++)); do page "$i" | grep -c '^eird UNREACHABLE since'; done | grep -c 1)
[ "$down" -ge 2 ] && ok || bad "live view: $down unreachable pages in 2.5 s, want at least 2"
page "${d:-1}" | grep -qE "^  (cannot connect to $SOCK|eird closed the connection)" &&
	page "${d:-1}" | grep -qE '^  retrying every 1s \(attempt 1\)$' &&
	page "${d:-1}" | grep -qE "^  last answer .* from pid $old_pid, up [0-9]+s then$" && ok ||
	bad "live view: unreachable page: $(page "${d:-1}")"
page $(($(pages))) | grep -qE '^  retrying every 1s \(attempt [2-9]\)$' && ok ||
	bad "live view: attempts not counted: $(page "$(pages)")"
since1=$(page "${d:-1}" | sed -n 's/^eird UNREACHABLE since \(.*\) (for .*/\1/p')
since2=$(page "$(pages)" | sed -n 's/^eird UNREACHABLE since \(.*\) (for .*/\1/p')
[ -n "$since1" ] && [ "$since1" = "$since2" ] && ok || bad "live view: 'since' moved: '$since1' then '$since2'"

before=$(pages)
start_eird || bad "eird did not start again"
r=$(wait_page "$before" '^eird [^ ]+  pid ') && ok || bad "live view: did not resume: $(tail -n 3 "$W")"
page "${r:-1}" | grep -qE '^note: eird reachable again after [0-9]+s unreachable' && ok ||
	bad "live view: resume not noted: $(page "${r:-1}" | head -4)"
page "${r:-1}" | grep -qF "note: eird restarted (pid $pid, was $old_pid" && ok ||
	bad "live view: restart not noted: $(page "${r:-1}" | head -4)"
page "${r:-1}" | grep -qE '^s13_rx_ecr +0 +-$' && page "${r:-1}" | grep -qE '^active +0 +-$' && ok ||
	bad "live view: rates after the restart: $(page "${r:-1}" | grep -E '^(s13_rx_ecr|active) ')"
verdict 35000000000002; verdict 35000000000002
p=$(wait_page "${r:-0}" '^s13_rx_ecr +2 +[1-9][0-9]*$') && ok ||
	bad "live view: no fresh rate after the restart: $(tail -30 "$W" | grep '^s13_rx_ecr')"

# A counter reset (the reset command) starts the rates again too.
before=$(pages)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"reset\n")
d = b""
while not d.endswith(b"\n\n"):
    c = s.recv(4096)
    if not c:
        break
    d += c
assert d.startswith(b"ok"), d' "$SOCK" && ok || bad "reset command"
z=$(wait_page "$before" '^note: counters reset on eird') && ok || bad "live view: reset not noted"
page "${z:-1}" | grep -qE '^s13_rx_ecr +0 +-$' && ok ||
	bad "live view: rate after a reset: $(page "${z:-1}" | grep '^s13_rx_ecr')"

# stop_view SIGNAL: the view ends within 3 s, exit status 0.
stop_view() {
	if [ -z "$wpid" ] || ! kill -0 "$wpid" 2>/dev/null; then
		bad "live view: not running any more at SIG$1"
	else
		kill -"$1" "$wpid"
		for _ in $(seq 30); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$wpid" 2>/dev/null; then
			bad "live view: still running 3 s after SIG$1"
		else
			wait "$wpid"; rc=$?
			[ "$rc" -eq 0 ] && ok || bad "live view: exit $rc on SIG$1"
		fi
	fi
	wpid=
}
stop_view INT
[ ! -s "$work/watch.err" ] && ok || bad "live view: stderr: $(head -3 "$work/watch.err")"
grep -q $'\033' "$W" && bad "live view: escape sequences in the output to a file" || ok

# Started while eird is away (no socket at all): waits, and SIGTERM ends it.
"$STAT" -s "$work/none.sock" --watch 0.2 >"$W" 2>"$work/watch.err" &
wpid=$!
wait_page 1 '^eird UNREACHABLE since' >/dev/null && page 1 | grep -qF "cannot connect to $work/none.sock: No such file or directory" &&
	page 1 | grep -qx '  no answer yet since eir-stat started' && ok || bad "live view without eird: $(head -5 "$W")"
stop_view TERM

# 6. On a terminal the view is redrawn in place, without separators.
tty=$(timeout 20 python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(st))' "$STAT" -s "$SOCK" --watch 0.2 --count 2); rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c $'\033\\[H\033\\[2J' <<<"$tty")" = 2 ] && ! grep -q '^--$' <<<"$tty" &&
	grep -q 'age 6d 19h' <<<"$tty" && ok || bad "on a terminal: exit $rc: $(head -3 <<<"$tty" | cat -v)"

stop_eird
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
