"""The lecture's Stack Overflow Embedding + Conv1D model adapted to BBC News: a smaller
vocabulary and longer sequences (articles are longer than questions), 5 classes."""

import keras
from keras import layers

VOCAB_SIZE = 5000
MAX_SEQUENCE_LENGTH = 300


def build_model(task):
    vectorize = layers.TextVectorization(
        max_tokens=VOCAB_SIZE, output_mode="int", output_sequence_length=MAX_SEQUENCE_LENGTH
    )
    vectorize.adapt(task.train_texts)
    return keras.Sequential(
        [
            vectorize,
            layers.Embedding(VOCAB_SIZE + 1, 32),
            layers.Conv1D(32, 5, padding="valid", activation="relu", strides=2),
            layers.GlobalMaxPooling1D(),
            layers.Dense(task.num_classes),
        ]
    )
