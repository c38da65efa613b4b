"""Broken on purpose: a misspelt optimizer name in compile_model (status compile-error)."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [keras.Input(shape=task.input_shape), layers.Flatten(), layers.Dense(task.num_classes)]
    )


def compile_model(model):
    model.compile(
        optimizer="adamm",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
