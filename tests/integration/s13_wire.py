"""Diameter on the wire for the Python sides of the integration tests: an
encoder and decoder of our own (not eird's), enough for CER, ECR and the
base protocol messages. Shared by s13_raw.py, s13_one.py and diam_abuse.py."""
import struct

S13, V3GPP = 16777252, 10415


def avp(code, data, flags=0x40, vendor=None):
    if isinstance(data, int):
        data = struct.pack(">I", data)
    elif isinstance(data, str):
        data = data.encode()
    if vendor is not None:
        flags |= 0x80
        hdr = struct.pack(">IB", code, flags) + (12 + len(data)).to_bytes(3, "big") + struct.pack(">I", vendor)
    else:
        hdr = struct.pack(">IB", code, flags) + (8 + len(data)).to_bytes(3, "big")
    raw = hdr + data
    return raw + b"\0" * (-len(raw) % 4)


def msg(code, app, avps, flags=0x80, hbh=1, e2e=1, version=1):
    body = b"".join(avps)
    return struct.pack(">B", version) + (20 + len(body)).to_bytes(3, "big") + \
        struct.pack(">B", flags) + code.to_bytes(3, "big") + struct.pack(">III", app, hbh, e2e) + body


def parse(data):
    """Header dict and a list of (code, vendor, flags, data) top-level AVPs."""
    ver, ln = data[0], int.from_bytes(data[1:4], "big")
    h = dict(version=ver, length=ln, flags=data[4], code=int.from_bytes(data[5:8], "big"),
             app=struct.unpack(">I", data[8:12])[0], hbh=struct.unpack(">I", data[12:16])[0])
    return h, avps_of(data[20:ln])


def avps_of(b):
    out, i = [], 0
    while i + 8 <= len(b):
        code, flags = struct.unpack(">IB", b[i:i + 5])
        ln = int.from_bytes(b[i + 5:i + 8], "big")
        hl = 12 if flags & 0x80 else 8
        vendor = struct.unpack(">I", b[i + 8:i + 12])[0] if hl == 12 else 0
        out.append((code, vendor, flags, b[i + hl:i + ln]))
        i += (ln + 3) & ~3
    return out


def get(avps, code, vendor=0):
    for c, v, f, d in avps:
        if c == code and v == vendor:
            return d
    return None


def u32(d):
    return struct.unpack(">I", d)[0]


def recv_msg(s):
    """One whole message, or None when the peer closed first."""
    hdr = b""
    while len(hdr) < 4:
        chunk = s.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    ln = int.from_bytes(hdr[1:4], "big")
    data = hdr
    while len(data) < ln:
        chunk = s.recv(ln - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def cer(origin, realm, apps=(("vsai", S13),), product="s13-test"):
    a = [avp(264, origin), avp(296, realm), avp(257, b"\x00\x01\x7f\x00\x00\x01"), avp(266, 0),
         avp(269, product, flags=0)]
    for kind, app in apps:
        if kind == "vsai":
            a.append(avp(260, avp(266, V3GPP) + avp(258, app)))
        else:
            a.append(avp(258, app))
    return msg(257, 0, a)


def ecr(imei, origin, realm, sv=None, imsi=None, session="s13test;1", extra=(), skip=()):
    ti = avp(1402, imei, vendor=V3GPP) if imei is not None else b""
    if sv:
        ti += avp(1403, sv, vendor=V3GPP)
    parts = {
        "sid": avp(263, session), "vsai": avp(260, avp(266, V3GPP) + avp(258, S13)),
        "ass": avp(277, 1), "oh": avp(264, origin), "or": avp(296, realm), "dr": avp(283, realm),
        "ti": avp(1401, ti, vendor=V3GPP),
    }
    a = [v for k, v in parts.items() if k not in skip]
    if imsi:
        a.append(avp(1, imsi))
    a.extend(extra)
    return msg(324, S13, a, flags=0xC0)
