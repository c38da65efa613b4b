"""Render exercises through Jinja2: one prompt template per kind, one macro library per format.

A prompt template (``templates/prompts/<kind>.j2``) is written once and receives ``f``, the macro
module of the target format (``templates/formats/<format>.j2``), so the same template yields
plain text, Markdown or HTML.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
from convgrade.templates import TEMPLATE_DIR
from markupsafe import Markup

from .misconceptions import info as misconception_info
from .model import Exercise
from .reference.layers import model_code

FORMATS = ("text", "markdown", "html")


@cache
def environment(fmt: str) -> jinja2.Environment:
    """The Jinja2 environment for one output format (HTML autoescapes)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=(fmt == "html"),
        auto_reload=False,  # templates ship with the package: no stat() per get_template
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["fmt"] = fmt
    env.globals["misconception_info"] = misconception_info
    env.globals["keras_code"] = model_code
    env.filters["num"] = format_number
    env.filters["factor"] = format_factor
    env.filters["cell_width"] = cell_width
    env.filters["channels"] = channels
    env.filters["kernel_filters"] = kernel_filters
    return env


def macros(fmt: str) -> Any:
    """The macro module of a format (``matrix``, ``vector``, ``code``, ``blank`` ...)."""
    return environment(fmt).get_template(f"formats/{fmt}.j2").module


def format_number(v: Any) -> str:
    """A number as a student writes it: ``3``, ``-2``, ``2.5``, ``0.333333``."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return f"{v:.6g}"
    return str(v)


def format_factor(v: Any) -> str:
    """A number inside a product: negatives in parentheses, ``2·(-1)``."""
    text = format_number(v)
    return f"({text})" if text.startswith("-") else text


def cell_width(m: list[list[Any]]) -> int:
    """Widest formatted cell of a matrix, to right-align plain-text columns."""
    return max(len(format_number(c)) for row in m for c in row)


def channels(t: list[list[list[Any]]]) -> list[list[list[Any]]]:
    """Split an H x W x C nested list into C matrices."""
    return [[[cell[c] for cell in row] for row in t] for c in range(len(t[0][0]))]


def kernel_filters(k: list[list[list[list[Any]]]]) -> list[list[list[list[Any]]]]:
    """Split a kh x kw x C_in x filters kernel (Keras layout) into one kh x kw x C_in per filter."""
    return [[[[c[f] for c in col] for col in row] for row in k] for f in range(len(k[0][0][0]))]


def render_prompt(ex: Exercise, fmt: str = "text") -> str:
    """The exercise's question text (no answers)."""
    env = environment(fmt)
    tpl = env.get_template(f"prompts/{ex.kind}.j2")
    return _finish(tpl.render(ex=ex, p=ex.params, f=macros(fmt)), fmt)


def _finish(text: str, fmt: str) -> str:
    """Collapse runs of blank lines; HTML stays marked safe for the enclosing template."""
    text = re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n"
    return Markup(text) if fmt == "html" else text


def render(
    ex: Exercise,
    fmt: str = "text",
    *,
    solution: bool = False,
    title: str | None = None,
    standalone: bool = True,
) -> str:
    """A whole exercise: title, prompt, answer blanks and, with ``solution``, the worked solution.

    HTML is a self-contained page unless ``standalone`` is false.
    """
    env = environment(fmt)
    body = env.get_template("exercise.j2").render(
        ex=ex,
        f=macros(fmt),
        prompt=render_prompt(ex, fmt),
        solution=solution,
        title=title or default_title(ex),
    )
    body = _finish(body, fmt)
    if fmt == "html" and standalone:
        return env.get_template("page.j2").render(title=title or default_title(ex), body=body)
    return body


def default_title(ex: Exercise) -> str:
    """``conv2d · seed 1 · difficulty 2``."""
    seed = "" if ex.seed is None else f" · seed {ex.seed}"
    return f"{ex.kind}{seed} · difficulty {ex.difficulty}"
