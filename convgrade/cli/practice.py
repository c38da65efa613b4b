"""`grade practice`: interactive practice in the terminal, one fresh exercise after another."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass

import click

from convgrade.cli import options
from convgrade.exercises import generate, get_kind, kinds
from convgrade.exercises.answers import HOW_TO_WRITE, AnswerError, is_blank, parse
from convgrade.exercises.model import Part

MULTILINE = ("matrix", "tensor", "shapes")
QUIT = {"q", "quit", "exit", ":q"}


class Quit(Exception):
    """The student asked to stop (``q`` or Ctrl-D)."""


@dataclass
class Tally:
    exercises: int = 0
    parts: int = 0
    right: int = 0
    points: float = 0.0
    max_points: float = 0.0

    def summary(self) -> str:
        """Parts counted as parts, points as points (partly right parts earn part of a point)."""
        ex = "exercise" if self.exercises == 1 else "exercises"
        text = (
            f"Session summary: {self.exercises} {ex} done; {self.right} of {self.parts} parts right"
        )
        if self.max_points:
            pct = 100 * self.points / self.max_points
            text += f"; {self.points:g} of {self.max_points:g} points ({pct:.0f} %)"
        return text + "."


def enable_line_editing() -> bool:
    """Arrow keys, history and editing for ``input()`` (GNU readline or libedit) when reading
    from a terminal; False where the platform has no readline module."""
    if not sys.stdin.isatty():
        return False
    try:
        import readline  # noqa: F401  (importing it is what turns line editing on)
    except ImportError:
        return False
    return True


def _read(prompt: str) -> str:
    try:
        line = input(prompt)
    except EOFError:
        raise Quit from None
    if line.strip().lower() in QUIT:
        raise Quit
    return line


def _complete(line: str) -> bool:
    """A one-line bracketed answer (``[[1, 2], [3, 4]]``) needs no terminating empty line."""
    text = line.strip()
    return (
        bool(text)
        and text[0] in "[("
        and text.count("[") == text.count("]")
        and (text.count("(") == text.count(")"))
    )


def read_answer(part: Part, letter: str) -> str | None:
    """Ask for one part until it can be read; None when left blank."""
    multi = part.type in MULTILINE
    hint = HOW_TO_WRITE[part.type]
    if multi:
        hint += "; end with an empty line"
        if part.type == "tensor":
            hint = "each channel after a line 'channel k:', rows on lines; end with an empty line"
    while True:
        first = _read(f"({letter}) {part.label} [{hint}]: ")
        lines = [first]
        if multi and first.strip() and not _complete(first):
            while True:
                more = _read("... ")
                if not more.strip():
                    break
                lines.append(more)
        raw = "\n".join(lines)
        if is_blank(raw):
            return None
        try:
            parse(part, raw)
        except AnswerError as exc:
            click.echo(f"    could not read that: {exc}. Try again (q quits).")
            continue
        return raw


@click.command()
@options.kind(required=False)
@options.difficulty()
@options.seed("Seed of the first exercise; the n-th exercise uses seed + n - 1.")
def practice(kind: str | None, difficulty: int, seed: int | None) -> None:
    """Practise in the terminal, with diagnoses and worked solutions.

    Shows a fresh exercise of KIND (default: any kind), reads your answer part by part, marks
    it, names the likely mistake, shows the worked solution, and repeats.

    Matrices: one row per line (or [[1, 2], [3, 4]] on one line), end with an empty line.
    An empty answer skips the part. Type q (or press Ctrl-D) to stop and see the summary.

    \b
    Examples:
      grade practice
      grade practice conv2d --difficulty 1
    """
    from convgrade.exercises.checking import check_exercise
    from convgrade.exercises.feedback import render_question
    from convgrade.exercises.render import render

    if kind is not None:
        get_kind(kind)  # an unknown kind is an error before anything is shown
    enable_line_editing()
    names = list(kinds())
    pick = random.Random(seed)
    tally = Tally()
    n = 0
    try:
        while True:
            name = kind or pick.choice(names)
            ex = generate(name, seed=None if seed is None else seed + n, difficulty=difficulty)
            n += 1
            click.echo(f"\n=== Exercise {n}: {name}, seed {ex.seed} (q quits) ===\n")
            text = render(ex, "text")
            click.echo(re.sub(r"\n\([a-z]\) .*: ________", "", text).rstrip() + "\n")
            answers = {}
            for i, part in enumerate(ex.parts):
                raw = read_answer(part, "abcdefghijklmnopqrstuvwxyz"[i])
                if raw is not None:
                    answers[part.id] = raw
            result = check_exercise(ex, answers)
            tally.exercises += 1
            tally.parts += len(result.parts)
            tally.right += sum(p.status == "correct" for p in result.parts)
            tally.points += result.points
            tally.max_points += result.max_points
            click.echo("")
            click.echo(render_question(result, ex, solution=True).rstrip())
            if result.score >= 1:
                click.echo("All right. Well done!")
    except (Quit, KeyboardInterrupt):
        click.echo("")
    click.echo(tally.summary())
