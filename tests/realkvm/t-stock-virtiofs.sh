#!/usr/bin/env bash
# virtio-fs through Debian's /usr/lib/qemu/virtiofsd with the stock kernel's virtiofs module:
# tests/integration/41-vhost-user-linux-virtiofs.sh on the stock bzImage kit.
source "$(dirname "$0")/lib.sh"
require_stock_kit
LINUX_KIT=stock exec bash "$ROOT/tests/integration/41-vhost-user-linux-virtiofs.sh"
