# Shared by scripts/demo.sh and scripts/test.sh: packages and build setup.
# Everything here is idempotent, so a second run works.

BUILD_PACKAGES="gcc pkg-config meson ninja-build
  libtalloc-dev libosmocore-dev libosmo-netif-dev libosmo-sigtran-dev
  liblmdb-dev lmdb-utils libnghttp2-dev libjansson-dev libssl-dev libarchive-dev libcurl4-openssl-dev zlib1g-dev libicu-dev"
# The last line: the runtime libraries of the open5gs NRF of the N5g-eir
# test (../shared/peers/open5gs-nrf), installed here rather than by it.
TEST_PACKAGES="libcmocka-dev clang libclang-rt-14-dev python3 curl
  libfreediameter-dev freediameter-extensions tshark openssl osmo-stp
  debhelper dpkg-dev lintian systemd adduser git socat netcat-openbsd
  nghttp2-client python3-httpx python3-h2
  libyaml-0-2 libmicrohttpd12 libtalloc2 libgnutls30 libidn2-0"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

install_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "needs root to install: ${missing[*]}"
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed"
}

# configure DIR [meson options...]: set up a build directory, or reconfigure
# an existing one with the same options.
configure() {
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null || die "meson configure $dir failed"
	else
		meson setup "$dir" "$@" >/dev/null || die "meson setup $dir failed"
	fi
}
