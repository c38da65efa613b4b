"""conv2d_pool: the lecture's conv-then-pool chain, agreement with Keras, misconception parts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convgrade import exercises
from tests import numpy_oracle
from tests.exercises.sizes_support import assert_values_vary, draws
from tests.exercises.test_conv2d import EXAMPLES, LECTURE_5X5, LECTURE_KERNEL
from tests.keras_oracle import conv, pool


def test_lecture_chain():
    params = {"input": LECTURE_5X5, "kernel": LECTURE_KERNEL, "padding": 2, "strides": 2}
    ex = exercises.generate("conv2d_pool", params=params)  # defaults: 2x2 max pooling
    spec = json.loads((EXAMPLES / "lecture-conv2d-pool-5x5.json").read_text())
    assert exercises.generate(**spec).to_dict() == ex.to_dict()
    assert ex.params["mode"] == "max" and ex.params["pool_size"] == 2
    conv_out = exercises.generate("conv2d", params=params).answer["output"]
    assert ex.answer["conv_shape"] == [4, 4]
    assert ex.answer["conv_output"] == conv_out
    assert ex.answer["pool_shape"] == [2, 2]
    c = np.array(conv_out)
    want = [[c[:2, :2].max(), c[:2, 2:].max()], [c[2:, :2].max(), c[2:, 2:].max()]]
    assert ex.answer["pool_output"] == want
    wrong = {m.id: m.answers for m in ex.misconceptions}
    # A conv misconception carries through to the pooling parts; a pooling one does not touch
    # the convolution parts.
    assert set(wrong["no_padding"]) == {"conv_shape", "conv_output", "pool_shape", "pool_output"}
    assert wrong["no_padding"]["pool_shape"] == [1, 1]
    assert set(wrong["pool_stride_one"]) == {"pool_shape", "pool_output"}
    assert wrong["pool_stride_one"]["pool_shape"] == [3, 3]
    assert set(wrong["avg_instead_of_max"]) == {"pool_output"}
    steps = [s["step"] for s in ex.solution]
    assert steps.count("window") == 16 and steps.count("pool") == 4


POOL_MISCONCEPTIONS = {
    "pool_stride_one",
    "avg_instead_of_max",
    "max_instead_of_avg",
    "avg_counts_padding",
}


def _keras(p):
    x = np.array(p["input"], float)[..., None]
    k = np.array(p["kernel"], float)[..., None, None]
    y = conv(x, k, p["strides"], p["padding"])[..., 0]
    z = pool(y, p["pool_size"], p["pool_strides"], p["pool_padding"], p["mode"])
    return y, z


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(70):
        ex = exercises.generate("conv2d_pool", seed=seed, difficulty=difficulty)
        y, z = _keras(ex.params)
        assert ex.answer["conv_shape"] == list(y.shape), ex.params
        np.testing.assert_array_equal(ex.answer["conv_output"], y, err_msg=str(ex.params))
        assert ex.answer["pool_shape"] == list(z.shape), ex.params
        np.testing.assert_allclose(ex.answer["pool_output"], z, atol=1e-9, err_msg=str(ex.params))
        p = ex.params
        for m in ex.misconceptions:
            a = m.answers
            if m.id in POOL_MISCONCEPTIONS:
                assert set(a) <= {"pool_shape", "pool_output"}, m.id
            elif "conv_output" in a and "pool_output" in a:
                # A convolution mistake carries into the pooling: Keras pools the wrong y.
                want = pool(np.array(a["conv_output"], float), p["pool_size"], p["pool_strides"],
                            p["pool_padding"], p["mode"])  # fmt: skip
                np.testing.assert_allclose(a["pool_output"], want, atol=1e-9, err_msg=m.id)


def test_random_instances_are_hand_computable():
    for difficulty in (1, 2, 3):
        for seed in range(60):
            ex = exercises.generate("conv2d_pool", seed=seed, difficulty=difficulty)
            x = np.array(ex.params["input"])
            assert max(x.shape) <= 9
            assert min(ex.answer["pool_shape"]) >= 2 and max(ex.answer["pool_shape"]) <= 3
            assert max(ex.answer["conv_shape"]) <= 5


@pytest.mark.parametrize(
    "params, name",
    [
        ({"input": [[1, 2, 3]] * 3, "kernel": [[1, 1]] * 2, "pool_size": 3}, "pool_size"),
        ({"input": [[1, 2, 3]] * 3, "kernel": [[1]] * 4}, "kernel"),
        ({"input": [[1, 2, 3]] * 3, "kernel": [[1]], "mode": "sum"}, "mode"),
        ({"input": [[1, 2, 3]] * 3, "kernel": [[1]], "pool_strides": 0}, "pool_strides"),
        ({"input": [[1, 2, 3]] * 3, "kernel": [[1]], "pool_padding": 2}, "pool_padding"),
    ],
)
def test_bad_params_name_the_parameter(params, name):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}'"):
        exercises.generate("conv2d_pool", params=params)


LECTURE_CHAIN = {"input_shape": 6, "kernel_size": 3, "padding": "valid", "strides": 1,
                 "mode": "max", "pool_size": 2}  # fmt: skip


def _numpy(p):
    x, k = np.array(p["input"])[..., None], np.array(p["kernel"])[..., None, None]
    y = numpy_oracle.conv2d(x, k, p["strides"], p["padding"])[..., 0]
    z = numpy_oracle.pool2d(y, p["pool_size"], p["pool_strides"], p["pool_padding"], p["mode"])
    return y, z


def test_sizes_can_be_fixed_while_values_stay_random():
    """A 6x6 input, a 3x3 kernel, then 2x2 max pooling: 4x4, then 2x2, values drawn."""
    exs = draws("conv2d_pool", LECTURE_CHAIN)
    for ex in exs:
        p = ex.params
        assert np.shape(p["input"]) == (6, 6) and np.shape(p["kernel"]) == (3, 3)
        assert ex.answer["conv_shape"] == [4, 4] and ex.answer["pool_shape"] == [2, 2]
        y, z = _numpy(p)
        np.testing.assert_array_equal(ex.answer["conv_output"], y)
        np.testing.assert_array_equal(ex.answer["pool_output"], z)
        assert "input_shape" not in p and "kernel_size" not in p
    assert_values_vary(exs)


def test_a_large_convolution_output_gets_the_levels_own_pooling():
    """Without pooling parameters, a 10x10 convolution output is pooled as the level pools (2x2
    'valid' at difficulty 1), not with a 'same' fallback."""
    params = {"input_shape": 12, "kernel_size": 3, "padding": "valid"}
    ex = exercises.generate("conv2d_pool", seed=4, difficulty=1, params=params)
    assert ex.answer["conv_shape"] == [10, 10] and ex.answer["pool_shape"] == [5, 5]
    assert ex.params["pool_padding"] == "valid"


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"pool_size": 3, "pool_padding": "valid"}, "pool_size",
         r"a pool of at most 2 x 2 \(the padded convolution output\), not 3 x 3"),
        ({"kernel_size": 7}, "kernel_size", r"a kernel of at most 4 x 4 \(the padded input\)"),
        # Without pool_padding the draw may pick 'same', which fits but leaves a 1 x 1 output:
        # the pool is too large for the fixed 2 x 2 convolution output all the same.
        ({"pool_size": 3}, "pool_size", r"a pool of at most 2 x 2 \(the padded convolution"),
        ({"pool_size": 3, "pool_padding": "same"}, "params",
         ".*non-degenerate instance .*fewer than two pooling output"),
    ],
)  # fmt: skip
def test_bad_size_constraints_name_the_parameter(params, name, expected):
    params = {"input_shape": 4, "kernel_size": 3, "padding": "valid", **params}
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}': expected {expected}"):
        exercises.generate("conv2d_pool", seed=1, difficulty=2, params=params)


@pytest.mark.tf
def test_lecture_sizes_agree_with_keras():
    for seed in range(5):
        ex = exercises.generate("conv2d_pool", seed=seed, difficulty=3, params=LECTURE_CHAIN)
        y, z = _keras(ex.params)
        np.testing.assert_array_equal(ex.answer["conv_output"], y)
        np.testing.assert_allclose(ex.answer["pool_output"], z, atol=1e-9)
