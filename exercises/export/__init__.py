"""LMS quiz writers: one small module per target, all reading :class:`exercises.quiz.Quiz`.

``WRITERS[name](quiz, out_dir)`` writes the target's file (``FILES[name]``) into ``out_dir`` and
returns warnings, one per question and fallback ("canvas: question q3 (...): ..."). Each module
declares its ``CAPABILITIES`` (what it expresses natively and its fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..quiz import Quiz
from . import blackboard, canvas, gift, moodle, qti21
from .base import Capabilities

Writer = Callable[[Quiz, Path], list[str]]

_MODULES = {
    "moodle": moodle,
    "gift": gift,
    "canvas": canvas,
    "qti21": qti21,
    "blackboard": blackboard,
}

#: Format name -> writer.
WRITERS: dict[str, Writer] = {name: mod.write for name, mod in _MODULES.items()}

#: Format name -> what it can express.
CAPABILITIES: dict[str, Capabilities] = {name: mod.CAPABILITIES for name, mod in _MODULES.items()}

#: Format name -> the prompt format its items are written with.
PROMPTS: dict[str, str] = {
    name: mod.PROMPT for name, mod in _MODULES.items() if getattr(mod, "PROMPT", None)
}

#: Writers that split a large quiz over the CPUs themselves (when they run alone).
SELF_PARALLEL: frozenset[str] = frozenset(
    name for name, mod in _MODULES.items() if getattr(mod, "PARALLEL_FROM", None)
)

#: Format name -> the file it writes.
FILES: dict[str, str] = {name: cap.file for name, cap in CAPABILITIES.items()}


def write(quiz: Quiz, out_dir: Path, formats: list[str] | None = None) -> list[str]:
    """Write every format in ``formats`` (default: all) and return all warnings."""
    warnings: list[str] = []
    for name in formats or list(WRITERS):
        warnings += WRITERS[name](quiz, Path(out_dir))
    return warnings
