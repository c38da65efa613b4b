"""Broken on purpose: the CIFAR-10 input shape hard-coded for the digits task (status
bad-shape)."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [keras.Input(shape=(32, 32, 3)), layers.Flatten(), layers.Dense(task.num_classes)]
    )
