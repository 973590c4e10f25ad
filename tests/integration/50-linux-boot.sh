#!/usr/bin/env bash
# Boots the microvm guest kernel + initramfs of configs/default.toml with microvm.test=boot:
# the guest reaches /init, prints its kernel version, sees the configured RAM and the PCI bus,
# prints PASS lines and resets; microvm exits 0. Builds the guest kit first if needed (cached).
source "$(dirname "$0")/lib.sh"
require_kvm
# ~8-40 s on this CI's nested KVM depending on load (guest kernel mode is emulated); well under
# 1 s on hardware KVM.
T=${LINUX_BOOT_TIMEOUT:-150}
MEM_MB=256

make -s -C "$ROOT" guest-kit >"$TMP/guest-kit.log" 2>&1 ||
	{ tail -n 30 "$TMP/guest-kit.log"; fail "make guest-kit failed"; }
kver=$(strings -n 8 "$ROOT/build/guest/vmlinux" 2>/dev/null |
	sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -n 1)
[ -n "$kver" ] || fail "cannot read the kernel version from build/guest/vmlinux"

# The default config, with absolute paths and the boot test appended to its command line.
sed -e "s|\"\.\./|\"$ROOT/|" \
    -e "s|^memory = .*|memory = \"${MEM_MB}M\"|" \
    -e "s|^\(cmdline = \".*\)\"$|\1 microvm.test=boot microvm.boot.mem_mb=$MEM_MB\"|" \
    "$ROOT/configs/default.toml" >"$TMP/vm.toml"
grep -q 'microvm.test=boot' "$TMP/vm.toml" || fail "could not derive a config from configs/default.toml"

start=$(date +%s%N)
run_vm linux-boot "$T" run --config "$TMP/vm.toml" --verbose
ms=$((($(date +%s%N) - start) / 1000000))
expect_console 'MICROVM-INIT-START'
expect_console "^kernel: $kver"
mem_kb=$(console_value '^MemTotal: ([0-9]+) kB.*')
[ -n "$mem_kb" ] || fail "no MemTotal line"
# MemTotal = RAM minus the kernel image and reserved memory: within 64 MiB below the config.
[ "$mem_kb" -le $((MEM_MB * 1024)) ] && [ "$mem_kb" -ge $(((MEM_MB - 64) * 1024)) ] ||
	fail "MemTotal $mem_kb kB is not close to ${MEM_MB} MiB"
expect_console '^PASS: kernel version'
expect_console "^PASS: MemTotal .* close to $MEM_MB MiB"
expect_console '^PASS: pci bus'
expect_no_console '^FAIL'
expect_console 'MICROVM-TEST-DONE'
expect_status 0
# The init's write to the boot-timer port is timestamped by microvm (--verbose).
expect_err 'guest init reached after [0-9]+\.[0-9]+ ms'
echo "$(grep -o 'guest init reached after [0-9.]* ms' "$LAST.err")"
init_ms=$(sed -n 's/.*guest init reached after \([0-9.]*\) ms.*/\1/p' "$LAST.err" | head -n 1)
pass "Linux $kver booted to init${init_ms:+ in $init_ms ms}, MemTotal $mem_kb kB, exit 0 after ${ms} ms"
