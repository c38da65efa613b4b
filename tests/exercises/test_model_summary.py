"""model_summary: the lecture CIFAR-10 model, validation, agreement with built Keras models."""

from __future__ import annotations

import json

import pytest
from convgrade.exercises.reference.layers import model_code

from convgrade import exercises
from tests.conftest import ROOT
from tests.keras_models import sequential, summary
from tests.keras_oracle import keras

CIFAR = json.loads((ROOT / "examples" / "lecture-cifar10-model.json").read_text())


def test_lecture_cifar10_model():
    ex = exercises.generate("model_summary", params=CIFAR["params"])
    # Hand-computed in the lecture: 3·3·3·8+8, 3·3·8·16+16, 3·3·16·16+16, 4·4·16·32+32, 32·10+10.
    assert ex.answer["params"] == [224, 0, 1168, 0, 2320, 0, 8224, 330]
    assert ex.answer["total"] == 12266
    assert ex.answer["shapes"][:6] == [
        [30, 30, 8], [15, 15, 8], [13, 13, 16], [6, 6, 16], [4, 4, 16], [256]
    ]  # fmt: skip
    assert "trainable" not in ex.answer
    ids = [m.id for m in ex.misconceptions]
    assert ids == [
        "forgot_bias",
        "bias_per_input_channel",
        "forgot_input_channels",
        "pool_stride_one",
        "channels_added",
        "flatten_has_params",
    ]
    assert ex.misconception("forgot_bias").answers["total"] == 12266 - (8 + 16 + 16 + 32 + 10)


def test_dense_on_a_sequence_and_batchnorm():
    ex = exercises.generate(
        "model_summary",
        params={
            "input_shape": [10],
            "layers": [
                {"class_name": "Embedding", "input_dim": 100, "output_dim": 8},
                {"class_name": "Dense", "units": 4},
                {"class_name": "BatchNormalization"},
                {"class_name": "Flatten"},
                {"class_name": "Dense", "units": 1, "use_bias": False},
            ],
        },
    )
    assert ex.answer == {
        "shapes": [[10, 8], [10, 4], [10, 4], [40], [1]],
        "params": [800, 36, 16, 0, 40],
        "total": 892,
        "trainable": 884,
    }
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["dense_all_axes"]["params"][1] == 80 * 4 + 4
    assert wrong["embedding_bias"]["params"][0] == 808
    assert wrong["batchnorm_all_trainable"] == {"trainable": 892}
    assert wrong["batchnorm_only_trainable"]["total"] == 884


def _bad(params, needle):
    with pytest.raises(exercises.ParamError, match=needle):
        exercises.generate("model_summary", params=params)


def test_bad_params_name_the_layer_argument():
    conv = {"class_name": "Conv2D", "filters": 2, "kernel_size": 5}
    _bad({"input_shape": [4, 4, 1], "layers": [conv]}, r"layers\[0\]\.kernel_size")
    _bad({"input_shape": [8, 8, 1], "layers": [conv, conv]}, r"layers\[1\]\.kernel_size")
    _bad({"input_shape": [8], "layers": [conv]}, r"layers\[0\]'.*rank 3")
    _bad({"input_shape": [8, 8, 1], "layers": [{**conv, "stride": 2}]}, r"layers\[0\]\.stride")
    _bad({"input_shape": [8, 8, 1], "layers": [{"class_name": "Dense"}]}, r"layers\[0\]\.units")
    _bad({"input_shape": [8, 8, 1], "layers": [{**conv, "strides": None}]}, r"layers\[0\]\.strides")
    pool = {"class_name": "MaxPooling2D", "strides": None}
    assert exercises.generate(
        "model_summary", params={"input_shape": [8, 8, 1], "layers": [pool]}
    ).answer["shapes"] == [[4, 4, 1]]
    _bad({"input_shape": [8, 8, 1], "layers": [{"class_name": "Conv3D"}]}, "class_name")
    _bad({"input_shape": [8, 8, 1], "layers": [{**conv, "padding": "full"}]}, "padding")
    _bad({"input_shape": [8, 0, 1], "layers": [conv]}, "input_shape")
    emb = {"class_name": "Embedding", "input_dim": 10, "output_dim": 2}
    _bad({"input_shape": [8], "layers": [emb, emb]}, r"layers\[1\]\.class_name")
    _bad({"input_shape": [8, 8, 1], "layers": []}, "'layers'")


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(100):
        ex = exercises.generate("model_summary", seed=seed, difficulty=difficulty)
        p = ex.params
        want = summary(sequential(p["input_shape"], p["layers"]))
        if "trainable" not in ex.answer:
            assert want["trainable"] == want["total"], p
            del want["trainable"]
        assert ex.answer == want, p


@pytest.mark.tf
def test_the_shown_code_builds_the_same_model():
    for seed in range(10):
        ex = exercises.generate("model_summary", seed=seed, difficulty=3)
        scope = {"keras": keras()}
        code = model_code(ex.params["input_shape"], ex.params["layers"])
        exec(code.replace("import keras\n", ""), scope)  # our own generated code
        assert scope["model"].count_params() == ex.answer["total"], code


def test_cli_names_the_layer_that_does_not_fit(grade):
    r = grade(
        "generate",
        "model_summary",
        "--param",
        "input_shape=[4,4,1]",
        "--param",
        'layers=[{"class_name": "Conv2D", "filters": 2, "kernel_size": 5}]',
    )
    assert r.returncode == 2, r
    assert "parameter 'layers[0].kernel_size'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_cli_renders_the_lecture_model(grade):
    r = grade(
        "generate",
        "model_summary",
        "--param",
        f"input_shape={json.dumps(CIFAR['params']['input_shape'])}",
        "--param",
        f"layers={json.dumps(CIFAR['params']['layers'])}",
        "--format",
        "markdown",
    )
    assert r.returncode == 0, r.stderr
    assert 'layers.Conv2D(filters=8, kernel_size=3, activation="relu"),' in r.stdout


@pytest.mark.tf
@pytest.mark.parametrize("input_shape", [[28, 4], [40], [20, 20, 1]])
def test_given_input_shape_picks_the_model_family(input_shape):
    for seed in range(20):
        ex = exercises.generate(
            "model_summary", seed=seed, difficulty=3, params={"input_shape": input_shape}
        )
        p = ex.params
        assert p["input_shape"] == input_shape
        want = summary(sequential(p["input_shape"], p["layers"]))
        assert ex.answer["shapes"] == want["shapes"] and ex.answer["total"] == want["total"], p
