"""Model grader, fast parts: assignment specs, scoring, data set loaders (tiny on-disk sets in
the real formats), notebook conversion, and the parent's checks of the worker's output files."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader import datasets, textio
from convgrade.grader.assignment import (
    ScoringSpec,
    Tier,
    builtin_names,
    load_assignment,
    parse_assignment,
)
from convgrade.grader.calibrate import suggest
from convgrade.grader.result import Result
from convgrade.grader.submission import NotebookError, notebook_script
from convgrade.grader.submit import BadOutput, read_error, read_meta, read_predictions

LANGS = ("csharp", "java", "javascript", "python")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVGRADE_CACHE", str(tmp_path / "cache"))
    datasets._MEMO.clear()


# ------------------------------------------------------------------ specs and scoring


def test_builtin_assignments_load():
    names = builtin_names()
    for name in ("cifar10-cnn", "stackoverflow-multihot", "stackoverflow-cnn1d", "digits-cnn",
                 "bbc-news-cnn1d"):  # fmt: skip
        assert name in names
        a = load_assignment(name)
        assert a.name == name
        assert a.training.optimizer == "adam" and a.training.from_logits
        assert a.scoring.thresholds()


def test_cli_lists_assignments(grade):
    r = grade("assignments")
    assert r.returncode == 0, r.stderr
    for name in builtin_names():
        assert name in r.stdout


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('name = "x"\n[data]\ndataset = "digits"\nbogus = 1\n', "data.bogus"),
        ('name = "x"\n[data]\ndataset = "digits"\n[training]\nepochs = "ten"\n', "training.epochs"),
        ('name = "x"\n[data]\ndataset = 3\n', "data.dataset"),
        ('name = "x"\n[data]\ndataset = "digits"\n[limits]\ntime_limit = "soon"\n',
         "limits.time_limit"),
        ('name = "x"\n[data]\ndataset = "digits"\n[scoring]\nrule = "linear"\nfloor = 0.9\n'
         "target = 0.5\n", "scoring.target"),
        ('[data]\ndataset = "digits"\n', "name"),
    ],
)  # fmt: skip
def test_bad_spec_names_file_and_key(toml, key):
    with pytest.raises(ConvgradeError) as err:
        parse_assignment(toml, "spec.toml")
    assert "spec.toml" in str(err.value) and f"'{key}'" in str(err.value)


def test_bad_spec_on_the_command_line_exits_2(grade, tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "x"\n[data]\ndataset = "digits"\nscale = "big"\n')
    sub = tmp_path / "s.py"
    sub.write_text("def build_model(task): pass\n")
    r = grade("submit", str(sub), "--assignment", str(spec))
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and "data.scale" in r.stderr
    assert "Traceback" not in r.stderr
    r = grade("submit", str(sub), "--assignment", "no-such-assignment")
    assert r.returncode == 2 and "digits-cnn" in r.stderr


def test_tier_and_linear_points():
    tiers = ScoringSpec(10, "tiers", (Tier(0.5, 4), Tier(0.6, 7), Tier(0.7, 10)))
    assert [tiers.points(a) for a in (0.49, 0.5, 0.65, 0.7, 0.99)] == [0, 4, 7, 10, 10]
    ramp = ScoringSpec(20, "linear", floor=0.6, target=0.8)
    assert [ramp.points(a) for a in (0.5, 0.6, 0.7, 0.8, 0.9)] == [0, 0, 10, 20, 20]


def test_calibration_suggestion_moves_top_threshold_to_the_bar():
    tiers = ScoringSpec(10, "tiers", (Tier(0.45, 4), Tier(0.9, 10)))
    new = suggest(tiers, 0.8)
    assert [t.accuracy for t in new.tiers] == [0.4, 0.8]
    assert [t.points for t in new.tiers] == [4, 10]
    ramp = suggest(ScoringSpec(10, "linear", floor=0.6, target=0.9), 0.85)
    assert (ramp.floor, ramp.target) == (0.55, 0.85)


# ------------------------------------------------------------------ data sets


def _write_cifar(folder, per_batch=6, seed=0):
    """A tiny cifar-10-batches-py in the original pickle format."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        with open(folder / name, "wb") as f:
            pickle.dump({b"batch_label": name.encode(), b"labels": labels, b"data": data}, f)
        batches[name] = (data, labels)
    names = [n.encode() for n in datasets.CIFAR10_CLASSES]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": names, b"num_vis": 3072}, f)
    return batches


def test_cifar10_local_folder_matches_the_format(tmp_path, monkeypatch):
    batches = _write_cifar(tmp_path / "cifar-10-batches-py")
    monkeypatch.setenv("CONVGRADE_CIFAR10", str(tmp_path / "cifar-10-batches-py"))
    ds = datasets.load("cifar10")
    assert ds.kind == "image" and ds.x_train.shape == (30, 32, 32, 3)
    assert ds.x_test.shape == (6, 32, 32, 3) and ds.x_train.dtype == np.uint8
    assert ds.class_names[0] == "airplane" and ds.class_names[9] == "truck"
    # The format: row-major 1024 red, then 1024 green, then 1024 blue values per image.
    data, labels = batches["data_batch_2"]
    img = ds.x_train[6 + 4]
    assert img[5, 7, 0] == data[4][5 * 32 + 7]
    assert img[5, 7, 2] == data[4][2048 + 5 * 32 + 7]
    assert ds.y_train[6 + 4] == labels[4]
    # Keras's own reader of a CIFAR batch agrees (channels first, as Keras returns it).
    from keras.src.datasets.cifar import load_batch

    kx, ky = load_batch(str(tmp_path / "cifar-10-batches-py" / "test_batch"))
    np.testing.assert_array_equal(ds.x_test, kx.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(ds.y_test, ky)


def _write_text_tree(root, classes, n=3, split=True):
    truth = {}
    for part in ("train", "test") if split else ("",):
        for c in classes:
            folder = root / part / c
            folder.mkdir(parents=True)
            for i in range(n):
                text = f"{c} question {i} about {part or 'all'} — naïve"
                (folder / f"{i}.txt").write_text(text, encoding="utf-8")
                truth[(part, c, i)] = text
    return truth


def test_directory_text_tree(tmp_path):
    _write_text_tree(tmp_path / "news", ["sport", "tech", "arts"], n=4, split=False)
    ds = datasets.load(f"directory:{tmp_path / 'news'}")
    assert ds.kind == "text" and ds.x_test is None
    assert ds.class_names == ["arts", "sport", "tech"]  # alphabetical, as Keras infers them
    assert len(ds.x_train) == 12
    for text, label in zip(ds.x_train, ds.y_train):
        assert text.startswith(ds.class_names[label] + " question")
        assert text.endswith("naïve")
    # Cached: a second read (new process memo) gives the same data from the cache file.
    datasets._MEMO.clear()
    cache_files = list((tmp_path / "cache" / "datasets").glob("text-*.npz"))
    assert len(cache_files) == 1
    again = datasets.load(f"directory:{tmp_path / 'news'}")
    assert again.x_train == ds.x_train and list(again.y_train) == list(ds.y_train)


def test_stackoverflow_local_folder(tmp_path, monkeypatch):
    _write_text_tree(tmp_path / "so", LANGS, n=2)
    monkeypatch.setenv("CONVGRADE_STACKOVERFLOW", str(tmp_path / "so"))
    ds = datasets.load("stackoverflow")
    assert ds.class_names == list(LANGS)
    assert len(ds.x_train) == 8 and len(ds.x_test) == 8
    assert all("about train" in t for t in ds.x_train)
    assert all("about test" in t for t in ds.x_test)
    assert [ds.class_names[y] for y in ds.y_test] == [t.split()[0] for t in ds.x_test]


def test_npz_data_set(tmp_path):
    x = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4)
    np.savez(tmp_path / "d.npz", x_train=x, y_train=np.array([0, 1, 2, 1, 0]))
    ds = datasets.load(f"npz:{tmp_path / 'd.npz'}")
    assert ds.kind == "image" and ds.x_train.shape == (5, 4, 4, 1)
    assert ds.class_names == ["0", "1", "2"]


def test_digits_and_bbc_news_are_offline():
    d = datasets.load("digits")
    assert d.x_train.shape == (1797, 8, 8, 1) and d.x_train.max() == 16
    folder = datasets.bbc_news_dir()
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [
        "business", "entertainment", "politics", "sports", "tech",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("env", "value", "assignment", "needle"),
    [
        ("CONVGRADE_CIFAR10", "/nonexistent/cifar-10-batches-py", "cifar10-cnn",
         "cifar-10-python.tar.gz"),
        ("CONVGRADE_STACKOVERFLOW", "/nonexistent/so", "stackoverflow-multihot",
         "stack_overflow_16k.tar.gz"),
    ],
)  # fmt: skip
def test_unavailable_data_is_one_clear_message(grade, tmp_path, env, value, assignment, needle):
    sub = tmp_path / "s.py"
    sub.write_text("def build_model(task): pass\n")
    r = grade("submit", str(sub), "-a", assignment, env={env: value})
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_unavailable_directory(tmp_path):
    with pytest.raises(datasets.DataUnavailable, match="no such data folder"):
        datasets.load(f"directory:{tmp_path / 'missing'}")


# ------------------------------------------------------------------ submissions and protocol


def test_notebook_cells_without_magics():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# hi\n"]},
            {"cell_type": "code", "source": ["!pip install x\n", "import os\n", "%time 1\n"]},
            {"cell_type": "code", "source": "%%bash\necho hi\n"},
            {"cell_type": "code", "source": ["def build_model(task):\n", "    return 1\n"]},
        ],
        "nbformat": 4,
    }
    script = notebook_script(json.dumps(nb))
    compile(script.source, "nb", "exec")
    assert "import os" in script.source and "get_ipython().system('pip install x')" in script.source
    assert "echo" not in script.source and "\n1\n" in script.source  # %time 1 keeps its code
    assert not any(line.lstrip().startswith(("%", "!")) for line in script.source.splitlines())
    lines = script.source.splitlines()
    assert lines[script.cells[2] - 1] == "def build_model(task):"
    for broken in (
        "{not json",
        "[]",
        '{"cells": 3}',
        '{"cells": [{"cell_type": "code", "source": [1]}]}',
    ):
        with pytest.raises(NotebookError):
            notebook_script(broken)


@pytest.mark.parametrize("texts", [[], [""], ["a", "", "ünïcödé ✓", "x" * 1000]])
def test_text_arrays_round_trip(tmp_path, texts):
    textio.save(tmp_path / "t", texts)
    assert textio.load(tmp_path / "t") == texts
    assert np.load(tmp_path / "t.utf8.npy", allow_pickle=False).dtype == np.uint8


def test_predictions_are_checked(tmp_path):
    p = tmp_path / "predictions.npy"
    np.save(p, np.eye(3, dtype=np.float32)[[2, 0, 1, 1]])
    assert read_predictions(p, 4, 3).tolist() == [2, 0, 1, 1]
    np.save(p, np.array([2, 0, 1, 1]))
    assert read_predictions(p, 4, 3).tolist() == [2, 0, 1, 1]
    bad = [
        np.zeros((5, 3)),  # wrong length
        np.array([0, 1, 3, 1]),  # class id out of range
        np.full((4, 3), np.nan),  # not finite
        np.array(["a", "b", "c", "d"]),  # not numbers
    ]
    for arr in bad:
        np.save(p, arr)
        with pytest.raises(BadOutput):
            read_predictions(p, 4, 3)
    np.save(p, np.array([{"x": 1}] * 4, dtype=object), allow_pickle=True)
    with pytest.raises(BadOutput):  # a pickle is never loaded
        read_predictions(p, 4, 3)


def test_error_and_meta_files_are_checked(tmp_path):
    e = tmp_path / "error.json"
    e.write_text(json.dumps({"status": "nan-loss", "message": "m"}))
    assert read_error(e) == ("nan-loss", "m")
    for doc in ({"status": "ok", "message": "m"}, {"status": "nan-loss"}, [1], "x"):
        e.write_text(json.dumps(doc))
        with pytest.raises(BadOutput):
            read_error(e)
    m = tmp_path / "meta.json"
    good = {
        "protocol": 1, "params": 10, "trainable_params": 10, "epochs": 2, "epochs_run": 2,
        "batch_size": 32, "train_seconds": 1.5, "history": {"loss": [1.0, 0.5]},
        "summary": [{"name": "d", "type": "Dense", "output_shape": "(batch, 3)", "params": 10}],
    }  # fmt: skip
    m.write_text(json.dumps(good))
    assert read_meta(m)["params"] == 10
    for key, value in (("params", -1), ("history", [1]), ("summary", "x"), ("protocol", 9)):
        m.write_text(json.dumps({**good, key: value}))
        with pytest.raises(BadOutput):
            read_meta(m)


def test_gradescope_results_shape():
    r = Result("bad-shape", "outputs (batch, 1)", "digits-cnn", "s.py", 10.0)
    g = r.gradescope()
    assert g["score"] == 0 and g["tests"][0]["max_score"] == 10.0
    assert "outputs (batch, 1)" in g["tests"][0]["output"]
    json.dumps(g)


def test_calibrate_statistics_and_written_spec(tmp_path):
    """calibrate() with a stand-in grader: mean, sample std, seeds, and a spec that loads back."""
    import statistics

    from convgrade.grader.calibrate import calibrate, write_spec

    a = load_assignment("digits-cnn")
    accs = {a.seed: 0.90, a.seed + 1: 0.92, a.seed + 2: 0.94}
    seen = []

    def fake_grade(path, assignment):
        seen.append(assignment.seed)
        r = Result("ok", "", assignment.name, "ref.py", 10.0)
        r.accuracy = accs[assignment.seed]
        return r

    cal = calibrate(tmp_path / "ref.py", a, 3, grade=fake_grade)
    assert seen == [a.seed, a.seed + 1, a.seed + 2]
    assert cal.mean == pytest.approx(0.92)
    assert cal.std == pytest.approx(statistics.stdev([0.90, 0.92, 0.94]))
    assert cal.scoring.tiers[-1].accuracy == pytest.approx(0.88, abs=1e-3)  # 0.92 - 2 * 0.02
    out = tmp_path / "new.toml"
    write_spec(a, cal.scoring, out)
    again = load_assignment(str(out))
    assert again.scoring == cal.scoring
    assert again.data == a.data and again.training == a.training and again.limits == a.limits

    def failing(path, assignment):
        return Result("bad-shape", "wrong", assignment.name, "ref.py", 10.0)

    with pytest.raises(ConvgradeError, match="reference solution failed"):
        calibrate(tmp_path / "ref.py", a, 2, grade=failing)


def test_overfitting_note():
    from convgrade.grader.submit import overfitting_note

    rising = [0.5, 0.7]  # the validation loss rose: overfitting
    assert overfitting_note(
        {"accuracy": [0.7, 0.99], "val_accuracy": [0.6, 0.80], "val_loss": rising}
    )
    note = overfitting_note(
        {"accuracy": [0.5, 0.99], "val_accuracy": [0.5, 0.80], "val_loss": rising}
    )
    assert "19.0%" in note
    assert overfitting_note({"accuracy": [0.9], "val_accuracy": [0.85]}) is None
    assert overfitting_note({"accuracy": [0.9]}) is None


def test_directory_image_tree_with_train_and_test(tmp_path):
    import tensorflow as tf

    rng = np.random.default_rng(3)
    truth = {}
    for part in ("train", "test"):
        for label in ("cat", "dog"):
            (tmp_path / "img" / part / label).mkdir(parents=True)
            for i in range(3):
                pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
                png = tf.io.encode_png(pixels).numpy()
                (tmp_path / "img" / part / label / f"{i}.png").write_bytes(png)
                truth[(part, label, i)] = pixels
    ds = datasets.load(f"directory:{tmp_path / 'img'}", image_size=(8, 8))
    assert ds.kind == "image" and ds.class_names == ["cat", "dog"]
    assert ds.x_train.shape == (6, 8, 8, 3) and ds.x_test.shape == (6, 8, 8, 3)
    # Files in sorted order per class (shuffle=False): same pixels, labels by folder.
    np.testing.assert_array_equal(ds.x_train[4], truth[("train", "dog", 1)])
    np.testing.assert_array_equal(ds.x_test[0], truth[("test", "cat", 0)])
    assert ds.y_train.tolist() == [0, 0, 0, 1, 1, 1]


def test_report_renders_odd_results():
    """Uneven or partial histories, and failures, still render a whole page."""
    from convgrade.grader.report import render_report

    a = load_assignment("digits-cnn")
    r = Result("ok", "fine", a.name, "s.py", 10.0, score=4.0, accuracy=0.8, params=12,
               epochs=3, epochs_run=2, batch_size=32, train_seconds=1.0)  # fmt: skip
    r.class_names = ["a", "b"]
    r.confusion = [[3, 1], [0, 4]]
    r.per_class_accuracy = [0.75, 1.0]
    r.history = {"accuracy": [0.5, None], "val_accuracy": [0.4]}
    r.summary = [{"name": "d", "type": "Dense", "output_shape": "(batch, 2)", "params": 12}]
    html = render_report(r, a)
    assert (
        "data:image/png;base64," in html and "75.0%" in html and html.rstrip().endswith("</html>")
    )
    bad = Result("nan-loss", "loss <b>NaN</b>", a.name, "s.py", 10.0)
    html = render_report(bad, a)
    assert "0 / 10.0 points" in html and "&lt;b&gt;NaN" in html  # escaped
