#!/usr/bin/env bash
# The test guest boots through both entry paths (PVH and the 64-bit boot protocol), sees the
# configured RAM in its e820 map, the vCPU count in the MP table, and its command line intact.
source "$(dirname "$0")/lib.sh"
require_kvm

for guest in "$TESTGUEST" "$TESTGUEST64"; do
	[ -f "$guest" ] || fail "$guest is not built"
	proto=pvh; [ "$guest" = "$TESTGUEST64" ] && proto=linux64
	for vcpus in 1 2 4; do
		for mem in 64M 256M; do
			cmdline="test=memtest marker=\"a b\" x=1,2,3 ümlaut"
			MEMORY=$mem VCPUS=$vcpus CMDLINE='test=memtest' write_config "$TMP/vm.toml" "$guest"
			run_vm "boot-$proto-$vcpus-$mem" 30 run --config "$TMP/vm.toml" --cmdline "$cmdline"
			expect_status 0
			expect_console "^TESTGUEST boot=$proto"
			expect_console "^mptable: cpus=$vcpus ioapic=yes"
			bytes=$(console_value '^ram: ([0-9]+).*')
			want=$(numfmt --from=iec "$mem")
			# e820 RAM = configured RAM minus the EBDA/BIOS hole below 1 MiB.
			[ -n "$bytes" ] && [ "$bytes" -le "$want" ] && [ "$bytes" -ge $((want - 0x60400)) ] ||
				fail "e820 RAM $bytes does not match memory $mem ($want)"
			grep -Fq "cmdline: $cmdline" "$LAST.console" || fail "command line not intact"
			expect_console '^PASS: memtest'
			expect_console '^TESTGUEST done'
			pass "$proto vcpus=$vcpus memory=$mem"
		done
	done
done
