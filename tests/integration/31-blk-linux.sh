#!/usr/bin/env bash
# Linux guest + virtio-blk ([[disk]]): the guest sees the virtio-blk PCI function (1af4:1042),
# reads /dev/vda and gets the bytes the host wrote (sha256 of the first 4 KiB), writes a
# pattern that the host then finds in the image after exit; a read-only disk refuses the write
# and the image is unchanged. Builds the guest kit first if needed (cached).
source "$(dirname "$0")/lib.sh"
require_kvm
# Generous: a boot takes ~10 s on an idle host, minutes on a loaded 2-core CI box (BRIEF s.6).
T=${LINUX_BOOT_TIMEOUT:-300}
OFF=1234567
PAT=MICROVM-BLK-$$-PATTERN

make -s -C "$ROOT" guest-kit >"$TMP/guest-kit.log" 2>&1 ||
	{ tail -n 30 "$TMP/guest-kit.log"; fail "make guest-kit failed"; }

python3 -c "import os,sys; open(sys.argv[1],'wb').write(os.urandom(8 << 20))" "$TMP/disk.img"
want=$(head -c 4096 "$TMP/disk.img" | sha256sum | cut -d' ' -f1)

# configs/default.toml with absolute paths, the test on the command line and a disk.
linux_config() {
	local out=$1 args=$2; shift 2
	sed -e "s|\"\.\./|\"$ROOT/|" \
	    -e "s|^\(cmdline = \".*\)\"$|\1 $args\"|" \
	    "$ROOT/configs/default.toml" >"$out"
	for l in "$@"; do echo "$l" >>"$out"; done
}

linux_config "$TMP/rw.toml" \
	"microvm.test=blk microvm.blk.offset=$OFF microvm.blk.pattern=$PAT" \
	'[[disk]]' "path = \"$TMP/disk.img\"" 'id = "microvm-disk0"'
run_vm rw "$T" run --config "$TMP/rw.toml"
expect_console '^PASS: block device /dev/vda present'
expect_console "^blk: first 4 KiB sha256 $want"
# the minimal split ring by default: RING_INDIRECT_DESC (bit 28) and EVENT_IDX (bit 29) not offered
expect_console '^blk: features .{28}00'
expect_console "^PASS: write pattern at offset $OFF"
expect_console "^PASS: read back pattern at offset $OFF"
expect_no_console '^FAIL'
expect_status 0
got=$(dd if="$TMP/disk.img" bs=1 skip=$OFF count=${#PAT} 2>/dev/null)
[ "$got" = "$PAT" ] || fail "the image lacks the guest's pattern at $OFF (found '$got')"
pass "Linux read /dev/vda (sha256 $want) and wrote a pattern the host finds in the image"

cp "$TMP/disk.img" "$TMP/before.img"
linux_config "$TMP/ro.toml" \
	"microvm.test=blk microvm.blk.offset=4096 microvm.blk.ro=1 microvm.blk.pattern=$PAT" \
	'[[disk]]' "path = \"$TMP/disk.img\"" 'readonly = true' 'ring_features = true'
run_vm ro "$T" run --config "$TMP/ro.toml"
expect_console '^blk: /dev/vda size 16384 sectors ro=1'
# ring_features = true: Linux drives the rings with INDIRECT_DESC and EVENT_IDX
expect_console '^blk: features .{28}11'
expect_console '^PASS: write to read-only /dev/vda rejected'
expect_no_console '^FAIL'
expect_status 0
cmp -s "$TMP/disk.img" "$TMP/before.img" || fail "read-only disk image changed"
pass "read-only disk with ring_features: Linux negotiates EVENT_IDX+INDIRECT_DESC, sees ro=1, the write fails, the image is unchanged"
