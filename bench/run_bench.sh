#!/usr/bin/env bash
# `make bench`: every benchmark, side by side with its peer where the issue asks for one.
# Host-side numbers are meaningful on this machine; guest-kernel-side ones are not (BRIEF s.6).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-10}
T="$BUILD/bench/cmd_timer"
TG="$BUILD/tests/guest/testguest.elf"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

med() { sed -n -E "s/^median: .*$1=([0-9.]+).*/\\1/p" "$2"; }
ratio() { # b/a, or "-" unless both are positive numbers
	awk -v a="$1" -v b="$2" 'BEGIN { n = "^[0-9]+([.][0-9]+)?$"
		if (a ~ n && b ~ n && a + 0 > 0 && b + 0 > 0) printf "%.2fx", b / a; else print "-" }'
}

echo "## Boot: freestanding test guest (PVH), median of $RUNS runs"
cat >"$TMP/tg.toml" <<EOT
[machine]
memory = "128M"
vcpus = 1
[kernel]
path = "$PWD/$TG"
cmdline = ""
EOT
"$T" -n "$RUNS" -m "TESTGUEST done" -- "$BUILD/microvm" run --config "$TMP/tg.toml" >"$TMP/mv" 2>&1
for i in $(seq 1 5); do "$BUILD/microvm" run --config "$TMP/tg.toml" -v </dev/null 2>&1 >/dev/null |
	sed -n -E 's/.*memory: vmm ([0-9]+) KiB.*/\1/p'; done | sort -n | sed -n 3p >"$TMP/vmmkib"
qemu_ok=1
"$T" -n "$RUNS" -m "TESTGUEST done" -- qemu-system-x86_64 -M microvm -enable-kvm -m 128M -nographic \
	-no-reboot -nodefaults -serial stdio -kernel "$TG" -append "exit=debugport" \
	-device isa-debug-exit,iobase=0xf4 >"$TMP/qemu" 2>&1 || qemu_ok=0
printf "%-34s %12s %12s %8s\n" "metric" "microvm" "qemu-microvm" "ratio"
for k in first_byte_ms exit_ms maxrss_kib; do
	a=$(med "$k" "$TMP/mv"); b=$(med "$k" "$TMP/qemu")
	[ "$qemu_ok" = 1 ] || b="failed"
	printf "%-34s %12s %12s %8s\n" "$k" "$a" "$b" "$(ratio "$a" "$b")"
done
printf "%-34s %12s %12s\n" "vmm_rss_excl_guest_ram_kib" "$(cat "$TMP/vmmkib")" "-"
[ "$qemu_ok" = 1 ] || { echo "qemu runs:"; grep -E '^run|error' "$TMP/qemu" | head -5; }
echo

echo "## Boot: Linux guest kit (microvm kernel + initramfs, microvm.test=boot), median of ${LINUX_RUNS:-5} runs"
KERNEL=build/guest/vmlinux; INITRD=build/guest/initramfs.cpio
CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"/\1/p' configs/default.toml)
# microvm adds the kvm_pvm recipe itself (host_quirks = "auto"); QEMU gets the same words.
[ ! -d /sys/module/kvm_pvm ] ||
	CMDLINE="$CMDLINE noxsave clearcpuid=59,151,141,145,298,297,580,534,312,308,295,288"
if [ -e "$KERNEL" ] && [ -e "$INITRD" ]; then
	"$T" -n "${LINUX_RUNS:-5}" -m "MICROVM-TEST-DONE" -- timeout 300 "$BUILD/microvm" run \
		--config configs/default.toml --append "microvm.test=boot" >"$TMP/lmv" 2>&1
	for i in 1 2 3; do timeout 300 "$BUILD/microvm" run --config configs/default.toml \
		--append "microvm.test=boot" -v </dev/null 2>&1 >/dev/null |
		sed -n -E 's/.*init reached after ([0-9.]+) ms.*/\1/p'; done | sort -n | sed -n 2p >"$TMP/linit"
	# One probe first: where QEMU cannot boot this kernel (hosts whose KVM emulates kernel mode
	# stop it at the kernel's int3 self-test), do not spend minutes on timeouts.
	qemu_ok=1
	qemu=(qemu-system-x86_64 -M microvm -enable-kvm -m 256M -nographic -no-reboot -nodefaults
		-serial stdio -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE microvm.test=boot")
	if ! "$T" -n 1 -m "MICROVM-TEST-DONE" -- timeout 60 "${qemu[@]}" >"$TMP/lq" 2>&1; then
		qemu_ok=0
		# QEMU's stderr went to the same file as cmd_timer's report.
		grep -m1 -E 'KVM internal error|emulation failure|error' "$TMP/lq" >"$TMP/lqwhy"
		grep -m1 -E '^Code=' "$TMP/lq" | cut -c1-80 >>"$TMP/lqwhy"
	else
		"$T" -n "${LINUX_RUNS:-5}" -m "MICROVM-TEST-DONE" -- timeout 300 "${qemu[@]}" >"$TMP/lq" 2>&1 ||
			qemu_ok=0
	fi
	printf "%-34s %12s %12s %8s\n" "metric" "microvm" "qemu-microvm" "ratio"
	printf "%-34s %12s %12s %8s\n" "start_to_init_marker_ms" "$(cat "$TMP/linit")" "-" "-"
	for k in first_byte_ms exit_ms maxrss_kib; do
		a=$(med "$k" "$TMP/lmv"); b=$(med "$k" "$TMP/lq")
		[ "$qemu_ok" = 1 ] || b="could-not-boot"
		printf "%-34s %12s %12s %8s\n" "$k" "$a" "$b" "$(ratio "$a" "$b")"
	done
	if [ "$qemu_ok" != 1 ]; then
		echo "QEMU could not boot this kernel on this host (no init marker within 60 s):"
		sed 's/^/    /' "$TMP/lqwhy"
	fi
	echo "(first_byte is the first console byte: with 'quiet' that is the init marker line)"
else
	echo "guest kit not built (make guest-kit)"
fi
echo

for b in "$BUILD"/bench/*; do
	name=$(basename "$b")
	case "$name" in cmd_timer|*.o|*.d) continue ;; esac
	[ -x "$b" ] || continue
	echo "## $name"
	"$b" || echo "($name failed with status $?)"
	echo
done
for s in bench/*.sh; do
	[ "$s" = bench/run_bench.sh ] && continue
	[ -x "$s" ] || continue
	echo "## $(basename "$s" .sh)"
	BUILD=$BUILD "$s" || echo "($s failed with status $?)"
	echo
done
