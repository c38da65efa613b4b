"""Turn a submitted file into the script the worker runs; the parent never executes it.

A ``.py`` file is decoded the way Python decodes source (PEP 263 encoding declaration, UTF-8
byte-order mark: :func:`tokenize.detect_encoding`). A Jupyter notebook (``.ipynb``, read with
``nbformat``) becomes its code cells joined in order, each cell passed through IPython's own
input transformer (``TransformerManager``): ``%magic`` lines become
``get_ipython().run_line_magic(...)`` calls and ``x = !ls`` becomes
``x = get_ipython().getoutput('ls')``, which the worker answers with a stub that runs nothing.
``%time``/``%timeit`` lines and ``%%time``-style cells keep their Python code; other cell magics
(``%%bash``, ``%%writefile`` ...) are left out, with a note. The worker reports lines as
"line L of code cell C".
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from convgrade.exercises.errors import ConvgradeError

SUFFIXES = (".py", ".ipynb")
#: cell magics whose body is Python the magic only times, profiles or captures: the body runs.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
_LINE_TIMING = re.compile(r"^([ \t]*)%(?:time|timeit)(?:[ \t]+-\S+)*[ \t]+(\S.*)$")
_COOKIE = re.compile(r"^([ \t\f]*#.*?coding[:=][ \t]*)([-\w.]+)", re.ASCII)


class UnreadableSubmission(Exception):
    """The file cannot be read as Python source or as a notebook (the student's failure)."""


#: the old name, kept for callers.
NotebookError = UnreadableSubmission


@dataclass
class Script:
    """Source code to run, the first line of each notebook code cell (1-based), and notes
    for the student about what the conversion left out."""

    source: str
    cells: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_path(path: Path) -> None:
    """Reject a missing file or an unknown suffix as a user error (exit 2)."""
    if not path.is_file():
        raise ConvgradeError(f"{path}: no such submission file")
    if path.suffix.lower() not in SUFFIXES:
        raise ConvgradeError(f"{path}: expected a .py file or a Jupyter notebook (.ipynb)")


def python_source(raw: bytes) -> str:
    """Source bytes decoded as Python decodes them (BOM, ``# -*- coding: ... -*-``).

    The result is written back as UTF-8, so a declaration of another encoding is rewritten to
    ``utf-8`` (a comment: line numbers do not move)."""
    encoding = "utf-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding)
    except SyntaxError as exc:  # bad bytes in the first two lines, or an unknown encoding name
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _not_text(raw, bad, "UTF-8") from None
        raise UnreadableSubmission(f"your file's encoding declaration is wrong: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _not_text(raw, exc, encoding) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n", 2)
    for i in range(min(2, len(lines))):
        if _COOKIE.match(lines[i]):
            lines[i] = _COOKIE.sub(r"\g<1>utf-8", lines[i], count=1)
            break
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            break
    return "\n".join(lines)


def _not_text(raw: bytes, exc: UnicodeDecodeError, encoding: str) -> UnreadableSubmission:
    line = raw[: exc.start].count(b"\n") + 1
    return UnreadableSubmission(
        f"your file is not valid {encoding} text (byte 0x{raw[exc.start]:02x} at line {line}): "
        "save it as UTF-8, or declare its encoding in the first line (# -*- coding: latin-1 -*-)"
    )


def notebook_script(text: str) -> Script:
    """The code cells of a notebook, through IPython's input transformer (see module doc)."""
    import nbformat
    import nbformat.reader
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        # read and upgrade to version 4 without schema validation: a hand-made notebook
        # lacking ``metadata`` still has code worth grading
        doc = json.loads(text)
        if isinstance(doc, dict):
            doc.setdefault("metadata", {})
            doc.setdefault("nbformat", 4)
            doc.setdefault("nbformat_minor", 0)
            cells = doc.get("cells")
            for cell in cells if isinstance(cells, list) else []:
                if isinstance(cell, dict):
                    cell.setdefault("metadata", {})
        nb = nbformat.convert(nbformat.reader.reads(json.dumps(doc)), 4)
        cells = [c for c in nb.cells if c.get("cell_type") == "code"]
        for cell in cells:
            src = cell.get("source", "")
            if isinstance(src, list) and all(isinstance(part, str) for part in src):
                cell["source"] = "".join(src)
            elif not isinstance(src, str):
                raise TypeError("a cell's source is not text")
    except Exception as exc:  # nbformat raises many kinds for a damaged file
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UnreadableSubmission(f"this is not a readable Jupyter notebook ({why})") from None
    transformer = TransformerManager()
    lines: list[str] = []
    starts: list[int] = []
    notes: list[str] = []
    magic_used = False
    for number, cell in enumerate(cells, 1):
        body = cell.get("source", "").split("\n")
        first = body[0].strip()
        if first.startswith("%%"):
            name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
            if name not in PYTHON_CELL_MAGICS:
                notes.append(f"code cell {number} (%%{name}) is not Python: the grader left it out")
                body = []
            else:
                body[0] = "#" + body[0]  # a comment keeps the cell's line numbers
        body = [_LINE_TIMING.sub(r"\1\2", line) for line in body]
        # IPython drops leading blank lines: keep them out of its way, so lines do not move
        lead = next((i for i, line in enumerate(body) if line.strip()), len(body))
        code = "\n".join(body[lead:])
        try:
            converted = transformer.transform_cell(code) if code else ""
        except Exception:  # IPython could not parse it: leave the cell to Python's own error
            converted = code
        magic_used = magic_used or "get_ipython()" in converted
        converted_lines = [""] * lead + converted.rstrip("\n").split("\n")
        converted_lines += [""] * (len(body) - len(converted_lines))  # never fewer lines
        starts.append(len(lines) + 1)
        lines.extend(converted_lines)
        lines.append("")
    if magic_used:
        notes.append(
            "notebook magics and shell commands (%pip, !ls ...) are not run by the grader: "
            "they do nothing and `x = !cmd` gives an empty list"
        )
    return Script("\n".join(lines) + "\n", starts, notes)


def read_submission(path: Path) -> Script:
    """The script for ``path`` (raises UnreadableSubmission for a file that cannot be read)."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".ipynb":
        return notebook_script(raw.decode("utf-8-sig", errors="replace"))
    return Script(python_source(raw))
