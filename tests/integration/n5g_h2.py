#!/usr/bin/python3
"""HTTP/2-level checks of eird's N5g-eir front end, with python3-h2 (an
HTTP/2 implementation eird does not share) and raw sockets for the peers
that misbehave. One subcommand per check; each prints "N passed, M failed"
(checks.py) and exits non-zero on a failure.

  n5g_h2.py settings PORT MAX_STREAMS HEADER_LIST
  n5g_h2.py ping PORT
  n5g_h2.py multiplex PORT IMEI_OK IMEI_UNKNOWN
  n5g_h2.py refuse PORT MAX_STREAMS           (streams over the limit are refused)
  n5g_h2.py idle PORT SECONDS                 (GOAWAY after SECONDS of silence)
  n5g_h2.py silent PORT SECONDS               (no request at all: closed after SECONDS)
  n5g_h2.py vtyidle PORT VTY_PORT             (idle-timeout 1 typed on the VTY closes an
                                               idle connection that is already open)
  n5g_h2.py congestion PORT MAX_CONNECTIONS   (the next one gets 503 NF_CONGESTION)
  n5g_h2.py goaway PORT PIDFILE               (SIGTERM: answers, then GOAWAY NO_ERROR)
  n5g_h2.py protocol PORT                     (HTTP/1.1, and broken HTTP/2: GOAWAY
                                               PROTOCOL_ERROR or a close, no answer)
  n5g_h2.py abuse PORT IDLE_SECONDS           (a half frame and a peer that opens
                                               10,000 streams without reading do not
                                               slow a third connection)
"""
import json
import os
import signal
import socket
import statistics
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import ok, finish  # noqa: E402

PATH = "/n5g-eir-eic/v1/equipment-status"


def headers(port, query, method="GET"):
    return [(":method", method), (":scheme", "http"), (":authority", f"127.0.0.1:{port}"),
            (":path", f"{PATH}?{query}" if query else PATH), ("user-agent", "n5g_h2")]


class Client:
    """A well-behaved HTTP/2 client on one connection."""

    def __init__(self, port, timeout=5.0):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.responses = {}     # stream id -> {"status", "headers", "body", "ended"}
        self.events = []
        self.closed = False
        self.reset = False      # closed by an RST, not a FIN

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, until, deadline=5.0):
        end = time.monotonic() + deadline
        while not until():
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                data = b""
                self.reset = True
            if not data:
                self.closed = True
                return until()
            for ev in self.conn.receive_data(data):
                self.events.append(ev)
                sid = getattr(ev, "stream_id", 0)
                if isinstance(ev, h2.events.ResponseReceived):
                    hd = {k.decode(): v.decode() for k, v in ev.headers}
                    self.responses[sid] = {"status": int(hd[":status"]), "headers": hd, "body": b"", "ended": False}
                elif isinstance(ev, h2.events.DataReceived):
                    self.responses[sid]["body"] += ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.StreamEnded):
                    self.responses[sid]["ended"] = True
            self.flush()
        return True

    def request(self, query, method="GET"):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, headers(self.port, query, method), end_stream=True)
        self.flush()
        return sid

    def get(self, query):
        sid = self.request(query)
        self.pump(lambda: sid in self.responses and self.responses[sid]["ended"])
        return self.responses.get(sid)

    def first(self, cls):
        return next((e for e in self.events if isinstance(e, cls)), None)


def verdict_of(resp):
    if not resp:
        return None
    if resp["status"] == 200:
        return json.loads(resp["body"])["status"]
    return json.loads(resp["body"]).get("cause")


def cmd_settings(port, max_streams, header_list):
    c = Client(port)
    c.pump(lambda: c.first(h2.events.RemoteSettingsChanged))
    ev = c.first(h2.events.RemoteSettingsChanged)
    ok(ev is not None, "no SETTINGS from eird")
    if ev:
        got = {k: v.new_value for k, v in ev.changed_settings.items()}
        ok(got.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS) == max_streams,
           f"MAX_CONCURRENT_STREAMS {got.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)}, want {max_streams}")
        ok(got.get(h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE) == header_list,
           f"MAX_HEADER_LIST_SIZE {got.get(h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE)}, want {header_list}")
    # A header list over the limit: 431 with a ProblemDetails.
    big = "x" * (header_list + 100)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, headers(port, "pei=imei-490154203237518") + [("x-big", big)], end_stream=True)
    c.flush()
    c.pump(lambda: sid in c.responses and c.responses[sid]["ended"])
    r = c.responses.get(sid)
    ok(r is not None and r["status"] == 431, f"over max-header-list-size: {r and r['status']}, want 431")
    if r:
        ok(r["headers"].get("content-type") == "application/problem+json", "431 content-type")
        ok(json.loads(r["body"]).get("status") == 431, "431 body status")
    # The connection still serves.
    r = c.get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 200, "a request after the 431")


def cmd_ping(port):
    c = Client(port)
    c.get("pei=imei-490154203237518")   # settled
    times = []
    for i in range(20):
        payload = i.to_bytes(8, "big")
        t0 = time.monotonic()
        c.conn.ping(payload)
        c.flush()
        c.pump(lambda: any(isinstance(e, h2.events.PingAckReceived) and e.ping_data == payload for e in c.events))
        acked = any(isinstance(e, h2.events.PingAckReceived) and e.ping_data == payload for e in c.events)
        ok(acked, f"PING {i} not acknowledged with its payload")
        times.append(time.monotonic() - t0)
    med = statistics.median(times)
    print(f"PING round trip: median {med * 1e6:.0f} us, max {max(times) * 1e6:.0f} us")
    ok(med < 0.05, f"PING median {med * 1000:.1f} ms: not answered at once")


def luhn(d14):
    t = 0
    for i, ch in enumerate(d14):
        v = int(ch) * (2 if i % 2 else 1)
        t += v // 10 + v % 10
    return d14 + str((10 - t % 10) % 10)


def cmd_multiplex(port, imei_ok, imei_unknown):
    """60 requests in flight on one connection (as an AMF multiplexes);
    IMEIs given as 14 digits."""
    imei_ok, imei_unknown = luhn(imei_ok), luhn(imei_unknown)
    c = Client(port)
    want = {}
    for i in range(60):
        if i % 3 == 0:
            q, w = f"pei=imei-{imei_ok}", (200, "WHITELISTED")
        elif i % 3 == 1:
            q, w = f"pei=imei-{imei_unknown}", (404, "ERROR_EQUIPMENT_UNKNOWN")
        else:
            q, w = "pei=imei-12", (400, "MANDATORY_QUERY_PARAM_INCORRECT")
        want[c.request(q)] = w
    c.pump(lambda: all(s in c.responses and c.responses[s]["ended"] for s in want))
    for sid, (st, v) in want.items():
        r = c.responses.get(sid)
        ok(r is not None and r["status"] == st and verdict_of(r) == v,
           f"stream {sid}: {r and r['status']} {r and r['body'][:80]}, want {st} {v}")


def cmd_refuse(port, max_streams):
    """More concurrent streams than SETTINGS allow (the client ignores
    them): the excess is reset with REFUSED_STREAM, the rest answered."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    enc = hpack.Encoder()
    out = [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", frame(4, 0, 0, b"")]
    n = max_streams + 50
    for i in range(n):
        out.append(frame(1, 0x5, 1 + 2 * i, enc.encode(headers(port, "pei=imei-490154203237518"))))
    s.sendall(b"".join(out))
    answered, refused = read_frames_until(s, n)
    print(f"{n} streams at once: {answered} answered, {refused} refused")
    ok(answered + refused == n, f"{answered} answered + {refused} refused != {n}")
    ok(refused >= n - max_streams - 5 and answered >= max_streams - 5,
       f"max-concurrent-streams {max_streams}: {answered} answered, {refused} refused")


def cmd_refuse_acked(port, max_streams):
    """The same once the client has acknowledged eird's SETTINGS: nghttp2
    then ends the connection, GOAWAY PROTOCOL_ERROR (RFC 9113 5.1.2)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    buf = b""
    while True:     # eird's SETTINGS, then ours acknowledged
        d = s.recv(65536)
        if not d:
            break
        buf += d
        if len(buf) >= 9 and buf[3] == 4 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            break
    s.sendall(frame(4, 1, 0, b""))
    time.sleep(0.2)
    enc = hpack.Encoder()
    n = max_streams + 50
    s.sendall(b"".join(frame(1, 0x5, 1 + 2 * i, enc.encode(headers(port, "pei=imei-490154203237518")))
                       for i in range(n)))
    data, closed = read_until_closed(s)
    code = goaway_code(data)
    print(f"{n} streams after the SETTINGS ACK: GOAWAY {code}, closed={closed}")
    ok(code == 1 and closed, f"over the limit after the ACK: GOAWAY {code}, closed={closed}; want PROTOCOL_ERROR (1)")


def frame(ftype, flags, sid, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + sid.to_bytes(4, "big") + payload


def read_frames_until(s, n, timeout=5.0):
    """Count END_STREAM DATA frames and REFUSED_STREAM resets until n."""
    buf, answered, refused = b"", 0, 0
    end = time.monotonic() + timeout
    while answered + refused < n and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
        while len(buf) >= 9:
            ln = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + ln:
                break
            ft, fl, payload = buf[3], buf[4], buf[9:9 + ln]
            buf = buf[9 + ln:]
            if ft == 0 and fl & 1:
                answered += 1
            elif ft == 3 and int.from_bytes(payload[:4], "big") == 7:
                refused += 1
            elif ft == 4 and not fl & 1:
                s.sendall(frame(4, 1, 0, b""))
    return answered, refused


def cmd_silent(port, seconds):
    """A connection that never sends a request is closed after SECONDS
    (the first-request deadline), whatever idle-timeout says."""
    s = socket.create_connection(("127.0.0.1", port), timeout=seconds + 5)
    t0 = time.monotonic()
    data, closed = read_until_closed(s, timeout=seconds + 4)
    took = time.monotonic() - t0
    ok(closed and seconds - 1 <= took <= seconds + 3, f"a silent connection: closed={closed} after {took:.1f} s")


def cmd_vtyidle(port, vty_port):
    c = Client(port)
    r = c.get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 200, "first request")
    v = socket.create_connection(("127.0.0.1", vty_port), timeout=3)
    v.sendall(b"enable\r\nconfigure terminal\r\nn5g\r\nidle-timeout 1\r\nend\r\n")
    t0 = time.monotonic()
    c.pump(lambda: c.closed, deadline=5)
    took = time.monotonic() - t0
    v.close()
    ok(c.closed and took < 3.5, f"idle-timeout 1 from the VTY: closed={c.closed} after {took:.1f} s (idle-timeout was 60)")
    ga = c.first(h2.events.ConnectionTerminated)
    ok(ga is not None and ga.error_code == 0, f"GOAWAY NO_ERROR before the close: {ga}")


def cmd_idle(port, seconds):
    c = Client(port)
    r = c.get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 200, "first request")
    t0 = time.monotonic()
    c.pump(lambda: c.closed, deadline=seconds + 3)
    took = time.monotonic() - t0
    ga = c.first(h2.events.ConnectionTerminated)
    ok(c.closed, f"not closed {seconds + 3} s after the last frame")
    ok(ga is not None and ga.error_code == 0, f"no GOAWAY NO_ERROR before the close: {ga}")
    ok(seconds - 1 <= took <= seconds + 2.5, f"closed after {took:.1f} s, idle-timeout {seconds}")


def cmd_congestion(port, max_conns):
    keep = [Client(port) for _ in range(max_conns)]
    for k in keep:
        r = k.get("pei=imei-490154203237518")
        ok(r is not None and r["status"] == 200, "a connection within max-connections")
    extra = Client(port)
    r = extra.get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 503, f"over max-connections: {r and r['status']}, want 503")
    if r:
        ok(r["headers"].get("content-type") == "application/problem+json", "503 content-type")
        ok(json.loads(r["body"]).get("cause") == "NF_CONGESTION", f"503 cause: {r['body']}")
        ok(r["headers"].get("retry-after") == "1", "503 retry-after")
    extra.pump(lambda: extra.closed, deadline=3)
    ok(extra.first(h2.events.ConnectionTerminated) is not None and extra.closed,
       "the congested connection gets GOAWAY and is closed")
    # A served connection closes: there is room again.
    keep[0].sock.close()
    time.sleep(0.3)
    again = Client(port)
    r = again.get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 200, f"after one closed: {r and r['status']}, want 200")


def cmd_goaway(port, pidfile):
    """SIGTERM while the client keeps sending (PINGs, as a busy peer sends
    frames at any time): every request made before is answered, then
    GOAWAY NO_ERROR, then the connection ends with a FIN, not an RST
    (close() with unread input resets, and the peer may lose the tail)."""
    c = Client(port)
    c.get("pei=imei-490154203237518")
    sids = [c.request("pei=imei-490154203237518") for _ in range(20)]
    stop = threading.Event()
    send_error = []

    def pinger():
        i = 0
        while not stop.is_set():
            try:
                c.sock.sendall(frame(6, 0, 0, (1 << 40 | i).to_bytes(8, "big")) * 16)
            except OSError as e:    # the reset may be reported here, not to recv
                send_error.append(e)
                return
            i += 1
            time.sleep(0.001)
    t = threading.Thread(target=pinger, daemon=True)
    t.start()
    time.sleep(0.3)
    with open(pidfile) as f:
        os.kill(int(f.read().strip()), signal.SIGTERM)
    c.pump(lambda: c.first(h2.events.ConnectionTerminated) is not None, deadline=5)
    stop.set()
    t.join()
    c.pump(lambda: c.closed, deadline=5)
    ga = c.first(h2.events.ConnectionTerminated)
    ok(all(s in c.responses and c.responses[s]["ended"] and c.responses[s]["status"] == 200 for s in sids),
       "every request made before the stop is answered")
    ok(ga is not None and ga.error_code == 0, f"GOAWAY NO_ERROR at the stop: {ga}")
    ok(ga is not None and ga.last_stream_id >= max(sids), f"GOAWAY last stream {ga and ga.last_stream_id}")
    ok(c.closed and not c.reset and not send_error,
       f"closed with a FIN after the GOAWAY: closed={c.closed} reset={c.reset} send error={send_error}")


def read_until_closed(s, timeout=3.0):
    data, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not d:
            return data, True
        data += d
    return data, False


def goaway_code(data):
    """The error code of the first GOAWAY among the frames in data."""
    while len(data) >= 9:
        ln, ft = int.from_bytes(data[:3], "big"), data[3]
        if ft == 7 and len(data) >= 9 + 8:
            return int.from_bytes(data[13:17], "big")
        data = data[9 + ln:]
    return None


def cmd_protocol(port):
    # HTTP/1.1 on the h2c port: not a preface; closed without an answer.
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"GET /n5g-eir-eic/v1/equipment-status?pei=imei-490154203237518 HTTP/1.1\r\nHost: x\r\n\r\n")
    data, closed = read_until_closed(s)
    ok(closed and b"HTTP/1.1 200" not in data, f"HTTP/1.1 on the h2c port: closed={closed} {data[:60]!r}")
    # DATA on stream 0 (RFC 9113 6.1): a connection error PROTOCOL_ERROR.
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(0, 0, 0, b"xx"))
    data, closed = read_until_closed(s)
    ok(goaway_code(data) == 1 and closed, f"DATA on stream 0: GOAWAY code {goaway_code(data)}, closed={closed}")
    # A HEADERS block that is not HPACK: COMPRESSION_ERROR (9).
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 0x5, 1, b"\xff\xff\xff\xff\xff"))
    data, closed = read_until_closed(s)
    ok(goaway_code(data) == 9 and closed, f"bad HPACK: GOAWAY code {goaway_code(data)}, closed={closed}")
    # The server still serves.
    r = Client(port).get("pei=imei-490154203237518")
    ok(r is not None and r["status"] == 200, "a request after the broken peers")


def latency_probe(port, seconds):
    c = Client(port)
    c.get("pei=imei-490154203237518")
    lat, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        r = c.get("pei=imei-490154203237518")
        if not r or r["status"] != 200:
            lat.append(10.0)
            break
        lat.append(time.monotonic() - t0)
    return lat


def cmd_abuse(port, idle):
    base = latency_probe(port, 1.5)
    # A half frame, then silence.
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + b"\x00\x00\x40\x01")
    # 10,000 streams, never reading an answer.
    flood = socket.create_connection(("127.0.0.1", port))
    flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    enc = hpack.Encoder()
    blob = [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", frame(4, 0, 0, b"")]
    for i in range(10000):
        blob.append(frame(1, 0x5, 1 + 2 * i, enc.encode(headers(port, "pei=imei-490154203237518"))))
    blob = b"".join(blob)
    sent = [0]

    def push():
        flood.settimeout(idle + 5)
        try:
            while sent[0] < len(blob):
                sent[0] += flood.send(blob[sent[0]:sent[0] + 65536])
        except OSError:
            pass
    t = threading.Thread(target=push, daemon=True)
    t.start()
    # A peer within the limits that never reads its answers: requests in
    # bursts under max-concurrent-streams (a flood of PINGs or refused
    # streams is nghttp2's to end), until eird stops reading it and, after
    # idle-timeout, closes it as stalled.
    pings = socket.create_connection(("127.0.0.1", port))
    pings.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    penc = hpack.Encoder()
    pings.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    psent = [0]

    def ping_push():
        pings.settimeout(idle + 5)
        sid = 1
        try:
            for _ in range(5000):
                burst = []
                for _ in range(100):
                    burst.append(frame(1, 0x5, sid, penc.encode(headers(port, "pei=imei-490154203237518"))))
                    sid += 2
                pings.sendall(b"".join(burst))
                psent[0] += 100
                time.sleep(0.002)
        except OSError:
            pass
    pt = threading.Thread(target=ping_push, daemon=True)
    pt.start()
    during = latency_probe(port, 2.0)
    mb, md = statistics.median(base), statistics.median(during)
    p99 = sorted(during)[int(len(during) * 0.99) - 1] if len(during) > 1 else during[0]
    print(f"a third connection: median {mb * 1e6:.0f} us alone, {md * 1e6:.0f} us beside the abusers "
          f"(p99 {p99 * 1e6:.0f} us, {len(during)} requests); flood sent {sent[0]} of {len(blob)} bytes")
    ok(md < max(10 * mb, 0.005), f"median latency {md * 1000:.2f} ms beside the abusers, {mb * 1000:.2f} ms alone")
    ok(p99 < 0.1, f"p99 latency {p99 * 1000:.1f} ms beside the abusers")
    # Both abusers are closed by the idle timeout (the flood: by the
    # stall timer once its answers stay unread, or as idle).
    # The peer that never reads: its requests go on until eird stops
    # reading it (its send then times out); eird closes it idle-timeout
    # later, counted as stalled (the shell checks n5g_conn_stalled).
    pt.join()
    print(f"{psent[0]} requests sent and never read")
    for name, s in (("half frame", half), ("flood", flood)):
        s.settimeout(idle + 4)
        closed = False
        try:
            while True:
                d = s.recv(1 << 20)
                if not d:
                    closed = True
                    break
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        ok(closed, f"{name}: not closed within idle-timeout {idle} s + 4")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    port = int(args[0])
    if cmd == "settings":
        cmd_settings(port, int(args[1]), int(args[2]))
    elif cmd == "ping":
        cmd_ping(port)
    elif cmd == "multiplex":
        cmd_multiplex(port, args[1], args[2])
    elif cmd == "refuse":
        cmd_refuse(port, int(args[1]))
        cmd_refuse_acked(port, int(args[1]))
    elif cmd == "idle":
        cmd_idle(port, int(args[1]))
    elif cmd == "vtyidle":
        cmd_vtyidle(port, int(args[1]))
    elif cmd == "silent":
        cmd_silent(port, int(args[1]))
    elif cmd == "congestion":
        cmd_congestion(port, int(args[1]))
    elif cmd == "goaway":
        cmd_goaway(port, args[1])
    elif cmd == "protocol":
        cmd_protocol(port)
    elif cmd == "abuse":
        cmd_abuse(port, int(args[1]))
    else:
        print("unknown check", cmd)
        return 2
    return finish()


if __name__ == "__main__":
    sys.exit(main())
