"""Writes a pickled object array as predictions (loading it would run code), then exits 0."""

import json
import os

import numpy as np

os.makedirs("output", exist_ok=True)
np.save(os.path.join("output", "predictions.npy"), np.array([{"x": 1}] * 450, dtype=object),
        allow_pickle=True)  # fmt: skip
with open(os.path.join("output", "meta.json"), "w") as fh:
    json.dump({"protocol": 1, "params": 10, "history": {"accuracy": [1.0]}}, fh)
os._exit(0)
