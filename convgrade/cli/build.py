"""`grade build`: a problem set from a TOML spec — handouts, answer key, LMS quizzes."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from convgrade.cli import messages, options

#: Show a progress bar (on a terminal) from this many papers on.
PROGRESS_FROM = 30


def _progress(items: Iterable, label: str) -> Iterable:
    items = list(items)
    err = sys.stderr
    if len(items) < PROGRESS_FROM or not err.isatty():
        yield from items
        return
    with click.progressbar(items, label=f"{label:<10}", file=err) as bar:
        yield from bar


def _formats_help() -> str:
    from convgrade.exercises.problemset.output import FORMATS, OPT_IN

    return (
        f"Comma-separated subset of: {', '.join(FORMATS)} "
        "(default, or 'all': every format available in this installation except "
        f"{', '.join(OPT_IN)}). pdf with key writes key.pdf, the marking key (answers only); "
        "key-worked writes key-worked.pdf, the worked key of key.html as a PDF (about 18 pages "
        "a student, about as slow as all other formats together): name it in the list, alone "
        "or beside 'all'."
    )


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@options.out("Output folder (replaced as a whole when the build succeeds).", required=True)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with a student id column (id, student_id, 'SIS User ID' ...) and optionally a "
    "name column: one personal variant per student (needs the course secret).",
)
@click.option(
    "--variants",
    type=click.IntRange(1, 1000),
    default=None,
    help="Without a roster: variants per question (versions A, B, ...); default 1.",
)
@click.option(
    "--formats",
    "formats",
    cls=options.DerivedHelp,
    help_from=_formats_help,
    metavar="LIST",
    default=None,
)
@click.option("--format", "formats", hidden=True, help="Old spelling of --formats.")
@click.option(
    "--reroll",
    "rerolls",
    multiple=True,
    metavar="STUDENT",
    help="Give STUDENT a fresh variant of every question; repeatable. Recorded in key.json and "
    "kept by later builds into the same --out.",
)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the course secret (default: $CONVGRADE_SECRET). Never written out.",
)
@click.option("--check", is_flag=True, help="Also report variant quality (check.txt/.json).")
@options.quiet("Print only the summary line (no notes, no warnings).")
@options.verbose("Also print the time each stage took.")
def build(
    spec: Path,
    out: Path,
    roster: Path | None,
    variants: int | None,
    formats: str | None,
    rerolls: tuple[str, ...],
    secret_file: Path | None,
    check: bool,
) -> None:
    """Build the problem set in SPEC (a TOML file): handouts, answer key, LMS quizzes.

    \b
    Outputs: handout.html, handout.md, handout.pdf (every paper, a page each),
    key.json, key.csv, key.html (worked solutions), the LMS quizzes (moodle.xml,
    quiz.gift, canvas-qti12.zip, qti21.zip, blackboard.txt), and per paper
    students/<id>/ (or versions/<A..>/) with handout.html, handout.md, answers.toml.

    \b
    Examples:
      grade build examples/week3.toml -o build/w3 --variants 4
      CONVGRADE_SECRET=... grade build examples/week3.toml -o build/w3 \\
          --roster examples/roster.csv --formats html,pdf,key --check
    """
    from convgrade.exercises.problemset import build as run_build

    result = run_build(
        spec,
        out,
        roster=roster,
        variants=variants,
        formats=formats,
        rerolls=rerolls,
        secret_file=secret_file,
        check=check,
        progress=_progress,
    )
    ps = result.problemset
    level = options.verbosity()
    if level >= 0:
        for note in result.notes:
            messages.echo("note", note)
        for warning in result.warnings:  # the writers word one line per message
            messages.echo("warning", warning)
    if result.check:
        click.echo(result.check, nl=False)
    who = f"{len(ps.papers)} students" if ps.roster else f"{len(ps.papers)} version(s)"
    rerolled = [p.id for p in ps.papers if p.reroll]
    click.echo(
        f"built {ps.spec.set_id}: {len(ps.questions)} questions x {who} -> {result.out} "
        f"({len(result.files)} files; formats {','.join(result.formats)})"
    )
    if rerolled:
        click.echo("rerolled: " + ", ".join(f"{p.id} ({p.reroll})" for p in ps.papers if p.reroll))
    if result.warnings and level >= 0:
        click.echo(f"{len(result.warnings)} warning(s) from the LMS writers (see above)")
    if level > 0:
        click.echo("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
