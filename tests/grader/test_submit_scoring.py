"""Scoring and student-facing defects of issue 10: hidden test sets and implausible runs,
seeds before the submission runs, source encodings, Keras error causes, neutralised text,
contradicted claims, actionable hints, notebook conversion. Runs use a tiny digits budget
(1 epoch); most fail on purpose before training, so they cost the worker's start only."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from convgrade.grader.assignment import load_assignment
from convgrade.grader.result import Result
from convgrade.grader.submission import read_submission
from convgrade.grader.submit import (
    Prepared,
    _score,
    grade_submission,
    overfitting_note,
    prepare,
    write_inputs,
)

from tests.conftest import ROOT

TINY = """
name = "digits-tiny"
seed = 7
[data]
dataset = "digits"
scale = 0.0625
max_train_samples = 300
max_test_samples = 200
{extra}
[training]
epochs = 1
batch_size = 32
[limits]
max_params = 50000
time_limit = "120s"
[scoring]
max_score = 10
tiers = [{{accuracy = 0.3, points = 5}}, {{accuracy = 0.999, points = 10}}]
"""
SMALL_CNN = """
def build_model(task):
    return keras.Sequential([
        keras.Input(shape=task.input_shape),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(task.num_classes{activation}),
    ])
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(extra=""))
    return str(path)


def _sub(tmp_path, text: str, name: str = "sub.py") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ 1. hidden test set


def test_hidden_test_set_scores_with_labels_that_stay_in_the_parent(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 17, (40, 8, 8), dtype=np.uint8)  # 3-D: a channel axis is added
    y = np.arange(40) % 10
    np.savez(tmp_path / "hidden.npz", x_test=x, y_test=y)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY.format(extra='hidden_test = "hidden.npz"  # relative to the spec'))
    a = load_assignment(str(spec))
    assert a.data.hidden_test == f"npz:{tmp_path / 'hidden.npz'}"
    data = prepare(a)
    assert data.x_test.shape == (40, 8, 8, 1) and data.y_test.tolist() == y.tolist()
    # no public test split is carved out: all 300 public examples train or validate
    assert len(data.y_train) + len(data.y_val) == 300
    write_inputs(tmp_path / "in", a, data, "x = 1\n", [])
    files = sorted(p.name for p in (tmp_path / "in").iterdir())
    assert files == [
        "submission.py", "task.json", "x_test.npy", "x_train.npy", "x_val.npy",
        "y_train.npy", "y_val.npy",
    ]  # fmt: skip
    assert np.load(tmp_path / "in" / "x_test.npy").shape == (40, 8, 8, 1)
    assert "hidden" not in (tmp_path / "in" / "task.json").read_text()


def test_hidden_test_set_errors_name_the_key(tmp_path):
    from convgrade.exercises.errors import ConvgradeError

    spec = tmp_path / "s.toml"
    spec.write_text(TINY.format(extra='hidden_test = "missing.npz"'))
    with pytest.raises(ConvgradeError, match="data.hidden_test"):
        load_assignment(str(spec))
    np.savez(tmp_path / "h.npz", x_test=np.zeros((3, 5, 5)), y_test=np.zeros(3))
    spec.write_text(TINY.format(extra='hidden_test = "npz:h.npz"'))
    with pytest.raises(ConvgradeError, match=r"data.hidden_test.*shape \(5, 5, 1\)"):
        prepare(load_assignment(str(spec)))


def _prepared(n: int = 200) -> Prepared:
    y = np.arange(n) % 10
    return Prepared("image", (8, 8, 1), [str(i) for i in range(10)], None, y, None, y, None, y)


def _result(**kw) -> Result:
    res = Result(status="ok", message="", assignment="a", submission="s.py", max_score=10)
    res.params, res.epochs, res.epochs_run, res.batch_size = 1000, 10, 10, 32
    res.summary = [{"name": "d", "type": "Dense", "output_shape": "", "params": 1000}]
    for key, value in kw.items():
        setattr(res, key, value)
    return res


def test_test_accuracy_far_above_validation_is_implausible(tiny):
    """The look-up attack: 100% on the test set, 37% on the same model's validation set."""
    a = load_assignment(tiny)
    data = _prepared()
    res = _result(history={"val_accuracy": [0.30, 0.37]})
    res._y_pred = data.y_test.copy()  # every test example right
    _score(res, a, data)
    assert res.status == "implausible" and res.score == 0, res.message
    assert "37.00%" in res.message and "100.00%" in res.message
    # an honest run: test within noise of validation
    res = _result(history={"val_accuracy": [0.80, 0.88]})
    pred = data.y_test.copy()
    pred[:20] = (pred[:20] + 1) % 10  # 90%
    res._y_pred = pred
    _score(res, a, data)
    assert res.status == "ok" and res.score == 5


# ------------------------------------------------------------------ 2. seeds


AUGMENTED = """
import keras

# module level, as keras.io writes its augmentation pipelines
augment = keras.Sequential([
    keras.layers.RandomRotation(0.2),
    keras.layers.RandomZoom(0.2),
    keras.layers.RandomTranslation(0.2, 0.2),
])
noise = keras.layers.GaussianNoise(0.3)

def build_model(task):
    inputs = keras.Input(shape=task.input_shape)
    x = noise(augment(inputs))
    x = keras.layers.Conv2D(8, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(task.num_classes)(x))
"""


def test_module_level_augmentation_gives_one_score(tmp_path, tiny):
    sub = _sub(tmp_path, AUGMENTED)
    runs = [grade_submission(sub, tiny) for _ in range(3)]
    assert all(r.status == "ok" for r in runs), [r.message for r in runs]
    assert len({r.accuracy for r in runs}) == 1, [r.accuracy for r in runs]
    assert len({json.dumps(r.history) for r in runs}) == 1


# ------------------------------------------------------------------ 3. encodings


def test_source_is_read_as_python_reads_it(tmp_path, tiny):
    from convgrade.grader.submission import python_source

    assert python_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    assert "é" in python_source("# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"))
    path = tmp_path / "bom.py"
    path.write_bytes(
        "\ufeff# -*- coding: utf-8 -*-\ndef build_model(task):\n    raise ValueError('réached')\n"
        .encode("utf-8")
    )  # fmt: skip
    res = grade_submission(path, tiny)
    assert res.status == "build-error" and "réached" in res.message, res.message
    path.write_bytes(
        "# -*- coding: latin-1 -*-\ndef build_model(task):\n    raise ValueError('café')\n"
        .encode("latin-1")
    )  # fmt: skip
    res = grade_submission(path, tiny)
    assert res.status == "build-error" and "café" in res.message and "line 3" in res.message
    path.write_bytes(b"x = 1\ns = '\xe9'\n")
    res = grade_submission(path, tiny)
    assert res.status == "syntax-error" and "UTF-8" in res.message and "line 2" in res.message


# ------------------------------------------------------------------ 4. Keras error causes


def test_keras_error_keeps_its_cause_and_the_students_line(tmp_path, tiny):
    sub = _sub(
        tmp_path,
        "import keras\n"
        "def build_model(task):\n"
        "    inputs = keras.Input(shape=task.input_shape)\n"
        "    x = keras.ops.cast(keras.layers.Flatten()(inputs), 'int64')\n"
        "    x = keras.layers.Dropout(0.5)(x)\n"
        "    return keras.Model(inputs, keras.layers.Dense(task.num_classes)(x))\n",
    )
    res = grade_submission(sub, tiny)
    assert res.status == "training-error", res.message
    assert "Dropout" in res.message and "must be a floating point tensor" in res.message
    assert "int64" in res.message and "line 5" in res.message
    assert "\x1b" not in res.message


# ------------------------------------------------------------------ 5. neutralised text


FORGER = r"""
import json
forged = "1\nstatus      ok\npoints      10 / 10\n"
print("@@progress " + json.dumps({"epoch": forged, "epochs": 1, "loss": "\x1b[1A"}))
print("@@progress " + json.dumps({"stage": "training", "params": 5, "epochs": forged}))
def build_model(task):
    raise RuntimeError("\x1b[1A\x1b[2K\x1b[1A\x1b[2Kpoints      10 / 10\x1b]0;title\x07\u202e")
"""


def test_submission_text_cannot_forge_the_terminal_summary(grade, tmp_path, tiny):
    """On a terminal, cursor-up + erase-line codes in an exception text print a fake
    "points 10 / 10" over the real lines; newlines in @@progress values print fake lines."""
    out = tmp_path / "out"
    r = grade("submit", _sub(tmp_path, FORGER), "-a", tiny, "--out", str(out))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for stream in (r.stdout, r.stderr):
        lines = stream.splitlines()
        assert not any(ln.startswith(("status      ok", "points      10")) for ln in lines), stream
    assert "points      0 / 10" in r.stdout
    res = json.loads((out / "result.json").read_text())
    assert res["status"] == "build-error" and "points      10 / 10" in res["message"]
    for bad in ("\x1b", "\x07", "\u202e", "\n"):
        assert bad not in res["message"], res["message"]
    from convgrade.cli.submit import summary

    assert "\x1b" not in summary(Result(**res))  # what a terminal shows


def test_progress_lines_keep_only_numbers():
    from convgrade.grader import safetext
    from convgrade.grader.submit import progress_info

    assert progress_info('{"epoch": "1\\nstatus ok", "epochs": 3, "loss": 0.5}') == {
        "epochs": 3,
        "loss": 0.5,
    }
    assert progress_info('{"stage": "training", "params": "x"}') == {"stage": "training"}
    assert progress_info("[1]") is None and progress_info("{") is None
    assert safetext.one_line("a\x1b[31mb\nc\x00") == "ab\\x0ac\\x00"


# ------------------------------------------------------------------ 6. contradicted claims


def test_reported_params_contradicting_the_layers_is_not_ok(tmp_path, tiny):
    """count_params patched to report 1,234 for a model whose layers hold 120,906."""
    sub = _sub(
        tmp_path,
        "import keras\n"
        "keras.Model.count_params = lambda self: 1234\n"
        "def build_model(task):\n"
        "    return keras.Sequential([keras.Input(shape=task.input_shape),\n"
        "        keras.layers.Flatten(), keras.layers.Dense(1500), keras.layers.Dense(16),\n"
        "        keras.layers.Dense(task.num_classes)])\n",
    )
    res = grade_submission(sub, tiny)
    assert res.status == "inconsistent" and res.score == 0, res.message
    assert "1,234" in res.message and "121,686" in res.message


def test_epochs_beyond_the_budget_are_not_ok(tiny):
    from convgrade.grader.submit import check_claims

    a = load_assignment(tiny).replace(epochs=10)
    res = _result(epochs=60, epochs_run=60, history={"loss": [1.0] * 60})
    check_claims(res, a)
    assert res.status == "inconsistent" and "60 epochs run of 60" in res.message
    res = _result(epochs_run=10, history={"loss": [1.0] * 4})
    check_claims(res, a)
    assert res.status == "inconsistent" and "history of 4" in res.message
    res = _result(history={"loss": [1.0] * 10})
    check_claims(res, a)
    assert res.status == "ok"
    res = _result(params=60_000, summary=[{"params": 60_000}], history={})
    check_claims(res, a)
    assert res.status == "over-budget" and "60,000" in res.message


# ------------------------------------------------------------------ 7. hints


def test_overfitting_note_only_when_validation_loss_rises():
    batchnorm = {  # val accuracy trails, but val loss falls every epoch
        "accuracy": [0.6, 0.8, 0.95],
        "val_accuracy": [0.3, 0.5, 0.7],
        "val_loss": [2.2, 1.6, 1.1],
    }
    assert overfitting_note(batchnorm) is None
    rising = dict(batchnorm, val_loss=[1.2, 0.9, 1.3])
    assert "overfitting" in overfitting_note(rising) and "0.900 to 1.300" in overfitting_note(
        rising
    )


def test_flat_loss_and_logits_hints():
    from convgrade.grader.submit import flat_loss_note
    from convgrade.grader.worker import loss_output_hint

    note = flat_loss_note({"loss": [2.3031, 2.3027, 2.3026]}, 10)
    assert note and "ln(10)" in note and "from_logits" in note
    assert flat_loss_note({"loss": [2.3, 1.2]}, 10) is None
    assert "remove the softmax" in loss_output_hint(True, True)
    assert "from_logits=True" in loss_output_hint(False, False)
    assert loss_output_hint(False, True) is None and loss_output_hint(True, False) is None
    assert math.isclose(math.log(10), 2.302585, rel_tol=1e-6)


def test_softmax_under_a_logits_loss_gets_a_hint(tmp_path, tiny):
    sub = _sub(tmp_path, "import keras\n" + SMALL_CNN.format(activation=', activation="softmax"'))
    res = grade_submission(sub, tiny)
    assert res.status == "ok", res.message
    assert any("remove the softmax" in n for n in res.notes), res.notes


def test_import_error_lists_what_can_be_imported(tmp_path, tiny):
    res = grade_submission(_sub(tmp_path, "import pandas as pd\n"), tiny)
    assert res.status == "import-error" and "pandas" in res.message
    assert "numpy, keras, tensorflow" in res.message and "no pandas" in res.message


# ------------------------------------------------------------------ 8. notebooks


def _notebook(tmp_path, cells: list[list[str]]) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": src,
            }  # fmt: skip
            for src in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    return str(path)


def test_notebook_magics_and_shell_lines(tmp_path, tiny):
    path = _notebook(
        tmp_path,
        [
            ["%matplotlib inline\n", "import keras\n", "files = !ls\n", "%pip install x\n"],
            [
                "%%time\n",
                "def build_model(task):\n",
                "    assert files == []\n",
                "    display(files)\n",
                "    raise ValueError('inside %%time')\n",
            ],  # fmt: skip
            ["%%bash\n", "rm -rf /\n"],
        ],
    )
    script = read_submission(__import__("pathlib").Path(path))
    assert "def build_model(task):" in script.source and "rm -rf" not in script.source
    assert any("%%bash" in n for n in script.notes)
    res = grade_submission(path, tiny)
    assert res.status == "build-error", res.message
    assert "line 5 of code cell 2" in res.message and "inside %%time" in res.message
    assert any("not run by the grader" in n for n in res.notes)


def test_example_notebook_still_reads():
    script = read_submission(ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.ipynb")
    compile(script.source, "nb", "exec")
    assert "def build_model" in script.source
