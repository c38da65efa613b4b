"""Wall and CPU seconds of the two LMS build targets, whole commands, checkouts side by side.

    python benchmarks/bench_lms.py                          # this checkout, 3 runs of each
    python benchmarks/bench_lms.py --checkout /work/main --checkout . --runs 3

Targets (issue 11): ``roster`` is ``python benchmarks/bench_build.py --format moodle`` (300
students x 20 questions = 6,000 exercises into ``moodle.xml``); ``six`` is ``grade build
examples/all-kinds.toml --variants 100 --format moodle,gift,canvas,qti21,blackboard,key`` (10
questions x 100 variants = 1,000 variants) with ``CONVGRADE_SECRET=x``. Each command runs as its
own process (imports included) in the checkout's folder with the checkout's interpreter
(``CHECKOUT/.venv/bin/python``, or ``--checkout DIR=PYTHON``); checkouts alternate run by run.
CPU is the child's user + system time (its forked workers included).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = "moodle,gift,canvas,qti21,blackboard,key"


def command(target: str, checkout: Path, python: str, out: Path) -> list[str]:
    if target == "roster":
        cmd = [python, "benchmarks/bench_build.py", "--format", "moodle"]
        if "--out" in (checkout / cmd[1]).read_text():  # older checkouts: a temporary folder
            cmd += ["--out", str(out)]
        return cmd
    grade = [python, "-c", "from convgrade.cli.main import main; main()"]
    return grade + [
        "build",
        "examples/all-kinds.toml",
        "--variants",
        "100",
        "--format",
        FORMATS,
        "--out",
        str(out),
    ]


def run_once(target: str, checkout: Path, python: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole command."""
    out = Path(tempfile.mkdtemp(prefix="bench-lms-"))
    shutil.rmtree(out)
    env = {**os.environ, "CONVGRADE_SECRET": "x"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        command(target, checkout, python, out),
        cwd=checkout,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", action="append", help="DIR or DIR=PYTHON (repeatable)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--target", choices=["roster", "six", "both"], default="both")
    args = ap.parse_args()
    checkouts = []
    for spec in args.checkout or [str(ROOT)]:
        d, _, py = spec.partition("=")
        d = Path(d).resolve()
        checkouts.append((d, py or str(d / ".venv" / "bin" / "python")))
    targets = ["roster", "six"] if args.target == "both" else [args.target]
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    for target in targets:
        got: dict[Path, list[tuple[float, float]]] = {d: [] for d, _ in checkouts}
        for _ in range(args.runs):
            for d, py in checkouts:
                got[d].append(run_once(target, d, py))
        for d, _ in checkouts:
            walls = [w for w, _ in got[d]]
            cpus = [c for _, c in got[d]]
            print(
                f"{target:>6} {d}: wall {' '.join(f'{w:.2f}' for w in walls)} "
                f"(median {statistics.median(walls):.2f}) s; CPU "
                f"{' '.join(f'{c:.2f}' for c in cpus)} (median {statistics.median(cpus):.2f}) s"
            )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
