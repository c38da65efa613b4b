"""`grade check` and `grade check-all`: mark answer sheets against a key, name the mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.exercises.answer_sheets import AnswerFileError, check_sheet, load_answers, load_key


def _existing(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise AnswerFileError(f"{path}: no such {what}")
    return p


@click.command()
@click.argument("answers", metavar="ANSWERS")
@click.option("--key", "key_path", required=True, metavar="KEY", help="The key.json of the set.")
@click.option("--student", default=None, help="Student id (default: the sheet's `student`).")
@click.option(
    "--format",
    "fmt",
    type=options.Choice(["text", "html", "json"]),
    default="text",
    show_default=True,
    help="Report format; json: the marks as JSON.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@options.solution(default=True, help="Include the worked solutions.")
@click.option(
    "--allow-edited-key",
    is_flag=True,
    help="Mark with a key.json whose digest does not match its content (edited by hand).",
)
@click.option(
    "--hide-answers",
    is_flag=True,
    help="Leave out the right answers and the worked solutions (feedback before a deadline).",
)
@options.out("Write the report to this file (default: standard output).", folder=False)
def check(
    answers: str,
    key_path: str,
    student: str | None,
    fmt: str,
    as_json: bool,
    solution: bool,
    hide_answers: bool,
    out: Path | None,
    allow_edited_key: bool,
) -> None:
    """Mark one answer sheet against KEY; name the likely mistakes.

    ANSWERS is a TOML or JSON answer sheet (see docs/checking.md).

    \b
    Examples:
      grade check students/s001/answers.toml --key key.json
      grade check answers.json --key key.json --student s001 --format json
      grade check answers.toml --key key.json --format html -o feedback.html
    """
    key = load_key(_existing(key_path, "key file"), allow_edited=allow_edited_key)
    sheet = load_answers(_existing(answers, "answer file"))
    result = check_sheet(key, sheet, student)
    if as_json or fmt == "json":
        _emit(json.dumps(result.to_dict(feedback=True), indent=2) + "\n", out)
        return
    from convgrade.exercises.feedback import render_student

    exercises = {
        q.id: key.exercise(result.student or None, q.id, sheet.variants.get(q.id))
        for q in key.questions
    }
    text = render_student(
        result,
        fmt,
        exercises,
        solution=solution and not hide_answers,
        show_key=not hide_answers,
    )
    _emit(text, out)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@click.command("check-all")
@click.argument("folder", metavar="DIR")
@click.option("--key", "key_path", required=True, metavar="KEY", help="The key.json of the set.")
@options.out("Output folder (replaced atomically when done).", required=True)
@click.option(
    "--hide-answers",
    is_flag=True,
    help="Feedback files without the right answers and worked solutions.",
)
@click.option(
    "--allow-edited-key",
    is_flag=True,
    help="Mark with a key.json whose digest does not match its content (edited by hand).",
)
def check_all(
    folder: str, key_path: str, out: Path, hide_answers: bool, allow_edited_key: bool
) -> None:
    """Mark a whole class: every answer sheet in DIR against KEY.

    DIR holds one answers file per student (<id>.toml / <id>.json) or the `grade build` layout
    (students/<id>/answers.toml). Writes gradebook-canvas.csv, gradebook-moodle.csv,
    gradebook.csv, feedback/<id>.txt|html, results.json and report.html into --out.

    \b
    Example:
      grade check-all build/w3/students --key build/w3/key.json -o marked/w3
    """
    from convgrade.exercises.class_check import check_all

    key_file, sheets = _existing(key_path, "key file"), _existing(folder, "folder")
    c = check_all(
        key_file, sheets, out, hide_answers=hide_answers, allow_edited_key=allow_edited_key
    )
    mean = 100 * sum(r.score for r in c.results) / len(c.results) if c.results else 0.0
    click.echo(
        f"checked {len(c.results)} answer sheets (mean {mean:.1f} %)"
        + (f", {len(c.problems)} not marked" if c.problems else "")
        + (f", {len(c.absent)} students without one" if c.absent else "")
        + f"; wrote {out}/gradebook-canvas.csv, gradebook-moodle.csv, feedback/, report.html"
    )
    for p in c.problems:
        click.echo(f"not marked ({p.status}): {p.reason}", err=True)
