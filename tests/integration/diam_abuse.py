#!/usr/bin/env python3
"""Misbehaving Diameter peers against a running eird, on raw sockets (a
well-behaved stack such as freeDiameter cannot misbehave on purpose):

  burst     CER, then 20,000 ECRs in one write, then close without reading
            the answers; several rounds; eird must survive and serve.
  flood     a peer that sends ECRs and never reads: eird's memory stays
            bounded, it stops reading that peer, and closes it after Tw;
            meanwhile another peer is answered promptly.
  rogue     a CER whose Origin-Host carries control characters.
  first     an answer, and a CER with the E bit, as the first message: the
            connection is closed at once, not after Tw.
  halfclose 5,000 requests, then a half-close: every answer still arrives.
  reconf    our Origin-Host changed on the VTY while a peer is open.

Usage: diam_abuse.py CASE PORT HOST REALM EIRD_PID [ARGS]
"""
import os
import socket
import subprocess
import sys
import time

from checks import finish, ok
from s13_wire import V3GPP, avp, cer, ecr, get, msg, parse, recv_msg, u32

CASE, PORT, HOST, REALM, PID = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
IMEI = "35209900176148"


def rss_kib():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def alive():
    return os.path.exists("/proc/%d" % PID) and open("/proc/%d/stat" % PID).read().split()[2] != "Z"


def open_peer(origin=HOST, timeout=5):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.sendall(cer(origin, REALM))
    m = recv_msg(s)
    h, a = parse(m) if m else ({}, [])
    return s, (u32(get(a, 268)) if get(a, 268) else None)


def served(origin=HOST):
    """A fresh connection is accepted and an ECR answered within 5 s."""
    try:
        s, rc = open_peer(origin)
        if rc != 2001:
            return False
        s.sendall(ecr(IMEI, HOST, REALM))
        m = recv_msg(s)
        s.close()
        return m is not None and parse(m)[0]["code"] == 324
    except OSError:
        return False


def burst():
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    one = ecr(IMEI, HOST, REALM, session="burst;1")
    for r in range(rounds):
        s, rc = open_peer()
        ok(rc == 2001, "round %d: CEA 2001" % r)
        s.sendall(one * 20000)
        s.close()
        time.sleep(0.3)
        ok(alive(), "round %d: eird survives a peer closing with 20,000 answers queued" % r)
        if not alive():
            break
    ok(served(), "eird serves a new connection after the bursts")


def flood():
    base = rss_kib()
    s, rc = open_peer()
    ok(rc == 2001, "flooding peer: CEA 2001")
    s.setblocking(False)
    one = ecr(IMEI, HOST, REALM, session="flood;1") * 64
    sent, t0, stalled_at = 0, time.time(), None
    peak = base
    good, grc = open_peer("mme2.example.net")
    ok(grc == 2001, "second peer: CEA 2001")
    slow = 0
    pending = b""
    while time.time() - t0 < 4:
        try:
            if not pending:
                pending = one
            n = s.send(pending)
            sent += n
            pending = pending[n:]
        except BlockingIOError:
            if stalled_at is None:
                stalled_at = time.time() - t0
            time.sleep(0.01)
        except OSError:
            break
        peak = max(peak, rss_kib())
        if int((time.time() - t0) * 10) % 5 == 0:
            t1 = time.time()
            good.sendall(ecr(IMEI, "mme2.example.net", REALM))
            m = recv_msg(good)
            if m is None or time.time() - t1 > 0.5:
                slow += 1
    grew = (peak - base) // 1024
    print("flood: %d MiB sent, eird RSS %d -> %d KiB (+%d MiB), stalled after %.2f s" %
          (sent >> 20, base, peak, grew, stalled_at if stalled_at is not None else -1))
    ok(stalled_at is not None, "eird stops reading a peer that does not read its answers")
    ok(grew < 48, "eird's memory stays bounded under a peer that never reads (+%d MiB)" % grew)
    ok(slow == 0, "the other peer is answered promptly meanwhile (%d slow answers)" % slow)
    # Tw (the test's watchdog-interval) later the flooding peer is closed.
    tw = int(sys.argv[6])
    deadline = time.time() + tw + 6
    closed = False
    while time.time() < deadline and not closed:
        try:
            if not pending:
                pending = one
            pending = pending[s.send(pending):]
        except BlockingIOError:
            time.sleep(0.2)
        except OSError:
            closed = True
    ok(closed, "a peer that stays over the output limit for Tw is closed")
    ok(served("mme2.example.net"), "eird still serves after the flood")
    good.close()


def rogue():
    s, rc = open_peer("rogue\nsnapshot_seq:999999")
    ok(rc == 3010, "a CER with control characters in Origin-Host is refused with 3010 (got %s)" % rc)
    ok(recv_msg(s) is None, "and the connection is closed")
    s.close()


def first_message():
    for what, m in (("an answer (DWA)", msg(280, 0, [avp(268, 2001), avp(264, HOST), avp(296, REALM)], flags=0)),
                    ("a CER with the E bit", cer(HOST, REALM)[:4] + bytes([0xA0]) + cer(HOST, REALM)[5:])):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        t0 = time.time()
        s.sendall(m)
        data, got = b"", None
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            got = time.time() - t0
        except socket.timeout:
            pass
        ok(got is not None and got < 3, "%s as the first message: connection closed at once (%s)" % (what, got))
        if what.startswith("a CER"):
            h, a = parse(data) if data else ({}, [])
            ok(h.get("flags", 0) & 0x20 and u32(get(a, 268)) == 3008, "E-bit CER answered 3008 before the close")
        s.close()
    ok(served(), "eird serves after the bad first messages")


def halfclose():
    """5,000 requests, then the peer closes its sending side and only then
    reads, through a small receive buffer: every answer still arrives
    before eird closes (most of them wait in eird's output meanwhile)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect(("127.0.0.1", PORT))
    s.sendall(cer(HOST, REALM))
    m = recv_msg(s)
    ok(m is not None and u32(get(parse(m)[1], 268)) == 2001, "half-closing peer: CEA 2001")
    s.sendall(ecr(IMEI, HOST, REALM, session="half;1") * 5000)
    time.sleep(0.5)
    s.shutdown(socket.SHUT_WR)
    n = 0
    try:
        while recv_msg(s) is not None:
            n += 1
    except OSError:
        pass
    ok(n == 5000, "a peer that half-closes gets all its 5,000 answers (%d)" % n)
    s.close()


def reconf():
    """Our Origin-Host changed on the VTY while a peer is open: that peer
    keeps the identity of its CEA, a new one gets the new identity."""
    vty_port, vty_cmd = int(sys.argv[6]), sys.argv[7]
    s, rc = open_peer()
    ok(rc == 2001, "reconf: CEA 2001")
    subprocess.run([sys.executable, vty_cmd, str(vty_port),
                    "configure terminal;diameter;origin-host eir-renamed.example.net;end"],
                   check=True, stdout=subprocess.DEVNULL)
    s.sendall(ecr(IMEI, HOST, REALM))
    m = recv_msg(s)
    oh = get(parse(m)[1], 264) if m else None
    ok(oh == b"eir.example.net", "an open connection keeps the Origin-Host of its CEA (%r)" % oh)
    s.close()
    s2 = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s2.sendall(cer(HOST, REALM))
    m = recv_msg(s2)
    oh = get(parse(m)[1], 264) if m else None
    ok(oh == b"eir-renamed.example.net", "a new connection gets the new Origin-Host (%r)" % oh)
    s2.close()
    subprocess.run([sys.executable, vty_cmd, str(vty_port),
                    "configure terminal;diameter;origin-host eir.example.net;end"],
                   check=True, stdout=subprocess.DEVNULL)


{"burst": burst, "flood": flood, "rogue": rogue, "first": first_message, "halfclose": halfclose,
 "reconf": reconf}[CASE]()
sys.exit(finish())
