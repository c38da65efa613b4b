"""conv_params: the lecture's layer exercises, validation, and agreement with Keras count_params."""

from __future__ import annotations

import json

import pytest

from convgrade import exercises
from tests.conftest import ROOT
from tests.keras_models import sequential


def _example(name):
    return json.loads((ROOT / "examples" / name).read_text())["params"]


def test_lecture_four_layers():
    ex = exercises.generate("conv_params", params=_example("lecture-conv-params.json"))
    # 4·4·3·8+8, 2·2·8·16+16, 3·3·16·4+4, 5·5·4·4+4
    assert ex.answer == {"params": [392, 528, 580, 404], "total": 1904}
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["forgot_bias"] == {"params": [384, 512, 576, 400], "total": 1872}
    assert wrong["bias_per_input_channel"] == {"params": [387, 520, 592, 404], "total": 1903}
    assert wrong["forgot_input_channels"]["params"] == [136, 80, 40, 104]


def test_lecture_single_layer():
    ex = exercises.generate("conv_params", params=_example("lecture-conv-params-single.json"))
    assert ex.answer == {"params": [2432], "total": 2432}


def test_no_bias_and_conv1d():
    layers = [
        {"class_name": "Conv1D", "filters": 4, "kernel_size": 3, "input_channels": 2},
        {"class_name": "Conv1D", "filters": 5, "kernel_size": 2, "use_bias": False},
    ]
    ex = exercises.generate("conv_params", params={"layers": layers})
    assert ex.answer == {"params": [3 * 2 * 4 + 4, 2 * 4 * 5], "total": 68}
    assert ex.params["layers"][0]["use_bias"] is True


@pytest.mark.parametrize(
    "layers, needle",
    [
        (
            [{"class_name": "Conv2D", "filters": 4, "kernel_size": 3}],
            r"layers\[0\]\.input_channels",
        ),
        (
            [
                {"class_name": "Conv2D", "filters": 4, "kernel_size": 3, "input_channels": 1},
                {"class_name": "Conv2D", "filters": 4, "kernel_size": 3, "input_channels": 3},
            ],
            r"layers\[1\]\.input_channels",
        ),
        (
            [
                {"class_name": "Conv2D", "filters": 4, "kernel_size": 3, "input_channels": 1},
                {"class_name": "Conv1D", "filters": 4, "kernel_size": 3},
            ],
            r"layers\[1\]\.class_name",
        ),
        ([{"class_name": "Dense", "units": 3}], r"layers\[0\]\.class_name"),
        (
            [{"class_name": "Conv2D", "filters": 4, "kernel_size": [3, 3, 3], "input_channels": 1}],
            r"layers\[0\]\.kernel_size",
        ),
        (
            [{"class_name": "Conv2D", "filters": 0, "kernel_size": 3, "input_channels": 1}],
            r"layers\[0\]\.filters",
        ),
        (
            [{"class_name": "Conv2D", "filters": 2, "kernel_size": 3, "input_channels": 1,
              "strides": 2}],
            r"layers\[0\]\.strides",
        ),
        ([], "'layers'"),
    ],
)  # fmt: skip
def test_bad_params_name_the_layer(layers, needle):
    with pytest.raises(exercises.ParamError, match=needle):
        exercises.generate("conv_params", params={"layers": layers})


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(100):
        ex = exercises.generate("conv_params", seed=seed, difficulty=difficulty)
        layers = ex.params["layers"]
        c = layers[0]["input_channels"]
        spatial = [None] if layers[0]["class_name"] == "Conv1D" else [None, None]
        model = sequential([*spatial, c], layers)
        assert ex.answer["params"] == [layer.count_params() for layer in model.layers], layers
        assert ex.answer["total"] == model.count_params(), layers
