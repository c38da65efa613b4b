"""conv2d_multichannel: an H x W x C_in input through a Conv2D with one or more filters.

The kernel is ``kh x kw x C_in x filters``, as Keras stores it; ``bias`` is a list with one value
per filter, or ``None`` for a layer without bias (``use_bias=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import params as P
from ..errors import ParamError
from ..geometry import (
    check_fits,
    constant_grid,
    draw_out,
    fitting_paddings,
    input_length,
    pair_value,
)
from ..model import Part
from ..registry import Kind, Solved
from ..sampling import pick
from .conv2d import as_pair, conv_solution, sample_kernel


@dataclass(frozen=True)
class Level:
    out: tuple[int, int]
    kernel: tuple[int, ...]
    channels: tuple[int, ...]
    filters: tuple[int, ...]
    bias: bool
    values: tuple[int, int]
    strides: tuple[int, ...]
    paddings: tuple[Any, ...]


LEVELS = {
    1: Level((2, 2), (2,), (2,), (1,), False, (-1, 2), (1,), ("valid",)),
    2: Level((2, 2), (2,), (2,), (1, 2), True, (-2, 3), (1,), ("valid", "same")),
    3: Level((2, 2), (2,), (2, 3), (2,), True, (-2, 3), (1, 2), ("valid", "same", 1)),
}
BIAS_VALUES = np.array([-2, -1, 1, 2])


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[difficulty]
    if "kernel" in given:
        kh, kw, c, f = P.array("kernel", given["kernel"], 4).shape
    else:
        kh = kw = pick(rng, level.kernel)
        bias = given.get("bias")
        f = len(bias) if isinstance(bias, list) and bias else pick(rng, level.filters)
        if "input" in given:
            c = P.array("input", given["input"], 3).shape[2]
        else:
            c = pick(rng, level.channels)
    if "strides" in given:
        strides = P.size_pair("strides", given["strides"], lo=1)
    else:
        strides = as_pair(pick(rng, level.strides))
    if "padding" in given:
        padding = P.padding("padding", given["padding"])
    else:
        padding = pick(rng, fitting_paddings(level.paddings, (kh, kw), strides, level.out[1]))
    oh = draw_out(rng, level.out, kh, max(strides), padding, max_n=5)
    h = input_length(rng, oh, kh, strides[0], padding, least=2)
    w = h if strides[0] == strides[1] else input_length(rng, oh, kw, strides[1], padding, least=2)
    lo, hi = level.values
    return {
        "input": rng.integers(lo, hi + 1, size=(h, w, c)).tolist(),
        "kernel": sample_kernel(rng, (kh, kw, c, f), lo, hi),
        "bias": BIAS_VALUES[rng.integers(len(BIAS_VALUES), size=f)].tolist()
        if level.bias
        else None,
        "strides": pair_value(strides),
        "padding": padding,
    }


def validate(p: dict[str, Any]) -> dict[str, Any]:
    x = P.array("input", p["input"], 3)
    w = P.array("kernel", p["kernel"], 4)
    if w.shape[2] != x.shape[2]:
        raise ParamError(
            "kernel",
            f"kh x kw x {x.shape[2]} x filters (one kernel slice per input channel)",
            "shape " + " x ".join(map(str, w.shape)),
        )
    bias = p["bias"]
    if bias is not None:
        b = P.array("bias", bias, 1)
        if len(b) != w.shape[3]:
            raise ParamError(
                "bias", f"null or a list of {w.shape[3]} numbers, one per filter", bias
            )
        bias = P.tolist(b)
    strides = P.size_pair("strides", p["strides"], lo=1)
    padding = P.padding("padding", p["padding"])
    check_fits("kernel", x.shape, w.shape[:2], strides, padding)
    return {
        "input": P.tolist(x),
        "kernel": P.tolist(w),
        "bias": bias,
        "strides": pair_value(strides),
        "padding": padding,
    }


def channels_multiplied(
    x: np.ndarray, k: np.ndarray, strides: tuple[int, int], padding: str | int, bias: Any
) -> np.ndarray:
    """The output when each channel's window sum is multiplied with the others' instead of
    added (then the bias added): the ``channels_multiplied`` misconception."""
    per_channel = [
        conv_solution(x[..., c : c + 1], k[:, :, c : c + 1, :], strides, padding)[0]
        for c in range(x.shape[2])
    ]
    out = np.prod(per_channel, axis=0)
    return out + np.asarray(bias) if bias is not None else out


def solve(p: dict[str, Any]) -> Solved:
    x, k, bias = np.asarray(p["input"]), np.asarray(p["kernel"]), p["bias"]
    strides, padding = as_pair(p["strides"]), p["padding"]
    y, steps, wrong = conv_solution(x, k, strides, padding, bias, single_channel=True)
    parts = [
        Part("shape", "Output shape (rows, columns, filters)", "shape", list(y.shape)),
        Part("output", "Output feature maps", "tensor", P.tolist(y)),
    ]
    if bias is not None and any(bias):
        wrong["forgot_bias"] = y - np.asarray(bias)
    multiplied = channels_multiplied(x, k, strides, padding, bias)
    if x.shape[2] > 1 and not np.array_equal(multiplied, y):
        wrong["channels_multiplied"] = multiplied
    return Solved(
        parts,
        steps,
        {m: {"shape": list(v.shape), "output": P.tolist(v)} for m, v in wrong.items()},
    )


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    y = solved.parts[1].answer
    if len(y) < 2 or len(y[0]) < 2:
        return "fewer than two output rows or columns"
    cells = [cell for row in y for cell in row]
    if not all(any(c[f] for c in cells) for f in range(len(cells[0]))):
        return "an all-zero feature map"
    weights = [w for a in p["kernel"] for b in a for w in b]
    if not all(any(w[f] for w in weights) for f in range(len(weights[0]))):
        return "a zero filter"
    if constant_grid(p["input"]):
        return "constant input"
    return None


KIND = Kind(
    name="conv2d_multichannel",
    version=1,
    summary="Conv2D on a multi-channel input: filters of C_in kernel slices, optional bias",
    params=("input", "kernel", "bias", "strides", "padding"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={"bias": None, "strides": 1, "padding": "valid"},
    sample_is_valid=True,
)
