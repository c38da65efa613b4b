"""The Ray engine against the local pool, and throughput as Ray nodes are added.

    python benchmarks/bench_ray.py [--students 8] [--workers 2] [--nodes 1 2] [--epochs 1]

1. Overhead: the same class graded by ``grade batch --workers W`` (local pool) and by
   ``grade batch --engine ray --workers W`` (a single-node Ray with W CPUs started for it),
   side by side in this run, in fresh interpreters; reports the ratio ray / local (target
   <= 1.10).
2. Scaling: a simulated multi-node cluster on this machine (``ray.cluster_utils.Cluster``: a
   head that only schedules, N worker nodes of one CPU each, each its own raylet) grades the
   same class for each N in --nodes; reports submissions per minute per N. On one machine the
   nodes share its cores, so scaling stops at the core count: this measures the engine's
   placement, not more hardware.

Every run must grade every student "ok".
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
# Ray's single-machine mode: every simulated node listens on 127.0.0.1 only (read at import)
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
EXAMPLE = ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py"


def _class(tmp: Path, n: int) -> Path:
    folder = tmp / "class"
    folder.mkdir()
    for i in range(n):
        shutil.copy(EXAMPLE, folder / f"s{i:03d}.py")
    return folder


def _batch(folder: Path, out: Path, extra: list[str], epochs: int, n: int) -> tuple[float, float]:
    """(the command's wall time, the batch's own wall time: without start-up such as Ray's)"""
    argv = [sys.executable, "-m", "convgrade", "batch", str(folder), "-a", "digits-cnn",
            "--epochs", str(epochs), "--out", str(out), *extra]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"grade batch {' '.join(extra)} failed:\n{proc.stderr[-3000:]}")
    summary = json.loads((out / "summary.json").read_text())
    if summary["counts"] != {"ok": n}:
        sys.exit(f"not every submission was graded ok: {summary['counts']}")
    return wall, summary["wall_s"]


def _scaling(folder: Path, tmp: Path, nodes: int, epochs: int, n: int) -> float:
    """Wall time of run_batch on a Cluster of ``nodes`` one-CPU worker nodes."""
    import ray
    from convgrade.grader.assignment import load_assignment
    from convgrade.grader.batch import run_batch
    from convgrade.grader.executors import get_executor
    from convgrade.grader.submit import grade_submission
    from ray.cluster_utils import Cluster

    a = load_assignment("digits-cnn").replace(epochs=epochs)  # as --epochs does

    def grade(path, out):
        return grade_submission(path, a, out_dir=out)

    lo = "127.0.0.1"
    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "node_ip_address": lo},
    )
    for _ in range(nodes):
        c.add_node(num_cpus=1, node_ip_address=lo)
    ray.init(address=c.address, log_to_driver=False, _node_ip_address=lo)
    try:
        c.wait_for_nodes()
        ex = get_executor("ray")
        start = time.perf_counter()
        summary = run_batch(folder, tmp / f"nodes{nodes}", grade, executor=ex)
        wall = time.perf_counter() - start
        if summary.counts != {"ok": n}:
            sys.exit(f"not every submission was graded ok: {summary.counts}")
        return wall
    finally:
        ray.shutdown()
        c.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        folder = _class(tmp, args.students)
        w = str(args.workers)
        local = _batch(folder, tmp / "local", ["--workers", w], args.epochs, args.students)
        ray_s = _batch(folder, tmp / "ray", ["--engine", "ray", "--workers", w],
                       args.epochs, args.students)  # fmt: skip
        scaling = {n: _scaling(folder, tmp, n, args.epochs, args.students) for n in args.nodes}
        n = args.students
        print(json.dumps({
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "students": n, "epochs": args.epochs, "workers": args.workers,
            "local_wall_s": round(local[0], 1), "ray_wall_s": round(ray_s[0], 1),
            "ray_over_local": round(ray_s[0] / local[0], 3),
            "batch_only_local_s": local[1], "batch_only_ray_s": ray_s[1],
            "batch_only_ray_over_local": round(ray_s[1] / local[1], 3),
            "scaling_per_minute": {k: round(n / v * 60, 2) for k, v in scaling.items()},
        }, indent=2))  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
