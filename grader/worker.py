"""The grading worker: ``python -m convgrade.grader.worker WORKDIR`` runs a student's submission.

It runs inside the isolated process only. It reads ``WORKDIR/input/task.json`` and the data
arrays (never the test labels), imports the submission, checks the model, trains it
deterministically, and writes ``WORKDIR/output/predictions.npy`` + ``meta.json`` — or
``WORKDIR/output/error.json`` (``{"status", "message"}``) when the submission fails. Progress goes
to stdout as ``@@progress {json}`` lines. The parent validates everything it reads back.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PROTOCOL = 1
PROGRESS = "@@progress "
#: what a submission may import (the grader's runtime; see docs/grader.md).
IMPORTABLE = (
    "A submission can import the Python standard library, numpy, keras, tensorflow, "
    "matplotlib (plots are not shown), scipy and IPython (display() shows nothing); nothing "
    "else is installed (no pandas)"
)


class SubmissionFailed(Exception):
    """A failure of the student's submission: a status and a message the student understands."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Task:
    """What ``build_model(task)`` receives.

    ``input_shape`` excludes the batch axis (``()`` for text: one string per example);
    ``train_texts`` (text assignments) is a ``tf.data.Dataset`` of batches of training strings,
    ready for ``TextVectorization.adapt``.
    """

    input_shape: tuple
    num_classes: int
    class_names: list[str]
    kind: str
    input_dtype: str
    train_texts: Any = None
    seed: int = 0


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes/contexts, outermost first (no cycles)."""
    seen: list[BaseException] = []
    while exc is not None and all(exc is not e for e in seen) and len(seen) < 20:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _where(exc: BaseException, filename: str, cells: list[int] | None, source: str = "") -> str:
    """'line 7 (code)' of the deepest traceback frame inside the submission, or ''.

    The frames of the whole chain count (Keras re-raises its errors with a filtered traceback).
    When none is in the submission and Keras names the failing layer ("... calling
    Dropout.call()"), the line that creates the only layer of that class is named."""
    line, text = None, ""
    for link in _chain(exc):
        if isinstance(link, SyntaxError) and link.filename == filename:
            line, text = link.lineno, (link.text or "").strip()
            break
        frames = [f for f in traceback.extract_tb(link.__traceback__) if f.filename == filename]
        if frames:
            line, text = frames[-1].lineno, (frames[-1].line or "").strip()
            break
    if line is None:
        line, text = _layer_line(exc, source)
    if line is None:
        return ""
    where = f"line {line}"
    if cells:
        cell = max((i for i, start in enumerate(cells) if start <= line), default=0)
        where = f"line {line - cells[cell] + 1} of code cell {cell + 1}"
    return f"{where} ({text[:120]})" if text else where


_KERAS_CALL = re.compile(r"Exception encountered when calling (?:layer )?'?(\w+)'?")


def _layer_line(exc: BaseException, source: str) -> tuple[int | None, str]:
    """The line creating the layer a Keras call error names, if exactly one line does."""
    found = _KERAS_CALL.search(str(exc))
    if not found or not source:
        return None, ""
    cls = found.group(1).split(".")[0]
    hits = [
        (i, text.strip())
        for i, text in enumerate(source.splitlines(), 1)
        if re.search(rf"\b{re.escape(cls)}\s*\(", text) and not text.lstrip().startswith("#")
    ]
    return hits[0] if len(hits) == 1 else (None, "")


_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def _explain(exc: BaseException) -> str:
    """'ValueError: first line', with the real cause when Keras wrapped it.

    Keras 3 reports a failing layer as "Exception encountered when calling Dropout.call().",
    the cause in bold on a later line (and in ``__context__``): both are kept."""
    text = _ESCAPE.sub("", str(exc)).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    if _KERAS_CALL.search(first):
        cause = next((c for c in _chain(exc)[1:] if str(c).strip()), None)
        detail = _ESCAPE.sub("", str(cause)).strip().splitlines()[0] if cause else ""
        if not detail and len(lines) > 1 and not lines[1].startswith("Arguments received"):
            detail = lines[1]
        if detail:
            first = f"{first.rstrip('.')}: {detail}"
    if len(first) > 400:
        first = first[:397] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _fail(
    status: str, what: str, exc: BaseException, filename: str, cells, source: str = ""
) -> SubmissionFailed:
    where = _where(exc, filename, cells, source)
    if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError":
        return SubmissionFailed(
            "memory-limit",
            f"your code ran out of memory{' at ' + where if where else ''} ({_explain(exc)}): "
            "use a smaller model or batch size",
        )
    message = f"{what}{' at ' + where if where else ''}: {_explain(exc)}"
    if isinstance(exc, ModuleNotFoundError):
        message += f". {IMPORTABLE}"
    return SubmissionFailed(status, message)


class Worker:
    """One grading run in WORKDIR."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.inp = workdir / "input"
        self.out = workdir / "output"
        self.task_spec = json.loads((self.inp / "task.json").read_text(encoding="utf-8"))
        self.sub_path = str(self.inp / self.task_spec["submission"])
        self.cells = self.task_spec.get("cells")
        self.source = ""
        self.probabilities = False  # the model's output rows are probability distributions
        self.notes: list[str] = []

    # ------------------------------------------------------------ data
    def _images(self, split: str):
        x = np.load(self.inp / f"x_{split}.npy", allow_pickle=False)
        return x.astype(np.float32) * np.float32(self.task_spec["scale"])

    def _texts(self, split: str) -> list[str]:
        from convgrade.grader import textio

        return textio.load(self.inp / f"x_{split}")

    def _x(self, split: str):
        return self._texts(split) if self.task_spec["kind"] == "text" else self._images(split)

    def _y(self, split: str) -> np.ndarray:
        return np.load(self.inp / f"y_{split}.npy", allow_pickle=False).astype(np.int64)

    # ------------------------------------------------------------ steps
    def load_submission(self) -> types.ModuleType:
        # the parent wrote the source as UTF-8 (decoded as Python decodes source files)
        source = self.source = Path(self.sub_path).read_text(encoding="utf-8", errors="replace")
        try:
            code = compile(source, self.sub_path, "exec")
        except SyntaxError as exc:
            where = _where(exc, self.sub_path, self.cells) or "an unknown line"
            raise SubmissionFailed(
                "syntax-error", f"your code has a syntax error at {where}: {exc.msg}"
            ) from None
        module = types.ModuleType("submission")
        module.__file__ = self.sub_path
        # notebook magics became get_ipython() calls (see submission.py): they run nothing
        module.get_ipython = _NoIPython
        module.display = _display
        sys.modules["submission"] = module
        try:
            exec(code, module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - anything the student's code raises
            raise _fail(
                "import-error",
                "running your file failed",
                exc,
                self.sub_path,
                self.cells,
                self.source,
            ) from None
        if not callable(getattr(module, "build_model", None)):
            raise SubmissionFailed(
                "no-build-model",
                "your file defines no function build_model(task): define one that returns "
                "a Keras model",
            )
        return module

    def settings(self, module: types.ModuleType) -> tuple[int, int]:
        spec = self.task_spec
        epochs, batch = spec["epochs"], spec["batch_size"]
        asked = getattr(module, "EPOCHS", None)
        if asked is not None:
            if isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
                raise SubmissionFailed(
                    "bad-setting", f"EPOCHS must be a positive integer, got {asked!r}"
                )
            if asked > epochs:
                self.notes.append(
                    f"EPOCHS = {asked} is above this assignment's budget; trained {epochs}"
                )
            epochs = min(asked, epochs)
        asked = getattr(module, "BATCH_SIZE", None)
        if asked is not None:
            lo, hi = spec["min_batch_size"], spec["max_batch_size"]
            if isinstance(asked, bool) or not isinstance(asked, int) or not lo <= asked <= hi:
                raise SubmissionFailed(
                    "bad-setting", f"BATCH_SIZE must be an integer from {lo} to {hi}, got {asked!r}"
                )
            batch = asked
        return epochs, batch

    def build(self, module, task: Task):
        import keras

        try:
            model = module.build_model(task)
        except BaseException as exc:  # noqa: BLE001
            raise _fail(
                "build-error",
                "build_model(task) failed",
                exc,
                self.sub_path,
                self.cells,
                self.source,
            ) from None
        if not isinstance(model, keras.Model):
            raise SubmissionFailed(
                "bad-model",
                f"build_model(task) must return a Keras model, it returned {type(model).__name__}",
            )
        return model

    def check_shapes(self, model, sample) -> None:
        """Call the model on two training examples: the output must be (2, num_classes)."""
        n = self.task_spec["num_classes"]
        want = tuple(self.task_spec["input_shape"])
        try:
            declared = tuple(model.input_shape[1:])
        except Exception:  # not built yet: a Sequential without an Input
            declared = None
        if declared is not None and self.task_spec["kind"] == "image":
            ok = len(declared) == len(want) and all(d in (None, w) for d, w in zip(declared, want))
            if not ok:
                raise SubmissionFailed(
                    "bad-shape",
                    f"your model takes inputs of shape {declared} but this assignment's inputs "
                    f"have shape {want}: use keras.Input(shape=task.input_shape)",
                )
        try:
            out = model(sample, training=False)
        except BaseException as exc:  # noqa: BLE001
            raise _fail(
                "bad-shape", f"your model cannot take this assignment's inputs {want}", exc,
                self.sub_path, self.cells, self.source,
            ) from None  # fmt: skip
        if not hasattr(out, "shape"):
            raise SubmissionFailed(
                "bad-shape",
                f"your model returns {type(out).__name__}, not one tensor: it must have a single "
                f"output of shape (batch, {n})",
            )
        shape = tuple(int(d) for d in out.shape)
        if shape != (len(sample), n):
            raise SubmissionFailed(
                "bad-shape",
                f"your model outputs shape {_shape_text(shape)} but it must output "
                f"(batch, {n}): one score per class, e.g. a last layer Dense({n})",
            )
        values = np.asarray(out, dtype=np.float64)
        self.probabilities = bool(
            np.all(values >= 0) and np.allclose(values.sum(axis=1), 1.0, atol=1e-3)
        )

    def compile(self, module, model) -> str:
        import keras

        spec = self.task_spec
        custom = getattr(module, "compile_model", None)
        if callable(custom):
            try:
                custom(model)
            except BaseException as exc:  # noqa: BLE001
                raise _fail(
                    "compile-error",
                    "compile_model(model) failed",
                    exc,
                    self.sub_path,
                    self.cells,
                    self.source,
                ) from None
            if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
                raise SubmissionFailed(
                    "compile-error", "compile_model(model) must call model.compile(...)"
                )
            return "compile_model"
        optimizer = keras.optimizers.get(
            {"class_name": spec["optimizer"], "config": {"learning_rate": spec["learning_rate"]}}
        )
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=spec["from_logits"]),
            metrics=["accuracy"],
        )
        return "default"

    def run(self) -> None:
        spec = self.task_spec
        clock = _Clock()
        import keras

        clock.lap("import_keras")
        # Seeded before the submission's module runs: layers it creates at import time (the
        # keras.io augmentation pipelines) draw their seeds now.
        keras.utils.set_random_seed(spec["seed"])
        text = spec["kind"] == "text"
        if text or keras.backend.backend() == "tensorflow":  # text pipelines are tf.data
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
            _cap_gpu_memory(tf)

        module = self.load_submission()
        epochs, batch_size = self.settings(module)
        clock.lap("load_submission")

        x_train, y_train = self._x("train"), self._y("train")
        has_val = (self.inp / "y_val.npy").is_file()
        x_val, y_val = (self._x("val"), self._y("val")) if has_val else (None, None)
        task = Task(
            input_shape=tuple(spec["input_shape"]),
            num_classes=spec["num_classes"],
            class_names=list(spec["class_names"]),
            kind=spec["kind"],
            input_dtype="string" if text else "float32",
            seed=spec["seed"],
        )
        if text:
            task.train_texts = tf.data.Dataset.from_tensor_slices(tf.constant(x_train)).batch(256)

        model = self.build(module, task)
        sample = x_train[:2]
        if text:
            sample = self._text_input(model, x_train[:2])
        self.check_shapes(model, sample)
        params = int(model.count_params())
        if params > spec["max_params"]:
            raise SubmissionFailed(
                "over-budget",
                f"your model has {params:,} parameters; this assignment allows at most "
                f"{spec['max_params']:,}",
            )
        compiled = self.compile(module, model)
        hint = loss_output_hint(self.probabilities, _from_logits(model))
        if hint:
            self.notes.append(hint)
        print(
            PROGRESS + json.dumps({"stage": "training", "params": params, "epochs": epochs}),
            flush=True,
        )

        progress = make_progress_callback(epochs)
        if text:
            train = tf.data.Dataset.from_tensor_slices((self._strings(x_train), y_train))
            train = train.shuffle(len(x_train), seed=spec["seed"]).batch(batch_size)
            val = None
            if has_val:
                val = tf.data.Dataset.from_tensor_slices((self._strings(x_val), y_val))
                val = val.batch(batch_size)
            fit_args = {"x": train, "validation_data": val}
        else:
            fit_args = {
                "x": x_train, "y": y_train, "batch_size": batch_size, "shuffle": True,
                "validation_data": (x_val, y_val) if has_val else None,
            }  # fmt: skip
        clock.lap("build_and_check")
        start = time.perf_counter()
        try:
            history = model.fit(epochs=epochs, verbose=0, callbacks=[progress], **fit_args)
        except BaseException as exc:  # noqa: BLE001
            raise _fail(
                "training-error", "training failed", exc, self.sub_path, self.cells, self.source
            ) from None
        train_s = time.perf_counter() - start
        clock.lap("fit")
        if progress.nan_epoch is not None:
            raise SubmissionFailed(
                "nan-loss",
                f"the training loss became NaN (not a number) in epoch {progress.nan_epoch}: "
                "check the learning rate, the last layer's activation and the loss",
            )
        x_test = self._x("test")
        try:
            if text:
                x_test = self._strings(x_test)
            preds = model.predict(x_test, batch_size=max(batch_size, 256), verbose=0)
            preds = np.asarray(preds, dtype=np.float32)
            clock.lap("predict")
        except BaseException as exc:  # noqa: BLE001
            raise _fail(
                "prediction-error",
                "predicting the test set failed",
                exc,
                self.sub_path,
                self.cells,
                self.source,
            ) from None
        hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        meta = {
            "protocol": PROTOCOL,
            "params": params,
            "trainable_params": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
            "epochs": epochs,
            "epochs_run": len(hist.get("loss", [])),
            "batch_size": batch_size,
            "compile": compiled,
            "train_seconds": round(train_s, 3),
            "history": hist,
            "summary": _summary_rows(model),
            "notes": self.notes,
            "timings": clock.laps,
        }
        self.out.mkdir(exist_ok=True)
        np.save(self.out / "predictions.npy", preds, allow_pickle=False)
        (self.out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    def _text_input(self, model, texts: list[str]):
        """A batch of strings in the rank the model takes: (batch,) or (batch, 1)."""
        try:
            rank = len(model.input_shape)
        except Exception:  # not built: a Sequential without an Input takes what it gets
            rank = 1
        self._rank = 2 if rank == 2 else 1
        return self._strings(texts)

    def _strings(self, texts: list[str]):
        """A string tensor (n,) or (n, 1), per the model's input rank."""
        import tensorflow as tf

        t = tf.constant(texts, dtype=tf.string)
        return tf.reshape(t, (-1, 1)) if getattr(self, "_rank", 1) == 2 else t


class _NoIPython:
    """What ``get_ipython()`` gives a converted notebook: magics and shell commands run nothing."""

    def run_line_magic(self, *args, **kwargs) -> None:
        return None

    run_cell_magic = system = run_line_magic

    def getoutput(self, *args, **kwargs) -> list:
        return []


def _display(*objs, **kwargs) -> None:
    """IPython's ``display()`` in a notebook: nothing to show in a grading run."""


def _from_logits(model) -> bool | None:
    """The compiled loss's ``from_logits`` (None when it cannot be told)."""
    loss = getattr(model, "loss", None)
    for obj in (loss, getattr(loss, "fn", None)):
        config = getattr(obj, "get_config", None)
        try:
            value = config().get("from_logits") if callable(config) else None
        except Exception:
            value = None
        if isinstance(value, bool):
            return value
    if isinstance(loss, str) and "crossentropy" in loss:
        return False  # a loss given by name uses its default, from_logits=False
    return None


def loss_output_hint(probabilities: bool, from_logits: bool | None) -> str | None:
    """A note when the model's output and the loss disagree about logits vs probabilities."""
    if probabilities and from_logits is True:
        return (
            "your model outputs probabilities (a softmax last layer) but the loss expects "
            "logits (from_logits=True): remove the softmax activation from the last layer, "
            "or it trains slower and worse"
        )
    if not probabilities and from_logits is False:
        return (
            "your model outputs logits (no softmax) but your loss has from_logits=False and "
            "treats them as probabilities: use SparseCategoricalCrossentropy(from_logits=True) "
            "or a softmax last layer"
        )
    return None


def _shape_text(shape: tuple) -> str:
    """(2, 1) -> '(batch, 1)'."""
    return "(" + ", ".join(["batch", *map(str, shape[1:])]) + ")"


def _cap_gpu_memory(tf) -> None:
    """TensorFlow on a shared GPU: at most the job's share of its memory (JAX reads its cap
    from XLA_PYTHON_CLIENT_MEM_FRACTION itself)."""
    fraction = float(os.environ.get("CONVGRADE_GPU_MEMORY_FRACTION", "0") or 0)
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus or not 0 < fraction < 1:
        return
    total = tf.config.experimental.get_device_details(gpus[0]).get("memory_limit") or 0
    for gpu in gpus:
        if total:
            limit = int(total * fraction / 2**20)
            config = [tf.config.LogicalDeviceConfiguration(memory_limit=limit)]
            tf.config.set_logical_device_configuration(gpu, config)
        else:
            tf.config.experimental.set_memory_growth(gpu, True)


class _Clock:
    """Seconds spent per phase of the run (reported in meta.json ``timings``)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


def _summary_rows(model) -> list[dict[str, Any]]:
    rows = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape)).replace("None", "batch")
        except Exception:
            shape = "?"
        try:
            n = int(layer.count_params())
        except Exception:
            n = 0
        rows.append(
            {"name": layer.name, "type": type(layer).__name__, "output_shape": shape, "params": n}
        )
    return rows


def make_progress_callback(epochs: int):
    """A Keras callback printing one ``@@progress`` line per epoch; it stops on a NaN loss."""
    import keras

    class Progress(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.nan_epoch: int | None = None

        def on_epoch_end(self, epoch: int, logs=None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            line = {"epoch": epoch + 1, "epochs": epochs}
            line.update({k: (v if math.isfinite(v) else None) for k, v in logs.items()})
            print(PROGRESS + json.dumps(line), flush=True)
            if not math.isfinite(logs.get("loss", 0.0)):
                self.nan_epoch = epoch + 1
                self.model.stop_training = True

    return Progress()


def _write_error(out: Path, status: str, message: str) -> None:
    out.mkdir(exist_ok=True)
    (out / "error.json").write_text(
        json.dumps({"status": status, "message": message}), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    workdir = Path(argv[0])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = workdir / "output"
    try:
        Worker(workdir).run()
    except SubmissionFailed as exc:
        _write_error(out, exc.status, exc.message)
    except BaseException as exc:  # noqa: BLE001 - report, never crash without a word
        _write_error(out, "error", f"the grader failed while running your code: {_explain(exc)}")
        traceback.print_exc()
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The results are written and closed. Skip the interpreter's teardown: with TensorFlow
    # loaded it takes seconds (thread pools, atexit hooks) and produces nothing we read.
    os._exit(code)
