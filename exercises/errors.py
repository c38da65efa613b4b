"""Errors a user can cause. The CLI turns each into a one-line message and exit status 2."""

from __future__ import annotations


class ConvgradeError(Exception):
    """Base class for errors caused by user input (never by a bug in convgrade)."""

    exit_code = 2


class ParamError(ConvgradeError, ValueError):
    """A bad exercise parameter: names the parameter and says what was expected."""

    def __init__(self, name: str, expected: str, got: object = None, hint: str = "") -> None:
        self.name = name
        self.expected = expected
        self.got = got
        msg = f"parameter '{name}': expected {expected}"
        if got is not None:
            msg += f", got {_short(got)}"
        super().__init__(msg + hint)


class SpecError(ConvgradeError):
    """A bad spec file (a problem set, an assignment): the message names the file and the key.

    ``SpecError(message)``, or ``SpecError(source, key, expected, got)`` worded for you:

    >>> str(SpecError("a.toml", "training.epochs", "an integer >= 1", 0))
    "a.toml: 'training.epochs': expected an integer >= 1, got 0"
    """

    def __init__(
        self, message: str, key: str | None = None, expected: str = "", got: object = None
    ) -> None:
        if key is not None:
            message = f"{message}: '{key}': expected {expected}"
            if got is not None:
                message += f", got {got!r}"[:200]
        super().__init__(message)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: str, options) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``options`` to ``word``, else ``""``.

    >>> did_you_mean("conv2", ["conv1d", "conv2d", "pooling"])
    " (did you mean 'conv2d'?)"
    >>> did_you_mean("zzz", ["conv1d"])
    ''
    """
    import difflib

    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
