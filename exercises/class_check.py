"""Check a whole class: find the answer sheets, mark them, write gradebooks, feedback and a report.

Outputs (written to a temporary folder next to ``out`` and moved into place only when complete):

- ``gradebook-canvas.csv``, ``gradebook-moodle.csv``, ``gradebook.csv`` — the gradebooks of
  :mod:`exercises.gradebook` (the same module ``grade batch`` writes them with); ``gradebook.csv``
  adds the points per question.
- ``feedback/<student>.txt`` and ``feedback/<student>.html`` — per-student feedback.
- ``results.json`` — every mark, part and diagnosis, and the sheets that could not be marked.
- ``report.html`` — the class report (self-contained: charts are inline SVG).

A sheet that cannot be marked (unreadable file, unknown question, a second sheet for one
student, a ``student`` field contradicting the file name) never stops the run: it is listed as
its own row with its status and a one-line reason in every output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import orjson

from . import forked
from .answer_sheets import (
    AnswerFileError,
    AnswerSheet,
    Key,
    answered_exercise,
    check_sheet,
    load_answers,
    load_key,
)
from .checking import StudentResult, json_default
from .collector import old_objects_frozen
from .feedback import render_student
from .gradebook import Entry, Gradebook, points_text
from .gradebook import write as write_gradebook
from .model import Exercise


@dataclass
class SheetProblem:
    """A sheet that was not marked: ``status`` (unreadable, duplicate, id-mismatch, rejected)
    and a one-line ``reason`` naming the file."""

    student: str
    path: str
    status: str
    reason: str


@dataclass
class ClassResult:
    key: Key
    results: list[StudentResult]
    sheets: dict[str, str]  # student id -> answer file
    absent: list[str] = field(default_factory=list)  # roster students without a sheet
    #: student id -> question id -> the exercise they answered (for worked solutions)
    exercises: dict[str, dict[str, Exercise]] = field(default_factory=dict)
    problems: list[SheetProblem] = field(default_factory=list)


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


def _name_id(path: Path) -> str:
    """The student id a file's name gives: ``<id>.toml`` or ``<id>/answers.toml``."""
    return path.parent.name if path.stem == "answers" else path.stem


def _identity(key: Key, sheet: AnswerSheet, path: Path, named: set[str]) -> tuple[str, str]:
    """(student id, problem) for ``sheet``: its own ``student`` field, else the file name.

    A ``student`` field naming someone else than the file or folder name does (both roster ids,
    or without a roster the name of another sheet's file) is a problem: the sheet would be
    marked, and graded, as the wrong student.
    """
    by_name = _name_id(path)
    claimed = sheet.student
    if not claimed or claimed == by_name:
        return claimed or by_name, ""
    if (key.students and by_name in key.students) or (not key.students and claimed in named):
        return by_name, (
            f"{path}: the sheet says student = {claimed!r} but its file name says {by_name!r}; "
            "fix the one that is wrong"
        )
    return claimed, ""


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Marked:
    """What reading and marking one sheet gave, in whichever process did it: ``early`` is a
    problem that stops the sheet before the duplicate check (unreadable, id mismatch), ``late``
    one found while marking."""

    sid: str
    sheet: AnswerSheet | None = None
    result: StudentResult | None = None
    early: SheetProblem | None = None
    late: SheetProblem | None = None


def _read_and_mark(key: Key, named: set[str], path: Path) -> _Marked:
    sid = _name_id(path)
    try:
        sheet = load_answers(path)
    except AnswerFileError as exc:
        return _Marked(sid, early=SheetProblem(sid, str(path), "unreadable", _one_line(exc)))
    except Exception as exc:  # a reading bug must not stop the class either
        why = f"{path}: could not be read ({type(exc).__name__}: {exc})"
        return _Marked(sid, early=SheetProblem(sid, str(path), "error", _one_line(why)))
    stage = "early"
    try:
        sid, mismatch = _identity(key, sheet, path, named)
        if mismatch:
            return _Marked(sid, sheet, early=SheetProblem(sid, str(path), "id-mismatch", mismatch))
        stage = "late"
        return _Marked(sid, sheet, check_sheet(key, sheet, sid))
    except AnswerFileError as exc:
        problem = SheetProblem(sid, str(path), "rejected", _one_line(exc))
    except Exception as exc:  # a marking bug must not stop the class
        why = f"{path}: could not be marked ({type(exc).__name__}: {exc})"
        problem = SheetProblem(sid, str(path), "error", _one_line(why))
    return _Marked(sid, sheet, **{stage: problem})


def check_class(key: Key, folder: str | Path) -> ClassResult:
    """Mark every sheet in ``folder``. A sheet that cannot be marked becomes a
    :class:`SheetProblem` (its status and reason); the run goes on with the others.

    The sheets are read and marked by this process and, with two cores, a forked one
    (:func:`exercises.forked.map_shared`); duplicates are then settled here in file order."""
    paths, mark = _marking(key, folder)
    with old_objects_frozen():  # collections skip the key while the results are built
        return _settle(key, paths, forked.map_shared(mark, paths))[0]


def _marking(key: Key, folder: str | Path) -> tuple[list[Path], Callable[[Path], _Marked]]:
    """The sheets of ``folder`` in marking order, and the function that reads and marks one."""
    paths = find_sheets(folder)
    if not paths:
        raise AnswerFileError(f"{folder}: no answer files (*.toml, *.json or <id>/answers.toml)")
    named = {_name_id(p) for p in paths}
    # a sheet named for its student first: of two sheets claiming one id, it is the one marked
    paths.sort(key=lambda p: _name_id(p) not in key.students)
    return paths, partial(_read_and_mark, key, named)


def _settle(key: Key, paths: list[Path], marked: list[_Marked]) -> tuple[ClassResult, set[int]]:
    """The class from each sheet's marks (in ``paths`` order): duplicates settled in file
    order; also the indices of the sheets that became results."""
    results: list[StudentResult] = []
    sheets: dict[str, str] = {}
    exercises: dict[str, dict[str, Exercise]] = {}
    problems: list[SheetProblem] = []
    chosen: set[int] = set()
    for i, (path, m) in enumerate(zip(paths, marked)):
        if m.early is not None:
            problems.append(m.early)
            continue
        sid = m.sid
        if sid in sheets:
            why = f"{path}: student {sid!r} already answered in {sheets[sid]}"
            problems.append(SheetProblem(_name_id(path), str(path), "duplicate", why))
            continue
        if m.late is not None:
            problems.append(m.late)
            continue
        try:
            answered = _answered(key, m)
        except AnswerFileError as exc:
            problems.append(SheetProblem(sid, str(path), "rejected", _one_line(exc)))
            continue
        except Exception as exc:  # a marking bug must not stop the class
            why = f"{path}: could not be marked ({type(exc).__name__}: {exc})"
            problems.append(SheetProblem(sid, str(path), "error", _one_line(why)))
            continue
        sheets[sid] = str(path)
        results.append(m.result)
        exercises[sid] = answered
        chosen.add(i)
    flagged = {p.student for p in problems}
    absent = [sid for sid in key.students if sid not in sheets and sid not in flagged]
    return ClassResult(key, results, sheets, absent, exercises, problems), chosen


def _answered(key: Key, m: _Marked) -> dict[str, Exercise]:
    """Question id -> the exercise the marked sheet answered."""
    return {q.id: answered_exercise(key, m.sheet, m.sid, q.id) for q in key.questions}


def check_all(
    key_path: str | Path,
    folder: str | Path,
    out: str | Path,
    *,
    hide_answers: bool = False,
    allow_edited_key: bool = False,
) -> ClassResult:
    """What ``grade check-all`` does: read the key, mark every sheet in ``folder`` and write
    every output into ``out``; the same class and files as :func:`check_class` then
    :func:`write_outputs`. A process forked first imports matplotlib for the report's charts
    meanwhile; with two cores, a forked process marks sheets and writes the feedback files of
    the sheets it marked (:class:`exercises.forked.Halves`)."""
    from .class_report import charts_ahead

    with charts_ahead() as drawn:
        key = load_key(key_path, allow_edited=allow_edited_key)
        paths, mark = _marking(key, folder)
        with old_objects_frozen(), forked.Halves(mark, paths, partial(_feedback_of, key)) as two:
            c, chosen = _settle(key, paths, two.first_results())

            def feedback(into: Path, alongside: Callable[[], None]) -> None:
                two.second_steps((into, hide_answers), chosen, alongside)

            write_outputs(c, out, hide_answers=hide_answers, drawn=drawn, feedback=feedback)
    return c


def _feedback_of(key: Key, arg: tuple[Path, bool], i: int, m: _Marked) -> None:
    """The feedback files of one marked sheet (the second step of :func:`check_all`)."""
    folder, hide_answers = arg
    _write_files(folder, m.result, _answered(key, m), hide_answers)


def _safe_name(sid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in sid) or "student"


def gradebook(c: ClassResult) -> Gradebook:
    """The class's gradebook: marked sheets, then sheets not marked, then absent students."""
    key = c.key
    title = f"{key.title or key.set_id} ({key.set_id})" if key.set_id else key.title or "Grade"
    possible = sum(q.points if q.points is not None else 0 for q in key.questions) or (
        c.results[0].max_points if c.results else 0
    )
    qids = [q.id for q in key.questions]

    def entry(sid: str, **kw) -> Entry:
        roster = key.students.get(sid, {})
        return Entry(
            student=sid,
            name=str(kw.pop("name", "") or roster.get("name", "")),
            email=str(roster.get("email", "")),
            login=str(roster.get("login", "")),
            section=str(roster.get("section", "")),
            **kw,
        )

    entries = []
    for r in c.results:
        names = [d.title for q in r.questions for d in q.diagnoses if d.complete]
        message = f"{points_text(r.points)}/{points_text(r.max_points)} points" + (
            "; likely mistakes: " + "; ".join(dict.fromkeys(names)) if names else ""
        )
        by_id = {q.id: points_text(q.points) for q in r.questions}
        entries.append(entry(r.student, name=r.name, points=r.points, message=message, extra=by_id))
    for p in c.problems:
        entries.append(entry(p.student, status=p.status, message=p.reason))
    for sid in c.absent:
        entries.append(entry(sid, status="absent", message="no answers submitted"))
    return Gradebook(title, possible, entries, qids)


def _write_feedback(c: ClassResult, folder: Path, hide_answers: bool, take) -> None:
    """Feedback files (text and HTML) of the results ``take()`` hands out, until none is left."""
    while (i := take()) < len(c.results):
        r = c.results[i]
        _write_files(folder, r, c.exercises.get(r.student, {}), hide_answers)


def _write_files(
    folder: Path, r: StudentResult, exercises: dict[str, Exercise], hide_answers: bool
) -> None:
    name, show = _safe_name(r.student), not hide_answers
    for fmt, ext in (("text", "txt"), ("html", "html")):
        text = render_student(r, fmt, exercises, solution=show, show_key=show)
        (folder / f"{name}.{ext}").write_text(text, encoding="utf-8")


def _feedback_alongside(c: ClassResult, hide_answers: bool):
    """Write the feedback files into a folder: this process and, with two cores, a forked one
    (:func:`exercises.forked.alongside`), each taking the next student from a shared counter;
    ``alongside()`` runs here meanwhile."""

    def write(folder: Path, alongside: Callable[[], None]) -> None:
        two = forked.usable(len(c.results))
        counter = forked.Counter(shared=two)

        def share() -> None:
            _write_feedback(c, folder, hide_answers, counter.take)

        def with_it() -> None:
            alongside()
            share()

        if not (two and forked.alongside(share, with_it)):
            if not two:
                alongside()
            # one process, or the forked one failed: every feedback file here
            _write_feedback(c, folder, hide_answers, forked.Counter(False).take)

    return write


def _write_report(c: ClassResult, tmp: Path, drawn: forked.Ahead, summary: dict) -> None:
    from .class_report import render_report

    (tmp / "report.html").write_text(render_report(c, drawn, summary), encoding="utf-8")


def _write_results(c: ClassResult, tmp: Path) -> None:
    data = {
        "set_id": c.key.set_id,
        "title": c.key.title,
        "absent": c.absent,
        "not_marked": [asdict(p) for p in c.problems],
        "students": c.results,
    }
    try:  # each result as to_dict() gives it, converted as the encoder reaches it (no copies)
        text = orjson.dumps(data, default=json_default, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    except orjson.JSONEncodeError:  # what orjson refuses (an integer beyond 64 bits) json writes
        text = json.dumps(data, separators=(",", ":"), default=json_default).encode()
    (tmp / "results.json").write_bytes(text)


def write_outputs(
    c: ClassResult,
    out: str | Path,
    *,
    hide_answers: bool = False,
    drawn: forked.Ahead | None = None,
    feedback: Callable[[Path, Callable[[], None]], None] | None = None,
) -> Path:
    """Write every output into ``out`` atomically (a temporary folder, then a rename).

    ``hide_answers`` leaves the right answers and worked solutions out of the feedback files.
    ``drawn`` (:func:`exercises.class_report.charts_ahead`, started early) draws the report's
    charts; without it they are drawn by a process forked here, or by this one. ``feedback``
    writes the feedback files into the folder it is given while running the function it is
    given (:func:`check_all`'s); by default, with two cores, a forked process shares them with
    this one. The files are the same as when written one by one.
    """
    from . import class_report  # matplotlib only in the functions that draw

    with contextlib.ExitStack() as stack:
        if drawn is None:
            drawn = stack.enter_context(class_report.charts_ahead())
        summary = class_report.summarize(c)  # once: the charts' data and the report's numbers
        drawn.send(class_report.chart_data(summary))
        with old_objects_frozen():  # collections skip the key and results while rendering
            feedback = feedback or _feedback_alongside(c, hide_answers)
            return _write_outputs(c, Path(out), drawn, summary, feedback)


def _write_outputs(c: ClassResult, out: Path, drawn: forked.Ahead, summary: dict, feedback) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise AnswerFileError(f"{out}: exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write_gradebook(gradebook(c), tmp)
        (tmp / "feedback").mkdir()
        feedback(tmp / "feedback", lambda: _write_results(c, tmp))
        _write_report(c, tmp, drawn, summary)  # its charts were drawn meanwhile
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
