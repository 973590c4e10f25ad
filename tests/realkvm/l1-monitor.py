#!/usr/bin/env python3
"""Runs human-monitor commands on L1's QEMU (run.sh starts it with -monitor unix:SOCK,server,nowait)
and prints their output: where L1's CPU is when L1 does not finish (registers, local APIC).
usage: l1-monitor.py SOCK COMMAND...   (no output and status 1 if the monitor does not answer)"""
import re
import socket
import sys

PROMPT = b"(qemu) "


def read_reply(s):
    out = b""
    try:
        while not out.endswith(PROMPT):
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        print(f"l1-monitor: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    read_reply(s)
    for cmd in sys.argv[2:]:
        s.sendall(cmd.encode() + b"\n")
        reply = read_reply(s).decode(errors="replace")
        # The monitor echoes the command with terminal escapes; drop them and the prompt.
        reply = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", reply).replace("(qemu) ", "")
        lines = [l.rstrip("\r") for l in reply.split("\n")[1:]]
        # The FPU and vector registers say nothing about a hang.
        lines = [l for l in lines if l and not re.match(r"(FPR|XMM|YMM|ZMM|Opmask)", l)]
        print(f"(qemu) {cmd}")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
