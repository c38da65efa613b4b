"""`grade submit` end to end: the isolated worker trains real Keras models on the offline
assignments (small budgets), the lecture's models included; every failure kind of a submission
gives its status and 0 points; reruns are identical."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from convgrade.grader.submit import grade_submission

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "submissions"
BROKEN = EXAMPLES / "broken"

DIGITS_MINI = """
name = "digits-mini"
title = "digits, small budget for tests"
seed = 7
[data]
dataset = "digits"
scale = 0.0625
max_train_samples = 400
max_test_samples = 300
[training]
epochs = {epochs}
batch_size = 32
[limits]
max_params = 50000
time_limit = "{time_limit}"
[scoring]
max_score = 10
tiers = [{{accuracy = 0.3, points = 5}}, {{accuracy = 0.999, points = 10}}]
"""


def _spec(tmp_path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def digits_mini(tmp_path):
    return _spec(tmp_path, DIGITS_MINI.format(epochs=3, time_limit="120s"))


def test_lecture_cnn_on_digits_end_to_end(grade, tmp_path, digits_mini):
    out = tmp_path / "out"
    sub = EXAMPLES / "digits-cnn" / "lecture_cnn.py"
    r = grade("submit", str(sub), "--assignment", digits_mini, "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "epoch 1/3" in r.stderr and "epoch 3/3" in r.stderr and "loss" in r.stderr
    assert "accuracy" in r.stdout and "points" in r.stdout and "params" in r.stdout
    res = json.loads((out / "result.json").read_text())
    assert res["status"] == "ok" and res["epochs"] == res["epochs_run"] == 3
    # Lecture model adapted to 8x8x1, "same" padding: parameters by the Keras formulas.
    conv = (3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (3 * 3 * 16 * 16 + 16)
    assert res["params"] == conv + (2 * 2 * 16 * 32 + 32) + (32 * 10 + 10)
    conf = np.array(res["confusion"])
    assert conf.sum() == 300 and conf.shape == (10, 10)
    assert res["accuracy"] == pytest.approx(np.trace(conf) / 300)
    assert res["accuracy"] > 0.3  # 3 short epochs learn something; chance is 0.1
    assert res["score"] == 5 and res["max_score"] == 10
    assert len(res["history"]["val_accuracy"]) == 3
    gs = json.loads((out / "results.json").read_text())
    assert gs["score"] == 5 and gs["tests"][0]["max_score"] == 10
    html = (out / "report.html").read_text()
    for part in ("Confusion matrix", "Per-class accuracy", "data:image/png;base64,", "Conv2D"):
        assert part in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]

    # Determinism: the same submission again (Python API this time) gives the same numbers.
    again = grade_submission(sub, digits_mini)
    assert again.accuracy == res["accuracy"]
    assert again.history == res["history"]
    # The same code as a notebook (with magics and shell lines) trains to the same accuracy.
    nb = grade_submission(EXAMPLES / "digits-cnn" / "lecture_cnn.ipynb", digits_mini)
    assert nb.status == "ok" and nb.accuracy == res["accuracy"]


def test_own_settings_and_compile(digits_mini):
    res = grade_submission(EXAMPLES / "digits-cnn" / "wider_cnn.py", digits_mini)
    assert res.status == "ok", res.message
    assert res.batch_size == 64
    assert res.epochs == 3  # EPOCHS = 8 asks more than the budget of 3
    assert any("EPOCHS = 8" in n for n in res.notes)


@pytest.mark.parametrize(
    ("name", "status", "needle"),
    [
        ("syntax_error.py", "syntax-error", "line 7"),
        ("import_error.py", "import-error", "kerass"),
        ("no_build_model.py", "no-build-model", "build_model"),
        ("bad_epochs.py", "bad-setting", "EPOCHS"),
        ("not_a_model.py", "bad-model", "list"),
        ("build_error.py", "build-error", "layres"),
        ("wrong_output_shape.py", "bad-shape", "Dense(10)"),
        ("wrong_input_shape.py", "bad-shape", "(8, 8, 1)"),
        ("over_budget.py", "over-budget", "50,000"),
        ("nan_loss.py", "nan-loss", "NaN"),
        ("training_error.py", "training-error", "target"),
        ("compile_error.py", "compile-error", "adamm"),
        ("memory_hog.py", "memory-limit", "line 7"),
    ],
)
def test_each_failure_kind(digits_mini, name, status, needle):
    res = grade_submission(BROKEN / name, digits_mini)
    assert (res.status, res.score, res.accuracy) == (status, 0.0, None), res.message
    assert needle in res.message
    assert "Traceback" not in res.message


def test_time_limit_and_cli_failure_output(grade, tmp_path):
    spec = _spec(tmp_path, DIGITS_MINI.format(epochs=1, time_limit="120s"))
    out = tmp_path / "out"
    r = grade("submit", str(BROKEN / "timeout.py"), "-a", spec, "--time-limit", "6",
              "--out", str(out))  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "timeout" in r.stdout and "0 / 10" in r.stdout and "Traceback" not in r.stdout
    res = json.loads((out / "result.json").read_text())
    assert res["status"] == "timeout" and res["score"] == 0 and "6 s" in res["message"]
    assert "time limit" in (out / "report.html").read_text()


def test_forged_worker_files_are_not_trusted(tmp_path, digits_mini):
    sub = tmp_path / "forge.py"
    sub.write_text(
        "import json, os, pathlib\n"
        "def build_model(task):\n"
        "    out = pathlib.Path('output'); out.mkdir(exist_ok=True)\n"
        "    (out / 'error.json').write_text(json.dumps({'status': 'ok', 'message': 'A+'}))\n"
        "    os._exit(0)\n"
    )
    res = grade_submission(sub, digits_mini)
    assert res.status == "error" and res.score == 0
    sub.write_text("import os\ndef build_model(task):\n    os._exit(0)\n")
    res = grade_submission(sub, digits_mini)
    assert res.status == "error" and "before your model's predictions" in res.message


BBC_MINI = """
name = "bbc-mini"
[data]
dataset = "bbc_news"
max_train_samples = 400
max_test_samples = 200
[training]
epochs = 2
[scoring]
rule = "linear"
floor = 0.2
target = 0.9
"""


def test_lecture_text_models_on_bbc_news(tmp_path):
    spec = _spec(tmp_path, BBC_MINI)
    res = grade_submission(EXAMPLES / "bbc-news-cnn1d" / "lecture_multihot.py", spec)
    assert res.status == "ok", res.message
    assert res.class_names == ["business", "entertainment", "politics", "sports", "tech"]
    assert res.accuracy > 0.4  # chance is 0.2
    assert 0 < res.score <= 10
    res = grade_submission(EXAMPLES / "bbc-news-cnn1d" / "lecture_cnn1d.py", spec)
    assert res.status == "ok", res.message
    # TextVectorization (no weights) + Embedding 5001x32 + Conv1D 5*32*32+32 + Dense 32*5+5
    assert res.params == 5001 * 32 + (5 * 32 * 32 + 32) + (32 * 5 + 5)


def test_lecture_models_on_tiny_cifar_and_stackoverflow(grade, tmp_path):
    """The lecture's exact CIFAR-10 and multi-hot models on tiny sets in the real formats."""
    rng = np.random.default_rng(1)
    cifar = tmp_path / "cifar-10-batches-py"
    cifar.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"labels": [int(v) for v in rng.integers(0, 10, 20)],
            b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8),
        }
        with open(cifar / name, "wb") as f:
            pickle.dump(batch, f)
    r = grade("submit", str(EXAMPLES / "cifar10-cnn" / "lecture_cnn.py"), "-a", "cifar10-cnn",
              "--epochs", "1", "--data", str(cifar), "--out", str(tmp_path / "c"))  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads((tmp_path / "c" / "result.json").read_text())
    # Conv2D 8, 16, 16 (3x3), Dense 32 on the 4x4x16 map, Dense 10.
    assert res["params"] == 224 + 1168 + 2320 + (256 * 32 + 32) + 330
    assert np.array(res["confusion"]).sum() == 20

    words = {
        "csharp": "linq dotnet var async",
        "java": "spring jvm maven class",
        "javascript": "npm node dom promise",
        "python": "pip numpy def import",
    }
    for part in ("train", "test"):
        for lang, vocab in words.items():
            (tmp_path / "so" / part / lang).mkdir(parents=True)
            for i in range(12):
                text = " ".join(rng.choice(vocab.split() + ["how", "do", "i"], 8))
                (tmp_path / "so" / part / lang / f"{i}.txt").write_text(text)
    r = grade("submit", str(EXAMPLES / "stackoverflow-multihot" / "lecture_multihot.py"),
              "-a", "stackoverflow-multihot", "--epochs", "2", "-q",
              env={"CONVGRADE_STACKOVERFLOW": str(tmp_path / "so")})  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "status      ok" in r.stdout


def test_notebook_errors_name_the_cell(tmp_path, digits_mini):
    cells = [
        {"cell_type": "markdown", "source": ["# My model\n"]},
        {"cell_type": "code", "source": ["%pip install keras\n", "import keras\n"]},
        {
            "cell_type": "code",
            "source": ["def build_model(task):\n", "    return kears.Sequential()\n"],
        },
    ]
    nb = tmp_path / "mine.ipynb"
    nb.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    res = grade_submission(nb, digits_mini)
    assert res.status == "build-error"
    assert "line 2 of code cell 2" in res.message and "kears" in res.message
    nb.write_text("{ not a notebook")
    res = grade_submission(nb, digits_mini)
    assert res.status == "syntax-error" and "notebook" in res.message


def test_hostile_meta_is_an_error_not_a_crash(tmp_path, digits_mini):
    """A submission that rewrites meta.json after training with a number no float can hold."""
    meta = {
        "protocol": 1, "params": 1, "trainable_params": 1, "epochs": 3, "epochs_run": 3,
        "batch_size": 32, "train_seconds": 1.0, "summary": [], "history": {"loss": [0.5]},
    }  # fmt: skip
    text = json.dumps(meta).replace("[0.5]", "[1" + "0" * 400 + "]")
    sub = tmp_path / "hostile.py"
    sub.write_text(
        (EXAMPLES / "digits-cnn" / "lecture_cnn.py").read_text() + "\nimport os, pathlib\n"
        "_real_exit = os._exit\n"
        "def _exit(code):\n"
        f"    pathlib.Path('output/meta.json').write_text({text!r})\n"
        "    _real_exit(code)\n"
        "os._exit = _exit\n"
    )
    res = grade_submission(sub, digits_mini)
    assert res.status == "error" and res.score == 0
    assert "could not read back" in res.message and "OverflowError" in res.message
