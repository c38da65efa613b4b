"""`grade build` of a 20-question set for 300 students into every available format.

    python benchmarks/bench_build.py [--students 300] [--questions 20] [--markdown]
    python benchmarks/bench_build.py --format moodle              # 6,000 exercises -> moodle.xml
    python benchmarks/bench_build.py --variants 1000 --questions 10 \
        --format moodle,gift,canvas,qti21,blackboard,key          # six LMS/key formats
    python benchmarks/bench_build.py --spec examples/all-kinds.toml --variants 100 \
        --format moodle,gift,canvas,qti21,blackboard,key          # issue 11's 1,000 variants

One build with every format this installation has; prints the wall time of the whole build, the
time of each step (``BuildResult.timings``: generation, each format), the output sizes, and the
CPU seconds: the whole (forked workers included) and the main process's (about the wall time of
a build on an idle machine with enough CPUs). ``benchmarks/bench_lms.py`` times whole commands. The
spec cycles through the kinds available (``exercises.kinds()``), difficulty 2.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convgrade.exercises.problemset import build  # noqa: E402

from convgrade import exercises  # noqa: E402


def write_inputs(d: Path, students: int, questions: int) -> tuple[Path, Path]:
    """A spec of ``questions`` questions over the available kinds, a roster of ``students``."""
    kinds = list(exercises.kinds())
    counts = [questions // len(kinds) + (i < questions % len(kinds)) for i in range(len(kinds))]
    spec = 'title = "Benchmark"\nset_id = "bench"\n'
    for kind, n in zip(kinds, counts):
        if n:
            spec += f'\n[[section]]\nkind = "{kind}"\ncount = {n}\npoints = 2\n'
    (d / "spec.toml").write_text(spec)
    rows = ["student_id,name"] + [f"s{i:04d},Student {i}" for i in range(students)]
    (d / "roster.csv").write_text("\n".join(rows) + "\n")
    return d / "spec.toml", d / "roster.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--variants", type=int, default=None, help="variants mode (no roster)")
    ap.add_argument("--format", default=None, help="formats, e.g. moodle (default: all)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--out", type=Path, default=None, help="keep the output in this folder")
    ap.add_argument("--spec", type=Path, default=None, help="this spec instead of a generated one")
    args = ap.parse_args()
    os.environ.setdefault("CONVGRADE_SECRET", "benchmark-secret")
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        spec, roster = write_inputs(tmp, args.students, args.questions)
        if args.spec:
            spec = args.spec.resolve()
        out = args.out or tmp / "out"
        t = time.perf_counter()
        if args.variants:
            res = build(spec, out, variants=args.variants, formats=args.format)
        else:
            res = build(spec, out, roster=roster, formats=args.format)
        total = time.perf_counter() - t
        n_files = len(res.files)
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = time.process_time()  # on an idle machine, about the wall time
    cpu = main_cpu + kids.ru_utime + kids.ru_stime  # with the workers the build forked
    who = f"{args.variants} variants" if args.variants else f"{args.students} students"
    n_q = len(res.problemset.questions)
    n_ex = (args.variants or args.students) * n_q
    head = (
        f"{n_q} questions x {who} ({n_ex} exercises); kinds "
        f"{', '.join(exercises.kinds())}; formats {','.join(res.formats)}; Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    size_text = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items()))
    if args.markdown:
        print(head + "\n\n| step | seconds |\n|---|---:|")
        for step, s in res.timings.items():
            print(f"| {step} | {s:.1f} |")
        print(f"| **whole build** | **{total:.1f}** |\n\n{n_files} files: {size_text}")
        print(f"CPU (imports included): {cpu:.2f} s, of which the main process {main_cpu:.2f} s")
    else:
        print(head)
        for step, s in res.timings.items():
            print(f"{step:>14}: {s:6.1f} s")
        print(f"{'whole build':>14}: {total:6.1f} s, {n_files} files\n{size_text}")
        print(f"{'CPU':>14}: {cpu:6.2f} s (imports and forked workers included)")
        print(f"{'main process':>14}: {main_cpu:6.2f} s CPU (the critical path)")


if __name__ == "__main__":
    main()
