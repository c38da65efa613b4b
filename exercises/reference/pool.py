"""Max and average pooling as Keras MaxPooling2D / AveragePooling2D compute them.

Keras defaults: ``strides = pool_size``, ``padding="valid"``.  With ``padding="same"`` the input is
padded as for a convolution (the odd extra row/column at the bottom/right); padded cells never
win a max and are not counted in an average.
"""

from __future__ import annotations

from functools import cache

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
    *,
    count_padding: bool = False,
) -> np.ndarray | None:
    """Keras 2-D pooling of the matrix ``x``; ``None`` when the pool does not fit the input.

    ``count_padding`` divides an average by the full window size instead of the number of real
    cells (what Keras does *not* do; a misconception).
    """
    strides = strides or pool_size
    pads = pool_pads(x.shape, pool_size, strides, padding)
    padded = any(pads)
    (ph, pw), (t, b, l, r) = pool_size, pads
    h, w = x.shape
    if ph > h + t + b or pw > w + l + r:
        return None
    if mode == "max":
        xp = pad2d(x, pads, _lowest(x.dtype)) if padded else x
        return windows2d(xp, pool_size, strides).max(axis=(2, 3))
    win = windows2d(pad2d(x, pads) if padded else x, pool_size, strides)
    total = win.sum(axis=(2, 3))
    if count_padding or not padded:
        return total / (ph * pw)
    oh, ow = total.shape
    rows = real_counts(h, ph, strides[0], t, oh)
    cols = real_counts(w, pw, strides[1], l, ow)
    return total / np.array([[r * c for c in cols] for r in rows])


def window_values(
    rows: list[list], pool_size: tuple[int, int], strides: tuple[int, int], pads: Pads
) -> list[list]:
    """The real cells of every pooling window (row by row), from the input as nested lists."""
    (ph, pw), (sh, sw), (t, b, l, r) = pool_size, strides, pads
    h, w = len(rows), len(rows[0])
    oh, ow = (h + t + b - ph) // sh + 1, (w + l + r - pw) // sw + 1
    spans = [(max(j * sw - l, 0), min(j * sw - l + pw, w)) for j in range(ow)]
    out = []
    for i in range(oh):
        band = rows[max(i * sh - t, 0) : min(i * sh - t + ph, h)]
        out += [[v for row in band for v in row[c0:c1]] for c0, c1 in spans]
    return out
