#!/bin/bash
# The arm64 lane's kit, from Debian arm64 packages only, fetched without touching the host's apt
# state (a private lists/cache dir, APT::Architecture=arm64, no lock; BRIEF s.8) and unpacked
# with dpkg-deb -x: linux-image-arm64's kernel (an uncompressed arm64 Image with an EFI stub,
# used for L1 and L2), its virtio-pci/virtio-blk/virtiofs modules (for L2), busybox-static and
# linux-libc-dev (the arm64 KVM headers tests/arm64/kvm-probe.c is built against, freestanding,
# with aarch64-linux-gnu-gcc); the DAX L2 kernel comes from tests/arm64/build-dax-kernel.sh.
# Cached in $MICROVM_CACHE/arm64-l1-<hash of the inputs>/:
#   Image       the kernel (L1 and L2)
#   base.cpio   L1's initramfs without the per-run part: busybox, /init (l1-init), /bin/kvm-probe,
#               /lane/Image, /lane/l2.cpio (busybox, the modules, l2-init as /init)
#   l2-config   FUSE_DAX=y|n, what the stock L2 kernel can do; DAX_KERNEL_FUSE_DAX=y and
#               DAX_KERNEL_ID (which kernel is /lane/Image-dax)
#   also in base.cpio: /lane/Image-dax + /lane/l2-dax.cpio, t-virtiofs-dax's L2: an arm64 Image
#               with FUSE_DAX built from Debian's linux-source-6.1 (tests/arm64/build-dax-kernel.sh,
#               tests/arm64/l2-dax.config; cached apart) and its initramfs without modules but
#               with /bin/l2-mmap (tests/arm64/l2-mmap.c)
# Published as OUTDIR/{Image,base.cpio,l2-config,version}. The per-run part (the arm64 microvm
# builds, the tests, the plan) is appended by run.sh as a second cpio archive.
# usage: tests/arm64/build-kit.sh [OUTDIR]   (default build/arm64/lane)
set -euo pipefail
cd "$(dirname "$0")/../.."
. guest/scripts/common.sh

out=${1:-build/arm64/lane}
l2mods="virtio_pci virtio_blk virtiofs"
cache_init
apt_dir=$MICROVM_CACHE/arm64-apt
debs=$MICROVM_CACHE/arm64-debs
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$debs"
A=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
   -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1)

# The arm64 lists: refreshed once a day (offline: the cached debs are used).
if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
	log "apt-get update (arm64, private state in $apt_dir)"
	apt-get "${A[@]}" update -qq >&2 || log "arm64 apt-get update failed"
fi

a64_candidate() {
	apt-cache "${A[@]}" policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }' |
		sed 's/^(none)$//'
}
a64_cached() { # PKG [VERSION]: a cached arm64 .deb of PKG (at VERSION)
	local f
	for f in "$debs/$1"_*_arm64.deb; do
		[ -f "$f" ] || continue
		[ "$(dpkg-deb -f "$f" Package)" = "$1" ] && [ "$(dpkg-deb -f "$f" Architecture)" = arm64 ] &&
			{ [ -z "${2:-}" ] || [ "$(dpkg-deb -f "$f" Version)" = "$2" ]; } && echo "$f"
	done | tail -n1
}
a64_fetch() { # PKG: prints the path of its arm64 .deb (downloaded once)
	local ver deb
	ver=$(a64_candidate "$1")
	deb=$(a64_cached "$1" "$ver")
	if [ -z "$deb" ] && [ -n "$ver" ]; then
		log "downloading $1 $ver (arm64)"
		(cd "$debs" && apt-get "${A[@]}" download -q "$1=$ver" 2>&1 |
			grep -v 'Download is performed unsandboxed' >&2) || log "download of $1 failed"
		deb=$(a64_cached "$1" "$ver")
	fi
	[ -n "$deb" ] || deb=$(a64_cached "$1")
	[ -n "$deb" ] || die "cannot get the arm64 package $1 (no network and no cached copy)"
	echo "$deb"
}

meta=$(a64_fetch linux-image-arm64)
img=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' |
	sed -n 's/^ *\(linux-image-[0-9][^ ]*-arm64\).*/\1/p' | head -n1)
[ -n "$img" ] || die "cannot resolve the kernel package from $(basename "$meta")"
kdeb=$(a64_fetch "$img")
KPKG=${img}_$(dpkg-deb -f "$kdeb" Version)
kdir=$MICROVM_CACHE/stock-$KPKG
if [ ! -d "$kdir/root" ]; then
	log "extracting $KPKG"
	rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp/root"
	dpkg-deb -x "$kdeb" "$kdir.tmp/root"
	rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
fi
KROOT=$kdir/root
KDIR=$(echo "$KROOT"/lib/modules/*)
KVER=${KDIR##*/}
bb=$(a64_fetch busybox-static)
hdr=$(a64_fetch linux-libc-dev)
# t-virtiofs-dax's L2 kernel, built from Debian's linux-source-6.1 (cached by its own hash).
daxk=$(tests/arm64/build-dax-kernel.sh "$out/dax-kernel" | tail -n1)
[ -f "$daxk/Image" ] || die "no arm64 DAX kernel (tests/arm64/build-dax-kernel.sh)"

key=$( { echo "$KPKG $(basename "$bb") $(basename "$hdr") $l2mods ${daxk##*/}"
	cat tests/arm64/build-kit.sh tests/arm64/l1-init tests/arm64/l2-init tests/arm64/kvm-probe.c \
		tests/arm64/l2-mmap.c tests/arm64/sys.h guest/scripts/common.sh; } | sha256sum | cut -c1-16)
dir=$MICROVM_CACHE/arm64-l1-$key
if [ ! -f "$dir/base.cpio" ]; then
	log "building the arm64 lane kit $key ($KPKG)"
	kimg=$KROOT/boot/vmlinuz-$KVER
	# Debian's arm64 vmlinuz is an uncompressed Image: "ARM\x64" at offset 56.
	[ "$(dd if="$kimg" bs=1 skip=56 count=4 2>/dev/null | od -An -tx1 | tr -d ' ')" = 41524d64 ] ||
		die "$kimg is not an uncompressed arm64 Image"
	module_closure $l2mods
	stage=$(mktemp -d "${TMPDIR:-/tmp}/microvm-a64.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	dpkg-deb -x "$bb" "$stage/bb"
	newroot() { # DIR INIT: busybox (applets installed by /init at boot) and INIT as /init
		mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,mnt}
		cp "$stage/bb/bin/busybox" "$1/bin/busybox"
		ln -s busybox "$1/bin/sh"
		install -m 0755 "$2" "$1/init"
		mknod -m 600 "$1/dev/console" c 5 1 2>/dev/null || log "mknod /dev/console failed (not root?)"
	}
	mkcpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible); }
	newroot "$stage/l2" tests/arm64/l2-init
	install_modules "$stage/l2"
	newroot "$stage/l1" tests/arm64/l1-init
	dpkg-deb -x "$hdr" "$stage/hdr"
	inc=$stage/hdr/usr/include
	# freestanding SRC OUT: a static aarch64 program without libc, against the arm64 UAPI headers.
	freestanding() {
		aarch64-linux-gnu-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding \
			-fno-stack-protector -fno-pie -no-pie -static -nostdlib -nostdinc \
			-isystem "$(aarch64-linux-gnu-gcc -print-file-name=include)" -isystem "$inc" \
			-isystem "$inc/aarch64-linux-gnu" "$1" -o "$2"
	}
	freestanding tests/arm64/kvm-probe.c "$stage/l1/bin/kvm-probe" ||
		die "cannot build kvm-probe (gcc-aarch64-linux-gnu: scripts/deps.sh)"
	mkdir -p "$stage/l2dax/bin"
	freestanding tests/arm64/l2-mmap.c "$stage/l2dax/bin/l2-mmap" || die "cannot build l2-mmap"
	mkdir -p "$stage/l1/lane"
	mkcpio "$stage/l2" >"$stage/l1/lane/l2.cpio"
	cp "$kimg" "$stage/l1/lane/Image"
	# The DAX kernel's initramfs: the same /init and l2-mmap, no modules (all built in).
	newroot "$stage/l2dax" tests/arm64/l2-init
	: >"$stage/l2dax/etc/modules.order"
	mkcpio "$stage/l2dax" >"$stage/l1/lane/l2-dax.cpio"
	cp "$daxk/Image" "$stage/l1/lane/Image-dax"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	mkcpio "$stage/l1" >"$dir.tmp/base.cpio"
	cp "$kimg" "$dir.tmp/Image"
	if grep -q '^CONFIG_FUSE_DAX=y' "$KROOT/boot/config-$KVER"; then dax=y; else dax=n; fi
	grep -q '^CONFIG_FUSE_DAX=y' "$daxk/config" || die "$daxk/config has no CONFIG_FUSE_DAX=y"
	{
		echo "FUSE_DAX=$dax"
		echo "DAX_KERNEL_FUSE_DAX=y"
		echo "DAX_KERNEL_ID='${daxk##*/}: $(cat "$daxk/version") + tests/arm64/l2-dax.config'"
	} >"$dir.tmp/l2-config"
	printf '%s\nL2 DAX kernel: %s (%s)\n' "$KPKG" "${daxk##*/}" "$(cat "$daxk/version")" \
		>"$dir.tmp/version"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	log "arm64 kit $dir: L2 modules $(tr '\n' ' ' <"$stage/l2/etc/modules.order"), FUSE_DAX=$dax;" \
		"DAX L2 kernel ${daxk##*/} ($(stat -c %s "$daxk/Image") bytes)"
fi
for f in Image base.cpio l2-config version; do
	publish "$dir/$f" "$out/$f"
done
