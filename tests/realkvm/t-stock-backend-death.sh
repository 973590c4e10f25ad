#!/usr/bin/env bash
# The back-end killed under I/O with the stock kernel: the VMM stays up, the guest sees
# DEVICE_NEEDS_RESET, virtio-blk keeps working (checksum vs the host, a write the host finds):
# tests/integration/42-vhost-user-death-linux.sh on the stock ELF vmlinux kit.
source "$(dirname "$0")/lib.sh"
require_stock_kit
LINUX_KIT=stock-elf exec bash "$ROOT/tests/integration/42-vhost-user-death-linux.sh"
