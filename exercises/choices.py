"""Multiple-choice options for one part of an exercise: the key plus misconception distractors.

The part asked as multiple choice is :func:`choice_part`: the *last* part that some misconception
answers differently (the final result of the exercise, e.g. the output matrix rather than its
shape), else the last part of type ``choice``; ``None`` when the exercise offers no distractor.

>>> from convgrade import exercises
>>> ex = exercises.generate("conv1d", params={"input": [0, 1, 2, 3, 4, 5, 6], "kernel": [1, 2]})
>>> choice_part(ex)
'output'
>>> [(o.value, o.correct) for o in options(ex, "output", 0)]
[([2, 5, 8, 11, 14], False), ([2, 5, 8, 11, 14, 17], True), ([1, 4, 7, 10, 13, 16], False)]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import Exercise


@dataclass(frozen=True)
class Option:
    """One option: its value, whether it is the key, and the misconception that produces it."""

    value: Any
    correct: bool
    misconception: str | None = None


def canonical(value: Any) -> str:
    """A comparison key: ``2`` and ``2.0`` agree, floats compare to 9 decimals, tuples are lists."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, int | np.integer):
            return int(v)
        if isinstance(v, float | np.floating):
            f = float(v)
            if math.isfinite(f) and f == round(f):
                return int(f)
            return round(f, 9)
        if isinstance(v, list | tuple | np.ndarray):
            return [norm(x) for x in v]
        return str(v)

    return json.dumps(norm(value))


def choice_part(ex: Exercise) -> str | None:
    """The part asked as multiple choice (see the module docstring), or None."""
    for part in reversed(ex.parts):
        if any(
            part.id in m.answers and canonical(m.answers[part.id]) != canonical(part.answer)
            for m in ex.misconceptions
        ):
            return part.id
    for part in reversed(ex.parts):
        if part.type == "choice" and part.choices and len(part.choices) > 1:
            return part.id
    return None


def options(ex: Exercise, part_id: str, rng_seed: int) -> list[Option]:
    """The key and the distinct distractors for ``part_id``, in an order fixed by ``rng_seed``.

    Distractors are the misconceptions' answers for that part, deduplicated (the first
    misconception producing a value names it) and never equal to the key; a ``choice`` part also
    offers its other listed choices. The same exercise and seed give the same order everywhere.
    """
    part = ex.part(part_id)
    key = canonical(part.answer)
    seen = {key}
    opts = [Option(part.answer, True, None)]
    for m in ex.misconceptions:
        if part_id not in m.answers:
            continue
        c = canonical(m.answers[part_id])
        if c not in seen:
            seen.add(c)
            opts.append(Option(m.answers[part_id], False, m.id))
    for choice in part.choices or []:
        c = canonical(choice)
        if c not in seen:
            seen.add(c)
            opts.append(Option(choice, False, None))
    order = np.random.default_rng(int(rng_seed)).permutation(len(opts))
    return [opts[i] for i in order]
