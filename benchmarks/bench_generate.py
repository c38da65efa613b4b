"""Variants generated per second for each kind (generation + solution, no rendering), one core,
and the cold start time of `grade generate conv2d --seed 1`.

    python benchmarks/bench_generate.py [--seconds 1.0] [--markdown]

Target (issue 2): at least 10,000 variants/s per kind for the matrix kinds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convgrade import exercises  # noqa: E402

MATRIX_KINDS = {"conv2d", "conv2d_multichannel", "conv2d_pool", "pooling"}


def rate(kind: str, difficulty: int, seconds: float) -> float:
    """Variants per second over distinct seeds for about ``seconds``."""
    exercises.generate(kind, seed=0, difficulty=difficulty)  # warm caches
    n, seed, start = 0, 0, time.perf_counter()
    while True:
        for _ in range(100):
            exercises.generate(kind, seed=seed, difficulty=difficulty)
            seed += 1
        n += 100
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def cold_start(runs: int = 5) -> float:
    """Median wall time of a cold `grade generate conv2d --seed 1` (new interpreter each time)."""
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "convgrade", "generate", "conv2d", "--seed", "1"],
            check=True,
            capture_output=True,
            env=env,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="time per (kind, difficulty)")
    args = ap.parse_args()
    print(
        f"python {platform.python_version()}, numpy {__import__('numpy').__version__}, "
        f"{platform.machine()}, 1 process"
    )
    print(f"{'kind':22} {'d=1':>10} {'d=2':>10} {'d=3':>10}   variants/s")
    worst = {}
    for kind in exercises.kinds():
        rates = [rate(kind, d, args.seconds) for d in (1, 2, 3)]
        worst[kind] = min(rates)
        mark = "  (matrix kind, target 10,000)" if kind in MATRIX_KINDS else ""
        print(f"{kind:22} " + " ".join(f"{r:10,.0f}" for r in rates) + mark)
    print(f"cold `grade generate conv2d --seed 1`: {cold_start():.3f} s (median of 5)")
    failing = [k for k in MATRIX_KINDS & set(worst) if worst[k] < 10_000]
    if failing:
        print("below target:", ", ".join(sorted(failing)))


if __name__ == "__main__":
    main()
