#!/usr/bin/env bash
# eird under abuse, on loopback: Diameter peers that close with answers
# queued, never read, forge identities or open with the wrong message
# (diam_abuse.py, raw sockets); stats-socket clients that half-close
# (real nc -U and socat), send over-long lines; a second eird or a stray
# file at the stats-socket path. eird runs with glibc's malloc checking
# and talloc's free fill (MALLOC_CHECK_, MALLOC_PERTURB_, TALLOC_FREE_FILL),
# so that a use-after-free inside an uninstrumented library (libosmocore,
# libosmo-netif, talloc) shows.
# With MAP built in, an STP that floods eird's ASP and never reads
# (ipa_flood.py, IPA on a raw socket).
# Usage: eird-abuse.sh BUILD_ROOT SOURCE_ROOT [map]
set -u
B=$1 SRC=$2 WITH_MAP=${3:-}
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen STAT=$B/eir/stats/eir-stat
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-abuse.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
HOST=mme1.example.net REALM=example.net TW=6
# Under ASan freed memory waits in a quarantine (256 MiB by default) that
# the memory bounds below would take for growth: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)

"$GEN" --count 1000 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT" "s|watchdog-interval 30|watchdog-interval $TW|"
SOCK=$work/eird.sock

start_eird() {
	"$EIRD" -c "$work/eird.cfg" >>"$work/eird.log" 2>&1 &
	pid=$!
	wait_port "$DPORT" || bad "eird did not start: $(tail -3 "$work/eird.log")"
}
# eird must still be running: a crash is the worst outcome of all.
still_up() {
	if kill -0 "$pid" 2>/dev/null; then ok; else
		wait "$pid"; bad "eird died ($1), exit $?: $(tail -5 "$work/eird.log")"; start_eird
	fi
}
abuse() {
	run_checker "diam_abuse.py $1" timeout 120 python3 "$SRC/tests/integration/diam_abuse.py" "$1" "$DPORT" \
		"$HOST" "$REALM" "$pid" "${@:2}"
	still_up "$1"
}
stat() { "$STAT" -s "$SOCK" stats; }
vty() { python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "$1"; }

start_eird

# A peer closes with 20,000 answers still queued (the crash of an MME
# restarting during a burst), five times.
abuse burst 5

# A peer that never reads: bounded memory, paused, closed after Tw.
abuse flood "$TW"
st=$(stat)
grep -Eq '^diameter_output_paused:[1-9]' <<<"$st" && ok || bad "stats: no output pause counted: $(grep output <<<"$st")"
grep -Eq '^diameter_output_close:[1-9]' <<<"$st" && ok || bad "stats: no output close counted: $(grep output <<<"$st")"
grep -q "does not read its answers" "$work/eird.log" && ok || bad "the output close is not logged"

# A refused peer's identity never reaches the NOC's view or the log raw.
abuse rogue
st=$(stat)
[ "$(grep -c '^snapshot_seq:' <<<"$st")" = 1 ] && ok || bad "a refused CER forged a stats line: $(grep snapshot_seq <<<"$st")"
grep -q '^snapshot_seq:999999' <<<"$st" && bad "forged snapshot_seq in stats" || ok
grep -q '^snapshot_seq:999999' "$work/eird.log" && bad "forged line in the log" || ok
grep -qF 'unknown peer rogue\x0asnapshot_seq:999999 refused' "$work/eird.log" && ok || bad "the refused identity is not logged escaped"
vty "show diameter peers" | grep -q '^snapshot_seq' && bad "forged line in the VTY" || ok

# A refused snapshot whose file name carries a newline and an escape
# sequence: eir-sync's last message reaches the NOC's view without them.
evil="$work/"$'x\e[2J\nsnapshot_seq:424242\n.csv'
printf 'garbage\n' >"$evil"
"$SYNC" -q --db "$work/db" import "$evil" 2>/dev/null
st=$(stat)
grep -q '^sync_last_result:refused' <<<"$st" && ok || bad "test setup: the bad import was not recorded: $(grep sync_ <<<"$st")"
grep -q '^snapshot_seq:424242' <<<"$st" && bad "a file name forged a stats line" || ok
grep -q $'\e' <<<"$st" && bad "an escape character reached the stats text" || ok
grep -q '^sync_last_message:.*x?\[2J?snapshot_seq:424242?\.csv' <<<"$st" && ok ||
	bad "the refused file's name is not shown on one line: $(grep sync_last_message <<<"$st")"
[ "$(wc -l <"$work/db/sync-status")" = 5 ] && ! grep -q '^snapshot_seq' "$work/db/sync-status" && ok ||
	bad "eir-sync's status file holds a forged line: $(cat "$work/db/sync-status")"
rm -f "$evil"

# The wrong first message closes at once.
abuse first

# A peer that half-closes after its requests gets every answer; our
# identity changed on the VTY never leaves an open connection pointing
# at freed memory (TALLOC_FREE_FILL would show it in the AVP).
abuse halfclose
abuse reconf "$VPORT" "$SRC/tests/integration/vty_cmd.py"

# The peer close is logged at notice level (logging level all notice).
grep -q "closed the connection" "$work/eird.log" && ok || bad "a peer closing is not logged at notice level"

# show diameter peers: the allow-list with the state of each peer.
peers=$(vty "show diameter peers" | tr -d '\r')
grep -Eq '^mme1\.example\.net +(-|any) +down' <<<"$peers" && ok || bad "show diameter peers: mme1 not down: $peers"
grep -Eq '^mme2\.example\.net +127\.0\.0\.1 +down' <<<"$peers" && ok || bad "show diameter peers: mme2 not down: $peers"
grep -Eq '^peer[0-9]+:host=mme1\.example\.net,addr=any,state=down$' <<<"$(stat)" && ok || bad "stats: configured peers not listed: $(stat | grep ^peer)"

# --- the stats socket
# A client that writes its command and half-closes gets its whole answer
# (nc -U and socat both half-close at the end of their input).
n=0
for i in $(seq 20); do
	out=$(echo stats | timeout 5 nc -U -N "$SOCK" 2>/dev/null)
	grep -q '^# policy' <<<"$out" && grep -q '^failure:' <<<"$out" && n=$((n + 1))
done
[ "$n" = 20 ] && ok || bad "echo stats | nc -U: $n of 20 complete answers"
n=0
for i in $(seq 20); do
	out=$(printf 'json\n' | timeout 5 socat - "UNIX-CONNECT:$SOCK" 2>/dev/null)
	python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$out" 2>/dev/null && n=$((n + 1))
done
[ "$n" = 20 ] && ok || bad "printf json | socat: $n of 20 valid answers"

# An over-long line is refused whole: its tail never runs as a command.
out=$( { printf '%0300dhelp\nbogus\n' 0; } | timeout 5 socat - "UNIX-CONNECT:$SOCK")
[ "$(grep -c '^error: line too long' <<<"$out")" = 1 ] && ok || bad "over-long line: $(head -c 300 <<<"$out")"
grep -q '^commands' <<<"$out" && bad "the tail of an over-long line ran as a command" || ok
grep -q "^error: unknown command 'bogus'" <<<"$out" && ok || bad "the line after an over-long one is not read: $out"
# An over-long line that arrives in pieces.
out=$(python3 - "$SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
for _ in range(5):
    s.sendall(b"x" * 200); time.sleep(0.05)
s.sendall(b"help\nhelp\n"); s.shutdown(socket.SHUT_WR)
data = b""
while True:
    c = s.recv(65536)
    if not c: break
    data += c
print(data.decode())
PY
)
[ "$(grep -c '^error: line too long' <<<"$out")" = 1 ] && [ "$(grep -c '^commands' <<<"$out")" = 1 ] && ok ||
	bad "over-long line in pieces: $out"

# The stats-socket path: a second eird does not take the first one's socket,
# a file that is not a socket is never deleted, a stale socket is replaced.
sed -e "s|listen tcp 127.0.0.1 $DPORT|listen tcp 127.0.0.1 $(free_port)|" \
    -e "s|bind 127.0.0.1 $VPORT|bind 127.0.0.1 $(free_port)|" "$work/eird.cfg" >"$work/second.cfg"
timeout 10 "$EIRD" -c "$work/second.cfg" >"$work/second.log" 2>&1; rc=$?
[ "$rc" -ne 0 ] && ok || bad "a second eird on the same stats socket started (exit $rc)"
grep -q "in use by another process" "$work/second.log" && ok || bad "second eird: no clear message: $(tail -2 "$work/second.log")"
stat | grep -q '^pid:'"$pid"'$' && ok || bad "the first eird lost its stats socket"
still_up "second eird"

kill -TERM "$pid"; wait "$pid"; pid=
[ -e "$SOCK" ] && bad "eird left its stats socket behind on a clean stop" || ok
echo "not a socket" >"$SOCK"
timeout 10 "$EIRD" -c "$work/eird.cfg" >"$work/file.log" 2>&1; rc=$?
[ "$rc" -ne 0 ] && ok || bad "eird started over a regular file at the stats-socket path"
grep -q "not a socket" "$work/file.log" && ok || bad "regular file: no clear message: $(tail -2 "$work/file.log")"
[ "$(cat "$SOCK")" = "not a socket" ] && ok || bad "eird deleted a regular file at the stats-socket path"
rm -f "$SOCK"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"	# stale: nobody listens
start_eird
stat | grep -q '^pid:'"$pid"'$' && ok || bad "a stale socket was not replaced"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] && ok || bad "eird exit status $rc on SIGTERM"

# MAP: an STP that sends CheckIMEI Begins and never reads the answers.
if [ "$WITH_MAP" = map ]; then
	SPORT=$(free_port)
	MAP_STP_PORT=$SPORT eird_cfg "$work/map.cfg" "$work/db" "$DPORT" "$VPORT"
	"$EIRD" -c "$work/map.cfg" >"$work/map.log" 2>&1 &
	pid=$!
	wait_port "$DPORT"
	run_checker ipa_flood.py timeout 60 python3 "$SRC/tests/integration/ipa_flood.py" "$SPORT" "$pid" 5
	grep -Eq '^map_output_paused:[1-9]' <<<"$(stat)" && ok || bad "stats: no MAP output pause counted"
	grep -q "the STP does not read our answers" "$work/map.log" && ok || bad "the MAP output pause is not logged"
	still_up "MAP flood"
	kill -TERM "$pid"; wait "$pid"; pid=
fi
grep -Eq 'malloc|double free|corrupted' "$work/eird.log" && bad "glibc heap errors: $(grep -E 'malloc|corrupted' "$work/eird.log" | head -3)" || ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
