# fsdeath: the vhost-user-fs back-end dies while the guest writes to the share. The guest sees
# DEVICE_NEEDS_RESET in the virtio-fs device status and the rest of the machine keeps working:
# it reads /dev/vda and writes a pattern the host checks after exit, then resets without sync.
#   microvm.fs.tag=TAG                        share to mount (default myfs)
#   microvm.blk.offset=N microvm.blk.pattern=P   after the death, write P at byte N of /dev/vda
# The host kills the back-end when the guest prints "fsdeath: kill the back-end now".
. /lib/microvm.sh
getarg tag microvm.fs.tag myfs
mkdir -p /mnt
if ! mount -t virtiofs "$tag" /mnt; then
	fail "mount virtiofs $tag"
	done_test
fi
pass "mount virtiofs $tag"
fsdev=
for v in /sys/bus/virtio/devices/*; do
	read -r id <"$v/device"
	[ "$id" = 0x001a ] && fsdev=$v
done
if [ -z "$fsdev" ]; then
	fail "virtio-fs device (id 0x001a) in /sys/bus/virtio/devices"
	done_test
fi
read -r st <"$fsdev/status"
echo "fsdeath: $fsdev status $st"

# Delays without a fork: on this host's emulated guest kernel, processes forked while another one
# keeps the CPU busy sometimes die of SIGSEGV (seen with tmpfs too, never under QEMU TCG), so
# nothing here forks while the writer runs. Nothing is ever written to the FIFO.
mkfifo /tmp/fsdeath.tick
exec 3<>/tmp/fsdeath.tick
nap() { read -t "$1" _ <&3; }
# counter VAR: the number the writer last wrote (retried: each write truncates the file first)
counter() {
	local k=0 c=
	while [ -z "$c" ] && [ $k -lt 50 ]; do
		read -r c </mnt/io.txt
		[ -n "$c" ] || nap 0.02
		k=$((k + 1))
	done
	eval "$1=\${c:-0}"
}

# Writes on the share (shell builtins only) until the back-end dies under them.
(
	i=1
	while echo "$i" >/mnt/io.txt; do i=$((i + 1)); nap 0.01; done 2>/dev/null
) &
n=0
while [ ! -s /mnt/io.txt ] && [ $n -lt 100 ]; do nap 0.1; n=$((n + 1)); done
counter a
n=0
while [ $n -lt 60 ]; do
	nap 0.5
	counter b
	[ "$b" -gt "$a" ] && break
	n=$((n + 1))
done
echo "fsdeath: writer counter $a -> $b"
check "writes keep reaching the share" test "$b" -gt "$a"
echo "fsdeath: kill the back-end now"

n=0
while [ $n -lt 600 ]; do
	read -r st <"$fsdev/status"
	[ $((st & 0x40)) -ne 0 ] && break
	nap 0.2
	n=$((n + 1))
done
echo "fsdeath: status after the back-end died: $st"
check "virtio-fs status shows DEVICE_NEEDS_RESET" test $((st & 0x40)) -ne 0

getarg off microvm.blk.offset
getarg pat microvm.blk.pattern MICROVM-FSDEATH
if [ -n "$off" ]; then
	# the host compares this checksum with the image's
	echo "fsdeath: vda first 4 KiB sha256 $(dd if=/dev/vda bs=4096 count=1 2>/dev/null | sha256sum)"
	check "write pattern to /dev/vda after the back-end died" \
		sh -c "printf '%s' '$pat' | dd of=/dev/vda bs=1 seek=$off conv=notrunc,fsync 2>/dev/null"
fi

# Linux's virtio-fs cannot reset the device, and the write the dead back-end never answers keeps
# the writer (and any sync of the share) waiting for good: end with a reset that skips sync, as
# /init's own shutdown (sync; reboot -f) would hang.
[ "$MICROVM_FAILS" = 0 ] || echo "FAIL: test fsdeath exited with status $MICROVM_FAILS"
echo MICROVM-TEST-DONE
reboot -nf
