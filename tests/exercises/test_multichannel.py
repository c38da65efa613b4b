"""conv2d_multichannel: a hand-checked example, agreement with Keras Conv2D, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from convgrade import exercises
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
