"""Cross-correlation (Keras Conv1D/Conv2D), padding resolution and output sizes."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_length(n: int, k: int, s: int, padding: str | int) -> int:
    """Output length along one axis.

    Explicit symmetric padding p: ``floor((n + 2p - k) / s) + 1``; Keras ``valid``: p = 0;
    Keras ``same``: ``ceil(n / s)``.
    """
    if padding == "same":
        return math.ceil(n / s)
    p = 0 if padding == "valid" else int(padding)
    return (n + 2 * p - k) // s + 1


def pad_amounts(n: int, k: int, s: int, padding: str | int) -> tuple[int, int]:
    """Zeros added (before, after) along one axis, as Keras does it.

    ``same``: total ``max((out - 1)·s + k - n, 0)``, ``before = total // 2`` and the extra one
    goes after (bottom/right).
    """
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        out = math.ceil(n / s)
        total = max((out - 1) * s + k - n, 0)
        return (total // 2, total - total // 2)
    return (int(padding), int(padding))


def pad(x: np.ndarray, amounts: list[tuple[int, int]]) -> np.ndarray:
    """Zero-pad the leading axes of ``x`` by ``amounts``; trailing axes (channels) untouched."""
    if not any(b or a for b, a in amounts):
        return x
    shape = [n + b + a for n, (b, a) in zip(x.shape, amounts)] + list(x.shape[len(amounts) :])
    out = np.zeros(shape, dtype=x.dtype)
    out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, amounts))] = x
    return out


def windows(x: np.ndarray, kernel_shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """Strided windows over the leading axes: shape ``out_shape + rest + kernel_shape``."""
    axes = tuple(range(len(kernel_shape)))
    w = sliding_window_view(x, kernel_shape, axis=axes)
    index = tuple(slice(None, None, s) for s in strides)
    return w[index]


def correlate(
    x: np.ndarray,
    kernel: np.ndarray,
    strides: tuple[int, ...],
    padding: str | int,
    bias: np.ndarray | float | None = None,
) -> np.ndarray:
    """Keras-style convolution (cross-correlation, the kernel is not flipped).

    ``x`` is ``spatial + (C_in,)`` and ``kernel`` is ``kspatial + (C_in, filters)``, as Keras
    stores them; the result is ``out_spatial + (filters,)``.
    """
    d = kernel.ndim - 2
    ks = kernel.shape[:d]
    amounts = [pad_amounts(x.shape[i], ks[i], strides[i], padding) for i in range(d)]
    xp = pad(x, amounts)
    win = windows(xp, ks, strides)  # out + (C_in,) + ks
    # Move channels after the kernel axes: out + ks + (C_in,)
    win = np.moveaxis(win, d, -1)
    contract = tuple(range(d, 2 * d + 1))
    y = np.tensordot(win, kernel, axes=(contract, tuple(range(d + 1))))
    if bias is not None:
        y = y + bias
    return y


def correlate2d(x: np.ndarray, k: np.ndarray, strides=(1, 1), padding="valid") -> np.ndarray:
    """Single-channel 2-D cross-correlation of a matrix with a kernel matrix."""
    return correlate(x[..., None], k[..., None, None], tuple(strides), padding)[..., 0]


def correlate1d(x: np.ndarray, k: np.ndarray, stride: int = 1, padding="valid") -> np.ndarray:
    """Single-channel 1-D cross-correlation of a vector with a kernel vector."""
    return correlate(x[:, None], k[:, None, None], (stride,), padding)[:, 0]
