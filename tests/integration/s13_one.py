#!/usr/bin/env python3
"""One CER and one ECR against eird; prints the Equipment-Status, or 5422
for unknown equipment, or the Result-Code of an error answer.
Usage: s13_one.py PORT ALLOWED_HOST REALM IMEI"""
import socket
import struct
import sys

port, host, realm, imei = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
S13, V = 16777252, 10415


def avp(code, data, flags=0x40, vendor=None):
    data = struct.pack(">I", data) if isinstance(data, int) else (data.encode() if isinstance(data, str) else data)
    hl = 12 if vendor is not None else 8
    hdr = struct.pack(">IB", code, flags | (0x80 if vendor is not None else 0)) + (hl + len(data)).to_bytes(3, "big")
    if vendor is not None:
        hdr += struct.pack(">I", vendor)
    raw = hdr + data
    return raw + b"\0" * (-len(raw) % 4)


def msg(code, app, avps, flags):
    body = b"".join(avps)
    return bytes([1]) + (20 + len(body)).to_bytes(3, "big") + bytes([flags]) + code.to_bytes(3, "big") + \
        struct.pack(">III", app, 1, 1) + body


def recv(s):
    d = b""
    while len(d) < 4 or len(d) < int.from_bytes(d[1:4], "big"):
        c = s.recv(65536)
        if not c:
            sys.exit("connection closed")
        d += c
    return d


def avps(b):
    i, out = 0, {}
    while i + 8 <= len(b):
        code, fl = struct.unpack(">IB", b[i:i + 5])
        ln = int.from_bytes(b[i + 5:i + 8], "big")
        hl = 12 if fl & 0x80 else 8
        out.setdefault(code, b[i + hl:i + ln])
        i += (ln + 3) & ~3
    return out


s = socket.create_connection(("127.0.0.1", port), 5)
s.sendall(msg(257, 0, [avp(264, host), avp(296, realm), avp(257, b"\0\1\x7f\0\0\1"), avp(266, 0),
                       avp(269, "s13-one", 0), avp(258, S13)], 0x80))
recv(s)
s.sendall(msg(324, S13, [avp(263, "one;1"), avp(277, 1), avp(264, host), avp(296, realm), avp(283, realm),
                         avp(1401, avp(1402, imei, vendor=V), vendor=V)], 0xC0))
a = avps(recv(s)[20:])
if 1445 in a:
    print(struct.unpack(">I", a[1445])[0])
elif 297 in a:
    print(struct.unpack(">I", avps(a[297])[298])[0])
else:
    print(struct.unpack(">I", a[268])[0])
