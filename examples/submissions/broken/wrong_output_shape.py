"""Broken on purpose: one output unit for a 10-class problem (status bad-shape)."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [keras.Input(shape=task.input_shape), layers.Flatten(), layers.Dense(1)]
    )
