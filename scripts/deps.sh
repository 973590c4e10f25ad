#!/usr/bin/env bash
# Installs the Debian 12 packages microvm needs to build, test and boot its guest kit.
# Idempotent: only missing packages are installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
	build-essential pkg-config check libseccomp-dev libfdt-dev       # build + unit tests
	clang libclang-rt-14-dev valgrind                                # fuzzing, sanitizers, memcheck
	qemu-system-x86 qemu-system-common                               # peer for benchmarks, virtiofsd
	busybox-static cpio                                              # initramfs
	flex bison bc libelf-dev libssl-dev dwarves xz-utils kmod        # kernel build
	zstd lz4                                                         # stock kernel payloads (common.sh: vmlinux extraction)
	python3 ca-certificates gdb                                      # tests (70-seccomp-profiles drives gdb)
	libmicrohttpd-dev libjson-c-dev libcurl4-openssl-dev curl        # control API (src/api/), its tests
	acpica-tools                                                     # iasl: test_acpi disassembles the ACPI tables
	zlib1g-dev device-tree-compiler                                  # arm64 Image.gz (zlib), test_fdt runs dtc
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross  # make ARCH=arm64
	qemu-system-arm                                                  # the arm64 lane (L1 under TCG)
	dpdk-dev librte-net-vhost23                                      # dpdk-testpmd + vhost PMD: vhost-user-net back-end in tests
	liburing-dev fio                                                 # virtio-blk io_uring back-end; its bench's O_DIRECT ceiling
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
