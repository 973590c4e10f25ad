#!/usr/bin/env bash
# virtio-net over a TAP with the stock kernel's virtio_net module (+ net_failover, failover via
# the kit's module closure): tests/integration/32-net-linux.sh on the stock bzImage kit.
source "$(dirname "$0")/lib.sh"
require_stock_kit
LINUX_KIT=stock exec bash "$ROOT/tests/integration/32-net-linux.sh"
