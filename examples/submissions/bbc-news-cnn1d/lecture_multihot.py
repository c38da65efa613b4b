"""The lecture's multi-hot bag-of-words model adapted to BBC News (5 topics)."""

import keras
from keras import layers

VOCAB_SIZE = 5000


def build_model(task):
    vectorize = layers.TextVectorization(max_tokens=VOCAB_SIZE, output_mode="multi_hot")
    vectorize.adapt(task.train_texts)
    return keras.Sequential(
        [keras.Input(shape=(1,), dtype="string"), vectorize, layers.Dense(task.num_classes)]
    )
