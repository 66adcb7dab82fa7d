#!/usr/bin/env python3
"""Holds hostile FastCGI peers against a socket for bench/run: SILENT connections that send nothing and
HALF that send half a request head, each reopened as soon as the server closes it (its head deadline), until
killed. Standard library only.

Usage: hold_peers.py SOCKET_PATH SILENT HALF
"""
import selectors
import socket
import struct
import sys


def half_head():
    params = b"\x0e\x04REQUEST_METHODPOST\x0b\x00SCRIPT_NAME"
    begin = struct.pack(">BBHHBx", 1, 1, 1, 8, 0) + struct.pack(">HB5x", 1, 0)
    record = struct.pack(">BBHHBx", 1, 4, 1, len(params), 0) + params
    whole = begin + record + struct.pack(">BBHHBx", 1, 4, 1, 0, 0)
    return whole[: len(whole) // 2]


def main():
    path, silent, half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    selector = selectors.DefaultSelector()

    def open_peer(kind):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        if kind == "half":
            sock.sendall(half_head())
        selector.register(sock, selectors.EVENT_READ, kind)

    for kind, count in (("silent", silent), ("half", half)):
        for _ in range(count):
            open_peer(kind)
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            try:
                closed = not sock.recv(4096)
            except OSError:
                closed = True
            if closed:
                selector.unregister(sock)
                sock.close()
                open_peer(key.data)


if __name__ == "__main__":
    main()
