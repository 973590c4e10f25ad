#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Misbehaving clients of the control API socket (tests/integration/80-api-testguest.sh).

  api_abuse.py SOCKET headers N                a GET with N extra header lines: print the status
  api_abuse.py SOCKET bigheader BYTES          a GET with one header of BYTES: print the status
  api_abuse.py SOCKET slowloris SECONDS        trickle a request one byte every 0.5 s: print how
                                               long the server kept the connection (seconds)
  api_abuse.py SOCKET flood N PID              open N connections and keep them idle; print
                                               "open=<accepted or queued> refused=<n>
                                               server_fds=<fds of PID while they are open>"
"""
import os
import socket
import sys
import time


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def status_of(s):
    """The status code of the first response line, or 'closed'."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    if not data.startswith(b"HTTP/1."):
        return "closed"
    return data.split(b" ", 2)[1].decode()


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "headers":
        n = int(sys.argv[3])
        s = connect(path)
        req = "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n"
        req += "".join("X-H%d: v\r\n" % i for i in range(n)) + "\r\n"
        s.sendall(req.encode())
        print(status_of(s))
    elif what == "bigheader":
        s = connect(path)
        req = "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % (
            "a" * int(sys.argv[3]))
        try:
            s.sendall(req.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass
        print(status_of(s))
    elif what == "slowloris":
        limit = float(sys.argv[3])
        s = connect(path)
        req = b"GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        t0 = time.monotonic()
        for b in req:
            try:
                s.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.5)
            if time.monotonic() - t0 > limit:
                break
        print("%.1f" % (time.monotonic() - t0))
    elif what == "flood":
        n, pid = int(sys.argv[3]), sys.argv[4]
        socks, refused = [], 0
        for _ in range(n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(path)
                socks.append(s)
            except (BlockingIOError, ConnectionRefusedError, OSError):
                refused += 1
                s.close()
        time.sleep(0.5)
        fds = len(os.listdir("/proc/%s/fd" % pid))
        print("open=%d refused=%d server_fds=%d" % (len(socks), refused, fds))
        for s in socks:
            s.close()
    else:
        sys.exit("unknown mode " + what)


if __name__ == "__main__":
    main()
