"""What the CLI prints on stderr: ``error:``, ``warning:`` and ``note:`` lines, coloured on a
terminal (never in a pipe, never with ``NO_COLOR`` set), repeated warnings grouped."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import click

STYLES = {"error": "red", "warning": "yellow", "note": "cyan"}

#: "<writer>: question <id> (<title>): <message>", as the LMS writers word their warnings.
_QUESTION = re.compile(r"^(?P<writer>[\w.-]+): question (?P<qid>\S+) \(")


def color() -> bool | None:
    """False under ``NO_COLOR`` (https://no-color.org); None lets click decide (terminal only)."""
    return False if os.environ.get("NO_COLOR") else None


def echo(kind: str, message: str) -> None:
    """One ``kind: message`` line on stderr, the prefix coloured where the terminal allows."""
    prefix = click.style(f"{kind}:", fg=STYLES.get(kind), bold=kind == "error")
    click.echo(f"{prefix} {message}", err=True, color=color())


def _split(warning: str) -> tuple[str, str, str] | None:
    """(writer, question id, message) of a per-question warning, else None.

    >>> _split("gift: question q1 (Conv (1)): no multi-blank questions")
    ('gift', 'q1', 'no multi-blank questions')
    """
    m = _QUESTION.match(warning)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(warning) and depth:  # the title may hold parentheses of its own
        depth += {"(": 1, ")": -1}.get(warning[i], 0)
        i += 1
    if depth or not warning.startswith(": ", i):
        return None
    return m["writer"], m["qid"], warning[i + 2 :]


def group_warnings(warnings: Iterable[str]) -> list[str]:
    """One line per distinct message, naming the questions it concerns, in first-seen order.

    >>> group_warnings([
    ...     "gift: question q1 (A (1)): no multi-blank questions",
    ...     "gift: question q2 (A (2)): no multi-blank questions",
    ...     "disk full", "disk full"])
    ['gift, 2 questions (q1, q2): no multi-blank questions', 'disk full (2 times)']
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for w in warnings:
        parts = _split(w)
        key = (parts[0], parts[2]) if parts else ("", w)
        groups.setdefault(key, []).append(parts[1] if parts else "")
    lines = []
    for (writer, message), qids in groups.items():
        if not writer:
            lines.append(message + (f" ({len(qids)} times)" if len(qids) > 1 else ""))
            continue
        ids = list(dict.fromkeys(qids))
        what = f"{len(ids)} questions ({', '.join(ids)})" if len(ids) > 1 else f"question {ids[0]}"
        lines.append(f"{writer}, {what}: {message}")
    return lines
