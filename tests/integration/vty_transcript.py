#!/usr/bin/env python3
"""Check a VTY transcript against a running daemon's telnet VTY, in the way
of osmo-python-tests' osmo_verify_transcript_vty.py (not packaged in Debian).

Usage: vty_transcript.py [-s NAME=VALUE]... PORT TRANSCRIPT

The transcript is a list of commands, each on a line that starts with the
prompt it is typed at (`eird> enable`, `eird# configure terminal`,
`eird(config-eir)# policy`), followed by the lines the command must print.
A line `...` stands for any number of lines (none included); every other
line must equal the output exactly, save for trailing whitespace and the
\\r of the VTY's line ends. Empty lines are not compared (on either side),
so that entries can be set apart. Lines starting with `#` are comments.
`@NAME@` is replaced by the VALUE given with -s NAME=VALUE (ports, paths).

The prompt of each command is checked too: after `policy` the next command
must be typed at `eird(config-eir-policy)#`, so the transcript states which
node every command leads to. A command after which the VTY closes the
connection (`exit` at the top) can only be the last.

Prints one line per difference with a diff of that command's output, then
"N passed, M failed"; exits 1 when anything differs."""
import re
import socket
import sys
import time

PROMPT = re.compile(r"^([A-Za-z0-9_.-]+(?:\([A-Za-z0-9_-]+\))?[>#]) (.*)$")
# The prompt the VTY prints when it waits for a command: the last line of
# what came in, with nothing after "# " or "> ".
WAITING = re.compile(r"(?:^|\n)([A-Za-z0-9_.-]+(?:\([A-Za-z0-9_-]+\))?[>#]) $")
IAC, SB, SE = 255, 250, 240
TIMEOUT = 10.0


def parse(path, subst):
    """[(lineno, prompt, command, [expected lines])]"""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip()
            for k, v in subst.items():
                line = line.replace("@" + k + "@", v)
            if line.startswith("#"):
                continue
            m = PROMPT.match(line)
            if m:
                entries.append((n, m.group(1), m.group(2).strip(), []))
            elif not entries:
                if line:
                    sys.exit(f"{path}:{n}: output before the first command: {line!r}")
            elif line:
                entries[-1][3].append(line)
    if not entries:
        sys.exit(f"{path}: no command")
    return entries


def strip_telnet(data):
    """The bytes without the telnet negotiation (IAC WILL/WONT/DO/DONT x,
    IAC SB ... IAC SE); IAC IAC is a data byte 255."""
    out, i = bytearray(), 0
    while i < len(data):
        b = data[i]
        if b != IAC:
            out.append(b)
            i += 1
        elif i + 1 < len(data) and data[i + 1] == IAC:
            out.append(IAC)
            i += 2
        elif i + 1 < len(data) and data[i + 1] == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            i = len(data) if end < 0 else end + 2
        elif i + 1 < len(data) and 251 <= data[i + 1] <= 254:
            i += 3
        else:
            i += 2
    return bytes(out)


class Vty:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), 5)
        self.raw = b""

    def read_to_prompt(self):
        """What came in up to the VTY's prompt: (text, prompt); (text, None)
        when the VTY closed the connection."""
        deadline = time.time() + TIMEOUT
        while True:
            text = strip_telnet(self.raw).decode("utf-8", "replace")
            # a partial IAC sequence at the end waits for its last bytes
            m = WAITING.search(text)
            if m and m.end() == len(text):
                self.raw = b""
                return text[:m.start()], m.group(1)
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError(f"no prompt after {TIMEOUT:.0f} s; received {text[-300:]!r}")
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                self.raw = b""
                return text, None
            self.raw += chunk

    def command(self, cmd):
        """The lines the command printed (its echo removed) and the prompt
        that follows (None: the VTY closed the connection)."""
        self.s.sendall(cmd.encode() + b"\n")
        text, prompt = self.read_to_prompt()
        lines = [l.rstrip() for l in text.replace("\r", "").split("\n")]
        if lines and lines[0] == cmd:
            lines = lines[1:]
        elif prompt is not None:
            lines.insert(0, f"(the VTY did not echo {cmd!r})")
        # (closing, the VTY may drop what it had not sent yet, the echo too)
        return lines, prompt


def align(want, have):
    """How the transcript's lines (with `...`) meet the output, both
    without empty lines: [(mark, line)] with mark ' ' (equal, or taken by
    a `...`), '-' (in the transcript only) or '+' (in the output only),
    and the number of differences (0: the output matches)."""
    n, m = len(want), len(have)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            opts = []
            if i < n and j < m and want[i] == have[j]:
                opts.append(cost[i + 1][j + 1])
            if i < n and want[i] == "...":
                opts.append(cost[i + 1][j])
                if j < m:
                    opts.append(cost[i][j + 1])
            if i < n and want[i] != "...":
                opts.append(cost[i + 1][j] + 1)
            if j < m:
                opts.append(cost[i][j + 1] + 1)
            cost[i][j] = min(opts)
    out, i, j = [], 0, 0
    while i < n or j < m:
        c = cost[i][j]
        if i < n and j < m and want[i] == have[j] and cost[i + 1][j + 1] == c:
            out.append((" ", have[j]))
            i, j = i + 1, j + 1
        elif i < n and want[i] == "..." and j < m and cost[i][j + 1] == c:
            out.append((" ", have[j]))
            j += 1
        elif i < n and want[i] == "..." and cost[i + 1][j] == c:
            i += 1
        elif i < n and want[i] != "..." and cost[i + 1][j] + 1 == c:
            out.append(("-", want[i]))
            i += 1
        else:
            out.append(("+", have[j]))
            j += 1
    return out, cost[0][0]


def show_diff(lines, context=2):
    """The differences with a few lines around them."""
    near = set()
    for k, (mark, _) in enumerate(lines):
        if mark != " ":
            near.update(range(k - context, k + context + 1))
    skipped = False
    for k, (mark, line) in enumerate(lines):
        if k in near:
            print(f"    {mark} {line}")
            skipped = False
        elif not skipped:
            print("      [...]")
            skipped = True


def main():
    args, subst = sys.argv[1:], {}
    while len(args) >= 2 and args[0] == "-s":
        k, _, v = args[1].partition("=")
        subst[k] = v
        args = args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    port, path = int(args[0]), args[1]
    entries = parse(path, subst)
    passed = failed = 0
    try:
        vty = Vty(port)
        _, prompt = vty.read_to_prompt()
    except OSError as e:
        print(f"FAIL: the VTY on port {port}: {e}")
        print("0 passed, 1 failed")
        sys.exit(1)
    for n, want_prompt, cmd, want in entries:
        where = f"{path}:{n}: {want_prompt} {cmd}"
        if prompt is None:
            print(f"FAIL: {where}: the VTY closed the connection after the command before")
            failed += 1
            break
        if prompt != want_prompt:
            print(f"FAIL: {where}: typed at the prompt '{prompt}', the transcript says '{want_prompt}'")
            failed += 1
        try:
            have, prompt = vty.command(cmd)
        except OSError as e:
            print(f"FAIL: {where}: {e}")
            failed += 1
            break
        lines, differences = align(want, [l for l in have if l])
        if not differences:
            passed += 1
            continue
        failed += 1
        print(f"FAIL: {where}: the output differs (- transcript, + eird):")
        show_diff(lines)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
