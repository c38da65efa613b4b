"""Render exercises through Jinja2: one prompt template per kind, one macro library per format.

A prompt template (``templates/prompts/<kind>.j2``) is written once and receives ``f``, the macro
module of the target format (``templates/formats/<format>.j2``), so the same template yields
plain text, Markdown, HTML or Typst markup. HTML and Typst autoescape: every value a template
prints is escaped for its format (Typst through :func:`typst_escape`, installed as the
environment's ``finalize``), and only macro output and the filters that build markup are trusted.
"""

from __future__ import annotations

import contextlib
import re
from functools import cache, lru_cache
from typing import Any

import jinja2
from convgrade.templates import TEMPLATE_DIR
from markupsafe import Markup

from .misconceptions import info as misconception_info
from .model import Exercise
from .reference.layers import model_code

FORMATS = ("text", "markdown", "html", "typst")
#: Formats whose printed values are escaped (macro output is trusted markup).
ESCAPED = ("html", "typst")


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in Jinja's per-user cache folder, one file set per format (the
    formats compile the same template differently); a cache that cannot be written is skipped."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache(fmt: str) -> jinja2.BytecodeCache | None:
    """Compiling the templates cost a build about 0.2 s of CPU; loading them, 0.01 s."""
    try:
        return _BytecodeCache(pattern=f"convgrade-{fmt}-%s.cache")
    except (OSError, RuntimeError):  # no safe temporary folder
        return None


@cache
def environment(fmt: str) -> jinja2.Environment:
    """The Jinja2 environment for one output format (HTML autoescapes)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=fmt in ESCAPED,
        finalize=typst_escape if fmt == "typst" else None,
        auto_reload=False,  # templates ship with the package: no stat() per get_template
        bytecode_cache=_bytecode_cache(fmt),
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
    env.filters["text_matrix"] = text_matrix
    env.filters["text_window"] = text_window
    env.filters["channels"] = channels
    env.filters["kernel_filters"] = kernel_filters
    env.filters["pretty"] = pretty_math
    if fmt == "typst":
        env.filters["mnum"] = typst_math_number
        env.filters["mcells"] = typst_math_cells
        env.filters["mfactor"] = lambda v: Markup(f"({v})" if v.startswith("-") else v)
        env.filters["tstr"] = typst_string
    env.filters["token_list"] = token_list
    env.filters["window_sum"] = window_sum
    env.filters["wordwrap"] = wordwrap
    return env


@jinja2.pass_environment
def wordwrap(env: jinja2.Environment, s: str, width: int = 79, *args: Any, **kw: Any) -> str:
    """Jinja's ``wordwrap``, each text wrapped once (feedback wraps the same misconception
    rules for every student; textwrap was a tenth of a class's text feedback)."""
    return _wordwrap(env, str(s), width, args, tuple(sorted(kw.items())))


@lru_cache(maxsize=4096)
def _wordwrap(env: jinja2.Environment, s: str, width: int, args: tuple, kw: tuple) -> str:
    return jinja2.filters.do_wordwrap(env, s, width, *args, **dict(kw))


def macros(fmt: str) -> Any:
    """The macro module of a format (``matrix``, ``vector``, ``code``, ``blank`` ...)."""
    return environment(fmt).get_template(f"formats/{fmt}.j2").module


def format_number(v: Any) -> str:
    """A number as a student writes it: ``3``, ``-2``, ``2.5``, ``0.333333``."""
    if type(v) is int:  # most cells; the checks below handle bool and subclasses
        return str(v)
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


def text_matrix(m: list[list[Any]]) -> str:
    """A matrix in plain text: one ``[ ... ]`` row per line, cells right-aligned, a blank line
    before and after (a filter: a Jinja loop per cell made feedback slow)."""
    w = cell_width(m)
    rows = "".join("    [ " + "  ".join(format_number(c).rjust(w) for c in r) + " ]\n" for r in m)
    return f"\n{rows}\n"


def text_window(step: dict[str, Any]) -> str:
    """A window step's products in plain text: ``3·(-1) + 0·2 + 1``."""
    weights = step["weights"]
    text = " + ".join(
        f"{format_number(v)}·{format_factor(weights[i])}" for i, v in enumerate(step["values"])
    )
    return text + f" + {format_factor(step['bias'])}" if "bias" in step else text


def channels(t: list[list[list[Any]]]) -> list[list[list[Any]]]:
    """Split an H x W x C nested list into C matrices."""
    return [[[cell[c] for cell in row] for row in t] for c in range(len(t[0][0]))]


def kernel_filters(k: list[list[list[list[Any]]]]) -> list[list[list[list[Any]]]]:
    """Split a kh x kw x C_in x filters kernel (Keras layout) into one kh x kw x C_in per filter."""
    return [[[[c[f] for c in col] for col in row] for row in k] for f in range(len(k[0][0][0]))]


#: Characters with a meaning in Typst markup; a backslash makes each one literal.
_TYPST_ESCAPES = str.maketrans({c: "\\" + c for c in "\\#$*_`<>@[]~/=+-.\"':"})
_SPACES = re.compile(r"\s+")
_UNESCAPE = re.compile(r"\\(.)")


def typst_escape(value: Any) -> Markup:
    """A value as literal Typst markup text (markup, e.g. macro output, passes unchanged)."""
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = format_number(value)
    text = str(value)
    if "\n" in text or "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return Markup(text.translate(_TYPST_ESCAPES))


def window_sum(step: dict[str, Any]) -> str:
    """A window step's products as typeset text: ``3 · (−1) + 0 · 2 + 1``."""
    pairs = enumerate(zip(step["values"], step["weights"]))
    terms = [
        f"{(format_factor if i else format_number)(v)} · {format_factor(w)}" for i, (v, w) in pairs
    ]
    if "bias" in step:
        terms.append(format_factor(step["bias"]))
    return pretty_math(" + ".join(terms))


def token_list(tokens: list[str]) -> str:
    """Tokens as a Python list literal: ``['the', '[UNK]']``."""
    return "[" + ", ".join(f"'{t}'" for t in tokens) + "]"


def typst_string(value: Any) -> Markup:
    """A Typst string literal (for ``raw(...)`` and text inside math); markup (text a template
    captured with ``{% set %}``, already escaped) is unescaped first."""
    if hasattr(value, "__html__"):
        value = _UNESCAPE.sub(r"\1", str(value))
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return Markup(f'"{text}"')


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def typst_math_number(v: Any) -> Markup:
    """A number inside Typst math (``-2`` becomes a true minus there); odd ones as text."""
    text = format_number(v)
    return Markup(text if _PLAIN_NUMBER.match(text) else typst_string(text))


def typst_math_cells(m: list[list[Any]]) -> Markup:
    """A matrix's cells for Typst ``mat(...)``: ``1, -2; 0, 3`` (one call, not one per cell:
    a class's handout has hundreds of thousands of cells)."""
    return Markup("; ".join(", ".join(typst_math_number(c) for c in row) for row in m))


def _replace_call(text: str, name: str, left: str, right: str) -> str:
    """``name(x)`` -> ``left x right``, matching the call's own closing parenthesis."""
    out, i = [], 0
    while (j := text.find(name + "(", i)) >= 0:
        if j and (text[j - 1].isalnum() or text[j - 1] == "_"):
            out.append(text[i : j + len(name) + 1])
            i = j + len(name) + 1
            continue
        depth, k = 0, j + len(name)
        while k < len(text):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        if k == len(text):  # unbalanced: leave the rest alone
            break
        inner = _replace_call(text[j + len(name) + 1 : k], name, left, right)
        out.append(text[i:j] + left + inner + right)
        i = k + 1
    return "".join(out) + text[i:]


def pretty_math(text: Any) -> str:
    """ASCII arithmetic as typeset math in Unicode: ``ceil(n / s)`` -> ``⌈n/s⌉``, ``2 x 2`` ->
    ``2 × 2``, ``3 - 1`` and ``-1`` with a true minus sign (−); hyphenated words stay.

    >>> pretty_math("floor((5 + 2 - 3) / 1) + 1 = -1")
    '⌊(5 + 2 − 3)/1⌋ + 1 = −1'
    """
    return _pretty(str(text))


_DIVIDE = re.compile(r"(?<=[\w)⌉⌋]) / (?=[\w(⌈⌊])")
_TIMES = re.compile(r"(?<=\d) x (?=\d)")
_SIGN = re.compile(r"(?<![\w'\-])-(?=[\d(])")
_MINUS = re.compile(r"(?<= )-(?= )")


@lru_cache(maxsize=8192)
def _pretty(text: str) -> str:
    """:func:`pretty_math` of a string (cached: feedback typesets the same steps and small
    numbers over and over, in text and in HTML)."""
    if "ceil(" in text:
        text = _replace_call(text, "ceil", "⌈", "⌉")
    if "floor(" in text:
        text = _replace_call(text, "floor", "⌊", "⌋")
    if " / " in text:
        text = _DIVIDE.sub("/", text)
    if " x " in text:
        text = _TIMES.sub(" × ", text)
    if "-" in text:
        text = _SIGN.sub("−", text)  # a sign: -1, -(2)
        text = _MINUS.sub("−", text)  # an operator: 3 - 1
    return text


def render_prompt(ex: Exercise, fmt: str = "text") -> str:
    """The exercise's question text (no answers)."""
    env = environment(fmt)
    tpl = env.get_template(f"prompts/{ex.kind}.j2")
    return _finish(tpl.render(ex=ex, p=ex.params, f=macros(fmt)), fmt)


def _finish(text: str, fmt: str) -> str:
    """Collapse runs of blank lines; HTML stays marked safe for the enclosing template."""
    text = re.sub(r"\n{3,}", "\n\n", text.strip()) + "\n"
    return Markup(text) if fmt in ESCAPED else text


def render(
    ex: Exercise,
    fmt: str = "text",
    *,
    solution: bool = False,
    title: str | None = None,
    standalone: bool = True,
) -> str:
    """A whole exercise: title, prompt, answer blanks and, with ``solution``, the worked solution.

    HTML is a self-contained page and Typst a document that compiles on its own unless
    ``standalone`` is false.
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
    if fmt == "typst" and standalone:  # the definitions the macros use, as documents have them
        return Markup(env.get_template("formats/typst_prelude.j2").render()) + body
    return body


def default_title(ex: Exercise) -> str:
    """``conv2d · seed 1 · difficulty 2``."""
    seed = "" if ex.seed is None else f" · seed {ex.seed}"
    return f"{ex.kind}{seed} · difficulty {ex.difficulty}"
