"""Benchmark: checking a class of 300 students x 20 questions.

Run from the repository root:  python benchmarks/bench_check.py [--students 300] [--questions 20]
[--repeat 3]

Builds a key with every registered kind (cycled over the questions) and one personal exercise per
student and question, and answer sheets written as students write them (strings: rows on lines,
``4x4`` ...; about 40 % of answers carry a misconception, 5 % are blank). Times, separately:
marking the parsed sheets in memory (parse + mark + diagnose), and the whole ``check-all`` path
(read key and 300 TOML files, mark, write gradebooks, 600 feedback files and the report).
The whole path is the function ``grade check-all`` calls. Prints wall seconds and CPU seconds (this
process plus the processes check-all forks on a machine with two or more cores: one draws the
report's charts, importing matplotlib each run, one shares the marking and one the feedback).
"""

from __future__ import annotations

import argparse
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convgrade.exercises.answer_sheets import check_sheet, load_answers, load_key  # noqa: E402
from convgrade.exercises.class_check import check_all  # noqa: E402
from convgrade.exercises.collector import old_objects_frozen  # noqa: E402

from convgrade import exercises  # noqa: E402
from tests.key_helpers import (  # noqa: E402
    answers_toml,
    make_key,
    random_answers,
    student_exercises,
    write_key,
)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--keep",
        metavar="DIR",
        help="write the key and sheets to DIR/key.json and DIR/class and keep them (to time "
        "`grade check-all DIR/class --key DIR/key.json -o OUT` itself)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(args.keep) if args.keep else Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        key = make_key(n_students=args.students, n_questions=args.questions, seed=1)
        write_key(tmp / "key.json", key)
        rng = random.Random(0)
        (tmp / "class").mkdir(exist_ok=True)
        for s in key["students"]:
            answers = random_answers(student_exercises(key, s["id"]), rng)
            (tmp / "class" / f"{s['id']}.toml").write_text(
                answers_toml(s["id"], key["set_id"], answers), encoding="utf-8"
            )
        setup = time.perf_counter() - t0

        k = load_key(tmp / "key.json")
        sheets = [load_answers(p) for p in sorted((tmp / "class").glob("*.toml"))]
        marking, marking_cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), _cpu_seconds()
            with old_objects_frozen():  # as check-all marks: collections skip the key
                results = [check_sheet(k, sh) for sh in sheets]
            marking.append(time.perf_counter() - t0)
            marking_cpu.append(_cpu_seconds() - c0)
        diagnosed = sum(len(q.diagnoses) > 0 for r in results for q in r.questions)

        whole, whole_cpu = [], []
        for i in range(args.repeat):
            t0, c0 = time.perf_counter(), _cpu_seconds()
            check_all(tmp / "key.json", tmp / "class", tmp / f"out{i}")
            whole.append(time.perf_counter() - t0)
            whole_cpu.append(_cpu_seconds() - c0)

    n = args.students * args.questions
    best = min(marking)
    print(f"kinds: {', '.join(exercises.kinds())}")
    print(f"python {platform.python_version()} on {platform.machine()}, {_cpu()}")
    print(f"setup (key + sheets, not timed below): {setup:.2f} s")
    print(
        f"marking {args.students} students x {args.questions} questions = {n} answers: "
        f"best {best:.3f} s of {args.repeat} ({1e6 * best / n:.0f} us per question), "
        f"CPU best {min(marking_cpu):.3f} s; {diagnosed} questions with a diagnosis"
    )
    print(
        f"check-all (read files, mark, write all outputs): best {min(whole):.2f} s wall, "
        f"{min(whole_cpu):.2f} s CPU; median {statistics.median(whole):.2f} s wall; runs "
        + ", ".join(f"{t:.2f}" for t in whole)
    )


if __name__ == "__main__":
    main()
