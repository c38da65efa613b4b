"""Grade the responses of ``responses.json`` on a build's QTI 2.1 items with pyslet's QTI 2.1
response processing (an independent implementation of the spec, by the author of
QTIMigrationTool), and compare SCORE / MAXSCORE with the key's fraction.

Run it with an interpreter that has pyslet (``pip install pyslet`` into a separate venv; it is
not a convgrade dependency)::

    PYSLET_PY docs/verify/qti21_grade.py responses.json QTI21_DIR [--json rows.json]

``QTI21_DIR`` is the unzipped ``qti21.zip`` (``items/<ident>.xml``). A blank ``<id>`` is the
response ``R_<id>``; a typed answer is read as the response's base type (integer, float,
string) the way a delivery engine would; multiple choice answers choice ``C<k>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pyslet.qtiv2 import expressions, variables
from pyslet.qtiv2.xml import QTIDocument

BASE = {"integer": int, "float": float}


def _typed(value, text: str):
    """A typed answer as the value of response ``value`` (None: unreadable, left NULL)."""
    kind = variables.BaseType.to_str(value.baseType) if value.baseType is not None else "string"
    try:
        return BASE.get(kind, str)(text)
    except ValueError:
        return None


def grade(item, values: dict[str, str]) -> tuple[float, float]:
    """(SCORE, MAXSCORE) after one attempt with ``values`` (response id -> typed text)."""
    state = variables.ItemSessionState(item)
    state.begin_session()
    # begin_attempt() without its HTML rendering (pyslet renders no textEntryInteraction):
    state["numAttempts"].set_value(1)
    for rd in item.ResponseDeclaration:
        state.map[rd.identifier] = variables.Value.copy_value(state.map[rd.identifier + ".DEFAULT"])
    state.map["completionStatus"] = variables.IdentifierValue("unknown")
    for rid, text in values.items():
        v = state[rid]
        typed = _typed(v, text)
        if typed is not None:
            v.set_value(typed)
    state.end_attempt()
    score = state["SCORE"].value
    top = state["MAXSCORE"].value if "MAXSCORE" in state else None
    return float(score or 0.0), float(top) if top is not None else float("nan")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("responses")
    ap.add_argument("qti21_dir", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    items = json.loads(Path(a.responses).read_text(encoding="utf-8"))["items"]
    rows = []
    for it in items:
        path = a.qti21_dir / "items" / f"{it['ident']}.xml"
        if not path.exists():
            rows.append({"item": it["name"], "status": "absent"})
            continue
        doc = QTIDocument(base_uri=str(path.resolve()))
        doc.read()
        item = doc.root
        for eq in item.find_children_depth_first(expressions.Equal):
            # pyslet 0.7 keeps a list attribute as one string ("0.01") under Python 3
            if isinstance(eq.tolerance, str):
                eq.tolerance = eq.tolerance.split()
        for r in it["responses"]:
            if "option" in r:
                values = {"RESPONSE": f"C{r['option'] + 1}"}
            else:
                values = {f"R_{c['id']}": t for c, t in zip(it["cells"], r["cells"], strict=True)}
            try:
                score, top = grade(item, values)
            except Exception as exc:  # noqa: BLE001 - report any engine failure per response
                rows.append({"item": it["name"], "response": r["kind"], "status": f"error: {exc}"})
                continue
            frac = score / top if top else float("nan")
            rows.append(
                {
                    "item": it["name"],
                    "response": r["kind"],
                    "status": "graded",
                    "score": score,
                    "maxscore": top,
                    "fraction": frac,
                    "key_exact": r["key_exact"],
                    "diff": frac - r["key_exact"],
                    "key_points": it["points"],
                }
            )
    graded = [r for r in rows if r["status"] == "graded"]
    for r in rows:
        if r["status"] != "graded":
            print(f"{r['item'][:44]:44} {r.get('response', '-')[:28]:28} {r['status']}")
            continue
        flag = " *" if abs(r["diff"]) > 1e-6 else ""
        print(
            f"{r['item'][:44]:44} {r['response'][:28]:28} {r['score']:10.6f} / {r['maxscore']:g}"
            f" = {r['fraction']:.6f}  key {r['key_exact']:.6f}{flag}"
        )
    agree = sum(abs(r["diff"]) <= 1e-6 for r in graded)
    full = [r for r in graded if r["response"] == "key"]
    exact = sum(r["score"] == r["maxscore"] for r in full)
    marks = sum(abs(r["maxscore"] - r["key_points"]) <= 1e-9 for r in full)
    print(
        f"SUMMARY qti21 (pyslet): {agree}/{len(graded)} responses agree with the key within 1e-6; "
        f"key response SCORE == MAXSCORE exactly in {exact}/{len(full)} items; MAXSCORE = key "
        f"points in {marks}/{len(full)}; {len(rows) - len(graded)} not graded"
    )
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
