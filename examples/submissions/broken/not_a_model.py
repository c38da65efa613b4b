"""Broken on purpose: returns the list of layers instead of a model (status bad-model)."""

from keras import layers


def build_model(task):
    return [layers.Flatten(), layers.Dense(task.num_classes)]
