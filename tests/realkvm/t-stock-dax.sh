#!/usr/bin/env bash
# virtio-fs DAX through microvm-virtiofsd with the stock modules (mount -o dax=always shows dax,
# a host file's checksum matches, a shared-mmap write reaches the host, a file the host rewrote
# after the mount reads back new, zero live mappings at exit):
# tests/integration/60-virtiofsd-dax-linux.sh on the stock ELF vmlinux kit.
source "$(dirname "$0")/lib.sh"
require_stock_kit
LINUX_KIT=stock-elf exec bash "$ROOT/tests/integration/60-virtiofsd-dax-linux.sh"
