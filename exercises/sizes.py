"""Size constraints: a spec fixes shapes (``kernel_size``, ``input_shape``, ``filters``) while the
values stay random, so randomized exercises reach the lecture's scale.

The matrix kinds take these besides their Keras parameters.  ``sample`` draws values of the given
sizes; ``validate`` checks that the (given or drawn) arrays have them and drops them, so an
exercise's params stay the Keras ones and a spec without constraints draws what it always drew.
"""

from __future__ import annotations

import math
from typing import Any

from . import params as P
from .errors import ParamError

#: Largest side of a 2-D input or kernel a spec may ask for (hand computation).
MAX_SIDE = 12
#: Largest 1-D input or kernel length a spec may ask for.
MAX_LENGTH = 16
#: Most input channels / filters of a multi-channel exercise a spec may ask for.
MAX_CHANNELS = 4
MAX_FILTERS = 4


def pair(name: str, value: Any) -> tuple[int, int] | None:
    """A given 2-D size (int or ``[rows, cols]``, each 1..MAX_SIDE), or None when not given."""
    return None if value is None else P.size_pair(name, value, lo=1, hi=MAX_SIDE)


def length(name: str, value: Any) -> int | None:
    """A given 1-D size (int or ``[n]``, 1..MAX_LENGTH), or None when not given."""
    if value is None:
        return None
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, list | tuple):
        raise ParamError(name, f"an integer from 1 to {MAX_LENGTH} or a list of one", value)
    return P.integer(name, value, lo=1, hi=MAX_LENGTH)


def image_shape(name: str, value: Any) -> tuple[int, ...] | None:
    """A given multi-channel input size: an int (square), ``[rows, cols]`` or
    ``[rows, cols, channels]`` (channels 1..MAX_CHANNELS); None when not given."""
    if value is None:
        return None
    if isinstance(value, list | tuple) and len(value) == 3:
        rows, cols = P.size_pair(name, list(value[:2]), lo=1, hi=MAX_SIDE)
        if (
            isinstance(value[2], bool)
            or not isinstance(value[2], int)
            or not (1 <= value[2] <= MAX_CHANNELS)
        ):
            raise ParamError(
                name, f"[rows, cols, channels] with 1 to {MAX_CHANNELS} channels", value
            )
        return (rows, cols, value[2])
    try:
        return P.size_pair(name, value, lo=1, hi=MAX_SIDE)
    except ParamError:
        raise ParamError(
            name,
            f"an integer, [rows, cols] or [rows, cols, channels] (sides 1 to {MAX_SIDE}, "
            f"channels 1 to {MAX_CHANNELS})",
            value,
        ) from None


def check(name: str, want: tuple[int, ...] | int | None, shape: tuple[int, ...], what: str) -> None:
    """A spec's size ``want`` (parsed) must be the shape of the (given or drawn) ``what``."""
    if want is None:
        return
    want = (want,) if isinstance(want, int) else tuple(want)
    if want != tuple(shape[: len(want)]):
        size = " x ".join(map(str, shape))
        raise ParamError(name, f"the {what}'s size ({size})", _plain(want))


def _plain(size: tuple[int, ...]) -> int | list[int]:
    return size[0] if len(size) == 1 else list(size)


def random_kernel(name: str, size: tuple[int, ...]) -> None:
    """A random 1-D kernel needs two or more weights: a single weight is its own flip, so the
    flipped-kernel mistake could not be told from the key (every draw would be rejected)."""
    if math.prod(size) < 2:
        raise ParamError(
            name,
            "at least 2 for a random kernel (a 1-weight kernel equals its flip, so the "
            "flipped-kernel mistake cannot be told from the key; give 'kernel' to fix one)",
            _plain(size),
        )


def fit_name(p: dict[str, Any], name: str = "kernel", given: str = "kernel_size") -> str:
    """The parameter a fit error names: ``kernel_size`` when the spec constrained it."""
    return given if p.get(given) is not None else name
