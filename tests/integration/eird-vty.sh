#!/usr/bin/env bash
# eird's telnet VTY against its transcript (eird.vty, checked by
# vty_transcript.py in the way of osmo-python-tests): the nodes, their
# prompts, what each command prints, the errors. Then `write terminal`
# round trip: what is in force after the transcript is the started file
# (eird's own nodes line for line, without the comments), and a second
# eird started from the written configuration writes it back identical and
# passes the transcript too.
# Usage: eird-vty.sh BUILD_ROOT SOURCE_ROOT
set -u
B=$1 SRC=$2
EIRD=$B/eir/eird/eird SYNC=$B/lmdb-tools/eir-sync GEN=$B/lmdb-tools/eir-gen
work=$(mktemp -d "${TMPDIR:-/tmp}/eird-vty.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

. "$SRC/tests/lib.sh"
check_heap
DPORT=$(free_port) VPORT=$(free_port)
"$GEN" --count 100 -o "$work/full.csv" && "$SYNC" -q --db "$work/db" import "$work/full.csv" ||
	{ echo "FAIL: cannot build the database"; exit 1; }
eird_cfg "$work/eird.cfg" "$work/db" "$DPORT" "$VPORT"

vty() { python3 "$SRC/tests/integration/vty_cmd.py" "$VPORT" "$1"; }
# The configuration in force, without the header and the final `end`.
written() { vty "write terminal" | tr -d '\r' | sed -n '/^Current configuration:/,/^end$/p' | sed '1d;$d'; }
# eird's own nodes (eir, diameter) of a configuration, without comments.
own_nodes() { sed -n '/^eir$/,$p' | grep -v '^ *!'; }
transcript() {
	run_checker "eird.vty ($1)" timeout 60 python3 "$SRC/tests/integration/vty_transcript.py" \
		-s WORK="$work" -s DPORT="$DPORT" -s VPORT="$VPORT" "$VPORT" "$SRC/tests/integration/eird.vty"
}
start() {
	"$EIRD" -c "$1" >>"$work/eird.log" 2>&1 &
	pid=$!
	wait_port "$VPORT" && kill -0 "$pid" 2>/dev/null && ok ||
		{ bad "eird -c $1 did not start: $(tail -3 "$work/eird.log")"; exit 1; }
}
stop() {
	kill -TERM "$pid"; wait "$pid"; local rc=$?; pid=
	[ "$rc" -eq 0 ] && ok || bad "eird exit status $rc on SIGTERM"
}

start "$work/eird.cfg"
transcript "eird.cfg"

# After the transcript (which puts back every setting it changes) the
# configuration in force is the one eird was started with.
written >"$work/written.cfg"
diff -u <(own_nodes <"$work/eird.cfg") <(own_nodes <"$work/written.cfg") >"$work/own.diff" && ok ||
	{ bad "write terminal is not the started configuration (- started, + written):"; sed 's/^/    /' "$work/own.diff"; }
stop

# The written configuration is a configuration: a second eird starts from
# it, writes it back unchanged and answers the transcript the same.
start "$work/written.cfg"
written >"$work/written2.cfg"
: >"$work/round.diff"
[ -s "$work/written.cfg" ] && diff -u "$work/written.cfg" "$work/written2.cfg" >"$work/round.diff" && ok ||
	{ bad "write terminal does not round-trip (- first eird, + second):"; sed 's/^/    /' "$work/round.diff"; }
transcript "written.cfg"
stop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
