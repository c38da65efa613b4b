"""Per question and format, how many graded responses agree with the key (within 1e-6).

Usage: ``python docs/verify/per_question.py NAME=moodle-results.json [NAME=qti21-results.json
...]`` prints a
Markdown table with one column per (NAME, format); an item that was not imported counts as a
response that does not agree.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def counts(path: str) -> dict[tuple[str, str], list[int]]:
    """(question id, format) -> [agreeing responses, responses]."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = data["rows"] if isinstance(data, dict) else data  # qti21_grade.py: a bare list
    for r in rows:
        c = out[(r["item"].split()[0], r.get("format", "qti21"))]
        c[1] += 1
        c[0] += r["status"] == "graded" and abs(r["diff"]) <= 1e-6
    return out


def main(argv: list[str]) -> int:
    runs: dict[str, dict[tuple[str, str], list[int]]] = {}
    for arg in argv:
        name, path = arg.split("=", 1)
        runs.setdefault(name, {}).update(counts(path))
    cols = sorted({(n, fmt) for n, c in runs.items() for _, fmt in c}, key=lambda x: (x[1], x[0]))
    qids = sorted({q for c in runs.values() for q, _ in c}, key=lambda q: (len(q), q))
    print("| question | " + " | ".join(f"{fmt} {name}" for name, fmt in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for q in qids:
        cells = []
        for name, fmt in cols:
            c = runs[name].get((q, fmt))
            cells.append(f"{c[0]}/{c[1]}" if c else "–")
        print(f"| {q} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
