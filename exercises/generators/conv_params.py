"""conv_params: trainable parameters of a stack of Conv2D (or Conv1D) layers.

``layers`` is a list of ``{"class_name": "Conv2D" | "Conv1D", "filters", "kernel_size",
"use_bias" (default true)}``; the first layer also names its ``input_channels``.  The layers form
one stack: every later layer's input channels are the previous layer's ``filters`` (a later layer
may repeat ``input_channels`` only with that value).  Parts: ``params`` (one count per layer) and
``total``.  Weights per layer: ``kh·kw·C_in·filters + filters`` (Conv1D: ``k·C_in·filters``;
no ``+ filters`` without bias).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import params as P
from ..errors import ParamError
from ..follow_through import total_of
from ..model import Part
from ..reference.layers import check_layer, count_params, per_axis, spatial_rank
from ..registry import Kind, Solved
from ..sampling import pick

CLASSES = ("Conv2D", "Conv1D")
MAX_LAYERS = 10
MISCONCEPTIONS = (
    "forgot_bias",
    "bias_per_input_channel",
    "forgot_input_channels",
    "channels_added",
)

# difficulty -> (layer counts, kernel sizes, channel counts, chance of use_bias=False, of Conv1D)
LEVELS = {
    1: ((1,), (1, 2, 3, 5), (1, 3, 4, 8, 16), 0.0, 0.0),
    2: ((2, 3), (2, 3, 4, 5), (3, 4, 8, 16, 32), 0.0, 0.2),
    3: ((3, 4), (1, 2, 3, 4, 5, 7), (3, 4, 6, 8, 12, 16, 32, 64), 0.3, 0.25),
}


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    counts, kernels, channels, p_nobias, p_1d = LEVELS[difficulty]
    cls = "Conv1D" if rng.random() < p_1d else "Conv2D"
    layers = []
    for i in range(pick(rng, counts)):
        k = pick(rng, kernels)
        if cls == "Conv2D" and difficulty == 3 and rng.random() < 0.3:
            kernel: int | list[int] = [k, pick(rng, kernels)]
        else:
            kernel = k
        layer: dict[str, Any] = {"class_name": cls, "filters": pick(rng, channels)}
        layer["kernel_size"] = kernel
        layer["use_bias"] = bool(rng.random() >= p_nobias)
        if i == 0:
            layer["input_channels"] = pick(rng, channels[:3])
        layers.append(layer)
    return {"layers": layers}


def validate(p: dict[str, Any]) -> dict[str, Any]:
    layers = p["layers"]
    if not isinstance(layers, list | tuple) or not 1 <= len(layers) <= MAX_LAYERS:
        raise ParamError("layers", f"a list of 1 to {MAX_LAYERS} Conv2D/Conv1D layer dicts", layers)
    out = []
    channels = None
    for i, layer in enumerate(layers):
        name = f"layers[{i}]"
        if not isinstance(layer, dict):
            raise ParamError(name, 'a dict with "class_name", "filters", "kernel_size"', layer)
        cls = P.choice(f"{name}.class_name", layer.get("class_name"), CLASSES)
        if i and cls != out[0]["class_name"]:
            raise ParamError(
                f"{name}.class_name", f"{out[0]['class_name']}, like layers[0] (one stack)", cls
            )
        if "input_channels" in layer:
            c = P.integer(f"{name}.input_channels", layer["input_channels"], lo=1, hi=4096)
            if channels is not None and c != channels:
                raise ParamError(
                    f"{name}.input_channels", f"{channels} (the filters of layers[{i - 1}])", c
                )
            channels = c
        elif channels is None:
            raise ParamError(f"{name}.input_channels", "the number of input channels (an integer)")
        keras_args = {
            k: v
            for k, v in layer.items()
            if k in ("class_name", "filters", "kernel_size", "use_bias")
        }
        extra = sorted(set(layer) - set(keras_args) - {"input_channels"})
        if extra:
            raise ParamError(
                f"{name}.{extra[0]}",
                "one of class_name, filters, kernel_size, use_bias, input_channels",
                layer[extra[0]],
            )
        checked = check_layer(name, keras_args)
        checked["use_bias"] = checked.get("use_bias", True)
        if i == 0:
            checked["input_channels"] = channels
        out.append(checked)
        channels = checked["filters"]
    return {"layers": out}


def _counts(layers: list[dict[str, Any]], wrong=frozenset()) -> list[int]:
    counts = []
    channels = layers[0]["input_channels"]
    for layer in layers:
        rank = spatial_rank(layer["class_name"])
        shape = (1,) * rank + (channels,)
        counts.append(count_params(layer["class_name"], layer, shape, wrong=wrong)[0])
        channels = layer["filters"]
    return counts


def solve(p: dict[str, Any]) -> Solved:
    layers = p["layers"]
    counts = _counts(layers)
    parts = [
        Part("params", "Trainable parameters of each layer", "integers", counts),
        Part("total", "Total trainable parameters", "integer", sum(counts)),
    ]
    steps = []
    channels = layers[0]["input_channels"]
    for i, (layer, n) in enumerate(zip(layers, counts)):
        ks = per_axis(layer["kernel_size"], spatial_rank(layer["class_name"]))
        f = layer["filters"]
        kernel = "·".join(str(k) for k in ks)
        bias = f" + {f}" if layer["use_bias"] else " (no bias)"
        steps.append(
            {
                "step": "text",
                "text": (
                    f"layers[{i}] {layer['class_name']}: {channels} -> {f} channels, "
                    f"{kernel}·{channels}·{f}{bias} = {n}"
                ),
            }
        )
        channels = f
    if len(counts) > 1:
        steps.append(
            {"step": "text", "text": "Total: " + " + ".join(map(str, counts)) + f" = {sum(counts)}"}
        )
    wrong = {}
    for mid in MISCONCEPTIONS:
        alt = _counts(layers, frozenset({mid}))
        if alt != counts:
            wrong[mid] = {"params": alt, "total": sum(alt)}
    return Solved(parts, steps, wrong)


KIND = Kind(
    name="conv_params",
    version=1,
    summary="Trainable parameters of a stack of Conv2D/Conv1D layers (kernel, channels, bias)",
    params=("layers",),
    sample=sample,
    validate=validate,
    solve=solve,
    follow_through={"total": total_of("params")},
)
