#!/usr/bin/env bash
# KVM level, VIRTIO shared memory: a generic [[vhost_user]] device backed by vu_shm_backend
# (GET_SHMEM_CONFIG: shmid 0 = 16 MiB). The back-end maps a memfd RW at 0 and RO at 4 MiB; the
# test guest finds the shm capability, checksums the mapped bytes through the BAR, writes into
# the RW mapping (the back-end sees it in its memfd), reads a hole (zeros) and writes to the RO
# mapping and into a hole (the file is untouched, the VM keeps running). Then a mapped file is
# truncated by the host while the guest polls it: the guest reads zeros past the new EOF and the
# VM keeps running (an MMIO exit on this CI's KVM, KVM_RUN EFAULT on hardware KVM; both are
# repaired by microvm).
source "${LIBSH:-$(dirname "$0")/lib.sh}"
require_kvm
BACKEND="$BUILD/tests/backends/vu_shm_backend"
[ -x "$BACKEND" ] || fail "$BACKEND is not built"

crc() { python3 -c "
import zlib, struct, sys
seed, off, n = int(sys.argv[1], 0), int(sys.argv[2], 0), int(sys.argv[3], 0)
b = b''.join(struct.pack('<Q', seed ^ (off + i)) for i in range(0, n, 8))
print('0x%08x' % zlib.crc32(b))" "$@"; }

cat >"$TMP/script" <<EOT
memfd a 4M 0x1111
memfd b 2M 0x2222
memfd c 4K 0x3333
map 0 0 0x200000 a 0 rw ok 10000
map 0 0x400000 0x200000 b 0 ro
map 0 0x600000 0x200000 c 0 rw
wait-word a 0 0x5a5a5a5a5a5a5a5a 60000
expect b 0 0x2222
memfd d 64K 0x4444
map 0 0xc00000 0x200000 d 0 rw
wait-word d 0 0x6666666666666666 60000
truncate d 8K
write d 0x1000 0x7777
EOT
"$BACKEND" --socket "$TMP/vu.sock" --sizes 0=16M --script "$TMP/script" >"$TMP/backend.out" 2>&1 &
BPID=$!
for i in $(seq 100); do [ -S "$TMP/vu.sock" ] && break; sleep 0.05; done

write_config "$TMP/vm.toml" "$TESTGUEST" '[[vhost_user]]' "socket = \"$TMP/vu.sock\"" \
	'virtio_id = 42' 'num_queues = 1'
run_vm shm 60 run --config "$TMP/vm.toml" \
	--cmdline "test=shm-read=0:1000,shm-write=0:5a,shm-read=800000:1000,shm-read=400000:1000,shm-write=400000:77,shm-write=a00000:33,shm-read=600000:1000,shm-read=601000:1000,shm-write=601000:44,shm-wait=c00000:4444,shm-read=c08000:1000,shm-write=c00000:66,shm-wait=c01000:7777,shm-read=c08000:1000"
wait "$BPID"; BSTATUS=$?
cat "$TMP/backend.out"; grep -E "^(shm|PASS|FAIL)" "$LAST.console"
expect_status 0
expect_console '^shm: id=0 base=0x[0-9a-f]+ length=0x1000000'
expect_console "^shm: crc32=$(crc 0x1111 0 4096)"
expect_console '^PASS: shm-write'
expect_console "^shm: crc32=0xc71c0011"      # 4 KiB of zeros: a hole
expect_console "^shm: crc32=$(crc 0x2222 0 4096)"
[ "$(grep -c '^PASS: shm-write' "$LAST.console")" -eq 5 ] || fail "a guest write failed"
# A 2 MiB mapping of a 4 KiB file: the file's page, then zeros past EOF (KVM cannot map those
# pages; microvm completes the access from scratch), and a write there keeps the VM running.
expect_console "^shm: crc32=$(crc 0x3333 0 4096)"
[ "$(grep -c '^shm: crc32=0xc71c0011' "$LAST.console")" -ge 2 ] || fail "past-EOF page did not read as zeros"
# Host-side truncate while the guest reads: the file's page 8 before, zeros after.
expect_console "^shm: crc32=$(crc 0x4444 0x8000 4096)"
expect_console '^shm: waited for 0x7777'
[ "$(grep '^shm: crc32=' "$LAST.console" | tail -1)" = "shm: crc32=0xc71c0011" ] ||
	fail "the truncated part of the mapping did not read as zeros"
[ "$BSTATUS" -eq 0 ] || fail "back-end script failed (status $BSTATUS)"
grep -q "script: 13 commands, 0 failures" "$TMP/backend.out" || fail "back-end script incomplete"
pass "shm region through the BAR: RW mapping shared both ways, hole reads zeros, RO write kept the file, host truncate reads zeros"
