#!/usr/bin/env bash
# KVM level: [[vhost_user_fs]] against Debian 12's virtiofsd. The VMM connects and negotiates,
# the test guest finds the virtio-fs function (1af4:105a) with its capabilities on PCI, the VM
# exits cleanly. Then the failure paths: no back-end (clear error within connect_timeout_ms) and
# a back-end that dies during negotiation (clear error, no hang).
source "$(dirname "$0")/lib.sh"
require_kvm
VIRTIOFSD=/usr/lib/qemu/virtiofsd
FAKE="$BUILD/tests/backends/fake_backend"
[ -x "$VIRTIOFSD" ] || fail "$VIRTIOFSD is missing (package qemu-system-common)"
[ -x "$FAKE" ] || fail "$FAKE is not built"

mkdir -p "$TMP/share"
echo "hello" >"$TMP/share/hello.txt"
"$VIRTIOFSD" --socket-path="$TMP/vfsd.sock" -o source="$TMP/share" -o cache=auto \
	-o sandbox=chroot >"$TMP/virtiofsd.log" 2>&1 &
VFSD=$!
trap 'kill -9 $VFSD 2>/dev/null; cleanup_tmp' EXIT

write_config "$TMP/vm.toml" "$TESTGUEST" '[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" \
	'tag = "share"' 'connect_timeout_ms = 5000'
run_vm fs 60 run --config "$TMP/vm.toml" --cmdline "test=pci-scan" -v
expect_status 0
expect_err 'connected to vhost-user back-end .*vfsd.sock \(features 0x175000000, protocol 0x8429\)'
expect_console '^pci: 00:01.0 1af4:105a'
expect_console '^PASS: pci-scan'
pass "virtio-fs device backed by virtiofsd visible to the guest"

# No back-end at all: a clear error after connect_timeout_ms, non-zero exit.
write_config "$TMP/none.toml" "$TESTGUEST" '[[vhost_user_fs]]' "socket = \"$TMP/none.sock\"" \
	'tag = "share"' 'connect_timeout_ms = 300'
run_vm none 20 run --config "$TMP/none.toml" --cmdline "test=pci-scan"
[ "$VM_STATUS" -ne 0 ] || fail "microvm started without its back-end"
expect_err "cannot connect to $TMP/none.sock within 300 ms"
pass "missing back-end reported: $(grep -m1 'cannot connect' "$TMP/none.err")"

# A back-end that closes the connection in the middle of the negotiation.
"$FAKE" --socket "$TMP/fake.sock" --fail GET_PROTOCOL_FEATURES:close &
FAKEPID=$!
write_config "$TMP/fake.toml" "$TESTGUEST" '[[vhost_user_fs]]' "socket = \"$TMP/fake.sock\"" \
	'tag = "share"'
run_vm fake 20 run --config "$TMP/fake.toml" --cmdline "test=pci-scan"
kill -9 $FAKEPID 2>/dev/null
[ "$VM_STATUS" -ne 0 ] || fail "microvm started with a dead back-end"
expect_err 'back-end closed the connection'
pass "back-end death during negotiation reported: $(grep -m1 'closed the connection' "$TMP/fake.err")"
