#!/bin/bash
# Builds the microvm guest kernel: Debian linux-source-6.1 + tinyconfig + guest/kernel/microvm.config
# + guest/kernel/*.diff -> uncompressed ELF vmlinux (with a PVH note).
# The result is cached in $MICROVM_CACHE/kernel-<hash>/vmlinux, hash = sha256 of the fragment, the
# patches, this script and the linux-source package version; it is published at $1/vmlinux.
# usage: guest/scripts/build-kernel.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/guest}
frag=guest/kernel/microvm.config
jobs=${GUEST_JOBS:-2}
cache_init

deb=$(fetch_deb linux-source-6.1)
ver=$(dpkg-deb -f "$deb" Version)
hash=$( { sha256sum "$frag" guest/kernel/*.diff guest/scripts/build-kernel.sh | awk '{print $1}';
	  echo "linux-source-6.1 $ver"; } | sha256sum | cut -c1-16)
dir=$MICROVM_CACHE/kernel-$hash

exec 9>"$MICROVM_CACHE/kernel-$hash.lock"
flock 9
if [ -f "$dir/vmlinux" ]; then
	log "kernel cached: $dir/vmlinux (linux-source-6.1 $ver)"
	publish "$dir/vmlinux" "$out/vmlinux"
	exit 0
fi

start=$(date +%s)
work=$(mktemp -d "$MICROVM_CACHE/kbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "extracting linux-source-6.1 $ver into $work"
# Only what an x86 build needs: no Documentation (but its Kconfig), no other architectures (but
# their crypto/Kconfig, which crypto/Kconfig sources).
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
	tar -xJ -C "$work" --wildcards --no-wildcards-match-slash \
		--exclude='linux-source-6.1/Documentation/[!K]*' \
		--exclude='linux-source-6.1/arch/[!xK]*/[!c]*' \
		--exclude='linux-source-6.1/arch/xtensa' \
		--exclude='linux-source-6.1/tools/testing' \
		--exclude='linux-source-6.1/tools/perf'
src=$work/linux-source-6.1
for p in guest/kernel/*.diff; do
	log "applying $p"
	patch -s -p1 -d "$src" < "$p"
done

log "configuring (tinyconfig + $frag)"
make -s -C "$src" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$frag" >/dev/null
make -s -C "$src" olddefconfig >/dev/null
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
[ "$bad" = 0 ] || die "kernel config does not match $frag (fix the fragment)"

# -mstringop-strategy=rep_8byte: GCC expands memset/memcpy of unknown size inline as a byte-wise
# `rep stosb`/`rep movsb` (clear_bss alone: 726 KB), and this CI's KVM emulates every iteration of
# a rep string instruction in guest kernel mode; rep stosq/movsq does 8 bytes per iteration.
kcflags="-mstringop-strategy=rep_8byte"
log "building vmlinux (make -j$jobs, KCFLAGS=$kcflags)"
make -s -C "$src" -j"$jobs" KBUILD_BUILD_HOST=microvm KBUILD_BUILD_USER=guest-kit \
	KCFLAGS="$kcflags" vmlinux
mkdir -p "$dir.tmp"
cp "$src/vmlinux" "$dir.tmp/vmlinux"
cp "$src/.config" "$dir.tmp/config"
echo "linux-source-6.1 $ver" > "$dir.tmp/version"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
end=$(date +%s)
echo "$((end - start))" > "$dir/build-seconds"
log "kernel built in $((end - start)) s: $dir/vmlinux ($(stat -c %s "$dir/vmlinux") bytes)"
publish "$dir/vmlinux" "$out/vmlinux"
