"""Roster CSV reading: a student id column (``id``, ``student_id``, ``SIS User ID`` ...) and an
optional name column. Errors name the file and line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConvgradeError

#: Accepted id column headers (normalized: lower case, no spaces/underscores/dashes), by priority.
ID_COLUMNS = ("studentid", "sisuserid", "id", "matriculationnumber", "username", "sisloginid")
#: Accepted name column headers, by priority; else "first name" + "last name" are joined.
NAME_COLUMNS = ("name", "studentname", "fullname", "displayname", "student")
FIRST_COLUMNS = ("firstname", "givenname")
LAST_COLUMNS = ("lastname", "familyname", "surname")
#: Student ids become directory names: letters, digits and ``. _ @ + -``, not starting with a dot.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_@+\-][A-Za-z0-9._@+\-]*$")


#: Optional contact columns, copied into the key for the gradebooks (Moodle matches on email,
#: Canvas on SIS login and section).
CONTACT_COLUMNS = {
    "email": ("email", "emailaddress", "mail"),
    "login": ("login", "sisloginid", "loginid"),
    "section": ("section", "sectionname"),
}


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    login: str = ""
    section: str = ""


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


def _pick(headers: dict[str, str], options: tuple[str, ...]) -> str | None:
    for option in options:
        if option in headers:
            return headers[option]
    return None


def read_roster(path: Path) -> list[Student]:
    """The students of a roster CSV, in file order.

    The delimiter (comma, semicolon or tab) is sniffed; a UTF-8 BOM is ignored. Blank lines are
    skipped; an empty id, an id unfit for a directory name or a duplicate id is an error.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConvgradeError(f"{path}: cannot read the roster ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConvgradeError(f"{path}: the roster is not UTF-8 text") from None
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ConvgradeError(f"{path}: the roster is empty (expected a header line)")
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = [f for f in (reader.fieldnames or []) if f is not None]
    headers: dict[str, str] = {}
    for f in fields:
        headers.setdefault(_norm(f), f)
    id_col = _pick(headers, ID_COLUMNS)
    if id_col is None:
        raise ConvgradeError(
            f"{path}, line 1: no student id column (expected one of id, student_id, "
            f"'SIS User ID', username; found {', '.join(repr(f) for f in fields) or 'none'})"
        )
    name_col = _pick(headers, NAME_COLUMNS)
    contact_cols = {k: _pick(headers, opts) for k, opts in CONTACT_COLUMNS.items()}
    if contact_cols["login"] == id_col:
        contact_cols["login"] = None  # the id column itself
    first_col, last_col = _pick(headers, FIRST_COLUMNS), _pick(headers, LAST_COLUMNS)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        sid = (row.get(id_col) or "").strip()
        if not sid:
            raise ConvgradeError(f"{path}, line {line}: empty student id in column {id_col!r}")
        if not ID_PATTERN.match(sid):
            raise ConvgradeError(
                f"{path}, line {line}: student id {sid!r} must be letters, digits and . _ @ + - "
                "(it names a directory)"
            )
        if sid in seen:
            raise ConvgradeError(
                f"{path}, line {line}: duplicate student id {sid!r} (first on line {seen[sid]})"
            )
        seen[sid] = line
        if name_col is not None:
            name = (row.get(name_col) or "").strip()
        else:
            name = " ".join(
                (row.get(c) or "").strip() for c in (first_col, last_col) if c is not None
            ).strip()
        contact = {k: (row.get(c) or "").strip() for k, c in contact_cols.items() if c}
        students.append(Student(sid, name, **contact))
    if not students:
        raise ConvgradeError(f"{path}: the roster lists no students")
    return students
