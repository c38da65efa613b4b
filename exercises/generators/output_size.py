"""output_size: the output length (1-D) or height × width (2-D) of one conv or pooling layer.

Params: ``layer`` (Conv1D, Conv2D, MaxPooling1D/2D, AveragePooling1D/2D), ``input_size`` (an
integer n for 1-D layers, ``[h, w]`` for 2-D ones; spatial axes only), ``kernel_size`` (conv
layers) or ``pool_size`` (pooling, Keras default 2), ``strides`` (Keras default: 1 for conv,
``pool_size`` for pooling; ``null`` means the default) and ``padding`` ('valid', 'same' or an
explicit symmetric zero padding p).  Part ``size``: an integer for 1-D layers, a shape
``[h_out, w_out]`` for 2-D layers (channels left out: they do not depend on the window).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import params as P
from ..errors import ParamError
from ..model import Part
from ..reference.conv import output_length, pad_amounts
from ..reference.layers import per_axis, spatial_rank, window_arg
from ..registry import Kind, Solved
from ..sampling import pick

LAYERS = (
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
)

# difficulty -> (layers, input sizes, windows, strides, paddings, chance of a rectangular input)
LEVELS = {
    1: (("Conv1D", "Conv2D", "MaxPooling2D"), (5, 12), (2, 3, 5), (None,), ("valid",), 0.0),
    2: (LAYERS, (6, 16), (2, 3, 4, 5), (None, 1, 2), ("valid", "same", 1, 2), 0.0),
    3: (LAYERS, (7, 32), (2, 3, 4, 5, 7), (None, 2, 3), ("valid", "same", 1, 2, 3), 0.4),
}


def _is_conv(layer: str) -> bool:
    return layer.startswith("Conv")


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    layers, (lo, hi), windows, strides, paddings, p_rect = LEVELS[difficulty]
    layer = given.get("layer")
    if layer not in LAYERS:  # a given kernel_size or pool_size narrows the choice
        if given.get("kernel_size") is not None:
            layers = tuple(name for name in LAYERS if _is_conv(name))
        elif given.get("pool_size") is not None:
            layers = tuple(name for name in LAYERS if not _is_conv(name))
        layer = pick(rng, layers)
    rank = spatial_rank(layer)
    n = int(rng.integers(lo, hi + 1))
    k = pick(rng, windows)
    size: int | list[int] = n
    window: int | list[int] = k
    if rank == 2:
        rect = rng.random() < p_rect
        size = [n, int(rng.integers(lo, hi + 1)) if rect else n]
        window = [k, pick(rng, windows)] if rect else k
    s = pick(rng, strides)
    if _is_conv(layer) and s is None and difficulty > 1:
        s = pick(rng, (1, 2))
    return _params(layer, size, window, s, pick(rng, paddings))


def _params(layer: str, size, window, strides, padding) -> dict[str, Any]:
    """The parameter dict; the window goes to kernel_size (conv) or pool_size (pooling)."""
    conv = _is_conv(layer)
    return {
        "layer": layer,
        "input_size": size,
        "kernel_size": window if conv else None,
        "pool_size": None if conv else window,
        "strides": strides,
        "padding": padding,
    }


def validate(p: dict[str, Any]) -> dict[str, Any]:
    layer = P.choice("layer", p["layer"], LAYERS)
    rank = spatial_rank(layer)
    size = p["input_size"]
    if rank == 1:
        if isinstance(size, list | tuple) and len(size) == 1:
            size = size[0]
        size = P.integer("input_size", size, lo=1, hi=4096)
        sizes: tuple[int, ...] = (size,)
    else:
        if not isinstance(size, list | tuple) or len(size) != 2:
            raise ParamError("input_size", f"[height, width] for {layer}", size)
        sizes = tuple(P.integer("input_size", n, lo=1, hi=4096) for n in size)
        size = list(sizes)
    own, other = ("kernel_size", "pool_size") if _is_conv(layer) else ("pool_size", "kernel_size")
    if p[other] is not None:
        raise ParamError(other, f"null: {layer} takes {own}", p[other])
    window = p[own]
    if window is None:
        if _is_conv(layer):
            raise ParamError("kernel_size", f"an integer or a list of {rank} ({layer} needs one)")
        window = 2
    window = window_arg(own, window, rank)
    strides = None if p["strides"] is None else window_arg("strides", p["strides"], rank)
    pad = P.padding("padding", p["padding"])
    for n, k in zip(sizes, per_axis(window, rank)):
        padded = n + sum(pad_amounts(n, k, 1, pad)) if pad != "same" else n
        if pad != "same" and k > padded:
            raise ParamError(own, f"a window no larger than the padded input ({padded})", window)
    return _params(layer, size, window, strides, pad)


def _axes(p: dict[str, Any]):
    """(n, k, s) per spatial axis, with Keras's default strides resolved."""
    rank = spatial_rank(p["layer"])
    sizes = per_axis(p["input_size"], rank)
    window = per_axis(p["kernel_size"] or p["pool_size"], rank)
    default = 1 if _is_conv(p["layer"]) else p["pool_size"]
    strides = per_axis(p["strides"] if p["strides"] is not None else default, rank)
    return list(zip(sizes, window, strides))


def _size(values: list[int], rank: int) -> int | list[int]:
    return values[0] if rank == 1 else values


def solve(p: dict[str, Any]) -> Solved:
    rank = spatial_rank(p["layer"])
    pad = p["padding"]
    axes = _axes(p)
    out = [output_length(n, k, s, pad) for n, k, s in axes]
    size = _size(out, rank)
    kind = "integer" if rank == 1 else "shape"
    label = "Output length" if rank == 1 else "Output height and width"
    parts = [Part("size", label, kind, size)]

    steps = []
    names = ("length",) if rank == 1 else ("height", "width")
    if p["strides"] is None and not _is_conv(p["layer"]):
        steps.append({"step": "text", "text": "Pooling without strides: strides = pool_size."})
    for axis, (n, k, s), o in zip(names, axes, out):
        if pad == "same":
            before, after = pad_amounts(n, k, s, pad)
            text = (
                f"{axis}: padding='same' gives ceil(n / s) = ceil({n} / {s}) = {o} "
                f"(Keras pads {before} before and {after} after)"
            )
        else:
            pv = 0 if pad == "valid" else pad
            text = (
                f"{axis}: floor((n + 2p - k) / s) + 1 = floor(({n} + {2 * pv} - {k}) / {s}) + 1 "
                f"= {o}"
            )
        steps.append({"step": "text", "text": text})

    wrong_rules = {}
    if pad == "same":
        wrong_rules["size_floor_for_same"] = lambda n, k, s: n // s
        if any(k > 1 for _, k, _ in axes):
            wrong_rules["size_no_padding"] = lambda n, k, s: (n - k) // s + 1
    else:
        pv = 0 if pad == "valid" else pad
        wrong_rules["size_off_by_one"] = lambda n, k, s: (n + 2 * pv - k) // s
        wrong_rules["size_ceil_for_valid"] = lambda n, k, s: math.ceil((n + 2 * pv - k) / s) + 1
        if pv:
            wrong_rules["size_no_padding"] = lambda n, k, s: (n - k) // s + 1
    if p["strides"] is None and not _is_conv(p["layer"]):
        wrong_rules["pool_stride_one"] = lambda n, k, s: output_length(n, k, 1, pad)
    elif any(s > 1 for _, _, s in axes):
        wrong_rules["ignored_stride"] = lambda n, k, s: output_length(n, k, 1, pad)
    wrong = {}
    for mid, rule in wrong_rules.items():
        alt = _size([rule(n, k, s) for n, k, s in axes], rank)
        if alt != size:
            wrong[mid] = {"size": alt}
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    size = solved.parts[0].answer
    if min(size if isinstance(size, list) else [size]) < 2:
        return "an output smaller than 2"
    return None


KIND = Kind(
    name="output_size",
    version=1,
    summary="Output length or height × width of a conv or pooling layer (padding, strides)",
    params=("layer", "input_size", "kernel_size", "pool_size", "strides", "padding"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={"kernel_size": None, "pool_size": None, "strides": None, "padding": "valid"},
)
