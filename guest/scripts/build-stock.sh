#!/bin/bash
# Stock Debian kernel kit (for hardware KVM): linux-image-amd64 -> the real linux-image-6.1.0-NN-amd64
# -> OUTDIR/vmlinuz (bzImage) + OUTDIR/initramfs.cpio.gz (the normal initramfs plus the virtio,
# virtiofs and fuse modules and their dependencies from modules.dep, loaded by /init in order).
# The extracted kernel is cached in $MICROVM_CACHE/stock-<image package>_<version>/.
# usage: guest/scripts/build-stock.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/guest/stock}
want_mods="virtio virtio_ring virtio_pci virtio_blk virtio_net virtio_console fuse virtiofs"
cache_init

meta=$(fetch_deb linux-image-amd64)
img=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*-amd64\).*/\1/p' | head -n1)
[ -n "$img" ] || die "cannot resolve the kernel package from $(basename "$meta")"
deb=$(fetch_deb "$img")
ver=$(dpkg-deb -f "$deb" Version)
dir=$MICROVM_CACHE/stock-${img}_$ver
if [ ! -d "$dir/root" ]; then
	log "extracting $img $ver"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/root"
	dpkg-deb -x "$deb" "$dir.tmp/root"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
kdir=$(echo "$dir"/root/lib/modules/*)
kver=${kdir##*/}
# Dependency closure, in load order (dependencies first). Debian's package ships no modules.dep
# (depmod runs at install time), so the dependencies come from each module's .modinfo "depends=".
declare -A path_of seen
while IFS= read -r p; do
	name=${p##*/}; name=${name%%.ko*}
	path_of[${name//-/_}]=${p#$kdir/}
done < <(find "$kdir/kernel" -name '*.ko*')
ko_cat() {
	case "$1" in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac
}
order=()
visit() {
	local name=${1//-/_} p dep
	[ -z "${seen[$name]:-}" ] || return 0
	seen[$name]=1
	p=${path_of[$name]:-}
	if [ -z "$p" ]; then
		grep -q "/$1.ko" "$kdir/modules.builtin" 2>/dev/null && { log "$1 is built in"; return 0; }
		die "module $1 not found in $kver"
	fi
	for dep in $(ko_cat "$kdir/$p" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		visit "$dep"
	done
	order+=("$p")
}
for m in $want_mods; do
	visit "$m"
done

extra=$(mktemp -d "${TMPDIR:-/tmp}/microvm-stock.XXXXXX")
trap 'rm -rf "$extra"' EXIT
mkdir -p "$extra/lib/modules" "$extra/etc"
: > "$extra/etc/modules.order"
for p in "${order[@]}"; do
	f=$(basename "$p")
	f=${f%.xz}; f=${f%.zst}
	ko_cat "$kdir/$p" > "$extra/lib/modules/$f"
	echo "$f" >> "$extra/etc/modules.order"
done
log "stock kernel $kver, modules: $(tr '\n' ' ' < "$extra/etc/modules.order")"

mkdir -p "$out"
cp "$dir/root/boot/vmlinuz-$kver" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$kver" > "$out/version"
guest/scripts/build-initramfs.sh "$out/initramfs.cpio.gz" "$extra"
