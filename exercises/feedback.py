"""Render marking results as feedback for students (plain text or a self-contained HTML page)."""

from __future__ import annotations

import re
import textwrap

from .checking import QuestionResult, StudentResult
from .model import Exercise
from .render import environment, macros

FEEDBACK_FORMATS = ("text", "html")


def render_question(
    q: QuestionResult, ex: Exercise | None = None, *, solution: bool = True, show_key: bool = True
) -> str:
    """One marked question in plain text: per-part messages, diagnoses, the worked solution."""
    tpl = environment("text").get_template("feedback/question.txt.j2")
    text = tpl.render(
        q=q, ex=ex, f=macros("text"), solution=solution, show_key=show_key, block=_block
    )
    return _tidy(text)


def _block(text: str, indent: int) -> str:
    """A rendered value as a block: dedented, blank edges removed, indented by ``indent``."""
    body = textwrap.dedent(str(text).strip("\n")).strip("\n")
    return textwrap.indent(body, " " * indent)


_TRAILING = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """No trailing spaces, no runs of blank lines (the matrix macros pad with blank lines).
    Each substitution only where its pattern can match (a check costs far less than a search)."""
    if " \n" in text or "\t\n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip() + "\n"


def render_student(
    result: StudentResult,
    fmt: str = "text",
    exercises: dict[str, Exercise] | None = None,
    *,
    solution: bool = True,
    show_key: bool = True,
) -> str:
    """A student's whole feedback. ``exercises`` (question id -> Exercise) adds worked solutions
    to the questions not fully right; ``show_key`` shows the right answers of wrong parts."""
    if fmt not in FEEDBACK_FORMATS:
        raise ValueError(f"unknown feedback format {fmt!r}")
    exercises = exercises or {}
    if fmt == "text":  # one template with a macro per question: a render each cost more
        tpl = environment("text").get_template("feedback/student.txt.j2")
        text = tpl.render(
            r=result, exercises=exercises, f=macros("text"), solution=solution,
            show_key=show_key, block=_block, tidy=_tidy,
        )  # fmt: skip
        return _tidy(text)
    tpl = environment("html").get_template("feedback/student.html.j2")
    return tpl.render(
        r=result, exercises=exercises, f=macros("html"), solution=solution, show_key=show_key
    )
