"""Compare what Canvas's importers parsed from a build's packages with the answer key.

Inputs (see docs/verify-lms.md): ``responses.json`` (``responses.py``), the JSON lines that
``qti_gem.rb`` printed for the Canvas QTI 1.2 zip (and, optionally, the QTI 2.1 zip), and the
folder QTIMigrationTool wrote (``migrate.py --cpout``). Prints one line per item and tool, then
a summary per tool; ``--json`` writes the rows too.

Per item it checks: the item was parsed; its points equal the key's; it has one blank per key
blank and every blank accepts the key's text; whether blanks compare case-insensitively (the
key's tokens are case-sensitive); and, *modelled* from the parsed scoring data (Canvas is not
run here), the fraction Canvas gives each response with its rule for fill-in-multiple-blanks
(each blank an equal share, exact text among the accepted answers) against the key's fraction.

Usage: ``python docs/verify/canvas_report.py responses.json --gem canvas.jsonl
[--gem-qti21 qti21.jsonl] [--qtimig OUT_DIR] [--json rows.json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from lxml import etree

QTI2 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


def _fraction_even(item: dict[str, Any], accepted: dict[str, set[str]], fold: set[str], resp):
    """Fraction of blanks answered right, each blank an equal share (Canvas's FIMB rule)."""
    cells = item["cells"]
    if not cells:
        return None
    right = 0
    for cell, typed in zip(cells, resp["cells"], strict=True):
        ok = accepted.get(cell["id"], set())
        if cell["id"] in fold:
            right += typed.lower() in {a.lower() for a in ok}
        else:
            right += typed in ok
    return right / len(cells)


def _compare(item, tool, kind, points, accepted, fold, error=None, correct=None) -> dict[str, Any]:
    row: dict[str, Any] = {"item": item["name"], "tool": tool, "type": kind}
    if error:
        row["error"] = error
        return row
    row["points"] = points
    row["points_ok"] = points is not None and abs(float(points) - item["points"]) < 1e-9
    if item["mode"] == "blanks":
        ids = [c["id"] for c in item["cells"]]
        row["blanks"] = f"{len([i for i in ids if i in accepted])}/{len(ids)}"
        row["key_accepted"] = all(c["key"] in accepted.get(c["id"], set()) for c in item["cells"])
        text_cells = {c["id"] for c in item["cells"] if c["kind"] == "text"}
        row["case_insensitive_tokens"] = bool(text_cells & fold)
        diffs = []
        for r in item["responses"]:
            f = _fraction_even(item, accepted, fold, r)
            if f is not None and abs(f - r["key_exact"]) > 1e-6:
                diffs.append(f"{r['kind']}: {f:.4f} vs {r['key_exact']:.4f}")
        row["modelled_diffs"] = diffs
        row["responses"] = len(item["responses"])
    else:
        partial = [r for r in item["responses"] if r["kind"] != "key" and r["key_exact"] > 0]
        row["key_partial_distractors"] = len(partial)
        if correct is not None:  # the option the importer marks correct is the key's
            key = next(r["option"] for r in item["responses"] if r["kind"] == "key")
            row["key_option_correct"] = correct == key
    return row


def gem_rows(items: list[dict[str, Any]], path: Path, tool: str) -> list[dict[str, Any]]:
    """Rows for the qti gem's output (one JSON object per parsed item)."""
    parsed = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        parsed[d.get("identifier")] = d
    rows = []
    for item in items:
        d = parsed.get(item["ident"])
        if d is None or "error" in d:
            rows.append(
                _compare(item, tool, "-", None, {}, set(), (d or {}).get("error", "absent"))
            )
            continue
        accepted: dict[str, set[str]] = defaultdict(set)
        fold = set()
        for s in d.get("scoring", []):
            pid = s.get("parent_identifier") or ""
            cell = pid[len("response_") :] if pid.startswith("response_") else pid
            accepted[cell].add(str(s.get("values")))
            if s.get("case") == "no":
                fold.add(cell)
        correct = None
        if d.get("choices") and d.get("scoring"):
            right = str(d["scoring"][0].get("values"))
            correct = d["choices"].index(right) if right in d["choices"] else -1
        rows.append(
            _compare(
                item,
                tool,
                d.get("interaction"),
                d.get("points_possible"),
                accepted,
                fold,
                correct=correct,
            )
        )
    return rows


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def qtimig_rows(items: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    """Rows for QTIMigrationTool's QTI 2 output (what Canvas's converter then reads)."""
    parsed = {}
    for f in sorted((out / "assessmentItems").glob("*.xml")):
        root = etree.parse(str(f)).getroot()
        fields = {el.get("name"): el.get("value") for el in root.iter(f"{QTI2}instructureField")}
        accepted: dict[str, set[str]] = defaultdict(set)
        for inter in root.iter(f"{QTI2}choiceInteraction", f"{QTI2}textEntryInteraction"):
            rid = inter.get("responseIdentifier", "")
            cell = rid[len("response_") :] if rid.startswith("response_") else rid
            for ch in inter.iter(f"{QTI2}simpleChoice"):
                accepted[cell].add(_text(ch))
        cond = root.find(f"{QTI2}responseProcessing/{QTI2}responseCondition")
        chain = len(cond.findall(f"{QTI2}responseElseIf")) if cond is not None else 0
        incs = sorted(
            {
                bv.text
                for bv in root.iter(f"{QTI2}baseValue")
                if bv.get("baseType") == "float" and bv.getparent().tag == f"{QTI2}sum"
            }
        )
        parsed[root.get("identifier")] = (fields, accepted, chain, incs)
    rows = []
    for item in items:
        got = parsed.get(item["ident"])
        if got is None:
            rows.append(_compare(item, "QTIMigrationTool", "-", None, {}, set(), "absent"))
            continue
        fields, accepted, chain, incs = got
        kind = fields.get("question_type", "?")
        accepted_here = accepted if item["mode"] == "blanks" else {}
        row = _compare(
            item, "QTIMigrationTool", kind, fields.get("points_possible"), accepted_here, set()
        )
        row["score_increments"] = incs
        row["elseif_chain"] = chain  # >0: QTI 2 scoring adds only the first matching blank
        rows.append(row)
    return rows


def summary(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for tool in dict.fromkeys(r["tool"] for r in rows):
        rs = [r for r in rows if r["tool"] == tool]
        ok = [r for r in rs if "error" not in r]
        errs = defaultdict(int)
        for r in rs:
            if "error" in r:
                errs[r["error"].split(":")[0]] += 1
        blanks = [r for r in ok if "blanks" in r]
        line = (
            f"SUMMARY {tool}: parsed {len(ok)}/{len(rs)} items"
            + (f" ({', '.join(f'{n} {e}' for e, n in errs.items())})" if errs else "")
            + f"; points equal the key's in {sum(r['points_ok'] for r in ok)}/{len(ok)}"
        )
        if blanks:
            nresp = sum(r["responses"] for r in blanks)
            ndiff = sum(len(r["modelled_diffs"]) for r in blanks)
            line += (
                f"; key accepted in every blank in {sum(r['key_accepted'] for r in blanks)}"
                f"/{len(blanks)} blank items; case-insensitive token blanks in "
                f"{sum(r['case_insensitive_tokens'] for r in blanks)} items"
            )
            if tool != "QTIMigrationTool":
                line += f"; modelled even-split fraction differs from the key in {ndiff}/{nresp}"
            else:
                chained = sum(1 for r in blanks if r.get("elseif_chain"))
                line += (
                    f"; responseIf/ElseIf chains (only the first right blank scores) in {chained}"
                )
        mc = [r for r in ok if "key_partial_distractors" in r]
        checked = [r for r in mc if "key_option_correct" in r]
        if checked:
            line += (
                f"; the key's option marked correct in "
                f"{sum(r['key_option_correct'] for r in checked)}/{len(checked)} multiple choice"
            )
        if mc:
            line += (
                f"; multiple choice: {sum(r['key_partial_distractors'] for r in mc)} distractors "
                f"the key gives partial credit get 0 in {len(mc)} items"
            )
        out.append(line)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("responses")
    ap.add_argument("--gem", type=Path, help="qti_gem.rb output for the Canvas QTI 1.2 zip")
    ap.add_argument("--gem-qti21", type=Path, help="qti_gem.rb output for the QTI 2.1 zip")
    ap.add_argument("--qtimig", type=Path, help="QTIMigrationTool's --cpout folder")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    items = json.loads(Path(a.responses).read_text(encoding="utf-8"))["items"]
    rows: list[dict[str, Any]] = []
    if a.gem:
        rows += gem_rows(items, a.gem, "qti gem (Canvas QTI 1.2)")
    if a.gem_qti21:
        rows += gem_rows(items, a.gem_qti21, "qti gem (QTI 2.1)")
    if a.qtimig:
        rows += qtimig_rows(items, a.qtimig)
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("item", "tool", "type", "modelled_diffs")}
        diffs = r.get("modelled_diffs") or []
        print(f"{r['item'][:44]:44} | {r['tool'][:26]:26} | {r['type'][:32]:32} | {extra}")
        for d in diffs:
            print(f"{'':44} |   modelled: {d}")
    for line in summary(rows):
        print(line)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
