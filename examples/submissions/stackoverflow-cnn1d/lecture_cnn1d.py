"""The lecture's integer-sequence model: TextVectorization(int) -> Embedding -> Conv1D ->
GlobalMaxPooling1D -> Dense."""

import keras
from keras import layers

VOCAB_SIZE = 10000
MAX_SEQUENCE_LENGTH = 250


def build_model(task):
    vectorize = layers.TextVectorization(
        max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=MAX_SEQUENCE_LENGTH
    )
    vectorize.adapt(task.train_texts)
    return keras.Sequential(
        [
            vectorize,
            layers.Embedding(VOCAB_SIZE + 1, 64, mask_zero=True),
            layers.Conv1D(64, 5, padding="valid", activation="relu", strides=2),
            layers.GlobalMaxPooling1D(),
            layers.Dense(task.num_classes),
        ]
    )
