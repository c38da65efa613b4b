"""Check a whole class: find the answer sheets, mark them, write gradebooks, feedback and a report.

Outputs (written to a temporary folder next to ``out`` and moved into place only when complete):

- ``gradebook-canvas.csv`` — Canvas Gradebook import: ``Student, ID, SIS User ID, SIS Login ID,
  Section`` and one column named ``<title> (<set id>)`` with the points; a ``Points Possible``
  row follows the header. Students are matched on ``SIS User ID`` (the roster id).
- ``gradebook-moodle.csv`` — Moodle "Import grades from CSV": ``ID number, Full name, Email
  address``, a grade column ``<title>`` (points) and ``Feedback`` (a one-line summary); map
  ``ID number`` (or ``Email address``) to the user field and the grade column to the grade item.
- ``gradebook.csv`` — for the instructor: one row per student, points per question, total, percent.
- ``feedback/<student>.txt`` and ``feedback/<student>.html`` — per-student feedback.
- ``results.json`` — every mark, part and diagnosis, for machines.
- ``report.html`` — the class report (self-contained: charts are inline SVG).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .answer_sheets import AnswerFileError, AnswerSheet, Key, check_sheet, load_answers
from .checking import StudentResult
from .feedback import render_student
from .model import Exercise


@dataclass
class ClassResult:
    key: Key
    results: list[StudentResult]
    sheets: dict[str, str]  # student id -> answer file
    absent: list[str] = field(default_factory=list)  # roster students without a sheet
    #: student id -> question id -> the exercise they answered (for worked solutions)
    exercises: dict[str, dict[str, Exercise]] = field(default_factory=dict)


def find_sheets(folder: str | Path) -> list[Path]:
    """Answer files in ``folder``: ``*.toml``/``*.json`` at the top, ``<id>/answers.*`` and
    ``students/<id>/answers.*`` (the layout ``grade build`` writes)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AnswerFileError(f"{folder}: not a folder of answer files")
    found: list[Path] = []
    for pattern in ("*.toml", "*.json", "*/answers.toml", "*/answers.json"):
        found += sorted(folder.glob(pattern))
    for pattern in ("students/*/answers.toml", "students/*/answers.json"):
        found += sorted(folder.glob(pattern))
    return [p for p in dict.fromkeys(found) if p.name != "key.json"]


def _student_of(sheet: AnswerSheet, path: Path) -> str:
    if sheet.student:
        return sheet.student
    return path.parent.name if path.stem == "answers" else path.stem


def check_class(key: Key, folder: str | Path) -> ClassResult:
    """Mark every sheet in ``folder``; the first malformed file raises, naming it."""
    paths = find_sheets(folder)
    if not paths:
        raise AnswerFileError(f"{folder}: no answer files (*.toml, *.json or <id>/answers.toml)")
    results: list[StudentResult] = []
    sheets: dict[str, str] = {}
    exercises: dict[str, dict[str, Exercise]] = {}
    for path in paths:
        sheet = load_answers(path)
        sid = _student_of(sheet, path)
        if sid in sheets:
            raise AnswerFileError(f"{path}: student {sid!r} already answered in {sheets[sid]}")
        sheets[sid] = str(path)
        results.append(check_sheet(key, sheet, sid))
        exercises[sid] = {
            q.id: key.exercise(sid, q.id, sheet.variants.get(q.id)) for q in key.questions
        }
    absent = [sid for sid in key.students if sid not in sheets]
    return ClassResult(key, results, sheets, absent, exercises)


def _safe_name(sid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in sid) or "student"


def _rows_canvas(c: ClassResult) -> Iterator[list]:
    col = f"{c.key.title or c.key.set_id} ({c.key.set_id})" if c.key.set_id else c.key.title
    total = sum(q.points if q.points is not None else 0 for q in c.key.questions) or (
        c.results[0].max_points if c.results else 0
    )
    yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", col]
    yield ["    Points Possible", "", "", "", "", _num(total)]
    for r in c.results:
        roster = c.key.students.get(r.student, {})
        yield [
            r.name or r.student,
            "",
            r.student,
            roster.get("login", ""),
            roster.get("section", ""),
            _num(r.points),
        ]
    for sid in c.absent:
        roster = c.key.students[sid]
        name = roster.get("name") or sid
        yield [name, "", sid, roster.get("login", ""), roster.get("section", ""), ""]


def _rows_moodle(c: ClassResult) -> Iterator[list]:
    col = c.key.title or c.key.set_id or "Grade"
    yield ["ID number", "Full name", "Email address", col, "Feedback"]
    for r in c.results:
        roster = c.key.students.get(r.student, {})
        names = [d.title for q in r.questions for d in q.diagnoses if d.complete]
        feedback = f"{_num(r.points)}/{_num(r.max_points)} points" + (
            "; likely mistakes: " + "; ".join(dict.fromkeys(names)) if names else ""
        )
        yield [r.student, r.name, roster.get("email", ""), _num(r.points), feedback]
    for sid in c.absent:
        roster = c.key.students[sid]
        yield [sid, roster.get("name", ""), roster.get("email", ""), "", "no answers submitted"]


def _rows_detail(c: ClassResult) -> Iterator[list]:
    qids = [q.id for q in c.key.questions]
    yield ["student", "name", *qids, "points", "max_points", "percent"]
    for r in c.results:
        by_id = {q.id: q.points for q in r.questions}
        yield [
            r.student,
            r.name,
            *(_num(by_id.get(q, 0)) for q in qids),
            _num(r.points),
            _num(r.max_points),
            f"{100 * r.score:.1f}",
        ]


def _num(x: float) -> str:
    """Points with at most two decimals: ``4``, ``2.33``."""
    return f"{round(x, 2):g}"


def _write_csv(path: Path, rows: Iterator[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def write_outputs(c: ClassResult, out: str | Path, *, hide_answers: bool = False) -> Path:
    """Write every output into ``out`` atomically (a temporary folder, then a rename).

    ``hide_answers`` leaves the right answers and worked solutions out of the feedback files.
    """
    from .class_report import render_report  # matplotlib: only when writing a report

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise AnswerFileError(f"{out}: exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        _write_csv(tmp / "gradebook-canvas.csv", _rows_canvas(c))
        _write_csv(tmp / "gradebook-moodle.csv", _rows_moodle(c))
        _write_csv(tmp / "gradebook.csv", _rows_detail(c))
        (tmp / "feedback").mkdir()
        for r in c.results:
            exercises = c.exercises.get(r.student, {})
            name = _safe_name(r.student)
            for fmt, ext in (("text", "txt"), ("html", "html")):
                text = render_student(
                    r, fmt, exercises, solution=not hide_answers, show_key=not hide_answers
                )
                (tmp / "feedback" / f"{name}.{ext}").write_text(text, encoding="utf-8")
        (tmp / "results.json").write_text(
            json.dumps(
                {
                    "set_id": c.key.set_id,
                    "title": c.key.title,
                    "absent": c.absent,
                    "students": [r.to_dict() for r in c.results],
                },
                separators=(",", ":"),
            ),
            encoding="utf-8",
        )
        (tmp / "report.html").write_text(render_report(c), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "previous")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
