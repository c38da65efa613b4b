"""Multiple choice through :mod:`exercises.choices` (written with the LMS writers), if present."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ..model import Exercise, Part


def choices_module() -> ModuleType | None:
    """``exercises.choices``, or None where this installation does not have it yet."""
    try:
        return importlib.import_module("exercises.choices")
    except ModuleNotFoundError as exc:
        if exc.name != "exercises.choices":
            raise
        return None


def choice_part(ex: Exercise) -> str:
    """The part asked as multiple choice: ``choices.choice_part`` if defined, else the first part
    that some misconception answers differently (misconceptions make the distractors)."""
    mod = choices_module()
    if mod is not None and hasattr(mod, "choice_part"):
        return mod.choice_part(ex)
    for part in ex.parts:
        if any(part.id in m.answers for m in ex.misconceptions):
            return part.id
    return ex.parts[0].id


def options(ex: Exercise) -> tuple[Part, list[Any]] | None:
    """(part, options) for a multiple-choice rendering of ``ex``; None without exercises.choices.

    Options come from ``choices.options(ex, part_id, rng_seed=ex.seed)``.
    """
    mod = choices_module()
    if mod is None:
        return None
    pid = choice_part(ex)
    return ex.part(pid), list(mod.options(ex, pid, ex.seed or 0))
