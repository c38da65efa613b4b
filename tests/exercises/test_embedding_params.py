"""embedding_params: a lecture-style text model, validation, and agreement with Keras."""

from __future__ import annotations

import json

import pytest

from convgrade import exercises
from tests.conftest import ROOT
from tests.keras_models import sequential, summary

TEXT = json.loads((ROOT / "examples" / "lecture-text-model.json").read_text())


def test_text_model_example():
    ex = exercises.generate("embedding_params", params=TEXT["params"])
    # 10000·16; 5·16·32 + 32; 0; 32·1 + 1
    assert ex.answer == {"params": [160000, 2592, 0, 33], "total": 162625}
    wrong = {m.id: m.answers for m in ex.misconceptions}
    assert wrong["embedding_bias"] == {"params": [160016, 2592, 0, 33], "total": 162641}
    assert wrong["forgot_bias"] == {"params": [160000, 2560, 0, 32], "total": 162592}
    assert wrong["forgot_input_channels"]["params"][1] == 5 * 32 + 32
    assert "shapes" not in ex.answer


def test_reuses_model_summary_answers():
    p = exercises.generate("embedding_params", seed=3, difficulty=3).params
    ms = exercises.generate("model_summary", params=p)
    ep = exercises.generate("embedding_params", params=p)
    assert ep.answer == {k: v for k, v in ms.answer.items() if k != "shapes"}


def test_bad_params():
    layers = TEXT["params"]["layers"]
    with pytest.raises(exercises.ParamError, match=r"layers\[0\]\.class_name"):
        exercises.generate("embedding_params", params={"input_shape": [10], "layers": layers[1:]})
    with pytest.raises(exercises.ParamError, match="input_shape"):
        exercises.generate("embedding_params", params={"input_shape": [10, 4], "layers": layers})
    with pytest.raises(exercises.ParamError, match=r"layers\[1\]\.kernel_size"):
        exercises.generate("embedding_params", params={"input_shape": [4], "layers": layers})
    bad = [{**layers[0], "input_dim": 0}, *layers[1:]]
    with pytest.raises(exercises.ParamError, match=r"layers\[0\]\.input_dim"):
        exercises.generate("embedding_params", params={"input_shape": [10], "layers": bad})


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(100):
        ex = exercises.generate("embedding_params", seed=seed, difficulty=difficulty)
        p = ex.params
        assert p["layers"][0]["class_name"] == "Embedding"
        want = summary(sequential(p["input_shape"], p["layers"]))
        assert ex.answer["params"] == want["params"], p
        assert ex.answer["total"] == want["total"], p
        assert ex.answer.get("trainable", want["total"]) == want["trainable"], p
