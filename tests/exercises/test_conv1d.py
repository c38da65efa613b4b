"""conv1d: fixed lecture example, and agreement with Keras Conv1D over many seeds."""

from __future__ import annotations

import numpy as np
import pytest

from convgrade import exercises
from tests import numpy_oracle
from tests.exercises.sizes_support import assert_values_vary, draws
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


LECTURE_1D = {"input_shape": 10, "kernel_size": 3, "strides": 1, "padding": "valid"}


def test_sizes_can_be_fixed_while_values_stay_random():
    """A length-10 input and a 3-tap kernel for every seed and difficulty, values drawn."""
    exs = draws("conv1d", LECTURE_1D, seeds=8)
    for ex in exs:
        p = ex.params
        assert len(p["input"]) == 10 and len(p["kernel"]) == 3 and ex.answer["length"] == 8
        want = numpy_oracle.conv1d(p["input"], p["kernel"], p["strides"], p["padding"])
        np.testing.assert_array_equal(ex.answer["output"], want)
        assert "input_shape" not in p and "kernel_size" not in p  # params stay Keras's
    assert_values_vary(exs)
    assert len({str(ex.params["kernel"]) for ex in exs}) > 1


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"kernel_size": 1}, "kernel_size", "at least 2 for a random kernel"),
        ({"kernel_size": 12, "input_shape": 10}, "kernel_size", "at most 10 entries"),
        ({"kernel_size": [3, 3]}, "kernel_size", "an integer from 1 to 16 or a list of one"),
        ({"input_shape": 17}, "input_shape", "an integer from 1 to 16"),
        ({"input": [1, 2, 3, 4], "input_shape": 5}, "input_shape", r"the input's size \(4\)"),
    ],
)
def test_bad_size_constraints_name_the_parameter(params, name, expected):
    params = {"padding": "valid", **params}
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}': expected {expected}"):
        exercises.generate("conv1d", seed=1, params=params)
