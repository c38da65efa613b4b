"""GIFT (``quiz.gift``): Moodle's plain-text question format.

Numeric ``{#v:tol}``, short answer ``{=word}``, multiple choice ``{=right ~wrong#feedback}``;
``$CATEGORY:`` lines put each quiz question's variants in a category of their own. GIFT has no
question with several blanks, so a variant with several blanks (a matrix, a vector, a shape...)
falls back to one question per blank, gathered in a category per variant, with a warning.
"""

from __future__ import annotations

from pathlib import Path

from ..quiz import Quiz
from . import base
from .base import Capabilities, Cell, Item
from .moodle import category_path

#: The prompt format the items are written with (:func:`base.prerender`).
PROMPT = "text"

CAPABILITIES = Capabilities(
    file="quiz.gift",
    numeric="`{#v:tol}`",
    multiple_choice="`{=a ~b}`",
    matrix="no",
    fallback="one question per blank (numeric, short answer or multiple choice) in a category "
    "per variant; no marks, short answers ignore case; warns",
    multi_blank=False,
)

#: Characters with a meaning in GIFT, escaped with a backslash everywhere in text.
SPECIAL = "\\~=#{}:"


_ESCAPES = str.maketrans({ch: "\\" + ch for ch in SPECIAL})


def escape(text: str) -> str:
    """Escape GIFT's special characters (and the backslash itself)."""
    return text.translate(_ESCAPES)


def answer(cell: Cell) -> str:
    """The answer block of one blank."""
    if cell.kind == "numeric":
        tol = f":{base.number(cell.tolerance)}" if cell.tolerance else ""
        value = base.number(cell.value)
        # Moodle drops a lone answer "0" (PHP's empty("0")) and aborts the whole import:
        # the explicit "=" form keeps it.
        eq = "=" if value == "0" and not tol else ""
        return f"{{#{eq}{value}{tol}}}"
    if cell.kind == "text":
        return f"{{={escape(cell.text)}}}"
    wrong = [f"~{escape(c)}" for c in cell.choices or [] if c != cell.value]
    return "{" + " ".join([f"={escape(cell.value)}", *wrong]) + "}"


def percent(fraction: float) -> str:
    """A wrong option's partial credit as a GIFT weight (``%50%``), or "" for none: the key
    marks a chosen value cell by cell, so a distractor sharing cells with the key earns some."""
    if fraction <= 0:
        return ""
    return f"%{base.number(round(fraction * 100, 5))}%"


def _question(title: str, body: str, label: str, answer_block: str) -> str:
    """One question; ``body`` is the prompt already squeezed and escaped (shared by the
    questions of a multi-blank fallback), ``label`` the line before the answer."""
    return f"::{escape(title)}::{body}\n{escape(base.squeeze(label))}\n{answer_block}\n"


def questions(item: Item, warn: base.Warnings) -> tuple[str | None, list[str]]:
    """(sub-category or None, GIFT questions) for one item."""
    body = escape(base.squeeze(item.prompt("text")))
    if item.mode == "choice":
        assert item.choice is not None
        opts = []
        for o in item.options:
            text = escape(base.value_text(item.choice, o.value))
            fb = base.misconception_title(o.misconception)
            mark = "=" if o.correct else "~" + percent(base.option_fraction(item.choice, o.value))
            opts.append(mark + text + (f"#{escape(fb)}" if fb else ""))
        block = "{\n" + "\n".join("  " + o for o in opts) + "\n}"
        return None, [_question(item.name, body, f"{item.choice.label}?", block)]
    single = item.single
    if any(c.kind == "text" for c in item.cells):
        warn(
            item.question,
            "GIFT short answers ignore case (the key does not): a token typed in another case "
            "scores; use moodle.xml (SHORTANSWER_C) to keep the key's rule",
        )
    if single is not None:
        return None, [_question(item.name, body, f"{single.label}:", answer(single))]
    cells = item.cells
    warn(
        item.question,
        "GIFT has no multi-blank questions: each blank of a multi-blank variant "
        "became its own question (numeric with its tolerance, short answer or multiple choice) "
        "in a category per variant; each imports with mark 1, so give each blank its share "
        "of the key's points (or use moodle.xml, whose cloze weights follow the key)",
    )
    out = [_question(f"{item.name} · {c.label}", body, f"{c.label}:", answer(c)) for c in cells]
    return f"variant {item.index + 1}", out


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``quiz.gift`` into ``out_dir``; returns the warnings."""
    warn = base.Warnings("gift")
    chunks = [f"// {base.squeeze(quiz.title)} ({quiz.set_id}), written by convgrade\n"]
    current = None
    for q, its in base.items(quiz, warn):
        if float(q.points) != 1:
            warn(
                q,
                "GIFT has no marks: Moodle imports every question with mark 1; set each quiz "
                "slot's mark to the question's points (key.json)",
            )
        qcat = f"{q.id} {q.title}".strip()
        for item in its:
            sub, qs = questions(item, warn)
            names = [quiz.title or quiz.set_id, qcat] + ([sub] if sub else [])
            cat = category_path(*names)
            if cat != current:
                chunks.append(f"$CATEGORY: {cat}\n")
                current = cat
            chunks += qs
    text = "\n".join(chunks)
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, text.encode("utf-8"))
    return warn.messages
