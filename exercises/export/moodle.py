"""Moodle XML (``moodle.xml``): numerical, shortanswer, multichoice and cloze questions.

Each quiz question gets its own category holding one Moodle question per variant; add a
"random question from category" to the Moodle quiz and each student draws one variant. A variant
with several blanks (a matrix: one per cell) is a cloze (multianswer) question with one
``{w:NUMERICAL:=v:tol}`` per cell; Moodle expresses everything the model holds, so this writer
has no fallback.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

from lxml import etree

from .. import parallel
from ..quiz import Question, Quiz
from . import base
from .base import Capabilities, Cell, Item

#: The prompt format the items are written with (:func:`base.prerender`).
PROMPT = "html"

CAPABILITIES = Capabilities(
    file="moodle.xml",
    numeric="`numerical` with `<tolerance>`",
    multiple_choice="`multichoice`",
    matrix="`cloze`, `{w:NUMERICAL:=v:tol}` per cell",
    fallback="tokens become SHORTANSWER_C blanks, choices MULTICHOICE blanks; a cloze's mark is "
    "its weights' sum (warns where that cannot equal the key's points)",
)

#: Characters with a meaning inside an embedded answer, escaped with a backslash.
CLOZE_SPECIAL = '\\}#~/"*'


def cloze_escape(text: str) -> str:
    """Escape an answer for Moodle's embedded-answer (cloze) syntax."""
    return "".join("\\" + ch if ch in CLOZE_SPECIAL else ch for ch in text)


def shortanswer_escape(text: str) -> str:
    """``*`` is a wildcard in Moodle short answers; ``\\*`` is a literal star."""
    return text.replace("*", "\\*")


def category_path(*names: str) -> str:
    """A Moodle category path; a ``/`` inside a name is written ``//``."""
    return "/".join(["$course$", "top"] + [n.replace("/", "//") for n in names])


def cloze_weights(item: Item) -> dict[str, int]:
    """Integer blank weights proportional to the key's points per blank (``part_points`` split
    evenly over each part's blanks): Moodle scores a cloze question as the weighted share of
    right blanks, so every response scores the fraction ``grade check`` gives."""
    return base.weights(item.cells)


def cloze_token(cell: Cell, weight: int) -> str:
    """One embedded answer: ``{2:NUMERICAL:=3.5:0.01}``, ``{1:SHORTANSWER_C:=the}``..."""
    if cell.kind == "numeric":
        return f"{{{weight}:NUMERICAL:={base.number(cell.value)}:{base.number(cell.tolerance)}}}"
    if cell.kind == "text":
        return f"{{{weight}:SHORTANSWER_C:={cloze_escape(cell.text)}}}"
    # Options are shown as HTML: escape <, > and & first (quote=False: no '#' from entities).
    shown = lambda c: cloze_escape(html.escape(c, quote=False))  # noqa: E731
    others = [shown(c) for c in cell.choices or [] if c != cell.value]
    alts = "~".join([f"={shown(cell.value)}", *others])
    return f"{{{weight}:MULTICHOICE:{alts}}}"


def _defuse_braces(markup: str) -> str:
    """Braces in the question text as entities, so Moodle never reads them as a cloze answer."""
    return markup.replace("{", "&#123;").replace("}", "&#125;")


def _text(parent: etree._Element, tag: str, text: str, fmt: str | None = "html") -> None:
    el = etree.SubElement(parent, tag, format=fmt) if fmt else etree.SubElement(parent, tag)
    etree.SubElement(el, "text").text = text


def _question(quiz_el: etree._Element, qtype: str, item: Item, text: str, points: float):
    q = etree.SubElement(quiz_el, "question", type=qtype)
    _text(q, "name", item.name, None)
    _text(q, "questiontext", text)
    _text(q, "generalfeedback", "")
    if qtype != "cloze":
        etree.SubElement(q, "defaultgrade").text = base.number(points)
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = item.ident
    return q


def percent(fraction: float) -> str:
    """A fraction as Moodle's answer percentage, to the 7 decimals of fraction it stores."""
    return base.number(round(fraction * 100, 5))


def _answer(
    q: etree._Element, fraction: int | str, text: str, feedback: str = "", fmt="moodle_auto_format"
):
    a = etree.SubElement(q, "answer", fraction=str(fraction), format=fmt)
    etree.SubElement(a, "text").text = text
    _text(a, "feedback", feedback)
    return a


def write_item(
    quiz_el: etree._Element, item: Item, warn: Callable[[Question, str], None] | None = None
) -> None:
    """One variant as one Moodle question."""
    points = float(item.question.points)
    if item.mode == "choice":
        assert item.choice is not None
        text = base.html_text(item, lambda c: "")
        q = _question(quiz_el, "multichoice", item, text, points)
        for tag, val in (("single", "true"), ("shuffleanswers", "false")):
            etree.SubElement(q, tag).text = val
        etree.SubElement(q, "answernumbering").text = "abc"
        for opt in item.options:
            _answer(
                q,
                100 if opt.correct else percent(base.option_fraction(item.choice, opt.value)),
                base.value_html(item.choice, opt.value),
                base.misconception_title(opt.misconception),
                fmt="html",
            )
        return
    single = item.single
    if single is not None and single.kind == "choice":
        text = base.html_text(item, lambda c: "")
        q = _question(quiz_el, "multichoice", item, text, points)
        for tag, val in (("single", "true"), ("shuffleanswers", "false")):
            etree.SubElement(q, tag).text = val
        etree.SubElement(q, "answernumbering").text = "abc"
        for choice in single.choices or []:
            _answer(q, 100 if choice == single.value else 0, html.escape(choice), fmt="html")
        return
    if single is not None and single.kind in ("numeric", "text"):
        text = base.html_text(item, lambda c: "")
        if single.kind == "numeric":
            q = _question(quiz_el, "numerical", item, text, points)
            a = _answer(q, 100, base.number(single.value))
            etree.SubElement(a, "tolerance").text = base.number(single.tolerance)
            etree.SubElement(q, "unitgradingtype").text = "0"
            etree.SubElement(q, "showunits").text = "3"
        else:
            q = _question(quiz_el, "shortanswer", item, text, points)
            etree.SubElement(q, "usecase").text = "1"
            _answer(q, 100, shortanswer_escape(single.text))
        return
    weights = cloze_weights(item)
    text = base.html_text(item, lambda c: cloze_token(c, weights[c.key]), _defuse_braces)
    _question(quiz_el, "cloze", item, text, points)
    total = sum(weights.values())
    if warn is not None and total != points:
        warn(
            item.question,
            "Moodle sets a cloze question's mark to the sum of its blank weights (no integer "
            "weights in the key's proportions sum to the key's points): the fractions are the "
            "key's; set the quiz slot's mark to the key's points",
        )


#: Variants from which the questions are written on all CPUs (:mod:`exercises.parallel`).
PARALLEL_FROM = 400
_QUIZ_OPEN, _QUIZ_CLOSE = b"<quiz>\n", b"</quiz>\n"

#: A warning as ``(question index, step, variant index, message)``: step 0 while the items are
#: built, 1 while they are written; sorted, the events replay in the order of a serial write.
Event = tuple[int, int, int, str]


def _chunk(quiz: Quiz, entries: Sequence[tuple[int, int | None]]) -> tuple[bytes, list[Event]]:
    """The ``<question>`` elements of ``entries`` (``(question index, None)`` for a category,
    ``(question index, variant index)`` for an item) serialized as inside ``<quiz>``, and the
    warnings they raised."""
    events: list[Event] = []
    root = etree.Element("quiz")
    for qi, group in itertools.groupby(entries, key=lambda e: e[0]):
        q = quiz.questions[qi]
        indices = [i for _, i in group]
        if indices[0] is None:
            cat = etree.SubElement(root, "question", type="category")
            title = f"{q.id} {q.title}".strip()
            _text(cat, "category", category_path(quiz.title or quiz.set_id, title), None)
            _text(cat, "info", f"{len(q.variants)} variant(s) of {q.id}: draw one per student")
            indices = indices[1:]
        items = [
            base.build_item(quiz, q, i, lambda _, m, k=(qi, 0, i): events.append((*k, m)))
            for i in indices
        ]
        for item in items:
            write_item(root, item, lambda _, m, k=(qi, 1, item.index): events.append((*k, m)))
    data = base.xml_bytes(root)
    start = data.index(_QUIZ_OPEN) + len(_QUIZ_OPEN)
    assert data.endswith(_QUIZ_CLOSE)
    return data[start : -len(_QUIZ_CLOSE)], events


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``moodle.xml`` into ``out_dir``; returns the warnings (the multiple-choice
    fallback, and cloze marks that cannot equal the key's points). Large quizzes are written
    in chunks on all CPUs, joined into the same bytes as one serial write."""
    warn = base.Warnings("moodle")
    root = etree.Element("quiz")
    entries: list[tuple[int, int | None]] = []
    for qi, q in enumerate(quiz.questions):
        entries += [(qi, None), *((qi, i) for i in range(len(q.variants)))]
    if not entries:
        base.write_atomic(Path(out_dir) / CAPABILITIES.file, base.xml_bytes(root))
        return warn.messages
    n = None if len(entries) >= PARALLEL_FROM else 1
    chunks = parallel.map_chunks(lambda c: [_chunk(quiz, c)], entries, n)
    head = base.xml_bytes(root).split(b"<quiz/>")[0]  # the XML declaration
    data = b"".join([head, _QUIZ_OPEN, *(body for body, _ in chunks), _QUIZ_CLOSE])
    for qi, _, _, message in sorted((e for _, ev in chunks for e in ev), key=lambda e: e[:3]):
        warn(quiz.questions[qi], message)
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, data)
    return warn.messages


__all__ = ["CAPABILITIES", "cloze_escape", "cloze_token", "write"]
