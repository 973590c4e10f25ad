#!/bin/bash
# The real-KVM lane's L1 kit, from Debian packages only (apt-get download + dpkg-deb -x):
# Debian's stock kernel (linux-image-amd64), its kvm/kvm-amd, 9p, virtio-pci, overlay and tun modules
# (dependencies from each module's .modinfo), busybox-static and tests/realkvm/l1-init as /init.
# Cached in $MICROVM_CACHE/l1-<hash of the inputs>/ {vmlinuz, l1.cpio}; published as OUTDIR/vmlinuz
# and OUTDIR/l1.cpio (symlinks).
# usage: tests/realkvm/build-l1.sh [OUTDIR]   (default build/realkvm)
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/realkvm}
mods="irqbypass kvm ccp kvm-amd netfs fscache 9pnet 9p virtio_ring virtio virtio_pci 9pnet_virtio overlay tun"
cache_init

debian_kernel linux-image-amd64
bb=$(fetch_deb busybox-static)
key=$( { echo "$KPKG $(basename "$bb") $mods"; cat tests/realkvm/build-l1.sh tests/realkvm/l1-init \
	guest/scripts/common.sh; } | sha256sum | cut -c1-16)
dir=$MICROVM_CACHE/l1-$key
if [ ! -f "$dir/l1.cpio" ]; then
	log "building the L1 kit $key ($KPKG)"
	module_closure $mods
	stage=$(mktemp -d "${TMPDIR:-/tmp}/microvm-l1.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	root=$stage/root
	mkdir -p "$stage/deb" "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,host,newroot}
	dpkg-deb -x "$bb" "$stage/deb"
	cp "$stage/deb/bin/busybox" "$root/bin/busybox"
	for applet in $("$root/bin/busybox" --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	install -m 0755 tests/realkvm/l1-init "$root/init"
	install_modules "$root"
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || log "mknod /dev/console failed (not root?)"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) > "$dir.tmp/l1.cpio"
	cp "$KROOT/boot/vmlinuz-$KVER" "$dir.tmp/vmlinuz"
	echo "$KVER" > "$dir.tmp/version"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	log "L1 kit $dir: modules $(tr '\n' ' ' < "$root/etc/modules.order")"
fi
publish "$dir/vmlinuz" "$out/vmlinuz"
publish "$dir/l1.cpio" "$out/l1.cpio"
publish "$dir/version" "$out/version"
