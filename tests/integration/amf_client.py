#!/usr/bin/python3
"""An AMF-like N5g-eir client (TS 29.511 EquipmentIdentityCheck) for
eird's 5G front end: it asks what the open5gs AMF asks, the way it asks
(docs/protocols.md §5.1: h2c with prior knowledge, `imeisv-` PEI, `imsi-`
SUPI, the AMF's four headers, 10 s timeout), checks every answer strictly
(status code, one Content-Type, Content-Length, the JSON body field by
field, no duplicate or unexpected member) and then reads it as the open5gs
AMF reads it, comparing the resulting action with the expected one. Every
case is asked once on one connection, then all together, multiplexed on
one connection, as an AMF does under load.

Usage: amf_client.py --url http://127.0.0.1:PORT [--case LINE]... [--concurrent N] [CASEFILE|-]...
Case lines (in CASEFILE, or one per --case):
    PEI SUPI STATUS WHAT ACTION [PARAMS]
  PEI     imeisv-<16 digits> | imei-<15 digits> | any other value (sent
          percent-encoded) | - (no pei) | ?RAW-QUERY (the whole query as
          sent, e.g. ?pei=imei-490154203237518&colour=blue; SUPI then -)
  SUPI    imsi-<digits>, any other value, or - (none)
  STATUS  the HTTP status expected (200, 400, 404, ...)
  WHAT    200: WHITELISTED | BLACKLISTED | GREYLISTED (the body's status);
          otherwise the ProblemDetails cause (ERROR_EQUIPMENT_UNKNOWN,
          MANDATORY_QUERY_PARAM_MISSING, ...), or - for a problem without one
  ACTION  continue | reject#6 | unknown_action | failure_action
  PARAMS  400 only: the parameters invalidParams must name, comma-separated
          (pei,supi: as "query pei", "query supi"); default pei for
          MANDATORY_* causes, supi for OPTIONAL_QUERY_PARAM_INCORRECT
A '#' at the start of a line or after a blank starts a comment. Prints one line per failure, then "N passed, M failed";
exits 1 on any failure (and 2 on bad usage)."""
import argparse
import asyncio
import email.utils
import json
import re
import sys
import time
import urllib.parse

import httpx

from checks import finish, ok

API_PATH = "/n5g-eir-eic/v1/equipment-status"
TIMEOUT = 10.0  # open5gs: the SBI client's default, and 3gpp-sbi-max-rsp-time
ACTIONS = ("continue", "reject#6", "unknown_action", "failure_action")
STATUSES = ("WHITELISTED", "BLACKLISTED", "GREYLISTED")
# TS 29.571 ProblemDetails and InvalidParam members.
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "cause", "invalidParams",
                   "supportedFeatures", "accessTokenError", "accessTokenRequest", "nrfId",
                   "supportedApiVersions", "noProfileMatchInfo"}
PROBLEM_STRINGS = ("type", "title", "detail", "instance", "cause", "supportedFeatures", "nrfId")
INVALID_PARAM_MEMBERS = {"param", "reason"}


class Case:
    def __init__(self, line, where):
        f = line.split()
        if len(f) not in (5, 6):
            raise ValueError(f"{where}: want PEI SUPI STATUS WHAT ACTION [PARAMS], got {line!r}")
        self.pei, self.supi, status, self.what, self.action = f[:5]
        self.where = where
        if not status.isdigit() or not 100 <= int(status) <= 599:
            raise ValueError(f"{where}: bad STATUS {status!r}")
        self.status = int(status)
        if self.action not in ACTIONS:
            raise ValueError(f"{where}: bad ACTION {self.action!r} (one of {', '.join(ACTIONS)})")
        if self.status == 200 and self.what not in STATUSES:
            raise ValueError(f"{where}: a 200 answer carries one of {', '.join(STATUSES)}, not {self.what!r}")
        if self.pei.startswith("?") and self.supi != "-":
            raise ValueError(f"{where}: a raw query carries its own supi: SUPI must be -")
        if len(f) == 6:
            self.params = set(f[5].split(","))
        elif self.what.startswith("MANDATORY_"):
            self.params = {"pei"}
        elif self.what == "OPTIONAL_QUERY_PARAM_INCORRECT":
            self.params = {"supi"}
        else:
            self.params = None
        if self.status == 400 and self.params is None:
            raise ValueError(f"{where}: a 400 case needs PARAMS (the parameters invalidParams names)")
        if self.status != 400 and len(f) == 6:
            raise ValueError(f"{where}: PARAMS only with STATUS 400")

    def target(self):
        """The request target, as the AMF writes it (values URL-encoded:
        digits, letters and '-' stay as they are)."""
        if self.pei.startswith("?"):
            return API_PATH + self.pei
        q = []
        if self.pei != "-":
            q.append("pei=" + urllib.parse.quote(self.pei, safe="-"))
        if self.supi != "-":
            q.append("supi=" + urllib.parse.quote(self.supi, safe="-"))
        return API_PATH + ("?" + "&".join(q) if q else "")

    def __str__(self):
        return f"{self.where} [{self.pei} {self.supi}]"


def sender_timestamp():
    """3gpp-sbi-sender-timestamp (TS 29.500 5.2.3.2.2): RFC 1123 date with
    milliseconds, GMT, e.g. 'Tue, 01 Dec 2026 10:00:00.123 GMT'."""
    now = time.time()
    s = email.utils.formatdate(now, usegmt=True)  # 'Tue, 01 Dec 2026 10:00:00 GMT'
    return s[:-4] + ".%03d GMT" % (int(now * 1000) % 1000)


def amf_headers():
    """Exactly the open5gs AMF's request headers besides the pseudo-headers."""
    return {
        "accept": "application/json,application/problem+json",
        "user-agent": "AMF",
        "3gpp-sbi-sender-timestamp": sender_timestamp(),
        "3gpp-sbi-max-rsp-time": "10000",
    }


def strip_defaults(client):
    # httpx adds accept-encoding and connection by default: the AMF sends
    # neither (and connection-specific headers are not HTTP/2).
    for h in ("accept-encoding", "connection"):
        if h in client.headers:
            del client.headers[h]


def strict_json(body):
    """The body as JSON, or (None, why): UTF-8, one value, no NaN or
    Infinity, no member twice in an object."""
    def pairs(kv):
        d = {}
        for k, v in kv:
            if k in d:
                raise ValueError(f"member {k!r} twice")
            d[k] = v
        return d

    def no_constant(c):
        raise ValueError(f"{c} is not JSON")
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=pairs, parse_constant=no_constant), None
    except (UnicodeDecodeError, ValueError) as e:
        return None, str(e)


def amf_action(status, ctype, body):
    """What open5gs' AMF does with an answer (docs/protocols.md §5.1): its
    SBI layer parses a body only when a Content-Type came, as ProblemDetails
    when it starts with application/problem+json (strncmp, case-sensitive),
    as the resource's type (EirResponseData) otherwise; 200 with status
    WHITELISTED/GREYLISTED continues, BLACKLISTED rejects with #6 (Illegal
    ME); 404 with a ProblemDetails whose cause is ERROR_EQUIPMENT_UNKNOWN is
    its unknown_action; everything else its failure_action."""
    if ctype is None:
        return "failure_action"
    doc, _ = strict_json(body)
    if not isinstance(doc, dict):
        return "failure_action"
    problem = ctype.startswith("application/problem+json")
    if status == 200 and not problem:
        st = doc.get("status")
        if st in ("WHITELISTED", "GREYLISTED"):
            return "continue"
        if st == "BLACKLISTED":
            return "reject#6"
        return "failure_action"
    if status == 404 and problem and doc.get("cause") == "ERROR_EQUIPMENT_UNKNOWN":
        return "unknown_action"
    return "failure_action"


def check_answer(case, r, label):
    """All the checks of one answer (an httpx.Response, body read)."""
    w = f"{label} {case}"
    ok(r.http_version == "HTTP/2", f"{w}: answered over {r.http_version}, not HTTP/2")
    ok(r.status_code == case.status, f"{w}: status {r.status_code}, want {case.status}")
    body = r.content
    ctypes = r.headers.get_list("content-type")
    ok(len(ctypes) == 1, f"{w}: {len(ctypes)} Content-Type headers: {ctypes}")
    ctype = ctypes[0] if ctypes else None
    media = ctype.split(";")[0].strip().lower() if ctype else None
    if case.status == 200:
        ok(media == "application/json", f"{w}: Content-Type {ctype!r}, want application/json")
    else:
        # open5gs reads a 404 as "unknown" only when it starts so: exactly.
        ok(ctype is not None and ctype.startswith("application/problem+json") and
           media == "application/problem+json", f"{w}: Content-Type {ctype!r}, want application/problem+json")
    clens = r.headers.get_list("content-length")
    ok(len(clens) <= 1, f"{w}: {len(clens)} Content-Length headers")
    if clens:
        ok(clens[0] == str(len(body)), f"{w}: Content-Length {clens[0]}, body has {len(body)} bytes")
    ok("content-encoding" not in r.headers, f"{w}: Content-Encoding {r.headers.get('content-encoding')!r} "
       "though the AMF accepts none")
    doc, why = strict_json(body)
    ok(why is None, f"{w}: body is not JSON ({why}): {body[:200]!r}")
    ok(isinstance(doc, dict), f"{w}: body is not a JSON object: {body[:200]!r}")
    if not isinstance(doc, dict):
        doc = {}
    if case.status == 200:
        ok(set(doc) == {"status"}, f"{w}: EirResponseData members {sorted(doc)}, want exactly ['status']")
        ok(doc.get("status") == case.what, f"{w}: status {doc.get('status')!r}, want {case.what}")
    else:
        check_problem(case, doc, w)
    act = amf_action(r.status_code, ctype, body)
    ok(act == case.action, f"{w}: the AMF would take {act}, want {case.action} ({r.status_code} {ctype} {body[:200]!r})")


def check_problem(case, doc, w):
    extra = set(doc) - PROBLEM_MEMBERS
    ok(not extra, f"{w}: ProblemDetails members not in TS 29.571: {sorted(extra)}")
    for m in PROBLEM_STRINGS:
        if m in doc:
            ok(isinstance(doc[m], str) and doc[m] != "", f"{w}: ProblemDetails {m} {doc[m]!r} is not a string")
    if "status" in doc:
        ok(type(doc["status"]) is int and doc["status"] == case.status,
           f"{w}: ProblemDetails status {doc['status']!r}, want {case.status}")
    if case.what == "-":
        ok("cause" not in doc, f"{w}: cause {doc.get('cause')!r}, want none")
    else:
        ok(doc.get("cause") == case.what, f"{w}: cause {doc.get('cause')!r}, want {case.what}")
    if case.status != 400:
        ok("invalidParams" not in doc, f"{w}: invalidParams in a {case.status} answer: {doc.get('invalidParams')!r}")
        return
    ip = doc.get("invalidParams")
    ok(isinstance(ip, list) and len(ip) > 0, f"{w}: invalidParams {ip!r}, want a non-empty array")
    if not isinstance(ip, list):
        return
    named = []
    for p in ip:
        if not isinstance(p, dict):
            ok(False, f"{w}: invalidParams element {p!r} is not an object")
            continue
        ok(set(p) <= INVALID_PARAM_MEMBERS, f"{w}: InvalidParam members {sorted(p)}")
        ok(isinstance(p.get("param"), str), f"{w}: InvalidParam param {p.get('param')!r}")
        ok(isinstance(p.get("reason"), str) and p["reason"].strip() != "",
           f"{w}: InvalidParam reason {p.get('reason')!r}, want a non-empty string")
        named.append(p.get("param"))
    want = sorted("query " + x for x in case.params)
    ok(sorted(named) == want, f"{w}: invalidParams name {named}, want {want}")


def one_by_one(url, cases):
    """Each case once, in order, on one connection (what an idle AMF does):
    stream ids 1, 3, 5, ... show that the connection was kept (httpx would
    open a new one, starting again at 1, after a close or a GOAWAY)."""
    ids = []
    with httpx.Client(http1=False, http2=True, timeout=TIMEOUT) as c:
        strip_defaults(c)
        for case in cases:
            try:
                r = c.get(url + case.target(), headers=amf_headers())
            except httpx.HTTPError as e:
                ok(False, f"sequential {case}: {type(e).__name__}: {e}")
                continue
            check_answer(case, r, "sequential")
            ids.append(r.extensions.get("stream_id"))
    ok(ids == list(range(1, 2 * len(ids), 2)), f"sequential: stream ids {ids}: not one connection kept open")


async def multiplexed(url, cases, n):
    """n requests (the cases, round robin) started together on one
    connection; every answer checked; one connection shown by the stream
    ids (distinct, odd: a second connection would start again at 1)."""
    todo = [cases[i % len(cases)] for i in range(n)]
    state = {"started": 0, "started_at_first_answer": None}

    async def ask(c, case):
        state["started"] += 1
        r = await c.get(url + case.target(), headers=amf_headers())
        if state["started_at_first_answer"] is None:
            state["started_at_first_answer"] = state["started"]
        return r

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(http1=False, http2=True, timeout=TIMEOUT, limits=limits) as c:
        strip_defaults(c)
        rs = await asyncio.gather(*(ask(c, case) for case in todo), return_exceptions=True)
    ids = []
    for case, r in zip(todo, rs):
        if isinstance(r, Exception):
            ok(False, f"multiplexed {case}: {type(r).__name__}: {r}")
            continue
        check_answer(case, r, "multiplexed")
        ids.append(r.extensions.get("stream_id"))
    ok(len(set(ids)) == len(ids) and all(isinstance(i, int) and i % 2 == 1 for i in ids),
       f"multiplexed: stream ids {ids} are not distinct client streams of one connection")
    ok(n < 2 or (state["started_at_first_answer"] or 0) >= 2,
       f"multiplexed: only {state['started_at_first_answer']} request(s) in flight at the first answer")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT (the apiRoot)")
    ap.add_argument("--case", action="append", default=[], help="one case line")
    ap.add_argument("--concurrent", type=int, default=None,
                    help="requests multiplexed on one connection (default: every case, at least 8)")
    ap.add_argument("casefiles", nargs="*")
    a = ap.parse_args()
    url = a.url.rstrip("/")
    if not url.startswith("http://"):
        ap.error("--url: h2c only, http://HOST:PORT")
    cases = []
    try:
        for i, line in enumerate(a.case, 1):
            cases.append(Case(line, f"--case {i}"))
        for fn in a.casefiles:
            f = sys.stdin if fn == "-" else open(fn)
            for n, line in enumerate(f, 1):
                line = re.sub(r"(^|\s)#.*", "", line).strip()
                if line:
                    cases.append(Case(line, f"{fn}:{n}"))
    except (OSError, ValueError) as e:
        print(f"amf_client.py: {e}", file=sys.stderr)
        return 2
    if not cases:
        print("amf_client.py: no cases", file=sys.stderr)
        return 2
    one_by_one(url, cases)
    n = a.concurrent if a.concurrent is not None else max(8, len(cases))
    if n > 0:
        asyncio.run(multiplexed(url, cases, n))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
