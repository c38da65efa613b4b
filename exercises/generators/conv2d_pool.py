"""conv2d_pool: a Conv2D on a matrix, then pooling of its output (the lecture's two-step chain).

Convolution parameters keep their Keras names (``kernel``, ``strides``, ``padding``); the pooling
layer's are ``mode``, ``pool_size``, ``pool_strides`` and ``pool_padding``.  ``kernel_size`` and
``input_shape`` fix the convolution's sizes while the values stay random, as in ``conv2d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

import numpy as np

from .. import params as P
from ..follow_through import follows
from ..geometry import check_fits, pair_value
from ..model import Part
from ..reference.conv import output_length
from ..reference.pool import MODES, pool2d
from ..registry import Kind, Solved
from ..sampling import pick
from . import conv2d, pooling
from .conv2d import as_pair, conv_solution

NAMES = {
    "mode": "mode",
    "pool_size": "pool_size",
    "strides": "pool_strides",
    "padding": "pool_padding",
}


@dataclass(frozen=True)
class Level:
    conv: conv2d.Level
    modes: tuple[str, ...]
    pools: tuple[int, ...]
    pool_strides: tuple[int | None, ...]
    pool_paddings: tuple[str, ...]


LEVELS = {
    1: Level(conv2d.Level((4, 4), (4, 4), (2,), (0, 3), (1,), ("valid",), True),
             ("max",), (2,), (None,), ("valid",)),
    2: Level(conv2d.Level((4, 4), (4, 4), (2, 3), (-2, 3), (1,), ("valid", "same", 1), True),
             MODES, (2,), (None,), ("valid",)),
    3: Level(conv2d.Level((3, 4), (3, 4), (2, 3), (-2, 3), (1,), ("valid", "same", 1, 2), False),
             MODES, (2, 3), (None, 2), ("valid", "same")),
}  # fmt: skip


def pool_output_shape(
    shape: tuple[int, ...], pool: tuple[int, int], strides: tuple[int, int], padding: str
) -> tuple[int, ...]:
    """Output size of a pooling layer along each axis."""
    return tuple(output_length(n, k, s, padding) for n, k, s in zip(shape, pool, strides))


@cache
def _pool_options(difficulty: int, conv_shape: tuple[int, ...]) -> list[tuple]:
    """The level's pooling layers (pool_size, pool_strides, pool_padding) whose output on a
    ``conv_shape`` input is 2 or 3 wide along both axes; for a larger convolution output (sizes a
    spec fixed), those with the smallest output at least 2 wide."""
    level = LEVELS[difficulty]
    outs = {
        (pool, s, pad): pool_output_shape(conv_shape, (pool,) * 2, (s or pool,) * 2, pad)
        for pool, s, pad in product(level.pools, level.pool_strides, level.pool_paddings)
    }
    options = [o for o, out in outs.items() if all(2 <= n <= 3 for n in out)]
    if options:
        return options
    wide = {o: max(out) for o, out in outs.items() if min(out) >= 2}
    return [o for o, n in wide.items() if n == min(wide.values())] or [(2, None, "same")]


def fixed_conv(given: dict[str, Any]) -> bool:
    """Whether the spec fixes the convolution output's size (every level uses stride 1)."""
    kernel = "kernel" in given or given.get("kernel_size") is not None
    return (
        kernel
        and ("input" in given or given.get("input_shape") is not None)
        and ("padding" in given)
    )


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[difficulty]
    kshape = conv2d.given_kernel_shape(given)
    size, strides, padding, shape = conv2d.sample_geometry(rng, level.conv, given, kshape)
    lo, hi = level.conv.values
    p = {
        "input": rng.integers(lo, hi + 1, size=shape).tolist(),
        "kernel": conv2d.sample_kernel(rng, size, lo, hi),
        "strides": pair_value(strides),
        "padding": padding,
    }
    conv_shape = tuple(output_length(n, k, s, padding) for n, k, s in zip(shape, size, strides))
    if "pool_size" in given and given.get("pool_padding", "valid") == "valid" and fixed_conv(given):
        # A pool larger than the fixed convolution output fails now, naming pool_size (a 'same'
        # pooling the draw might pick would only make a degenerate 1 x 1 output).
        pool = P.size_pair("pool_size", given["pool_size"], lo=1)
        check_fits(
            "pool_size", conv_shape, pool, pool, "valid", what="pool", of="convolution output"
        )
    p["mode"] = given.get("mode") or pick(rng, level.modes)
    pool, s, pad = pick(rng, _pool_options(difficulty, conv_shape))
    p["pool_size"], p["pool_strides"], p["pool_padding"] = pool, s, pad
    return p


def validate(p: dict[str, Any]) -> dict[str, Any]:
    q = conv2d.validate(p)
    strides = as_pair(q["strides"])
    size = (len(q["kernel"]), len(q["kernel"][0]))
    shape = (len(q["input"]), len(q["input"][0]))
    conv_shape = tuple(
        output_length(n, k, s, q["padding"]) for n, k, s in zip(shape, size, strides)
    )
    q.update(pooling.validate_pool(p, conv_shape, NAMES, of="convolution output"))
    return q


def solve(p: dict[str, Any]) -> Solved:
    x = np.asarray(p["input"])[..., None]
    k = np.asarray(p["kernel"])[..., None, None]
    strides, padding = as_pair(p["strides"]), p["padding"]
    mode, ppadding = p["mode"], p["pool_padding"]
    pool = as_pair(p["pool_size"])
    pstrides = pool if p["pool_strides"] is None else as_pair(p["pool_strides"])

    y, conv_steps, wrong_y = conv_solution(x, k, strides, padding, output="convolution output")
    c = y[..., 0]
    pool_out, pool_steps, wrong_z = pooling.pool_solution(
        c, pool, pstrides, ppadding, mode, label="z", output="pooling output"
    )
    conv_out = P.tolist(c)
    pool_shape = pooling.shape(pool_out)
    tol = 0.0 if pooling.is_integral(pool_out) else pooling.TOLERANCE
    parts = [
        Part("conv_shape", "Convolution output shape (rows, columns)", "shape", list(c.shape)),
        Part("conv_output", "Convolution output y", "matrix", conv_out),
        Part("pool_shape", "Pooling output shape (rows, columns)", "shape", pool_shape),
        Part("pool_output", "Pooling output z", "matrix", pool_out, tolerance=tol),
    ]
    steps = [
        {"step": "text", "text": "Step 1: the convolution y."},
        *conv_steps,
        {"step": "matrix", "label": "Convolution output y", "value": conv_out},
        {"step": "text", "text": f"Step 2: {mode} pooling of y gives z."},
        *pool_steps,
    ]
    wrong: dict[str, dict[str, Any]] = {}
    for m, v in wrong_y.items():
        v = v[..., 0]
        answers = {"conv_shape": list(v.shape), "conv_output": P.tolist(v)}
        zv = pooling.pooled(v, pool, pstrides, ppadding, (mode,))
        if zv is not None:
            answers["pool_shape"] = pooling.shape(zv[0])
            answers["pool_output"] = zv[0]
        wrong[m] = answers
    for m, zv in wrong_z.items():
        wrong[m] = {"pool_shape": pooling.shape(zv), "pool_output": zv}
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    reason = conv2d.degenerate(p, solved)  # reads parts[1], here too the convolution output
    if reason:
        return reason
    z = solved.parts[3].answer
    if len(z) < 2 or len(z[0]) < 2:
        return "fewer than two pooling output rows or columns"
    if not any(any(row) for row in z):
        return "all-zero pooling output"
    return None


def _pool_args(p: dict[str, Any]) -> tuple[tuple[int, int], tuple[int, int]]:
    pool = as_pair(p["pool_size"])
    return pool, pool if p["pool_strides"] is None else as_pair(p["pool_strides"])


@follows("conv_output")
def own_pool_output(p: dict[str, Any], answers: dict[str, Any]) -> list | None:
    """Follow-through: the pooling of the student's own convolution output."""
    c = np.asarray(answers["conv_output"], dtype=float)
    if c.ndim != 2 or c.size == 0:
        return None
    pool, strides = _pool_args(p)
    z = pool2d(c, pool, strides, p["pool_padding"], p["mode"])
    return None if z is None else pooling.pool_answer(z, p["mode"])


@follows("conv_output", shapes=("conv_shape",))
def own_pool_shape(p: dict[str, Any], answers: dict[str, Any]) -> list | None:
    """Follow-through: the pooling output shape for the student's own convolution shape."""
    shape = answers.get("conv_shape") or list(np.shape(answers["conv_output"]))
    if len(shape) != 2:
        return None
    pool, strides = _pool_args(p)
    out = list(pool_output_shape(shape, pool, strides, p["pool_padding"]))
    return out if all(n > 0 for n in out) else None


KIND = Kind(
    name="conv2d_pool",
    version=1,
    summary="Conv2D on a matrix followed by max or average pooling of its output",
    params=(
        "input",
        "kernel",
        "strides",
        "padding",
        "mode",
        "pool_size",
        "pool_strides",
        "pool_padding",
        "kernel_size",
        "input_shape",
    ),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={
        "strides": 1,
        "padding": "valid",
        "mode": "max",
        "pool_size": 2,
        "pool_strides": None,
        "pool_padding": "valid",
        "kernel_size": None,
        "input_shape": None,
    },
    follow_through={"pool_shape": own_pool_shape, "pool_output": own_pool_output},
    sample_is_valid=True,
)
