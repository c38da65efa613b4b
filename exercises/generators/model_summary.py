"""model_summary: a Keras Sequential model shown as code; per-layer output shapes and params.

``params`` counts every weight of a layer, as the "Param #" column of ``model.summary()`` and
``layer.count_params()`` do (BatchNormalization: 4·C, of which 2·C trainable); ``total`` is
``model.count_params()``.  A model with BatchNormalization also asks for ``trainable``, the
trainable total.  Shapes leave out the batch axis.

The reference math lives in :mod:`exercises.reference.layers`; :mod:`.embedding_params` reuses
this module's validation, sampling and worked steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import params as P
from ..errors import ParamError
from ..follow_through import total_of
from ..model import Part
from ..reference.layers import LayerResult, analyze, check_layer, format_shape, per_axis
from ..registry import Kind, Solved
from ..sampling import pick

#: Misconceptions a model can show, in the order they are listed; each recomputes the model.
MISCONCEPTIONS = (
    "forgot_bias",
    "bias_per_input_channel",
    "forgot_input_channels",
    "dense_all_axes",
    "embedding_bias",
    "batchnorm_only_trainable",
    "batchnorm_all_trainable",
    "pool_stride_one",
    "size_no_padding",
    "channels_added",
    "flatten_has_params",
)
MAX_LAYERS = 20
#: Random instances stay hand-computable: at most this many weights in all.
MAX_TOTAL = 1_000_000


# ---------------------------------------------------------------------------- validation


def check_model(p: dict[str, Any]) -> dict[str, Any]:
    """Validate ``input_shape`` and ``layers``; the model must build (every layer fits)."""
    shape = p["input_shape"]
    if not isinstance(shape, list | tuple) or not 1 <= len(shape) <= 3:
        raise ParamError("input_shape", "a list of 1 to 3 positive integers (no batch axis)", shape)
    shape = [P.integer("input_shape", n, lo=1, hi=4096) for n in shape]
    layers = p["layers"]
    if not isinstance(layers, list | tuple) or not 1 <= len(layers) <= MAX_LAYERS:
        raise ParamError("layers", f"a list of 1 to {MAX_LAYERS} layer dicts", layers)
    layers = [check_layer(f"layers[{i}]", layer) for i, layer in enumerate(layers)]
    analyze(shape, layers)  # raises naming the layer that cannot take its input
    return {"input_shape": shape, "layers": layers}


# ---------------------------------------------------------------------------- sampling


def sample_image(rng: np.random.Generator, difficulty: int, shape=None) -> dict[str, Any]:
    """A small CNN image classifier; depth and variety grow with difficulty."""
    if shape is None:
        side = pick(rng, {1: (8, 10, 12, 16), 2: (16, 20, 24, 28, 32), 3: (24, 28, 32)}[difficulty])
        shape = [side, side, pick(rng, (1, 3))]
    filters = {1: (4, 8), 2: (4, 8, 16), 3: (8, 16, 32)}[difficulty]
    kernels = {1: (3,), 2: (2, 3, 5), 3: (2, 3, 4, 5)}[difficulty]
    n_blocks = {1: 1, 2: 2, 3: int(rng.integers(2, 4))}[difficulty]
    layers: list[dict[str, Any]] = []
    for _ in range(n_blocks):
        conv = {
            "class_name": "Conv2D",
            "filters": pick(rng, filters),
            "kernel_size": pick(rng, kernels),
            "activation": "relu",
        }
        if difficulty == 3 and rng.random() < 0.4:
            conv["padding"] = "same"
        layers.append(conv)
        if difficulty == 3 and rng.random() < 0.3:
            layers.append({"class_name": "BatchNormalization"})
        pool = {"class_name": pick(rng, ("MaxPooling2D", "MaxPooling2D", "AveragePooling2D"))}
        pool["pool_size"] = 2 if difficulty < 3 else pick(rng, (2, 2, 3))
        if difficulty == 3 and rng.random() < 0.3:
            pool["strides"] = 1
        layers.append(pool)
    if difficulty == 3 and rng.random() < 0.3:
        layers.append({"class_name": "Dense", "units": pick(rng, (4, 8)), "activation": "relu"})
    if difficulty == 1 or rng.random() < 0.6:
        layers.append({"class_name": "Flatten"})
    else:
        layers.append({"class_name": pick(rng, ("GlobalAveragePooling2D", "GlobalMaxPooling2D"))})
    if difficulty >= 2:
        layers.append(
            {"class_name": "Dense", "units": pick(rng, (16, 32, 64)), "activation": "relu"}
        )
    if difficulty == 3 and rng.random() < 0.5:
        layers.append({"class_name": "Dropout", "rate": 0.5})
    layers.append({"class_name": "Dense", "units": pick(rng, (2, 5, 10)), "activation": "softmax"})
    return {"input_shape": shape, "layers": layers}


def sample_text(rng: np.random.Generator, difficulty: int, shape=None) -> dict[str, Any]:
    """A small text classifier on integer token ids: Embedding, then Conv1D/pooling/Dense."""
    if shape is None:
        shape = [pick(rng, {1: (10, 20), 2: (20, 50, 100), 3: (50, 100, 200)}[difficulty])]
    vocab = pick(
        rng, {1: (100, 500, 1000), 2: (1000, 5000), 3: (1000, 5000, 10000, 20000)}[difficulty]
    )
    dim = pick(rng, {1: (4, 8, 16), 2: (8, 16, 32), 3: (16, 32, 64)}[difficulty])
    layers: list[dict[str, Any]] = [
        {"class_name": "Embedding", "input_dim": vocab, "output_dim": dim}
    ]
    n_conv = {1: 0, 2: 1, 3: int(rng.integers(1, 3))}[difficulty]
    for i in range(n_conv):
        layers.append(
            {
                "class_name": "Conv1D",
                "filters": pick(rng, (8, 16, 32)),
                "kernel_size": pick(rng, (3, 5, 7)),
                "activation": "relu",
            }
        )
        if i < n_conv - 1:
            layers.append({"class_name": "MaxPooling1D", "pool_size": pick(rng, (2, 3))})
    if difficulty == 3 and rng.random() < 0.3:
        layers.append({"class_name": "Dense", "units": pick(rng, (4, 8)), "activation": "relu"})
    if difficulty == 3 and rng.random() < 0.3:
        layers.append({"class_name": "BatchNormalization"})
    head = (
        ("GlobalAveragePooling1D", "Flatten")
        if difficulty == 1
        else ("GlobalMaxPooling1D", "GlobalAveragePooling1D", "Flatten")
    )
    layers.append({"class_name": pick(rng, head)})
    if difficulty == 3 and rng.random() < 0.5:
        layers.append({"class_name": "Dropout", "rate": 0.5})
    if difficulty >= 2 and rng.random() < 0.5:
        layers.append(
            {"class_name": "Dense", "units": pick(rng, (8, 16, 32)), "activation": "relu"}
        )
    if rng.random() < 0.5:
        layers.append({"class_name": "Dense", "units": 1, "activation": "sigmoid"})
    else:
        layers.append(
            {"class_name": "Dense", "units": pick(rng, (3, 4, 5)), "activation": "softmax"}
        )
    return {"input_shape": shape, "layers": layers}


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    """An image model or (less often) a text model; given params pick the family.

    A given ``input_shape`` of rank 1 means token ids (text), rank 2 a sequence with features
    (a text model without its Embedding), rank 3 an image; given layers starting with an
    Embedding mean text.
    """
    shape = given.get("input_shape")
    rank = len(shape) if isinstance(shape, list | tuple) else None
    layers = given.get("layers")
    first = layers[0] if isinstance(layers, list) and layers else None
    text = isinstance(first, dict) and first.get("class_name") == "Embedding"
    if rank == 2:
        drawn = sample_text(rng, difficulty)
        return {"input_shape": shape, "layers": drawn["layers"][1:]}
    if rank == 1 or text or (rank is None and rng.random() < 0.4):
        return sample_text(rng, difficulty, shape if rank == 1 else None)
    return sample_image(rng, difficulty, shape if rank == 3 else None)


# ---------------------------------------------------------------------------- solving


def explain(layer: dict[str, Any], shape_in: tuple[int, ...], r: LayerResult) -> str:
    """One worked step: the layer, its output shape and how its weights are counted."""
    cls = layer["class_name"]
    head = f"{cls}: {format_shape(shape_in)} -> {format_shape(r.shape)}"
    bias = layer.get("use_bias", True)
    if cls.startswith("Conv"):
        ks = per_axis(layer["kernel_size"], len(shape_in) - 1)
        k = "·".join(str(v) for v in ks)
        c_in, c_out = shape_in[-1], layer["filters"]
        count = f"{k}·{c_in}·{c_out}" + (f" + {c_out}" if bias else " (no bias)")
        return f"{head}; params {count} = {r.params}"
    if cls == "Dense":
        units = layer["units"]
        count = f"{shape_in[-1]}·{units}" + (f" + {units}" if bias else " (no bias)")
        where = " (Dense acts on the last axis)" if len(shape_in) > 1 else ""
        return f"{head}; params {count} = {r.params}{where}"
    if cls == "Embedding":
        return f"{head}; params {layer['input_dim']}·{layer['output_dim']} = {r.params} (no bias)"
    if cls == "BatchNormalization":
        c = shape_in[-1]
        return (
            f"{head}; params 4·{c} = {r.params} (gamma, beta, moving mean, moving variance), "
            f"of which 2·{c} = {r.trainable} trainable"
        )
    return f"{head}; no parameters"


def solve_model(p: dict[str, Any], part_ids: tuple[str, ...]) -> Solved:
    """Parts ``part_ids`` (from shapes, params, total) plus ``trainable`` when BN is present."""
    results = analyze(p["input_shape"], p["layers"])
    answers = _answers(results, part_ids, p["layers"])
    labels = {
        "shapes": ("Output shape of each layer (without the batch axis)", "shapes"),
        "params": ("Parameters of each layer", "integers"),
        "total": ("Total parameters of the model", "integer"),
        "trainable": ("Trainable parameters of the model", "integer"),
    }
    parts = [Part(pid, labels[pid][0], labels[pid][1], v) for pid, v in answers.items()]
    steps = []
    shape_in = tuple(p["input_shape"])
    for i, (layer, r) in enumerate(zip(p["layers"], results)):
        steps.append({"step": "text", "text": f"layers[{i}] {explain(layer, shape_in, r)}"})
        shape_in = r.shape
    total = " + ".join(str(r.params) for r in results)
    steps.append({"step": "text", "text": f"Total: {total} = {answers['total']}"})
    if "trainable" in answers:
        steps.append(
            {
                "step": "text",
                "text": f"Trainable: {answers['trainable']} (BatchNormalization "
                "moving mean and variance are not trainable)",
            }
        )
    wrong: dict[str, dict[str, Any]] = {}
    shapes_in = [tuple(p["input_shape"])] + [r.shape for r in results[:-1]]
    for mid in MISCONCEPTIONS:
        if not any(_applies(mid, layer, s) for layer, s in zip(p["layers"], shapes_in)):
            continue
        try:
            alt = _answers(
                analyze(p["input_shape"], p["layers"], wrong={mid}), part_ids, p["layers"]
            )
        except ParamError:  # the wrong rule makes the model impossible: no answer to offer
            continue
        if alt != answers:
            wrong[mid] = alt
    return Solved(parts, steps, wrong)


def _applies(mid: str, layer: dict[str, Any], shape_in: tuple[int, ...]) -> bool:
    """Whether misconception ``mid`` changes anything about this layer (a cheap pre-check)."""
    cls = layer["class_name"]
    if mid == "forgot_bias":
        return cls in ("Conv1D", "Conv2D", "Dense") and layer.get("use_bias", True)
    if mid == "bias_per_input_channel":
        return cls.startswith("Conv") and layer.get("use_bias", True)
    if mid in ("forgot_input_channels", "channels_added"):
        return cls.startswith("Conv")
    if mid == "flatten_has_params":
        return cls.startswith(("MaxPooling", "AveragePooling"))
    if mid == "dense_all_axes":
        return cls == "Dense" and len(shape_in) > 1
    if mid == "embedding_bias":
        return cls == "Embedding"
    if mid.startswith("batchnorm"):
        return cls == "BatchNormalization"
    if mid == "pool_stride_one":
        return "Pooling" in cls and not cls.startswith("Global") and layer.get("strides") is None
    return layer.get("padding") == "same"  # size_no_padding


def _answers(results: list[LayerResult], part_ids, layers) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "shapes" in part_ids:
        out["shapes"] = [list(r.shape) for r in results]
    if "params" in part_ids:
        out["params"] = [r.params for r in results]
    out["total"] = sum(r.params for r in results)
    if any(layer["class_name"] == "BatchNormalization" for layer in layers):
        out["trainable"] = sum(r.trainable for r in results)
    return out


def validate(p: dict[str, Any]) -> dict[str, Any]:
    return check_model(p)


def solve(p: dict[str, Any]) -> Solved:
    return solve_model(p, ("shapes", "params", "total"))


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    total = next(part.answer for part in solved.parts if part.id == "total")
    if total > MAX_TOTAL:
        return "too many parameters to count by hand"
    return None


KIND = Kind(
    name="model_summary",
    version=1,
    summary="Output shape and parameter count of every layer of a Keras Sequential model",
    params=("input_shape", "layers"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    follow_through={"total": total_of("params")},
)
