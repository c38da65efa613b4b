"""Random draws shared by the kinds' ``sample`` functions."""

from __future__ import annotations

from typing import Any

import numpy as np


def pick(rng: np.random.Generator, options: tuple | list) -> Any:
    """One of ``options`` (any values, tuples included), drawn with ``rng``.

    A single option is returned without calling ``rng``: numpy draws nothing for a range of one
    value either, so the random stream is the same, and the call costs more than the rest.
    """
    if len(options) == 1:
        return options[0]
    return options[int(rng.integers(len(options)))]
