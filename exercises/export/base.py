"""What every LMS writer shares: blanks, items, capabilities, numbers, ids, deterministic files.

A quiz question has variants; each variant becomes one LMS *item*. An item is asked either as
*blanks* (every part, one blank per scalar: a matrix gets one blank per cell) or as *multiple
choice* (one part, :func:`exercises.choices.choice_part`, with the misconception answers as
distractors). Each writer declares its :class:`Capabilities` and applies a documented fallback,
with a warning naming the question, where its format cannot express something.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from .. import choices, parallel
from ..checking import compare
from ..misconceptions import info as misconception_info
from ..model import Exercise, Part
from ..quiz import Question, Quiz
from ..render import macros, render_prompt


@dataclass(frozen=True)
class Capabilities:
    """What a target expresses natively, and what it does otherwise (the table in docs/lms.md)."""

    file: str
    numeric: str  # how a numeric blank with a tolerance is written
    multiple_choice: str
    matrix: str  # how several blanks (one per matrix cell) are written, or "no"
    fallback: str  # what the writer does where the format falls short
    multi_blank: bool = True
    blank_tolerance: bool = True  # tolerance inside a multi-blank question


# --------------------------------------------------------------------------------------------
# Numbers


def decimal(v: Any) -> Decimal:
    """The exact decimal a value stands for: ints exactly, floats by their shortest repr."""
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, int):
        return Decimal(v)
    return Decimal(repr(float(v)))


def number(v: Any) -> str:
    """A number as plain decimal text, never in exponent notation: ``3``, ``-2.5``, ``0.125``."""
    if type(v) is int:
        return str(v)
    if type(v) is float and v.is_integer():
        return str(int(v))
    d = decimal(v)
    if d == d.to_integral_value():
        return str(int(d))
    text = format(d.normalize(), "f")
    return text


def is_whole(v: Any) -> bool:
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


# --------------------------------------------------------------------------------------------
# Blanks


@dataclass
class Cell:
    """One blank: a scalar of a part (a matrix cell, a vector entry, a shape dimension...)."""

    key: str  # blank name: letters, digits and underscores ("output_1_2")
    label: str  # for humans ("Output feature map, row 2, column 3")
    part: Part
    kind: str  # "numeric", "text" or "choice"
    value: Any  # number for numeric, str for text and choice
    tolerance: float = 0.0
    choices: list[str] | None = None
    points: Fraction = Fraction(0)  # this blank's exact share of the question's points

    @property
    def integer(self) -> bool:
        """A whole number graded exactly (no tolerance needed)."""
        return self.kind == "numeric" and is_whole(self.value) and not self.tolerance

    @property
    def text(self) -> str:
        """The answer as the student types it."""
        return number(self.value) if self.kind == "numeric" else str(self.value)

    @property
    def texts(self) -> list[str]:
        """Every text a string-matching target should accept: the key, and for a numeric blank
        with a tolerance each rounding of the key to 0-4 decimals that lies within it
        (``1.33``, ``1.333``, ``1.3333333333`` for 4/3 ± 0.01; ``5.50`` for 5.5 ± 0.01)."""
        out = [self.text]
        if self.kind != "numeric" or not self.tolerance:
            return out
        key, tol = decimal(self.value), decimal(self.tolerance)
        for places in range(5):
            rounded = key.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
            text = format(rounded.copy_abs() if rounded == 0 else rounded, "f")
            if abs(rounded - key) <= tol and text not in out:
                out.append(text)
        return out


#: One part laid out for the question body: ("scalar", cell) | ("row", [cell | str]) |
#: ("grid", [[cell]]) | ("grids", [(caption, [[cell]])]) | ("rows", [[cell | str]]).
Layout = tuple[str, Any]


#: How a student types the empty string (TextVectorization's padding token) in a blank.
EMPTY_TOKEN = "''"
EMPTY_HINT = f" (type {EMPTY_TOKEN} for an empty string)"


def token_text(token: str) -> str:
    """A token as typed in a blank: the empty string as ``''`` (an empty blank is unanswered)."""
    return EMPTY_TOKEN if token == "" else str(token)


def part_label(part: Part, list_choices: bool = False) -> str:
    """The label shown before a part's blanks: token parts say how to type an empty string;
    with ``list_choices`` (targets that turn a choice into a text blank) choices are listed."""
    if part.type == "tokens":
        return part.label + EMPTY_HINT
    if part.type == "choice" and list_choices and part.choices:
        return f"{part.label} (one of: {', '.join(map(str, part.choices))})"
    return part.label


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", str(text))


def part_cells(part: Part) -> tuple[list[Cell], Layout]:
    """The blanks of one part and how they are laid out. ``None`` entries (the batch axis of a
    shape) are given, not asked."""
    pid, label, t, v = _safe(part.id), part.label, part.type, part.answer
    tol = float(part.tolerance or 0.0)

    def num(key: str, lab: str, x: Any) -> Cell:
        return Cell(key, lab, part, "numeric", x, tol)

    if t in ("integer", "number"):
        c = num(pid, label, v)
        return [c], ("scalar", c)
    if t == "choice":
        c = Cell(pid, label, part, "choice", str(v), choices=[str(x) for x in part.choices or []])
        return [c], ("scalar", c)
    if t in ("vector", "integers"):
        cs = [num(f"{pid}_{i}", f"{label}, entry {i + 1}", x) for i, x in enumerate(v)]
        return cs, ("row", cs)
    if t == "tokens":
        cs = [
            Cell(f"{pid}_{i}", f"{label}, entry {i + 1}{EMPTY_HINT}", part, "text", token_text(x))
            for i, x in enumerate(v)
        ]
        return cs, ("row", cs)
    if t == "shape":
        row: list[Cell | str] = []
        for i, x in enumerate(v):
            row.append("None" if x is None else num(f"{pid}_{i}", f"{label}, axis {i + 1}", x))
        return [c for c in row if isinstance(c, Cell)], ("row", row)
    if t == "shapes":
        rows: list[list[Cell | str]] = []
        for i, shape in enumerate(v):
            rows.append(
                [
                    "None"
                    if x is None
                    else num(f"{pid}_{i}_{j}", f"{label}, layer {i + 1}, axis {j + 1}", x)
                    for j, x in enumerate(shape)
                ]
            )
        return [c for r in rows for c in r if isinstance(c, Cell)], ("rows", rows)
    if t == "matrix":
        grid = [
            [
                num(f"{pid}_{i}_{j}", f"{label}, row {i + 1}, column {j + 1}", x)
                for j, x in enumerate(r)
            ]
            for i, r in enumerate(v)
        ]
        return [c for r in grid for c in r], ("grid", grid)
    if t == "tensor":
        grids = []
        for ch in range(len(v[0][0])):
            grids.append(
                (
                    f"channel {ch}",
                    [
                        [
                            num(
                                f"{pid}_{i}_{j}_{ch}",
                                f"{label}, row {i + 1}, column {j + 1}, channel {ch}",
                                cell[ch],
                            )
                            for j, cell in enumerate(r)
                        ]
                        for i, r in enumerate(v)
                    ],
                )
            )
        cells = [c for _, g in grids for r in g for c in r]
        return cells, ("grids", grids)
    raise ValueError(f"unsupported answer type {t!r}")


# --------------------------------------------------------------------------------------------
# Items


@dataclass
class Item:
    """One LMS question: one variant of a quiz question, asked as blanks or as multiple choice."""

    quiz: Quiz
    question: Question
    index: int  # variant index, 0-based
    exercise: Exercise
    mode: str  # "blanks" or "choice"
    parts: list[tuple[Part, list[Cell], Layout]] = field(default_factory=list)
    choice: Part | None = None
    options: list[choices.Option] = field(default_factory=list)

    @property
    def cells(self) -> list[Cell]:
        return [c for _, cs, _ in self.parts for c in cs]

    @property
    def ident(self) -> str:
        return ident(self.quiz.set_id, self.question.id, str(self.index))

    @property
    def name(self) -> str:
        """``q1 v2 · Convolution`` (the variant number only when there are several)."""
        v = f" v{self.index + 1}" if len(self.question.variants) > 1 else ""
        title = f" · {self.question.title}" if self.question.title else ""
        return f"{self.question.id}{v}{title}"

    @property
    def single(self) -> Cell | None:
        """The only blank, when the item has exactly one."""
        cs = self.cells
        return cs[0] if self.mode == "blanks" and len(cs) == 1 else None

    def prompt(self, fmt: str) -> str:
        return prompt(self.exercise, fmt)


#: (id of the exercise, format) -> (the exercise, its prompt). Keyed by identity, not by a
#: ``repr`` of the whole exercise (which cost more than a third of the rendering); the exercise
#: is kept in the entry, so its id cannot be reused while the entry lives.
_PROMPTS: dict[tuple[int, str], tuple[Exercise, str]] = {}
_PROMPT_CACHE_SIZE = 50_000


def prompt(ex: Exercise, fmt: str) -> str:
    """The exercise's prompt in ``fmt``, rendered once per exercise and format even when several
    writers ask for it (exercises are plain data that nothing writes back into)."""
    key = (id(ex), fmt)
    hit = _PROMPTS.get(key)
    if hit is not None and hit[0] is ex:
        return hit[1]
    if len(_PROMPTS) >= _PROMPT_CACHE_SIZE:
        _PROMPTS.clear()
    text = render_prompt(ex, fmt)
    _PROMPTS[key] = (ex, text)
    return text


#: Prompts from which :func:`prerender` splits the rendering over the CPUs.
PRERENDER_FROM = 400


def prerender(exercises: Iterable[Exercise], formats: Iterable[str]) -> None:
    """Render the prompts of ``exercises`` in each of ``formats`` into the cache, split over the
    CPUs (:mod:`convgrade.exercises.parallel`) when there are many: writers forked afterwards
    then find every prompt rendered."""
    todo = [(ex, fmt) for fmt in formats for ex in exercises]
    if len(todo) < PRERENDER_FROM or parallel.jobs() == 1:
        return
    todo = [(ex, fmt) for ex, fmt in todo if _PROMPTS.get((id(ex), fmt), (None,))[0] is not ex]
    texts = parallel.map_chunks(lambda chunk: [render_prompt(ex, f) for ex, f in chunk], todo)
    if len(_PROMPTS) + len(todo) >= _PROMPT_CACHE_SIZE:
        _PROMPTS.clear()
    for (ex, fmt), text in zip(todo, texts):
        _PROMPTS[(id(ex), fmt)] = (ex, text)


def build_item(quiz: Quiz, q: Question, index: int, warn: Callable[[Question, str], None]) -> Item:
    """The item for variant ``index`` of ``q``, with the multiple-choice fallback applied."""
    ex = q.variants[index]
    if q.style == "multiple_choice":
        pid = choices.choice_part(ex)
        if pid is not None:
            part = ex.part(pid)
            opts = choices.options(ex, pid, option_seed(ex))
            if len(opts) >= 2:
                return Item(quiz, q, index, ex, "choice", choice=part, options=opts)
        warn(q, "multiple choice asked, but no part has misconception answers: asked as blanks")
    item = Item(quiz, q, index, ex, "blanks")
    shares = part_shares(q, ex)
    for part in ex.parts:
        cs, layout = part_cells(part)
        each = shares[part.id] / len(cs) if cs else Fraction(0)
        for c in cs:
            c.points = each
        item.parts.append((part, cs, layout))
    return item


def fraction(v: Any) -> Fraction:
    """The exact fraction a number stands for (floats by their shortest repr: 0.1 is 1/10)."""
    return Fraction(decimal(v))


def part_shares(q: Question, ex: Exercise) -> dict[str, Fraction]:
    """Exact points per part, as the key gives them (:func:`exercises.checking.part_points`):
    the question's ``part_points`` where given, the rest of its points evenly over the others."""
    ids = tuple(p.id for p in ex.parts)
    pp = tuple(sorted((q.part_points or {}).items()))
    return dict(_shares(float(q.points), pp, ids))


@functools.lru_cache(maxsize=1024)
def _shares(
    points: float, part_points: tuple[tuple[str, float], ...], ids: tuple[str, ...]
) -> tuple[tuple[str, Fraction], ...]:
    split = {pid: fraction(v) for pid, v in part_points if pid in ids}
    rest = [pid for pid in ids if pid not in split]
    left = max(fraction(points) - sum(split.values(), Fraction(0)), Fraction(0))
    for pid in rest:
        split[pid] = left / len(rest)
    return tuple((pid, split[pid]) for pid in ids)


def weights(cells: list[Cell]) -> dict[str, int]:
    """The smallest integer blank weights proportional to the blanks' exact points, found by
    scaling with the common denominator: they sum to the question's points whenever every
    blank's points are whole (a Moodle cloze question's mark is the sum of its weights)."""
    distinct = {id(c.points): c.points for c in cells}  # a part's blanks share one Fraction
    scale = math.lcm(*(p.denominator for p in distinct.values())) if distinct else 1
    weight = {i: int(p * scale) for i, p in distinct.items()}
    return {c.key: weight[id(c.points)] for c in cells}


def uneven(item: Item) -> bool:
    """Whether the item's blanks weigh differently (a target that splits a question's points
    evenly over its blanks cannot give the key's marks)."""
    return len({c.points for c in item.cells}) > 1


def weight_note(item: Item) -> str:
    """The key's per-blank points against an even split, worded once per question, e.g.
    ``the key gives length 1/1 blank and output 2/6 blanks; an even split gives 3/7 each``."""
    parts = ", ".join(
        f"{part.id} {number(float(sum((c.points for c in cs), Fraction(0))))} point(s) over "
        f"{len(cs)} blank(s)"
        for part, cs, _ in item.parts
    )
    return f"the key gives {parts}"


def option_fraction(part: Part, value: Any) -> float:
    """The share of a part's points that an option earns, as the key marks its value
    (``grade check`` scores a multiple-choice answer cell by cell like any other)."""
    return compare(part.type, value, part.answer, float(part.tolerance or 0.0)).score


def string_match_warning(what: str, cells: list[Cell]) -> str | None:
    """The warning for a target that matches blanks as strings (Canvas, Blackboard FIB_PLUS),
    or None when every numeric blank is an exact integer. Worded the same for every variant, so
    a question warns once."""
    notes = []
    if any(c.kind == "numeric" and c.tolerance for c in cells):
        notes.append(
            "blanks with a tolerance accept the key and its roundings to 0-4 decimals that lie "
            "within the tolerance (e.g. 1.33 and 1.333 for 4/3 ± 0.01), not a numeric range"
        )
    if any(c.kind == "numeric" and not c.tolerance and not c.integer for c in cells):
        notes.append("non-integer blanks without a tolerance expect the key's exact text")
    return f"{what} matches strings only: " + "; ".join(notes) if notes else None


def option_seed(ex: Exercise) -> int:
    """The seed that orders an exercise's options (``grade build --check`` uses the same)."""
    return int(ex.seed or 0)


class Warnings:
    """Collects warnings grouped by message: one line per message, prefixed with the target and
    naming every question it concerns, in order (``gift: question q1 (A), q2 (B): ...``)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._groups: dict[str, list[str]] = {}

    def __call__(self, q: Question, message: str) -> None:
        name = f"{q.id} ({q.title})" if q.title else q.id
        names = self._groups.setdefault(message, [])
        if name not in names:
            names.append(name)

    @property
    def messages(self) -> list[str]:
        return [
            f"{self.target}: question {', '.join(names)}: {message}"
            for message, names in self._groups.items()
        ]


def items(quiz: Quiz, warn: Warnings) -> Iterator[tuple[Question, list[Item]]]:
    """Every question with its items, one per variant."""
    for q in quiz.questions:
        yield q, [build_item(quiz, q, i, warn) for i in range(len(q.variants))]


# --------------------------------------------------------------------------------------------
# Text and HTML rendering of bodies and option values


def value_text(part: Part, v: Any) -> str:
    """An answer value on one line: ``[[1, 2], [3, 4]]``, ``(None, 4, 4)``, ``['the', 'cat']``."""

    def fmt(x: Any) -> str:
        if x is None:
            return "None"
        if isinstance(x, list | tuple):
            return "[" + ", ".join(fmt(y) for y in x) + "]"
        if isinstance(x, str):
            return repr(x)
        return number(x)

    if part.type in ("integer", "number"):
        return number(v)
    if part.type == "choice":
        return str(v)

    def tup(shape: Any) -> str:  # a Python tuple: (16,) for one axis
        return "(" + ", ".join(fmt(x) for x in shape) + ("," if len(shape) == 1 else "") + ")"

    if part.type == "shape":
        return tup(v)
    if part.type == "shapes":
        return ", ".join(tup(s) for s in v)
    return fmt(v)


def value_html(part: Part, v: Any) -> str:
    """An answer value as HTML (matrices as tables), through the HTML macro library."""
    if part.type in ("integer", "number", "choice"):
        return html.escape(value_text(part, v))
    return str(macros("html").value(part.type, v)).strip()


def misconception_title(mid: str | None) -> str:
    return misconception_info(mid).title if mid else ""


def text_body(item: Item, blank: Callable[[Cell], str], list_choices: bool = False) -> str:
    """The plain-text question: prompt, then each part with ``blank(cell)`` where it is asked."""
    lines = [item.prompt("text").rstrip()]
    if item.mode == "choice":
        assert item.choice is not None
        lines.append(f"{item.choice.label}?")
        return "\n".join(lines)
    for part, _, (shape, data) in item.parts:
        if shape == "scalar":
            lines.append(f"{part_label(part, list_choices)}: {blank(data)}")
        elif shape == "row":
            lines.append(
                f"{part_label(part, list_choices)}: " + " ".join(_cell_text(c, blank) for c in data)
            )
        elif shape in ("rows", "grid"):
            lines.append(f"{part_label(part, list_choices)}:")
            lines += ["  " + " ".join(_cell_text(c, blank) for c in r) for r in data]
        elif shape == "grids":
            lines.append(f"{part_label(part, list_choices)}:")
            for caption, grid in data:
                lines.append(f"  {caption}:")
                lines += ["    " + " ".join(_cell_text(c, blank) for c in r) for r in grid]
    return "\n".join(lines)


def _cell_text(c: Cell | str, blank: Callable[[Cell], str]) -> str:
    return c if isinstance(c, str) else blank(c)


def squeeze(text: str) -> str:
    """Text without blank lines or trailing spaces (GIFT ends a question at a blank line)."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


BLANK_TAG = "blank"  # placeholder element for a blank in an HTML body; writers replace it


def html_body(item: Item, list_choices: bool = False) -> etree._Element:
    """The question as an HTML ``<div>``: the prompt, then each part with ``<blank ref="key"/>``
    placeholders (tables for matrices). Multiple-choice items end with the part's label."""
    root = lxml_html.fragment_fromstring(str(item.prompt("html")), create_parent="div")
    if item.mode == "choice":
        assert item.choice is not None
        p = etree.SubElement(root, "p")
        p.text = f"{item.choice.label}?"
        return root
    for part, _, (shape, data) in item.parts:
        p = etree.SubElement(root, "p")
        p.text = f"{part_label(part, list_choices)}: "
        if shape == "scalar":
            _blank(p, data)
        elif shape == "row":
            for c in data:
                _append(p, c)
        elif shape in ("rows", "grid"):
            root.append(_table(data))
        elif shape == "grids":
            for caption, grid in data:
                d = etree.SubElement(root, "div")
                cap = etree.SubElement(d, "p")
                cap.text = caption
                d.append(_table(grid))
    return root


def html_text(
    item: Item,
    blank: Callable[[Cell], str],
    escape: Callable[[str], str] = lambda s: s,
    list_choices: bool = False,
) -> str:
    """The markup of :func:`html_body` serialized with each blank replaced by ``blank(cell)``
    (inserted verbatim), built as a string: no lxml tree and no re-parse of the prompt.
    ``escape`` is applied to all markup around the blanks (to defuse characters the target
    would parse)."""

    def text(s: str) -> str:
        return escape(html.escape(s, quote=False))

    def table(rows: list[list[Cell | str]]) -> str:
        cells = (
            "<tr>"
            + "".join(f"<td>{blank(c) if isinstance(c, Cell) else text(c)}</td>" for c in r)
            + "</tr>"
            for r in rows
        )
        return escape('<table class="matrix">') + "".join(cells) + "</table>"

    out = [escape("<div>" + str(item.prompt("html")))]
    if item.mode == "choice":
        assert item.choice is not None
        out.append(f"<p>{text(item.choice.label)}?</p></div>")
        return "".join(out)
    for part, _, (shape, data) in item.parts:
        label = text(f"{part_label(part, list_choices)}: ")
        if shape == "scalar":
            out.append(f"<p>{label}{blank(data)}</p>")
        elif shape == "row":
            row = "".join(blank(c) + " " if isinstance(c, Cell) else text(c + " ") for c in data)
            out.append(f"<p>{label}{row}</p>")
        elif shape in ("rows", "grid"):
            out.append(f"<p>{label}</p>{table(data)}")
        elif shape == "grids":
            out.append(f"<p>{label}</p>")
            out += [f"<div><p>{text(cap)}</p>{table(grid)}</div>" for cap, grid in data]
    out.append("</div>")
    return "".join(out)


def _blank(parent: etree._Element, cell: Cell) -> None:
    etree.SubElement(parent, BLANK_TAG, ref=cell.key)


def _append(parent: etree._Element, c: Cell | str) -> None:
    if isinstance(c, Cell):
        _blank(parent, c)
        last = parent[-1]
        last.tail = " "
    else:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + c + " "
        else:
            parent.text = (parent.text or "") + c + " "


def _table(rows: list[list[Cell | str]]) -> etree._Element:
    table = etree.Element("table", {"class": "matrix"})
    for r in rows:
        tr = etree.SubElement(table, "tr")
        for c in r:
            td = etree.SubElement(tr, "td")
            if isinstance(c, Cell):
                _blank(td, c)
            else:
                td.text = c
    return table


# --------------------------------------------------------------------------------------------
# Identifiers and files


def ident(*parts: str, prefix: str = "i") -> str:
    """A stable identifier from names (never random): ``i`` + 20 hex digits of SHA-256."""
    return prefix + hashlib.sha256("/".join(parts).encode()).hexdigest()[:20]


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip with sorted entries, fixed dates, permissions and compression: same input, same
    bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name], compresslevel=6)
    return buf.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file: never a half-written output."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def cp(tag: str) -> str:
    """A tag in the IMS Content Packaging namespace."""
    return f"{{{CP_NS}}}{tag}"


def cp_manifest(
    identifier: str, schema: str, schemaversion: str
) -> tuple[etree._Element, etree._Element]:
    """An ``imsmanifest.xml`` skeleton (IMS CP 1.1): the root and its empty ``resources``."""
    root = etree.Element(cp("manifest"), nsmap={None: CP_NS, "xsi": XSI}, identifier=identifier)
    md = etree.SubElement(root, cp("metadata"))
    etree.SubElement(md, cp("schema")).text = schema
    etree.SubElement(md, cp("schemaversion")).text = schemaversion
    etree.SubElement(root, cp("organizations"))
    return root, etree.SubElement(root, cp("resources"))
