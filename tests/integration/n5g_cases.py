#!/usr/bin/python3
"""Every N5g-eir answer of eird through two HTTP/2 clients it does not
share code with: curl (--http2-prior-knowledge, or TLS with ALPN) and
nghttp. For each case: the status code, the content type, the body parsed
as JSON and compared field by field, and the body checked against the
shapes of TS 29.511 EirResponseData and TS 29.571 ProblemDetails.

  n5g_cases.py BASE_URL VERDICTS_FILE [--tls] [--only-curl]

BASE_URL is e.g. http://127.0.0.1:8080. VERDICTS_FILE is the shared
tests/integration/verdicts.txt (IMEI, IMSI, Equipment-Status or 5422):
each row is asked as imei-<15> and as imeisv-<16>, with its IMSI as the
supi; then the error cases below.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import ok, finish  # noqa: E402

PATH = "/n5g-eir-eic/v1/equipment-status"
STATUS = {"0": "WHITELISTED", "1": "BLACKLISTED", "2": "GREYLISTED"}
PROBLEM_FIELDS = {"type": str, "title": str, "status": int, "detail": str, "instance": str, "cause": str,
                  "invalidParams": list, "supportedFeatures": str}
CAUSE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def luhn(d14):
    s = 0
    for i, ch in enumerate(d14):
        v = int(ch) * (2 if i % 2 else 1)
        s += v // 10 + v % 10
    return str((10 - s % 10) % 10)


def check_schema(name, status, body):
    """EirResponseData for a 200, ProblemDetails otherwise."""
    if status == 200:
        ok(set(body) == {"status"} and body["status"] in ("WHITELISTED", "BLACKLISTED", "GREYLISTED"),
           f"{name}: not an EirResponseData: {body}")
        return
    for k, v in body.items():
        ok(k in PROBLEM_FIELDS and isinstance(v, PROBLEM_FIELDS[k]), f"{name}: ProblemDetails field {k}={v!r}")
    ok(body.get("status") == status, f"{name}: ProblemDetails status {body.get('status')} != HTTP {status}")
    if "cause" in body:
        ok(bool(CAUSE_RE.match(body["cause"])), f"{name}: cause {body['cause']!r}")
    for ip in body.get("invalidParams", []):
        ok(isinstance(ip, dict) and isinstance(ip.get("param"), str) and set(ip) <= {"param", "reason"} and
           isinstance(ip.get("reason", ""), str), f"{name}: InvalidParam {ip}")


def curl(url, method, tls):
    with tempfile.NamedTemporaryFile() as hd, tempfile.NamedTemporaryFile() as bd:
        cmd = ["curl", "-s", "-X", method, "-D", hd.name, "-o", bd.name, "-w", "%{http_code} %{http_version}",
               "--max-time", "5"]
        cmd += ["--http2", "-k"] if tls else ["--http2-prior-knowledge"]
        out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout.split()
        headers = {}
        for line in open(hd.name, encoding="latin-1"):
            if ":" in line and not line.startswith("HTTP/"):
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = open(bd.name, "rb").read()
    status = int(out[0]) if out else 0
    return status, out[1] if len(out) > 1 else "", headers, body


def nghttp(url, method):
    extra = ["-H", f":method: {method}"] if method != "GET" else []
    v = subprocess.run(["nghttp", "-v", "-t", "5"] + extra + [url], capture_output=True, text=True).stdout
    headers, status = {}, 0
    for m in re.finditer(r"recv \(stream_id=\d+\) ([^:\s][^:]*|:status): (.*)", v):
        if m.group(1) == ":status":
            status = int(m.group(2))
        else:
            headers[m.group(1).lower()] = m.group(2).strip()
    body = subprocess.run(["nghttp", "-t", "5"] + extra + [url], capture_output=True).stdout
    return status, headers, body


def cases(verdicts):
    out = []
    for line in open(verdicts):
        if not line.strip() or line.startswith("#"):
            continue
        imei, imsi, es = line.split()
        d14 = imei[:14]
        supi = f"&supi=imsi-{imsi}" if imsi != "-" else ""
        want = (200, {"status": STATUS[es]}) if es in STATUS else (404, {"cause": "ERROR_EQUIPMENT_UNKNOWN"})
        out.append((f"imei-{d14}{luhn(d14)}{' ' + imsi if supi else ''}", "GET", f"pei=imei-{d14}{luhn(d14)}{supi}",
                    want[0], "application/json" if want[0] == 200 else "application/problem+json", want[1]))
        out.append((f"imeisv-{d14}07", "GET", f"pei=imeisv-{d14}07{supi}", want[0],
                    "application/json" if want[0] == 200 else "application/problem+json", want[1]))
    pj = "application/problem+json"
    ok_pei = "pei=imei-490154203237518"
    out += [
        ("no pei", "GET", "supi=imsi-001010000000001", 400, pj,
         {"cause": "MANDATORY_QUERY_PARAM_MISSING", "invalidParams": [{"param": "query pei"}]}),
        ("no query", "GET", None, 400, pj, {"cause": "MANDATORY_QUERY_PARAM_MISSING"}),
        ("short imei", "GET", "pei=imei-12345", 400, pj,
         {"cause": "MANDATORY_QUERY_PARAM_INCORRECT", "invalidParams": [{"param": "query pei"}]}),
        ("imeisv letters", "GET", "pei=imeisv-35209900176148ab", 400, pj, {"cause": "MANDATORY_QUERY_PARAM_INCORRECT"}),
        ("bad mac", "GET", "pei=mac-00-11-22", 400, pj, {"cause": "MANDATORY_QUERY_PARAM_INCORRECT"}),
        ("bad supi", "GET", ok_pei + "&supi=imsi-12", 400, pj,
         {"cause": "OPTIONAL_QUERY_PARAM_INCORRECT", "invalidParams": [{"param": "query supi"}]}),
        ("bad gpsi", "GET", ok_pei + "&gpsi=msisdn-1", 400, pj,
         {"cause": "OPTIONAL_QUERY_PARAM_INCORRECT", "invalidParams": [{"param": "query gpsi"}]}),
        ("bad features", "GET", ok_pei + "&supported-features=zz", 400, pj,
         {"cause": "OPTIONAL_QUERY_PARAM_INCORRECT", "invalidParams": [{"param": "query supported-features"}]}),
        ("unknown param", "GET", ok_pei + "&colour=red", 400, pj,
         {"cause": "INVALID_QUERY_PARAM", "invalidParams": [{"param": "query colour"}]}),
        ("duplicate pei", "GET", ok_pei + "&" + ok_pei, 400, pj,
         {"cause": "INVALID_QUERY_PARAM", "invalidParams": [{"param": "query pei"}]}),
        ("bad escape", "GET", "pei=imei-49015420323751%G8", 400, pj, {"cause": "MANDATORY_QUERY_PARAM_INCORRECT"}),
        ("encoded pei", "GET", "pei=imei%2D490154203237518&supi=imsi%2D001010000000001&gpsi=msisdn-989121234567",
         200, "application/json", {"status": "GREYLISTED"}),
        ("mac pei", "GET", "pei=mac-00-1b-63-84-45-e6", 404, pj, {"cause": "ERROR_EQUIPMENT_UNKNOWN"}),
        ("eui pei", "GET", "pei=eui-00-1b-63-ff-fe-84-45-e6", 404, pj, {"cause": "ERROR_EQUIPMENT_UNKNOWN"}),
        ("other path", "GET", "@/n5g-eir-eic/v1/other?" + ok_pei, 404, pj,
         {"cause": "RESOURCE_URI_STRUCTURE_NOT_FOUND"}),
        ("POST", "POST", ok_pei, 405, pj, {"status": 405}),
        ("DELETE", "DELETE", ok_pei, 405, pj, {"status": 405}),
        ("long uri", "GET", "pei=imei-" + "1" * 3000, 414, pj, {"status": 414}),
    ]
    return out


def matches(body, want):
    for k, v in want.items():
        if k == "invalidParams":
            got = body.get(k) or [{}]
            if len(got) != 1 or any(got[0].get(kk) != vv for kk, vv in v[0].items()) or not got[0].get("reason"):
                return False
        elif body.get(k) != v:
            return False
    return True


def main():
    base, verdicts = sys.argv[1], sys.argv[2]
    tls = "--tls" in sys.argv
    only_curl = "--only-curl" in sys.argv
    for name, method, query, st, ctype, want in cases(verdicts):
        if query and query.startswith("@"):
            url = base + query[1:]
        else:
            url = base + PATH + ("?" + query if query else "")
        answers = []
        s, ver, h, b = curl(url, method, tls)
        ok(ver == "2", f"{name}: curl spoke HTTP/{ver}, not 2")
        answers.append(("curl", s, h, b))
        if not only_curl:
            s2, h2, b2 = nghttp(url, method)
            answers.append(("nghttp", s2, h2, b2))
        for tool, s, h, b in answers:
            tag = f"{tool} {name}"
            ok(s == st, f"{tag}: status {s}, want {st}")
            ok(h.get("content-type") == ctype, f"{tag}: content-type {h.get('content-type')}, want {ctype}")
            ok(h.get("content-length") == str(len(b)), f"{tag}: content-length {h.get('content-length')} != {len(b)}")
            ok(re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d\d:\d\d:\d\d GMT$", h.get("date", "")) is not None,
               f"{tag}: date header {h.get('date')!r} (RFC 9110 IMF-fixdate)")
            if st == 405:
                ok(h.get("allow") == "GET", f"{tag}: allow {h.get('allow')}")
            try:
                body = json.loads(b)
            except ValueError:
                ok(False, f"{tag}: body is not JSON: {b[:100]!r}")
                continue
            ok(matches(body, want), f"{tag}: body {body}, want {want}")
            check_schema(tag, s, body)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
