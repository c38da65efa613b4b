"""R/exams 2.4 ``exams2moodle`` against ``grade build`` into Moodle XML, side by side in one run.

    R_LIBS=/tmp/Rlib python benchmarks/bench_rexams.py            # N = 300, 6,000 extrapolated
    R_LIBS=/tmp/Rlib python benchmarks/bench_rexams.py --variants 500 --repeats 3 --r-at-scale

Both sides write N cloze variants of the same question into one Moodle XML file: convgrade's
``conv2d`` with ``kernel_size = 3, input_shape = 5, padding = 2, strides = 2`` (a random 5x5
input and 3x3 kernel, a 4x4 output: 2 shape blanks and 16 cell blanks), built as
``grade build SPEC --roster ROSTER --formats moodle`` for a roster of N students, and its R/exams
twin ``benchmarks/rexams/conv2d.Rmd`` (same draw, same 18 numeric blanks, the output matrix as
solution) built by ``exams2moodle(file, n = N)`` in ``Rscript``. Each side runs as a fresh
process; runs alternate (R, grade, R, grade ...). Measured per run: wall seconds and CPU seconds
(user + system of the process and every child it waited for, e.g. R's pandoc calls), from
``getrusage(RUSAGE_CHILDREN)``. Start-up is measured separately (``Rscript`` loading ``exams``;
``grade build --help``) and subtracted: per-variant ms = (run - start-up) / N. The R side also
reports ``proc.time()`` around ``exams2moodle`` itself. The 6,000 line is start-up + 6,000 x the
per-variant cost; ``grade`` is also run at 6,000 for real, and R too with ``--r-at-scale``
(about five minutes). Each output must hold exactly N ``<question type="cloze">`` elements,
each with 18 ``NUMERICAL`` blanks.

Needs R (``apt-get install r-base-core r-cran-knitr r-cran-rmarkdown r-cran-base64enc pandoc``)
and the exams package (recipe in docs/verify-lms.md); exits with status 2 and a message if either
is missing. A measurement, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RMD = ROOT / "benchmarks" / "rexams" / "conv2d.Rmd"
SCALE = 6000

SPEC = """title = "R/exams comparison"
set_id = "bench-rexams"

[[section]]
title = "2-D convolution, lecture scale"
kind = "conv2d"
points = 4
part_points = { shape = 1, output = 3 }
params = { kernel_size = 3, input_shape = 5, padding = 2, strides = 2 }
"""

R_SCRIPT = r"""
args <- commandArgs(TRUE)
n <- as.integer(args[1]); out <- args[2]; rmd <- args[3]
suppressPackageStartupMessages(library("exams"))
if (n > 0) {
  set.seed(1)
  t0 <- proc.time()
  invisible(exams2moodle(rmd, n = n, dir = out, name = "rexams", verbose = FALSE))
  t <- proc.time() - t0
  cat(sprintf("INNER %.6f %.6f %.6f\n", t[["elapsed"]], sum(t[1:5][-3], na.rm = TRUE),
              sum(t[4:5], na.rm = TRUE)))
}
"""


class Missing(Exception):
    """R, pandoc or the exams package is not installed."""


@dataclass
class Run:
    wall: float
    cpu: float
    inner_wall: float | None = None
    inner_cpu: float | None = None
    inner_child_cpu: float | None = None


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``cmd``; wall and CPU seconds (the process and its waited-for children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return Run(wall, cpu), proc.stdout


def r_query(rscript: str, expr: str) -> str:
    proc = subprocess.run([rscript, "-e", expr], capture_output=True, text=True)
    if proc.returncode != 0:
        raise Missing(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else expr)
    return proc.stdout.strip()


def check_r() -> tuple[str, str, str, str]:
    """Rscript path, R version, exams version, pandoc version; Missing with advice otherwise."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise Missing(
            "Rscript not found: apt-get install r-base-core r-cran-knitr r-cran-rmarkdown "
            "r-cran-base64enc pandoc (recipe in docs/verify-lms.md)"
        )
    r_version = r_query(rscript, "cat(R.version$major, R.version$minor, sep = '.')")
    try:
        exams = r_query(rscript, "cat(as.character(packageVersion('exams')))")
    except Missing:
        raise Missing(
            "the R package 'exams' is not installed in R's library path "
            f"(R_LIBS={os.environ.get('R_LIBS', '')!r}): install it as docs/verify-lms.md says "
            "and set R_LIBS to its library"
        ) from None
    try:
        pandoc = r_query(rscript, "cat(as.character(rmarkdown::pandoc_version()))")
    except Missing:
        pandoc = ""
    if not pandoc:
        raise Missing(
            "R/exams needs pandoc (and r-cran-rmarkdown) for Rmd exercises: apt-get install pandoc"
        )
    return rscript, r_version, exams, pandoc


BLANKS = 18  # 2 shape blanks + 16 output cells per question


def check_cloze(xml: Path, n: int, who: str) -> None:
    """``xml`` must hold ``n`` cloze questions with ``BLANKS`` NUMERICAL blanks each."""
    text = xml.read_text(encoding="utf-8")
    questions = text.split('<question type="cloze"')[1:]
    blanks = {len(re.findall(r"\{\d*:(?:NUMERICAL|NM):", q)) for q in questions}
    if len(questions) != n or blanks != {BLANKS}:
        raise RuntimeError(
            f"{who} wrote {len(questions)} cloze questions with {sorted(blanks)} blanks, "
            f"expected {n} with {BLANKS}"
        )


def r_build(rscript: str, r_file: Path, n: int, out: Path) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    run, stdout = timed([rscript, str(r_file), str(n), str(out), str(RMD)])
    if n:
        m = re.search(r"INNER (\S+) (\S+) (\S+)", stdout)
        if m:
            run.inner_wall, run.inner_cpu, run.inner_child_cpu = map(float, m.groups())
        check_cloze(out / "rexams.xml", n, "R/exams")
    return run


def grade_cmd() -> list[str]:
    return [sys.executable, "-c", "from convgrade.cli.main import main; main()"]


def grade_build(tmp: Path, n: int, out: Path) -> Run:
    roster = tmp / f"roster-{n}.csv"
    if not roster.exists():
        roster.write_text(
            "student_id,name\n" + "".join(f"s{i:05d},Student {i}\n" for i in range(n))
        )
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, CONVGRADE_SECRET="benchmark-secret")
    cmd = grade_cmd() + ["build", str(tmp / "spec.toml"), "-o", str(out), "--roster", str(roster)]
    run, _ = timed(cmd + ["--formats", "moodle", "-q"], env)
    check_cloze(out / "moodle.xml", n, "grade build")
    return run


def git_commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *a], capture_output=True, text=True
        ).stdout.strip()

    dirty = (
        " (+ uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    )
    return (git("rev-parse", "--short", "HEAD") or "unknown") + dirty


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=300, help="N, variants per side (default 300)")
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs per side (median)")
    ap.add_argument("--r-at-scale", action="store_true", help=f"also run R/exams at n = {SCALE:,}")
    args = ap.parse_args()
    if args.variants < 100 or args.repeats < 1:
        # below ~100 variants grade's per-variant cost drowns in start-up noise (even < 0)
        print("error: --variants must be at least 100, --repeats at least 1", file=sys.stderr)
        return 2
    try:
        rscript, r_version, exams_version, pandoc = check_r()
    except Missing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    n = args.variants
    load = os.getloadavg()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs; {platform.machine()}\n"
        f"R {r_version}, exams {exams_version}, pandoc {pandoc}; Python "
        f"{platform.python_version()}, convgrade at {git_commit()}\n"
        f"N = {n} cloze variants (conv2d 5x5 input, 3x3 kernel, padding 2, stride 2: 18 blanks), "
        f"{args.repeats} alternating runs per side, medians\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-rexams-") as tmp_s:
        tmp = Path(tmp_s)
        (tmp / "spec.toml").write_text(SPEC)
        r_file = tmp / "run.R"
        r_file.write_text(R_SCRIPT)
        runs: dict[str, list[Run]] = {}
        for _ in range(args.repeats):  # alternate the sides, so load hits both alike
            for key, fn in (
                ("r up", lambda: r_build(rscript, r_file, 0, tmp / "r")),
                ("g up", lambda: timed(grade_cmd() + ["build", "--help"])[0]),
                ("r 1", lambda: r_build(rscript, r_file, 1, tmp / "r")),
                ("g 1", lambda: grade_build(tmp, 1, tmp / "g")),
                ("r n", lambda: r_build(rscript, r_file, n, tmp / "r")),
                ("g n", lambda: grade_build(tmp, n, tmp / "g")),
                ("g scale", lambda: grade_build(tmp, SCALE, tmp / "g")),
            ):
                runs.setdefault(key, []).append(fn())
        if args.r_at_scale:
            runs["r scale"] = [r_build(rscript, r_file, SCALE, tmp / "r")]
    wall = {k: med([r.wall for r in v]) for k, v in runs.items()}
    cpu = {k: med([r.cpu for r in v]) for k, v in runs.items()}

    def line(label: str, w: float, c: float, spec: str = "9.2f", unit: str = "", tail: str = ""):
        print(f"{label:<46} {w:{spec}}{unit} {c:{spec}}{unit}{tail}")

    def row(label: str, key: str) -> None:
        line(label, wall[key], cpu[key])

    print(f"{'whole process':<46} {'wall s':>9} {'CPU s':>9}")
    row("R start-up (Rscript, library(exams))", "r up")
    row("R exams2moodle(n = 1)", "r 1")
    row(f"R exams2moodle(n = {n})", "r n")
    inner = [r for r in runs["r n"] if r.inner_wall is not None]
    if inner:
        line(
            "  of which exams2moodle() itself (proc.time)",
            med([r.inner_wall for r in inner]),
            med([r.inner_cpu for r in inner]),
        )
        child = med([r.inner_child_cpu for r in inner])
        print(f"{'  of which in child processes (pandoc)':<46} {'':9} {child:9.2f}")
    if "r scale" in runs:
        row(f"R exams2moodle(n = {SCALE:,})", "r scale")
    row("grade start-up (grade build --help)", "g up")
    row("grade build --formats moodle, roster of 1", "g 1")
    row(f"grade build --formats moodle, roster of {n}", "g n")
    row(f"grade build --formats moodle, roster of {SCALE:,}", "g scale")

    def per(side: str, big: str, count: int) -> tuple[float, float]:
        """Seconds per extra variant: (run of ``count`` - run of 1) / (count - 1)."""
        one, k = f"{side} 1", max(count - 1, 1)
        return (wall[big] - wall[one]) / k, (cpu[big] - cpu[one]) / k

    r_per, g_per, g_scale = per("r", "r n", n), per("g", "g n", n), per("g", "g scale", SCALE)
    print(f"\n{'ms per variant, (T(N) - T(1)) / (N - 1)':<46} {'wall':>9} {'CPU':>9}")
    line(f"R/exams exams2moodle, N = {n}", r_per[0] * 1e3, r_per[1] * 1e3)
    line(f"grade build, N = {n}", g_per[0] * 1e3, g_per[1] * 1e3)
    line(f"grade build, N = {SCALE:,}", g_scale[0] * 1e3, g_scale[1] * 1e3)
    ratio = (r_per[0] / g_per[0], r_per[1] / g_per[1])
    line(f"ratio R/exams : grade, N = {n}", *ratio, spec="8.0f", unit="x")

    print(f"\n{f'{SCALE:,} variants into one Moodle XML file':<46} {'wall s':>9} {'CPU s':>9}")
    r_w, r_c = wall["r 1"] + (SCALE - 1) * r_per[0], cpu["r 1"] + (SCALE - 1) * r_per[1]
    line(
        "R/exams, T(1) + 5,999 x per variant at N", r_w, r_c, "9.1f", tail=f"  ({r_w / 60:.1f} min)"
    )
    if "r scale" in runs:
        row("R/exams, measured", "r scale")
    row("grade build, measured", "g scale")
    if "r scale" in runs:
        r_w, r_c = wall["r scale"], cpu["r scale"]
    ratio = (r_w / wall["g scale"], r_c / cpu["g scale"])
    line(
        "ratio R/exams : grade" + (", both measured" if "r scale" in runs else ""),
        *ratio,
        spec="8.0f",
        unit="x",
    )
    counted = f"1 and {n}" + (f" and {SCALE:,}" if "r scale" in runs else "")
    print(
        f"\ncloze questions in each Moodle XML file, each with {BLANKS} NUMERICAL blanks: as many "
        "as variants asked "
        f"(R/exams {counted}; grade 1, {n} and {SCALE:,})"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:  # a build failed or wrote the wrong number of questions
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
