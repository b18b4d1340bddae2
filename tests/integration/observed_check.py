#!/usr/bin/env python3
"""Check eir-db observed's output against the pairs that eir-gen observed
generated (its --list file), computed here on their own from the rules of
docs/observed.md: window overlap, DIRBS rows and days, first sightings.

Usage:
  observed_check.py export LIST FORMAT SINCE UNTIL TZ FILE
      FORMAT csv|dirbs|first-seen; SINCE, UNTIL as given to eir-db (UNTIL
      may be "now:SECONDS", the time the export ran); TZ "" for UTC;
      FILE the export (a .zip: its one member)
  observed_check.py get LIST IMEI FILE       eir-db observed get IMEI's output
  observed_check.py get-imsi LIST IMSI FILE  eir-db observed get --imsi IMSI's
  observed_check.py stat LIST FILE           eir-db observed stat's
Prints failures and "N passed, M failed"."""
import calendar
import csv
import datetime
import sys
import zipfile

from checks import finish, ok

COLS = ["imei", "imsi", "msisdn", "first_seen", "last_seen", "count", "interface", "rat",
        "verdict", "would", "branch"]
DIRBS_RAT = {"s13": "006", "map": "002", "n5g": "006", "": ""}


def iso(text):
    return calendar.timegm(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def tz_seconds(tz):
    if tz in ("", "UTC"):
        return 0
    if tz.startswith("UTC"):
        tz = tz[3:]
    sign = -1 if tz[0] == "-" else 1
    h, m = tz[1:].split(":")
    return sign * (int(h) * 3600 + int(m) * 60)


def bound(text, tz, end):
    """A window bound in unix seconds, as docs/observed.md defines it."""
    if text.startswith("now:"):
        return int(text[4:])
    if "T" in text:
        return iso(text)
    midnight = calendar.timegm(datetime.datetime.strptime(text, "%Y-%m-%d").timetuple()) - tz
    return max(0, midnight + (86399 if end else 0))


def local_day(t, tz):
    return datetime.datetime.utcfromtimestamp(t + tz).strftime("%Y%m%d")


def load_list(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["first"] = iso(r["first_seen"])
        r["last"] = iso(r["last_seen"])
    return rows


def read_export(path):
    if path.endswith(".zip"):
        z = zipfile.ZipFile(path)
        return z.read(z.namelist()[0]).decode()
    with open(path) as f:
        return f.read()


def in_window(r, since, until):
    return r["first"] <= until and r["last"] >= since


def check_csv(rows, since, until, text):
    lines = text.split("\n")
    ok(lines[0] == ",".join(COLS), f"csv header {lines[0]!r}")
    ok(lines[-1] == "", "csv ends with a line feed")
    got = [tuple(line.split(",")) for line in lines[1:-1]]
    ok(all(len(g) == len(COLS) for g in got), "csv: 11 fields a row")
    want = [tuple(r[c] for c in COLS) for r in rows if in_window(r, since, until)]
    ok(sorted(got) == sorted(want), f"csv rows: {len(got)} written, {len(want)} expected;"
       f" first differences {sorted(set(got) ^ set(want))[:3]}")
    # In key order: IMEI, then IMSI as stored (shorter IMSIs first).
    keys = [(g[0], len(g[1]), g[1]) for g in got]
    ok(keys == sorted(keys), "csv rows in key order")
    return len(want)


def dirbs_rows(r, since, until, tz):
    days = []
    for t in (r["first"], r["last"]):
        if since <= t <= until:
            d = local_day(t, tz)
            if d not in days:
                days.append(d)
    return [(d, r["imei"], r["imsi"], r["msisdn"], DIRBS_RAT[r["interface"]])
            for d in days if "2000" <= d[:4] <= "2099"]


def check_dirbs(rows, since, until, tz, text):
    lines = text.split("\n")
    ok(lines[0] == "date,imei,imsi,msisdn,rat", f"dirbs header {lines[0]!r}")
    got = [tuple(line.split(",")) for line in lines[1:-1]]
    by_imei = {}
    for r in rows:
        if in_window(r, since, until):
            by_imei.setdefault(r["imei"], []).append(r)
    want = []
    for pairs in by_imei.values():
        with_imsi = [row for r in pairs if r["imsi"] for row in dirbs_rows(r, since, until, tz)]
        want += with_imsi
        if not with_imsi:
            want += [row for r in pairs if not r["imsi"] for row in dirbs_rows(r, since, until, tz)]
    ok(sorted(got) == sorted(want), f"dirbs rows: {len(got)} written, {len(want)} expected;"
       f" first differences {sorted(set(got) ^ set(want))[:3]}")
    ok(len(set(got)) == len(got), "dirbs: no row twice")
    return len(want)


def check_first_seen(rows, since, until, text):
    lines = text.split("\n")
    ok(lines[0] == "imei,first_seen", f"first-seen header {lines[0]!r}")
    ok(lines[-1] == "", "first-seen ends with a line feed")
    imeis = {}
    for r in rows:
        f, l = imeis.get(r["imei"], (r["first"], r["last"]))
        imeis[r["imei"]] = (min(f, r["first"]), max(l, r["last"]))
    want = sorted((i, datetime.datetime.utcfromtimestamp(f).strftime("%Y-%m-%dT%H:%M:%SZ"))
                  for i, (f, l) in imeis.items() if l >= since and f <= until)
    got = [tuple(line.split(",")) for line in lines[1:-2]]
    ok(got == want, f"first-seen rows: {len(got)} written, {len(want)} expected;"
       f" first differences {sorted(set(got) ^ set(want))[:3]}")
    ok(lines[-2] == f"# end rows={len(want)}", f"first-seen trailer {lines[-2]!r}, {len(want)} rows")
    return len(want)


def table(text, first_col):
    """The rows of a get table, by its first column."""
    lines = text.split("\n")
    heads = [i for i, line in enumerate(lines) if line.startswith(first_col + " ")]
    ok(len(heads) == 1, f"one table header starting with {first_col}")
    if not heads:
        return []
    return [line.split() for line in lines[heads[0] + 1:] if line.strip()]


def want_row(r, first_col):
    return [r[first_col] or "-", r["msisdn"] or "-", r["first_seen"], r["last_seen"], r["count"],
            r["interface"] or "-", r["verdict"], r["would"], r["branch"],
            "-" if r["svn"] == "-1" else "%02d" % int(r["svn"])]


def key_value(text, key):
    for line in text.split("\n"):
        if line.startswith(key + ": "):
            return line[len(key) + 2:]
    return None


def main(argv):
    cmd, rows = argv[0], load_list(argv[1])
    if cmd == "export":
        fmt, tz = argv[2], tz_seconds(argv[5])
        since, until = bound(argv[3], tz, False), bound(argv[4], tz, True)
        text = read_export(argv[6])
        n = {"csv": lambda: check_csv(rows, since, until, text),
             "dirbs": lambda: check_dirbs(rows, since, until, tz, text),
             "first-seen": lambda: check_first_seen(rows, since, until, text)}[fmt]()
        print(f"{fmt} {argv[3]}..{argv[4]} {argv[5] or 'UTC'}: {n} rows", file=sys.stderr)
    elif cmd in ("get", "get-imsi"):
        key = argv[2]
        with open(argv[3]) as f:
            text = f.read()
        if cmd == "get":
            mine = sorted((r for r in rows if r["imei"] == key), key=lambda r: (len(r["imsi"]), r["imsi"]))
            got = table(text, "imsi")
            ok(key_value(text, "observed-pairs") == str(len(mine)), "get: observed-pairs")
            first = min(r["first"] for r in mine)
            ok(key_value(text, "observed-first-seen") ==
               datetime.datetime.utcfromtimestamp(first).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "get: observed-first-seen is the earliest of its pairs")
            want = [want_row(r, "imsi") for r in mine]
        else:
            mine = sorted((r for r in rows if r["imsi"] == key), key=lambda r: r["imei"])
            got = table(text, "imei")
            want = [want_row(r, "imei") for r in mine]
        ok(len(mine) > 0, f"{cmd} {key}: in the list")
        ok(got == want, f"{cmd} {key}: table {got} != {want}")
    elif cmd == "stat":
        with open(argv[2]) as f:
            text = f.read()
        ok(key_value(text, "pairs") == str(len(rows)), "stat: pairs")
        ok(key_value(text, "imeis") == str(len({r["imei"] for r in rows})), "stat: imeis")
        ok(key_value(text, "imsis") == str(len({r["imsi"] for r in rows if r["imsi"]})), "stat: imsis")
        ok(key_value(text, "newest-seen") == max(rows, key=lambda r: r["last"])["last_seen"],
           "stat: newest-seen")
        oldest = key_value(text, "oldest-seen")
        ok(oldest is not None and iso(oldest) <= min(r["last"] for r in rows),
           "stat: oldest-seen is not after the oldest last sighting")
    return finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
