# virtio-fs DAX through microvm-virtiofsd (arm64 build): a 256 MiB DAX window offered
# ([[vhost_user_fs]] cache_size, --cache-size), L2 = the lane's DAX kernel (/lane/Image-dax: Linux
# 6.1 from Debian's linux-source-6.1 with FUSE_DAX, tests/arm64/l2-dax.config; Debian's own arm64
# kernels have no ZONE_DEVICE, hence no FUSE_DAX) mounting with -o dax=always. Asserts that DAX
# was really used, as tests/integration/60-virtiofsd-dax-linux.sh does on x86:
#   - the mount succeeds with dax=always (no fallback) and /proc/mounts shows dax=always;
#   - the guest's sha256 of host.bin (3,000,000 bytes: two 2 MiB chunks) equals L1's, and its
#     write reaches the share;
#   - a shared mmap of mmap.bin in the guest (tests/arm64/l2-mmap.c) reads the host's first 16
#     bytes and its store at offset 4096 is in the host file after the VM;
#   - microvm-virtiofsd served at least 3 FUSE_SETUPMAPPING (host.bin's two chunks, mmap.bin's
#     one) and holds no live mapping at exit;
#   - microvm mapped the daemon's fds into shm region 0 (SHMEM_MAP: "N maps", N >= 3) and has
#     0 live mappings at exit.
# Without DAX (a plain mount, or a kernel without FUSE_DAX such as the stock one) there is no
# dax=always, no SETUPMAPPING and no SHMEM_MAP: the test fails.
. /lane/lib.sh
require_kvm
[ -x "$VFSD" ] || fail "$VFSD missing (make ARCH=arm64)"
[ -f "$DAX_KERNEL" ] || fail "$DAX_KERNEL missing (tests/arm64/build-kit.sh)"
[ "$DAX_KERNEL_FUSE_DAX" = y ] || fail "the lane's DAX kernel has no FUSE_DAX (l2-config)"
echo "L2 kernel: $DAX_KERNEL_ID"
KERNEL=$DAX_KERNEL INITRD=$DAX_INITRD
mkdir -p "$TMP/share"
dd if=/dev/urandom of="$TMP/share/host.bin" bs=1000 count=3000 2>/dev/null
want=$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)
dd if=/dev/urandom of="$TMP/share/mmap.bin" bs=4096 count=4 2>/dev/null
head16=$(od -An -tx1 -N16 "$TMP/share/mmap.bin" | tr -d ' \n')
"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag daxshare \
	--cache-size 256M >"$TMP/vfsd.log" 2>&1 &
VPID=$!
for _ in $(seq 1 50); do [ -S "$TMP/vfsd.sock" ] && break; sleep 0.1; done
[ -S "$TMP/vfsd.sock" ] || { cat "$TMP/vfsd.log"; fail "microvm-virtiofsd did not listen"; }
write_config "$TMP/fs.toml" 1 256M '[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" \
	'tag = "daxshare"' 'cache_size = "256M"'
start_vm fs "$TMP/fs.toml" "l2.test=fs l2.fs.tag=daxshare l2.fs.mmap=mmap.bin"
await_console '^L2-INIT-START'
echo "time to init: DAX kernel, 1 vCPU $AWAIT_SECS s (TCG, from microvm start)"
wait_vm
l2_ok
echo "$(tr -d '\r' <"$LAST.console" | grep '^l2: mount')"
tr -d '\r' <"$LAST.console" | grep '^l2-mmap'
expect_no_console '^l2: dax=always refused'
expect_console '^l2: mount [^ ]+ /mnt virtiofs [^ ]*dax=always'
expect_console "^l2: host.bin sha256 $want"
expect_console "^l2-mmap: /mnt/mmap.bin head $head16, wrote 12 bytes at 4096"
expect_console '^PASS: umount'
expect_status 0
[ "$(cat "$TMP/share/guest.txt" 2>/dev/null)" = "written by L2" ] || fail "guest.txt not in the share"
got=$(dd if="$TMP/share/mmap.bin" bs=1 skip=4096 count=12 2>/dev/null)
[ "$got" = MMAP-FROM-L2 ] || fail "the guest's mmap store is not in the host file (got '$got')"
for _ in $(seq 1 50); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
kill -0 $VPID 2>/dev/null && { kill -9 $VPID; fail "microvm-virtiofsd did not exit after microvm"; }
stats=$(grep 'stats:' "$TMP/vfsd.log")
echo "vfsd $stats"
shm=$(grep -o 'shm region 0 at exit: .*' "$LAST.err")
echo "microvm: $shm"
setup=$(echo "$stats" | sed -n -E 's/.*setupmapping ([0-9]+).*/\1/p')
live=$(echo "$stats" | sed -n -E 's/.*live_mappings ([0-9]+).*/\1/p')
[ -n "$setup" ] && [ -n "$live" ] ||
	fail "no stats line from microvm-virtiofsd: $(tail -n 5 "$TMP/vfsd.log")"
[ "$setup" -ge 3 ] || fail "dax=always but $setup SETUPMAPPING (host.bin spans 2 chunks, mmap.bin 1)"
[ "$live" -eq 0 ] || fail "$live DAX mappings left in microvm-virtiofsd at exit"
maps=$(echo "$shm" | sed -n -E 's/^shm region 0 at exit: 0 live mappings, ([0-9]+) maps.*/\1/p')
[ -n "$maps" ] || fail "microvm: no 'shm region 0 at exit: 0 live mappings' line: '$shm'"
[ "$maps" -ge 3 ] || fail "microvm mapped $maps backend ranges into the DAX window"
pass "virtio-fs DAX: dax=always, sha256 matches through the window, shared mmap read + write reach the host, $setup SETUPMAPPING, $maps SHMEM_MAP ($VM_SECS s)"
