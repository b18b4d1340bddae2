#!/usr/bin/env python3
"""The MSC side of eird's MAP integration test: encodes TCAP Begins for MAP
CheckIMEI with its own BER encoder (independent of eird's), has map-msc send
them through osmo-stp, and checks every answer field by field with its own
decoder.

Usage: map_check.py MAP_MSC STP_PORT EXPECT_FILE OUT_JSON
EXPECT_FILE lines: IMEI IMSI|- STATUS   (0 white, 1 black, 2 grey, 5422 unknown); # comments
Prints one line per failure, then "N passed, M failed". Writes a summary of
what was sent (per version and verdict) to OUT_JSON for the shell test."""
import json
import subprocess
import sys

from checks import finish, ok


# ---------------------------------------------------------------- BER


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + ln + content


def parse(buf):
    """List of (tag, content) of the definite-length elements in buf."""
    out, i = [], 0
    while i < len(buf):
        tag = buf[i]
        ln = buf[i + 1]
        i += 2
        if ln & 0x80:
            k = ln & 0x7f
            ln = int.from_bytes(buf[i:i + k], "big")
            i += k
        out.append((tag, buf[i:i + ln]))
        i += ln
    if i != len(buf):
        raise ValueError("trailing octets")
    return out


def field(elems, tag):
    for t, c in elems:
        if t == tag:
            return c
    return None


def tbcd(digits):
    if len(digits) % 2:
        digits += "f"
    return bytes(int(digits[i + 1], 16) << 4 | int(digits[i], 16) for i in range(0, len(digits), 2))


# --------------------------------------------------------------- TCAP

DIALOGUE_AS = bytes.fromhex("00118605010101")


def ac(version):
    return bytes([0x04, 0x00, 0x00, 0x01, 0x00, 0x0d, version])


def aarq(version):
    pdu = tlv(0x60, tlv(0x80, b"\x07\x80") + tlv(0xa1, tlv(0x06, ac(version))))
    return tlv(0x6b, tlv(0x28, tlv(0x06, DIALOGUE_AS) + tlv(0xa0, pdu)))


def invoke(invoke_id, opcode, arg):
    return tlv(0xa1, tlv(0x02, bytes([invoke_id])) + tlv(0x02, bytes([opcode])) + arg)


def begin(otid, dialogue, components):
    return tlv(0x62, tlv(0x48, otid) + dialogue + (tlv(0x6c, components) if components is not None else b""))


def imei_arg(version, imei, imsi):
    digits = imei if len(imei) == 15 else imei + "0"
    imei_el = tlv(0x04, tbcd(digits))
    if version < 3:
        # Huawei's variant appends the IMSI as an element of tag 0x00.
        return imei_el + (tlv(0x00, tbcd(imsi)) if imsi else b"")
    seq = imei_el + tlv(0x03, b"\x06\x80")		# requestedEquipmentInfo: equipmentStatus
    if imsi:
        seq += tlv(0xc1, tbcd(imsi))			# Ericsson's [PRIVATE 1] IMSI
    return tlv(0x30, seq)


class Case:
    def __init__(self, name, data, check, gt=None):
        self.name, self.data, self.check, self.gt = name, data, check, gt


def decode_answer(hexstr):
    top = parse(bytes.fromhex(hexstr))
    ok(len(top) == 1, "one TCAP message")
    return top[0]


def dialogue_of(elems):
    dp = field(elems, 0x6b)
    if dp is None:
        return None
    ext = parse(field(parse(dp), 0x28))
    ok(field(ext, 0x06) == DIALOGUE_AS, "dialogue-as-id")
    (apdu_tag, apdu), = parse(field(ext, 0xa0))
    a = parse(apdu)
    diag = parse(field(a, 0xa3))[0]
    return {
        "apdu": apdu_tag,
        "ac": parse(field(a, 0xa1))[0][1],
        "result": field(a, 0xa2)[-1],
        "diag_source": diag[0],
        "diag": parse(diag[1])[0][1][-1],
    }


def components_of(elems):
    cp = field(elems, 0x6c)
    return parse(cp) if cp is not None else []


def check_end(case, reply, otid, version, expect_comp):
    kind, body = decode_answer(reply)
    ok(kind == 0x64, f"{case}: End, got {kind:#x}")
    e = parse(body)
    ok(field(e, 0x49) == otid, f"{case}: dtid echoes otid")
    d = dialogue_of(e)
    if version == 1:
        ok(d is None, f"{case}: no dialogue portion in v1")
    else:
        ok(d is not None and d["apdu"] == 0x61 and d["ac"] == ac(version) and d["result"] == 0,
           f"{case}: AARE accepted with AC v{version}: {d}")
    comps = components_of(e)
    ok(len(comps) == 1, f"{case}: one component")
    if comps:
        expect_comp(comps[0])


def result_check(case, invoke_id, version, status):
    def check(comp):
        tag, body = comp
        el = parse(body)
        if status == 5422:
            ok(tag == 0xa3, f"{case}: ReturnError, got {tag:#x}")
            ok(field(el, 0x02) == bytes([invoke_id]), f"{case}: invokeId")
            ok(el[1] == (0x02, b"\x07"), f"{case}: unknownEquipment (7), got {el[1:]}")
            return
        ok(tag == 0xa2, f"{case}: ReturnResultLast, got {tag:#x}")
        ok(el[0] == (0x02, bytes([invoke_id])), f"{case}: invokeId")
        seq = parse(field(el, 0x30))
        ok(seq[0] == (0x02, b"\x2b"), f"{case}: opcode 43")
        res = seq[1]
        if version == 3:
            ok(res[0] == 0x30, f"{case}: CheckIMEI-Res SEQUENCE")
            res = parse(res[1])[0]
        ok(res == (0x0a, bytes([status])), f"{case}: equipmentStatus {status}, got {res}")
    return check


def reject_check(case, problem_tag, code, invoke_id):
    def check(comp):
        tag, body = comp
        el = parse(body)
        ok(tag == 0xa4, f"{case}: Reject, got {tag:#x}")
        want_id = (0x02, bytes([invoke_id])) if invoke_id is not None else (0x05, b"")
        ok(el[0] == want_id, f"{case}: invoke id {el[0]}")
        ok(el[1] == (problem_tag, bytes([code])), f"{case}: problem {el[1]}")
    return check


def error_check(case, code):
    def check(comp):
        tag, body = comp
        el = parse(body)
        ok(tag == 0xa3 and el[1] == (0x02, bytes([code])), f"{case}: ReturnError {code}, got {comp}")
    return check


def main():
    msc, stp_port, expect_file, out_json = sys.argv[1:5]
    rows = [l.split() for l in open(expect_file) if l.strip() and not l.startswith("#")]
    cases, summary = [], {"v1": 0, "v2": 0, "v3": 0, "white": 0, "black": 0, "grey": 0, "unknown": 0}
    n = 0

    def add(name, data, check, gt=None):
        cases.append(Case(name, data, check, gt))

    for imei, imsi, status in rows:
        imsi = None if imsi == "-" else imsi
        status = int(status)
        for version in (1, 2, 3):
            if version == 1 and imsi:
                continue
            n += 1
            otid = n.to_bytes(4, "big")
            inv = (n % 100) + 1
            data = begin(otid, aarq(version) if version > 1 else b"", invoke(inv, 43, imei_arg(version, imei, imsi)))
            name = f"v{version} {imei} {imsi or ''}"
            add(name, data, (lambda c, o, v, chk: lambda r: check_end(c, r, o, v, chk))(
                name, otid, version, result_check(name, inv, version, status)))
            summary[f"v{version}"] += 1
            summary[{0: "white", 1: "black", 2: "grey", 5422: "unknown"}[status]] += 1

    white = rows[0][0]
    otid = b"\xca\xfe\x00\x01"
    # Unsupported AC (version 4): refused with the highest we support (v3).
    def refused(r):
        kind, body = decode_answer(r)
        ok(kind == 0x67, f"AC v4: Abort, got {kind:#x}")
        e = parse(body)
        ok(field(e, 0x49) == otid, "AC v4: dtid")
        d = dialogue_of(e)
        ok(d and d["apdu"] == 0x61 and d["ac"] == ac(3) and d["result"] == 1 and d["diag_source"] == 0xa1
           and d["diag"] == 2, f"AC v4: AARE reject-permanent, v3 offered, acn-not-supported: {d}")
    add("AC v4", begin(otid, aarq(4), invoke(1, 43, imei_arg(2, white, None))), refused)
    # Wrong operation code.
    add("opcode 44", begin(otid, aarq(3), invoke(5, 44, imei_arg(3, white, None))),
        lambda r: check_end("opcode 44", r, otid, 3, reject_check("opcode 44", 0x81, 1, 5)))
    # Missing IMEI: no argument at all, and a v3 SEQUENCE without it.
    add("no argument", begin(otid, aarq(2), invoke(6, 43, b"")),
        lambda r: check_end("no argument", r, otid, 2, reject_check("no argument", 0x81, 2, 6)))
    add("v3 no IMEI", begin(otid, aarq(3), invoke(7, 43, tlv(0x30, tlv(0x03, b"\x06\x80")))),
        lambda r: check_end("v3 no IMEI", r, otid, 3, reject_check("v3 no IMEI", 0x81, 2, 7)))
    # BMUEF requested without an IMEISV: dataMissing (35).
    add("bmuef", begin(otid, aarq(3), invoke(8, 43, tlv(0x30, tlv(0x04, tbcd(white + "0")) + tlv(0x03, b"\x06\x40")))),
        lambda r: check_end("bmuef", r, otid, 3, error_check("bmuef", 35)))
    # Bad TCAP: garbage, a broken component portion, a Continue.
    add("garbage", bytes.fromhex("deadbeef"), lambda r: ok(r == "none", f"garbage: discarded, got {r}"))
    add("broken components", tlv(0x62, tlv(0x48, otid) + aarq(2) + b"\x6c\x02\xa1\x05"),
        lambda r: check_end("broken components", r, otid, 2, reject_check("broken components", 0x80, 2, None)))

    def p_abort(r):
        kind, body = decode_answer(r)
        e = parse(body)
        ok(kind == 0x67 and field(e, 0x49) == otid and field(e, 0x4a) == b"\x01",
           f"Continue: P-Abort unrecognizedTransactionID, got {r}")
    add("continue", tlv(0x65, tlv(0x48, otid) + tlv(0x49, b"\x00\x00\x00\x09")), p_abort)
    # Still serving after all that.
    last = b"\x00\x00\xff\xff"
    add("after errors", begin(last, aarq(2), invoke(9, 43, imei_arg(2, white, None))),
        lambda r: check_end("after errors", r, last, 2, result_check("after errors", 9, 2, int(rows[0][2]))))
    # A caller known by global title only: eird routes the answer via the
    # STP (reply-point-code); libosmo-sigtran at the MSC cannot deliver a
    # GT-routed message, so the answer is checked on the wire by tshark.
    gt_otid = b"\x00\x00\x67\x67"
    add("gt caller", begin(gt_otid, aarq(2), invoke(10, 43, imei_arg(2, white, None))),
        lambda r: None, gt="491700000001")

    lines = [(f"gt {c.gt} " if c.gt else "") + c.data.hex() for c in cases]
    proc = subprocess.run([msc, "--stp", stp_port, "--pc", "0.23.1", "--eir-pc", "0.23.5", "--timeout", "3000", "send"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=600)
    replies = [l for l in proc.stdout.splitlines() if l.startswith(("reply ", "none", "notice "))]
    ok(proc.returncode == 0, f"map-msc exit {proc.returncode}: {proc.stderr[-500:]}")
    ok(len(replies) == len(cases), f"{len(replies)} replies for {len(cases)} requests")
    for c, r in zip(cases, replies):
        if r.startswith("reply "):
            _, calling, called, hexstr = r.split(" ")
            if c.gt is None:
                ok(calling.startswith("ri=ssn,pc=189,ssn=9"), f"{c.name}: answer from PC 0.23.5 SSN 9: {calling}")
                ok(called.startswith("ri=ssn,pc=185,ssn=8"), f"{c.name}: answer to PC 0.23.1 SSN 8: {called}")
            r = hexstr
        try:
            c.check(r)
        except Exception as e:  # a malformed answer is a failure, not a crash
            ok(False, f"{c.name}: cannot decode {r}: {e!r}")
    with open(out_json, "w") as f:
        json.dump(summary, f)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
