#!/usr/bin/env bash
# The main job: installs what is needed, builds, generates a synthetic
# registry snapshot with eir-gen, imports it with eir-sync, applies a delta
# holding an IMEI of every status, shows eir-db's verdict for each policy
# branch, then starts eird in the foreground on loopback (Diameter S13 on
# 127.0.0.1:3868, N5g-eir over HTTP/2 on 127.0.0.1:8080, VTY on
# 127.0.0.1:4280) and asks it over S13 and N5g-eir for a few IMEIs. Ctrl-C stops it. Usage (as root on Debian bookworm): ./scripts/demo.sh
set -eu -o pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

install_packages $BUILD_PACKAGES python3 curl
configure build
ninja -C build >/dev/null

db=demo/db
rm -rf demo
mkdir -p demo
echo "== eir-gen: a synthetic registry of 1,000,000 IMEIs"
./build/lmdb-tools/eir-gen --count 1000000 --seed 7 -o demo/full-1.csv.gz
echo "== eir-sync: full snapshot, then a delta"
./build/lmdb-tools/eir-sync --db "$db" import demo/full-1.csv.gz
./build/lmdb-tools/eir-sync --db "$db" import scripts/demo-delta.csv
./build/lmdb-tools/eir-sync --db "$db" status
echo "== eir-db"
./build/lmdb-tools/eir-db --db "$db" verify
echo
printf '%-22s %-18s %-13s %s\n' IMEI IMSI VERDICT BRANCH
while read -r imei imsi; do
	args=(--db "$db" check "$imei")
	[ "$imsi" = - ] || args+=(--imsi "$imsi")
	out=$(./build/lmdb-tools/eir-db "${args[@]}") || true	# exit 2 for an invalid IMEI, verdict still printed
	printf '%-22s %-18s %-13s %s\n' "$imei" "$imsi" \
		"$(sed -n 's/^verdict: //p' <<<"$out")" "$(sed -n 's/^branch: //p' <<<"$out")"
done <<'QUERIES'
35209900176148 -
490154203237518 -
358091016853550 -
35000000000001 -
35000000000002 -
35000000000003 -
35000000000004 -
35000000000005 001010000000001
35000000000005 001010000000009
35000000000006 001010000000009
86000000123456 -
99000000000000 -
35209900176148x -
QUERIES
echo
echo "Look up one IMEI yourself: ./build/lmdb-tools/eir-db --db $db get 35000000000002"

echo "== eird: Diameter S13 on 127.0.0.1:3868, N5g-eir on http://127.0.0.1:8080, VTY on 127.0.0.1:4280 (Ctrl-C stops it)"
sed -e "s|database /var/lib/eir|database $PWD/$db|" -e "s|stats-socket /run/eir/eird.sock|stats-socket $PWD/demo/eird.sock|" -e "s|peer mme1.example.net|peer mme.example.net|" \
	-e "s|observed-db /var/lib/eir/observed|observed-db $PWD/demo/observed|" \
	-e '/^! --- MAP CheckIMEI/,$d' \
	conf/eird.cfg >demo/eird.cfg
# Once eird listens, an MME's questions over S13 (answers: 0 whitelisted,
# 1 blacklisted, 2 greylisted).
(
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', 3868), 1)" 2>/dev/null && break
		sleep 0.1
	done
	for imei in 35209900176148 35000000000002 35000000000003 99000000000000; do
		echo "demo: S13 ME-Identity-Check $imei -> Equipment-Status $(python3 tests/integration/s13_one.py 3868 mme.example.net example.net "$imei")"
	done
	# An AMF's question (N5g-eir, h2c): the IMEISV of the handset.
	for imei in 35209900176148 35000000000002 99000000000000; do
		url="http://127.0.0.1:8080/n5g-eir-eic/v1/equipment-status?pei=imeisv-${imei}01&supi=imsi-001010000000001"
		echo "demo: N5g-eir GET ...?pei=imeisv-${imei}01 -> $(curl -s --http2-prior-knowledge -w ' (HTTP %{http_code})' "$url")"
	done
	echo "demo: eird keeps running; try: ./build/eir/stats/eir-stat -s demo/eird.sock --watch 1, or telnet 127.0.0.1 4280"
) &
exec ./build/eir/eird/eird -c demo/eird.cfg
