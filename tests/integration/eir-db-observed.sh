#!/usr/bin/env bash
# Integration test: fill an observation store with eir-gen observed, then
# check eir-db observed get, get --imsi, stat and every export format
# against the generated pairs (observed_check.py computes what each must
# hold), DIRBS dumps against DIRBS-Core's schema (dirbs_schema_check.py),
# window boundaries, the atomic -o, and bad input.
# Usage: eir-db-observed.sh BUILD_DIR SOURCE_ROOT
set -u
B=$1 SRC=$2
EIR_DB=$B/lmdb-tools/eir-db GEN=$B/lmdb-tools/eir-gen TESTDB=$B/tests/tools/eir-testdb
HERE=$SRC/tests/integration
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-db-observed.XXXXXX")
trap 'rm -rf "$work"' EXIT
obs=$work/observed
. "$SRC/tests/lib.sh"

expect_line() { grep -qxF -- "$3" <<<"$2" && ok || { bad "$1: no line '$3' in:"; sed 's/^/    /' <<<"$2"; }; }
expect_rc() { [ "$2" -eq "$3" ] && ok || bad "$1: exit $2, expected $3"; }
check() { run_checker "$1" python3 "$HERE/observed_check.py" "${@:2}"; }

# Ten days of pairs up to yesterday noon (DIRBS refuses days after today).
end=$(date -u -d yesterday +%Y-%m-%dT12:00:00Z)
d0=$(date -u -d "yesterday -10 days" +%Y-%m-%d)	# the first day with sightings
d5=$(date -u -d "yesterday -4 days" +%Y-%m-%d)
dlast=$(date -u -d yesterday +%Y-%m-%d)
"$GEN" observed --pairs 5000 --observed "$obs" --seed 7 --days 10 --end "$end" --list "$work/list.csv"
expect_rc "eir-gen observed" $? 0
[ "$(wc -l <"$work/list.csv")" -eq 5001 ] && ok || bad "eir-gen --list: $(wc -l <"$work/list.csv") lines"
# The same seed gives the same pairs.
"$GEN" observed --pairs 5000 --observed "$work/again" --seed 7 --days 10 --end "$end" --list "$work/again.csv"
cmp -s "$work/list.csv" "$work/again.csv" && ok || bad "eir-gen observed is not reproducible"

# stat: every figure.
"$EIR_DB" observed stat --observed "$obs" >"$work/stat"; expect_rc "stat" $? 0
check stat stat "$work/list.csv" "$work/stat"
out=$(cat "$work/stat")
expect_line "stat" "$out" "schema: 1"
expect_line "stat" "$out" "expired: 0"
expect_line "stat" "$out" "observed: $obs"
for k in created file-bytes used-bytes map-bytes map-used-percent bytes-per-pair oldest-seen; do
	grep -q "^$k: [0-9]" <<<"$out" && ok || bad "stat: no $k"
done

# get IMEI: an IMEI with several pairs, in every input form.
imei=$(awk -F, 'NR > 1 { n[$1]++ } END { for (i in n) if (n[i] >= 2) print i }' "$work/list.csv" | sort | head -1)
"$EIR_DB" observed get "$imei" --observed "$obs" >"$work/get"; expect_rc "get $imei" $? 0
check "get $imei" get "$work/list.csv" "$imei" "$work/get"
expect_line "get" "$(cat "$work/get")" "observed: yes"
expect_line "get" "$(cat "$work/get")" "network-first-seen: -"
cd15=$(sed -n 's/^check-digit: //p' "$work/get")
out=$("$EIR_DB" --observed "$obs" observed get "imeisv-${imei}42")
expect_line "get imeisv" "$out" "svn: 42"
[ "$(sed -n '/^imsi /,$p' <<<"$out")" == "$(sed -n '/^imsi /,$p' "$work/get")" ] && ok || bad "get by IMEISV differs"
"$EIR_DB" observed get "$imei$cd15" --observed "$obs" >/dev/null; expect_rc "get 15 digits" $? 0
# One pair of it.
imsi1=$(awk -F, -v i="$imei" '$1 == i && $2 != "" { print $2; exit }' "$work/list.csv")
out=$("$EIR_DB" observed get "$imei" --imsi "$imsi1" --observed "$obs")
[ "$(sed -n '/^imsi /,$p' <<<"$out" | wc -l)" -eq 2 ] && ok || bad "get IMEI --imsi: $out"
"$EIR_DB" observed get "$imei" --imsi 001010000000001 --observed "$obs" >/dev/null
expect_rc "get IMEI --imsi other" $? 1
# Never observed.
out=$("$EIR_DB" observed get 99000000000001 --observed "$obs"); rc=$?
expect_rc "get unobserved" $rc 1
expect_line "get unobserved" "$out" "observed: no"

# get --imsi: an IMSI that went from one handset to another.
shared=$(awk -F, 'NR > 1 && $2 != "" { n[$2]++ } END { for (s in n) if (n[s] >= 2) print s }' "$work/list.csv" | sort | head -1)
[ -n "$shared" ] && ok || bad "the generated pairs have no IMSI on two IMEIs"
"$EIR_DB" observed get --imsi "$shared" --observed "$obs" >"$work/getimsi"; expect_rc "get --imsi" $? 0
check "get --imsi $shared" get-imsi "$work/list.csv" "$shared" "$work/getimsi"
"$EIR_DB" observed get --imsi 001010000000001 --observed "$obs" >/dev/null; expect_rc "get --imsi none" $? 1

# The network-wide first sighting from a registry database: one earlier
# than the node's (it wins), one later (the node's wins).
printf 'meta 1 test\nimei 35209900176148 active\n' >"$work/rows"
"$TESTDB" "$work/db" "$work/rows" >/dev/null; expect_rc "eir-testdb" $? 0
imei2=$(awk -F, -v i="$imei" 'NR > 1 && $1 != i { print $1; exit }' "$work/list.csv")
hex() { printf '%016x' "$((10#$1))"; }
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n %s\n 3b9aca00\n %s\n 7fffffff\nDATA=END\n' \
	"$(hex "$imei")" "$(hex "$imei2")" | mdb_load -s first_seen "$(readlink -f "$work/db/current")"
expect_rc "mdb_load first_seen" $? 0
out=$("$EIR_DB" --db "$work/db" observed get "$imei" --observed "$obs")
expect_line "network first seen" "$out" "network-first-seen: 2001-09-09T01:46:40Z"
expect_line "network first seen" "$out" "first-seen: 2001-09-09T01:46:40Z"
out=$("$EIR_DB" --db "$work/db" observed get "$imei2" --observed "$obs")
expect_line "network later" "$out" "network-first-seen: 2038-01-19T03:14:07Z"
expect_line "network later" "$out" "first-seen: $(sed -n 's/^observed-first-seen: //p' <<<"$out")"
out=$("$EIR_DB" --db "$work/nothing" observed get "$imei" --observed "$obs" 2>&1); rc=$?
expect_rc "no registry" $rc 0
expect_line "no registry" "$out" "network-first-seen: -"
grep -q "network first sighting unknown: no EIR database in $work/nothing" <<<"$out" && ok || bad "no registry: $out"

# Exports: whole, one day, a window inside a day, the time zone.
now=$(date -u +%s)
export_check() {	# NAME FORMAT SINCE UNTIL TZ [extra eir-db args]
	local name=$1 fmt=$2 since=$3 until=$4 tz=$5 args=()
	shift 5
	[ "$until" != now ] && args+=(--until "$until")
	[ -n "$tz" ] && args+=(--tz "$tz")
	"$EIR_DB" observed export --observed "$obs" --since "$since" --format "$fmt" "${args[@]}" "$@" \
		-o "$work/$name" 2>"$work/$name.err"
	expect_rc "export $name" $? 0
	[ "$until" == now ] && until=now:$(date -u +%s)
	check "export $name" export "$work/list.csv" "$fmt" "$since" "$until" "$tz" "$work/$name"
}
for fmt in csv dirbs first-seen; do
	export_check "all.$fmt" $fmt "$d0" now ""
	export_check "day5.$fmt" $fmt "$d5" "$d5" ""
	export_check "tz.$fmt" $fmt "$d5" "$d5" "UTC+03:30"
	export_check "west.$fmt" $fmt "$d5" "$dlast" "-05:00"
	export_check "inner.$fmt" $fmt "${d5}T06:00:00Z" "${d5}T18:00:00Z" ""
done
# Boundaries, to the second: a pair's last sighting as --since, its first
# as --until.
lastb=$(awk -F, 'NR == 2 { print $5 }' "$work/list.csv")
firstb=$(awk -F, 'NR == 3 { print $4 }' "$work/list.csv")
export_check "edge-since.csv" csv "$lastb" now ""
grep -q "^$(awk -F, 'NR == 2 { print $1 "," $2 }' "$work/list.csv")," "$work/edge-since.csv" && ok ||
	bad "--since equal to a pair's last sighting leaves it out"
export_check "edge-until.csv" csv "$d0" "$firstb" ""
grep -q "^$(awk -F, 'NR == 3 { print $1 "," $2 }' "$work/list.csv")," "$work/edge-until.csv" && ok ||
	bad "--until equal to a pair's first sighting leaves it out"
export_check "edge-dirbs" dirbs "$lastb" "$lastb" ""
# An empty window still has its header (and the first-seen trailer).
export_check "empty.first-seen" first-seen "2001-01-01" "2001-01-02" ""
expect_line "empty first-seen" "$(cat "$work/empty.first-seen")" "# end rows=0"

# DIRBS: the dumps pass the schema's rules, zipped as DIRBS takes them.
run_checker "dirbs schema" python3 "$HERE/dirbs_schema_check.py" --clean \
	"$work/all.dirbs" "$work/day5.dirbs" "$work/tz.dirbs" "$work/west.dirbs" "$work/inner.dirbs"
zname="op1_$(tr -d - <<<"$d5")_$(tr -d - <<<"$dlast").zip"
export_check "$zname" dirbs "$d5" "$dlast" ""
run_checker "dirbs zip" python3 "$HERE/dirbs_schema_check.py" --clean "$work/$zname"
"$EIR_DB" observed export --observed "$obs" --since "$d5" --until "$dlast" --format dirbs -o "$work/plain.dirbs"
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.exit(z.read(z.namelist()[0]) != open(sys.argv[2], "rb").read())' \
	"$work/$zname" "$work/plain.dirbs" && ok || bad "the zip's CSV is not the plain export"
# The notes name what DIRBS's thresholds will say of the empty columns.
grep -q "of the rows have no MSISDN, above DIRBS's default threshold of 5%" "$work/all.dirbs.err" && ok ||
	bad "no MSISDN note: $(cat "$work/all.dirbs.err")"
out=$("$EIR_DB" observed export --observed "$obs" --since "$d5" --format dirbs -o "$work/op1_20000101_20000102.zip" 2>&1); rc=$?
expect_rc "dirbs zip misnamed" $rc 2
grep -q "names the days 20000101 to 20000102" <<<"$out" && ok || bad "misnamed zip message: $out"
out=$("$EIR_DB" observed export --observed "$obs" --since "$d5" --format dirbs -o "$work/dump.zip" 2>&1); rc=$?
expect_rc "dirbs zip unnamed" $rc 2
grep -q "is not named <operator>_<YYYYMMDD>_<YYYYMMDD>.zip" <<<"$out" && ok || bad "unnamed zip message: $out"
[ ! -e "$work/dump.zip" ] && ok || bad "a refused export left its file"
# Other formats zip too (eir-sync imports a zipped first-seen file).
"$EIR_DB" observed export --observed "$obs" --since "$d0" --format first-seen -o "$work/fs.zip"
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.exit(z.namelist() != ["fs.csv"])' "$work/fs.zip" &&
	ok || bad "first-seen zip member"

# -o: atomic. Replaces the file whole, leaves no temporary file; a failed
# export (the file size limit cuts the write) leaves the old file as it was.
echo old >"$work/out.csv"
"$EIR_DB" observed export --observed "$obs" --since "$d0" --format csv -o "$work/out.csv"
expect_rc "export -o" $? 0
cmp -s "$work/out.csv" "$work/all.csv" && ok || bad "export -o content"
ls -a "$work" | grep -q '^\.out\.csv\.' && bad "temporary file left" || ok
echo old >"$work/out.csv"
out=$( (trap '' XFSZ; ulimit -f 8; "$EIR_DB" observed export --observed "$obs" --since "$d0" --format csv \
	-o "$work/out.csv") 2>&1); rc=$?
expect_rc "export -o over the size limit" $rc 4
grep -q "writing $work/out.csv failed" <<<"$out" && ok || bad "size limit message: $out"
[ "$(cat "$work/out.csv")" == old ] && ok || bad "a failed export touched the file"
ls -a "$work" | grep -q '^\.out\.csv\.' && bad "failed export left its temporary file" || ok
# Killed while writing: the old file is still whole.
( (ulimit -f 8; exec "$EIR_DB" observed export --observed "$obs" --since "$d0" --format csv -o "$work/out.csv") ) 2>/dev/null
[ "$(cat "$work/out.csv")" == old ] && ok || bad "a killed export touched the file"
out=$("$EIR_DB" observed export --observed "$obs" --since "$d0" --format csv -o "$work/no/such/dir.csv" 2>&1); rc=$?
expect_rc "export -o into a missing directory" $rc 4

# Bad input: exit 2, a clear message.
bad_input() {	# EXPECTED_MESSAGE ARGS...
	local msg=$1 out rc
	shift
	out=$("$EIR_DB" --observed "$obs" observed "$@" 2>&1); rc=$?
	expect_rc "observed $*" $rc 2
	grep -qF -- "$msg" <<<"$out" && ok || bad "observed $*: no '$msg' in: $out"
}
bad_input "invalid --since '2026-02-30'" export --since 2026-02-30 --format csv
bad_input "invalid --since '2026-1-01'" export --since 2026-1-01 --format csv
bad_input "invalid --until '2026-01-01T25:00:00Z'" export --since 2026-01-01 --until 2026-01-01T25:00:00Z --format csv
bad_input "invalid --tz 'UTC+3'" export --since 2026-01-01 --tz UTC+3 --format csv
bad_input "invalid --tz '+14:30'" export --since 2026-01-01 --tz +14:30 --format csv
bad_input "unknown --format 'xml'" export --since 2026-01-01 --format xml
bad_input "needs --since DATE and --format" export --format csv
bad_input "needs --since DATE and --format" export --since 2026-01-01
bad_input "--since 2026-01-02 is after --until 2026-01-01" export --since 2026-01-02 --until 2026-01-01 --format csv
bad_input "are for observed export" stat --since 2026-01-01
bad_input "unknown observed command" frobnicate
bad_input "unknown observed command" get
bad_input "invalid IMEI '12345'" get 12345
bad_input "invalid IMSI '12'" get --imsi 12
out=$("$EIR_DB" observed export --observed "$obs" --since 2026-01-01 --format csv --bogus 2>&1); expect_rc "unknown option" $? 2

# Store errors: exit 3.
out=$("$EIR_DB" observed stat --observed "$work/none" 2>&1); rc=$?
expect_rc "missing store" $rc 3
grep -q "no observation store in $work/none" <<<"$out" && ok || bad "missing store message: $out"
out=$("$EIR_DB" observed export --observed "$work/none" --since 2026-01-01 --format csv -o "$work/x.csv" 2>&1)
expect_rc "missing store export" $? 3
[ ! -e "$work/x.csv" ] && ok || bad "export of a missing store made a file"
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 736368656d61\n 0000000000000063\nDATA=END\n' |
	mdb_load -s meta "$work/again"
out=$("$EIR_DB" observed stat --observed "$work/again" 2>&1); rc=$?
expect_rc "other schema" $rc 3
grep -q "observation store schema version 99, this build reads version 1" <<<"$out" && ok || bad "schema message: $out"

# eir-gen observed: its usage errors.
"$GEN" observed --observed "$work/g" 2>/dev/null; expect_rc "eir-gen observed without --pairs" $? 2
"$GEN" observed --pairs 10 --observed "$work/g" --end 2026-13-01 2>/dev/null; expect_rc "eir-gen observed bad --end" $? 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
