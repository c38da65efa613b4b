"""conv2d_multichannel: an H x W x C_in input through a Conv2D with one or more filters.

The kernel is ``kh x kw x C_in x filters``, as Keras stores it; ``bias`` is a list with one value
per filter, or ``None`` for a layer without bias (``use_bias=False``).  ``kernel_size``,
``input_shape`` (``[rows, cols]`` or ``[rows, cols, channels]``) and ``filters`` fix sizes while
the values stay random (:mod:`~convgrade.exercises.sizes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import params as P
from .. import sizes
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


def _given_filters(given: dict[str, Any]) -> int | None:
    value = given.get("filters")
    return None if value is None else P.integer("filters", value, lo=1, hi=sizes.MAX_FILTERS)


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[difficulty]
    ksize = sizes.pair("kernel_size", given.get("kernel_size"))
    ishape = sizes.image_shape("input_shape", given.get("input_shape"))
    if "kernel" in given:
        kh, kw, c, f = P.array("kernel", given["kernel"], 4).shape
        if ishape is not None and len(ishape) == 3 and ishape[2] != c:
            raise ParamError(
                "input_shape", f"{c} channels, as many as the given kernel's slices", list(ishape)
            )
    else:
        if ksize is not None:
            kh, kw = ksize
        else:
            kh = kw = pick(rng, level.kernel)
        bias = given.get("bias")
        f = _given_filters(given)
        if isinstance(bias, list) and bias:
            if f is not None and f != len(bias):
                raise ParamError(
                    "bias", f"a list of {f} numbers, one per filter (filters = {f})", bias
                )
            f = len(bias)
        elif f is None:
            f = pick(rng, level.filters)
        if "input" in given:
            c = P.array("input", given["input"], 3).shape[2]
        elif ishape is not None and len(ishape) == 3:
            c = ishape[2]
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
    if ishape is not None:  # lecture-sized inputs with random values
        h, w = ishape[:2]
        if "padding" in given and (ksize or "kernel" in given):  # never fits: fail now
            check_fits(sizes.fit_name(given), (h, w), (kh, kw), strides, padding)
    else:
        oh = draw_out(rng, level.out, kh, max(strides), padding, max_n=5)
        h = input_length(rng, oh, kh, strides[0], padding, least=2)
        w = (
            h
            if strides[0] == strides[1] and kh == kw
            else input_length(rng, oh, kw, strides[1], padding, least=2)
        )
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
    shape = sizes.image_shape("input_shape", p.get("input_shape"))
    sizes.check("input_shape", shape, x.shape, "input")
    sizes.check("kernel_size", sizes.pair("kernel_size", p.get("kernel_size")), w.shape, "kernel")
    if w.shape[2] != x.shape[2]:
        raise ParamError(
            "kernel",
            f"kh x kw x {x.shape[2]} x filters (one kernel slice per input channel)",
            "shape " + " x ".join(map(str, w.shape)),
        )
    filters = _given_filters(p)
    if filters is not None and filters != w.shape[3]:
        raise ParamError("filters", f"the kernel's number of filters ({w.shape[3]})", filters)
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
    check_fits(sizes.fit_name(p), x.shape, w.shape[:2], strides, padding)
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
    # kernel_size, input_shape ([rows, cols(, channels)]) and filters fix sizes only.
    params=(
        "input",
        "kernel",
        "bias",
        "strides",
        "padding",
        "kernel_size",
        "input_shape",
        "filters",
    ),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={
        "bias": None,
        "strides": 1,
        "padding": "valid",
        "kernel_size": None,
        "input_shape": None,
        "filters": None,
    },
    sample_is_valid=True,
)
