# dax: virtio-fs with the DAX window: mount -o dax=always, read, write(), mmap write.
#   microvm.fs.tag=TAG      (default myfs)
#   microvm.fs.expect=NAME  a host file to read through DAX (its sha256 is printed)
#   microvm.fs.changed=NAME a host file read through DAX, then again after the host rewrote it
#                           in place: the guest prints "dax: waiting for host change of NAME" and
#                           waits (up to 120 s) for NAME.ready to appear in the share
. /lib/microvm.sh
getarg tag microvm.fs.tag myfs
mkdir -p /mnt
if ! mount -t virtiofs -o dax=always "$tag" /mnt; then
	fail "mount virtiofs $tag -o dax=always"
	done_test
fi
pass "mount virtiofs $tag -o dax=always"
m=$(grep " /mnt " /proc/mounts)
echo "dax: $m"
case "$m" in
*dax*) pass "/proc/mounts shows dax" ;;
*) fail "/proc/mounts shows dax" ;;
esac

getarg exp microvm.fs.expect
if [ -n "$exp" ]; then
	if sum=$(sha256sum "/mnt/$exp" 2>/dev/null); then
		pass "read host file $exp"
		echo "dax: $exp sha256 ${sum%% *}"
	else
		fail "read host file $exp"
	fi
fi

getarg chg microvm.fs.changed
if [ -n "$chg" ]; then
	sum=$(sha256sum "/mnt/$chg" 2>/dev/null)
	echo "dax: $chg before sha256 ${sum%% *}"
	echo "dax: waiting for host change of $chg"
	i=0
	# READDIR, not LOOKUP: a negative dentry would be cached.
	while [ $i -lt 240 ]; do
		case " $(echo /mnt/*) " in *" /mnt/$chg.ready "*) break ;; esac
		sleep 0.5
		i=$((i + 1))
	done
	sum=$(sha256sum "/mnt/$chg" 2>/dev/null)
	echo "dax: $chg after sha256 ${sum%% *}"
fi

f=/mnt/dax-guest.txt
check "write() $f" sh -c "echo dax-write-data > $f"
check "read back $f" test "$(cat $f 2>/dev/null)" = dax-write-data
check "mmap write into $f" mmapwrite $f 4 MMAP
check "read mmap-written data" test "$(cat $f 2>/dev/null)" = dax-MMAPe-data
check "mmap write past 4 KiB" mmapwrite $f 8192 PAGE3
check "read data past 4 KiB" test "$(dd if=$f bs=1 skip=8192 count=5 2>/dev/null)" = PAGE3
check "delete $f" rm $f
sync
check "umount /mnt" umount /mnt
done_test
