# blk: checksum of the first 4 KiB of a virtio-blk disk, optional pattern write.
#   microvm.blk.dev=/dev/vda       device (default /dev/vda)
#   microvm.blk.offset=N           write microvm.blk.pattern (default MICROVM-BLK-PATTERN) at byte N
#   microvm.blk.ro=1               the disk is read-only: the write must fail
. /lib/microvm.sh
getarg dev microvm.blk.dev /dev/vda
i=0
while [ ! -b "$dev" ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b "$dev" ]; then
	fail "block device $dev missing"
	done_test
fi
pass "block device $dev present"
name=${dev##*/}
echo "blk: $dev size $(cat /sys/block/$name/size 2>/dev/null) sectors ro=$(cat /sys/block/$name/ro 2>/dev/null)"
# negotiated virtio feature bits, bit 0 first
echo "blk: features $(cat /sys/block/$name/device/features 2>/dev/null)"
sum=$(dd if="$dev" bs=4096 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "blk: first 4 KiB sha256 $sum"
check "read first 4 KiB of $dev" test -n "$sum"

getarg off microvm.blk.offset
if [ -n "$off" ]; then
	getarg pat microvm.blk.pattern MICROVM-BLK-PATTERN
	if printf '%s' "$pat" | dd of="$dev" bs=1 seek="$off" conv=notrunc,fsync 2>/dev/null; then
		wrote=1
	else
		wrote=0
	fi
	getarg ro microvm.blk.ro 0
	if [ "$ro" = 1 ]; then
		check "write to read-only $dev rejected" test "$wrote" = 0
	else
		check "write pattern at offset $off" test "$wrote" = 1
		blockdev --flushbufs "$dev" 2>/dev/null
		got=$(dd if="$dev" bs=1 skip="$off" count=${#pat} 2>/dev/null)
		check "read back pattern at offset $off" test "$got" = "$pat"
	fi
fi
done_test
