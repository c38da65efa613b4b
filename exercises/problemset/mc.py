"""Multiple choice through :mod:`exercises.choices` (written with the LMS writers), if present.

The handouts and `--check` ask the same part with the same options in the same order as the LMS
writers: ``choices.choice_part(ex)`` and ``choices.options(ex, part, rng_seed=ex.seed or 0)``.
Where an exercise has no distractor (fewer than two options), it is asked as blanks.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ..model import Exercise, Part


def choices_module() -> ModuleType | None:
    """``exercises.choices``, or None where this installation does not have it yet."""
    try:
        return importlib.import_module("convgrade.exercises.choices")
    except ModuleNotFoundError as exc:
        if exc.name != "convgrade.exercises.choices":
            raise
        return None


def options(ex: Exercise) -> tuple[Part, list[Any]] | None:
    """(part, options) for a multiple-choice rendering of ``ex``, or None: asked as blanks."""
    mod = choices_module()
    if mod is None:
        return None
    pid = mod.choice_part(ex)
    if pid is None:
        return None
    opts = list(mod.options(ex, pid, int(ex.seed or 0)))
    return (ex.part(pid), opts) if len(opts) >= 2 else None
