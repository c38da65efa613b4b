"""`grade submit` against a plain Keras script doing the same work: wall time ratio.

    python benchmarks/bench_submit.py [--assignment digits-cnn] [--epochs 20] [--repeats 3]

Both sides start a fresh interpreter, build the same model (the example submission's
build_model), train it on the same arrays (the assignment's split) for the same epochs and batch
size with validation data, and evaluate it on the test set. The plain script is what a student
would run: Keras defaults, a seed, no isolation, no op determinism. `grade submit` adds the
trusted parent, the sandbox, writing inputs, deterministic ops and result checking. Its
worker ends with ``os._exit`` once the results are written, skipping TensorFlow's slow
interpreter teardown; the "plain, fast exit" variant does the same, for a like-for-like
figure. Runs alternate (plain, plain fast exit, grader, ...) and the medians are compared.
Target (issue 5): grader / plain ≤ 1.15.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLAIN = r"""
import os, sys, time, importlib.util
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, sys.argv[1])
from convgrade.grader.assignment import load_assignment
from convgrade.grader.submit import prepare
a = load_assignment(sys.argv[2])
epochs = int(sys.argv[4])
data = prepare(a)
import keras
spec = importlib.util.spec_from_file_location("sub", sys.argv[3])
sub = importlib.util.module_from_spec(spec); spec.loader.exec_module(sub)
keras.utils.set_random_seed(a.seed)
scale = a.data.scale
x_train, x_val, x_test = (
    x.astype("float32") * scale for x in (data.x_train, data.x_val, data.x_test)
)
class Task: pass
task = Task(); task.input_shape = data.input_shape; task.num_classes = len(data.class_names)
task.class_names = data.class_names
model = sub.build_model(task)
model.compile(optimizer=keras.optimizers.Adam(a.training.learning_rate),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x_train, data.y_train, epochs=epochs, batch_size=a.training.batch_size,
          validation_data=(x_val, data.y_val), verbose=0)
loss, acc = model.evaluate(x_test, data.y_test, verbose=0)
print(f"accuracy {acc:.4f}", flush=True)
if len(sys.argv) > 5:
    os._exit(0)
"""


def timed(argv: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assignment", default="digits-cnn")
    ap.add_argument(
        "--submission", default=str(ROOT / "examples/submissions/digits-cnn/lecture_cnn.py")
    )
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    plain_argv = [sys.executable, "-c", PLAIN, str(ROOT), args.assignment, args.submission,
                  str(args.epochs)]  # fmt: skip
    grade_argv = [sys.executable, "-m", "convgrade", "submit", args.submission, "-a",
                  args.assignment, "--epochs", str(args.epochs), "-q", "--backend",
                  args.backend]  # fmt: skip
    timed(plain_argv, env)  # warm the file cache and the data set cache
    plain, fast, grader = [], [], []
    for _ in range(args.repeats):
        w, out = timed(plain_argv, env)
        plain.append(w)
        w, _ = timed([*plain_argv, "fast-exit"], env)
        fast.append(w)
        w, out2 = timed(grade_argv, env)
        grader.append(w)
    p, f, g = statistics.median(plain), statistics.median(fast), statistics.median(grader)
    acc = [line.split()[1] for line in out2.splitlines() if line.startswith("accuracy")]
    report = {
        "assignment": args.assignment,
        "submission": Path(args.submission).name,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "plain_s": [round(x, 2) for x in plain],
        "plain_fast_exit_s": [round(x, 2) for x in fast],
        "grader_s": [round(x, 2) for x in grader],
        "plain_median_s": round(p, 2),
        "plain_fast_exit_median_s": round(f, 2),
        "grader_median_s": round(g, 2),
        "ratio": round(g / p, 3),
        "ratio_vs_fast_exit": round(g / f, 3),
        "grader_accuracy": acc[0] if acc else None,
        "plain_accuracy": out.split()[-1],
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "python": platform.python_version(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
