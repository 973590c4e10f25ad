#!/usr/bin/env bash
# KVM level, control API ([api] socket) against the test guest, under the default enforce
# seccomp: every endpoint with curl and microvm ctl, error statuses and bodies, pause/resume
# (the guest's tick counter stops, then advances), the socket's mode, stale-socket replacement,
# a second microvm on a live socket (status 2), misbehaving clients (too many / too large
# headers, oversized body, a slow-loris client, 1,000 connections), reboot and a signal while
# paused.
source "${LIBSH:-$(dirname "$0")/lib.sh}"
require_kvm
ABUSE="python3 $ROOT/tests/integration/api_abuse.py"
SOCK="$TMP/api.sock"

# curl_api METHOD PATH [BODY]: prints "<status> <body>".
curl_api() {
	local args=(-s -o "$TMP/body" -w '%{http_code}' --max-time 10 --unix-socket "$SOCK"
		    -X "$1" "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	local code
	code=$(curl "${args[@]}") || fail "curl $1 $2 failed"
	echo "$code $(cat "$TMP/body")"
}
# expect_api METHOD PATH STATUS [BODY]: status must match; sets REPLY to the body.
expect_api() {
	local out
	out=$(curl_api "$1" "$2" "${@:4}")
	[ "${out%% *}" = "$3" ] || fail "$1 $2: expected $3, got '$out'"
	REPLY=${out#* }
}
# jq_py EXPR: evaluates a Python expression on the JSON in $REPLY (bound to j).
jq_py() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$REPLY"; }
ticks() { grep -c '^tick: ' "$LAST.console"; }

head -c 1M /dev/urandom >"$TMP/disk.img"
# A stale socket file (its owner gone): microvm must replace it.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SOCK"
[ -S "$SOCK" ] || fail "could not create the stale socket"

write_config "$TMP/vm.toml" "$TESTGUEST" '[[disk]]' "path = \"$TMP/disk.img\"" \
	'[api]' "socket = \"$SOCK\""
start_vm api 120 run --config "$TMP/vm.toml" --cmdline "test=blk-read,tick" -v
await_console '^tick: 5$' "the guest did not start ticking"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK"), not 600"

# --- views ---
expect_api GET /api/v1/vmm.ping 200
[ "$(jq_py 'j["version"]')" = "$("$MICROVM" --version | cut -d' ' -f2)" ] || fail "ping: $REPLY"
MPID=$(jq_py 'j["pid"]')       # start_vm's pid is timeout's: microvm is its child
[ "$(cat /proc/$MPID/comm)" = microvm ] && [ "$(ps -o ppid= -p "$MPID" | tr -d ' ')" = "$VM_PID" ] ||
	fail "ping pid: $REPLY"
expect_api GET /api/v1/vm.info 200
[ "$(jq_py 'j["state"]')" = Running ] || fail "info state: $REPLY"
[ "$(jq_py 'j["config"]["memory"]["size"]')" = $((64 << 20)) ] || fail "info memory: $REPLY"
[ "$(jq_py 'j["config"]["disks"][0]["path"]')" = "$TMP/disk.img" ] || fail "info disk: $REPLY"
[ "$(jq_py 'j["device_tree"]["virtio-blk0"]["kind"]')" = virtio-blk ] || fail "info tree: $REPLY"
expect_api GET /api/v1/vm.counters 200
[ "$(jq_py 'j["devices"]["virtio-blk0"]["blk"]["read_ops"] >= 1')" = True ] ||
	fail "counters: no blk read: $REPLY"
[ "$(jq_py 'j["devices"]["virtio-blk0"]["blk"]["read_bytes"] >= 512')" = True ] ||
	fail "counters: read bytes: $REPLY"
[ "$(jq_py 'j["vcpus"][0]["exits"] > 0')" = True ] || fail "counters: exits: $REPLY"
[ "$(jq_py 'j["vcpus"][0]["exits_by_reason"].get("io", 0) > 0')" = True ] ||
	fail "counters: no io exits by reason: $REPLY"
expect_api GET /api/v1/vm.shm 200
[ "$(jq_py 'j["devices"]')" = "[]" ] || fail "shm without regions: $REPLY"

# --- errors: 4xx with a JSON body naming the problem ---
expect_api GET /api/v1/vm.nothing 404
[ "$(jq_py '"vm.nothing" in j["error"]')" = True ] || fail "404 body: $REPLY"
expect_api GET /other 404
expect_api PUT /api/v1/vm.info 405
[ "$(jq_py '"GET" in j["error"]')" = True ] || fail "405 body: $REPLY"
expect_api GET /api/v1/vm.pause 405
expect_api DELETE /api/v1/vm.pause 405
expect_api PUT /api/v1/vm.pause 400 '{"paused": '
[ "$(jq_py '"JSON" in j["error"]')" = True ] || fail "400 body: $REPLY"
expect_api PUT /api/v1/vm.pause 400 '{"force": true}'
[ "$(jq_py '"force" in j["error"]')" = True ] || fail "unknown field body: $REPLY"
expect_api PUT /api/v1/vm.pause 400 '[1, 2]'
expect_api PUT /api/v1/vm.pause 400 '{} {}'
expect_api PUT /api/v1/vm.pause 413 "{\"a\": \"$(head -c 5000 /dev/zero | tr '\0' a)\"}"
expect_api PUT /api/v1/vm.power-button 204   # ACPI is on by default: the GED edge is sent
[ "$($ABUSE "$SOCK" headers 40)" = 431 ] || fail "40 header lines were not refused with 431"
[ "$($ABUSE "$SOCK" headers 10)" = 200 ] || fail "10 header lines refused"
st=$($ABUSE "$SOCK" bigheader 20000)
case "$st" in 4*|closed) ;; *) fail "a 20 kB header got '$st'" ;; esac

# --- pause / resume: the guest's counter stops, then advances; back-ends untouched ---
expect_api PUT /api/v1/vm.pause 204
a=$(ticks); sleep 1.5; b=$(ticks)
[ "$a" -eq "$b" ] || fail "guest ticked while paused ($a -> $b)"
expect_api GET /api/v1/vm.info 200
[ "$(jq_py 'j["state"]')" = Paused ] || fail "info state while paused: $REPLY"
expect_api PUT /api/v1/vm.pause 409
expect_api GET /api/v1/vm.counters 200          # views work while paused
expect_api PUT /api/v1/vm.resume 204 '{}'
sleep 1; c=$(ticks)
[ "$c" -gt "$b" ] || fail "guest did not tick after resume ($b -> $c)"
expect_api PUT /api/v1/vm.resume 409
# the same through microvm ctl
"$MICROVM" ctl "$SOCK" pause || fail "ctl pause"
a=$(ticks); sleep 1; b=$(ticks)
[ "$a" -eq "$b" ] || fail "guest ticked while paused by ctl ($a -> $b)"
"$MICROVM" ctl "$SOCK" resume || fail "ctl resume"
"$MICROVM" ctl "$SOCK" ping | grep -q '"version"' || fail "ctl ping"
"$MICROVM" ctl "$SOCK" info | grep -q '"state": "Running"' || fail "ctl info"
"$MICROVM" ctl "$SOCK" counters | grep -Eq '^virtio-blk0 +blk +read_ops=[1-9]' ||
	fail "ctl counters table: $("$MICROVM" ctl "$SOCK" counters)"
"$MICROVM" ctl "$SOCK" counters -j | grep -q '"read_bytes"' || fail "ctl counters -j"
"$MICROVM" ctl "$SOCK" shm | grep -q '^DEVICE' || fail "ctl shm table"
"$MICROVM" ctl "$SOCK" pause && "$MICROVM" ctl "$SOCK" pause 2>"$TMP/ctl.err"
[ $? -eq 1 ] && grep -q 'HTTP 409: cannot pause the VM: it is already paused' "$TMP/ctl.err" ||
	fail "ctl: a second pause did not fail with the API's message: $(cat "$TMP/ctl.err")"
"$MICROVM" ctl "$SOCK" resume || fail "ctl resume"

# --- a second microvm on the live socket: configuration error, the first one untouched ---
write_config "$TMP/vm2.toml" "$TESTGUEST" '[api]' "socket = \"$SOCK\""
timeout 20 "$MICROVM" run --config "$TMP/vm2.toml" </dev/null >"$TMP/vm2.out" 2>&1
st=$?
[ "$st" -eq 2 ] || fail "a second microvm on a live socket: status $st, not 2"
grep -q "another process is listening" "$TMP/vm2.out" || fail "message: $(cat "$TMP/vm2.out")"
expect_api GET /api/v1/vmm.ping 200

# --- slow clients and floods: bounded, the VM keeps running ---
t=$($ABUSE "$SOCK" slowloris 30)
echo "slow-loris client cut off after ${t}s"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 8 else 1)" "$t" ||
	fail "a slow-loris client kept its connection for ${t}s"
base=$(ls /proc/$MPID/fd | wc -l)
out=$($ABUSE "$SOCK" flood 1000 "$MPID")
echo "flood: $out (microvm had $base fds before)"
fds=${out##*server_fds=}
[ "$fds" -le $((base + 16 + 2)) ] || fail "1,000 connections: microvm holds $fds fds (was $base)"
a=$(ticks)
for i in $(seq 20); do
	out=$(curl_api GET /api/v1/vmm.ping 2>/dev/null) && [ "${out%% *}" = 200 ] && break
	sleep 0.5
done
[ "${out%% *}" = 200 ] || fail "API did not recover after the flood: $out"
sleep 0.5
[ "$(ticks)" -gt "$a" ] || fail "the guest stopped ticking during the flood"
expect_no_console '^FAIL'

# --- shutdown: status 0, socket removed ---
expect_api PUT /api/v1/vm.shutdown 204
wait_vm
expect_status 0
[ ! -e "$SOCK" ] || fail "socket left behind at exit"
grep -q seccomp "$LAST.err" && fail "seccomp report: $(grep seccomp "$LAST.err")"

# --- reboot ends the VM as a guest reboot does; a signal while paused stops it ---
start_vm api-reboot 60 run --config "$TMP/vm.toml" --cmdline "test=tick"
await_console '^tick: 3$' "second VM did not tick"
expect_api PUT /api/v1/vm.reboot 204
wait_vm
expect_status 0
start_vm api-signal 60 run --config "$TMP/vm.toml" --cmdline "test=tick"
await_console '^tick: 3$' "third VM did not tick"
expect_api PUT /api/v1/vm.pause 204
kill -TERM "$VM_PID"
wait_vm
expect_status 7
[ ! -e "$SOCK" ] || fail "socket left behind after a signal"
pass "control API: endpoints, errors, pause/resume, socket rules, slow and flooding clients"
