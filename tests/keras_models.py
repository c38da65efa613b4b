"""Real Keras models and layers built from exercise params (the oracle for the parameter kinds)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.keras_oracle import keras

#: Keys of a layer dict that are not Keras constructor arguments.
NOT_KERAS = ("class_name", "input_channels")


def make_layer(layer: dict[str, Any]):
    """``getattr(keras.layers, class_name)(**args)`` for one layer dict."""
    args = {k: v for k, v in layer.items() if k not in NOT_KERAS}
    return getattr(keras().layers, layer["class_name"])(**args)


def sequential(input_shape, layers: list[dict[str, Any]]):
    """A built (not compiled) ``keras.Sequential`` model."""
    k = keras()
    return k.Sequential([k.Input(shape=tuple(input_shape)), *map(make_layer, layers)])


def summary(model) -> dict[str, Any]:
    """What Keras says: per-layer output shapes (no batch axis), params, trainable, total."""
    return {
        "shapes": [list(layer.output.shape[1:]) for layer in model.layers],
        "params": [layer.count_params() for layer in model.layers],
        "trainable": sum(int(np.prod(w.shape)) for w in model.trainable_weights),
        "total": model.count_params(),
    }
