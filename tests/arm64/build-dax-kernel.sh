#!/bin/bash
# The arm64 lane's DAX kernel (L2 of t-virtiofs-dax): Debian's linux-source-6.1 + `make
# ARCH=arm64 tinyconfig` + tests/arm64/l2-dax.config, cross-built with Debian's
# aarch64-linux-gnu-gcc (scripts/deps.sh) -> an uncompressed arm64 Image, no modules.
# Debian's arm64 kernels have no CONFIG_ZONE_DEVICE, hence no CONFIG_FUSE_DAX: this one has.
# Cached in $MICROVM_CACHE/arm64-kernel-<hash>/{Image,config,version,build-seconds}, hash = sha256
# of the fragment, this script and the linux-source package version (a lock file: one build at a
# time, the others wait and reuse it); published at OUTDIR/Image.
# usage: tests/arm64/build-dax-kernel.sh OUTDIR     (prints the cache directory on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/arm64/dax-kernel}
frag=tests/arm64/l2-dax.config
jobs=${GUEST_JOBS:-2}
cache_init
command -v aarch64-linux-gnu-gcc >/dev/null ||
	die "aarch64-linux-gnu-gcc missing (gcc-aarch64-linux-gnu: scripts/deps.sh)"

deb=$(fetch_deb linux-source-6.1)
ver=$(dpkg-deb -f "$deb" Version)
hash=$( { sha256sum "$frag" tests/arm64/build-dax-kernel.sh | awk '{print $1}';
	  echo "linux-source-6.1 $ver"; } | sha256sum | cut -c1-16)
dir=$MICROVM_CACHE/arm64-kernel-$hash

exec 9>"$MICROVM_CACHE/arm64-kernel-$hash.lock"
flock 9
if [ -f "$dir/Image" ]; then
	log "arm64 DAX kernel cached: $dir/Image (linux-source-6.1 $ver)"
	publish "$dir/Image" "$out/Image"
	echo "$dir"
	exit 0
fi

start=$(date +%s)
work=$(mktemp -d "$MICROVM_CACHE/a64kbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "extracting linux-source-6.1 $ver into $work"
# No Documentation (but its Kconfig), selftests or perf; the other architectures stay (Kconfig
# sources some of their files, e.g. arch/x86/ras/Kconfig).
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
	tar -xJ -C "$work" --wildcards --no-wildcards-match-slash \
		--exclude='linux-source-6.1/Documentation/[!K]*' \
		--exclude='linux-source-6.1/tools/testing' \
		--exclude='linux-source-6.1/tools/perf'
src=$work/linux-source-6.1
K=(-C "$src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)

log "configuring (arm64 tinyconfig + $frag)"
make -s "${K[@]}" tinyconfig >/dev/null
ARCH=arm64 "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$frag" >/dev/null 2>&1
make -s "${K[@]}" olddefconfig >/dev/null
# Every option the fragment asks for must have survived the dependency resolution.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}
		if grep -q "^$opt=" "$src/.config"; then log "config: $opt is set, wanted n"; bad=1; fi ;;
	CONFIG_*=*) if ! grep -qx "$line" "$src/.config"; then
			log "config: wanted $line, got: $(grep "^${line%%=*}=" "$src/.config" || echo unset)"
			bad=1
		fi ;;
	esac
done < "$frag"
[ "$bad" = 0 ] || die "arm64 kernel config does not match $frag (fix the fragment)"

log "building the arm64 Image (nice -n 10 make -j$jobs)"
nice -n 10 make -s "${K[@]}" -j"$jobs" KBUILD_BUILD_HOST=microvm KBUILD_BUILD_USER=arm64-lane Image
img=$src/arch/arm64/boot/Image
[ "$(dd if="$img" bs=1 skip=56 count=4 2>/dev/null | od -An -tx1 | tr -d ' ')" = 41524d64 ] ||
	die "$img is not an arm64 Image"
mkdir -p "$dir.tmp"
cp "$img" "$dir.tmp/Image"
cp "$src/.config" "$dir.tmp/config"
echo "linux-source-6.1 $ver" > "$dir.tmp/version"
end=$(date +%s)
echo "$((end - start))" > "$dir.tmp/build-seconds"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
log "arm64 DAX kernel built in $((end - start)) s: $dir/Image ($(stat -c %s "$dir/Image") bytes)"
publish "$dir/Image" "$out/Image"
echo "$dir"
