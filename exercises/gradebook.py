"""Gradebooks for LMS import, written the same way by ``grade check-all`` and ``grade batch``.

One :class:`Gradebook` (a title, the points possible and one :class:`Entry` per student) is
rendered by every format registered in :data:`FORMATS`:

- ``canvas`` — ``gradebook-canvas.csv``, Canvas *Grades → Import*: ``Student, ID, SIS User ID,
  SIS Login ID, Section`` and one assignment column, then Canvas's ``Points Possible`` row.
  Students are matched on ``SIS User ID`` (the student id); ``ID`` (Canvas's internal number)
  stays empty. An LMS gradebook has one line per student (the first: marked sheets come
  first). A student without a grade (absent, sheet unreadable, run failed) has an empty
  cell, which Canvas leaves as it was.
- ``moodle`` — ``gradebook-moodle.csv``, Moodle *Import grades from CSV*: ``ID number, Full name,
  Email address``, the grade column and ``Feedback`` (status and a one-line reason where there is
  no grade). Map ``ID number`` (or ``Email address``) to the user field.
- ``csv`` — ``gradebook.csv``, for the instructor: id, name, status, any per-question columns,
  points, points possible, percent and the one-line message.

Every string cell is neutralised against spreadsheet formula injection: a cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe (OWASP's advice), so a
student-written ``=HYPERLINK(...)`` is shown as text, never evaluated.

>>> book = Gradebook("Week 3", 10, [Entry("s1", points=7.5), Entry("s2", status="absent")])
>>> print(render(book, "moodle"), end="")
ID number,Full name,Email address,Week 3,Feedback
s1,,,7.5,
s2,,,,absent
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Canvas's own export indents this label; its importer reads the row as points possible.
POINTS_POSSIBLE = "    Points Possible"


@dataclass
class Entry:
    """One student's line. ``points`` None: no grade (absent, unreadable sheet, failed run)."""

    student: str
    name: str = ""
    email: str = ""
    login: str = ""
    section: str = ""
    points: float | None = None
    status: str = "ok"
    message: str = ""
    #: extra columns of the ``csv`` format (e.g. points per question), by column name
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Gradebook:
    """A title (the assignment column), the points possible and the entries, in order."""

    title: str
    points_possible: float | None
    entries: list[Entry]
    extra_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GradebookFormat:
    name: str
    filename: str
    summary: str
    rows: Callable[[Gradebook], Iterable[list[Any]]]


def neutralise(cell: Any) -> Any:
    """``cell`` safe for a spreadsheet: a string starting a formula gets a leading apostrophe.

    >>> neutralise('=HYPERLINK("http://x", "click")')
    '\\'=HYPERLINK("http://x", "click")'
    >>> neutralise(-2.5), neutralise("2.5")
    (-2.5, '2.5')
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def points_text(x: float | None) -> str:
    """Points with at most two decimals: ``4``, ``2.33``; empty for no grade."""
    if x is None:
        return ""
    return f"{round(float(x), 2):g}"


def _feedback(e: Entry) -> str:
    if e.status == "ok":
        return e.message
    return f"{e.status}: {e.message}" if e.message else e.status


def _first_per_student(entries: list[Entry]) -> Iterator[Entry]:
    """One line per student for an LMS (a second line would overwrite the first grade)."""
    seen: set[str] = set()
    for e in entries:
        if e.student not in seen:
            seen.add(e.student)
            yield e


def _canvas(book: Gradebook) -> Iterator[list[Any]]:
    yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", book.title]
    yield [POINTS_POSSIBLE, "", "", "", "", points_text(book.points_possible)]
    for e in _first_per_student(book.entries):
        yield [e.name or e.student, "", e.student, e.login, e.section, points_text(e.points)]


def _moodle(book: Gradebook) -> Iterator[list[Any]]:
    yield ["ID number", "Full name", "Email address", book.title, "Feedback"]
    for e in _first_per_student(book.entries):
        yield [e.student, e.name, e.email, points_text(e.points), _feedback(e)]


def _plain(book: Gradebook) -> Iterator[list[Any]]:
    extra = book.extra_columns
    yield ["student", "name", "status", *extra, "points", "max_points", "percent", "message"]
    possible = book.points_possible
    for e in book.entries:
        percent = ""
        if e.points is not None and possible:
            percent = f"{100 * e.points / possible:.1f}"
        yield [
            e.student,
            e.name,
            e.status,
            *(e.extra.get(c, "") for c in extra),
            points_text(e.points),
            points_text(possible),
            percent,
            e.message,
        ]


#: The registered formats, by name: the one place a gradebook format is added.
FORMATS: dict[str, GradebookFormat] = {
    f.name: f
    for f in (
        GradebookFormat("canvas", "gradebook-canvas.csv", "Canvas gradebook import", _canvas),
        GradebookFormat("moodle", "gradebook-moodle.csv", 'Moodle "Import grades"', _moodle),
        GradebookFormat("csv", "gradebook.csv", "every student's marks, for you", _plain),
    )
}


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """CSV text (RFC 4180 line ends), every cell neutralised against formula injection."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise("" if c is None else c) for c in row])
    return buf.getvalue()


def render(book: Gradebook, fmt: str) -> str:
    """The gradebook as CSV text in the registered format ``fmt``."""
    return csv_text(FORMATS[fmt].rows(book))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write(book: Gradebook, folder: str | Path) -> list[Path]:
    """Write every registered format into ``folder`` (each file atomically); their paths."""
    folder = Path(folder)
    paths = []
    for f in FORMATS.values():
        write_atomic(folder / f.filename, render(book, f.name))
        paths.append(folder / f.filename)
    return paths
