#!/bin/bash
# Builds the guest initramfs (newc cpio; gzip-compressed when OUT ends in .gz): busybox-static from Debian, guest/init/init.c
# compiled freestanding as /init and guest/init/init.sh as /lib/init.sh (its shell stage),
# guest/tests/*.sh in /tests, guest/tools/*.c compiled freestanding (gcc -nostdlib).
# The uncompressed archive is what configs/default.toml boots: on a KVM that emulates guest kernel
# mode, inflating 1 MB of gzip takes minutes of emulated kernel time; copying 2 MB does not.
# usage: guest/scripts/build-initramfs.sh OUT.cpio[.gz] [EXTRA_ROOT_DIR]
#   EXTRA_ROOT_DIR is copied over the root (the stock kit adds /lib/modules and /etc/modules.order).
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:?usage: build-initramfs.sh OUT.cpio[.gz] [EXTRA_ROOT_DIR]}
extra=${2:-}
cache_init

deb=$(fetch_deb busybox-static)
stage=$(mktemp -d "${TMPDIR:-/tmp}/microvm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$stage/deb" "$root"/{bin,dev,proc,sys,tmp,mnt,etc,lib,tests,root}
dpkg-deb -x "$deb" "$stage/deb"
cp "$stage/deb/bin/busybox" "$root/bin/busybox"
# No applet links: busybox-static's shell runs its applets without them (FEATURE_SH_STANDALONE),
# and unpacking its ~270 links cost the kernel 8.8 M emulated instructions, 23% of the boot to
# init here (guest/README.md). /bin/sh is the one path the kernel and the scripts exec.
ln -s busybox "$root/bin/sh"
env -i PATH=/nonexistent "$root/bin/busybox" sh -c 'sha256sum /dev/null' >/dev/null ||
	die "busybox-static no longer runs applets without links (FEATURE_SH_STANDALONE)"

gcc -static -nostdlib -ffreestanding -fno-stack-protector -Os -s -Wall -Wextra -Werror \
	-o "$root/init" guest/init/init.c
install -m 0755 guest/init/init.sh "$root/lib/init.sh"
install -m 0644 guest/init/microvm.sh "$root/lib/microvm.sh"
install -m 0644 guest/init/profile "$root/etc/profile"
install -m 0644 guest/tests/*.sh "$root/tests/"
for c in guest/tools/*.c; do
	gcc -static -nostdlib -ffreestanding -fno-stack-protector -Os -s -Wall -Wextra -Werror -Isrc \
		-o "$root/bin/$(basename "$c" .c)" "$c"
done
# The kernel opens /dev/console before running /init; devtmpfs is mounted by /init afterwards.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || log "mknod /dev/console failed (not root?)"
[ -z "$extra" ] || cp -a "$extra/." "$root/"

mkdir -p "$(dirname "$out")"
case "$out" in
*.gz) compress="gzip -9n" ;;
*) compress=cat ;;
esac
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | $compress > "$out.tmp"
mv -f "$out.tmp" "$out"
log "initramfs $out: $(stat -c %s "$out") bytes"
