"""conv2d_multichannel: a hand-checked example, agreement with Keras Conv2D, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from convgrade import exercises
from tests import numpy_oracle
from tests.exercises.sizes_support import assert_values_vary, draws
from tests.keras_oracle import conv

# 3x3 input, 2 channels: channel 0 = 0..8, channel 1 = all ones.
X = [[[r * 3 + c, 1] for c in range(3)] for r in range(3)]
# 2x2 kernel, 2 input channels, 1 filter: channel 0 slice [[1,0],[0,1]], channel 1 slice all 2.
K = [[[[1], [2]], [[0], [2]]], [[[0], [2]], [[1], [2]]]]


def test_hand_checked_example_with_bias():
    ex = exercises.generate("conv2d_multichannel", params={"input": X, "kernel": K, "bias": [-1]})
    # y[0,0] = (0 + 4) + 4·1·2 - 1 = 11; each step right adds 2, each step down adds 6.
    assert ex.answer == {"shape": [2, 2, 1], "output": [[[11], [13]], [[17], [19]]]}
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["forgot_bias"] == {"output": [[[12], [14]], [[18], [20]]]}
    assert wrong["single_channel"] == {"output": [[[3], [5]], [[9], [11]]]}
    # Both kernel slices read the same rotated by 180 degrees: flipping cannot be told apart.
    assert "flipped_kernel" not in wrong
    step = next(s for s in ex.solution if s["step"] == "window")
    assert step == {
        "step": "window",
        "label": "y[0,0,0]",
        "values": [0, 1, 3, 4, 1, 1, 1, 1],
        "weights": [1, 0, 0, 1, 2, 2, 2, 2],
        "bias": -1,
        "sum": 11,
    }


def test_without_bias_by_default():
    ex = exercises.generate("conv2d_multichannel", params={"input": X, "kernel": K})
    assert ex.params["bias"] is None
    assert ex.answer["output"][0][0] == [12]
    assert "forgot_bias" not in [m.id for m in ex.misconceptions]


def _keras(p):
    x, k = np.array(p["input"], float), np.array(p["kernel"], float)
    return conv(x, k, p["strides"], p["padding"], bias=p["bias"])


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(70):
        ex = exercises.generate("conv2d_multichannel", seed=seed, difficulty=difficulty)
        want = _keras(ex.params)
        assert ex.answer["shape"] == list(want.shape), ex.params
        np.testing.assert_array_equal(ex.answer["output"], want, err_msg=str(ex.params))
        for m in ex.misconceptions:
            if m.id == "forgot_bias":
                q = {**ex.params, "bias": None}
            elif m.id == "single_channel":
                x, k = np.array(ex.params["input"]), np.array(ex.params["kernel"])
                q = {**ex.params, "input": x[..., :1], "kernel": k[:, :, :1, :]}
            else:
                continue
            np.testing.assert_array_equal(m.answers["output"], _keras(q))


def test_random_instances_are_hand_computable():
    for difficulty in (1, 2, 3):
        for seed in range(60):
            ex = exercises.generate("conv2d_multichannel", seed=seed, difficulty=difficulty)
            x, k = np.array(ex.params["input"]), np.array(ex.params["kernel"])
            y = np.array(ex.answer["output"])
            assert max(x.shape[:2]) <= 6 and x.shape[2] <= 3 and k.shape[3] <= 2
            assert y.shape[0] * y.shape[1] * y.shape[2] <= 18
            assert np.abs(x).max() <= 3 and np.abs(k).max() <= 3


@pytest.mark.parametrize(
    "params, name",
    [
        ({"input": X, "kernel": [[[[1]]]]}, "kernel"),  # 1 input channel, input has 2
        ({"input": X, "kernel": K, "bias": [1, 2]}, "bias"),
        ({"input": X, "kernel": K, "bias": 3}, "bias"),
        ({"input": [[1, 2], [3, 4]], "kernel": K}, "input"),
        ({"input": X, "kernel": [[1, 2], [3, 4]]}, "kernel"),
        ({"input": X, "kernel": [[[[1]] * 2] * 4] * 4}, "kernel"),  # 4x4 > 3x3 input
        ({"input": X, "kernel": K, "strides": 0}, "strides"),
    ],
)
def test_bad_params_name_the_parameter(params, name):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}'"):
        exercises.generate("conv2d_multichannel", params=params)


LECTURE_RGB = {"input_shape": [5, 5, 3], "kernel_size": 3, "padding": 1, "strides": 2}


@pytest.mark.parametrize("filters", [None, 2])
def test_sizes_can_be_fixed_while_values_stay_random(filters):
    """Three channels, a 5x5 input, a 3x3 kernel, padding 1, stride 2: a 3x3 output per filter."""
    params = {**LECTURE_RGB, "filters": filters}
    exs = draws("conv2d_multichannel", params)
    for ex in exs:
        p = ex.params
        f = np.shape(p["kernel"])[3]
        assert np.shape(p["input"]) == (5, 5, 3) and np.shape(p["kernel"])[:3] == (3, 3, 3)
        assert f == filters if filters else f <= 2
        assert ex.answer["shape"] == [3, 3, f]
        want = numpy_oracle.conv2d(p["input"], p["kernel"], p["strides"], p["padding"], p["bias"])
        np.testing.assert_array_equal(ex.answer["output"], want)
        assert not {"input_shape", "kernel_size", "filters"} & set(p)
    assert_values_vary(exs)


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"input_shape": [5, 5, 9]}, "input_shape", r"\[rows, cols, channels\] with 1 to 4"),
        ({"input_shape": [5, 5, 3, 1]}, "input_shape", r"an integer, \[rows, cols\] or"),
        ({"filters": 5}, "filters", "an integer from 1 to 4"),
        ({"filters": 2, "bias": [1]}, "bias", "a list of 2 numbers"),
        ({"kernel": [[[[1, 2]], [[3, 4]]]], "input_shape": [3, 3, 2]}, "input_shape", "1 channels"),
        ({"kernel_size": 3, "input_shape": [2, 2, 3], "padding": "valid"}, "kernel_size",
         "a kernel of at most 2 x 2"),
        ({"input": X, "kernel_size": 3, "kernel": K}, "kernel_size", r"the kernel's size \(2 x 2"),
    ],
)  # fmt: skip
def test_bad_size_constraints_name_the_parameter(params, name, expected):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}': expected {expected}"):
        exercises.generate("conv2d_multichannel", seed=1, params=params)


@pytest.mark.tf
def test_lecture_sizes_agree_with_keras():
    for seed in range(5):
        params = {**LECTURE_RGB, "filters": 2}
        ex = exercises.generate("conv2d_multichannel", seed=seed, difficulty=3, params=params)
        np.testing.assert_array_equal(ex.answer["output"], _keras(ex.params))


def test_a_non_square_kernel_size_gets_an_input_it_fits():
    """A 2x3 kernel used to get a square input drawn for its 2 rows: one output column, so
    every draw was degenerate and the spec failed."""
    for seed in range(10):
        params = {"kernel_size": [2, 3], "padding": "valid"}
        ex = exercises.generate("conv2d_multichannel", seed=seed, params=params)
        assert np.shape(ex.params["kernel"])[:2] == (2, 3) and min(ex.answer["shape"][:2]) >= 2
