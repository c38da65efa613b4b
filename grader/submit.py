"""Grade one submission: prepare the worker's inputs, run it isolated, score its predictions.

This is the trusted side. It never imports the submission and never loads a model file; it
keeps the test labels, reads back only ``predictions.npy``, ``meta.json`` or ``error.json`` —
each validated strictly — and computes accuracy itself.
"""

from __future__ import annotations

import io
import json
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader import datasets, devices, safetext, textio
from convgrade.grader.assignment import Assignment, load_assignment
from convgrade.grader.devices import Placement, device_nodes, worker_env
from convgrade.grader.isolation.files import ResultFileError, read_result, regular_file
from convgrade.grader.limits import Limits
from convgrade.grader.result import STATUSES, WORKER_STATUSES, Result
from convgrade.grader.submission import UnreadableSubmission, check_path, read_submission
from convgrade.grader.worker import PROGRESS, PROTOCOL

#: validation accuracy this far below training accuracy (last epoch) earns an overfitting note.
OVERFIT_GAP = 0.10
#: ... and the validation loss this fraction above its lowest epoch.
OVERFIT_RISE = 0.05
#: test accuracy this far (and 4 standard errors) above validation accuracy is implausible.
IMPLAUSIBLE_GAP = 0.15
MAX_META_BYTES = 2 * 2**20
MAX_ERROR_BYTES = 64 * 2**10
#: isolation statuses -> result statuses.
RUN_STATUSES = {
    "timeout": "timeout",
    "memory": "memory-limit",
    "process-limit": "resource-limit",
    "file-limit": "resource-limit",
    "output-limit": "resource-limit",
}


@dataclass
class Prepared:
    """An assignment's data, split and ready to be handed out (test labels stay here)."""

    kind: str
    input_shape: tuple
    class_names: list[str]
    x_train: Any
    y_train: np.ndarray
    x_val: Any
    y_val: np.ndarray | None
    x_test: Any
    y_test: np.ndarray


_PREPARED: dict[tuple, Prepared] = {}
_PREPARE_LOCK = threading.Lock()  # grade batch grades from a thread pool


def default_limits(assignment: Assignment) -> Limits:
    """The isolation limits an assignment asks for (time and memory from its spec)."""
    return Limits(
        wall_time_s=assignment.limits.time_limit_s, memory_bytes=assignment.limits.memory_bytes
    )


def prepare(assignment: Assignment, data_path: str | None = None) -> Prepared:
    """Load the data set and make the train/validation/test split (seeded by ``split_seed``)."""
    with _PREPARE_LOCK:
        return _prepare(assignment, data_path)


def _prepare(assignment: Assignment, data_path: str | None) -> Prepared:
    spec = assignment.data
    key = (spec, data_path)
    if key in _PREPARED:
        return _PREPARED[key]
    ds = datasets.load(spec.dataset, path=data_path, image_size=spec.image_size)
    rng = np.random.default_rng(spec.split_seed)
    x_all, y_all = ds.x_train, np.asarray(ds.y_train, dtype=np.int64)
    if spec.hidden_test:
        x_train, y_train = x_all, y_all  # all public examples train; the hidden set tests
        x_test, y_test = hidden_test(spec, ds)
    elif ds.x_test is None:
        test_idx, train_idx = _stratified_split(y_all, spec.test_split, rng)
        x_train, y_train = _take(x_all, train_idx), y_all[train_idx]
        x_test, y_test = _take(x_all, test_idx), y_all[test_idx]
    else:
        x_train, y_train = x_all, y_all
        x_test, y_test = ds.x_test, np.asarray(ds.y_test, dtype=np.int64)
    if spec.max_train_samples and len(y_train) > spec.max_train_samples:
        keep = np.sort(rng.permutation(len(y_train))[: spec.max_train_samples])
        x_train, y_train = _take(x_train, keep), y_train[keep]
    if spec.max_test_samples and len(y_test) > spec.max_test_samples:
        keep = np.sort(rng.permutation(len(y_test))[: spec.max_test_samples])
        x_test, y_test = _take(x_test, keep), y_test[keep]
    x_val = y_val = None
    if spec.validation_split > 0:
        val_idx, tr_idx = _stratified_split(y_train, spec.validation_split, rng)
        x_val, y_val = _take(x_train, val_idx), y_train[val_idx]
        x_train, y_train = _take(x_train, tr_idx), y_train[tr_idx]
    shape = () if ds.kind == "text" else tuple(int(d) for d in np.asarray(x_train).shape[1:])
    prepared = Prepared(
        ds.kind, shape, list(ds.class_names), x_train, y_train, x_val, y_val, x_test, y_test
    )
    _PREPARED[key] = prepared
    return prepared


def hidden_test(spec, public: datasets.Dataset) -> tuple[Any, np.ndarray]:
    """(inputs, labels) of the instructor's hidden test set (its ``x_test``/``y_test``, else all
    of it), checked against the public set: same kind, classes and input shape."""
    key = "data.hidden_test"
    kind, _, path = spec.hidden_test.partition(":")
    if kind == "npz":
        x, y, hidden_kind = _hidden_npz(Path(path), f"{key} ({path})")
        hidden_classes = None
    else:
        hidden = datasets.read_directory(Path(path), image_size=spec.image_size)
        x, y = (hidden.x_test, hidden.y_test) if hidden.x_test is not None else (
            hidden.x_train, hidden.y_train,
        )  # fmt: skip
        hidden_kind, hidden_classes = hidden.kind, hidden.class_names
    y = np.asarray(y, dtype=np.int64)
    where = f"{key} ({spec.hidden_test})"
    if hidden_kind != public.kind:
        raise ConvgradeError(f"{where}: holds {hidden_kind}s, the data set {public.kind}s")
    if len(y) == 0 or y.min() < 0 or y.max() >= len(public.class_names):
        raise ConvgradeError(
            f"{where}: labels must be 0..{len(public.class_names) - 1}, as in the data set"
        )
    if public.kind == "image":
        want, got = np.asarray(public.x_train).shape[1:], np.asarray(x).shape[1:]
        if want != got:
            raise ConvgradeError(f"{where}: images of shape {got}, the data set's are {want}")
    if hidden_classes is not None and hidden_classes != public.class_names:
        raise ConvgradeError(
            f"{where}: class folders {hidden_classes}, the data set's classes are "
            f"{public.class_names}"
        )
    return x, y


def _hidden_npz(path: Path, where: str) -> tuple[Any, np.ndarray, str]:
    """(x, y, kind) from an .npz holding x_test and y_test (or x and y)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            names = ("x_test", "y_test") if "x_test" in z.files else ("x", "y")
            x, y = z[names[0]], z[names[1]].reshape(-1)
    except KeyError:
        raise ConvgradeError(f"{where}: expected arrays x_test and y_test") from None
    except Exception as exc:
        raise ConvgradeError(f"{where}: cannot read as .npz ({type(exc).__name__})") from None
    if x.dtype.kind == "U":
        return x.tolist(), y, "text"
    return (x[..., None] if x.ndim == 3 else x), y, "image"


def _stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator):
    """(held-out indices, kept indices): ``fraction`` of every class held out, sorted."""
    held, kept = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n = int(round(len(idx) * fraction))
        held.append(idx[:n])
        kept.append(idx[n:])
    return np.sort(np.concatenate(held)), np.sort(np.concatenate(kept))


def _take(x, idx: np.ndarray):
    if isinstance(x, list):
        return [x[i] for i in idx]
    return x[idx]


def write_inputs(
    inp: Path, assignment: Assignment, data: Prepared, script_source: str, cells: list[int]
) -> None:
    """The worker's input folder: task.json, the script, and the arrays (no test labels)."""
    inp.mkdir(parents=True)
    (inp / "submission.py").write_text(script_source, encoding="utf-8")
    t = assignment.training
    task = {
        "protocol": PROTOCOL,
        "assignment": assignment.name,
        "kind": data.kind,
        "input_shape": list(data.input_shape),
        "num_classes": len(data.class_names),
        "class_names": data.class_names,
        "scale": assignment.data.scale,
        "seed": assignment.seed,
        "epochs": t.epochs,
        "batch_size": t.batch_size,
        "min_batch_size": t.min_batch_size,
        "max_batch_size": t.max_batch_size,
        "optimizer": t.optimizer,
        "learning_rate": t.learning_rate,
        "from_logits": t.from_logits,
        "max_params": assignment.limits.max_params,
        "submission": "submission.py",
        "cells": cells,
    }
    (inp / "task.json").write_text(json.dumps(task, indent=1), encoding="utf-8")
    splits = [("train", data.x_train, data.y_train), ("test", data.x_test, None)]
    if data.y_val is not None:
        splits.insert(1, ("val", data.x_val, data.y_val))
    for split, x, y in splits:
        if data.kind == "text":
            textio.save(inp / f"x_{split}", x)
        else:
            np.save(inp / f"x_{split}.npy", np.asarray(x), allow_pickle=False)
        if y is not None:
            np.save(inp / f"y_{split}.npy", y, allow_pickle=False)


# ------------------------------------------------------------------ reading the worker's output

#: the keys a ``@@progress`` line may carry: all numbers (a string could hold escape codes).
PROGRESS_KEYS = ("epoch", "epochs", "params", "loss", "accuracy", "val_loss", "val_accuracy")


def progress_info(text: str) -> dict[str, Any] | None:
    """A ``@@progress`` payload reduced to known keys with finite number values (or None)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    info: dict[str, Any] = {
        k: doc[k]
        for k in PROGRESS_KEYS
        if isinstance(doc.get(k), (int, float))
        and not isinstance(doc.get(k), bool)
        and math.isfinite(doc[k])
        and abs(doc[k]) < 1e15
    }
    if doc.get("stage") == "training":
        info["stage"] = "training"
    return info or None


class BadOutput(Exception):
    """The worker's output files do not follow the protocol."""


def read_error(path: Path, within: Path | None = None) -> tuple[str, str]:
    """(status, message) from error.json; BadOutput unless it is exactly what the worker writes."""
    try:
        doc = json.loads(_read(path, MAX_ERROR_BYTES, within).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadOutput(f"error.json is not JSON ({exc})") from None
    if not isinstance(doc, dict) or set(doc) != {"status", "message"}:
        raise BadOutput("error.json must hold exactly status and message")
    status, message = doc["status"], doc["message"]
    if status not in WORKER_STATUSES or not isinstance(message, str):
        raise BadOutput(f"error.json has an unknown status {status!r}")
    return status, safetext.one_line(message[:2000])


def read_predictions(
    path: Path, n_test: int, num_classes: int, within: Path | None = None
) -> np.ndarray:
    """Predicted class ids from predictions.npy (class ids, or scores per class)."""
    limit = n_test * max(num_classes, 1) * 8 + 4096
    data = _read(path, limit, within, "predictions.npy is larger than the test set needs")
    try:
        p = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise BadOutput(f"predictions.npy cannot be read ({type(exc).__name__})") from None
    if not isinstance(p, np.ndarray) or p.dtype.kind not in "iuf":
        raise BadOutput("predictions.npy must hold numbers")
    if p.ndim == 2 and p.shape == (n_test, num_classes):
        if not np.all(np.isfinite(p)):
            raise BadOutput("the model's test predictions contain NaN or infinite values")
        return np.argmax(p, axis=1)
    if p.ndim == 1 and p.shape == (n_test,):
        if p.dtype.kind == "f" and not np.all(np.isfinite(p) & (p == np.round(p))):
            raise BadOutput("class-id predictions must be whole numbers")
        ids = p.astype(np.int64)
        if ids.min(initial=0) < 0 or ids.max(initial=0) >= num_classes:
            raise BadOutput("class-id predictions out of range")
        return ids
    raise BadOutput(f"predictions have shape {p.shape}, expected ({n_test}, {num_classes})")


def _read(path: Path, limit: int, within: Path | None, too_large: str = "") -> bytes:
    """A result file's bytes, never through a link (the run controls its work folder)."""
    try:
        return read_result(path, limit, within=within)
    except ResultFileError as exc:
        if too_large and str(exc).endswith("too large"):
            raise BadOutput(too_large) from None
        raise BadOutput(str(exc)) from None


def read_meta(path: Path, within: Path | None = None) -> dict[str, Any]:
    """meta.json, checked field by field; unknown fields are dropped."""
    try:
        doc = json.loads(_read(path, MAX_META_BYTES, within).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadOutput(f"meta.json is not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("protocol") != PROTOCOL:
        raise BadOutput("meta.json has the wrong protocol")
    out: dict[str, Any] = {}
    for key in ("params", "trainable_params", "epochs", "epochs_run", "batch_size"):
        v = doc.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise BadOutput(f"meta.json: {key} must be a non-negative integer")
        out[key] = v
    ts = doc.get("train_seconds")
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
        raise BadOutput("meta.json: train_seconds must be a number")
    out["train_seconds"] = float(ts)
    hist = doc.get("history")
    if not isinstance(hist, dict) or len(hist) > 32:
        raise BadOutput("meta.json: history must be an object")
    out["history"] = {}
    for k, vals in hist.items():
        if not isinstance(vals, list) or len(vals) > 100_000:
            raise BadOutput("meta.json: history values must be lists")
        clean = [
            float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
            for v in vals
        ]
        out["history"][safetext.one_line(str(k)[:64])] = [
            v if v is None or math.isfinite(v) else None for v in clean
        ]
    rows = doc.get("summary")
    if not isinstance(rows, list) or len(rows) > 10_000:
        raise BadOutput("meta.json: summary must be a list")
    out["summary"] = []
    for row in rows:
        if not isinstance(row, dict):
            raise BadOutput("meta.json: summary rows must be objects")
        params = row.get("params")
        out["summary"].append(
            {
                "name": safetext.one_line(str(row.get("name", ""))[:200]),
                "type": safetext.one_line(str(row.get("type", ""))[:200]),
                "output_shape": safetext.one_line(str(row.get("output_shape", ""))[:200]),
                "params": params if isinstance(params, int) and not isinstance(params, bool) else 0,
            }
        )
    notes = doc.get("notes", [])
    notes = notes[:20] if isinstance(notes, list) else []
    out["notes"] = [safetext.one_line(str(n)[:500]) for n in notes]
    timings = doc.get("timings", {})
    out["timings"] = {
        safetext.one_line(str(k)[:40]): float(v)
        for k, v in (timings.items() if isinstance(timings, dict) else [])
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }
    compiled = doc.get("compile")
    out["compile"] = compiled if compiled in ("default", "compile_model") else "?"
    return out


# ------------------------------------------------------------------ grading


def grade_submission(
    path: Path | str,
    assignment: Assignment | str,
    *,
    out_dir: Path | str | None = None,
    limits: Limits | None = None,
    backend: str = "auto",
    progress: Callable[[dict], None] | None = None,
    data_path: str | None = None,
    unsafe_no_sandbox: bool = False,
    placement: Placement | None = None,
) -> Result:
    """Train and score one submission; write result files into ``out_dir`` when given.

    ``placement`` says what it trains on (default: the assignment's Keras backend, on a GPU when
    this machine has one — :func:`convgrade.grader.devices.placement`).

    ``limits`` default to the assignment's (:func:`default_limits`). ``progress`` receives each
    ``@@progress`` dict the worker prints (shown to users, never trusted for results).
    ``unsafe_no_sandbox`` lets the subprocess backend run the submission as root.
    Raises ConvgradeError for the grader's user's mistakes (no such file, unknown assignment,
    unavailable data); every failure of the submission itself is a Result with a status.
    """
    from convgrade.grader.isolation import make_workdir, remove_tree, run_isolated

    path = Path(path)
    a = load_assignment(assignment) if isinstance(assignment, str) else assignment
    check_path(path)
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ConvgradeError(f"{out_dir}: --out must be a folder, this is a file")
    t0 = time.perf_counter()
    data = prepare(a, data_path)
    limits = limits or default_limits(a)
    where = placement or devices.placement("auto", a.training.keras_backend)
    prepare_s = time.perf_counter() - t0
    base = Result(
        status="error", message="", assignment=a.name, submission=path.name,
        max_score=a.scoring.max_score, seed=a.seed, class_names=data.class_names,
        thresholds=_thresholds(a, None), keras_backend=where.keras_backend, device=where.device,
    )  # fmt: skip
    start = time.perf_counter()
    try:
        script = read_submission(path)
    except UnreadableSubmission as exc:
        base.status, base.message = "syntax-error", str(exc)
        return _finish(base, a, start, out_dir)

    workdir = make_workdir()
    try:
        write_inputs(workdir / "input", a, data, script.source, script.cells)

        def on_line(line: str) -> None:
            if progress is not None and line.startswith(PROGRESS):
                info = progress_info(line[len(PROGRESS) :])
                if info:
                    progress(info)

        outcome = run_isolated(
            [sys.executable, "-m", "convgrade.grader.worker", str(workdir)],
            workdir=workdir,
            readonly=[],
            limits=limits,
            backend=backend,
            env={"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", **worker_env(where)},
            on_line=on_line,
            unsafe_no_sandbox=unsafe_no_sandbox,
            devices=device_nodes(where),
        )
        base.backend = outcome.backend
        base.timings["prepare_data"] = round(prepare_s, 3)
        base.timings["worker_wall"] = round(outcome.wall_s, 3)
        base.log = safetext.visible(outcome.stderr[-4000:])
        _read_outcome(base, outcome, workdir / "output", data, limits)
    finally:
        remove_tree(workdir)
    if base.ok:
        check_claims(base, a)
    if base.ok:
        _score(base, a, data)
    base.notes[:0] = script.notes
    return _finish(base, a, start, out_dir)


def _read_outcome(res: Result, outcome, out: Path, data: Prepared, limits: Limits) -> None:
    if outcome.status in RUN_STATUSES:
        res.status = RUN_STATUSES[outcome.status]
        if res.status == "timeout":
            res.message = (
                f"grading stopped after the time limit of {limits.wall_time_s:g} s: make the "
                "model smaller or train fewer epochs"
            )
        else:
            res.message = f"grading stopped: {safetext.one_line(outcome.message)}"
        return
    try:
        work = out.parent
        if regular_file(out / "error.json", within=work):
            res.status, res.message = read_error(out / "error.json", work)
            return
        if not all(regular_file(out / f, within=work) for f in ("predictions.npy", "meta.json")):
            how = safetext.one_line(outcome.message) or f"exit status {outcome.returncode}"
            res.message = (
                f"the grading process ended ({how}) before your model's predictions were "
                "written; did your code call exit() or crash the interpreter?"
            )
            return
        meta = read_meta(out / "meta.json", work)
        n_test, n_classes = len(data.y_test), len(data.class_names)
        y_pred = read_predictions(out / "predictions.npy", n_test, n_classes, work)
    except Exception as exc:  # noqa: BLE001 - whatever the files hold, it is not trusted
        why = exc if isinstance(exc, (BadOutput, OSError)) else type(exc).__name__
        res.status = "error"
        res.message = f"the grader could not read back the results of the run: {why}"
        return
    res.status = "ok"
    res.params = meta["params"]
    res.epochs, res.epochs_run = meta["epochs"], meta["epochs_run"]
    res.batch_size, res.train_seconds = meta["batch_size"], round(meta["train_seconds"], 2)
    res.history, res.summary, res.notes = meta["history"], meta["summary"], meta["notes"]
    res.timings.update({f"worker_{k}": v for k, v in list(meta["timings"].items())[:10]})
    res._y_pred = y_pred  # type: ignore[attr-defined]


def check_claims(res: Result, a: Assignment) -> None:
    """Turn a run whose own reports contradict each other, or the budget the grader holds
    (not the worker's copy of it), into status ``inconsistent`` (or ``over-budget``).

    What the worker reports is produced next to the student's code, so these checks catch a
    tampered report that contradicts itself; a consistent forgery is not caught (docs/grader.md).
    """
    t = a.training
    rows = sum(int(r["params"]) for r in res.summary)
    problems = []
    if res.params != rows:
        problems.append(f"it reported {res.params:,} parameters but its layers add up to {rows:,}")
    if res.epochs > t.epochs or res.epochs_run > res.epochs:
        problems.append(
            f"it reported {res.epochs_run} epochs run of {res.epochs} allowed, but this "
            f"assignment's budget is {t.epochs}"
        )
    lengths = {len(v) for v in res.history.values()}
    if lengths and lengths != {res.epochs_run}:
        problems.append(
            f"it reported {res.epochs_run} epochs run but a history of "
            f"{'/'.join(map(str, sorted(lengths)))} epochs"
        )
    if not t.min_batch_size <= (res.batch_size or 0) <= t.max_batch_size:
        problems.append(
            f"it reported batch size {res.batch_size}, outside {t.min_batch_size}.."
            f"{t.max_batch_size}"
        )
    if problems:
        res.status = "inconsistent"
        res.message = (
            "the run's report contradicts itself or the assignment's budget: "
            + "; ".join(problems)
            + " (did your code change the grader's training or reports?)"
        )
        return
    if max(res.params, rows) > a.limits.max_params:
        res.status = "over-budget"
        res.message = (
            f"your model has {max(res.params, rows):,} parameters; this assignment allows at most "
            f"{a.limits.max_params:,}"
        )


def _score(res: Result, a: Assignment, data: Prepared) -> None:
    y_pred = res.__dict__.pop("_y_pred")
    y_true = data.y_test
    n = len(data.class_names)
    res.accuracy = float(np.mean(y_pred == y_true))
    conf = np.zeros((n, n), dtype=np.int64)
    np.add.at(conf, (y_true, y_pred), 1)
    res.confusion = conf.tolist()
    totals = conf.sum(axis=1)
    res.per_class_accuracy = [
        (float(conf[i, i] / totals[i]) if totals[i] else None) for i in range(n)
    ]
    n_val = 0 if data.y_val is None else len(data.y_val)
    why = implausible(res.accuracy, res.history, n_val, len(y_true))
    if why:
        res.status = "implausible"
        res.message = why
        return
    res.score = float(a.scoring.points(res.accuracy))
    res.thresholds = _thresholds(a, res.accuracy)
    for note in (flat_loss_note(res.history, n), overfitting_note(res.history)):
        if note:
            res.notes.append(note)
    res.message = f"test accuracy {res.accuracy:.2%}: {res.score:g} of {res.max_score:g} points"


def implausible(test_acc: float, history: dict[str, list], n_val: int, n_test: int) -> str | None:
    """Why a test accuracy is implausibly above the run's own last validation accuracy, or None.

    Validation and test examples come from the same distribution, so the same weights score
    alike on both up to sampling noise. Flagged: a gap over IMPLAUSIBLE_GAP and over four
    standard errors of the difference of two binomial proportions (a model that looks the test
    examples up in a public copy of the data set, rather than predicting them)."""
    val = [v for v in history.get("val_accuracy") or [] if v is not None]
    if not val or n_val == 0 or n_test == 0:
        return None
    p = (val[-1] + test_acc) / 2
    se = math.sqrt(max(p * (1 - p), 0.01) * (1 / n_val + 1 / n_test))
    gap = test_acc - val[-1]
    if gap <= max(IMPLAUSIBLE_GAP, 4 * se):
        return None
    return (
        f"test accuracy {test_acc:.2%} is implausibly far above the same model's validation "
        f"accuracy {val[-1]:.2%}: held for review by the instructor (a model that looks test "
        "examples up instead of predicting them scores like this)"
    )


def flat_loss_note(history: dict[str, list], num_classes: int) -> str | None:
    """A note when the training loss stayed at ln(num_classes): the model learned nothing."""
    loss = [v for v in history.get("loss") or [] if v is not None]
    chance = math.log(num_classes) if num_classes > 1 else 0.0
    if not loss or chance == 0.0 or any(abs(v - chance) > 0.02 * chance for v in loss[-2:]):
        return None
    return (
        f"the training loss stayed at {loss[-1]:.4f}, about ln({num_classes}) = {chance:.4f}: "
        "what a model that gives every class the same score gets, so it learned nothing. "
        "Check that the loss matches the last layer (from_logits=True for a last layer "
        "without softmax, from_logits=False after a softmax) and the learning rate"
    )


def _thresholds(a: Assignment, accuracy: float | None) -> list[dict[str, Any]]:
    return [
        {"accuracy": acc, "points": pts, "reached": accuracy is not None and accuracy >= acc}
        for acc, pts in a.scoring.thresholds()
    ]


def overfitting_note(history: dict[str, list]) -> str | None:
    """A note when validation accuracy trails training accuracy widely *and* the validation
    loss has risen from its lowest point (OVERFIT_RISE): a model whose validation loss still
    falls is not overfitting, whatever the gap (BatchNormalization's moving statistics lag)."""
    train, val = history.get("accuracy") or [], history.get("val_accuracy") or []
    val_loss = [v for v in history.get("val_loss") or [] if v is not None]
    if not train or not val or train[-1] is None or val[-1] is None or len(val_loss) < 2:
        return None
    gap = train[-1] - val[-1]
    best = min(val_loss)
    if gap <= OVERFIT_GAP or val_loss[-1] <= best * (1 + OVERFIT_RISE):
        return None
    return (
        f"validation accuracy ({val[-1]:.1%}) trails training accuracy ({train[-1]:.1%}) by "
        f"{gap:.1%} and the validation loss rose from {best:.3f} to {val_loss[-1]:.3f}: the "
        "model is probably overfitting; try dropout, data augmentation, fewer parameters or "
        "fewer epochs"
    )


def _finish(res: Result, a: Assignment, start: float, out_dir: Path | str | None) -> Result:
    res.wall_seconds = round(time.perf_counter() - start, 2)
    if not res.ok:
        res.score = 0.0
        if not res.message:
            res.message = STATUSES.get(res.status, res.status)
    if out_dir is not None:
        from convgrade.grader.report import write_outputs

        write_outputs(res, a, Path(out_dir))
    return res
