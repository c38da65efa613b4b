"""Course files: which assignments the service grades, with deadlines, late policy and limits.

A course file is TOML (see ``examples/course.toml``)::

    title = "CNNs, autumn term"
    roster = "roster.csv"              # student_id,name,email (relative to the course file)

    [[assignment]]
    name = "digits-cnn"                # a built-in assignment or a path to an assignment .toml
    deadline = 2026-12-15T23:59:00Z    # TOML datetime (with offset, or read as UTC)
    late_penalty_per_day = 0.1         # fraction of the score lost per started day late
    hard_cutoff = 2026-12-18T23:59:00Z # no uploads after this
    max_submissions = 5                # per student within window
    window = "24h"
    show_score_before_deadline = true
    epochs = 3                         # optional: override the assignment's epoch budget

Every problem is one line naming the file and the key (:class:`SpecError`).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.assignment import Assignment, SpecError, load_assignment
from convgrade.grader.limits import parse_seconds, parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CourseAssignment:
    """One assignment of a course and its submission policy."""

    name: str
    assignment: Assignment
    deadline: dt.datetime
    hard_cutoff: dt.datetime | None = None
    late_penalty_per_day: float = 0.0
    max_submissions: int = 5
    window: dt.timedelta = DAY
    show_score_before_deadline: bool = True
    data: str | None = None

    def late_days(self, when: dt.datetime) -> int:
        """Started days after the deadline (0 when on time)."""
        late = (when - self.deadline).total_seconds()
        return max(0, math.ceil(late / DAY.total_seconds()))

    def penalty(self, when: dt.datetime) -> float:
        """Fraction of the score lost for submitting at ``when`` (0..1)."""
        return min(1.0, self.late_penalty_per_day * self.late_days(when))

    def closed(self, when: dt.datetime) -> bool:
        return self.hard_cutoff is not None and when > self.hard_cutoff

    def score_visible(self, when: dt.datetime) -> bool:
        return self.show_score_before_deadline or when >= self.deadline


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""


@dataclass
class Course:
    """A course: its title, roster and assignments by name."""

    title: str
    source: str
    assignments: dict[str, CourseAssignment]
    roster: list[Student] = field(default_factory=list)
    upload_max_bytes: int = 1_000_000

    def get(self, name: str) -> CourseAssignment:
        try:
            return self.assignments[name]
        except KeyError:
            raise ConvgradeError(f"no assignment {name!r} in {self.source}") from None


def _datetime(source: str, key: str, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59), dt.timezone.utc)
    raise SpecError(source, key, "a TOML date-time such as 2026-12-15T23:59:00Z", value)


def _typed(source: str, table: dict, key: str, kind: type | tuple, default: Any) -> Any:
    value = table.get(key, default)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is default:
        return value
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise SpecError(source, key, f"a {names}", value)
    return value


ASSIGNMENT_KEYS = {
    "name", "deadline", "hard_cutoff", "late_penalty_per_day", "max_submissions", "window",
    "show_score_before_deadline", "epochs", "seed", "data",
}  # fmt: skip


def _assignment(source: str, base: Path, i: int, t: Any) -> CourseAssignment:
    where = f"assignment[{i}]"
    if not isinstance(t, dict):
        raise SpecError(source, where, "a table")
    extra = sorted(set(t) - ASSIGNMENT_KEYS)
    if extra:
        raise SpecError(source, f"{where}.{extra[0]}", "no such key (unknown)")
    name = _typed(source, t, "name", str, None)
    if name is None:
        raise SpecError(source, f"{where}.name", "a value (required)")
    spec = name if not name.endswith(".toml") else str(base / name)
    a = load_assignment(spec)
    changes = {}
    for key in ("epochs", "seed"):
        v = _typed(source, t, key, int, None)
        if v is not None:
            if v < 1 and key == "epochs":
                raise SpecError(source, f"{where}.epochs", "at least 1", v)
            changes[key] = v
    if changes:
        a = a.replace(**changes)
    if "deadline" not in t:
        raise SpecError(source, f"{where}.deadline", "a value (required)")
    deadline = _datetime(source, f"{where}.deadline", t["deadline"])
    cutoff = t.get("hard_cutoff")
    cutoff = None if cutoff is None else _datetime(source, f"{where}.hard_cutoff", cutoff)
    if cutoff is not None and cutoff < deadline:
        raise SpecError(source, f"{where}.hard_cutoff", "a time after the deadline", cutoff)
    penalty = _typed(source, t, "late_penalty_per_day", (int, float), 0.0)
    if not 0 <= penalty <= 1:
        raise SpecError(source, f"{where}.late_penalty_per_day", "a fraction in [0, 1]", penalty)
    limit = _typed(source, t, "max_submissions", int, 5)
    if limit < 1:
        raise SpecError(source, f"{where}.max_submissions", "at least 1", limit)
    window = _typed(source, t, "window", (str, int), "24h")
    window_s = parse_seconds(window, name=f"{source}: {where}.window")
    data = _typed(source, t, "data", str, None)
    return CourseAssignment(
        name=a.name,
        assignment=a,
        deadline=deadline,
        hard_cutoff=cutoff,
        late_penalty_per_day=float(penalty),
        max_submissions=limit,
        window=dt.timedelta(seconds=window_s),
        show_score_before_deadline=_typed(source, t, "show_score_before_deadline", bool, True),
        data=None if data is None else str((base / data).expanduser()),
    )


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with a ``student_id`` column (``name`` and ``email`` optional)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConvgradeError(f"{path}: cannot read the roster ({exc.strerror})") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "student_id" not in rows[0]:
        raise ConvgradeError(f"{path}: line 1: expected a header with a student_id column")
    seen: set[str] = set()
    out = []
    for n, row in enumerate(rows, start=2):
        sid = (row.get("student_id") or "").strip()
        if not sid or sid in seen or sid == "instructor":
            why = "a missing" if not sid else "a duplicate" if sid in seen else "a reserved"
            raise ConvgradeError(f"{path}: line {n}: {why} student_id {sid!r}")
        seen.add(sid)
        out.append(Student(sid, (row.get("name") or "").strip(), (row.get("email") or "").strip()))
    return out


def load_course(path: Path | str) -> Course:
    """Read and check a course file (and its roster)."""
    path = Path(path)
    source = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvgradeError(f"{path}: cannot read the course file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConvgradeError(f"{path}: not valid TOML ({exc})") from None
    extra = sorted(set(doc) - {"title", "roster", "assignment", "upload_max_size"})
    if extra:
        raise SpecError(source, extra[0], "no such key (unknown)")
    items = doc.get("assignment")
    if not isinstance(items, list) or not items:
        raise SpecError(source, "assignment", "one or more [[assignment]] tables")
    base = path.parent
    assignments: dict[str, CourseAssignment] = {}
    for i, t in enumerate(items):
        ca = _assignment(source, base, i, t)
        if ca.name in assignments:
            raise SpecError(source, f"assignment[{i}].name", "a name not used before", ca.name)
        assignments[ca.name] = ca
    roster_name = _typed(source, doc, "roster", str, None)
    roster = read_roster(base / roster_name) if roster_name else []
    cap = parse_size(doc.get("upload_max_size", "1M"), name=f"{source}: upload_max_size")
    return Course(
        title=_typed(source, doc, "title", str, path.stem),
        source=source,
        assignments=assignments,
        roster=roster,
        upload_max_bytes=cap,
    )
