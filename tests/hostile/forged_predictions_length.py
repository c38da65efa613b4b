"""Writes its own predictions file (far too short) and meta.json, then exits with status 0."""

import json
import os

import numpy as np

os.makedirs("output", exist_ok=True)
np.save(os.path.join("output", "predictions.npy"), np.zeros(3, dtype=np.int64))
with open(os.path.join("output", "meta.json"), "w") as fh:
    json.dump({"protocol": 1, "params": 10, "history": {"accuracy": [1.0]}}, fh)
os._exit(0)
