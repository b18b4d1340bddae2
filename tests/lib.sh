# Shell helpers shared by the integration tests and the benchmarks that run
# eird, freeDiameter and osmo-stp on loopback. Source it; needs SRC (source
# root), and B (build directory) for bench_data.

# The counts of a test: ok, bad WHY; the script ends with
#   echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]
passed=0 failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run_checker NAME CMD...: run a Python checker (tests/integration/checks.py),
# show its failures and add its "N passed, M failed" to the counts; it must
# also exit 0 and print that line.
run_checker() {
	local name=$1 out rc p
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && grep -v '^[0-9]* passed, [0-9]* failed$' <<<"$out"
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$out" | tail -1)
	[ -n "$p" ] && { passed=$((passed + ${p% *})); failed=$((failed + ${p#* })); }
	local why="exit $rc"
	[ -n "$p" ] || why="$why, no count line"
	[ "$rc" -eq 0 ] && [ -n "$p" ] && ok || bad "$name: $why"
}

# Freed memory poisoned and the heap checked in the processes a test starts:
# a use-after-free inside libosmocore, libosmo-netif or talloc (invisible to
# ASan) crashes the test instead of passing by luck.
check_heap() {
	export MALLOC_CHECK_=3 MALLOC_PERTURB_=165 TALLOC_FREE_FILL=165
}

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Wait up to 10 s until something listens on PORT.
wait_port() {
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# eird_cfg OUT DB_DIR DIAMETER_PORT VTY_PORT [SED_EXPR...]: conf/eird.cfg
# with this test's database, stats socket and observation store (beside
# OUT) and loopback ports.
# The MAP part (cs7 and map nodes, shipped commented out with '#') is
# uncommented only when MAP_STP_PORT is set: the ASP then connects to an
# STP on that port. The n5g node is kept only when N5G_PORT is set, and
# then listens on that port.
eird_cfg() {
	local out=$1 db=$2 dport=$3 vport=$4
	shift 4
	local extra=()
	if [ -n "${MAP_STP_PORT:-}" ]; then
		extra+=(-e '/^! --- MAP CheckIMEI/,$ s/^#//' -e "s|asp asp-eir 5000 0 ipa|asp asp-eir $MAP_STP_PORT 0 ipa|")
	else
		extra+=(-e '/^! --- MAP CheckIMEI/,$d')
	fi
	# The n5g node listens only when N5G_PORT is set.
	if [ -n "${N5G_PORT:-}" ]; then
		extra+=(-e "s|^ listen 127.0.0.1 8080| listen 127.0.0.1 $N5G_PORT|")
	else
		extra+=(-e '/^n5g$/,/^[^ ]/{/^n5g$/d;/^ /d}')
	fi
	for e in "$@"; do extra+=(-e "$e"); done
	sed -e "s|database /var/lib/eir|database $db|" \
	    -e "s|stats-socket /run/eir/eird.sock|stats-socket $(dirname "$out")/eird.sock|" \
	    -e "s|observed-db /var/lib/eir/observed|observed-db $(dirname "$out")/observed|" \
	    -e "s|notify-spool /var/lib/eir/notify|notify-spool $(dirname "$out")/notify|" \
	    -e "s|listen tcp 127.0.0.1 3868|listen tcp 127.0.0.1 $dport|" \
	    -e "s|bind 127.0.0.1 4280|bind 127.0.0.1 $vport|" "${extra[@]}" \
	    "$SRC/conf/eird.cfg" >"$out"
}

# fd_conf DIR IDENTITY PORT TW CONNECT_PORT [ACL_PATTERN]: a freeDiameter
# configuration in DIR (printed), with the throwaway certificate freeDiameter
# needs even without TLS; it connects to eir.example.net on CONNECT_PORT
# unless that is empty, and admits peers matching ACL_PATTERN (acl_wl).
fd_conf() {
	local dir=$1 id=$2 port=$3 tw=$4 connect=$5 acl=${6:-}
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$id" -keyout "$dir/key.pem" -out "$dir/cert.pem" \
		-days 2 >/dev/null 2>&1 || return 1
	{
		cat <<FD
Identity = "$id";
Realm = "example.net";
Port = $port;
SecPort = $(free_port);
ListenOn = "127.0.0.1";
No_SCTP;
No_IPv6;
TwTimer = $tw;
TLS_Cred = "$dir/cert.pem", "$dir/key.pem";
TLS_CA = "$dir/cert.pem";
LoadExtension = "/usr/lib/freeDiameter/dict_nasreq.fdx";
LoadExtension = "/usr/lib/freeDiameter/dict_rfc5777.fdx";
LoadExtension = "/usr/lib/freeDiameter/dict_dcca.fdx";
LoadExtension = "/usr/lib/freeDiameter/dict_dcca_3gpp.fdx";
FD
		[ -n "$connect" ] && echo "ConnectPeer = \"eir.example.net\" { ConnectTo = \"127.0.0.1\"; Port = $connect; No_TLS; };"
		if [ -n "$acl" ]; then
			echo "ALLOW_OLD_TLS ALLOW_IPSEC $acl" >"$dir/acl.conf"
			echo "LoadExtension = \"/usr/lib/freeDiameter/acl_wl.fdx\" : \"$dir/acl.conf\";"
		fi
	} >"$dir/fd.conf"
	echo "$dir/fd.conf"
}

# stp_cfg OUT IPA_PORT: conf/osmo-stp.cfg listening on this test's port.
# (Its VTY stays on 4239: osmo-stp 1.6 ignores the configured port.)
stp_cfg() {
	sed -e "s|listen ipa 5000|listen ipa $2|" "$SRC/conf/osmo-stp.cfg" >"$1"
}

# bench_data DIR COUNT: the benchmarks' data, built with the tools in $B:
# DIR/db holds COUNT IMEIs from eir-gen; DIR/imeis a seeded list of up to
# 100,000 of them, each after an absent one (its successor), so that half
# of the queries find a record.
bench_data() {
	local w=$1 n=$2
	echo "database: $n IMEIs"
	"$B/lmdb-tools/eir-gen" --count "$n" -o "$w/full.csv" &&
		"$B/lmdb-tools/eir-sync" -q --db "$w/db" import "$w/full.csv" || return 1
	awk -F, 'NR > 2 && $1 ~ /^[0-9]+$/ && length($1) >= 14 { print substr($1, 1, 14) }' "$w/full.csv" |
		awk 'BEGIN { srand(1) } { if (rand() < 200000 / '"$n"') print }' | head -n 100000 >"$w/present"
	awk '{ printf "%014d\n%s\n", $1 + 1, $1 }' "$w/present" >"$w/imeis"
	rm -f "$w/full.csv" "$w/present"
	echo "IMEI list: $(wc -l <"$w/imeis") (half present)"
}

# stp_lock: osmo-stp 1.6 binds its VTY to 127.0.0.1:4239 whatever its
# configuration says, so two tests with an osmo-stp of their own (MAP)
# take turns: this lock, held until the test's shell exits.
stp_lock() {
	exec 9>/tmp/eir-tests-osmo-stp.lock
	flock -w 280 9 || { echo "FAIL: another test's osmo-stp held 127.0.0.1:4239 for 280 s"; exit 1; }
}
