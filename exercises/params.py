"""Parameter validation helpers in the scikit-learn style: every message names the parameter."""

from __future__ import annotations

import numbers
from itertools import chain
from typing import Any

import numpy as np

from .errors import ParamError

PADDINGS = ("valid", "same")


def integer(name: str, value: Any, *, lo: int | None = None, hi: int | None = None) -> int:
    """An int within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParamError(name, _range_text("an integer", lo, hi), value)
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ParamError(name, _range_text("an integer", lo, hi), value)
    return v


def _range_text(what: str, lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{what} from {lo} to {hi}"
    if lo is not None:
        return f"{what} >= {lo}"
    if hi is not None:
        return f"{what} <= {hi}"
    return what


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamError(name, "true or false", value)
    return value


def choice(name: str, value: Any, options: tuple[str, ...] | list[str]) -> str:
    if value not in options:
        raise ParamError(name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def padding(name: str, value: Any) -> str | int:
    """Keras padding name ('valid' or 'same') or an explicit symmetric zero padding p >= 0."""
    if isinstance(value, str):
        if value.lower() in PADDINGS:
            return value.lower()
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ParamError(name, "'valid', 'same' or a non-negative integer", value)


def size_pair(name: str, value: Any, *, lo: int = 1, hi: int | None = None) -> tuple[int, int]:
    """An int or a pair of ints (Keras accepts both for kernel_size, strides, pool_size)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = integer(name, value, lo=lo, hi=hi)
        return (v, v)
    if isinstance(value, list | tuple) and len(value) == 2:
        return (integer(name, value[0], lo=lo, hi=hi), integer(name, value[1], lo=lo, hi=hi))
    raise ParamError(name, _range_text("an integer or a pair of integers", lo, hi), value)


def array(
    name: str, value: Any, ndim: int, *, integers: bool = False, max_side: int = 64
) -> np.ndarray:
    """A non-empty, rectangular numeric array of ``ndim`` dimensions."""
    shape_words = {
        1: "a list of numbers",
        2: "a matrix (list of equal-length rows)",
        3: "a height x width x channels nested list",
        4: "a kh x kw x C_in x filters nested list",
    }[ndim]
    expected = shape_words + (" of integers" if integers else "")
    arr = _int_array(value, ndim)
    if arr is not None:
        if any(s > max_side for s in arr.shape):
            raise ParamError(
                name, f"{expected} with at most {max_side} entries per axis", arr.shape
            )
        return arr
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParamError(name, expected, value) from None
    if arr.ndim != ndim or arr.size == 0 or not np.isfinite(arr).all():
        raise ParamError(name, expected, value)
    if any(s > max_side for s in arr.shape):
        raise ParamError(name, f"{expected} with at most {max_side} entries per axis", arr.shape)
    if integers and not np.all(arr == np.round(arr)):
        raise ParamError(name, expected, value)
    if _plain_ints(value, ndim) or _is_integral(value):
        return arr.astype(np.int64)
    return arr


def _int_array(value: Any, ndim: int) -> np.ndarray | None:
    """Fast path of :func:`array` for the common case, a non-empty nest of integers (sampled
    parameters, most user input): the int64 array, or ``None`` to take the general path.

    Whatever numpy stores as int64 holds integer values only (ints, bools, numpy integers); the
    general path would turn the same values into the same numbers (see :func:`tolist`).
    """
    if not isinstance(value, list):
        return None
    try:
        arr = np.array(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr if arr.dtype == np.int64 and arr.ndim == ndim and arr.size else None


def _plain_ints(value: Any, ndim: int) -> bool:
    """Fast path of :func:`_is_integral` for a rectangular nest of ``ndim`` levels of lists."""
    flat = value
    for _ in range(ndim - 1):
        flat = chain.from_iterable(flat)
    return all(type(v) is int for v in flat)


def _is_integral(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_integral(v) for v in value)
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def tolist(arr: np.ndarray) -> list:
    """Plain JSON numbers: ints stay ints, floats that are whole become ints."""
    if arr.dtype.kind in "iu":
        return arr.tolist()
    if (arr == arr.round()).all():
        return arr.astype(np.int64).tolist()
    return arr.round(10).tolist()
