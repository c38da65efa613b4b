"""`grade batch` throughput: submissions graded per minute at 1 and 2 workers.

    python benchmarks/bench_batch.py [--students 6] [--workers 1 2] [--assignment digits-cnn]
                                     [--epochs N] [--backend auto]

Builds a class of --students copies of the assignment's example submission (a realistic
"everyone handed in the lecture model" deadline), runs `grade batch` on it in a fresh
interpreter once per worker count (each into a fresh output folder, so nothing is resumed), and
reports wall time and submissions per minute. Every run must grade every student "ok".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = {
    "digits-cnn": ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py",
}


def run(folder: Path, out: Path, args: argparse.Namespace, workers: int) -> dict:
    argv = [sys.executable, "-m", "convgrade", "batch", str(folder), "-a", args.assignment,
            "--workers", str(workers), "--out", str(out), "--backend", args.backend]  # fmt: skip
    if args.epochs:
        argv += ["--epochs", str(args.epochs)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"grade batch failed:\n{proc.stderr[-3000:]}")
    summary = json.loads((out / "summary.json").read_text())
    if summary["counts"] != {"ok": args.students}:
        sys.exit(f"not every submission was graded ok: {summary['counts']}")
    return {"workers": workers, "wall_s": round(wall, 1),
            "per_minute": round(args.students / wall * 60, 2),
            "batch_wall_s": summary["wall_s"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--assignment", default="digits-cnn", choices=sorted(EXAMPLE))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        folder = tmp / "class"
        folder.mkdir()
        for i in range(args.students):
            shutil.copy(EXAMPLE[args.assignment], folder / f"student{i:02d}.py")
        rows = [run(folder, tmp / f"out-{w}", args, w) for w in args.workers]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()}")
    print(f"# {args.students} copies of the {args.assignment} example, backend {args.backend}"
          + (f", {args.epochs} epochs" if args.epochs else ""))  # fmt: skip
    print("| workers | wall (s) | submissions / minute |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['wall_s']} | {r['per_minute']} |")


if __name__ == "__main__":
    main()
