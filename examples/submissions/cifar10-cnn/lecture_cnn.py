"""The lecture's CIFAR-10 model, exactly."""

import keras
from keras import layers


def build_model(task):
    return keras.Sequential(
        [
            keras.Input(shape=task.input_shape),  # (32, 32, 3)
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(16, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(16, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(10),
        ]
    )
