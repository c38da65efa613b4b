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

from ..quiz import Quiz
from . import base
from .base import Capabilities, Item

CAPABILITIES = Capabilities(
    file="blackboard.txt",
    numeric="`NUM` with tolerance",
    multiple_choice="`MC`",
    matrix="`FIB_PLUS`, one variable per cell",
    fallback="FIB_PLUS matches strings only (as Canvas: roundings within the tolerance); "
    "variants are separate lines (draw 1 from a pool); warns",
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


def line(item: Item, warn: base.Warnings) -> list[str]:
    """The fields of one variant's line."""
    prompt = item.prompt("text").rstrip()
    if item.mode == "choice":
        assert item.choice is not None
        fields = ["MC", field(f"{prompt}\n{item.choice.label}?")]
        for o in item.options:
            fields += [plain(base.value_text(item.choice, o.value)), _mark(o.correct)]
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
    cells = item.cells
    message = base.string_match_warning("Blackboard FIB_PLUS", cells)
    if message:
        warn(item.question, message)
    if any(c.kind == "choice" for c in cells):
        warn(
            item.question,
            "choice blanks inside a FIB_PLUS question become text blanks (choices listed)",
        )
    fields = [
        "FIB_PLUS",
        field(base.text_body(item, lambda c: f"\x00{c.key}\x01", True), blanks=True),
    ]
    for c in cells:
        fields += [c.key, *(plain(t) for t in c.texts), ""]
    return fields


def _mark(correct: bool) -> str:
    return "correct" if correct else "incorrect"


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``blackboard.txt`` into ``out_dir``; returns the warnings."""
    warn = base.Warnings("blackboard")
    lines = []
    for q, its in base.items(quiz, warn):
        if len(its) > 1:
            warn(
                q,
                f"Blackboard uploads cannot group variants: its {len(its)} variants are separate "
                "lines; put them in a pool and draw 1 with a random block",
            )
        for item in its:
            lines.append("\t".join(line(item, warn)))
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, ("\n".join(lines) + "\n").encode("utf-8"))
    return warn.messages
