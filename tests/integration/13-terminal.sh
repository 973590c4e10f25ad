#!/usr/bin/env bash
# The console on a real terminal: raw mode while the guest runs, restored on every exit path
# (guest reset, Ctrl-A x, SIGTERM, a configuration error), Ctrl-A Ctrl-A passes one Ctrl-A on.
source "$(dirname "$0")/lib.sh"
require_kvm

write_config "$TMP/vm.toml" "$TESTGUEST"
python3 - "$MICROVM" "$TMP/vm.toml" <<'PY' || fail "terminal handling"
import os, pty, signal, subprocess, sys, termios, time

microvm, cfg = sys.argv[1], sys.argv[2]

def run(args, send=None, sig=None, wait_raw=True):
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([microvm] + args, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    raw_seen = False
    deadline = time.time() + 20
    while time.time() < deadline and p.poll() is None:
        if not termios.tcgetattr(slave)[3] & termios.ICANON:
            raw_seen = True
            break
        time.sleep(0.005)
    if send is not None:
        os.write(master, send)
    if sig is not None:
        p.send_signal(sig)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise SystemExit("microvm did not stop")
    after = termios.tcgetattr(slave)
    os.close(master); os.close(slave)
    if after != before:
        raise SystemExit(f"{args}: terminal not restored: {before} -> {after}")
    if wait_raw and not raw_seen:
        raise SystemExit(f"{args}: terminal never went raw")
    return p.returncode, p.stderr.read().decode()

# A guest that runs until stopped: the test guest spinning in a long memtest.
long = ["run", "--config", cfg, "--memory", "512M", "--cmdline", "test=memtest=400"]

rc, err = run(["run", "--config", cfg, "--cmdline", ""])
assert rc == 0, (rc, err)
print("PASS: guest reset restores the terminal")

rc, err = run(long, send=b"\x01x")
assert rc == 7 and "Ctrl-A x" in err, (rc, err)
print("PASS: Ctrl-A x quits with status 7 and restores the terminal")

rc, err = run(long, sig=signal.SIGTERM)
assert rc == 7 and "signal 15" in err, (rc, err)
print("PASS: SIGTERM stops with status 7 and restores the terminal")

rc, err = run(["run", "--config", cfg, "--kernel", "/nonexistent"], wait_raw=False)
assert rc == 2, (rc, err)
print("PASS: a configuration error leaves the terminal untouched")
PY
pass "terminal handling"
