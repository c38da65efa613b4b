"""Max and average pooling as Keras MaxPooling2D / AveragePooling2D compute them.

Keras defaults: ``strides = pool_size``, ``padding="valid"``.  With ``padding="same"`` the input is
padded as for a convolution (the odd extra row/column at the bottom/right); padded cells never
win a max and are not counted in an average.
"""

from __future__ import annotations

import numpy as np

from .conv import pad_amounts
from .grid import Pads, pad2d, windows2d

MODES = ("max", "average")


def pool_pads(
    shape: tuple[int, int], pool_size: tuple[int, int], strides: tuple[int, int], padding: str
) -> Pads:
    """(top, bottom, left, right) padding Keras applies before pooling."""
    t, b = pad_amounts(shape[0], pool_size[0], strides[0], padding)
    l, r = pad_amounts(shape[1], pool_size[1], strides[1], padding)
    return (t, b, l, r)


def pool_windows(
    x: np.ndarray, pool_size: tuple[int, int], strides: tuple[int, int], pads: Pads
) -> np.ndarray | None:
    """``oh x ow x (ph*pw)`` float windows, padded cells as NaN; ``None`` if the pool won't fit."""
    xp = pad2d(x.astype(float), pads, np.nan) if any(pads) else x
    if pool_size[0] > xp.shape[0] or pool_size[1] > xp.shape[1]:
        return None
    win = windows2d(xp, pool_size, strides)
    oh, ow = win.shape[:2]
    return win.reshape(oh, ow, pool_size[0] * pool_size[1])


def reduce_windows(win: np.ndarray, mode: str, *, count_padding: bool = False) -> np.ndarray:
    """Pool each window of :func:`pool_windows`: max, or mean over the real (non-NaN) cells.

    ``count_padding`` divides by the full window size instead (what Keras does *not* do).
    """
    if win.dtype.kind != "f":  # no padding: plain reductions
        return win.max(axis=2) if mode == "max" else win.mean(axis=2)
    if mode == "max":
        return np.fmax.reduce(win, axis=2)
    real = ~np.isnan(win)
    total = np.where(real, win, 0.0).sum(axis=2)
    return total / (win.shape[2] if count_padding else real.sum(axis=2))


def pool2d(
    x: np.ndarray,
    pool_size: tuple[int, int],
    strides: tuple[int, int] | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> np.ndarray | None:
    """Keras 2-D pooling of the matrix ``x``; ``None`` when the pool does not fit the input."""
    strides = strides or pool_size
    pads = pool_pads(x.shape[:2], pool_size, strides, padding)
    win = pool_windows(x, pool_size, strides, pads)
    return None if win is None else reduce_windows(win, mode)
