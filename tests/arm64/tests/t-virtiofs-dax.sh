# virtio-fs through microvm-virtiofsd (arm64 build) with a 256 MiB DAX window offered
# ([[vhost_user_fs]] cache_size, --cache-size) and the guest mounting with -o dax=always: the
# guest's sha256 of host.bin equals L1's and its write reaches the share.
# Debian's arm64 kernels are built without CONFIG_ZONE_DEVICE, hence without CONFIG_FUSE_DAX
# (/lane/l2-config says which): with FUSE_DAX=y the dax=always mount must succeed, show
# dax=always, and the daemon must have served SETUPMAPPING; with FUSE_DAX=n the kernel must
# refuse dax=always (EINVAL: virtio_fs_fill_super finds no dax device), the guest then mounts
# without DAX, and the daemon must have served no SETUPMAPPING (I/O through FUSE READ/WRITE).
. /lane/lib.sh
require_kvm
[ -x "$VFSD" ] || fail "$VFSD missing (make ARCH=arm64)"
mkdir -p "$TMP/share"
dd if=/dev/urandom of="$TMP/share/host.bin" bs=1000 count=3000 2>/dev/null
want=$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)
"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag daxshare \
	--cache-size 256M >"$TMP/vfsd.log" 2>&1 &
VPID=$!
for _ in $(seq 1 50); do [ -S "$TMP/vfsd.sock" ] && break; sleep 0.1; done
[ -S "$TMP/vfsd.sock" ] || { cat "$TMP/vfsd.log"; fail "microvm-virtiofsd did not listen"; }
write_config "$TMP/fs.toml" 1 256M '[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" \
	'tag = "daxshare"' 'cache_size = "256M"'
run_vm fs "$TMP/fs.toml" "l2.test=fs l2.fs.tag=daxshare"
l2_ok
expect_console "^l2: host.bin sha256 $want"
expect_console '^PASS: umount'
expect_err 'shm region 0 at exit: 0 live mappings'
expect_status 0
[ "$(cat "$TMP/share/guest.txt" 2>/dev/null)" = "written by L2" ] || fail "guest.txt not in the share"
for _ in $(seq 1 50); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
kill -0 $VPID 2>/dev/null && { kill -9 $VPID; fail "microvm-virtiofsd did not exit after microvm"; }
stats=$(grep 'stats:' "$TMP/vfsd.log")
echo "vfsd $stats"
echo "$(tr -d '\r' <"$LAST.console" | grep '^l2: mount')"
setup=$(echo "$stats" | sed -n -E 's/.*setupmapping ([0-9]+).*/\1/p')
[ -n "$setup" ] || fail "no stats line from microvm-virtiofsd: $(tail -n 5 "$TMP/vfsd.log")"
if [ "$FUSE_DAX" = y ]; then
	expect_no_console '^l2: dax=always refused'
	expect_console '^l2: mount [^ ]+ /mnt virtiofs [^ ]*dax=always'
	[ "$setup" -gt 0 ] || fail "dax=always but no SETUPMAPPING"
	pass "virtio-fs DAX: dax=always, sha256 matches, $setup SETUPMAPPING ($VM_SECS s)"
else
	expect_console '^l2: dax=always refused'
	expect_no_console '^l2: mount [^ ]+ /mnt virtiofs [^ ]*dax'
	[ "$setup" -eq 0 ] || fail "SETUPMAPPING from a kernel without FUSE_DAX"
	pass "virtio-fs (DAX window offered; the stock arm64 kernel has no FUSE_DAX and refuses dax=always): sha256 matches, write reached the share ($VM_SECS s)"
fi
