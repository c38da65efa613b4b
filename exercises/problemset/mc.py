"""Multiple choice through :mod:`convgrade.exercises.choices` (shared with the LMS writers).

The handouts and `--check` ask the same part with the same options in the same order as the LMS
writers: ``choices.choice_part(ex)`` and ``choices.options(ex, part, rng_seed=ex.seed or 0)``.
Where an exercise has no distractor (fewer than two options), it is asked as blanks.
"""

from __future__ import annotations

from typing import Any

from .. import choices
from ..model import Exercise, Part


def options(ex: Exercise) -> tuple[Part, list[Any]] | None:
    """(part, options) for a multiple-choice rendering of ``ex``, or None: asked as blanks."""
    pid = choices.choice_part(ex)
    if pid is None:
        return None
    opts = list(choices.options(ex, pid, int(ex.seed or 0)))
    return (ex.part(pid), opts) if len(opts) >= 2 else None
