#!/usr/bin/env python3
"""Raw-TCP Diameter checks against a running eird: its own encoder (not
eird's), the verified ECR bytes of docs/protocols.md, every malformed
input kind, and that one peer's garbage never disturbs another peer.

Usage: s13_raw.py PORT ALLOWED_HOST REALM DB_EXPECTATIONS SECOND_ALLOWED_HOST
DB_EXPECTATIONS: lines "IMEI IMSI|- STATUS" where STATUS is 0/1/2 for
Equipment-Status or 5422 for unknown equipment.
"""
import socket
import struct
import sys

from checks import finish, ok
import s13_wire
from s13_wire import S13, V3GPP, avp, avps_of, get, msg, parse, recv_msg, u32

PORT = int(sys.argv[1])
HOST = sys.argv[2]
REALM = sys.argv[3]
EXPECT = sys.argv[4]
HOST2 = sys.argv[5]


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    return s


def cer(origin, apps=(("vsai", S13),)):
    return s13_wire.cer(origin, REALM, apps, product="s13-raw-test")


def open_peer(origin=HOST):
    s = connect()
    s.sendall(cer(origin))
    h, a = parse(recv_msg(s))
    ok(h["code"] == 257 and u32(get(a, 268)) == 2001, "CEA 2001 for %s" % origin)
    return s


def ecr(imei, **kw):
    kw.setdefault("session", "s13raw;1")
    return s13_wire.ecr(imei, HOST, REALM, **kw)


def ask(s, m):
    s.sendall(m)
    return parse(recv_msg(s))


# 1. Capabilities exchange: unknown peer, no common application, allowed.
s = connect()
s.sendall(cer("intruder.example.net"))
h, a = parse(recv_msg(s))
ok(u32(get(a, 268)) == 3010, "unknown peer gets 3010, got %s" % u32(get(a, 268)))
ok(recv_msg(s) is None, "unknown peer is dropped")
s.close()
s = connect()
s.sendall(cer(HOST, apps=(("auth", 16777251),)))
h, a = parse(recv_msg(s))
ok(u32(get(a, 268)) == 5010, "no common application gets 5010")
s.close()
s = connect()
s.sendall(msg(280, 0, [avp(264, HOST), avp(296, REALM)]))
ok(recv_msg(s) is None, "a DWR before CER closes the connection")
s.close()

peer = open_peer()

# 2. The verified ECR of docs/protocols.md §2.5, byte for byte.
ECR_HEX = ("01000154c0000144010000241234abcd5678ef01000001074000003a6d6d652e"
           "6570632e6d6e633030312e6d63633030312e336770706e6574776f726b2e6f72"
           "673b313233343536373839303b31000000000104400000200000010a4000000c"
           "000028af000001024000000c01000024000001154000000c0000000100000108"
           "4000002d6d6d652e6570632e6d6e633030312e6d63633030312e336770706e65"
           "74776f726b2e6f726700000000000128400000296570632e6d6e633030312e6d"
           "63633030312e336770706e6574776f726b2e6f72670000000000011b40000029"
           "6570632e6d6e633030312e6d63633030312e336770706e6574776f726b2e6f72"
           "6700000000000579c0000038000028af0000057ac000001a000028af33353230"
           "3939303031373631343800000000057bc000000e000028af3233000000000001"
           "4000001730303130313031323334353637383900")
h, a = ask(peer, bytes.fromhex(ECR_HEX))
ok(h["code"] == 324 and h["flags"] == 0x40 and h["hbh"] == 0x1234abcd, "ECA header for the verified ECR")
ok(get(a, 263) == b"mme.epc.mnc001.mcc001.3gppnetwork.org;1234567890;1", "Session-Id echoed")
ok(u32(get(a, 277)) == 1, "Auth-Session-State NO_STATE_MAINTAINED")
ok(get(a, 264) is not None and get(a, 296) is not None, "Origin-Host and Origin-Realm")

# 3. Every expectation of the database, through our own encoder.
for line in open(EXPECT):
    if not line.strip() or line.startswith("#"):
        continue
    imei, imsi, want = line.split()
    h, a = ask(peer, ecr(imei, sv="01", imsi=None if imsi == "-" else imsi))
    if want == "5422":
        er = get(a, 297)
        inner = avps_of(er) if er else []
        ok(er is not None and u32(get(inner, 298)) == 5422 and get(a, 268) is None
           and get(a, 1445, V3GPP) is None, "%s: Experimental-Result 5422" % imei)
    else:
        es = get(a, 1445, V3GPP)
        ok(u32(get(a, 268)) == 2001 and es is not None and u32(es) == int(want),
           "%s/%s: Equipment-Status %s, got %s" % (imei, imsi, want, es and u32(es)))

# 4. Malformed requests: the RFC 6733 answer, and the connection stays up.
def result(a):
    r = get(a, 268)
    return u32(r) if r else None


h, a = ask(peer, ecr("35209900176148", skip=("ti",)))
ok(result(a) == 5005 and get(a, 279) is not None, "missing Terminal-Information: 5005 + Failed-AVP")
fa = avps_of(get(a, 279))
ok(fa and fa[0][0] == 1401 and fa[0][1] == V3GPP, "Failed-AVP names Terminal-Information")
h, a = ask(peer, ecr(None))
ok(result(a) == 5005 and avps_of(get(a, 279))[0][0] == 1402, "Terminal-Information without IMEI: 5005 (IMEI)")
h, a = ask(peer, ecr("35209900176148", skip=("sid",)))
ok(result(a) == 5005, "missing Session-Id: 5005")
h, a = ask(peer, ecr("35209900176148", extra=[avp(9999, 1)]))
ok(result(a) == 5001 and avps_of(get(a, 279))[0][0] == 9999, "unknown M-bit AVP: 5001 quoting it")
h, a = ask(peer, ecr("35209900176148", extra=[avp(9999, 1, flags=0)]))
ok(result(a) == 2001, "unknown AVP without M is ignored")
h, a = ask(peer, ecr("35209900176148", extra=[avp(264, "again")]))
ok(result(a) == 5009, "Origin-Host twice: 5009")
h, a = ask(peer, msg(324, S13, [avp(263, "x;1"), avp(277, b"\0\0\0\1\0"), avp(264, HOST), avp(296, REALM),
                                avp(283, REALM), avp(1401, avp(1402, "35209900176148", vendor=V3GPP), vendor=V3GPP)],
                     flags=0xC0))
ok(result(a) == 5014, "Unsigned32 of 5 octets: 5014")
h, a = ask(peer, msg(999, S13, [avp(263, "x;2"), avp(264, HOST), avp(296, REALM)], flags=0xC0))
ok(h["flags"] & 0x20 and result(a) == 3001, "unknown command: 3001 with the E bit")
h, a = ask(peer, msg(324, 16777251, [avp(263, "x;3"), avp(264, HOST), avp(296, REALM)], flags=0xC0))
ok(h["flags"] & 0x20 and result(a) == 3007, "unknown application: 3007 with the E bit")
h, a = ask(peer, msg(324, S13, [avp(263, "x;4")], flags=0xE0))
ok(h["flags"] & 0x20 and result(a) == 3008, "E bit in a request: 3008")
h, a = ask(peer, ecr("3520990017614x"))
ok(result(a) == 2001 and u32(get(a, 1445, V3GPP)) == 1, "invalid IMEI follows policy invalid-imei (blacklisted)")

# 5. Batching: many requests in one write, all answered in order.
burst = b"".join(ecr("35209900176148", session="burst;%d" % i)[:12] + struct.pack(">II", i, i) +
                 ecr("35209900176148", session="burst;%d" % i)[20:] for i in range(200))
peer.sendall(burst)
hbhs = []
for i in range(200):
    h, a = parse(recv_msg(peer))
    hbhs.append(h["hbh"])
ok(hbhs == list(range(200)), "200 pipelined requests answered in order")

# 6. Watchdog and a framing error on another connection.
h, a = ask(peer, msg(280, 0, [avp(264, HOST), avp(296, REALM)], hbh=77))
ok(h["code"] == 280 and h["hbh"] == 77 and result(a) == 2001, "DWR answered with DWA 2001")
bad = open_peer(HOST2)
bad.sendall(b"\x02\x00\x00\x14" + b"\0" * 16)   # version 2
ok(recv_msg(bad) is None, "a framing error closes that connection")
bad.close()
h, a = ask(peer, ecr("35209900176148"))
ok(result(a) == 2001, "the first peer is still served after another's framing error")

# 7. A peer that reconnects replaces its old connection.
again = open_peer(HOST)
ok(recv_msg(peer) is None, "the old connection of a reconnecting peer is closed")
peer.close()
peer = again

# 8. Disconnect.
h, a = ask(peer, msg(282, 0, [avp(264, HOST), avp(296, REALM), avp(273, 0)]))
ok(h["code"] == 282 and result(a) == 2001, "DPR answered with DPA 2001")
ok(recv_msg(peer) is None, "eird closes after DPA")
peer.close()

sys.exit(finish())
