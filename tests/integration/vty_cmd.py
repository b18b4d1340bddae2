#!/usr/bin/env python3
"""Run commands on eird's telnet VTY and print the output of the last one.
Usage: vty_cmd.py PORT "command[;command...]"   (enable is implied)"""
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(0.2)


def drain(until, limit=5.0):
    out, t = b"", time.time()
    while time.time() - t < limit and not out.rstrip().endswith(until):
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        except socket.timeout:
            pass
    return out


drain(b">")
s.sendall(b"enable\r\n")
drain(b"#")
out = b""
for cmd in sys.argv[2].split(";"):
    s.sendall(cmd.encode() + b"\r\n")
    out = drain(b"#")
print(out.decode("latin-1"))
s.close()
