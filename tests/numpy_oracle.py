"""A second, fast oracle in plain numpy (sliding windows), written from Keras's documented rules
and sharing no code with the answer keys: for checks over many seeds without importing
TensorFlow (tests/keras_oracle.py remains the authority, in the ``tf`` tests)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _pads(n: int, k: int, s: int, padding) -> tuple[int, int]:
    """Zeros before and after one axis: Keras 'same' puts the odd one after."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((-(-n // s) - 1) * s + k - n, 0)
        return total // 2, total - total // 2
    return padding, padding


def conv1d(x, w, strides: int, padding) -> np.ndarray:
    x, w = np.asarray(x, float), np.asarray(w, float)
    xp = np.pad(x, _pads(len(x), len(w), strides, padding))
    return sliding_window_view(xp, len(w))[::strides] @ w


def conv2d(x, kernel, strides, padding, bias=None) -> np.ndarray:
    """``x`` H x W x C, ``kernel`` kh x kw x C x F (as Keras stores it): H' x W' x F."""
    x, k = np.asarray(x, float), np.asarray(kernel, float)
    (sh, sw), (kh, kw) = _pair(strides), k.shape[:2]
    pads = (_pads(x.shape[0], kh, sh, padding), _pads(x.shape[1], kw, sw, padding), (0, 0))
    windows = sliding_window_view(np.pad(x, pads), (kh, kw), axis=(0, 1))[::sh, ::sw]
    y = np.einsum("ijcab,abcf->ijf", windows, k)
    return y if bias is None else y + np.asarray(bias, float)


def pool2d(x, pool_size, strides, padding: str, mode: str) -> np.ndarray:
    """Max or average pooling of a matrix; padded cells never win and are never counted."""
    x = np.asarray(x, float)
    (ph, pw) = _pair(pool_size)
    (sh, sw) = (ph, pw) if strides is None else _pair(strides)
    pads = (_pads(x.shape[0], ph, sh, padding), _pads(x.shape[1], pw, sw, padding))
    xp = np.pad(x, pads, constant_values=np.nan)
    windows = sliding_window_view(xp, (ph, pw))[::sh, ::sw]
    return (np.nanmax if mode == "max" else np.nanmean)(windows, axis=(2, 3))
