"""Broken on purpose: a missing closing parenthesis (status syntax-error)."""

import keras


def build_model(task):
    return keras.Sequential([keras.Input(shape=task.input_shape), keras.layers.Flatten()
