"""Fast 2-D sliding windows over tiny arrays: zero padding, strided window views, correlation.

The answer keys of the 2-D kinds are computed here; numpy's general helpers (``np.pad``,
``sliding_window_view``, ``tensordot``) cost more per call than the arithmetic on a 5x5 input,
so these build the strided views directly.  Arrays are ``H x W`` or ``H x W x C``.
"""

from __future__ import annotations

import numpy as np

#: (top, bottom, left, right) zeros around the two spatial axes.
Pads = tuple[int, int, int, int]
NO_PADS: Pads = (0, 0, 0, 0)


def pad2d(x: np.ndarray, pads: Pads, value: float = 0) -> np.ndarray:
    """``x`` with ``pads`` = (top, bottom, left, right) rows/columns of ``value`` around it."""
    t, b, l, r = pads
    if not (t or b or l or r):
        return x
    h, w = x.shape[:2]
    if value == 0:
        out = np.zeros((h + t + b, w + l + r) + x.shape[2:], dtype=x.dtype)
    else:
        out = np.full((h + t + b, w + l + r) + x.shape[2:], value)
    out[t : t + h, l : l + w] = x
    return out


def windows2d(x: np.ndarray, size: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """Read-only view ``(oh, ow, kh, kw) + x.shape[2:]`` of the strided windows of ``x``.

    The caller makes sure the window fits (``kh <= H`` and ``kw <= W``).
    """
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    kh, kw = size
    sh, sw = strides
    h, w = x.shape[:2]
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    s0, s1 = x.strides[:2]
    view = np.ndarray(
        (oh, ow, kh, kw) + x.shape[2:],
        dtype=x.dtype,
        buffer=x,
        strides=(s0 * sh, s1 * sw, s0, s1) + x.strides[2:],
    )
    view.flags.writeable = False
    return view


def correlate_windows(
    x: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], pads: Pads = NO_PADS
) -> tuple[np.ndarray, np.ndarray] | None:
    """Keras Conv2D (cross-correlation) of ``x`` (H x W x C) with ``kernel`` (kh x kw x C x F).

    Returns ``(windows, y)``: ``windows`` has one row per output cell, the window's values
    channel by channel (C x kh x kw, flattened), and ``y`` is ``oh x ow x F``.  ``None`` when the
    kernel does not fit the padded input.
    """
    xp = pad2d(x, pads)
    kh, kw, c, f = kernel.shape
    if kh > xp.shape[0] or kw > xp.shape[1]:
        return None
    win = windows2d(xp, (kh, kw), strides)
    oh, ow = win.shape[:2]
    # (oh, ow, kh, kw, C) -> (oh*ow, C*kh*kw): channel-major, as a student reads the channels.
    flat = win.transpose(0, 1, 4, 2, 3).reshape(oh * ow, c * kh * kw)
    y = (flat @ kernel.transpose(2, 0, 1, 3).reshape(c * kh * kw, f)).reshape(oh, ow, f)
    return flat, y


def flat_kernels(kernel: np.ndarray) -> np.ndarray:
    """``F x (C*kh*kw)``: each filter's weights in the order of :func:`correlate_windows` rows."""
    kh, kw, c, f = kernel.shape
    return kernel.transpose(3, 2, 0, 1).reshape(f, c * kh * kw)
