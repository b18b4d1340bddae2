#!/usr/bin/env bash
# Runs every test: installs what is needed, builds with -Werror, runs the
# suite, runs it again under ASan+UBSan, fuzzes each decoder briefly with
# libFuzzer, then builds the Debian packages, runs lintian on them and
# installs, checks and purges them. Usage (as root on Debian bookworm): ./scripts/test.sh
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
total_ok=0 total_fail=0

install_packages $BUILD_PACKAGES $TEST_PACKAGES
# The MAP test runs its own osmo-stp, which binds its VTY to 127.0.0.1:4239
# whatever its configuration says: the packaged service (started on
# machines with systemd) must not hold that port.
if command -v systemctl >/dev/null && systemctl is-active --quiet osmo-stp 2>/dev/null; then
	echo "stopping the osmo-stp service (its VTY port is needed by the MAP test)"
	systemctl stop osmo-stp
fi

# run_suite NAME BUILDDIR: meson test, and add its counts to the totals.
run_suite() {
	local name=$1 dir=$2 log rc ok fail
	echo "== $name"
	ninja -C "$dir" >/dev/null || { echo "build failed: $dir"; ninja -C "$dir" | tail -30; total_fail=$((total_fail + 1)); return; }
	meson test -C "$dir" --print-errorlogs --num-processes 2 2>&1 | tee "$dir/test-summary.txt" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
	ok=$(awk '/^Ok:/ {print $2}' "$dir/test-summary.txt")
	fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$dir/test-summary.txt")
	total_ok=$((total_ok + ${ok:-0}))
	total_fail=$((total_fail + ${fail:-1}))
}

configure build -Dwerror=true -Dtests=enabled
run_suite "tests (gcc, -Werror)" build

configure build-asan -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suite "tests (ASan+UBSan)" build-asan

echo "== libFuzzer, ${FUZZ_SECONDS}s per harness"
CC=clang configure build-fuzz -Dfuzzing=true -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false
if ninja -C build-fuzz >/dev/null; then
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		name=${f##*/fuzz_}
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus/"$name"/* "$corpus"/
		if "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$corpus" >"build-fuzz/fuzz-$name.log" 2>&1; then
			echo "fuzz.$name: $(grep -oE 'Done [0-9]+ runs' "build-fuzz/fuzz-$name.log" | tail -1), no crash"
			total_ok=$((total_ok + 1))
		else
			echo "fuzz.$name: FAILED"; tail -40 "build-fuzz/fuzz-$name.log"
			total_fail=$((total_fail + 1))
		fi
		rm -rf "$corpus"
	done
else
	echo "fuzz build failed"; total_fail=$((total_fail + 1))
fi

echo "== Debian packages (dpkg-buildpackage, lintian, dpkg -i, purge)"
if tests/package/install-test.sh . >build/package-test.log 2>&1; then
	echo "package: $(tail -1 build/package-test.log)"
	total_ok=$((total_ok + 1))
else
	echo "package: FAILED"; tail -30 build/package-test.log
	total_fail=$((total_fail + 1))
fi

echo
echo "all: $total_ok passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
