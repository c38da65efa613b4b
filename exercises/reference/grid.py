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
        out = np.full((h + t + b, w + l + r) + x.shape[2:], value, dtype=x.dtype)
    out[t : t + h, l : l + w] = x
    return out


def windows2d(x: np.ndarray, size: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """View ``(oh, ow, kh, kw) + x.shape[2:]`` of the strided windows of ``x`` (do not write).

    The caller makes sure the window fits (``kh <= H`` and ``kw <= W``).
    """
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    kh, kw = size
    sh, sw = strides
    h, w = x.shape[:2]
    s0, s1 = x.strides[:2]
    return np.ndarray(
        ((h - kh) // sh + 1, (w - kw) // sw + 1, kh, kw) + x.shape[2:],
        x.dtype,
        x,
        0,
        (s0 * sh, s1 * sw, s0, s1) + x.strides[2:],
    )


def flat_kernels(kernel: np.ndarray) -> np.ndarray:
    """``F x (C*kh*kw)``: each filter's weights in the order of the window rows (channel-major)."""
    kh, kw, c, f = kernel.shape
    return kernel.transpose(3, 2, 0, 1).reshape(f, c * kh * kw)


#: A padding/stride variant of one correlation: ((top, bottom, left, right), (sh, sw)).
Variant = tuple[Pads, tuple[int, int]]


def correlate_variants(
    x: np.ndarray, kernel: np.ndarray, variants: dict[str, Variant]
) -> dict[str, tuple[np.ndarray | None, np.ndarray] | None]:
    """Keras Conv2D (cross-correlation) of ``x`` (H x W x C) with ``kernel`` (kh x kw x C x F)
    for several paddings and strides at once.

    For each variant: ``y`` is ``oh x ow x F``; for the first variant only, ``windows`` has one
    row per output cell, the window's values channel by channel (C x kh x kw, flattened); the
    other variants get ``None`` there.

    Every variant's padded input is a sub-rectangle of one input padded by the largest amounts,
    and its strided windows are a strided slice of that input's stride-1 windows: one matrix
    product serves them all.  Returns ``name -> (windows, y)``, or ``None`` where the kernel
    does not fit that variant's padded input.
    """
    h, w = x.shape[:2]
    kh, kw, c, f = kernel.shape
    top, bottom, left, right = map(max, zip(*(pads for pads, _ in variants.values())))
    xp = pad2d(x, (top, bottom, left, right))
    out: dict[str, tuple[np.ndarray | None, np.ndarray] | None] = dict.fromkeys(variants)
    first = next(iter(variants))
    if kh > xp.shape[0] or kw > xp.shape[1]:
        return out
    win = windows2d(xp, (kh, kw), (1, 1))
    oh, ow = win.shape[:2]
    k = c * kh * kw
    flat = win.transpose(0, 1, 4, 2, 3).reshape(oh, ow, k)
    y = flat.reshape(oh * ow, k) @ kernel.transpose(2, 0, 1, 3).reshape(k, f)
    y = y.reshape(oh, ow, f)
    for name, ((t, b, l, r), (sh, sw)) in variants.items():
        nh, nw = h + t + b - kh + 1, w + l + r - kw + 1
        if nh < 1 or nw < 1:
            continue
        rows = slice(top - t, top - t + nh, sh)
        cols = slice(left - l, left - l + nw, sw)
        vy = y[rows, cols]
        # Only the first variant's windows are needed (for the worked steps): skip the others.
        out[name] = (flat[rows, cols].reshape(-1, k) if name == first else None, vy)
    return out
