"""`grade batch`: grade a folder of submissions, one per student, several at once."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.cli.engine import engine_options, gpu_share, make_executor
from convgrade.cli.submit import (
    UNSAFE_HELP,
    _assignment,
    _options,
    _placement,
    _placement_options,
)
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
@engine_options
@click.option("--unsafe-no-sandbox", is_flag=True, help=UNSAFE_HELP)
@_placement_options
@options.quiet("No progress line; only the summary.")
def batch(folder, assignment, epochs, time_limit, memory_limit, backend, data, seed,
          workers, out_dir, resume, regrade, engine, ray_address, cpus_per_job, gpus_per_job,
          memory_per_job, unsafe_no_sandbox, device, keras_backend):  # fmt: skip
    """Grade a class: every submission in FOLDER, several at once, each in its own sandbox.

    FOLDER holds one .py/.ipynb file or one folder per student (the file or folder name is
    the student id).

    Each submission runs in its own isolated process under the assignment's limits
    (--time-limit and --memory-limit can only tighten them); a crash, hang or limit stops that
    submission alone. Writes OUT/<student>/result.json and report.html, OUT/results.csv,
    the gradebooks (OUT/gradebook-canvas.csv, gradebook-moodle.csv, gradebook.csv) and
    OUT/summary.json. An interrupted batch loses nothing: run it again with --resume.

    With --engine ray each submission is a Ray task with the declared resources, on whichever
    node Ray places it (every node needs convgrade and the data); results, gradebooks and
    --resume behave exactly as with the local engine, and a task whose node dies runs again.

    \b
    Example:
      grade batch submissions/ -a digits-cnn --workers 2 -o graded/
      grade batch submissions/ -a digits-cnn --workers 2 -o graded/ --resume
      grade batch submissions/ -a cifar10-cnn --engine ray --ray-address auto \\
            --gpus-per-job 0.125 -o graded/
    """
    from convgrade.grader.batch import run_batch
    from convgrade.grader.isolation import BackendUnavailable, check_not_unsafe, resolve_backend
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
        check_not_unsafe(backend, unsafe_no_sandbox)  # refuse once, before any student
    except BackendUnavailable as exc:
        raise ConvgradeError(str(exc)) from None
    prepare(a, data)  # load the data set once, and fail early if it is missing

    executor = make_executor(
        engine, workers, ray_address, cpus_per_job, gpus_per_job, memory_per_job
    )

    # several jobs on one GPU: each may use its share of the GPU's memory
    share = gpu_share(engine, gpus_per_job)
    where = None
    if engine == "local" or ray_address is None:  # a remote node resolves "auto" itself
        where = _placement(a, device, keras_backend, share)

    def grade(path: Path, out: Path):
        return grade_submission(
            path, a, out_dir=out, limits=limits, backend=backend, data_path=data,
            unsafe_no_sandbox=unsafe_no_sandbox,
            placement=where or _placement(a, device, keras_backend, share),
        )  # fmt: skip

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
            max_score=a.scoring.max_score, executor=executor,
        )  # fmt: skip
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished students are kept; rerun with --resume", err=True)
        sys.exit(130)
    where = executor.describe()
    executor.shutdown()
    counts = ", ".join(f"{s} {n}" for s, n in summary.counts.items())
    click.echo(f"{summary.total} students: {counts}")
    click.echo(
        f"graded {summary.graded} ({summary.skipped} kept from before) in {summary.wall_s:.1f} s"
        f" on {where}, backend {backend}"
        + (f": {summary.per_minute:.1f} submissions/minute" if summary.graded else "")
    )
    from convgrade.exercises.gradebook import FORMATS

    books = ", ".join(f.filename for f in FORMATS.values())
    click.echo(f"wrote {out_dir}/results.csv, {books}, summary.json")
