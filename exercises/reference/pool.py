"""Max and average pooling as Keras MaxPooling2D / AveragePooling2D compute them.

Keras defaults: ``strides = pool_size``, ``padding="valid"``.  With ``padding="same"`` the input is
padded as for a convolution (the odd extra row/column at the bottom/right); padded cells never
win a max and are not counted in an average.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

import numpy as np

from .conv import pad_amounts
from .grid import Pads, pad2d, windows2d

MODES = ("max", "average")


def pool_pads(
    shape: tuple[int, ...], pool_size: tuple[int, int], strides: tuple[int, int], padding: str
) -> Pads:
    """(top, bottom, left, right) padding Keras applies before pooling."""
    t, b = pad_amounts(shape[0], pool_size[0], strides[0], padding)
    l, r = pad_amounts(shape[1], pool_size[1], strides[1], padding)
    return (t, b, l, r)


def real_counts(n: int, k: int, s: int, before: int, out: int) -> list[int]:
    """How many real (non-padded) cells each of ``out`` windows covers along one axis."""
    return [min(i * s - before + k, n) - max(i * s - before, 0) for i in range(out)]


@cache
def _lowest(dtype: np.dtype) -> float | int:
    """A padding value that never wins a max: -inf, or the smallest integer of ``dtype``."""
    return -np.inf if dtype.kind == "f" else int(np.iinfo(dtype).min)


def pool2d(
    x: np.ndarray,
    pool_size: tuple[int, int],
    strides: tuple[int, int] | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> np.ndarray | None:
    """Keras 2-D pooling of the matrix ``x``; ``None`` when the pool does not fit the input."""
    out = pool2d_modes(x, pool_size, strides, padding, (mode,))
    return None if out is None else out[0]


def pool2d_modes(
    x: np.ndarray,
    pool_size: tuple[int, int],
    strides: tuple[int, int] | None,
    padding: str,
    modes: tuple[str, ...],
) -> list[np.ndarray] | None:
    """:func:`pool2d` in several modes over the same windows, in the order of ``modes``.

    Besides ``max`` and ``average``, mode ``average_counting_padding`` divides by the full window
    size instead of the number of real cells (what Keras does *not* do; a misconception).
    """
    strides = strides or pool_size
    pads = pool_pads(x.shape, pool_size, strides, padding)
    padded = any(pads)
    (ph, pw), (t, b, l, r) = pool_size, pads
    h, w = x.shape
    if ph > h + t + b or pw > w + l + r:
        return None
    out = []
    total = None
    for mode in modes:
        if mode == "max":  # padded cells hold the lowest value: they never win
            xp = pad2d(x, pads, _lowest(x.dtype)) if padded else x
            out.append(windows2d(xp, pool_size, strides).max(axis=(2, 3)))
            continue
        if total is None:
            total = windows2d(pad2d(x, pads) if padded else x, pool_size, strides).sum(axis=(2, 3))
        if mode == "average_counting_padding" or not padded:
            out.append(total / (ph * pw))
        else:
            rows = real_counts(h, ph, strides[0], t, total.shape[0])
            cols = real_counts(w, pw, strides[1], l, total.shape[1])
            out.append(total / np.array([[r * c for c in cols] for r in rows]))
    return out


@dataclass(frozen=True)
class Windows:
    """The pooling windows over a matrix of one shape, for pooling in plain Python.

    ``pickers`` has one function per window (row by row) that returns the window's real cells
    (padding left out) from the matrix flattened row by row; ``out`` is the output shape,
    ``pads`` the padding (:func:`pool_pads`) and ``area`` the full window size.  On the few cells
    of a hand exercise, picking cells from a list is several times faster than numpy's padded
    strided views.
    """

    out: tuple[int, int]
    pads: Pads
    area: int
    pickers: tuple[Callable[[list], tuple], ...]

    def cells(self, flat: list) -> list[tuple]:
        """The real cells of every window of the row-major matrix ``flat``."""
        return [pick(flat) for pick in self.pickers]


def _picker(indices: list[int]) -> Callable[[list], tuple]:
    """A function returning the entries at ``indices`` of a list, always as a tuple."""
    if len(indices) == 1:
        i = indices[0]
        return lambda flat: (flat[i],)
    return itemgetter(*indices)


@lru_cache(maxsize=1024)  # user parameters can make many shapes
def pool_windows(
    shape: tuple[int, int], pool_size: tuple[int, int], strides: tuple[int, int], padding: str
) -> Windows | None:
    """The :class:`Windows` of Keras pooling over a ``shape`` matrix; ``None`` when the pool does
    not fit.  Cached: hand exercises have few shapes."""
    h, w = shape
    (ph, pw), (sh, sw) = pool_size, strides
    pads = t, b, l, r = pool_pads(shape, pool_size, strides, padding)
    if ph > h + t + b or pw > w + l + r:
        return None
    oh, ow = (h + t + b - ph) // sh + 1, (w + l + r - pw) // sw + 1
    pickers = []
    for i in range(oh):
        rows = range(max(i * sh - t, 0), min(i * sh - t + ph, h))
        for j in range(ow):
            cols = range(max(j * sw - l, 0), min(j * sw - l + pw, w))
            pickers.append(_picker([row * w + col for row in rows for col in cols]))
    return Windows((oh, ow), pads, ph * pw, tuple(pickers))


def pool_cells(cells: list[tuple], mode: str, area: int) -> list:
    """Every window's pooled value (row by row) from its real cells (:meth:`Windows.cells`).

    Modes as in :func:`pool2d_modes`.  For integers this equals :func:`pool2d_modes` exactly:
    maxima are the cells' ints, averages an int sum divided by an int count.
    """
    if mode == "max":
        return list(map(max, cells))
    if mode == "average":
        return [total / n for total, n in zip(map(sum, cells), map(len, cells))]
    return [total / area for total in map(sum, cells)]  # average_counting_padding
