"""`grade batch`: grade a folder of submissions, one per student, several at once."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.cli.submit import _assignment, _options
from convgrade.exercises.errors import ConvgradeError


class StatusLine:
    """Progress on stderr: a live line on a terminal, one line per student otherwise."""

    def __init__(self, total: int, skipped: int) -> None:
        self.total = total
        self.done = skipped
        self.tty = sys.stderr.isatty()
        if skipped:
            click.echo(f"resuming: {skipped} of {total} students already graded", err=True)

    def update(self, student: str, result: dict, counts: Counter) -> None:
        self.done += 1
        tally = "  ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        width = len(str(self.total))
        head = f"[{self.done:>{width}}/{self.total}] {tally}"
        last = f"{student}: {result.get('status')} {result.get('score', 0):g} points"
        if self.tty:
            bar = _bar(self.done / max(self.total, 1))
            click.echo(f"\r\x1b[2K{bar} {head}  ({last})", nl=False, err=True)
            if self.done >= self.total:
                click.echo("", err=True)
        else:
            click.echo(f"{head}  {last}", err=True)


def _bar(fraction: float, width: int = 24) -> str:
    filled = int(round(fraction * width))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@_options
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many submissions to grade at once (each in its own sandbox).",
)
@options.out(
    "Results folder: <student>/result.json + report.html, gradebooks, summary.",
    required=True,
    dest="out_dir",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the results already in --out and grade only the missing students.",
)
@click.option("--regrade", is_flag=True, help="Grade every student again, replacing results.")
@options.quiet("No progress line; only the summary.")
def batch(folder, assignment, epochs, time_limit, memory_limit, backend, data, seed,
          workers, out_dir, resume, regrade):  # fmt: skip
    """Grade a class: every submission in FOLDER, several at once, each in its own sandbox.

    FOLDER holds one .py/.ipynb file or one folder per student (the file or folder name is
    the student id).

    Each submission runs in its own isolated process under the assignment's limits
    (--time-limit and --memory-limit can only tighten them); a crash, hang or limit stops that
    submission alone. Writes OUT/<student>/result.json and report.html, OUT/results.csv,
    OUT/gradebook-canvas.csv, OUT/gradebook-moodle.csv and OUT/summary.json. An interrupted
    batch loses nothing: run it again with --resume.

    \b
    Example:
      grade batch submissions/ -a digits-cnn --workers 2 -o graded/
      grade batch submissions/ -a digits-cnn --workers 2 -o graded/ --resume
    """
    from convgrade.grader.batch import run_batch
    from convgrade.grader.isolation import BackendUnavailable, resolve_backend
    from convgrade.grader.limits import parse_seconds, parse_size
    from convgrade.grader.submit import default_limits, grade_submission, prepare

    a = _assignment(assignment, epochs, seed)
    limits = default_limits(a).tightened(
        wall_time_s=None if time_limit is None else parse_seconds(time_limit, name="--time-limit"),
        memory_bytes=None
        if memory_limit is None
        else parse_size(memory_limit, name="--memory-limit"),
    )
    try:
        backend = resolve_backend(backend)
    except BackendUnavailable as exc:
        raise ConvgradeError(str(exc)) from None
    prepare(a, data)  # load the data set once, and fail early if it is missing

    def grade(path: Path, out: Path):
        return grade_submission(
            path, a, out_dir=out, limits=limits, backend=backend, data_path=data
        )

    line: list[StatusLine] = []

    def on_start(total: int, skipped: int) -> None:
        line.append(StatusLine(total, skipped))

    def on_done(student: str, result: dict, counts: Counter) -> None:
        if options.verbosity() >= 0:
            line[0].update(student, result, counts)

    try:
        summary = run_batch(
            folder, out_dir, grade, workers=workers, resume=resume, regrade=regrade,
            on_start=on_start, on_done=on_done, title=a.title or a.name,
            max_score=a.scoring.max_score,
        )  # fmt: skip
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished students are kept; rerun with --resume", err=True)
        sys.exit(130)
    counts = ", ".join(f"{s} {n}" for s, n in summary.counts.items())
    click.echo(f"{summary.total} students: {counts}")
    click.echo(
        f"graded {summary.graded} ({summary.skipped} kept from before) in {summary.wall_s:.1f} s"
        f" with {workers} worker(s), backend {backend}"
        + (f": {summary.per_minute:.1f} submissions/minute" if summary.graded else "")
    )
    click.echo(f"wrote {out_dir}/results.csv, gradebook-canvas.csv, gradebook-moodle.csv")
