#!/bin/bash
# Stock Debian kernel kit (for hardware KVM): linux-image-amd64 -> the real linux-image-6.1.0-NN-amd64
# -> OUTDIR/vmlinuz (bzImage), OUTDIR/vmlinux (the ELF kernel from the bzImage's payload) and
# OUTDIR/initramfs.cpio.gz (the normal initramfs plus the virtio, virtiofs and fuse modules and
# their dependencies, loaded by /init in order).
# The extracted kernel is cached in $MICROVM_CACHE/stock-<image package>_<version>/.
# usage: guest/scripts/build-stock.sh OUTDIR [META]   (META: linux-image-amd64 (default) or
#        linux-image-cloud-amd64)
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/guest/stock}
meta=${2:-linux-image-amd64}
want_mods="virtio virtio_ring virtio_pci virtio_blk virtio_net virtio_console fuse virtiofs"
cache_init

debian_kernel "$meta"
module_closure $want_mods
extra=$(mktemp -d "${TMPDIR:-/tmp}/microvm-stock.XXXXXX")
trap 'rm -rf "$extra"' EXIT
install_modules "$extra"
log "stock kernel $KVER, modules: $(tr '\n' ' ' < "$extra/etc/modules.order")"

mkdir -p "$out"
if [ ! -f "$KROOT/boot/vmlinux-$KVER" ]; then
	extract_vmlinux "$KROOT/boot/vmlinuz-$KVER" "$KROOT/boot/vmlinux-$KVER"
fi
cp "$KROOT/boot/vmlinuz-$KVER" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
cp "$KROOT/boot/vmlinux-$KVER" "$out/vmlinux.tmp" && mv -f "$out/vmlinux.tmp" "$out/vmlinux"
echo "$KVER" > "$out/version"
guest/scripts/build-initramfs.sh "$out/initramfs.cpio.gz" "$extra"
