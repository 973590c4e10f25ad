# virtiofs: mount a virtio-fs tag at /mnt and exercise the basic file operations.
#   microvm.fs.tag=TAG      (default myfs)
#   microvm.fs.opts=a,b     mount options (default none)
#   microvm.fs.expect=NAME  a file the host put in the shared directory (printed with its sha256)
. /lib/microvm.sh
getarg tag microvm.fs.tag myfs
getarg opts microvm.fs.opts
mkdir -p /mnt
if ! mount -t virtiofs ${opts:+-o "$opts"} "$tag" /mnt; then
	fail "mount virtiofs $tag ${opts:+-o $opts}"
	done_test
fi
pass "mount virtiofs $tag ${opts:+-o $opts}"
grep " /mnt " /proc/mounts
ls -la /mnt | sed 's/^/fs: /'
getarg exp microvm.fs.expect
if [ -n "$exp" ]; then
	if [ -f "/mnt/$exp" ]; then
		pass "host file $exp visible"
		echo "fs: $exp sha256 $(sha256sum "/mnt/$exp" | cut -d' ' -f1)"
	else
		fail "host file $exp visible"
	fi
fi

f=/mnt/guest-file.txt
check "create and write $f" sh -c "echo microvm-virtiofs-data > $f"
check "read back $f" test "$(cat $f 2>/dev/null)" = microvm-virtiofs-data
check "append to $f" sh -c "echo line2 >> $f"
check "file size of $f" test "$(stat -c %s $f 2>/dev/null)" = 28
check "list shows $f" sh -c "ls /mnt | grep -qx guest-file.txt"
check "rename $f" mv $f /mnt/guest-renamed.txt
check "old name gone" test ! -e $f
check "new name present" test -f /mnt/guest-renamed.txt
check "mkdir" mkdir /mnt/guest-dir
check "create in subdir" sh -c "echo x > /mnt/guest-dir/f"
check "unlink in subdir" rm /mnt/guest-dir/f
check "rmdir" rmdir /mnt/guest-dir
check "delete renamed file" rm /mnt/guest-renamed.txt
check "deleted file gone" test ! -e /mnt/guest-renamed.txt
sync
check "umount /mnt" umount /mnt
done_test
