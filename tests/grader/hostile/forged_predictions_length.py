"""Writes its own predictions file (far too short) and meta.json, then exits with status 0."""

import json
import os

import numpy as np

# A meta.json that passes every check, so that the predictions are what gets judged.
META = {
    "protocol": 1,
    "params": 10,
    "trainable_params": 10,
    "epochs": 1,
    "epochs_run": 1,
    "batch_size": 32,
    "train_seconds": 1.0,
    "history": {"accuracy": [1.0]},
    "summary": [],
}
os.makedirs("output", exist_ok=True)
np.save(os.path.join("output", "predictions.npy"), np.zeros(3, dtype=np.int64))
with open(os.path.join("output", "meta.json"), "w") as fh:
    json.dump(META, fh)
os._exit(0)
