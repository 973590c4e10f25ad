#!/usr/bin/env bash
# pagecache (#17.3): host memory charged when N VMs (run concurrently) read the same host file
# through virtio-fs, with DAX (-o dax=always, the guest maps the host's page cache through the
# window) and without (the guest copies the file into its own page cache, i.e. guest RAM).
# Each VM (microvm guest kit, microvm.test=pagecache, guest/tests/pagecache.sh) has two
# virtio-fs devices on the same share, each served by its own microvm-virtiofsd: tag daxfs with a
# DAX window, tag nodaxfs without one (the daemon then keeps the guest on its page cache, as
# virtiofsd's cache=auto does). The host types "dax big.bin" / "nodax big.bin" on a VM's console
# and the guest reads the file with guest/tools/mmapread (one shared mmap, every word summed, the
# sum checked against the host's). DAX first, in every VM, then no DAX; the readers join in steps
# (VM 1, then VMs 2-4, then 5-8) and the host's memory is measured after each step:
#   guest RAM touched  pages allocated in the VMM's guest-RAM memfd (st_blocks of /proc/PID/fd)
#   page cache         of the host file (fincore), counted once: it is shared
#   VMM RSS            microvm's Rss without the guest-RAM memfd and the file's pages (smaps)
#   virtiofsd RSS      both daemons' Rss without the guest-RAM memfd (smaps)
# Env: PAGECACHE_NS="1 4 8", PAGECACHE_FILE_MB=256, PAGECACHE_MEM=512M, PAGECACHE_WINDOW=384M,
# PAGECACHE_TIMEOUT=2400 (seconds for the whole run; boots are ~25 s each on an idle machine
# here, and 8 at once share the cores).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MICROVM=$BUILD/microvm
VFSD=$BUILD/microvm-virtiofsd
KERNEL=$PWD/build/guest/vmlinux
INITRD=$PWD/build/guest/initramfs.cpio
NS=${PAGECACHE_NS:-1 4 8}
FILE_MB=${PAGECACHE_FILE_MB:-256}
MEM=${PAGECACHE_MEM:-512M}
WIN=${PAGECACHE_WINDOW:-384M}
DEADLINE=$(($(date +%s) + ${PAGECACHE_TIMEOUT:-2400}))
NMAX=0
for n in $NS; do [ "$n" -gt "$NMAX" ] && NMAX=$n; done

for f in "$MICROVM" "$VFSD" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "pagecache: $f missing (make all guest-kit)"; exit 1; }
done
[ -e /dev/kvm ] || { echo "pagecache: needs /dev/kvm"; exit 1; }
TMP=$(mktemp -d /tmp/pagecache.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
say() { echo "[pagecache $(date +%T)] $*" >&2; }

share=$TMP/share
mkdir -p "$share"
head -c $((FILE_MB << 20)) /dev/urandom >"$share/big.bin"
FILE_BYTES=$((FILE_MB << 20))
# The guest's reader runs on the host too (freestanding x86-64): the sum the guests must print.
gcc -static -nostdlib -ffreestanding -fno-stack-protector -Os -o "$TMP/mmapread" \
	guest/tools/mmapread.c || exit 1
want=$("$TMP/mmapread" "$share/big.bin" | sed -E 's/.* sum //')
# Out of the host page cache again (written back first): the first reader brings it in.
sync "$share/big.bin"
dd if="$share/big.bin" iflag=nocache count=0 status=none
CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"/\1/p' configs/default.toml)

declare -A VM VD VN IN
for i in $(seq 1 "$NMAX"); do
	"$VFSD" --socket-path "$TMP/d$i.sock" --shared-dir "$share" --tag daxfs --cache-size "$WIN" \
		>"$TMP/d$i.log" 2>&1 &
	VD[$i]=$!
	PIDS+=($!)
	"$VFSD" --socket-path "$TMP/n$i.sock" --shared-dir "$share" --tag nodaxfs \
		>"$TMP/n$i.log" 2>&1 &
	VN[$i]=$!
	PIDS+=($!)
done
sleep 1
# start_vm I: VM I on its two daemons, stdin a fifo held open here.
start_vm() {
	local i=$1 fd
	cat >"$TMP/vm$i.toml" <<EOT
[machine]
memory = "$MEM"
vcpus = 1
[kernel]
path = "$KERNEL"
initrd = "$INITRD"
cmdline = "$CMDLINE microvm.test=pagecache"
[[vhost_user_fs]]
socket = "$TMP/d$i.sock"
tag = "daxfs"
cache_size = "$WIN"
[[vhost_user_fs]]
socket = "$TMP/n$i.sock"
tag = "nodaxfs"
EOT
	mkfifo "$TMP/in$i"
	# Held open read-write here, so the VM's stdin never sees EOF.
	exec {fd}<>"$TMP/in$i"
	IN[$i]=$fd
	"$MICROVM" run --config "$TMP/vm$i.toml" <"$TMP/in$i" >"$TMP/vm$i.console" 2>"$TMP/vm$i.err" &
	VM[$i]=$!
	PIDS+=($!)
}

# await PATTERN VMS...: until every VM's console matches; progress every 30 s.
await() {
	local pat=$1 last=0 left i
	shift
	while :; do
		left=()
		for i in "$@"; do
			grep -qE "$pat" "$TMP/vm$i.console" 2>/dev/null || left+=("$i")
			kill -0 "${VM[$i]}" 2>/dev/null || { say "VM $i exited early:"; tail -5 "$TMP/vm$i.console" "$TMP/vm$i.err" >&2; return 1; }
		done
		[ ${#left[@]} -eq 0 ] && return 0
		[ "$(date +%s)" -lt "$DEADLINE" ] || { say "timed out waiting for '$pat' (VMs ${left[*]})"; return 1; }
		if [ $(($(date +%s) - last)) -ge 30 ]; then
			say "waiting for '$pat' in VMs ${left[*]} (load $(cut -d' ' -f1 /proc/loadavg))"
			last=$(date +%s)
		fi
		sleep 1
	done
}

# Rss (KiB) of pid's mappings whose name matches none of the regexes in $2.
rss_without() {
	awk -v skip="$2" '/^[0-9a-f]+-[0-9a-f]+ / { name = $6; next }
		/^Rss:/ { if (name == "" || name !~ skip) s += $2 } END { print s + 0 }' \
		"/proc/$1/smaps" 2>/dev/null
}
memfd_kib() {
	local f
	for f in /proc/"$1"/fd/*; do
		case "$(readlink "$f" 2>/dev/null)" in
		/memfd:microvm-ram*) echo $(($(stat -L -c %b "$f") / 2)); return ;;
		esac
	done
	echo 0
}

# measure MODE N: one line per VM 1..N into $ROWS: "MODE N VM guest_kib vmm_kib vfsd_kib pc_kib"
ROWS=$TMP/rows
measure() {
	local mode=$1 n=$2 i gi vi di pc g=0
	pc=$(($(fincore -b -n -o RES "$share/big.bin") / 1024))
	for i in $(seq 1 "$n"); do
		gi=$(memfd_kib "${VM[$i]}")
		vi=$(rss_without "${VM[$i]}" 'memfd:microvm-ram|big\.bin')
		di=$(($(rss_without "${VD[$i]}" 'memfd:microvm-ram') + $(rss_without "${VN[$i]}" 'memfd:microvm-ram')))
		echo "$mode $n $i $gi $vi $di $pc" >>"$ROWS"
		g=$((g + gi))
	done
	say "measured $mode N=$n: guest RAM $((g / 1024)) MiB in all, page cache $((pc / 1024)) MiB"
}

# One boot at a time: on this CI's KVM a guest kernel sharing a core with other booting guests
# falls behind its periodic tick (each tick takes longer to emulate than it lasts) and may never
# reach init; a VM waiting at its prompt costs next to nothing.
say "booting $NMAX VMs one after another ($MEM RAM, DAX window $WIN, a $FILE_MB MiB file)"
t0=$(date +%s)
for i in $(seq 1 "$NMAX"); do
	start_vm "$i"
	await '^pagecache: ready' "$i" || exit 1
done
say "all $NMAX VMs ready after $(($(date +%s) - t0)) s"
: >"$ROWS"
ok=1
for mode in dax nodax; do
	measure "$mode-idle" "$NMAX"
	prev=0
	for n in $NS; do
		t=$(date +%s)
		for i in $(seq $((prev + 1)) "$n"); do echo "$mode big.bin" >&"${IN[$i]}"; done
		await "^pagecache: done $mode" $(seq $((prev + 1)) "$n") || exit 1
		for i in $(seq $((prev + 1)) "$n"); do
			grep -q "^mmapread: /$mode/big.bin $FILE_BYTES bytes sum $want" "$TMP/vm$i.console" ||
				{ say "VM $i read wrong data through /$mode"; ok=0; }
		done
		say "$mode: VMs $((prev + 1))-$n read the file in $(($(date +%s) - t)) s"
		measure "$mode" "$n"
		prev=$n
	done
done
for i in $(seq 1 "$NMAX"); do echo quit >&"${IN[$i]}"; done
await 'MICROVM-TEST-DONE' $(seq 1 "$NMAX") || true
grep -h '^FAIL' "$TMP"/vm*.console >&2 && ok=0

printf "%s MiB file, VMs of %s RAM (DAX window %s); host memory charged, MiB\n" "$FILE_MB" "$MEM" "$WIN"
printf "%-6s %2s %10s %10s %8s %10s %9s %9s %9s %18s %18s\n" mode N guest_ram page_cache vmm_rss \
	virtiofsd total per_vm_med by_reads "growth/VM total" "growth/VM reads"
# by_reads: total minus the same VMs' idle total (measured before that mode's reads);
# growth/VM: (value at N - value at the first N) / (N - first N), and as a fraction of the file.
awk -v file_kib=$((FILE_MB * 1024)) '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	$1 ~ /-idle$/ { m = $1; sub(/-idle$/, "", m); idle[m, $3] = $4 + $5 + $6; ipc[m] = $7; next }
	{ k = $1 SUBSEP $2; if (!(k in seen)) { seen[k] = 1; order[++nr] = k }
	  g[k] += $4; v[k] += $5; d[k] += $6; pc[k] = $7; own[k, $3] = $4 + $5 + $6; cnt[k]++
	  base[k] += idle[$1, $3] }
	END {
		for (r = 1; r <= nr; r++) {
			k = order[r]; split(k, f, SUBSEP); mode = f[1]; n = f[2]
			total = g[k] + v[k] + d[k] + pc[k]; reads = total - base[k] - ipc[mode]
			for (i = 1; i <= cnt[k]; i++) o[i] = own[k, i]
			gt = "-"; gr = "-"
			if (!(mode in t1)) { t1[mode] = total; r1[mode] = reads; n1[mode] = n }
			else {
				gt = sprintf("%.1f=%.3fx", (total - t1[mode]) / (n - n1[mode]) / 1024,
					     (total - t1[mode]) / (n - n1[mode]) / file_kib)
				gr = sprintf("%.1f=%.3fx", (reads - r1[mode]) / (n - n1[mode]) / 1024,
					     (reads - r1[mode]) / (n - n1[mode]) / file_kib)
			}
			printf "%-6s %2d %10.1f %10.1f %8.1f %10.1f %9.1f %9.1f %9.1f %18s %18s\n", mode, n,
			       g[k] / 1024, pc[k] / 1024, v[k] / 1024, d[k] / 1024, total / 1024,
			       med(o, cnt[k]) / 1024, reads / 1024, gt, gr
		}
	}' "$ROWS"
echo "(total = guest RAM + page cache (once) + VMM + virtiofsd of the N VMs; per_vm_med = median of one VM's guest RAM + VMM + virtiofsd; goal: growth per extra VM < 0.1x the file with DAX, ~1x without)"
[ "$ok" = 1 ]
