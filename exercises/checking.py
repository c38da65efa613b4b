"""Grade answers against an :class:`~exercises.model.Exercise` and name the mistake behind them.

Every part is scored from 0 to 1: scalars right or wrong (numbers within the part's tolerance),
vectors, matrices and tensors cell by cell once their shape is right (a wrong shape scores 0 and
says so), token lists item by item, shapes axis by axis (as every LMS export asks them). A
wrong part whose answer equals, or mostly equals (at least 75 % of the cells the mistake changes,
and more cells than the key), the answer a named misconception produces is diagnosed with that
misconception's title and rule, unless another of the student's parts keeps the key's values
where that mistake would change them. Kinds with chained parts declare ``follow_through``
functions (:class:`~exercises.registry.Kind`) that recompute a later part from the student's own
earlier answers (when those are a genuine attempt, :mod:`exercises.follow_through`), so one early
slip costs once.

>>> from convgrade import exercises
>>> ex = exercises.generate("conv1d", params={"input": [0, 1, 2, 3, 4, 5, 6], "kernel": [1, 2]})
>>> r = check_exercise(ex, {"length": "6", "output": "[1, 4, 7, 10, 13, 16]"})
>>> r.score, [d.id for d in r.diagnoses]
(0.5, ['flipped_kernel'])
"""

from __future__ import annotations

import copy
import json
import math
import reprlib
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from .answers import AnswerError, decimal_comma_reading, is_blank, parse
from .misconceptions import info
from .model import Exercise, Part

#: A wrong answer "mostly equals" a misconception's when at least this share of cells agree.
RESEMBLANCE = 0.75
#: Tolerance for follow-through values with fractions when the key's part has none (the key
#: was whole numbers, the student's own earlier answer leads to e.g. 7/3, written 2.33).
ROUNDING = 0.01
#: Feedback repeats at most this many characters of an answer.
MAX_ECHO = 200
ARRAY_TYPES = ("vector", "integers", "matrix", "tensor")
LIST_TYPES = ("tokens", "shapes")


@dataclass
class PartResult:
    """How one part was marked. ``against`` is ``"key"`` or ``"follow_through"``."""

    id: str
    label: str
    type: str
    status: str  # correct | partial | wrong | missing | unreadable
    score: float
    points: float
    max_points: float
    message: str
    given: Any = None
    expected: Any = None
    wrong_cells: list[list[int]] = field(default_factory=list)
    cells: int = 0
    against: str = "key"
    follow_through_expected: Any = None
    diagnoses: list[str] = field(default_factory=list)


@dataclass
class Diagnosis:
    """A misconception named for the parts whose answers it explains."""

    id: str
    title: str
    rule: str
    parts: list[str]
    complete: bool  # it explains every marked part the misconception changes


@dataclass
class QuestionResult:
    id: str
    kind: str
    title: str
    score: float
    points: float
    max_points: float
    parts: list[PartResult]
    diagnoses: list[Diagnosis]
    seed: int | None = None
    difficulty: int | None = None

    @property
    def summary(self) -> str:
        right = sum(p.status == "correct" for p in self.parts)
        n = len(self.parts)
        return f"{_fmt(self.points)}/{_fmt(self.max_points)} points, {right} of {n} parts right"


@dataclass
class StudentResult:
    student: str
    name: str
    set_id: str
    title: str
    questions: list[QuestionResult]

    @property
    def points(self) -> float:
        return round(sum(q.points for q in self.questions), 4)

    @property
    def max_points(self) -> float:
        return round(sum(q.max_points for q in self.questions), 4)

    @property
    def score(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    def to_dict(self, *, feedback: bool = False) -> dict[str, Any]:
        """Plain JSON data; ``feedback`` adds each question's feedback as plain text."""
        d = _plain(self)
        d.update(points=self.points, max_points=self.max_points, score=round(self.score, 4))
        if feedback:
            from .feedback import render_question  # templates only when asked for
        for q, qd in zip(self.questions, d["questions"]):
            qd["summary"] = q.summary
            if feedback:
                qd["feedback"] = render_question(q, solution=False)
        return d


_ATOMS = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(obj: Any) -> Any:
    """What :func:`dataclasses.asdict` gives (dataclasses as dicts, lists, tuples and dicts
    rebuilt, anything else deep-copied), without its per-value deep copies of plain numbers and
    strings: results.json converts tens of thousands of parts."""
    if type(obj) in _ATOMS:
        return obj
    cls = type(obj)
    if cls is list:
        return [_plain(v) for v in obj]
    if cls is dict:
        return {_plain(k): _plain(v) for k, v in obj.items()}
    names = _FIELDS.get(cls)
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[cls] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {n: _plain(getattr(obj, n)) for n in names}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple, as asdict keeps it
        return cls(*[_plain(v) for v in obj])
    if isinstance(obj, list | tuple):
        return cls(_plain(v) for v in obj)
    if isinstance(obj, dict):
        return cls((_plain(k), _plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)


def _fields(obj: Any) -> dict[str, Any]:
    names = _FIELDS.get(type(obj))
    if names is None:
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    return {n: getattr(obj, n) for n in names}


def json_default(obj: Any) -> Any:
    """``json.dumps(..., default=json_default)`` writes results as :meth:`StudentResult.to_dict`
    gives them, converting each result object as the encoder reaches it (no copy of the
    answers, cells and solutions in between: results.json holds tens of thousands of parts)."""
    if isinstance(obj, StudentResult):
        d = _fields(obj)
        d.update(points=obj.points, max_points=obj.max_points, score=round(obj.score, 4))
        return d
    if isinstance(obj, QuestionResult):
        d = _fields(obj)
        d["summary"] = obj.summary
        return d
    if is_dataclass(obj) and not isinstance(obj, type):
        return _fields(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _fmt(x: float) -> str:
    return f"{x:g}" if x == round(x, 2) else f"{x:.2f}"


# --- comparison -----------------------------------------------------------------------------


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol + 1e-9 * max(1.0, abs(b))


def _scalar_equal(part_type: str, given: Any, expected: Any, tol: float) -> bool:
    if part_type in ("integer", "number"):
        try:
            return _close(float(given), float(expected), tol)
        except (TypeError, ValueError):
            return False
    return given == expected


def _array(value: Any) -> np.ndarray | None:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.dtype != object else None


def _dims(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"{shape[0]} entr" + ("y" if shape[0] == 1 else "ies")
    return "×".join(map(str, shape)) if shape else "a single number"


@dataclass
class Comparison:
    score: float
    wrong_cells: list[list[int]]
    cells: int
    shape_error: str = ""
    note: str = ""  # how the values were lined up, when not cell for cell


def compare(part_type: str, given: Any, expected: Any, tol: float = 0.0) -> Comparison:
    """Score ``given`` against ``expected``: 0..1 with the wrong cells and any shape mismatch."""
    if part_type in ARRAY_TYPES:
        g, e = _array(given), _array(expected)
        if g is None or e is None:
            return Comparison(0.0, [], 0, "not a rectangular array of numbers")
        if g.ndim == e.ndim == 1 and abs(g.size - e.size) == 1 and min(g.size, e.size) > 0:
            return _one_off(g, e, tol)
        if g.shape != e.shape:
            why = f"wrong shape: expected {_dims(e.shape)}, got {_dims(g.shape)}"
            return Comparison(0.0, [], int(e.size), why)
        ok = np.abs(g - e) <= tol + 1e-9 * np.maximum(1.0, np.abs(e))
        wrong = np.argwhere(~ok).tolist()
        return Comparison(1 - len(wrong) / ok.size if ok.size else 1.0, wrong, int(ok.size))
    if part_type in ("shape", "shapes"):
        return compare_shape(part_type, given, expected)
    if part_type in LIST_TYPES:
        unit = "tokens" if part_type == "tokens" else "shapes"
        if not isinstance(given, list) or len(given) != len(expected):
            n = len(given) if isinstance(given, list) else 1
            return Comparison(0.0, [], len(expected), f"expected {len(expected)} {unit}, got {n}")
        wrong = [[i] for i, (g, e) in enumerate(zip(given, expected)) if g != e]
        n = len(expected)
        return Comparison(1 - len(wrong) / n if n else 1.0, wrong, n)
    ok = _scalar_equal(part_type, given, expected, tol)
    return Comparison(float(ok), [] if ok else [[0]], 1)


def _one_off(g: np.ndarray, e: np.ndarray, tol: float) -> Comparison:
    """A vector one entry short or long (a window miscounted at the end): its entries are
    compared from the first one, and the missing or extra entry counts as wrong."""
    n = min(g.size, e.size)
    ok = np.abs(g[:n] - e[:n]) <= tol + 1e-9 * np.maximum(1.0, np.abs(e[:n]))
    wrong = [[i] for i in np.flatnonzero(~ok).tolist()] + [[n]]
    word = "short" if g.size < e.size else "too many"
    note = f"one entry {word} (expected {e.size}, got {g.size}), compared from the first entry"
    return Comparison(float(ok.sum()) / max(g.size, e.size), wrong, max(g.size, e.size), "", note)


def compare_shape(part_type: str, given: Any, expected: Any) -> Comparison:
    """A shape (or a list of shapes) earns credit axis by axis, like a vector, once its rank is
    right; ``None`` axes (the batch) are given, not asked, and not counted. Every LMS export asks
    one blank per axis, so a student gets the same marks on paper and online.

    >>> compare_shape("shapes", [[None, 4, 5], [None, 2]], [[None, 4, 4], [None, 2]]).score
    0.6666666666666667
    """
    shapes_g = [given] if part_type == "shape" else given
    shapes_e = [expected] if part_type == "shape" else expected
    asked = [(i, j) for i, e in enumerate(shapes_e) for j, x in enumerate(e) if x is not None]
    n = len(asked)
    if not isinstance(shapes_g, list) or len(shapes_g) != len(shapes_e):
        got = len(shapes_g) if isinstance(shapes_g, list) else 1
        return Comparison(0.0, [], n, f"expected {len(shapes_e)} shapes, got {got}")
    for g, e in zip(shapes_g, shapes_e):
        if not isinstance(g, list | tuple) or len(g) != len(e):
            got = len(g) if isinstance(g, list | tuple) else 1
            return Comparison(0.0, [], n, f"wrong rank: expected {len(e)} axes, got {got}")
    wrong = [
        [i, j] if part_type == "shapes" else [j]
        for i, j in asked
        if shapes_g[i][j] != shapes_e[i][j]
    ]
    return Comparison(1 - len(wrong) / n if n else 1.0, wrong, n)


def resembles(
    part_type: str,
    given: Any,
    wrong: Any,
    key: Any,
    tol: float = 0.0,
    to_key: Comparison | None = None,
) -> bool:
    """Whether ``given`` equals a misconception's ``wrong`` answer, or mostly equals it: agrees
    with it in at least 75 % of the cells the mistake changes (where ``wrong`` differs from the
    key) and in more cells overall than with the key. Counting only the changed cells keeps a
    mostly-zero vector (multi-hot) from resembling every mistake that moves one entry.
    ``to_key``: ``compare(part_type, given, key, tol)`` where the caller has it already."""
    to_wrong = compare(part_type, given, wrong, tol)
    if to_wrong.shape_error:
        return False
    if to_wrong.score >= 1.0:
        return True
    if part_type not in ARRAY_TYPES + LIST_TYPES:
        return False
    if to_key is None:
        to_key = compare(part_type, given, key, tol)
    if to_key.shape_error:  # the mistake changes the shape: every cell is a changed cell
        return to_wrong.score >= RESEMBLANCE
    if to_wrong.score <= to_key.score:
        return False
    changed = compare(part_type, wrong, key, tol).wrong_cells
    off = {tuple(c) for c in to_wrong.wrong_cells}
    agree = sum(tuple(c) not in off for c in changed)
    return bool(changed) and agree >= RESEMBLANCE * len(changed)


def keeps_key(
    part_type: str,
    given: Any,
    wrong: Any,
    key: Any,
    tol: float = 0.0,
    to_key: Comparison | None = None,
) -> bool:
    """Whether ``given`` has the key's values everywhere the misconception would change them
    (its shape, or its cells): the student's own answer says they did not make that mistake.
    ``to_key``: ``compare(part_type, given, key, tol)`` where the caller has it already."""
    if to_key is None:
        to_key = compare(part_type, given, key, tol)
    wrong_vs_key = compare(part_type, wrong, key, tol)
    if wrong_vs_key.shape_error or to_key.shape_error:
        return to_key.score >= 1.0  # a shape-changing mistake: only a right answer rules it out
    off = {tuple(c) for c in to_key.wrong_cells}
    return all(tuple(c) not in off for c in wrong_vs_key.wrong_cells)


def where_wrong(part_type: str, c: Comparison, limit: int = 8) -> str:
    """The wrong cells indexed as the worked solutions index them (from 0, ``y[0,2]``):
    ``[2], [5]`` or ``[0,1], [2,0] (row, column)``."""
    cells = c.wrong_cells[:limit]
    more = f" and {len(c.wrong_cells) - limit} more" if len(c.wrong_cells) > limit else ""
    shown = ", ".join("[" + ",".join(str(v) for v in i) + "]" for i in cells)
    axes = {"matrix": " (row, column)", "tensor": " (row, column, channel)"}.get(part_type, "")
    return f"{shown}{more}{axes}, counted from 0"


# --- marking --------------------------------------------------------------------------------


def part_points(
    parts: list[Part], points: float, split: dict[str, float] | None = None
) -> dict[str, float]:
    """Points per part: ``split`` where given, the rest of ``points`` evenly over the others."""
    ids = [p.id for p in parts]
    split = {pid: v for pid, v in (split or {}).items() if pid in ids}
    rest = [pid for pid in ids if pid not in split]
    left = max(points - sum(split.values()), 0.0)
    for pid in rest:
        split[pid] = left / len(rest)
    return {pid: float(split[pid]) for pid in ids}


def _mark_part(
    part: Part, raw: Any, max_points: float
) -> tuple[PartResult, Any, Comparison | None]:
    """Mark one part against the key; returns the result, the parsed value (or None) and its
    comparison with the key (or None)."""
    base = dict(id=part.id, label=part.label, type=part.type, expected=part.answer)
    if is_blank(raw):
        return (
            PartResult(
                **base,
                status="missing",
                score=0.0,
                points=0.0,
                max_points=max_points,
                message="no answer given",
            ),
            None,
            None,
        )
    try:
        value = parse(part, raw)
    except AnswerError as exc:
        return (
            PartResult(
                **base,
                status="unreadable",
                score=0.0,
                points=0.0,
                max_points=max_points,
                message=f"could not read your answer: {exc}",
                given=echo(raw),
            ),
            None,
            None,
        )
    result = PartResult(
        **base,
        status="wrong",
        score=0.0,
        points=0.0,
        max_points=max_points,
        message="",
        given=echo(value),
    )
    vs_key = compare(part.type, value, part.answer, part.tolerance)
    _apply(result, vs_key)
    if result.message.startswith("wrong shape") and decimal_comma_reading(raw) is not None:
        result.message += (
            "; if you wrote decimal commas, write decimal points (3.75, not 3,75) and "
            "separate the numbers by spaces"
        )
    return result, value, vs_key


def echo(value: Any, limit: int = MAX_ECHO) -> Any:
    """``value`` as feedback may repeat it (plain JSON data): unchanged when short, else its
    first ``limit`` characters and its length (a 10 MB answer is not copied into the report)."""
    if isinstance(value, str):
        text = value
    elif _json_length(value, limit) <= limit:  # plain JSON data, short: as it is
        return value
    else:
        try:
            text = json.dumps(value, default=str)
            if len(text) <= limit:
                return json.loads(text)  # a value JSON cannot hold, as JSON gives it back
        except (ValueError, RecursionError):
            try:
                text = reprlib.repr(value)
            except ValueError:  # an integer of more digits than Python converts to text
                text = f"<{type(value).__name__} too large to show>"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


def _json_length(value: Any, limit: int, depth: int = 0) -> int:
    """The length of ``json.dumps(value)`` for plain JSON data (numbers, strings, ``None``,
    booleans, lists) up to ``limit``; anything over ``limit`` or not plain JSON data (a tuple,
    a dict, NaN) counts as ``limit + 1``. A walk costs a fraction of the encoding it replaces."""
    t = type(value)
    if t is int:  # str() of a huge integer would raise (and take long): over the limit anyway
        return len(str(value)) if value.bit_length() <= 3 * limit + 4 else limit + 1
    if t is float:
        return len(repr(value)) if math.isfinite(value) else limit + 1
    if value is None or t is bool:
        return 4 + (value is False)
    if t is str:
        return len(json.dumps(value))
    if t is not list or depth >= 8:
        return limit + 1
    total = 2 * len(value) if value else 2  # brackets and ", " between the items
    for v in value:
        total += _json_length(v, limit - total, depth + 1)
        if total > limit:
            return limit + 1
    return total


def _apply(result: PartResult, c: Comparison, against: str = "key") -> None:
    result.score = round(c.score, 6)
    result.points = round(c.score * result.max_points, 4)
    result.wrong_cells = c.wrong_cells
    result.cells = c.cells
    result.against = against
    if c.score >= 1.0:
        result.status, result.message = "correct", "correct"
    elif c.shape_error:
        result.status = "wrong"
        result.message = f"{c.shape_error}, so the values were not checked"
    elif c.note:
        result.status = "partial" if c.score > 0 else "wrong"
        right = c.cells - len(c.wrong_cells)
        result.message = f"{c.note}: {right} of {c.cells} right"
    elif c.score > 0 and c.cells > 1:
        result.status = "partial"
        right = c.cells - len(c.wrong_cells)
        result.message = f"{right} of {c.cells} right; wrong at {where_wrong(result.type, c)}"
    else:
        result.status = "wrong"
        result.message = "wrong" if c.cells <= 1 else f"all {c.cells} wrong"


def _fractional(value: Any) -> bool:
    arr = _array(value)
    return arr is not None and bool(np.any(arr != np.round(arr)))


def _follow_through(ex: Exercise, results: dict[str, PartResult], values: dict[str, Any]) -> None:
    from .registry import kinds  # late: the registry imports every kind

    kind = kinds().get(ex.kind)
    rules = getattr(kind, "follow_through", None) or {}
    for pid, rule in rules.items():
        r = results.get(pid)
        if r is None or r.status not in ("wrong", "partial"):
            continue
        try:
            own = rule(ex.params, values)
        except (ArithmeticError, IndexError, KeyError, TypeError, ValueError):
            own = None  # the earlier answers do not allow recomputing this part
        if own is None:
            continue
        tol = ex.part(pid).tolerance or (ROUNDING if _fractional(own) else 0.0)
        c = compare(r.type, values[pid], own, tol)
        if c.score > r.score:
            _apply(r, c, against="follow_through")
            r.follow_through_expected = own
            r.message = (
                "consistent with your own earlier answer (follow-through credit)"
                if c.score >= 1.0
                else r.message + " (compared with what your earlier answer leads to)"
            )


def _diagnose(
    ex: Exercise,
    results: dict[str, PartResult],
    values: dict[str, Any],
    vs_key: dict[str, Comparison],
):
    """The misconceptions the answers show. ``vs_key``: each answered part compared with the
    key at its tolerance, as marked (reused: diagnosis compares with the key again)."""
    found: list[Diagnosis] = []
    for m in ex.misconceptions:
        matched = []
        for pid, wrong in m.answers.items():
            r = results.get(pid)
            if r is None or pid not in values or (r.status == "correct" and r.against == "key"):
                continue  # a part credited by follow-through may still show the mistake
            part = ex.part(pid)
            if resembles(
                part.type, values[pid], wrong, part.answer, part.tolerance, vs_key.get(pid)
            ):
                matched.append(pid)
        contradicted = bool(matched) and any(
            pid in values
            and pid not in matched
            and keeps_key(
                ex.part(pid).type,
                values[pid],
                wrong,
                ex.part(pid).answer,
                to_key=None if ex.part(pid).tolerance else vs_key.get(pid),
            )
            for pid, wrong in m.answers.items()
        )
        if matched and not contradicted:  # never from one part when another says otherwise
            i = info(m.id)
            marked = [pid for pid in m.answers if pid in results]
            found.append(Diagnosis(m.id, i.title, i.rule, matched, len(matched) == len(marked)))
    covered = {pid for d in found if d.complete for pid in d.parts}
    kept = [d for d in found if d.complete or not set(d.parts) <= covered]
    kept.sort(key=lambda d: (not d.complete, -len(d.parts)))
    for d in kept:
        for pid in d.parts:
            results[pid].diagnoses.append(d.id)
    return kept


def check_exercise(
    ex: Exercise,
    answers: dict[str, Any],
    *,
    points: float | None = None,
    split: dict[str, float] | None = None,
    question_id: str = "",
    title: str = "",
    asked: list[str] | None = None,
) -> QuestionResult:
    """Mark ``answers`` (part id -> native value or text as written) for one exercise.

    ``points`` defaults to one per part; ``split`` fixes some parts' points; ``asked`` limits
    the marking to those parts (a multiple-choice question asks one part; answers to the others
    are ignored). Missing and unreadable answers score 0 with a message; an unknown part id
    raises :class:`AnswerError`.
    """
    unknown = sorted(set(answers) - {p.id for p in ex.parts})
    if unknown:
        where = f"question {question_id}: " if question_id else ""
        raise AnswerError(
            f"{where}unknown part {unknown[0]!r} (the parts are "
            + ", ".join(p.id for p in ex.parts)
            + ")"
        )
    parts = [p for p in ex.parts if asked is None or p.id in asked]
    total = float(len(parts)) if points is None else float(points)
    shares = part_points(parts, total, split)
    results: dict[str, PartResult] = {}
    values: dict[str, Any] = {}
    vs_key: dict[str, Comparison] = {}
    for part in parts:
        results[part.id], value, c = _mark_part(part, answers.get(part.id), shares[part.id])
        if value is not None:
            values[part.id] = value
            vs_key[part.id] = c
    _follow_through(ex, results, values)
    diagnoses = _diagnose(ex, results, values, vs_key)
    # summed from the unrounded part points, never above the question's points: a perfect
    # answer scores exactly its points (parts of 2/3 point each do not add up to 2.0001)
    got = min(round(sum(r.score * r.max_points for r in results.values()), 4), total)
    return QuestionResult(
        id=question_id,
        kind=ex.kind,
        title=title,
        score=round(got / total, 6) if total else 0.0,
        points=got,
        max_points=total,
        parts=list(results.values()),
        diagnoses=diagnoses,
        seed=ex.seed,
        difficulty=ex.difficulty,
    )
