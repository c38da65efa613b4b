"""Read answers the way students write them, typed by the part's answer type.

Native values (TOML/JSON numbers and arrays) pass through a type check; strings are parsed:

>>> from convgrade.exercises.model import Part
>>> parse(Part("o", "Output", "matrix", [[0]]), "1 2\\n3 4")
[[1, 2], [3, 4]]
>>> parse(Part("o", "Output", "matrix", [[0]]), "1, 2; 3, 4")
[[1, 2], [3, 4]]
>>> parse(Part("s", "Shape", "shape", [1]), "4×4")
[4, 4]
>>> parse(Part("n", "Mean", "number", 0.0), "5/2")
2.5

An answer that cannot be read raises :class:`AnswerError`, whose message says what was expected.
"""

from __future__ import annotations

import math
import numbers
import re
import reprlib
from fractions import Fraction
from typing import Any

from .errors import ConvgradeError
from .model import Part

#: What each type looks like when written by hand (used in messages and answer sheets).
HOW_TO_WRITE = {
    "integer": "a whole number, e.g. 12",
    "number": "a number, e.g. 2.5 or 5/2",
    "shape": "a shape, e.g. 4x4, (4, 4) or [4, 4]",
    "shapes": "one shape per layer, e.g. (None, 26, 26, 8), (None, 13, 13, 8)",
    "vector": "a list of numbers, e.g. [1, 2, 3] or 1 2 3",
    "integers": "a list of whole numbers, e.g. [1, 0, 2]",
    "matrix": "a matrix, e.g. [[1, 2], [3, 4]] or one row per line",
    "tensor": "height x width x channels nested lists, or one matrix per channel separated by "
    "a blank line",
    "tokens": "a list of words, e.g. ['the', 'cat'] or the cat",
    "choice": "one of the listed choices",
}

_NONE_WORDS = {"none", "null", "?", "batch", "-"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,_ ]\d{3})+$")
#: Longer numbers are not answers to hand-computed exercises (and would overflow a float).
MAX_DIGITS = 30
MAX_MAGNITUDE = 10**MAX_DIGITS
#: A written answer longer than this is not read (the largest key answer is a few hundred).
MAX_ANSWER_CHARS = 20_000
_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"^[+-]?\d+\s*/\s*[+-]?\d+$")


class AnswerError(ConvgradeError, ValueError):
    """An answer that cannot be read as its part's type."""


def is_blank(raw: Any) -> bool:
    """Not answered: ``None``, an empty or whitespace-only string, or an empty list."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list | tuple) and len(raw) == 0


def parse(part: Part, raw: Any) -> Any:
    """``raw`` (a native value or a string as written) as a plain value of ``part.type``."""
    reader = _READERS[part.type]
    if isinstance(raw, str) and len(raw) > MAX_ANSWER_CHARS:
        raise AnswerError(
            f"expected {HOW_TO_WRITE[part.type]}; this answer is {len(raw):,} characters long "
            f"(at most {MAX_ANSWER_CHARS:,})"
        )
    try:
        return reader(raw, part)
    except AnswerError as exc:
        raise AnswerError(f"expected {HOW_TO_WRITE[part.type]}; {exc}") from None


def _fail(raw: Any, why: str = "") -> AnswerError:
    text = raw[:200] if isinstance(raw, str) else reprlib.repr(raw)
    text = " / ".join(" ".join(line.split()) for line in str(text).strip().splitlines())
    if len(text) > 50:
        text = text[:47] + "..."
    return AnswerError(f"could not read {text!r}" + (f" ({why})" if why else ""))


def _clean(text: str) -> str:
    return (
        text.replace("\u2212", "-")  # unicode minus
        .replace("\u00d7", "x")  # multiplication sign
        .replace("\u2013", "-")
        .replace("\u2009", " ")
        .replace("`", " ")  # Markdown code spans, as handout.md prints values
        .strip()
    )


# --- scalars --------------------------------------------------------------------------------


def number(raw: Any) -> int | float:
    """A number from a native value or text: ``3``, ``-2.5``, ``1e-3``, ``5/2``."""
    t = type(raw)  # the common cases first (numbers.Integral is an ABC check)
    if (t is int and -MAX_MAGNITUDE < raw < MAX_MAGNITUDE) or (
        t is float and math.isfinite(raw) and abs(raw) < MAX_MAGNITUDE
    ):
        return raw
    if t is str and raw.isascii():  # a plain whole number, as most cells are written
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isdigit() and len(digits) <= MAX_DIGITS:
            return int(text)
    if isinstance(raw, bool):
        raise _fail(raw, "true/false is not a number")
    if isinstance(raw, numbers.Integral):
        if abs(raw) >= MAX_MAGNITUDE:
            raise _fail(raw, f"more than {MAX_DIGITS} digits")
        return int(raw)
    if isinstance(raw, numbers.Real):
        if not math.isfinite(raw) or abs(raw) >= MAX_MAGNITUDE:
            raise _fail(raw, "not a finite number of a sensible size")
        return float(raw)
    if isinstance(raw, str):
        text = _clean(raw)
        if len(text) > MAX_DIGITS and sum(c.isdigit() for c in text) > MAX_DIGITS:
            raise _fail(raw, f"more than {MAX_DIGITS} digits")
        if _THOUSANDS.match(text):  # 16,801 as Keras' model.summary() prints it
            text = re.sub(r"[,_ ]", "", text)
        if _NUMBER.match(text):
            if _INTEGER.fullmatch(text):
                return int(text)
            value = float(text)
            if not math.isfinite(value) or abs(value) >= MAX_MAGNITUDE:
                raise _fail(raw, "not a finite number of a sensible size")
            return value
        if _FRACTION.match(text):
            num, den = (int(t) for t in text.split("/"))
            if den == 0:
                raise _fail(raw, "division by zero")
            value = Fraction(num, den)
            return int(value) if value.denominator == 1 else float(value)
    raise _fail(raw)


def _integer(raw: Any, part: Part | None = None) -> int:
    value = number(raw)
    if isinstance(value, float):
        if not value.is_integer():
            raise _fail(raw, "not a whole number")
        return int(value)
    return value


def _number(raw: Any, part: Part | None = None) -> int | float:
    return number(raw)


def _choice(raw: Any, part: Part) -> Any:
    choices = part.choices or []
    if raw in choices and not isinstance(raw, bool):
        return raw
    text = _clean(str(raw)).strip("'\"").strip()
    for c in choices:
        if _clean(str(c)).lower() == text.lower():
            return c
    for c in choices:  # numeric choices written differently ("2.0" for 2)
        try:
            if isinstance(c, numbers.Number) and number(text) == c:
                return c
        except AnswerError:
            break
    letter = text.strip("()").lower()
    if len(letter) == 1 and "a" <= letter < chr(ord("a") + len(choices)):
        return choices[ord(letter) - ord("a")]
    if not choices:
        return raw if not isinstance(raw, str) else text
    raise _fail(raw, "not one of " + ", ".join(repr(c) for c in choices))


# --- nested lists ---------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:([\[\](){};,])|('[^']*'|"[^"]*")|([^\s\[\](){};,'"]+))""")


def _tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: ``punct`` brackets and separators, ``str`` quoted, ``word`` else."""
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _fail(text, f"unexpected character {text[pos]!r}")
        if m.group(1):
            out.append(("punct", m.group(1)))
        elif m.group(2):
            out.append(("str", m.group(2)[1:-1]))
        elif m.group(3):
            out.append(("word", m.group(3)))
        pos = m.end()
    return out


_OPEN = {"[": "]", "(": ")", "{": "}"}
MAX_DEPTH = 6


def _scalar(kind: str, word: str, strings: bool) -> Any:
    if kind == "str":
        return word
    if word.lower() in _NONE_WORDS and not strings:
        return None
    if strings:
        return word
    return number(word)


def _bracketed(text: str, strings: bool) -> list:
    """Bracket notation: ``[[1, 2], [3, 4]]``, ``[1 2; 3 4]``, ``(4, 4)``, ``[1, 2] [3, 4]``."""
    items = _Brackets(text, strings).seq(None)
    if len(items) == 1 and isinstance(items[0], list):
        return items[0]
    return items


class _Brackets:
    """The tokens of one bracketed answer, read into nested lists (an object, not a closure
    calling itself: such a closure is a reference cycle, and the tokens it holds stayed alive
    until the next garbage collection: a class's marking left 128,000 objects to it)."""

    def __init__(self, text: str, strings: bool) -> None:
        self.text, self.strings = text, strings
        self.tokens, self.pos = _tokenize(text), 0

    def seq(self, close: str | None, depth: int = 0) -> list:
        if depth > MAX_DEPTH:
            raise _fail(self.text, "brackets nested too deeply")
        tokens, rows = self.tokens, [[]]
        while self.pos < len(tokens):
            kind, tok = tokens[self.pos]
            self.pos += 1
            if kind == "punct" and tok in _OPEN:
                rows[-1].append(self.seq(_OPEN[tok], depth + 1))
            elif kind == "punct" and tok in ")]}":
                if tok != close:
                    raise _fail(self.text, f"unbalanced {tok!r}")
                break
            elif kind == "punct" and tok == ";":
                rows.append([])
            elif kind == "punct" and tok == ",":
                continue
            else:
                rows[-1].append(_scalar(kind, tok, self.strings))
        else:
            if close is not None:
                raise _fail(self.text, f"missing {close!r}")
        if len(rows) > 1:
            rows = [r for r in rows if r] or [[]]
        return rows if len(rows) > 1 else rows[0]


_TABLE_RULE = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$")


def _rows(text: str, strings: bool = False, decimal_comma: bool = False) -> list[list]:
    """Bracket-free rows: one per line (or separated by ``;``), cells by commas or spaces.

    Markdown table rows (``| 1 | 2 |``, as handout.md prints matrices) are read cell by cell;
    their rule line (``|--:|--:|``) and empty header row are skipped. ``decimal_comma`` reads
    ``3,75`` as 3.75 (cells are then separated by spaces only).
    """
    rows = []
    for line in re.split(r"[\n;]", text):
        line = line.strip()
        if _TABLE_RULE.match(line) and "-" in line:
            continue
        line = line.strip("|").replace("|", " ").strip()
        if not line:
            continue
        if decimal_comma:
            cells = [c.replace(",", ".") for c in line.split()]
        else:
            cells = [c for c in re.split(r"[,\s]+", line) if c]
        rows.append([_scalar("word", c, strings) for c in cells])
    return rows


#: A row written with decimal commas: numbers like ``3,75`` separated by spaces only.
_DECIMAL_COMMA_ROW = re.compile(r"^[+-]?\d+(,\d+)?(\s+[+-]?\d+(,\d+)?)*$")


def decimal_comma_reading(raw: Any) -> list[list] | None:
    """``raw`` read with decimal commas (``3,75 2,25`` -> [[3.75, 2.25]]), or None where that
    reading does not apply (brackets, a comma followed by a space, no ``digit,digit``)."""
    if not isinstance(raw, str):
        return None
    text = _clean(raw)
    if not re.search(r"\d,\d", text) or re.search(r"[\[\](){}]|,\s|,,", text):
        return None
    lines = [ln.strip().strip("|").replace("|", " ").strip() for ln in re.split(r"[\n;]", text)]
    lines = [ln for ln in lines if ln and not set(ln) <= set("-: ")]
    if not lines or not all(_DECIMAL_COMMA_ROW.match(ln) for ln in lines):
        return None
    return _rows("\n".join(lines), decimal_comma=True)


def nested(raw: Any, *, strings: bool = False, depth: int = 0) -> Any:
    """A nested list from a native list or text (bracket notation or rows on lines)."""
    if isinstance(raw, list | tuple):
        if depth > MAX_DEPTH:
            raise _fail(raw, "lists nested too deeply")
        return [
            nested(v, strings=strings, depth=depth + 1) if isinstance(v, list | tuple) else v
            for v in raw
        ]
    if not isinstance(raw, str):
        return raw
    text = _clean(raw)
    if re.search(r"[\[\](){}]", text):
        return _bracketed(text, strings)
    rows = _rows(text, strings)
    if not rows:
        raise _fail(raw, "nothing to read")
    return rows


def _flat(value: Any) -> list:
    """A list of scalars from a row, a single-row matrix or one value per line."""
    if not isinstance(value, list):
        return [value]
    if all(isinstance(v, list) for v in value):
        if len(value) == 1:
            return _flat(value[0])
        if all(len(v) == 1 and not isinstance(v[0], list) for v in value):
            return [v[0] for v in value]
    return value


def _numbers(values: list, raw: Any, ints: bool = False) -> list:
    out = []
    for v in values:
        if isinstance(v, list):
            raise _fail(raw, "expected a flat list, found a nested list")
        if v is None:
            raise _fail(raw, "found an empty entry")
        out.append(_integer(v) if ints else number(v))
    return out


def _vector(raw: Any, part: Part | None = None) -> list:
    if not isinstance(raw, list | tuple | str):
        return _numbers([raw], raw)
    return _numbers(_flat(nested(raw)), raw)


def _integers(raw: Any, part: Part | None = None) -> list:
    if not isinstance(raw, list | tuple | str):
        return _numbers([raw], raw, ints=True)
    return _numbers(_flat(nested(raw)), raw, ints=True)


def _matrix(raw: Any, part: Part | None = None) -> list:
    comma = decimal_comma_reading(raw) if part is not None else None
    try:
        rows = _matrix_rows(raw)
    except AnswerError:
        if comma is None:
            raise
        rows = None
    if comma is None or (rows is not None and _shape_of(rows) == _shape_of(part.answer)):
        return rows
    if _shape_of(comma) == _shape_of(part.answer):
        return comma  # "3,75 2,25" for a 2-column key: decimal commas
    if rows is None:
        raise _fail(raw, "write decimals with a point, e.g. 3.75, and separate cells by spaces")
    return rows


def _shape_of(value: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _matrix_rows(raw: Any) -> list:
    value = nested(raw)
    if not isinstance(value, list):
        value = [[value]]
    if value and not any(isinstance(v, list) for v in value):
        value = [value]  # a single row
    if not all(isinstance(r, list) for r in value):
        raise _fail(raw, "mixes rows and single numbers")
    rows = [_numbers(r, raw) for r in value]
    lengths = sorted({len(r) for r in rows})
    if len(lengths) > 1:
        raise _fail(raw, "rows have different lengths: " + ", ".join(map(str, lengths)))
    return rows


def _tensor(raw: Any, part: Part | None = None) -> list:
    if isinstance(raw, str) and not re.search(r"[\[\](){}]", raw):
        blocks = re.split(r"\n\s*(?:\n|channel\s*\d+\s*:?\s*\n)\s*", "\n" + _clean(raw) + "\n")
        mats = [_matrix(b) for b in blocks if b.strip()]
        if len({(len(m), len(m[0])) for m in mats}) != 1:
            raise _fail(raw, "the channel matrices differ in size")
        return [
            [[m[i][j] for m in mats] for j in range(len(mats[0][0]))] for i in range(len(mats[0]))
        ]
    value = nested(raw)

    def check(v: Any, depth: int) -> Any:
        if depth == 0:
            if isinstance(v, list):
                raise _fail(raw, "nested too deeply")
            return number(v)
        if not isinstance(v, list):
            raise _fail(raw, "expected height x width x channels nested lists")
        return [check(x, depth - 1) for x in v]

    out = check(value, 3)
    dims = {(len(r), tuple(len(c) for c in r)) for r in out}
    if len(dims) > 1 or len({n for _, cs in dims for n in cs}) > 1:
        raise _fail(raw, "ragged nested lists")
    return out


def _shape(raw: Any, part: Part | None = None) -> list:
    if isinstance(raw, str):
        text = _clean(raw)
        if re.fullmatch(r"\s*\d+(\s*(x|by)\s*\d+)+\s*", text, flags=re.I):
            return [int(t) for t in re.split(r"\s*(?:x|by)\s*", text.strip(), flags=re.I)]
        value = _flat(nested(text))
    elif isinstance(raw, list | tuple):
        value = list(raw)
    else:
        value = [raw]
    if value and value[0] is None and part is not None and len(value) == len(part.answer) + 1:
        value = value[1:]  # the batch axis, as model.summary() prints it: (None, 4, 4)
    out = []
    for v in value:
        if v is None or isinstance(v, list):
            raise _fail(raw, "a shape here is a list of positive whole numbers")
        out.append(_integer(v))
    return out


def _one_shape(v: Any, raw: Any) -> list:
    if isinstance(v, str):
        v = _shape(v) if re.search(r"x|by", v, flags=re.I) else [v]
    if not isinstance(v, list):
        v = [v]
    out = []
    for d in v:
        if d is None or (isinstance(d, str) and d.lower() in _NONE_WORDS):
            out.append(None)
        elif isinstance(d, list):
            raise _fail(raw, "a shape inside a shape")
        else:
            out.append(_integer(d))
    return out


def _shapes(raw: Any, part: Part | None = None) -> list:
    if isinstance(raw, str):
        text = _clean(raw)
        if not re.search(r"[\[\](){}]", text):
            # one shape per line (or ';'), written 26x26x8 or "None 26 26 8"
            lines = [ln.strip() for ln in re.split(r"[\n;]", text) if ln.strip()]
            return _without_batch_axis(
                [
                    _one_shape(
                        ln
                        if re.fullmatch(r"\d+(\s*(x|by)\s*\d+)*", ln, flags=re.I)
                        else [_scalar("word", c, False) for c in re.split(r"[,\s]+", ln) if c],
                        raw,
                    )
                    for ln in lines
                ],
                part,
            )
        value = nested(text)
    else:
        value = raw
    if not isinstance(value, list) or not value:
        raise _fail(raw)
    if not any(isinstance(v, list) for v in value):
        value = [value]  # a single shape
    return _without_batch_axis([_one_shape(v, raw) for v in value], part)


def _without_batch_axis(shapes: list, part: Part | None) -> list:
    """Drop a leading ``None`` (the batch axis model.summary() prints) from every shape when the
    key's shapes leave it out."""
    key = part.answer if part is not None and isinstance(part.answer, list) else None
    if not key or not all(isinstance(k, list) for k in key):
        return shapes
    if any(k and k[0] is None for k in key):
        return shapes  # the key itself writes the batch axis
    if shapes and all(s and s[0] is None for s in shapes):
        return [s[1:] for s in shapes]
    return shapes


def _tokens(raw: Any, part: Part | None = None) -> list:
    if isinstance(raw, list | tuple):
        if not all(isinstance(t, str) for t in raw):
            raise _fail(raw, "expected words (strings)")
        return list(raw)
    if not isinstance(raw, str):
        raise _fail(raw)
    text = raw.strip()
    if text[:1] in "[(" and text[-1:] in "])":
        value = _flat(_bracketed(_clean(text), strings=True))
        if not any(isinstance(t, list) for t in value):
            return [str(t) for t in value]
        text = text[1:-1]  # unquoted words with brackets, e.g. [the, [UNK]]
    if "," in text:
        return [t.strip().strip("'\"") for t in text.split(",") if t.strip()]
    return [t.strip("'\"") for t in text.split()]


_READERS = {
    "integer": _integer,
    "number": _number,
    "shape": _shape,
    "shapes": _shapes,
    "vector": _vector,
    "integers": _integers,
    "matrix": _matrix,
    "tensor": _tensor,
    "tokens": _tokens,
    "choice": _choice,
}
