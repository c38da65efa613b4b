"""`grade kinds` and `grade generate`: list exercise kinds, make one exercise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.exercises import generate as make_exercise
from convgrade.exercises import kinds as all_kinds
from convgrade.exercises.errors import ParamError

BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@click.command()
def kinds() -> None:
    """List the exercise kinds, one line each.

    \b
    Example:
      grade kinds
    """
    table = all_kinds()
    width = max(len(name) for name in table)
    for name, kind in table.items():
        click.echo(f"{name.ljust(width)}  {kind.summary}")


def parse_param(text: str) -> tuple[str, object]:
    """``NAME=JSON`` -> (name, value); a bare word is a string (``padding=same``)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ParamError("--param", "NAME=JSON, e.g. --param 'input=[[1,2],[3,4]]'", text)
    raw = raw.strip()
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError as exc:
        if BARE_WORD.match(raw):
            return name, raw
        raise ParamError(name, f"a JSON value ({exc.msg} at column {exc.colno})", raw) from None


@click.command()
@options.kind()
@options.seed()
@options.difficulty()
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=JSON",
    help="Fix a parameter by its Keras name; repeatable. JSON values, a bare word is a "
    "string: --param 'input=[[1,2],[3,4]]' --param padding=same",
)
@click.option(
    "--format",
    "fmt",
    type=options.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@options.solution(default=False)
@options.out("Write the exercise to this file (default: standard output).", folder=False)
def generate(
    kind: str,
    seed: int | None,
    difficulty: int,
    params: tuple[str, ...],
    fmt: str,
    solution: bool,
    out: Path | None,
) -> None:
    """Generate one exercise of KIND (see `grade kinds`).

    \b
    Examples:
      grade generate conv2d --seed 1 --solution
      grade generate conv1d --param 'input=[0,1,2,3,4,5,6]' --param 'kernel=[1,2]'
      grade generate pooling --difficulty 3 --format json -o pooling.json
    """
    fixed = dict(parse_param(p) for p in params)
    ex = make_exercise(kind, seed=seed, difficulty=difficulty, params=fixed or None)
    if fmt == "json":
        text = json.dumps(ex.to_dict(), indent=2) + "\n"
    else:
        from convgrade.exercises.render import render

        text = render(ex, fmt, solution=solution)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
