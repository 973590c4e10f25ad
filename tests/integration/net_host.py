#!/usr/bin/env python3
"""Host side of guest/tests/net.sh, inside the test's network namespace.

Port 5555: receives until EOF, answers the sha256 hex of what arrived, prints "rx-sha256 HEX N".
Port 5556: sends the file argv[2] and closes, prints "tx-sha256 HEX N".
Serves each port once, then exits. argv[1] = address to bind.
"""
import hashlib
import socket
import sys
import threading


def serve(port, fn):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port))
    s.listen(1)
    c, _ = s.accept()
    c.settimeout(120)
    fn(c)
    c.close()
    s.close()


def sink(c):
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print("rx-sha256 %s %d" % (h.hexdigest(), n), flush=True)
    c.sendall(h.hexdigest().encode() + b"\n")
    c.shutdown(socket.SHUT_WR)


def source(c):
    data = open(sys.argv[2], "rb").read()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    print("tx-sha256 %s %d" % (hashlib.sha256(data).hexdigest(), len(data)), flush=True)


threads = [threading.Thread(target=serve, args=(5555, sink)),
           threading.Thread(target=serve, args=(5556, source))]
for t in threads:
    t.start()
for t in threads:
    t.join()
