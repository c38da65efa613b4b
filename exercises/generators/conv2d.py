"""conv2d: a matrix cross-correlated with a kernel, with padding and strides (Keras Conv2D).

Also home of the Conv2D solution the multichannel and conv-then-pool kinds reuse:
:func:`conv_solution` (answer, worked steps, misconception outputs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .. import params as P
from .. import sizes
from ..geometry import (
    check_fits,
    constant_grid,
    conv_pads,
    draw_out,
    fitting_paddings,
    input_length,
    pair_value,
    size_steps,
)
from ..model import Part
from ..reference.grid import NO_PADS, correlate_variants, flat_kernels, pad2d
from ..registry import Kind, Solved
from ..sampling import pick


@dataclass(frozen=True)
class Level:
    out: tuple[int, int]  # output rows range (columns: same, or out_w when not square)
    out_w: tuple[int, int]
    kernel: tuple[int, ...]
    values: tuple[int, int]
    strides: tuple[Any, ...]
    paddings: tuple[Any, ...]
    square: bool
    max_n: int = 8  # inputs about this wide at most


LEVELS = {
    1: Level((2, 3), (2, 3), (2,), (0, 3), (1,), ("valid",), True),
    2: Level((2, 3), (2, 3), (2, 3), (-2, 3), (1, 2), ("valid", "same", 1), True, max_n=6),
    3: Level((2, 3), (2, 4), (2, 3), (-3, 4), (1, 2, (1, 2), (2, 1)), ("valid", "same", 1, 2),
             False, max_n=7),
}  # fmt: skip


def as_pair(value: int | list[int]) -> tuple[int, int]:
    """A validated Keras size (int or [h, w]) as a pair."""
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def sample_geometry(
    rng: np.random.Generator, level: Level, given: dict[str, Any], kernel_shape=None
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], str | int]:
    """Kernel size, strides, padding and input size for a random Conv2D instance.

    Given ``kernel``/``strides``/``padding``/``input`` constrain the draw; the input size is drawn
    from the output size so the number of windows stays hand-computable.
    """
    if kernel_shape is not None:
        size = kernel_shape
    else:
        kh = pick(rng, level.kernel)
        size = (kh, kh if level.square else pick(rng, level.kernel))
    if "strides" in given:
        strides = P.size_pair("strides", given["strides"], lo=1)
    else:
        strides = as_pair(pick(rng, level.strides))
    if "padding" in given:
        padding = P.padding("padding", given["padding"])
    else:
        padding = pick(rng, fitting_paddings(level.paddings, size, strides, level.out_w[1]))
    if "input" in given:
        shape = P.array("input", given["input"], 2).shape
    elif given.get("input_shape") is not None:  # lecture-sized inputs with random values
        shape = sizes.pair("input_shape", given["input_shape"])
    else:
        oh = draw_out(rng, level.out, size[0], strides[0], padding, level.max_n)
        ow = (
            oh
            if level.square
            else draw_out(rng, level.out_w, size[1], strides[1], padding, level.max_n)
        )
        h = input_length(rng, oh, size[0], strides[0], padding)
        if level.square and size[0] == size[1] and strides[0] == strides[1]:
            shape = (h, h)
        else:
            shape = (h, input_length(rng, ow, size[1], strides[1], padding))
    if kernel_shape is not None and "padding" in given:
        # Sizes the spec fixed that can never fit fail now, not after every redraw.
        check_fits(sizes.fit_name(given), shape, size, strides, padding)
    return size, strides, padding, shape


def given_kernel_shape(given: dict[str, Any]) -> tuple[int, ...] | None:
    """The kernel size a spec fixed: its ``kernel``'s, or ``kernel_size``."""
    if "kernel" in given:
        return P.array("kernel", given["kernel"], 2).shape
    return sizes.pair("kernel_size", given.get("kernel_size"))


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[difficulty]
    size, strides, padding, shape = sample_geometry(rng, level, given, given_kernel_shape(given))
    lo, hi = level.values
    return {
        "input": rng.integers(lo, hi + 1, size=shape).tolist(),
        "kernel": sample_kernel(rng, size, lo, hi),
        "strides": pair_value(strides),
        "padding": padding,
    }


def sample_kernel(rng: np.random.Generator, size: tuple[int, ...], lo: int, hi: int) -> list:
    """Random integer kernel (kh x kw [x C x F], nested lists) that changes when flipped (rotated
    180 degrees), unless it is 1 x 1 and cannot."""
    while True:
        k = rng.integers(lo, hi + 1, size=size).tolist()
        if k != [row[::-1] for row in k[::-1]] or size[0] * size[1] == 1:
            return k


def validate(p: dict[str, Any]) -> dict[str, Any]:
    x = P.array("input", p["input"], 2)
    w = P.array("kernel", p["kernel"], 2)
    sizes.check("kernel_size", sizes.pair("kernel_size", p.get("kernel_size")), w.shape, "kernel")
    sizes.check("input_shape", sizes.pair("input_shape", p.get("input_shape")), x.shape, "input")
    strides = P.size_pair("strides", p["strides"], lo=1)
    padding = P.padding("padding", p["padding"])
    check_fits(sizes.fit_name(p), x.shape, w.shape, strides, padding)
    return {
        "input": P.tolist(x),
        "kernel": P.tolist(w),
        "strides": pair_value(strides),
        "padding": padding,
    }


@lru_cache(maxsize=1024)  # user parameters can make many shapes
def cell_labels(label: str, oh: int, ow: int, filters: int = 0) -> tuple:
    """Per output cell, row by row: ``y[i,j]``, or with ``filters`` the tuple of ``y[i,j,f]``."""
    if not filters:
        return tuple(f"{label}[{i},{j}]" for i in range(oh) for j in range(ow))
    return tuple(
        tuple(f"{label}[{i},{j},{f}]" for f in range(filters)) for i in range(oh) for j in range(ow)
    )


def window_steps(
    flat: np.ndarray, kernel: np.ndarray, y: np.ndarray, bias: list | None, label: str
) -> list[dict[str, Any]]:
    """One ``window`` step per output value: the window's values, the weights and the sum.

    Labels are ``y[i,j]`` for a single filter without bias, ``y[i,j,f]`` otherwise.
    """
    oh, ow, f = y.shape
    rows = P.tolist(flat)
    weights = [P.tolist(k) for k in flat_kernels(kernel)]
    sums = P.tolist(y.reshape(oh * ow, f))
    if f == 1 and bias is None:
        w0 = weights[0]
        return [
            {"step": "window", "label": lab, "values": v, "weights": w0, "sum": s[0]}
            for lab, v, s in zip(cell_labels(label, oh, ow), rows, sums)
        ]
    cells = zip(cell_labels(label, oh, ow, f), rows, sums)
    if bias is None:
        return [
            {"step": "window", "label": lab, "values": v, "weights": w, "sum": sf}
            for labs, v, s in cells
            for lab, w, sf in zip(labs, weights, s)
        ]
    return [
        {"step": "window", "label": lab, "values": v, "weights": w, "bias": b, "sum": sf}
        for labs, v, s in cells
        for lab, w, b, sf in zip(labs, weights, bias, s)
    ]


def conv_solution(
    x: np.ndarray,
    kernel: np.ndarray,
    strides: tuple[int, int],
    padding: str | int,
    bias: list | None = None,
    *,
    label: str = "y",
    output: str = "output",
    single_channel: bool = False,
) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, np.ndarray]]:
    """Keras Conv2D of ``x`` (H x W x C) with ``kernel`` (kh x kw x C x F).

    Returns the output ``y`` (H' x W' x F), the worked steps, and the outputs the kernel,
    padding and stride misconceptions produce (``single_channel`` too, when asked), all from
    one correlation (:func:`~exercises.reference.grid.correlate_variants`).
    """
    pads = conv_pads(x.shape, kernel.shape[:2], strides, padding)
    variants = {"key": (pads, strides)}
    if any(pads):
        variants["no_padding"] = (NO_PADS, strides)
    if isinstance(padding, int) and padding > 0:
        variants["one_sided_padding"] = ((padding, 0, padding, 0), strides)
    if padding == "same" and ((pads[0] + pads[1]) % 2 or (pads[2] + pads[3]) % 2):
        th, tw = math.ceil((pads[0] + pads[1]) / 2), math.ceil((pads[2] + pads[3]) / 2)
        variants["symmetric_same_padding"] = ((th, th, tw, tw), strides)
    if pads[0] != pads[1] or pads[2] != pads[3]:  # the odd extra zero before, not after
        variants["same_padding_wrong_side"] = ((pads[1], pads[0], pads[3], pads[2]), strides)
    if strides != (1, 1) and padding == "same":  # 'same' worked out as for stride 1
        one = conv_pads(x.shape, kernel.shape[:2], (1, 1), padding)
        variants["stride_ignored_same"] = (one, (1, 1))
    elif strides != (1, 1):
        variants["ignored_stride"] = (pads, (1, 1))
    f = kernel.shape[3]
    kernels = [kernel, kernel[::-1, ::-1]]
    single_channel = single_channel and x.shape[2] > 1
    if single_channel:
        k0 = np.zeros_like(kernel)
        k0[:, :, 0] = kernel[:, :, 0]
        kernels.append(k0)
    results = correlate_variants(x, np.concatenate(kernels, axis=3), variants)
    flat, ys = results.pop("key")
    if bias is not None:  # one bias per filter, on every kernel variant's output
        b = np.array(bias * len(kernels))  # bias of every filter of every kernel variant
        ys = ys + b
        results = {m: r and (r[0], r[1] + b) for m, r in results.items()}
    y = ys[..., :f]
    wrong = {}
    if not np.array_equal(kernel, kernel[::-1, ::-1]):  # a kernel its own flip: no such mistake
        wrong["flipped_kernel"] = ys[..., f : 2 * f]
    for name, r in results.items():
        # Padding one side only changes nothing when the strides never reach the far side.
        if r is not None and not (name == "one_sided_padding" and r[1].shape == ys.shape):
            if name == "same_padding_wrong_side" and np.array_equal(r[1][..., :f], y):
                continue  # the zeros' side changes nothing here
            wrong[name] = r[1][..., :f]
    if single_channel:
        wrong["single_channel"] = ys[..., 2 * f :]

    steps = size_steps(
        x.shape, kernel.shape[:2], strides, padding, y.shape[:2], pads, output=output
    )
    if any(pads):
        xp = pad2d(x, pads)
        if x.shape[2] == 1:
            steps.append({"step": "matrix", "label": "Padded input", "value": P.tolist(xp[..., 0])})
        else:
            steps.append({"step": "tensor", "label": "Padded input", "value": P.tolist(xp)})
    steps += window_steps(flat, kernel, y, bias, label)
    return y, steps, wrong


def solve(p: dict[str, Any]) -> Solved:
    x = np.asarray(p["input"])[..., None]
    k = np.asarray(p["kernel"])[..., None, None]
    strides, padding = as_pair(p["strides"]), p["padding"]
    y, steps, wrong_y = conv_solution(x, k, strides, padding)
    parts = [
        Part("shape", "Output shape (rows, columns)", "shape", list(y.shape[:2])),
        Part("output", "Output matrix", "matrix", P.tolist(y[..., 0])),
    ]
    wrong = {
        m: {"shape": list(v.shape[:2]), "output": P.tolist(v[..., 0])} for m, v in wrong_y.items()
    }
    if padding != "same" and min(y.shape[:2]) > 2:  # floor((n + 2p - k) / s) without the + 1
        short = y[:-1, :-1, 0]
        wrong["size_off_by_one"] = {"shape": list(short.shape), "output": P.tolist(short)}
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    y = solved.parts[1].answer
    if len(y) < 2 or len(y[0]) < 2:
        return "fewer than two output rows or columns"
    if not any(any(row) for row in y):
        return "all-zero output"
    if not any(any(row) for row in p["kernel"]):
        return "zero kernel"
    if constant_grid(p["input"]):
        return "constant input"
    return None


KIND = Kind(
    name="conv2d",
    version=1,
    summary="2-D convolution (cross-correlation) of a matrix with a kernel, padding and strides",
    # kernel_size / input_shape fix sizes only (values stay random): e.g. kernel_size = 3,
    # input_shape = 5, padding = 2, strides = 2 for the lecture's 4x4 output.
    params=("input", "kernel", "strides", "padding", "kernel_size", "input_shape"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={"strides": 1, "padding": "valid", "kernel_size": None, "input_shape": None},
    sample_is_valid=True,
)
