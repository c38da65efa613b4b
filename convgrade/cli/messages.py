"""What the CLI prints on stderr: ``error:``, ``warning:`` and ``note:`` lines, coloured on a
terminal (never in a pipe, never with ``NO_COLOR`` set)."""

from __future__ import annotations

import os

import click

STYLES = {"error": "red", "warning": "yellow", "note": "cyan"}


def color() -> bool | None:
    """False under ``NO_COLOR`` (https://no-color.org); None lets click decide (terminal only)."""
    return False if os.environ.get("NO_COLOR") else None


def echo(kind: str, message: str) -> None:
    """One ``kind: message`` line on stderr, the prefix coloured where the terminal allows."""
    prefix = click.style(f"{kind}:", fg=STYLES.get(kind), bold=kind == "error")
    click.echo(f"{prefix} {message}", err=True, color=color())
