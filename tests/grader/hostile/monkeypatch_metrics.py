"""A real (tiny) model, plus patches to numpy and Keras that claim perfect accuracy.

Inside the worker it replaces numpy.mean (so any accuracy computed there reads 1.0), makes
Keras's History report accuracy 1.0, and makes predict return class 0 for everything. The
parent computes accuracy from the predictions against labels it never shares, so none of this
can raise the score.
"""

import keras
import numpy as np
from keras import layers

_real_mean = np.mean
np.mean = lambda *args, **kwargs: 1.0


def _fake_predict(self, x, *args, **kwargs):
    n = len(x)
    out = np.zeros((n, 10), dtype="float32")
    out[:, 0] = 1.0
    return out


keras.Model.predict = _fake_predict
_real_on_epoch_end = keras.callbacks.History.on_epoch_end


def _inflated(self, epoch, logs=None):
    logs = dict(logs or {}, accuracy=1.0, val_accuracy=1.0)
    return _real_on_epoch_end(self, epoch, logs)


keras.callbacks.History.on_epoch_end = _inflated


def build_model(task):
    return keras.Sequential(
        [keras.Input(shape=task.input_shape), layers.Flatten(), layers.Dense(task.num_classes)]
    )
