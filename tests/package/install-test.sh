#!/usr/bin/env bash
# Debian packages: build with dpkg-buildpackage (in a copy of the tree),
# check them with lintian (no errors, no warnings), install them with dpkg
# on this machine, check what an operator gets (files, conffiles, user,
# directories, units that systemd-analyze accepts, eird running as eir with
# the packaged configuration), then purge and check that nothing is left.
# Needs root. Usage: tests/package/install-test.sh SOURCE_ROOT
set -u
SRC=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/eir-pkg.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	dpkg --purge eird eir-tools >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
. "$SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (dpkg -i)"; exit 1; }
# A clean copy: only what git tracks (no build directories).
mkdir "$work/eir"
git -C "$SRC" ls-files -z | (cd "$SRC" && xargs -0 cp --parents -t "$work/eir")
(cd "$work/eir" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 && ok ||
	{ bad "dpkg-buildpackage failed"; tail -30 "$work/build.log"; exit 1; }
for p in eird eir-tools eird-dbgsym eir-tools-dbgsym; do
	ls "$work/${p}_"*.deb >/dev/null 2>&1 && ok || bad "no $p package"
done
lintian --tag-display-limit 0 "$work"/eir_*.changes >"$work/lintian.log" 2>&1
grep -E '^[EW]: ' "$work/lintian.log" && bad "lintian reports errors or warnings" || ok

dpkg -i "$work"/eir-tools_*.deb "$work"/eird_*.deb >"$work/install.log" 2>&1 && ok ||
	{ bad "dpkg -i failed"; tail -20 "$work/install.log"; exit 1; }
for f in /usr/sbin/eird /usr/sbin/eir-sync /usr/bin/eir-db /usr/bin/eir-stat /usr/bin/eir-gen \
	/etc/eir/eird.cfg /etc/eir/eir-sync.conf /lib/systemd/system/eird.service \
	/lib/systemd/system/eir-sync.service /lib/systemd/system/eir-sync.timer \
	/usr/share/man/man8/eird.8.gz /usr/share/man/man5/eird.cfg.5.gz /usr/share/man/man8/eir-sync.8.gz \
	/usr/share/man/man1/eir-db.1.gz /usr/share/man/man1/eir-stat.1.gz /usr/share/man/man1/eir-gen.1.gz; do
	[ -e "$f" ] && ok || bad "missing $f"
done
dpkg-query -W -f='${Conffiles}\n' eird | grep -q ' /etc/eir/eird.cfg ' && ok || bad "eird.cfg is not a conffile"
dpkg-query -W -f='${Conffiles}\n' eir-tools | grep -q ' /etc/eir/eir-sync.conf ' && ok || bad "eir-sync.conf is not a conffile"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd eir)
[ -n "${uid:-}" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/eir ] && [ "$shell" = /usr/sbin/nologin ] && ok ||
	bad "system user eir: uid ${uid:-none} home ${home:-} shell ${shell:-}"
[ "$(stat -c '%U:%G %a' /var/lib/eir)" = "eir:eir 750" ] && ok || bad "/var/lib/eir is $(stat -c '%U:%G %a' /var/lib/eir)"
[ "$(stat -c '%U:%G %a' /etc/eir/eird.cfg)" = "root:eir 640" ] && ok || bad "eird.cfg is $(stat -c '%U:%G %a' /etc/eir/eird.cfg)"
/usr/sbin/eird --version | grep -q '^eird [0-9]' && ok || bad "eird --version"
/usr/sbin/eir-sync --help >/dev/null 2>&1 && /usr/bin/eir-db --help >/dev/null 2>&1 && ok || bad "tools do not run"
out=$(systemd-analyze verify /lib/systemd/system/eird.service /lib/systemd/system/eir-sync.service \
	/lib/systemd/system/eir-sync.timer 2>&1) && [ -z "$out" ] && ok || bad "systemd-analyze verify: $out"
grep -q '^User=eir$' /lib/systemd/system/eird.service && grep -q '^CapabilityBoundingSet=$' /lib/systemd/system/eird.service &&
	ok || bad "eird.service does not drop to eir without capabilities"
[ -L /etc/systemd/system/multi-user.target.wants/eird.service ] && [ -L /etc/systemd/system/timers.target.wants/eir-sync.timer ] &&
	ok || bad "units not enabled"

# The packaged tools and configuration, as the eir user: eir-gen + eir-sync
# fill /var/lib/eir, eird (the packaged eird.cfg as shipped, on the
# loopback ports of this test) answers on its stats socket.
runuser -u eir -- /usr/bin/eir-gen --count 1000 -o /var/lib/eir/full.csv &&
	runuser -u eir -- /usr/sbin/eir-sync -q --db /var/lib/eir import /var/lib/eir/full.csv && ok || bad "eir-sync as eir"
mkdir -p /run/eir && chown eir:eir /run/eir
DPORT=$(free_port) VPORT=$(free_port) NPORT=$(free_port)
sed -e "s|listen tcp 127.0.0.1 3868|listen tcp 127.0.0.1 $DPORT|" -e "s|bind 127.0.0.1 4280|bind 127.0.0.1 $VPORT|" \
	-e "s|^ listen 127.0.0.1 8080| listen 127.0.0.1 $NPORT|" /etc/eir/eird.cfg >"$work/eird.cfg"
chmod 644 "$work/eird.cfg"; chmod 755 "$work"
runuser -u eir -- /usr/sbin/eird -c "$work/eird.cfg" >"$work/eird.log" 2>&1 &
pid=$!
wait_port "$DPORT" && /usr/bin/eir-stat stats | grep -q '^db_state:open' && ok ||
	{ bad "eird as eir with the packaged config"; tail -5 "$work/eird.log"; }
# The packaged eird has the N5g-eir front end.
wait_port "$NPORT" && curl -s --http2-prior-knowledge \
	"http://127.0.0.1:$NPORT/n5g-eir-eic/v1/equipment-status?pei=imei-990000000000000" | grep -q ERROR_EQUIPMENT_UNKNOWN &&
	ok || bad "the packaged eird does not answer N5g-eir"
sleep 2
# The packaged configuration ships MAP switched off: no ASP towards a test
# STP, no error lines in a quiet first start.
grep -E 'ERROR|FATAL|ASP' "$work/eird.log" && bad "errors in the log of the packaged configuration" || ok
kill "$pid"; wait "$pid" 2>/dev/null; pid=
rm -rf /run/eir

dpkg --purge eird eir-tools >"$work/purge.log" 2>&1 && ok || bad "dpkg --purge failed"
for f in /usr/sbin/eird /usr/bin/eir-db /etc/eir /var/lib/eir /lib/systemd/system/eird.service \
	/etc/systemd/system/multi-user.target.wants/eird.service; do
	[ -e "$f" ] && bad "$f left after purge" || ok
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
