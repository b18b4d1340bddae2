#!/usr/bin/env python3
"""One CER and one ECR against eird; prints the Equipment-Status, or 5422
for unknown equipment, or the Result-Code of an error answer.
Usage: s13_one.py PORT ALLOWED_HOST REALM IMEI"""
import socket
import sys

from s13_wire import V3GPP, avps_of, cer, ecr, get, parse, recv_msg, u32

port, host, realm, imei = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

s = socket.create_connection(("127.0.0.1", port), 5)
s.sendall(cer(host, realm, product="s13-one"))
if recv_msg(s) is None:
    sys.exit("connection closed")
s.sendall(ecr(imei, host, realm, session="one;1"))
m = recv_msg(s)
if m is None:
    sys.exit("connection closed")
a = parse(m)[1]
if get(a, 1445, V3GPP) is not None:
    print(u32(get(a, 1445, V3GPP)))
elif get(a, 297) is not None:
    print(u32(get(avps_of(get(a, 297)), 298)))
else:
    print(u32(get(a, 268)))
