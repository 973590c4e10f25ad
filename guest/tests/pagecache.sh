# pagecache: guest side of bench/pagecache.sh (page-cache sharing across VMs). Mounts
# microvm.fs.tag (default daxfs) with -o dax=always on /dax and microvm.fs.tag2 (default nodaxfs,
# a device without a window) on /nodax, prints "pagecache: ready", then runs what the host types
# on the console, one command a line: "dax FILE" / "nodax FILE" read /dax/FILE or /nodax/FILE
# with mmapread and print "pagecache: done <cmd> <status>"; "quit" ends the test.
. /lib/microvm.sh
getarg tag microvm.fs.tag daxfs
getarg tag2 microvm.fs.tag2 nodaxfs
mkdir -p /dax /nodax
check "mount $tag -o dax=always" mount -t virtiofs -o dax=always "$tag" /dax
check "mount $tag2" mount -t virtiofs "$tag2" /nodax
echo "pagecache: ready"
while read -r cmd arg; do
	case "$cmd" in
	dax | nodax)
		mmapread "/$cmd/$arg"
		echo "pagecache: done $cmd $?"
		;;
	quit) break ;;
	esac
done
done_test
