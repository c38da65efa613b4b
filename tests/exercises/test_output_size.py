"""output_size: lecture examples, validation, and agreement with real Keras layers on zeros."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convgrade import exercises
from tests.conftest import ROOT
from tests.keras_oracle import keras


def _size(params):
    return exercises.generate("output_size", params=params).answer["size"]


def test_lecture_examples():
    lecture = json.loads((ROOT / "examples" / "lecture-output-size.json").read_text())
    assert _size(lecture["params"]) == [4, 4]  # floor((5 + 4 - 3) / 2) + 1
    assert _size({"layer": "Conv1D", "input_size": 7, "kernel_size": 2}) == 6
    same = {"layer": "Conv2D", "input_size": [7, 6], "kernel_size": 3, "strides": 2}
    assert _size({**same, "padding": "same"}) == [4, 3]  # ceil(7/2), ceil(6/2)
    assert _size({**same, "padding": "valid"}) == [3, 2]
    assert _size({"layer": "MaxPooling2D", "input_size": [30, 30]}) == [15, 15]  # pool 2, s 2
    assert _size({"layer": "AveragePooling1D", "input_size": 7, "pool_size": 3}) == 2


def test_misconceptions():
    ex = exercises.generate(
        "output_size", params={"layer": "MaxPooling1D", "input_size": 9, "pool_size": 2}
    )
    assert ex.answer["size"] == 4
    wrong = {m.id: m.answers["size"] for m in ex.misconceptions}
    assert wrong == {"size_off_by_one": 3, "size_ceil_for_valid": 5, "pool_stride_one": 8}
    ex = exercises.generate(
        "output_size",
        params={
            "layer": "Conv1D",
            "input_size": 9,
            "kernel_size": 4,
            "strides": 2,
            "padding": "same",
        },
    )
    wrong = {m.id: m.answers["size"] for m in ex.misconceptions}
    assert ex.answer["size"] == 5
    assert wrong == {"size_floor_for_same": 4, "size_no_padding": 3, "ignored_stride": 9}


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"layer": "Conv2D", "input_size": [5, 5]}, "kernel_size"),
        ({"layer": "Conv2D", "input_size": [5, 5], "kernel_size": 3, "pool_size": 2}, "pool_size"),
        ({"layer": "MaxPooling2D", "input_size": [5, 5], "kernel_size": 3}, "kernel_size"),
        ({"layer": "Conv2D", "input_size": 5, "kernel_size": 3}, "input_size"),
        ({"layer": "Conv1D", "input_size": 4, "kernel_size": 7, "padding": 1}, "kernel_size"),
        ({"layer": "Conv1D", "input_size": 4, "kernel_size": 2, "strides": 0}, "strides"),
        ({"layer": "Conv1D", "input_size": 4, "kernel_size": 2, "padding": "full"}, "padding"),
        ({"layer": "Conv3D", "input_size": 4}, "layer"),
    ],
)
def test_bad_params(params, needle):
    with pytest.raises(exercises.ParamError, match=f"'{needle}'"):
        exercises.generate("output_size", params=params)


def keras_size(p):
    """Run the real layer on a zeros tensor (explicit padding: ZeroPadding1D/2D first)."""
    k = keras()
    two_d = p["layer"].endswith("2D")
    size = p["input_size"] if two_d else [p["input_size"]]
    x = np.zeros((1, *size, 1), "float32")
    padding = p["padding"]
    if isinstance(padding, int):
        x = (k.layers.ZeroPadding2D if two_d else k.layers.ZeroPadding1D)(padding)(x)
        padding = "valid"
    cls = getattr(k.layers, p["layer"])
    if p["layer"].startswith("Conv"):
        layer = cls(1, p["kernel_size"], strides=p["strides"] or 1, padding=padding)
    else:
        layer = cls(p["pool_size"], strides=p["strides"], padding=padding)
    out = list(layer(x).shape[1:-1])
    return out if two_d else out[0]


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(100):
        ex = exercises.generate("output_size", seed=seed, difficulty=difficulty)
        assert ex.answer["size"] == keras_size(ex.params), ex.params
