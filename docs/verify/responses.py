"""Responses to grade in the real LMS importers, with the fraction ``grade check`` gives each.

Reads a build's ``key.json`` with convgrade's own API, rebuilds the LMS items the writers
produce (``convgrade.exercises.export.base.items``) and writes, per item, a list of responses
as a student would type them into the item's blanks, each with the key's fraction for the same
answers (``convgrade.exercises.checking.check_exercise``, as ``grade check`` marks them):

- ``key``: every blank right;
- ``part <id> wrong``: every blank of one part wrong (numbers off by more than the tolerance,
  tokens replaced);
- ``cell <id>[i,j] off``: one blank of a multi-blank part off;
- ``case <id>``: a token part typed in upper case (the key is case-sensitive);
- ``part <id> within tolerance``: every blank of a part with a tolerance off by 0.9 of it;
- ``option k``: a multiple-choice item answered with its k-th option.

Usage: ``python docs/verify/responses.py BUILD/key.json > responses.json``.
The PHP harness (``moodle_grade.php``) grades the same responses with Moodle's question engine.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import sys
from decimal import Decimal
from typing import Any

from convgrade.exercises.answer_sheets import Key, asked_parts, load_key
from convgrade.exercises.checking import QuestionResult, check_exercise, part_points
from convgrade.exercises.export import base
from convgrade.exercises.model import Exercise
from convgrade.exercises.quiz import Question, Quiz


def _variants(key: Key, qid: str) -> list[Exercise]:
    """The variant pool of one question as the build gave it to the LMS writers: the key's
    variants, else (roster mode) each student's exercise once, in roster order."""
    if key.variants.get(qid):
        return list(key.variants[qid])
    seen: dict[str, Exercise] = {}
    for st in key.students.values():
        ex = st["exercises"].get(qid)
        if ex is not None:
            seen.setdefault(json.dumps(ex.params, sort_keys=True), ex)
    return list(seen.values())


def quiz_from_key(key: Key) -> Quiz:
    """The :class:`Quiz` the writers saw, rebuilt from ``key.json``."""
    names = {f.name for f in dataclasses.fields(Question)}
    questions = []
    for q in key.questions:
        kw: dict[str, Any] = dict(
            id=q.id,
            title=q.title,
            points=float(q.points or 0),
            variants=_variants(key, q.id),
            style=q.style,
            section=q.section,
        )
        if "part_points" in names:  # quizzes that carry the key's per-part points
            kw["part_points"] = q.part_points
        questions.append(Question(**kw))
    return Quiz(key.title, key.set_id, questions)


def _wrong_number(v: Any, tol: float) -> Any:
    step = 1 if tol < 0.5 else math.ceil(2 * tol) + 1
    return v + step


def _path(cell: base.Cell) -> tuple[int, ...]:
    """Indices of a blank inside its part's answer, from the blank's name (``output_1_2``)."""
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", str(cell.part.id))
    rest = cell.key[len(prefix) :].strip("_")
    return tuple(int(x) for x in rest.split("_")) if rest else ()  # tensor: i, j, channel


def _set(value: Any, path: tuple[int, ...], new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = _set(value[path[0]], path[1:], new)
    return value


def _get(value: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        value = value[i]
    return value


def _wrong(cell: base.Cell) -> tuple[str, Any]:
    """(typed text, native value) of a wrong answer in one blank."""
    if cell.kind == "numeric":
        w = _wrong_number(cell.value, float(cell.tolerance or 0))
        return base.number(w), w
    if cell.kind == "text":
        return "zzz", "zzz"
    other = next(c for c in cell.choices or [] if c != cell.value)
    return other, other


def _fractions(r: QuestionResult) -> dict[str, float]:
    """``grade check``'s fraction (its points are rounded to 4 decimals) and the same sum
    from the unrounded part scores, the reference the LMS is compared with."""
    exact = sum(p.score * p.max_points for p in r.parts) / r.max_points if r.max_points else 0.0
    return {"key_fraction": r.score, "key_exact": round(exact, 9)}


def _response(
    item: base.Item, qk: Any, kind: str, change: dict[str, tuple[str, Any]]
) -> dict[str, Any]:
    """A response changing some blanks (cell key -> (typed, native)); the rest is the key."""
    answers = {p.id: copy.deepcopy(p.answer) for p in item.exercise.parts}
    typed = []
    for c in item.cells:
        if c.key in change:
            t, native = change[c.key]
            answers[c.part.id] = _set(answers[c.part.id], _path(c), native)
            typed.append(t)
        else:
            typed.append(c.text)
    r = check_exercise(item.exercise, answers, points=qk.points, split=qk.part_points)
    return {"kind": kind, "cells": typed, **_fractions(r)}


def item_responses(item: base.Item, qk: Any) -> list[dict[str, Any]]:
    """Every response of one item (see the module docstring)."""
    if item.mode == "choice":
        out = []
        asked = asked_parts(qk, item.exercise)
        for k, opt in enumerate(item.options):
            pid = item.choice.id
            r = check_exercise(
                item.exercise, {pid: opt.value}, points=qk.points, split=qk.part_points, asked=asked
            )
            label = "key" if opt.correct else f"option {k + 1} ({opt.misconception or 'other'})"
            out.append({"kind": label, "option": k, **_fractions(r)})
        return out
    out = [_response(item, qk, "key", {})]
    for part, cells, _ in item.parts:
        if not cells:
            continue
        out.append(_response(item, qk, f"part {part.id} wrong", {c.key: _wrong(c) for c in cells}))
        if len(cells) > 1:
            c = cells[0]
            where = ",".join(map(str, _path(c)))
            out.append(_response(item, qk, f"cell {part.id}[{where}] off", {c.key: _wrong(c)}))
        tol = [c for c in cells if c.kind == "numeric" and c.tolerance]
        if tol:  # every blank off by 0.9 of its tolerance: still right
            near = {}
            for c in tol:
                v = float(base.decimal(c.value) + base.decimal(c.tolerance) * Decimal("0.9"))
                near[c.key] = (base.number(v), v)
            out.append(_response(item, qk, f"part {part.id} within tolerance", near))
        if part.type == "tokens":
            up = {c.key: (c.text.upper(), _get(part.answer, _path(c)).upper()) for c in cells}
            if any(t != c.text for c, (t, _) in zip(cells, up.values(), strict=True)):
                out.append(_response(item, qk, f"case {part.id}", up))
    return out


def _shares(item: base.Item, qk: Any) -> list[float]:
    """Each blank's share of the question's points in the key: its part's points (as
    ``grade check`` splits them) over the part's blanks."""
    parts = [p for p, cs, _ in item.parts if cs]
    split = part_points(parts, float(qk.points or 0), qk.part_points)
    return [split[c.part.id] / n for p, cs, _ in item.parts if (n := len(cs)) for c in cs]


def build(key: Key) -> dict[str, Any]:
    """The responses document for every item of every question."""
    quiz = quiz_from_key(key)
    items = []
    for q, its in base.items(quiz, base.Warnings("verify")):
        qk = key.question(q.id)
        for item in its:
            items.append(
                {
                    "name": item.name,
                    "ident": item.ident,
                    "question": q.id,
                    "variant": item.index,
                    "mode": item.mode,
                    "points": float(q.points),
                    "part_points": qk.part_points,
                    "cells": [
                        {"id": c.key, "label": c.label, "kind": c.kind, "key": c.text, "share": w}
                        for c, w in zip(item.cells, _shares(item, qk), strict=True)
                    ],
                    "responses": item_responses(item, qk),
                }
            )
    return {"set_id": key.set_id, "title": key.title, "items": items}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: responses.py KEY_JSON > responses.json", file=sys.stderr)
        return 2
    json.dump(build(load_key(argv[0])), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
