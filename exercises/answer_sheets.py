"""Read answer keys (``key.json``) and students' answer sheets (TOML or JSON), and mark a sheet.

The formats are documented in docs/checking.md. Every problem with a file is an
:class:`AnswerFileError` naming the file and, where it can, the line and the question id.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # compiled wheels: the standard library's parser, about 3x faster (300 sheets a run)
    import tomli as tomllib
except ModuleNotFoundError:  # pragma: no cover - a dependency; tomllib is the same parser
    import tomllib

from .checking import QuestionResult, StudentResult, check_exercise
from .errors import ConvgradeError
from .key_digest import digest_problem, parse_json
from .model import Exercise
from .parallel import no_gc


class AnswerFileError(ConvgradeError):
    """A key or answer file that cannot be used as it is."""


@dataclass
class Question:
    id: str
    kind: str
    title: str = ""
    section: str = ""
    points: float | None = None
    part_points: dict[str, float] | None = None
    style: str = "blanks"


@dataclass
class Key:
    """An answer key: the questions, each student's exercises and/or the shared variants."""

    path: str
    title: str
    set_id: str
    questions: list[Question]
    students: dict[str, dict[str, Any]]
    variants: dict[str, list[Exercise]]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def exercise(self, student: str | None, qid: str, variant: int | None) -> Exercise:
        """The exercise a student answered: their personal one, else the variant they name."""
        if student is not None and student in self.students:
            exercises = self.students[student]["exercises"]
            if qid in exercises:
                return exercises[qid]
        variants = self.variants.get(qid) or []
        if not variants:
            raise AnswerFileError(f"{self.path}: no exercise for question {qid!r}")
        if variant is None:
            if len(variants) == 1:
                return variants[0]
            raise AnswerFileError(
                f"question {qid}: no 'variant' given (the key has {len(variants)} variants, "
                f"0 to {len(variants) - 1})"
            )
        if not 0 <= variant < len(variants):
            raise AnswerFileError(
                f"question {qid}: variant {variant} does not exist (0 to {len(variants) - 1})"
            )
        return variants[variant]


@dataclass
class AnswerSheet:
    """One student's answers: question id -> part id -> value as written."""

    path: str
    student: str | None
    set_id: str | None
    answers: dict[str, dict[str, Any]]
    variants: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, qid: str) -> str:
        line = self.lines.get(qid)
        return f"{self.path} line {line}" if line else self.path


#: Answer sheets and keys larger than this are refused unread (a sheet is a few kilobytes).
MAX_FILE_BYTES = 50_000_000


def read_text(path: Path) -> str:
    """A sheet's or key's text: UTF-8 (a byte-order mark, as Windows Notepad writes, is
    dropped) or UTF-16 with its byte-order mark; binary files are refused with a message."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise AnswerFileError(f"{path}: larger than {MAX_FILE_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise AnswerFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise AnswerFileError(f"{path}: not valid UTF-16 text") from None
    if b"\0" in data:
        raise AnswerFileError(f"{path}: a binary file, not a text answer sheet (save it as UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnswerFileError(
            f"{path} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        ) from None


def _read_json(path: Path) -> Any:
    return _parse_json(read_text(path), path)[0]


def _parse_json(text: str, path: Path) -> tuple[Any, bool]:
    """(data, standard) as :func:`exercises.key_digest.parse_json` gives them; invalid JSON is
    an :class:`AnswerFileError` naming the line."""
    try:
        return parse_json(text)
    except json.JSONDecodeError as exc:
        raise AnswerFileError(
            f"{path} line {exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except RecursionError:
        raise AnswerFileError(f"{path}: invalid JSON: lists nested too deeply") from None


def load_key(path: str | Path, *, allow_edited: bool = False) -> Key:
    """Read a ``key.json`` written by ``grade build`` (format ``convgrade-key``, version 1).

    Its ``digest`` must match its content (:mod:`exercises.key_digest`) unless ``allow_edited``.
    """
    path = Path(path)
    with no_gc():  # a key is acyclic data: hundreds of thousands of objects, no cycles
        return _load_key(path, allow_edited)


def _load_key(path: Path, allow_edited: bool) -> Key:
    d, standard = _parse_json(read_text(path), path)
    if not isinstance(d, dict) or d.get("format") != "convgrade-key":
        raise AnswerFileError(f"{path}: not a convgrade key (expected format 'convgrade-key')")
    if d.get("format_version", 1) != 1:
        raise AnswerFileError(f"{path}: key format version {d.get('format_version')} is not 1")
    if not allow_edited:
        why = digest_problem(d, standard)
        if why:
            if "digest_algorithm" not in why:
                why += " (answers, kinds or points differ from what was built)"
            raise AnswerFileError(
                f"{path}: the key {why}; rebuild it, or pass --allow-edited-key to mark with it "
                "as it is"
            )
    try:
        questions = [_question(q) for q in d["questions"]]
        students = {
            str(s["id"]): {
                **s,
                "exercises": {
                    qid: Exercise.from_dict(e) for qid, e in s.get("exercises", {}).items()
                },
            }
            for s in d.get("students", [])
        }
        variants = {
            qid: [Exercise.from_dict(e) for e in lst]
            for qid, lst in (d.get("variants") or {}).items()
        }
    except (KeyError, TypeError, ValueError) as exc:
        why = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise AnswerFileError(f"{path}: malformed key: {why}") from None
    return Key(
        path=str(path),
        title=d.get("title", ""),
        set_id=d.get("set_id", ""),
        questions=questions,
        students=students,
        variants=variants,
    )


def _points(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{what} must be a number of points >= 0, not {value!r}")
    if value > 1e9:
        raise ValueError(f"{what} is implausibly large ({value!r})")
    return float(value)


def _question(q: dict[str, Any]) -> Question:
    """One question entry of a key, its points checked (a number >= 0, per part too)."""
    qid = str(q["id"])
    kind = q["kind"]
    if not isinstance(kind, str):
        raise ValueError(f"question {qid}: kind must be a string, not {kind!r}")
    split = q.get("part_points")
    if split is not None:
        if not isinstance(split, dict):
            raise ValueError(f"question {qid}: part_points must be a table of part -> points")
        split = {str(k): _points(v, f"question {qid}: part_points.{k}") for k, v in split.items()}
    return Question(
        id=qid,
        kind=kind,
        title=str(q.get("title", "")),
        section=str(q.get("section", "")),
        points=_points(q.get("points"), f"question {qid}: points"),
        part_points=split,
        style=str(q.get("style", "blanks")),
    )


def _table_lines(text: str) -> dict[str, int]:
    """Line number of each ``[table]`` header in a TOML file."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*\[\s*(\"[^\"]+\"|'[^']+'|[A-Za-z0-9_\-]+)\s*\]", line)
        if m:
            out.setdefault(m.group(1).strip("\"'"), n)
    return out


def load_answers(path: str | Path) -> AnswerSheet:
    """Read an answer sheet: TOML (``[q1]`` tables) or JSON (``{"answers": {"q1": {...}}}``)."""
    path = Path(path)
    lines: dict[str, int] = {}
    if path.suffix.lower() == ".json":
        d = _read_json(path)
        if not isinstance(d, dict) or not isinstance(d.get("answers"), dict):
            raise AnswerFileError(f'{path}: expected an object with an "answers" object')
        top = {k: v for k, v in d.items() if k != "answers"}
        tables = d["answers"]
    else:
        text = read_text(path)
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            if "end of document" in msg:
                msg += f" after line {len(text.splitlines())}: an unclosed bracket or quote?"
            raise AnswerFileError(f"{path}: invalid TOML: {msg}") from None
        except RecursionError:
            raise AnswerFileError(f"{path}: invalid TOML: arrays nested too deeply") from None
        lines = _table_lines(text)
        top = {k: v for k, v in d.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in d.items() if isinstance(v, dict)}
    unknown = sorted(set(top) - {"student", "set"})
    if unknown:
        raise AnswerFileError(
            f"{path}: unknown top-level entry {unknown[0]!r} (expected student, set and one "
            "table per question)"
        )
    answers: dict[str, dict[str, Any]] = {}
    variants: dict[str, int] = {}
    for qid, table in tables.items():
        if not isinstance(table, dict):
            raise AnswerFileError(f"{path}: answers for {qid!r} must be a table of parts")
        table = dict(table)
        if "variant" in table:
            v = table.pop("variant")
            if isinstance(v, bool) or not isinstance(v, int):
                where = f"{path} line {lines[qid]}" if qid in lines else str(path)
                raise AnswerFileError(f"{where}: question {qid}: variant must be an integer")
            variants[qid] = v
        answers[str(qid)] = table
    student = top.get("student")
    return AnswerSheet(
        path=str(path),
        student=None if student in (None, "") else str(student),
        set_id=top.get("set") or None,
        answers=answers,
        variants=variants,
        lines=lines,
    )


def asked_parts(q: Question, ex: Exercise) -> list[str] | None:
    """The parts a question asks: a multiple-choice question asks the one part that
    ``grade build`` offered options for (None: every part)."""
    if q.style != "multiple_choice":
        return None
    try:
        from .problemset import mc
    except ModuleNotFoundError:  # an installation without problem sets
        return None
    chosen = mc.options(ex)
    return None if chosen is None else [chosen[0].id]


def answered_exercise(key: Key, sheet: AnswerSheet, sid: str | None, qid: str) -> Exercise:
    """The exercise ``sheet`` answered for question ``qid``. A question the sheet leaves out
    entirely is marked against its first variant (every part "no answer given"), so a deleted
    question table costs that question only."""
    if qid not in sheet.answers and qid not in sheet.variants and not key.students.get(sid or ""):
        variants = key.variants.get(qid) or []
        if len(variants) > 1:
            return variants[0]
    return key.exercise(sid, qid, sheet.variants.get(qid))


_LETTER = re.compile(r"^\(?\s*([a-z])\s*[).:]?$", re.I)


def with_option_letters(q: Question, ex: Exercise, answers: dict[str, Any]) -> dict[str, Any]:
    """A multiple-choice answer written as the option's letter (``b``, ``c)``, ``(c)``, as the
    handout lists them) replaced by that option's value; other answers unchanged."""
    if q.style != "multiple_choice":
        return answers
    try:
        from .problemset import mc
    except ModuleNotFoundError:
        return answers
    chosen = mc.options(ex)
    if chosen is None:
        return answers
    part, options = chosen
    raw = answers.get(part.id)
    m = _LETTER.match(raw.strip()) if isinstance(raw, str) else None
    if m is None:
        return answers
    index = ord(m.group(1).lower()) - ord("a")
    if index >= len(options):
        return answers  # not a listed letter: marked (and reported) as written
    return {**answers, part.id: options[index].value}


def check_sheet(key: Key, sheet: AnswerSheet, student: str | None = None) -> StudentResult:
    """Mark every question of ``key`` for one sheet (``student`` overrides the sheet's own id).

    Unanswered questions score 0; a question id the key does not have, a student the key does
    not list, or a sheet for another set raise :class:`AnswerFileError`.
    """
    sid = student or sheet.student
    if key.students:
        if sid is None:
            raise AnswerFileError(f"{sheet.path}: no student id (add student = '...' or --student)")
        if sid not in key.students:
            raise AnswerFileError(f"{sheet.path}: student {sid!r} is not in the key {key.path}")
    if sheet.set_id and key.set_id and sheet.set_id != key.set_id:
        raise AnswerFileError(
            f"{sheet.path}: answers are for set {sheet.set_id!r}, the key is for {key.set_id!r}"
        )
    known = [q.id for q in key.questions]
    for qid in sheet.answers:
        if qid not in known:
            have = ", ".join(known)
            raise AnswerFileError(
                f"{sheet.where(qid)}: unknown question {qid!r} (the key has {have})"
            )
    results: list[QuestionResult] = []
    for q in key.questions:
        ex = answered_exercise(key, sheet, sid, q.id)
        asked = asked_parts(q, ex)
        try:
            results.append(
                check_exercise(
                    ex,
                    with_option_letters(q, ex, sheet.answers.get(q.id, {})),
                    points=q.points,
                    split=q.part_points,
                    question_id=q.id,
                    title=q.title,
                    asked=asked,
                )
            )
        except ConvgradeError as exc:
            raise AnswerFileError(f"{sheet.where(q.id)}: {exc}") from None
    name = key.students.get(sid, {}).get("name", "") if sid else ""
    return StudentResult(
        student=sid or "", name=name, set_id=key.set_id, title=key.title, questions=results
    )
