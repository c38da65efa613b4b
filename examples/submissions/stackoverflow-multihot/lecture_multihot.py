"""The lecture's multi-hot model: TextVectorization(multi_hot) adapted on the training texts,
then one Dense layer with a logit per language."""

import keras
from keras import layers

VOCAB_SIZE = 10000


def build_model(task):
    vectorize = layers.TextVectorization(max_tokens=VOCAB_SIZE, output_mode="multi_hot")
    vectorize.adapt(task.train_texts)
    return keras.Sequential([vectorize, layers.Dense(task.num_classes)])
