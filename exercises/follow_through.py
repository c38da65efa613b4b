"""Follow-through rules shared by several kinds (see ``Kind.follow_through``).

A rule takes the exercise parameters and the student's parsed answers (part id -> value) and
returns what a later part should be if computed from the student's own earlier answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def total_of(part_id: str) -> Callable[[dict[str, Any], dict[str, Any]], int | float]:
    """The rule "the total is the sum of the student's own per-layer counts in ``part_id``".

    >>> total_of("params")({}, {"params": [20, 0, 404]})
    424
    """

    def rule(params: dict[str, Any], answers: dict[str, Any]) -> int | float:
        return sum(answers[part_id])

    return rule
