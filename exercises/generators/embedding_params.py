"""embedding_params: parameter counts of a text model (Embedding, then Conv1D/pooling/Dense).

The same machinery as :mod:`.model_summary` (validation, sampling, worked steps, misconceptions),
restricted to models whose first layer is an Embedding on integer token ids, and asking only for
the parameter counts: ``params`` (one per layer) and ``total`` (plus ``trainable`` when a
BatchNormalization layer is present).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParamError
from ..registry import Kind, Solved
from .model_summary import check_model, degenerate, sample_text, solve_model


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    shape = given.get("input_shape")
    return sample_text(
        rng, difficulty, shape if isinstance(shape, list) and len(shape) == 1 else None
    )


def validate(p: dict[str, Any]) -> dict[str, Any]:
    if isinstance(p["input_shape"], list | tuple) and len(p["input_shape"]) != 1:
        raise ParamError(
            "input_shape", "a list of one integer, the sequence length [n]", p["input_shape"]
        )
    layers = p["layers"]
    first = layers[0] if isinstance(layers, list) and layers else None
    if isinstance(first, dict) and first.get("class_name") != "Embedding":
        raise ParamError(
            "layers[0].class_name",
            "Embedding (a text model starts with one)",
            first.get("class_name"),
        )
    out = check_model(p)
    return out


def solve(p: dict[str, Any]) -> Solved:
    return solve_model(p, ("params", "total"))


KIND = Kind(
    name="embedding_params",
    version=1,
    summary="Parameter counts of a text model: Embedding, Conv1D, pooling and Dense layers",
    params=("input_shape", "layers"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
)
