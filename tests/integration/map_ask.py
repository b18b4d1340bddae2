#!/usr/bin/env python3
"""Ask eird over MAP, as an MSC does, through osmo-stp: one CheckIMEI per
argument, encoded with map_check.py's BER/TCAP encoder (independent of
eird's), sent by map-msc; prints one equipmentStatus per line (0 white,
1 black, 2 grey, E7 for the ReturnError unknownEquipment, ? otherwise).

Usage: map_ask.py MAP_MSC STP_PORT VERSION IMEI[:IMSI]..."""
import subprocess
import sys

from map_check import aarq, begin, components_of, decode_answer, field, imei_arg, invoke, parse


def status_of(reply, version):
    _, body = decode_answer(reply)
    comps = components_of(parse(body))
    if len(comps) != 1:
        return "?"
    tag, comp = comps[0]
    el = parse(comp)
    if tag == 0xa3:
        return "E%d" % el[1][1][0]
    if tag != 0xa2:
        return "?"
    res = parse(field(el, 0x30))[1]
    if version == 3:
        res = parse(res[1])[0]
    return str(res[1][0]) if res[0] == 0x0a else "?"


def main():
    msc, stp_port, version = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = []
    for n, arg in enumerate(sys.argv[4:]):
        imei, _, imsi = arg.partition(":")
        otid = (0x5000 + n).to_bytes(4, "big")
        dialogue = aarq(version) if version > 1 else b""
        lines.append(begin(otid, dialogue, invoke(1, 43, imei_arg(version, imei, imsi or None))).hex())
    proc = subprocess.run([msc, "--stp", stp_port, "--pc", "0.23.1", "--eir-pc", "0.23.5", "--timeout", "3000",
                           "send"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    replies = [l for l in proc.stdout.splitlines() if l.startswith(("reply ", "none", "notice "))]
    for r in replies:
        print(status_of(r.split(" ")[3], version) if r.startswith("reply ") else r)
    if proc.returncode != 0 or len(replies) != len(lines):
        sys.stderr.write(f"map-msc exit {proc.returncode}, {len(replies)} replies for {len(lines)}: {proc.stderr[-800:]}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
