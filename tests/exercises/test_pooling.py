"""pooling: hand-checked examples, agreement with Keras pooling layers, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from convgrade import exercises
from tests import numpy_oracle
from tests.exercises.sizes_support import assert_values_vary, draws
from tests.keras_oracle import pool

X4 = [[1, 3, 2, 4], [5, 6, 1, 2], [7, 0, 9, 8], [3, 4, 5, 6]]


def test_max_pooling_defaults_to_strides_equal_pool_size():
    ex = exercises.generate("pooling", params={"input": X4})  # mode max, pool 2, valid
    assert ex.answer == {"shape": [2, 2], "output": [[6, 4], [7, 9]]}
    pools = [s for s in ex.solution if s["step"] == "pool"]
    assert pools[0] == {
        "step": "pool",
        "label": "y[0,0]",
        "op": "max",
        "values": [1, 3, 5, 6],
        "result": 6,
    }
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["pool_stride_one"]["shape"] == [3, 3]
    assert wrong["pool_stride_one"]["output"][0] == [6, 6, 4]
    assert wrong["avg_instead_of_max"] == {"output": [[3.75, 2.25], [3.5, 7.0]]}


def test_average_same_padding_counts_only_real_cells():
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    ex = exercises.generate("pooling", params={"input": x, "mode": "average", "padding": "same"})
    # ceil(3 / 2) = 2; one padded row/column at the bottom/right.
    assert ex.answer["shape"] == [2, 2]
    assert ex.answer["output"] == [[3.0, 4.5], [7.5, 9.0]]
    assert ex.part("output").tolerance > 0
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["avg_counts_padding"] == {"output": [[3.0, 2.25], [3.75, 2.25]]}
    assert wrong["max_instead_of_avg"] == {"output": [[5, 6], [8, 9]]}
    pools = [s for s in ex.solution if s["step"] == "pool"]
    assert pools[1]["values"] == [3, 6] and pools[1]["op"] == "mean"


def _same_padded(p):
    """p's input zero-padded as Keras 'same' pads it (extra row/column at the bottom/right)."""
    x = np.array(p["input"], float)
    ks = p["pool_size"] if isinstance(p["pool_size"], list) else [p["pool_size"]] * 2
    s = p["strides"] or ks
    s = s if isinstance(s, list) else [s] * 2
    pads = []
    for n, k, st in zip(x.shape, ks, s):
        total = max((-(-n // st) - 1) * st + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, pads)


def _keras(p):
    return pool(np.array(p["input"], float), p["pool_size"], p["strides"], p["padding"], p["mode"])


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(80):
        ex = exercises.generate("pooling", seed=seed, difficulty=difficulty)
        want = _keras(ex.params)
        assert ex.answer["shape"] == list(want.shape), ex.params
        np.testing.assert_allclose(ex.answer["output"], want, atol=1e-9, err_msg=str(ex.params))
        # Misconceptions that are one Keras layer with other settings.
        for m in ex.misconceptions:
            q = dict(ex.params)
            if m.id == "pool_stride_one":
                q["strides"] = 1
            elif m.id in ("avg_instead_of_max", "max_instead_of_avg"):
                q["mode"] = "average" if q["mode"] == "max" else "max"
            elif m.id == "avg_counts_padding":
                # Averaging over the zero-padded input with 'valid' counts the padded zeros.
                q["input"] = _same_padded(ex.params)
                q["padding"] = "valid"
            else:
                raise AssertionError(f"unexpected misconception {m.id}")
            np.testing.assert_allclose(m.answers["output"], _keras(q), atol=1e-9)


def test_random_instances_are_hand_computable():
    for difficulty in (1, 2, 3):
        for seed in range(100):
            ex = exercises.generate("pooling", seed=seed, difficulty=difficulty)
            x, y = np.array(ex.params["input"]), np.array(ex.answer["output"])
            assert max(x.shape) <= 9 and min(y.shape) >= 2 and max(y.shape) <= 3
            if ex.params["mode"] == "average" and difficulty < 3:
                assert np.all((y * 4) == np.round(y * 4)), "averages are multiples of 0.25"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"input": [[1, 2], [3, 4]], "pool_size": 3}, "pool_size"),
        ({"input": [[1, 2], [3, 4]], "pool_size": 0}, "pool_size"),
        ({"input": [[1, 2], [3, 4]], "strides": 0}, "strides"),
        ({"input": [[1, 2], [3, 4]], "mode": "min"}, "mode"),
        ({"input": [[1, 2], [3, 4]], "padding": 1}, "padding"),
        ({"input": [[[1, 2], [3, 4]]]}, "input"),
    ],
)
def test_bad_params_name_the_parameter(params, name):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}'"):
        exercises.generate("pooling", params=params)


def test_same_padding_lets_a_large_pool_through():
    ex = exercises.generate(
        "pooling", params={"input": [[1, 2], [3, 4]], "pool_size": 3, "padding": "same"}
    )
    assert ex.answer == {"shape": [1, 1], "output": [[4]]}


@pytest.mark.parametrize("side", [4, 6])
def test_sizes_can_be_fixed_while_values_stay_random(side):
    """A 4x4 or 6x6 input, 2x2 pool, stride 2, at every difficulty: values and mode drawn."""
    params = {"input_shape": [side, side], "pool_size": 2, "strides": 2, "padding": "valid"}
    exs = draws("pooling", params)
    for ex in exs:
        p = ex.params
        assert np.shape(p["input"]) == (side, side) and "input_shape" not in p
        assert ex.answer["shape"] == [side // 2] * 2
        want = numpy_oracle.pool2d(p["input"], p["pool_size"], p["strides"], p["padding"],
                                   p["mode"])  # fmt: skip
        np.testing.assert_allclose(ex.answer["output"], want, atol=1e-9)
    assert_values_vary(exs)
    assert {ex.params["mode"] for ex in exs} == {"max", "average"}


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"input_shape": 2, "pool_size": 3, "padding": "valid"}, "pool_size",
         r"a pool of at most 2 x 2 \(the padded input\), not 3 x 3"),
        ({"input_shape": [6, 6, 1]}, "input_shape", "an integer or a pair of integers"),
        ({"input_shape": 13}, "input_shape", "an integer from 1 to 12"),
        ({"input": [[1, 2], [3, 4]], "input_shape": 3}, "input_shape",
         r"the input's size \(2 x 2\)"),
    ],
)  # fmt: skip
def test_bad_size_constraints_name_the_parameter_at_once(params, name, expected):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}': expected {expected}"):
        exercises.generate("pooling", seed=1, params=params)


@pytest.mark.tf
def test_lecture_sizes_agree_with_keras():
    for seed in range(6):
        params = {"input_shape": 6, "pool_size": 2, "strides": 2}
        ex = exercises.generate("pooling", seed=seed, difficulty=3, params=params)
        np.testing.assert_allclose(ex.answer["output"], _keras(ex.params), atol=1e-9)
