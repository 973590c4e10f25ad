# Helpers for the real-KVM lane's stock-guest tests (source it; it sources the integration lib).
# STOCK_BZ / STOCK_ELF / STOCK_INITRD: Debian's stock kernel kit (make guest-kit-stock).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
STOCK_DIR="$GUEST_KIT/stock"
STOCK_BZ="$STOCK_DIR/vmlinuz"
STOCK_ELF="$STOCK_DIR/vmlinux"
STOCK_INITRD="$STOCK_DIR/initramfs.cpio.gz"
STOCK_CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' "$ROOT/configs/linux-stock.toml")
# Generous: a stock boot is 16-33 s in the lane when the host is idle, ~2x when it is busy.
STOCK_TIMEOUT=${STOCK_TIMEOUT:-300}

require_stock_kit() {
	require_kvm
	for f in "$STOCK_BZ" "$STOCK_ELF" "$STOCK_INITRD"; do
		[ -f "$f" ] || fail "$f missing: make guest-kit-stock"
	done
}

# host_flags: the CPU flags of the host (L1 in the lane), one line.
host_flags() { sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n1; }
