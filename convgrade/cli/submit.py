"""`grade assignments`, `grade submit`, `grade calibrate`: the model grader's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.exercises.errors import ConvgradeError


@click.command()
def assignments() -> None:
    """List the built-in model assignments.

    \b
    Example:
      grade assignments
    """
    from convgrade.grader.assignment import builtin_names, load_assignment

    names = builtin_names()
    width = max(len(n) for n in names)
    for name in names:
        a = load_assignment(name)
        click.echo(f"{name.ljust(width)}  {a.data.dataset:<14} {a.title}")


def _limits(a, time_limit: str | None, memory_limit: str | None):
    """The assignment's limits, tightened (never loosened) by --time-limit / --memory-limit."""
    from convgrade.grader.limits import parse_seconds, parse_size
    from convgrade.grader.submit import default_limits

    return default_limits(a).tightened(
        wall_time_s=None if time_limit is None else parse_seconds(time_limit, name="--time-limit"),
        memory_bytes=(
            None if memory_limit is None else parse_size(memory_limit, name="--memory-limit")
        ),
    )


UNSAFE_HELP = (
    "Let the subprocess backend run submissions as root when it cannot drop to an unprivileged "
    "user (no sandbox: they can read and change anything on this machine)."
)


def _placement_options(f):
    """--device and --keras-backend: what a submission trains on."""
    from convgrade.grader.devices import DEVICES, KERAS_BACKENDS

    f = click.option(
        "--keras-backend", type=options.Choice(KERAS_BACKENDS), default=None,
        help="Train with this Keras backend (default: the assignment's, normally tensorflow).",
    )(f)  # fmt: skip
    return click.option(
        "--device", type=options.Choice(DEVICES), default="auto", show_default=True,
        help="Train on the CPU or an NVIDIA GPU (auto: a GPU when this machine has one).",
    )(f)  # fmt: skip


def _placement(a, device: str, keras_backend: str | None, gpu_share: float = 1.0):
    from convgrade.grader.devices import placement

    return placement(device, keras_backend or a.training.keras_backend, gpu_share)


def _grader(limits, backend: str, data: str | None, progress, unsafe: bool = False,
            where=None):  # fmt: skip
    from convgrade.grader.isolation import BackendUnavailable
    from convgrade.grader.submit import grade_submission

    def grade(path, a, out_dir=None):
        try:
            return grade_submission(
                path, a, out_dir=out_dir, limits=limits, backend=backend,
                progress=progress, data_path=data, unsafe_no_sandbox=unsafe, placement=where,
            )  # fmt: skip
        except BackendUnavailable as exc:
            raise ConvgradeError(str(exc)) from None

    return grade


def show_progress(info: dict) -> None:
    """One line per epoch on stderr."""
    from convgrade.grader.service.views import progress_line

    click.echo(progress_line(info), err=True)


def _options(f):
    for opt in reversed(
        [
            options.assignment(),
            click.option("--epochs", type=click.IntRange(min=1),
                         help="Override the assignment's epoch budget (e.g. for a quick run)."),
            click.option("--time-limit", metavar="SECONDS",
                         help="Lower the spec's wall-time limit: 90, 90s, 10m."),
            click.option("--memory-limit", metavar="SIZE",
                         help="Lower the spec's memory limit: 2G, 512M."),
            options.backend(),
            options.data(),
            options.seed("Override the assignment's training seed."),
        ]
    ):  # fmt: skip
        f = opt(f)
    return f


def _assignment(name: str, epochs: int | None, seed: int | None):
    from convgrade.grader.assignment import load_assignment

    a = load_assignment(name)
    changes = {k: v for k, v in (("epochs", epochs), ("seed", seed)) if v is not None}
    return a.replace(**changes) if changes else a


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@_options
@options.out("Write result.json, results.json (Gradescope), report.html here.", dest="out_dir")
@options.quiet("No per-epoch progress.")
@click.option("--unsafe-no-sandbox", is_flag=True, help=UNSAFE_HELP)
@_placement_options
@click.option("--server", metavar="URL",
              help="Grade on the course's server (token from `grade login URL`).")  # fmt: skip
def submit(file, assignment, epochs, time_limit, memory_limit, backend, data, seed, out_dir,
           unsafe_no_sandbox, device, keras_backend, server):  # fmt: skip
    """Train the Keras model that FILE builds and score it on the assignment's test set.

    FILE is a .py file (or a .ipynb notebook) defining build_model(task), optionally
    compile_model(model), EPOCHS and BATCH_SIZE. Exit status: 0 graded, 1 the submission
    failed (status and message say why), 2 a usage error.

    \b
    Examples:
      grade submit examples/submissions/digits-cnn/lecture_cnn.py -a digits-cnn
      grade submit mine.ipynb -a cifar10-cnn -o results/ --data ~/cifar-10-batches-py
    """
    if server:
        from convgrade.cli.serve import submit_remote

        sys.exit(submit_remote(file, assignment, server, options.verbosity() < 0))
    a = _assignment(assignment, epochs, seed)
    limits = _limits(a, time_limit, memory_limit)
    where = _placement(a, device, keras_backend)
    progress = show_progress if options.verbosity() >= 0 else None
    grade = _grader(limits, backend, data, progress, unsafe_no_sandbox, where)
    res = grade(file, a, out_dir)
    click.echo(summary(res))
    if out_dir is not None:
        click.echo(f"wrote {out_dir}/result.json, results.json, report.html")
    sys.exit(0 if res.ok else 1)


def summary(res) -> str:
    """The plain-text summary of a result."""
    lines = [f"{'status':<11} {res.status} ({res.heading})"]
    if not res.ok:
        lines.append(f"{'message':<11} {res.message}")
    else:
        marks = [
            f"{t['accuracy']:.1%} {'reached' if t['reached'] else 'missed'} ({t['points']:g})"
            for t in res.thresholds
        ]
        lines += [
            f"{'accuracy':<11} {res.accuracy:.4f} on the test set",
            f"{'thresholds':<11} {'; '.join(marks)}",
        ]
    lines.append(f"{'points':<11} {res.score:g} / {res.max_score:g}")
    if res.ok:
        lines += [
            f"{'params':<11} {res.params:,}",
            f"{'training':<11} {res.train_seconds:.1f} s ({res.epochs_run} epochs, batch "
            f"{res.batch_size}); whole run {res.wall_seconds:.1f} s",
            f"{'trained on':<11} Keras {res.keras_backend or 'tensorflow'}, "
            f"{res.device or 'cpu'}, {res.backend or '?'} sandbox",
        ]
        lines += [f"{'note':<11} {n}" for n in res.notes]
    return "\n".join(lines)


@click.command()
@click.argument("assignment", type=options.AssignmentName())
@click.option("--reference", required=True, type=click.Path(path_type=Path),
              help="A reference solution (.py or .ipynb).")  # fmt: skip
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many seeds to train with.")  # fmt: skip
@click.option("--sigmas", type=float, default=2.0, show_default=True,
              help="Top threshold = mean - SIGMAS x standard deviation.")  # fmt: skip
@click.option("-o", "--out", "--write", "write_path", type=click.Path(path_type=Path),
              help="Write the spec with the suggested thresholds to this .toml file.")  # fmt: skip
@click.option("--epochs", type=click.IntRange(min=1), help="Override the epoch budget.")
@options.backend()
@options.data()
@options.quiet("No line per training run.")
def calibrate(assignment, reference, runs, sigmas, write_path, epochs, backend, data):
    """Suggest accuracy thresholds for ASSIGNMENT from --runs trainings of a reference solution.

    Trains REFERENCE with seeds seed, seed+1, ... and suggests thresholds at mean − 2σ of its
    test accuracy.

    \b
    Example:
      grade calibrate digits-cnn --reference examples/submissions/digits-cnn/lecture_cnn.py \\
          --runs 5 -o my-digits.toml
    """
    from convgrade.grader.calibrate import calibrate as run_calibration
    from convgrade.grader.calibrate import write_spec
    from convgrade.grader.submission import check_path

    check_path(reference)
    a = _assignment(assignment, epochs, None)
    grade = _grader(_limits(a, None, None), backend, data, None)

    def on_run(seed, res):
        if options.verbosity() < 0:
            return
        acc = f"{res.accuracy:.4f}" if res.accuracy is not None else res.status
        click.echo(f"seed {seed}: accuracy {acc} ({res.wall_seconds:.1f} s)", err=True)

    cal = run_calibration(reference, a, runs, sigmas=sigmas, grade=grade, on_run=on_run)
    click.echo(f"accuracy over {runs} runs: mean {cal.mean:.4f}, std {cal.std:.4f}, "
               f"min {min(cal.accuracies):.4f}, max {max(cal.accuracies):.4f}")  # fmt: skip
    click.echo(f"mean - {sigmas:g} std = {cal.bar:.4f}")
    click.echo(f"current thresholds:   {_fmt(a.scoring)}")
    click.echo(f"suggested thresholds: {_fmt(cal.scoring)}")
    if write_path is not None:
        write_spec(a, cal.scoring, write_path)
        click.echo(f"wrote {write_path}")


def _fmt(scoring) -> str:
    return ", ".join(f"{acc:.3f} -> {pts:g}" for acc, pts in scoring.thresholds())
