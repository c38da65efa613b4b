"""The ``grade`` command: a click group whose subcommands are imported only when used.

Keeping subcommands lazy keeps ``grade kinds`` and ``grade generate`` fast (no TensorFlow, no
grader machinery). To add a command, write it in a module under :mod:`convgrade.cli` and list
it in :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys

import click

from convgrade.exercises.errors import ConvgradeError

#: command name -> "module:attribute", in the order `grade --help` lists them.
COMMANDS: dict[str, str] = {
    "kinds": "convgrade.cli.generate:kinds",
    "generate": "convgrade.cli.generate:generate",
    "build": "convgrade.cli.build:build",
    "check": "convgrade.cli.check:check",
    "check-all": "convgrade.cli.check:check_all",
    "practice": "convgrade.cli.practice:practice",
    "assignments": "convgrade.cli.submit:assignments",
    "submit": "convgrade.cli.submit:submit",
    "calibrate": "convgrade.cli.submit:calibrate",
    "batch": "convgrade.cli.batch:batch",
    "serve": "convgrade.cli.serve:serve",
    "tokens": "convgrade.cli.serve:tokens",
    "login": "convgrade.cli.serve:login",
}


class UserError(click.ClickException):
    """A user-input error: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConvgradeError as exc:
            raise UserError(str(exc)) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convgrade")
def cli() -> None:
    """convgrade: exercises, quizzes and a model grader for a course on CNNs in Keras.

    \b
    Exercises:   grade kinds | grade generate conv2d --seed 1 --solution
    Checking:    grade check answers.toml --key key.json | grade practice conv2d
    Run `grade COMMAND --help` for the details of each command.
    """


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="grade")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
