"""Writes docs/sdk-matrix.md from the flows' result files and compares it with
the matrix that was there before: a row that passed there and does not pass
now is a regression (exit 1). New passes and new rows are fine.

Usage: matrix.py MATRIX.md RESULT.json...
"""

import json
import re
import sys

HEADER = """# SDK matrix

Real, unmodified SDKs run against a real `kefu serve` through the whole kf flow,
the human side between their calls played through kefu's control API (accepting
the invitation, going online, following, writing). Written by `bash sdk/run.sh`
(pinned versions: `sdk/python/requirements.txt`, `sdk/node/package-lock.json`),
which fails when a row that passes here stops passing.

`pass`: the call succeeded and what kefu answered (or kept) was checked.
`fail (why)`: it did not. `not in SDK`: the SDK has no method for it (what the
flow did instead is said). `not run`: the row could not be run here (why is said).
"""


def status(result):
    return "pass" if result == "pass" else result.split(" ")[0].split(":")[0]


def read_old(path):
    """(section, method) -> result of the matrix on disk, if any."""
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return {}
    old, section = {}, None
    for line in text.splitlines():
        m = re.match(r"^## (.+)$", line)
        if m:
            section = m.group(1).strip()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if section and len(cells) == 3 and cells[0] not in ("Method", "---"):
            old[(section, cells[0])] = cells[2]
    return old


def main():
    path, files = sys.argv[1], sys.argv[2:]
    results = [json.load(open(f, encoding="utf-8")) for f in files]
    old = read_old(path)
    out = [HEADER, "| SDK | Version | Via | Connected | kefu | Passed |", "|---|---|---|---|---|---|"]
    for r in results:
        passed = sum(1 for row in r["rows"] if row["result"] == "pass")
        ran = sum(1 for row in r["rows"] if status(row["result"]) in ("pass", "fail"))
        out.append(f"| {r['sdk']} | {r['version']} | {r['via']} | {r['connection']} | {r['kefu']} | {passed} of {ran} run |")
    counts = {"pass": 0, "fail": 0, "not run": 0}
    regressions = []
    for r in results:
        section = f"{r['sdk']} {r['version']}, {r['via']}"
        out += ["", f"## {section}", "", f"Connected: {r['connection']}.", "", "| Method | SDK call | Result |", "|---|---|---|"]
        for row in r["rows"]:
            result = row["result"]
            out.append(f"| {row['method']} | {row['calls']} | {result} |")
            s = status(result)
            if s == "pass":
                counts["pass"] += 1
            elif s == "fail":
                counts["fail"] += 1
            elif s == "not":
                counts["not run"] += result.startswith("not run")
            before = old.get((section, row["method"]))
            if before == "pass" and result != "pass":
                regressions.append(f"{section}: {row['method']}: was pass, now {result}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    for r in regressions:
        print(f"REGRESSION {r}", file=sys.stderr)
    print(f"sdk matrix: {counts['pass']} passed, {counts['fail']} failed, {counts['not run']} not run")
    if regressions:
        print(f"sdk matrix: {len(regressions)} row(s) that passed in {path} no longer pass", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
