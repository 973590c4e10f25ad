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
