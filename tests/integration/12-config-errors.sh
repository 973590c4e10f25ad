#!/usr/bin/env bash
# Bad input: each case gives one clear line on stderr and exit status 2, never a crash or hang.
source "$(dirname "$0")/lib.sh"
require_kvm

bad() { # name, expected stderr regex, microvm args...
	local name=$1 re=$2; shift 2
	run_vm "$name" 20 "$@"
	expect_status 2
	expect_err "$re"
	[ "$(grep -c . "$LAST.err")" -le 3 ] || fail "$name: more than 3 lines on stderr"
	pass "$name"
}

write_config "$TMP/ok.toml" "$TESTGUEST"
bad missing-kernel "kernel '.*nope': No such file" run --config "$TMP/ok.toml" --kernel "$TMP/nope"
mkdir -p "$TMP/dir"
bad kernel-dir "is a directory" run --config "$TMP/ok.toml" --kernel "$TMP/dir"
head -c 4096 /dev/urandom >"$TMP/garbage"
bad not-a-kernel "not a bzImage or ELF" run --config "$TMP/ok.toml" --kernel "$TMP/garbage"
# A bzImage header promising 30 setup sectors in a 4 KiB file.
python3 - "$TMP/trunc.bzImage" <<'PY'
import struct, sys
b = bytearray(4096)
b[0x1f1] = 30                                  # setup_sects
b[0x1fe:0x200] = b'\x55\xaa'
b[0x202:0x206] = b'HdrS'
struct.pack_into('<H', b, 0x206, 0x020f)       # boot protocol 2.15
b[0x211] = 0x01                                # LOADED_HIGH
struct.pack_into('<H', b, 0x236, 0x3)          # xloadflags: XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
open(sys.argv[1], 'wb').write(b)
PY
bad truncated-bzimage "truncated bzImage" run --config "$TMP/ok.toml" --kernel "$TMP/trunc.bzImage"
bad missing-initrd "initrd '.*nope': No such file" run --config "$TMP/ok.toml" --initrd "$TMP/nope"
head -c $((80 << 20)) /dev/zero >"$TMP/big.img"
bad initrd-too-big "initrd" run --config "$TMP/ok.toml" --memory 64M --initrd "$TMP/big.img"
bad memory-zero "memory" run --config "$TMP/ok.toml" --memory 0
bad memory-unaligned "memory" run --config "$TMP/ok.toml" --memory 16777217
bad memory-huge "memory" run --config "$TMP/ok.toml" --memory 1T
bad vcpus-zero "vcpus" run --config "$TMP/ok.toml" --vcpus 0
bad vcpus-many "vcpus" run --config "$TMP/ok.toml" --vcpus 1000
printf '[machine]\nmemory = "64M\n' >"$TMP/bad.toml"
bad malformed-toml "bad.toml:2:" run --config "$TMP/bad.toml"
printf '[machine]\nmemroy = "64M"\n' >"$TMP/typo.toml"
bad misspelled-key "did you mean 'memory'" run --config "$TMP/typo.toml"
bad config-dir "is a directory" run --config "$TMP/dir"
bad config-missing "No such file" run --config "$TMP/none.toml"
bad unknown-option "unrecognized option|unknown" run --config "$TMP/ok.toml" --bogus

# #12.2: a path that is not a regular file (FIFO, directory, character device, socket) is
# refused with its type named and status 2, never opened in a way that blocks. The 10 s
# timeout of run_vm turns a hang (the old blocking open of a FIFO) into a failure.
special() { # name, file-type regex, path
	local name=$1 re=$2 path=$3
	bad "$name-config" "$re" run --config "$path"
	bad "$name-kernel" "kernel '.*': $re" run --config "$TMP/ok.toml" --kernel "$path"
	bad "$name-initrd" "initrd '.*': $re" run --config "$TMP/ok.toml" --initrd "$path"
	write_config "$TMP/disk-$name.toml" "$TESTGUEST" "[[disk]]" "path = \"$path\"" \
		"readonly = true"
	bad "$name-disk" "disk .*: $re" run --config "$TMP/disk-$name.toml"
}
mkfifo "$TMP/fifo"
special fifo "is a FIFO, not a regular file" "$TMP/fifo"
special dir "is a directory, not a regular file" "$TMP/dir"
special devnull "is a character device, not a regular file" /dev/null
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TMP/sock"
special socket "is a socket, not a regular file" "$TMP/sock"
bad check-fifo "is a FIFO" check --config "$TMP/fifo"

# #12.3: shared-memory BARs that cannot be placed fail at config time with file:line:col (two
# 1T DAX windows need two 1T-aligned 1T blocks; they used to fail late: "pci: ... -28",
# status 1). 200G (a 256G BAR) fits the 64-bit window now, checked by `microvm check`.
fs_entry() { echo '[[vhost_user_fs]]'; echo "socket = \"$TMP/fs-$1.sock\""; echo "tag = \"$1\"";
	echo "cache_size = \"$2\""; }
mapfile -t two_t < <(fs_entry a 1T; fs_entry b 1T)
write_config "$TMP/bar.toml" "$TESTGUEST" "${two_t[@]}"
bad bar-window "bar.toml:(10|14):14: \[\[vhost_user_fs\]\] cache_size = 1T does not fit the 64-bit PCI window" \
	run --config "$TMP/bar.toml"
mapfile -t g200 < <(fs_entry a 200G)
write_config "$TMP/bar200.toml" "$TESTGUEST" "${g200[@]}"
run_vm bar-200g 20 check --config "$TMP/bar200.toml"
expect_status 0
pass bar-200g

# #17.1: [[disk]] io, cache and poll_us: bad values, and cache = "direct" where O_DIRECT is not
# available (tmpfs reports no STATX_DIOALIGN): one line, status 2.
head -c 1048576 /dev/zero >"$TMP/disk.img"
disk_bad() { # name, regex, extra [[disk]] line, [image]
	write_config "$TMP/disk-$1.toml" "$TESTGUEST" "[[disk]]" "path = \"${4:-$TMP/disk.img}\"" "$3"
	bad "disk-$1" "$2" run --config "$TMP/disk-$1.toml"
}
disk_bad io "'io' must be \"sync\" or \"io_uring\", got \"aio\"" 'io = "aio"'
disk_bad cache "'cache' must be \"host\" or \"direct\", got \"none\"" 'cache = "none"'
disk_bad poll "'poll_us' = 5000 is out of range \(0..1000\)" 'poll_us = 5000'
shm_img=/dev/shm/microvm-cfgtest-$$.img
head -c 1048576 /dev/zero >"$shm_img"
disk_bad direct-tmpfs "cache = \"direct\": the file system does not report O_DIRECT support" \
	'cache = "direct"' "$shm_img"
rm -f "$shm_img"
