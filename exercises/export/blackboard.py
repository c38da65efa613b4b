"""Blackboard Learn question upload (``blackboard.txt``): tab-separated, one question a line.

``NUM`` (text, answer, tolerance), ``MC`` (text, then option and ``correct``/``incorrect``
pairs) and ``FIB_PLUS`` (text with ``[name]`` blanks, then each name, its answer and an empty
field). No header, no blank lines. The file cannot group questions: every variant is its own
line, to be uploaded into a pool from which a random block draws one per question (warned once
per question with variants). FIB_PLUS matches strings, so a blank with a tolerance accepts the
key's roundings within it instead (warned).
Question text is the plain-text prompt, HTML-escaped, with ``<br />`` for line breaks (and
``&#91;`` for a square bracket that is not a blank).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .. import parallel
from ..quiz import Quiz
from . import base
from .base import Capabilities, Cell, Item

#: The prompt format the items are written with (:func:`base.prerender`).
PROMPT = "text"

CAPABILITIES = Capabilities(
    file="blackboard.txt",
    numeric="`NUM` with tolerance",
    multiple_choice="`MC`",
    matrix="`FIB_PLUS`, one variable per cell",
    fallback="FIB_PLUS matches strings only (as Canvas: roundings within the tolerance) and "
    "weighs blanks evenly; more than 10 blanks become '(part k of n)' questions; variants are "
    "separate lines (draw 1 from a pool); no points in the file; warns",
    blank_tolerance=False,
)


def field(text: str, blanks: bool = False) -> str:
    """One TSV field of question text, as HTML: no tabs, ``<br />`` for line breaks, and with
    ``blanks`` square brackets as entities except around the ``[name]`` blanks."""
    lines = [html.escape(line.replace("\t", " "), quote=False) for line in text.splitlines()]
    out = "<br />".join(line for line in lines if line.strip())
    if blanks:
        out = out.replace("[", "&#91;").replace("]", "&#93;")
        out = re.sub(r"\x00([A-Za-z0-9_]+)\x01", r"[\1]", out)
    return out


def plain(text: str) -> str:
    """An answer field: the text on one line, tabs and line breaks as spaces."""
    return " ".join(text.replace("\t", " ").split())


#: Blackboard's upload format allows at most this many variables in a FIB_PLUS question.
MAX_BLANKS = 10


def chunks(cells: list[Cell], size: int = MAX_BLANKS) -> list[list[Cell]]:
    """The blanks in consecutive, evenly sized groups of at most ``size``."""
    n = -(-len(cells) // size) if cells else 1
    return [list(c) for c in parallel.split(cells, n)]


def lines(item: Item, warn: base.Warnings) -> list[list[str]]:
    """The fields of one variant's lines: one, or several for a long FIB_PLUS question."""
    if item.mode == "choice" or (item.single is not None and item.single.kind != "text"):
        return [line(item, warn)]
    return fib_plus(item, warn)


def line(item: Item, warn: base.Warnings) -> list[str]:
    """The fields of a one-line (``MC`` or ``NUM``) variant."""
    prompt = item.prompt("text").rstrip()
    if item.mode == "choice":
        assert item.choice is not None
        fields = ["MC", field(f"{prompt}\n{item.choice.label}?")]
        for o in item.options:
            fields += [plain(base.value_text(item.choice, o.value)), _mark(o.correct)]
            if not o.correct and base.option_fraction(item.choice, o.value) > 0:
                warn(
                    item.question,
                    "Blackboard MC uploads mark options correct or incorrect only; the key gives "
                    "a distractor that shares cells with the key partial credit",
                )
        return fields
    single = item.single
    if single is not None and single.kind == "numeric":
        fields = ["NUM", field(f"{prompt}\n{single.label}:"), base.number(single.value)]
        if single.tolerance:
            fields.append(base.number(single.tolerance))
        return fields
    if single is not None and single.kind == "choice":
        fields = ["MC", field(f"{prompt}\n{single.label}:")]
        for ch in single.choices or []:
            fields += [plain(ch), _mark(ch == single.value)]
        return fields
    raise AssertionError("a multi-blank variant is written by fib_plus")


def fib_plus(item: Item, warn: base.Warnings) -> list[list[str]]:
    """A multi-blank variant as FIB_PLUS lines of at most :data:`MAX_BLANKS` blanks each: a
    longer one becomes "(part k of n)" questions, each text showing the other blanks as ``__``
    and saying its share of the key's points."""
    cells = item.cells
    message = base.string_match_warning("Blackboard FIB_PLUS", cells)
    if message:
        warn(item.question, message)
    if any(c.kind == "choice" for c in cells):
        warn(
            item.question,
            "choice blanks inside a FIB_PLUS question become text blanks (choices listed)",
        )
    groups = chunks(cells)
    if len(groups) > 1:
        warn(
            item.question,
            f"Blackboard FIB_PLUS allows at most {MAX_BLANKS} blanks: long variants are split "
            "into questions '(part k of n)', each saying its share of the key's points",
        )
    if base.uneven(item):
        warn(
            item.question,
            "Blackboard FIB_PLUS has no per-blank weights (it splits a question's points evenly "
            "over its blanks); the key weighs them by part, so a partly right response scores "
            "differently",
        )
    out = []
    for k, group in enumerate(groups):
        keys = {c.key for c in group}
        text = base.text_body(item, lambda c, keys=keys: _blank(c, keys), True)
        if len(groups) > 1:
            share = base.number(round(float(sum(c.points for c in group)), 2))
            text = (
                f"(part {k + 1} of {len(groups)}: {share} of {base.number(item.question.points)} "
                f"points; the blanks shown __ are asked in the other parts)\n{text}"
            )
        fields = ["FIB_PLUS", field(text, blanks=True)]
        for c in group:
            fields += [c.key, *(plain(t) for t in c.texts), ""]
        out.append(fields)
    return out


def _blank(cell: Cell, asked: set[str]) -> str:
    return f"\x00{cell.key}\x01" if cell.key in asked else "__"


def _mark(correct: bool) -> str:
    return "correct" if correct else "incorrect"


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``blackboard.txt`` into ``out_dir``; returns the warnings."""
    warn = base.Warnings("blackboard")
    rows = []
    for q, its in base.items(quiz, warn):
        if len(its) > 1:
            warn(
                q,
                f"Blackboard uploads cannot group variants: its {len(its)} variants are separate "
                "lines; put them in a pool and draw 1 with a random block",
            )
        warn(
            q,
            "Blackboard uploads carry no points: set each question's (or each pool's random "
            "block's) points to the question's points (key.json)",
        )
        for item in its:
            rows += ["\t".join(fields) for fields in lines(item, warn)]
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, ("\n".join(rows) + "\n").encode("utf-8"))
    return warn.messages
