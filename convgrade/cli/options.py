"""The options several commands share, defined once so each name means one thing everywhere.

Each function returns a click decorator; ``help`` overrides the wording where a command needs
its own. ``-q``/``-v`` set :func:`verbosity` instead of a parameter, so adding them to a command
does not change its signature.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from convgrade.exercises.errors import did_you_mean

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

_VERBOSITY = "convgrade.verbosity"


class Choice(click.Choice):
    """click's Choice, with "did you mean ..." for a misspelt value."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            hint = did_you_mean(value, [str(c) for c in self.choices])
            self.fail(
                f"{value!r}{hint}: expected one of {', '.join(map(str, self.choices))}", param, ctx
            )


class KindName(click.ParamType):
    """An exercise kind: completes kind names, suggests the closest one when misspelt."""

    name = "kind"

    def convert(self, value, param, ctx):
        from convgrade.exercises import get_kind

        return get_kind(value).name  # the library's ParamError, with its suggestion

    def shell_complete(self, ctx, param, incomplete):
        from convgrade.exercises import kinds

        return [CompletionItem(k) for k in kinds() if k.startswith(incomplete)]


class AssignmentName(click.ParamType):
    """A built-in assignment name or a path to a spec (``*.toml``); completes the built-in names.
    Not checked here: with ``--server`` the names are the server's (the library checks them)."""

    name = "assignment"

    def shell_complete(self, ctx, param, incomplete):
        from convgrade.grader.assignment import builtin_names

        names = [CompletionItem(n) for n in builtin_names() if n.startswith(incomplete)]
        return names + [CompletionItem(incomplete, type="file")]


class DerivedHelp(click.Option):
    """An option whose help text is computed only when help is shown: derived from a registry
    without importing it for every command line."""

    def __init__(self, *args: Any, help_from: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_from = help_from

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self.help_from()
        return super().get_help_record(ctx)


def seed(
    help: str = "Seed of the random instance (the same seed gives the same result).",
) -> Decorator:
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help)


def difficulty() -> Decorator:
    return click.option(
        "--difficulty",
        type=click.IntRange(1, 3),
        default=2,
        show_default=True,
        help="1 (warm-up) to 3 (exam).",
    )


def kind(required: bool = True) -> Decorator:
    return click.argument("kind", type=KindName(), required=required)


def assignment(required: bool = True) -> Decorator:
    return click.option(
        "--assignment",
        "-a",
        type=AssignmentName(),
        required=required,
        help="A built-in assignment (`grade assignments`) or a .toml spec.",
    )


def backend() -> Decorator:
    from convgrade.grader.isolation import BACKENDS

    return click.option(
        "--backend",
        type=Choice(["auto", *BACKENDS]),
        default="auto",
        show_default=True,
        help="Isolation: bubblewrap sandbox or plain process (auto: bwrap when it works).",
    )


def data() -> Decorator:
    return click.option(
        "--data",
        metavar="PATH",
        help="A local copy of the data set (cifar-10-batches-py folder, or a Stack Overflow "
        "folder with train/ and test/).",
    )


def out(help: str, required: bool = False, folder: bool = True, dest: str = "out") -> Decorator:
    """``-o/--out``: a folder the command writes (``folder``) or a single file."""
    return click.option(
        "-o",
        "--out",
        dest,
        required=required,
        type=click.Path(file_okay=not folder, dir_okay=folder, path_type=Path),
        help=help,
    )


def solution(
    default: bool, help: str = "Include the answers and the worked solution."
) -> Decorator:
    return click.option("--solution/--no-solution", default=default, show_default=True, help=help)


def _set_verbosity(level: int) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value:
            ctx.meta[_VERBOSITY] = level

    return callback


def quiet(help: str = "Print only the result (no progress, no notes).") -> Decorator:
    return click.option(
        "--quiet", "-q", is_flag=True, expose_value=False, callback=_set_verbosity(-1), help=help
    )


def verbose(help: str = "Print more: every warning in full.") -> Decorator:
    return click.option(
        "--verbose",
        "-v",
        is_flag=True,
        expose_value=False,
        callback=_set_verbosity(1),
        help=help,
    )


def verbosity() -> int:
    """-1 after ``-q``, 1 after ``-v``, else 0 (outside a command: 0)."""
    ctx = click.get_current_context(silent=True)
    return 0 if ctx is None else ctx.meta.get(_VERBOSITY, 0)


def config(callback: Callable[[click.Context, click.Parameter, Any], None]) -> Decorator:
    """``--config FILE``: course defaults (default ./convgrade.toml); :mod:`convgrade.config`."""
    return click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        is_eager=True,
        expose_value=False,
        callback=callback,
        help="Course defaults (secret_file, data, backend, workers); default: ./convgrade.toml.",
    )
