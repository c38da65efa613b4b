"""Broken on purpose: far more parameters than the assignment allows (status over-budget)."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [
            keras.Input(shape=task.input_shape),
            layers.Flatten(),
            layers.Dense(4096, activation="relu"),
            layers.Dense(task.num_classes),
        ]
    )
