#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds (once) an arm64 sysroot of the Debian libraries `make ARCH=arm64` links, without
# touching the host's apt state: apt runs with its own lists/cache dirs and APT::Architecture=arm64
# (no `dpkg --add-architecture`), `apt-get download` fetches the .debs, `dpkg-deb -x` unpacks them.
# Prints the sysroot path. Cached in $MICROVM_CACHE (default /var/cache/microvm) by a hash of the
# package list, so a changed list builds a new sysroot.
set -euo pipefail

PKGS=(
	libseccomp-dev libseccomp2 libfdt-dev libfdt1 zlib1g-dev zlib1g
	libjson-c-dev libjson-c5 libmicrohttpd-dev libmicrohttpd12
	libcurl4-openssl-dev libcurl4 liburing-dev liburing2
)
CACHE=${MICROVM_CACHE:-/var/cache/microvm}
hash=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-16)
ROOT=$CACHE/arm64-sysroot-$hash
if [ -f "$ROOT/.done" ]; then
	echo "$ROOT"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$ROOT.lock"
flock 9
if [ -f "$ROOT/.done" ]; then
	echo "$ROOT"
	exit 0
fi
APT=$ROOT.apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs"
opts=(-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
      -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1)
apt-get "${opts[@]}" -qq update >&2
rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
(cd "$APT/debs" && apt-get "${opts[@]}" -qq download "${PKGS[@]/%/:arm64}" >&2)
for d in "$APT/debs"/*.deb; do
	dpkg-deb -x "$d" "$ROOT.tmp"
done
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
touch "$ROOT/.done"
rm -rf "$APT"
echo "$ROOT"
