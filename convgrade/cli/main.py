"""The ``grade`` command: a click group whose subcommands are imported only when used.

Keeping subcommands lazy keeps ``grade kinds`` and ``grade generate`` fast (no TensorFlow, no
grader machinery). To add a command, write it in a module under :mod:`convgrade.cli` and list
it in :data:`COMMANDS`, under the audience that uses it.

Every error, click's usage errors included, prints as one ``error: ...`` line and exits with
status 2.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from pathlib import Path

import click

from convgrade import config as course_config
from convgrade.cli import messages, options, version
from convgrade.exercises.errors import ConvgradeError, did_you_mean

#: audience -> command name -> "module:attribute", in the order `grade --help` lists them.
COMMANDS: dict[str, dict[str, str]] = {
    "For instructors": {
        "kinds": "convgrade.cli.generate:kinds",
        "generate": "convgrade.cli.generate:generate",
        "build": "convgrade.cli.build:build",
        "assignments": "convgrade.cli.submit:assignments",
        "calibrate": "convgrade.cli.submit:calibrate",
        "serve": "convgrade.cli.serve:serve",
        "tokens": "convgrade.cli.serve:tokens",
    },
    "For students": {
        "practice": "convgrade.cli.practice:practice",
        "check": "convgrade.cli.check:check",
        "submit": "convgrade.cli.submit:submit",
        "login": "convgrade.cli.serve:login",
    },
    "For graders": {
        "check-all": "convgrade.cli.check:check_all",
        "batch": "convgrade.cli.batch:batch",
    },
}

#: command name -> "module:attribute"
TARGETS: dict[str, str] = {n: t for section in COMMANDS.values() for n, t in section.items()}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used, lists
    commands by audience, and prints every error as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(TARGETS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = TARGETS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if name not in TARGETS and not name.startswith("-") and not ctx.resilient_parsing:
            raise click.UsageError(f"no such command {name!r}{did_you_mean(name, TARGETS)}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for audience, names in COMMANDS.items():
            rows = []
            for name in names:
                cmd = self.get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=1000)))
            with formatter.section(audience):
                formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.BadParameter as exc:
            missing = isinstance(exc, click.MissingParameter) and exc.ctx is not None
            hint = f" (see '{exc.ctx.command_path} --help')" if missing else ""
            fail(_sentence(exc.format_message()) + hint)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            fail(_sentence(exc.format_message()) + hint)
        except click.ClickException as exc:
            fail(_sentence(exc.format_message()))
        except ConvgradeError as exc:
            fail(str(exc), exc.exit_code)
        except click.Abort:
            fail("aborted", 1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            if exc.errno != errno.EPIPE:  # output piped into `head`: stop quietly
                raise
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
            sys.exit(1)
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _sentence(message: str) -> str:
    """click's messages start upper-case and end with a full stop; ours are one lower-case line.

    >>> _sentence("No such option '--sed'. Did you mean '--seed'?")
    "no such option '--sed' (did you mean '--seed'?)"
    """
    message = " ".join(message.split())
    message = re.sub(r"\. Did you mean (.*)\?$", r" (did you mean \1?)", message)
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    return message.rstrip(".")


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` and exit with ``code``."""
    messages.echo("error", message)
    sys.exit(code)


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """Course defaults become click's default_map for every command that has such a parameter."""
    if ctx.resilient_parsing:
        return
    cfg = course_config.load(value)
    if cfg.values:
        ctx.default_map = {name: dict(cfg.values) for name in TARGETS}
        ctx.meta["convgrade.config"] = cfg


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=version.show,
    help="Show the version and which optional parts (PDF, TensorFlow, bwrap) work here.",
)
@options.config(_load_config)
def cli() -> None:
    """convgrade: exercises, quizzes and a model grader for a course on CNNs in Keras.

    \b
    Examples:
      grade kinds
      grade generate conv2d --seed 1 --solution
      grade build examples/week3.toml -o build/w3 --variants 4
      grade check answers.toml --key key.json
      grade submit mine.py -a digits-cnn

    Run `grade COMMAND --help` for the details and an example of each command.
    """


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="grade")
