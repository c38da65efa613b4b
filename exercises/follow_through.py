"""Follow-through rules shared by several kinds (see ``Kind.follow_through``).

A rule takes the exercise parameters and the student's parsed answers (part id -> value) and
returns what a later part should be if computed from the student's own earlier answers, or None
when those answers do not allow it. Follow-through credits a consistent next step from a genuine
attempt, never arithmetic on a placeholder: :func:`follows` wraps a rule so that it applies only
when the earlier parts it names are :func:`genuine` (not constant, not all zero, not a copy of a
given matrix). A constant or all-zero answer therefore earns only the entries that are right on
their own. docs/checking.md lists, per kind, which part follows which.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import numpy as np

Rule = Callable[[dict[str, Any], dict[str, Any]], Any]


def genuine(value: Any, params: dict[str, Any] | None = None) -> bool:
    """Whether ``value`` is a real attempt to follow through from: at least two numbers, not all
    equal, and not a copy of an array among the exercise ``params``. (From a single number the
    next step is a copy of it, e.g. the total of a one-layer model: nothing to credit.)

    >>> genuine([20, 0, 404]), genuine([0, 0, 0]), genuine([7, 7]), genuine([12])
    (True, False, False, False)
    >>> genuine([[1, 2], [3, 4]], {"input": [[1, 2], [3, 4]]})
    False
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    if arr.dtype == object or arr.size < 2:
        return False
    if np.all(arr == arr.flat[0]):
        return False
    for given in (params or {}).values():
        if isinstance(given, list) and np.shape(given) == arr.shape:
            try:
                if np.array_equal(np.asarray(given, dtype=float), arr):
                    return False
            except (TypeError, ValueError):
                continue
    return True


def positive(value: Any) -> bool:
    """Whether ``value`` is a shape of positive whole numbers (``[4, 4]``: squares are fine)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)
    )


def follows(*parts: str, shapes: tuple[str, ...] = ()) -> Callable[[Rule], Rule]:
    """Make a rule apply only when the student's answers to ``parts`` are :func:`genuine` and
    those to ``shapes`` are :func:`positive` (parts left blank are not checked). The names are
    kept on the rule as ``follows`` for the docs."""

    def wrap(rule: Rule) -> Rule:
        @wraps(rule)
        def checked(params: dict[str, Any], answers: dict[str, Any]) -> Any:
            for pid in parts:
                if pid in answers and not genuine(answers[pid], params):
                    return None
            for pid in shapes:
                if pid in answers and not positive(answers[pid]):
                    return None
            return rule(params, answers)

        checked.follows = (*parts, *shapes)  # type: ignore[attr-defined]
        return checked

    return wrap


def total_of(part_id: str) -> Rule:
    """The rule "the total is the sum of the student's own per-layer counts in ``part_id``",
    applied when those counts are a genuine attempt.

    >>> total_of("params")({}, {"params": [20, 0, 404]})
    424
    >>> total_of("params")({}, {"params": [0, 0, 0]}) is None
    True
    """

    @follows(part_id)
    def rule(params: dict[str, Any], answers: dict[str, Any]) -> int | float:
        return sum(answers[part_id])

    return rule
