# Shared helpers for the guest-kit scripts (sourced, not executed).
# Everything comes from Debian 12 packages: `apt-get download` + `dpkg-deb -x`, never installed.

MICROVM_CACHE=${MICROVM_CACHE:-/var/cache/microvm}

log() { echo "guest-kit: $*" >&2; }
die() { echo "guest-kit: error: $*" >&2; exit 1; }

# Makes the cache directory usable; falls back to build/cache when /var/cache is not writable.
cache_init() {
	if ! mkdir -p "$MICROVM_CACHE/debs" 2>/dev/null || [ ! -w "$MICROVM_CACHE" ]; then
		MICROVM_CACHE=$(pwd)/build/cache
		log "cache not writable, using $MICROVM_CACHE"
		mkdir -p "$MICROVM_CACHE/debs"
	fi
	export MICROVM_CACHE
}

# Candidate version of a package from the apt lists ("" when unknown).
apt_candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }' | sed 's/^(none)$//'
}

# Prints the path of a cached .deb of package $1 with version $2 (empty when absent).
cached_deb() {
	local f
	for f in "$MICROVM_CACHE/debs/$1"_*.deb; do
		[ -f "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Package)" = "$1" ] &&
		   { [ -z "$2" ] || [ "$(dpkg-deb -f "$f" Version)" = "$2" ]; }; then
			echo "$f"
			return 0
		fi
	done
	return 0
}

# fetch_deb PKG: downloads the candidate version of PKG into the cache once; prints its path.
# Offline: falls back to any cached version of PKG.
fetch_deb() {
	local pkg=$1 ver deb
	ver=$(apt_candidate "$pkg")
	if [ -z "$ver" ]; then
		log "no apt candidate for $pkg, running apt-get update"
		apt-get update -qq >&2 || log "apt-get update failed"
		ver=$(apt_candidate "$pkg")
	fi
	deb=$(cached_deb "$pkg" "$ver")
	if [ -z "$deb" ] && [ -n "$ver" ]; then
		log "downloading $pkg $ver"
		(cd "$MICROVM_CACHE/debs" && apt-get download -q "$pkg=$ver" 2>&1 |
			grep -v '^W: Download is performed unsandboxed' >&2) ||
			log "apt-get download $pkg=$ver failed"
		deb=$(cached_deb "$pkg" "$ver")
	fi
	[ -n "$deb" ] || deb=$(cached_deb "$pkg" "" | tail -n1)
	[ -n "$deb" ] || die "cannot get package $pkg (no network and no cached copy)"
	echo "$deb"
}

# Publishes $1 at $2 (symlink; replaces an older link or file atomically).
publish() {
	mkdir -p "$(dirname "$2")"
	ln -sfn "$1" "$2.tmp.$$" && mv -Tf "$2.tmp.$$" "$2"
}

# debian_kernel META: fetches the kernel package a Debian meta package (linux-image-amd64,
# linux-image-cloud-amd64) depends on and extracts it once into $MICROVM_CACHE/stock-<pkg>_<ver>/.
# Sets KPKG (package_version), KROOT (the extracted root), KDIR (its lib/modules/<kver>), KVER.
debian_kernel() {
	local meta img deb ver dir
	meta=$(fetch_deb "$1")
	img=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[0-9][^ ]*-\(amd64\|cloud-amd64\)\).*/\1/p' | head -n1)
	[ -n "$img" ] || die "cannot resolve the kernel package from $(basename "$meta")"
	deb=$(fetch_deb "$img")
	ver=$(dpkg-deb -f "$deb" Version)
	KPKG=${img}_$ver
	dir=$MICROVM_CACHE/stock-$KPKG
	if [ ! -d "$dir/root" ]; then
		log "extracting $img $ver"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/root"
		dpkg-deb -x "$deb" "$dir.tmp/root"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	KROOT=$dir/root
	KDIR=$(echo "$KROOT"/lib/modules/*)
	KVER=${KDIR##*/}
}

ko_cat() {
	case "$1" in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac
}

# module_closure MODULE...: the dependency closure in load order (dependencies first) in
# MOD_ORDER (paths relative to $KDIR). Debian's package ships no modules.dep (depmod runs at
# install time), so the dependencies come from each module's .modinfo "depends=". Built-in
# modules are skipped.
module_closure() {
	local p name m
	declare -gA MOD_PATH=() MOD_SEEN=()
	MOD_ORDER=()
	while IFS= read -r p; do
		name=${p##*/}; name=${name%%.ko*}
		MOD_PATH[${name//-/_}]=${p#$KDIR/}
	done < <(find "$KDIR/kernel" -name '*.ko*')
	for m in "$@"; do
		module_visit "$m"
	done
}

module_visit() {
	local name=${1//-/_} p dep
	[ -z "${MOD_SEEN[$name]:-}" ] || return 0
	MOD_SEEN[$name]=1
	p=${MOD_PATH[$name]:-}
	if [ -z "$p" ]; then
		grep -q "/$1.ko" "$KDIR/modules.builtin" 2>/dev/null && { log "$1 is built in"; return 0; }
		die "module $1 not found in $KVER"
	fi
	for dep in $(ko_cat "$KDIR/$p" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		module_visit "$dep"
	done
	MOD_ORDER+=("$p")
}

# install_modules DESTROOT: uncompressed MOD_ORDER in DESTROOT/lib/modules, their names in load
# order in DESTROOT/etc/modules.order (read by the /init scripts).
install_modules() {
	local p f
	mkdir -p "$1/lib/modules" "$1/etc"
	: > "$1/etc/modules.order"
	for p in "${MOD_ORDER[@]}"; do
		f=$(basename "$p")
		f=${f%.xz}; f=${f%.zst}
		ko_cat "$KDIR/$p" > "$1/lib/modules/$f"
		echo "$f" >> "$1/etc/modules.order"
	done
}

# extract_vmlinux BZIMAGE OUT: the ELF vmlinux from a bzImage's payload (boot protocol >= 2.08:
# payload_offset/_length at 0x248/0x24c after the setup sectors), xz, gzip, zstd or lz4.
extract_vmlinux() {
	local ss po pl magic dec
	ss=$(od -An -tu1 -j $((0x1f1)) -N1 "$1" | tr -d ' ')
	po=$(od -An -tu4 -j $((0x248)) -N4 "$1" | tr -d ' ')
	pl=$(od -An -tu4 -j $((0x24c)) -N4 "$1" | tr -d ' ')
	[ -n "$pl" ] && [ "$pl" -gt 0 ] || die "$1: no bzImage payload (boot protocol < 2.08?)"
	po=$(( (ss + 1) * 512 + po ))
	magic=$(dd if="$1" bs=4M iflag=skip_bytes,count_bytes skip="$po" count=4 2>/dev/null |
		od -An -tx1 | tr -d ' ')
	case "$magic" in
	fd377a58) dec="xz -dc --single-stream" ;;
	1f8b*) dec="gzip -dc" ;;
	28b52ffd) dec="zstd -qdc" ;;
	02214c18) dec="lz4 -dc" ;;
	*) die "$1: unknown payload compression (magic $magic)" ;;
	esac
	dd if="$1" bs=4M iflag=skip_bytes,count_bytes skip="$po" count="$pl" 2>/dev/null |
		$dec > "$2.tmp" 2>/dev/null || true
	[ "$(head -c 4 "$2.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		die "the payload of $1 is not an ELF image"
	mv -f "$2.tmp" "$2"
}
