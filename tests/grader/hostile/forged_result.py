"""Prints a result and progress lines that claim full marks, then leaves without predictions."""

import json
import os

claim = {"status": "ok", "accuracy": 1.0, "score": 10, "max_score": 10, "message": "perfect"}
print(json.dumps(claim), flush=True)
print("@@progress " + json.dumps({"epoch": 10, "epochs": 10, "accuracy": 1.0}), flush=True)
os.makedirs("output", exist_ok=True)
with open(os.path.join("output", "result.json"), "w") as fh:
    json.dump(claim, fh)
os._exit(0)
