#!/usr/bin/env python3
"""Checks eird's stats socket after a known load.

Usage: stats_check.py EIR_STAT SOCKET EXPECT_JSON
EXPECT_JSON maps "stats" keys (s13_rx_ecr, s13_tx_whitelisted, policy
branch names, latency_count, ...) to the values they must have. The three
formats are read through eir-stat and must agree; the Prometheus text is
validated against the exposition format rules; then many clients at once,
a client that never reads, malformed commands and reset."""
import json
import re
import socket
import subprocess
import sys
import time

from checks import finish, ok

EIR_STAT, SOCK, EXPECT = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


def eir_stat(fmt):
    r = subprocess.run([EIR_STAT, "-s", SOCK, fmt], capture_output=True, text=True, timeout=10)
    ok(r.returncode == 0, "eir-stat %s exit %d: %s" % (fmt, r.returncode, r.stderr))
    return r.stdout


# 1. The stats format: sections and key:value lines.
text = eir_stat("stats")
stats, sections = {}, []
for line in text.splitlines():
    if line.startswith("# "):
        sections.append(line[2:])
    elif ":" in line:
        k, v = line.split(":", 1)
        stats.setdefault(k, v)
ok(sections == ["server", "data", "s13", "policy", "verdicts", "grace", "monitor", "observed"],
   "sections %s" % sections)
for key in ("version", "uptime_seconds", "pid", "rss_bytes", "open_fds", "db_path", "db_state",
            "snapshot_seq", "snapshot_age_seconds", "imeis_active", "reopen_count", "peers_connected",
            "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us",
            "sync_last_attempt", "sync_last_result"):
    ok(key in stats, "stats lacks %s" % key)
ok(int(stats.get("rss_bytes", 0)) > 1 << 20, "rss_bytes plausible")
ok(stats.get("sync_last_result") == "applied", "last sync result: %s" % stats.get("sync_last_result"))
for key, want in EXPECT.items():
    ok(key in stats and int(float(stats[key])) == want, "stats %s = %s, want %s" % (key, stats.get(key), want))

# 2. JSON: the same numbers.
j = json.loads(eir_stat("json"))
ok(j["data"]["db_state"] == "open", "json db_state")
ok(j["data"]["sync_last_result"] == "applied", "json last sync result")
ok(j["s13"]["latency"]["count"] == EXPECT["latency_count"], "json latency count")
ok(sum(b["count"] for b in j["s13"]["latency"]["buckets"]) == EXPECT["latency_count"], "json buckets sum to count")
for key, want in EXPECT.items():
    got = j["policy"].get(key, j["s13"].get(key))
    if key == "latency_count":
        continue
    ok(got == want, "json %s = %s, want %s" % (key, got, want))

# 3. Prometheus text format 0.0.4: HELP/TYPE before samples, names, labels,
#    histograms cumulative with +Inf = _count.
prom = eir_stat("prometheus")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'%s="(?:[^"\\\\]|\\\\.)*"' % NAME
sample_re = re.compile(r"^(?P<name>%s)(?P<labels>\{%s(?:,%s)*\})? (?P<value>\S+)$" % (NAME, LABEL, LABEL))
types, helps, values, buckets = {}, set(), {}, []
for line in prom.splitlines():
    if line.startswith("# HELP "):
        helps.add(line.split()[2])
    elif line.startswith("# TYPE "):
        _, _, name, typ = line.split()
        ok(typ in ("counter", "gauge", "histogram", "summary", "untyped"), "TYPE %s" % typ)
        ok(name not in types, "TYPE twice for %s" % name)
        types[name] = typ
    elif line.startswith("#") or not line:
        continue
    else:
        m = sample_re.match(line)
        ok(m is not None, "malformed sample line: %r" % line)
        if not m:
            continue
        name, value = m.group("name"), m.group("value")
        base = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        ok(base in types and base in helps, "sample %s before its HELP/TYPE" % name)
        try:
            float(value.replace("+Inf", "inf"))
        except ValueError:
            ok(False, "value %r" % value)
        values[name + (m.group("labels") or "")] = float(value)
        if name.endswith("_bucket"):
            buckets.append(float(value))
ok(types.get("eir_s13_latency_seconds") == "histogram", "latency is a histogram")
ok(values.get('eir_sync_last_result{result="applied"}') == 1, "prometheus last sync result")
ok(buckets == sorted(buckets), "histogram buckets are cumulative")
ok(values.get('eir_s13_latency_seconds_bucket{le="+Inf"}') == EXPECT["latency_count"] ==
   values.get("eir_s13_latency_seconds_count"), "+Inf bucket = _count = latency count")
ok(values.get("eir_s13_rx_ecr_total") == EXPECT["s13_rx_ecr"], "prometheus s13_rx_ecr")
ok(values.get('eir_policy_branch_total{branch="unknown"}') == EXPECT["unknown"], "prometheus policy unknown")
ok(types.get("eir_s13_rx_ecr_total") == "counter", "counters typed counter")


def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.settimeout(5)
    return s


def ask(s, cmd):
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while not out.endswith(b"\n\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    return out.decode()


# 4. Several commands on one connection; malformed input.
s = conn()
ok(ask(s, "help").startswith("commands, one per line:"), "help")
ok(ask(s, "nonsense").startswith("error: unknown command 'nonsense'"), "unknown command")
ok(ask(s, "x" * 300).startswith("error: line too long"), "overlong line")
ok(ask(s, "  json  ").startswith("{"), "surrounding spaces tolerated")
ok("s13_rx_ecr:" in ask(s, "stats"), "stats after errors on the same connection")

# 5. Many clients at once: the first 32 are served, the rest told why.
many = [conn() for _ in range(40)]
answers = []
for c in many:
    try:
        c.sendall(b"stats\n")
    except OSError:
        pass    # a refused client may find the socket closed: read why
    out = b""
    try:
        while not out.endswith(b"\n\n"):
            chunk = c.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    answers.append(out.decode())
served = sum(1 for a in answers if "s13_rx_ecr:" in a)
refused = sum(1 for a in answers if a.startswith("error: too many clients"))
# One connection of step 4 is still open: 31 of these are served.
ok(served == 31 and refused == 9, "40 clients: %d served, %d refused" % (served, refused))
for c in many:
    c.close()

# 6. A client that never reads: eird drops it, others keep being served.
silent = conn()
silent.setblocking(False)
sent = 0
try:
    for _ in range(20000):
        silent.send(b"prometheus\n")
        sent += 1
except (BlockingIOError, OSError):
    pass
time.sleep(0.5)
other = conn()
t0 = time.time()
ok("s13_rx_ecr:" in ask(other, "stats"), "another client is served while one never reads")
ok(time.time() - t0 < 2, "and promptly")
dropped = False
silent.setblocking(True)
silent.settimeout(5)
try:
    while True:
        if not silent.recv(1 << 20):
            dropped = True
            break
except OSError:
    dropped = True
ok(dropped, "the client that never read was dropped")

# 7. reset: counters only.
ok(ask(other, "reset").startswith("ok: counters reset"), "reset answered")
after = ask(other, "stats")
ok("\ns13_rx_ecr:0\n" in after and "\nlatency_count:0\n" in after, "counters zero after reset")
ok("db_state:open" in after and "snapshot_seq:" in after, "data unaffected by reset")

sys.exit(finish())
