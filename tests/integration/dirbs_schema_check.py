#!/usr/bin/env python3
"""Check operator data dumps against what DIRBS-Core's operator import
accepts (docs/observed.md has the facts and where in DIRBS-Core they are):

- a .zip named <operator>_<YYYYMMDD>_<YYYYMMDD>.zip (DIRBS reads the two
  days: the first not after the last, neither after today) holding
  exactly one member, named as the zip with .csv;
- the CSV: a header naming the five columns date, imei, imsi, msisdn, rat
  (in any letter case), then rows of exactly five comma-separated fields;
- date: a real calendar day written YYYYMMDD, in the years 2000 to 2099,
  within the days the file name gives;
- imei: empty, or 1 to 16 of the characters 0-9 A-F a-f * #;
- imsi, msisdn: empty, or 1 to 15 decimal digits;
- rat: empty, or RAT codes 001 to 007 or 101 to 105 joined by '|'.

With --clean, also what DIRBS counts as clean data, which it tolerates
only up to its thresholds: an IMEI of exactly 14 digits, an IMSI (when
there is one) of 14 or 15 digits. Empty columns are DIRBS's separate
null thresholds: the shell test counts them.

Usage: dirbs_schema_check.py [--clean] [--today YYYYMMDD] FILE...
(a .zip, or a bare .csv checked without the name rules)."""
import datetime
import os
import re
import sys
import zipfile

from checks import finish, ok

HEADER = ["date", "imei", "imsi", "msisdn", "rat"]
IMEI_CHARS = set("0123456789abcdefABCDEF*#")
RAT_CODES = {"%03d" % n for n in range(1, 8)} | {"%03d" % n for n in range(101, 106)}
NAME = re.compile(r"^(?P<op>.+)_(?P<first>\d{8})_(?P<last>\d{8})$")


def day(text):
    """The date of a YYYYMMDD field, or None when DIRBS would refuse it."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        d = datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None
    return d if 2000 <= d.year <= 2099 else None


def digits(text, most):
    return text == "" or (text.isdigit() and text.isascii() and 1 <= len(text) <= most)


def imei_ok(text):
    return text == "" or (1 <= len(text) <= 16 and set(text) <= IMEI_CHARS)


def rat_ok(text):
    return text == "" or all(code in RAT_CODES for code in text.split("|"))


def check_rows(label, data, first, last, clean):
    text = data.decode("utf-8")
    lines = text.split("\n")
    ok(text.endswith("\n"), f"{label}: the last line ends with a line feed")
    if lines and lines[-1] == "":
        lines.pop()
    ok(len(lines) >= 1, f"{label}: a header line")
    if not lines:
        return
    ok([c.lower() for c in lines[0].split(",")] == HEADER, f"{label}: header {lines[0]!r}")
    bad = {k: [] for k in ("fields", "date", "range", "imei", "imsi", "msisdn", "rat", "cr",
                           "clean_imei", "clean_imsi")}
    for n, line in enumerate(lines[1:], start=2):
        if line.endswith("\r"):
            bad["cr"].append(n)
        f = line.split(",")
        if len(f) != 5:
            bad["fields"].append(n)
            continue
        d = day(f[0])
        if d is None:
            bad["date"].append(n)
        elif (first and d < first) or (last and d > last):
            bad["range"].append(n)
        if not imei_ok(f[1]):
            bad["imei"].append(n)
        if not digits(f[2], 15):
            bad["imsi"].append(n)
        if not digits(f[3], 15):
            bad["msisdn"].append(n)
        if not rat_ok(f[4]):
            bad["rat"].append(n)
        if clean and not re.fullmatch(r"\d{14}", f[1]):
            bad["clean_imei"].append(n)
        if clean and f[2] and not re.fullmatch(r"\d{14,15}", f[2]):
            bad["clean_imsi"].append(n)
    why = {
        "fields": "five fields a row", "date": "date YYYYMMDD, a real day in 2000-2099",
        "range": "date within the file name's days", "imei": "imei: 1-16 of 0-9A-Fa-f*#",
        "imsi": "imsi: 1-15 digits", "msisdn": "msisdn: 1-15 digits",
        "rat": "rat: codes 001-007, 101-105 joined by |", "cr": "LF line ends",
        "clean_imei": "clean: imei of 14 digits", "clean_imsi": "clean: imsi of 14-15 digits",
    }
    for k, lines_bad in bad.items():
        if k.startswith("clean") and not clean:
            continue
        ok(not lines_bad, f"{label}: {why[k]}: lines {lines_bad[:5]}")


def check_zip(path, today, clean):
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    m = NAME.match(stem)
    ok(ext.lower() == ".zip", f"{base}: a .zip")
    ok(m is not None, f"{base}: named <operator>_<YYYYMMDD>_<YYYYMMDD>.zip")
    first = last = None
    if m:
        first, last = day(m["first"]), day(m["last"])
        ok(first is not None and last is not None, f"{base}: the days of the name are real days")
        if first and last:
            ok(first <= last, f"{base}: the first day is not after the last")
            ok(last <= today, f"{base}: the last day is not after today")
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        ok(False, f"{base}: a valid zip ({e})")
        return
    names = z.namelist()
    ok(len(names) == 1, f"{base}: one member, not {names}")
    if len(names) != 1:
        return
    member = names[0]
    ok(os.path.splitext(os.path.basename(member)) == (stem, ".csv"),
       f"{base}: the member {member!r} is named {stem}.csv")
    ok(z.testzip() is None, f"{base}: member CRC")
    check_rows(f"{base}:{member}", z.read(member), first, last, clean)


def main(argv):
    clean = "--clean" in argv
    argv = [a for a in argv if a != "--clean"]
    today = datetime.date.today()
    if "--today" in argv:
        i = argv.index("--today")
        today = datetime.datetime.strptime(argv[i + 1], "%Y%m%d").date()
        del argv[i:i + 2]
    for path in argv:
        if path.lower().endswith(".zip"):
            check_zip(path, today, clean)
        else:
            with open(path, "rb") as f:
                check_rows(os.path.basename(path), f.read(), None, None, clean)
    return finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
