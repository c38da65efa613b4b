"""Broken on purpose: a typo inside build_model (status build-error)."""

import keras
from keras import layers  # noqa: F401 (the typo below is the point)


def build_model(task):
    return keras.Sequential([keras.Input(shape=task.input_shape), layres.Flatten()])  # noqa: F821
