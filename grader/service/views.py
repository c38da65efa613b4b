"""Plain views of stored data shared by the server and its CLI client (no web imports)."""

from __future__ import annotations

import dataclasses
from typing import Any

from convgrade.grader.result import Result


def progress_line(info: dict[str, Any]) -> str:
    """One progress event as the text ``grade submit`` prints for it."""
    if "stage" in info:
        return f"training {info.get('params', 0):,} parameters for {info.get('epochs')} epochs"
    parts = [f"epoch {info.get('epoch')}/{info.get('epochs')}"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        v = info.get(key)
        if isinstance(v, (int, float)):
            parts.append(f"{key} {v:.4f}")
    return "  ".join(parts)


def to_result(d: dict[str, Any]) -> Result:
    """A Result from stored JSON (unknown keys dropped, missing ones defaulted)."""
    names = {f.name for f in dataclasses.fields(Result)}
    base = {"status": "error", "message": "", "assignment": "", "submission": "", "max_score": 0}
    return Result(**{**base, **{k: v for k, v in d.items() if k in names}})
