"""Kinds with ``sample_is_valid`` skip validate() on random draws: their samples must already be
exactly what validate() returns (same values, same JSON types), and never rejected."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convgrade import exercises

TRUSTED = [name for name, kind in exercises.kinds().items() if kind.sample_is_valid]


def test_the_matrix_kinds_use_it():
    assert {"conv2d", "conv2d_multichannel", "conv2d_pool", "pooling"} <= set(TRUSTED)


@pytest.mark.parametrize("name", TRUSTED)
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_sample_is_what_validate_returns(name, difficulty):
    kind = exercises.kinds()[name]
    for seed in range(300):
        drawn = kind.sample(np.random.default_rng(seed), difficulty, {})
        before = json.dumps(drawn, sort_keys=True)
        assert json.dumps(kind.validate(drawn), sort_keys=True) == before, (name, seed)
