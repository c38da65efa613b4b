"""`grade build --check`: a quality report on the variants before they are released.

Per question: duplicate variants (papers sharing one), the range of every part's answers, the
position of the correct option in multiple choice (when :mod:`exercises.choices` is present),
and misconception answers that coincide with the key (a distractor that is not wrong).
"""

from __future__ import annotations

import numbers
from collections import Counter
from typing import Any

from ..model import Exercise
from . import mc
from .assemble import ProblemSet, params_key


def _numbers(v: Any) -> list[float]:
    if isinstance(v, bool):
        return []
    if isinstance(v, numbers.Real):
        return [v]
    if isinstance(v, list | tuple):
        return [x for item in v for x in _numbers(item)]
    return []


def _same(a: Any, b: Any, tol: float) -> bool:
    if a == b:
        return True
    na, nb = _numbers(a), _numbers(b)
    if tol and na and len(na) == len(nb) and str(_shape(a)) == str(_shape(b)):
        return all(abs(x - y) <= tol for x, y in zip(na, nb))
    return False


def _shape(v: Any) -> Any:
    return [len(v), _shape(v[0]) if v else None] if isinstance(v, list) else None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def report(ps: ProblemSet) -> dict[str, Any]:
    """The report as data (``check.json``)."""
    out: dict[str, Any] = {"set_id": ps.spec.set_id, "questions": []}
    for q in ps.questions:
        exs: list[Exercise] = (
            [p.exercises[q.id] for p in ps.papers] if ps.roster else list(ps.variants[q.id])
        )
        counts = Counter(params_key(ex) for ex in exs)
        entry: dict[str, Any] = {
            "id": q.id,
            "title": q.title,
            "kind": q.section.kind,
            "exercises": len(exs),
            "distinct": len(counts),
            "duplicates": sum(n - 1 for n in counts.values()),
            "parts": {},
            "coinciding_distractors": [],
        }
        types: dict[str, str] = {}  # every part any variant has, in first-seen order
        for ex in exs:
            for part in ex.parts:
                types.setdefault(part.id, part.type)
        for pid, ptype in types.items():
            values = [ex.answer[pid] for ex in exs if pid in ex.answer]
            nums = [x for v in values for x in _numbers(v)]
            distinct = len({repr(v) for v in values})
            info: dict[str, Any] = {"type": ptype, "distinct": distinct, "exercises": len(values)}
            if nums:
                info["min"], info["max"] = min(nums), max(nums)
            entry["parts"][pid] = info
        for i, ex in enumerate(exs):
            for m in ex.misconceptions:
                for pid, v in m.answers.items():
                    part = ex.part(pid)
                    if _same(v, part.answer, part.tolerance):
                        entry["coinciding_distractors"].append(
                            {"exercise": i, "misconception": m.id, "part": pid}
                        )
        if q.section.style == "multiple_choice":
            positions: Counter[int] = Counter()
            sizes: Counter[int] = Counter()
            for ex in exs:
                found = mc.options(ex)
                opts = found[1] if found else []
                sizes[len(opts)] += 1
                positions.update(i for i, o in enumerate(opts) if o.correct)
            entry["correct_position"] = {str(k): positions[k] for k in sorted(positions)}
            entry["option_counts"] = {str(k): sizes[k] for k in sorted(sizes)}
            entry["asked_as_blanks"] = sizes.get(0, 0)
        out["questions"].append(entry)
    return out


def report_text(rep: dict[str, Any], roster: bool) -> str:
    """The report as the lines `grade build --check` prints (``check.txt``)."""
    unit = "students" if roster else "variants"
    lines = [f"Variant check: {rep['set_id']}"]
    problems = 0
    for q in rep["questions"]:
        lines.append(f"{q['id']} {q['title']} ({q['kind']})")
        dup = q["duplicates"]
        problems += bool(dup and not roster)
        lines.append(
            f"  duplicates: {dup} ({q['distinct']} distinct of {q['exercises']} {unit})"
            + ("  <-- papers share a variant" if dup else "")
        )
        for pid, info in q["parts"].items():
            rng = f", values {_fmt(info['min'])}..{_fmt(info['max'])}" if "min" in info else ""
            some = "" if info["exercises"] == q["exercises"] else f" (in {info['exercises']})"
            lines.append(
                f"  answers {pid} ({info['type']}){some}: {info['distinct']} distinct{rng}"
            )
        if "correct_position" in q:
            letters = "abcdefghijklmnopqrstuvwxyz"
            shown = " ".join(f"{letters[int(k)]}:{n}" for k, n in q["correct_position"].items())
            counts = ", ".join(f"{n}x {k} options" for k, n in q["option_counts"].items())
            lines.append(f"  correct option position: {shown} ({counts})")
            if q["asked_as_blanks"]:
                lines.append(f"  no distractors: {q['asked_as_blanks']} asked as blanks  <-- check")
        bad = q["coinciding_distractors"]
        problems += len(bad)
        if bad:
            named = ", ".join(sorted({f"{b['misconception']}/{b['part']}" for b in bad}))
            lines.append(f"  distractors equal to the key: {len(bad)} ({named})  <-- fix")
        else:
            lines.append("  distractors equal to the key: 0")
    lines.append(f"{problems} problem(s) found")
    return "\n".join(lines) + "\n"
