"""Turn a submitted file into the script the worker runs; the parent never executes it.

A ``.py`` file is copied as is. A Jupyter notebook (``.ipynb``) becomes its code cells joined in
order, with IPython magics (``%``, ``%%``) and shell lines (``!``) removed; the worker reports
lines as "line L of code cell C".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from convgrade.exercises.errors import ConvgradeError

SUFFIXES = (".py", ".ipynb")


class NotebookError(Exception):
    """The notebook file is not a readable Jupyter notebook (the student's failure)."""


@dataclass
class Script:
    """Source code to run, with the first line of each notebook code cell (1-based)."""

    source: str
    cells: list[int] = field(default_factory=list)


def check_path(path: Path) -> None:
    """Reject a missing file or an unknown suffix as a user error (exit 2)."""
    if not path.is_file():
        raise ConvgradeError(f"{path}: no such submission file")
    if path.suffix.lower() not in SUFFIXES:
        raise ConvgradeError(f"{path}: expected a .py file or a Jupyter notebook (.ipynb)")


def notebook_script(text: str) -> Script:
    """The code cells of a notebook (nbformat 4 JSON), magics and shell lines removed."""
    try:
        nb = json.loads(text)
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise NotebookError(f"this is not a readable Jupyter notebook ({exc})") from None
    lines: list[str] = []
    starts: list[int] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(part, str) for part in src):
            src = "".join(src)
        elif not isinstance(src, str):
            raise NotebookError(
                "this is not a readable Jupyter notebook (a cell's source is not text)"
            )
        if src.lstrip().startswith("%%"):
            src = ""  # a cell magic (%%time, %%bash ...) makes the whole cell non-Python
        starts.append(len(lines) + 1)
        for line in src.splitlines():
            stripped = line.lstrip()
            lines.append("" if stripped.startswith(("%", "!")) else line)
        lines.append("")
    return Script("\n".join(lines) + "\n", starts)


def read_submission(path: Path) -> Script:
    """The script for ``path`` (raises NotebookError for an unreadable notebook)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    if path.suffix.lower() == ".ipynb":
        return notebook_script(text)
    return Script(text)
