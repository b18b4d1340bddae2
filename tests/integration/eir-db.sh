#!/usr/bin/env bash
# Integration test: build a database through the writer API (eir-testdb),
# then check every eir-db subcommand's output and exit status.
# Usage: eir-db.sh EIR_DB EIR_TESTDB SOURCE_ROOT SNAPCHECK
set -u
EIR_DB=$1 TESTDB=$2 SRC=$3 SNAPCHECK=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-db-it.XXXXXX")
trap 'rm -rf "$work"' EXIT
db=$work/db
. "$SRC/tests/lib.sh"

# expect_line "description" "output" "exact line"
expect_line() { grep -qxF -- "$3" <<<"$2" && ok || { bad "$1: no line '$3' in:"; sed 's/^/    /' <<<"$2"; }; }
expect_rc() { [ "$2" -eq "$3" ] && ok || bad "$1: exit $2, expected $3"; }

cat >"$work/rows" <<'ROWS'
meta 41 hamta-test
imei 35209900176148 active
imei 490154203237518 registered
imei 35809101685355 traveller until=2099-01-01
imei 35000000000001 traveller until=2001-05-06T07:08:09Z
imei 35000000000002 blocked reason=stolen
imei 35000000000003 tracked reason=watchlist
imei 35000000000004 exempt reason=golden
imei 35000000000005 blocked reason=lost imsi=001010000000001;001010000000002
imei 35000000000006 active imsi=432110000000009 lock
range 86000000000000 86000000999999 blocked reason=counterfeit
range 86000001000000 86000001000999 registered
ROWS
out=$("$TESTDB" "$db" "$work/rows" 2>&1); expect_rc "eir-testdb builds" $? 0

# get: every status, with reason, dates, pairs and ranges.
out=$("$EIR_DB" --db "$db" get 35209900176148); rc=$?
expect_rc "get active" $rc 0
expect_line "get active" "$out" "status: active"
expect_line "get active" "$out" "check-digit: 1"
expect_line "get active" "$out" "range: -"
out=$("$EIR_DB" get 4901542032375186 --db "$db")	# IMEISV, option after command
expect_line "get imeisv" "$out" "status: registered"
expect_line "get imeisv" "$out" "svn: 86"
out=$("$EIR_DB" --db "$db" get 358091016853550)	# MAP form: spare 0
expect_line "get spare0" "$out" "status: traveller"
expect_line "get spare0" "$out" "valid-until: 2099-01-01"
out=$("$EIR_DB" --db "$db" get 35000000000001)
expect_line "get datetime" "$out" "valid-until: 2001-05-06T07:08:09Z"
out=$("$EIR_DB" --db "$db" get 35000000000002)
expect_line "get blocked" "$out" "status: blocked"
expect_line "get blocked" "$out" "reason: stolen"
out=$("$EIR_DB" --db "$db" get imei-350000000000055)
expect_line "get pairs" "$out" "pairs: 001010000000001;001010000000002"
expect_line "get pairs" "$out" "locked-to-pairs: no"
out=$("$EIR_DB" --db "$db" get 35000000000006)
expect_line "get locked" "$out" "locked-to-pairs: yes"
out=$("$EIR_DB" --db "$db" get 86000000123456); rc=$?
expect_rc "get range" $rc 0
expect_line "get range" "$out" "record: none"
expect_line "get range" "$out" "range: 86000000000000-86000000999999 blocked counterfeit"
out=$("$EIR_DB" --db "$db" get 99000000000000); rc=$?
expect_rc "get absent" $rc 1
expect_line "get absent" "$out" "record: none"

# check: every branch the data can reach, and a policy file.
chk() { "$EIR_DB" --db "$db" check "$@" | grep -E '^(verdict|branch):' | tr '\n' ' '; }
expect_line "check active" "$(chk 35209900176148)" "verdict: whitelisted branch: active "
expect_line "check registered" "$(chk 49015420323751)" "verdict: greylisted branch: registered "
expect_line "check traveller" "$(chk 35809101685355)" "verdict: whitelisted branch: traveller "
expect_line "check expired" "$(chk 35000000000001)" "verdict: greylisted branch: expired "
expect_line "check blocked" "$(chk 35000000000002)" "verdict: blacklisted branch: blocked "
expect_line "check tracked" "$(chk 35000000000003)" "verdict: greylisted branch: tracked "
expect_line "check exempt" "$(chk 35000000000004)" "verdict: whitelisted branch: exempt "
expect_line "check paired" "$(chk 35000000000005 --imsi 001010000000002)" "verdict: whitelisted branch: paired-exception "
expect_line "check unpaired" "$(chk 35000000000005 --imsi 001010000000003)" "verdict: blacklisted branch: blocked "
expect_line "check mismatch" "$(chk 35000000000006 --imsi 001010000000003)" "verdict: greylisted branch: pair-mismatch "
expect_line "check range" "$(chk 86000000000000)" "verdict: blacklisted branch: range "
expect_line "check range reg" "$(chk 86000001000999)" "verdict: greylisted branch: range "
expect_line "check unknown" "$(chk 99000000000000)" "verdict: greylisted branch: unknown "
expect_line "check invalid" "$(chk 352099001761487)" "verdict: blacklisted branch: invalid "
out=$("$EIR_DB" --db "$db" check 352099001761487 2>/dev/null); rc=$?
expect_line "check invalid" "$out" "imei-error: IMEI check digit does not match"
expect_rc "check invalid exits 2 (eir-db(1))" $rc 2

cat >"$work/eird.cfg" <<'CFG'
eir
 database /var/lib/eir
 policy
  unknown-imei unknown      ! as on S13: Experimental-Result 5422
  registered blacklisted
  invalid-imei whitelisted
  check-digit ignore
diameter
 origin-host eir.example.net
CFG
pol() { "$EIR_DB" --db "$db" check --policy "$work/eird.cfg" "$@" | grep -E '^(verdict|branch):' | tr '\n' ' '; }
expect_line "policy unknown" "$(pol 99000000000000)" "verdict: unknown branch: unknown "
expect_line "policy registered" "$(pol 49015420323751)" "verdict: blacklisted branch: registered "
expect_line "policy check-digit" "$(pol 352099001761487)" "verdict: whitelisted branch: active "
expect_line "policy invalid" "$(pol 3520990017614x)" "verdict: whitelisted branch: invalid "
# The commented sample in conf/ parses and holds the defaults.
samp() { "$EIR_DB" --db "$db" check --policy "$SRC/conf/policy.cfg" "$@" | grep -E '^(verdict|branch):' | tr '\n' ' '; }
expect_line "sample unknown" "$(samp 99000000000000)" "verdict: greylisted branch: unknown "
expect_line "sample spare0" "$(samp 352099001761480)" "verdict: whitelisted branch: active "
expect_line "sample invalid" "$(samp 352099001761487)" "verdict: blacklisted branch: invalid "
printf 'policy\n unknown-imei maybe\n' >"$work/bad.cfg"
out=$("$EIR_DB" --db "$db" check 99000000000000 --policy "$work/bad.cfg" 2>&1); rc=$?
expect_rc "bad policy" $rc 2
expect_line "bad policy" "$out" "eir-db: $work/bad.cfg:2: bad value 'maybe' for 'unknown-imei'"

# stat: identity and counts.
out=$("$EIR_DB" --db "$db" stat)
expect_line "stat" "$out" "snapshot-seq: 41"
expect_line "stat" "$out" "snapshot-source: hamta-test"
expect_line "stat" "$out" "imeis: 9"
expect_line "stat" "$out" "imeis-blocked: 2"
expect_line "stat" "$out" "imeis-traveller: 2"
expect_line "stat" "$out" "ranges: 2"
expect_line "stat" "$out" "paired-imeis: 2"
expect_line "stat" "$out" "first-seen: 0"
expect_line "stat" "$out" "schema: 1"

# dump: native rows, TAC rule written as a TAC, header and trailer.
out=$("$EIR_DB" --db "$db" dump)
expect_line "dump" "$out" "imei,status,reason,valid_until,imsi"
expect_line "dump" "$out" "86000000,blocked,counterfeit,,"
expect_line "dump" "$out" "86000001000000-86000001000999,registered,,,"
expect_line "dump" "$out" "35000000000005,blocked,lost,,001010000000001;001010000000002"
expect_line "dump" "$out" "35000000000006,active,,,lock:432110000000009"
expect_line "dump" "$out" "35000000000001,traveller,,2001-05-06T07:08:09Z,"
expect_line "dump" "$out" "# end rows=11"
[[ $(head -1 <<<"$out") == "# eir-snapshot version=1 kind=full seq=41 source=hamta-test "* ]] && ok || bad "dump header: $(head -1 <<<"$out")"
out=$("$EIR_DB" --db "$db" dump --tac 35000000)
expect_line "dump tac" "$out" "# end rows=6"
# The dump is sorted within each section: IMEIs ascending.
imeis=$("$EIR_DB" --db "$db" dump | grep -E '^[0-9]{14},')
[ "$imeis" == "$(sort <<<"$imeis")" ] && ok || bad "dump order"

# The dump is a valid native snapshot carrying exactly what was written.
canon=$("$EIR_DB" --db "$db" dump | "$SNAPCHECK" -); rc=$?
expect_rc "dump parses" $rc 0
expect_line "dump parses" "$canon" "header kind=full seq=41 source=hamta-test rows=11"
expect_line "dump parses" "$canon" "set 86000000000000-86000000999999 blocked reason=counterfeit until=0 locked=0 imsi="
expect_line "dump parses" "$canon" "set 35000000000006-35000000000006 active reason= until=0 locked=1 imsi=432110000000009"
expect_line "dump parses" "$canon" "set 35000000000005-35000000000005 blocked reason=lost until=0 locked=0 imsi=001010000000001;001010000000002"
expect_line "dump parses" "$canon" "set 35809101685355-35809101685355 traveller reason= until=4070908800 locked=0 imsi="
# A truncated dump is refused, naming file and line.
"$EIR_DB" --db "$db" dump | head -n 5 >"$work/trunc.csv"
out=$("$SNAPCHECK" "$work/trunc.csv" 2>&1); rc=$?
expect_rc "truncated" $rc 1
expect_line "truncated" "$out" "$work/trunc.csv:5: no trailer '# end rows=N' after 3 rows: truncated file?"

# verify: clean, then after an update that deletes and adds.
out=$("$EIR_DB" --db "$db" verify); rc=$?
expect_rc "verify" $rc 0
expect_line "verify" "$out" "verify: ok, schema 1, 9 IMEIs, 2 ranges, 2 paired IMEIs"
printf 'del 35000000000005\nimei 35000000000099 blocked reason=stolen\n' >"$work/delta"
"$TESTDB" --update "$db" "$work/delta"; expect_rc "update" $? 0
out=$("$EIR_DB" --db "$db" verify)
expect_line "verify after update" "$out" "verify: ok, schema 1, 9 IMEIs, 2 ranges, 1 paired IMEIs"
out=$("$EIR_DB" --db "$db" get 35000000000005); expect_rc "deleted" $? 1

# A writer refusing a bad batch changes nothing.
printf 'imei 35000000000100 active\nrange 86000000500000 86000000600000 blocked\n' >"$work/overlap"
out=$("$TESTDB" --update "$db" "$work/overlap" 2>&1); rc=$?
expect_rc "overlap refused" $rc 1
grep -q overlaps <<<"$out" && ok || bad "overlap message: $out"
"$EIR_DB" --db "$db" get 35000000000100 >/dev/null; expect_rc "nothing applied" $? 1

# A bad row refuses the whole batch, names file and line, changes nothing.
printf 'imei 35000000000101 active\nimei 35000000000102 purple\n' >"$work/badrow"
out=$("$TESTDB" --update "$db" "$work/badrow" 2>&1); rc=$?
expect_rc "bad row" $rc 2
expect_line "bad row" "$out" "eir-testdb: $work/badrow:2: unknown status"
"$EIR_DB" --db "$db" get 35000000000101 >/dev/null; expect_rc "bad row applied nothing" $? 1

# Errors: missing database, invalid IMEI, bad usage, another schema.
out=$("$EIR_DB" --db "$work/nothing" stat 2>&1); rc=$?
expect_rc "missing db" $rc 3
grep -q "no EIR database in $work/nothing" <<<"$out" && ok || bad "missing db message: $out"
out=$("$EIR_DB" --db "$db" get 12345 2>&1); rc=$?
expect_rc "invalid imei" $rc 2
expect_line "invalid imei" "$out" "eir-db: invalid IMEI '12345': IMEI must have 14, 15 or 16 digits"
out=$("$EIR_DB" --db "$db" frobnicate 2>&1); expect_rc "bad command" $? 2
out=$("$EIR_DB" --db "$db" check 35209900176148 --imsi 12 2>&1); expect_rc "bad imsi" $? 2
out=$("$EIR_DB" --db "$db" dump --tac 1234 2>&1); expect_rc "bad tac" $? 2
# Another schema version, written with LMDB's own mdb_load (lmdb-utils).
gen=$(readlink -f "$db/current")
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 736368656d61\n 0000000000000063\nDATA=END\n' |
	mdb_load -s meta "$gen" || bad "mdb_load"
out=$("$EIR_DB" --db "$db" stat 2>&1); rc=$?
expect_rc "schema" $rc 3
grep -q "database schema version 99, this build reads version 1" <<<"$out" && ok || bad "schema message: $out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
