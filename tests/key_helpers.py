"""Test helpers: a key.json in the `grade build` layout (docs/problem-sets.md) made with
exercises.generate, answer sheets written the ways students write them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from convgrade.exercises.model import Exercise

from convgrade import exercises


def make_key(
    kinds: list[str] | None = None,
    *,
    n_students: int = 3,
    n_questions: int | None = None,
    seed: int = 0,
    roster: bool = True,
    n_variants: int = 2,
    points: float = 4,
) -> dict[str, Any]:
    """A key dict: one question per kind (cycled to ``n_questions``), personal exercises per
    student with a roster, else ``n_variants`` shared variants per question."""
    kinds = kinds or list(exercises.kinds())
    n_questions = n_questions or len(kinds)
    questions = [
        {
            "id": f"q{i + 1}",
            "section": "Exercises",
            "title": f"Question {i + 1}",
            "kind": kinds[i % len(kinds)],
            "difficulty": 1 + i % 3,
            "points": points,
            "style": "blanks",
        }
        for i in range(n_questions)
    ]

    def ex(q: dict, slot: int) -> dict:
        s = seed * 1_000_003 + slot * 1009 + int(q["id"][1:])
        return exercises.generate(q["kind"], seed=s, difficulty=q["difficulty"]).to_dict()

    students = []
    variants: dict[str, list] = {}
    if roster:
        for n in range(n_students):
            sid = f"s{n + 1:03d}"
            students.append(
                {
                    "id": sid,
                    "name": f"Student {n + 1}",
                    "email": f"{sid}@example.edu",
                    "reroll": 0,
                    "exercises": {q["id"]: ex(q, n) for q in questions},
                }
            )
    else:
        variants = {q["id"]: [ex(q, v) for v in range(n_variants)] for q in questions}
    return {
        "format": "convgrade-key",
        "format_version": 1,
        "title": "CNN test set",
        "set_id": "cnn-test",
        "spec_sha256": "0" * 64,
        "questions": questions,
        "students": students,
        "variants": variants,
    }


def write_key(path: Path, key: dict[str, Any]) -> Path:
    from convgrade.exercises.key_digest import digest_fields

    key = {**key, **digest_fields(key)}
    path.write_text(json.dumps(key, indent=1), encoding="utf-8")
    return path


def student_exercises(key: dict[str, Any], sid: str) -> dict[str, Exercise]:
    for s in key["students"]:
        if s["id"] == sid:
            return {qid: Exercise.from_dict(d) for qid, d in s["exercises"].items()}
    raise KeyError(sid)


def as_text(part_type: str, value: Any, style: int = 0) -> str:
    """``value`` written as a student might: several styles per type, chosen by ``style``."""
    num = _num
    if part_type in ("integer", "number", "choice"):
        return str(value) if part_type == "choice" else num(value)
    if part_type == "shape":
        return [
            "x".join(map(str, value)),
            "(" + ", ".join(map(str, value)) + ")",
            "×".join(map(str, value)),
            str(list(value)),
        ][style % 4]
    if part_type == "shapes":
        shapes = [["None" if d is None else str(d) for d in s] for s in value]
        if style % 2:
            return "\n".join(" ".join(s) for s in shapes)
        return ", ".join("(" + ", ".join(s) + ")" for s in shapes)
    if part_type in ("vector", "integers"):
        cells = [num(v) for v in value]
        return ["[" + ", ".join(cells) + "]", " ".join(cells), "\n".join(cells)][style % 3]
    if part_type == "matrix":
        rows = [[num(v) for v in r] for r in value]
        return [
            "\n".join(" ".join(r) for r in rows),
            "; ".join(", ".join(r) for r in rows),
            "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]",
            "\n".join("[" + ", ".join(r) + "]" for r in rows),
        ][style % 4]
    if part_type == "tensor":
        if style % 2:
            chans = [
                [[row[j][c] for j in range(len(row))] for row in value]
                for c in range(len(value[0][0]))
            ]
            return "\n\n".join("\n".join(" ".join(num(v) for v in r) for r in m) for m in chans)
        return json.dumps(value)
    if part_type == "tokens":
        if style % 2 or any(t == "" or " " in t or "," in t for t in value):
            return "[" + ", ".join(repr(t) for t in value) + "]"
        return " ".join(value)
    raise ValueError(part_type)


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def answers_toml(student: str | None, set_id: str, answers: dict[str, dict[str, str]]) -> str:
    """An answer sheet in TOML with every value as a (multi-line where needed) string."""
    lines = []
    if student is not None:
        lines.append(f'student = "{student}"')
    lines.append(f'set = "{set_id}"')
    for qid, parts in answers.items():
        lines += ["", f"[{qid}]"]
        for pid, v in parts.items():
            if isinstance(v, int) and not isinstance(v, bool):
                lines.append(f"{pid} = {v}")
            else:
                lines.append(f"{pid} = {json.dumps(v, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def random_answers(exs: dict[str, Exercise], rng: random.Random) -> dict[str, dict[str, str]]:
    """A plausible class member: each part right, a misconception's answer, or blank."""
    out: dict[str, dict[str, str]] = {}
    for qid, ex in exs.items():
        chosen = dict(ex.answer)
        roll = rng.random()
        if roll < 0.4 and ex.misconceptions:
            chosen.update(rng.choice(ex.misconceptions).answers)
        parts = {}
        for p in ex.parts:
            if roll > 0.95:
                continue  # left blank
            parts[p.id] = as_text(p.type, chosen[p.id], rng.randrange(4))
        out[qid] = parts
    return out
