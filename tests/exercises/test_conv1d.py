"""conv1d: fixed lecture example, and agreement with Keras Conv1D over many seeds."""

from __future__ import annotations

import numpy as np
import pytest

from convgrade import exercises
from tests.keras_oracle import conv


def test_lecture_example():
    ex = exercises.generate("conv1d", params={"input": list(range(7)), "kernel": [1, 2]})
    assert ex.answer == {"length": 6, "output": [2, 5, 8, 11, 14, 17]}
    assert [m.id for m in ex.misconceptions] == ["flipped_kernel", "size_off_by_one"]
    assert ex.misconception("flipped_kernel").answers["output"] == [1, 4, 7, 10, 13, 16]


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(150):
        ex = exercises.generate("conv1d", seed=seed, difficulty=difficulty)
        p = ex.params
        x = np.array(p["input"], float)[:, None]
        k = np.array(p["kernel"], float)[:, None, None]
        want = conv(x, k, p["strides"], p["padding"])[:, 0]
        assert ex.answer["length"] == len(want), p
        np.testing.assert_array_equal(ex.answer["output"], want, err_msg=str(p))
