"""Problem-set specs: a TOML file with a title, a set id and sections of exercises.

```toml
title = "CNN week 3"
set_id = "cnn-w3"
shuffle = false            # true: each student (or version) gets the questions in its own order
answer_space = "grid"      # room to answer on the handouts: "grid", "lines" or "none"

[[section]]
title = "Convolution"
kind = "conv2d"            # see `grade kinds`
count = 2                  # questions in this section (q1, q2, ...)
difficulty = 2             # 1-3
points = 4                 # per question, split evenly over its parts ...
part_points = { output = 3, shape = 1 }   # ... unless given per part (they must sum to points)
style = "blanks"           # or "multiple_choice"
params = { padding = "same" }              # optional fixed parameters (Keras names)
answer_space = "lines"     # optional, overrides the top-level one for this section
```

Every error names the file and the section (1-based, in file order) and key.
"""

from __future__ import annotations

import hashlib
import numbers
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParamError, SpecError, did_you_mean
from ..quiz import STYLES
from ..registry import generate, kinds

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
TOP_KEYS = {"title", "set_id", "shuffle", "instructions", "answer_space", "section"}
#: Room to answer on handouts (see docs/problem-sets.md).
ANSWER_SPACES = ("grid", "lines", "none")
SECTION_KEYS = {
    "title",
    "kind",
    "count",
    "difficulty",
    "points",
    "part_points",
    "style",
    "params",
    "answer_space",
}


@dataclass(frozen=True)
class Section:
    title: str
    kind: str
    count: int = 1
    difficulty: int = 2
    points: float = 1
    style: str = "blanks"
    params: dict[str, Any] = field(default_factory=dict)
    part_points: dict[str, float] | None = None
    answer_space: str = "grid"


@dataclass(frozen=True)
class QuestionSpec:
    """One question slot: its id (``q1`` ...), its section and its title."""

    id: str
    title: str
    section: Section


@dataclass(frozen=True)
class Spec:
    title: str
    set_id: str
    sections: list[Section]
    shuffle: bool = False
    instructions: str = ""
    sha256: str = ""
    path: str = ""

    @property
    def questions(self) -> list[QuestionSpec]:
        """The question slots in spec order, numbered q1, q2, ... across sections."""
        out: list[QuestionSpec] = []
        for sec in self.sections:
            for i in range(sec.count):
                title = sec.title if sec.count == 1 else f"{sec.title} ({i + 1})"
                out.append(QuestionSpec(f"q{len(out) + 1}", title, sec))
        return out


def load_spec(path: Path) -> Spec:
    """Read and validate a spec file; a :class:`SpecError` naming file, line or section if bad."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the spec ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{path}: the spec is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            reason = msg[: m.start()] + msg[m.end() :]
            raise SpecError(
                f"{path}, line {m.group(1)}, column {m.group(2)}: invalid TOML: {reason}"
            ) from None
        raise SpecError(f"{path}: invalid TOML: {msg}") from None
    return parse_spec(data, str(path), hashlib.sha256(raw).hexdigest())


def parse_spec(data: dict[str, Any], where: str = "spec", sha256: str = "") -> Spec:
    """Validate a parsed spec dict (see the module docstring for its shape)."""
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise SpecError(
            f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], TOP_KEYS)} "
            f"(expected {', '.join(sorted(TOP_KEYS))})"
        )
    title = _string(where, "title", data.get("title"), required=True)
    set_id = _string(where, "set_id", data.get("set_id"), required=True)
    if not SET_ID.match(set_id):
        raise SpecError(
            f"{where}: key 'set_id': expected letters, digits and . _ -, got {set_id!r}"
        )
    shuffle = data.get("shuffle", False)
    if not isinstance(shuffle, bool):
        raise SpecError(f"{where}: key 'shuffle': expected true or false, got {shuffle!r}")
    instructions = _string(where, "instructions", data.get("instructions", ""))
    space = _answer_space(where, data.get("answer_space", "grid"))
    sections_raw = data.get("section")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise SpecError(f"{where}: expected at least one [[section]] table")
    sections = [_section(where, i + 1, s, space) for i, s in enumerate(sections_raw)]
    return Spec(title, set_id, sections, shuffle, instructions, sha256, where)


def _string(where: str, key: str, value: Any, required: bool = False) -> str:
    if value is None and required:
        raise SpecError(f"{where}: missing key {key!r}")
    if not isinstance(value, str) or (required and not value.strip()):
        raise SpecError(f"{where}: key {key!r}: expected a non-empty string, got {value!r}")
    return value.strip()


def _answer_space(at: str, value: Any) -> str:
    if value not in ANSWER_SPACES:
        raise SpecError(
            f"{at}: key 'answer_space': expected one of {', '.join(map(repr, ANSWER_SPACES))}, "
            f"got {value!r}"
        )
    return value


def _section(where: str, index: int, s: Any, space: str = "grid") -> Section:
    at = f"{where}: section {index}"
    if not isinstance(s, dict):
        raise SpecError(f"{at}: expected a table")
    unknown = sorted(set(s) - SECTION_KEYS)
    if unknown:
        raise SpecError(
            f"{at}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], SECTION_KEYS)} "
            f"(expected {', '.join(sorted(SECTION_KEYS))})"
        )
    if "kind" not in s:
        raise SpecError(f"{at}: missing key 'kind' (one of {', '.join(kinds())})")
    kind = s["kind"]
    if kind not in kinds():
        raise SpecError(
            f"{at}: key 'kind': unknown kind {kind!r}{did_you_mean(kind, kinds())} "
            f"(one of {', '.join(kinds())})"
        )
    at = f"{at} ({s.get('title', kind)})"
    title = _string(at, "title", s.get("title", kind))
    count = _int(at, "count", s.get("count", 1), 1, 1000)
    difficulty = _int(at, "difficulty", s.get("difficulty", 2), 1, 3)
    points = s.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, numbers.Real) or points <= 0:
        raise SpecError(f"{at}: key 'points': expected a positive number, got {points!r}")
    style = s.get("style", "blanks")
    if style not in STYLES:
        raise SpecError(f"{at}: key 'style': expected one of {', '.join(STYLES)}, got {style!r}")
    params = s.get("params", {})
    if not isinstance(params, dict):
        raise SpecError(f"{at}: key 'params': expected a table of Keras parameters")
    try:  # a trial draw checks the fixed parameters now, before anything is written
        trial = generate(kind, seed=0, difficulty=difficulty, params=params or None)
    except ParamError as exc:
        raise SpecError(f"{at}: key 'params': {exc}") from None
    part_points = s.get("part_points")
    if part_points is not None:
        part_points = _part_points(at, part_points, points, [p.id for p in trial.parts])
    space = _answer_space(at, s.get("answer_space", space))
    return Section(title, kind, count, difficulty, points, style, dict(params), part_points, space)


def _int(at: str, key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError(f"{at}: key {key!r}: expected an integer from {lo} to {hi}, got {value!r}")
    return value


def _part_points(at: str, pp: Any, points: float, part_ids: list[str]) -> dict[str, float]:
    if not isinstance(pp, dict):
        raise SpecError(f"{at}: key 'part_points': expected a table part id -> points")
    for pid, v in pp.items():
        if pid not in part_ids:
            raise SpecError(
                f"{at}: key 'part_points': unknown part {pid!r} (parts: {', '.join(part_ids)})"
            )
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0:
            raise SpecError(f"{at}: key 'part_points.{pid}': expected a number >= 0, got {v!r}")
    missing = [p for p in part_ids if p not in pp]
    if missing:
        raise SpecError(f"{at}: key 'part_points': missing part {missing[0]!r}")
    if abs(sum(pp.values()) - points) > 1e-9:
        raise SpecError(
            f"{at}: key 'part_points': parts sum to {sum(pp.values())}, not points = {points}"
        )
    return {p: pp[p] for p in part_ids}
