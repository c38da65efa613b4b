"""TensorFlow/Keras as the oracle: the real layers compute what our numpy answer keys claim."""

from __future__ import annotations

import numpy as np

_keras = None


def keras():
    """Import Keras once, lazily (only the cross-check tests pay for it)."""
    global _keras
    if _keras is None:
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras as k

        _keras = k
    return _keras


def conv(x: np.ndarray, kernel: np.ndarray, strides, padding, bias=None) -> np.ndarray:
    """Keras Conv1D/Conv2D on one sample; ``x`` is spatial + (C_in,), kernel as Keras stores it.

    An explicit integer padding is applied with ZeroPadding1D/2D before a 'valid' convolution.
    """
    k = keras()
    d = kernel.ndim - 2
    x = np.asarray(x, dtype="float64")[None]
    if isinstance(padding, int):
        pad_layer = k.layers.ZeroPadding1D(padding) if d == 1 else k.layers.ZeroPadding2D(padding)
        x = np.asarray(pad_layer(x))
        padding = "valid"
    layer_cls = k.layers.Conv1D if d == 1 else k.layers.Conv2D
    layer = layer_cls(
        kernel.shape[-1],
        kernel.shape[:d],
        strides=strides,
        padding=padding,
        use_bias=bias is not None,
        dtype="float64",
    )
    layer.build(x.shape)
    weights = [kernel.astype("float64")]
    if bias is not None:
        weights.append(np.broadcast_to(np.asarray(bias, "float64"), (kernel.shape[-1],)))
    layer.set_weights(weights)
    return np.asarray(layer(x))[0]


_pool_layers: dict = {}


def pool(x: np.ndarray, pool_size, strides, padding: str, mode: str) -> np.ndarray:
    """Keras MaxPooling2D / AveragePooling2D on one H x W matrix (layers cached per config)."""
    k = keras()
    key = (mode, _pair(pool_size), None if strides is None else _pair(strides), padding)
    if key not in _pool_layers:
        cls = k.layers.MaxPooling2D if mode == "max" else k.layers.AveragePooling2D
        _pool_layers[key] = cls(pool_size=key[1], strides=key[2], padding=padding, dtype="float64")
    x = np.asarray(x, dtype="float64")[None, :, :, None]
    return np.asarray(_pool_layers[key](x))[0, :, :, 0]


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)
