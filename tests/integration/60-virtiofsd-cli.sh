#!/usr/bin/env bash
# microvm-virtiofsd command line and socket handling (no KVM needed): usage errors exit 2,
# runtime errors exit 1, the socket is created with mode 0600, a stale socket is replaced, a
# live one or a regular file is refused, SIGTERM while waiting exits 0 and removes the socket.
source "$(dirname "$0")/lib.sh"
VFSD="$BUILD/microvm-virtiofsd"
[ -x "$VFSD" ] || fail "$VFSD is not built"
mkdir -p "$TMP/share"

st() { "$@" >"$TMP/out" 2>&1; echo $?; }
[ "$(st "$VFSD" --help)" = 0 ] || fail "--help"
grep -q -- '--cache-size' "$TMP/out" || fail "--help lacks --cache-size"
[ "$(st "$VFSD")" = 2 ] || fail "no arguments: expected 2"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --bogus)" = 2 ] || fail "--bogus"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --cache-size 3M)" = 2 ] ||
	fail "--cache-size 3M accepted"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --threads 0)" = 2 ] ||
	fail "--threads 0 accepted"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --tag \
	0123456789012345678901234567890123456)" = 2 ] || fail "37-byte tag accepted"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --sandbox jail)" = 2 ] ||
	fail "--sandbox jail accepted"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --seccomp strict)" = 2 ] ||
	fail "--seccomp strict accepted"
grep -q "expected enforce, log or off" "$TMP/out" || fail "--seccomp message"
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/missing")" = 1 ] ||
	fail "missing shared dir: expected 1"
grep -q 'missing' "$TMP/out" || fail "no message naming the missing directory"
# #12.2: a shared dir that is no directory (FIFO, file, device) is a usage error naming its type;
# timeout: the FIFO must never be opened in a blocking way.
mkfifo "$TMP/fifo"
touch "$TMP/plain"
for p in "$TMP/fifo:a FIFO" "$TMP/plain:a regular file" "/dev/null:a character device"; do
	[ "$(st timeout 10 "$VFSD" --socket-path "$TMP/s" --shared-dir "${p%%:*}")" = 2 ] ||
		fail "shared dir ${p%%:*}: expected 2"
	grep -q "shared directory ${p%%:*}: is ${p#*:}, not a directory" "$TMP/out" ||
		fail "shared dir ${p%%:*}: message: $(cat "$TMP/out")"
done
touch "$TMP/file"
[ "$(st "$VFSD" --socket-path "$TMP/file" --shared-dir "$TMP/share")" = 1 ] ||
	fail "regular file as socket path: expected 1"
[ -f "$TMP/file" ] || fail "regular file removed"

# Stale socket (nobody listening) is replaced; mode 0600.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TMP/s"
[ -S "$TMP/s" ] || fail "could not create a stale socket"
"$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share" --cache-size 64M >"$TMP/d1" 2>&1 &
P1=$!
for _ in $(seq 1 50); do [ "$(stat -c %a "$TMP/s" 2>/dev/null)" = 600 ] && break; sleep 0.1; done
[ "$(stat -c %a "$TMP/s" 2>/dev/null)" = 600 ] || fail "socket mode $(stat -c %a "$TMP/s")"
# Waiting for a front-end, the daemon already runs under its seccomp filter (mode 2, one filter).
for _ in $(seq 1 50); do grep -q "^Seccomp:[[:space:]]*2" /proc/$P1/status && break; sleep 0.1; done
grep -q "^Seccomp:[[:space:]]*2" /proc/$P1/status || fail "daemon not under seccomp filtering"
grep -q "^Seccomp_filters:[[:space:]]*1" /proc/$P1/status || fail "daemon filter count"
# A second daemon on the live socket is refused; its probe does not end the first one.
[ "$(st "$VFSD" --socket-path "$TMP/s" --shared-dir "$TMP/share")" = 1 ] ||
	fail "second daemon on a live socket: expected 1"
grep -q 'another back-end is listening' "$TMP/out" || fail "no message about the live socket"
sleep 0.5
kill -0 $P1 2>/dev/null || fail "first daemon ended after a probe connection"
[ -S "$TMP/s" ] || fail "first daemon's socket vanished"
kill -TERM $P1
wait $P1; s=$?
[ "$s" = 0 ] || fail "first daemon exit status $s"
pass "microvm-virtiofsd CLI: exit codes, socket mode 0600, stale/live/regular-file socket paths"

# SIGTERM while waiting for a front-end: exit 0, socket removed.
# (--seccomp off: no filter at all)
"$VFSD" --socket-path "$TMP/t" --shared-dir "$TMP/share" --seccomp off >"$TMP/d2" 2>&1 &
P2=$!
for _ in $(seq 1 50); do [ -S "$TMP/t" ] && break; sleep 0.1; done
sleep 0.3
grep -q "^Seccomp:[[:space:]]*0" /proc/$P2/status || fail "--seccomp off: daemon filtered"
kill -TERM $P2
wait $P2; s=$?
[ "$s" = 0 ] || fail "SIGTERM exit status $s"
[ ! -e "$TMP/t" ] || fail "socket left behind"
grep -q 'stats:' "$TMP/d2" || fail "no stats line on exit"
pass "microvm-virtiofsd exits 0 on SIGTERM and removes its socket"
