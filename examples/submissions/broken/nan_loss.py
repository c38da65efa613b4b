"""Broken on purpose: a learning rate so large that the loss overflows (status nan-loss)."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [
            keras.Input(shape=task.input_shape),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(task.num_classes),
        ]
    )


def compile_model(model):
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1e12),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
