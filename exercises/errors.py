"""Errors a user can cause. The CLI turns each into a one-line message and exit status 2."""

from __future__ import annotations


class ConvgradeError(Exception):
    """Base class for errors caused by user input (never by a bug in convgrade)."""

    exit_code = 2


class ParamError(ConvgradeError, ValueError):
    """A bad exercise parameter: names the parameter and says what was expected."""

    def __init__(self, name: str, expected: str, got: object = None) -> None:
        self.name = name
        self.expected = expected
        self.got = got
        msg = f"parameter '{name}': expected {expected}"
        if got is not None:
            msg += f", got {_short(got)}"
        super().__init__(msg)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
