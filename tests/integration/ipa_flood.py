#!/usr/bin/env python3
"""A misbehaving STP for eird's MAP front end: it accepts eird's IPA ASP,
does the IPA identity exchange, then sends SCCP UDTs carrying MAP
CheckIMEI Begins (map_check.py's encoder) as fast as eird takes them and
never reads eird's answers. eird must keep its memory bounded (it stops
answering into a backlog it cannot send, and counts it).

Usage: ipa_flood.py LISTEN_PORT EIRD_PID SECONDS"""
import os
import socket
import struct
import sys
import time

from checks import finish, ok
from map_check import aarq, begin, imei_arg, invoke

PORT, PID, SECONDS = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
CCM, SCCP = 0xFE, 0xFD
ID_GET, ID_RESP, ID_ACK = 0x04, 0x05, 0x06


def ipa(proto, payload):
    return struct.pack(">HB", len(payload), proto) + payload


def recv_ipa(s):
    hdr = b""
    while len(hdr) < 3:
        c = s.recv(3 - len(hdr))
        if not c:
            return None, None
        hdr += c
    n, proto = struct.unpack(">HB", hdr)
    data = b""
    while len(data) < n:
        c = s.recv(n - len(data))
        if not c:
            return None, None
        data += c
    return proto, data


def addr(pc, ssn):
    # address indicator: route on SSN, SSN and PC present; 14-bit PC little-endian
    a = bytes([0x43]) + struct.pack("<H", pc) + bytes([ssn])
    return bytes([len(a)]) + a


def udt(called, calling, data):
    return bytes([0x09, 0x00, 3, 2 + len(called), 1 + len(called) + len(calling)]) + called + calling + \
        bytes([len(data)]) + data


def rss_kib():
    for line in open("/proc/%d/status" % PID):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen(1)
srv.settimeout(15)
s, _ = srv.accept()
s.settimeout(5)
s.sendall(ipa(CCM, bytes([ID_GET, 0x01, 0x08])))		# ask for the unit name
proto, data = recv_ipa(s)
ok(proto == CCM and data and data[0] == ID_RESP, "eird's ASP answers the IPA ID_GET (%r %r)" % (proto, data))
s.sendall(ipa(CCM, bytes([ID_ACK])))
time.sleep(0.5)
# Whatever eird sent meanwhile stays unread from here on.
eir, msc = 0 * 2048 + 23 * 8 + 5, 0 * 2048 + 23 * 8 + 1	# 0.23.5 and 0.23.1
s.setblocking(False)
base, peak, sent, t0 = rss_kib(), 0, 0, time.time()
pending, otid = b"", 0
while time.time() - t0 < SECONDS:
    if not pending:
        batch = []
        for _ in range(64):
            otid += 1
            tc = begin(struct.pack(">I", otid), aarq(3), invoke(1, 43, imei_arg(3, "35209900176148", None)))
            batch.append(ipa(SCCP, udt(addr(eir, 9), addr(msc, 8), tc)))
        pending = b"".join(batch)
    try:
        n = s.send(pending)
        sent += n
        pending = pending[n:]
    except BlockingIOError:
        time.sleep(0.005)
    except OSError:
        break
    peak = max(peak, rss_kib())
grew = (peak - base) // 1024
print("ipa flood: %d MiB of Begins sent, eird RSS %d -> %d KiB (+%d MiB)" % (sent >> 20, base, peak, grew))
ok(sent > 1 << 20, "the flood reached eird (%d MiB)" % (sent >> 20))
ok(os.path.exists("/proc/%d" % PID), "eird survives")
ok(grew < 48, "eird's memory stays bounded under an STP that never reads (+%d MiB)" % grew)
s.close()
sys.exit(finish())
